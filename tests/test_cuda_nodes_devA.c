/* test_cuda_nodes_devA.c — the device paths of fill, gradient, merge, dot, bbox, line and png
 * against their CPU nodes (the reference), through whole pipelines loaded on both backends:
 * random inputs from host-only test sources (counts that change every frame, 0 and the full
 * capacity among them, junk past the count and in attribute arrays on frames whose attrs do not
 * list them; sparse images with junk under empty tiles), animated parameters over several frames
 * (the parameter blocks under CUDA Graph replay), 1×1, odd and tile-multiple canvases, the device
 * capacity checks (whose counts must equal the CPU's), and PNG files that must be byte-identical.
 * Every scene is first rendered on the CPU here (so it is valid and draws something); the
 * comparisons skip without a device. The sRGB converter's math (cuda/convert_api.h) is plain C
 * and is checked against the CPU png encoder everywhere. */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cuda/convert_api.h"
#include "backend_compare.h"
#include "color.h"
#include "internal.h"
#include "util.h"

/* Tolerances: the largest per-value difference of linear premultiplied FP16 values.
 * EXACT — fill: both sides store the same float. PNG files are compared byte for byte.
 * GRAD_TOL 1e-3 — blend.h's gradient; nvcc contracts p·d + 0.5 and the mix into FMAs.
 * MERGE_TOL 2e-3 — blend.h on both sides (tests/test_cuda.c: 1e-3, relative above 1); add-mode
 *   sums here reach 2, where one FP16 step is 2e-3.
 * RENDER_TOL 1e-3 — dot_math.h / bbox_math.h / line_math.h on both sides (tests/test_bbox_cuda.c
 *   and test_line_cuda.c bound the kernels at 1e-3; FMA contraction moves roundings). */
#define EXACT 0.0f
#define GRAD_TOL 1e-3f
#define MERGE_TOL 2e-3f
#define RENDER_TOL 1e-3f

/* ---- host-only test sources ------------------------------------------------------------------ */

/* counts "a,b,c" cycled over frames, at most cap (empty: cap every frame) */
static int count_of(const char *s, int frame, int cap) {
  int len = 0, c[64];
  while (s && *s && len < 64) {
    char *end;
    c[len++] = (int)strtol(s, &end, 10);
    if (end == s) break;
    s = *end == ',' ? end + 1 : end;
  }
  int want = len ? c[frame % len] : cap;
  return want < cap ? (want > 0 ? want : 0) : cap;
}

/* rpts / rboxes / redges: `cap` elements, counts cycled per frame, random in (a margin around)
 * the canvas; rows past the count hold junk. Points and boxes carry ids (tracks that come and
 * go), radii, and rgba on frames f with f % rgba_every == 0 (junk there on other frames). */
enum { R_CAP, R_COUNTS, R_SEED, R_RGBA_EVERY, R_RANGE, R_N };
static const ysg_param_def r_params[R_N] = {
    {"cap", YSG_PARAM_INT, "16", 1, 1e6, NULL, YSG_PARAM_STATIC, "capacity"},
    {"counts", YSG_PARAM_STRING, "", 0, 0, NULL, YSG_PARAM_STATIC, "counts per frame, cycled"},
    {"seed", YSG_PARAM_INT, "1", 0, 1e6, NULL, YSG_PARAM_STATIC, "seed"},
    {"rgba_every", YSG_PARAM_INT, "0", 0, 1e6, NULL, YSG_PARAM_STATIC,
     "frames f % rgba_every == 0 carry colours (0: never)"},
    {"range", YSG_PARAM_INT, "16", 1, 1e6, NULL, YSG_PARAM_STATIC, "edges: indices below range"},
};
static const ysg_port_def rpts_out[] = {{"points", YSG_POINTS, 0, "the points", NULL, 0}};
static const ysg_port_def rboxes_out[] = {{"boxes", YSG_BOXES, 0, "the boxes", NULL, 0}};
static const ysg_port_def redges_out[] = {{"edges", YSG_EDGES, 0, "the edges", NULL, 0}};

static uint32_t r_attrs(const ysg_node *n, const ysg_value *v, int frame) {
  if (v->type == YSG_EDGES) return 0u;
  int every = ysg_node_int(n, R_RGBA_EVERY);
  return YSG_ATTR_ID | (v->type == YSG_POINTS ? YSG_ATTR_RADIUS : 0u) |
         (every > 0 && frame % every == 0 ? YSG_ATTR_RGBA : 0u);
}

static ysg_status r_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = ysg_node_int(n, R_CAP);
  v->attrs = r_attrs(n, v, 0);
  return YSG_OK;
}

static ysg_status r_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  int cap = v->capacity, count = count_of(ysg_node_string(n, R_COUNTS), f->index, cap);
  uint64_t seed = (uint64_t)ysg_node_int(n, R_SEED) * 104729u + (uint64_t)f->index;
  uint32_t attrs = r_attrs(n, v, f->index);
  for (int i = 0; i < cap; i++) {
    uint64_t k = 16 * (uint64_t)i;
    int ok = i < count;
    float x = (float)(ysgt_u01(seed, k) * (f->width + 24) - 12),
          y = (float)(ysgt_u01(seed, k + 1) * (f->height + 24) - 12);
    if (v->type == YSG_POINTS) {
      v->xy[2 * i] = ok ? x : 1e30f;
      v->xy[2 * i + 1] = ok ? y : NAN;
      if (ok && i == 3 && f->index % 2) v->xy[2 * i] = NAN; /* culled on both sides */
    } else if (v->type == YSG_BOXES) {
      float w = (float)(ysgt_u01(seed, k + 2) * 40), h = (float)(ysgt_u01(seed, k + 3) * 30);
      float b[4] = {x - 0.5f * w, y - 0.5f * h, w, h}, junk[4] = {NAN, 7, -3, 1e30f};
      memcpy(v->xywh + 4 * i, ok ? b : junk, sizeof b);
    } else {
      int range = ysg_node_int(n, R_RANGE);
      v->ij[2 * i] = ok ? (int32_t)(ysgt_u01(seed, k + 4) * range) : -7;
      v->ij[2 * i + 1] = ok ? (int32_t)(ysgt_u01(seed, k + 5) * range) : 1 << 30;
      continue;
    }
    v->id[i] = ok ? 100 + i + (f->index / 3) * 5 : -99;
    if (v->radius) v->radius[i] = ok ? (float)(0.5 + ysgt_u01(seed, k + 6) * 7.5) : -1.0f;
    float c[4] = {(float)ysgt_u01(seed, k + 7), (float)ysgt_u01(seed, k + 8),
                  (float)ysgt_u01(seed, k + 9), (float)(0.2 + 0.8 * ysgt_u01(seed, k + 10))};
    float junk[4] = {7.0f, -2.0f, NAN, 3.0f};
    memcpy(v->rgba + 4 * i, (attrs & YSG_ATTR_RGBA) && ok ? c : junk, sizeof c);
  }
  v->count = count;
  v->attrs = attrs;
  return YSG_OK;
}

#define R_TYPE(tname, outs, what)                                                      \
  static const ysg_node_type tname##_type = {.name = #tname,                           \
                                             .category = "source",                     \
                                             .doc = "test: random " what " per frame", \
                                             .outputs = outs,                          \
                                             .n_outputs = 1,                           \
                                             .params = r_params,                       \
                                             .n_params = R_N,                          \
                                             .flags = YSG_NODE_HOST,                   \
                                             .infer = r_infer,                         \
                                             .run = r_run}
R_TYPE(rpts, rpts_out, "points");
R_TYPE(rboxes, rboxes_out, "boxes");
R_TYPE(redges, redges_out, "edges");

/* ---- harness ------------------------------------------------------------------------------- */

static ysg_context *ctx_new(void) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  const ysg_node_type *types[] = {&rpts_type, &rboxes_type, &redges_type, &ysgt_rimg_type};
  for (int i = 0; i < 4; i++)
    cr_assert_eq(ysg_register_node_type(ctx, types[i]), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static ysg_status load(ysg_context *ctx, const char *src, ysg_backend backend, const char *out_dir,
                       const char *const *keep, int n_keep, ysg_pipeline **p) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = n_keep;
  lo.output_dir = out_dir ? out_dir : ysgt_tmpdir();
  lo.backend = backend;
  *p = NULL;
  return ysg_pipeline_load_string(ctx, src, "test.lua", &lo, p);
}

static int occupied(const ysg_value *v) {
  int n = 0;
  for (int t = 0; v->type == YSG_IMAGE && t < v->tiles_x * v->tiles_y; t++) n += v->tiles[t] != 0;
  return n;
}

/* Render src on the CPU for `frames` frames: it must load and run, and the first kept value must
 * cover some tile in some frame (when `draws`), so the comparison has something to compare. Then
 * load it on both backends, require the nodes named in `dev` (comma-separated) to run on the
 * device, and expect every kept value to match within tol after every frame. */
static void scene(const char *src, const char *const *keep, int n_keep, int frames, float tol,
                  int draws, const char *dev) {
  ysg_context *ctx = ctx_new();
  ysg_pipeline *pc, *pg;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, NULL, keep, n_keep, &pc), YSG_OK, "%s\n%s",
               ysg_errmsg(ctx), src);
  int cover = 0;
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s\n%s", ysg_errmsg(ctx), src);
    const ysg_value *v = NULL;
    cr_assert_eq(ysg_pipeline_get_value(pc, keep[0], &v), YSG_OK, "%s", ysg_errmsg(ctx));
    cover += occupied(v);
  }
  if (draws) cr_assert_gt(cover, 0, "the scene draws nothing on the CPU:\n%s", src);
  ysg_pipeline_destroy(pc);
  ysg_context_destroy(ctx);

  ysgt_require_cuda();
  ctx = ctx_new();
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, NULL, keep, n_keep, &pc), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, NULL, keep, n_keep, &pg), YSG_OK, "%s",
               ysg_errmsg(ctx));
  char want[256];
  snprintf(want, sizeof want, ",%s,", dev);
  for (int i = 0; i < ysg_pipeline_node_count(pg); i++) {
    ysg_node_info ni;
    cr_assert_eq(ysg_pipeline_node_info(pg, i, &ni), YSG_OK);
    char pat[128];
    snprintf(pat, sizeof pat, ",%s,", ni.name);
    if (strstr(want, pat)) cr_expect(ni.on_device, "node '%s' should run on the device", ni.name);
  }
  float worst = 0.0f;
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < n_keep; i++) {
      const ysg_value *a = NULL, *b = NULL;
      cr_assert_eq(ysg_pipeline_get_value(pc, keep[i], &a), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_get_value(pg, keep[i], &b), YSG_OK, "%s", ysg_errmsg(ctx));
      float d = ysgt_value_diff(a, b);
      cr_expect(d <= tol, "frame %d, %s: CPU and CUDA differ by %g (tolerance %g)\n%s", f, keep[i],
                (double)d, (double)tol, src);
      if (d > worst) worst = d;
    }
  }
  cr_assert_eq(ysg_pipeline_flush(pg), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_log_info("largest difference %g (tolerance %g)", (double)worst, (double)tol);
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
}

static const int sizes[][2] = {{1, 1}, {37, 23}, {64, 48}};
#define N_SIZES 3
#define FRAMES 5

/* ---- fill and gradient ------------------------------------------------------------------------
 */

Test(cuda_devA, fill_matches_cpu) {
  const char *keep[] = {"a", "b"};
  for (int s = 0; s < N_SIZES; s++) {
    char src[512];
    snprintf(src, sizeof src,
             "canvas{width=%d, height=%d, frames=%d}\n"
             "fill{name='a', color=function(f, t)\n"
             "  return ({'#ff8040c0', '#00000000', '#ffffff', '#10203040', {0.2, 0.9, 0.4, 0.5}})"
             "[f + 1] end}\n"
             "fill{name='b', color='#3366ff80'}\n",
             sizes[s][0], sizes[s][1], FRAMES);
    scene(src, keep, 2, FRAMES, EXACT, 1, "a,b");
  }
}

Test(cuda_devA, gradient_matches_cpu) {
  const char *keep[] = {"lin", "rad", "srgb", "clear"};
  for (int s = 0; s < N_SIZES; s++) {
    char src[1024];
    snprintf(src, sizeof src,
             "canvas{width=%d, height=%d, frames=%d}\n"
             "gradient{name='lin', from='#0b1030', to='#ffcc00c0',\n"
             "         angle=function(f, t) return 90 + 37 * f end}\n"
             "gradient{name='rad', type='radial', from='#ffffff', to='#3a3f5580'}\n"
             "gradient{name='srgb', space='srgb', angle=0,\n"
             "         from=function(f, t) return {0.1 * f, 0.5, 1, 1} end, to='#ff000020'}\n"
             "gradient{name='clear', from='#ff000000', to='#00ff0000'}\n",
             sizes[s][0], sizes[s][1], FRAMES);
    scene(src, keep, 4, FRAMES, GRAD_TOL, 1, "lin,rad,srgb,clear");
  }
}

/* ---- merge -------------------------------------------------------------------------------------
 */

Test(cuda_devA, merge_every_mode_matches_cpu) {
  static const char *modes[] = {"normal",  "add",    "multiply",   "screen", "overlay",
                                "lighten", "darken", "difference", "max",    "min"};
  const char *keep[] = {"m", "solo"};
  for (int s = 0; s < N_SIZES; s++)
    for (int m = 0; m < 10; m++) {
      char src[1024];
      snprintf(src, sizeof src,
               "canvas{width=%d, height=%d, frames=%d}\n"
               "local a = rimg{gain=1.5, seed=1, name='a'}\n"
               "local b = rimg{gain=1.5, seed=2, fill=0.3, name='b'}\n"
               "local g = gradient{from='#20406080', to='#ff8000', name='g'}\n"
               "merge{name='m', background=function(f, t) return f %% 2 == 0 and '#00000000' "
               "or '#10204040' end,\n"
               "      layers={a, {b, mode='%s', opacity=function(f, t) return 1 - 0.2 * f end},\n"
               "              {g, mode='%s', opacity=0.5}}}\n"
               "merge{name='solo', layers={rimg{gain=1.5, seed=3, name='c'}}}\n",
               sizes[s][0], sizes[s][1], FRAMES, modes[m], modes[(m + 3) % 10]);
      scene(src, keep, 2, FRAMES, MERGE_TOL, 1, "m,solo,g");
    }
}

/* merge in place: its first layer dies into it (not kept), device layers and host layers mixed */
Test(cuda_devA, merge_in_place_matches_cpu) {
  const char *keep[] = {"out"};
  const char *src =
      "canvas{width=70, height=45, frames=5}\n"
      "local p = rpts{cap=12, counts='12,0,5,7', seed=4, rgba_every=2, name='p'}\n"
      "local bg = fill{color='#102040', name='bg'}\n"
      "local d = dot{points=p, radius=function(f, t) return 2 + f end, name='d'}\n"
      "local x = merge{layers={bg, {d, mode='screen'}}, name='x'}\n"
      "merge{layers={x, {rimg{gain=1.5, seed=5, name='r'}, mode='add', opacity=0.7}}, "
      "name='out'}\n";
  scene(src, keep, 1, 5, MERGE_TOL, 1, "bg,d,x,out");
}

/* ---- dot ---------------------------------------------------------------------------------------
 */

Test(cuda_devA, dot_matches_cpu) {
  static const char *styles[] = {
      "radius=function(f, t) return 2 + f end",
      "shape='ring', stroke=1.5, data_radius=false, radius=6, glow=4",
      "shape='square', stroke=2, fill_opacity=0.4, data_colors=false, color='#ff00ff80'",
      "shape='diamond', glow=function(f, t) return 1 + 2 * f end, glow_intensity=1.5",
      "shape='cross', opacity=function(f, t) return 1 - 0.15 * f end",
      "shape='plus', stroke=0.5, radius=0.4, data_radius=false",
  };
  const char *keep[] = {"d"};
  for (int s = 0; s < N_SIZES; s++)
    for (int k = 0; k < 6; k++) {
      char src[1024];
      /* counts: the full capacity, none, some; colours on even frames only */
      snprintf(src, sizeof src,
               "canvas{width=%d, height=%d, frames=%d}\n"
               "local p = rpts{cap=24, counts='24,0,9,24,3', seed=%d, rgba_every=2, name='p'}\n"
               "dot{points=p, %s, name='d'}\n",
               sizes[s][0], sizes[s][1], FRAMES, 7 + k, styles[k]);
      scene(src, keep, 1, FRAMES, RENDER_TOL, s > 0, "d");
    }
}

/* ---- bbox --------------------------------------------------------------------------------------
 */

Test(cuda_devA, bbox_matches_cpu) {
  static const char *styles[] = {
      "boxes=b, stroke=function(f, t) return 1 + 0.5 * f end",
      "boxes=b, radius=6, fill_opacity=0.5, style='corners', corner_length=0.3",
      "points=p, size='from_age', w=30, h=24, min_size=6, age_frames=3, stroke=1.5",
      "points=p, size='from_radius', scale=2, roundness=0.5, data_colors=false",
      "points=p, w=20, h=12, opacity=function(f, t) return 1 - 0.1 * f end, fill_opacity=1",
  };
  const char *keep[] = {"bx"};
  for (int s = 0; s < N_SIZES; s++)
    for (int k = 0; k < 5; k++) {
      char src[1024];
      snprintf(src, sizeof src,
               "canvas{width=%d, height=%d, frames=%d}\n"
               "local b = rboxes{cap=10, counts='10,4,0,10,7', seed=%d, rgba_every=2, name='b'}\n"
               "local p = rpts{cap=16, counts='16,3,0,11,16', seed=%d, rgba_every=3, name='p'}\n"
               "bbox{%s, name='bx'}\n",
               sizes[s][0], sizes[s][1], FRAMES + 2, 11 + k, 21 + k, styles[k]);
      scene(src, keep, 1, FRAMES + 2, RENDER_TOL, s > 0, "bx");
    }
}

/* ---- line --------------------------------------------------------------------------------------
 */

Test(cuda_devA, line_matches_cpu) {
  static const char *styles[] = {
      "width=function(f, t) return 0.5 + f end",
      "style='dashed', dash=6, gap=3, phase=function(f, t) return -7 * f end, width=2",
      "style='dotted', width=1.5, spacing=5",
      "style='dash_dot', dash=5, gap=2, width=3, opacity=0.6",
      "style='gradient', color='#ff0000', color2='#0000ff80', width=2.5",
      "style='gradient', point_colors=false, width=0.3",
  };
  const char *keep[] = {"l", "lc"};
  for (int s = 0; s < N_SIZES; s++)
    for (int k = 0; k < 6; k++) {
      char src[1024];
      /* edges index up to 20 of at most 16 points: some are skipped; point colours on even
       * frames only, so gradient switches between point colours and color -> color2 */
      snprintf(src, sizeof src,
               "canvas{width=%d, height=%d, frames=%d}\n"
               "local p = rpts{cap=16, counts='16,9,0,16,5', seed=%d, rgba_every=2, name='p'}\n"
               "local e = redges{cap=20, counts='20,6,0,3,20', range=20, seed=%d, name='e'}\n"
               "line{points=p, edges=e, %s, name='l'}\n"
               "local c = curve{points=p, edges=e, type='cubic_bezier', samples=6, name='c'}\n"
               "line{curves=c, %s, name='lc'}\n",
               sizes[s][0], sizes[s][1], FRAMES, 31 + k, 41 + k, styles[k], styles[k]);
      scene(src, keep, 2, FRAMES, RENDER_TOL, s > 0, "l,lc");
    }
}

/* ---- capacity checks: the device reports the CPU's count ----------------------------------------
 */

/* The CPU run of frame 0 fails with a message holding `needle` and then a count: return it. */
static long needed_on_cpu(const char *src, const char *needle) {
  ysg_context *ctx = ctx_new();
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, NULL, NULL, 0, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT, "%s", ysg_errmsg(ctx));
  const char *at = strstr(ysg_errmsg(ctx), needle);
  cr_assert_not_null(at, "'%s' not in: %s", needle, ysg_errmsg(ctx));
  long need = strtol(at + strlen(needle), NULL, 10);
  cr_assert_gt(need, 1, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return need;
}

/* The CUDA run of frame 0 (or the flush after it) fails with exactly want. */
static void cuda_fails_with(const char *src, const char *want) {
  ysgt_require_cuda();
  ysg_context *ctx = ctx_new();
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, NULL, NULL, 0, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_status s = ysg_pipeline_run_frame(p, 0);
  if (s == YSG_OK) s = ysg_pipeline_flush(p);
  cr_assert_eq(s, YSG_ERR_LIMIT, "%s", ysg_errmsg(ctx));
  cr_assert_str_eq(ysg_errmsg(ctx), want);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(cuda_devA, bin_capacity_overflow_reports_the_cpu_count) {
  static const struct {
    const char *node, *type, *needle, *what;
  } cases[] = {
      {"dot{points=p, radius=9, data_radius=false, bin_capacity=2, name='x'}", "dot",
       "this frame needs ", "tile references (bin_capacity)"},
      {"bbox{points=p, w=40, h=40, bin_capacity=2, name='x'}", "bbox", "boxes touch ",
       "tile references (bin_capacity)"},
      {"line{points=p, edges=e, width=3, bin_capacity=2, name='x'}", "line", "frame 0 needs ",
       "segment-in-tile references (bin_capacity)"},
  };
  for (int i = 0; i < 3; i++) {
    char src[512], want[512];
    snprintf(src, sizeof src,
             "canvas{width=96, height=64, frames=2}\n"
             "local p = rpts{cap=8, seed=5, name='p'}\n"
             "local e = redges{cap=8, range=8, seed=6, name='e'}\n"
             "%s\n",
             cases[i].node);
    long need = needed_on_cpu(src, cases[i].needle);
    snprintf(want, sizeof want,
             "test.lua:4: node 'x' (%s): frame 0 needs %ld %s, more than the capacity 2",
             cases[i].type, need, cases[i].what);
    cuda_fails_with(src, want);
  }
}

/* ---- png ---------------------------------------------------------------------------------------
 */

/* The samples of an RGBA PNG (8 or 16 bits) as written. */
static uint16_t *read_rgba(const char *path, int *w, int *h, int *bits) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) cr_assert_fail("libpng failed reading %s", path);
  png_init_io(png, f);
  png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  cr_assert_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGBA);
  *w = (int)png_get_image_width(png, info);
  *h = (int)png_get_image_height(png, info);
  *bits = png_get_bit_depth(png, info);
  png_bytepp rows = png_get_rows(png, info);
  uint16_t *out = malloc((size_t)*w * (size_t)*h * 4 * sizeof *out);
  cr_assert_not_null(out);
  for (int y = 0; y < *h; y++)
    for (int i = 0; i < *w * 4; i++)
      out[(size_t)y * (size_t)*w * 4 + (size_t)i] =
          *bits == 16 ? (uint16_t)(rows[y][i * 2] << 8 | rows[y][i * 2 + 1]) : rows[y][i];
  png_destroy_read_struct(&png, &info, NULL);
  fclose(f);
  return out;
}

static char *slurp(const char *path, size_t *len) {
  char *s = ysgt_read(path, len);
  cr_assert_not_null(s, "cannot read %s", path);
  return s;
}

/* A host image (identical on both backends) through png on both: the files are byte-identical. */
Test(cuda_devA, png_files_identical_to_cpu) {
  const char *dir = ysgt_tmpdir();
  cr_assert_eq(chdir(dir), 0);
  for (int s = 0; s < N_SIZES; s++)
    for (int bits = 8; bits <= 16; bits += 8) {
      char src[512];
      snprintf(src, sizeof src,
               "canvas{width=%d, height=%d, frames=3}\n"
               "local r = rimg{gain=1.5, seed=%d, fill=0.6, name='r'}\n"
               "png{image=r, path='f/%%02d.png', bits='%d', compression=1, start=5, name='o'}\n",
               sizes[s][0], sizes[s][1], 3 + s, bits);
      ysg_context *ctx = ctx_new();
      ysg_pipeline *pc;
      cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, "cpu", NULL, 0, &pc), YSG_OK, "%s",
                   ysg_errmsg(ctx));
      for (int f = 0; f < 3; f++)
        cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_finish(pc), YSG_OK, "%s", ysg_errmsg(ctx));
      ysg_pipeline_destroy(pc);
      ysg_context_destroy(ctx);

      ysgt_require_cuda();
      ctx = ctx_new();
      ysg_pipeline *pg;
      cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, "gpu", NULL, 0, &pg), YSG_OK, "%s",
                   ysg_errmsg(ctx));
      ysg_node_info ni;
      cr_assert_eq(ysg_pipeline_node_info(pg, 1, &ni), YSG_OK);
      cr_expect(ni.on_device, "png should run on the device");
      for (int f = 0; f < 3; f++)
        cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_finish(pg), YSG_OK, "%s", ysg_errmsg(ctx));
      ysg_pipeline_destroy(pg);
      ysg_context_destroy(ctx);
      for (int f = 0; f < 3; f++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "cpu/f/%02d.png", 5 + f);
        snprintf(b, sizeof b, "gpu/f/%02d.png", 5 + f);
        size_t la, lb;
        char *da = slurp(a, &la), *db = slurp(b, &lb);
        cr_expect(la == lb && memcmp(da, db, la) == 0, "%s and %s differ (%d bits, %dx%d)", a, b,
                  bits, sizes[s][0], sizes[s][1]);
        free(da);
        free(db);
      }
    }
}

/* The CPU png node's samples of one pixel (nodes/png.c's convert_px: the opaque lookup table is
 * ysg_encode_srgb of the channel alone, alpha ±0 is zero, the rest ysg_encode_srgb). */
static void cpu_samples(const uint16_t *h, int bits, uint32_t q[4]) {
  float maxv = bits == 8 ? 255.0f : 65535.0f;
  if (h[3] == 0x3c00) {
    for (int c = 0; c < 3; c++) q[c] = ysg_srgb_cpu_level(ysg_half_to_float(h[c]), maxv);
    q[3] = (uint32_t)maxv;
  } else if ((h[3] & 0x7fffu) == 0) {
    q[0] = q[1] = q[2] = q[3] = 0;
  } else {
    float p[4];
    ysg_load_px(h, p);
    ysg_encode_srgb(p, maxv, q);
  }
}

/* A device-rendered image through png on the device: each file holds exactly the CPU encoder's
 * samples of the (kept) device image of its frame. */
Test(cuda_devA, png_of_device_image_encodes_like_cpu) {
  const char *dir = ysgt_tmpdir();
  cr_assert_eq(chdir(dir), 0);
  const char *src =
      "canvas{width=53, height=35, frames=3}\n"
      "local p = rpts{cap=20, counts='20,7,0', seed=9, rgba_every=1, name='p'}\n"
      "local g = gradient{from='#00000000', to='#2040ffc0', angle=30, name='g'}\n"
      "local d = dot{points=p, radius=function(f, t) return 3 + f end, glow=3, name='d'}\n"
      "local m = merge{layers={g, {d, mode='add'}}, name='m'}\n"
      "png{image=m, path='o/%d.png', bits=8, name='o8'}\n"
      "png{image=m, path='o16/%d.png', bits=16, name='o16'}\n";
  const char *keep[] = {"m"};
  ysgt_require_cuda();
  ysg_context *ctx = ctx_new();
  ysg_pipeline *pg;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, ".", keep, 1, &pg), YSG_OK, "%s", ysg_errmsg(ctx));
  uint16_t *img[3];
  int W = 53, H = 35;
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v = NULL;
    cr_assert_eq(ysg_pipeline_get_value(pg, "m", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    img[f] = malloc((size_t)W * H * 8);
    cr_assert_not_null(img[f]);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        int on = v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE];
        for (int c = 0; c < 4; c++)
          img[f][((size_t)y * W + (size_t)x) * 4 + (size_t)c] =
              on ? v->px[((size_t)y * W + (size_t)x) * 4 + (size_t)c] : 0;
      }
  }
  cr_assert_eq(ysg_pipeline_finish(pg), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
  for (int f = 0; f < 3; f++) {
    for (int bits = 8; bits <= 16; bits += 8) {
      char path[64];
      snprintf(path, sizeof path, bits == 8 ? "o/%d.png" : "o16/%d.png", f);
      int w, h, b;
      uint16_t *got = read_rgba(path, &w, &h, &b);
      cr_assert(w == W && h == H && b == bits, "%s is %dx%d, %d bits", path, w, h, b);
      int bad = 0;
      for (size_t i = 0; i < (size_t)W * H; i++) {
        uint32_t q[4];
        cpu_samples(img[f] + 4 * i, bits, q);
        for (int c = 0; c < 4; c++)
          if (got[4 * i + (size_t)c] != q[c] && bad++ < 5)
            cr_log_error("%s: pixel %zu channel %d: CUDA %u, CPU encoder %u", path, i, c,
                         got[4 * i + (size_t)c], q[c]);
      }
      cr_expect_eq(bad, 0, "%s: %d samples differ from the CPU encoder's", path, bad);
      free(got);
    }
    free(img[f]);
  }
}

/* ---- the converter's math, on the CPU (cuda/convert_api.h) -------------------------------------
 */

static float *thresholds(int bits) {
  float *t = malloc(ysg_srgb_table_len(bits) * sizeof *t);
  cr_assert_not_null(t);
  ysg_srgb_thresholds(bits, t);
  return t;
}

static float step_float(float x, int d) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  b = (uint32_t)((int64_t)b + d);
  memcpy(&x, &b, sizeof x);
  return x;
}

/* Each threshold is where the CPU level reaches k, and the level is monotone within 64 ulps on
 * either side of it (where a wobbling powf could make it step back). */
Test(srgb_convert, thresholds_are_the_cpu_level_boundaries) {
  for (int bits = 8; bits <= 16; bits += 8) {
    float *t = thresholds(bits);
    int maxq = bits == 8 ? 255 : 65535, bad = 0;
    float maxv = (float)maxq;
    cr_assert_eq(t[0], 0.0f);
    for (int k = 1; k <= maxq; k++) {
      cr_assert(t[k] > 0.0f && t[k] <= 1.0f && t[k] >= t[k - 1], "%d bits: t[%d] = %a", bits, k,
                (double)t[k]);
      for (int d = -64; d < 64; d++) {
        float x = step_float(t[k], d);
        if (!(x > 0.0f) || x > 1.0f) continue;
        uint32_t q = ysg_srgb_cpu_level(x, maxv);
        if ((d < 0) != (q < (uint32_t)k) && bad++ < 5)
          cr_log_error("%d bits: level %u at %d ulps from t[%d] = %a", bits, q, d, k, (double)t[k]);
      }
    }
    cr_expect_eq(bad, 0, "%d bits: %d levels disagree with the thresholds", bits, bad);
    free(t);
  }
}

/* ysg_srgb_px (the kernel's per-pixel code) gives the CPU png node's samples for every FP16
 * channel value (negatives, subnormals, above 1, infinities, NaNs) under alphas 0, −0, tiny, in
 * between, just below 1, 1, above 1 and infinite; and the level search is exact from any guess. */
Test(srgb_convert, pixels_match_the_cpu_png_node) {
  static const uint16_t alphas[] = {0x0000, 0x8000, 0x0001, 0x1400, 0x2e66, 0x3400, 0x3555,
                                    0x3800, 0x3a00, 0x3bff, 0x3c00, 0x3c01, 0x4400, 0x7c00};
  for (int bits = 8; bits <= 16; bits += 8) {
    float *t = thresholds(bits);
    int maxq = bits == 8 ? 255 : 65535, bad = 0;
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++)
      for (uint32_t c = 0; c < 65536; c++) {
        uint16_t h[4] = {(uint16_t)c, (uint16_t)(c * 7919u), (uint16_t)(c ^ 0x2a5au), alphas[a]};
        uint32_t want[4], got[4];
        cpu_samples(h, bits, want);
        ysg_srgb_px(h, maxq, t, got);
        for (int k = 0; k < 4; k++)
          if (got[k] != want[k] && bad++ < 5)
            cr_log_error("%d bits: pixel %04x %04x %04x %04x channel %d: %u, CPU %u", bits, h[0],
                         h[1], h[2], h[3], k, got[k], want[k]);
      }
    cr_expect_eq(bad, 0, "%d bits: %d samples differ from the CPU png node's", bits, bad);
    /* from a wrong guess (the device's powf may be a level off) */
    int off = 0;
    for (uint32_t c = 0; c < 0x3c00; c += 3) {
      float x = ysg_half_to_float((uint16_t)c);
      uint32_t want = ysg_srgb_cpu_level(x, (float)maxq);
      for (int d = -3; d <= 3; d++) off += ysg_srgb_level_from(x, (int)want + d, maxq, t) != want;
    }
    cr_expect_eq(off, 0, "%d bits: %d searches from a nearby guess missed", bits, off);
    free(t);
  }
}
