/* blur_api.h — the plain C face of the `blur`/`glow` CUDA path (cuda/blur.cu): one launcher that
 * runs a frame as the CPU code in nodes/blur.c does — input tiles dilated by the kernel support,
 * a horizontal pass into an FP16 scratch image, a vertical pass into the output (glow: plus the
 * input). Settings are read from device memory (d_kernel: ysg_blur_kernel from
 * ysg_blur_kernel_make; d_op: ysg_blur_op), so a captured graph replays with new sigmas.
 * Conventions as in cuda_api.h. */
#ifndef YSG_BLUR_API_H
#define YSG_BLUR_API_H

#include <stddef.h>
#include <stdint.h>

#include "blur_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device scratch bytes ysg__cuda_blur needs for a width × height image (any sigma ≤ 500). */
size_t ysg__cuda_blur_work_bytes(int width, int height);

/* d_out / d_out_tiles may be d_in / d_in_tiles (in place). */
ysg_status ysg__cuda_blur(const uint16_t *d_in, const uint8_t *d_in_tiles, uint16_t *d_out,
                          uint8_t *d_out_tiles, int width, int height,
                          const ysg_blur_kernel *d_kernel, const ysg_blur_op *d_op, void *d_work,
                          void *stream, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_BLUR_API_H */
