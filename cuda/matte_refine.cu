/* matte_refine.cu — CUDA kernels and the launcher of the `matte` node (nodes/matte_refine.c is
 * the reference) and the single-channel matte blur composite also uses. Every configured stage
 * is launched every frame and reads its settings from the parameter block; a stage whose value
 * is 0 this frame returns at once or passes the matte through, so one captured graph serves all
 * frames. Components: union-find with atomicMin (Playne & Hawick 2018) — the same components,
 * roots (smallest index) and areas as matte_cc.c. Grow/shrink: range maxima of a per-row sparse
 * table, one O(1) query per row of the disc (O(r) per pixel, the CPU's values exactly). Guided
 * filter: window sums as running double sums down columns (bands) and along rows (segments),
 * O(1) per pixel in the radius, rounded to float where the CPU rounds. Blur: the filter as one
 * kernel of taps (ysg_blur_tap). Math: engine/matte_math.h. */
#include <stdint.h>

#include "common.cuh"
#include "matte_api.h"

#define TOUCHES_BORDER 0x40000000

static size_t up256(size_t b) { return (b + 255) & ~(size_t)255; }

__device__ static int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ---- single-channel blur ------------------------------------------------------------------- */

__global__ void mb_weights_kernel(const ysg_blur_kernel *k, float *wts) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t < YSG_MATTE_TAPS) wts[t] = t <= k->support ? ysg_blur_tap(k, t) : 0.0f;
}

/* on: NULL, or a device flag that skips the pass when 0. Taps in the CPU's order (centre, then
 * pairs outwards), so the exact kernel rounds as nodes/matte_filter.c does. */
__global__ void mb_h_kernel(const float *src, float *dst, int w, int h, const ysg_blur_kernel *k,
                            const float *wts, const int32_t *on) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if ((on && !*on) || x >= w) return;
  const float *row = src + (size_t)y * w;
  int S = k->support;
  float acc = wts[0] * row[x];
  for (int t = 1; t <= S; t++)
    acc += wts[t] * (row[clampi(x - t, 0, w - 1)] + row[clampi(x + t, 0, w - 1)]);
  dst[(size_t)y * w + x] = acc;
}

__global__ void mb_v_kernel(const float *src, float *dst, int w, int h, const ysg_blur_kernel *k,
                            const float *wts, const int32_t *on) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if ((on && !*on) || x >= w) return;
  int S = k->support;
  float acc = wts[0] * src[(size_t)y * w + x];
  for (int t = 1; t <= S; t++)
    acc += wts[t] * (src[(size_t)clampi(y - t, 0, h - 1) * w + x] +
                     src[(size_t)clampi(y + t, 0, h - 1) * w + x]);
  dst[(size_t)y * w + x] = acc;
}

static ysg_status blur1(const float *src, float *dst, float *tmp, float *wts, int w, int h,
                        const ysg_blur_kernel *k, const int32_t *on, cudaStream_t st, char *err,
                        size_t errcap) {
  mb_weights_kernel<<<1, YSG_MATTE_TAPS, 0, st>>>(k, wts);
  YSG_CUDA_CHECK(cudaGetLastError());
  dim3 g(ysg_cuda_blocks((size_t)w, 128), (unsigned)h);
  mb_h_kernel<<<g, 128, 0, st>>>(src, tmp, w, h, k, wts, on);
  YSG_CUDA_CHECK(cudaGetLastError());
  mb_v_kernel<<<g, 128, 0, st>>>(tmp, dst, w, h, k, wts, on);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_matte_blur(const float *d_src, float *d_dst, float *d_tmp,
                                           float *d_weights, int w, int h,
                                           const ysg_blur_kernel *d_k, void *stream, char *err,
                                           size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  return blur1(d_src, d_dst, d_tmp, d_weights, w, h, d_k, NULL, (cudaStream_t)stream, err, errcap);
}

/* ---- per-pixel stages ---------------------------------------------------------------------- */

__global__ void load_kernel(const uint16_t *in, const uint8_t *tiles, int w, int h, float *a,
                            const ysg_matte_refine_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= w || y >= h) return;
  float v = 0.0f;
  if (tiles[blockIdx.y * gridDim.x + blockIdx.x])
    v = __half2float(__ushort_as_half(in[((size_t)y * w + x) * 4 + 3]));
  a[(size_t)y * w + x] = ysg_matte_threshold(ysg_clamp01(v), op->threshold, op->softness);
}

__global__ void store_kernel(const float *a, int w, int h, uint16_t *out, uint8_t *tiles) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (threadIdx.x == 0 && threadIdx.y == 0) tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  if (x >= w || y >= h) return;
  float m = a[(size_t)y * w + x], q[4] = {m, m, m, m};
  ysg_store_px(out + ((size_t)y * w + x) * 4, q);
}

/* Grow/shrink as range maxima: a sparse table per row, level k holding the maximum of sgn·src
 * over [x, x + 2^k) clipped to the row (level 0 is sgn·src itself), so the maximum over any span
 * of a row is the larger of two overlapping level-k entries. Each pixel then takes one such
 * query per row of the disc: O(r) per pixel, and max is exact, so the values equal the CPU's
 * sliding maxima (matte_filter.c) bit for bit. Levels above this frame's disc width return. */
#define GROW_LEVELS 7 /* 2^7 = 128 ≤ 2·YSG_MATTE_RADIUS_MAX + 1 < 2^8 */

__device__ static float grow_sign(const ysg_matte_refine_op *op) {
  return op->grow < 0.0f ? -1.0f : 1.0f;
}

__device__ static float grow_radius(const ysg_matte_refine_op *op) {
  float r = op->grow < 0.0f ? -op->grow : op->grow;
  return r > (float)YSG_MATTE_RADIUS_MAX ? (float)YSG_MATTE_RADIUS_MAX : r;
}

/* level k (1 … GROW_LEVELS) of the table from level k − 1 (k = 1: sgn·src) */
__global__ void grow_level_kernel(const float *src, float *levels, int w, int h, int k,
                                  const ysg_matte_refine_op *op) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  int R = (int)floorf(grow_radius(op));
  if (op->grow == 0.0f || (1 << k) > 2 * R + 1 || x >= w) return;
  size_t n = (size_t)w * h, i = (size_t)y * w + x;
  int half = 1 << (k - 1);
  float a, b;
  if (k == 1) {
    float sg = grow_sign(op);
    a = sg * src[i];
    b = x + 1 < w ? sg * src[i + 1] : a;
  } else {
    const float *prev = levels + (size_t)(k - 2) * n;
    a = prev[i];
    b = x + half < w ? prev[i + half] : a;
  }
  levels[(size_t)(k - 1) * n + i] = a > b ? a : b;
}

/* dst = max (grow > 0) or min (grow < 0) over the disc of radius |grow| inside the image. */
__global__ void grow_kernel(const float *src, const float *levels, float *dst, int w, int h,
                            const ysg_matte_refine_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= w || y >= h) return;
  if (op->grow == 0.0f) {
    dst[(size_t)y * w + x] = src[(size_t)y * w + x];
    return;
  }
  float sg = grow_sign(op), r = grow_radius(op);
  size_t n = (size_t)w * h;
  int R = (int)floorf(r);
  float best = -INFINITY;
  for (int dy = -R; dy <= R; dy++) {
    int sy = y + dy, hw = ysg_matte_span(r, dy);
    if (sy < 0 || sy >= h || hw < 0) continue;
    int a = x - hw < 0 ? 0 : x - hw, b = x + hw > w - 1 ? w - 1 : x + hw;
    int k = 31 - __clz(b - a + 1); /* 2^k ≤ span length < 2^(k+1) */
    size_t row = (size_t)sy * w;
    float u, v;
    if (k == 0) {
      u = v = sg * src[row + a];
    } else {
      const float *lv = levels + (size_t)(k - 1) * n + row;
      u = lv[a], v = lv[b - (1 << k) + 1];
    }
    float m = u > v ? u : v;
    best = m > best ? m : best;
  }
  dst[(size_t)y * w + x] = sg * best;
}

__global__ void feather_kernel(float *a, const float *b, size_t n, const ysg_matte_refine_op *op) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (!op->feather_on || i >= n) return;
  a[i] = ysg_matte_feather(op->feather_mode, a[i], b[i]);
}

/* state: two planes; the average is read from plane temporal_src and written to the other, which
 * the host makes the average only when the frame succeeds (nodes/matte_refine.c) */
__global__ void temporal_kernel(float *a, float *state, size_t n, const ysg_matte_refine_op *op) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float *prev = state + (op->temporal_src ? n : 0);
  float *next = state + (op->temporal_src ? 0 : n);
  float s = op->temporal_reset
                ? a[i]
                : ysg_matte_temporal(prev[i], a[i], op->temporal, op->motion, op->deadband);
  next[i] = s;
  a[i] = s;
}

/* ---- connected components ---------------------------------------------------------------- */

__device__ static int32_t cc_find(const int32_t *lab, int32_t x) {
  int32_t p = ((const volatile int32_t *)lab)[x];
  while (p != x) {
    x = p;
    p = ((const volatile int32_t *)lab)[x];
  }
  return x;
}

__device__ static void cc_unite(int32_t *lab, int32_t a, int32_t b) {
  for (;;) {
    a = cc_find(lab, a);
    b = cc_find(lab, b);
    if (a == b) return;
    if (a < b) {
      int32_t old = atomicMin(&lab[b], a);
      if (old == b) return;
      b = old;
    } else {
      int32_t old = atomicMin(&lab[a], b);
      if (old == a) return;
      a = old;
    }
  }
}

__device__ static int cc_on(const ysg_matte_refine_op *op) {
  return op->islands > 0 || op->holes > 0;
}

__global__ void cc_init_kernel(int32_t *lab, int32_t *area, size_t n,
                               const ysg_matte_refine_op *op) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (!cc_on(op) || i >= n) return;
  lab[i] = (int32_t)i;
  area[i] = 0;
}

__global__ void cc_merge_kernel(const float *m, int32_t *lab, int w, int h,
                                const ysg_matte_refine_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (!cc_on(op) || x >= w || y >= h) return;
  int32_t i = (int32_t)((size_t)y * w + x);
  int fg = m[i] >= 0.5f;
  if (x > 0 && (m[i - 1] >= 0.5f) == fg) cc_unite(lab, i, i - 1);
  if (y > 0) {
    int32_t u = i - w;
    if ((m[u] >= 0.5f) == fg) cc_unite(lab, i, u);
    if (fg && x > 0 && m[u - 1] >= 0.5f) cc_unite(lab, i, u - 1);
    if (fg && x + 1 < w && m[u + 1] >= 0.5f) cc_unite(lab, i, u + 1);
  }
}

__global__ void cc_count_kernel(int32_t *lab, int32_t *area, int w, int h,
                                const ysg_matte_refine_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (!cc_on(op) || x >= w || y >= h) return;
  size_t i = (size_t)y * w + x;
  int32_t r = cc_find(lab, (int32_t)i);
  lab[i] = r;
  atomicAdd(&area[r], 1);
  if (x == 0 || y == 0 || x == w - 1 || y == h - 1) atomicOr(&area[r], TOUCHES_BORDER);
}

__global__ void cc_apply_kernel(float *m, const int32_t *lab, const int32_t *area, size_t n,
                                const ysg_matte_refine_op *op) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (!cc_on(op) || i >= n) return;
  int32_t a = area[lab[i]];
  int64_t size = a & ~TOUCHES_BORDER;
  if (m[i] >= 0.5f) {
    if (size < op->islands) m[i] = 0.0f;
  } else if (!(a & TOUCHES_BORDER) && size < op->holes) {
    m[i] = 1.0f;
  }
}

/* ---- guided filter ------------------------------------------------------------------------ */

__global__ void gf_guide_kernel(const uint16_t *img, const uint8_t *tiles, int w, int h, float *g,
                                const ysg_matte_refine_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (op->guided <= 0 || x >= w || y >= h) return;
  float p[4] = {0, 0, 0, 0}, c[3];
  if (tiles[blockIdx.y * gridDim.x + blockIdx.x]) ysg_load_px(img + ((size_t)y * w + x) * 4, p);
  ysg_guided_guide(p, c);
  size_t n = (size_t)w * h, i = (size_t)y * w + x;
  g[i] = c[0], g[n + i] = c[1], g[2 * n + i] = c[2];
}

/* Window sums as the CPU forms them (matte_guided.c): running sums in double, rounded to float
 * only when stored. Vertical: one thread per column and band of GF_BAND rows starts its window
 * by a direct sum and then adds the row entering it and subtracts the one leaving, storing the
 * column sums (pass 1: the 13 guide/matte terms of ysg_guided_terms from the guide planes g and
 * the matte p; pass 2: the 4 coefficient planes ab) into hs. A stored column sum is off by at
 * most half a float ulp, so a row window of them is within about one ulp of the CPU's, however
 * large the radius or the frame. */
#define GF_BAND 32 /* rows per thread of the vertical pass */
#define GF_SEG 32  /* columns per thread of the horizontal pass */

template <int PASS>
__device__ static void gf_add(double *v, const float *g, const float *p, const float *ab, size_t n,
                              size_t i, double sign) {
  if (PASS == 1) {
    float gc[3] = {g[i], g[n + i], g[2 * n + i]}, t[YSG_GUIDED_SUMS];
    ysg_guided_terms(gc, p[i], t);
    for (int c = 0; c < YSG_GUIDED_SUMS; c++) v[c] += sign * (double)t[c];
  } else {
    for (int c = 0; c < 4; c++) v[c] += sign * (double)ab[c * n + i];
  }
}

template <int PASS>
__global__ void gf_v_kernel(const float *g, const float *p, const float *ab, float *hs, int w,
                            int h, const ysg_matte_refine_op *op) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y0 = blockIdx.y * GF_BAND;
  if (op->guided <= 0 || x >= w || y0 >= h) return;
  int r = op->guided, y1 = y0 + GF_BAND < h ? y0 + GF_BAND : h;
  const int nc = PASS == 1 ? YSG_GUIDED_SUMS : 4;
  size_t n = (size_t)w * h;
  double v[YSG_GUIDED_SUMS];
  for (int c = 0; c < YSG_GUIDED_SUMS; c++) v[c] = 0.0;
  for (int yy = y0 - r < 0 ? 0 : y0 - r; yy <= y0 + r && yy < h; yy++)
    gf_add<PASS>(v, g, p, ab, n, (size_t)yy * w + x, 1.0);
  for (int y = y0; y < y1; y++) {
    if (y > y0) {
      if (y + r < h) gf_add<PASS>(v, g, p, ab, n, (size_t)(y + r) * w + x, 1.0);
      if (y - r - 1 >= 0) gf_add<PASS>(v, g, p, ab, n, (size_t)(y - r - 1) * w + x, -1.0);
    }
    for (int c = 0; c < nc; c++) hs[c * n + (size_t)y * w + x] = (float)v[c];
  }
}

/* Horizontal: one thread per row and segment of GF_SEG columns, running double sums of the
 * column sums hs along the row, each window rounded to float as the CPU rounds it. Pass 1: the
 * coefficients into ab; pass 2: q = mean(a)·I + mean(b) into dst, as matte_guided.c's output()
 * computes it (guided off this frame: dst = p). */
template <int PASS>
__global__ void gf_h_kernel(const float *g, const float *p, const float *hs, float *ab, float *dst,
                            int w, int h, const ysg_matte_refine_op *op) {
  int x0 = (blockIdx.x * blockDim.x + threadIdx.x) * GF_SEG, y = blockIdx.y;
  if (x0 >= w) return;
  int x1 = x0 + GF_SEG < w ? x0 + GF_SEG : w;
  size_t n = (size_t)w * h, row = (size_t)y * w;
  if (op->guided <= 0) {
    if (PASS == 2)
      for (int x = x0; x < x1; x++) dst[row + x] = p[row + x];
    return;
  }
  const int r = op->guided, nc = PASS == 1 ? YSG_GUIDED_SUMS : 4;
  int ny = (y + r < h - 1 ? y + r : h - 1) - (y - r < 0 ? 0 : y - r) + 1;
  double v[YSG_GUIDED_SUMS];
  for (int c = 0; c < YSG_GUIDED_SUMS; c++) v[c] = 0.0;
  for (int sx = x0 - r < 0 ? 0 : x0 - r; sx <= x0 + r && sx < w; sx++)
    for (int c = 0; c < nc; c++) v[c] += (double)hs[c * n + row + sx];
  for (int x = x0; x < x1; x++) {
    if (x > x0) {
      if (x + r < w)
        for (int c = 0; c < nc; c++) v[c] += (double)hs[c * n + row + x + r];
      if (x - r - 1 >= 0)
        for (int c = 0; c < nc; c++) v[c] -= (double)hs[c * n + row + x - r - 1];
    }
    int cnt = ((x + r < w - 1 ? x + r : w - 1) - (x - r < 0 ? 0 : x - r) + 1) * ny;
    size_t i = row + x;
    if (PASS == 1) {
      float s[YSG_GUIDED_SUMS], c4[4];
      for (int c = 0; c < YSG_GUIDED_SUMS; c++) s[c] = (float)v[c];
      ysg_guided_coeffs(s, (float)cnt, op->eps, c4);
      for (int c = 0; c < 4; c++) ab[c * n + i] = c4[c];
    } else {
      double inv = 1.0 / (double)cnt;
      float m[4];
      for (int c = 0; c < 4; c++) m[c] = (float)((double)(float)v[c] * inv);
      dst[i] = m[0] * g[i] + m[1] * g[n + i] + m[2] * g[2 * n + i] + m[3];
    }
  }
}

/* ---- the launcher ------------------------------------------------------------------------- */

typedef struct refine_bufs {
  float *a, *b, *c, *wf, *wb, *levels;
  int32_t *lab, *area;
  float *g, *hs, *ab;
} refine_bufs;

/* Carve the work area (the same order ysg__cuda_matte_refine_work_bytes counts). */
static size_t carve(char *base, int w, int h, const ysg_matte_refine_cfg *cfg, refine_bufs *b) {
  size_t plane = up256((size_t)w * h * sizeof(float)), off = 0;
  size_t taps = up256(YSG_MATTE_TAPS * sizeof(float));
#define TAKE(field, type, bytes)                          \
  do {                                                    \
    if (b) b->field = base ? (type *)(base + off) : NULL; \
    off += (bytes);                                       \
  } while (0)
  int need_bc = cfg->grow || cfg->feather || cfg->blur || cfg->guided;
  TAKE(a, float, plane);
  if (need_bc) {
    TAKE(b, float, plane);
    TAKE(c, float, plane);
  }
  if (cfg->grow) TAKE(levels, float, GROW_LEVELS *plane);
  if (cfg->feather) TAKE(wf, float, taps);
  if (cfg->blur) TAKE(wb, float, taps);
  if (cfg->components) {
    TAKE(lab, int32_t, plane);
    TAKE(area, int32_t, plane);
  }
  if (cfg->guided) {
    TAKE(g, float, 3 * plane);
    TAKE(hs, float, YSG_GUIDED_SUMS *plane);
    TAKE(ab, float, 4 * plane);
  }
#undef TAKE
  return off;
}

extern "C" size_t ysg__cuda_matte_refine_work_bytes(int w, int h, const ysg_matte_refine_cfg *cfg) {
  return carve(NULL, w, h, cfg, NULL);
}

extern "C" ysg_status ysg__cuda_matte_refine(const uint16_t *d_in, const uint8_t *d_in_tiles,
                                             const uint16_t *d_guide, const uint8_t *d_guide_tiles,
                                             int w, int h, uint16_t *d_out, uint8_t *d_out_tiles,
                                             const ysg_matte_refine_op *d_op,
                                             const ysg_matte_refine_cfg *cfg, float *d_state,
                                             void *d_work, void *stream, char *err, size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  refine_bufs b = {0};
  carve((char *)d_work, w, h, cfg, &b);
  size_t n = (size_t)w * h;
  dim3 tg = ysg_cuda_tile_grid(w, h), tb = ysg_cuda_tile_block();
  unsigned lin = ysg_cuda_blocks(n, 256);
  dim3 rows(ysg_cuda_blocks((size_t)w, 128), (unsigned)h);
  load_kernel<<<tg, tb, 0, st>>>(d_in, d_in_tiles, w, h, b.a, d_op);
  YSG_CUDA_CHECK(cudaGetLastError());
  float *cur = b.a, *other = b.b;
  if (cfg->components) {
    cc_init_kernel<<<lin, 256, 0, st>>>(b.lab, b.area, n, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    cc_merge_kernel<<<tg, tb, 0, st>>>(cur, b.lab, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    cc_count_kernel<<<tg, tb, 0, st>>>(b.lab, b.area, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    cc_apply_kernel<<<lin, 256, 0, st>>>(cur, b.lab, b.area, n, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  if (cfg->grow) {
    for (int k = 1; k <= GROW_LEVELS; k++) {
      grow_level_kernel<<<rows, 128, 0, st>>>(cur, b.levels, w, h, k, d_op);
      YSG_CUDA_CHECK(cudaGetLastError());
    }
    grow_kernel<<<tg, tb, 0, st>>>(cur, b.levels, other, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    float *t = cur;
    cur = other, other = t;
  }
  if (cfg->feather) {
    ysg_status s =
        blur1(cur, other, b.c, b.wf, w, h, &d_op->feather_k, &d_op->feather_on, st, err, errcap);
    if (s) return s;
    feather_kernel<<<lin, 256, 0, st>>>(cur, other, n, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  if (cfg->blur) {
    ysg_status s = blur1(cur, cur, b.c, b.wb, w, h, &d_op->blur_k, &d_op->blur_on, st, err, errcap);
    if (s) return s;
  }
  if (cfg->temporal && d_state) {
    temporal_kernel<<<lin, 256, 0, st>>>(cur, d_state, n, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  if (cfg->guided && d_guide) {
    gf_guide_kernel<<<tg, tb, 0, st>>>(d_guide, d_guide_tiles, w, h, b.g, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    dim3 bands(ysg_cuda_blocks((size_t)w, 128), (unsigned)((h + GF_BAND - 1) / GF_BAND));
    dim3 segs(ysg_cuda_blocks((size_t)(w + GF_SEG - 1) / GF_SEG, 64), (unsigned)h);
    gf_v_kernel<1><<<bands, 128, 0, st>>>(b.g, cur, b.ab, b.hs, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    gf_h_kernel<1><<<segs, 64, 0, st>>>(b.g, cur, b.hs, b.ab, other, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    gf_v_kernel<2><<<bands, 128, 0, st>>>(b.g, cur, b.ab, b.hs, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    gf_h_kernel<2><<<segs, 64, 0, st>>>(b.g, cur, b.hs, b.ab, other, w, h, d_op);
    YSG_CUDA_CHECK(cudaGetLastError());
    cur = other;
  }
  store_kernel<<<tg, tb, 0, st>>>(cur, w, h, d_out, d_out_tiles);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
