/* line.h — what the `line` node's files share: the per-frame settings read from the params
 * (turned into a ysg_line_frame by ysg__line_frame_setup, which the CUDA test uses too), and the
 * CPU passes in nodes/line_prims.c: building segments from the inputs and rendering the tiles. */
#ifndef YSG_LINE_H
#define YSG_LINE_H

#include "line_caps.h"
#include "ysgraph/node.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

/* sqrtf over one tile row of 16 floats. With errno semantics GCC does not vectorise sqrtf (a
 * negative argument would have to set errno), and that call keeps a whole pixel loop scalar;
 * AVX's square root is the same IEEE-exact result. (particles.c has its own copy.) */
static inline void ysg__sqrt_row(float *v) {
#if defined(__AVX__) && YSG_TILE % 8 == 0
  for (int x = 0; x < YSG_TILE; x += 8)
    _mm256_storeu_ps(v + x, _mm256_sqrt_ps(_mm256_loadu_ps(v + x)));
#else
  for (int x = 0; x < YSG_TILE; x++) v[x] = sqrtf(v[x]);
#endif
}

/* The node's parameter values for one frame, as read from the schema (colours linear straight). */
typedef struct ysg_line_settings {
  int style; /* YSG_LINE_* */
  double width, opacity, dash, gap, phase, spacing;
  float color[4], color2[4];
  int point_colors;                 /* the param, before looking at the points' attributes */
  int cap_start, cap_end;           /* YSG_CAP_* */
  double arrow_length, arrow_width; /* px; 0: from the width (ysg__line_frame_setup) */
  double taper, taper_opacity;      /* factors at each curve's/edge's start (1: none) */
} ysg_line_settings;

/* Fill f for a canvas of width × height. points_rgba: the points carry colours this frame. */
void ysg__line_frame_setup(ysg_line_frame *f, const ysg_line_settings *s, int width, int height,
                           int points_rgba);

/* Whether f can put anything on the canvas at all (width, opacity and colours not all zero). */
int ysg__line_visible(const ysg_line_frame *f);

/* Segments of this frame's edges (curves NULL) or curves (points/edges NULL) into slots
 * 0..*n_slots-1 of segs/prims (and cols, 8 floats a slot, when f->gradient), in parallel on
 * the node's threads: ysg_line_edge_slots / ysg_line_curve_slots per edge or curve (arrow heads
 * after each one's segments). Returns how many edges name a point outside 0..count-1 (skipped). */
int ysg__line_build(const ysg_node *n, const ysg_line_frame *f, const ysg_value *curves,
                    const ysg_value *points, const ysg_value *edges, ysg_line_seg *segs,
                    ysg_bin_prim *prims, float *cols, int *n_slots);

/* Render tile t from binned segments (cols: gradient colours or NULL); 0 when it is empty (see
 * ysg_tile_ops.render). */
int ysg__line_tile(const ysg_line_frame *f, const ysg_line_seg *segs, const float *cols,
                   const ysg_bins *bins, const ysg_tile *t);

/* The path inputs of line and particles: either curves, or points together with edges (ports
 * given by index). Sets *curves to 1 for the curves form; otherwise fails naming what was found. */
ysg_status ysg__path_inputs(ysg_node *n, int in_curves, int in_points, int in_edges, int *curves);

#endif /* YSG_LINE_H */
