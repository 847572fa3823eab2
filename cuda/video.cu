/* video.cu — the NVDEC surface conversion (video_api.h): NV12 / P010 / P016 -> FP16
 * premultiplied linear RGBA, one thread per pixel and one 16×16 block per occupancy tile. The
 * per-pixel math (chroma taps, Y'CbCr -> R'G'B' -> transfer -> ysg_yuv_finish) is engine/yuv.h,
 * which nodes/video_in.c runs on the CPU, so the CPU test of yuv.h covers this kernel's math. */
#include <stdint.h>

#include "common.cuh"
#include "video_api.h"
#include "yuv.h"

/* A code value at byte offset `off` of a plane: one byte, or the high `bits` of a 16-bit word. */
__device__ static inline float sample_at(const uint8_t *plane, size_t off, int bits) {
  if (bits == 8) return (float)plane[off];
  uint16_t v = (uint16_t)(plane[off] | (plane[off + 1] << 8));
  return (float)(v >> (16 - bits));
}

__global__ void yuv_to_rgba_kernel(const uint8_t *luma, const uint8_t *chroma, int pitch_y,
                                   int pitch_c, int width, int height, int bits,
                                   const ysg_yuv_params *params, uint16_t *px, uint8_t *tiles) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (tiles && threadIdx.x == 0 && threadIdx.y == 0) tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  if (x >= width || y >= height) return;
  const ysg_yuv_params p = *params;
  const size_t bps = bits == 8 ? 1 : 2; /* bytes per sample */
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  int x0, x1, y0, y1;
  float wx, wy;
  ysg_chroma_taps_p(&p, 0, x, 1, cw, &x0, &x1, &wx);
  ysg_chroma_taps_p(&p, 1, y, 1, ch, &y0, &y1, &wy);
  const size_t r0 = (size_t)y0 * (size_t)pitch_c, r1 = (size_t)y1 * (size_t)pitch_c;
  const size_t c0 = (size_t)x0 * 2 * bps, c1 = (size_t)x1 * 2 * bps;
  float cb =
      ysg_chroma_mix(sample_at(chroma, r0 + c0, bits), sample_at(chroma, r0 + c1, bits),
                     sample_at(chroma, r1 + c0, bits), sample_at(chroma, r1 + c1, bits), wx, wy);
  float cr = ysg_chroma_mix(
      sample_at(chroma, r0 + c0 + bps, bits), sample_at(chroma, r0 + c1 + bps, bits),
      sample_at(chroma, r1 + c0 + bps, bits), sample_at(chroma, r1 + c1 + bps, bits), wx, wy);
  float lum = sample_at(luma, (size_t)y * (size_t)pitch_y + (size_t)x * bps, bits);
  float c[4];
  ysg_yuv_to_linear(&p, lum, cb, cr, c);
  c[3] = 1.0f;
  ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, c);
}

extern "C" ysg_status ysg__cuda_yuv_to_rgba(const void *d_luma, const void *d_chroma, int pitch_y,
                                            int pitch_c, int width, int height, int bits,
                                            const ysg_yuv_params *d_params, uint16_t *d_px,
                                            uint8_t *d_tiles, void *stream, char *err,
                                            size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  if (bits != 8 && bits != 10 && bits != 12 && bits != 16) {
    if (err && errcap) snprintf(err, errcap, "ysg__cuda_yuv_to_rgba: %d bits per sample", bits);
    return YSG_ERR_INVALID;
  }
  yuv_to_rgba_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0,
                       (cudaStream_t)stream>>>((const uint8_t *)d_luma, (const uint8_t *)d_chroma,
                                               pitch_y, pitch_c, width, height, bits, d_params,
                                               d_px, d_tiles);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
