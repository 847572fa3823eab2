/* frame_convert.c — the converters of frame_convert.h: FP16 linear premultiplied rows into sRGB
 * straight-alpha samples (a table for opaque pixels, ysg_encode_srgb for the rest) and into
 * Y'CbCr planes (sRGB-encoded R'G'B' by table, the yuv.h matrix, chroma of block means). */
#include "frame_convert.h"

#include <string.h>

#include "color.h"

/* ---- sRGB straight alpha ------------------------------------------------------------------- */
void ysg__srgb_conv_init(ysg_srgb_conv *c, int bits, void *lut) {
  c->bits = bits;
  c->lut8 = bits == 8 ? lut : NULL;
  c->lut16 = bits == 8 ? NULL : lut;
  for (int i = 0; i < 65536; i++) {
    float p[4] = {ysg_half_to_float((uint16_t)i), 0.0f, 0.0f, 1.0f};
    uint32_t q[4];
    ysg_encode_srgb(p, bits == 8 ? 255.0f : 65535.0f, q);
    if (c->lut8)
      c->lut8[i] = (uint8_t)q[0];
    else
      c->lut16[i] = (uint16_t)q[0];
  }
}

static void srgb_px(const ysg_srgb_conv *c, const uint16_t *s, unsigned char *d, int npx) {
  for (int i = 0; i < npx; i++, s += 4) {
    uint32_t q[4];
    if (s[3] == 0x3c00) { /* alpha 1.0 */
      if (c->lut8) {
        q[0] = c->lut8[s[0]], q[1] = c->lut8[s[1]], q[2] = c->lut8[s[2]], q[3] = 255;
      } else {
        q[0] = c->lut16[s[0]], q[1] = c->lut16[s[1]], q[2] = c->lut16[s[2]], q[3] = 65535;
      }
    } else if ((s[3] & 0x7fffu) == 0) { /* alpha ±0: ysg_encode_srgb gives all zero */
      q[0] = q[1] = q[2] = q[3] = 0;
    } else {
      float p[4];
      ysg_load_px(s, p);
      ysg_encode_srgb(p, c->lut8 ? 255.0f : 65535.0f, q);
    }
    if (c->lut8) {
      for (int k = 0; k < 4; k++) d[i * 4 + k] = (uint8_t)q[k];
    } else {
      uint16_t *d16 = (uint16_t *)d + (size_t)i * 4;
      for (int k = 0; k < 4; k++) d16[k] = (uint16_t)q[k];
    }
  }
}

void ysg__srgb_convert_rows(const ysg_srgb_conv *c, const ysg_value *in, uint8_t *dst,
                            size_t stride, int y0, int y1) {
  const int W = in->width;
  const int tiles_x = in->tiles_x > 0 ? in->tiles_x : (W + YSG_TILE - 1) / YSG_TILE;
  const size_t bpp = (size_t)(c->bits / 8) * 4;
  for (int y = y0; y < y1; y++) {
    const uint16_t *src = in->px + (size_t)y * (size_t)W * 4;
    unsigned char *row = dst + (size_t)y * stride;
    if (!in->tiles) {
      srgb_px(c, src, row, W);
      continue;
    }
    /* Empty tiles (all zero) encode to zero bytes: skip their conversion. */
    const uint8_t *flags = in->tiles + (size_t)(y / YSG_TILE) * (size_t)tiles_x;
    for (int tx = 0; tx * YSG_TILE < W; tx++) {
      int a = tx * YSG_TILE, b = a + YSG_TILE < W ? a + YSG_TILE : W;
      if (flags[tx])
        srgb_px(c, src + (size_t)a * 4, row + (size_t)a * bpp, b - a);
      else
        memset(row + (size_t)a * bpp, 0, (size_t)(b - a) * bpp);
    }
  }
}

/* ---- Y'CbCr -------------------------------------------------------------------------------- */
void ysg__yuv_lut_init(float *lut) {
  for (int i = 0; i < 65536; i++) lut[i] = ysg_linear_to_srgb(ysg_half_to_float((uint16_t)i));
}

static inline int quant(float v, int maxv) {
  int i = (int)(v + 0.5f);
  return i < 0 ? 0 : (i > maxv ? maxv : i);
}

/* Y' code value alone: the expression ysg_rgb_prime_to_yuv uses, without its chroma. */
static inline float rgb_prime_to_y(const ysg_yuv_params *p, const float rgb[3]) {
  float kg = 1.0f - p->kr - p->kb;
  return p->y_off + p->y_scale * (p->kr * rgb[0] + kg * rgb[1] + p->kb * rgb[2]);
}

void ysg__yuv_store(const ysg_yuv_layout *l, uint8_t *dst, int step, const float *v, int n) {
  const int maxv = (1 << l->bits) - 1, shift = l->semi ? 6 : 0;
  if (l->bits == 8) {
    for (int i = 0; i < n; i++) dst[i * step] = (uint8_t)quant(v[i], maxv);
  } else if (step == 1) {
    uint16_t *d = (uint16_t *)dst;
    for (int i = 0; i < n; i++) d[i] = (uint16_t)(quant(v[i], maxv) << shift);
  } else {
    uint16_t *d = (uint16_t *)dst;
    for (int i = 0; i < n; i++) d[i * step] = (uint16_t)(quant(v[i], maxv) << shift);
  }
}

#define CHUNK 128 /* pixels, a multiple of YSG_TILE */

/* Pixels [xs, xs + n) of chroma row cy: R'G'B' from the table (empty tiles read as zero:
 * black), luma of every pixel, chroma of each block's mean R'G'B'. Laid out in arrays so the
 * compiler vectorises the arithmetic. xs is a multiple of YSG_TILE. */
static void convert_span(const ysg_yuv_conv *c, const ysg_value *in, const ysg_yuv_planes *out,
                         const uint8_t *flags, int cy, int xs, int n) {
  const ysg_yuv_params yp = c->yuv, *p = &yp; /* a local copy: the byte stores cannot alias it */
  const ysg_yuv_layout *l = &c->lay;
  const int W = in->width, sx = l->sx, gw = 1 << sx, gh = 1 << l->sy, y0 = cy * gh;
  const size_t bps = l->bits > 8 ? 2 : 1; /* bytes per sample */
  const float *lut = c->lut;
  float e[2][3][CHUNK]; /* [row in group][R', G', B'][pixel in chunk] */
  float m[3][CHUNK];    /* the groups' mean R'G'B' */
  float y[CHUNK], cb[CHUNK], cr[CHUNK];
  for (int dy = 0; dy < gh; dy++) {
    const uint16_t *s = in->px + ((size_t)(y0 + dy) * (size_t)W + (size_t)xs) * 4;
    float *r = e[dy][0], *g = e[dy][1], *b = e[dy][2];
    for (int a = 0; a < n; a += YSG_TILE) {
      const int z = a + YSG_TILE < n ? a + YSG_TILE : n;
      if (flags && !flags[(xs + a) / YSG_TILE]) {
        for (int i = a; i < z; i++) r[i] = g[i] = b[i] = 0.0f;
        continue;
      }
      for (int i = a; i < z; i++)
        r[i] = lut[s[i * 4]], g[i] = lut[s[i * 4 + 1]], b[i] = lut[s[i * 4 + 2]];
    }
    for (int i = 0; i < n; i++) {
      float rgb[3] = {r[i], g[i], b[i]};
      y[i] = rgb_prime_to_y(p, rgb);
    }
    ysg__yuv_store(
        l, out->data[0] + (size_t)(y0 + dy) * (size_t)out->linesize[0] + (size_t)xs * bps, 1, y, n);
  }
  const int nc = (n + gw - 1) >> sx;
  if (gw == 2 && gh == 2) { /* 4:2:0 */
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < nc; i++)
        m[k][i] =
            (e[0][k][2 * i] + e[0][k][2 * i + 1] + e[1][k][2 * i] + e[1][k][2 * i + 1]) * 0.25f;
  } else if (gw == 1 && gh == 1) { /* 4:4:4 */
    memcpy(m, e[0], sizeof m);
  } else { /* 4:2:2 */
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < nc; i++) m[k][i] = (e[0][k][2 * i] + e[0][k][2 * i + 1]) * 0.5f;
  }
  for (int i = 0; i < nc; i++) {
    float rgb[3] = {m[0][i], m[1][i], m[2][i]}, yy;
    ysg_rgb_prime_to_yuv(p, rgb, &yy, &cb[i], &cr[i]);
  }
  const size_t cx = (size_t)(xs >> sx);
  if (l->semi) { /* P010: Cb, Cr interleaved in plane 1 */
    uint8_t *row = out->data[1] + (size_t)cy * (size_t)out->linesize[1] + cx * 4;
    ysg__yuv_store(l, row, 2, cb, nc);
    ysg__yuv_store(l, row + 2, 2, cr, nc);
  } else {
    ysg__yuv_store(l, out->data[1] + (size_t)cy * (size_t)out->linesize[1] + cx * bps, 1, cb, nc);
    ysg__yuv_store(l, out->data[2] + (size_t)cy * (size_t)out->linesize[2] + cx * bps, 1, cr, nc);
  }
}

void ysg__yuv_convert_rows(const ysg_yuv_conv *c, const ysg_value *in, const ysg_yuv_planes *out,
                           const uint8_t *skip, int cy0, int cy1) {
  const int W = in->width, gh = 1 << c->lay.sy;
  const int tiles_x = in->tiles_x > 0 ? in->tiles_x : (W + YSG_TILE - 1) / YSG_TILE;
  for (int cy = cy0; cy < cy1; cy++) {
    const size_t trow = (size_t)(cy * gh / YSG_TILE) * (size_t)tiles_x;
    const uint8_t *flags = in->tiles ? in->tiles + trow : NULL;
    const uint8_t *sk = skip ? skip + trow : NULL;
    for (int xs = 0; xs < W;) {
      if (sk && sk[xs / YSG_TILE]) { /* left to the caller */
        xs += YSG_TILE;
        continue;
      }
      int xe = xs; /* a run of tiles to convert, at most CHUNK pixels */
      while (xe < W && xe - xs < CHUNK && !(sk && sk[xe / YSG_TILE])) xe += YSG_TILE;
      if (xe > W) xe = W;
      convert_span(c, in, out, flags, cy, xs, xe - xs);
      xs = xe;
    }
  }
}
