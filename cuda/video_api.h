/* video_api.h — the plain C face of the video kernels (cuda/video.cu): NVDEC's semi-planar
 * surfaces (NV12 / P010 / P016: a luma plane and an interleaved CbCr plane at half width and
 * half height, both in device memory with row pitches) converted to the engine's FP16
 * premultiplied linear RGBA with engine/yuv.h — the math the CPU path of nodes/video_in.c runs.
 * Conventions as in cuda_api.h: enqueue on `stream` (NULL: the default stream), per-frame values
 * read from device memory, YSG_ERR_CUDA with "CALL failed at FILE:LINE: REASON" in err. */
#ifndef YSG_VIDEO_API_H
#define YSG_VIDEO_API_H

#include <stddef.h>
#include <stdint.h>

#include "yuv.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* d_luma: height rows of pitch_y bytes; d_chroma: ceil(height/2) rows of pitch_c bytes holding
 * ceil(width/2) Cb,Cr pairs. bits 8: one byte per sample (NV12); 10, 12 or 16: 16-bit
 * little-endian words with the code value in the high bits (P010, P016). d_params (device
 * memory) gives the matrix, range and chroma siting; its bits must equal `bits`. d_px gets
 * (height, width, 4) FP16 with alpha 1; d_tiles (may be NULL) every occupancy flag set to 1. */
ysg_status ysg__cuda_yuv_to_rgba(const void *d_luma, const void *d_chroma, int pitch_y, int pitch_c,
                                 int width, int height, int bits, const ysg_yuv_params *d_params,
                                 uint16_t *d_px, uint8_t *d_tiles, void *stream, char *err,
                                 size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_VIDEO_API_H */
