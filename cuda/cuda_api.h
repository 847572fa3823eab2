/* cuda_api.h — the plain C face of the CUDA code (no CUDA types: streams and device memory are
 * void * / typed pointers to device memory named d_…): device memory helpers (cuda/device.cu)
 * and the launchers of the background and compositing kernels (cuda/composite.cu). Launchers
 * only enqueue work on `stream` (NULL: the default stream); every per-frame value is read from
 * device memory, so a captured CUDA Graph replays with new values without re-capture. Each
 * returns YSG_OK, or YSG_ERR_CUDA with "CALL failed at FILE:LINE: REASON" in err. */
#ifndef YSG_CUDA_API_H
#define YSG_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#include "blend.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ysg__cuda_probe (1: a usable device) is declared in engine/internal.h. */

/* ---- device memory (cuda/device.cu) ------------------------------------------------------- */
ysg_status ysg__cuda_malloc(void **d_out, size_t bytes, char *err, size_t errcap);
void ysg__cuda_free(void *d_ptr); /* NULL is fine */
/* Asynchronous on stream; host memory should be pinned for real overlap. */
ysg_status ysg__cuda_upload(void *d_dst, const void *src, size_t bytes, void *stream, char *err,
                            size_t errcap);
ysg_status ysg__cuda_download(void *dst, const void *d_src, size_t bytes, void *stream, char *err,
                              size_t errcap);
ysg_status ysg__cuda_sync(void *stream, char *err, size_t errcap);
/* device → device, asynchronous on stream (capturable) */
ysg_status ysg__cuda_copy(void *d_dst, const void *d_src, size_t bytes, void *stream, char *err,
                          size_t errcap);
ysg_status ysg__cuda_memset(void *d_dst, int value, size_t bytes, void *stream, char *err,
                            size_t errcap);
/* 2-D copy between device buffers with row pitches, asynchronous on stream */
ysg_status ysg__cuda_copy2d(void *d_dst, size_t dst_pitch, const void *d_src, size_t src_pitch,
                            size_t row_bytes, size_t rows, void *stream, char *err, size_t errcap);
/* stream waits (on the device) for ev's work; stream NULL is the legacy default stream */
ysg_status ysg__cuda_stream_wait(void *stream, void *ev, char *err, size_t errcap);
/* pinned (page-locked) host memory, for asynchronous copies that really overlap */
ysg_status ysg__cuda_host_alloc(void **out, size_t bytes, char *err, size_t errcap);
void ysg__cuda_host_free(void *ptr); /* NULL is fine */
/* events (void * = cudaEvent_t); timing 0 makes a cheaper event that cannot be timed */
ysg_status ysg__cuda_event_create(void **ev, int timing, char *err, size_t errcap);
void ysg__cuda_event_destroy(void *ev); /* NULL is fine */
ysg_status ysg__cuda_event_record(void *ev, void *stream, char *err, size_t errcap);
ysg_status ysg__cuda_event_sync(void *ev, char *err, size_t errcap);
ysg_status ysg__cuda_event_ms(void *start, void *end, float *ms, char *err, size_t errcap);

/* ---- kernels (cuda/composite.cu) ---------------------------------------------------------- */
/* Images are (height, width, 4) FP16 premultiplied linear RGBA with a tiles grid of
 * ceil(width/16) × ceil(height/16) bytes (d_tiles may be NULL: not written). */

/* fill: every pixel = *d_color (4 floats, premultiplied linear); tiles = colour alpha > 0. */
ysg_status ysg__cuda_fill(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                          const float *d_color, void *stream, char *err, size_t errcap);

/* gradient: every pixel = ysg_gradient_px(d_params, x, y); tiles = ysg_gradient_nonzero. */
ysg_status ysg__cuda_gradient(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                              const ysg_gradient_params *d_params, void *stream, char *err,
                              size_t errcap);

/* merge: d_out = d_background then layers 0..n_layers-1 composited in order, as the CPU merge
 * node does. d_layers / d_layer_tiles are device arrays of n_layers device pointers (a tiles
 * entry may be NULL: occupancy unknown); d_layer_params holds each layer's mode and opacity;
 * d_background 4 floats premultiplied linear. d_out (and d_out_tiles) may be d_layers[0]
 * (and d_layer_tiles[0]): in place. */
ysg_status ysg__cuda_merge(uint16_t *d_out, uint8_t *d_out_tiles, const uint16_t *const *d_layers,
                           const uint8_t *const *d_layer_tiles,
                           const ysg_blend_layer *d_layer_params, const float *d_background,
                           int n_layers, int width, int height, void *stream, char *err,
                           size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_CUDA_API_H */
