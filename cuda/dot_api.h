/* dot_api.h — the plain C face of the `dot` node's CUDA path (cuda/dot.cu): one launcher that
 * builds the dots from device-resident points (ysg_dot_make), bins them on the device
 * (ysg__cuda_bins_build) and renders every tile (ysg_dot_alpha), all enqueued on one stream with
 * per-frame values read from device memory (count, attributes, params), so a captured CUDA Graph
 * replays without re-capture. Conventions as in cuda_api.h. */
#ifndef YSG_DOT_API_H
#define YSG_DOT_API_H

#include <stddef.h>
#include <stdint.h>

#include "dot_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device scratch of the launcher, carved from one allocation by ysg__cuda_dot_work_bind. */
typedef struct ysg_cuda_dot_work {
  ysg_dot_prim *prims; /* (cap_points) */
  ysg_bin_prim *bins;  /* (cap_points) */
  int32_t *start;      /* (n_tiles + 1) */
  int32_t *items;      /* (cap_items) */
  int32_t *total;      /* (1): references the frame needed; > cap_items: nothing was drawn */
  void *temp;          /* the binner's scratch */
  size_t temp_bytes;
  int cap_points, cap_items, tiles_x, tiles_y;
} ysg_cuda_dot_work;

/* Bytes of device memory ysg__cuda_dot_work_bind carves (256-byte aligned pieces). */
size_t ysg__cuda_dot_work_bytes(int cap_points, int width, int height, int cap_items);
void ysg__cuda_dot_work_bind(ysg_cuda_dot_work *w, void *d_mem, int cap_points, int width,
                             int height, int cap_items);

/* Draw the first *d_count (≤ cap_points) points of d_xy (cap, 2) into the width × height FP16
 * image d_px / tile grid d_tiles as the CPU `dot` node does with *d_params. d_radius (cap) and
 * d_rgba (cap, 4; linear straight alpha) may be NULL; they are used where *d_attrs says they
 * hold data (YSG_ATTR_RADIUS / YSG_ATTR_RGBA). When the frame needs more bin references than
 * w->cap_items, every tile is left empty and *w->total tells the host by how much (the host
 * reads it after the frame and reports the capacity error, as the CPU node does at once).
 * d_px NULL: no render (a fused merge renders the tiles from ysg__cuda_dot_layer's descriptor). */
ysg_status ysg__cuda_dot(const float *d_xy, const float *d_radius, const float *d_rgba,
                         const int32_t *d_count, const uint32_t *d_attrs, int cap_points,
                         const ysg_dot_params *d_params, uint16_t *d_px, uint8_t *d_tiles,
                         int width, int height, const ysg_cuda_dot_work *w, void *stream, char *err,
                         size_t errcap);

/* The fused merge's descriptor of a dot layer (its dots and bins in w). */
struct ysg_fused_layer;
void ysg__cuda_dot_layer(const ysg_cuda_dot_work *w, struct ysg_fused_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* YSG_DOT_API_H */
