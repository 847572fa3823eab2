/* blur.cu — CUDA kernels and the launcher of `blur` and `glow` (nodes/blur.c is the reference):
 * tile dilation, then a horizontal and a vertical pass, one thread per pixel, through a weight
 * table. On the device the 3-box cascade runs as its exact equivalent kernel (the three boxes
 * convolved, a piecewise quadratic built once per frame on the device): a direct sum is cheap
 * there, and it equals the CPU's running sums up to float rounding. All settings are read from
 * device memory, so captured graphs replay with new sigmas. Math: engine/blur_math.h. */
#include <stdint.h>

#include "blur_api.h"
#include "color.h"
#include "common.cuh"

/* the widest support any sigma ≤ YSG_BLUR_SIGMA_MAX gives (computed on the host once) */
static int max_support(void) {
  ysg_blur_kernel k;
  ysg_blur_kernel_make(YSG_BLUR_SIGMA_MAX, YSG_BLUR_TRUNCATE_MAX, &k);
  return k.support > YSG_BLUR_GAUSS_RMAX ? k.support : YSG_BLUR_GAUSS_RMAX;
}

static size_t up256(size_t b) { return (b + 255) & ~(size_t)255; }

/* weights[t], t = 0..support: the exact kernel's taps, or the box cascade's equivalent kernel
 * (box h0 ⊛ box h1 is a trapezoid T; the cascade is T averaged over ±h2). */
__global__ void blur_weights_kernel(const ysg_blur_kernel *k, float *weights, int cap) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= cap || t > k->support) return;
  if (!k->box) {
    weights[t] = k->w[t];
    return;
  }
  int h0 = k->h[0], h1 = k->h[1], h2 = k->h[2];
  float w0 = (float)(2 * h0 + 1), w1 = (float)(2 * h1 + 1), w2 = (float)(2 * h2 + 1);
  float sum = 0.0f;
  for (int u = -h2; u <= h2; u++) {
    int s = t - u < 0 ? u - t : t - u; /* |t − u| */
    /* overlap of [s − h0, s + h0] with [−h1, h1] */
    int lo = s - h0 > -h1 ? s - h0 : -h1, hi = s + h0 < h1 ? s + h0 : h1;
    if (hi >= lo) sum += (float)(hi - lo + 1);
  }
  weights[t] = sum / (w0 * w1 * w2);
}

/* stiles: an input tile within d tiles along x; tin copied (the output may be in place) */
__global__ void blur_stiles_kernel(const uint8_t *in_tiles, uint8_t *tin, uint8_t *stiles, int tx_n,
                                   int ty_n, const ysg_blur_kernel *k) {
  int tx = blockIdx.x * blockDim.x + threadIdx.x, ty = blockIdx.y;
  if (tx >= tx_n) return;
  int d = (k->support + YSG_TILE - 1) / YSG_TILE;
  const uint8_t *row = in_tiles + (size_t)ty * tx_n;
  int on = 0;
  for (int t = tx - d < 0 ? 0 : tx - d; t <= tx + d && t < tx_n && !on; t++) on = row[t] != 0;
  stiles[(size_t)ty * tx_n + tx] = (uint8_t)on;
  tin[(size_t)ty * tx_n + tx] = row[tx];
}

__global__ void blur_otiles_kernel(const uint8_t *stiles, uint8_t *otiles, int tx_n, int ty_n,
                                   const ysg_blur_kernel *k) {
  int tx = blockIdx.x * blockDim.x + threadIdx.x, ty = blockIdx.y;
  if (tx >= tx_n) return;
  int d = (k->support + YSG_TILE - 1) / YSG_TILE;
  int on = 0;
  for (int t = ty - d < 0 ? 0 : ty - d; t <= ty + d && t < ty_n && !on; t++)
    on = stiles[(size_t)t * tx_n + tx] != 0;
  otiles[(size_t)ty * tx_n + tx] = (uint8_t)on;
}

__global__ void blur_h_kernel(const uint16_t *in, const uint8_t *tin, const uint8_t *stiles,
                              uint16_t *img, int width, int height, const ysg_blur_kernel *k,
                              const ysg_blur_op *op, const float *weights) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int tx_n = gridDim.x;
  if (!stiles[blockIdx.y * tx_n + blockIdx.x] || x >= width || y >= height) return;
  int S = k->support, mode = op->edge, glow = op->glow;
  float thr = op->threshold, acc[4] = {0, 0, 0, 0};
  for (int t = -S; t <= S; t++) {
    int sx = ysg_blur_edge_index(x + t, width, mode);
    if (sx < 0 || !tin[(y / YSG_TILE) * tx_n + sx / YSG_TILE]) continue;
    float p[4];
    ysg_load_px(in + ((size_t)y * width + sx) * 4, p);
    float w = weights[t < 0 ? -t : t];
    if (glow && thr > 0.0f) w *= ysg_glow_feed(p, thr);
    for (int c = 0; c < 4; c++) acc[c] += w * p[c];
  }
  ysg_store_px(img + ((size_t)y * width + x) * 4, acc);
}

__global__ void blur_v_kernel(const uint16_t *in, const uint8_t *tin, const uint8_t *stiles,
                              const uint8_t *otiles, const uint16_t *img, uint16_t *out,
                              uint8_t *out_tiles, int width, int height, const ysg_blur_kernel *k,
                              const ysg_blur_op *op, const float *weights) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int tx_n = gridDim.x, tile = blockIdx.y * tx_n + blockIdx.x;
  if (threadIdx.x == 0 && threadIdx.y == 0) out_tiles[tile] = otiles[tile];
  if (!otiles[tile] || x >= width || y >= height) return;
  int S = k->support, mode = op->edge;
  float acc[4] = {0, 0, 0, 0};
  for (int t = -S; t <= S; t++) {
    int sy = ysg_blur_edge_index(y + t, height, mode);
    if (sy < 0 || !stiles[(sy / YSG_TILE) * tx_n + blockIdx.x]) continue;
    float p[4];
    ysg_load_px(img + ((size_t)sy * width + x) * 4, p);
    float w = weights[t < 0 ? -t : t];
    for (int c = 0; c < 4; c++) acc[c] += w * p[c];
  }
  size_t off = ((size_t)y * width + x) * 4;
  if (op->glow) {
    float p[4] = {0, 0, 0, 0};
    if (tin[tile]) ysg_load_px(in + off, p);
    ysg_glow_add(p, acc, op->intensity, acc);
  }
  ysg_store_px(out + off, acc);
}

extern "C" size_t ysg__cuda_blur_work_bytes(int width, int height) {
  size_t tiles = (size_t)((width + 15) / 16) * (size_t)((height + 15) / 16);
  return up256((size_t)width * height * 8) + 3 * up256(tiles) +
         up256((size_t)(max_support() + 1) * sizeof(float));
}

extern "C" ysg_status ysg__cuda_blur(const uint16_t *d_in, const uint8_t *d_in_tiles,
                                     uint16_t *d_out, uint8_t *d_out_tiles, int width, int height,
                                     const ysg_blur_kernel *d_kernel, const ysg_blur_op *d_op,
                                     void *d_work, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  int tx_n = (width + 15) / 16, ty_n = (height + 15) / 16;
  size_t tiles = (size_t)tx_n * ty_n;
  char *w = (char *)d_work;
  uint16_t *img = (uint16_t *)w;
  w += up256((size_t)width * height * 8);
  uint8_t *tin = (uint8_t *)w, *stiles = tin + up256(tiles), *otiles = stiles + up256(tiles);
  float *weights = (float *)(otiles + up256(tiles));
  int cap = max_support() + 1;
  blur_weights_kernel<<<ysg_cuda_blocks((size_t)cap, 256), 256, 0, st>>>(d_kernel, weights, cap);
  YSG_CUDA_CHECK(cudaGetLastError());
  dim3 tg((unsigned)((tx_n + 127) / 128), (unsigned)ty_n);
  blur_stiles_kernel<<<tg, 128, 0, st>>>(d_in_tiles, tin, stiles, tx_n, ty_n, d_kernel);
  YSG_CUDA_CHECK(cudaGetLastError());
  blur_otiles_kernel<<<tg, 128, 0, st>>>(stiles, otiles, tx_n, ty_n, d_kernel);
  YSG_CUDA_CHECK(cudaGetLastError());
  blur_h_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      d_in, tin, stiles, img, width, height, d_kernel, d_op, weights);
  YSG_CUDA_CHECK(cudaGetLastError());
  blur_v_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      d_in, tin, stiles, otiles, img, d_out, d_out_tiles, width, height, d_kernel, d_op, weights);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
