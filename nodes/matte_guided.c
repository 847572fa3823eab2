/* matte_guided.c — the colour guided filter (He, Sun, Tang, "Guided Image Filtering", 2013) of
 * the `matte` node on the CPU, O(1) per pixel in the radius: every box mean is a running sum —
 * per row a prefix sum gives each window's horizontal sum, and per band of rows the column sums
 * are updated by adding the row entering the window and subtracting the one leaving it (double
 * precision, so the running sums do not drift). Windows are clipped at the image border and
 * divided by their pixel count, as He's box filter does. Pass 1 turns the 13 window sums of
 * guide and matte into the coefficients (a, b) of every pixel (engine/matte_math.h); pass 2 box-
 * averages them and gives q = mean(a)·I + mean(b). tests/test_matte_refine.c checks it against
 * a direct O(r²) implementation. */
#include <string.h>

#include "matte_filter.h"
#include "matte_math.h"

#define C1 YSG_GUIDED_SUMS /* channels of pass 1 */
#define C2 4               /* pass 2: a (3) and b */
#define S1 16              /* pass 1's channels interleaved per pixel, padded for SIMD */

/* Channels are interleaved per pixel (x-major): the prefix sums then run S independent
 * chains side by side instead of one long dependent chain per channel. */
size_t ysg__matte_guided_cols(int w) { return (size_t)S1 * (2 * (size_t)w + 1); }
size_t ysg__matte_guided_rows(int w) { return (size_t)(S1 + 4 + 3) * (size_t)w; }

typedef struct gf_job {
  const ysg_value *guide;
  const float *p;
  float *dst, *ab;
  double *cols;
  float *rows;
  int w, h, r, workers;
  float eps;
  int pass;
} gf_job;

/* Code values of the guide's row y: g (3 × W, SoA); tmp: 4 × W floats. */
static void guide_row(const gf_job *j, int y, float *g, float *tmp) {
  int W = j->w;
  ysg__matte_rgba_row(j->guide, y, tmp);
  for (int x = 0; x < W; x++) {
    float c[3];
    ysg_guided_guide(tmp + 4 * x, c);
    g[x] = c[0], g[W + x] = c[1], g[2 * W + x] = c[2];
  }
}

/* The channels of row y, interleaved (W × stride), whose window sums this pass needs. */
static void row_terms(const gf_job *j, int y, float *terms, float *tmp) {
  int W = j->w;
  if (j->pass == 1) {
    float *g = tmp + 4 * W; /* 3 × W */
    guide_row(j, y, g, tmp);
    const float *p = j->p + (size_t)y * W;
    for (int x = 0; x < W; x++) {
      float gx[3] = {g[x], g[W + x], g[2 * W + x]}, *t = terms + (size_t)x * S1;
      ysg_guided_terms(gx, p[x], t);
      t[13] = t[14] = t[15] = 0.0f;
    }
  } else {
    memcpy(terms, j->ab + (size_t)y * W * 4, (size_t)W * 4 * sizeof(float));
  }
}

/* cols[x][c] += sign · (horizontal window sum of row y's channel c around x) */
static void add_row(const gf_job *j, int y, double sign, int st, double *cols, double *prefix,
                    float *terms, float *tmp) {
  int W = j->w, r = j->r;
  row_terms(j, y, terms, tmp);
  for (int c = 0; c < st; c++) prefix[c] = 0.0;
  for (int x = 0; x < W; x++) {
    const double *in = prefix + (size_t)x * st;
    double *out = prefix + (size_t)(x + 1) * st;
    const float *t = terms + (size_t)x * st;
    for (int c = 0; c < st; c++) out[c] = in[c] + (double)t[c];
  }
  for (int x = 0; x < W; x++) {
    int a = x - r < 0 ? 0 : x - r, b = x + r + 1 > W ? W : x + r + 1;
    const double *pa = prefix + (size_t)a * st, *pb = prefix + (size_t)b * st;
    double *col = cols + (size_t)x * st;
    for (int c = 0; c < st; c++) col[c] += sign * (pb[c] - pa[c]);
  }
}

/* Row y's outputs from its window sums (cols) over ny rows. */
static void emit_row(const gf_job *j, int y, int ny, const double *cols, float *tmp) {
  int W = j->w, r = j->r;
  if (j->pass == 1) {
    float *ab = j->ab + (size_t)y * W * 4;
    for (int x = 0; x < W; x++) {
      int nx = (x + r + 1 > W ? W : x + r + 1) - (x - r < 0 ? 0 : x - r);
      float s[C1];
      for (int c = 0; c < C1; c++) s[c] = (float)cols[(size_t)x * S1 + c];
      ysg_guided_coeffs(s, (float)(nx * ny), j->eps, ab + 4 * x);
    }
  } else {
    float *g = tmp + 4 * W;
    guide_row(j, y, g, tmp);
    float *q = j->dst + (size_t)y * W;
    for (int x = 0; x < W; x++) {
      int nx = (x + r + 1 > W ? W : x + r + 1) - (x - r < 0 ? 0 : x - r);
      double inv = 1.0 / (double)(nx * ny);
      const double *c = cols + (size_t)x * C2;
      float a0 = (float)(c[0] * inv), a1 = (float)(c[1] * inv), a2 = (float)(c[2] * inv),
            b = (float)(c[3] * inv);
      q[x] = a0 * g[x] + a1 * g[W + x] + a2 * g[2 * W + x] + b;
    }
  }
}

static void gf_bands(void *ud, int b0, int b1) {
  const gf_job *j = ud;
  int W = j->w, H = j->h, r = j->r, nc = j->pass == 1 ? S1 : C2;
  for (int b = b0; b < b1; b++) {
    double *cols = j->cols + (size_t)b * ysg__matte_guided_cols(W);
    double *prefix = cols + (size_t)S1 * W; /* (W + 1) × stride */
    float *terms = j->rows + (size_t)b * ysg__matte_guided_rows(W), *tmp = terms + (size_t)S1 * W;
    int y0 = (int)((int64_t)H * b / j->workers), y1 = (int)((int64_t)H * (b + 1) / j->workers);
    if (y0 >= y1) continue;
    memset(cols, 0, (size_t)nc * W * sizeof(double));
    for (int y = y0 - r < 0 ? 0 : y0 - r; y <= y0 + r && y < H; y++)
      add_row(j, y, 1.0, nc, cols, prefix, terms, tmp);
    for (int y = y0; y < y1; y++) {
      if (y > y0) {
        if (y + r < H) add_row(j, y + r, 1.0, nc, cols, prefix, terms, tmp);
        if (y - r - 1 >= 0) add_row(j, y - r - 1, -1.0, nc, cols, prefix, terms, tmp);
      }
      int ny = (y + r + 1 > H ? H : y + r + 1) - (y - r < 0 ? 0 : y - r);
      emit_row(j, y, ny, cols, tmp);
    }
  }
}

void ysg__matte_guided(const ysg_node *n, const ysg_value *guide, const float *p, float *dst, int w,
                       int h, int r, float eps, float *ab, double *cols, float *rows, int workers) {
  if (w <= 0 || h <= 0) return;
  gf_job j;
  j.guide = guide;
  j.p = p;
  j.dst = dst;
  j.ab = ab;
  j.cols = cols;
  j.rows = rows;
  j.w = w;
  j.h = h;
  j.r = r;
  j.eps = eps;
  j.workers = workers < 1 ? 1 : workers;
  j.pass = 1;
  ysg_node_parallel_for(n, j.workers, 1, gf_bands, &j);
  j.pass = 2;
  ysg_node_parallel_for(n, j.workers, 1, gf_bands, &j);
}
