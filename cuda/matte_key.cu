/* matte_key.cu — CUDA kernels and launchers of chroma_key, difference_key and mask_in
 * (nodes/matte_key.c, matte_mask.c are the references): one thread per pixel, one 16×16 block
 * per occupancy tile, the pixel math of engine/matte_math.h. The auto key is measured on the
 * device as on the CPU — two passes over the border band summing fixed-point integers (exact,
 * so the key does not depend on the order of the atomics), the key finished by one thread —
 * and every settings read comes from device memory, so captured graphs replay. */
#include <stdint.h>

#include "common.cuh"
#include "matte_api.h"

/* Work of chroma_key: the frame's key, pass 0's mean, the two passes' sums. */
typedef struct ck_work {
  ysg_chroma_key key, mean;
  long long sums[2][YSG_AUTO_KEY_SLOTS];
} ck_work;

extern "C" size_t ysg__cuda_chroma_key_work_bytes(void) { return (sizeof(ck_work) + 255) & ~255u; }

__device__ static void load_px_tiled(const uint16_t *px, const uint8_t *tiles, int w, int x, int y,
                                     float p[4]) {
  int tx_n = (w + YSG_TILE - 1) / YSG_TILE;
  if (tiles[(y / YSG_TILE) * tx_n + x / YSG_TILE]) {
    ysg_load_px(px + ((size_t)y * w + x) * 4, p);
  } else {
    p[0] = p[1] = p[2] = p[3] = 0.0f;
  }
}

__device__ static void store_quad(uint16_t *px, int w, int x, int y, float m) {
  float q[4] = {m, m, m, m};
  ysg_store_px(px + ((size_t)y * w + x) * 4, q);
}

__global__ void ck_begin_kernel(const ysg_chroma_key *in, ck_work *wk) {
  wk->key = *in;
  wk->mean = *in;
  for (int p = 0; p < 2; p++)
    for (int s = 0; s < YSG_AUTO_KEY_SLOTS; s++) wk->sums[p][s] = 0;
}

/* One pass of the border sums: each block adds its pixels in shared memory, then once to the
 * global sums. Pass 1 runs only when pass 0 found opaque border pixels. */
__global__ void ck_border_kernel(const uint16_t *in, const uint8_t *tiles, int w, int h,
                                 ck_work *wk, int pass) {
  __shared__ unsigned long long bs[YSG_AUTO_KEY_SLOTS];
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int t = threadIdx.y * YSG_TILE + threadIdx.x;
  if (!wk->key.auto_key || (pass == 1 && wk->sums[0][0] == 0)) return;
  int border = wk->key.border;
  /* whole tiles inside the band's complement have nothing to add */
  int bx0 = blockIdx.x * YSG_TILE, by0 = blockIdx.y * YSG_TILE;
  if (bx0 >= border && by0 >= border && bx0 + YSG_TILE <= w - border &&
      by0 + YSG_TILE <= h - border)
    return;
  if (t < YSG_AUTO_KEY_SLOTS) bs[t] = 0;
  __syncthreads();
  if (x < w && y < h && ysg_auto_key_border(x, y, w, h, border)) {
    float p[4];
    load_px_tiled(in, tiles, w, x, y, p);
    int64_t s[YSG_AUTO_KEY_SLOTS] = {0, 0, 0, 0, 0, 0};
    if (ysg_auto_key_sample(p, pass, &wk->mean, s))
      for (int i = 0; i < YSG_AUTO_KEY_SLOTS; i++) atomicAdd(&bs[i], (unsigned long long)s[i]);
  }
  __syncthreads();
  if (t < YSG_AUTO_KEY_SLOTS && bs[t]) atomicAdd((unsigned long long *)&wk->sums[pass][t], bs[t]);
}

/* After pass 0: the mean; after pass 1: the key (pass 1 empty: pass 0's mean), as
 * nodes/matte_key.c's auto_key. */
__global__ void ck_finish_kernel(ck_work *wk, int pass) {
  if (!wk->key.auto_key || wk->sums[0][0] == 0) return;
  int64_t s[YSG_AUTO_KEY_SLOTS];
  for (int i = 0; i < YSG_AUTO_KEY_SLOTS; i++) s[i] = (int64_t)wk->sums[pass][i];
  if (pass == 0) {
    ysg_auto_key_apply(s, &wk->mean);
  } else if (s[0] == 0) {
    wk->key = wk->mean;
  } else {
    ysg_auto_key_apply(s, &wk->key);
  }
}

__global__ void ck_pixel_kernel(const uint16_t *in, const uint8_t *in_tiles, int w, int h,
                                uint16_t *fg, uint8_t *fg_tiles, uint16_t *m, uint8_t *m_tiles,
                                const ck_work *wk) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (threadIdx.x == 0 && threadIdx.y == 0) {
    fg_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
    m_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  }
  if (x >= w || y >= h) return;
  float p[4], f[4], a;
  load_px_tiled(in, in_tiles, w, x, y, p);
  ysg_chroma_key_px(&wk->key, p, f, &a);
  ysg_store_px(fg + ((size_t)y * w + x) * 4, f);
  store_quad(m, w, x, y, a);
}

extern "C" ysg_status ysg__cuda_chroma_key(const uint16_t *d_in, const uint8_t *d_in_tiles, int w,
                                           int h, uint16_t *d_fg, uint8_t *d_fg_tiles,
                                           uint16_t *d_matte, uint8_t *d_matte_tiles,
                                           const ysg_chroma_key *d_key, void *d_work, void *stream,
                                           char *err, size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  ck_work *wk = (ck_work *)d_work;
  dim3 grid = ysg_cuda_tile_grid(w, h), block = ysg_cuda_tile_block();
  ck_begin_kernel<<<1, 1, 0, st>>>(d_key, wk);
  YSG_CUDA_CHECK(cudaGetLastError());
  for (int pass = 0; pass < 2; pass++) {
    ck_border_kernel<<<grid, block, 0, st>>>(d_in, d_in_tiles, w, h, wk, pass);
    YSG_CUDA_CHECK(cudaGetLastError());
    ck_finish_kernel<<<1, 1, 0, st>>>(wk, pass);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  ck_pixel_kernel<<<grid, block, 0, st>>>(d_in, d_in_tiles, w, h, d_fg, d_fg_tiles, d_matte,
                                          d_matte_tiles, wk);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

/* ---- difference_key ----------------------------------------------------------------------------
 */

__global__ void dk_pixel_kernel(const uint16_t *in, const uint8_t *in_tiles, const uint16_t *pl,
                                const uint8_t *pl_tiles, int w, int h, uint16_t *fg,
                                uint8_t *fg_tiles, uint16_t *m, uint8_t *m_tiles,
                                const ysg_diff_key *k) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (threadIdx.x == 0 && threadIdx.y == 0) {
    fg_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
    m_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  }
  if (x >= w || y >= h) return;
  float p[4], q[4], f[4], a;
  load_px_tiled(in, in_tiles, w, x, y, p);
  load_px_tiled(pl, pl_tiles, w, x, y, q);
  ysg_diff_key_px(k, p, q, f, &a);
  ysg_store_px(fg + ((size_t)y * w + x) * 4, f);
  store_quad(m, w, x, y, a);
}

extern "C" ysg_status ysg__cuda_diff_key(const uint16_t *d_in, const uint8_t *d_in_tiles,
                                         const uint16_t *d_plate, const uint8_t *d_plate_tiles,
                                         int w, int h, uint16_t *d_fg, uint8_t *d_fg_tiles,
                                         uint16_t *d_matte, uint8_t *d_matte_tiles,
                                         const ysg_diff_key *d_key, void *stream, char *err,
                                         size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  dk_pixel_kernel<<<ysg_cuda_tile_grid(w, h), ysg_cuda_tile_block(), 0, (cudaStream_t)stream>>>(
      d_in, d_in_tiles, d_plate, d_plate_tiles, w, h, d_fg, d_fg_tiles, d_matte, d_matte_tiles,
      d_key);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

/* ---- mask_in ------------------------------------------------------------------------------------
 */

__global__ void mask_kernel(const uint16_t *in, const uint8_t *in_tiles, int w, int h,
                            uint16_t *out, uint8_t *out_tiles, int source, int srgb, int invert) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (threadIdx.x == 0 && threadIdx.y == 0) out_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  if (x >= w || y >= h) return;
  float p[4];
  load_px_tiled(in, in_tiles, w, x, y, p);
  store_quad(out, w, x, y, ysg_mask_px(p, source, srgb, invert));
}

extern "C" ysg_status ysg__cuda_mask_in(const uint16_t *d_in, const uint8_t *d_in_tiles, int w,
                                        int h, uint16_t *d_out, uint8_t *d_out_tiles, int source,
                                        int srgb, int invert, void *stream, char *err,
                                        size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  mask_kernel<<<ysg_cuda_tile_grid(w, h), ysg_cuda_tile_block(), 0, (cudaStream_t)stream>>>(
      d_in, d_in_tiles, w, h, d_out, d_out_tiles, source, srgb, invert);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
