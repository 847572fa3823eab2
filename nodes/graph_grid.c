/* graph_grid.c — the graph node's exact neighbour search on the host: a uniform grid built by a
 * stable counting sort, the per-point knn and radius queries of graph.h (the same YSG_HD code the
 * CUDA kernels run), the knn union rule, and the edge post-processing shared with graph.c:
 * (i, j) sort + dedupe, the delta-y cap and the degree cap. No allocation: callers pass scratch
 * sized by the *_tmp_bytes functions. In builds without CUDA, also the device launchers'
 * unsupported path (cuda/graph_api.h), so benchmarks and tests link either way. */
#include <stdio.h>
#include <string.h>

#include "../cuda/graph_api.h"
#include "bump.h"
#include "graph.h"
#include "internal.h"
#include "ysgraph/node.h"

#define MAX_K 64

#define SCRATCH_ALIGN 64 /* bytes: each piece of the scratch (ysg_bump) starts on a multiple */

static size_t al(size_t b) { return (b + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1); }

int ysg__graph_bounds(const float *xy, int n, float b[4]) {
  b[0] = b[1] = b[2] = b[3] = 0;
  for (int i = 0; i < n; i++) {
    float x = xy[2 * i], y = xy[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) return i;
    if (i == 0 || x < b[0]) b[0] = x;
    if (i == 0 || y < b[1]) b[1] = y;
    if (i == 0 || x > b[2]) b[2] = x;
    if (i == 0 || y > b[3]) b[3] = y;
  }
  return -1;
}

/* ---- the grid ------------------------------------------------------------------------------- */

typedef struct grid_ws {
  int32_t *cellof, *start, *order;
  float *sxy;
} grid_ws;

static void grid_layout(ysg_bump *b, int n, grid_ws *w) {
  w->cellof = ysg__bump_take(b, sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  w->start = ysg__bump_take(b, sizeof(int32_t) * ((size_t)ysg_grid_max_cells(n) + 1));
  w->order = ysg__bump_take(b, sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  w->sxy = ysg__bump_take(b, sizeof(float) * 2 * (size_t)(n > 0 ? n : 1));
}

/* Counting sort by cell: scanning the points in index order keeps each cell ascending. */
static void grid_build(ysg_grid_view *g, const grid_ws *w, const float *xy, int n, int radius_mode,
                       float radius) {
  float b[4];
  ysg__graph_bounds(xy, n, b);
  ysg_grid_setup(g, n, b, radius_mode, radius, ysg_grid_max_cells(n));
  int cells = g->nx * g->ny;
  memset(w->start, 0, sizeof(int32_t) * ((size_t)cells + 1));
  for (int i = 0; i < n; i++) {
    int c = ysg_grid_cell(g, xy[2 * i], xy[2 * i + 1]);
    w->cellof[i] = c;
    w->start[c + 1]++;
  }
  for (int c = 0; c < cells; c++) w->start[c + 1] += w->start[c];
  /* scatter with start[c] as cell c's cursor (it ends at the next cell's start), then shift */
  for (int i = 0; i < n; i++) w->order[w->start[w->cellof[i]]++] = i;
  for (int c = cells; c > 0; c--) w->start[c] = w->start[c - 1];
  w->start[0] = 0;
  for (int s = 0; s < n; s++) {
    w->sxy[2 * s] = xy[2 * w->order[s]];
    w->sxy[2 * s + 1] = xy[2 * w->order[s] + 1];
  }
  g->start = w->start;
  g->order = w->order;
  g->sxy = w->sxy;
}

static void run_range(const ysg_node *node, int count, int grain, ysg_range_fn fn, void *ud) {
  if (node)
    ysg_node_parallel_for(node, count, grain, fn, ud);
  else if (count > 0)
    fn(ud, 0, count);
}

/* ---- knn --------------------------------------------------------------------------------------
 */

typedef struct knn_ws {
  grid_ws grid;
  int32_t *nbr;    /* (n, k) */
  int32_t *rowcnt; /* (n + 1) */
  uint8_t *emit;   /* (n, k) */
} knn_ws;

static size_t knn_layout(void *tmp, int n, int k, knn_ws *w) {
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  grid_layout(&b, n, &w->grid);
  w->nbr = ysg__bump_take(&b, sizeof(int32_t) * (size_t)(n > 0 ? n : 1) * (size_t)(k > 0 ? k : 1));
  w->rowcnt = ysg__bump_take(&b, sizeof(int32_t) * ((size_t)(n > 0 ? n : 0) + 1));
  w->emit = ysg__bump_take(&b, (size_t)(n > 0 ? n : 1) * (size_t)(k > 0 ? k : 1));
  return b.used;
}

size_t ysg__graph_knn_tmp_bytes(int n, int k) {
  knn_ws w;
  return knn_layout(NULL, n, k, &w);
}

typedef struct knn_job {
  ysg_grid_view g;
  int k;
  int32_t *nbr;
} knn_job;

static void knn_rows(void *ud, int begin, int end) {
  const knn_job *j = ud;
  float bd[MAX_K];
  int32_t bj[MAX_K], bp[MAX_K];
  for (int s = begin; s < end; s++) { /* in cell order: neighbouring queries share cells */
    int m =
        ysg_knn_point(&j->g, j->g.sxy[2 * s], j->g.sxy[2 * s + 1], j->g.order[s], j->k, bd, bj, bp);
    int32_t *row = j->nbr + (size_t)s * (size_t)j->k;
    for (int t = 0; t < j->k; t++) row[t] = t < m ? bp[t] : -1;
  }
}

typedef struct rowsort_job {
  const int32_t *start; /* (n + 1) */
  int32_t *ij;
} rowsort_job;

static void sort_rows(void *ud, int begin, int end) {
  const rowsort_job *j = ud;
  for (int a = begin; a < end; a++)
    ysg_sort_row(j->ij + 2 * (size_t)j->start[a], j->start[a + 1] - j->start[a]);
}

typedef struct emit_job {
  const int32_t *nbr, *order;
  uint8_t *emit;
  int k;
} emit_job;

static void emit_rows(void *ud, int begin, int end) {
  const emit_job *j = ud;
  for (int s = begin; s < end; s++)
    for (int t = 0; t < j->k; t++) {
      size_t l = (size_t)s * j->k + t;
      j->emit[l] = j->nbr[l] >= 0 && ysg_knn_emits(j->nbr, j->order, j->k, s, j->nbr[l]);
    }
}

long ysg__knn_edges_from_nbr(const ysg_node *node, const int32_t *nbr, const int32_t *order, int n,
                             int k, int32_t *ij, int cap, int32_t *rowcnt, uint8_t *emit) {
  emit_job ej = {nbr, order, emit, k};
  run_range(node, n, 4096, emit_rows, &ej);
  memset(rowcnt, 0, sizeof(int32_t) * ((size_t)n + 1));
  for (int s = 0; s < n; s++)
    for (int t = 0; t < k; t++) {
      size_t l = (size_t)s * k + t;
      if (!emit[l]) continue;
      int32_t i = order ? order[s] : s, j = order ? order[nbr[l]] : nbr[l];
      rowcnt[(j < i ? j : i) + 1]++;
    }
  long total = 0;
  for (int a = 0; a < n; a++) total += rowcnt[a + 1];
  if (total > cap) return -total - 1;
  for (int a = 0; a < n; a++) rowcnt[a + 1] += rowcnt[a];
  /* scatter with rowcnt[a] as row a's cursor (it ends at the next row's start), then shift */
  for (int s = 0; s < n; s++)
    for (int t = 0; t < k; t++) {
      size_t l = (size_t)s * k + t;
      if (!emit[l]) continue;
      int32_t i = order ? order[s] : s, j = order ? order[nbr[l]] : nbr[l];
      int32_t a = j < i ? j : i, b = j < i ? i : j, p = rowcnt[a]++;
      ij[2 * (size_t)p] = a;
      ij[2 * (size_t)p + 1] = b;
    }
  for (int a = n; a > 0; a--) rowcnt[a] = rowcnt[a - 1];
  rowcnt[0] = 0;
  rowsort_job rj = {rowcnt, ij};
  run_range(node, n, 4096, sort_rows, &rj);
  return total;
}

long ysg__graph_knn(const ysg_node *node, const float *xy, int n, int k, int32_t *ij, int cap,
                    void *tmp) {
  if (n <= 1 || k <= 0) return 0;
  if (k > MAX_K) k = MAX_K;
  knn_ws w;
  knn_layout(tmp, n, k, &w);
  knn_job j;
  grid_build(&j.g, &w.grid, xy, n, 0, 0);
  j.k = k;
  j.nbr = w.nbr;
  run_range(node, n, 1024, knn_rows, &j);
  return ysg__knn_edges_from_nbr(node, w.nbr, w.grid.order, n, k, ij, cap, w.rowcnt, w.emit);
}

/* ---- radius ------------------------------------------------------------------------------------
 */

typedef struct radius_ws {
  grid_ws grid;
  int32_t *rowcnt; /* (n + 1) */
} radius_ws;

static size_t radius_layout(void *tmp, int n, radius_ws *w) {
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  grid_layout(&b, n, &w->grid);
  w->rowcnt = ysg__bump_take(&b, sizeof(int32_t) * ((size_t)(n > 0 ? n : 0) + 1));
  return b.used;
}

size_t ysg__graph_radius_tmp_bytes(int n) {
  radius_ws w;
  return radius_layout(NULL, n, &w);
}

typedef struct radius_job {
  ysg_grid_view g;
  float r2;
  int32_t *rowcnt; /* count pass: rowcnt[i + 1]; write pass: row starts */
  int32_t *ij;     /* NULL in the count pass */
} radius_job;

static void radius_rows(void *ud, int begin, int end) {
  const radius_job *j = ud;
  for (int s = begin; s < end; s++) { /* in cell order: neighbouring queries share cells */
    int i = j->g.order[s];
    float qx = j->g.sxy[2 * s], qy = j->g.sxy[2 * s + 1];
    if (!j->ij)
      j->rowcnt[i + 1] = ysg_radius_row(&j->g, qx, qy, i, j->r2, NULL);
    else
      ysg_radius_row(&j->g, qx, qy, i, j->r2, j->ij + 2 * (size_t)j->rowcnt[i]);
  }
}

long ysg__graph_radius(const ysg_node *node, const float *xy, int n, float radius, int32_t *ij,
                       int cap, void *tmp) {
  if (n <= 1 || !(radius >= 0)) return 0;
  radius_ws w;
  radius_layout(tmp, n, &w);
  radius_job j;
  grid_build(&j.g, &w.grid, xy, n, 1, radius);
  j.r2 = radius * radius;
  j.rowcnt = w.rowcnt;
  j.ij = NULL;
  w.rowcnt[0] = 0;
  run_range(node, n, 512, radius_rows, &j);
  long total = 0;
  for (int i = 0; i < n; i++) total += w.rowcnt[i + 1];
  if (total > cap) return -total - 1;
  for (int i = 0; i < n; i++) w.rowcnt[i + 1] += w.rowcnt[i];
  j.ij = ij;
  run_range(node, n, 512, radius_rows, &j);
  return total;
}

/* ---- sorting and caps --------------------------------------------------------------------------
 */

#define RADIX_BITS 11
#define RADIX (1 << RADIX_BITS)

void ysg__radix_sort_u64(uint64_t *keys, uint32_t *vals, int n, int bits, void *tmp) {
  if (n <= 1) return;
  uint64_t *k2 = tmp;
  uint32_t *v2 = (uint32_t *)(k2 + n);
  uint64_t *src = keys, *dst = k2;
  uint32_t *vs = vals, *vd = vals ? v2 : NULL;
  int32_t count[RADIX];
  for (int shift = 0; shift < bits; shift += RADIX_BITS) {
    memset(count, 0, sizeof count);
    for (int i = 0; i < n; i++) count[(src[i] >> shift) & (RADIX - 1)]++;
    int32_t sum = 0;
    for (int d = 0; d < RADIX; d++) {
      int32_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (int i = 0; i < n; i++) {
      int32_t p = count[(src[i] >> shift) & (RADIX - 1)]++;
      dst[p] = src[i];
      if (vs) vd[p] = vs[i];
    }
    uint64_t *t = src;
    src = dst;
    dst = t;
    uint32_t *tv = vs;
    vs = vd;
    vd = tv;
  }
  if (src != keys) {
    memcpy(keys, src, sizeof(uint64_t) * (size_t)n);
    if (vals) memcpy(vals, vs, sizeof(uint32_t) * (size_t)n);
  }
}

static size_t radix_tmp_bytes(int n) { return (size_t)(n > 0 ? n : 1) * (8 + 4); }

size_t ysg__edges_sort_tmp_bytes(int n) {
  return al(sizeof(uint64_t) * (size_t)(n > 0 ? n : 1)) + al(radix_tmp_bytes(n));
}

static int bitlen(uint32_t v) {
  int b = 0;
  while (v) {
    b++;
    v >>= 1;
  }
  return b;
}

int ysg__edges_sort_unique(int32_t *ij, int n, void *tmp) {
  if (n <= 0) return 0;
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  uint64_t *keys = ysg__bump_take(&b, sizeof(uint64_t) * (size_t)n);
  void *rt = ysg__bump_take(&b, radix_tmp_bytes(n));
  uint32_t mx = 0;
  for (int e = 0; e < 2 * n; e++)
    if ((uint32_t)ij[e] > mx) mx = (uint32_t)ij[e];
  int w = bitlen(mx);
  for (int e = 0; e < n; e++)
    keys[e] = (uint64_t)(uint32_t)ij[2 * e] << w | (uint32_t)ij[2 * e + 1];
  ysg__radix_sort_u64(keys, NULL, n, 2 * w, rt);
  int m = 0;
  uint64_t mask = w ? (((uint64_t)1 << w) - 1) : 0;
  for (int e = 0; e < n; e++) {
    if (m > 0 && keys[e] == keys[e - 1]) continue;
    ij[2 * m] = (int32_t)(keys[e] >> w);
    ij[2 * m + 1] = (int32_t)(keys[e] & mask);
    m++;
  }
  return m;
}

int ysg__edges_delta_y(const float *xy, int32_t *ij, int n, float cap) {
  int m = 0;
  for (int e = 0; e < n; e++) {
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    if (fabsf(xy[2 * b + 1] - xy[2 * a + 1]) > cap) continue;
    ij[2 * m] = a;
    ij[2 * m + 1] = b;
    m++;
  }
  return m;
}

size_t ysg__degree_cap_tmp_bytes(int n_points, int n_edges) {
  size_t e = (size_t)(n_edges > 0 ? n_edges : 1);
  return al(sizeof(uint64_t) * e) + al(radix_tmp_bytes(n_edges)) +
         al(sizeof(int32_t) * (size_t)(n_points > 0 ? n_points : 1)) + al(e);
}

int ysg__edges_degree_cap(const float *xy, int n_points, int32_t *ij, int n, int cap, void *tmp) {
  if (n <= 0) return 0;
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  uint64_t *keys = ysg__bump_take(&b, sizeof(uint64_t) * (size_t)n);
  void *rt = ysg__bump_take(&b, radix_tmp_bytes(n));
  int32_t *deg = ysg__bump_take(&b, sizeof(int32_t) * (size_t)(n_points > 0 ? n_points : 1));
  uint8_t *keep = ysg__bump_take(&b, (size_t)n);
  /* squared lengths are >= 0, so their float bits sort as unsigned integers; the edge index
   * breaks ties, and the edges are sorted (i, j), so ties go by (i, j) */
  for (int e = 0; e < n; e++) {
    float d = ysg_graph_d2(xy, ij[2 * e], ij[2 * e + 1]);
    uint32_t bits;
    memcpy(&bits, &d, 4);
    keys[e] = (uint64_t)bits << 32 | (uint32_t)e;
  }
  ysg__radix_sort_u64(keys, NULL, n, 64, rt);
  memset(deg, 0, sizeof(int32_t) * (size_t)n_points);
  memset(keep, 0, (size_t)n);
  for (int s = 0; s < n; s++) {
    int e = (int)(uint32_t)keys[s];
    int32_t a = ij[2 * e], c = ij[2 * e + 1];
    if (deg[a] < cap && deg[c] < cap) {
      deg[a]++;
      deg[c]++;
      keep[e] = 1;
    }
  }
  int m = 0;
  for (int e = 0; e < n; e++) {
    if (!keep[e]) continue;
    ij[2 * m] = ij[2 * e];
    ij[2 * m + 1] = ij[2 * e + 1];
    m++;
  }
  return m;
}

/* ---- CUDA launchers of a build without CUDA -----------------------------------------------------
 */

#ifndef YSG_HAVE_CUDA
static ysg_status no_cuda(char *err, size_t errcap) {
  char why[256];
  ysg__cuda_probe(why, sizeof why);
  snprintf(err, errcap, "%s", why);
  return YSG_ERR_UNSUPPORTED;
}

ysg_status ysg__cuda_graph_temp_bytes(int cap_points, int k, size_t *bytes, char *err,
                                      size_t errcap) {
  (void)cap_points, (void)k;
  *bytes = 0;
  return no_cuda(err, errcap);
}

ysg_status ysg__cuda_graph_knn(const float *d_xy, const int32_t *d_n_points, int cap_points, int k,
                               int32_t *d_ij, int32_t *d_n_edges, int cap_edges, int32_t *d_status,
                               void *d_temp, size_t temp_bytes, void *stream, char *err,
                               size_t errcap) {
  (void)d_xy, (void)d_n_points, (void)cap_points, (void)k, (void)d_ij, (void)d_n_edges;
  (void)cap_edges, (void)d_status, (void)d_temp, (void)temp_bytes, (void)stream;
  return no_cuda(err, errcap);
}

ysg_status ysg__cuda_graph_radius(const float *d_xy, const int32_t *d_n_points, int cap_points,
                                  const float *d_radius, int32_t *d_ij, int32_t *d_n_edges,
                                  int cap_edges, int32_t *d_status, void *d_temp, size_t temp_bytes,
                                  void *stream, char *err, size_t errcap) {
  (void)d_xy, (void)d_n_points, (void)cap_points, (void)d_radius, (void)d_ij, (void)d_n_edges;
  (void)cap_edges, (void)d_status, (void)d_temp, (void)temp_bytes, (void)stream;
  return no_cuda(err, errcap);
}

ysg_status ysg__cuda_graph_host(int radius_mode, const float *xy, int n, int k, float radius,
                                int32_t *ij, int cap_edges, int *n_edges,
                                int32_t status[YSG_GRAPH_STATUS_WORDS], int reps, double *ms,
                                char *err, size_t errcap) {
  (void)radius_mode, (void)xy, (void)n, (void)k, (void)radius, (void)ij, (void)cap_edges;
  (void)status, (void)reps;
  *n_edges = 0;
  *ms = 0;
  return no_cuda(err, errcap);
}
#endif
