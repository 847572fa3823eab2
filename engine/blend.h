/* blend.h — compositing and background math shared by the CPU nodes (nodes/merge.c, fill.c,
 * gradient.c) and the CUDA kernels (cuda/composite.cu): the separable blend modes of W3C
 * Compositing and Blending Level 1 on premultiplied linear-light RGBA, the one-pixel N-layer
 * composite of merge, its tile-occupancy rule, and the per-pixel gradient. Compiled by gcc and
 * nvcc alike (ARCHITECTURE §4), so a CPU test of this file is a test of the kernels' math. */
#ifndef YSG_BLEND_H
#define YSG_BLEND_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "color.h"
#include "hd.h"

/* Blend modes; the order is the merge node's `mode` choices (YSG_BLEND_CHOICES), so the enum
 * index a param holds is the mode. max and min are the lighten and darken of other tools. */
typedef enum ysg_blend_mode {
  YSG_BLEND_NORMAL,
  YSG_BLEND_ADD,
  YSG_BLEND_MULTIPLY,
  YSG_BLEND_SCREEN,
  YSG_BLEND_OVERLAY,
  YSG_BLEND_LIGHTEN,
  YSG_BLEND_DARKEN,
  YSG_BLEND_DIFFERENCE,
  YSG_BLEND_MAX,
  YSG_BLEND_MIN,
  YSG_BLEND_COUNT
} ysg_blend_mode;

#define YSG_BLEND_CHOICES "normal|add|multiply|screen|overlay|lighten|darken|difference|max|min"

/* One merge layer's per-frame settings (host and device memory share this layout). */
typedef struct ysg_blend_layer {
  int32_t mode;  /* ysg_blend_mode */
  float opacity; /* 0..1, scales the premultiplied source */
} ysg_blend_layer;

/* fminf/fmaxf must order NaNs, which without -ffinite-math-only makes them library calls on
 * the CPU; plain compares compile to one min/max instruction on both sides. */
YSG_HD float ysg_minf(float a, float b) { return a < b ? a : b; }
YSG_HD float ysg_maxf(float a, float b) { return a > b ? a : b; }

/* Composite src (premultiplied, scaled by opacity first) onto dst (premultiplied) in place.
 * Separable modes follow co = cs·(1−αb) + cb·(1−αs) + αs·αb·B(Cb, Cs) with Cb = cb/αb and
 * Cs = cs/αs; the last term is written in premultiplied form where B allows it, which needs no
 * division and is exact for transparent pixels. add is Porter-Duff plus: colours are summed
 * unclamped (linear light may exceed 1 until output), alpha saturates at 1. A fully transparent
 * source (all four zero) leaves dst unchanged in every mode, which is what lets merge skip empty
 * tiles. */
YSG_HD void ysg_blend_px(int mode, const float src[4], float opacity, float dst[4]) {
  /* all four lanes run the same operations (alpha is the channel whose B is 1), which lets the
   * C compiler keep a pixel in one SIMD register */
  float s[4], m[4];
  for (int c = 0; c < 4; c++) s[c] = src[c] * opacity;
  float as = s[3], ab = dst[3];
  if (mode == YSG_BLEND_ADD) {
    for (int c = 0; c < 4; c++) dst[c] += s[c];
    dst[3] = ysg_minf(1.0f, dst[3]);
    return;
  }
  /* only overlay needs straight colours; one reciprocal per pixel, not one division per channel */
  float inv_as = as > 0.0f ? 1.0f / as : 0.0f, inv_ab = ab > 0.0f ? 1.0f / ab : 0.0f;
  for (int c = 0; c < 4; c++) {
    float cs = s[c], cb = dst[c]; /* m = αs·αb·B(Cb, Cs) */
    switch (mode) {
      case YSG_BLEND_MULTIPLY:
        m[c] = cs * cb;
        break;
      case YSG_BLEND_SCREEN:
        m[c] = cb * as + cs * ab - cs * cb;
        break;
      case YSG_BLEND_OVERLAY: { /* = HardLight(Cs, Cb); a zero alpha makes m 0 */
        float Cb = cb * inv_ab, Cs = cs * inv_as;
        float b = Cb <= 0.5f ? 2.0f * Cs * Cb : Cs + (2.0f * Cb - 1.0f) - Cs * (2.0f * Cb - 1.0f);
        m[c] = as * ab * b;
        break;
      }
      case YSG_BLEND_LIGHTEN:
      case YSG_BLEND_MAX:
        m[c] = ysg_maxf(cb * as, cs * ab);
        break;
      case YSG_BLEND_DARKEN:
      case YSG_BLEND_MIN:
        m[c] = ysg_minf(cb * as, cs * ab);
        break;
      case YSG_BLEND_DIFFERENCE:
        m[c] = fabsf(cb * as - cs * ab);
        break;
      default: /* normal: B = Cs */
        m[c] = cs * ab;
        break;
    }
  }
  m[3] = as * ab; /* αo = αs·(1−αb) + αb·(1−αs) + αs·αb */
  for (int c = 0; c < 4; c++) dst[c] = s[c] * (1.0f - ab) + dst[c] * (1.0f - as) + m[c];
}

/* Whether layer k contributes to tile `tile`: it is visible and its occupancy is not 0.
 * tiles (the per-layer grids) or tiles[k] may be NULL: occupancy unknown, always read. */
YSG_HD int ysg_layer_active(const uint8_t *const *tiles, const ysg_blend_layer *layers, int k,
                            int tile) {
  if (!(layers[k].opacity > 0.0f)) return 0;
  return !tiles || !tiles[k] || tiles[k][tile] != 0;
}

/* Occupancy of merge's output tile: the background is not transparent, or a layer is active. */
YSG_HD int ysg_merge_tile_flag(const float bg[4], const uint8_t *const *tiles,
                               const ysg_blend_layer *layers, int n, int tile) {
  if (bg[0] != 0.0f || bg[1] != 0.0f || bg[2] != 0.0f || bg[3] != 0.0f) return 1;
  for (int k = 0; k < n; k++)
    if (ysg_layer_active(tiles, layers, k, tile)) return 1;
  return 0;
}

/* One output pixel of merge: start from bg, composite layers 0..n-1 in order, skipping those
 * inactive on this tile. px[k] is layer k's pixel array, off the pixel's offset in halves
 * (4·(y·width + x)). Everything is read before the caller stores out, so the output may share
 * memory with layer 0 (in-place merge). */
YSG_HD void ysg_composite_px(const float bg[4], const uint16_t *const *px,
                             const uint8_t *const *tiles, const ysg_blend_layer *layers, int n,
                             int tile, size_t off, float out[4]) {
  out[0] = bg[0];
  out[1] = bg[1];
  out[2] = bg[2];
  out[3] = bg[3];
  for (int k = 0; k < n; k++) {
    if (!ysg_layer_active(tiles, layers, k, tile)) continue;
    float s[4];
    ysg_load_px(px[k] + off, s);
    ysg_blend_px(layers[k].mode, s, layers[k].opacity, out);
  }
}

/* ---- gradient ------------------------------------------------------------------------------- */

#define YSG_GRADIENT_LUT 512 /* sRGB-space gradients: decoded colours sampled along t */

/* The gradient node's per-frame settings, prepared on the host by ysg_gradient_setup and read by
 * every pixel (the CUDA path keeps it in device memory, so animation needs no re-capture). */
typedef struct ysg_gradient_params {
  float from[4], to[4]; /* premultiplied, in the interpolation space (linear, or sRGB-encoded) */
  float cx, cy;         /* canvas centre, pixels */
  float dx, dy;         /* linear: direction / gradient length, so t = p·d + 0.5 */
  float inv_radius;     /* radial: 1 / distance from the centre to the farthest corner */
  int32_t radial;       /* 0 linear, 1 radial */
  int32_t srgb;         /* 1: interpolate sRGB-encoded values (then read lut) */
  /* srgb: the exact colour (ysg_gradient_mix) at t = i / YSG_GRADIENT_LUT. Three powf per pixel
   * would cost more than everything else in the node; linear interpolation between these
   * samples is within 3e-6 of the exact curve, far below FP16's resolution. */
  float lut[YSG_GRADIENT_LUT + 1][4];
} ysg_gradient_params;

/* Premultiplied linear-light colour at parameter t in [0, 1], computed exactly. */
YSG_HD void ysg_gradient_mix(const ysg_gradient_params *g, float t, float out[4]) {
  for (int c = 0; c < 4; c++) out[c] = (1.0f - t) * g->from[c] + t * g->to[c];
  if (g->srgb) {
    float a = out[3], inv = a > 0.0f ? 1.0f / a : 0.0f;
    for (int c = 0; c < 3; c++) out[c] = ysg_srgb_to_linear(out[c] * inv) * a;
  }
}

/* from/to are linear straight RGBA (as ysg_node_color gives them). angle is in degrees with
 * y down: 0 runs left to right, 90 top to bottom. The linear gradient line passes through the
 * centre and is as long as the canvas's extent along it, so t reaches 0 and 1 exactly at the
 * corners that lie furthest back and ahead (as CSS linear-gradient does). Interpolation is of
 * premultiplied values, so a transparent end does not bleed its colour. */
YSG_HD void ysg_gradient_setup(ysg_gradient_params *g, const float from[4], const float to[4],
                               int radial, double angle_deg, int srgb, int width, int height) {
  for (int c = 0; c < 4; c++) {
    float f = from[c], t = to[c];
    if (c < 3 && srgb) {
      f = ysg_linear_to_srgb(f);
      t = ysg_linear_to_srgb(t);
    }
    g->from[c] = c < 3 ? f * ysg_clamp01(from[3]) : ysg_clamp01(f);
    g->to[c] = c < 3 ? t * ysg_clamp01(to[3]) : ysg_clamp01(t);
  }
  g->cx = 0.5f * (float)width;
  g->cy = 0.5f * (float)height;
  double a = angle_deg * (3.14159265358979323846 / 180.0);
  double ca = cos(a), sa = sin(a);
  /* snap so axis-aligned angles give t that is exactly constant along rows or columns */
  if (fabs(ca) < 1e-9) ca = 0.0;
  if (fabs(sa) < 1e-9) sa = 0.0;
  double len = fabs((double)width * ca) + fabs((double)height * sa);
  g->dx = len > 0.0 ? (float)(ca / len) : 0.0f;
  g->dy = len > 0.0 ? (float)(sa / len) : 0.0f;
  double r = sqrt(0.25 * (double)width * width + 0.25 * (double)height * height);
  g->inv_radius = r > 0.0 ? (float)(1.0 / r) : 0.0f;
  g->radial = radial ? 1 : 0;
  g->srgb = srgb ? 1 : 0;
  if (g->srgb)
    for (int i = 0; i <= YSG_GRADIENT_LUT; i++)
      ysg_gradient_mix(g, (float)i / (float)YSG_GRADIENT_LUT, g->lut[i]);
}

/* Whether any pixel can be non-zero (the occupancy the gradient reports for every tile). */
YSG_HD int ysg_gradient_nonzero(const ysg_gradient_params *g) {
  return g->from[3] > 0.0f || g->to[3] > 0.0f;
}

/* Premultiplied linear-light colour of pixel (x, y), sampled at the pixel centre. */
YSG_HD void ysg_gradient_px(const ysg_gradient_params *g, int x, int y, float out[4]) {
  float px = (float)x + 0.5f - g->cx, py = (float)y + 0.5f - g->cy;
  float t = g->radial ? sqrtf(px * px + py * py) * g->inv_radius : px * g->dx + py * g->dy + 0.5f;
  t = ysg_clamp01(t);
  if (!g->srgb) {
    for (int c = 0; c < 4; c++) out[c] = (1.0f - t) * g->from[c] + t * g->to[c];
    return;
  }
  float f = t * (float)YSG_GRADIENT_LUT;
  int i = (int)f;
  if (i > YSG_GRADIENT_LUT - 1) i = YSG_GRADIENT_LUT - 1;
  float w = f - (float)i;
  for (int c = 0; c < 4; c++) out[c] = (1.0f - w) * g->lut[i][c] + w * g->lut[i + 1][c];
}

#endif /* YSG_BLEND_H */
