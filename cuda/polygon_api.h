/* polygon_api.h — the plain C face of the `polygon` node's CUDA path (cuda/polygon.cu): vertices
 * are grouped into polygons on the device (a block-wide scan of id changes), each polygon's tiles
 * counted and offset (another scan), edges clipped, carries deposited with integer atomics (the
 * same 16.16 sums as the CPU in any order) and prefix-summed along tile rows, edges and polygons
 * binned with ysg__cuda_bins_build, and one 16×16 block renders each tile with the same
 * polygon_math.h / line_math.h code as nodes/polygon.c. Conventions as in cuda_api.h: d_… are
 * device pointers, per-frame values (counts, attributes, the ysg_poly_frame) are read from device
 * memory, launchers only enqueue. */
#ifndef YSG_POLYGON_API_H
#define YSG_POLYGON_API_H

#include <stddef.h>
#include <stdint.h>

#include "polygon_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One frame's vertices in device memory (a points value and its header). */
typedef struct ysg_poly_dev_inputs {
  const float *d_xy;       /* (cap, 2) px */
  const int32_t *d_id;     /* (cap) */
  const float *d_rgba;     /* (cap, 4) linear straight */
  const int32_t *d_count;  /* vertices this frame */
  const uint32_t *d_attrs; /* the points' YSG_ATTR_* this frame (ids and colours used only when
                              present) */
  int cap;
} ysg_poly_dev_inputs;

/* Device scratch bytes ysg__cuda_polygon needs (arithmetic only). */
size_t ysg__cuda_polygon_scratch_bytes(int cap, int tiles_x, int tiles_y, int cap_items,
                                       int cap_tiles);

/* Render one frame into d_px / d_tiles (every tile's flag written, pixels where it is 1) from in
 * and *d_frame (the host's ysg_poly_frame; point_colors applies only where the points carry
 * rgba). d_status (3 int32, device) receives [0] the edge-in-tile references the frame needs,
 * [1] the polygon-in-tile entries it needs (above cap_items / cap_tiles nothing is drawn and the
 * caller reports the capacity error as the CPU node does), [2] the polygons not drawn (fewer than
 * 3 vertices or a non-finite one). */
ysg_status ysg__cuda_polygon(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                             const ysg_poly_dev_inputs *in, const ysg_poly_frame *d_frame,
                             int cap_items, int cap_tiles, void *d_scratch, size_t scratch_bytes,
                             int32_t *d_status, void *stream, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_POLYGON_API_H */
