/* yuv.h — Y'CbCr <-> linear-light RGB for video input and output, shared by the CPU nodes
 * (nodes/video_in.c, video_out) and the CUDA kernels (cuda/video.cu). A matrix (BT.601 / BT.709 /
 * BT.2020 non-constant luminance) and a code-value mapping (limited or full range, 8..16 bits)
 * turn Y'CbCr code values into R'G'B'; the transfer function is the sRGB one from color.h, so a
 * video frame and a PNG holding the same R'G'B' give the same linear pixels. */
#ifndef YSG_YUV_H
#define YSG_YUV_H

#include "color.h"
#include "hd.h"

enum { YSG_YUV_BT601, YSG_YUV_BT709, YSG_YUV_BT2020 };

typedef struct ysg_yuv_params {
  float kr, kb;   /* luma weights of R' and B' (kg = 1 - kr - kb) */
  float y_off;    /* code value of Y' = 0 (limited 8-bit: 16) */
  float y_scale;  /* code values per unit Y' (limited 8-bit: 219) */
  float c_off;    /* code value of Cb = Cr = 0 (8-bit: 128) */
  float c_scale;  /* code values per unit Cb/Cr (limited 8-bit: 224; full: 255) */
  int bits;       /* bits per code value: 8, 10, 12 or 16 */
  float chroma_x; /* chroma siting inside its block of luma samples, horizontally: 0 left
                     (co-sited: MPEG-2, H.264, HEVC), 0.5 centre (JPEG, MPEG-1) */
  float chroma_y; /* vertically: 0 top, 0.5 centre (MPEG-2, H.264, JPEG), 1 bottom */
} ysg_yuv_params;

/* matrix: YSG_YUV_*; full_range: 0 limited ("tv", 16..235 at 8 bits), 1 full ("pc", 0..255).
 * Full range follows BT.2100 / JPEG: Y = (2^bits - 1)·Y', C = 2^(bits-1) + (2^bits - 1)·P.
 * Chroma siting defaults to MPEG-2/H.264's (left, vertically centred); set it after. */
YSG_HD void ysg_yuv_params_init(ysg_yuv_params *p, int matrix, int full_range, int bits) {
  if (matrix == YSG_YUV_BT601) {
    p->kr = 0.299f, p->kb = 0.114f;
  } else if (matrix == YSG_YUV_BT2020) {
    p->kr = 0.2627f, p->kb = 0.0593f;
  } else {
    p->kr = 0.2126f, p->kb = 0.0722f;
  }
  float unit = (float)(1 << (bits - 8)); /* 8-bit code values scale by 2^(bits-8) */
  if (full_range) {
    float maxv = (float)((1 << bits) - 1);
    p->y_off = 0.0f, p->y_scale = maxv;
    p->c_off = 128.0f * unit, p->c_scale = maxv;
  } else {
    p->y_off = 16.0f * unit, p->y_scale = 219.0f * unit;
    p->c_off = 128.0f * unit, p->c_scale = 224.0f * unit;
  }
  p->bits = bits;
  p->chroma_x = 0.0f;
  p->chroma_y = 0.5f;
}

/* Code values -> R'G'B' (gamma-encoded, clamped to 0..1). */
YSG_HD void ysg_yuv_to_rgb_prime(const ysg_yuv_params *p, float y, float cb, float cr,
                                 float rgb[3]) {
  float Y = (y - p->y_off) / p->y_scale;
  float Pb = (cb - p->c_off) / p->c_scale;
  float Pr = (cr - p->c_off) / p->c_scale;
  float kg = 1.0f - p->kr - p->kb;
  float r = Y + 2.0f * (1.0f - p->kr) * Pr;
  float b = Y + 2.0f * (1.0f - p->kb) * Pb;
  float g = (Y - p->kr * r - p->kb * b) / kg;
  rgb[0] = ysg_clamp01(r);
  rgb[1] = ysg_clamp01(g);
  rgb[2] = ysg_clamp01(b);
}

/* Code values (e.g. 0..255 or 0..1023) -> linear-light RGB (straight): Y'CbCr -> R'G'B' by the
 * matrix, clamped to 0..1, then the sRGB EOTF. */
YSG_HD void ysg_yuv_to_linear(const ysg_yuv_params *p, float y, float cb, float cr, float rgb[3]) {
  ysg_yuv_to_rgb_prime(p, y, cb, cr, rgb);
  rgb[0] = ysg_srgb_to_linear(rgb[0]);
  rgb[1] = ysg_srgb_to_linear(rgb[1]);
  rgb[2] = ysg_srgb_to_linear(rgb[2]);
}

/* R'G'B' (0..1) -> code values, unrounded (the caller rounds and clamps to its range). */
YSG_HD void ysg_rgb_prime_to_yuv(const ysg_yuv_params *p, const float rgb[3], float *y, float *cb,
                                 float *cr) {
  float kg = 1.0f - p->kr - p->kb;
  float Y = p->kr * rgb[0] + kg * rgb[1] + p->kb * rgb[2];
  float Pb = (rgb[2] - Y) / (2.0f * (1.0f - p->kb));
  float Pr = (rgb[0] - Y) / (2.0f * (1.0f - p->kr));
  *y = p->y_off + p->y_scale * Y;
  *cb = p->c_off + p->c_scale * Pb;
  *cr = p->c_off + p->c_scale * Pr;
}

/* Inverse of ysg_yuv_to_linear: linear RGB (straight; clamped to 0..1 by the sRGB OETF) ->
 * Y'CbCr code values, unrounded floats (the caller rounds and clamps). */
YSG_HD void ysg_linear_to_yuv(const ysg_yuv_params *p, const float rgb[3], float *y, float *cb,
                              float *cr) {
  float e[3] = {ysg_linear_to_srgb(rgb[0]), ysg_linear_to_srgb(rgb[1]), ysg_linear_to_srgb(rgb[2])};
  ysg_rgb_prime_to_yuv(p, e, y, cb, cr);
}

/* Chroma upsampling, bilinear: in a plane subsampled by 2^log2 (0: not subsampled), chroma
 * sample i sits at luma coordinate i·2^log2 + site·(2^log2 - 1), site as chroma_x / chroma_y.
 * For luma coordinate x: the two neighbouring chroma samples (clamped to 0..n-1) and the
 * weight of the second. */
YSG_HD void ysg_chroma_taps(int x, int log2, float site, int n, int *i0, int *i1, float *w) {
  if (log2 == 0) {
    *i0 = *i1 = x < n ? x : n - 1;
    *w = 0.0f;
    return;
  }
  float u = ((float)x - site * (float)((1 << log2) - 1)) / (float)(1 << log2);
  float f = floorf(u);
  int a = (int)f, b = a + 1;
  *w = u - f;
  a = a < 0 ? 0 : (a > n - 1 ? n - 1 : a);
  b = b < 0 ? 0 : (b > n - 1 ? n - 1 : b);
  *i0 = a;
  *i1 = b;
}

/* Bilinear mix of four chroma samples: c00, c01 on the first row (weights 1-wx, wx), c10, c11
 * on the second (weight wy). */
YSG_HD float ysg_chroma_mix(float c00, float c01, float c10, float c11, float wx, float wy) {
  float top = c00 + (c01 - c00) * wx;
  float bot = c10 + (c11 - c10) * wx;
  return top + (bot - top) * wy;
}

/* The matrix a stream without colour tags gets: BT.601 below 720 lines, BT.709 from 720 up
 * (what players assume). Unspecified range is limited. */
YSG_HD int ysg_yuv_default_matrix(int height) {
  return height < 720 ? YSG_YUV_BT601 : YSG_YUV_BT709;
}

#endif /* YSG_YUV_H */
