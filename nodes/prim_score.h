/* prim_score.h — scoring a candidate shape in closed form (YSG_HD, shared by the CPU search and
 * cuda/prim.cu). Images are linear-light premultiplied RGBA floats at the search's size: the
 * target t and the current approximation c, with d = t − c. A shape of coverage w, colour C =
 * (r, g, b, 1) and opacity s changes a pixel to c + w·s·(C − c) ("over" in premultiplied terms),
 * so the change in squared error depends only on sums over its pixels:
 *   N = Σw², A = Σw²·c (4), D = Σw·d (4), Q = Σw²·|c|², X = Σw·c·d.
 * Full spans (w = 1) take them from per-row prefix tables in O(1); partial spans per pixel. The
 * colour that minimises the error is C = A/N + D/(s·N) (clamped), and with opacity 0 ("solved")
 * s is the least-squares optimum as well. Sums are accumulated in a fixed order: row y goes to
 * lane (y − first row) mod 32 and the 32 lanes are added in a butterfly — a warp's rows on the
 * GPU — so every processor and thread count gets the same bits. */
#ifndef YSG_PRIM_SCORE_H
#define YSG_PRIM_SCORE_H

#include "prim_raster.h"

#define PRIM_PRE 10   /* prefix quantities per pixel: Σc (4), Σd (4), Σ|c|², Σc·d */
#define PRIM_SUMS 11  /* N, A (4), D (4), Q, X */
#define PRIM_LANES 32 /* rows are striped over this many accumulators (a CUDA warp) */
#define PRIM_MIN_OPACITY 0.05f

typedef struct prim_img {
  int32_t w, h;
  const float *cd;  /* (h, w, 8): c (4) then d = t − c (4), one 32-byte load per pixel */
  const float *pre; /* (h, w + 1, PRIM_PRE): row prefix sums, pre[y][0] = 0 */
} prim_img;

/* A shape's closed-form fit: its colour (straight linear RGB), opacity and error change. */
typedef struct prim_fit {
  float rgb[3];
  float s;
  float de; /* change of the summed squared error; +PRIM_BIG when the shape covers nothing */
} prim_fit;

YSG_HD float prim_dot4(const float *a, const float *b) {
  return ((a[0] * b[0] + a[1] * b[1]) + a[2] * b[2]) + a[3] * b[3];
}

/* Add row y's sums over its spans (prim_row over the whole row) into the lane accumulator acc:
 * full spans from the prefix table, then partial pixels left to right, in span order. */
YSG_HD void prim_spans_sums(const prim_geo *g, const prim_img *im, int y, const prim_span *sp,
                            int ns, float *acc) {
  const float *pre = im->pre + (size_t)y * (size_t)(im->w + 1) * PRIM_PRE;
  const float *cd = im->cd + (size_t)y * (size_t)im->w * 8;
  float yc = (float)y + 0.5f, a[PRIM_SUMS];
  for (int q = 0; q < PRIM_SUMS; q++) a[q] = acc[q];
  for (int k = 0; k < ns; k++) {
    if (sp[k].full) {
      const float *p0 = pre + (size_t)sp[k].x0 * PRIM_PRE, *p1 = pre + (size_t)sp[k].x1 * PRIM_PRE;
      a[0] += (float)(sp[k].x1 - sp[k].x0);
      for (int q = 0; q < PRIM_PRE; q++) a[1 + q] += p1[q] - p0[q];
      continue;
    }
    for (int x = sp[k].x0; x < sp[k].x1; x++) {
      float w = prim_cov(g, (float)x + 0.5f, yc);
      if (!(w > 0.0f)) continue;
      const float *c = cd + (size_t)x * 8, *d = c + 4;
      float w2 = w * w;
      a[0] += w2;
      for (int q = 0; q < 4; q++) a[1 + q] += w2 * c[q];
      for (int q = 0; q < 4; q++) a[5 + q] += w * d[q];
      a[9] += w2 * prim_dot4(c, c);
      a[10] += w * prim_dot4(c, d);
    }
  }
  for (int q = 0; q < PRIM_SUMS; q++) acc[q] = a[q];
}

/* Add row y's sums into acc. */
YSG_HD void prim_row_sums(const prim_geo *g, const prim_img *im, int y, float *acc) {
  prim_span sp[PRIM_MAX_SPANS];
  int ns = prim_row(g, y, 0, im->w, sp);
  prim_spans_sums(g, im, y, sp, ns, acc);
}

/* the rows of g inside the image: [*a, *b], empty when *a > *b */
YSG_HD void prim_clip_rows(const prim_geo *g, int h, int *a, int *b) {
  *a = g->y0 < 0 ? 0 : g->y0;
  *b = g->y1 > h - 1 ? h - 1 : g->y1;
}

/* Solve a shape's colour (and opacity when alpha is 0) from its sums. */
YSG_HD prim_fit prim_solve(const float *S, float alpha) {
  prim_fit f;
  float N = S[0];
  const float *A = S + 1, *D = S + 5;
  f.rgb[0] = f.rgb[1] = f.rgb[2] = 0.0f;
  f.s = 1.0f;
  f.de = PRIM_BIG;
  if (!(N > 1e-3f)) return f;
  float iN = 1.0f / N;
  float s = alpha;
  if (!(s > 0.0f)) { /* least squares over (s·C, s) with the shape's colour free */
    float den = S[9] - prim_dot4(A, A) * iN;
    float num = prim_dot4(D, A) * iN - S[10];
    s = den > 1e-6f * N ? num / den : 1.0f;
    s = prim_clampf(s, PRIM_MIN_OPACITY, 1.0f);
  }
  float C[4];
  for (int q = 0; q < 3; q++) C[q] = prim_clampf((A[q] + D[q] / s) * iN, 0.0f, 1.0f);
  C[3] = 1.0f;
  /* Σw²s²(C − c)² − 2Σw·s(C − c)·d, expanded over the sums */
  float quad = 0.0f, lin = 0.0f;
  for (int q = 0; q < 4; q++) {
    quad += C[q] * C[q] * N - 2.0f * C[q] * A[q];
    lin += C[q] * D[q];
  }
  quad += S[9];
  lin -= S[10];
  f.de = s * s * quad - 2.0f * s * lin;
  if (!(f.de == f.de)) f.de = PRIM_BIG;
  for (int q = 0; q < 3; q++) f.rgb[q] = C[q];
  f.s = s;
  return f;
}

/* The 32 lanes' sums added in the butterfly order of __shfl_xor_sync (lane 0's result). */
YSG_HD void prim_lanes_reduce(float (*lanes)[PRIM_SUMS], float *out) {
  for (int off = PRIM_LANES / 2; off >= 1; off /= 2)
    for (int l = 0; l < off; l++)
      for (int q = 0; q < PRIM_SUMS; q++) lanes[l][q] = lanes[l][q] + lanes[l + off][q];
  for (int q = 0; q < PRIM_SUMS; q++) out[q] = lanes[0][q];
}

/* The whole sums of a prepared shape, rows striped over 32 lanes (the CPU's copy of the warp). */
YSG_HD void prim_sums(const prim_geo *g, const prim_img *im, float *S) {
  float lanes[PRIM_LANES][PRIM_SUMS];
  for (int l = 0; l < PRIM_LANES; l++)
    for (int q = 0; q < PRIM_SUMS; q++) lanes[l][q] = 0.0f;
  int a, b;
  prim_clip_rows(g, im->h, &a, &b);
  for (int y = a; y <= b; y++) prim_row_sums(g, im, y, lanes[(y - a) & (PRIM_LANES - 1)]);
  prim_lanes_reduce(lanes, S);
}

/* ---- the current image's tables --------------------------------------------------------------
 */

/* Row y's pixel pairs (c, d), prefix table and squared error Σ|d|². */
YSG_HD float prim_build_row(const float *tgt, const float *cur, float *cd, float *pre, int w) {
  float acc[PRIM_PRE];
  for (int q = 0; q < PRIM_PRE; q++) acc[q] = pre[q] = 0.0f;
  float sse = 0.0f;
  for (int x = 0; x < w; x++) {
    const float *c = cur + (size_t)x * 4, *t = tgt + (size_t)x * 4;
    float d[4] = {t[0] - c[0], t[1] - c[1], t[2] - c[2], t[3] - c[3]};
    for (int q = 0; q < 4; q++) acc[q] += c[q];
    for (int q = 0; q < 4; q++) acc[4 + q] += d[q];
    acc[8] += prim_dot4(c, c);
    acc[9] += prim_dot4(c, d);
    sse += prim_dot4(d, d);
    for (int q = 0; q < 4; q++) cd[(size_t)x * 8 + q] = c[q], cd[(size_t)x * 8 + 4 + q] = d[q];
    float *o = pre + (size_t)(x + 1) * PRIM_PRE;
    for (int q = 0; q < PRIM_PRE; q++) o[q] = acc[q];
  }
  return sse;
}

/* Draw a fitted shape into row y of the current image: c += w·s·(C − c), C = (rgb, 1). */
YSG_HD void prim_draw_row(const prim_geo *g, const prim_fit *f, float *cur, int y, int w) {
  prim_span sp[PRIM_MAX_SPANS];
  int ns = prim_row(g, y, 0, w, sp);
  const float C[4] = {f->rgb[0], f->rgb[1], f->rgb[2], 1.0f};
  float yc = (float)y + 0.5f;
  for (int k = 0; k < ns; k++)
    for (int x = sp[k].x0; x < sp[k].x1; x++) {
      float cov = sp[k].full ? 1.0f : prim_cov(g, (float)x + 0.5f, yc);
      if (!(cov > 0.0f)) continue;
      float a = cov * f->s;
      float *c = cur + (size_t)x * 4;
      for (int q = 0; q < 4; q++) c[q] = c[q] + a * (C[q] - c[q]);
    }
}

#endif /* YSG_PRIM_SCORE_H */
