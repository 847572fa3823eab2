/* composite.cu — CUDA kernels and launchers of the background and compositing nodes: fill,
 * gradient and merge (nodes/fill.c, gradient.c, merge.c are their references). One thread per
 * pixel, one 16×16 block per occupancy tile (fill and gradient through cuda/tiles.cuh, as the
 * fused merge in cuda/fused.cu calls them); the per-pixel math is engine/blend.h, the same code
 * the CPU nodes run. Per-frame values (colours, gradient settings, layer modes and opacities) are
 * read from device memory so captured graphs replay without re-capture. */
#include <stdint.h>

#include "blend.h"
#include "common.cuh"
#include "cuda_api.h"
#include "tiles.cuh"

__global__ void fill_kernel(uint16_t *px, uint8_t *tiles, int width, int height,
                            const float *color) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  float c[4];
  int any = ysg_fill_tile(color, c);
  if (tiles && threadIdx.x == 0 && threadIdx.y == 0)
    tiles[blockIdx.y * gridDim.x + blockIdx.x] = (uint8_t)any;
  if (x >= width || y >= height) return;
  ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, c);
}

__global__ void gradient_kernel(uint16_t *px, uint8_t *tiles, int width, int height,
                                const ysg_gradient_params *params) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float c[4];
  int any = ysg_gradient_tile(params, x, y, inside, c);
  if (tiles && threadIdx.x == 0 && threadIdx.y == 0)
    tiles[blockIdx.y * gridDim.x + blockIdx.x] = (uint8_t)any;
  if (inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, c);
}

/* In place, out/out_tiles are layer 0's arrays: each thread reads only its own pixel before
 * writing it, and the tile flag is written after a barrier, once every thread of the tile (all
 * in this block) has read layer 0's flag. */
__global__ void merge_kernel(uint16_t *out, uint8_t *out_tiles, const uint16_t *const *layers,
                             const uint8_t *const *layer_tiles, const ysg_blend_layer *params,
                             const float *background, int n, int width, int height) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int tile = blockIdx.y * gridDim.x + blockIdx.x;
  int lead = threadIdx.x == 0 && threadIdx.y == 0;
  float bg[4] = {background[0], background[1], background[2], background[3]};
  int inside = x < width && y < height;
  size_t off = ((size_t)y * (size_t)width + (size_t)x) * 4;
  float c[4];
  if (inside) ysg_composite_px(bg, layers, layer_tiles, params, n, tile, off, c);
  uint8_t flag = 0;
  if (lead && out_tiles) flag = (uint8_t)ysg_merge_tile_flag(bg, layer_tiles, params, n, tile);
  __syncthreads();
  if (inside) ysg_store_px(out + off, c);
  if (lead && out_tiles) out_tiles[tile] = flag;
}

extern "C" ysg_status ysg__cuda_fill(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                     const float *d_color, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  fill_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                (cudaStream_t)stream>>>(d_px, d_tiles, width, height, d_color);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_gradient(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                         const ysg_gradient_params *d_params, void *stream,
                                         char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  gradient_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                    (cudaStream_t)stream>>>(d_px, d_tiles, width, height, d_params);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_merge(uint16_t *d_out, uint8_t *d_out_tiles,
                                      const uint16_t *const *d_layers,
                                      const uint8_t *const *d_layer_tiles,
                                      const ysg_blend_layer *d_layer_params,
                                      const float *d_background, int n_layers, int width,
                                      int height, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  merge_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                 (cudaStream_t)stream>>>(d_out, d_out_tiles, d_layers, d_layer_tiles,
                                         d_layer_params, d_background, n_layers, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
