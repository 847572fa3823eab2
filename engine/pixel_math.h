/* pixel_math.h — one pixel between a host-facing ysg_pixel_format and FP16 linear premultiplied
 * RGBA, as YSG_HD functions: the CUDA kernels of image_in and the DLPack reads (cuda/image_io.cu)
 * run them per pixel; the CPU (engine/pixels.c) gets the same values through tables (decoding
 * float sRGB within 3e-8 of these, everything else exactly; tests/test_image_io.c checks). */
#ifndef YSG_PIXEL_MATH_H
#define YSG_PIXEL_MATH_H

#include <stdint.h>
#include <string.h>

#include "color.h"
#include "hd.h"
#include "ysgraph.h"

YSG_HD int ysg_px_channels(int fmt) {
  return fmt == YSG_A32F                                                             ? 1
         : (fmt == YSG_RGB8_SRGB || fmt == YSG_RGB16_SRGB || fmt == YSG_RGB32F_SRGB) ? 3
                                                                                     : 4;
}

/* bytes per channel */
YSG_HD int ysg_px_elem(int fmt) {
  return (fmt == YSG_RGBA8_SRGB || fmt == YSG_RGB8_SRGB)                                  ? 1
         : (fmt == YSG_RGBA16_SRGB || fmt == YSG_RGB16_SRGB || fmt == YSG_RGBA16F_LINEAR) ? 2
                                                                                          : 4;
}

YSG_HD int ysg_px_finite(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return (b & 0x7f800000u) != 0x7f800000u;
}

/* One pixel s (fmt) -> out, linear premultiplied. 0 when a value is not finite (out is then 0). */
YSG_HD int ysg_px_decode(int fmt, const unsigned char *s, float out[4]) {
  int c = ysg_px_channels(fmt);
  float v[4] = {0.0f, 0.0f, 0.0f, 1.0f};
  out[0] = out[1] = out[2] = out[3] = 0.0f;
  /* as the CPU's tables: colour channels i / max, alpha i · (1 / max) */
  if (fmt == YSG_RGBA8_SRGB || fmt == YSG_RGB8_SRGB) {
    for (int q = 0; q < c; q++) v[q] = q < 3 ? (float)s[q] / 255.0f : (float)s[q] * (1.0f / 255.0f);
  } else if (fmt == YSG_RGBA16_SRGB || fmt == YSG_RGB16_SRGB) {
    for (int q = 0; q < c; q++) {
      uint16_t x;
      memcpy(&x, s + 2 * q, 2);
      v[q] = q < 3 ? (float)x / 65535.0f : (float)x * (1.0f / 65535.0f);
    }
  } else if (fmt == YSG_RGBA16F_LINEAR) {
    for (int q = 0; q < 4; q++) {
      uint16_t x;
      memcpy(&x, s + 2 * q, 2);
      if ((x & 0x7c00u) == 0x7c00u) return 0;
      out[q] = ysg_half_to_float(x);
    }
    return 1;
  } else {
    for (int q = 0; q < c; q++) {
      memcpy(&v[q], s + 4 * q, 4);
      if (!ysg_px_finite(v[q])) return 0;
    }
    if (fmt == YSG_RGBA32F_LINEAR) {
      for (int q = 0; q < 4; q++) out[q] = v[q];
      return 1;
    }
    if (fmt == YSG_A32F) {
      float a = ysg_clamp01(v[0]);
      out[0] = out[1] = out[2] = out[3] = a;
      return 1;
    }
  }
  float a = ysg_clamp01(v[3]);
  for (int q = 0; q < 3; q++) out[q] = ysg_srgb_to_linear(ysg_clamp01(v[q])) * a;
  out[3] = a;
  return 1;
}

/* One FP16 linear premultiplied pixel -> d (fmt). Transparent (alpha ±0) gives all zeros. */
YSG_HD void ysg_px_encode(int fmt, const uint16_t *px, unsigned char *d) {
  float p[4];
  ysg_load_px(px, p);
  int c = ysg_px_channels(fmt);
  if (fmt == YSG_RGBA16F_LINEAR) {
    memcpy(d, px, 8);
    return;
  }
  if (fmt == YSG_RGBA32F_LINEAR) {
    memcpy(d, p, 16);
    return;
  }
  if (fmt == YSG_A32F) {
    float a = ysg_clamp01(p[3]);
    memcpy(d, &a, 4);
    return;
  }
  int transparent = (px[3] & 0x7fffu) == 0;
  if (fmt == YSG_RGB32F_SRGB || fmt == YSG_RGBA32F_SRGB) {
    float o[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (!transparent) {
      float a = ysg_clamp01(p[3]);
      float inv = a > 0.0f ? 1.0f / a : 0.0f;
      for (int q = 0; q < 3; q++) o[q] = ysg_linear_to_srgb(p[q] * inv);
      o[3] = a;
    }
    memcpy(d, o, 4 * (size_t)c);
    return;
  }
  int bits16 = fmt == YSG_RGBA16_SRGB || fmt == YSG_RGB16_SRGB;
  uint32_t q[4] = {0, 0, 0, 0};
  if (!transparent) ysg_encode_srgb(p, bits16 ? 65535.0f : 255.0f, q);
  for (int k = 0; k < c; k++) {
    if (bits16) {
      uint16_t x = (uint16_t)q[k];
      memcpy(d + 2 * k, &x, 2);
    } else {
      d[k] = (unsigned char)q[k];
    }
  }
}

#endif /* YSG_PIXEL_MATH_H */
