/* text.cu — the `text` node's CUDA kernel and its work area (text_api.h): one block per 16×16
 * tile, one thread per pixel, running ysg_text_tile (cuda/tiles.cuh, which the fused merge calls
 * too): the tile's primitives in the order the host binned them, each label's glyphs the minimum
 * text and shadow distance at the pixel (ysg_text_texel, the same lookups as the CPU), shaded
 * (ysg_text_shade) and composited label by label. nodes/text_tile.c is the reference. Built with
 * -fmad=false so the distances round as on the CPU. */
#include <stdint.h>

#include "color.h"
#include "common.cuh"
#include "fused_api.h"
#include "text_api.h"
#include "tiles.cuh"

static size_t al256(size_t x) { return (x + 255) / 256 * 256; }

__global__ void text_kernel(const ysg_text_prim *prims, const ysg_text_style *styles,
                            const int32_t *start, const int32_t *items, const int16_t *atlas,
                            uint16_t *px, uint8_t *tiles, int width, int height) {
  __shared__ ysg_tile_smem sm;
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float acc[4];
  int any = ysg_text_tile(prims, styles, start, items, atlas, &sm, t, x, y, inside, acc);
  if (threadIdx.x == 0 && threadIdx.y == 0) tiles[t] = (uint8_t)(any != 0);
  if (any && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, acc);
}

extern "C" size_t ysg__cuda_text_work_bytes(int cap_prims, int cap_labels, int width, int height,
                                            int cap_items) {
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  return al256((size_t)(cap_prims > 0 ? cap_prims : 1) * sizeof(ysg_text_prim)) +
         al256((size_t)(cap_labels > 0 ? cap_labels : 1) * sizeof(ysg_text_style)) +
         al256((n_tiles + 1) * sizeof(int32_t)) +
         al256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
}

extern "C" void ysg__cuda_text_work_bind(ysg_cuda_text_work *w, void *d_mem, int cap_prims,
                                         int cap_labels, int width, int height, int cap_items) {
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  char *p = (char *)d_mem;
  w->prims = (ysg_text_prim *)p;
  p += al256((size_t)(cap_prims > 0 ? cap_prims : 1) * sizeof(ysg_text_prim));
  w->styles = (ysg_text_style *)p;
  p += al256((size_t)(cap_labels > 0 ? cap_labels : 1) * sizeof(ysg_text_style));
  w->start = (int32_t *)p;
  p += al256((n_tiles + 1) * sizeof(int32_t));
  w->items = (int32_t *)p;
  w->cap_prims = cap_prims;
  w->cap_labels = cap_labels;
  w->cap_items = cap_items;
  w->tiles_x = tx;
  w->tiles_y = ty;
}

extern "C" ysg_status ysg__cuda_text(const ysg_cuda_text_work *w, const int16_t *d_atlas,
                                     uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                     void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  if (w->tiles_x != tx || w->tiles_y != ty) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_text: the work area was bound for %d x %d tiles, the image has %d x %d",
               w->tiles_x, w->tiles_y, tx, ty);
    return YSG_ERR_INVALID;
  }
  text_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                (cudaStream_t)stream>>>(w->prims, w->styles, w->start, w->items, d_atlas, d_px,
                                        d_tiles, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" void ysg__cuda_text_layer(const ysg_cuda_text_work *w, const int16_t *d_atlas,
                                     ysg_fused_layer *out) {
  out->kind = YSG_FUSED_TEXT;
  out->params = w->styles;
  out->prims = w->prims;
  out->start = w->start;
  out->items = w->items;
  out->spare = d_atlas;
}
