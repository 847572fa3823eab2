/* text_math.h — the `text` node's per-pixel math, shared by nodes/text.c and cuda/text.cu (YSG_HD):
 * the primitives a frame's labels become (one per label for its plate, one per placed glyph), the
 * bilinear distance lookup in the glyph atlas, the shading of one label at one pixel from its
 * text distance, its shadow distance and its plate, and the tile walk both backends share: the
 * glyphs of one label form one union shape (the minimum distance over them), labels composite
 * in order. Distances are canvas pixels, negative inside; pixel centres at integer + 0.5. */
#ifndef YSG_TEXT_MATH_H
#define YSG_TEXT_MATH_H

#include <math.h>
#include <stdint.h>

#include "bbox_math.h"
#include "bins.h"
#include "hd.h"
#include "sdf.h"

#define YSG_TEXT_FAR 1.0e6f             /* distance of a pixel no glyph of the label reaches */
#define YSG_TEXT_DQ_INV (1.0f / 256.0f) /* texels per atlas unit (text_font.h's YSG_TEXT_DQ) */

enum { YSG_TEXT_PLATE = 0, YSG_TEXT_GLYPH = 1 };

/* One label's look (host and device share this layout). Colours premultiplied, linear. */
typedef struct ysg_text_style {
  float fill[4], outline[4], shadow[4], plate[4];
  float outline_w; /* px outside the glyph edges; 0: none */
  float shadow_dx, shadow_dy, shadow_blur;
  float pcx, pcy, phx, phy, pr; /* plate: centre, half sizes, corner radius (phx <= 0: none) */
  int32_t has_shadow;           /* 1: draw the shadow */
  float pad[2];
} ysg_text_style;

/* A primitive: a label's plate (kind PLATE), or one glyph (kind GLYPH) placed on the canvas.
 * Rectangles are pixel indices, inclusive (x0 > x1: empty). The footprint holds every pixel the
 * primitive can change (binning and shading); a glyph's text distance is looked up on its text
 * rectangle (its ink grown by the outline and a pixel), its shadow distance on the shadow
 * rectangle (the text rectangle moved by the shadow offset and grown by the blur); both are cut
 * to where the bilinear lookup stays inside the bitmap.
 * The atlas is built at k texels per pixel of the text (k = 2 for small text, so stems thinner than
 * two pixels keep their depth between texel centres), so a glyph's pixel grid maps onto its texel
 * grid with a constant phase: pixel (x, y) reads texels (k·x - ox, k·y - oy) and the next ones
 * with the constant weights (fu, fv); the shadow reads with (sox, soy, sfu, sfv). */
typedef struct ysg_text_prim {
  int32_t kind, label; /* label: index into the frame's styles */
  int32_t fx0, fy0, fx1, fy1;
  int32_t tx0, ty0, tx1, ty1;
  int32_t sx0, sy0, sx1, sy1;
  int32_t offset; /* glyph: first texel in the atlas */
  int32_t w, h;   /* glyph: texels */
  int32_t k;      /* texels per pixel */
  int32_t hw;     /* glyph: texels per stream of a row, ceil(w / k) */
  int32_t ox, oy, sox, soy;
  float fu, fv, sfu, sfv;
  float inv_k;
} ysg_text_prim;

/* Where texel j of a glyph row lies: with k texels per pixel a row stores its texels in k
 * streams of hw = ceil(w / k), texel j at (j mod k)·hw + j div k (floored; j may be a little
 * outside the row: the atlas is padded). So the texels a row of pixels reads — k·x + c and
 * k·x + c + 1 for pixels x — lie in two contiguous streams, which vectorise. */
YSG_HD int ysg_text_stream_offset(int hw, int k, int j) {
  int q = j >= 0 ? j / k : -((-j + k - 1) / k);
  return (j - q * k) * hw + q;
}
YSG_HD const int16_t *ysg_text_stream(const int16_t *row, int hw, int k, int j) {
  return row + ysg_text_stream_offset(hw, k, j);
}

/* Distance (pixels) of pixel i of the streams a0, b0 (row 0: the left and right texel of each
 * bilinear pair) and a1, b1 (row 1): bilinear with weights (fu, fv), texels times inv_k = 1/k. */
YSG_HD float ysg_text_texel(const int16_t *a0, const int16_t *b0, const int16_t *a1,
                            const int16_t *b1, int i, float fu, float fv, float inv_k) {
  float a = (float)a0[i] + ((float)b0[i] - (float)a0[i]) * fu;
  float b = (float)a1[i] + ((float)b1[i] - (float)a1[i]) * fu;
  return (a + (b - a) * fv) * (YSG_TEXT_DQ_INV * inv_k);
}

/* The phase of a glyph whose bitmap corner sits at canvas coordinate g, with k texels per pixel:
 * pixel x (centre x + 0.5, texel coordinate k·(x + 0.5 - g) - 0.5) reads texel k·x - *o with
 * weight *f towards the next one. */
YSG_HD void ysg_text_phase(float g, int k, int32_t *o, float *f) {
  float t = (float)k * (0.5f - g) - 0.5f, fl = floorf(t);
  *o = -(int32_t)fl;
  *f = t - fl;
}

/* smoothstep(-r, r, x) */
YSG_HD float ysg_text_ramp(float x, float r) {
  float t = ysg_clampf((x + r) / (2.0f * r), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

/* alpha of a shadow at distance d from its shape: a soft edge of half width blur, or the
 * anti-aliased edge without blur */
YSG_HD float ysg_text_shadow_alpha(float d, float blur) {
  return blur > 0.0f ? 1.0f - ysg_text_ramp(d, blur) : ysg_coverage(d);
}

/* Coverage of the glyphs (cf) and of the outline band of width outline_w outside them (co) at
 * text distance dt. */
YSG_HD void ysg_text_fill(float outline_w, float dt, float *cf, float *co) {
  float f = ysg_coverage(dt);
  float o = outline_w > 0.0f ? ysg_coverage(dt - outline_w) - f : 0.0f;
  *cf = f;
  *co = o > 0.0f ? o : 0.0f;
}

/* Label L at pixel centre (px, py), given the minimum glyph distance dt there and ds at the
 * shadow's source point (px - dx, py - dy): shadow, plate, outline, fill, bottom to top, into
 * out (premultiplied). The outline is the band of width outline_w outside the glyph edges, so
 * outline and fill never overlap: their sum is the exact area of each. */
YSG_HD void ysg_text_shade(const ysg_text_style *L, float dt, float ds, float px, float py,
                           float out[4]) {
  float o[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int plate = L->phx > 0.0f && L->phy > 0.0f;
  if (L->has_shadow) {
    float a = ysg_text_shadow_alpha(ds - L->outline_w, L->shadow_blur);
    if (plate) {
      float sx = px - L->shadow_dx - L->pcx, sy = py - L->shadow_dy - L->pcy;
      float ap = L->shadow_blur > 0.0f
                     ? 1.0f - ysg_text_ramp(ysg_sd_round_box(sx, sy, L->phx, L->phy, L->pr),
                                            L->shadow_blur)
                     : ysg_bbox_rrect_cov(fabsf(sx), fabsf(sy), L->phx, L->phy, L->pr);
      a = a > ap ? a : ap;
    }
    for (int c = 0; c < 4; c++) o[c] = L->shadow[c] * a;
  }
  if (plate) {
    float cp = ysg_bbox_rrect_cov(fabsf(px - L->pcx), fabsf(py - L->pcy), L->phx, L->phy, L->pr);
    if (cp > 0.0f) {
      float k = 1.0f - L->plate[3] * cp;
      for (int c = 0; c < 4; c++) o[c] = L->plate[c] * cp + o[c] * k;
    }
  }
  float cf, co;
  ysg_text_fill(L->outline_w, dt, &cf, &co);
  if (cf > 0.0f || co > 0.0f) {
    float t[4];
    for (int c = 0; c < 4; c++) t[c] = L->fill[c] * cf + L->outline[c] * co;
    float k = 1.0f - t[3];
    for (int c = 0; c < 4; c++) o[c] = t[c] + o[c] * k;
  }
  for (int c = 0; c < 4; c++) out[c] = o[c];
}

/* dst = src over dst (premultiplied) */
YSG_HD void ysg_text_over(float dst[4], const float src[4]) {
  float k = 1.0f - src[3];
  for (int c = 0; c < 4; c++) dst[c] = src[c] + dst[c] * k;
}

/* The primitive's binning footprint (its pixel rectangle as a rect prim: pixel i spans
 * [i, i + 1), so the far edge is i + 0.5 and no tile past it is listed). */
YSG_HD void ysg_text_bin(const ysg_text_prim *p, ysg_bin_prim *b) {
  b->ax = (float)p->fx0;
  b->ay = (float)p->fy0;
  b->bx = (float)p->fx1 + 0.5f;
  b->by = (float)p->fy1 + 0.5f;
  b->r = 0.0f;
  b->kind = p->fx0 <= p->fx1 && p->fy0 <= p->fy1 ? YSG_BIN_RECT : -1;
}

/* Pixel (x, y) against a rectangle. */
YSG_HD int ysg_text_in(int x0, int y0, int x1, int y1, int x, int y) {
  return x >= x0 && x <= x1 && y >= y0 && y <= y1;
}

#endif /* YSG_TEXT_MATH_H */
