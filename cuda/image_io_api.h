/* image_io_api.h — the plain C face of cuda/image_io.cu: images between the engine's FP16 linear
 * premultiplied RGBA in device memory and the host-facing pixel formats in device memory (CUDA
 * tensors lent to image_in, or read into by ysg_pipeline_read_image_dlpack), with the per-pixel
 * math of engine/pixel_math.h, and the clearing of empty tiles behind an exported device view.
 * Conventions as in cuda_api.h: launchers only enqueue on `stream`; errors go to err. */
#ifndef YSG_IMAGE_IO_API_H
#define YSG_IMAGE_IO_API_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* d_src: height rows of stride bytes in fmt -> d_px (height, width, 4) FP16; d_tiles gets 1
 * where a tile holds a non-transparent pixel, else 0. Non-finite values decode as 0. */
ysg_status ysg__cuda_image_decode(const void *d_src, size_t stride, int fmt, int width, int height,
                                  uint16_t *d_px, uint8_t *d_tiles, void *stream, char *err,
                                  size_t errcap);
/* d_px (+ occupancy d_tiles: empty tiles give zeros) -> d_dst, height rows of stride bytes */
ysg_status ysg__cuda_image_encode(const uint16_t *d_px, const uint8_t *d_tiles, int width,
                                  int height, int fmt, void *d_dst, size_t stride, void *stream,
                                  char *err, size_t errcap);
/* zero the pixels of the tiles whose flag is 0 */
ysg_status ysg__cuda_image_zero_empty(uint16_t *d_px, const uint8_t *d_tiles, int width, int height,
                                      void *stream, char *err, size_t errcap);
/* the calling thread's current CUDA device, -1 when none */
int ysg__cuda_current_device(void);

#ifdef __cplusplus
}
#endif
#endif /* YSG_IMAGE_IO_API_H */
