/* yuv.h — Y'CbCr <-> linear-light RGB for video input and output, shared by the CPU nodes
 * (nodes/video_in.c, video_out) and the CUDA kernels (cuda/video.cu). A matrix (BT.601 / BT.709 /
 * BT.2020 non-constant luminance) and a code-value mapping (limited or full range, 8..16 bits)
 * turn Y'CbCr code values into R'G'B'. SDR video is decoded with the sRGB transfer function from
 * color.h, so a video frame and a PNG holding the same R'G'B' give the same linear pixels; HDR
 * video (PQ, HLG) is decoded to display light with 1.0 at BT.2408's reference white (203 cd/m²),
 * and BT.2020 primaries are converted to BT.709 (ysg_yuv_finish). Subsampled chroma reaches each
 * pixel from the sample whose block holds it (nearest, FFmpeg's default, so a decode and an encode
 * with box-averaged chroma give the chroma back) or bilinearly by the stream's siting. */
#ifndef YSG_YUV_H
#define YSG_YUV_H

#include "color.h"
#include "hd.h"

enum { YSG_YUV_BT601, YSG_YUV_BT709, YSG_YUV_BT2020 };
enum { YSG_TRC_SDR, YSG_TRC_PQ, YSG_TRC_HLG }; /* transfer: sRGB curve / SMPTE ST 2084 / ARIB B67 */
enum { YSG_CHROMA_NEAREST, YSG_CHROMA_BILINEAR };

#define YSG_HDR_WHITE_NITS 203.0f /* BT.2408 reference white: linear 1.0 */
#define YSG_HLG_PEAK_NITS 1000.0f /* HLG's nominal display peak: BT.2100's OOTF, gamma 1.2 */

typedef struct ysg_yuv_params {
  float kr, kb;      /* luma weights of R' and B' (kg = 1 - kr - kb) */
  float y_off;       /* code value of Y' = 0 (limited 8-bit: 16) */
  float y_scale;     /* code values per unit Y' (limited 8-bit: 219) */
  float c_off;       /* code value of Cb = Cr = 0 (8-bit: 128) */
  float c_scale;     /* code values per unit Cb/Cr (limited 8-bit: 224; full: 255) */
  int bits;          /* bits per code value: 8, 10, 12 or 16 */
  float chroma_x;    /* chroma siting inside its block of luma samples, horizontally: 0 left
                        (co-sited: MPEG-2, H.264, HEVC), 0.5 centre (JPEG, MPEG-1) */
  float chroma_y;    /* vertically: 0 top, 0.5 centre (MPEG-2, H.264, JPEG), 1 bottom */
  int chroma_filter; /* YSG_CHROMA_*: how subsampled chroma reaches every pixel */
  int transfer;      /* YSG_TRC_* */
  int bt2020;        /* BT.2020 primaries: converted to BT.709 by ysg_yuv_finish */
} ysg_yuv_params;

/* matrix: YSG_YUV_*; full_range: 0 limited ("tv", 16..235 at 8 bits), 1 full ("pc", 0..255).
 * Full range follows BT.2100 / JPEG: Y = (2^bits - 1)·Y', C = 2^(bits-1) + (2^bits - 1)·P.
 * Chroma siting defaults to MPEG-2/H.264's (left, vertically centred), the chroma filter to
 * nearest, the transfer to SDR with BT.709 primaries; set them after. */
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
  p->chroma_filter = YSG_CHROMA_NEAREST;
  p->transfer = YSG_TRC_SDR;
  p->bt2020 = 0;
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

/* SMPTE ST 2084 (PQ) EOTF: signal 0..1 -> display light in units of 10000 cd/m². */
YSG_HD float ysg_pq_eotf(float e) {
  const float m1 = 2610.0f / 16384.0f, m2 = 2523.0f / 4096.0f * 128.0f;
  const float c1 = 3424.0f / 4096.0f, c2 = 2413.0f / 4096.0f * 32.0f,
              c3 = 2392.0f / 4096.0f * 32.0f;
  float p = powf(e > 0.0f ? e : 0.0f, 1.0f / m2);
  float num = p - c1 > 0.0f ? p - c1 : 0.0f;
  return powf(num / (c2 - c3 * p), 1.0f / m1);
}

/* ARIB STD-B67 / BT.2100 HLG inverse OETF: signal 0..1 -> scene light 0..1. */
YSG_HD float ysg_hlg_inverse_oetf(float e) {
  const float a = 0.17883277f, b = 0.28466892f, c = 0.55991073f;
  if (e <= 0.0f) return 0.0f;
  return e <= 0.5f ? e * e / 3.0f : (expf((e - c) / a) + b) / 12.0f;
}

/* One channel's transfer to linear: SDR, the sRGB EOTF; PQ, display light relative to reference
 * white; HLG, scene light (its OOTF mixes channels: ysg_yuv_finish). */
YSG_HD float ysg_transfer_to_linear(int transfer, float e) {
  if (transfer == YSG_TRC_PQ) return ysg_pq_eotf(e) * (10000.0f / YSG_HDR_WHITE_NITS);
  if (transfer == YSG_TRC_HLG) return ysg_hlg_inverse_oetf(e);
  return ysg_srgb_to_linear(e);
}

/* The part of decoding that mixes channels, after ysg_transfer_to_linear: HLG's OOTF (display
 * light = peak · Ys^(1.2 - 1) · scene light, Ys the scene luminance), relative to reference white;
 * BT.2020 primaries -> BT.709 (linear 3×3, BT.2087). Gamut: components a BT.709 display cannot
 * show (negative after the matrix) are clipped to 0; highlights above reference white stay above
 * 1.0 (an SDR output clips them). Nothing to do for SDR video with BT.709 primaries. */
YSG_HD void ysg_yuv_finish(const ysg_yuv_params *p, float rgb[3]) {
  if (p->transfer == YSG_TRC_SDR && !p->bt2020) return;
  if (p->transfer == YSG_TRC_HLG) {
    float ys = 0.2627f * rgb[0] + 0.6780f * rgb[1] + 0.0593f * rgb[2];
    float g = ys > 0.0f ? (YSG_HLG_PEAK_NITS / YSG_HDR_WHITE_NITS) * powf(ys, 0.2f) : 0.0f;
    rgb[0] *= g, rgb[1] *= g, rgb[2] *= g;
  }
  if (p->bt2020) {
    float r = 1.6604910f * rgb[0] - 0.5876411f * rgb[1] - 0.0728499f * rgb[2];
    float g = -0.1245505f * rgb[0] + 1.1328999f * rgb[1] - 0.0083494f * rgb[2];
    float b = -0.0181508f * rgb[0] - 0.1005789f * rgb[1] + 1.1187297f * rgb[2];
    rgb[0] = r, rgb[1] = g, rgb[2] = b;
  }
  for (int c = 0; c < 3; c++) rgb[c] = rgb[c] > 0.0f ? rgb[c] : 0.0f;
}

/* Code values (e.g. 0..255 or 0..1023) -> linear-light RGB (straight): Y'CbCr -> R'G'B' by the
 * matrix, clamped to 0..1, then the transfer function and ysg_yuv_finish. */
YSG_HD void ysg_yuv_to_linear(const ysg_yuv_params *p, float y, float cb, float cr, float rgb[3]) {
  ysg_yuv_to_rgb_prime(p, y, cb, cr, rgb);
  rgb[0] = ysg_transfer_to_linear(p->transfer, rgb[0]);
  rgb[1] = ysg_transfer_to_linear(p->transfer, rgb[1]);
  rgb[2] = ysg_transfer_to_linear(p->transfer, rgb[2]);
  ysg_yuv_finish(p, rgb);
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

/* The taps of luma row or column x (vertical: a row) by the parameters' chroma filter: nearest,
 * the one sample whose block of 2^log2 pixels holds x (weight 0); bilinear, ysg_chroma_taps by
 * the stream's siting. */
YSG_HD void ysg_chroma_taps_p(const ysg_yuv_params *p, int vertical, int x, int log2, int n,
                              int *i0, int *i1, float *w) {
  if (p->chroma_filter == YSG_CHROMA_NEAREST) {
    int i = x >> log2;
    *i0 = *i1 = i < n - 1 ? i : n - 1;
    *w = 0.0f;
    return;
  }
  ysg_chroma_taps(x, log2, vertical ? p->chroma_y : p->chroma_x, n, i0, i1, w);
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
