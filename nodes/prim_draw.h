/* prim_draw.h — drawing a shape list at canvas resolution as anti-aliased vectors (the
 * primitives node's `image`): prepare once per frame (shapes prepared with prim_raster.h, their
 * tile boxes), then render any 16×16 tile on its own — the per-tile form tile fusion calls
 * (ysg_tile_ops): reentrant, no allocation, same bits whichever thread renders it. Pixels start
 * at the background and each shape is blended over them in order, c += w·s·(C − c), in FP32. */
#ifndef YSG_PRIM_DRAW_H
#define YSG_PRIM_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "prim_raster.h"

typedef struct prim_draw {
  int32_t n;         /* shapes prepared */
  int32_t cap;       /* capacity of the arrays */
  float bg[4];       /* premultiplied background */
  prim_geo *geo;     /* (cap) */
  float (*col)[4];   /* (cap) straight colour (rgb) and opacity */
  int32_t (*box)[4]; /* (cap) pixel box x0, y0, x1, y1 (inclusive) a shape may touch; x0 > x1:
                        none */
} prim_draw;

/* Prepare records (kind (n), geom (n, 8) in canvas pixels, rgba (n, 4) straight linear colour
 * with the opacity in [3]) over the premultiplied background bg. */
void prim_draw_prepare(prim_draw *d, const int32_t *kind, const float *geom, const float *rgba,
                       int n, const float bg[4], int width, int height);

/* Render the w × h pixels at (x0, y0) into px (FP16 RGBA, stride halves per row). Returns 0
 * when every pixel is transparent (px then holds nothing to read), 1 otherwise. */
int prim_draw_tile(const prim_draw *d, int x0, int y0, int w, int h, uint16_t *px, size_t stride);

#endif /* YSG_PRIM_DRAW_H */
