/* dot.cu — the `dot` node's CUDA kernels and launcher (dot_api.h): one thread per point builds
 * the dots (ysg_dot_make, the CPU node's code), the device binner lists them per 16×16 tile, and
 * one block per tile renders: each thread owns a pixel and composites the tile's dots in point
 * order (ysg_dot_alpha / ysg_dot_over), the dots staged through shared memory in chunks
 * (ysg_dot_tile, cuda/tiles.cuh, also called by the fused merge). Empty tiles write only their
 * flag. nodes/dot.c is the reference. */
#include <stdint.h>

#include "bins_api.h"
#include "common.cuh"
#include "dot_api.h"
#include "dot_math.h"
#include "fused_api.h"
#include "tiles.cuh"

#define PRIM_BLOCK 256

static size_t al256(size_t x) { return (x + 255) / 256 * 256; }

__global__ void dot_prims_kernel(const ysg_dot_params *params, const float *xy, const float *radius,
                                 const float *rgba, const int32_t *d_count, const uint32_t *d_attrs,
                                 int cap, int width, int height, ysg_dot_prim *prims,
                                 ysg_bin_prim *bins) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int n = *d_count;
  if (i >= cap || i >= n) return;
  ysg_dot_params p = *params;
  ysg_dot_make(&p, xy, radius, rgba, *d_attrs, i, width, height, &prims[i], &bins[i]);
}

__global__ void dot_kernel(const ysg_dot_prim *prims, const int32_t *start, const int32_t *items,
                           uint16_t *px, uint8_t *tiles, int width, int height) {
  __shared__ ysg_tile_smem sm;
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float o[4];
  int any = ysg_dot_tile(prims, start, items, &sm, t, x, y, inside, o);
  if (ysg_tile_tid() == 0) tiles[t] = (uint8_t)any;
  if (any && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, o);
}

extern "C" size_t ysg__cuda_dot_work_bytes(int cap_points, int width, int height, int cap_items) {
  size_t cap = (size_t)(cap_points > 0 ? cap_points : 1);
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  return al256(cap * sizeof(ysg_dot_prim)) + al256(cap * sizeof(ysg_bin_prim)) +
         al256((n_tiles + 1) * sizeof(int32_t)) +
         al256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t)) + al256(sizeof(int32_t)) +
         al256(ysg__cuda_bins_temp_bytes(cap_points, tx, ty));
}

extern "C" void ysg__cuda_dot_work_bind(ysg_cuda_dot_work *w, void *d_mem, int cap_points,
                                        int width, int height, int cap_items) {
  size_t cap = (size_t)(cap_points > 0 ? cap_points : 1);
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  char *p = (char *)d_mem;
  w->prims = (ysg_dot_prim *)p;
  p += al256(cap * sizeof(ysg_dot_prim));
  w->bins = (ysg_bin_prim *)p;
  p += al256(cap * sizeof(ysg_bin_prim));
  w->start = (int32_t *)p;
  p += al256((n_tiles + 1) * sizeof(int32_t));
  w->items = (int32_t *)p;
  p += al256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
  w->total = (int32_t *)p;
  p += al256(sizeof(int32_t));
  w->temp = p;
  w->temp_bytes = al256(ysg__cuda_bins_temp_bytes(cap_points, tx, ty));
  w->cap_points = cap_points;
  w->cap_items = cap_items;
  w->tiles_x = tx;
  w->tiles_y = ty;
}

extern "C" ysg_status ysg__cuda_dot(const float *d_xy, const float *d_radius, const float *d_rgba,
                                    const int32_t *d_count, const uint32_t *d_attrs, int cap_points,
                                    const ysg_dot_params *d_params, uint16_t *d_px,
                                    uint8_t *d_tiles, int width, int height,
                                    const ysg_cuda_dot_work *w, void *stream, char *err,
                                    size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  if (w->tiles_x != tx || w->tiles_y != ty || w->cap_points < cap_points) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_dot: the work area was bound for %d points and %d x %d tiles, the call "
               "has %d points and %d x %d tiles",
               w->cap_points, w->tiles_x, w->tiles_y, cap_points, tx, ty);
    return YSG_ERR_INVALID;
  }
  unsigned blocks = ysg_cuda_blocks(cap_points > 0 ? (size_t)cap_points : 0, PRIM_BLOCK);
  if (blocks) {
    dot_prims_kernel<<<blocks, PRIM_BLOCK, 0, st>>>(d_params, d_xy, d_radius, d_rgba, d_count,
                                                    d_attrs, cap_points, width, height, w->prims,
                                                    w->bins);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  ysg_status s =
      ysg__cuda_bins_build(w->bins, d_count, cap_points, tx, ty, w->start, w->items, w->cap_items,
                           w->total, w->temp, w->temp_bytes, stream, err, errcap);
  if (s != YSG_OK || !d_px) return s; /* no image: a fused merge renders (ysg__cuda_dot_layer) */
  dot_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      w->prims, w->start, w->items, d_px, d_tiles, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" void ysg__cuda_dot_layer(const ysg_cuda_dot_work *w, ysg_fused_layer *out) {
  out->kind = YSG_FUSED_DOT;
  out->prims = w->prims;
  out->start = w->start;
  out->items = w->items;
}
