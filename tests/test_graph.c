/* test_graph.c — the `graph` node: knn and radius edges identical to brute force written here
 * (and to FAISS in builds with it) on random, clustered, jittered-grid, exact-lattice and
 * duplicate-heavy sets for N = 1 … 20 000; the node's output against the search functions;
 * delta-y and degree caps against an independent greedy; hysteresis against a reference model of
 * its rule, fewer edge changes per frame on a jittered sequence, matching by id, determinism;
 * degenerate inputs; error texts; delaunay/mst/voronoi through the node; CPU vs CUDA edge sets
 * (skipped without a device, reason printed). Points come from a host node type `tpts`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"
#include "util.h"
#include "../cuda/graph_api.h"

/* ---- point sets ------------------------------------------------------------------------------ */
static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static double uni(uint64_t seed, uint64_t k) {
  return (double)(mix(seed * 7919 + k) >> 11) * 0x1.0p-53;
}

enum { S_RANDOM, S_CLUSTERED, S_JITTER, S_LATTICE, S_DUPES, S_COUNT };
static const char *const set_names[] = {"random", "clustered", "jittered grid", "lattice", "dupes"};

/* n points of set kind s on a 1920 × 1080 canvas (malloc'ed) */
static float *make_set(int s, int n, uint64_t seed) {
  float *xy = malloc(sizeof(float) * 2 * (size_t)(n > 0 ? n : 1));
  int cols = (int)ceil(sqrt(n * 1920.0 / 1080.0));
  float sp = 1920.0f / (float)(cols > 0 ? cols : 1);
  for (int i = 0; i < n; i++) {
    double x, y;
    uint64_t k = 4 * (uint64_t)i;
    switch (s) {
      case S_RANDOM:
        x = uni(seed, k) * 1920;
        y = uni(seed, k + 1) * 1080;
        break;
      case S_CLUSTERED: {
        int c = (int)(uni(seed, k) * 12);
        double cx = uni(seed + 1, 2 * (uint64_t)c) * 1920,
               cy = uni(seed + 1, 2 * (uint64_t)c + 1) * 1080;
        x = cx + 30 * (uni(seed, k + 1) + uni(seed, k + 2) - 1);
        y = cy + 30 * (uni(seed, k + 3) + uni(seed, k + 1) * uni(seed, k + 2) - 0.5);
        break;
      }
      case S_JITTER:
        x = (i % cols + 0.5) * sp + (uni(seed, k) - 0.5) * 0.3 * sp;
        y = (i / cols + 0.5) * sp + (uni(seed, k + 1) - 0.5) * 0.3 * sp;
        break;
      case S_LATTICE: /* exact ties everywhere: the index rule decides */
        x = (i % cols) * 8.0;
        y = (i / cols) * 8.0;
        break;
      default: /* few distinct positions: zero distances */
        x = floor(uni(seed, k) * 6) * 10;
        y = floor(uni(seed, k + 1) * 4) * 10;
        break;
    }
    xy[2 * i] = (float)x;
    xy[2 * i + 1] = (float)y;
  }
  return xy;
}

/* ---- independent references ------------------------------------------------------------------ */
/* The O(n²) brute-force references are not what the sanitizer build checks, and instrumented they
 * take most of its time (n = 20000): leave them uninstrumented. */
#if defined(__GNUC__)
#define REFERENCE_CODE __attribute__((no_sanitize("address"), no_sanitize("undefined")))
#else
#define REFERENCE_CODE
#endif

REFERENCE_CODE static float d2(const float *xy, int i, int j) {
  float dx = xy[2 * i] - xy[2 * j], dy = xy[2 * i + 1] - xy[2 * j + 1];
  return dx * dx + dy * dy;
}

static int cmp_pair(const void *pa, const void *pb) {
  const int32_t *a = pa, *b = pb;
  if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
  return (a[1] > b[1]) - (a[1] < b[1]);
}

static int sort_unique(int32_t *ij, int m) {
  qsort(ij, (size_t)m, 2 * sizeof(int32_t), cmp_pair);
  int u = 0;
  for (int e = 0; e < m; e++)
    if (u == 0 || cmp_pair(ij + 2 * (u - 1), ij + 2 * e) != 0) {
      ij[2 * u] = ij[2 * e];
      ij[2 * u + 1] = ij[2 * e + 1];
      u++;
    }
  return u;
}

/* brute-force knn union: ij must hold n·k pairs */
REFERENCE_CODE static int brute_knn(const float *xy, int n, int k, int32_t *ij) {
  float *bd = malloc(sizeof(float) * (size_t)k);
  int *bj = malloc(sizeof(int) * (size_t)k);
  int m = 0;
  for (int i = 0; i < n; i++) {
    int c = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) continue;
      float d = d2(xy, i, j);
      if (c == k && !(d < bd[k - 1])) continue; /* j ascending: an equal distance loses */
      int p = c < k ? c++ : k - 1;
      for (; p > 0 && d < bd[p - 1]; p--) {
        bd[p] = bd[p - 1];
        bj[p] = bj[p - 1];
      }
      bd[p] = d;
      bj[p] = j;
    }
    for (int t = 0; t < c; t++) {
      ij[2 * m] = i < bj[t] ? i : bj[t];
      ij[2 * m + 1] = i < bj[t] ? bj[t] : i;
      m++;
    }
  }
  free(bd);
  free(bj);
  return sort_unique(ij, m);
}

/* brute-force radius pairs in (i, j) order; returns the count (writes at most cap) */
REFERENCE_CODE static long brute_radius(const float *xy, int n, float r, int32_t *ij, long cap) {
  float r2 = r * r;
  long m = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (d2(xy, i, j) <= r2) {
        if (m < cap) {
          ij[2 * m] = i;
          ij[2 * m + 1] = j;
        }
        m++;
      }
  return m;
}

static void assert_same_edges(const int32_t *a, long na, const int32_t *b, long nb,
                              const char *what) {
  cr_assert_eq(na, nb, "%s: %ld edges, reference %ld", what, na, nb);
  for (long e = 0; e < na; e++)
    cr_assert(a[2 * e] == b[2 * e] && a[2 * e + 1] == b[2 * e + 1],
              "%s: edge %ld is (%d, %d), reference (%d, %d)", what, e, a[2 * e], a[2 * e + 1],
              b[2 * e], b[2 * e + 1]);
}

static const int sizes[] = {1, 2, 3, 10, 1000, 20000};
#define N_SIZES 6

Test(graph, knn_equals_brute_force) {
  for (int s = 0; s < S_COUNT; s++)
    for (int z = 0; z < N_SIZES; z++) {
      int n = sizes[z];
      float *xy = make_set(s, n, 11 + (uint64_t)s);
      const int ks[] = {1, 5, 12, 64};
      for (int q = 0; q < 4; q++) {
        int k = ks[q];
        if (n == 20000 && k != 5) continue;
        int32_t *got = malloc(sizeof(int32_t) * 2 * (size_t)n * k),
                *ref = malloc(sizeof(int32_t) * 2 * (size_t)n * k);
        void *tmp = malloc(ysg__graph_knn_tmp_bytes(n, k));
        long m = ysg__graph_knn(NULL, xy, n, k, got, n * k, tmp);
        int mr = brute_knn(xy, n, k, ref);
        char what[128];
        snprintf(what, sizeof what, "knn %s n=%d k=%d", set_names[s], n, k);
        assert_same_edges(got, m, ref, mr, what);
        if (n > 1 && k < n) cr_assert_geq(m, (n * k + 1) / 2, "%s: too few edges", what);
        free(got);
        free(ref);
        free(tmp);
      }
      free(xy);
    }
}

Test(graph, radius_equals_brute_force) {
  const float radii[] = {0, 6, 25, 90};
  for (int s = 0; s < S_COUNT; s++)
    for (int z = 0; z < N_SIZES; z++) {
      int n = sizes[z];
      float *xy = make_set(s, n, 21 + (uint64_t)s);
      for (int q = 0; q < 4; q++) {
        float r = radii[q] * (n >= 1000 ? 1.0f : 10.0f);
        if (n == 20000 && q != 2) continue; /* brute force is O(n²) */
        long cap = brute_radius(xy, n, r, NULL, 0);
        if (cap > 4000000) continue; /* the dupes set at large radii: every pair */
        int32_t *ref = malloc(sizeof(int32_t) * 2 * (size_t)(cap + 1)),
                *got = malloc(sizeof(int32_t) * 2 * (size_t)(cap + 1));
        brute_radius(xy, n, r, ref, cap);
        void *tmp = malloc(ysg__graph_radius_tmp_bytes(n));
        long m = ysg__graph_radius(NULL, xy, n, r, got, (int)cap, tmp);
        char what[128];
        snprintf(what, sizeof what, "radius %s n=%d r=%g", set_names[s], n, r);
        assert_same_edges(got, m, ref, cap, what);
        if (cap > 0) /* one edge short: the full count comes back, encoded */
          cr_assert_eq(ysg__graph_radius(NULL, xy, n, r, got, (int)cap - 1, tmp), -cap - 1, "%s",
                       what);
        free(ref);
        free(got);
        free(tmp);
      }
      free(xy);
    }
}

Test(graph, knn_and_radius_equal_faiss) {
#ifndef YSG_HAVE_FAISS
  cr_skip_test("built without FAISS (libfaiss-dev not found at configure time)");
#else
  for (int s = 0; s < S_COUNT; s++)
    for (int z = 0; z < N_SIZES; z++) {
      int n = sizes[z], k = 5;
      float *xy = make_set(s, n, 31 + (uint64_t)s);
      int32_t *a = malloc(sizeof(int32_t) * 2 * (size_t)n * k),
              *b = malloc(sizeof(int32_t) * 2 * (size_t)n * k);
      void *t1 = malloc(ysg__graph_knn_tmp_bytes(n, k)),
           *t2 = malloc(ysg__graph_faiss_tmp_bytes(n, k));
      long m = ysg__graph_knn(NULL, xy, n, k, a, n * k, t1);
      int mf = -1;
      char err[256] = "";
      cr_assert_eq(ysg__graph_faiss_knn(xy, n, k, b, n * k, &mf, t2, err, sizeof err), YSG_OK, "%s",
                   err);
      char what[128];
      snprintf(what, sizeof what, "faiss %s n=%d", set_names[s], n);
      assert_same_edges(a, m, b, mf, what);
      free(a);
      free(b);
      free(t1);
      free(t2);
      /* radius: FAISS's range search */
      float r = n >= 1000 ? 25.0f : 250.0f;
      long c = brute_radius(xy, n, r, NULL, 0);
      if (c <= 4000000) {
        a = malloc(sizeof(int32_t) * 2 * (size_t)(c + 1));
        b = malloc(sizeof(int32_t) * 2 * (size_t)(c + 1));
        brute_radius(xy, n, r, a, c);
        t2 = malloc(ysg__graph_faiss_radius_tmp_bytes((int)c));
        long mr = -1;
        cr_assert_eq(ysg__graph_faiss_radius(xy, n, r, b, (int)c, &mr, t2, err, sizeof err), YSG_OK,
                     "%s", err);
        snprintf(what, sizeof what, "faiss radius %s n=%d", set_names[s], n);
        assert_same_edges(b, mr, a, c, what);
        free(a);
        free(b);
        free(t2);
      }
      free(xy);
    }
#endif
}

/* ---- the node through a pipeline ---------------------------------------------------------------
 */
#define MAXP 4096
static struct tp {
  int n;
  int ids; /* attach ids */
  float xy[MAXP * 2];
  int32_t id[MAXP];
} G;

static const ysg_port_def tp_out[] = {{"points", YSG_POINTS, 0, "G's points", NULL, 0}};
static ysg_status tp_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = MAXP;
  return YSG_OK;
}
static ysg_status tp_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, G.xy, sizeof(float) * 2 * (size_t)G.n);
  memcpy(v->id, G.id, sizeof(int32_t) * (size_t)G.n);
  v->count = G.n;
  v->attrs = G.ids ? YSG_ATTR_ID : 0u;
  return YSG_OK;
}
static const ysg_node_type tp_type = {.name = "tpts",
                                      .category = "test",
                                      .doc = "G's points.",
                                      .outputs = tp_out,
                                      .n_outputs = 1,
                                      .infer = tp_infer,
                                      .run = tp_run};

static ysg_context *ctx_new(int threads) {
  ysg_context *ctx = ysgt_ctx_warn(threads);
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &tp_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

/* graph{args} on line 3 of test.lua; returns the load status */
static ysg_status load(ysg_context *ctx, const char *args, ysg_pipeline **p) {
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=1920,height=1080,frames=100}\n"
           "local pts = tpts{name='p'}\n"
           "graph{points=pts, name='g', %s}\n",
           args);
  static const char *const keep[] = {"g.edges", "g.points"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 2;
  *p = NULL;
  return ysg_pipeline_load_string(ctx, src, "test.lua", &lo, p);
}

static const ysg_value *edges_of(ysg_pipeline *p) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "g.edges", &v), YSG_OK);
  return v;
}

static void set_points(const float *xy, int n) {
  G.n = n;
  memcpy(G.xy, xy, sizeof(float) * 2 * (size_t)n);
  for (int i = 0; i < n; i++) G.id[i] = i;
}

Test(graph, node_knn_radius_and_passthrough) {
  float *xy = make_set(S_CLUSTERED, 3000, 5);
  set_points(xy, 3000);
  G.ids = 1;
  for (int threads = 1; threads <= 2; threads++) {
    ysg_context *ctx = ctx_new(threads);
    ysg_pipeline *p;
    cr_assert_eq(load(ctx, "mode='knn', k=4", &p), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    int32_t *ref = malloc(sizeof(int32_t) * 2 * 3000 * 4);
    int mr = brute_knn(xy, 3000, 4, ref);
    const ysg_value *e = edges_of(p);
    assert_same_edges(e->ij, e->count, ref, mr, "node knn");
    const ysg_value *pts = NULL;
    cr_assert_eq(ysg_pipeline_get_value(p, "g.points", &pts), YSG_OK);
    cr_assert_eq(pts->count, 3000);
    cr_assert_eq(pts->attrs, YSG_ATTR_ID);
    cr_assert_eq(memcmp(pts->xy, xy, sizeof(float) * 6000), 0);
    cr_assert_eq(pts->id[2999], 2999);
    ysg_pipeline_destroy(p);
    cr_assert_eq(load(ctx, "mode='radius', radius=20, max_edges=400000", &p), YSG_OK, "%s",
                 ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    long c = brute_radius(xy, 3000, 20, NULL, 0);
    int32_t *rr = malloc(sizeof(int32_t) * 2 * (size_t)c);
    brute_radius(xy, 3000, 20, rr, c);
    e = edges_of(p);
    assert_same_edges(e->ij, e->count, rr, c, "node radius");
    ysg_pipeline_destroy(p);
    free(ref);
    free(rr);
    ysg_context_destroy(ctx);
  }
  free(xy);
}

/* ---- caps
 * ---------------------------------------------------------------------------------------- */
static const float *cmp_xy;
static int cmp_len(const void *pa, const void *pb) {
  const int32_t *a = pa, *b = pb;
  float da = d2(cmp_xy, a[0], a[1]), db = d2(cmp_xy, b[0], b[1]);
  if (da != db) return da < db ? -1 : 1;
  return cmp_pair(a, b);
}

/* the degree-cap rule on a copy, written with qsort: returns the kept edges sorted (i, j) */
static int greedy_cap(const float *xy, int n, const int32_t *ij, int m, int cap, int32_t *out) {
  int32_t *s = malloc(sizeof(int32_t) * 2 * (size_t)(m + 1));
  memcpy(s, ij, sizeof(int32_t) * 2 * (size_t)m);
  cmp_xy = xy;
  qsort(s, (size_t)m, 2 * sizeof(int32_t), cmp_len);
  int *deg = calloc((size_t)n, sizeof(int)), k = 0;
  for (int e = 0; e < m; e++)
    if (deg[s[2 * e]] < cap && deg[s[2 * e + 1]] < cap) {
      deg[s[2 * e]]++;
      deg[s[2 * e + 1]]++;
      out[2 * k] = s[2 * e];
      out[2 * k + 1] = s[2 * e + 1];
      k++;
    }
  free(deg);
  free(s);
  return sort_unique(out, k);
}

Test(graph, caps) {
  const int n = 2000;
  float *xy = make_set(S_LATTICE, n, 3); /* ties in length: the (i, j) rule decides */
  for (int i = 0; i < n; i++) xy[2 * i + 1] *= 1.5f;
  set_points(xy, n);
  G.ids = 0;
  ysg_context *ctx = ctx_new(2);
  ysg_pipeline *p;
  long c = brute_radius(xy, n, 25, NULL, 0);
  int32_t *all = malloc(sizeof(int32_t) * 2 * (size_t)c),
          *ref = malloc(sizeof(int32_t) * 2 * (size_t)c);
  brute_radius(xy, n, 25, all, c);
  int *deg = calloc(n, sizeof(int));
  for (int cap = 1; cap <= 5; cap += 2) {
    char args[128];
    snprintf(args, sizeof args, "mode='radius', radius=25, degree_cap=%d", cap);
    cr_assert_eq(load(ctx, args, &p), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *e = edges_of(p);
    memset(deg, 0, sizeof(int) * n);
    for (int k = 0; k < e->count; k++) {
      deg[e->ij[2 * k]]++;
      deg[e->ij[2 * k + 1]]++;
    }
    for (int i = 0; i < n; i++)
      cr_assert_leq(deg[i], cap, "point %d has degree %d > %d", i, deg[i], cap);
    int mr = greedy_cap(xy, n, all, (int)c, cap, ref);
    assert_same_edges(e->ij, e->count, ref, mr, "degree cap");
    ysg_pipeline_destroy(p);
  }
  cr_assert_eq(load(ctx, "mode='radius', radius=25, delta_y_cap=5", &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  int mr = 0;
  for (long k = 0; k < c; k++)
    if (fabsf(xy[2 * all[2 * k] + 1] - xy[2 * all[2 * k + 1] + 1]) <= 5) {
      ref[2 * mr] = all[2 * k];
      ref[2 * mr + 1] = all[2 * k + 1];
      mr++;
    }
  cr_assert_lt(mr, c, "the lattice has vertical links for the cap to drop");
  const ysg_value *e = edges_of(p);
  assert_same_edges(e->ij, e->count, ref, mr, "delta_y cap");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(all);
  free(ref);
  free(deg);
  free(xy);
}

/* ---- hysteresis
 * ---------------------------------------------------------------------------------- */
#define HN 300
#define HF 40

/* frame f of a jittered sequence: fixed base positions, ±2.5 px hashed jitter; ids reversed and
 * the rows rotated by f so indices change every frame while ids stay */
static void jitter_frame(int f, int shuffle) {
  G.n = HN;
  G.ids = 1;
  for (int r = 0; r < HN; r++) {
    int id = shuffle ? (r + 7 * f) % HN : r;
    G.id[r] = 1000 + id;
    G.xy[2 * r] =
        (float)(uni(99, 2 * (uint64_t)id) * 700 + (uni(f + 500, 2 * (uint64_t)id) - 0.5) * 5);
    G.xy[2 * r + 1] =
        (float)(uni(99, 2 * (uint64_t)id + 1) * 500 + (uni(f + 900, 2 * (uint64_t)id) - 0.5) * 5);
  }
}

/* edges of a frame as sorted id pairs */
typedef struct idset {
  int m;
  int32_t e[HN * 16 * 2];
  float ref[HN * 16];
} idset;

static void to_ids(const ysg_value *e, idset *s) {
  s->m = e->count;
  for (int k = 0; k < e->count; k++) {
    int32_t a = G.id[e->ij[2 * k]], b = G.id[e->ij[2 * k + 1]];
    s->e[2 * k] = a < b ? a : b;
    s->e[2 * k + 1] = a < b ? b : a;
  }
  s->m = sort_unique(s->e, s->m);
}

static int find_pair(const idset *s, int32_t a, int32_t b) {
  for (int k = 0; k < s->m; k++)
    if (s->e[2 * k] == a && s->e[2 * k + 1] == b) return k;
  return -1;
}

static int changes(const idset *a, const idset *b) {
  int c = 0;
  for (int k = 0; k < a->m; k++) c += find_pair(b, a->e[2 * k], a->e[2 * k + 1]) < 0;
  for (int k = 0; k < b->m; k++) c += find_pair(a, b->e[2 * k], b->e[2 * k + 1]) < 0;
  return c;
}

static int row_of(int32_t id) {
  for (int r = 0; r < G.n; r++)
    if (G.id[r] == id) return r;
  return -1;
}

/* the rule, modelled directly: knn(k=3) ∪ {previous edges no longer than ref + h}; an edge
 * the mode picks takes its current length as ref */
static void model_step(const idset *prev, idset *next, float h) {
  int32_t knn[HN * 3 * 2];
  int mk = brute_knn(G.xy, G.n, 3, knn);
  next->m = 0;
  for (int k = 0; k < mk; k++) {
    int32_t a = G.id[knn[2 * k]], b = G.id[knn[2 * k + 1]];
    next->e[2 * next->m] = a < b ? a : b;
    next->e[2 * next->m + 1] = a < b ? b : a;
    next->ref[next->m] = sqrtf(d2(G.xy, knn[2 * k], knn[2 * k + 1]));
    next->m++;
  }
  for (int k = 0; k < prev->m && h > 0; k++) { /* 0: off */
    int ra = row_of(prev->e[2 * k]), rb = row_of(prev->e[2 * k + 1]);
    if (find_pair(next, prev->e[2 * k], prev->e[2 * k + 1]) >= 0) continue;
    if (sqrtf(d2(G.xy, ra, rb)) <= prev->ref[k] + h) {
      next->e[2 * next->m] = prev->e[2 * k];
      next->e[2 * next->m + 1] = prev->e[2 * k + 1];
      next->ref[next->m] = prev->ref[k];
      next->m++;
    }
  }
}

static void same_set(const idset *got, const idset *ref, int f) {
  cr_assert_eq(got->m, ref->m, "frame %d: %d edges, model %d", f, got->m, ref->m);
  for (int k = 0; k < ref->m; k++)
    cr_assert_geq(find_pair(got, ref->e[2 * k], ref->e[2 * k + 1]), 0,
                  "frame %d: model edge (%d, %d) missing", f, ref->e[2 * k], ref->e[2 * k + 1]);
}

/* total edge changes over the sequence; checks every frame against the model */
static int run_sequence(float h, int shuffle, idset *last) {
  static idset prev, cur, mprev, mcur;
  ysg_context *ctx = ctx_new(2);
  ysg_pipeline *p;
  char args[128];
  snprintf(args, sizeof args, "mode='knn', k=3, hysteresis=%g", h);
  cr_assert_eq(load(ctx, args, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  int total = 0;
  mprev.m = 0;
  for (int f = 0; f < HF; f++) {
    jitter_frame(f, shuffle);
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    to_ids(edges_of(p), &cur);
    model_step(&mprev, &mcur, h);
    same_set(&cur, &mcur, f);
    mprev = mcur;
    if (f > 0) total += changes(&prev, &cur);
    prev = cur;
  }
  *last = cur;
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return total;
}

Test(graph, hysteresis_reduces_churn) {
  static idset a, b, c;
  int plain = run_sequence(0, 0, &a);
  int sticky = run_sequence(6, 0, &b);
  cr_log_info(
      "edge changes over %d frames: %d without hysteresis, %d with 6 px (final edges %d / %d)",
      HF - 1, plain, sticky, a.m, b.m);
  cr_assert_gt(plain, 0, "the jitter must make knn flicker");
  cr_assert_lt(sticky, plain, "hysteresis: %d changes, without: %d", sticky, plain);
  /* deterministic, and matched by id: rows shuffled every frame give the same id edges */
  int again = run_sequence(6, 1, &c);
  cr_assert_eq(again, sticky);
  cr_assert_eq(changes(&b, &c), 0);
}

/* ---- degenerate inputs and errors ----------------------------------------------------------- */
Test(graph, degenerate_inputs) {
  ysg_context *ctx = ctx_new(1);
  const char *modes[] = {"mode='knn'", "mode='radius', radius=1000", "mode='delaunay'",
                         "mode='mst'"};
#ifdef YSG_HAVE_QHULL
  const int n_modes = 4;
#else
  const int n_modes = 2; /* the geometry modes need Qhull (their load error: error_texts) */
#endif
  for (int q = 0; q < n_modes; q++)
    for (int n = 0; n <= 3; n++) {
      float xy[] = {10, 10, 10, 10, 40, 50};
      set_points(xy, n);
      ysg_pipeline *p;
      cr_assert_eq(load(ctx, modes[q], &p), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s: %s", modes[q], ysg_errmsg(ctx));
      const ysg_value *e = edges_of(p);
      /* knn/radius link the duplicates at distance 0 too; delaunay/mst see 2 distinct
       * positions: the chain */
      int want = n <= 1 ? 0 : (n == 2 ? 1 : (q >= 2 ? 2 : 3));
      cr_assert_eq(e->count, want, "%s with %d points: %d edges", modes[q], n, e->count);
      for (int k = 0; k < e->count; k++) cr_assert_lt(e->ij[2 * k], e->ij[2 * k + 1]);
      ysg_pipeline_destroy(p);
    }
  ysg_context_destroy(ctx);
}

Test(graph, error_texts) {
  ysg_context *ctx = ctx_new(1);
  ysg_pipeline *p;
  float xy[40];
  for (int i = 0; i < 20; i++) {
    xy[2 * i] = (float)i;
    xy[2 * i + 1] = 3;
  }
  xy[34] = NAN;
  set_points(xy, 20);
  cr_assert_eq(load(ctx, "mode='knn'", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_DATA);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:3: node 'g' (graph): frame 0: point 17 has a non-finite coordinate (nan, 3)");
  xy[34] = 17;
  xy[5] = -INFINITY;
  set_points(xy, 20);
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_ERR_DATA);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:3: node 'g' (graph): frame 1: point 2 has a non-finite coordinate (2, -inf)");
  ysg_pipeline_destroy(p);

  xy[5] = 3;
  set_points(xy, 20);
  cr_assert_eq(load(ctx, "mode='radius', radius=5, max_edges=10", &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 4), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): parameter 'max_edges': frame 4 needs 85 radius "
                   "edges, more than the capacity of 10; raise max_edges");
  ysg_pipeline_destroy(p);

#ifdef YSG_HAVE_QHULL
  cr_assert_eq(load(ctx, "mode='voronoi', hysteresis=3", &p), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): parameter 'hysteresis': mode 'voronoi' makes new "
                   "vertices every frame, so there are no point ids to match edges by; leave "
                   "hysteresis at 0");
#endif
#ifdef YSG_HAVE_FAISS
  cr_assert_eq(load(ctx, "mode='radius', backend='faiss'", &p), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): parameter 'backend': backend 'faiss' serves mode "
                   "'knn' only, not 'radius'");
#else
  cr_assert_eq(load(ctx, "backend='faiss'", &p), YSG_ERR_UNSUPPORTED);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): parameter 'backend': this build has no FAISS "
                   "(install libfaiss-dev and rebuild), so backend 'faiss' is not available; use "
                   "backend 'grid'");
#endif
#ifndef YSG_HAVE_QHULL
  cr_assert_eq(load(ctx, "mode='mst'", &p), YSG_ERR_UNSUPPORTED);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): parameter 'mode': mode 'mst' needs Qhull, which "
                   "this build lacks (install libqhull-dev and rebuild)");
#endif
  /* duplicate ids are ambiguous for hysteresis */
  set_points(xy, 20);
  G.ids = 1;
  G.id[9] = 4;
  cr_assert_eq(load(ctx, "hysteresis=2", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'g' (graph): points 4 and 9 share id 4; hysteresis matches "
                   "edges by id");
  ysg_pipeline_destroy(p);
  G.ids = 0;
  ysg_context_destroy(ctx);
}

Test(graph, faiss_backend_node) {
#ifndef YSG_HAVE_FAISS
  cr_skip_test("built without FAISS (libfaiss-dev not found at configure time)");
#else
  float *xy = make_set(S_RANDOM, 2500, 8);
  set_points(xy, 2500);
  ysg_context *ctx = ctx_new(2);
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, "backend='faiss', k=6", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  int32_t *ref = malloc(sizeof(int32_t) * 2 * 2500 * 6);
  int mr = brute_knn(xy, 2500, 6, ref);
  const ysg_value *e = edges_of(p);
  assert_same_edges(e->ij, e->count, ref, mr, "faiss node");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(ref);
  free(xy);
#endif
}

/* ---- geometry modes through the node
 * --------------------------------------------------------------- */
static double prim_weight(const float *xy, int n) {
  double *best = malloc(sizeof(double) * n), w = 0;
  char *in = calloc(n, 1);
  for (int i = 0; i < n; i++) best[i] = INFINITY;
  best[0] = 0;
  for (int it = 0; it < n; it++) {
    int u = -1;
    for (int i = 0; i < n; i++)
      if (!in[i] && (u < 0 || best[i] < best[u])) u = i;
    in[u] = 1;
    w += best[u];
    for (int i = 0; i < n; i++)
      if (!in[i]) {
        double dx = (double)xy[2 * i] - xy[2 * u], dy = (double)xy[2 * i + 1] - xy[2 * u + 1];
        double d = sqrt(dx * dx + dy * dy);
        if (d < best[i]) best[i] = d;
      }
  }
  free(best);
  free(in);
  return w;
}

Test(graph, geometry_modes) {
#ifndef YSG_HAVE_QHULL
  cr_skip_test("built without Qhull");
#else
  const int n = 800;
  float *xy = make_set(S_RANDOM, n, 41);
  set_points(xy, n);
  ysg_context *ctx = ctx_new(1);
  ysg_pipeline *p;
  /* delaunay = the triangulation function's edges */
  cr_assert_eq(load(ctx, "mode='delaunay'", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  int32_t *ref = malloc(sizeof(int32_t) * 2 * (3 * n + 8));
  void *tmp = malloc(ysg__delaunay_tmp_bytes(n));
  int nd = 0, fb = 0;
  char err[256];
  cr_assert_eq(ysg__delaunay(xy, n, ref, 3 * n + 8, &nd, &fb, tmp, err, sizeof err), YSG_OK);
  const ysg_value *e = edges_of(p);
  assert_same_edges(e->ij, e->count, ref, nd, "delaunay node");
  cr_assert_geq(nd, 2 * n - 3, "a triangulation of %d points has at least 2n-3 edges", n);
  ysg_pipeline_destroy(p);
  /* mst: n - 1 edges of Prim's weight */
  cr_assert_eq(load(ctx, "mode='mst'", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  e = edges_of(p);
  cr_assert_eq(e->count, n - 1);
  double w = 0;
  for (int k = 0; k < e->count; k++) {
    double dx = (double)xy[2 * e->ij[2 * k]] - xy[2 * e->ij[2 * k + 1]];
    double dy = (double)xy[2 * e->ij[2 * k] + 1] - xy[2 * e->ij[2 * k + 1] + 1];
    w += sqrt(dx * dx + dy * dy);
  }
  double wp = prim_weight(xy, n);
  cr_assert(fabs(w - wp) <= 1e-9 * wp, "mst weight %.9f, Prim %.9f", w, wp);
  ysg_pipeline_destroy(p);
  /* voronoi: points output = vertices inside the canvas, edges index them */
  cr_assert_eq(load(ctx, "mode='voronoi', degree_cap=3", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  e = edges_of(p);
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "g.points", &v), YSG_OK);
  cr_assert_gt(v->count, n, "a Voronoi diagram of %d points has about 2n vertices", n);
  cr_assert_gt(e->count, n);
  cr_assert_eq(v->attrs, 0u);
  for (int i = 0; i < v->count; i++)
    cr_assert(v->xy[2 * i] >= 0 && v->xy[2 * i] <= 1920 && v->xy[2 * i + 1] >= 0 &&
              v->xy[2 * i + 1] <= 1080);
  for (int k = 0; k < e->count; k++)
    cr_assert(e->ij[2 * k] < e->ij[2 * k + 1] && e->ij[2 * k + 1] < v->count);
  ysg_pipeline_destroy(p);
  /* collinear: the chain, with one warning per run */
  for (int i = 0; i < 50; i++) {
    xy[2 * i] = 100.0f + (float)((i * 37) % 50) * 4;
    xy[2 * i + 1] = 200;
  }
  set_points(xy, 50);
  cr_assert_eq(load(ctx, "mode='delaunay'", &p), YSG_OK, "%s", ysg_errmsg(ctx));
  for (int f = 0; f < 3; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
  e = edges_of(p);
  cr_assert_eq(e->count, 49);
  cr_assert_eq(ysgt_n_warnings, 1, "one warning per run, got %d", ysgt_n_warnings);
  cr_assert(
      strstr(ysgt_warning, "node 'g' (graph)") && strstr(ysgt_warning, "linking them as a chain"),
      "%s", ysgt_warning);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(ref);
  free(tmp);
  free(xy);
#endif
}

/* ---- CPU vs CUDA
 * ----------------------------------------------------------------------------------- */
Test(graph, cuda_matches_cpu) {
  char reason[256];
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("cuda_matches_cpu skipped: %s", reason);
    cr_skip_test("no CUDA device: %s", reason);
  }
  char err[512] = "";
  int32_t st[YSG_GRAPH_STATUS_WORDS];
  for (int s = 0; s < S_COUNT; s++)
    for (int z = 0; z < N_SIZES; z++)
      for (int mode = 0; mode < 2; mode++) {
        int n = sizes[z], k = 5, cap_e = n * 32 + 16, ne = -1;
        float r = 30, *xy = make_set(s, n, 51 + (uint64_t)s);
        int32_t *cpu = malloc(sizeof(int32_t) * 2 * (size_t)cap_e),
                *gpu = malloc(sizeof(int32_t) * 2 * (size_t)cap_e);
        void *tmp = malloc(mode ? ysg__graph_radius_tmp_bytes(n) : ysg__graph_knn_tmp_bytes(n, k));
        long m = mode ? ysg__graph_radius(NULL, xy, n, r, cpu, cap_e, tmp)
                      : ysg__graph_knn(NULL, xy, n, k, cpu, cap_e, tmp);
        double ms;
        cr_assert_eq(
            ysg__cuda_graph_host(mode, xy, n, k, r, gpu, cap_e, &ne, st, 1, &ms, err, sizeof err),
            YSG_OK, "%s", err);
        char what[128];
        snprintf(what, sizeof what, "cuda %s %s n=%d", mode ? "radius" : "knn", set_names[s], n);
        cr_assert_eq(st[YSG_GRAPH_STATUS_BAD], -1, "%s", what);
        if (m < 0) { /* over capacity: both report the full count, the device writes nothing */
          cr_assert_eq(st[YSG_GRAPH_STATUS_NEEDED], (int32_t)(-m - 1), "%s", what);
          cr_assert_eq(ne, 0, "%s", what);
        } else {
          cr_assert_eq(st[YSG_GRAPH_STATUS_NEEDED], (int32_t)m, "%s", what);
          assert_same_edges(gpu, ne, cpu, m, what);
        }
        free(cpu);
        free(gpu);
        free(tmp);
        if (n == 1000 && mode == 0) { /* a non-finite point: reported, no edges */
          xy[2 * 417 + 1] = NAN;
          cr_assert_eq(
              ysg__cuda_graph_host(mode, xy, n, k, r, NULL, 0, &ne, st, 0, &ms, err, sizeof err),
              YSG_OK, "%s", err);
          cr_assert_eq(st[YSG_GRAPH_STATUS_BAD], 417);
          cr_assert_eq(ne, 0);
        }
        free(xy);
      }
}
