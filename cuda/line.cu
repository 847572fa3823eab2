/* line.cu — the `line` node on the device (nodes/line.c is the reference): build kernels turn each
 * edge or curve into segment slots with the shared line_math.h code, ysg__cuda_bins_build lists
 * them per tile, and the render kernel runs one 16×16 block per tile (ysg_line_tile in
 * cuda/tiles.cuh, which the fused merge calls too): the block stages its tile's segments in
 * shared memory, each thread keeps its pixel's nearest on-segment (least signed distance for
 * shaped strokes: caps, heads, taper — line_caps.h), then computes coverage and colour exactly as
 * the CPU's final pass does. Without an image (d_px NULL) only the segments and
 * bins are made, for a fused merge. */
#include <stdint.h>

#include "bins_api.h"
#include "common.cuh"
#include "fused_api.h"
#include "line_api.h"
#include "tiles.cuh"

#define BUILD_BLOCK 256

static size_t up256(size_t x) { return (x + 255) / 256 * 256; }

/* scratch layout, in this order */
typedef struct line_layout {
  size_t segs, prims, cols, start, items, n_slots, temp, total;
} line_layout;

static line_layout layout(int cap_segs, int n_tiles, int cap_items, size_t temp_bytes) {
  size_t slots = (size_t)(cap_segs > 0 ? cap_segs : 1);
  line_layout l;
  l.segs = 0;
  l.prims = l.segs + up256(slots * sizeof(ysg_line_seg));
  l.cols = l.prims + up256(slots * sizeof(ysg_bin_prim));
  l.start = l.cols + up256(slots * 8 * sizeof(float));
  l.items = l.start + up256(((size_t)n_tiles + 1) * sizeof(int32_t));
  l.n_slots = l.items + up256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
  l.temp = l.n_slots + 256;
  l.total = l.temp + up256(temp_bytes);
  return l;
}

__global__ void line_edges_kernel(const ysg_line_frame *frame, const float *xy, const float *rgba,
                                  const uint32_t *d_attrs, const int32_t *d_np, const int32_t *ij,
                                  const int32_t *d_ne, int cap, ysg_line_seg *segs,
                                  ysg_bin_prim *prims, float *cols, int32_t *n_slots,
                                  int32_t *status) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  int ne = *d_ne < 0 ? 0 : (*d_ne > cap ? cap : *d_ne);
  if (!frame->visible) ne = 0; /* like the CPU: nothing drawn, nothing binned */
  size_t per = (size_t)ysg_line_edge_slots(frame->heads);
  if (k == 0) *n_slots = ne * (int)per;
  if (k >= ne) return;
  if (d_attrs && !(*d_attrs & YSG_ATTR_RGBA)) rgba = NULL; /* no colours this frame */
  if (ysg_line_build_edge(frame, xy, rgba, *d_np, ij[2 * k], ij[2 * k + 1], &segs[per * k],
                          &prims[per * k], frame->gradient ? cols + 8 * per * (size_t)k : NULL))
    atomicAdd(&status[1], 1);
}

__global__ void line_curves_kernel(const ysg_line_frame *frame, const float *xy, int S,
                                   const int32_t *d_nc, int cap, ysg_line_seg *segs,
                                   ysg_bin_prim *prims, float *cols, int32_t *n_slots) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  int nc = *d_nc < 0 ? 0 : (*d_nc > cap ? cap : *d_nc);
  if (!frame->visible) nc = 0; /* like the CPU: nothing drawn, nothing binned */
  int per = ysg_line_curve_slots(frame->heads, S);
  if (c == 0) *n_slots = nc * per;
  if (c >= nc) return;
  size_t slot = (size_t)c * (size_t)per;
  ysg_line_build_curve(frame, xy + (size_t)c * (size_t)S * 2, S, segs + slot, prims + slot,
                       frame->gradient ? cols + 8 * slot : NULL);
}

__global__ void line_render_kernel(uint16_t *px, uint8_t *tiles, int width, int height,
                                   const ysg_line_frame *frame, const ysg_line_seg *segs,
                                   const float *cols, const int32_t *start, const int32_t *items) {
  __shared__ ysg_tile_smem sm;
  int tile = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float o[4];
  int any = ysg_line_tile(frame, segs, cols, start, items, &sm, tile, x, y, inside, o);
  if (ysg_tile_tid() == 0) tiles[tile] = (uint8_t)any;
  if (any && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, o);
}

extern "C" int ysg__cuda_line_cap_segs(const ysg_line_dev_inputs *in) {
  if (in->d_curves_xy) return in->cap_curves * ysg_line_curve_slots(in->heads, in->samples);
  return in->cap_edges * ysg_line_edge_slots(in->heads);
}

extern "C" size_t ysg__cuda_line_scratch_bytes(const ysg_line_dev_inputs *in, int tiles_x,
                                               int tiles_y, int cap_items) {
  int cap = ysg__cuda_line_cap_segs(in);
  return layout(cap, tiles_x * tiles_y, cap_items, ysg__cuda_bins_temp_bytes(cap, tiles_x, tiles_y))
      .total;
}

extern "C" ysg_status ysg__cuda_line(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                     const ysg_line_dev_inputs *in, const ysg_line_frame *d_frame,
                                     int cap_items, void *d_scratch, size_t scratch_bytes,
                                     int32_t *d_status, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  int tiles_x = (width + YSG_TILE - 1) / YSG_TILE, tiles_y = (height + YSG_TILE - 1) / YSG_TILE;
  int cap = ysg__cuda_line_cap_segs(in);
  size_t temp_bytes = ysg__cuda_bins_temp_bytes(cap, tiles_x, tiles_y);
  line_layout l = layout(cap, tiles_x * tiles_y, cap_items, temp_bytes);
  if (scratch_bytes < l.total) {
    if (err && errcap)
      snprintf(err, errcap, "ysg__cuda_line: scratch holds %zu bytes, %zu needed", scratch_bytes,
               l.total);
    return YSG_ERR_INVALID;
  }
  char *m = (char *)d_scratch;
  ysg_line_seg *segs = (ysg_line_seg *)(m + l.segs);
  ysg_bin_prim *prims = (ysg_bin_prim *)(m + l.prims);
  float *cols = (float *)(m + l.cols);
  int32_t *start = (int32_t *)(m + l.start), *items = (int32_t *)(m + l.items);
  int32_t *n_slots = (int32_t *)(m + l.n_slots);
  cudaStream_t st = (cudaStream_t)stream;
  YSG_CUDA_CHECK(cudaMemsetAsync(d_status, 0, 2 * sizeof(int32_t), st));
  if (in->d_curves_xy) {
    unsigned blocks =
        ysg_cuda_blocks((size_t)(in->cap_curves > 0 ? in->cap_curves : 1), BUILD_BLOCK);
    line_curves_kernel<<<blocks, BUILD_BLOCK, 0, st>>>(d_frame, in->d_curves_xy, in->samples,
                                                       in->d_n_curves, in->cap_curves, segs, prims,
                                                       cols, n_slots);
  } else {
    unsigned blocks = ysg_cuda_blocks((size_t)(in->cap_edges > 0 ? in->cap_edges : 1), BUILD_BLOCK);
    line_edges_kernel<<<blocks, BUILD_BLOCK, 0, st>>>(
        d_frame, in->d_points_xy, in->d_points_rgba, in->d_points_attrs, in->d_n_points,
        in->d_edges_ij, in->d_n_edges, in->cap_edges, segs, prims, cols, n_slots, d_status);
  }
  YSG_CUDA_CHECK(cudaGetLastError());
  ysg_status s =
      ysg__cuda_bins_build(prims, n_slots, cap, tiles_x, tiles_y, start, items, cap_items, d_status,
                           m + l.temp, temp_bytes, stream, err, errcap);
  if (s || !d_px) return s; /* no image: a fused merge renders the tiles (ysg__cuda_line_layer) */
  line_render_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      d_px, d_tiles, width, height, d_frame, segs, cols, start, items);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" void ysg__cuda_line_layer(const ysg_line_dev_inputs *in, int tiles_x, int tiles_y,
                                     int cap_items, void *d_scratch, const ysg_line_frame *d_frame,
                                     ysg_fused_layer *out) {
  int cap = ysg__cuda_line_cap_segs(in);
  line_layout l =
      layout(cap, tiles_x * tiles_y, cap_items, ysg__cuda_bins_temp_bytes(cap, tiles_x, tiles_y));
  char *m = (char *)d_scratch;
  out->kind = YSG_FUSED_LINE;
  out->params = d_frame;
  out->prims = m + l.segs;
  out->cols = (const float *)(m + l.cols);
  out->start = (const int32_t *)(m + l.start);
  out->items = (const int32_t *)(m + l.items);
}
