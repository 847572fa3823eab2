/* convert_api.h — the plain C face of cuda/convert.cu: FP16 linear premultiplied images to 8- or
 * 16-bit sRGB straight-alpha samples on the device (the `png` node's device path), with results
 * identical to the CPU encoder (ysg_encode_srgb, engine/color.h). The device's powf is not the C
 * library's, so a level computed from it can differ by one where the sRGB value lies within a few
 * ulps of a rounding boundary; instead the level is looked up in a table of the CPU encoder's own
 * thresholds (built on the host, once), starting from the powf estimate. Conventions as in
 * cuda_api.h: d_… are device pointers, launchers only enqueue, errors go to err. */
#ifndef YSG_CONVERT_API_H
#define YSG_CONVERT_API_H

#include <stddef.h>
#include <stdint.h>

#include "color.h"
#include "hd.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Floats in the threshold table of 2^bits - 1 levels. */
static inline size_t ysg_srgb_table_len(int bits) { return bits == 16 ? 65536u : 256u; }

/* The level the CPU encoder gives a colour channel whose straight linear value is x (that is
 * p[c] · (1 / alpha), as ysg_encode_srgb computes it): 0 for x ≤ 0 or NaN, maxq for x ≥ 1, and
 * in between the largest k with t[k] ≤ x, found by walking from `guess`. t: the thresholds
 * (ysg_srgb_thresholds), maxq = 2^bits - 1. Exact for any guess; a good one costs 1-2 reads. */
YSG_HD uint32_t ysg_srgb_level_from(float x, int guess, int maxq, const float *t) {
  if (!(x > 0.0f)) return 0;
  if (x >= 1.0f) return (uint32_t)maxq;
  int q = guess < 0 ? 0 : (guess > maxq ? maxq : guess);
  while (q < maxq && x >= t[q + 1]) q++;
  while (q > 0 && x < t[q]) q--;
  return (uint32_t)q;
}

/* The same, guessing with this compiler's sRGB curve (the device's powf on the GPU). */
YSG_HD uint32_t ysg_srgb_level(float x, int maxq, const float *t) {
  int guess = 0;
  if (x > 0.0f && x < 1.0f) guess = (int)(ysg_linear_to_srgb(x) * (float)maxq + 0.5f);
  return ysg_srgb_level_from(x, guess, maxq, t);
}

/* One pixel px (4 FP16 values, linear premultiplied) to its 4 samples q, as the CPU `png` node
 * converts it: alpha ±0 gives all zeros, else the channels are divided by the clamped alpha and
 * looked up (ysg_srgb_level), alpha is a · maxq + 0.5 truncated. The device rounds each
 * operation exactly as the CPU does (_rn intrinsics: no fused multiply-adds). One exception: a
 * NaN alpha, whose conversion to an integer C leaves undefined (x86 gives 0, or all ones with
 * AVX-512's unsigned conversion), gives alpha 0 on the device. */
YSG_HD void ysg_srgb_px(const uint16_t *px, int maxq, const float *t, uint32_t q[4]) {
  q[0] = q[1] = q[2] = q[3] = 0;
  if ((px[3] & 0x7fffu) == 0) return;
  float p[4];
  ysg_load_px(px, p);
  float a = ysg_clamp01(p[3]);
#if defined(__CUDA_ARCH__)
  float inv = a > 0.0f ? __fdiv_rn(1.0f, a) : 0.0f;
  for (int c = 0; c < 3; c++) q[c] = ysg_srgb_level(__fmul_rn(p[c], inv), maxq, t);
  q[3] = __float2uint_rz(__fadd_rn(__fmul_rn(a, (float)maxq), 0.5f));
#else
  float inv = a > 0.0f ? 1.0f / a : 0.0f;
  for (int c = 0; c < 3; c++) q[c] = ysg_srgb_level(p[c] * inv, maxq, t);
  q[3] = (uint32_t)(a * (float)maxq + 0.5f);
#endif
}

#if !defined(__CUDACC__)
/* The CPU encoder's level of x (a straight linear channel), exactly as ysg_encode_srgb gives it:
 * alpha 1 makes its p[c] · (1 / alpha) equal x. */
static inline uint32_t ysg_srgb_cpu_level(float x, float maxv) {
  float p[4] = {x, 0.0f, 0.0f, 1.0f};
  uint32_t q[4];
  ysg_encode_srgb(p, maxv, q);
  return q[0];
}

/* Host, once per node: t[0] = 0 and t[k] (k = 1..2^bits - 1) = the smallest float x in (0, 1]
 * whose CPU level is ≥ k; t holds ysg_srgb_table_len(bits) floats. The CPU level is monotone
 * in x (checked over every float in (0, 1] with glibc's powf, 8 and 16 bits; the tests check
 * 64 ulps either side of every threshold), so each threshold is a binary search over float bit
 * patterns, bracketed near the inverse of the sRGB curve: under 0.1 ms (8 bits) or about 25 ms
 * (16 bits), once per node. */
static inline void ysg_srgb_thresholds(int bits, float *t) {
  int maxq = bits == 16 ? 65535 : 255;
  float maxv = (float)maxq;
  const uint32_t one = 0x3f800000u; /* 1.0f: level maxq */
  t[0] = 0.0f;
  for (int k = 1; k <= maxq; k++) {
    /* the sRGB value (k - 0.5) / maxq decoded to linear: the boundary, to within a few ulps */
    double s = ((double)k - 0.5) / (double)maxq;
    double lin = s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
    float g = (float)lin;
    uint32_t gb;
    memcpy(&gb, &g, sizeof gb);
    uint32_t lo = gb > 1024u ? gb - 1024u : 0u, hi = gb + 1024u < one ? gb + 1024u : one;
    float xl, xh;
    memcpy(&xl, &lo, sizeof xl);
    memcpy(&xh, &hi, sizeof xh);
    if (ysg_srgb_cpu_level(xl, maxv) >= (uint32_t)k || ysg_srgb_cpu_level(xh, maxv) < (uint32_t)k) {
      lo = 0u; /* outside the bracket: search all of [0, 1] */
      hi = one;
    }
    /* invariant: level(lo) < k <= level(hi) (level(0) = 0 < k, level(1) = maxq >= k) */
    while (hi - lo > 1u) {
      uint32_t mid = lo + (hi - lo) / 2u;
      float xm;
      memcpy(&xm, &mid, sizeof xm);
      if (ysg_srgb_cpu_level(xm, maxv) >= (uint32_t)k)
        hi = mid;
      else
        lo = mid;
    }
    memcpy(&t[k], &hi, sizeof hi);
  }
}
#endif

/* Convert the width × height image d_px (FP16 linear premultiplied RGBA; d_tiles its occupancy,
 * may be NULL: every tile read) into d_out: (height, width, 4) samples of sRGB with straight
 * alpha, uint8 for bits 8 and host-order uint16 for bits 16, packed rows — the bytes the CPU
 * `png` node hands to the encoder. Pixels of empty tiles become 0. d_table: the thresholds
 * (ysg_srgb_thresholds(bits), in device memory). */
ysg_status ysg__cuda_to_srgb(const uint16_t *d_px, const uint8_t *d_tiles, int width, int height,
                             int bits, const float *d_table, void *d_out, void *stream, char *err,
                             size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_CONVERT_API_H */
