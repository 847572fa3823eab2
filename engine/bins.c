/* bins.c — the CPU tile binner (see bins.h): count references per tile, prefix-sum them into
 * start offsets, then scatter primitive indices in ascending order so every tile's list is
 * deterministic. Memory comes from the caller (an arena scratch buffer); nothing is allocated. */
#include "bins.h"

#include <string.h>

size_t ysg__bins_bytes(int tiles_x, int tiles_y, int cap_items) {
  return ((size_t)tiles_x * (size_t)tiles_y + 1) * sizeof(int32_t) +
         (size_t)cap_items * sizeof(int32_t);
}

void ysg__bins_bind(ysg_bins *b, void *mem, int tiles_x, int tiles_y, int cap_items) {
  b->tiles_x = tiles_x;
  b->tiles_y = tiles_y;
  b->n_tiles = tiles_x * tiles_y;
  b->cap_items = cap_items;
  b->n_items = 0;
  b->start = (int32_t *)mem;
  b->items = b->start + b->n_tiles + 1;
}

int64_t ysg__bins_build(ysg_bins *b, const ysg_bin_prim *prims, int n) {
  int32_t *count = b->start + 1; /* counts land one slot right, so the scan yields starts */
  memset(b->start, 0, sizeof(int32_t) * ((size_t)b->n_tiles + 1));
  int64_t total = 0;
  for (int i = 0; i < n; i++) {
    int ty0, ty1, tx0, tx1;
    if (!ysg_bin_rows(&prims[i], YSG_TILE, b->tiles_y, &ty0, &ty1)) continue;
    for (int ty = ty0; ty <= ty1; ty++) {
      if (!ysg_bin_span(&prims[i], ty, YSG_TILE, b->tiles_x, &tx0, &tx1)) continue;
      for (int tx = tx0; tx <= tx1; tx++) count[ty * b->tiles_x + tx]++;
      total += tx1 - tx0 + 1;
    }
  }
  if (total > b->cap_items) {
    memset(b->start, 0, sizeof(int32_t) * ((size_t)b->n_tiles + 1));
    b->n_items = 0;
    return total;
  }
  for (int t = 0; t < b->n_tiles; t++) b->start[t + 1] += b->start[t];
  /* scatter with a moving cursor per tile: reuse start[t] as the cursor, then shift back */
  for (int i = 0; i < n; i++) {
    int ty0, ty1, tx0, tx1;
    if (!ysg_bin_rows(&prims[i], YSG_TILE, b->tiles_y, &ty0, &ty1)) continue;
    for (int ty = ty0; ty <= ty1; ty++) {
      if (!ysg_bin_span(&prims[i], ty, YSG_TILE, b->tiles_x, &tx0, &tx1)) continue;
      for (int tx = tx0; tx <= tx1; tx++) b->items[b->start[ty * b->tiles_x + tx]++] = i;
    }
  }
  for (int t = b->n_tiles; t > 0; t--) b->start[t] = b->start[t - 1];
  b->start[0] = 0;
  b->n_items = (int32_t)total;
  return total;
}
