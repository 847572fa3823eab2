/* text_api.h — the plain C face of the `text` node's CUDA kernel (cuda/text.cu). The host lays the
 * frame out (nodes/text_frame.c) and uploads its primitives, styles and tile bins into a work area
 * carved from one device allocation; the kernel renders every tile from those fixed addresses
 * (a captured CUDA Graph replays without re-capture). Conventions as in cuda_api.h. */
#ifndef YSG_TEXT_API_H
#define YSG_TEXT_API_H

#include <stddef.h>
#include <stdint.h>

#include "text_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ysg_cuda_text_work {
  ysg_text_prim *prims;   /* (cap_prims) */
  ysg_text_style *styles; /* (cap_labels) */
  int32_t *start;         /* (n_tiles + 1): tile t lists items[start[t] .. start[t+1]) */
  int32_t *items;         /* (cap_items) primitive indices, ascending within a tile */
  int cap_prims, cap_labels, cap_items, tiles_x, tiles_y;
} ysg_cuda_text_work;

/* Bytes of device memory ysg__cuda_text_work_bind carves (256-byte aligned pieces). */
size_t ysg__cuda_text_work_bytes(int cap_prims, int cap_labels, int width, int height,
                                 int cap_items);
void ysg__cuda_text_work_bind(ysg_cuda_text_work *w, void *d_mem, int cap_prims, int cap_labels,
                              int width, int height, int cap_items);

/* Render every tile of the width × height FP16 image d_px (tile grid d_tiles) from the work
 * area's bins, primitives and styles and the glyph atlas d_atlas, as nodes/text_frame.c's
 * ysg__text_render does: each label's glyphs one union shape (minimum distance), shaded by
 * ysg_text_shade, labels composited in order; an empty tile writes only its flag. */
ysg_status ysg__cuda_text(const ysg_cuda_text_work *w, const int16_t *d_atlas, uint16_t *d_px,
                          uint8_t *d_tiles, int width, int height, void *stream, char *err,
                          size_t errcap);

/* The fused merge's descriptor of this work area's frame (cuda/fused.cu renders it with the
 * same tile function; mode and opacity are the merge's). */
struct ysg_fused_layer;
void ysg__cuda_text_layer(const ysg_cuda_text_work *w, const int16_t *d_atlas,
                          struct ysg_fused_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* YSG_TEXT_API_H */
