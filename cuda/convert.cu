/* convert.cu — FP16 linear premultiplied images to sRGB straight-alpha samples on the device
 * (convert_api.h; the `png` node's device path, nodes/png.c is the reference). One thread per
 * pixel, one 16×16 block per occupancy tile: empty tiles write zeros; others divide out alpha and
 * quantise each channel with the CPU encoder's own thresholds (ysg_srgb_level), so the bytes
 * equal the CPU node's (ysg_srgb_px, convert_api.h, writes the operations ysg_encode_srgb rounds
 * one by one with _rn intrinsics on the device, so nvcc cannot fuse them into FMAs). */
#include <stdint.h>

#include "color.h"
#include "common.cuh"
#include "convert_api.h"

__device__ static void put4(uint8_t *out, size_t i, const uint32_t q[4]) {
  *reinterpret_cast<uchar4 *>(out + 4 * i) = make_uchar4((unsigned char)q[0], (unsigned char)q[1],
                                                         (unsigned char)q[2], (unsigned char)q[3]);
}

__device__ static void put4(uint16_t *out, size_t i, const uint32_t q[4]) {
  *reinterpret_cast<ushort4 *>(out + 4 * i) = make_ushort4(
      (unsigned short)q[0], (unsigned short)q[1], (unsigned short)q[2], (unsigned short)q[3]);
}

/* S: the sample type; maxq: 255 or 65535. t: the thresholds (maxq + 1 floats). */
template <typename S, int maxq>
__global__ void srgb_kernel(const uint16_t *px, const uint8_t *tiles, int width, int height,
                            const float *t, S *out) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= width || y >= height) return;
  size_t i = (size_t)y * (size_t)width + (size_t)x;
  uint32_t q[4] = {0, 0, 0, 0};
  if (!tiles || tiles[blockIdx.y * gridDim.x + blockIdx.x]) ysg_srgb_px(px + 4 * i, maxq, t, q);
  put4(out, i, q);
}

extern "C" ysg_status ysg__cuda_to_srgb(const uint16_t *d_px, const uint8_t *d_tiles, int width,
                                        int height, int bits, const float *d_table, void *d_out,
                                        void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  if (bits != 8 && bits != 16) {
    if (err && errcap)
      snprintf(err, errcap, "ysg__cuda_to_srgb: %d bits per sample, expected 8 or 16", bits);
    return YSG_ERR_INVALID;
  }
  cudaStream_t st = (cudaStream_t)stream;
  dim3 grid = ysg_cuda_tile_grid(width, height), block = ysg_cuda_tile_block();
  if (bits == 8)
    srgb_kernel<uint8_t, 255>
        <<<grid, block, 0, st>>>(d_px, d_tiles, width, height, d_table, (uint8_t *)d_out);
  else
    srgb_kernel<uint16_t, 65535>
        <<<grid, block, 0, st>>>(d_px, d_tiles, width, height, d_table, (uint16_t *)d_out);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
