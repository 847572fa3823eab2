/* image_io.cu — image format conversion kernels for hosts' CUDA tensors (image_io_api.h): one
 * thread per pixel, one 16×16 block per occupancy tile, per-pixel math from engine/pixel_math.h
 * (the functions the CPU path's tables are built from). Decoding marks a tile when any of its
 * pixels is not transparent (a shared flag, reduced by the block); encoding writes zeros for empty
 * tiles; the clearing kernel writes zeros into empty tiles' pixels, which no node writes. */
#include <stdint.h>

#include "common.cuh"
#include "image_io_api.h"
#include "pixel_math.h"

__global__ void decode_kernel(const unsigned char *src, size_t stride, int fmt, int width,
                              int height, uint16_t *px, uint8_t *tiles) {
  __shared__ int any;
  if (threadIdx.x == 0 && threadIdx.y == 0) any = 0;
  __syncthreads();
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x < width && y < height) {
    float p[4];
    size_t bpp = (size_t)ysg_px_channels(fmt) * (size_t)ysg_px_elem(fmt);
    ysg_px_decode(fmt, src + (size_t)y * stride + (size_t)x * bpp, p);
    uint16_t *d = px + ((size_t)y * (size_t)width + (size_t)x) * 4;
    ysg_store_px(d, p);
    if ((d[0] | d[1] | d[2] | d[3]) & 0x7fffu) any = 1; /* a benign race: all write 1 */
  }
  __syncthreads();
  if (threadIdx.x == 0 && threadIdx.y == 0)
    tiles[blockIdx.y * gridDim.x + blockIdx.x] = any ? 1 : 0;
}

__global__ void encode_kernel(const uint16_t *px, const uint8_t *tiles, int fmt, int width,
                              int height, unsigned char *dst, size_t stride) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= width || y >= height) return;
  size_t bpp = (size_t)ysg_px_channels(fmt) * (size_t)ysg_px_elem(fmt);
  unsigned char *d = dst + (size_t)y * stride + (size_t)x * bpp;
  if (tiles && !tiles[blockIdx.y * gridDim.x + blockIdx.x]) {
    for (size_t i = 0; i < bpp; i++) d[i] = 0;
    return;
  }
  ysg_px_encode(fmt, px + ((size_t)y * (size_t)width + (size_t)x) * 4, d);
}

__global__ void zero_kernel(uint16_t *px, const uint8_t *tiles, int width, int height) {
  if (tiles[blockIdx.y * gridDim.x + blockIdx.x]) return;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= width || y >= height) return;
  *reinterpret_cast<uint2 *>(px + ((size_t)y * (size_t)width + (size_t)x) * 4) = make_uint2(0, 0);
}

extern "C" ysg_status ysg__cuda_image_decode(const void *d_src, size_t stride, int fmt, int width,
                                             int height, uint16_t *d_px, uint8_t *d_tiles,
                                             void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  decode_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                  (cudaStream_t)stream>>>((const unsigned char *)d_src, stride, fmt, width, height,
                                          d_px, d_tiles);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_image_encode(const uint16_t *d_px, const uint8_t *d_tiles,
                                             int width, int height, int fmt, void *d_dst,
                                             size_t stride, void *stream, char *err,
                                             size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  encode_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                  (cudaStream_t)stream>>>(d_px, d_tiles, fmt, width, height, (unsigned char *)d_dst,
                                          stride);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_image_zero_empty(uint16_t *d_px, const uint8_t *d_tiles, int width,
                                                 int height, void *stream, char *err,
                                                 size_t errcap) {
  if (width <= 0 || height <= 0 || !d_tiles) return YSG_OK;
  zero_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                (cudaStream_t)stream>>>(d_px, d_tiles, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" int ysg__cuda_current_device(void) {
  int id = -1;
  if (cudaGetDevice(&id) != cudaSuccess) return -1;
  return id;
}
