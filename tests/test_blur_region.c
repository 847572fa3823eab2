/* test_blur_region.c — the `blur_region` node through the Lua DSL against references computed here:
 * pixels outside every mask bit-identical to the input (in place and copied), pixels inside the
 * full-strength mask equal to a direct 2-D Gaussian (double precision, clamped edges, empty tiles
 * as 0), the soft edge's blend weight against 1 − smoothstep and monotone, boxes vs points,
 * opacity, ignored regions (NaN, off-canvas, empty boxes), truthful tiles over a sparse input
 * with garbage under its empty tiles, the error texts, and CPU vs CUDA (skipped without a device).
 * The `timg` test node writes known FP16 bits; `tpoints`/`tboxes` (bbox_scene.h) feed regions. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "util.h"
/* after criterion.h, internal.h and util.h */
#include "bbox_scene.h"
#include "region_math.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/blur_region_api.h"
#include "../cuda/cuda_api.h"
#endif

/* ---- the `timg` test node: known pixels, optionally with empty tiles over garbage ---------- */
enum { TI_PATTERN, TI_SPARSE, TI_COUNT };
static const ysg_param_def timg_params[TI_COUNT] = {
    {"pattern", YSG_PARAM_ENUM, "noise", 0, 0, "noise|checker", 0,
     "noise: hashed premultiplied values; checker: 1-px grey checker, alpha 1"},
    {"sparse", YSG_PARAM_BOOL, "false", 0, 0, NULL, 0,
     "mark tiles with (7·tx + 3·ty) mod 4 = 0 empty and write garbage under them"},
};
static const ysg_port_def timg_out[] = {{"image", YSG_IMAGE, 0, "the pattern", NULL, 0}};

static int g_pattern, g_sparse; /* what the last timg wrote, for the references */

static int sparse_empty(int x, int y) { return g_sparse && ((x / 16) * 7 + (y / 16) * 3) % 4 == 0; }

static uint32_t hash3(uint32_t x, uint32_t y, uint32_t c) {
  uint32_t h = x * 0x9e3779b1u ^ (y + 0x7f4a7c15u) * 0x85ebca6bu ^ (c + 1) * 0xc2b2ae35u;
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  return h;
}

/* the FP16 bits timg writes at (x, y) */
static void in_bits(int x, int y, uint16_t out[4]) {
  float p[4];
  if (g_pattern == 1) {
    float v = (float)((x + y) & 1);
    p[0] = p[1] = p[2] = v;
    p[3] = 1.0f;
  } else {
    p[3] = 0.25f + 0.75f * (float)(hash3((uint32_t)x, (uint32_t)y, 3) % 1000) / 999.0f;
    for (int c = 0; c < 3; c++)
      p[c] = p[3] * (float)(hash3((uint32_t)x, (uint32_t)y, (uint32_t)c) % 1000) / 999.0f;
  }
  for (int c = 0; c < 4; c++) out[c] = ysg_float_to_half(p[c]);
}

/* the input as read: empty tiles are 0 */
static double in_val(int x, int y, int c) {
  if (sparse_empty(x, y)) return 0.0;
  uint16_t b[4];
  in_bits(x, y, b);
  return ysg_half_to_float(b[c]);
}

static ysg_status timg_infer(ysg_node *n) {
  ysg_value *o = ysg_node_output(n, 0);
  o->width = ysg_node_canvas(n)->width;
  o->height = ysg_node_canvas(n)->height;
  return YSG_OK;
}

static ysg_status timg_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *o = ysg_node_output(n, 0);
  g_pattern = ysg_node_enum(n, TI_PATTERN);
  g_sparse = ysg_node_bool(n, TI_SPARSE);
  for (int y = 0; y < o->height; y++)
    for (int x = 0; x < o->width; x++) {
      uint16_t *px = o->px + ((size_t)y * (size_t)o->width + (size_t)x) * 4;
      if (sparse_empty(x, y)) {
        const uint16_t junk[4] = {0x7bff, 0xfbff, 0x7e00, 0x3c00}; /* 65504, −65504, NaN, 1 */
        memcpy(px, junk, sizeof junk);
      } else {
        in_bits(x, y, px);
      }
    }
  for (int ty = 0; ty < o->tiles_y; ty++)
    for (int tx = 0; tx < o->tiles_x; tx++)
      o->tiles[ty * o->tiles_x + tx] = (uint8_t)!sparse_empty(tx * 16, ty * 16);
  return YSG_OK;
}

static const ysg_node_type timg_type = {.name = "timg",
                                        .category = "test",
                                        .doc = "Known test pixels.",
                                        .outputs = timg_out,
                                        .n_outputs = 1,
                                        .params = timg_params,
                                        .n_params = TI_COUNT,
                                        .infer = timg_infer,
                                        .run = timg_run};

/* ---- pipelines ------------------------------------------------------------------------------ */
/* W×H canvas, timg{img_args}, source "tpoints" or "tboxes" from S, blur_region{args}; copy != 0
 * also feeds the image to a merge named 'keep', so the node cannot work in place. */
static run br_start(int threads, int W, int H, const char *img_args, const char *src,
                    const char *args, int copy) {
  char lua[2048];
  snprintf(lua, sizeof lua,
           "canvas{width=%d,height=%d,frames=%d}\nlocal img = timg{%s}\nlocal s = %s{}\n"
           "out = blur_region{image=img, %s=s, name='out'%s%s}\n%s",
           W, H, MAXF, img_args, src, strcmp(src, "tboxes") == 0 ? "boxes" : "points",
           *args ? ", " : "", args, copy ? "keep = merge{layers={img}, name='keep'}\n" : "");
  run r;
  r.ctx = ctx_threads(threads);
  cr_assert_eq(ysg_register_node_type(r.ctx, &timg_type), YSG_OK, "%s", ysg_errmsg(r.ctx));
  r.p = NULL;
  ysg_status s = ysgt_load(r.ctx, lua, &r.p);
  cr_assert_eq(s, YSG_OK, "load failed: %s\n%s", ysg_errmsg(r.ctx), lua);
  r.v = NULL;
  return r;
}

/* ---- references ------------------------------------------------------------------------------ */
/* Direct 2-D Gaussian of the input at (x, y): weights exp(−(dx² + dy²)/2σ²) over the square of
 * radius floor(truncate·σ + 0.5), normalised, coordinates clamped to the image. */
static void gauss_ref(int W, int H, int x, int y, double sigma, double truncate, double out[4]) {
  int R = sigma > 0 ? (int)floor(truncate * sigma + 0.5) : 0;
  double sw = 0, acc[4] = {0, 0, 0, 0};
  for (int dy = -R; dy <= R; dy++)
    for (int dx = -R; dx <= R; dx++) {
      double w = R ? exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) : 1.0;
      int sx = x + dx < 0 ? 0 : (x + dx >= W ? W - 1 : x + dx);
      int sy = y + dy < 0 ? 0 : (y + dy >= H ? H - 1 : y + dy);
      for (int c = 0; c < 4; c++) acc[c] += w * in_val(sx, sy, c);
      sw += w;
    }
  for (int c = 0; c < 4; c++) out[c] = acc[c] / sw;
}

static double smooth_mask(double d, double falloff) {
  double t = falloff > 0 ? d / falloff : (d > 0 ? 1 : 0);
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  return 1 - t * t * (3 - 2 * t);
}

/* signed distance from pixel centre (x, y) to circle i / box i of S's frame 0 */
static double circle_d(int i, double r, int x, int y) {
  return hypot(x + 0.5 - S.pos[0][i][0], y + 0.5 - S.pos[0][i][1]) - r;
}
static double box_d(int i, double corner, int x, int y) {
  double hx = S.pos[0][i][2] / 2, hy = S.pos[0][i][3] / 2;
  double px = fabs(x + 0.5 - (S.pos[0][i][0] + hx)), py = fabs(y + 0.5 - (S.pos[0][i][1] + hy));
  double m = hx < hy ? hx : hy, r = corner < m ? corner : m;
  double qx = px - hx + r, qy = py - hy + r;
  double ox = qx > 0 ? qx : 0, oy = qy > 0 ? qy : 0, in = qx > qy ? qx : qy;
  return hypot(ox, oy) + (in < 0 ? in : 0) - r;
}

/* the distance to the nearest region of frame 0 (points: radius r; boxes: corner r) */
static double nearest_d(int boxes, double r, int x, int y) {
  double best = INFINITY;
  for (int i = 0; i < S.count[0]; i++) {
    double d = boxes ? box_d(i, r, x, y) : circle_d(i, r, x, y);
    if (d < best) best = d; /* NaN regions compare false: ignored */
  }
  return best;
}

static uint16_t out_bits(const ysg_value *v, int x, int y, int c) {
  if (!v->tiles[(y / 16) * v->tiles_x + x / 16]) return 0;
  return v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c];
}

/* FP16 rounding of the output (half an ulp: 2^-11 relative) plus FP32 accumulation */
static double tol_of(double ref) { return fabs(ref) * (1.0 / 2048) + 2e-5; }

/* Check every pixel of v: d ≥ falloff (mask 0): the input's bits; d ≤ 0 (mask 1): the blend of
 * the input and the 2-D Gaussian at weight opacity. Returns the number of full-mask pixels. */
static int check_image(const ysg_value *v, int boxes, double r, double falloff, double sigma,
                       double truncate, double opacity, const char *what) {
  int W = v->width, H = v->height, inside = 0, bad = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double d = nearest_d(boxes, r, x, y);
      if (d >= falloff + 1e-3 || opacity == 0) {
        uint16_t b[4] = {0, 0, 0, 0};
        if (!sparse_empty(x, y)) in_bits(x, y, b);
        for (int c = 0; c < 4; c++)
          if (out_bits(v, x, y, c) != b[c] && bad++ < 5)
            cr_log_error("%s: (%d,%d) ch %d outside the masks: 0x%04x, input 0x%04x", what, x, y, c,
                         out_bits(v, x, y, c), b[c]);
      } else if (d <= -1e-3) {
        inside++;
        double g[4];
        gauss_ref(W, H, x, y, sigma, truncate, g);
        for (int c = 0; c < 4; c++) {
          double ref = (1 - opacity) * in_val(x, y, c) + opacity * g[c];
          double got = ysg_half_to_float(out_bits(v, x, y, c));
          if (!(fabs(got - ref) <= tol_of(ref)) && bad++ < 5)
            cr_log_error("%s: (%d,%d) ch %d inside: %.6f, expected %.6f", what, x, y, c, got, ref);
        }
      }
    }
  cr_expect_eq(bad, 0, "%s: %d values wrong", what, bad);
  return inside;
}

/* ---- tests ----------------------------------------------------------------------------------- */
static void three_points(void) {
  scene_reset(16, 0);
  scene_point(0, 30.25f, 28.5f, 0, 0);
  scene_point(0, 71.0f, 45.75f, 0, 0);
  scene_point(0, 2.0f, 66.0f, 0, 0); /* crosses the canvas edge: clamped kernel */
}

Test(blur_region, outside_identical_inside_gaussian_in_place) {
  three_points();
  run r = br_start(1, 100, 70, "", "tpoints", "radius=9, falloff=6, sigma=2.5", 0);
  int in = check_image(frame(&r, 0), 0, 9, 6, 2.5, 3, 1, "in place");
  cr_expect_gt(in, 3 * 200, "%d pixels inside the masks", in);
  finish(&r);
}

Test(blur_region, outside_identical_inside_gaussian_copied_two_threads) {
  three_points();
  run r = br_start(2, 100, 70, "sparse=true", "tpoints",
                   "radius=9, falloff=6, sigma=3, truncate=2.5", 1);
  check_image(frame(&r, 0), 0, 9, 6, 3, 2.5, 1, "copied");
  /* the image's other consumer still sees the input */
  const ysg_value *keep = NULL;
  cr_assert_eq(ysg_pipeline_get_value(r.p, "keep", &keep), YSG_OK);
  int bad = 0;
  for (int y = 0; y < 70; y++)
    for (int x = 0; x < 100; x++)
      if (!sparse_empty(x, y)) {
        uint16_t b[4];
        in_bits(x, y, b);
        for (int c = 0; c < 4; c++) bad += out_bits(keep, x, y, c) != b[c];
      }
  cr_expect_eq(bad, 0);
  finish(&r);
}

Test(blur_region, soft_edge_follows_smoothstep_and_falls_monotonically) {
  scene_reset(4, 0);
  scene_point(0, 48.0f, 40.0f, 0, 0);
  /* a 1-px grey checker: the blur is ≈ 0.5 everywhere, so (out − in)/(blur − in) is the weight */
  const double R0 = 10, F = 12, sig = 2;
  run r = br_start(1, 96, 80, "pattern='checker'", "tpoints", "radius=10, falloff=12, sigma=2", 0);
  const ysg_value *v = frame(&r, 0);
  double prev = 2;
  int bad = 0, n = 0;
  for (int x = 48; x < 96; x++) { /* along +x from the centre, row 40 */
    int y = 40;
    double g[4];
    gauss_ref(96, 80, x, y, sig, 3, g);
    double in = in_val(x, y, 0), got = ysg_half_to_float(out_bits(v, x, y, 0));
    double wgt = (got - in) / (g[0] - in);
    double want = smooth_mask(hypot(x + 0.5 - 48, 0.5) - R0, F);
    /* an FP16 rounding of ~0.5 over |blur − in| ≈ 0.5 */
    if (!(fabs(wgt - want) <= 2e-3) && bad++ < 5)
      cr_log_error("x=%d: weight %.5f, expected %.5f", x, wgt, want);
    if (!(wgt <= prev + 2e-3) && bad++ < 5)
      cr_log_error("x=%d: weight %.5f rose from %.5f", x, wgt, prev);
    prev = wgt;
    n += want > 0 && want < 1;
  }
  cr_expect_eq(bad, 0);
  cr_expect_geq(n, 10, "%d pixels on the soft edge", n);
  check_image(v, 0, R0, F, sig, 3, 1, "checker");
  finish(&r);
}

Test(blur_region, boxes_mask_rounded_rectangles) {
  scene_reset(8, 0);
  scene_box(0, 10.5f, 8.0f, 30.0f, 20.0f);
  scene_box(0, 60.0f, 30.0f, 24.0f, 36.0f);
  scene_box(0, 20.0f, 50.0f, 0.0f, 10.0f); /* empty: ignored */
  run r = br_start(2, 100, 70, "", "tboxes", "corner=5, falloff=4, sigma=1.5", 0);
  int in = check_image(frame(&r, 0), 1, 5, 4, 1.5, 3, 1, "boxes");
  cr_expect_gt(in, 1000);
  finish(&r);
}

Test(blur_region, box_with_full_corners_equals_circle) {
  scene_reset(4, 0);
  scene_box(0, 40.0f, 25.0f, 24.0f, 24.0f); /* centre (52, 37), corner 12: a disc of radius 12 */
  run rb = br_start(1, 100, 70, "", "tboxes", "corner=12, falloff=8, sigma=2", 0);
  const ysg_value *vb = frame(&rb, 0);
  scene_reset(4, 0);
  scene_point(0, 52.0f, 37.0f, 0, 0);
  run rp = br_start(1, 100, 70, "", "tpoints", "radius=12, falloff=8, sigma=2", 0);
  const ysg_value *vp = frame(&rp, 0);
  int bad = 0;
  for (int y = 0; y < 70; y++)
    for (int x = 0; x < 100; x++)
      for (int c = 0; c < 4; c++) {
        double a = ysg_half_to_float(out_bits(vb, x, y, c)),
               b = ysg_half_to_float(out_bits(vp, x, y, c));
        if (!(fabs(a - b) <= 1e-3) && bad++ < 5)
          cr_log_error("(%d,%d) ch %d: box %.5f, point %.5f", x, y, c, a, b);
      }
  cr_expect_eq(bad, 0);
  finish(&rb);
  finish(&rp);
}

Test(blur_region, opacity_blends_and_zero_keeps_the_input) {
  three_points();
  run r = br_start(1, 100, 70, "", "tpoints", "radius=8, falloff=5, sigma=2, opacity=0.4", 0);
  check_image(frame(&r, 0), 0, 8, 5, 2, 3, 0.4, "opacity 0.4");
  finish(&r);
  r = br_start(1, 100, 70, "sparse=true", "tpoints", "radius=8, falloff=5, sigma=2, opacity=0", 0);
  const ysg_value *v = frame(&r, 0);
  check_image(v, 0, 8, 5, 2, 3, 0, "opacity 0");
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++)
    cr_expect_eq(v->tiles[t], !sparse_empty((t % v->tiles_x) * 16, (t / v->tiles_x) * 16));
  finish(&r);
}

Test(blur_region, nan_and_off_canvas_regions_are_ignored) {
  scene_reset(8, 0);
  scene_point(0, NAN, 20, 0, 0);
  scene_point(0, 30, INFINITY, 0, 0);
  scene_point(0, -60, 30, 0, 0);  /* radius 10 + falloff 8 < 60 */
  scene_point(0, 50, 200, 0, 0);  /* below the 70-row image */
  scene_point(0, 3e9f, 10, 0, 0); /* beyond ±1e7 */
  run r = br_start(1, 100, 70, "sparse=true", "tpoints", "radius=10, falloff=8", 0);
  const ysg_value *v = frame(&r, 0);
  S.count[0] = 0; /* the reference: no regions at all */
  check_image(v, 0, 10, 8, 6, 3, 1, "ignored regions");
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++)
    cr_expect_eq(v->tiles[t], !sparse_empty((t % v->tiles_x) * 16, (t / v->tiles_x) * 16),
                 "tile %d", t);
  finish(&r);
  scene_reset(8, 0);
  scene_box(0, NAN, 5, 10, 10);
  scene_box(0, 5, 5, -10, 10);
  scene_box(0, 5, 5, 10, NAN);
  scene_box(0, 150, 5, 10, 10);
  r = br_start(1, 100, 70, "", "tboxes", "falloff=8", 0);
  v = frame(&r, 0);
  S.count[0] = 0;
  check_image(v, 1, 0, 8, 6, 3, 1, "ignored boxes");
  finish(&r);
}

/* Over a sparse input (garbage under its empty tiles): empty tiles read as 0 in the blur, a tile
 * flagged 0 holds nothing, every tile with content is flagged. */
Test(blur_region, tiles_are_truthful_over_a_sparse_input) {
  scene_reset(8, 0);
  scene_point(0, 40, 24, 0, 0);
  scene_point(0, 16, 56, 0, 0);
  run r = br_start(2, 100, 70, "sparse=true", "tpoints", "radius=12, falloff=6, sigma=3", 0);
  const ysg_value *v = frame(&r, 0);
  check_image(v, 0, 12, 6, 3, 3, 1, "sparse");
  int empty_in = 0, raised = 0;
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) {
    int tx = t % v->tiles_x, ty = t / v->tiles_x, nz = 0;
    empty_in += sparse_empty(tx * 16, ty * 16);
    for (int y = ty * 16; y < ty * 16 + 16 && y < 70; y++)
      for (int x = tx * 16; x < tx * 16 + 16 && x < 100; x++) {
        double d = nearest_d(0, 12, x, y);
        for (int c = 0; c < 4; c++) {
          /* the true content: the input, or where masked the blend (≠ 0 near content) */
          double g[4];
          if (d < 6) {
            gauss_ref(100, 70, x, y, 3, 3, g);
            nz |= smooth_mask(d, 6) * g[c] + (1 - smooth_mask(d, 6)) * in_val(x, y, c) > 1e-4;
          } else {
            nz |= in_val(x, y, c) != 0;
          }
        }
      }
    if (nz) cr_expect_eq(v->tiles[t], 1, "tile (%d,%d) has content but is flagged empty", tx, ty);
    if (!v->tiles[t]) cr_expect(!nz, "tile (%d,%d) flagged empty holds content", tx, ty);
    raised += sparse_empty(tx * 16, ty * 16) && v->tiles[t];
  }
  cr_expect_gt(empty_in, 3);
  cr_expect_gt(raised, 0, "the blur spreads content into some empty input tiles");
  finish(&r);
}

static void expect_load_error(const char *src, ysg_status want, const char *msg) {
  ysg_context *ctx = ctx_threads(1);
  cr_assert_eq(ysg_register_node_type(ctx, &timg_type), YSG_OK);
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_expect_eq(s, want, "status %d: %s", s, ysg_errmsg(ctx));
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  if (p) ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(blur_region, error_texts) {
  scene_reset(4, 0);
  expect_load_error(
      "canvas{width=32,height=32}\nlocal img = timg{}\nout = blur_region{image=img}\n",
      YSG_ERR_PIPELINE,
      "test.lua:3: node 'blur_region_1' (blur_region): expected exactly one of the "
      "inputs 'points' and 'boxes' to be connected, found neither");
  expect_load_error(
      "canvas{width=32,height=32}\nlocal img = timg{}\nlocal b = tboxes{}\nlocal p = tpoints{}\n"
      "out = blur_region{image=img, boxes=b, points=p, name='out'}\n",
      YSG_ERR_PIPELINE,
      "test.lua:5: node 'out' (blur_region): expected exactly one of the inputs 'points' and "
      "'boxes' to be connected, found both");
  /* a 20×20 box at (8, 8) grown by falloff 4 + 1: 3..33 spans tile columns and rows 0..2 */
  scene_box(0, 8, 8, 20, 20);
  run r = br_start(1, 64, 64, "", "tboxes", "falloff=4, bin_capacity=8", 0);
  cr_expect_eq(ysg_pipeline_run_frame(r.p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(r.ctx),
                   "test.lua:4: node 'out' (blur_region): parameter 'bin_capacity': this frame "
                   "needs 9 tile references, more than the 8 it holds (raise bin_capacity)");
  finish(&r);
}

/* ---- CPU vs CUDA ------------------------------------------------------------------------------
 */
static char reason[512];

#ifdef YSG_HAVE_CUDA
static char err[1024];
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)

static void *dalloc(size_t bytes) {
  void *d = NULL;
  CK(ysg__cuda_malloc(&d, bytes ? bytes : 1, err, sizeof err));
  return d;
}

/* The launcher on timg's bits (garbage under empty tiles included) against the CPU node: pixels
 * within 1e-3 (expf and FMA contraction on the device move roundings) and identical tile flags,
 * both copied and in place. */
static void cuda_matches(const char *img_args, int boxes, const char *args, ysg_region_params P,
                         int W, int H) {
  run r = br_start(1, W, H, img_args, boxes ? "tboxes" : "tpoints", args, 0);
  const ysg_value *ref = frame(&r, 0);
  int tiles_x = (W + 15) / 16, tiles_y = (H + 15) / 16, cap = S.cap, n = S.count[0];
  int cap_items = 16 * tiles_x * tiles_y > 256 * cap ? 16 * tiles_x * tiles_y : 256 * cap;
  size_t npx = (size_t)W * H;
  uint16_t *px = malloc(npx * 8);
  uint8_t *tiles = malloc((size_t)tiles_x * tiles_y);
  float *pos = calloc((size_t)cap, 16);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      uint16_t *q = px + ((size_t)y * W + x) * 4;
      const uint16_t junk[4] = {0x7bff, 0xfbff, 0x7e00, 0x3c00};
      if (sparse_empty(x, y))
        memcpy(q, junk, sizeof junk);
      else
        in_bits(x, y, q);
    }
  for (int t = 0; t < tiles_x * tiles_y; t++)
    tiles[t] = (uint8_t)!sparse_empty((t % tiles_x) * 16, (t / tiles_x) * 16);
  for (int i = 0; i < n; i++) memcpy(pos + (boxes ? 4 : 2) * i, S.pos[0][i], boxes ? 16 : 8);
  void *d_work = dalloc(ysg__cuda_blur_region_work_bytes(cap, W, H, cap_items));
  ysg_cuda_blur_region_work w;
  ysg__cuda_blur_region_work_bind(&w, d_work, cap, W, H, cap_items);
  uint16_t *d_in = dalloc(npx * 8), *d_out = dalloc(npx * 8);
  uint8_t *d_tin = dalloc((size_t)tiles_x * tiles_y), *d_tout = dalloc((size_t)tiles_x * tiles_y);
  float *d_pos = dalloc((size_t)cap * 16);
  int32_t *d_count = dalloc(4);
  ysg_region_params *d_params = dalloc(sizeof P);
  CK(ysg__cuda_upload(d_pos, pos, (size_t)cap * 16, NULL, err, sizeof err));
  CK(ysg__cuda_upload(d_count, &n, 4, NULL, err, sizeof err));
  CK(ysg__cuda_upload(d_params, &P, sizeof P, NULL, err, sizeof err));
  uint16_t *got = malloc(npx * 8);
  uint8_t *gtiles = malloc((size_t)tiles_x * tiles_y);
  for (int inplace = 0; inplace < 2; inplace++) {
    CK(ysg__cuda_upload(d_in, px, npx * 8, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_tin, tiles, (size_t)tiles_x * tiles_y, NULL, err, sizeof err));
    uint16_t *o = inplace ? d_in : d_out;
    uint8_t *ot = inplace ? d_tin : d_tout;
    CK(ysg__cuda_blur_region(d_in, d_tin, o, ot, W, H, boxes ? NULL : d_pos, boxes ? d_pos : NULL,
                             d_count, cap, d_params, &w, NULL, err, sizeof err));
    CK(ysg__cuda_download(got, o, npx * 8, NULL, err, sizeof err));
    CK(ysg__cuda_download(gtiles, ot, (size_t)tiles_x * tiles_y, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    int bad = 0, tdiff = 0;
    double worst = 0;
    for (int t = 0; t < tiles_x * tiles_y; t++) tdiff += gtiles[t] != ref->tiles[t];
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int c = 0; c < 4; c++) {
          int t = (y / 16) * tiles_x + x / 16;
          double a = ysg_half_to_float(out_bits(ref, x, y, c));
          double b = gtiles[t] ? ysg_half_to_float(got[((size_t)y * W + x) * 4 + c]) : 0.0;
          double e = fabs(a - b);
          if (!(e <= 1e-3) && bad++ < 5)
            cr_log_error("%s (%s) (%d,%d) ch %d: cpu %.6f gpu %.6f", args,
                         inplace ? "in place" : "copied", x, y, c, a, b);
          if (e > worst || isnan(e)) worst = isnan(e) ? INFINITY : e;
        }
    cr_log_info("%s (%s): max error %.3g", args, inplace ? "in place" : "copied", worst);
    cr_expect_eq(bad, 0, "%s: %d values differ (max %.3g)", args, bad, worst);
    cr_expect_eq(tdiff, 0, "%s: %d tile flags differ", args, tdiff);
  }
  void *bufs[] = {d_work, d_in, d_out, d_tin, d_tout, d_pos, d_count, d_params};
  for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++) ysg__cuda_free(bufs[k]);
  free(px);
  free(tiles);
  free(pos);
  free(got);
  free(gtiles);
  finish(&r);
}
#endif

Test(blur_region, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  ysg_region_params P = {9, 0, 6, 2.5f, 1, 3, 0, 0};
  three_points();
  scene_point(0, NAN, 3, 0, 0);
  cuda_matches("sparse=true", 0, "radius=9, falloff=6, sigma=2.5", P, 100, 70);
  ysg_region_params Q = {40, 5, 4, 3, 0.7f, 2.5f, 1, 0};
  scene_reset(8, 0);
  scene_box(0, 10.5f, 8.0f, 30.0f, 20.0f);
  scene_box(0, 60.0f, 30.0f, 24.0f, 36.0f);
  scene_box(0, 20.0f, 50.0f, 0.0f, 10.0f);
  cuda_matches("", 1, "corner=5, falloff=4, sigma=3, opacity=0.7, truncate=2.5", Q, 100, 70);
#endif
}
