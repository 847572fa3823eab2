/* bbox_api.h — the plain C face of cuda/bbox.cu: the `bbox` node on the device (nodes/bbox.c is
 * its reference). Same conventions as cuda_api.h: the launcher only enqueues work on `stream`,
 * every per-frame value (settings, element count, track ages) lives in device memory so a
 * captured graph replays without re-capture, and failures return YSG_ERR_CUDA with
 * "CALL failed at FILE:LINE: REASON" in err. */
#ifndef YSG_CUDA_BBOX_API_H
#define YSG_CUDA_BBOX_API_H

#include <stddef.h>
#include <stdint.h>

#include "bbox_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The connected input, in device memory: boxes (xywh) or points (xy), the optional arrays the
 * value has (NULL when it has none; whether they hold data this frame is *attrs, or
 * params->attrs when attrs is NULL), and the element count on the device (clamped to capacity). */
typedef struct ysg_bbox_dev_input {
  const float *xywh;    /* boxes (capacity, 4), or NULL */
  const float *xy;      /* points (capacity, 2), or NULL */
  const int32_t *id;    /* (capacity) or NULL */
  const float *radius;  /* (capacity) or NULL */
  const float *rgba;    /* (capacity, 4) linear straight alpha, or NULL */
  const int32_t *count; /* device */
  int capacity;
  const uint32_t *attrs; /* device: the input's YSG_ATTR_* this frame (its value header), or NULL */
} ysg_bbox_dev_input;

/* Bytes of the per-frame scratch (d_temp) for an input capacity, a tile grid and a bin capacity
 * (the node's cap_items: bin_capacity, or max(16 × tiles, 64 × capacity)). */
size_t ysg__cuda_bbox_temp_bytes(int capacity, int tiles_x, int tiles_y, int cap_items);

/* Draw one frame into d_px / d_tiles (width × height FP16 premultiplied; tiles ceil(w/16) ×
 * ceil(h/16)), exactly as the CPU node does: with size_mode YSG_BBOX_FROM_AGE (static, so it
 * is an argument) a one-block kernel first updates the track-age table in d_age_state
 * (persistent, ysg_bbox_age_bytes(capacity) bytes, zeroed before the first frame; the same
 * layout and rules as the CPU table), then one thread per element builds the boxes, the tiles
 * are binned (ysg__cuda_bins_build) and one 16×16 block per tile composites its list.
 * *d_total receives the tile references the frame needed: when it exceeds cap_items nothing is
 * drawn and the caller reports the capacity error after the stream synchronises. d_px NULL: no
 * render (a fused merge renders the tiles from ysg__cuda_bbox_layer's descriptor). */
ysg_status ysg__cuda_bbox(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                          const ysg_bbox_dev_input *in, int size_mode,
                          const ysg_bbox_params *d_params, void *d_age_state, int cap_items,
                          void *d_temp, size_t temp_bytes, int32_t *d_total, void *stream,
                          char *err, size_t errcap);

/* The fused merge's descriptor of a bbox layer (its boxes and bins in d_temp, its params). */
struct ysg_fused_layer;
void ysg__cuda_bbox_layer(int capacity, int tiles_x, int tiles_y, int cap_items, void *d_temp,
                          const ysg_bbox_params *d_params, struct ysg_fused_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* YSG_CUDA_BBOX_API_H */
