/* pixels.c — the host-facing pixel formats: names and sizes, and row conversions to and from the
 * engine's FP16 linear premultiplied RGBA (see pixels.h). Rows go through a small float buffer so
 * the FP16 side uses the F16C batch converters when the CPU has them. Opaque pixels encode
 * through tables indexed by the FP16 bits; others through ysg_encode_srgb, so every path gives
 * the bits the `png` sink gives. */
#include "pixels.h"

#include <math.h>
#include <string.h>

#include "color.h"
#include "internal.h"

#define CHUNK 64 /* pixels per float buffer */

static const struct fmt_info {
  const char *name;
  int channels, bits, is_float;
} fmts[YSG_PIXEL_FORMAT_COUNT] = {
    [YSG_RGBA8_SRGB] = {"rgba8", 4, 8, 0},
    [YSG_RGBA16_SRGB] = {"rgba16", 4, 16, 0},
    [YSG_RGBA16F_LINEAR] = {"rgba16f_linear", 4, 16, 1},
    [YSG_RGBA32F_LINEAR] = {"rgba32f_linear", 4, 32, 1},
    [YSG_RGB8_SRGB] = {"rgb8", 3, 8, 0},
    [YSG_RGB16_SRGB] = {"rgb16", 3, 16, 0},
    [YSG_RGB32F_SRGB] = {"rgb32f", 3, 32, 1},
    [YSG_RGBA32F_SRGB] = {"rgba32f", 4, 32, 1},
    [YSG_A32F] = {"mask", 1, 32, 1},
};

const char *ysg_pixel_format_name(ysg_pixel_format f) {
  return (unsigned)f < YSG_PIXEL_FORMAT_COUNT ? fmts[f].name : NULL;
}
int ysg_pixel_format_channels(ysg_pixel_format f) {
  return (unsigned)f < YSG_PIXEL_FORMAT_COUNT ? fmts[f].channels : 0;
}
size_t ysg_pixel_format_size(ysg_pixel_format f) {
  return (unsigned)f < YSG_PIXEL_FORMAT_COUNT ? (size_t)fmts[f].channels * (size_t)fmts[f].bits / 8
                                              : 0;
}
void ysg__pixel_format_elem(ysg_pixel_format fmt, int *is_float, int *bits, int *channels) {
  const struct fmt_info *i = &fmts[(unsigned)fmt < YSG_PIXEL_FORMAT_COUNT ? fmt : 0];
  *is_float = i->is_float;
  *bits = i->bits;
  *channels = i->channels;
}

/* ---- tables ------------------------------------------------------------------------------------
 */

static void *table(ysg_context *ctx, void **slot, size_t bytes) {
  if (!*slot) *slot = ysg__alloc_aligned(ctx, bytes, 64);
  return *slot;
}

ysg_status ysg__pixel_luts_need(ysg_context *ctx, ysg_pixel_luts *l, ysg_pixel_format fmt,
                                int decode) {
  if (decode) {
    if ((fmt == YSG_RGBA8_SRGB || fmt == YSG_RGB8_SRGB) && !l->dec8) {
      float *t = table(ctx, (void **)&l->dec8, 256 * sizeof(float));
      if (!t) return YSG_ERR_NOMEM;
      for (int i = 0; i < 256; i++) t[i] = ysg_srgb_to_linear((float)i / 255.0f);
    }
    if ((fmt == YSG_RGBA16_SRGB || fmt == YSG_RGB16_SRGB) && !l->dec16) {
      float *t = table(ctx, (void **)&l->dec16, 65536 * sizeof(float));
      if (!t) return YSG_ERR_NOMEM;
      for (int i = 0; i < 65536; i++) t[i] = ysg_srgb_to_linear((float)i / 65535.0f);
    }
    if ((fmt == YSG_RGB32F_SRGB || fmt == YSG_RGBA32F_SRGB) && !l->decf) {
      float *t = table(ctx, (void **)&l->decf, (YSG_SRGBF_LUT + 2) * sizeof(float));
      if (!t) return YSG_ERR_NOMEM;
      for (int i = 0; i <= YSG_SRGBF_LUT; i++)
        t[i] = ysg_srgb_to_linear((float)i / (float)YSG_SRGBF_LUT);
      t[YSG_SRGBF_LUT + 1] = t[YSG_SRGBF_LUT];
    }
    return YSG_OK;
  }
  if ((fmt == YSG_RGBA8_SRGB || fmt == YSG_RGB8_SRGB) && !l->enc8) {
    uint8_t *t = table(ctx, (void **)&l->enc8, 65536);
    if (!t) return YSG_ERR_NOMEM;
    for (int i = 0; i < 65536; i++) {
      float p[4] = {ysg_half_to_float((uint16_t)i), 0, 0, 1};
      uint32_t q[4];
      ysg_encode_srgb(p, 255.0f, q);
      t[i] = (uint8_t)q[0];
    }
  }
  if ((fmt == YSG_RGBA16_SRGB || fmt == YSG_RGB16_SRGB) && !l->enc16) {
    uint16_t *t = table(ctx, (void **)&l->enc16, 65536 * sizeof(uint16_t));
    if (!t) return YSG_ERR_NOMEM;
    for (int i = 0; i < 65536; i++) {
      float p[4] = {ysg_half_to_float((uint16_t)i), 0, 0, 1};
      uint32_t q[4];
      ysg_encode_srgb(p, 65535.0f, q);
      t[i] = (uint16_t)q[0];
    }
  }
  if ((fmt == YSG_RGB32F_SRGB || fmt == YSG_RGBA32F_SRGB) && !l->encf) {
    float *t = table(ctx, (void **)&l->encf, 65536 * sizeof(float));
    if (!t) return YSG_ERR_NOMEM;
    for (int i = 0; i < 65536; i++) t[i] = ysg_linear_to_srgb(ysg_half_to_float((uint16_t)i));
  }
  return YSG_OK;
}

void ysg__pixel_luts_free(ysg_context *ctx, ysg_pixel_luts *l) {
  void *all[] = {l->dec8, l->dec16, l->decf, l->enc8, l->enc16, l->encf};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ysg__free(ctx, all[i]);
  memset(l, 0, sizeof *l);
}

/* ---- decoding ----------------------------------------------------------------------------------
 */

static int finite_bits(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return (b & 0x7f800000u) != 0x7f800000u;
}

/* sRGB 0..1 (clamped) -> linear through the lerped table */
static float srgbf_to_linear(const float *t, float v) {
  float c = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
  float x = c * (float)YSG_SRGBF_LUT;
  int i = (int)x;
  float f = x - (float)i;
  return t[i] + (t[i + 1] - t[i]) * f;
}

/* n pixels of float sRGB with c channels (a constant where it is inlined) into f; 1 when a
 * value is not finite */
static inline int decode_srgbf(const ysg_pixel_luts *l, const unsigned char *src, float *f, int n,
                               const int c) {
  int bad = 0;
  for (int i = 0; i < n; i++, src += 4 * c, f += 4) {
    float s[4] = {0, 0, 0, 1};
    memcpy(s, src, 4 * (size_t)c);
    for (int q = 0; q < c; q++) bad |= !finite_bits(s[q]);
    float a = ysg_clamp01(s[3]);
    for (int q = 0; q < 3; q++) f[q] = srgbf_to_linear(l->decf, s[q]) * a;
    f[3] = a;
  }
  return bad;
}

/* one chunk of n pixels into f (n × 4 floats, linear premultiplied); -1 or the bad pixel */
static int decode_chunk(const ysg_pixel_luts *l, ysg_pixel_format fmt, const unsigned char *src,
                        float *f, int n, int *channel) {
  switch (fmt) {
    case YSG_RGBA8_SRGB:
    case YSG_RGB8_SRGB: {
      int c = fmt == YSG_RGB8_SRGB ? 3 : 4;
      for (int i = 0; i < n; i++, src += c, f += 4) {
        float a = c == 4 ? (float)src[3] * (1.0f / 255.0f) : 1.0f;
        for (int q = 0; q < 3; q++) f[q] = l->dec8[src[q]] * a;
        f[3] = a;
      }
      return -1;
    }
    case YSG_RGBA16_SRGB:
    case YSG_RGB16_SRGB: {
      int c = fmt == YSG_RGB16_SRGB ? 3 : 4;
      for (int i = 0; i < n; i++, src += 2 * c, f += 4) {
        uint16_t s[4] = {0, 0, 0, 65535};
        memcpy(s, src, 2 * (size_t)c);
        float a = (float)s[3] * (1.0f / 65535.0f);
        for (int q = 0; q < 3; q++) f[q] = l->dec16[s[q]] * a;
        f[3] = a;
      }
      return -1;
    }
    case YSG_RGB32F_SRGB:
    case YSG_RGBA32F_SRGB: {
      int c = fmt == YSG_RGB32F_SRGB ? 3 : 4;
      int bad = c == 3 ? decode_srgbf(l, src, f, n, 3) : decode_srgbf(l, src, f, n, 4);
      if (bad) /* where: looked for after, so that the loop above has no exit */
        for (int i = 0; i < n * c; i++) {
          float v;
          memcpy(&v, src + 4 * (size_t)i, 4);
          if (!finite_bits(v)) {
            *channel = i % c;
            return i / c;
          }
        }
      return -1;
    }
    case YSG_A32F:
      for (int i = 0; i < n; i++, src += 4, f += 4) {
        float a;
        memcpy(&a, src, 4);
        if (!finite_bits(a)) {
          *channel = 0;
          return i;
        }
        a = ysg_clamp01(a);
        f[0] = f[1] = f[2] = f[3] = a;
      }
      return -1;
    case YSG_RGBA32F_LINEAR:
      memcpy(f, src, (size_t)n * 16);
      for (int i = 0; i < n * 4; i++)
        if (!finite_bits(f[i])) {
          *channel = i % 4;
          return i / 4;
        }
      return -1;
    default:
      return -1;
  }
}

YSG_CPU_CLONES static int decode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt, const void *src,
                                     uint16_t *dst, int w, int *channel, int *any) {
  const unsigned char *s = src;
  uint32_t nonzero = 0;
  if (fmt == YSG_RGBA16F_LINEAR) {
    memcpy(dst, s, (size_t)w * 8);
    for (int i = 0; i < w * 4; i++) {
      if ((dst[i] & 0x7c00u) == 0x7c00u) {
        *channel = i % 4;
        return i / 4;
      }
      nonzero |= dst[i] & 0x7fffu;
    }
    if (nonzero) *any = 1;
    return -1;
  }
  size_t px_bytes = ysg_pixel_format_size(fmt);
  float f[CHUNK * 4];
  for (int x = 0; x < w; x += CHUNK) {
    int n = w - x < CHUNK ? w - x : CHUNK;
    int bad = decode_chunk(l, fmt, s + (size_t)x * px_bytes, f, n, channel);
    if (bad >= 0) return x + bad;
    uint16_t *d = dst + (size_t)x * 4;
    ysg_floats_to_halves(f, d, n * 4);
    for (int i = 0; i < n * 4; i++) nonzero |= d[i] & 0x7fffu; /* -0 adds nothing */
  }
  if (nonzero) *any = 1;
  return -1;
}

/* ---- encoding ----------------------------------------------------------------------------------
 */

/* 8/16-bit sRGB, c channels: opaque pixels by table, transparent ones to 0, others computed */
static void encode_int(const ysg_pixel_luts *l, int bits, int c, const uint16_t *s,
                       unsigned char *dst, int n) {
  for (int i = 0; i < n; i++, s += 4) {
    uint32_t q[4];
    if (s[3] == 0x3c00u) { /* alpha 1.0 */
      for (int k = 0; k < 3; k++) q[k] = bits == 8 ? l->enc8[s[k]] : l->enc16[s[k]];
      q[3] = bits == 8 ? 255u : 65535u;
    } else if ((s[3] & 0x7fffu) == 0) {
      q[0] = q[1] = q[2] = q[3] = 0;
    } else {
      float p[4];
      ysg_load_px(s, p);
      ysg_encode_srgb(p, bits == 8 ? 255.0f : 65535.0f, q);
    }
    if (bits == 8) {
      for (int k = 0; k < c; k++) dst[(size_t)i * (size_t)c + (size_t)k] = (uint8_t)q[k];
    } else {
      uint16_t v[4] = {(uint16_t)q[0], (uint16_t)q[1], (uint16_t)q[2], (uint16_t)q[3]};
      memcpy(dst + (size_t)i * 2 * (size_t)c, v, 2 * (size_t)c);
    }
  }
}

/* float sRGB 0..1 straight, c channels */
static void encode_srgbf(const ysg_pixel_luts *l, int c, const uint16_t *s, float *f,
                         unsigned char *dst, int n) {
  int opaque = 1;
  for (int i = 0; i < n; i++) opaque &= s[4 * i + 3] == 0x3c00u;
  if (opaque) { /* the usual case (a frame under the overlay): table lookups only */
    for (int i = 0; i < n; i++)
      for (int k = 0; k < c; k++) {
        float v = k < 3 ? l->encf[s[4 * i + k]] : 1.0f;
        memcpy(dst + ((size_t)i * (size_t)c + (size_t)k) * 4, &v, 4);
      }
    return;
  }
  for (int i = 0; i < n; i++, s += 4, f += 4) {
    float o[4];
    if (s[3] == 0x3c00u) {
      o[0] = l->encf[s[0]], o[1] = l->encf[s[1]], o[2] = l->encf[s[2]], o[3] = 1.0f;
    } else if ((s[3] & 0x7fffu) == 0) {
      o[0] = o[1] = o[2] = o[3] = 0.0f;
    } else {
      float a = ysg_clamp01(f[3]);
      float inv = a > 0.0f ? 1.0f / a : 0.0f;
      for (int k = 0; k < 3; k++) o[k] = ysg_linear_to_srgb(f[k] * inv);
      o[3] = a;
    }
    memcpy(dst + (size_t)i * 4 * (size_t)c, o, 4 * (size_t)c);
  }
}

YSG_CPU_CLONES static void encode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt,
                                      const uint16_t *src, void *dst, int w) {
  unsigned char *d = dst;
  switch (fmt) {
    case YSG_RGBA16F_LINEAR:
      memcpy(d, src, (size_t)w * 8);
      return;
    case YSG_RGBA32F_LINEAR:
      ysg_halves_to_floats(src, (float *)(void *)d, w * 4);
      return;
    case YSG_RGBA8_SRGB:
    case YSG_RGB8_SRGB:
    case YSG_RGBA16_SRGB:
    case YSG_RGB16_SRGB:
      encode_int(l, fmt == YSG_RGBA8_SRGB || fmt == YSG_RGB8_SRGB ? 8 : 16,
                 ysg_pixel_format_channels(fmt), src, d, w);
      return;
    default:
      break;
  }
  size_t px_bytes = ysg_pixel_format_size(fmt);
  float f[CHUNK * 4];
  for (int x = 0; x < w; x += CHUNK) {
    int n = w - x < CHUNK ? w - x : CHUNK;
    const uint16_t *s = src + (size_t)x * 4;
    unsigned char *o = d + (size_t)x * px_bytes;
    ysg_halves_to_floats(s, f, n * 4);
    if (fmt == YSG_A32F) {
      for (int i = 0; i < n; i++) {
        float a = ysg_clamp01(f[i * 4 + 3]);
        memcpy(o + (size_t)i * 4, &a, 4);
      }
    } else {
      encode_srgbf(l, ysg_pixel_format_channels(fmt), s, f, o, n);
    }
  }
}

/* the cloned converters are static: a clone's ifunc dispatcher of an extern function would not
 * inherit -fvisibility=hidden and would leave the shared library (tests/exports.sh) */
int ysg__pixels_decode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt, const void *src,
                           uint16_t *dst, int w, int *channel, int *any) {
  return decode_row(l, fmt, src, dst, w, channel, any);
}

void ysg__pixels_encode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt, const uint16_t *src,
                            void *dst, int w) {
  encode_row(l, fmt, src, dst, w);
}
