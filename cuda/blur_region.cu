/* blur_region.cu — the `blur_region` node's CUDA kernels and launcher (blur_region_api.h): one
 * thread per region builds the masks (ysg_region_make), the device binner lists them per tile,
 * one block per tile flags the tiles whose mask is non-zero (copying the others from the input),
 * the horizontal pass runs on the rows and tile columns those tiles need, and one block per
 * flagged tile does the vertical pass and the blend. nodes/blur_region.c is the reference. */
#include <stdint.h>

#include "bins_api.h"
#include "blur_region_api.h"
#include "color.h"
#include "common.cuh"
#include "region_math.h"

#define PRIM_BLOCK 256

static size_t al256(size_t x) { return (x + 255) / 256 * 256; }

__global__ void blur_region_prims_kernel(const ysg_region_params *params, const float *xy,
                                         const float *xywh, const int32_t *d_count, int cap,
                                         int width, int height, ysg_region *regions,
                                         ysg_bin_prim *bins) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= cap || i >= *d_count) return;
  ysg_region_params p = *params;
  ysg_region_make(&p, xy, xywh, i, width, height, &regions[i], &bins[i]);
}

/* the frame's kernel radius and weights, in the CPU node's order of operations */
__global__ void blur_region_weights_kernel(const ysg_region_params *params, int32_t *radius,
                                           float *w) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  int R = ysg_region_kernel_radius(params->sigma, params->truncate);
  *radius = R;
  ysg_region_weights(params->sigma, R, w);
}

__device__ static int tile_on_d(const uint8_t *tiles, int t) { return !tiles || tiles[t]; }

/* the mask of pixel (x, y) of tile t: the maximum over the tile's regions not rejected */
__device__ static float mask_d(const ysg_region *regions, const int32_t *start,
                               const int32_t *items, int t, float falloff, int x, int y, int width,
                               int height) {
  int x0 = (t % ((width + YSG_TILE - 1) / YSG_TILE)) * YSG_TILE;
  int y0 = (t / ((width + YSG_TILE - 1) / YSG_TILE)) * YSG_TILE;
  int x1 = x0 + YSG_TILE < width ? x0 + YSG_TILE : width;
  int y1 = y0 + YSG_TILE < height ? y0 + YSG_TILE : height;
  float m = 0.0f;
  for (int k = start[t]; k < start[t + 1]; k++) {
    ysg_region r = regions[items[k]];
    if (ysg_region_rejects(&r, falloff, (float)x0 + 0.5f, (float)y0 + 0.5f, (float)x1 - 0.5f,
                           (float)y1 - 0.5f))
      continue;
    float v = ysg_region_mask(&r, falloff, (float)x + 0.5f, (float)y + 0.5f);
    m = v > m ? v : m;
  }
  return m;
}

__global__ void blur_region_classify_kernel(const ysg_region_params *params,
                                            const ysg_region *regions, const int32_t *start,
                                            const int32_t *items, const uint16_t *in,
                                            const uint8_t *in_tiles, uint16_t *out,
                                            uint8_t *out_tiles, uint8_t *occ, int width,
                                            int height) {
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height, lead = threadIdx.x == 0 && threadIdx.y == 0;
  float falloff = params->falloff > 0.0f ? params->falloff : 0.0f;
  float opacity = ysg_clamp01(params->opacity);
  int hit = 0;
  if (inside && opacity > 0.0f && start[t] != start[t + 1])
    hit = mask_d(regions, start, items, t, falloff, x, y, width, height) > 0.0f;
  int on = __syncthreads_or(hit) != 0;
  if (lead) occ[t] = (uint8_t)on;
  if (on) return;
  int in_on = tile_on_d(in_tiles, t);
  if (lead && out_tiles) out_tiles[t] = (uint8_t)in_on;
  if (inside && in_on && out != in) {
    size_t off = ((size_t)y * (size_t)width + (size_t)x) * 4;
    *reinterpret_cast<uint2 *>(out + off) = *reinterpret_cast<const uint2 *>(in + off);
  }
}

__device__ static void load_in(const uint16_t *in, const uint8_t *in_tiles, int tiles_x, int width,
                               int x, int y, float p[4]) {
  if (tile_on_d(in_tiles, (y / YSG_TILE) * tiles_x + x / YSG_TILE)) {
    ysg_load_px(in + ((size_t)y * (size_t)width + (size_t)x) * 4, p);
  } else {
    p[0] = p[1] = p[2] = p[3] = 0.0f;
  }
}

/* One thread per pixel of the frame: the rows a flagged tile's vertical kernel reaches, in the
 * tile columns flagged within R rows. */
__global__ void blur_region_hpass_kernel(const uint16_t *in, const uint8_t *in_tiles,
                                         const uint8_t *occ, const int32_t *radius, const float *w,
                                         float *h, int width, int height) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= width || y >= height) return;
  int R = *radius, tiles_x = gridDim.x, tiles_y = gridDim.y, tx = blockIdx.x;
  int ty0 = y - R > 0 ? (y - R) / YSG_TILE : 0;
  int ty1 = (y + R) / YSG_TILE < tiles_y - 1 ? (y + R) / YSG_TILE : tiles_y - 1;
  int need = 0;
  for (int ty = ty0; ty <= ty1 && !need; ty++) need = occ[ty * tiles_x + tx];
  if (!need) return;
  float c[4], a[4], b[4], acc[4];
  load_in(in, in_tiles, tiles_x, width, x, y, c);
  for (int ch = 0; ch < 4; ch++) acc[ch] = w[0] * c[ch];
  for (int k = 1; k <= R; k++) {
    load_in(in, in_tiles, tiles_x, width, x - k < 0 ? 0 : x - k, y, a);
    load_in(in, in_tiles, tiles_x, width, x + k >= width ? width - 1 : x + k, y, b);
    for (int ch = 0; ch < 4; ch++) acc[ch] += w[k] * (a[ch] + b[ch]);
  }
  float4 v = make_float4(acc[0], acc[1], acc[2], acc[3]);
  *reinterpret_cast<float4 *>(h + ((size_t)y * (size_t)width + (size_t)x) * 4) = v;
}

__global__ void blur_region_vpass_kernel(const ysg_region_params *params, const ysg_region *regions,
                                         const int32_t *start, const int32_t *items,
                                         const uint16_t *in, const uint8_t *in_tiles, uint16_t *out,
                                         uint8_t *out_tiles, const uint8_t *occ,
                                         const int32_t *radius, const float *w, const float *h,
                                         int width, int height) {
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  if (!occ[t]) return; /* uniform across the block */
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height, lead = threadIdx.x == 0 && threadIdx.y == 0;
  int in_on = tile_on_d(in_tiles, t), nz = 0;
  if (inside) {
    float falloff = params->falloff > 0.0f ? params->falloff : 0.0f;
    float a = mask_d(regions, start, items, t, falloff, x, y, width, height) *
              ysg_clamp01(params->opacity);
    size_t off = ((size_t)y * (size_t)width + (size_t)x) * 4;
    uint2 bits = make_uint2(0u, 0u);
    if (in_on) bits = *reinterpret_cast<const uint2 *>(in + off);
    if (a > 0.0f) {
      int R = *radius;
      float4 c = *reinterpret_cast<const float4 *>(h + off);
      float acc[4] = {w[0] * c.x, w[0] * c.y, w[0] * c.z, w[0] * c.w};
      for (int k = 1; k <= R; k++) {
        int ya = y - k < 0 ? 0 : y - k, yb = y + k >= height ? height - 1 : y + k;
        float4 p = *reinterpret_cast<const float4 *>(h + ((size_t)ya * (size_t)width + x) * 4);
        float4 q = *reinterpret_cast<const float4 *>(h + ((size_t)yb * (size_t)width + x) * 4);
        acc[0] += w[k] * (p.x + q.x);
        acc[1] += w[k] * (p.y + q.y);
        acc[2] += w[k] * (p.z + q.z);
        acc[3] += w[k] * (p.w + q.w);
      }
      float orig[4];
      ysg_load_px(reinterpret_cast<const uint16_t *>(&bits), orig); /* uint2: 8-byte aligned */
      for (int ch = 0; ch < 4; ch++) acc[ch] = ysg_region_lerp(orig[ch], acc[ch], a);
      ysg_store_px(out + off, acc);
      bits = *reinterpret_cast<const uint2 *>(out + off);
    } else {
      *reinterpret_cast<uint2 *>(out + off) = bits; /* the input's exact bits */
    }
    nz = ((bits.x & 0x7fff7fffu) | (bits.y & 0x7fff7fffu)) != 0;
  }
  int any = __syncthreads_or(nz);
  if (lead && out_tiles) out_tiles[t] = (uint8_t)(in_on || any);
}

extern "C" size_t ysg__cuda_blur_region_work_bytes(int cap, int width, int height, int cap_items) {
  size_t c = (size_t)(cap > 0 ? cap : 1);
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  size_t npx = (size_t)(width > 0 ? width : 1) * (size_t)(height > 0 ? height : 1);
  return al256(c * sizeof(ysg_region)) + al256(c * sizeof(ysg_bin_prim)) +
         al256((n_tiles + 1) * sizeof(int32_t)) +
         al256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t)) + 2 * al256(4) +
         al256(sizeof(float) * (YSG_REGION_MAX_R + 1)) + al256(n_tiles) + al256(npx * 16) +
         al256(ysg__cuda_bins_temp_bytes(cap, tx, ty));
}

extern "C" void ysg__cuda_blur_region_work_bind(ysg_cuda_blur_region_work *w, void *d_mem, int cap,
                                                int width, int height, int cap_items) {
  size_t c = (size_t)(cap > 0 ? cap : 1);
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  size_t npx = (size_t)(width > 0 ? width : 1) * (size_t)(height > 0 ? height : 1);
  char *p = (char *)d_mem;
  w->regions = (ysg_region *)p;
  p += al256(c * sizeof(ysg_region));
  w->bins = (ysg_bin_prim *)p;
  p += al256(c * sizeof(ysg_bin_prim));
  w->start = (int32_t *)p;
  p += al256((n_tiles + 1) * sizeof(int32_t));
  w->items = (int32_t *)p;
  p += al256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
  w->total = (int32_t *)p;
  p += al256(4);
  w->radius = (int32_t *)p;
  p += al256(4);
  w->weights = (float *)p;
  p += al256(sizeof(float) * (YSG_REGION_MAX_R + 1));
  w->occ = (uint8_t *)p;
  p += al256(n_tiles);
  w->h = (float *)p;
  p += al256(npx * 16);
  w->temp = p;
  w->temp_bytes = al256(ysg__cuda_bins_temp_bytes(cap, tx, ty));
  w->cap = cap;
  w->cap_items = cap_items;
  w->width = width;
  w->height = height;
  w->tiles_x = tx;
  w->tiles_y = ty;
}

extern "C" ysg_status ysg__cuda_blur_region(const uint16_t *d_in, const uint8_t *d_in_tiles,
                                            uint16_t *d_out, uint8_t *d_out_tiles, int width,
                                            int height, const float *d_xy, const float *d_xywh,
                                            const int32_t *d_count, int cap,
                                            const ysg_region_params *d_params,
                                            const ysg_cuda_blur_region_work *w, void *stream,
                                            char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  if (w->width != width || w->height != height || w->cap < cap) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_blur_region: the work area was bound for %d regions and %d x %d "
               "pixels, the call has %d regions and %d x %d pixels",
               w->cap, w->width, w->height, cap, width, height);
    return YSG_ERR_INVALID;
  }
  cudaStream_t st = (cudaStream_t)stream;
  unsigned blocks = ysg_cuda_blocks(cap > 0 ? (size_t)cap : 0, PRIM_BLOCK);
  if (blocks) {
    blur_region_prims_kernel<<<blocks, PRIM_BLOCK, 0, st>>>(d_params, d_xy, d_xywh, d_count, cap,
                                                            width, height, w->regions, w->bins);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  ysg_status s =
      ysg__cuda_bins_build(w->bins, d_count, cap, w->tiles_x, w->tiles_y, w->start, w->items,
                           w->cap_items, w->total, w->temp, w->temp_bytes, stream, err, errcap);
  if (s != YSG_OK) return s;
  blur_region_weights_kernel<<<1, 1, 0, st>>>(d_params, w->radius, w->weights);
  YSG_CUDA_CHECK(cudaGetLastError());
  dim3 grid = ysg_cuda_tile_grid(width, height), block = ysg_cuda_tile_block();
  blur_region_classify_kernel<<<grid, block, 0, st>>>(d_params, w->regions, w->start, w->items,
                                                      d_in, d_in_tiles, d_out, d_out_tiles, w->occ,
                                                      width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  blur_region_hpass_kernel<<<grid, block, 0, st>>>(d_in, d_in_tiles, w->occ, w->radius, w->weights,
                                                   w->h, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  blur_region_vpass_kernel<<<grid, block, 0, st>>>(d_params, w->regions, w->start, w->items, d_in,
                                                   d_in_tiles, d_out, d_out_tiles, w->occ,
                                                   w->radius, w->weights, w->h, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
