/* graph.cu — the `graph` node's knn and radius graphs on the device (nodes/graph_grid.c is the
 * reference). The grid is built as on the CPU — bounds and cell side (one block, the same
 * ysg_grid_setup), cell counts, a stable CUB radix sort of (cell, index) so each cell lists its
 * points in ascending index, an exclusive scan — and queried with the same YSG_HD functions of
 * nodes/graph.h, one thread per point. Edges are counted per row (lower end), scanned, scattered
 * and each row sorted, so the output equals the CPU's edge for edge. Counts and the radius are
 * read from device memory: every launch has a fixed shape for a given capacity. The node's device
 * frame ends with ysg__cuda_graph_finish (delta_y_cap, the output header, the capacity checks)
 * and ysg__cuda_points_copy (the points' pass-through). */
#include <stdint.h>

#include <cub/device/device_radix_sort.cuh>

#include "common.cuh"
#include "graph.h"
#include "graph_api.h"

#define MAX_K 64
#define ONE_BLOCK 1024 /* threads of the single-block bounds and scan kernels */
#define BLOCK 128

/* The grid and the frame's state, written by bounds_kernel and read by every later kernel. */
typedef struct dev_grid {
  float x0, y0, cell, margin, r2;
  int nx, ny;
  int n;  /* points this frame; 0 when a point is not finite (nothing is built) */
  int ok; /* the edges fit cap_edges */
} dev_grid;

__device__ static ysg_grid_view view_of(const dev_grid *gi, const int32_t *start,
                                        const int32_t *order, const float *sxy) {
  ysg_grid_view g;
  g.x0 = gi->x0;
  g.y0 = gi->y0;
  g.cell = gi->cell;
  g.margin = gi->margin;
  g.nx = gi->nx;
  g.ny = gi->ny;
  g.start = start;
  g.order = order;
  g.sxy = sxy;
  return g;
}

/* Bounds, the first non-finite point and the grid, in one block. */
__global__ void bounds_kernel(const float *xy, const int32_t *d_n, int cap, int radius_mode,
                              const float *d_radius, int max_cells, dev_grid *gi, int32_t *status,
                              int32_t *n_edges) {
  __shared__ float lo[2][ONE_BLOCK], hi[2][ONE_BLOCK];
  __shared__ int bad[ONE_BLOCK];
  int t = threadIdx.x, n = *d_n;
  n = n < 0 ? 0 : (n > cap ? cap : n);
  float mnx = FLT_MAX, mny = FLT_MAX, mxx = -FLT_MAX, mxy = -FLT_MAX;
  int b = INT32_MAX;
  for (int i = t; i < n; i += blockDim.x) {
    float x = xy[2 * i], y = xy[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) {
      b = i < b ? i : b;
      continue;
    }
    mnx = fminf(mnx, x);
    mny = fminf(mny, y);
    mxx = fmaxf(mxx, x);
    mxy = fmaxf(mxy, y);
  }
  lo[0][t] = mnx;
  lo[1][t] = mny;
  hi[0][t] = mxx;
  hi[1][t] = mxy;
  bad[t] = b;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) {
      lo[0][t] = fminf(lo[0][t], lo[0][t + s]);
      lo[1][t] = fminf(lo[1][t], lo[1][t + s]);
      hi[0][t] = fmaxf(hi[0][t], hi[0][t + s]);
      hi[1][t] = fmaxf(hi[1][t], hi[1][t + s]);
      bad[t] = bad[t] < bad[t + s] ? bad[t] : bad[t + s];
    }
    __syncthreads();
  }
  if (t != 0) return;
  float bounds[4] = {lo[0][0], lo[1][0], hi[0][0], hi[1][0]};
  if (n == 0) bounds[0] = bounds[1] = bounds[2] = bounds[3] = 0;
  float r = radius_mode ? *d_radius : 0.0f;
  ysg_grid_view g;
  ysg_grid_setup(&g, n, bounds, radius_mode, r, max_cells);
  gi->x0 = g.x0;
  gi->y0 = g.y0;
  gi->cell = g.cell;
  gi->margin = g.margin;
  gi->nx = g.nx;
  gi->ny = g.ny;
  gi->r2 = __fmul_rn(r, r);
  int invalid = bad[0] != INT32_MAX || (radius_mode && !(r >= 0));
  gi->n = invalid ? 0 : n;
  gi->ok = 0;
  status[YSG_GRAPH_STATUS_NEEDED] = 0;
  status[YSG_GRAPH_STATUS_BAD] = bad[0] != INT32_MAX ? bad[0] : -1;
  *n_edges = 0;
}

/* Key each point by its cell (points past the count by max_cells, which sorts last). */
__global__ void cell_kernel(const float *xy, const dev_grid *gi, int cap, int max_cells,
                            uint32_t *keys, int32_t *vals, int32_t *counts) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= cap) return;
  vals[i] = i;
  if (i >= gi->n) {
    keys[i] = (uint32_t)max_cells;
    return;
  }
  ysg_grid_view g = view_of(gi, NULL, NULL, NULL);
  int c = ysg_grid_cell(&g, xy[2 * i], xy[2 * i + 1]);
  keys[i] = (uint32_t)c;
  atomicAdd(&counts[c], 1);
}

/* Exclusive scan of in[0..len) into out[0..len] (and out2[0..len) when given), in one block
 * with 64-bit sums. rows == 0: len = the grid's cells; rows == 1: len = points, and the total
 * is the edge count: status, *n_edges and gi->ok follow from it. */
__global__ void scan_kernel(const int32_t *in, int32_t *out, int32_t *out2, dev_grid *gi, int rows,
                            int cap_edges, int32_t *status, int32_t *n_edges) {
  __shared__ long long part[ONE_BLOCK];
  __shared__ long long total;
  int len = rows ? gi->n : gi->nx * gi->ny;
  int t = threadIdx.x, per = (len + blockDim.x - 1) / blockDim.x;
  int b = t * per, e = b + per < len ? b + per : len;
  long long s = 0;
  for (int i = b; i < e; i++) s += in[i];
  part[t] = s;
  __syncthreads();
  if (t == 0) {
    long long acc = 0;
    for (int u = 0; u < (int)blockDim.x; u++) {
      long long v = part[u];
      part[u] = acc;
      acc += v;
    }
    total = acc;
  }
  __syncthreads();
  long long acc = part[t];
  for (int i = b; i < e; i++) {
    out[i] = (int32_t)acc;
    if (out2) out2[i] = (int32_t)acc;
    acc += in[i];
  }
  if (t != 0) return;
  out[len] = (int32_t)(total < INT32_MAX ? total : INT32_MAX);
  if (!rows) return;
  int ok = total <= (long long)cap_edges;
  gi->ok = ok;
  status[YSG_GRAPH_STATUS_NEEDED] = (int32_t)(total < INT32_MAX ? total : INT32_MAX);
  *n_edges = ok ? (int32_t)total : 0;
}

/* The points in cell order, so each query reads a cell's coordinates contiguously. */
__global__ void gather_kernel(const float *xy, const dev_grid *gi, const int32_t *order,
                              float *sxy) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= gi->n) return;
  int i = order[s];
  sxy[2 * s] = xy[2 * i];
  sxy[2 * s + 1] = xy[2 * i + 1];
}

/* One thread per point, in cell order: a warp's queries share cells. */
__global__ void knn_kernel(const dev_grid *gi, const int32_t *start, const int32_t *order,
                           const float *sxy, int k, int32_t *nbr) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= gi->n) return;
  ysg_grid_view g = view_of(gi, start, order, sxy);
  float bd[MAX_K];
  int32_t bj[MAX_K], bp[MAX_K];
  int m = ysg_knn_point(&g, sxy[2 * s], sxy[2 * s + 1], order[s], k, bd, bj, bp);
  for (int t = 0; t < k; t++) nbr[(size_t)s * k + t] = t < m ? bp[t] : -1;
}

/* One thread per directed link (nbr by grid position, as ysg_knn_emits reads it): count
 * (write == 0) or scatter the emitted edges into their row (the lower end); the row sort below
 * makes the order independent of the atomics. */
__global__ void knn_emit_kernel(const int32_t *nbr, const int32_t *order, const dev_grid *gi, int k,
                                int32_t *rowcnt, int32_t *cursor, int32_t *ij, int write) {
  long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (long long)gi->n * k || (write && !gi->ok)) return;
  int s = (int)(idx / k);
  int32_t s2 = nbr[idx];
  if (s2 < 0 || !ysg_knn_emits(nbr, order, k, s, s2)) return;
  int32_t i = order[s], j = order[s2];
  int32_t a = j < i ? j : i, b = j < i ? i : j;
  if (!write) {
    atomicAdd(&rowcnt[a], 1);
    return;
  }
  int p = atomicAdd(&cursor[a], 1);
  ij[2 * (size_t)p] = a;
  ij[2 * (size_t)p + 1] = b;
}

__global__ void row_sort_kernel(const dev_grid *gi, const int32_t *rowstart, int32_t *ij) {
  int a = blockIdx.x * blockDim.x + threadIdx.x;
  if (a >= gi->n || !gi->ok) return;
  ysg_sort_row(ij + 2 * (size_t)rowstart[a], rowstart[a + 1] - rowstart[a]);
}

/* write == 0: rowcnt[i] = row i's radius edges; write == 1: the row at ij + 2·rowstart[i]. */
__global__ void radius_kernel(const dev_grid *gi, const int32_t *start, const int32_t *order,
                              const float *sxy, int32_t *rowcnt, const int32_t *rowstart,
                              int32_t *ij, int write) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= gi->n || (write && !gi->ok)) return;
  ysg_grid_view g = view_of(gi, start, order, sxy);
  int i = order[s];
  float qx = sxy[2 * s], qy = sxy[2 * s + 1];
  if (!write)
    rowcnt[i] = ysg_radius_row(&g, qx, qy, i, gi->r2, NULL);
  else
    ysg_radius_row(&g, qx, qy, i, gi->r2, ij + 2 * (size_t)rowstart[i]);
}

/* ---- scratch and launchers ------------------------------------------------------------------ */

typedef struct dev_ws {
  dev_grid *gi;
  int32_t *counts, *start; /* (max_cells + 1) */
  uint32_t *keys, *keys_out;
  int32_t *vals, *order;               /* (cap) */
  float *sxy;                          /* (cap, 2) */
  int32_t *nbr;                        /* (cap, k) neighbour positions, by position */
  int32_t *rowcnt, *rowstart, *cursor; /* (cap + 1) */
  void *cub;
  size_t cub_bytes;
} dev_ws;

static size_t al(size_t b) { return (b + 255) & ~(size_t)255; }

static int end_bit(int max_cells) {
  int b = 1;
  while (b < 32 && ((uint32_t)max_cells >> b) != 0) b++;
  return b;
}

static size_t layout(int cap, int k, size_t cub_bytes, char *base, dev_ws *w) {
  size_t off = 0, mc = (size_t)ysg_grid_max_cells(cap) + 1, c = (size_t)cap;
#define TAKE(field, type, count)                    \
  do {                                              \
    if (w) w->field = (type *)(void *)(base + off); \
    off += al(sizeof(type) * (count));              \
  } while (0)
  TAKE(gi, dev_grid, 1);
  TAKE(counts, int32_t, mc);
  TAKE(start, int32_t, mc);
  TAKE(keys, uint32_t, c);
  TAKE(keys_out, uint32_t, c);
  TAKE(vals, int32_t, c);
  TAKE(order, int32_t, c);
  TAKE(sxy, float, 2 * c);
  TAKE(nbr, int32_t, c * (size_t)(k > 0 ? k : 1));
  TAKE(rowcnt, int32_t, c + 1);
  TAKE(rowstart, int32_t, c + 1);
  TAKE(cursor, int32_t, c + 1);
  TAKE(cub, char, cub_bytes > 0 ? cub_bytes : 1);
#undef TAKE
  if (w) w->cub_bytes = cub_bytes;
  return off;
}

static ysg_status cub_bytes_for(int cap, size_t *bytes, char *err, size_t errcap) {
  *bytes = 0;
  YSG_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
      NULL, *bytes, (const uint32_t *)NULL, (uint32_t *)NULL, (const int32_t *)NULL,
      (int32_t *)NULL, cap, 0, end_bit(ysg_grid_max_cells(cap))));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_temp_bytes(int cap_points, int k, size_t *bytes, char *err,
                                                 size_t errcap) {
  int cap = cap_points > 0 ? cap_points : 1;
  size_t cb = 0;
  ysg_status s = cub_bytes_for(cap, &cb, err, errcap);
  if (s) return s;
  *bytes = layout(cap, k, cb, NULL, NULL);
  return YSG_OK;
}

/* The grid of the first *d_n points, shared by both launchers. */
static ysg_status build_grid(const float *d_xy, const int32_t *d_n, int cap, int radius_mode,
                             const float *d_radius, int32_t *d_status, int32_t *d_n_edges,
                             dev_ws *w, cudaStream_t st, char *err, size_t errcap) {
  int mc = ysg_grid_max_cells(cap);
  YSG_CUDA_CHECK(cudaMemsetAsync(w->counts, 0, sizeof(int32_t) * ((size_t)mc + 1), st));
  bounds_kernel<<<1, ONE_BLOCK, 0, st>>>(d_xy, d_n, cap, radius_mode, d_radius, mc, w->gi, d_status,
                                         d_n_edges);
  YSG_CUDA_CHECK(cudaGetLastError());
  cell_kernel<<<ysg_cuda_blocks((size_t)cap, 256), 256, 0, st>>>(d_xy, w->gi, cap, mc, w->keys,
                                                                 w->vals, w->counts);
  YSG_CUDA_CHECK(cudaGetLastError());
  size_t cb = w->cub_bytes;
  YSG_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(w->cub, cb, w->keys, w->keys_out, w->vals,
                                                 w->order, cap, 0, end_bit(mc), st));
  scan_kernel<<<1, ONE_BLOCK, 0, st>>>(w->counts, w->start, NULL, w->gi, 0, 0, d_status, d_n_edges);
  YSG_CUDA_CHECK(cudaGetLastError());
  gather_kernel<<<ysg_cuda_blocks((size_t)cap, 256), 256, 0, st>>>(d_xy, w->gi, w->order, w->sxy);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

static ysg_status prepare(int cap_points, int k, void *d_temp, size_t temp_bytes, int *cap,
                          dev_ws *w, char *err, size_t errcap) {
  *cap = cap_points > 0 ? cap_points : 1;
  size_t cb = 0;
  ysg_status s = cub_bytes_for(*cap, &cb, err, errcap);
  if (s) return s;
  size_t need = layout(*cap, k, cb, (char *)d_temp, w);
  if (need > temp_bytes) {
    snprintf(err, errcap, "the graph kernels need %zu bytes of scratch, got %zu", need, temp_bytes);
    return YSG_ERR_INVALID;
  }
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_knn(const float *d_xy, const int32_t *d_n_points,
                                          int cap_points, int k, int32_t *d_ij, int32_t *d_n_edges,
                                          int cap_edges, int32_t *d_status, void *d_temp,
                                          size_t temp_bytes, void *stream, char *err,
                                          size_t errcap) {
  if (k < 1 || k > MAX_K) {
    snprintf(err, errcap, "k must be in 1..%d, got %d", MAX_K, k);
    return YSG_ERR_INVALID;
  }
  cudaStream_t st = (cudaStream_t)stream;
  dev_ws w;
  int cap;
  ysg_status s = prepare(cap_points, k, d_temp, temp_bytes, &cap, &w, err, errcap);
  if (s) return s;
  s = build_grid(d_xy, d_n_points, cap, 0, NULL, d_status, d_n_edges, &w, st, err, errcap);
  if (s) return s;
  size_t links = (size_t)cap * (size_t)k;
  knn_kernel<<<ysg_cuda_blocks((size_t)cap, BLOCK), BLOCK, 0, st>>>(w.gi, w.start, w.order, w.sxy,
                                                                    k, w.nbr);
  YSG_CUDA_CHECK(cudaGetLastError());
  YSG_CUDA_CHECK(cudaMemsetAsync(w.rowcnt, 0, sizeof(int32_t) * ((size_t)cap + 1), st));
  knn_emit_kernel<<<ysg_cuda_blocks(links, 256), 256, 0, st>>>(w.nbr, w.order, w.gi, k, w.rowcnt,
                                                               NULL, NULL, 0);
  YSG_CUDA_CHECK(cudaGetLastError());
  scan_kernel<<<1, ONE_BLOCK, 0, st>>>(w.rowcnt, w.rowstart, w.cursor, w.gi, 1, cap_edges, d_status,
                                       d_n_edges);
  YSG_CUDA_CHECK(cudaGetLastError());
  knn_emit_kernel<<<ysg_cuda_blocks(links, 256), 256, 0, st>>>(w.nbr, w.order, w.gi, k, NULL,
                                                               w.cursor, d_ij, 1);
  YSG_CUDA_CHECK(cudaGetLastError());
  row_sort_kernel<<<ysg_cuda_blocks((size_t)cap, 256), 256, 0, st>>>(w.gi, w.rowstart, d_ij);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_radius(const float *d_xy, const int32_t *d_n_points,
                                             int cap_points, const float *d_radius, int32_t *d_ij,
                                             int32_t *d_n_edges, int cap_edges, int32_t *d_status,
                                             void *d_temp, size_t temp_bytes, void *stream,
                                             char *err, size_t errcap) {
  cudaStream_t st = (cudaStream_t)stream;
  dev_ws w;
  int cap;
  ysg_status s = prepare(cap_points, 0, d_temp, temp_bytes, &cap, &w, err, errcap);
  if (s) return s;
  s = build_grid(d_xy, d_n_points, cap, 1, d_radius, d_status, d_n_edges, &w, st, err, errcap);
  if (s) return s;
  unsigned blocks = ysg_cuda_blocks((size_t)cap, BLOCK);
  radius_kernel<<<blocks, BLOCK, 0, st>>>(w.gi, w.start, w.order, w.sxy, w.rowcnt, NULL, NULL, 0);
  YSG_CUDA_CHECK(cudaGetLastError());
  scan_kernel<<<1, ONE_BLOCK, 0, st>>>(w.rowcnt, w.rowstart, NULL, w.gi, 1, cap_edges, d_status,
                                       d_n_edges);
  YSG_CUDA_CHECK(cudaGetLastError());
  radius_kernel<<<blocks, BLOCK, 0, st>>>(w.gi, w.start, w.order, w.sxy, NULL, w.rowstart, d_ij, 1);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

/* ---- the node's device frame: delta_y_cap, output header, points' pass-through ------------- */

#define FINISH_BLOCK 1024

/* One block: per-thread chunks of the edges, a block scan of the kept counts, then each chunk
 * written at its offset, so the order is the CPU's (ysg__edges_delta_y). */
__global__ void graph_finish_kernel(const int32_t *ij, const int32_t *d_n, const float *xy,
                                    const float *d_cap, const int32_t *status, int cap_edges,
                                    int32_t *out_ij, ysg_value_header *out, int32_t *need,
                                    int32_t *bad) {
  __shared__ int32_t sums[FINISH_BLOCK];
  int k = threadIdx.x, n = *d_n;
  n = n < 0 ? 0 : (n > cap_edges ? cap_edges : n);
  float cap = *d_cap;
  int chunk = (n + FINISH_BLOCK - 1) / FINISH_BLOCK;
  long long c0 = (long long)k * chunk, c1 = c0 + chunk < n ? c0 + chunk : n;
  int local = 0;
  for (long long e = c0; e < c1; e++) {
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    local += cap < 0.0f || !(fabsf(__fsub_rn(xy[2 * b + 1], xy[2 * a + 1])) > cap);
  }
  sums[k] = local;
  __syncthreads();
  for (int d = 1; d < FINISH_BLOCK; d <<= 1) { /* inclusive Hillis–Steele */
    int32_t v = k >= d ? sums[k - d] : 0;
    __syncthreads();
    sums[k] += v;
    __syncthreads();
  }
  long long at = sums[k] - local;
  for (long long e = c0; e < c1; e++) {
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    if (out_ij && (cap < 0.0f || !(fabsf(__fsub_rn(xy[2 * b + 1], xy[2 * a + 1])) > cap))) {
      out_ij[2 * at] = a;
      out_ij[2 * at + 1] = b;
      at++;
    }
  }
  if (k != 0) return;
  if (out) {
    out->count = sums[FINISH_BLOCK - 1];
    out->attrs = 0u;
  }
  if (need) *need = status[YSG_GRAPH_STATUS_NEEDED];
  if (bad) *bad = status[YSG_GRAPH_STATUS_BAD] >= 0 ? 1 : 0;
}

extern "C" ysg_status ysg__cuda_graph_finish(const int32_t *d_ij, const int32_t *d_n_edges,
                                             const float *d_xy, const float *d_delta_y_cap,
                                             const int32_t *d_status, int cap_edges,
                                             int32_t *d_out_ij, ysg_value_header *d_out,
                                             int32_t *d_need, int32_t *d_bad, void *stream,
                                             char *err, size_t errcap) {
  graph_finish_kernel<<<1, FINISH_BLOCK, 0, (cudaStream_t)stream>>>(
      d_ij, d_n_edges, d_xy, d_delta_y_cap, d_status, cap_edges > 0 ? cap_edges : 0, d_out_ij,
      d_out, d_need, d_bad);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

__global__ void points_copy_kernel(const float *sxy, const int32_t *sid, const float *srad,
                                   const float *sconf, const float *srgba, const int32_t *slabel,
                                   const ysg_value_header *sh, int cap, float *dxy, int32_t *did,
                                   float *drad, float *dconf, float *drgba, int32_t *dlabel,
                                   ysg_value_header *dh) {
  int i = blockIdx.x * blockDim.x + threadIdx.x, n = sh->count;
  n = n < 0 ? 0 : (n > cap ? cap : n);
  uint32_t attrs = sh->attrs;
  if (i == 0) {
    dh->count = n;
    dh->attrs = attrs;
  }
  if (i >= n) return;
  dxy[2 * i] = sxy[2 * i];
  dxy[2 * i + 1] = sxy[2 * i + 1];
  if (attrs & YSG_ATTR_ID) did[i] = sid[i];
  if (attrs & YSG_ATTR_RADIUS) drad[i] = srad[i];
  if (attrs & YSG_ATTR_CONF) dconf[i] = sconf[i];
  if (attrs & YSG_ATTR_LABEL) dlabel[i] = slabel[i];
  if (attrs & YSG_ATTR_RGBA)
    for (int c = 0; c < 4; c++) drgba[4 * i + c] = srgba[4 * i + c];
}

extern "C" ysg_status ysg__cuda_points_copy(const ysg_value *src, const ysg_value_header *src_h,
                                            int cap, const ysg_value *dst, ysg_value_header *dst_h,
                                            void *stream, char *err, size_t errcap) {
  size_t threads = (size_t)(cap > 0 ? cap : 1);
  points_copy_kernel<<<ysg_cuda_blocks(threads, 256), 256, 0, (cudaStream_t)stream>>>(
      src->xy, src->id, src->radius, src->conf, src->rgba, src->label, src_h, cap > 0 ? cap : 0,
      dst->xy, dst->id, dst->radius, dst->conf, dst->rgba, dst->label, dst_h);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

/* ---- host-memory convenience (tests, benchmarks) -------------------------------------------- */

#define HOST_CHECK(call)                                           \
  do {                                                             \
    cudaError_t e_ = (call);                                       \
    if (e_ != cudaSuccess) {                                       \
      ysg_cuda_errfmt(err, errcap, #call, __FILE__, __LINE__, e_); \
      s = YSG_ERR_CUDA;                                            \
      goto done;                                                   \
    }                                                              \
  } while (0)

extern "C" ysg_status ysg__cuda_graph_host(int radius_mode, const float *xy, int n, int k,
                                           float radius, int32_t *ij, int cap_edges, int *n_edges,
                                           int32_t status[YSG_GRAPH_STATUS_WORDS], int reps,
                                           double *ms, char *err, size_t errcap) {
  ysg_status s = YSG_OK;
  int cap = n > 0 ? n : 1, ce = cap_edges > 0 ? cap_edges : 1;
  int32_t nn = n, ne = 0;
  size_t tb = 0;
  float *d_xy = NULL, *d_r = NULL;
  int32_t *d_n = NULL, *d_ij = NULL, *d_ne = NULL, *d_st = NULL;
  void *d_tmp = NULL;
  cudaStream_t st = NULL;
  cudaEvent_t e0 = NULL, e1 = NULL;
  float t = 0;
  *n_edges = 0;
  *ms = 0;
  s = ysg__cuda_graph_temp_bytes(cap, radius_mode ? 0 : k, &tb, err, errcap);
  if (s) return s;
  HOST_CHECK(cudaStreamCreate(&st));
  HOST_CHECK(cudaEventCreate(&e0));
  HOST_CHECK(cudaEventCreate(&e1));
  HOST_CHECK(cudaMalloc((void **)&d_xy, sizeof(float) * 2 * (size_t)cap));
  HOST_CHECK(cudaMalloc((void **)&d_r, sizeof(float)));
  HOST_CHECK(cudaMalloc((void **)&d_n, sizeof(int32_t)));
  HOST_CHECK(cudaMalloc((void **)&d_ij, sizeof(int32_t) * 2 * (size_t)ce));
  HOST_CHECK(cudaMalloc((void **)&d_ne, sizeof(int32_t)));
  HOST_CHECK(cudaMalloc((void **)&d_st, sizeof(int32_t) * YSG_GRAPH_STATUS_WORDS));
  HOST_CHECK(cudaMalloc(&d_tmp, tb));
  if (n > 0)
    HOST_CHECK(cudaMemcpy(d_xy, xy, sizeof(float) * 2 * (size_t)n, cudaMemcpyHostToDevice));
  HOST_CHECK(cudaMemcpy(d_r, &radius, sizeof(float), cudaMemcpyHostToDevice));
  HOST_CHECK(cudaMemcpy(d_n, &nn, sizeof(int32_t), cudaMemcpyHostToDevice));
  for (int r = 0; r <= (reps > 0 ? reps : 0); r++) {
    if (r == 1) HOST_CHECK(cudaEventRecord(e0, st));
    s = radius_mode ? ysg__cuda_graph_radius(d_xy, d_n, cap, d_r, d_ij, d_ne, ce, d_st, d_tmp, tb,
                                             st, err, errcap)
                    : ysg__cuda_graph_knn(d_xy, d_n, cap, k, d_ij, d_ne, ce, d_st, d_tmp, tb, st,
                                          err, errcap);
    if (s) goto done;
  }
  HOST_CHECK(cudaEventRecord(e1, st));
  HOST_CHECK(cudaStreamSynchronize(st));
  if (reps > 0) {
    HOST_CHECK(cudaEventElapsedTime(&t, e0, e1));
    *ms = t / reps;
  }
  HOST_CHECK(cudaMemcpy(&ne, d_ne, sizeof(int32_t), cudaMemcpyDeviceToHost));
  HOST_CHECK(
      cudaMemcpy(status, d_st, sizeof(int32_t) * YSG_GRAPH_STATUS_WORDS, cudaMemcpyDeviceToHost));
  if (ne > 0)
    HOST_CHECK(cudaMemcpy(ij, d_ij, sizeof(int32_t) * 2 * (size_t)ne, cudaMemcpyDeviceToHost));
  *n_edges = ne;
done:
  cudaFree(d_xy);
  cudaFree(d_r);
  cudaFree(d_n);
  cudaFree(d_ij);
  cudaFree(d_ne);
  cudaFree(d_st);
  cudaFree(d_tmp);
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  if (st) cudaStreamDestroy(st);
  return s;
}
