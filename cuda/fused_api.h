/* fused_api.h — the tile-fused merge on the CUDA backend (cuda/fused.cu): one kernel per merge
 * with fused layers, one 16×16 block per output tile, calling each layer's device tile function
 * (cuda/tiles.cuh, the code the layer's own render kernel runs) in order and compositing at once,
 * so a fused layer's image is never written. The layer descriptors that kernel reads (in the
 * merge's parameter block, rewritten every frame so captured graphs replay), and what a built-in
 * render node's device ops provide for it (ysg_device_ops.fused). Plain C. */
#ifndef YSG_FUSED_API_H
#define YSG_FUSED_API_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph.h"
#include "ysgraph/node.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  YSG_FUSED_IMAGE,     /* a materialised layer: px, tiles */
  YSG_FUSED_FILL,      /* params: float[4] premultiplied colour */
  YSG_FUSED_GRADIENT,  /* params: ysg_gradient_params */
  YSG_FUSED_LINE,      /* params: ysg_line_frame; prims: segments; cols; bins */
  YSG_FUSED_BBOX,      /* params: ysg_bbox_params; prims: ysg_bbox_prim; bins */
  YSG_FUSED_DOT,       /* prims: ysg_dot_prim; bins */
  YSG_FUSED_PARTICLES, /* prims: ysg_particle_prim; bins */
  YSG_FUSED_TEXT       /* params: ysg_text_style (one per label); prims: ysg_text_prim; bins;
                          spare: the glyph atlas (int16_t) */
};

/* One layer of a fused merge, device addresses (16-byte multiple). */
typedef struct ysg_fused_layer {
  int32_t kind;  /* YSG_FUSED_* */
  int32_t mode;  /* ysg_blend_mode */
  float opacity; /* 0..1; 0 skips the layer */
  int32_t pad;
  const void *params;   /* per kind, see above */
  const void *prims;    /* the layer's primitives */
  const float *cols;    /* line gradient colours (8 floats a segment) or NULL */
  const int32_t *start; /* bins: (n_tiles + 1) */
  const int32_t *items; /* bins: primitive indices */
  const uint16_t *px;   /* YSG_FUSED_IMAGE: the image */
  const uint8_t *tiles; /* YSG_FUSED_IMAGE: its occupancy grid, or NULL */
  const void *spare;
} ysg_fused_layer;

/* What a built-in render node provides for the fused kernel. */
struct ysg_device_fused {
  int kind; /* YSG_FUSED_* */
  /* enqueue this frame's preparation: the node's device run without its render kernel (build,
   * bin, checks) */
  ysg_status (*run)(ysg_node *n, void *stream);
  /* this frame's descriptor (kind, params, prims, bins; mode and opacity are the merge's) */
  ysg_status (*layer)(const ysg_node *n, ysg_fused_layer *out);
};

/* Link k of input port of n is fused (ysg_node_input_fused): its producer's descriptor for this
 * frame (engine/tiles.c; kind, params, prims, bins — mode and opacity are left to the caller). */
ysg_status ysg__node_input_fused_layer(const ysg_node *n, int port, int k, ysg_fused_layer *out);

/* The fused merge: out (may be layer 0's image when that one is materialised: in place) =
 * background, then each layer blended in order, one block per tile. d_layers: n descriptors,
 * d_background: float[4] premultiplied linear. Only enqueues work. */
ysg_status ysg__cuda_merge_fused(uint16_t *d_out, uint8_t *d_out_tiles,
                                 const ysg_fused_layer *d_layers, const float *d_background, int n,
                                 int width, int height, void *stream, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_FUSED_API_H */
