/* bins.cu — the device tile binner behind ysg__cuda_bins_build (bins_api.h): count references per
 * tile with atomics (one thread per primitive, footprints from engine/bins.h like the CPU
 * builder), one-block exclusive scan that also applies the capacity rule, scatter through
 * per-tile atomic cursors, then a per-tile bitonic sort so every list is ascending: the same
 * lists as ysg__bins_build. No host synchronisation: the total is checked on the device. */
#include <limits.h>
#include <stdint.h>

#include "bins.h"
#include "bins_api.h"
#include "common.cuh"

#define BIN_BLOCK 256   /* threads per block of the per-primitive kernels */
#define SCAN_BLOCK 1024 /* the single block of the scan */
#define SORT_BLOCK 256  /* threads per tile in the sort */
#define SORT_SMEM 2048  /* lists up to this long sort in shared memory, longer ones in place */

/* temp layout: counts (n_tiles int32, reused as the scatter cursors), then the ok flag */
static size_t counts_bytes(int n_tiles) {
  return (((size_t)n_tiles * sizeof(int32_t)) + 255) / 256 * 256;
}

__device__ static int n_prims_of(const int32_t *d_n, int cap) {
  int n = *d_n;
  return n < 0 ? 0 : (n > cap ? cap : n);
}

__global__ void bins_count_kernel(const ysg_bin_prim *prims, const int32_t *d_n, int cap,
                                  int tiles_x, int tiles_y, int32_t *counts) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n_prims_of(d_n, cap)) return;
  ysg_bin_prim p = prims[i];
  int ty0, ty1, tx0, tx1;
  if (!ysg_bin_rows(&p, YSG_TILE, tiles_y, &ty0, &ty1)) return;
  for (int ty = ty0; ty <= ty1; ty++) {
    if (!ysg_bin_span(&p, ty, YSG_TILE, tiles_x, &tx0, &tx1)) continue;
    for (int tx = tx0; tx <= tx1; tx++) atomicAdd(&counts[ty * tiles_x + tx], 1);
  }
}

/* Exclusive scan of counts into start (64-bit sums: a frame may ask for more than 2^31
 * references), the total, the capacity verdict, and the cursors (written over counts). */
__global__ void bins_scan_kernel(int32_t *counts, int32_t *start, int n_tiles, int cap_items,
                                 int32_t *d_total, int32_t *ok_flag) {
  __shared__ long long sums[SCAN_BLOCK];
  int k = threadIdx.x;
  int chunk = (n_tiles + SCAN_BLOCK - 1) / SCAN_BLOCK;
  int c0 = k * chunk, c1 = c0 + chunk < n_tiles ? c0 + chunk : n_tiles;
  long long local = 0;
  for (int t = c0; t < c1; t++) local += counts[t];
  sums[k] = local;
  __syncthreads();
  for (int d = 1; d < SCAN_BLOCK; d <<= 1) { /* inclusive Hillis–Steele */
    long long v = k >= d ? sums[k - d] : 0;
    __syncthreads();
    sums[k] += v;
    __syncthreads();
  }
  long long total = sums[SCAN_BLOCK - 1];
  int ok = total <= (long long)cap_items;
  long long run = sums[k] - local;
  for (int t = c0; t < c1; t++) {
    int32_t c = counts[t];
    start[t] = ok ? (int32_t)run : 0;
    counts[t] = (int32_t)run;
    run += c;
  }
  if (k == 0) {
    start[n_tiles] = ok ? (int32_t)total : 0;
    *d_total = total > (long long)INT32_MAX ? INT32_MAX : (int32_t)total;
    *ok_flag = ok;
  }
}

__global__ void bins_scatter_kernel(const ysg_bin_prim *prims, const int32_t *d_n, int cap,
                                    int tiles_x, int tiles_y, int32_t *cursor, int32_t *items,
                                    const int32_t *ok_flag) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (!*ok_flag || i >= n_prims_of(d_n, cap)) return;
  ysg_bin_prim p = prims[i];
  int ty0, ty1, tx0, tx1;
  if (!ysg_bin_rows(&p, YSG_TILE, tiles_y, &ty0, &ty1)) return;
  for (int ty = ty0; ty <= ty1; ty++) {
    if (!ysg_bin_span(&p, ty, YSG_TILE, tiles_x, &tx0, &tx1)) continue;
    for (int tx = tx0; tx <= tx1; tx++) items[atomicAdd(&cursor[ty * tiles_x + tx], 1)] = i;
  }
}

__device__ static void cmp_swap(int32_t *v, int a, int b) {
  int32_t x = v[a], y = v[b];
  if (x > y) {
    v[a] = y;
    v[b] = x;
  }
}

/* Bitonic sort of v[0..n) padded (virtually) with +inf to p = 2^k ≥ n, in the form whose
 * comparators all put the minimum at the lower index: a comparator whose upper index is ≥ n
 * would compare against +inf and is a no-op, so any n sorts in place. */
__device__ static void bitonic(int32_t *v, int n, int p) {
  int half = p >> 1;
  for (int k = 2; k <= p; k <<= 1) {
    int h = k >> 1;
    for (int i = threadIdx.x; i < half; i += blockDim.x) { /* flip: mirror pairs in k-blocks */
      int a = (i / h) * k + (i % h), b = (i / h) * k + k - 1 - (i % h);
      if (b < n) cmp_swap(v, a, b);
    }
    __syncthreads();
    for (int j = h >> 1; j >= 1; j >>= 1) { /* half-cleaners */
      for (int i = threadIdx.x; i < half; i += blockDim.x) {
        int a = (i / j) * 2 * j + (i % j), b = a + j;
        if (b < n) cmp_swap(v, a, b);
      }
      __syncthreads();
    }
  }
}

__global__ void bins_sort_kernel(const int32_t *start, int32_t *items) {
  __shared__ int32_t buf[SORT_SMEM];
  int t = blockIdx.x;
  int s = start[t], n = start[t + 1] - s;
  if (n <= 1) return;
  int p = 1;
  while (p < n) p <<= 1;
  if (n <= SORT_SMEM) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = items[s + i];
    __syncthreads();
    bitonic(buf, n, p);
    for (int i = threadIdx.x; i < n; i += blockDim.x) items[s + i] = buf[i];
  } else {
    bitonic(items + s, n, p); /* global memory; __syncthreads orders the block's accesses */
  }
}

extern "C" size_t ysg__cuda_bins_temp_bytes(int cap_prims, int tiles_x, int tiles_y) {
  (void)cap_prims;
  int n_tiles = tiles_x > 0 && tiles_y > 0 ? tiles_x * tiles_y : 0;
  return counts_bytes(n_tiles) + 256;
}

extern "C" ysg_status ysg__cuda_bins_build(const ysg_bin_prim *d_prims, const int32_t *d_n_prims,
                                           int cap_prims, int tiles_x, int tiles_y,
                                           int32_t *d_start, int32_t *d_items, int cap_items,
                                           int32_t *d_total, void *d_temp, size_t temp_bytes,
                                           void *stream, char *err, size_t errcap) {
  if (tiles_x <= 0 || tiles_y <= 0) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_bins_build: the tile grid is %d x %d, expected at least 1 x 1", tiles_x,
               tiles_y);
    return YSG_ERR_INVALID;
  }
  size_t need = ysg__cuda_bins_temp_bytes(cap_prims, tiles_x, tiles_y);
  if (temp_bytes < need) {
    if (err && errcap)
      snprintf(err, errcap, "ysg__cuda_bins_build: temp holds %zu bytes, %zu needed", temp_bytes,
               need);
    return YSG_ERR_INVALID;
  }
  cudaStream_t st = (cudaStream_t)stream;
  int n_tiles = tiles_x * tiles_y;
  int32_t *counts = (int32_t *)d_temp;
  int32_t *ok_flag = (int32_t *)((char *)d_temp + counts_bytes(n_tiles));
  if (cap_items < 0) cap_items = 0;
  YSG_CUDA_CHECK(cudaMemsetAsync(counts, 0, (size_t)n_tiles * sizeof(int32_t), st));
  unsigned blocks = ysg_cuda_blocks(cap_prims > 0 ? (size_t)cap_prims : 0, BIN_BLOCK);
  if (blocks) {
    bins_count_kernel<<<blocks, BIN_BLOCK, 0, st>>>(d_prims, d_n_prims, cap_prims, tiles_x, tiles_y,
                                                    counts);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  bins_scan_kernel<<<1, SCAN_BLOCK, 0, st>>>(counts, d_start, n_tiles, cap_items, d_total, ok_flag);
  YSG_CUDA_CHECK(cudaGetLastError());
  if (blocks) {
    bins_scatter_kernel<<<blocks, BIN_BLOCK, 0, st>>>(d_prims, d_n_prims, cap_prims, tiles_x,
                                                      tiles_y, counts, d_items, ok_flag);
    YSG_CUDA_CHECK(cudaGetLastError());
    bins_sort_kernel<<<n_tiles, SORT_BLOCK, 0, st>>>(d_start, d_items);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  return YSG_OK;
}
