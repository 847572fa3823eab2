/* bins.h — tile binning shared by the render nodes: the canvas is cut into YSG_TILE² tiles and
 * each primitive is listed in the tiles its conservative footprint (a rectangle or a capsule,
 * grown by half the stroke and the anti-aliasing margin) touches: count -> prefix sum -> scatter.
 * Pixels then evaluate only their tile's primitives. The footprint math is YSG_HD so the CUDA
 * binning kernels list exactly the same tiles; ysg__bins_build is the CPU builder. */
#ifndef YSG_BINS_H
#define YSG_BINS_H

#include <stddef.h>
#include <stdint.h>

#include "hd.h"
#include "sdf.h"
#include "ysgraph/value.h"

enum { YSG_BIN_RECT = 0, YSG_BIN_CAPSULE = 1 };

/* What binning needs of a primitive: a rect (ax,ay)-(bx,by) or a capsule from a to b, grown by
 * r pixels. Index i of the node's own primitive array is index i here. */
typedef struct ysg_bin_prim {
  float ax, ay, bx, by, r;
  int32_t kind; /* YSG_BIN_RECT or YSG_BIN_CAPSULE; -1: skip (culled) */
} ysg_bin_prim;

typedef struct ysg_bins {
  int32_t tiles_x, tiles_y, n_tiles;
  int32_t cap_items; /* capacity of items */
  int32_t n_items;   /* references listed this frame */
  int32_t *start;    /* (n_tiles + 1): tile t lists items[start[t] .. start[t+1]) */
  int32_t *items;    /* (cap_items) primitive indices, ascending within a tile */
} ysg_bins;

/* tile rows a primitive may touch; 0 if none */
YSG_HD int ysg_bin_rows(const ysg_bin_prim *p, int tile, int tiles_y, int *ty0, int *ty1) {
  if (p->kind < 0) return 0;
  float lo = (p->ay < p->by ? p->ay : p->by) - p->r, hi = (p->ay < p->by ? p->by : p->ay) + p->r;
  if (!(hi >= 0.0f) || !(lo <= (float)(tiles_y * tile))) return 0; /* also rejects NaN */
  /* clamp in float before converting: huge or infinite bounds would overflow an int */
  float a = floorf(lo / (float)tile), b = floorf(hi / (float)tile);
  *ty0 = a < 0.0f ? 0 : (int)a;
  *ty1 = b >= (float)tiles_y ? tiles_y - 1 : (int)b;
  return *ty0 <= *ty1;
}

/* tile columns of row ty a primitive may touch; 0 if none */
YSG_HD int ysg_bin_span(const ysg_bin_prim *p, int ty, int tile, int tiles_x, int *tx0, int *tx1) {
  if (p->kind == YSG_BIN_CAPSULE)
    return ysg_capsule_row_span(p->ax, p->ay, p->bx, p->by, p->r, ty, tile, tiles_x, tx0, tx1);
  float x0 = (p->ax < p->bx ? p->ax : p->bx) - p->r, x1 = (p->ax < p->bx ? p->bx : p->ax) + p->r;
  float y0 = (p->ay < p->by ? p->ay : p->by) - p->r, y1 = (p->ay < p->by ? p->by : p->ay) + p->r;
  return ysg_rect_row_span(x0, y0, x1, y1, ty, tile, tiles_x, tx0, tx1);
}

/* bytes for a bins struct's arrays, and binding them to memory (e.g. an arena scratch buffer) */
size_t ysg__bins_bytes(int tiles_x, int tiles_y, int cap_items);
void ysg__bins_bind(ysg_bins *b, void *mem, int tiles_x, int tiles_y, int cap_items);
/* Bin n primitives. Returns the number of references needed; when it exceeds cap_items nothing
 * is listed (b->n_items = 0, every tile empty) and the caller reports the capacity error. */
int64_t ysg__bins_build(ysg_bins *b, const ysg_bin_prim *prims, int n);
/* The same lists built on the node's threads (bands of tile rows); falls back to
 * ysg__bins_build with one thread. */
struct ysg_node;
int64_t ysg__bins_build_par(const struct ysg_node *node, ysg_bins *b, const ysg_bin_prim *prims,
                            int n);

#endif /* YSG_BINS_H */
