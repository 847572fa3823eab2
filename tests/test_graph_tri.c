/* test_graph_tri.c — nodes/graph_tri.c (graph modes delaunay/mst/voronoi) against references
 * written here: face tracing (Euler, triangular faces, convex hull, E = 3n−3−h) and empty
 * circumcircles on random, clustered, grid, circle and thin-strip sets; duplicates,
 * near-duplicates, the collinear chain; MST weight vs Prim on the complete graph; Voronoi edges vs
 * a half-plane construction per Delaunay edge, equidistance, hand-worked cases; the no-Qhull error
 * text. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* ---- point sets ------------------------------------------------------------------------ */

static uint64_t rng_state;
static double urand(void) {
  rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) * 0x1p-53;
}
static double grand(void) {
  double u = urand() + 1e-300, v = urand();
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

enum {
  SET_UNIFORM,
  SET_CLUSTERED,
  SET_JITTER,
  SET_GRID,
  SET_FINE,
  SET_CIRCLE,
  SET_STRIP,
  SET_COUNT
};
static const char *set_name[SET_COUNT] = {"uniform",     "clustered", "jittered grid", "exact grid",
                                          "0.1 px grid", "circle",    "thin strip"};
#define CW 1000.0f
#define CH 800.0f

static float *make_set(int kind, int n, uint64_t seed) {
  rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
  float *xy = malloc(sizeof(float) * 2 * (size_t)(n > 0 ? n : 1));
  int side = (int)ceil(sqrt((double)n));
  double sp = 0.9 * CH / (side > 1 ? side : 1);
  double cx[64], cy[64];
  int nc = 1 + n / 100 < 64 ? 1 + n / 100 : 64;
  for (int c = 0; c < nc; c++)
    cx[c] = 100 + urand() * (CW - 200), cy[c] = 100 + urand() * (CH - 200);
  for (int i = 0; i < n; i++) {
    double x, y;
    if (kind == SET_UNIFORM) {
      x = urand() * CW, y = urand() * CH;
    } else if (kind == SET_CLUSTERED) {
      int c = (int)(urand() * nc);
      x = cx[c] + grand() * 15, y = cy[c] + grand() * 15;
    } else if (kind == SET_JITTER) {
      x = 20 + (i % side + (urand() - 0.5) * 0.5) * sp,
      y = 20 + (i / side + (urand() - 0.5) * 0.5) * sp;
    } else if (kind == SET_GRID) {
      x = 8 + (i % side) * 8, y = 8 + (i / side) * 8;
    } else if (kind == SET_FINE) { /* spacing not representable: nearly cocircular cells */
      x = 300 + (i % side) * 0.1, y = 200 + (i / side) * 0.1;
    } else if (kind == SET_CIRCLE) { /* nearly cocircular, all on the hull */
      double a = 6.283185307179586 * i / n;
      x = 500 + 300 * cos(a), y = 400 + 300 * sin(a);
    } else { /* 0.02 px either side of a line: needle triangles, not a collinear fallback */
      x = urand() * CW, y = 0.5 * x + 100 + (urand() - 0.5) * 0.04;
    }
    xy[2 * i] = (float)x, xy[2 * i + 1] = (float)y;
  }
  return xy;
}

/* ---- calling the functions under test -------------------------------------------------- */

typedef struct edges {
  int32_t *ij;
  int n, fallback;
  ysg_status st;
  char err[256];
} edges;

static edges delaunay(const float *xy, int n, int cap) {
  edges e = {0};
  e.ij = malloc(sizeof(int32_t) * 2 * (size_t)(cap > 0 ? cap : 1));
  void *tmp = malloc(ysg__delaunay_tmp_bytes(n));
  e.st = ysg__delaunay(xy, n, e.ij, cap, &e.n, &e.fallback, tmp, e.err, sizeof e.err);
  free(tmp);
  return e;
}

static void check_sorted(const int32_t *ij, int m, int n) {
  for (int k = 0; k < m; k++) {
    cr_assert(ij[2 * k] >= 0 && ij[2 * k] < ij[2 * k + 1] && ij[2 * k + 1] < n,
              "edge %d (%d, %d) is not i < j within [0, %d)", k, ij[2 * k], ij[2 * k + 1], n);
    if (k > 0)
      cr_assert(ij[2 * k - 2] < ij[2 * k] ||
                    (ij[2 * k - 2] == ij[2 * k] && ij[2 * k - 1] < ij[2 * k + 1]),
                "edges %d and %d are not strictly sorted", k - 1, k);
  }
}

/* ---- MST ------------------------------------------------------------------------------- */

static double gx(const float *xy, int i) { return xy[2 * i]; }
static double gy(const float *xy, int i) { return xy[2 * i + 1]; }

static double dist(const float *xy, int i, int j) {
  return hypot(gx(xy, i) - gx(xy, j), gy(xy, i) - gy(xy, j));
}

/* Prim's algorithm on the complete graph, O(n²). */
static double prim_weight(const float *xy, int n) {
  double *best = malloc(sizeof(double) * (size_t)n), total = 0;
  char *in = calloc((size_t)n, 1);
  for (int i = 0; i < n; i++) best[i] = INFINITY;
  best[0] = 0;
  for (int it = 0; it < n; it++) {
    int u = -1;
    for (int i = 0; i < n; i++)
      if (!in[i] && (u < 0 || best[i] < best[u])) u = i;
    in[u] = 1, total += best[u];
    for (int i = 0; i < n; i++)
      if (!in[i]) {
        double d = dist(xy, u, i);
        if (d < best[i]) best[i] = d;
      }
  }
  free(best), free(in);
  return total;
}

static int mst(const float *xy, int n, const int32_t *ij, int m, int32_t *out) {
  void *tmp = malloc(ysg__mst_tmp_bytes(n, m) + 1);
  int k = ysg__mst(xy, n, ij, m, out, tmp);
  free(tmp);
  return k;
}

/* Total length of k edges after checking that none closes a cycle (so n − 1 of them span). */
static double forest_weight(const float *xy, int n, const int32_t *out, int k) {
  int *p = malloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) p[i] = i;
  double w = 0;
  for (int t = 0; t < k; t++) {
    int a = out[2 * t], b = out[2 * t + 1];
    while (p[a] != a) a = p[a];
    while (p[b] != b) b = p[b];
    cr_assert_neq(a, b, "edge %d (%d, %d) closes a cycle", t, out[2 * t], out[2 * t + 1]);
    p[a] = b;
    w += dist(xy, out[2 * t], out[2 * t + 1]);
  }
  free(p);
  return w;
}

Test(mst, ties_by_length_then_index) {
  /* unit square: four sides of length 1 and a longer diagonal; (0,1), (0,3), (1,2) come first */
  const float xy[] = {0, 0, 1, 0, 1, 1, 0, 1};
  const int32_t cand[] = {2, 3, 1, 2, 0, 2, 0, 3, 0, 1};
  int32_t out[6];
  cr_assert_eq(mst(xy, 4, cand, 5, out), 3);
  const int32_t want[] = {0, 1, 0, 3, 1, 2};
  cr_assert(memcmp(out, want, sizeof want) == 0);
}

Test(mst, disconnected_candidates_and_duplicates) {
  const float xy[] = {0, 0, 1, 0, 5, 5, 6, 5, 0, 0};
  const int32_t cand[] = {0, 1, 2, 3, 0, 4, 3, 3};
  int32_t out[8];
  cr_assert_eq(mst(xy, 5, cand, 4, out), 3); /* two components: a forest; (3, 3) ignored */
  const int32_t want[] = {0, 1, 0, 4, 2, 3};
  cr_assert(memcmp(out, want, sizeof want) == 0);
  cr_assert_eq(mst(xy, 5, cand, 0, out), 0);
  cr_assert_eq(mst(xy, 1, cand, 0, out), 0);
}

Test(mst, complete_graph_candidates) {
  /* Kruskal over every pair (no Delaunay involved) against Prim */
  for (int kind = 0; kind < 2; kind++) {
    int n = kind ? 200 : 300, m = n * (n - 1) / 2, k = 0;
    float *xy = make_set(kind, n, 4242);
    int32_t *cand = malloc(sizeof(int32_t) * 2 * (size_t)m),
            *out = malloc(sizeof(int32_t) * 2 * (size_t)n);
    for (int j = n - 1; j > 0; j--) /* given in no particular order */
      for (int i = 0; i < j; i++) cand[2 * k] = j, cand[2 * k + 1] = i, k++;
    int got = mst(xy, n, cand, m, out);
    cr_assert_eq(got, n - 1);
    check_sorted(out, got, n);
    double w = forest_weight(xy, n, out, got), ref = prim_weight(xy, n);
    cr_assert(fabs(w - ref) <= 1e-9 * ref, "%s: weight %.12g, Prim %.12g", set_name[kind], w, ref);
    free(cand), free(out), free(xy);
  }
}

/* ---- Voronoi --------------------------------------------------------------------------- */

typedef struct vor {
  float *v;
  int32_t *e;
  int nv, ne;
  ysg_status st;
  char err[256];
} vor;

static vor voronoi(const float *xy, int n, float w, float h, int cap_v, int cap_e) {
  vor r = {0};
  r.v = malloc(sizeof(float) * 2 * (size_t)(cap_v > 0 ? cap_v : 1));
  r.e = malloc(sizeof(int32_t) * 2 * (size_t)(cap_e > 0 ? cap_e : 1));
  void *tmp = malloc(ysg__voronoi_tmp_bytes(n));
  r.st = ysg__voronoi(xy, n, w, h, r.v, cap_v, &r.nv, r.e, cap_e, &r.ne, tmp, r.err, sizeof r.err);
  free(tmp);
  return r;
}

static void free_vor(vor *r) { free(r->v), free(r->e); }

#ifdef YSG_HAVE_QHULL

/* ---- reference checks for a triangulation ---------------------------------------------- */

/* > 0 when d is strictly inside the circle through the counter-clockwise a, b, c; *perm bounds
 * the magnitude of the terms so that the caller can allow for rounding. */
static long double incircle(const float *xy, int a, int b, int c, int d, long double *perm) {
  long double adx = gx(xy, a) - gx(xy, d), ady = gy(xy, a) - gy(xy, d);
  long double bdx = gx(xy, b) - gx(xy, d), bdy = gy(xy, b) - gy(xy, d);
  long double cdx = gx(xy, c) - gx(xy, d), cdy = gy(xy, c) - gy(xy, d);
  long double al = adx * adx + ady * ady, bl = bdx * bdx + bdy * bdy, cl = cdx * cdx + cdy * cdy;
  *perm = al * (fabsl(bdx * cdy) + fabsl(bdy * cdx)) + bl * (fabsl(cdx * ady) + fabsl(cdy * adx)) +
          cl * (fabsl(adx * bdy) + fabsl(ady * bdx));
  return al * (bdx * cdy - bdy * cdx) + bl * (cdx * ady - cdy * adx) + cl * (adx * bdy - ady * bdx);
}

typedef struct adj {
  int *start, *nb, *twin;
} adj;

static const float *g_xy;
static int g_center;
static int by_angle(const void *pa, const void *pb) {
  int a = *(const int *)pa, b = *(const int *)pb;
  double ta = atan2(gy(g_xy, a) - gy(g_xy, g_center), gx(g_xy, a) - gx(g_xy, g_center));
  double tb = atan2(gy(g_xy, b) - gy(g_xy, g_center), gx(g_xy, b) - gx(g_xy, g_center));
  return ta < tb ? -1 : ta > tb;
}

/* Adjacency with each vertex's neighbours in counter-clockwise order, and each slot's twin. */
static adj build_adj(const float *xy, int n, const int32_t *ij, int m) {
  adj a = {calloc((size_t)n + 1, sizeof(int)), malloc(sizeof(int) * 2 * (size_t)(m + 1)),
           malloc(sizeof(int) * 2 * (size_t)(m + 1))};
  int *fill = calloc((size_t)n + 1, sizeof(int));
  for (int k = 0; k < m; k++) a.start[ij[2 * k] + 1]++, a.start[ij[2 * k + 1] + 1]++;
  for (int v = 0; v < n; v++) a.start[v + 1] += a.start[v];
  for (int k = 0; k < m; k++) {
    int i = ij[2 * k], j = ij[2 * k + 1];
    a.nb[a.start[i] + fill[i]++] = j;
    a.nb[a.start[j] + fill[j]++] = i;
  }
  g_xy = xy;
  for (int v = 0; v < n; v++) {
    g_center = v;
    qsort(a.nb + a.start[v], (size_t)(a.start[v + 1] - a.start[v]), sizeof(int), by_angle);
  }
  for (int v = 0; v < n; v++)
    for (int s = a.start[v]; s < a.start[v + 1]; s++) {
      int u = a.nb[s];
      a.twin[s] = -1;
      for (int t = a.start[u]; t < a.start[u + 1]; t++)
        if (a.nb[t] == v) a.twin[s] = t;
    }
  free(fill);
  return a;
}

static void free_adj(adj *a) { free(a->start), free(a->nb), free(a->twin); }

/* Traces every face of the embedding (face on the left of each half-edge) and checks that the
 * edges form a triangulation of the convex hull that is Delaunay. Needs distinct points. */
static void check_triangulation(const float *xy, int n, const int32_t *ij, int m,
                                const char *what) {
  check_sorted(ij, m, n);
  cr_assert(m <= 3 * n - 6, "%s: %d edges exceed 3n - 6 = %d", what, m, 3 * n - 6);
  adj a = build_adj(xy, n, ij, m);
  for (int v = 0; v < n; v++)
    cr_assert(a.start[v + 1] > a.start[v], "%s: point %d has no edge", what, v);
  char *seen = calloc((size_t)2 * m + 1, 1);
  int faces = 0, outer = 0, hull = 0, bad_faces = 0, tris = 0, violations = 0;
  double worst = 0;
  int *face = malloc(sizeof(int) * 2 * (size_t)(m + 1));
  for (int s0 = 0; s0 < 2 * m; s0++) {
    if (seen[s0]) continue;
    int len = 0;
    double area = 0;
    for (int s = s0; !seen[s];) {
      seen[s] = 1;
      int v = a.nb[s], t = a.twin[s], u = a.nb[t];
      cr_assert(t >= 0, "%s: missing twin", what);
      face[len++] = u;
      area += gx(xy, u) * gy(xy, v) - gx(xy, v) * gy(xy, u);
      int deg = a.start[v + 1] - a.start[v], r = t - a.start[v];
      s = a.start[v] + (r - 1 + deg) % deg; /* the neighbour clockwise after u around v */
    }
    faces++;
    if (area < 0) {
      outer++;
      hull = len;
      for (int k = 0; k < len; k++) { /* the outer face turns clockwise only: a convex hull */
        int p = face[k], q = face[(k + 1) % len], r = face[(k + 2) % len];
        double cr = (gx(xy, q) - gx(xy, p)) * (gy(xy, r) - gy(xy, q)) -
                    (gy(xy, q) - gy(xy, p)) * (gx(xy, r) - gx(xy, q));
        cr_assert(cr <= 1e-6, "%s: hull turns counter-clockwise at point %d (cross %g)", what, q,
                  cr);
      }
      continue;
    }
    if (len != 3) {
      bad_faces++;
      continue;
    }
    tris++;
    int p = face[0], q = face[1], r = face[2];
    /* circumcircle in double to skip far points; exact-ish incircle for the rest */
    double bx = gx(xy, q) - gx(xy, p), by = gy(xy, q) - gy(xy, p);
    double cx = gx(xy, r) - gx(xy, p), cy = gy(xy, r) - gy(xy, p);
    double d = 2 * (bx * cy - by * cx);
    double ux = (cy * (bx * bx + by * by) - by * (cx * cx + cy * cy)) / d;
    double uy = (bx * (cx * cx + cy * cy) - cx * (bx * bx + by * by)) / d;
    double r2 = ux * ux + uy * uy, ox = gx(xy, p) + ux, oy = gy(xy, p) + uy;
    for (int k = 0; k < n; k++) {
      if (k == p || k == q || k == r) continue;
      double dx = gx(xy, k) - ox, dy = gy(xy, k) - oy;
      if (dx * dx + dy * dy > r2 * (1 + 1e-6) + 1e-6) continue;
      long double perm, det = incircle(xy, p, q, r, k, &perm);
      if (det > 1e-10L * perm) {
        violations++;
        if ((double)(det / perm) > worst) worst = (double)(det / perm);
      }
    }
  }
  cr_assert_eq(outer, 1, "%s: %d faces with negative area (expected the outer face only)", what,
               outer);
  cr_assert_eq(bad_faces, 0, "%s: %d bounded faces are not triangles", what, bad_faces);
  cr_assert_eq(faces, 2 - n + m, "%s: %d faces, Euler's formula wants %d (edges cross?)", what,
               faces, 2 - n + m);
  cr_assert_eq(m, 3 * n - 3 - hull, "%s: %d edges for %d points with %d on the hull (want 3n-3-h)",
               what, m, n, hull);
  cr_assert_eq(violations, 0, "%s: %d points strictly inside circumcircles (worst %g)", what,
               violations, worst);
  free(face), free(seen), free_adj(&a);
}

/* ---- Delaunay -------------------------------------------------------------------------- */

Test(delaunay, empty_circumcircle_on_many_sets) {
  const int sizes[] = {3, 4, 5, 7, 10, 31, 100, 400, 1500, 5000};
  for (int kind = 0; kind < SET_COUNT; kind++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      int n = sizes[s];
      float *xy = make_set(kind, n, 1000 + (uint64_t)n);
      if (kind == SET_CLUSTERED) {
        /* clusters may produce exact duplicates in float; nudge them apart deterministically */
        for (int i = 1; i < n; i++) xy[2 * i] += (float)i * 1e-3f;
      }
      edges e = delaunay(xy, n, 3 * n);
      char what[64];
      snprintf(what, sizeof what, "%s N=%d", set_name[kind], n);
      cr_assert_eq(e.st, YSG_OK, "%s: %s", what, e.err);
      cr_assert_eq(e.fallback, 0, "%s: unexpected fallback", what);
      check_triangulation(xy, n, e.ij, e.n, what);
      free(e.ij), free(xy);
    }
}

Test(delaunay, deterministic) {
  float *xy = make_set(SET_UNIFORM, 3000, 7);
  edges a = delaunay(xy, 3000, 9000), b = delaunay(xy, 3000, 9000);
  cr_assert_eq(a.n, b.n);
  cr_assert(memcmp(a.ij, b.ij, sizeof(int32_t) * 2 * (size_t)a.n) == 0);
  free(a.ij), free(b.ij), free(xy);
}

Test(delaunay, square_and_triangle_by_hand) {
  const float tri[] = {0, 0, 10, 0, 0, 10};
  edges e = delaunay(tri, 3, 9);
  cr_assert_eq(e.st, YSG_OK, "%s", e.err);
  cr_assert_eq(e.n, 3);
  const int32_t want3[] = {0, 1, 0, 2, 1, 2};
  cr_assert(memcmp(e.ij, want3, sizeof want3) == 0);
  free(e.ij);
  /* a point inside the triangle joins all three corners */
  const float four[] = {0, 0, 10, 0, 0, 10, 3, 3};
  e = delaunay(four, 4, 12);
  cr_assert_eq(e.n, 6);
  free(e.ij);
}

Test(delaunay, duplicates_join_their_lowest_twin) {
  int nb = 300, nd = 60, n = nb + nd;
  float *base = make_set(SET_UNIFORM, nb, 3);
  float *xy = malloc(sizeof(float) * 2 * (size_t)n);
  int *rep = malloc(sizeof(int) * (size_t)n);
  memcpy(xy, base, sizeof(float) * 2 * (size_t)nb);
  for (int i = 0; i < nb; i++) rep[i] = i;
  rng_state = 99;
  for (int k = 0; k < nd; k++) { /* copies of random base points, some copied more than once */
    int src = (int)(urand() * 40);
    xy[2 * (nb + k)] = base[2 * src], xy[2 * (nb + k) + 1] = base[2 * src + 1];
    rep[nb + k] = src;
  }
  edges e = delaunay(xy, n, 3 * n);
  cr_assert_eq(e.st, YSG_OK, "%s", e.err);
  cr_assert_eq(e.fallback, 0);
  check_sorted(e.ij, e.n, n);
  edges b = delaunay(base, nb, 3 * nb);
  /* the edges among distinct points are the triangulation of the base set; each copy has exactly
   * one edge, to its lowest-index twin */
  int among = 0;
  int *deg = calloc((size_t)n, sizeof(int));
  for (int k = 0; k < e.n; k++) {
    int i = e.ij[2 * k], j = e.ij[2 * k + 1];
    deg[i]++, deg[j]++;
    if (j < nb) {
      cr_assert(among < b.n && b.ij[2 * among] == i && b.ij[2 * among + 1] == j,
                "edge (%d, %d) is not the base triangulation's edge %d", i, j, among);
      among++;
    } else {
      cr_assert_eq(i, rep[j], "copy %d joins %d, expected its twin %d", j, i, rep[j]);
    }
  }
  cr_assert_eq(among, b.n);
  for (int j = nb; j < n; j++) cr_assert_eq(deg[j], 1, "copy %d has %d edges", j, deg[j]);
  cr_assert_eq(e.n, b.n + nd);
  free(deg), free(e.ij), free(b.ij), free(rep), free(xy), free(base);
}

Test(delaunay, near_duplicates_keep_every_point) {
  int nb = 500, n = 2 * nb;
  float *xy = malloc(sizeof(float) * 2 * (size_t)n);
  float *base = make_set(SET_UNIFORM, nb, 5);
  memcpy(xy, base, sizeof(float) * 2 * (size_t)nb);
  for (int i = 0; i < nb; i++) { /* one ulp away */
    xy[2 * (nb + i)] = nextafterf(base[2 * i], INFINITY);
    xy[2 * (nb + i) + 1] = base[2 * i + 1];
  }
  edges e = delaunay(xy, n, 3 * n);
  cr_assert_eq(e.st, YSG_OK, "%s", e.err);
  check_sorted(e.ij, e.n, n);
  cr_assert(e.n <= 3 * n);
  char *has = calloc((size_t)n, 1);
  for (int k = 0; k < 2 * e.n; k++) has[e.ij[k]] = 1;
  for (int i = 0; i < n; i++) cr_assert(has[i], "point %d has no edge", i);
  edges again = delaunay(xy, n, 3 * n);
  cr_assert(again.n == e.n && memcmp(again.ij, e.ij, sizeof(int32_t) * 2 * (size_t)e.n) == 0);
  free(has), free(e.ij), free(again.ij), free(base), free(xy);
}

Test(delaunay, collinear_falls_back_to_the_chain) {
  /* points on y = 2x + 1, given out of order, one duplicated */
  const float xy[] = {3, 7, 0, 1, 5, 11, 1, 3, 3, 7, -2, -3};
  edges e = delaunay(xy, 6, 18);
  cr_assert_eq(e.st, YSG_OK, "%s", e.err);
  cr_assert_eq(e.fallback, 1);
  /* order along the line: 5 (-2), 1 (0), 3 (1), 0 = 4 (3, ties by index), 2 (5) */
  const int32_t want[] = {0, 3, 0, 4, 1, 3, 1, 5, 2, 4};
  cr_assert_eq(e.n, 5);
  cr_assert(memcmp(e.ij, want, sizeof want) == 0);
  free(e.ij);
  /* vertical line */
  const float vert[] = {4, 9, 4, 1, 4, 5};
  e = delaunay(vert, 3, 9);
  const int32_t wantv[] = {0, 2, 1, 2};
  cr_assert(e.fallback == 1 && e.n == 2 && memcmp(e.ij, wantv, sizeof wantv) == 0);
  free(e.ij);
  /* a long collinear run */
  int n = 2000;
  float *line = malloc(sizeof(float) * 2 * (size_t)n);
  for (int i = 0; i < n; i++) {
    int t = (i * 7919) % n; /* a permutation of 0..n-1 */
    line[2 * i] = (float)(3 * t), line[2 * i + 1] = (float)(100 - 2 * t);
  }
  e = delaunay(line, n, 3 * n);
  cr_assert(e.st == YSG_OK && e.fallback == 1 && e.n == n - 1);
  for (int k = 0; k < e.n; k++)
    cr_assert_eq(fabsf(line[2 * e.ij[2 * k]] - line[2 * e.ij[2 * k + 1]]), 3.0f,
                 "chain edge %d skips a point", k);
  free(e.ij);
  /* a line float cannot hold exactly (0.1 steps): off by rounding only, still a chain */
  for (int i = 0; i < n; i++)
    line[2 * i] = (float)(0.1 * i), line[2 * i + 1] = (float)(0.3 * i + 7);
  e = delaunay(line, n, 3 * n);
  cr_assert(e.st == YSG_OK && e.fallback == 1 && e.n == n - 1);
  for (int k = 0; k < e.n; k++)
    cr_assert_eq(e.ij[2 * k + 1], e.ij[2 * k] + 1, "chain edge %d: (%d, %d)", k, e.ij[2 * k],
                 e.ij[2 * k + 1]);
  free(e.ij), free(line);
}

Test(delaunay, tiny_inputs) {
  const float xy[] = {1, 2, 5, 6, 1, 2};
  edges e = delaunay(xy, 0, 1);
  cr_assert(e.st == YSG_OK && e.n == 0 && e.fallback == 0);
  free(e.ij);
  e = delaunay(xy, 1, 1);
  cr_assert(e.st == YSG_OK && e.n == 0 && e.fallback == 0);
  free(e.ij);
  e = delaunay(xy, 2, 2);
  cr_assert(e.st == YSG_OK && e.n == 1 && e.fallback == 1 && e.ij[0] == 0 && e.ij[1] == 1);
  free(e.ij);
  /* two distinct points among three: a chain, the copy beside its twin */
  e = delaunay(xy, 3, 3);
  const int32_t want[] = {0, 2, 1, 2};
  cr_assert(e.st == YSG_OK && e.n == 2 && e.fallback == 1 && memcmp(e.ij, want, sizeof want) == 0);
  free(e.ij);
  const float same[] = {4, 4, 4, 4, 4, 4, 4, 4};
  e = delaunay(same, 4, 4);
  const int32_t wants[] = {0, 1, 1, 2, 2, 3};
  cr_assert(e.st == YSG_OK && e.n == 3 && e.fallback == 1 &&
            memcmp(e.ij, wants, sizeof wants) == 0);
  free(e.ij);
}

Test(delaunay, errors) {
  const float tri[] = {0, 0, 10, 0, 0, 10};
  edges e = delaunay(tri, 3, 2);
  cr_assert_eq(e.st, YSG_ERR_LIMIT);
  cr_assert_str_eq(e.err, "the Delaunay triangulation has 3 edges, more than the capacity of 2");
  free(e.ij);
  const float bad[] = {0, 0, NAN, 2, 0, 10};
  e = delaunay(bad, 3, 9);
  cr_assert_eq(e.st, YSG_ERR_DATA);
  cr_assert_str_eq(e.err, "point 1 has a non-finite coordinate (nan, 2)");
  free(e.ij);
  const float inf[] = {0, 0, 1, 2, 0, -INFINITY};
  e = delaunay(inf, 3, 9);
  cr_assert_eq(e.st, YSG_ERR_DATA);
  cr_assert_str_eq(e.err, "point 2 has a non-finite coordinate (0, -inf)");
  free(e.ij);
}

Test(mst, weight_equals_prim) {
  const int sizes[] = {2, 3, 10, 100, 700, 2000};
  for (int kind = 0; kind < SET_COUNT; kind++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      int n = sizes[s];
      float *xy = make_set(kind, n, 77 + (uint64_t)n);
      edges e = delaunay(xy, n, 3 * n);
      cr_assert_eq(e.st, YSG_OK, "%s", e.err);
      int32_t *out = malloc(sizeof(int32_t) * 2 * (size_t)n);
      int k = mst(xy, n, e.ij, e.n, out);
      cr_assert_eq(k, n - 1, "%s N=%d: %d edges", set_name[kind], n, k);
      check_sorted(out, k, n);
      double w = forest_weight(xy, n, out, k), ref = prim_weight(xy, n);
      cr_assert(fabs(w - ref) <= 1e-9 * ref, "%s N=%d: weight %.12g, Prim %.12g", set_name[kind], n,
                w, ref);
      free(out), free(e.ij), free(xy);
    }
}

static void check_vor_exact(const vor *r, const float *wv, int nv, const int32_t *we, int ne) {
  cr_assert_eq(r->st, YSG_OK, "%s", r->err);
  cr_assert_eq(r->nv, nv, "%d vertices, expected %d", r->nv, nv);
  cr_assert_eq(r->ne, ne, "%d edges, expected %d", r->ne, ne);
  for (int k = 0; k < 2 * nv; k++)
    cr_assert(fabsf(r->v[k] - wv[k]) < 1e-5f, "vertex coordinate %d: %g, expected %g", k, r->v[k],
              wv[k]);
  for (int k = 0; k < 2 * ne; k++) cr_assert_eq(r->e[k], we[k], "edge index %d", k);
}

Test(voronoi, square_by_hand) {
  /* a square's sites: one vertex at the centre (both triangles' circumcentre), four rays */
  const float xy[] = {1, 1, 3, 1, 3, 3, 1, 3};
  vor r = voronoi(xy, 4, 4, 4, 32, 32);
  const float wv[] = {0, 2, 2, 0, 2, 2, 2, 4, 4, 2};
  const int32_t we[] = {0, 2, 1, 2, 2, 3, 2, 4};
  check_vor_exact(&r, wv, 5, we, 4);
  free_vor(&r);
}

Test(voronoi, right_triangle_by_hand) {
  /* the circumcentre (3, 3) lies on the hypotenuse; its ray leaves away from the right angle */
  const float xy[] = {1, 1, 5, 1, 1, 5};
  vor r = voronoi(xy, 3, 8, 8, 32, 32);
  const float wv[] = {0, 3, 3, 0, 3, 3, 8, 8};
  const int32_t we[] = {0, 2, 1, 2, 2, 3};
  check_vor_exact(&r, wv, 4, we, 3);
  free_vor(&r);
}

Test(voronoi, grid_cells_share_vertices) {
  /* 3x3 grid: the cocircular cells' triangles share a circumcentre, so the diagram is the four
   * lines x, y = 1.5, 2.5 cut into 3 pieces each, with no zero-length edges */
  float xy[18];
  for (int i = 0; i < 9; i++) xy[2 * i] = (float)(1 + i % 3), xy[2 * i + 1] = (float)(1 + i / 3);
  vor r = voronoi(xy, 9, 4, 4, 64, 64);
  const float wv[] = {0,    1.5f, 0,    2.5f, 1.5f, 0,    1.5f, 1.5f, 1.5f, 2.5f, 1.5f, 4,
                      2.5f, 0,    2.5f, 1.5f, 2.5f, 2.5f, 2.5f, 4,    4,    1.5f, 4,    2.5f};
  const int32_t we[] = {0, 3, 1, 4, 2, 3, 3, 4, 3, 7, 4, 5, 4, 8, 6, 7, 7, 8, 7, 10, 8, 9, 8, 11};
  check_vor_exact(&r, wv, 12, we, 12);
  free_vor(&r);
}

Test(voronoi, collinear_bisectors) {
  const float xy[] = {7, 2, 1, 2, 3, 2, 3, 2};
  vor r = voronoi(xy, 4, 10, 4, 16, 16);
  const float wv[] = {2, 0, 2, 4, 5, 0, 5, 4};
  const int32_t we[] = {0, 1, 2, 3};
  check_vor_exact(&r, wv, 4, we, 2);
  free_vor(&r);
  r = voronoi(xy, 1, 10, 4, 16, 16);
  cr_assert(r.st == YSG_OK && r.nv == 0 && r.ne == 0);
  free_vor(&r);
}

Test(voronoi, errors) {
  const float xy[] = {1, 1, 3, 1, 3, 3, 1, 3};
  vor r = voronoi(xy, 4, 4, 4, 4, 32);
  cr_assert_eq(r.st, YSG_ERR_LIMIT);
  cr_assert_str_eq(r.err, "the Voronoi diagram has 5 vertices, more than the capacity of 4");
  free_vor(&r);
  r = voronoi(xy, 4, 4, 4, 32, 3);
  cr_assert_eq(r.st, YSG_ERR_LIMIT);
  cr_assert_str_eq(r.err, "the Voronoi diagram has 4 edges, more than the capacity of 3");
  free_vor(&r);
  r = voronoi(xy, 4, 0, 4, 32, 32);
  cr_assert_eq(r.st, YSG_ERR_INVALID);
  cr_assert_str_eq(r.err, "the canvas must have a positive finite size, got 0 x 4");
  free_vor(&r);
  const float bad[] = {1, 1, 3, INFINITY, 3, 3};
  r = voronoi(bad, 3, 4, 4, 32, 32);
  cr_assert_eq(r.st, YSG_ERR_DATA);
  cr_assert_str_eq(r.err, "point 1 has a non-finite coordinate (3, inf)");
  free_vor(&r);
}

/* The Voronoi edge of Delaunay edge (i, j), found independently: the part of their bisector
 * closer to i and j than to any other site (one linear constraint per site), clipped to the
 * canvas. Returns 0 when empty, else the end points. */
static int expected_edge(const float *xy, int n, int i, int j, double w, double h, double out[4]) {
  double mx = 0.5 * (gx(xy, i) + gx(xy, j)), my = 0.5 * (gy(xy, i) + gy(xy, j));
  double dx = -(gy(xy, j) - gy(xy, i)), dy = gx(xy, j) - gx(xy, i);
  double lo = -INFINITY, hi = INFINITY;
  for (int k = 0; k < n; k++) {
    if (k == i || k == j) continue;
    double ex = gx(xy, k) - gx(xy, i), ey = gy(xy, k) - gy(xy, i);
    double a = 2 * (dx * ex + dy * ey);
    double b = (gx(xy, k) * gx(xy, k) + gy(xy, k) * gy(xy, k)) -
               (gx(xy, i) * gx(xy, i) + gy(xy, i) * gy(xy, i)) - 2 * (mx * ex + my * ey);
    if (a > 0)
      hi = fmin(hi, b / a);
    else if (a < 0)
      lo = fmax(lo, b / a);
    else if (b < 0)
      return 0;
  }
  /* the canvas, as four more constraints of the same kind */
  const double ca[4] = {dx, -dx, dy, -dy}, cb[4] = {w - mx, mx, h - my, my};
  for (int k = 0; k < 4; k++) {
    if (ca[k] > 0)
      hi = fmin(hi, cb[k] / ca[k]);
    else if (ca[k] < 0)
      lo = fmax(lo, cb[k] / ca[k]);
    else if (cb[k] < 0)
      return 0;
  }
  if (!(lo < hi)) return 0;
  out[0] = mx + lo * dx, out[1] = my + lo * dy, out[2] = mx + hi * dx, out[3] = my + hi * dy;
  return 1;
}

Test(voronoi, matches_half_plane_construction) {
  const int sizes[] = {3, 4, 6, 20, 150, 600};
  for (int kind = 0; kind < SET_COUNT; kind++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      int n = sizes[s];
      float *xy = make_set(kind, n, 500 + (uint64_t)n);
      if (kind == SET_CLUSTERED)
        for (int i = 1; i < n; i++) xy[2 * i] += (float)i * 1e-3f;
      edges d = delaunay(xy, n, 3 * n);
      cr_assert_eq(d.st, YSG_OK, "%s", d.err);
      vor r = voronoi(xy, n, CW, CH, 6 * n + 8, 3 * n + 8);
      cr_assert_eq(r.st, YSG_OK, "%s", r.err);
      check_sorted(r.e, r.ne, r.nv);
      for (int k = 0; k < 2 * r.nv; k++) {
        float lim = k % 2 ? CH : CW;
        cr_assert(r.v[k] >= -1e-3f && r.v[k] <= lim + 1e-3f, "vertex %d outside the canvas: %g",
                  k / 2, r.v[k]);
      }
      /* every point of every edge is equidistant from its two nearest sites */
      for (int k = 0; k < r.ne; k++)
        for (int q = 0; q <= 4; q++) {
          const float *a = r.v + 2 * r.e[2 * k], *b = r.v + 2 * r.e[2 * k + 1];
          double px = a[0] + (b[0] - a[0]) * q / 4.0, py = a[1] + (b[1] - a[1]) * q / 4.0;
          double d1 = INFINITY, d2 = INFINITY;
          for (int i = 0; i < n; i++) {
            double dd = hypot(px - gx(xy, i), py - gy(xy, i));
            if (dd < d1)
              d2 = d1, d1 = dd;
            else if (dd < d2)
              d2 = dd;
          }
          cr_assert(d2 - d1 <= 2e-3 + 1e-6 * d1,
                    "%s N=%d: edge %d at %g/4: nearest sites %g and %g", set_name[kind], n, k,
                    (double)q, d1, d2);
        }
      /* one edge per Delaunay edge whose dual survives clipping, with the same end points */
      int want = 0, ambiguous = 0;
      char *used = calloc((size_t)r.ne + 1, 1);
      for (int k = 0; k < d.n; k++) {
        double seg[4];
        if (!expected_edge(xy, n, d.ij[2 * k], d.ij[2 * k + 1], CW, CH, seg)) continue;
        double len = hypot(seg[2] - seg[0], seg[3] - seg[1]);
        if (len < 1e-2) { /* too short to tell from rounding: may or may not be there */
          ambiguous++;
          continue;
        }
        want++;
        int found = -1;
        for (int t = 0; t < r.ne && found < 0; t++) {
          const float *a = r.v + 2 * r.e[2 * t], *b = r.v + 2 * r.e[2 * t + 1];
          double tol = 2e-3 + 1e-6 * len;
          int fwd = hypot(a[0] - seg[0], a[1] - seg[1]) < tol &&
                    hypot(b[0] - seg[2], b[1] - seg[3]) < tol;
          int rev = hypot(b[0] - seg[0], b[1] - seg[1]) < tol &&
                    hypot(a[0] - seg[2], a[1] - seg[3]) < tol;
          if ((fwd || rev) && !used[t]) found = t;
        }
        cr_assert(found >= 0,
                  "%s N=%d: no Voronoi edge for Delaunay edge (%d, %d): (%g, %g)-(%g, %g)",
                  set_name[kind], n, d.ij[2 * k], d.ij[2 * k + 1], seg[0], seg[1], seg[2], seg[3]);
        used[found] = 1;
      }
      cr_assert(r.ne >= want && r.ne <= want + ambiguous,
                "%s N=%d: %d edges, expected %d (+%d short)", set_name[kind], n, r.ne, want,
                ambiguous);
      free(used), free_vor(&r), free(d.ij), free(xy);
    }
}

Test(voronoi, sites_outside_the_canvas_and_determinism) {
  /* sites spread beyond the canvas: some duals miss it entirely, the rest are clipped */
  int n = 400;
  float *xy = make_set(SET_UNIFORM, n, 31);
  for (int i = 0; i < 2 * n; i++) xy[i] = xy[i] * 3 - 1000;
  vor a = voronoi(xy, n, CW, CH, 6 * n + 8, 3 * n + 8),
      b = voronoi(xy, n, CW, CH, 6 * n + 8, 3 * n + 8);
  cr_assert_eq(a.st, YSG_OK, "%s", a.err);
  cr_assert(a.ne > 0 && a.nv == b.nv && a.ne == b.ne);
  cr_assert(memcmp(a.v, b.v, sizeof(float) * 2 * (size_t)a.nv) == 0);
  cr_assert(memcmp(a.e, b.e, sizeof(int32_t) * 2 * (size_t)a.ne) == 0);
  for (int k = 0; k < 2 * a.nv; k++) cr_assert(a.v[k] >= 0 && a.v[k] <= (k % 2 ? CH : CW));
  free_vor(&a), free_vor(&b), free(xy);
}

Test(voronoi, duplicates_change_nothing) {
  int nb = 200, n = 260;
  float *xy = make_set(SET_UNIFORM, n, 12);
  for (int i = nb; i < n; i++) xy[2 * i] = xy[2 * (i % 17)], xy[2 * i + 1] = xy[2 * (i % 17) + 1];
  vor a = voronoi(xy, n, CW, CH, 6 * n + 8, 3 * n + 8),
      b = voronoi(xy, nb, CW, CH, 6 * n + 8, 3 * n + 8);
  cr_assert(a.st == YSG_OK && b.st == YSG_OK);
  cr_assert(a.nv == b.nv && a.ne == b.ne, "%d/%d vs %d/%d", a.nv, a.ne, b.nv, b.ne);
  cr_assert(memcmp(a.v, b.v, sizeof(float) * 2 * (size_t)a.nv) == 0);
  cr_assert(memcmp(a.e, b.e, sizeof(int32_t) * 2 * (size_t)a.ne) == 0);
  free_vor(&a), free_vor(&b), free(xy);
}

#else /* a build without Qhull */

Test(delaunay, unsupported_without_qhull) {
  const float xy[] = {0, 0, 10, 0, 0, 10};
  edges e = delaunay(xy, 3, 9);
  cr_assert_eq(e.st, YSG_ERR_UNSUPPORTED);
  cr_assert_str_eq(e.err, "this build has no Qhull (install libqhull-dev and rebuild)");
  free(e.ij);
  vor r = voronoi(xy, 3, 10, 10, 16, 16);
  cr_assert_eq(r.st, YSG_ERR_UNSUPPORTED);
  cr_assert_str_eq(r.err, "this build has no Qhull (install libqhull-dev and rebuild)");
  free_vor(&r);
}

#endif /* YSG_HAVE_QHULL */
