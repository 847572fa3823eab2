/* matte_math.h — the per-pixel math of the matte nodes (chroma_key, difference_key, matte,
 * mask_in, composite), shared by the CPU nodes (nodes/matte_*.c) and the CUDA kernels
 * (cuda/matte_*.cu; compiled with -fmad=false so both sides round alike). A matte is an image
 * value whose alpha is the matte; matte nodes write (m, m, m, m): premultiplied white, viewable
 * and usable by every image node. Keying works on "code values": linear light re-encoded with
 * the sRGB curve (ysg_matte_code), where chroma distances behave like the video's own. */
#ifndef YSG_MATTE_MATH_H
#define YSG_MATTE_MATH_H

#include <math.h>
#include <stdint.h>

#include "blur_math.h"
#include "color.h"
#include "hd.h"

#define YSG_MATTE_RADIUS_MAX 64    /* px: grow/shrink and the guided filter's box radius */
#define YSG_MATTE_SIGMA_MAX 64     /* px: feather, blur and light-wrap sigmas */
#define YSG_MATTE_BG_SIGMA_MAX 200 /* px: composite's background blur */

/* Linear light -> sRGB code value, clamped to [0, 1]: the sRGB curve's linear toe, and above it
 * a degree-5 polynomial in sqrt(x) (max error 0.00034, 0.09/255; monotone, 1 at 1): one square
 * root and a few multiply-adds, which vectorise on the CPU and cost little on the GPU, where
 * powf would dominate a keyer. */
YSG_HD float ysg_matte_code(float lin) {
  float x = lin > 0.0f ? (lin < 1.0f ? lin : 1.0f) : 0.0f;
  float s = sqrtf(x);
  float fit = 0.483048767f;
  fit = fit * s - 1.54417622f;
  fit = fit * s + 1.96637940f;
  fit = fit * s - 1.38008559f;
  fit = fit * s + 1.51481378f;
  fit = fit * s - 0.0399801582f;
  return x <= 0.0031308f ? 12.92f * x : fit;
}

/* BT.709 chroma of code values: Cb, Cr in [-0.5, 0.5]. */
YSG_HD float ysg_matte_luma(float r, float g, float b) {
  return 0.2126f * r + 0.7152f * g + 0.0722f * b;
}
YSG_HD void ysg_matte_cbcr(float r, float g, float b, float *cb, float *cr) {
  float y = ysg_matte_luma(r, g, b);
  *cb = (b - y) * (1.0f / 1.8556f);
  *cr = (r - y) * (1.0f / 1.5748f);
}

/* Straight colour of a premultiplied pixel (0 where alpha is 0). */
YSG_HD float ysg_matte_unpremul(const float in[4], float c[3]) {
  float a = ysg_clamp01(in[3]);
  float inv = a > 0.0f ? 1.0f / a : 0.0f;
  c[0] = in[0] * inv;
  c[1] = in[1] * inv;
  c[2] = in[2] * inv;
  return a;
}

/* 1 / the width of a ramp; a width of 0 gives a step (a slope of 2^100: 0 at or below t, 1 a
 * hair above). */
YSG_HD float ysg_matte_ramp_inv(float soft) { return soft > 0.0f ? 1.0f / soft : 0x1p100f; }
/* A soft ramp: 0 at or below t, 1 at t + 1/inv. Branch-free, so the CPU loops vectorise. */
YSG_HD float ysg_matte_ramp(float d, float t, float inv) { return ysg_clamp01((d - t) * inv); }

/* ---- chroma_key --------------------------------------------------------------------------- */

/* One frame's chroma key (host parameter block and device memory share this layout). The key
 * fields below `key_rgb` are derived by ysg_chroma_key_finish. */
typedef struct ysg_chroma_key {
  float key_rgb[3]; /* linear straight screen colour (auto_key: measured from the border) */
  float similarity; /* chroma distance that is fully background */
  float blend;      /* distance over which alpha ramps to 1 (0: hard) */
  float despill;    /* 0..1: how much of the spill is removed */
  float mix;        /* despill limit = mix·(first other channel) + (1−mix)·(second) */
  float brightness; /* 0..1: removed spill added back as light of colour tint */
  float tint[3];    /* linear weights of the restored light */
  int32_t premultiply;
  int32_t auto_key, border;
  /* derived */
  float inv_blend; /* ysg_matte_ramp_inv(blend) */
  float key_cb, key_cr;
  float sel[3]; /* one-hot: the screen's channel (largest of key_rgb) */
  float lim[3]; /* weights of the despill limit over the other two channels */
} ysg_chroma_key;

/* Derive the key's chroma and the despill weights from key_rgb. The spill channel is the key's
 * largest; the limit mixes the other two in RGB order (green screen: mix·R + (1−mix)·B, blue
 * screen: mix·R + (1−mix)·G, as FFmpeg's despill). */
YSG_HD void ysg_chroma_key_finish(ysg_chroma_key *k) {
  float r = ysg_matte_code(k->key_rgb[0]), g = ysg_matte_code(k->key_rgb[1]),
        b = ysg_matte_code(k->key_rgb[2]);
  ysg_matte_cbcr(r, g, b, &k->key_cb, &k->key_cr);
  k->inv_blend = ysg_matte_ramp_inv(k->blend);
  int s = k->key_rgb[1] >= k->key_rgb[0] && k->key_rgb[1] >= k->key_rgb[2]
              ? 1
              : (k->key_rgb[2] >= k->key_rgb[0] ? 2 : 0);
  int o1 = s == 0 ? 1 : 0, o2 = s == 2 ? 1 : 2;
  for (int c = 0; c < 3; c++) {
    k->sel[c] = c == s ? 1.0f : 0.0f;
    k->lim[c] = c == o1 ? k->mix : (c == o2 ? 1.0f - k->mix : 0.0f);
  }
}

/* Chroma distance of code values (cb, cr) to the key, scaled like FFmpeg's chromakey:
 * sqrt((ΔCb² + ΔCr²) / 2), so 1 is the largest possible. */
YSG_HD float ysg_chroma_distance(const ysg_chroma_key *k, float cb, float cr) {
  float du = cb - k->key_cb, dv = cr - k->key_cr;
  return sqrtf(0.5f * (du * du + dv * dv));
}

/* Despill a straight linear colour in place: spill = max(0, c[screen] − limit)·despill is
 * taken from the screen channel and brightness·spill·tint added back to all three. */
YSG_HD void ysg_chroma_despill(const ysg_chroma_key *k, float c[3]) {
  float screen = k->sel[0] * c[0] + k->sel[1] * c[1] + k->sel[2] * c[2];
  float limit = k->lim[0] * c[0] + k->lim[1] * c[1] + k->lim[2] * c[2];
  float spill = screen - limit;
  spill = spill > 0.0f ? spill * k->despill : 0.0f;
  float back = spill * k->brightness;
  for (int i = 0; i < 3; i++) c[i] = c[i] - spill * k->sel[i] + back * k->tint[i];
}

/* One pixel: in (premultiplied) -> fg (premultiplied by the matte, or by the input's alpha when
 * premultiply is 0) and the matte m = key alpha × input alpha. */
YSG_HD void ysg_chroma_key_px(const ysg_chroma_key *k, const float in[4], float fg[4], float *m) {
  float c[3];
  float a_in = ysg_matte_unpremul(in, c);
  float cb, cr;
  ysg_matte_cbcr(ysg_matte_code(c[0]), ysg_matte_code(c[1]), ysg_matte_code(c[2]), &cb, &cr);
  float a = ysg_matte_ramp(ysg_chroma_distance(k, cb, cr), k->similarity, k->inv_blend) * a_in;
  ysg_chroma_despill(k, c);
  float s = k->premultiply ? a : a_in;
  fg[0] = c[0] * s;
  fg[1] = c[1] * s;
  fg[2] = c[2] * s;
  fg[3] = s;
  *m = a;
}

/* Auto key: the border band (x or y within `border` px of an edge) of opaque pixels (alpha ≥
 * 0.5). Pass 0 averages the chroma of all of them; pass 1 averages those within
 * YSG_AUTO_KEY_NEAR of pass 0's mean (so a subject touching the border does not pull the key).
 * Sums are fixed point (2^-24) in 64-bit integers: exact and order-independent, so the CPU and
 * the device get the same key. Sum slots: count, cb, cr, r, g, b. */
#define YSG_AUTO_KEY_NEAR 0.1f
#define YSG_AUTO_KEY_SLOTS 6
YSG_HD int64_t ysg_matte_fix(float v) { return (int64_t)floorf(v * 16777216.0f + 0.5f); }
YSG_HD int ysg_auto_key_border(int x, int y, int w, int h, int border) {
  return x < border || y < border || x >= w - border || y >= h - border;
}
/* The contribution of pixel `in` to pass `pass` (mean: pass 0's result for pass 1): adds to
 * sums[6] and returns 1 when it counts. */
YSG_HD int ysg_auto_key_sample(const float in[4], int pass, const ysg_chroma_key *mean,
                               int64_t sums[YSG_AUTO_KEY_SLOTS]) {
  if (!(in[3] >= 0.5f)) return 0;
  float c[3];
  ysg_matte_unpremul(in, c);
  for (int i = 0; i < 3; i++) c[i] = ysg_clamp01(c[i]);
  float cb, cr;
  ysg_matte_cbcr(ysg_matte_code(c[0]), ysg_matte_code(c[1]), ysg_matte_code(c[2]), &cb, &cr);
  if (pass == 1 && !(ysg_chroma_distance(mean, cb, cr) <= YSG_AUTO_KEY_NEAR)) return 0;
  sums[0] += 1;
  sums[1] += ysg_matte_fix(cb);
  sums[2] += ysg_matte_fix(cr);
  sums[3] += ysg_matte_fix(c[0]);
  sums[4] += ysg_matte_fix(c[1]);
  sums[5] += ysg_matte_fix(c[2]);
  return 1;
}
/* Set k's key from a pass's sums (count 0: leave it). key_cb/key_cr are the measured means. */
YSG_HD void ysg_auto_key_apply(const int64_t sums[YSG_AUTO_KEY_SLOTS], ysg_chroma_key *k) {
  if (sums[0] <= 0) return;
  double inv = 1.0 / ((double)sums[0] * 16777216.0);
  for (int i = 0; i < 3; i++) k->key_rgb[i] = (float)((double)sums[3 + i] * inv);
  ysg_chroma_key_finish(k);
  k->key_cb = (float)((double)sums[1] * inv);
  k->key_cr = (float)((double)sums[2] * inv);
}

/* ---- difference_key ------------------------------------------------------------------------ */

typedef struct ysg_diff_key {
  float threshold, inv_softness; /* ysg_matte_ramp_inv(softness) */
  int32_t luma;                  /* 1: |ΔY'|; 0: the largest |Δ| of R', G', B' */
  int32_t premultiply;
} ysg_diff_key;

/* One pixel against the clean plate: fg (as chroma_key's) and the matte. */
YSG_HD void ysg_diff_key_px(const ysg_diff_key *k, const float in[4], const float plate[4],
                            float fg[4], float *m) {
  float c[3], p[3], ci[3], pi[3];
  float a_in = ysg_matte_unpremul(in, c);
  ysg_matte_unpremul(plate, p);
  for (int i = 0; i < 3; i++) ci[i] = ysg_matte_code(c[i]), pi[i] = ysg_matte_code(p[i]);
  float dl = fabsf(ysg_matte_luma(ci[0], ci[1], ci[2]) - ysg_matte_luma(pi[0], pi[1], pi[2]));
  float d0 = fabsf(ci[0] - pi[0]), d1 = fabsf(ci[1] - pi[1]), d2 = fabsf(ci[2] - pi[2]);
  float dm = d0 > d1 ? d0 : d1;
  dm = dm > d2 ? dm : d2;
  float d = k->luma ? dl : dm; /* both computed: a select, so the CPU loop vectorises */
  float a = ysg_matte_ramp(d, k->threshold, k->inv_softness) * a_in;
  float s = k->premultiply ? a : a_in;
  fg[0] = c[0] * s;
  fg[1] = c[1] * s;
  fg[2] = c[2] * s;
  fg[3] = s;
  *m = a;
}

/* ---- mask_in -------------------------------------------------------------------------------- */

enum { YSG_MASK_ALPHA, YSG_MASK_LUMA, YSG_MASK_RED, YSG_MASK_GREEN, YSG_MASK_BLUE };
#define YSG_MASK_SOURCES "alpha|luma|red|green|blue"

/* The matte of a premultiplied pixel: its alpha, or the luma / one channel of its colour over
 * black (premultiplied values), sRGB-encoded when srgb (a matte video or PNG stores the matte as
 * code values), then inverted if asked. Clamped to [0, 1]. */
YSG_HD float ysg_mask_px(const float in[4], int source, int srgb, int invert) {
  float v;
  if (source == YSG_MASK_ALPHA) {
    v = in[3];
  } else {
    v = source == YSG_MASK_LUMA
            ? ysg_matte_luma(in[0], in[1], in[2])
            : (source == YSG_MASK_RED ? in[0] : (source == YSG_MASK_GREEN ? in[1] : in[2]));
    if (srgb) v = ysg_linear_to_srgb(v);
  }
  v = ysg_clamp01(v);
  return invert ? 1.0f - v : v;
}

/* ---- matte (refine) ------------------------------------------------------------------------- */

enum { YSG_FEATHER_OUTWARD, YSG_FEATHER_INWARD, YSG_FEATHER_CENTERED };
#define YSG_FEATHER_CHOICES "outward|inward|centered"

/* Threshold: t ≤ 0 leaves a alone; soft > 0 ramps over [t − soft/2, t + soft/2]; else a ≥ t.
 * Written as selects (every arm computed) so the CPU loop vectorises. */
YSG_HD float ysg_matte_threshold(float a, float t, float soft) {
  float hard = a >= t ? 1.0f : 0.0f;
  float ramp = ysg_clamp01((a - t) / (soft > 0.0f ? soft : 1.0f) + 0.5f);
  float r = soft > 0.0f ? ramp : hard;
  return t > 0.0f ? r : a;
}

/* Feather from the matte a and its Gaussian blur b. For a straight edge b = Φ(−d/σ) (d the
 * distance outside the edge): centred keeps b (half alpha on the edge); outward keeps the
 * inside whole and fades outside, 2b clamped, united with a; inward keeps the outside clear and
 * fades inside, 2b − 1 clamped, intersected with a. */
YSG_HD float ysg_matte_feather(int mode, float a, float b) {
  if (mode == YSG_FEATHER_OUTWARD) {
    float o = 2.0f * b < 1.0f ? 2.0f * b : 1.0f;
    return a > o ? a : o;
  }
  if (mode == YSG_FEATHER_INWARD) {
    float i = 2.0f * b - 1.0f > 0.0f ? 2.0f * b - 1.0f : 0.0f;
    return a < i ? a : i;
  }
  return b;
}

/* Temporal smoothing, one step of an exponential moving average: prev + k·(a − prev) with
 * k = (1 − strength) + strength·w, w ramping from 0 to 1 as |a − prev| goes from motion/2 to
 * motion (so moving edges follow at once instead of ghosting; motion 0: a plain EMA). Changes
 * of at most `deadband` are noise and leave prev alone, so a static matte settles and stops
 * moving instead of wandering around its mean (a pixel near 0.5 would cross it again and
 * again). */
YSG_HD float ysg_matte_temporal(float prev, float a, float strength, float motion, float deadband) {
  float d = a - prev;
  if (fabsf(d) <= deadband) return prev;
  float w = motion > 0.0f ? ysg_clamp01((fabsf(d) - 0.5f * motion) / (0.5f * motion)) : 0.0f;
  float k = (1.0f - strength) + strength * w;
  return prev + k * d;
}

/* Half-width of the disc of radius r on the row dy away from its centre (−1: none). */
YSG_HD int ysg_matte_span(float r, int dy) {
  float q = r * r - (float)dy * (float)dy;
  return q < 0.0f ? -1 : (int)floorf(sqrtf(q));
}

/* Guided filter (He, Sun, Tang 2013) with a colour guide: from the window sums of a pixel —
 * s[0..2] ΣI, s[3] Σp, s[4..6] ΣI·p, s[7..12] ΣIrIr, IrIg, IrIb, IgIg, IgIb, IbIb — over n
 * pixels, the coefficients of q = a·I + b: a = (Σ + εU)^−1 cov(I, p), b = mean(p) − a·mean(I). */
#define YSG_GUIDED_SUMS 13
YSG_HD void ysg_guided_coeffs(const float s[YSG_GUIDED_SUMS], float n, float eps, float ab[4]) {
  float inv = 1.0f / n;
  float mr = s[0] * inv, mg = s[1] * inv, mb = s[2] * inv, mp = s[3] * inv;
  float cr = s[4] * inv - mr * mp, cg = s[5] * inv - mg * mp, cb = s[6] * inv - mb * mp;
  float rr = s[7] * inv - mr * mr + eps, rg = s[8] * inv - mr * mg, rb = s[9] * inv - mr * mb;
  float gg = s[10] * inv - mg * mg + eps, gb = s[11] * inv - mg * mb;
  float bb = s[12] * inv - mb * mb + eps;
  /* inverse of the symmetric 3×3 by cofactors */
  float i_rr = gg * bb - gb * gb, i_rg = gb * rb - rg * bb, i_rb = rg * gb - gg * rb;
  float i_gg = rr * bb - rb * rb, i_gb = rb * rg - rr * gb, i_bb = rr * gg - rg * rg;
  float det = rr * i_rr + rg * i_rg + rb * i_rb;
  /* the division runs unconditionally (then a select), so CPU loops over pixels vectorise */
  float id = 1.0f / (det != 0.0f ? det : 1.0f);
  id = det != 0.0f ? id : 0.0f;
  ab[0] = (i_rr * cr + i_rg * cg + i_rb * cb) * id;
  ab[1] = (i_rg * cr + i_gg * cg + i_gb * cb) * id;
  ab[2] = (i_rb * cr + i_gb * cg + i_bb * cb) * id;
  ab[3] = mp - ab[0] * mr - ab[1] * mg - ab[2] * mb;
}

/* The guide's code values of a premultiplied pixel (straight colour, sRGB-encoded). */
YSG_HD void ysg_guided_guide(const float in[4], float g[3]) {
  float c[3];
  ysg_matte_unpremul(in, c);
  for (int i = 0; i < 3; i++) g[i] = ysg_matte_code(c[i]);
}

/* The nine guide products of one pixel added to a window sum (p: the matte). */
YSG_HD void ysg_guided_terms(const float g[3], float p, float t[YSG_GUIDED_SUMS]) {
  t[0] = g[0], t[1] = g[1], t[2] = g[2], t[3] = p;
  t[4] = g[0] * p, t[5] = g[1] * p, t[6] = g[2] * p;
  t[7] = g[0] * g[0], t[8] = g[0] * g[1], t[9] = g[0] * g[2];
  t[10] = g[1] * g[1], t[11] = g[1] * g[2], t[12] = g[2] * g[2];
}

/* One frame's settings of a `matte` node (host and device share this layout). A stage whose
 * value is 0 is skipped (on the device: passed through). */
typedef struct ysg_matte_refine_op {
  ysg_blur_kernel feather_k, blur_k; /* 1-channel kernels, clamped edges */
  float threshold, softness;
  int32_t islands, holes; /* px; 0: off */
  float grow;             /* px; negative: shrink */
  int32_t feather_mode, feather_on, blur_on;
  float temporal, motion, deadband;
  int32_t temporal_reset; /* 1: this frame restarts the average */
  int32_t temporal_src;   /* device: the state plane holding the average (the other is written) */
  int32_t guided;         /* window radius px; 0: off */
  float eps;
} ysg_matte_refine_op;

/* Tap t of the filter k as one kernel: the exact weights, or the three boxes convolved (box h0
 * ⊛ box h1 is a trapezoid; the cascade is it averaged over ±h2). The CPU's running sums over a
 * line padded once by clamping equal this kernel applied with clamped indices. */
YSG_HD float ysg_blur_tap(const ysg_blur_kernel *k, int t) {
  if (t < 0) t = -t;
  if (t > k->support) return 0.0f;
  if (!k->box) return k->w[t];
  int h0 = k->h[0], h1 = k->h[1], h2 = k->h[2];
  float sum = 0.0f;
  for (int u = -h2; u <= h2; u++) {
    int s = t - u < 0 ? u - t : t - u;
    int lo = s - h0 > -h1 ? s - h0 : -h1, hi = s + h0 < h1 ? s + h0 : h1;
    if (hi >= lo) sum += (float)(hi - lo + 1);
  }
  return sum / ((float)(2 * h0 + 1) * (float)(2 * h1 + 1) * (float)(2 * h2 + 1));
}

/* ---- composite ------------------------------------------------------------------------------ */

/* fg (premultiplied) through matte m over bg (premultiplied), with light wrap: w = wrap·(1 −
 * mw) (mw: the foreground's alpha blurred), the foreground's colour mixed towards the blurred
 * background bgw by w where it covers (a = fg.a·m). Linear light, premultiplied throughout. */
YSG_HD void ysg_matte_composite_px(const float fg[4], float m, const float bg[4],
                                   const float bgw[4], float mw, float wrap, float out[4]) {
  float a = fg[3] * m;
  float w = wrap * (1.0f - mw);
  for (int c = 0; c < 3; c++) {
    float f = fg[c] * m * (1.0f - w) + a * w * bgw[c];
    out[c] = f + bg[c] * (1.0f - a);
  }
  out[3] = a + bg[3] * (1.0f - a);
}

/* One frame's settings of a `composite` node (host and device share this layout). */
typedef struct ysg_composite_op {
  ysg_blur_kernel bg_k, wrap_k; /* background blur; light-wrap blur (image and matte) */
  ysg_blur_op bg_op, wrap_op;   /* the same for blur.c / cuda/blur.cu (clamped edges) */
  float wrap;                   /* light-wrap amount 0..1 (0: off) */
  int32_t has_matte;
} ysg_composite_op;

#endif /* YSG_MATTE_MATH_H */
