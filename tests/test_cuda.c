/* test_cuda.c — the CUDA kernels of fill, gradient and merge against their CPU nodes (the
 * reference): same inputs, max error ≤ 1e-3 in linear units per channel (relative above 1),
 * identical tile occupancy, every blend mode, sparse layers with stale pixels under empty tiles,
 * and in-place merging. Without a usable device (or without CUDA in the build) each comparison is
 * skipped with the probe's reason; the probe's message itself is checked everywhere. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blend.h"
#include "color.h"
#include "internal.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#endif

/* Max error 1e-3 in linear units, relative above 1 (where one FP16 step is already ~1e-3). Both
 * sides run blend.h, but nvcc contracts a·b + c into FMAs, which can move a rounding. */
#define TOL 1e-3

static char reason[512];
static int have_device(void) { return ysg__cuda_probe(reason, sizeof reason); }

static void require_device(void) {
  if (!have_device()) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
}

Test(cuda, probe_explains_itself) {
  char msg[512] = "";
  int have = ysg__cuda_probe(msg, sizeof msg);
#ifdef YSG_HAVE_CUDA
  if (have)
    cr_assert(strncmp(msg, "CUDA device ", 12) == 0, "probe said yes with: %s", msg);
  else if (access("/proc/driver/nvidia/version", F_OK) != 0) /* no driver loaded */
    cr_assert_str_eq(msg, "no NVIDIA driver found");
  else
    cr_assert(!strcmp(msg, "no NVIDIA GPU found") || !strncmp(msg, "the NVIDIA driver ", 18) ||
                  !strncmp(msg, "CUDA is unavailable: ", 21) ||
                  !strncmp(msg, "no usable CUDA device: ", 23),
              "probe said no with: %s", msg);
#else
  cr_assert_eq(have, 0);
  cr_assert_str_eq(msg, "this build has no CUDA support: YSG_WITH_CUDA=OFF or no nvcc");
#endif
  cr_log_info("ysg__cuda_probe: %d, %s", have, msg);
}

#ifdef YSG_HAVE_CUDA
/* ---- `cpat`: a sparse test layer with stale pixels under its empty tiles --------------------- */
enum { C_PHASE, C_COUNT };
static const ysg_param_def cpat_params[C_COUNT] = {
    {"phase", YSG_PARAM_INT, "0", 0, 1, NULL, 0, "occupied tiles: (tx+ty+phase) even"}};
static const ysg_port_def cpat_out[] = {{"image", YSG_IMAGE, 0, "the pattern", NULL, 0}};

static ysg_status cpat_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *o = ysg_node_output(n, 0);
  int phase = ysg_node_int(n, C_PHASE);
  for (int ty = 0; ty < o->tiles_y; ty++)
    for (int tx = 0; tx < o->tiles_x; tx++)
      o->tiles[ty * o->tiles_x + tx] = (uint8_t)((tx + ty + phase) % 2 == 0);
  for (int y = 0; y < o->height; y++)
    for (int x = 0; x < o->width; x++) {
      float a = 0.25f + 0.5f * (float)((x + y) % 5) / 4.0f;
      float p[4] = {(float)(x % 8) / 8.0f * a, (float)(y % 8) / 8.0f * a, 0.5f * a, a};
      if (!o->tiles[(y / YSG_TILE) * o->tiles_x + x / YSG_TILE]) {
        p[0] = 9.0f; /* stale: the tile says nothing is there */
        p[1] = -3.0f;
        p[2] = 7.0f;
        p[3] = 5.0f;
      }
      ysg_store_px(o->px + ((size_t)y * (size_t)o->width + (size_t)x) * 4, p);
    }
  return YSG_OK;
}
static const ysg_node_type cpat_type = {.name = "cpat",
                                        .category = "test",
                                        .doc = "Sparse test pattern.",
                                        .outputs = cpat_out,
                                        .n_outputs = 1,
                                        .params = cpat_params,
                                        .n_params = C_COUNT,
                                        .run = cpat_run};

/* ---- helpers --------------------------------------------------------------------------------- */
static char err[1024];

#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)

static ysg_pipeline *load_keep(ysg_context *ctx, const char *src, const char *const *keep,
                               int n_keep) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.keep = keep;
  lo.n_keep = n_keep;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p);
  cr_assert_eq(s, YSG_OK, "load failed: %s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

static const ysg_value *value(ysg_pipeline *p, const char *ref) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, ref, &v), YSG_OK, "%s", ysg_errmsg(p->ctx));
  cr_assert_eq(v->type, YSG_IMAGE);
  return v;
}

static size_t px_bytes(const ysg_value *v) { return (size_t)v->width * (size_t)v->height * 8; }
static size_t tile_bytes(const ysg_value *v) { return (size_t)v->tiles_x * (size_t)v->tiles_y; }

/* device image of v's shape (optionally with v's contents) */
typedef struct dimg {
  uint16_t *px;
  uint8_t *tiles;
} dimg;

static dimg dimg_new(const ysg_value *v, int upload) {
  dimg d;
  CK(ysg__cuda_malloc((void **)&d.px, px_bytes(v), err, sizeof err));
  CK(ysg__cuda_malloc((void **)&d.tiles, tile_bytes(v), err, sizeof err));
  if (upload) {
    CK(ysg__cuda_upload(d.px, v->px, px_bytes(v), NULL, err, sizeof err));
    CK(ysg__cuda_upload(d.tiles, v->tiles, tile_bytes(v), NULL, err, sizeof err));
  }
  return d;
}

static void dimg_free(dimg d) {
  ysg__cuda_free(d.px);
  ysg__cuda_free(d.tiles);
}

static void *dcopy(const void *host, size_t bytes) {
  void *d = NULL;
  CK(ysg__cuda_malloc(&d, bytes, err, sizeof err));
  CK(ysg__cuda_upload(d, host, bytes, NULL, err, sizeof err));
  return d;
}

/* Compare device image d with the CPU value ref: error ≤ TOL, tiles identical.
 * Prints the first 5 mismatches (llm.c's validate_result habit). */
static void compare(const char *what, const ysg_value *ref, dimg d) {
  size_t n = px_bytes(ref) / 2, nt = tile_bytes(ref);
  uint16_t *px = malloc(n * 2);
  uint8_t *tiles = malloc(nt ? nt : 1);
  cr_assert(px && tiles);
  CK(ysg__cuda_download(px, d.px, n * 2, NULL, err, sizeof err));
  CK(ysg__cuda_download(tiles, d.tiles, nt, NULL, err, sizeof err));
  CK(ysg__cuda_sync(NULL, err, sizeof err));
  double worst = 0;
  int bad = 0;
  for (size_t k = 0; k < n; k++) {
    double a = ysg_half_to_float(ref->px[k]), b = ysg_half_to_float(px[k]);
    double e = fabs(a - b) / (fabs(a) > 1.0 ? fabs(a) : 1.0);
    if (!(e <= TOL)) {
      if (bad++ < 5)
        cr_log_error("%s: pixel %zu channel %zu: cpu %.6f gpu %.6f", what, k / 4, k % 4, a, b);
      e = isnan(e) ? INFINITY : e;
    }
    if (e > worst) worst = e;
  }
  size_t tile_diff = 0;
  for (size_t t = 0; t < nt; t++) tile_diff += tiles[t] != ref->tiles[t];
  cr_log_info("%s: max abs error %.3g over %zu values", what, worst, n);
  cr_expect_eq(bad, 0, "%s: %d values differ by more than %g (max %.3g)", what, bad, TOL, worst);
  cr_expect_eq(tile_diff, 0, "%s: %zu tile flags differ", what, tile_diff);
  free(px);
  free(tiles);
}
#endif /* YSG_HAVE_CUDA */

/* ---- fill
 * ---------------------------------------------------------------------------------------- */
Test(cuda, fill_matches_cpu) {
  require_device();
#ifdef YSG_HAVE_CUDA
  const char *colors[] = {"#ff8040c0", "#00000000", "#ffffff"};
  for (int i = 0; i < 3; i++) {
    ysg_context *ctx = ysgt_ctx();
    char src[256];
    snprintf(src, sizeof src,
             "canvas{width=100,height=50,frames=1}\nout = fill{color='%s', name='out'}\n",
             colors[i]);
    ysg_pipeline *p = load_keep(ctx, src, NULL, 0);
    const ysg_value *ref = value(p, "out");
    float straight[4], c[4];
    cr_assert(ysg__parse_color(colors[i], straight));
    ysg_premultiply(straight, c);
    float *d_color = dcopy(c, sizeof c);
    dimg d = dimg_new(ref, 0);
    CK(ysg__cuda_fill(d.px, d.tiles, ref->width, ref->height, d_color, NULL, err, sizeof err));
    compare(colors[i], ref, d);
    dimg_free(d);
    ysg__cuda_free(d_color);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
#endif
}

/* ---- gradient
 * ------------------------------------------------------------------------------------ */
Test(cuda, gradient_matches_cpu) {
  require_device();
#ifdef YSG_HAVE_CUDA
  struct {
    const char *from, *to;
    int radial, srgb;
    double angle;
  } cases[] = {
      {"#0b1030", "#1f3a73", 0, 0, 90}, {"#ff0000", "#0000ff", 0, 1, 30},
      {"#ffffff", "#000000", 1, 0, 0},  {"#ff000000", "#00ff80", 1, 1, 0},
      {"#102030", "#f0e0d0", 0, 1, 0},  {"#00000000", "#00000000", 0, 0, 200},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ysg_context *ctx = ysgt_ctx();
    char src[512], what[128];
    snprintf(src, sizeof src,
             "canvas{width=123,height=45,frames=1}\nout = gradient{from='%s', to='%s', "
             "type='%s', angle=%g, space='%s', name='out'}\n",
             cases[i].from, cases[i].to, cases[i].radial ? "radial" : "linear", cases[i].angle,
             cases[i].srgb ? "srgb" : "linear");
    snprintf(what, sizeof what, "gradient case %zu", i);
    ysg_pipeline *p = load_keep(ctx, src, NULL, 0);
    const ysg_value *ref = value(p, "out");
    float from[4], to[4];
    cr_assert(ysg__parse_color(cases[i].from, from));
    cr_assert(ysg__parse_color(cases[i].to, to));
    ysg_gradient_params g;
    ysg_gradient_setup(&g, from, to, cases[i].radial, cases[i].angle, cases[i].srgb, ref->width,
                       ref->height);
    ysg_gradient_params *d_g = dcopy(&g, sizeof g);
    dimg d = dimg_new(ref, 0);
    CK(ysg__cuda_gradient(d.px, d.tiles, ref->width, ref->height, d_g, NULL, err, sizeof err));
    compare(what, ref, d);
    dimg_free(d);
    ysg__cuda_free(d_g);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
#endif
}

/* ---- merge
 * --------------------------------------------------------------------------------------- */
Test(cuda, merge_matches_cpu_for_every_mode) {
  require_device();
#ifdef YSG_HAVE_CUDA
  static const char *modes[] = {"normal",  "add",    "multiply",   "screen", "overlay",
                                "lighten", "darken", "difference", "max",    "min"};
  static const char *keep[] = {"a", "b", "c", "f"};
  for (int m = 0; m < YSG_BLEND_COUNT; m++) {
    ysg_context *ctx = ysgt_ctx();
    cr_assert_eq(ysg_register_node_type(ctx, &cpat_type), YSG_OK, "%s", ysg_errmsg(ctx));
    char src[1024];
    /* background from the canvas; layer modes: normal, MODE at 0.6, overlay, difference */
    snprintf(src, sizeof src,
             "canvas{width=100,height=50,frames=1,background='#102030'}\n"
             "local a = gradient{from='#ff000080', to='#00ff00', angle=30, name='a'}\n"
             "local b = cpat{phase=0, name='b'}\n"
             "local c = cpat{phase=1, name='c'}\n"
             "local f = fill{color='#4080ff40', name='f'}\n"
             "out = merge{layers={a, {b, mode='%s', opacity=0.6}, {c, mode='overlay'},"
             " {f, mode='difference'}}, name='out'}\n",
             modes[m]);
    ysg_pipeline *p = load_keep(ctx, src, keep, 4);
    const ysg_value *ref = value(p, "out");
    const ysg_value *lv[4] = {value(p, "a"), value(p, "b"), value(p, "c"), value(p, "f")};
    ysg_blend_layer lp[4] = {{YSG_BLEND_NORMAL, 1.0f},
                             {m, 0.6f},
                             {YSG_BLEND_OVERLAY, 1.0f},
                             {YSG_BLEND_DIFFERENCE, 1.0f}};
    dimg d[4];
    const uint16_t *hp[4];
    const uint8_t *ht[4];
    for (int k = 0; k < 4; k++) {
      d[k] = dimg_new(lv[k], 1);
      hp[k] = d[k].px;
      ht[k] = d[k].tiles;
    }
    void *d_px = dcopy(hp, sizeof hp), *d_tiles = dcopy(ht, sizeof ht);
    void *d_lp = dcopy(lp, sizeof lp);
    void *d_bg = dcopy(ysg_pipeline_canvas(p)->background, 4 * sizeof(float));
    dimg out = dimg_new(ref, 0);
    CK(ysg__cuda_merge(out.px, out.tiles, d_px, d_tiles, d_lp, d_bg, 4, ref->width, ref->height,
                       NULL, err, sizeof err));
    char what[64];
    snprintf(what, sizeof what, "merge (%s)", modes[m]);
    compare(what, ref, out);
    /* in place: the output overwrites layer a's buffer (and tiles) */
    CK(ysg__cuda_merge(d[0].px, d[0].tiles, d_px, d_tiles, d_lp, d_bg, 4, ref->width, ref->height,
                       NULL, err, sizeof err));
    snprintf(what, sizeof what, "merge in place (%s)", modes[m]);
    compare(what, ref, d[0]);
    dimg_free(out);
    for (int k = 0; k < 4; k++) dimg_free(d[k]);
    ysg__cuda_free(d_px);
    ysg__cuda_free(d_tiles);
    ysg__cuda_free(d_lp);
    ysg__cuda_free(d_bg);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
#endif
}

Test(cuda, merge_transparent_background_marks_only_occupied_tiles) {
  require_device();
#ifdef YSG_HAVE_CUDA
  static const char *keep[] = {"b"};
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &cpat_type), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline *p = load_keep(ctx,
                              "canvas{width=70,height=37,frames=1,background='#00000000'}\n"
                              "local b = cpat{phase=1, name='b'}\n"
                              "out = merge{layers={{b, mode='screen', opacity=0.5}}, name='out'}\n",
                              keep, 1);
  const ysg_value *ref = value(p, "out"), *lb = value(p, "b");
  ysg_blend_layer lp = {YSG_BLEND_SCREEN, 0.5f};
  float bg[4] = {0, 0, 0, 0};
  dimg d = dimg_new(lb, 1);
  void *d_px = dcopy(&d.px, sizeof d.px), *d_tiles = dcopy(&d.tiles, sizeof d.tiles);
  void *d_lp = dcopy(&lp, sizeof lp), *d_bg = dcopy(bg, sizeof bg);
  dimg out = dimg_new(ref, 0);
  CK(ysg__cuda_merge(out.px, out.tiles, d_px, d_tiles, d_lp, d_bg, 1, ref->width, ref->height, NULL,
                     err, sizeof err));
  compare("merge over transparent", ref, out);
  dimg_free(out);
  dimg_free(d);
  ysg__cuda_free(d_px);
  ysg__cuda_free(d_tiles);
  ysg__cuda_free(d_lp);
  ysg__cuda_free(d_bg);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
#endif
}
