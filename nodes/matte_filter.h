/* matte_filter.h — the CPU building blocks the matte nodes share (nodes/matte_filter.c,
 * matte_cc.c, matte_stream.c): reading image rows as floats, writing (m, m, m, m) mattes, and the
 * single-channel filters on FP32 planes and rows — the Gaussian / 3-box blur of
 * engine/blur_math.h with a clamped edge, grow/shrink by a disc, connected components (islands
 * and holes). Each runs on the node's CPU threads; buffers are the caller's (arena scratch). */
#ifndef YSG_MATTE_FILTER_H
#define YSG_MATTE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "blur_math.h"
#include "ysgraph/node.h"

/* Pixels [x0, x0 + n) of row y of an image as n×4 floats; pixels under empty tiles read as 0. */
void ysg__matte_load_span(const ysg_value *v, int y, int x0, int n, float *dst);
/* Row y of an image as W×4 floats; pixels under empty tiles read as 0. */
void ysg__matte_rgba_row(const ysg_value *v, int y, float *dst);
/* Pixels [x0, x0 + n) of row y as four planes of n floats (empty tiles: 0), and n pixels from
 * four planes into halves at dst. */
void ysg__matte_load_planes(const ysg_value *v, int y, int x0, int n, float *R, float *G, float *B,
                            float *A);
void ysg__matte_store_planes(uint16_t *dst, const float *R, const float *G, const float *B,
                             const float *A, int n);
/* The alpha of pixels [x0, x0 + n) of row y as n floats (empty tiles: 0). */
void ysg__matte_load_alpha(const ysg_value *v, int y, int x0, int n, float *dst);
/* Store W matte values as (m, m, m, m) halves into row y of out; a span of n into dst. */
void ysg__matte_store_row(ysg_value *out, int y, const float *m);
void ysg__matte_store_span(uint16_t *dst, const float *m, int n);
/* Mark every tile of an image occupied (matte nodes write every pixel). */
void ysg__matte_tiles_on(ysg_value *out);

/* Floats of per-worker line buffer the blur needs for a W×H plane (any sigma ≤ the matte max). */
size_t ysg__matte_blur_line_floats(int w, int h);
/* dst = blur of src (W×H floats) by kernel k, clamped edges; separable, horizontal into tmp,
 * vertical into dst. dst may be src. lines: workers × ysg__matte_blur_line_floats. */
void ysg__matte_blur(const ysg_node *n, const float *src, float *dst, float *tmp, int w, int h,
                     const ysg_blur_kernel *k, float *lines, int workers);

/* dst = one row src (w floats) filtered by k with clamped edges (dst may not be src); line:
 * ysg__matte_blur_row_floats(w) floats. */
size_t ysg__matte_blur_row_floats(int w);
void ysg__matte_blur_row(const float *src, float *dst, int w, const ysg_blur_kernel *k,
                         float *line);

/* dst = grey-scale dilation (r > 0) or erosion (r < 0) of src by the disc of radius |r| (at
 * most YSG_MATTE_RADIUS_MAX), taking only pixels inside the image; tmp is W×H floats; dst may
 * not be src; lines: workers × ysg__matte_grow_line_floats(w). */
size_t ysg__matte_grow_line_floats(int w);
void ysg__matte_grow(const ysg_node *n, const float *src, float *dst, float *tmp, float *lines,
                     int w, int h, float r, int workers);

/* Remove foreground islands (m ≥ 0.5, 8-connected) smaller than `islands` px (set to 0) and fill
 * background holes (m < 0.5, 4-connected, not touching the image border) smaller than `holes` px
 * (set to 1), in place. labels: W×H int32; area: W×H int32. Two-pass union-find in bands. */
void ysg__matte_components(const ysg_node *n, float *m, int w, int h, int64_t islands,
                           int64_t holes, int32_t *labels, int32_t *area);

#endif /* YSG_MATTE_FILTER_H */
