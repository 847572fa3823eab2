/* matte_guided.c — the colour guided filter (He, Sun, Tang, "Guided Image Filtering", 2013) of
 * the `matte` node on the CPU, as a stage of the row stream (matte_stream.h), O(1) per pixel in
 * the radius. Window sums are separable: down the rows a running sum per column (the row
 * entering the window added, the one leaving subtracted, in double so nothing drifts, SIMD
 * across the row), along a row a prefix sum (double) whose differences are the windows.
 * Windows are clipped at the image border and divided by their pixel count, as He's box filter
 * does. Pass 1 turns the 13 window sums of guide and matte into the coefficients (a, b) of each
 * pixel (engine/matte_math.h), kept in a ring of rows; pass 2 box-averages them and gives
 * q = mean(a)·I + mean(b). The guide's code values are computed once per row into a ring.
 * tests/test_matte_refine.c checks it against a direct O(r²) implementation. */
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "matte_filter.h"
#include "matte_stream.h"

#define NS YSG_GUIDED_SUMS /* pass 1's channels */
#define CHUNK 256

typedef struct gf_state {
  const ysg_guided_op *op;
  int w, ring;
  float *gi;             /* ring × 3W: the guide's code values (R' | G' | B') of a row */
  float *ab;             /* ring × 4W: a (3 planes) and b of a row */
  double *v1, *v2;       /* NS × W and 4 × W: column sums over the window's rows */
  double *pre;           /* 2 × (W + 1): prefix sums along the row */
  float *sums;           /* NS × W: a row's window sums */
  float *span;           /* 4 × CHUNK: a span of the guide as planes */
  int gi_next, ab_next;  /* next guide row / coefficient row to compute */
  int ab_first, q_first; /* the band's first rows: their window sums start from zero */
} gf_state;

static size_t align16(size_t floats) { return (floats + 15) & ~(size_t)15; }
static int ring_rows(int r) { return 2 * r + 3; }

size_t ysg__matte_guided_floats(int w, int r) {
  size_t W = (size_t)w, R = (size_t)ring_rows(r);
  return align16(sizeof(gf_state) / sizeof(float) + 1) + align16(R * 3 * W) + align16(R * 4 * W) +
         align16(2 * NS * W) + align16(2 * 4 * W) + align16(4 * (W + 1)) + align16(NS * W) +
         align16(8 * CHUNK);
}

/* Row y of the guide as code values into g (3 planes of W): planes straight from the FP16
 * pixels, then the per-pixel math, which vectorises. */
static void guide_row(gf_state *s, int y, float *g) {
  int w = s->w;
  float *restrict P0 = s->span, *restrict P1 = P0 + CHUNK, *restrict P2 = P1 + CHUNK,
                  *restrict P3 = P2 + CHUNK;
  for (int x0 = 0; x0 < w; x0 += CHUNK) {
    int n = w - x0 < CHUNK ? w - x0 : CHUNK;
    ysg__matte_load_planes(s->op->guide, y, x0, n, P0, P1, P2, P3);
    float *restrict g0 = g + x0, *restrict g1 = g + w + x0, *restrict g2 = g + 2 * w + x0;
    for (int i = 0; i < n; i++) {
      float px[4] = {P0[i], P1[i], P2[i], P3[i]}, o[3];
      ysg_guided_guide(px, o);
      g0[i] = o[0], g1[i] = o[1], g2[i] = o[2];
    }
  }
}

static const float *gi_get(gf_state *s, int y) {
  while (s->gi_next <= y) {
    guide_row(s, s->gi_next, s->gi + (size_t)(s->gi_next % s->ring) * 3 * s->w);
    s->gi_next++;
  }
  return s->gi + (size_t)(y % s->ring) * 3 * s->w;
}

/* v += a·b (b NULL: a) of the row entering the window − ao·bo (ao) of the row leaving it; a or
 * ao NULL: no such row. */
static void acc(double *restrict v, const float *restrict a, const float *restrict b,
                const float *restrict ao, const float *restrict bo, int w) {
  if (a && ao && b) {
    for (int x = 0; x < w; x++) v[x] += (double)(a[x] * b[x]) - (double)(ao[x] * bo[x]);
  } else if (a && ao) {
    for (int x = 0; x < w; x++) v[x] += (double)a[x] - (double)ao[x];
  } else if (a && b) {
    for (int x = 0; x < w; x++) v[x] += (double)(a[x] * b[x]);
  } else if (a) {
    for (int x = 0; x < w; x++) v[x] += (double)a[x];
  } else if (ao && bo) {
    for (int x = 0; x < w; x++) v[x] -= (double)(ao[x] * bo[x]);
  } else if (ao) {
    for (int x = 0; x < w; x++) v[x] -= (double)ao[x];
  }
}

/* v1 += the 13 terms (ysg_guided_terms) of the row (g, p) entering the window − those of the
 * row (go, po) leaving it; g or go NULL: no such row. One loop per term (few streams each, so
 * every loop vectorises across the row; the rows stay in cache). */
static void v1_update(double *v, const float *g, const float *p, const float *go, const float *po,
                      int w) {
  /* term k = plane first[k] × plane second[k] (4: none); planes R', G', B', p */
  static const int first[NS] = {0, 1, 2, 3, 0, 1, 2, 0, 0, 0, 1, 1, 2};
  static const int second[NS] = {4, 4, 4, 4, 3, 3, 3, 0, 1, 2, 1, 2, 2};
  const float *in[5] = {g ? g : NULL, g ? g + w : NULL, g ? g + 2 * w : NULL, g ? p : NULL, NULL};
  const float *out[5] = {go ? go : NULL, go ? go + w : NULL, go ? go + 2 * w : NULL, go ? po : NULL,
                         NULL};
  for (int k = 0; k < NS; k++)
    acc(v + (size_t)k * w, in[first[k]], in[second[k]], out[first[k]], out[second[k]], w);
}

/* Prefix sums P[0] = 0, P[x + 1] = v[0] + … + v[x] of two rows of n doubles. With AVX-512 each
 * 8 values are scanned in registers (three shifted adds) and the running total carried into
 * the next 8 (one add on the dependency chain per 8 values; the two rows hide its latency). */
static void prefix2(const double *va, const double *vb, double *pa, double *pb, int n) {
  int x = 0;
  double ta = 0.0, tb = 0.0;
#if defined(__AVX512F__)
  const __m512i z = _mm512_setzero_si512(), top = _mm512_set1_epi64(7);
  __m512d ca = _mm512_setzero_pd(), cb = _mm512_setzero_pd();
#define SCAN(v)                                                                                 \
  v = _mm512_add_pd(v, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), z, 7))); \
  v = _mm512_add_pd(v, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), z, 6))); \
  v = _mm512_add_pd(v, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), z, 4)))
  for (; x + 8 <= n; x += 8) {
    __m512d a = _mm512_loadu_pd(va + x), b = _mm512_loadu_pd(vb + x);
    SCAN(a);
    SCAN(b);
    _mm512_storeu_pd(pa + 1 + x, _mm512_add_pd(a, ca));
    _mm512_storeu_pd(pb + 1 + x, _mm512_add_pd(b, cb));
    ca = _mm512_add_pd(ca, _mm512_permutexvar_pd(top, a));
    cb = _mm512_add_pd(cb, _mm512_permutexvar_pd(top, b));
  }
#undef SCAN
  ta = _mm512_cvtsd_f64(ca), tb = _mm512_cvtsd_f64(cb);
#endif
  pa[0] = pb[0] = 0.0;
  for (; x < n; x++) {
    ta += va[x], tb += vb[x];
    pa[x + 1] = ta, pb[x + 1] = tb;
  }
}

/* Window sums along the row of the nc column sums v (nc × W) into out (nc × W floats). */
static void row_windows(gf_state *s, const double *v, int nc, float *out) {
  int w = s->w, r = s->op->r;
  double *pre = s->pre;                                                 /* two rows of W + 1 */
  int lo = r + 1 < w ? r + 1 : w, hi = w - r - 1 > lo ? w - r - 1 : lo; /* interior [lo, hi) */
  for (int c = 0; c < nc; c += 2) {
    int c2 = c + 1 < nc ? c + 1 : c;
    prefix2(v + (size_t)c * w, v + (size_t)c2 * w, pre, pre + w + 1, w);
    for (int k = 0; k < 2 && c + k < nc; k++) {
      const double *P = pre + (size_t)k * (w + 1);
      float *o = out + (size_t)(c + k) * w;
      for (int x = 0; x < lo; x++) {
        int a = x - r < 0 ? 0 : x - r, b = x + r + 1 > w ? w : x + r + 1;
        o[x] = (float)(P[b] - P[a]);
      }
      for (int x = lo; x < hi; x++) o[x] = (float)(P[x + r + 1] - P[x - r]);
      for (int x = hi; x < w; x++) {
        int a = x - r < 0 ? 0 : x - r, b = x + r + 1 > w ? w : x + r + 1;
        o[x] = (float)(P[b] - P[a]);
      }
    }
  }
}

static int win_count(int x, int r, int n) {
  return (x + r + 1 > n ? n : x + r + 1) - (x - r < 0 ? 0 : x - r);
}

/* A row's coefficients from its window sums S (NS × W); ny: rows in its windows. */
static void coeffs(const float *restrict S, int w, int r, int ny, float eps, float *restrict a0,
                   float *restrict a1, float *restrict a2, float *restrict b) {
  for (int x = 0; x < w; x++) {
    float sx[NS], o[4];
    for (int k = 0; k < NS; k++) sx[k] = S[(size_t)k * w + x];
    ysg_guided_coeffs(sx, (float)(win_count(x, r, w) * ny), eps, o);
    a0[x] = o[0], a1[x] = o[1], a2[x] = o[2], b[x] = o[3];
  }
}

/* Coefficient row y (pass 1) into ab (4 planes of W); p: the matte stage (chain stage i − 1). */
static void ab_row(ysg_rs_chain *c, int i, gf_state *s, int y, float *ab) {
  int w = s->w, h = c->h, r = s->op->r;
  if (y == s->ab_first) {
    memset(s->v1, 0, sizeof(double) * NS * (size_t)w);
    for (int yy = y - r < 0 ? 0 : y - r; yy <= y + r && yy < h; yy++)
      v1_update(s->v1, gi_get(s, yy), ysg_rs_get(c, i - 1, yy), NULL, NULL, w);
  } else {
    const float *g = NULL, *p = NULL, *go = NULL, *po = NULL;
    if (y + r < h) g = gi_get(s, y + r), p = ysg_rs_get(c, i - 1, y + r);
    if (y - r - 1 >= 0) go = gi_get(s, y - r - 1), po = ysg_rs_get(c, i - 1, y - r - 1);
    v1_update(s->v1, g, p, go, po, w);
  }
  row_windows(s, s->v1, NS, s->sums);
  coeffs(s->sums, w, r, win_count(y, r, h), s->op->eps, ab, ab + w, ab + 2 * w, ab + 3 * w);
}

static const float *ab_get(ysg_rs_chain *c, int i, gf_state *s, int y) {
  while (s->ab_next <= y) {
    ab_row(c, i, s, s->ab_next, s->ab + (size_t)(s->ab_next % s->ring) * 4 * s->w);
    s->ab_next++;
  }
  return s->ab + (size_t)(y % s->ring) * 4 * s->w;
}

/* q = mean(a)·I + mean(b) from the window sums S (4 × W) and the guide row g (3 × W). */
static void output(const float *restrict S, const float *restrict g, int w, int r, int ny,
                   float *restrict q) {
  for (int x = 0; x < w; x++) {
    double inv = 1.0 / (double)(win_count(x, r, w) * ny);
    float a0 = (float)((double)S[x] * inv), a1 = (float)((double)S[w + x] * inv),
          a2 = (float)((double)S[2 * w + x] * inv), b = (float)((double)S[3 * w + x] * inv);
    q[x] = a0 * g[x] + a1 * g[w + x] + a2 * g[2 * w + x] + b;
  }
}

/* Output row y (pass 2): q = mean(a)·I + mean(b). */
static void gf_row(ysg_rs_chain *c, int i, int y, float *q) {
  gf_state *s = c->st[i].state;
  int w = s->w, h = c->h, r = s->op->r;
  double *v = s->v2;
  if (y == s->q_first) {
    memset(v, 0, sizeof(double) * 4 * (size_t)w);
    for (int yy = y - r < 0 ? 0 : y - r; yy <= y + r && yy < h; yy++) {
      const float *ab = ab_get(c, i, s, yy);
      for (size_t k = 0; k < 4 * (size_t)w; k++) v[k] += (double)ab[k];
    }
  } else {
    if (y + r < h) {
      const float *ab = ab_get(c, i, s, y + r);
      for (size_t k = 0; k < 4 * (size_t)w; k++) v[k] += (double)ab[k];
    }
    if (y - r - 1 >= 0) {
      const float *ab = ab_get(c, i, s, y - r - 1);
      for (size_t k = 0; k < 4 * (size_t)w; k++) v[k] -= (double)ab[k];
    }
  }
  float *S = s->sums;
  row_windows(s, v, 4, S);
  output(S, gi_get(s, y), w, r, win_count(y, r, h), q);
}

static void gf_begin(ysg_rs_chain *c, int i, int first) {
  gf_state *s = c->st[i].state;
  int r = s->op->r;
  s->q_first = first;
  s->ab_first = s->ab_next = first - r < 0 ? 0 : first - r;
  s->gi_next = s->ab_first - r < 0 ? 0 : s->ab_first - r;
}

void ysg__matte_guided_stage(ysg_rs_stage *st, const ysg_guided_op *op, float *mem, int w) {
  int r = op->r;
  size_t W = (size_t)w, R = (size_t)ring_rows(r);
  gf_state *s = (gf_state *)mem;
  float *p = mem + align16(sizeof(gf_state) / sizeof(float) + 1);
  memset(s, 0, sizeof *s);
  s->op = op;
  s->w = w;
  s->ring = (int)R;
  s->gi = p, p += align16(R * 3 * W);
  s->ab = p, p += align16(R * 4 * W);
  s->v1 = (double *)p, p += align16(2 * NS * W);
  s->v2 = (double *)p, p += align16(2 * 4 * W);
  s->pre = (double *)p, p += align16(4 * (W + 1));
  s->sums = p, p += align16(NS * W);
  s->span = p;
  memset(st, 0, sizeof *st);
  st->row = gf_row;
  st->begin = gf_begin;
  st->lo = 2 * r;
  st->hi = 2 * r;
  st->in_ring = (int)R;
  st->floats = w;
  st->state = s;
}
