/* test_cuda_nodes_devB.c — the device paths of curve, graph, blur, glow, blur_region and particles
 * against their CPU nodes (the reference), through whole pipelines loaded on both backends: random
 * inputs from host-only test sources (points whose count changes every frame, junk past the count;
 * sparse images with junk under empty tiles), animated parameters over several frames (so the
 * parameter blocks are proven under CUDA Graph replay), odd, 1×1 and empty inputs, inputs that
 * fill a capacity exactly, and the device capacity checks, whose counts must equal the CPU's.
 * Without a device the comparisons skip with the probe's reason; the wiring tests always run. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_compare.h"
#include "color.h"
#include "internal.h"
#include "util.h"

/* Tolerances (largest per-value difference, linear premultiplied FP16 for images, px for curves):
 * EXACT — edges and copied points: the same YSG_HD search and integer rules on both sides.
 * CURVE_TOL 1e-3 px — curve math is double on both sides; nvcc's FMA contraction moves roundings
 *   (tests/test_curve.c sees ≤ 1e-4 px near the origin; here coordinates reach 200 px).
 * BLUR_TOL 2e-3 — tests/test_blur.c's bound; the box cascade runs as its exact equivalent kernel on
 *   the device. GLOW_TOL 4e-3 — glow values reach 2.4, where one FP16 step is 2e-3.
 * REGION_TOL 1e-3 — tests/test_blur_region.c's bound is |v|/2048 + 2e-5 for values ≤ 1.
 * PARTICLES_TOL 3e-3 — tests/test_particles.c's 2e-3, plus curves from the device curve node that
 *   may differ by CURVE_TOL px. Chains of two blurs add their bounds. */
#define EXACT 0.0f
#define CURVE_TOL 1e-3f
#define BLUR_TOL 2e-3f
#define GLOW_TOL 4e-3f
#define REGION_TOL 1e-3f
#define PARTICLES_TOL 3e-3f

/* ---- host-only test sources ------------------------------------------------------------------ */

/* tpts: cap points with ids, `counts` (cycled per frame) of them valid, positions random in the
 * canvas every frame (snapped to multiples of `snap` when > 0: ties and duplicates); rows past
 * the count hold junk; point nan_index is NaN on frame nan_frame */
enum { TQ_CAP, TQ_COUNTS, TQ_SEED, TQ_SNAP, TQ_NAN_FRAME, TQ_NAN_INDEX, TQ_N };
static const ysg_param_def tpts_params[TQ_N] = {
    {"cap", YSG_PARAM_INT, "16", 1, 1e6, NULL, YSG_PARAM_STATIC, "capacity"},
    {"counts", YSG_PARAM_STRING, "", 0, 0, NULL, YSG_PARAM_STATIC, "counts per frame, cycled"},
    {"seed", YSG_PARAM_INT, "1", 0, 1e6, NULL, YSG_PARAM_STATIC, "seed"},
    {"snap", YSG_PARAM_NUMBER, "0", 0, 1e6, NULL, YSG_PARAM_STATIC, "px grid of the positions"},
    {"nan_frame", YSG_PARAM_INT, "-1", -1, 1e6, NULL, YSG_PARAM_STATIC, "frame with a NaN"},
    {"nan_index", YSG_PARAM_INT, "0", 0, 1e6, NULL, YSG_PARAM_STATIC, "the point made NaN"},
};
static const ysg_port_def tpts_out[] = {{"points", YSG_POINTS, 0, "the points", NULL, 0}};

static ysg_status tpts_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = ysg_node_int(n, TQ_CAP);
  ysg_node_output(n, 0)->attrs = YSG_ATTR_ID | YSG_ATTR_RADIUS;
  return YSG_OK;
}

static int count_of(const ysg_node *n, int frame, int cap) {
  const char *s = ysg_node_string(n, TQ_COUNTS);
  int len = 0, c[64];
  while (s && *s && len < 64) {
    char *end;
    c[len++] = (int)strtol(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
    if (end == s && *s) break;
  }
  int want = len ? c[frame % len] : cap;
  return want < cap ? want : cap;
}

static ysg_status tpts_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  int cap = v->capacity, count = count_of(n, f->index, cap);
  uint64_t seed = (uint64_t)ysg_node_int(n, TQ_SEED) * 104729u + (uint64_t)f->index;
  double snap = ysg_node_number(n, TQ_SNAP);
  for (int i = 0; i < cap; i++) {
    double x = ysgt_u01(seed, 2 * (uint64_t)i) * f->width,
           y = ysgt_u01(seed, 2 * (uint64_t)i + 1) * f->height;
    if (snap > 0) x = floor(x / snap) * snap, y = floor(y / snap) * snap;
    int valid = i < count;
    v->xy[2 * i] = valid ? (float)x : 1e30f;
    v->xy[2 * i + 1] = valid ? (float)y : NAN;
    v->id[i] = valid ? 1000 + 7 * i : -99;
    v->radius[i] = 2.0f;
  }
  if (f->index == ysg_node_int(n, TQ_NAN_FRAME) && ysg_node_int(n, TQ_NAN_INDEX) < count)
    v->xy[2 * ysg_node_int(n, TQ_NAN_INDEX) + 1] = NAN;
  v->count = count;
  v->attrs = YSG_ATTR_ID | YSG_ATTR_RADIUS;
  return YSG_OK;
}

static const ysg_node_type tpts_type = {
    .name = "tpts",
    .category = "source",
    .doc = "test: random points, counts per frame",
    .outputs = tpts_out,
    .n_outputs = 1,
    .params = tpts_params,
    .n_params = TQ_N,
    .flags = YSG_NODE_HOST,
    .infer = tpts_infer,
    .run = tpts_run,
};

static ysg_context *ctx_new(void) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &ysgt_rimg_type), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &tpts_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static ysg_status load(ysg_context *ctx, const char *src, ysg_backend backend,
                       const char *const *keep, int n_keep, ysg_pipeline **p) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = n_keep;
  lo.output_dir = ysgt_tmpdir();
  lo.backend = backend;
  *p = NULL;
  return ysg_pipeline_load_string(ctx, src, "test.lua", &lo, p);
}

static int n_names(const char *list) {
  int n = list && *list ? 1 : 0;
  for (; n && *list; list++) n += *list == ',';
  return n;
}

/* ysgt_backends_match with the test sources registered, also requiring that every node named in
 * `dev` (comma-separated) runs on the device and every one in `host` on the host. */
static float match(const char *src, const char *const *keep, int n_keep, int frames, float tol,
                   const char *dev, const char *host) {
  ysgt_require_cuda();
  ysg_context *ctx = ctx_new();
  ysg_pipeline *pc, *pg;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, keep, n_keep, &pc), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, keep, n_keep, &pg), YSG_OK, "%s", ysg_errmsg(ctx));
  char d[256], h[256];
  snprintf(d, sizeof d, ",%s,", dev ? dev : "");
  snprintf(h, sizeof h, ",%s,", host ? host : "");
  int listed = n_names(dev) + n_names(host), found = 0;
  for (int i = 0; i < ysg_pipeline_node_count(pg); i++) {
    ysg_node_info ni;
    cr_assert_eq(ysg_pipeline_node_info(pg, i, &ni), YSG_OK);
    char pat[128];
    snprintf(pat, sizeof pat, ",%s,", ni.name);
    if (strstr(d, pat)) {
      found++;
      cr_expect(ni.on_device, "node '%s' should run on the device", ni.name);
    }
    if (strstr(h, pat)) {
      found++;
      cr_expect(!ni.on_device, "node '%s' should run on the host", ni.name);
    }
  }
  cr_assert_eq(found, listed, "not every node of '%s' / '%s' is in the pipeline", d, h);
  float worst = 0.0f;
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < n_keep; i++) {
      const ysg_value *a = NULL, *b = NULL;
      cr_assert_eq(ysg_pipeline_get_value(pc, keep[i], &a), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_get_value(pg, keep[i], &b), YSG_OK, "%s", ysg_errmsg(ctx));
      float d = ysgt_value_diff(a, b);
      cr_expect(d <= tol,
                "frame %d, %s: CPU and CUDA differ by %g (tolerance %g; counts %d, %d)\n%s", f,
                keep[i], (double)d, (double)tol, a->count, b->count, src);
      if (d > worst) worst = d;
    }
  }
  cr_assert_eq(ysg_pipeline_flush(pg), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
  return worst;
}

/* The CPU run of frame 0 fails with a message holding `needle` followed by a count: return it.
 * The CUDA run must then fail (at the frame or when flushed) with exactly `fmt` filled with it. */
static int needed_on_cpu(const char *src, const char *needle) {
  ysg_context *ctx = ctx_new();
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, NULL, 0, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT, "%s", ysg_errmsg(ctx));
  const char *at = strstr(ysg_errmsg(ctx), needle);
  cr_assert_not_null(at, "'%s' not in: %s", needle, ysg_errmsg(ctx));
  int need = atoi(at + strlen(needle));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return need;
}

static void cuda_fails_with(const char *src, int frames, const char *want) {
  ysg_context *ctx = ctx_new();
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, NULL, 0, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_status s = YSG_OK;
  for (int f = 0; f < frames && !s; f++) s = ysg_pipeline_run_frame(p, f);
  if (!s) s = ysg_pipeline_flush(p); /* device checks are read after the frame */
  cr_expect_eq(s, YSG_ERR_LIMIT, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_expect_str_eq(ysg_errmsg(ctx), want);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

#define KEEP(...) ((const char *const[]){__VA_ARGS__})

/* ---- wiring (runs without a device) ---------------------------------------------------------- */

Test(devB, device_paths_are_wired) {
  ysg_context *ctx = ctx_new();
  const char *names[] = {"curve", "graph", "blur", "glow", "blur_region", "particles"};
  for (int i = 0; i < 6; i++) {
    const ysg_node_type *t = ysg_node_type_find(ctx, names[i]);
    cr_assert_not_null(t, "%s", names[i]);
#ifdef YSG_HAVE_CUDA
    cr_expect(t->device && t->device->infer && t->device->prepare && t->device->run,
              "%s: device infer, prepare and run", names[i]);
    cr_expect(!t->device || !t->device->supported || i == 1, "%s: no device mode is refused",
              names[i]);
#else
    cr_expect_null(t->device, "%s: no device path without CUDA", names[i]);
#endif
  }
  ysg_context_destroy(ctx);
}

/* graph instances with degree_cap or hysteresis that may be on, delaunay/mst/voronoi and FAISS
 * have no kernels: `supported` sends them to the host. */
Test(devB, graph_runs_on_the_device_only_where_it_has_kernels) {
#ifdef YSG_HAVE_CUDA
  struct {
    const char *args;
    int want;
  } cases[] = {
      {"k=3", 1},
      {"mode='radius', radius=10", 1},
      {"delta_y_cap=function(f, t) return 5 + f end", 1},
      {"radius=function(f, t) return 5 + f end, mode='radius'", 1},
      {"degree_cap=0, hysteresis=0", 1},
      {"degree_cap=2", 0},
      {"hysteresis=4", 0},
      {"hysteresis=function(f, t) return 0 end", 0},
      {"degree_cap=function(f, t) return 0 end", 0},
#ifdef YSG_HAVE_QHULL
      {"mode='delaunay'", 0},
      {"mode='mst'", 0},
      {"mode='voronoi'", 0},
#endif
#ifdef YSG_HAVE_FAISS
      {"backend='faiss'", 0},
#endif
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ysg_context *ctx = ctx_new();
    char src[512];
    snprintf(src, sizeof src,
             "canvas{width=64,height=48}\nlocal s = tpts{cap=8}\ngraph{points=s, name='g', %s}\n",
             cases[i].args);
    ysg_pipeline *p;
    cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, NULL, 0, &p), YSG_OK, "%s: %s", cases[i].args,
                 ysg_errmsg(ctx));
    const ysg_node *n = ysg__node_find(p, "g");
    cr_assert_not_null(n);
    const ysg_device_ops *d = ysg_node_get_type(n)->device;
    cr_assert(d && d->supported);
    cr_expect_eq(d->supported(n), cases[i].want, "%s", cases[i].args);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
#else
  cr_skip_test("this build has no CUDA support: no device ops to ask");
#endif
}

/* ---- curve ------------------------------------------------------------------------------------
 */

Test(devB, curve_families_match_with_animated_parameters) {
  const char *cases[] = {
      "type='cubic_bezier', overshoot=function(f, t) return 0.1 + 0.2 * f end",
      "type='quadratic_bezier', overshoot=-0.4, samples=2",
      "type='electric', amplitude=function(f, t) return 3 + f end, speed=2, seed=7",
      "type='logarithmic_spiral', turns=function(f, t) return 0.25 * f - 0.5 end, samples=64",
      "type='gravitational', gravity=function(f, t) return 0.5 - 0.3 * f end",
      "type='fourier_series', harmonics=function(f, t) return 1.5 + f end, amplitude=5",
      "type='catmull_rom', tension=0.2",
      "type='elastic', stiffness=function(f, t) return 0.2 * f end",
      "type='field_lines', strength=-0.7",
      "type='wave', frequency=3, amplitude=function(f, t) return 4 - f end",
      "type='straight'",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char src[1024];
    snprintf(src, sizeof src,
             "canvas{width=37,height=23,frames=4,fps=10}\n"
             "local s = tpts{cap=24, counts='24,17,24,9', seed=%d}\n"
             "local g = graph{points=s, k=3, name='g'}\n"
             "curve{points=g.points, edges=g.edges, name='c', %s%s}\n",
             (int)i + 3, cases[i], strstr(cases[i], "samples") ? "" : ", samples=17");
    match(src, KEEP("c", "g.edges"), 2, 4, CURVE_TOL, "g,c", NULL);
  }
}

/* counts from the device headers: 6, 0, 3, 1 points and 5, 0, 2, 1 edges, some naming points
 * past this frame's count (skipped on both paths); particles on the same straight edges */
Test(devB, curve_and_particles_follow_per_frame_counts) {
  const char *dir = ysgt_tmpdir(), *path = "e.csv";
  cr_assert_eq(chdir(dir), 0); /* sandboxed pipelines read files relative to the pipeline */
  ysgt_write(dir, path,
             "frame,i,j\n0,0,1\n0,1,5\n0,2,3\n0,0,2\n0,4,5\n"
             "2,0,1\n2,1,2\n3,0,1\n");
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=40,height=30,frames=4,fps=10}\n"
           "local s = tpts{cap=6, counts='6,0,3,1'}\n"
           "local e = edges{path='%s'}\n"
           "curve{points=s, edges=e, type='cubic_bezier', samples=9, name='c'}\n"
           "particles{points=s, edges=e, count=3, trail=12, name='p',\n"
           "          size=function(f, t) return 1.5 + f end}\n",
           path);
  match(src, KEEP("c"), 1, 4, CURVE_TOL, "c,p", NULL);
  match(src, KEEP("p"), 1, 4, PARTICLES_TOL, "c,p", NULL);
}

/* ---- graph ------------------------------------------------------------------------------------
 */

Test(devB, graph_knn_and_radius_match_exactly) {
  const char *src =
      "canvas{width=200,height=150,frames=4,fps=10}\n"
      "local s = tpts{cap=300, counts='300,250,300,1', seed=9}\n"
      "local g = graph{points=s, k=5, name='g',\n"
      "  delta_y_cap=function(f, t) if f == 1 then return -1 end return 8 + 10 * f end}\n"
      "local r = graph{points=s, mode='radius', name='r', radius=function(f, t) return 6 + 4 * f "
      "end}\n"
      "local w = graph{points=s, k=64, name='w'}\n"
      "local one = graph{points=s, k=1, name='one'}\n";
  match(src, KEEP("g.edges", "g.points", "r.edges", "r.points", "w.edges", "one.edges"), 6, 4,
        EXACT, "g,r,w,one", NULL);
}

/* lattice points: exact distance ties and duplicates, where only the index rules decide */
Test(devB, graph_ties_and_duplicates_match_exactly) {
  const char *src =
      "canvas{width=64,height=48,frames=3,fps=10}\n"
      "local s = tpts{cap=120, snap=8, seed=4}\n"
      "local g = graph{points=s, k=4, name='g'}\n"
      "local r = graph{points=s, mode='radius', radius=8, name='r'}\n";
  match(src, KEEP("g.edges", "r.edges"), 2, 3, EXACT, "g,r", NULL);
}

/* 0, 1 and 2 points, a 1×1 canvas; curves and particles over the empty results */
Test(devB, graph_curve_particles_on_empty_and_tiny_inputs) {
  const char *canv[] = {"width=1,height=1", "width=37,height=23"};
  const char *counts[] = {"0", "1", "2", "0,2,1"};
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 4; k++) {
      char src[1024];
      snprintf(src, sizeof src,
               "canvas{%s,frames=3,fps=10}\n"
               "local s = tpts{cap=2, counts='%s'}\n"
               "local g = graph{points=s, k=2, name='g'}\n"
               "local r = graph{points=s, mode='radius', radius=50, name='r'}\n"
               "local c = curve{points=g.points, edges=g.edges, samples=5, name='c'}\n"
               "particles{curves=c, count=2, name='p'}\n"
               "particles{points=r.points, edges=r.edges, count=2, name='q'}\n",
               canv[c], counts[k]);
      match(src, KEEP("g.edges", "g.points", "r.edges", "c"), 4, 3, CURVE_TOL, "g,r,c,p,q", NULL);
      match(src, KEEP("p", "q"), 2, 3, PARTICLES_TOL, "g,r,c,p,q", NULL);
    }
}

/* caps without kernels: the graph runs on the host inside a CUDA pipeline, feeding device nodes */
Test(devB, graph_with_host_only_caps_feeds_device_nodes) {
  const char *src =
      "canvas{width=120,height=90,frames=3,fps=10}\n"
      "local s = tpts{cap=80, counts='80,60,80'}\n"
      "local g = graph{points=s, k=4, degree_cap=2, name='g'}\n"
      "local c = curve{points=g.points, edges=g.edges, samples=7, name='c'}\n";
  match(src, KEEP("g.edges", "c"), 2, 3, CURVE_TOL, "c", "g");
}

/* the edge capacity filled exactly works; one short fails with the CPU's count */
Test(devB, graph_capacity_full_and_overflow) {
  ysgt_require_cuda();
  const char *fmt =
      "canvas{width=64,height=48,frames=1,fps=10}\n"
      "local s = tpts{cap=40, seed=2}\n"
      "local g = graph{points=s, k=4, max_edges=%d, name='g'}\n"
      "local c = curve{points=g.points, edges=g.edges, samples=5, name='c'}\n"
      "particles{curves=c, count=2, name='p', bin_capacity=%d}\n";
  char src[1024], want[512];
  snprintf(src, sizeof src, fmt, 1, 0);
  int need = needed_on_cpu(src, "frame 0 needs ");
  cr_assert_gt(need, 1);
  snprintf(want, sizeof want,
           "test.lua:3: node 'g' (graph): frame 0 needs %d knn edges, more than the capacity 1",
           need);
  cuda_fails_with(src, 1, want);
  /* frame 0 fills max_edges = need exactly (later frames would be other points) */
  snprintf(src, sizeof src, fmt, need, 0);
  match(src, KEEP("g.edges", "c"), 2, 1, CURVE_TOL, "g,c,p", NULL);
  /* the particles' tile references: full, then one short */
  snprintf(src, sizeof src, fmt, need, 1);
  int refs = needed_on_cpu(src, "frame 0 needs ");
  cr_assert_gt(refs, 1);
  snprintf(want, sizeof want,
           "test.lua:5: node 'p' (particles): frame 0 needs %d tile references, more than the "
           "capacity 1",
           refs);
  cuda_fails_with(src, 1, want);
  snprintf(src, sizeof src, fmt, need, refs); /* both capacities exactly full */
  match(src, KEEP("p"), 1, 1, PARTICLES_TOL, "g,c,p", NULL);
}

Test(devB, graph_non_finite_point_fails_after_the_frame) {
  ysgt_require_cuda();
  cuda_fails_with(
      "canvas{width=64,height=48,frames=3,fps=10}\n"
      "local s = tpts{cap=10, nan_frame=1, nan_index=3}\n"
      "graph{points=s, k=2, name='g'}\n",
      2,
      "test.lua:3: node 'g' (graph): frame 1 needs 1 points with a non-finite "
      "coordinate, more than the capacity 0");
}

/* ---- blur and glow ----------------------------------------------------------------------------
 */

Test(devB, blur_matches_with_animated_sigma_every_edge_mode_and_size) {
  const char *sizes[] = {"width=37,height=23", "width=1,height=1", "width=70,height=50"};
  const char *edges[] = {"transparent", "clamp", "reflect"};
  const double fills[] = {0.35, 1, 0};
  for (int s = 0; s < 3; s++)
    for (int e = 0; e < 3; e++) {
      char src[1024];
      /* sigma 0 (a copy), 3.5 and 7 (exact kernels), 10.5 (the box cascade) */
      snprintf(src, sizeof src,
               "canvas{%s,frames=4,fps=10}\n"
               "local i = rimg{seed=%d, fill=%g}\n"
               "blur{image=i, name='o', edge='%s', sigma=function(f, t) return 3.5 * f end}\n",
               sizes[s], 3 * s + e, fills[(s + e) % 3], edges[e]);
      match(src, KEEP("o"), 1, 4, BLUR_TOL, "o", NULL);
    }
}

Test(devB, glow_matches_with_animated_settings) {
  const char *edges[] = {"transparent", "clamp", "reflect"};
  for (int e = 0; e < 3; e++) {
    char src[1024];
    snprintf(src, sizeof src,
             "canvas{width=53,height=41,frames=4,fps=10}\n"
             "local i = rimg{seed=%d, fill=0.3}\n"
             "glow{image=i, name='o', edge='%s', sigma=function(f, t) return 1 + 3.2 * f end,\n"
             "     intensity=function(f, t) return 0.5 + 0.3 * f end,\n"
             "     threshold=function(f, t) return 0.1 * f end}\n",
             11 + e, edges[e]);
    match(src, KEEP("o"), 1, 4, GLOW_TOL, "o", NULL);
  }
}

/* a chain: the second blur (and glow) may work in place on the first one's buffer */
Test(devB, chained_blurs_match) {
  const char *src =
      "canvas{width=48,height=40,frames=3,fps=10}\n"
      "local i = rimg{seed=21, fill=0.2}\n"
      "local a = blur{image=i, sigma=2, name='a'}\n"
      "local b = blur{image=a, name='b', sigma=function(f, t) return 1 + 5 * f end}\n"
      "glow{image=b, sigma=3, intensity=0.5, name='o'}\n";
  match(src, KEEP("o"), 1, 3, 2 * BLUR_TOL + GLOW_TOL, "a,b,o", NULL);
}

/* ---- blur_region ------------------------------------------------------------------------------
 */

Test(devB, blur_region_points_match_with_per_frame_counts) {
  const char *sizes[] = {"width=61,height=45", "width=1,height=1"};
  for (int s = 0; s < 2; s++) {
    char src[1024];
    snprintf(
        src, sizeof src,
        "canvas{%s,frames=4,fps=10}\n"
        "local i = rimg{seed=%d, fill=0.6}\n"
        "local p = tpts{cap=5, counts='5,0,2,5'}\n"
        "blur_region{image=i, points=p, name='o', radius=function(f, t) return 4 + 3 * f end,\n"
        "  opacity=function(f, t) return 1 - 0.2 * f end, falloff=5, sigma=3}\n",
        sizes[s], 31 + s);
    match(src, KEEP("o"), 1, 4, REGION_TOL, "o", NULL);
  }
}

Test(devB, blur_region_boxes_match_and_check_their_bins) {
  ysgt_require_cuda();
  const char *dir = ysgt_tmpdir(), *path = "b.csv";
  cr_assert_eq(chdir(dir), 0); /* sandboxed pipelines read files relative to the pipeline */
  ysgt_write(dir, path,
             "frame,x,y,w,h\n0,3,4,20,12\n0,30,20,25,18\n0,-5,-5,8,8\n"
             "1,10,10,30,20\n2,40,1,20,40\n2,0,30,64,10\n");
  const char *fmt =
      "canvas{width=64,height=48,frames=%d,fps=10}\n"
      "local i = rimg{seed=41, fill=0.5}\n"
      "local b = boxes{path='%s'}\n"
      "local c = blur{image=i, sigma=1, name='c'}\n"
      "blur_region{image=c, boxes=b, name='o', corner=4, falloff=3, bin_capacity=%d,\n"
      "  sigma=function(f, t) return 1 + 2 * f end}\n";
  char src[1024], want[512];
  snprintf(src, sizeof src, fmt, 4, path, 0);
  match(src, KEEP("o"), 1, 4, BLUR_TOL + REGION_TOL, "c,o", NULL);
  snprintf(src, sizeof src, fmt, 1, path, 1);
  int need = needed_on_cpu(src, "this frame needs ");
  cr_assert_gt(need, 1);
  snprintf(want, sizeof want,
           "test.lua:5: node 'o' (blur_region): frame 0 needs %d tile references, more than the "
           "capacity 1",
           need);
  cuda_fails_with(src, 1, want);
  snprintf(src, sizeof src, fmt, 1, path, need); /* exactly full */
  match(src, KEEP("o"), 1, 1, BLUR_TOL + REGION_TOL, "c,o", NULL);
}

/* ---- particles --------------------------------------------------------------------------------
 */

Test(devB, particles_on_device_curves_match) {
  const char *units[] = {"fraction", "px"};
  for (int u = 0; u < 2; u++) {
    char src[1024];
    snprintf(
        src, sizeof src,
        "canvas{width=97,height=67,frames=4,fps=10}\n"
        "local s = tpts{cap=30, counts='30,12,30,20', seed=%d}\n"
        "local g = graph{points=s, k=2}\n"
        "local c = curve{points=g.points, edges=g.edges, type='quadratic_bezier', samples=12}\n"
        "particles{curves=c, count=4, speed_unit='%s', speed=%s, jitter=0.4, trail=15,\n"
        "  glow=function(f, t) return 2 * f end, opacity=function(f, t) return 1 - 0.2 * f "
        "end,\n"
        "  size=2.5, color='#ffb040', name='p'}\n",
        51 + u, units[u], u ? "40" : "0.3");
    match(src, KEEP("p"), 1, 4, PARTICLES_TOL, "p", NULL);
  }
}
