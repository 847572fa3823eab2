/* graph.h — what the `graph` node's files share: the single-source (YSG_HD) neighbour search on a
 * uniform grid that nodes/graph_grid.c and cuda/graph.cu both run, the host grid search and edge
 * post-processing (caps) of nodes/graph_grid.c and graph.c, the FAISS oracle (graph_faiss.cpp
 * behind graph.c), and the Qhull-based geometry of nodes/graph_tri.c (Delaunay, Euclidean MST,
 * clipped Voronoi). Everything works in caller scratch sized by the *_tmp_bytes functions. */
#ifndef YSG_GRAPH_H
#define YSG_GRAPH_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "hd.h"
#include "ysgraph/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- geometry through Qhull (nodes/graph_tri.c) ------------------------------------------ */

/* Delaunay triangulation edges of pts (n points, xy interleaved) via Qhull (libqhull_r).
 * Writes unique edges i<j sorted into ij (capacity cap edges), *n_out; returns YSG_OK,
 * YSG_ERR_LIMIT if cap is too small, YSG_ERR_UNSUPPORTED without Qhull. Degenerate input
 * (n < 3, all collinear, duplicates) falls back to the chain along the sorted points and sets
 * *fallback = 1 (the caller warns). err gets a message on failure. tmp: scratch of
 * ysg__delaunay_tmp_bytes(n) bytes. */
ysg_status ysg__delaunay(const float *xy, int n, int32_t *ij, int cap, int *n_out, int *fallback,
                         void *tmp, char *err, size_t errcap);
size_t ysg__delaunay_tmp_bytes(int n);
/* Euclidean minimum spanning tree from candidate edges (e.g. Delaunay): Kruskal with a
 * deterministic tie order (weight, i, j); output sorted (i, j). */
int ysg__mst(const float *xy, int n, const int32_t *ij, int n_edges, int32_t *out, void *tmp);
size_t ysg__mst_tmp_bytes(int n, int n_edges);
/* Voronoi cell edges clipped to [0,w]x[0,h]: vertices into vxy (cap_v), edges into vij (cap_e). */
ysg_status ysg__voronoi(const float *xy, int n, float w, float h, float *vxy, int cap_v, int *n_v,
                        int32_t *vij, int cap_e, int *n_e, void *tmp, char *err, size_t errcap);
size_t ysg__voronoi_tmp_bytes(int n);

/* ---- single-source grid search (CPU: graph_grid.c, CUDA: cuda/graph.cu) -------------------- */

/* Distances are squared Euclidean in float32, dx·dx + dy·dy with every operation rounded on its
 * own (no fused multiply-add: the C build is ISO C11, whose default is -ffp-contract=off, and
 * the device uses the _rn intrinsics), so CPU, CUDA and the tests' brute force agree bit for bit.
 * knn order: (distance, index) ascending. radius: d² <= radius² (radius² rounded once). */
YSG_HD float ysg_graph_d2p(float ax, float ay, float bx, float by) {
#ifdef __CUDA_ARCH__
  float dx = __fsub_rn(bx, ax), dy = __fsub_rn(by, ay);
  return __fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy));
#else
  float dx = bx - ax, dy = by - ay;
  return dx * dx + dy * dy;
#endif
}
YSG_HD float ysg_graph_d2(const float *xy, int i, int j) {
  return ysg_graph_d2p(xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1]);
}

/* A uniform grid over the points: cell c = cy·nx + cx holds order[start[c] .. start[c+1]),
 * ascending point index (the CPU builds it by a stable counting sort, CUDA by a stable radix
 * sort), and sxy holds the points in that order, so a query reads each cell's coordinates
 * contiguously (random access into xy made the search memory-latency bound). The grid only
 * accelerates the search; the edge sets do not depend on its layout. */
typedef struct ysg_grid_view {
  float x0, y0;         /* px: lower corner of cell (0, 0) = the points' minimum */
  float cell;           /* px: cell side, > 0 */
  float margin;         /* px: slack for rounding in cell assignment and bounds */
  int nx, ny;           /* cells per axis; nx·ny <= the max_cells given to setup */
  const int32_t *start; /* (nx·ny + 1) prefix offsets */
  const int32_t *order; /* (n) point indices grouped by cell */
  const float *sxy;     /* (n, 2) px: sxy[s] = the coordinates of point order[s] */
} ysg_grid_view;

/* Points a knn cell holds on average (the cell side comes from the density). */
#define YSG_GRID_KNN_PER_CELL 2.0

/* Cells a grid over n points may use: O(n) memory whatever the spread of the points. */
YSG_HD int ysg_grid_max_cells(int n) { return 2 * (n > 0 ? n : 0) + 64; }

/* Cell side and dimensions for n points with bounds b = {min x, min y, max x, max y} (finite).
 * knn: about YSG_GRID_KNN_PER_CELL points per cell over the bounding box; radius: at least
 * radius plus the slack, so a query only scans the 3 × 3 cells around its own. Then the side
 * grows until nx·ny <= max_cells. Pointers are left alone. A uniform grid's known weakness:
 * a few far outliers stretch the bounds so most points share few cells (the search stays exact
 * but tends towards O(N²)); tracked points on a canvas do not do that. */
YSG_HD void ysg_grid_setup(ysg_grid_view *g, int n, const float b[4], int radius_mode, float radius,
                           int max_cells) {
  double w = (double)b[2] - (double)b[0], h = (double)b[3] - (double)b[1];
  double m0 = fabs((double)b[0]), m1 = fabs((double)b[1]), m2 = fabs((double)b[2]),
         m3 = fabs((double)b[3]);
  double maxabs = m0 > m1 ? m0 : m1;
  maxabs = maxabs > m2 ? maxabs : m2;
  maxabs = maxabs > m3 ? maxabs : m3;
  double slack = maxabs * 1e-6; /* ~16 float ulps of the largest coordinate */
  double per = radius_mode ? 1.0 : YSG_GRID_KNN_PER_CELL, cell;
  if (n <= 0 || !(w >= 0) || !(h >= 0)) w = h = 0;
  if (w * h > 0)
    cell = sqrt(w * h * per / (n > 0 ? n : 1));
  else if (w > 0 || h > 0)
    cell = (w > h ? w : h) * per / (n > 0 ? n : 1);
  else
    cell = 1.0;
  if (radius_mode) {
    /* 1.01·(r + slack) >= r + margin below, so every pair within r is in adjacent cells */
    double need = 1.01 * ((double)(radius > 0 ? radius : 0) + slack);
    if (cell < need) cell = need;
  }
  if (!(cell > 1e-30)) cell = 1e-30;
  if (cell > 1e37) cell = 1e37;
  for (int guard = 0; guard < 64; guard++) {
    double fx = floor(w / cell) + 1, fy = floor(h / cell) + 1;
    if (fx * fy <= (double)max_cells) break;
    cell *= sqrt(fx * fy / (double)max_cells) * 1.01;
  }
  g->x0 = b[0];
  g->y0 = b[1];
  g->cell = (float)cell;
  g->nx = (int)(floor(w / (double)g->cell) + 1);
  g->ny = (int)(floor(h / (double)g->cell) + 1);
  while ((double)g->nx * g->ny > (double)max_cells) { /* float rounding of the side */
    g->cell *= 1.0001f;
    g->nx = (int)(floor(w / (double)g->cell) + 1);
    g->ny = (int)(floor(h / (double)g->cell) + 1);
  }
  g->margin = (float)(1e-3 * cell + slack);
}

/* Cell of a point inside the bounds (clamped, so rounding never leaves the grid). */
YSG_HD int ysg_grid_cell(const ysg_grid_view *g, float x, float y) {
  float fx = (x - g->x0) / g->cell, fy = (y - g->y0) / g->cell;
  int cx = fx >= (float)(g->nx - 1) ? g->nx - 1 : (fx > 0 ? (int)fx : 0);
  int cy = fy >= (float)(g->ny - 1) ? g->ny - 1 : (fy > 0 ? (int)fy : 0);
  return cy * g->nx + cx;
}

/* Offer candidate (d, j) at grid position p to the top-k list (bd, bj, bp) of *m entries,
 * sorted by (d, j). */
YSG_HD void ysg_knn_offer(float *bd, int32_t *bj, int32_t *bp, int *m, int k, float d, int32_t j,
                          int32_t p0) {
  int p = *m;
  if (p == k) {
    if (d > bd[k - 1] || (d == bd[k - 1] && j > bj[k - 1])) return;
    p = k - 1;
  } else {
    (*m)++;
  }
  while (p > 0 && (d < bd[p - 1] || (d == bd[p - 1] && j < bj[p - 1]))) {
    bd[p] = bd[p - 1];
    bj[p] = bj[p - 1];
    bp[p] = bp[p - 1];
    p--;
  }
  bd[p] = d;
  bj[p] = j;
  bp[p] = p0;
}

/* The k nearest other points of point i at (qx, qy), (distance, index) ascending, into bd/bj
 * and their grid positions into bp (k entries of room each); returns how many exist
 * (min(k, n - 1)). Scans rings of cells around i's cell until the
 * k-th distance is below the distance to anything outside the scanned block (minus the margin),
 * or the block covers the grid: exact whatever the layout. */
YSG_HD int ysg_knn_point(const ysg_grid_view *g, float qx, float qy, int i, int k, float *bd,
                         int32_t *bj, int32_t *bp) {
  /* locals: the compiler cannot tell that bd/bj do not alias the grid's arrays */
  const int32_t *start = g->start, *order = g->order;
  const float *sxy = g->sxy;
  int nx = g->nx, ny = g->ny;
  int c = ysg_grid_cell(g, qx, qy), cx = c % nx, cy = c / nx, m = 0;
  float worst = FLT_MAX; /* bd[k - 1] once the list is full */
  int rmax = nx > ny ? nx : ny;
  for (int r = 0; r <= rmax; r++) {
    int xa = cx - r, xb = cx + r, ya = cy - r, yb = cy + r;
    for (int y = ya > 0 ? ya : 0; y <= yb && y < ny; y++) {
      int full = y == ya || y == yb; /* top and bottom rows of the ring: every cell */
      int xs = full ? (xa > 0 ? xa : 0) : xa, xe = full ? (xb < nx - 1 ? xb : nx - 1) : xb;
      int step = full || xb == xa ? 1 : xb - xa;
      for (int x = xs; x <= xe; x += step) {
        if (x < 0 || x >= nx) continue;
        int s1 = start[y * nx + x + 1];
        for (int s = start[y * nx + x]; s < s1; s++) {
          float d = ysg_graph_d2p(qx, qy, sxy[2 * s], sxy[2 * s + 1]);
          int32_t j = order[s];
          if (d > worst || j == i) continue;
          ysg_knn_offer(bd, bj, bp, &m, k, d, j, s);
          if (m == k) worst = bd[k - 1];
        }
      }
    }
    if (xa <= 0 && ya <= 0 && xb >= nx - 1 && yb >= ny - 1) break; /* whole grid seen */
    if (m == k) {
      float lb = FLT_MAX, e;
      if (xa > 0 && (e = qx - (g->x0 + (float)xa * g->cell)) < lb) lb = e;
      if (xb < nx - 1 && (e = g->x0 + (float)(xb + 1) * g->cell - qx) < lb) lb = e;
      if (ya > 0 && (e = qy - (g->y0 + (float)ya * g->cell)) < lb) lb = e;
      if (yb < ny - 1 && (e = g->y0 + (float)(yb + 1) * g->cell - qy) < lb) lb = e;
      lb -= g->margin;
      if (lb > 0 && worst < lb * lb) break;
    }
  }
  return m;
}

/* Whether the directed knn link s → s2 emits the undirected edge. Links are kept by grid
 * position (nbr: (n, k), row s lists the positions of s's neighbours, -1 padded), so checking
 * the other end's list reads memory near s; order maps positions to point indices (NULL:
 * positions are indices). Always when j > i; when j < i only if s is not in s2's list, so a
 * mutual pair is emitted once, by its lower end. */
YSG_HD int ysg_knn_emits(const int32_t *nbr, const int32_t *order, int k, int s, int32_t s2) {
  int32_t i = order ? order[s] : s, j = order ? order[s2] : s2;
  if (j > i) return 1;
  for (int t = 0; t < k; t++)
    if (nbr[(size_t)s2 * k + t] == s) return 0;
  return 1;
}

/* Sort the j of n pairs (i, j) at e[0], e[1], … ascending (insertion for short rows, heap sort
 * beyond: in place, O(n log n), nothing allocated). */
YSG_HD void ysg_sort_row(int32_t *e, int n) {
  if (n <= 32) {
    for (int p = 1; p < n; p++) {
      int32_t v = e[2 * p + 1];
      int q = p;
      for (; q > 0 && e[2 * q - 1] > v; q--) e[2 * q + 1] = e[2 * q - 1];
      e[2 * q + 1] = v;
    }
    return;
  }
  for (int end = n, root0 = n / 2 - 1;;) {
    int root;
    if (root0 >= 0) { /* heapify phase */
      root = root0--;
    } else { /* pop the maximum to the end */
      if (--end <= 0) break;
      int32_t t = e[1];
      e[1] = e[2 * end + 1];
      e[2 * end + 1] = t;
      root = 0;
    }
    for (;;) { /* sift down within [0, end) */
      int child = 2 * root + 1;
      if (child >= end) break;
      if (child + 1 < end && e[2 * child + 3] > e[2 * child + 1]) child++;
      if (e[2 * root + 1] >= e[2 * child + 1]) break;
      int32_t t = e[2 * root + 1];
      e[2 * root + 1] = e[2 * child + 1];
      e[2 * child + 1] = t;
      root = child;
    }
  }
}

/* Radius edges of row i (at qx, qy): every j > i with d² <= r2 in the 3 × 3 cells around it.
 * out == NULL: only counts; else writes pairs (i, j) at out[0], out[1], … ascending j.
 * Returns the count. */
YSG_HD int ysg_radius_row(const ysg_grid_view *g, float qx, float qy, int i, float r2,
                          int32_t *out) {
  const int32_t *start = g->start, *order = g->order;
  const float *sxy = g->sxy;
  int nx = g->nx, ny = g->ny;
  int c = ysg_grid_cell(g, qx, qy), cx = c % nx, cy = c / nx, m = 0;
  for (int y = cy - 1; y <= cy + 1; y++) {
    if (y < 0 || y >= ny) continue;
    int x0 = cx > 0 ? cx - 1 : 0, x1 = cx < nx - 1 ? cx + 1 : nx - 1;
    /* the row's cells are consecutive in the cell order: one range */
    int s1 = start[y * nx + x1 + 1];
    for (int s = start[y * nx + x0]; s < s1; s++) {
      int32_t j = order[s];
      if (j <= i || !(ysg_graph_d2p(qx, qy, sxy[2 * s], sxy[2 * s + 1]) <= r2)) continue;
      if (out) {
        out[2 * m] = i;
        out[2 * m + 1] = j;
      }
      m++;
    }
  }
  if (out) ysg_sort_row(out, m);
  return m;
}

/* ---- host search (nodes/graph_grid.c) ------------------------------------------------------ */

/* Bounds {min x, min y, max x, max y} of n points; returns the first index with a non-finite
 * coordinate (bounds then undefined), or -1. n == 0 gives {0, 0, 0, 0}. */
int ysg__graph_bounds(const float *xy, int n, float bounds[4]);

/* Scratch bytes of ysg__graph_knn (k <= 64) / ysg__graph_radius for up to n points. */
size_t ysg__graph_knn_tmp_bytes(int n, int k);
size_t ysg__graph_radius_tmp_bytes(int n);

/* Exact knn graph of n finite points: each point links to its k nearest others (distance, then
 * index), the union of those links, deduplicated, sorted (i, j), into ij (cap edges). Returns
 * the edge count; when more than cap edges result nothing is guaranteed in ij and the return
 * is -(needed) - 1. node (may be NULL: serial) lends its threads. */
long ysg__graph_knn(const ysg_node *node, const float *xy, int n, int k, int32_t *ij, int cap,
                    void *tmp);
/* The knn union from neighbour lists by position (nbr, order as in ysg_knn_emits; order NULL:
 * identity): edges (min, max) of every link that emits, sorted (i, j). Scratch: rowcnt n + 1
 * ints, emit n·k bytes. Returns as above. */
long ysg__knn_edges_from_nbr(const ysg_node *node, const int32_t *nbr, const int32_t *order, int n,
                             int k, int32_t *ij, int cap, int32_t *rowcnt, uint8_t *emit);
/* Exact radius graph: every pair with d² <= radius², sorted (i, j); returns as above. */
long ysg__graph_radius(const ysg_node *node, const float *xy, int n, float radius, int32_t *ij,
                       int cap, void *tmp);

/* Exact knn through FAISS (IndexFlatL2, exhaustive, queried in batches below FAISS's BLAS
 * threshold so distances are dx² + dy² as here): the same union rule as ysg__graph_knn. Returns
 * YSG_OK with *n_out, YSG_ERR_LIMIT (*n_out = needed) when over cap, YSG_ERR_UNSUPPORTED without
 * FAISS, YSG_ERR_RUNTIME with FAISS's message. FAISS allocates internally. */
ysg_status ysg__graph_faiss_knn(const float *xy, int n, int k, int32_t *ij, int cap, int *n_out,
                                void *tmp, char *err, size_t errcap);
size_t ysg__graph_faiss_tmp_bytes(int n, int k);
/* Radius graph through FAISS's range search (IndexFlatL2, batches as above; FAISS keeps
 * d² < its radius, so it gets the next float above radius², which is d² <= radius²), sorted
 * (i, j). Results as ysg__graph_faiss_knn (*n_out: the edges, or the needed count on LIMIT).
 * tmp: ysg__graph_faiss_radius_tmp_bytes(cap). An oracle for tests and the benchmark. */
ysg_status ysg__graph_faiss_radius(const float *xy, int n, float radius, int32_t *ij, int cap,
                                   long *n_out, void *tmp, char *err, size_t errcap);
size_t ysg__graph_faiss_radius_tmp_bytes(int cap);

/* ---- edge post-processing (nodes/graph_grid.c) --------------------------------------------- */

/* Sort n edges by (i, j) and drop duplicates in place; returns the new count.
 * tmp: ysg__edges_sort_tmp_bytes(n). */
int ysg__edges_sort_unique(int32_t *ij, int n, void *tmp);
size_t ysg__edges_sort_tmp_bytes(int n);
/* Drop edges with |y_i - y_j| > cap (in place, order kept); returns the new count. */
int ysg__edges_delta_y(const float *xy, int32_t *ij, int n, float cap);
/* Degree cap on edges sorted (i, j): visit them by ascending (squared length, i, j) and keep an
 * edge only while both ends have fewer than cap kept edges. In place, order kept; returns the
 * new count. tmp: ysg__degree_cap_tmp_bytes(n_points, n). */
int ysg__edges_degree_cap(const float *xy, int n_points, int32_t *ij, int n, int cap, void *tmp);
size_t ysg__degree_cap_tmp_bytes(int n_points, int n_edges);
/* Stable LSD radix sort of n 64-bit keys carrying 32-bit values (vals may be NULL); tmp holds
 * n keys and n values. Only the low `bits` bits of the keys are looked at. */
void ysg__radix_sort_u64(uint64_t *keys, uint32_t *vals, int n, int bits, void *tmp);

#ifdef __cplusplus
}
#endif
#endif /* YSG_GRAPH_H */
