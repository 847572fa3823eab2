/* text.cu — the `text` node's CUDA kernel and its work area (text_api.h): one block per 16×16
 * tile, one thread per pixel, walking the tile's primitives (staged through shared memory) in the
 * order the host binned them: a label's glyphs give the minimum text and shadow distance at the
 * pixel (ysg_text_texel, the same lookups as the CPU), and when the next label starts the finished
 * one is shaded (ysg_text_shade) and composited over the pixel. nodes/text_frame.c is the
 * reference. Built with -fmad=false so the distances round as on the CPU. */
#include <stdint.h>

#include "color.h"
#include "common.cuh"
#include "text_api.h"
#include "text_math.h"

#define CHUNK 48 /* primitives staged in shared memory at a time (~4.6 KiB) */

static size_t al256(size_t x) { return (x + 255) / 256 * 256; }

__device__ static void text_flush(const ysg_text_style *styles, int cur, int in, float dt, float ds,
                                  int x, int y, float acc[4], int *hit) {
  if (cur < 0 || !in) return;
  float o[4];
  ysg_text_shade(&styles[cur], dt, ds, (float)x + 0.5f, (float)y + 0.5f, o);
  if (o[3] > 0.0f) {
    ysg_text_over(acc, o);
    *hit = 1;
  }
}

__global__ void text_kernel(const ysg_text_prim *prims, const ysg_text_style *styles,
                            const int32_t *start, const int32_t *items, const int16_t *atlas,
                            uint16_t *px, uint8_t *tiles, int width, int height) {
  __shared__ ysg_text_prim sh[CHUNK];
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  int lead = threadIdx.x == 0 && threadIdx.y == 0;
  int s = start[t], e = start[t + 1];
  if (s == e) { /* uniform across the block */
    if (lead) tiles[t] = 0;
    return;
  }
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  int tid = threadIdx.y * YSG_TILE + threadIdx.x;
  float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  float dt = YSG_TEXT_FAR, ds = YSG_TEXT_FAR;
  int cur = -1, in = 0, hit = 0;
  for (int k0 = s; k0 < e; k0 += CHUNK) {
    int m = e - k0 < CHUNK ? e - k0 : CHUNK;
    if (tid < m) sh[tid] = prims[items[k0 + tid]];
    __syncthreads();
    if (inside)
      for (int k = 0; k < m; k++) {
        const ysg_text_prim *p = &sh[k];
        if (p->label != cur) {
          text_flush(styles, cur, in, dt, ds, x, y, acc, &hit);
          cur = p->label;
          dt = ds = YSG_TEXT_FAR;
          in = 0;
        }
        in |= ysg_text_in(p->fx0, p->fy0, p->fx1, p->fy1, x, y);
        if (p->kind != YSG_TEXT_GLYPH) continue;
        const int16_t *g0 = atlas + p->offset;
        if (ysg_text_in(p->tx0, p->ty0, p->tx1, p->ty1, x, y)) {
          const int16_t *r0 = g0 + (p->k * y - p->oy) * p->w, *r1 = r0 + p->w;
          int j = p->k * x - p->ox;
          float d = ysg_text_texel(
              ysg_text_stream(r0, p->hw, p->k, j), ysg_text_stream(r0, p->hw, p->k, j + 1),
              ysg_text_stream(r1, p->hw, p->k, j), ysg_text_stream(r1, p->hw, p->k, j + 1), 0,
              p->fu, p->fv, p->inv_k);
          dt = d < dt ? d : dt;
        }
        if (ysg_text_in(p->sx0, p->sy0, p->sx1, p->sy1, x, y)) {
          const int16_t *r0 = g0 + (p->k * y - p->soy) * p->w, *r1 = r0 + p->w;
          int j = p->k * x - p->sox;
          float d = ysg_text_texel(
              ysg_text_stream(r0, p->hw, p->k, j), ysg_text_stream(r0, p->hw, p->k, j + 1),
              ysg_text_stream(r1, p->hw, p->k, j), ysg_text_stream(r1, p->hw, p->k, j + 1), 0,
              p->sfu, p->sfv, p->inv_k);
          ds = d < ds ? d : ds;
        }
      }
    __syncthreads();
  }
  if (inside) text_flush(styles, cur, in, dt, ds, x, y, acc, &hit);
  int any = __syncthreads_or(hit);
  if (lead) tiles[t] = (uint8_t)(any != 0);
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
