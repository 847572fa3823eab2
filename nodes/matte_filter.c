/* matte_filter.c — rows in and out of image values for the matte nodes, and two filters on FP32
 * matte planes: the separable blur (engine/blur_math.h's exact Gaussian up to sigma 8, its
 * 3-box running-sum cascade above, the line padded once by clamping — the same equivalent kernel
 * cuda/matte_refine.cu applies) and grow/shrink by a disc (direct for small radii, else one
 * sliding max per distinct row span of the disc, van Herk/Gil-Werman, folded row by row). */
#include <stdatomic.h>
#include <string.h>

#include "color.h"
#include "matte_filter.h"
#include "matte_math.h"

void ysg__matte_load_span(const ysg_value *v, int y, int x0, int n, float *dst) {
  const uint8_t *trow = v->tiles + (size_t)(y / YSG_TILE) * (size_t)v->tiles_x;
  const uint16_t *row = v->px + ((size_t)y * (size_t)v->width + (size_t)x0) * 4;
  int o = 0;
  while (o < n) { /* one conversion per run of occupied (or empty) tiles */
    int on = trow[(x0 + o) / YSG_TILE] != 0, e = o;
    while (e < n && (trow[(x0 + e) / YSG_TILE] != 0) == on)
      e = (x0 + e) / YSG_TILE * YSG_TILE + YSG_TILE - x0;
    if (e > n) e = n;
    if (on)
      ysg_halves_to_floats(row + (size_t)o * 4, dst + (size_t)o * 4, 4 * (e - o));
    else
      memset(dst + (size_t)o * 4, 0, (size_t)(e - o) * 4 * sizeof(float));
    o = e;
  }
}

void ysg__matte_rgba_row(const ysg_value *v, int y, float *dst) {
  ysg__matte_load_span(v, y, 0, v->width, dst);
}

/* A pixel's four halves as one 64-bit word (the arena keeps pixels 8-byte aligned). */
typedef uint64_t __attribute__((may_alias)) px64;

void ysg__matte_load_alpha(const ysg_value *v, int y, int x0, int n, float *dst) {
  const uint8_t *trow = v->tiles + (size_t)(y / YSG_TILE) * (size_t)v->tiles_x;
  const px64 *row = (const px64 *)(v->px + ((size_t)y * (size_t)v->width + (size_t)x0) * 4);
  uint16_t a[256];
  int o = 0;
  while (o < n) {
    int on = trow[(x0 + o) / YSG_TILE] != 0, e = o;
    while (e < n && (trow[(x0 + e) / YSG_TILE] != 0) == on)
      e = (x0 + e) / YSG_TILE * YSG_TILE + YSG_TILE - x0;
    if (e > n) e = n;
    if (!on) {
      memset(dst + o, 0, (size_t)(e - o) * sizeof(float));
      o = e;
      continue;
    }
    for (; o < e;) {
      int m = e - o < 256 ? e - o : 256;
      for (int i = 0; i < m; i++) a[i] = (uint16_t)(row[o + i] >> 48);
      ysg_halves_to_floats(a, dst + o, m);
      o += m;
    }
  }
}

/* A span of one tile run as planes: 16-bit lanes split out of each 64-bit pixel, then F16C per
 * plane — half the cost of converting RGBA to floats and transposing those. */
static void split_run(const px64 *p, float *R, float *G, float *B, float *A, int n) {
  uint16_t h[4][256];
  for (int o = 0; o < n; o += 256) {
    int m = n - o < 256 ? n - o : 256;
    for (int i = 0; i < m; i++) {
      uint64_t v = p[o + i];
      h[0][i] = (uint16_t)v, h[1][i] = (uint16_t)(v >> 16), h[2][i] = (uint16_t)(v >> 32),
      h[3][i] = (uint16_t)(v >> 48);
    }
    ysg_halves_to_floats(h[0], R + o, m);
    ysg_halves_to_floats(h[1], G + o, m);
    ysg_halves_to_floats(h[2], B + o, m);
    ysg_halves_to_floats(h[3], A + o, m);
  }
}

void ysg__matte_load_planes(const ysg_value *v, int y, int x0, int n, float *R, float *G, float *B,
                            float *A) {
  const uint8_t *trow = v->tiles + (size_t)(y / YSG_TILE) * (size_t)v->tiles_x;
  const px64 *row = (const px64 *)(v->px + ((size_t)y * (size_t)v->width + (size_t)x0) * 4);
  int o = 0;
  while (o < n) {
    int on = trow[(x0 + o) / YSG_TILE] != 0, e = o;
    while (e < n && (trow[(x0 + e) / YSG_TILE] != 0) == on)
      e = (x0 + e) / YSG_TILE * YSG_TILE + YSG_TILE - x0;
    if (e > n) e = n;
    if (on) {
      split_run(row + o, R + o, G + o, B + o, A + o, e - o);
    } else {
      size_t b = (size_t)(e - o) * sizeof(float);
      memset(R + o, 0, b), memset(G + o, 0, b), memset(B + o, 0, b), memset(A + o, 0, b);
    }
    o = e;
  }
}

void ysg__matte_store_planes(uint16_t *dst, const float *R, const float *G, const float *B,
                             const float *A, int n) {
  px64 *out = (px64 *)dst;
  uint16_t h[4][256];
  for (int o = 0; o < n; o += 256) {
    int m = n - o < 256 ? n - o : 256;
    ysg_floats_to_halves(R + o, h[0], m);
    ysg_floats_to_halves(G + o, h[1], m);
    ysg_floats_to_halves(B + o, h[2], m);
    ysg_floats_to_halves(A + o, h[3], m);
    for (int i = 0; i < m; i++)
      out[o + i] = (uint64_t)h[0][i] | (uint64_t)h[1][i] << 16 | (uint64_t)h[2][i] << 32 |
                   (uint64_t)h[3][i] << 48;
  }
}

void ysg__matte_store_span(uint16_t *dst, const float *m, int n) {
  px64 *out = (px64 *)dst;
  uint16_t h[256];
  for (int x0 = 0; x0 < n; x0 += 256) {
    int k = n - x0 < 256 ? n - x0 : 256;
    ysg_floats_to_halves(m + x0, h, k);
    for (int i = 0; i < k; i++) out[x0 + i] = (uint64_t)h[i] * 0x0001000100010001ull;
  }
}

void ysg__matte_store_row(ysg_value *out, int y, const float *m) {
  ysg__matte_store_span(out->px + (size_t)y * (size_t)out->width * 4, m, out->width);
}

void ysg__matte_tiles_on(ysg_value *out) {
  memset(out->tiles, 1, (size_t)out->tiles_x * (size_t)out->tiles_y);
}

/* ---- blur ------------------------------------------------------------------------------------ */

#define LANES 64 /* the vertical pass filters 64-column strips */

static int max_support(void) {
  ysg_blur_kernel k;
  ysg_blur_kernel_make((float)YSG_MATTE_SIGMA_MAX, 3.0f, &k);
  return k.support > YSG_BLUR_GAUSS_RMAX ? k.support : YSG_BLUR_GAUSS_RMAX;
}

size_t ysg__matte_blur_line_floats(int w, int h) {
  size_t pad = (size_t)max_support();
  size_t hl = (size_t)w + 2 * pad, vl = ((size_t)h + 2 * pad) * LANES;
  return 2 * (hl > vl ? hl : vl);
}

/* Fill samples [a, 0) and [n, b) of a line of n samples (lanes floats each, sample 0 at ext) by
 * repeating the edge samples. */
static void pad_clamp(float *ext, int n, int lanes, int a, int b) {
  size_t sz = (size_t)lanes * sizeof(float);
  for (int i = a; i < 0; i++) memcpy(ext + (ptrdiff_t)i * lanes, ext, sz);
  for (int i = n; i < b; i++)
    memcpy(ext + (ptrdiff_t)i * lanes, ext + (ptrdiff_t)(n - 1) * lanes, sz);
}

/* dst samples [a, b) = mean of src over ±h (src valid on [a − h, b + h)), a running sum. */
static void box_lanes(const float *src, float *dst, int a, int b, int lanes, int h) {
  float acc[LANES];
  float inv = 1.0f / (float)(2 * h + 1);
  for (int c = 0; c < lanes; c++) acc[c] = 0.0f;
  for (int t = a - h; t <= a + h; t++)
    for (int c = 0; c < lanes; c++) acc[c] += src[(ptrdiff_t)t * lanes + c];
  for (int i = a; i < b; i++) {
    if (i > a) {
      const float *in = src + (ptrdiff_t)(i + h) * lanes,
                  *out = src + (ptrdiff_t)(i - h - 1) * lanes;
      for (int c = 0; c < lanes; c++) acc[c] += in[c] - out[c];
    }
    for (int c = 0; c < lanes; c++) dst[(ptrdiff_t)i * lanes + c] = acc[c] * inv;
  }
}

/* Line A (padded by S = k->support on both sides) filtered into B on [0, n); the cascade uses
 * A as its middle buffer. The exact kernel loops taps outside so the samples vectorise. */
static void filter_lanes(float *A, float *B, int n, int lanes, const ysg_blur_kernel *k) {
  if (k->box) {
    int h0 = k->h[0], h1 = k->h[1], h2 = k->h[2];
    box_lanes(A, B, -h1 - h2, n + h1 + h2, lanes, h0);
    box_lanes(B, A, -h2, n + h2, lanes, h1);
    box_lanes(A, B, 0, n, lanes, h2);
    return;
  }
  int m = n * lanes;
  float w0 = k->w[0];
  for (int j = 0; j < m; j++) B[j] = w0 * A[j];
  for (int t = 1; t <= k->r; t++) {
    float wt = k->w[t];
    const float *lo = A - (ptrdiff_t)t * lanes, *hi = A + (ptrdiff_t)t * lanes;
    for (int j = 0; j < m; j++) B[j] += wt * (lo[j] + hi[j]);
  }
}

size_t ysg__matte_blur_row_floats(int w) { return 2 * ((size_t)w + 2 * (size_t)max_support()); }

void ysg__matte_blur_row(const float *src, float *dst, int w, const ysg_blur_kernel *k,
                         float *line) {
  int pad = max_support(), S = k->support;
  float *A = line + pad, *B = line + (size_t)w + 3 * (size_t)pad;
  memcpy(A, src, (size_t)w * sizeof(float));
  pad_clamp(A, w, 1, -S, w + S);
  filter_lanes(A, k->box ? B : dst, w, 1, k);
  if (k->box) memcpy(dst, B, (size_t)w * sizeof(float));
}

typedef struct blur_job {
  const float *src;
  float *dst, *tmp, *lines;
  int w, h, pad;
  size_t line_floats;
  const ysg_blur_kernel *k;
  atomic_int next;
} blur_job;

static void blur_h(void *ud, int w0, int w1) {
  blur_job *j = ud;
  int S = j->k->support;
  for (int wk = w0; wk < w1; wk++) {
    float *A = j->lines + (size_t)wk * j->line_floats + j->pad;
    float *B = A + j->line_floats / 2;
    for (;;) {
      int y = atomic_fetch_add(&j->next, 1);
      if (y >= j->h) break;
      memcpy(A, j->src + (size_t)y * j->w, (size_t)j->w * sizeof(float));
      pad_clamp(A, j->w, 1, -S, j->w + S);
      filter_lanes(A, B, j->w, 1, j->k);
      memcpy(j->tmp + (size_t)y * j->w, B, (size_t)j->w * sizeof(float));
    }
  }
}

static void blur_v(void *ud, int w0, int w1) {
  blur_job *j = ud;
  int S = j->k->support, strips = (j->w + LANES - 1) / LANES;
  for (int wk = w0; wk < w1; wk++) {
    float *A = j->lines + (size_t)wk * j->line_floats + (size_t)j->pad * LANES;
    float *B = A + j->line_floats / 2;
    for (;;) {
      int s = atomic_fetch_add(&j->next, 1);
      if (s >= strips) break;
      int x0 = s * LANES, nl = j->w - x0 < LANES ? j->w - x0 : LANES;
      for (int y = 0; y < j->h; y++) {
        float *d = A + (size_t)y * LANES;
        memcpy(d, j->tmp + (size_t)y * j->w + x0, (size_t)nl * sizeof(float));
        for (int c = nl; c < LANES; c++) d[c] = 0.0f;
      }
      pad_clamp(A, j->h, LANES, -S, j->h + S);
      filter_lanes(A, B, j->h, LANES, j->k);
      for (int y = 0; y < j->h; y++)
        memcpy(j->dst + (size_t)y * j->w + x0, B + (size_t)y * LANES, (size_t)nl * sizeof(float));
    }
  }
}

/* Vertical pass of the exact kernel straight over rows of tmp (no strip copies): each output
 * row is the weighted sum of 2r + 1 rows, taps in the same order as filter_lanes. */
static void blur_v_exact(void *ud, int y0, int y1) {
  const blur_job *j = ud;
  const ysg_blur_kernel *k = j->k;
  int W = j->w, H = j->h;
  for (int y = y0; y < y1; y++) {
    float *restrict o = j->dst + (size_t)y * W;
    const float *c = j->tmp + (size_t)y * W;
    float w0 = k->w[0];
    for (int x = 0; x < W; x++) o[x] = w0 * c[x];
    for (int t = 1; t <= k->r; t++) {
      int a = y - t < 0 ? 0 : y - t, b = y + t > H - 1 ? H - 1 : y + t;
      const float *restrict lo = j->tmp + (size_t)a * W, *restrict hi = j->tmp + (size_t)b * W;
      float wt = k->w[t];
      for (int x = 0; x < W; x++) o[x] += wt * (lo[x] + hi[x]);
    }
  }
}

void ysg__matte_blur(const ysg_node *n, const float *src, float *dst, float *tmp, int w, int h,
                     const ysg_blur_kernel *k, float *lines, int workers) {
  if (w <= 0 || h <= 0) return;
  if (!k->box && k->r == 0) {
    if (dst != src) memcpy(dst, src, (size_t)w * (size_t)h * sizeof(float));
    return;
  }
  blur_job j;
  j.src = src;
  j.dst = dst;
  j.tmp = tmp;
  j.lines = lines;
  j.w = w;
  j.h = h;
  j.pad = max_support();
  j.line_floats = ysg__matte_blur_line_floats(w, h);
  j.k = k;
  atomic_init(&j.next, 0);
  ysg_node_parallel_for(n, workers, 1, blur_h, &j);
  atomic_store(&j.next, 0);
  if (k->box)
    ysg_node_parallel_for(n, workers, 1, blur_v, &j);
  else
    ysg_node_parallel_for(n, h, 16, blur_v_exact, &j);
}

/* ---- grow / shrink ---------------------------------------------------------------------------
 * Values are negated for erosion (min(x) = −max(−x)), so one max routine serves both. */

typedef struct grow_job {
  const float *src;
  float *dst, *tmp, *lines;
  int w, h;
  float r, sgn;
  int width;      /* this pass's half-width (sliding max) */
  const int *dys; /* rows folded with it */
  int n_dys;
  size_t line_floats;
  atomic_int next;
} grow_job;

static float maxf(float a, float b) { return a > b ? a : b; }

size_t ysg__matte_grow_line_floats(int w) {
  /* the padded row, rounded up to whole blocks, and its two block scans */
  return 3 * ((size_t)w + 4 * YSG_MATTE_RADIUS_MAX + 2);
}

/* Small radii: every row offset and column offset of the disc, clipped to the image. */
static void grow_direct(void *ud, int y0, int y1) {
  const grow_job *j = ud;
  int R = (int)floorf(j->r), W = j->w;
  for (int y = y0; y < y1; y++) {
    float *o = j->dst + (size_t)y * W;
    for (int x = 0; x < W; x++) o[x] = -INFINITY;
    for (int dy = -R; dy <= R; dy++) {
      int sy = y + dy, hw = ysg_matte_span(j->r, dy);
      if (sy < 0 || sy >= j->h || hw < 0) continue;
      const float *s = j->src + (size_t)sy * W;
      for (int dx = -hw; dx <= hw; dx++) {
        int a = dx < 0 ? -dx : 0, b = dx > 0 ? W - dx : W;
        for (int x = a; x < b; x++) o[x] = maxf(o[x], j->sgn * s[x + dx]);
      }
    }
    for (int x = 0; x < W; x++) o[x] *= j->sgn;
  }
}

/* Sliding max of half-width hw of every row of src (× sgn) into tmp: van Herk/Gil-Werman blocks
 * of 2hw + 1 over the row padded with −inf (so only pixels inside the image count). */
static void grow_hmax(void *ud, int w0, int w1) {
  grow_job *j = ud;
  int W = j->w, hw = j->width, k = 2 * hw + 1, n = W + 2 * hw;
  int len = (n + k - 1) / k * k;
  for (int wk = w0; wk < w1; wk++) {
    float *pad = j->lines + (size_t)wk * j->line_floats, *g = pad + len, *hb = g + len;
    for (;;) {
      int y = atomic_fetch_add(&j->next, 1);
      if (y >= j->h) break;
      const float *s = j->src + (size_t)y * W;
      for (int i = 0; i < len; i++) {
        int x = i - hw;
        pad[i] = x >= 0 && x < W ? j->sgn * s[x] : -INFINITY;
      }
      for (int b = 0; b < len; b += k) {
        g[b] = pad[b];
        for (int i = 1; i < k; i++) g[b + i] = maxf(g[b + i - 1], pad[b + i]);
        hb[b + k - 1] = pad[b + k - 1];
        for (int i = k - 2; i >= 0; i--) hb[b + i] = maxf(hb[b + i + 1], pad[b + i]);
      }
      float *o = j->tmp + (size_t)y * W;
      for (int x = 0; x < W; x++) o[x] = maxf(hb[x], g[x + 2 * hw]);
    }
  }
}

/* Fold: dst row y = max(dst row y, tmp rows y + dy) for this width's row offsets. */
static void grow_fold(void *ud, int y0, int y1) {
  const grow_job *j = ud;
  int W = j->w;
  for (int y = y0; y < y1; y++) {
    float *o = j->dst + (size_t)y * W;
    for (int i = 0; i < j->n_dys; i++) {
      int sy = y + j->dys[i];
      if (sy < 0 || sy >= j->h) continue;
      const float *t = j->tmp + (size_t)sy * W;
      for (int x = 0; x < W; x++) o[x] = maxf(o[x], t[x]);
    }
  }
}

static void grow_fill(void *ud, int y0, int y1) {
  const grow_job *j = ud;
  for (size_t i = (size_t)y0 * j->w; i < (size_t)y1 * j->w; i++) j->dst[i] = -INFINITY;
}

static void grow_sign(void *ud, int y0, int y1) {
  const grow_job *j = ud;
  for (size_t i = (size_t)y0 * j->w; i < (size_t)y1 * j->w; i++) j->dst[i] *= j->sgn;
}

void ysg__matte_grow(const ysg_node *n, const float *src, float *dst, float *tmp, float *lines,
                     int w, int h, float r, int workers) {
  grow_job j;
  memset(&j, 0, sizeof j);
  atomic_init(&j.next, 0);
  j.src = src;
  j.dst = dst;
  j.tmp = tmp;
  j.lines = lines;
  j.line_floats = ysg__matte_grow_line_floats(w);
  j.w = w;
  j.h = h;
  j.sgn = r < 0.0f ? -1.0f : 1.0f;
  j.r = r < 0.0f ? -r : r;
  if (j.r > (float)YSG_MATTE_RADIUS_MAX) j.r = (float)YSG_MATTE_RADIUS_MAX;
  if (w <= 0 || h <= 0) return;
  int R = (int)floorf(j.r), taps = 0;
  for (int dy = -R; dy <= R; dy++) taps += 2 * ysg_matte_span(j.r, dy) + 1;
  if (taps <= 49) { /* radius ≤ 4: direct is cheaper than the passes */
    ysg_node_parallel_for(n, h, 8, grow_direct, &j);
    return;
  }
  ysg_node_parallel_for(n, h, 8, grow_fill, &j);
  int dys[2 * YSG_MATTE_RADIUS_MAX + 1];
  for (int dy = 0; dy <= R;) {
    int hw = ysg_matte_span(j.r, dy), nd = 0;
    for (; dy <= R && ysg_matte_span(j.r, dy) == hw; dy++) {
      dys[nd++] = dy;
      if (dy) dys[nd++] = -dy;
    }
    j.width = hw;
    j.dys = dys;
    j.n_dys = nd;
    atomic_store(&j.next, 0);
    ysg_node_parallel_for(n, workers, 1, grow_hmax, &j);
    ysg_node_parallel_for(n, h, 8, grow_fold, &j);
  }
  ysg_node_parallel_for(n, h, 8, grow_sign, &j);
}
