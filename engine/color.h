/* color.h — colour math shared by the CPU nodes and the CUDA kernels: FP16 <-> FP32, the sRGB
 * transfer function, premultiplication and 8/16-bit quantisation. Pixels inside ysgraph are
 * linear-light premultiplied RGBA stored as FP16 and computed in FP32 (ARCHITECTURE §3). */
#ifndef YSG_COLOR_H
#define YSG_COLOR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hd.h"

/* On x86 CPUs with F16C (compiled with -mf16c, e.g. by YSG_NATIVE), half conversion is one
 * instruction with the same IEEE round-to-nearest-even result as the portable code below. */
#if defined(__F16C__) && !defined(__CUDACC__)
#include <immintrin.h>
#define YSG_F16C 1
#endif
#if defined(__CUDACC__)
#include <cuda_fp16.h>
#endif

/* IEEE binary16 <-> binary32, round to nearest even; handles subnormals, inf and NaN. */
YSG_HD float ysg_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalise */
      exp = 127 - 15 + 1;
      while ((man & 0x400u) == 0) {
        man <<= 1;
        exp--;
      }
      man &= 0x3ffu;
      bits = sign | (exp << 23) | (man << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

YSG_HD uint16_t ysg_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) /* inf or NaN */
    return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
    return (uint16_t)(sign | 0x7c00u);
  if (absx < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
    if (absx < 0x33000000u) return (uint16_t)sign;
    uint32_t e = absx >> 23;
    uint32_t m = (absx & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; /* 14..24 */
    uint32_t r = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = absx - 0x38000000u; /* rebias exponent 127 -> 15 */
  uint32_t mant = r >> 13;
  uint32_t rem = r & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (mant & 1u))) mant++;
  return (uint16_t)(sign | mant);
}

YSG_HD float ysg_clamp01(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }

/* sRGB electro-optical transfer (IEC 61966-2-1). */
YSG_HD float ysg_srgb_to_linear(float c) {
  return c <= 0.04045f ? c * (1.0f / 12.92f) : powf((c + 0.055f) * (1.0f / 1.055f), 2.4f);
}
YSG_HD float ysg_linear_to_srgb(float c) {
  if (!(c > 0.0f)) return 0.0f; /* also maps NaN to 0 */
  if (c >= 1.0f) return 1.0f;
  return c <= 0.0031308f ? c * 12.92f : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}

/* Straight linear RGBA -> premultiplied. */
YSG_HD void ysg_premultiply(const float in[4], float out[4]) {
  out[0] = in[0] * in[3];
  out[1] = in[1] * in[3];
  out[2] = in[2] * in[3];
  out[3] = in[3];
}

/* Linear premultiplied pixel -> sRGB straight, quantised to 0..maxv (255 or 65535). */
YSG_HD void ysg_encode_srgb(const float p[4], float maxv, uint32_t out[4]) {
  float a = ysg_clamp01(p[3]);
  float inv = a > 0.0f ? 1.0f / a : 0.0f;
  for (int c = 0; c < 3; c++) {
    float v = ysg_linear_to_srgb(p[c] * inv);
    out[c] = (uint32_t)(v * maxv + 0.5f);
  }
  out[3] = (uint32_t)(a * maxv + 0.5f);
}

/* sRGB straight (0..1) -> linear premultiplied. */
YSG_HD void ysg_decode_srgb(const float s[4], float out[4]) {
  float a = ysg_clamp01(s[3]);
  out[0] = ysg_srgb_to_linear(ysg_clamp01(s[0])) * a;
  out[1] = ysg_srgb_to_linear(ysg_clamp01(s[1])) * a;
  out[2] = ysg_srgb_to_linear(ysg_clamp01(s[2])) * a;
  out[3] = a;
}

/* FP16 pixel load/store. The device uses the hardware conversions and the CPU F16C when built
 * for it; both round to nearest even like the software path, so every path gives the same bits. */
YSG_HD void ysg_load_px(const uint16_t *px, float out[4]) {
#if defined(__CUDA_ARCH__)
  uint2 v = *reinterpret_cast<const uint2 *>(px); /* pixels are 8-byte aligned */
  out[0] = __half2float(__ushort_as_half((unsigned short)(v.x & 0xffffu)));
  out[1] = __half2float(__ushort_as_half((unsigned short)(v.x >> 16)));
  out[2] = __half2float(__ushort_as_half((unsigned short)(v.y & 0xffffu)));
  out[3] = __half2float(__ushort_as_half((unsigned short)(v.y >> 16)));
#elif defined(YSG_F16C)
  _mm_storeu_ps(out, _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)px)));
#else
  out[0] = ysg_half_to_float(px[0]);
  out[1] = ysg_half_to_float(px[1]);
  out[2] = ysg_half_to_float(px[2]);
  out[3] = ysg_half_to_float(px[3]);
#endif
}
YSG_HD void ysg_store_px(uint16_t *px, const float in[4]) {
#if defined(__CUDA_ARCH__)
  uint2 v;
  v.x = (unsigned)__half_as_ushort(__float2half_rn(in[0])) |
        ((unsigned)__half_as_ushort(__float2half_rn(in[1])) << 16);
  v.y = (unsigned)__half_as_ushort(__float2half_rn(in[2])) |
        ((unsigned)__half_as_ushort(__float2half_rn(in[3])) << 16);
  *reinterpret_cast<uint2 *>(px) = v;
#elif defined(YSG_F16C)
  _mm_storel_epi64((__m128i *)px, _mm_cvtps_ph(_mm_loadu_ps(in), _MM_FROUND_TO_NEAREST_INT));
#else
  px[0] = ysg_float_to_half(in[0]);
  px[1] = ysg_float_to_half(in[1]);
  px[2] = ysg_float_to_half(in[2]);
  px[3] = ysg_float_to_half(in[3]);
#endif
}

/* CPU rows of FP16 <-> FP32 (n values). Converting a value at a time in software costs more
 * than the blending itself, so on x86 CPUs with F16C the hardware converts 8 at a time; it rounds
 * to nearest even exactly like ysg_float_to_half, so the bits do not depend on the path taken. */
#if !defined(__CUDACC__)
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define YSG_F16C_PATH 1
#if defined(__F16C__) && defined(__AVX__)
/* built for F16C (-march=native on such a CPU): no run-time check */
static inline int ysg__cpu_has_f16c(void) { return 1; }
#else
#include <cpuid.h>
/* CPUID says F16C and AVX, and the OS saves the YMM registers (XCR0 bits 1-2). Asked once per
 * translation unit; the answer is the same from every thread, so the relaxed race is benign.
 * (__builtin_cpu_supports("f16c") would be shorter, but clang 14 does not know "f16c".) */
static inline int ysg__cpu_has_f16c(void) {
  static int known; /* 0: not asked yet, 1: no, 2: yes */
  int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (!k) {
    unsigned a, b, c, d;
    k = 1;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && (c & bit_AVX) && (c & bit_OSXSAVE)) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      if ((lo & 6u) == 6u) k = 2;
    }
    __atomic_store_n(&known, k, __ATOMIC_RELAXED);
  }
  return k == 2;
}
#endif
__attribute__((target("avx,f16c"))) static inline void ysg__f16c_to_floats(const uint16_t *src,
                                                                           float *dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
  for (; i < n; i++) dst[i] = ysg_half_to_float(src[i]);
}
__attribute__((target("avx,f16c"))) static inline void ysg__f16c_to_halves(const float *src,
                                                                           uint16_t *dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i *)(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) dst[i] = ysg_float_to_half(src[i]);
}
/* 8 pixels at a time: each plane converted, then the halves interleaved (16-bit, then 32-bit);
 * stream: dst is 16-byte aligned, store past the caches (no read for ownership) */
__attribute__((target("avx,f16c"))) static inline void ysg__f16c_planes_to_halves(
    const float *r, const float *g, const float *b, const float *a, uint16_t *dst, int n,
    int stream) {
  int i = 0;
  for (; stream && i + 8 <= n; i += 8) {
    __m128i R = _mm256_cvtps_ph(_mm256_loadu_ps(r + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i G = _mm256_cvtps_ph(_mm256_loadu_ps(g + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i B = _mm256_cvtps_ph(_mm256_loadu_ps(b + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i A = _mm256_cvtps_ph(_mm256_loadu_ps(a + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i rg0 = _mm_unpacklo_epi16(R, G), rg1 = _mm_unpackhi_epi16(R, G);
    __m128i ba0 = _mm_unpacklo_epi16(B, A), ba1 = _mm_unpackhi_epi16(B, A);
    __m128i *o = (__m128i *)(dst + 4 * i);
    _mm_stream_si128(o, _mm_unpacklo_epi32(rg0, ba0));
    _mm_stream_si128(o + 1, _mm_unpackhi_epi32(rg0, ba0));
    _mm_stream_si128(o + 2, _mm_unpacklo_epi32(rg1, ba1));
    _mm_stream_si128(o + 3, _mm_unpackhi_epi32(rg1, ba1));
  }
  for (; i + 8 <= n; i += 8) {
    __m128i R = _mm256_cvtps_ph(_mm256_loadu_ps(r + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i G = _mm256_cvtps_ph(_mm256_loadu_ps(g + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i B = _mm256_cvtps_ph(_mm256_loadu_ps(b + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i A = _mm256_cvtps_ph(_mm256_loadu_ps(a + i), _MM_FROUND_TO_NEAREST_INT);
    __m128i rg0 = _mm_unpacklo_epi16(R, G), rg1 = _mm_unpackhi_epi16(R, G);
    __m128i ba0 = _mm_unpacklo_epi16(B, A), ba1 = _mm_unpackhi_epi16(B, A);
    __m128i *o = (__m128i *)(dst + 4 * i);
    _mm_storeu_si128(o, _mm_unpacklo_epi32(rg0, ba0));
    _mm_storeu_si128(o + 1, _mm_unpackhi_epi32(rg0, ba0));
    _mm_storeu_si128(o + 2, _mm_unpacklo_epi32(rg1, ba1));
    _mm_storeu_si128(o + 3, _mm_unpackhi_epi32(rg1, ba1));
  }
  for (; i < n; i++) {
    dst[4 * i] = ysg_float_to_half(r[i]);
    dst[4 * i + 1] = ysg_float_to_half(g[i]);
    dst[4 * i + 2] = ysg_float_to_half(b[i]);
    dst[4 * i + 3] = ysg_float_to_half(a[i]);
  }
}
#endif

static inline void ysg_halves_to_floats(const uint16_t *src, float *dst, int n) {
#if defined(YSG_F16C_PATH)
  if (ysg__cpu_has_f16c()) {
    ysg__f16c_to_floats(src, dst, n);
    return;
  }
#endif
  for (int i = 0; i < n; i++) dst[i] = ysg_half_to_float(src[i]);
}

static inline void ysg_floats_to_halves(const float *src, uint16_t *dst, int n) {
#if defined(YSG_F16C_PATH)
  if (ysg__cpu_has_f16c()) {
    ysg__f16c_to_halves(src, dst, n);
    return;
  }
#endif
  for (int i = 0; i < n; i++) dst[i] = ysg_float_to_half(src[i]);
}

/* n pixels held as four planes of floats (r, g, b, a) -> n RGBA pixels of halves */
static inline void ysg_planes_to_halves(const float *r, const float *g, const float *b,
                                        const float *a, uint16_t *dst, int n) {
#if defined(YSG_F16C_PATH)
  if (ysg__cpu_has_f16c()) {
    ysg__f16c_planes_to_halves(r, g, b, a, dst, n, 0);
    return;
  }
#endif
  for (int i = 0; i < n; i++) {
    dst[4 * i] = ysg_float_to_half(r[i]);
    dst[4 * i + 1] = ysg_float_to_half(g[i]);
    dst[4 * i + 2] = ysg_float_to_half(b[i]);
    dst[4 * i + 3] = ysg_float_to_half(a[i]);
  }
}
#endif /* !__CUDACC__ */

#endif /* YSG_COLOR_H */
