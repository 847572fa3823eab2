/* bins.c — the CPU tile binner (see bins.h): count references per tile, prefix-sum them into
 * start offsets, then scatter primitive indices in ascending order so every tile's list is
 * deterministic, on one thread or in bands of tile rows on a node's threads (the same lists).
 * Memory comes from the caller (an arena scratch buffer); nothing is allocated. */
#include "bins.h"

#include <string.h>

#include "ysgraph/node.h"

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

/* Count (scatter 0) or scatter the references of tile rows [ty0, ty1). Counts land one slot
 * right of their tile, so the prefix sum yields starts; the scatter uses start[t] as a moving
 * cursor (shifted back afterwards). Each call touches only its rows' entries. */
static int64_t bin_rows(ysg_bins *b, const ysg_bin_prim *prims, int n, int ty0, int ty1,
                        int scatter) {
  int64_t total = 0;
  int32_t *count = b->start + 1;
  for (int i = 0; i < n; i++) {
    int r0, r1, tx0, tx1;
    if (!ysg_bin_rows(&prims[i], YSG_TILE, b->tiles_y, &r0, &r1)) continue;
    if (r0 < ty0) r0 = ty0;
    if (r1 > ty1 - 1) r1 = ty1 - 1;
    for (int ty = r0; ty <= r1; ty++) {
      if (!ysg_bin_span(&prims[i], ty, YSG_TILE, b->tiles_x, &tx0, &tx1)) continue;
      if (scatter) {
        for (int tx = tx0; tx <= tx1; tx++) b->items[b->start[ty * b->tiles_x + tx]++] = i;
      } else {
        for (int tx = tx0; tx <= tx1; tx++) count[ty * b->tiles_x + tx]++;
      }
      total += tx1 - tx0 + 1;
    }
  }
  return total;
}

static int64_t finish_counts(ysg_bins *b, int64_t total) {
  if (total > b->cap_items) {
    memset(b->start, 0, sizeof(int32_t) * ((size_t)b->n_tiles + 1));
    b->n_items = 0;
    return -1;
  }
  for (int t = 0; t < b->n_tiles; t++) b->start[t + 1] += b->start[t];
  return 0;
}

static void finish_scatter(ysg_bins *b, int64_t total) {
  for (int t = b->n_tiles; t > 0; t--) b->start[t] = b->start[t - 1];
  b->start[0] = 0;
  b->n_items = (int32_t)total;
}

int64_t ysg__bins_build(ysg_bins *b, const ysg_bin_prim *prims, int n) {
  memset(b->start, 0, sizeof(int32_t) * ((size_t)b->n_tiles + 1));
  int64_t total = bin_rows(b, prims, n, 0, b->tiles_y, 0);
  if (finish_counts(b, total)) return total;
  bin_rows(b, prims, n, 0, b->tiles_y, 1);
  finish_scatter(b, total);
  return total;
}

/* The parallel build: bands of tile rows, one per chunk; every band scans all primitives but
 * only counts and writes its own rows, so the lists are those of ysg__bins_build. Two bands a
 * thread: each band's scan of every primitive is work the serial build does once, so more bands
 * would balance better but cost more CPU time. */
#define BANDS_PER_THREAD 2
#define MAX_BANDS 4096
#define PAR_MIN_PRIMS 4096
typedef struct band_job {
  ysg_bins *b;
  const ysg_bin_prim *prims;
  int n, scatter, band_rows;
  int64_t *totals; /* per band */
} band_job;

static void bands(void *ud, int k0, int k1) {
  const band_job *j = ud;
  for (int k = k0; k < k1; k++) {
    int ty0 = k * j->band_rows,
        ty1 = ty0 + j->band_rows < j->b->tiles_y ? ty0 + j->band_rows : j->b->tiles_y;
    j->totals[k] = bin_rows(j->b, j->prims, j->n, ty0, ty1, j->scatter);
  }
}

int64_t ysg__bins_build_par(const ysg_node *node, ysg_bins *b, const ysg_bin_prim *prims, int n) {
  int threads = ysg_node_threads(node);
  long want = (long)threads * BANDS_PER_THREAD;
  if (want > MAX_BANDS) want = MAX_BANDS;
  int band_rows = b->tiles_y > 0 ? (int)((b->tiles_y + want - 1) / want) : 1;
  int nb = b->tiles_y > 0 ? (b->tiles_y + band_rows - 1) / band_rows : 0;
  /* a few thousand primitives bin in microseconds: not worth waking the other threads */
  if (threads <= 1 || nb <= 1 || n < PAR_MIN_PRIMS) return ysg__bins_build(b, prims, n);
  int64_t totals[MAX_BANDS];
  band_job j = {b, prims, n, 0, band_rows, totals};
  memset(b->start, 0, sizeof(int32_t) * ((size_t)b->n_tiles + 1));
  ysg_node_parallel_for(node, nb, 1, bands, &j);
  int64_t total = 0;
  for (int k = 0; k < nb; k++) total += totals[k];
  if (finish_counts(b, total)) return total;
  j.scatter = 1;
  ysg_node_parallel_for(node, nb, 1, bands, &j);
  finish_scatter(b, total);
  return total;
}
