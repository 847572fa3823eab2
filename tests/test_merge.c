/* test_merge.c — the background and compositing nodes through the Lua DSL: every merge blend mode
 * against numbers worked out by hand from the W3C formulas, opacity, the background (canvas vs
 * param), empty-tile skipping (same bits as no skipping; stale pixels under empty tiles ignored),
 * the layer-size error text, in-place merging, and fill/gradient pixel values (linear vs sRGB
 * interpolation, angles, radial, premultiplied interpolation of a transparent end). A test node
 * type `tpx` writes exact premultiplied values so expected results need no colour conversion. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "blend.h"
#include "color.h"
#include "internal.h"
#include "util.h"

/* ---- the `tpx` test node: exact premultiplied pixels, optional checker of empty tiles -------- */
enum { T_W, T_H, T_R, T_G, T_B, T_A, T_PATTERN, T_PHASE, T_SPARSE, T_GARBAGE, T_COUNT };
static const ysg_param_def tpx_params[T_COUNT] = {
    {"w", YSG_PARAM_INT, "0", 0, 4096, NULL, YSG_PARAM_STATIC, "width, 0: canvas"},
    {"h", YSG_PARAM_INT, "0", 0, 4096, NULL, YSG_PARAM_STATIC, "height, 0: canvas"},
    {"r", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "premultiplied linear red, stored as given"},
    {"g", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "premultiplied linear green"},
    {"b", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "premultiplied linear blue"},
    {"a", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "alpha"},
    {"pattern", YSG_PARAM_ENUM, "solid", 0, 0, "solid|ramp|checker", 0,
     "solid: (r,g,b,a); ramp: (r·fx, g·fy, b·(1-fx), a), f = (coord mod 8)/8; checker: solid on "
     "tiles with (tx+ty+phase) even, zero elsewhere"},
    {"phase", YSG_PARAM_INT, "0", 0, 1, NULL, 0, "checker phase"},
    {"sparse", YSG_PARAM_BOOL, "false", 0, 0, NULL, 0, "mark the checker's empty tiles 0"},
    {"garbage", YSG_PARAM_BOOL, "false", 0, 0, NULL, 0,
     "fill pixels under tiles marked 0 with nonsense (allowed: 0 means nothing there)"},
};
static const ysg_port_def tpx_out[] = {{"image", YSG_IMAGE, 0, "the pattern", NULL, 0}};

static ysg_status tpx_infer(ysg_node *n) {
  ysg_value *o = ysg_node_output(n, 0);
  o->width = ysg_node_int(n, T_W);
  o->height = ysg_node_int(n, T_H);
  return YSG_OK;
}

static ysg_status tpx_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *o = ysg_node_output(n, 0);
  float c[4] = {(float)ysg_node_number(n, T_R), (float)ysg_node_number(n, T_G),
                (float)ysg_node_number(n, T_B), (float)ysg_node_number(n, T_A)};
  int pattern = ysg_node_enum(n, T_PATTERN), phase = ysg_node_int(n, T_PHASE);
  int sparse = ysg_node_bool(n, T_SPARSE), garbage = ysg_node_bool(n, T_GARBAGE);
  for (int ty = 0; ty < o->tiles_y; ty++)
    for (int tx = 0; tx < o->tiles_x; tx++) {
      int on = pattern != 2 || (tx + ty + phase) % 2 == 0;
      o->tiles[ty * o->tiles_x + tx] = (uint8_t)(on || !sparse);
    }
  for (int y = 0; y < o->height; y++)
    for (int x = 0; x < o->width; x++) {
      float p[4] = {c[0], c[1], c[2], c[3]};
      int t = (y / YSG_TILE) * o->tiles_x + x / YSG_TILE;
      if (pattern == 1) {
        float fx = (float)(x % 8) / 8.0f, fy = (float)(y % 8) / 8.0f;
        p[0] = c[0] * fx;
        p[1] = c[1] * fy;
        p[2] = c[2] * (1.0f - fx);
      } else if (pattern == 2 && (x / YSG_TILE + y / YSG_TILE + phase) % 2 != 0) {
        float junk[4] = {9.0f, -3.0f, 7.0f, 5.0f}, zero[4] = {0, 0, 0, 0};
        memcpy(p, garbage && !o->tiles[t] ? junk : zero, sizeof p);
      }
      ysg_store_px(o->px + ((size_t)y * (size_t)o->width + (size_t)x) * 4, p);
    }
  return YSG_OK;
}

static const ysg_node_type tpx_type = {.name = "tpx",
                                       .category = "test",
                                       .doc = "Exact test pixels.",
                                       .outputs = tpx_out,
                                       .n_outputs = 1,
                                       .params = tpx_params,
                                       .n_params = T_COUNT,
                                       .infer = tpx_infer,
                                       .run = tpx_run};

/* ---- helpers ----------------------------------------------------------------------------------
 */
static ysg_context *ctx_tpx(void) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &tpx_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static ysg_pipeline *load(ysg_context *ctx, const char *src) {
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, YSG_OK, "load failed: %s", ysg_errmsg(ctx));
  return p;
}

static const ysg_value *frame_value(ysg_pipeline *p, const char *ref) {
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(p->ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, ref, &v), YSG_OK, "%s", ysg_errmsg(p->ctx));
  cr_assert_eq(v->type, YSG_IMAGE);
  return v;
}

static void px_at(const ysg_value *v, int x, int y, float out[4]) {
  const uint16_t *h = v->px + ((size_t)y * (size_t)v->width + (size_t)x) * 4;
  for (int c = 0; c < 4; c++) out[c] = ysg_half_to_float(h[c]);
}

/* FP16 keeps 11 significant bits: 1e-3 relative (at least absolute) covers one rounding */
static void expect_px(const ysg_value *v, int x, int y, double r, double g, double b, double a,
                      const char *what) {
  float p[4];
  px_at(v, x, y, p);
  double e[4] = {r, g, b, a};
  for (int c = 0; c < 4; c++) {
    double tol = 1e-3 * (fabs(e[c]) > 1.0 ? fabs(e[c]) : 1.0);
    cr_expect(fabs(p[c] - e[c]) <= tol,
              "%s: pixel (%d,%d) channel %d: got %.6f, expected %.6f (tolerance %.1e)", what, x, y,
              c, (double)p[c], e[c], tol);
  }
}

/* every pixel of v equals (r,g,b,a) */
static void expect_uniform(const ysg_value *v, double r, double g, double b, double a,
                           const char *what) {
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) expect_px(v, x, y, r, g, b, a, what);
}

/* sRGB decode written out here, independent of color.h */
static double srgb_decode(double s) {
  return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

/* ---- merge: blend modes ------------------------------------------------------------------------
 */
/* Below: D = (0.125, 0.25, 0.375, 0.5), so Cb = (0.25, 0.5, 0.75); S = (0.5, 0.25, 0.0625, 0.75),
 * so Cs = (2/3, 1/3, 1/12). co = cs(1-ab) + cb(1-as) + as·ab·B(Cb,Cs), ao = as + ab(1-as) = 0.875.
 * The constant part cs(1-ab) + cb(1-as) is (0.28125, 0.1875, 0.125), as·ab = 0.375. */
static const char *mode_src(const char *mode, const char *extra) {
  static char buf[1024];
  snprintf(buf, sizeof buf,
           "canvas{width=32,height=16,frames=1,background='#00000000'}\n"
           "local d = tpx{r=0.125,g=0.25,b=0.375,a=0.5}\n"
           "local s = tpx{r=0.5,g=0.25,b=0.0625,a=0.75}\n"
           "out = merge{layers={d, {s, mode='%s'%s}}, name='out'}\n",
           mode, extra);
  return buf;
}

static void check_mode(const char *mode, const char *extra, double r, double g, double b,
                       double a) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx, mode_src(mode, extra));
  const ysg_value *v = frame_value(p, "out");
  cr_assert_eq(v->width, 32);
  cr_assert_eq(v->height, 16);
  expect_uniform(v, r, g, b, a, mode);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* B = Cs: 0.375·Cs = (0.25, 0.125, 0.03125) */
Test(merge, mode_normal) { check_mode("normal", "", 0.53125, 0.3125, 0.15625, 0.875); }
/* plus: S + D, alpha min(1, 0.75 + 0.5) */
Test(merge, mode_add) { check_mode("add", "", 0.625, 0.5, 0.4375, 1.0); }
/* B = Cb·Cs = (1/6, 1/6, 1/16) -> 0.375·B = (0.0625, 0.0625, 0.0234375) */
Test(merge, mode_multiply) { check_mode("multiply", "", 0.34375, 0.25, 0.1484375, 0.875); }
/* B = Cb + Cs - Cb·Cs = (0.75, 2/3, 0.7708333) -> 0.375·B = (0.28125, 0.25, 0.2890625) */
Test(merge, mode_screen) { check_mode("screen", "", 0.5625, 0.4375, 0.4140625, 0.875); }
/* Cb <= 0.5: 2·Cs·Cb = (1/3, 1/3, -); Cb = 0.75: screen(Cs, 0.5) = 1/12 + 0.5 - 1/24 = 0.5416667
 * -> 0.375·B = (0.125, 0.125, 0.203125) */
Test(merge, mode_overlay) { check_mode("overlay", "", 0.40625, 0.3125, 0.328125, 0.875); }
/* max(Cb, Cs) = (2/3, 0.5, 0.75) -> (0.25, 0.1875, 0.28125) */
Test(merge, mode_lighten) { check_mode("lighten", "", 0.53125, 0.375, 0.40625, 0.875); }
Test(merge, mode_max_is_lighten) { check_mode("max", "", 0.53125, 0.375, 0.40625, 0.875); }
/* min(Cb, Cs) = (0.25, 1/3, 1/12) -> (0.09375, 0.125, 0.03125) */
Test(merge, mode_darken) { check_mode("darken", "", 0.375, 0.3125, 0.15625, 0.875); }
Test(merge, mode_min_is_darken) { check_mode("min", "", 0.375, 0.3125, 0.15625, 0.875); }
/* |Cb - Cs| = (5/12, 1/6, 2/3) -> (0.15625, 0.0625, 0.25) */
Test(merge, mode_difference) { check_mode("difference", "", 0.4375, 0.25, 0.375, 0.875); }

/* opacity 0.5: S' = (0.25, 0.125, 0.03125, 0.375), as' = 0.375, ao = 0.6875;
 * constant part S'(1-ab) + D(1-as') = (0.203125, 0.21875, 0.25); as'·ab = 0.1875 */
Test(merge, opacity_normal) {
  /* + 0.1875·Cs = (0.125, 0.0625, 0.015625) */
  check_mode("normal", ", opacity=0.5", 0.328125, 0.28125, 0.265625, 0.6875);
}
Test(merge, opacity_multiply) {
  /* + 0.1875·Cb·Cs = (0.03125, 0.03125, 0.01171875) */
  check_mode("multiply", ", opacity=0.5", 0.234375, 0.25, 0.26171875, 0.6875);
}
Test(merge, opacity_overlay) {
  /* + 0.1875·(1/3, 1/3, 0.5416667) = (0.0625, 0.0625, 0.1015625) */
  check_mode("overlay", ", opacity=0.5", 0.265625, 0.28125, 0.3515625, 0.6875);
}
Test(merge, opacity_zero_leaves_the_layer_out) {
  check_mode("screen", ", opacity=0", 0.125, 0.25, 0.375, 0.5);
}

Test(merge, add_is_not_clamped_in_linear_light) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=20,height=20,frames=1,background='#00000000'}\n"
                         "local a = tpx{r=0.75,g=0.5,b=0.25,a=1}\n"
                         "local b = tpx{r=0.75,g=0.75,b=0.125,a=0.5}\n"
                         "out = merge{layers={a, {b, mode='add'}}, name='out'}\n");
  expect_uniform(frame_value(p, "out"), 1.5, 1.25, 0.375, 1.0, "add");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(merge, three_layers_in_order) {
  /* D then S (screen, from mode_screen: (0.5625, 0.4375, 0.4140625, 0.875)), then a normal layer
   * X = (0.25, 0, 0, 0.5): co = X + prev·0.5 = (0.53125, 0.21875, 0.20703125), ao = 0.9375 */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=24,height=18,frames=1,background='#00000000'}\n"
                         "local d = tpx{r=0.125,g=0.25,b=0.375,a=0.5}\n"
                         "local s = tpx{r=0.5,g=0.25,b=0.0625,a=0.75}\n"
                         "local x = tpx{r=0.25,a=0.5}\n"
                         "out = merge{layers={d, {s, mode='screen'}, x}, name='out'}\n");
  expect_uniform(frame_value(p, "out"), 0.53125, 0.21875, 0.20703125, 0.9375, "3 layers");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(merge, animated_opacity_and_colour) {
  /* opacity f/2: frame 0 leaves S out, frame 1 is opacity_normal, frame 2 mode_normal; the fill
   * under everything animates from black to sRGB red (frame 1: sRGB 0.5 = linear 0.2140411) */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=16,height=16,frames=3,background='#00000000'}\n"
                         "local d = tpx{r=0.125,g=0.25,b=0.375,a=0.5}\n"
                         "local s = tpx{r=0.5,g=0.25,b=0.0625,a=0.75}\n"
                         "out = merge{layers={d, {s, opacity=function(f, t) return f * 0.5 end}},"
                         " name='out'}\n"
                         "red = fill{color=function(f, t) return {f / 2, 0, 0} end, name='red'}\n");
  const double want[3][4] = {{0.125, 0.25, 0.375, 0.5},
                             {0.328125, 0.28125, 0.265625, 0.6875},
                             {0.53125, 0.3125, 0.15625, 0.875}};
  const double red[3] = {0, srgb_decode(0.5), 1};
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v, *r;
    cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(p, "red", &r), YSG_OK, "%s", ysg_errmsg(ctx));
    char what[32];
    snprintf(what, sizeof what, "frame %d", f);
    expect_px(v, 5, 7, want[f][0], want[f][1], want[f][2], want[f][3], what);
    expect_px(r, 9, 2, red[f], 0, 0, 1, what);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- merge: background -------------------------------------------------------------------------
 */
Test(merge, background_defaults_to_the_canvas) {
  /* '#808080': 128/255 = 0.5019608 -> linear ((s+0.055)/1.055)^2.4 = 0.2158605, opaque */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=40,height=20,frames=1,background='#808080'}\n"
                         "local e = tpx{}\n"
                         "local x = tpx{r=0.25,a=0.5}\n"
                         "out = merge{layers={e}, name='out'}\n"
                         "over = merge{layers={x}, name='over'}\n");
  const ysg_value *v = frame_value(p, "out");
  double g = srgb_decode(128.0 / 255.0);
  cr_assert(fabs(g - 0.2158605) < 1e-6);
  expect_uniform(v, g, g, g, 1.0, "canvas background");
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) cr_expect_eq(v->tiles[t], 1, "tile %d", t);
  /* X over the canvas: (0.25 + 0.5·g, 0.5·g, 0.5·g, 1) */
  const ysg_value *o = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "over", &o), YSG_OK, "%s", ysg_errmsg(ctx));
  expect_uniform(o, 0.25 + 0.5 * g, 0.5 * g, 0.5 * g, 1.0, "layer over canvas background");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(merge, background_param_overrides_the_canvas) {
  /* '#ff000080': red 1 (linear 1), alpha 128/255 -> premultiplied (0.5019608, 0, 0, 0.5019608) */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=40,height=20,frames=1,background='#808080'}\n"
                         "local e = tpx{}\n"
                         "out = merge{layers={e}, background='#ff000080', name='out'}\n");
  double a = 128.0 / 255.0;
  expect_uniform(frame_value(p, "out"), a, 0, 0, a, "background param");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(merge, background_param_transparent_overrides_an_opaque_canvas) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=40,height=20,frames=1,background='#808080'}\n"
                         "local e = tpx{}\n"
                         "out = merge{layers={e}, background='#00000000', name='out'}\n");
  const ysg_value *v = frame_value(p, "out");
  expect_uniform(v, 0, 0, 0, 0, "transparent background param");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- merge: empty tiles
 * -------------------------------------------------------------------------- */
static const char *tiles_src(int sparse, const char *bg) {
  static char buf[1024];
  const char *s = sparse ? "true" : "false";
  snprintf(buf, sizeof buf,
           "canvas{width=72,height=40,frames=1,background='%s'}\n"
           "local a = tpx{pattern='checker',r=0.5,g=0.25,b=0.125,a=0.5,sparse=%s,garbage=%s}\n"
           "local b = tpx{pattern='checker',phase=1,r=0.1,g=0.2,b=0.3,a=0.6,sparse=%s,"
           "garbage=%s}\n"
           "local c = tpx{pattern='ramp',r=1,g=0.5,b=0.75,a=0.75}\n"
           "out = merge{layers={a, {b, mode='screen', opacity=0.7}, {c, mode='multiply'}},"
           " name='out'}\n",
           bg, s, s, s, s);
  return buf;
}

Test(merge, tile_skipping_gives_the_same_bits) {
  const char *bgs[] = {"#00000000", "#203040"};
  for (int i = 0; i < 2; i++) {
    ysg_context *ctx = ctx_tpx();
    ysg_pipeline *dense = load(ctx, tiles_src(0, bgs[i]));
    ysg_pipeline *sparse = load(ctx, tiles_src(1, bgs[i]));
    const ysg_value *vd = frame_value(dense, "out");
    const ysg_value *vs = frame_value(sparse, "out");
    size_t n = (size_t)vd->width * (size_t)vd->height * 4;
    cr_assert_eq(vd->width, vs->width);
    size_t diff = 0;
    for (size_t k = 0; k < n; k++) diff += vd->px[k] != vs->px[k];
    cr_expect_eq(diff, 0, "background %s: %zu halves differ between dense and sparse tiles", bgs[i],
                 diff);
    for (int t = 0; t < vd->tiles_x * vd->tiles_y; t++) {
      cr_expect_eq(vd->tiles[t], 1);
      cr_expect_eq(vs->tiles[t], 1); /* the ramp covers every tile */
    }
    ysg_pipeline_destroy(dense);
    ysg_pipeline_destroy(sparse);
    ysg_context_destroy(ctx);
  }
}

Test(merge, output_tiles_are_the_or_of_the_layers) {
  /* two sparse checkers of the same phase (garbage under their empty tiles) and a dense layer at
   * opacity 0, which contributes nothing and so marks nothing */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=72,height=40,frames=1,background='#00000000'}\n"
                         "local a = tpx{pattern='checker',r=0.5,a=0.5,sparse=true,garbage=true}\n"
                         "local b = tpx{pattern='checker',g=0.25,a=0.25,sparse=true,garbage=true}\n"
                         "local c = tpx{r=1,g=1,b=1,a=1}\n"
                         "out = merge{layers={a, {b, mode='add'}, {c, opacity=0}}, name='out'}\n");
  const ysg_value *v = frame_value(p, "out");
  cr_assert_eq(v->tiles_x, 5);
  cr_assert_eq(v->tiles_y, 3);
  for (int ty = 0; ty < 3; ty++)
    for (int tx = 0; tx < 5; tx++) {
      int on = (tx + ty) % 2 == 0;
      cr_expect_eq(v->tiles[ty * 5 + tx], on, "tile (%d,%d)", tx, ty);
      /* empty tiles hold zeros (never the layers' garbage); full ones a + b: (0.5,0.25,0,0.75) */
      int x = tx * 16 + 3, y = ty * 16 + 5;
      if (on)
        expect_px(v, x, y, 0.5, 0.25, 0, 0.75, "occupied tile");
      else
        expect_px(v, x, y, 0, 0, 0, 0, "empty tile");
    }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- merge: errors -----------------------------------------------------------------------------
 */
Test(merge, layer_size_mismatch_is_reported) {
  ysg_context *ctx = ctx_tpx();
  ysg_status s = ysgt_load(ctx,
                           "canvas{width=128,height=64,frames=1}\n"
                           "local a = tpx{}\n"
                           "local b = tpx{}\n"
                           "local c = tpx{w=64,h=32}\n"
                           "out = merge{layers={a, b, c}, name='out'}\n",
                           NULL);
  cr_assert_eq(s, YSG_ERR_PIPELINE, "%s", ysg_errmsg(ctx));
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:5: node 'out' (merge): layer 3 is 64×32, expected 128×64 like layer 1");
  ysg_context_destroy(ctx);
}

Test(merge, bad_mode_is_reported) {
  ysg_context *ctx = ctx_tpx();
  ysg_status s = ysgt_load(ctx,
                           "canvas{width=16,height=16,frames=1}\n"
                           "local a = tpx{}\n"
                           "out = merge{layers={{a, mode='burn'}}, name='out'}\n",
                           NULL);
  cr_assert_neq(s, YSG_OK);
  cr_assert(strstr(ysg_errmsg(ctx),
                   "expected one of normal|add|multiply|screen|overlay|lighten|darken|difference|"
                   "max|min, got 'burn'"),
            "%s", ysg_errmsg(ctx));
  ysg_context_destroy(ctx);
}

/* ---- merge: in place ---------------------------------------------------------------------------
 */
Test(merge, in_place_is_correct) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=48,height=40,frames=1,background='#00000000'}\n"
                         "local a = tpx{pattern='ramp',r=1,g=1,b=0.25,a=1,name='a'}\n"
                         "local b = tpx{pattern='ramp',r=0.25,g=0.5,b=0.5,a=0.5,name='b'}\n"
                         "out = merge{layers={a, {b, mode='difference', opacity=0.5}}, "
                         "name='out'}\n");
  for (int run = 0; run < 2; run++) {
    const ysg_value *v = frame_value(p, "out");
    ysg_node *a = ysg__node_find(p, "a");
    cr_assert_not_null(a);
    cr_assert_eq((void *)a->outputs[0].px, (void *)v->px, "the engine did not merge in place");
    for (int y = 0; y < v->height; y++)
      for (int x = 0; x < v->width; x++) {
        /* A = (fx, fy, 0.25(1-fx), 1); B·0.5 = (0.125fx, 0.25fy, 0.25(1-fx), 0.25).
         * difference with ab = 1: co = cb·(1-0.25) + |cb·0.25 - cs·1| */
        double fx = (x % 8) / 8.0, fy = (y % 8) / 8.0;
        double cb[3] = {fx, fy, 0.25 * (1 - fx)}, cs[3] = {0.125 * fx, 0.25 * fy, 0.25 * (1 - fx)};
        double e[3];
        for (int c = 0; c < 3; c++) e[c] = cb[c] * 0.75 + fabs(cb[c] * 0.25 - cs[c]);
        expect_px(v, x, y, e[0], e[1], e[2], 1.0, "in place");
      }
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* A dense base layer plus a sparse one: tiles where only the base is present take the base
 * as it is (left untouched in place, copied otherwise); the others blend. */
static void base_plus_sparse(int keep_base) {
  ysg_context *ctx = ctx_tpx();
  static const char *keep[] = {"a"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = keep_base ? 1 : 0;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(
                   ctx,
                   "canvas{width=40,height=36,frames=1,background='#00000000'}\n"
                   "local a = tpx{pattern='ramp',r=1,g=1,b=0.5,a=1,name='a'}\n"
                   "local b = tpx{pattern='checker',r=0.5,g=0.25,b=0.125,a=0.5,sparse=true,"
                   "garbage=true}\n"
                   "out = merge{layers={a, {b, opacity=0.5}}, name='out'}\n",
                   "test.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(p, "out");
  ysg_node *a = ysg__node_find(p, "a");
  cr_assert_eq(a->outputs[0].px == v->px, !keep_base, "in place iff the base is not kept");
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      double fx = (x % 8) / 8.0, fy = (y % 8) / 8.0;
      double e[3] = {fx, fy, 0.5 * (1 - fx)};
      if ((x / 16 + y / 16) % 2 == 0) { /* B·0.5 = (0.25, 0.125, 0.0625, 0.25) over opaque A */
        e[0] = 0.25 + 0.75 * e[0];
        e[1] = 0.125 + 0.75 * e[1];
        e[2] = 0.0625 + 0.75 * e[2];
      }
      expect_px(v, x, y, e[0], e[1], e[2], 1.0, keep_base ? "copied base" : "base in place");
    }
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) cr_expect_eq(v->tiles[t], 1);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(merge, base_layer_in_place) { base_plus_sparse(0); }
Test(merge, base_layer_copied) { base_plus_sparse(1); }

/* The GPU kernel runs ysg_composite_px per pixel; on the same inputs it must give the CPU
 * node's bits (the CPU blends 16-pixel spans with the same ysg_blend_px). */
Test(merge, composite_px_matches_the_node) {
  ysg_context *ctx = ctx_tpx();
  static const char *keep[] = {"a", "b", "c"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 3;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(
                   ctx,
                   "canvas{width=50,height=40,frames=1,background='#203040'}\n"
                   "local a = tpx{pattern='checker',r=0.5,g=0.25,b=0.125,a=0.5,sparse=true,"
                   "garbage=true,name='a'}\n"
                   "local b = tpx{pattern='ramp',r=0.75,g=0.5,b=0.25,a=0.75,name='b'}\n"
                   "local c = tpx{pattern='checker',phase=1,r=0.2,g=0.3,b=0.1,a=0.4,sparse=true,"
                   "garbage=true,name='c'}\n"
                   "out = merge{layers={a, {b, mode='overlay', opacity=0.8}, {c, mode='darken'}},"
                   " name='out'}\n",
                   "test.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(p, "out"), *l[3];
  cr_assert_eq(ysg_pipeline_get_value(p, "a", &l[0]), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p, "b", &l[1]), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p, "c", &l[2]), YSG_OK);
  const uint16_t *px[3] = {l[0]->px, l[1]->px, l[2]->px};
  const uint8_t *tiles[3] = {l[0]->tiles, l[1]->tiles, l[2]->tiles};
  ysg_blend_layer layers[3] = {
      {YSG_BLEND_NORMAL, 1.0f}, {YSG_BLEND_OVERLAY, 0.8f}, {YSG_BLEND_DARKEN, 1.0f}};
  const float *bg = ysg_pipeline_canvas(p)->background;
  size_t diff = 0;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      size_t off = ((size_t)y * (size_t)v->width + (size_t)x) * 4;
      float c[4];
      uint16_t h[4];
      ysg_composite_px(bg, px, tiles, layers, 3, (y / 16) * v->tiles_x + x / 16, off, c);
      ysg_store_px(h, c);
      diff += memcmp(h, v->px + off, sizeof h) != 0;
    }
  cr_expect_eq(diff, 0, "%zu pixels differ between ysg_composite_px and the merge node", diff);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- fill
 * ---------------------------------------------------------------------------------------- */
Test(fill, colours_and_tiles) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p = load(ctx,
                         "canvas{width=40,height=20,frames=1}\n"
                         "a = fill{color='#ff000080', name='a'}\n"
                         "b = fill{color={0.5,0.5,0.5}, name='b'}\n"
                         "c = fill{color='#00000000', name='c'}\n"
                         "d = fill{name='d'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *a, *b, *c, *d;
  cr_assert_eq(ysg_pipeline_get_value(p, "a", &a), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "b", &b), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "c", &c), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "d", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(a->width, 40);
  cr_assert_eq(a->height, 20);
  double al = 128.0 / 255.0, g = srgb_decode(0.5); /* 0.2140411 */
  expect_uniform(a, al, 0, 0, al, "fill #ff000080");
  expect_uniform(b, g, g, g, 1, "fill {0.5,0.5,0.5}");
  expect_uniform(c, 0, 0, 0, 0, "fill transparent");
  expect_uniform(d, 0, 0, 0, 1, "fill default");
  cr_assert_eq(a->tiles_x * a->tiles_y, 6);
  for (int t = 0; t < 6; t++) {
    cr_expect_eq(a->tiles[t], 1);
    cr_expect_eq(c->tiles[t], 0);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- gradient
 * ------------------------------------------------------------------------------------ */
static const ysg_value *gradient(ysg_context *ctx, ysg_pipeline **pp, const char *args) {
  char src[512];
  snprintf(src, sizeof src, "canvas{width=64,height=32,frames=1}\nout = gradient{%s, name='out'}\n",
           args);
  *pp = load(ctx, src);
  return frame_value(*pp, "out");
}

Test(gradient, linear_left_to_right_in_linear_light) {
  /* t = (x + 0.5)/64 at angle 0; black -> white interpolated in linear light is t itself */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#000000', to='#ffffff', angle=0");
  int xs[] = {0, 31, 32, 63};
  for (int i = 0; i < 4; i++) {
    double t = (xs[i] + 0.5) / 64.0;
    for (int y = 0; y < 32; y += 31) expect_px(v, xs[i], y, t, t, t, 1, "linear space");
  }
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) cr_expect_eq(v->tiles[t], 1);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, linear_left_to_right_in_srgb) {
  /* interpolating sRGB-encoded values: the pixel is decode(t); at the middle decode(0.5) ≈ 0.214 */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#000000', to='#ffffff', angle=0, space='srgb'");
  int xs[] = {0, 31, 32, 63};
  for (int i = 0; i < 4; i++) {
    double t = srgb_decode((xs[i] + 0.5) / 64.0);
    expect_px(v, xs[i], 7, t, t, t, 1, "srgb space");
  }
  float mid[4];
  px_at(v, 32, 0, mid);
  cr_expect(mid[0] < 0.25f, "sRGB interpolation is darker at the middle, got %f", (double)mid[0]);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, srgb_space_between_colours) {
  /* from #ff0000 to #0000ff in sRGB: at t, straight sRGB (1-t, 0, t) -> linear (dec(1-t), 0,
   * dec(t))
   */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#ff0000', to='#0000ff', space='srgb'");
  for (int y = 0; y < 32; y += 5) {
    double t = (y + 0.5) / 32.0; /* default angle 90: top to bottom */
    expect_px(v, 13, y, srgb_decode(1 - t), 0, srgb_decode(t), 1, "srgb red-blue");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, default_is_top_to_bottom_dark_blue) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "type='linear'");
  double f[3] = {srgb_decode(0x0b / 255.0), srgb_decode(0x10 / 255.0), srgb_decode(0x30 / 255.0)};
  double to[3] = {srgb_decode(0x1f / 255.0), srgb_decode(0x3a / 255.0), srgb_decode(0x73 / 255.0)};
  int ys[] = {0, 15, 16, 31};
  for (int i = 0; i < 4; i++) {
    double t = (ys[i] + 0.5) / 32.0;
    for (int x = 0; x < 64; x += 21)
      expect_px(v, x, ys[i], f[0] + (to[0] - f[0]) * t, f[1] + (to[1] - f[1]) * t,
                f[2] + (to[2] - f[2]) * t, 1, "default gradient");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, angles) {
  /* t = ((x+0.5-32)·cos + (y+0.5-16)·sin) / (64|cos| + 32|sin|) + 0.5 */
  double angles[] = {180, 45, 270, 30};
  const char *args[] = {
      "from='#000000', to='#ffffff', angle=180", "from='#000000', to='#ffffff', angle=45",
      "from='#000000', to='#ffffff', angle=270", "from='#000000', to='#ffffff', angle=30"};
  for (int i = 0; i < 4; i++) {
    ysg_context *ctx = ctx_tpx();
    ysg_pipeline *p;
    const ysg_value *v = gradient(ctx, &p, args[i]);
    double a = angles[i] * (3.14159265358979323846 / 180.0), ca = cos(a), sa = sin(a);
    int pts[][2] = {{0, 0}, {63, 31}, {0, 31}, {63, 0}, {20, 9}, {32, 16}};
    for (int k = 0; k < 6; k++) {
      int x = pts[k][0], y = pts[k][1];
      double t =
          ((x + 0.5 - 32) * ca + (y + 0.5 - 16) * sa) / (64 * fabs(ca) + 32 * fabs(sa)) + 0.5;
      char what[64];
      snprintf(what, sizeof what, "angle %g", angles[i]);
      expect_px(v, x, y, t, t, t, 1, what);
    }
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
}

Test(gradient, radial_reaches_the_farthest_corner) {
  /* t = distance to (32, 16) / sqrt(32² + 16²) */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#ffffff', to='#000000', type='radial'");
  int pts[][2] = {{0, 0}, {63, 31}, {31, 15}, {32, 16}, {10, 25}, {63, 16}};
  for (int k = 0; k < 6; k++) {
    double dx = pts[k][0] + 0.5 - 32, dy = pts[k][1] + 0.5 - 16;
    double t = sqrt(dx * dx + dy * dy) / sqrt(32.0 * 32.0 + 16.0 * 16.0);
    expect_px(v, pts[k][0], pts[k][1], 1 - t, 1 - t, 1 - t, 1, "radial");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, transparent_end_does_not_bleed) {
  /* premultiplied interpolation: transparent red -> opaque blue is (0, 0, t, t), never reddish */
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#ff000000', to='#0000ff', angle=0");
  for (int x = 0; x < 64; x += 9) {
    double t = (x + 0.5) / 64.0;
    expect_px(v, x, 4, 0, 0, t, t, "transparent to blue");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(gradient, fully_transparent_marks_no_tiles) {
  ysg_context *ctx = ctx_tpx();
  ysg_pipeline *p;
  const ysg_value *v = gradient(ctx, &p, "from='#ff000000', to='#00ff0000'");
  expect_uniform(v, 0, 0, 0, 0, "transparent gradient");
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) cr_expect_eq(v->tiles[t], 0);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
