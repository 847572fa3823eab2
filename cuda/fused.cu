/* fused.cu — the tile-fused merge (fused_api.h): one kernel per merge with fused layers, one
 * 16×16 block per output tile. Each thread starts from the background and, layer by layer in
 * order, gets its pixel of the layer — read from a materialised image, or computed by the layer's
 * device tile function (cuda/tiles.cuh, the code of the layer's own render kernel) and rounded to
 * FP16 as that kernel would store it — and blends it (engine/blend.h) when the tile has content:
 * the results of the unfused path, without writing or reading the layer images. */
#include <stdint.h>

#include "blend.h"
#include "common.cuh"
#include "fused_api.h"
#include "tiles.cuh"

/* The layer's pixel (FP16-rounded) and whether its tile has content; block-uniform answer. */
__device__ static int layer_px(const ysg_fused_layer *L, ysg_tile_smem *sm, int tile, int x, int y,
                               int inside, size_t off, float c[4]) {
  int any = 0;
  switch (L->kind) {
    case YSG_FUSED_IMAGE:
      ysg_tile_zero(c);
      any = !L->tiles || L->tiles[tile] != 0;
      if (any && inside) ysg_load_px(L->px + off, c);
      return any;
    case YSG_FUSED_FILL:
      any = ysg_fill_tile((const float *)L->params, c);
      break;
    case YSG_FUSED_GRADIENT:
      any = ysg_gradient_tile((const ysg_gradient_params *)L->params, x, y, inside, c);
      break;
    case YSG_FUSED_LINE:
      any = ysg_line_tile((const ysg_line_frame *)L->params, (const ysg_line_seg *)L->prims,
                          L->cols, L->start, L->items, sm, tile, x, y, inside, c);
      break;
    case YSG_FUSED_BBOX:
      any = ysg_bbox_tile((const ysg_bbox_params *)L->params, (const ysg_bbox_prim *)L->prims,
                          L->start, L->items, sm, tile, x, y, inside, c);
      break;
    case YSG_FUSED_DOT:
      any = ysg_dot_tile((const ysg_dot_prim *)L->prims, L->start, L->items, sm, tile, x, y, inside,
                         c);
      break;
    case YSG_FUSED_PARTICLES:
      any = ysg_particles_tile((const ysg_particle_prim *)L->prims, L->start, L->items, sm, tile, x,
                               y, inside, c);
      break;
    case YSG_FUSED_TEXT:
      any = ysg_text_tile((const ysg_text_prim *)L->prims, (const ysg_text_style *)L->params,
                          L->start, L->items, (const int16_t *)L->spare, sm, tile, x, y, inside, c);
      break;
    default:
      ysg_tile_zero(c);
      return 0;
  }
  /* what the layer's render kernel would have stored (ysg_store_px's rounding, in registers) */
  for (int i = 0; i < 4; i++) c[i] = __half2float(__float2half_rn(c[i]));
  return any;
}

/* In place, out/out_tiles may be layer 0's arrays: each thread reads only its own pixel before
 * writing it, and the tile flag is written after a barrier, once every thread has read layer
 * 0's flag. Layer descriptors are uniform across the block, so every barrier inside the tile
 * functions is reached by all its threads. */
__global__ void merge_fused_kernel(uint16_t *out, uint8_t *out_tiles, const ysg_fused_layer *layers,
                                   const float *background, int n, int width, int height) {
  __shared__ ysg_tile_smem sm;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int tile = blockIdx.y * gridDim.x + blockIdx.x;
  int inside = x < width && y < height;
  size_t off = inside ? ((size_t)y * (size_t)width + (size_t)x) * 4 : 0;
  float acc[4] = {background[0], background[1], background[2], background[3]};
  int flag = acc[0] != 0.0f || acc[1] != 0.0f || acc[2] != 0.0f || acc[3] != 0.0f;
  for (int k = 0; k < n; k++) {
    const ysg_fused_layer *L = &layers[k];
    if (!(L->opacity > 0.0f)) continue; /* inactive: ysg_layer_active */
    float c[4];
    if (!layer_px(L, &sm, tile, x, y, inside, off, c)) continue;
    flag = 1;
    if (inside) ysg_blend_px(L->mode, c, L->opacity, acc);
  }
  __syncthreads();
  if (inside) ysg_store_px(out + off, acc);
  if (threadIdx.x == 0 && threadIdx.y == 0 && out_tiles) out_tiles[tile] = (uint8_t)flag;
}

extern "C" ysg_status ysg__cuda_merge_fused(uint16_t *d_out, uint8_t *d_out_tiles,
                                            const ysg_fused_layer *d_layers,
                                            const float *d_background, int n, int width, int height,
                                            void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  merge_fused_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                       (cudaStream_t)stream>>>(d_out, d_out_tiles, d_layers, d_background, n, width,
                                               height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
