/* line_api.h — the plain C face of the `line` node's CUDA path (cuda/line.cu): segments are built
 * from curves or points + edges on the device (one thread per curve or edge, the same
 * line_math.h code as nodes/line.c), binned with ysg__cuda_bins_build and rendered one 16×16
 * block per tile. Conventions as in cuda_api.h: d_… are device pointers, every per-frame value
 * (counts, the ysg_line_frame settings) is read from device memory, launchers only enqueue. */
#ifndef YSG_LINE_API_H
#define YSG_LINE_API_H

#include <stddef.h>
#include <stdint.h>

#include "line_caps.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One frame's inputs in device memory: curves (d_curves_xy non-NULL) or points + edges. */
typedef struct ysg_line_dev_inputs {
  const float *d_curves_xy;  /* (cap_curves, samples, 2) px */
  const int32_t *d_n_curves; /* curves this frame */
  int cap_curves, samples;
  const float *d_points_xy;   /* (points capacity, 2) px */
  const float *d_points_rgba; /* (points capacity, 4) linear straight, or NULL */
  const int32_t *d_n_points;  /* points this frame */
  const int32_t *d_edges_ij;  /* (cap_edges, 2) */
  const int32_t *d_n_edges;   /* edges this frame */
  int cap_edges;
  /* the points' YSG_ATTR_* this frame (their value header): d_points_rgba is read only when it
   * has YSG_ATTR_RGBA, as the CPU node does; NULL: d_points_rgba is taken as it is */
  const uint32_t *d_points_attrs;
  int heads; /* arrow heads: ysg_line_edge_slots / ysg_line_curve_slots slots per element */
} ysg_line_dev_inputs;

/* Segment slots for the inputs' capacities (as the CPU node plans them). */
int ysg__cuda_line_cap_segs(const ysg_line_dev_inputs *in);

/* Device scratch bytes ysg__cuda_line needs (arithmetic only; no device is touched). */
size_t ysg__cuda_line_scratch_bytes(const ysg_line_dev_inputs *in, int tiles_x, int tiles_y,
                                    int cap_items);

/* Render one frame into d_px / d_tiles (width × height, FP16 premultiplied; every tile's flag
 * is written, pixels only where the flag is 1) from in and *d_frame (ysg__line_frame_setup on
 * the host, copied to the device; d_frame->point_colors must be 0 when d_points_rgba is NULL).
 * d_status (2 int32, device) receives [0] the bin references the frame needs — above cap_items
 * nothing is drawn and the caller reports the capacity error as the CPU node does — and [1] how
 * many edges named a point outside 0..count-1 (skipped; the caller logs it). d_px NULL: only
 * the segments and bins are made (a fused merge renders the tiles: ysg__cuda_line_layer). */
ysg_status ysg__cuda_line(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                          const ysg_line_dev_inputs *in, const ysg_line_frame *d_frame,
                          int cap_items, void *d_scratch, size_t scratch_bytes, int32_t *d_status,
                          void *stream, char *err, size_t errcap);

/* The fused merge's descriptor of a line layer whose ysg__cuda_line ran without an image (d_px
 * NULL): its segments, colours and bins in d_scratch, and its frame settings. */
struct ysg_fused_layer;
void ysg__cuda_line_layer(const ysg_line_dev_inputs *in, int tiles_x, int tiles_y, int cap_items,
                          void *d_scratch, const ysg_line_frame *d_frame,
                          struct ysg_fused_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* YSG_LINE_API_H */
