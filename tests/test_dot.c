/* test_dot.c — the `dot` render node: coverage of every shape (filled and outlined, radii from
 * sub-pixel up, sub-pixel centres) against an exact reference computed here by 64×64 supersampling
 * of the shape's own definition (independent of dot_math.h); the glow profile; per-point radius
 * and colour; composite order; animated params; culling (off-canvas, NaN/inf/huge); the bin
 * capacity error; thread independence; and the CUDA kernel against the CPU node (skipped with the
 * reason when there is no device). Points come from a host node type `tpts` fed by `feed`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "dot_math.h"
#include "internal.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/dot_api.h"
#endif

/* ---- `tpts`: points straight from the test --------------------------------------------------- */
#define FEED_CAP 64
static struct {
  int n;
  uint32_t attrs;
  float xy[FEED_CAP * 2], radius[FEED_CAP], rgba[FEED_CAP * 4];
} feed;

static const ysg_port_def tpts_out[] = {{"points", YSG_POINTS, 0, "the fed points", NULL, 0}};
static ysg_status tpts_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = FEED_CAP;
  return YSG_OK;
}
static ysg_status tpts_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, feed.xy, sizeof(float) * 2 * (size_t)feed.n);
  if (feed.attrs & YSG_ATTR_RADIUS) memcpy(v->radius, feed.radius, sizeof(float) * (size_t)feed.n);
  if (feed.attrs & YSG_ATTR_RGBA) memcpy(v->rgba, feed.rgba, sizeof(float) * 4 * (size_t)feed.n);
  v->count = feed.n;
  v->attrs = feed.attrs;
  return YSG_OK;
}
static const ysg_node_type tpts_type = {.name = "tpts",
                                        .category = "test",
                                        .doc = "Points from the test.",
                                        .outputs = tpts_out,
                                        .n_outputs = 1,
                                        .infer = tpts_infer,
                                        .run = tpts_run};

static void feed_reset(void) { memset(&feed, 0, sizeof feed); }
static int feed_add(float x, float y) {
  feed.xy[2 * feed.n] = x;
  feed.xy[2 * feed.n + 1] = y;
  return feed.n++;
}

/* ---- running a dot node ---------------------------------------------------------------------- */
typedef struct scene {
  ysg_context *ctx;
  ysg_pipeline *p;
  const ysg_value *img;
} scene;

/* Load "canvas; tpts; dot{points=p, <args>}" with `threads` CPU threads and run frame 0. */
static ysg_status scene_try(scene *s, int w, int h, const char *args, int threads) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  s->ctx = NULL;
  s->p = NULL;
  s->img = NULL;
  cr_assert_eq(ysg_context_create(&o, &s->ctx), YSG_OK);
  cr_assert_eq(ysg_register_node_type(s->ctx, &tpts_type), YSG_OK, "%s", ysg_errmsg(s->ctx));
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=1}\nlocal p = tpts{name='p'}\n"
           "dot{points=p, name='d'%s%s}\n",
           w, h, args[0] ? ", " : "", args);
  static const char *keep[] = {"d"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_status st = ysg_pipeline_load_string(s->ctx, src, "test.lua", &lo, &s->p);
  cr_assert_eq(st, YSG_OK, "load failed: %s", ysg_errmsg(s->ctx));
  st = ysg_pipeline_run_frame(s->p, 0);
  if (st == YSG_OK) {
    cr_assert_eq(ysg_pipeline_get_value(s->p, "d", &s->img), YSG_OK, "%s", ysg_errmsg(s->ctx));
    cr_assert_eq(s->img->type, YSG_IMAGE);
  }
  return st;
}

static void scene_run(scene *s, int w, int h, const char *args) {
  ysg_status st = scene_try(s, w, h, args, 1);
  cr_assert_eq(st, YSG_OK, "run failed: %s", ysg_errmsg(s->ctx));
}

static void scene_free(scene *s) {
  ysg_pipeline_destroy(s->p);
  ysg_context_destroy(s->ctx);
}

/* channel c of pixel (x, y); tiles marked 0 read as transparent whatever their pixels hold */
static float chan(const ysg_value *v, int x, int y, int c) {
  if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) return 0.0f;
  return ysg_half_to_float(v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c]);
}

static int tiles_set(const ysg_value *v) {
  int k = 0;
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) k += v->tiles[t] != 0;
  return k;
}

/* ---- the exact reference: membership of a sample point in the shape's definition ------------- */
/* Value of the dot at offset (dx, dy) from its centre: 1 on the shape (or an outline), fo inside
 * an outline, 0 outside. Written from the node's documentation, not from dot_math.h. */
static double ref_sample(int shape, double r, double s, double arm, double fo, double dx,
                         double dy) {
  double ax = fabs(dx), ay = fabs(dy);
  switch (shape) {
    case YSG_SHAPE_RING: {
      double q = sqrt(dx * dx + dy * dy);
      return q < r && q > r - arm ? 1.0 : 0.0;
    }
    case YSG_SHAPE_PLUS: {
      double h = arm / 2;
      return (ax < r && ay < h) || (ax < h && ay < r) ? 1.0 : 0.0;
    }
    case YSG_SHAPE_CROSS: {
      double u = fabs(dx + dy) / sqrt(2.0), v = fabs(dx - dy) / sqrt(2.0), h = arm / 2;
      return (u < r && v < h) || (u < h && v < r) ? 1.0 : 0.0;
    }
    default:
      break;
  }
  /* circle / square / diamond: a "size" m compared with r; the outline is the band of width s
   * centred on the edge, measured perpendicular to it (mitred corners) */
  double m, scale; /* edge-normal distance = (m - r) * scale */
  if (shape == YSG_SHAPE_SQUARE) {
    m = ax > ay ? ax : ay;
    scale = 1.0;
  } else if (shape == YSG_SHAPE_DIAMOND) {
    m = ax + ay;
    scale = 1.0 / sqrt(2.0);
  } else {
    m = sqrt(dx * dx + dy * dy);
    scale = 1.0;
  }
  double e = (m - r) * scale;
  if (s <= 0) return e < 0 ? 1.0 : 0.0;
  if (fabs(e) < s / 2) return 1.0;
  return e < 0 ? fo : 0.0;
}

/* Mean of REF_N × REF_N samples at the centres of a regular sub-grid of pixel (x, y). The issue
 * asks for at least 16×16; a straight edge then lands on a 1/16 grid, off the true area by up to
 * 1/32 per edge (1/16 for a sub-pixel arm with two edges in one pixel), which would hide errors
 * of that size in the node. 64×64 bounds the reference's own error by 1/128 per edge. */
#define REF_N 64
static double ref_pixel(int shape, double cx, double cy, double r, double s, double arm, double fo,
                        int x, int y) {
  double sum = 0;
  for (int j = 0; j < REF_N; j++)
    for (int i = 0; i < REF_N; i++)
      sum +=
          ref_sample(shape, r, s, arm, fo, x + (i + 0.5) / REF_N - cx, y + (j + 0.5) / REF_N - cy);
  return sum / (REF_N * REF_N);
}

typedef struct errs {
  double rmse, max;
  int worst_x, worst_y;
  double worst_got, worst_want;
} errs;

/* Compare alpha of a white dot with the reference over the whole canvas (far pixels must be 0). */
static errs compare_alpha(const ysg_value *v, int shape, double cx, double cy, double r, double s,
                          double arm, double fo) {
  errs e = {0, 0, 0, 0, 0, 0};
  double sq = 0;
  int n = 0;
  double reach = r + s + arm + 2;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      double want = 0;
      if (fabs(x + 0.5 - cx) < reach + 1 && fabs(y + 0.5 - cy) < reach + 1)
        want = ref_pixel(shape, cx, cy, r, s, arm, fo, x, y);
      double got = chan(v, x, y, 3), d = fabs(got - want);
      if (want > 0 || got > 0) {
        sq += d * d;
        n++;
      }
      if (d > e.max) {
        e.max = d;
        e.worst_x = x;
        e.worst_y = y;
        e.worst_got = got;
        e.worst_want = want;
      }
    }
  e.rmse = n ? sqrt(sq / n) : 0;
  return e;
}

static const char *shape_names[] = {"circle", "ring", "square", "diamond", "cross", "plus"};

/* Thresholds. The node computes the exact pixel area for squares, plus signs, diamonds, crosses
 * and discs below 4 px radius (float rounding ~1e-4); for discs of radius ≥ 4 the corrected
 * tangent half-plane is off by ≤ 0.011 (0.045/r, measured against the analytic area). FP16
 * storage adds ≤ 5e-4. The 64×64 reference is off by ≤ 1/128 ≈ 0.008 on a pixel one edge
 * crosses and ≤ 1/64 ≈ 0.016 where two do (corners, thin arms and bands: there the node is
 * exact, except on thin rings under 4 px). Max |error| ≤ 0.008 + 0.011 + 0.0005 → 0.02. RMSE over
 * the pixels either side touches: ≤ 0.012 (observed ≤ 0.010, almost all of it the reference's
 * quantisation: the exact squares show 0.008). A box-filter clamp(0.5 − d) rasterizer fails
 * both: 0.04 at 45° edges, 0.25 at sharp corners, 0.5 for a 0.3 px dot. */
#define MAX_ERR 0.02
#define RMSE_ERR 0.012

static void check_shape(int shape, double r, double stroke, double fo, double cx, double cy) {
  feed_reset();
  feed_add((float)cx, (float)cy);
  char args[256];
  snprintf(args, sizeof args,
           "shape='%s', radius=%.9g, stroke=%.9g, fill_opacity=%.9g, "
           "color='#ffffff'",
           shape_names[shape], r, stroke, fo);
  scene sc;
  scene_run(&sc, 48, 48, args);
  int outline =
      shape == YSG_SHAPE_CIRCLE || shape == YSG_SHAPE_SQUARE || shape == YSG_SHAPE_DIAMOND;
  double s = outline ? stroke : 0, arm = 0;
  if (!outline) {
    arm = stroke > 0 ? stroke : fmax(1.0, r / 3);
    arm = fmin(arm, shape == YSG_SHAPE_RING ? r : 2 * r);
  }
  errs e = compare_alpha(sc.img, shape, cx, cy, r, s, arm, fo);
  cr_log_info("%-7s r=%-6g stroke=%-4g fo=%-3g c=(%g,%g): rmse %.4f max %.4f", shape_names[shape],
              r, stroke, fo, cx, cy, e.rmse, e.max);
  cr_expect(e.max <= MAX_ERR && e.rmse <= RMSE_ERR,
            "%s r=%g stroke=%g fo=%g at (%g,%g): rmse %.4f, max %.4f at pixel (%d,%d): got %.4f, "
            "want %.4f",
            shape_names[shape], r, stroke, fo, cx, cy, e.rmse, e.max, e.worst_x, e.worst_y,
            e.worst_got, e.worst_want);
  scene_free(&sc);
}

static const double radii[] = {0.3, 0.8, 1.6, 3.1, 5.5, 12.25};
static const double offsets[][2] = {{24.0, 24.0}, {24.5, 23.5}, {23.37, 24.81}, {24.13, 23.92}};

static void check_all(int shape, const double *strokes, int n_strokes, double fo) {
  for (size_t i = 0; i < sizeof radii / sizeof radii[0]; i++)
    for (int k = 0; k < n_strokes; k++)
      for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++)
        check_shape(shape, radii[i], strokes[k], fo, offsets[o][0], offsets[o][1]);
}

Test(dot, circle_filled_and_outlined_match_exact_coverage) {
  const double strokes[] = {0, 0.5, 1.5, 3};
  check_all(YSG_SHAPE_CIRCLE, strokes, 4, 0.0);
  const double s2[] = {1.25};
  check_all(YSG_SHAPE_CIRCLE, s2, 1, 0.3);
}

Test(dot, square_filled_and_outlined_match_exact_coverage) {
  const double strokes[] = {0, 0.5, 1.5, 3};
  check_all(YSG_SHAPE_SQUARE, strokes, 4, 0.0);
  const double s2[] = {1.25};
  check_all(YSG_SHAPE_SQUARE, s2, 1, 0.3);
}

Test(dot, diamond_filled_and_outlined_match_exact_coverage) {
  const double strokes[] = {0, 0.5, 1.5, 3};
  check_all(YSG_SHAPE_DIAMOND, strokes, 4, 0.0);
  const double s2[] = {1.25};
  check_all(YSG_SHAPE_DIAMOND, s2, 1, 0.3);
}

Test(dot, ring_cross_plus_match_exact_coverage) {
  const double strokes[] = {0, 0.4, 2};
  check_all(YSG_SHAPE_RING, strokes, 3, 1.0);
  check_all(YSG_SHAPE_CROSS, strokes, 3, 1.0);
  check_all(YSG_SHAPE_PLUS, strokes, 3, 1.0);
}

/* a dot of radius 0.3 covers π·0.09 ≈ 0.283 of a pixel in total, not a whole pixel */
Test(dot, sub_pixel_dot_keeps_its_area) {
  feed_reset();
  feed_add(10.5f, 10.5f);
  scene sc;
  scene_run(&sc, 32, 32, "radius=0.3, color='#ffffff'");
  double sum = 0;
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 32; x++) sum += chan(sc.img, x, y, 3);
  cr_expect(fabs(sum - 3.14159265358979 * 0.09) < 2e-3, "total alpha %.5f, want %.5f", sum,
            3.14159265358979 * 0.09);
  cr_expect(fabs(chan(sc.img, 10, 10, 3) - 3.14159265358979 * 0.09) < 2e-3);
  scene_free(&sc);
}

/* ---- glow ------------------------------------------------------------------------------------ */
Test(dot, glow_follows_the_stated_falloff) {
  feed_reset();
  feed_add(40.5f, 40.5f); /* pixel centres on row 40 are whole distances from the centre */
  scene sc;
  scene_run(&sc, 96, 96, "radius=5, glow=20, glow_intensity=0.8, color='#ffffff'");
  float prev = 2.0f;
  for (int x = 46; x < 96; x++) {
    double d = (x + 0.5 - 40.5) - 5.0; /* distance outside the circle: 1, 2, ... */
    double t = d / 20.0, want = t < 1 ? 0.8 * pow(1 - t * t, 3) : 0.0;
    float got = chan(sc.img, x, 40, 3);
    cr_expect(fabs(got - want) <= 1e-3 + 1e-3 * want, "d=%g: glow alpha %.5f, want %.5f", d, got,
              want);
    cr_expect(got <= prev, "glow rises at d=%g: %.5f after %.5f", d, got, prev);
    if (d >= 20) cr_expect_eq(got, 0.0f, "glow beyond its radius at d=%g: %g", d, got);
    prev = got;
  }
  /* a real falloff, not a flat disc: halfway out it is (3/4)³ of the edge value */
  cr_expect(fabs(chan(sc.img, 55, 40, 3) - 0.8 * 0.421875) < 1e-3);
  /* inside the circle the shape is opaque */
  cr_expect_eq(chan(sc.img, 40, 40, 3), 1.0f);
  /* the same falloff along a diagonal: radial symmetry */
  double dd = sqrt(2.0) * 10 - 5.0, t = dd / 20;
  cr_expect(fabs(chan(sc.img, 50, 50, 3) - 0.8 * pow(1 - t * t, 3)) < 2e-3);
  scene_free(&sc);
}

Test(dot, glow_profile_function) {
  float prev = 1.0f;
  for (int i = 0; i <= 100; i++) {
    float t = (float)i / 100.0f, g = ysg_dot_glow_profile(t, 1.0f);
    double want = pow(1.0 - (double)t * t, 3);
    cr_expect(fabs(g - want) < 1e-6, "t=%g: %g vs %g", t, g, want);
    cr_expect(g <= prev);
    prev = g;
  }
  cr_expect_eq(ysg_dot_glow_profile(1.0f, 4.0f), 0.0f);
  cr_expect_eq(ysg_dot_glow_profile(1.5f, 4.0f), 0.0f);
  cr_expect_eq(ysg_dot_glow_profile(0.1f, 4.0f), 1.0f); /* clamped */
  cr_expect_eq(ysg_dot_glow_profile(NAN, 1.0f), 0.0f);
}

/* ---- per-point attributes, colour, composite order --------------------------------------------
 */
Test(dot, per_point_radius_and_colour) {
  feed_reset();
  feed_add(8.5f, 8.5f);
  feed_add(30.5f, 8.5f);
  feed.attrs = YSG_ATTR_RADIUS | YSG_ATTR_RGBA;
  feed.radius[0] = 2.0f;
  feed.radius[1] = 6.0f;
  float c0[4] = {0.2f, 0.4f, 0.6f, 1.0f}, c1[4] = {1.0f, 0.0f, 0.0f, 0.5f};
  memcpy(feed.rgba, c0, sizeof c0);
  memcpy(feed.rgba + 4, c1, sizeof c1);
  scene sc;
  scene_run(&sc, 48, 24, "radius=3, color='#00ff00'");
  for (int c = 0; c < 4; c++) {
    cr_expect(fabs(chan(sc.img, 8, 8, c) - c0[c]) < 1e-3, "dot 0 channel %d", c);
    cr_expect(fabs(chan(sc.img, 30, 8, c) - (c < 3 ? c1[c] * c1[3] : c1[3])) < 1e-3,
              "dot 1 channel %d", c);
  }
  /* radius 2 vs 6: pixel 4 px right of the centres is outside dot 0, inside dot 1 */
  cr_expect_eq(chan(sc.img, 12, 8, 3), 0.0f);
  cr_expect(fabs(chan(sc.img, 34, 8, 3) - 0.5f) < 1e-3);
  scene_free(&sc);

  /* data_radius=false and data_colors=false: the params win (#00ff00 is linear (0,1,0)) */
  scene_run(&sc, 48, 24, "radius=3, color='#00ff00', data_radius=false, data_colors=false");
  cr_expect(fabs(chan(sc.img, 8, 8, 1) - 1.0f) < 1e-3);
  cr_expect_eq(chan(sc.img, 8, 8, 0), 0.0f);
  cr_expect_eq(chan(sc.img, 34, 8, 3), 0.0f); /* radius 3 now */
  cr_expect(fabs(chan(sc.img, 32, 8, 3) - 1.0f) < 1e-3);
  scene_free(&sc);

  /* opacity multiplies, and the param colour is converted from sRGB (#808080 → 0.2158605) */
  feed.attrs = 0;
  scene_run(&sc, 48, 24, "radius=3, color='#808080', opacity=0.5");
  cr_expect(fabs(chan(sc.img, 8, 8, 0) - 0.5 * 0.2158605) < 1e-3);
  cr_expect(fabs(chan(sc.img, 8, 8, 3) - 0.5) < 1e-3);
  scene_free(&sc);
}

Test(dot, later_points_composite_over_earlier) {
  feed_reset();
  feed_add(10.5f, 10.5f);
  feed_add(11.5f, 10.5f);
  feed.attrs = YSG_ATTR_RGBA;
  float red[4] = {1, 0, 0, 1}, blue[4] = {0, 0, 1, 0.5f};
  memcpy(feed.rgba, red, sizeof red);
  memcpy(feed.rgba + 4, blue, sizeof blue);
  scene sc;
  scene_run(&sc, 32, 32, "radius=4");
  float want[4] = {0.5f, 0, 0.5f, 1}; /* blue·0.5 over red */
  for (int c = 0; c < 4; c++) cr_expect(fabs(chan(sc.img, 11, 10, c) - want[c]) < 1e-3);
  scene_free(&sc);
  memcpy(feed.rgba, blue, sizeof blue);
  memcpy(feed.rgba + 4, red, sizeof red);
  scene_run(&sc, 32, 32, "radius=4");
  for (int c = 0; c < 4; c++) cr_expect(fabs(chan(sc.img, 11, 10, c) - red[c]) < 1e-3);
  scene_free(&sc);
}

/* outline with a translucent inside: band 1, inside fill_opacity, outside 0 */
Test(dot, outline_and_fill_opacity) {
  feed_reset();
  feed_add(20.0f, 20.0f);
  scene sc;
  scene_run(&sc, 40, 40, "shape='square', radius=8, stroke=2, fill_opacity=0.2, color='#ffffff'");
  cr_expect(fabs(chan(sc.img, 20, 20, 3) - 0.2f) < 1e-3); /* inside */
  cr_expect(fabs(chan(sc.img, 27, 20, 3) - 1.0f) < 1e-3); /* band: 27..28 */
  cr_expect(fabs(chan(sc.img, 28, 20, 3) - 1.0f) < 1e-3); /* band */
  cr_expect_eq(chan(sc.img, 29, 20, 3), 0.0f);            /* outside */
  cr_expect(fabs(chan(sc.img, 28, 28, 3) - 1.0f) < 1e-3); /* mitred corner */
  scene_free(&sc);
}

/* ---- culling ----------------------------------------------------------------------------------
 */
Test(dot, fully_off_canvas_dots_draw_nothing) {
  feed_reset();
  feed_add(-12.0f, 10.0f); /* radius 4 + glow 6: reaches x = -2 */
  feed_add(10.0f, -11.0f);
  feed_add(76.0f, 10.0f);
  feed_add(10.0f, 59.0f);
  feed_add(-100.0f, -100.0f);
  scene sc;
  scene_run(&sc, 64, 48, "radius=4, glow=6");
  cr_expect_eq(tiles_set(sc.img), 0, "%d tiles drawn", tiles_set(sc.img));
  scene_free(&sc);
  feed_add(-3.0f, 10.0f); /* partly on the canvas (x < 7, 0 ≤ y < 20): drawn in 2 tiles */
  scene_run(&sc, 64, 48, "radius=4, glow=6");
  cr_expect_eq(tiles_set(sc.img), 2);
  cr_expect(sc.img->tiles[0] && sc.img->tiles[sc.img->tiles_x]);
  cr_expect(chan(sc.img, 0, 10, 3) > 0.5f);
  scene_free(&sc);
}

Test(dot, nan_inf_and_huge_values_are_skipped) {
  const float bad[][2] = {{NAN, 10},   {10, NAN},        {INFINITY, 10}, {10, -INFINITY},
                          {1e30f, 10}, {-1e30f, -1e30f}, {2e7f, 10},     {10, 3.4e38f}};
  int nb = (int)(sizeof bad / sizeof bad[0]);
  feed_reset();
  for (int i = 0; i < nb; i++) feed_add(bad[i][0], bad[i][1]);
  /* finite centres with bad radii or colours */
  const float rad[] = {NAN, INFINITY, -INFINITY, -1.0f, 0.0f};
  for (int i = 0; i < 5; i++) feed.radius[feed_add(20.0f, 20.0f)] = rad[i];
  int k = feed_add(20.0f, 20.0f);
  feed.radius[k] = 3;
  feed.rgba[4 * k] = NAN;
  feed.rgba[4 * k + 3] = 1;
  k = feed_add(20.0f, 20.0f);
  feed.radius[k] = 3;
  feed.rgba[4 * k + 3] = INFINITY;
  k = feed_add(20.0f, 20.0f); /* alpha 0: nothing to draw */
  feed.radius[k] = 3;
  for (int i = 0; i < nb; i++) feed.radius[i] = 4;
  for (int i = 0; i < feed.n; i++)
    if (i < nb + 5) feed.rgba[4 * i + 3] = 1;
  feed.attrs = YSG_ATTR_RADIUS | YSG_ATTR_RGBA;
  scene sc;
  scene_run(&sc, 64, 48, "glow=3");
  cr_expect_eq(tiles_set(sc.img), 0, "%d tiles drawn", tiles_set(sc.img));
  scene_free(&sc);

  /* a huge finite radius is clamped to 10000: the dot covers the canvas */
  feed_reset();
  feed_add(20.0f, 20.0f);
  feed.radius[0] = 1e30f;
  feed.attrs = YSG_ATTR_RADIUS;
  scene_run(&sc, 64, 48, "color='#ffffff'");
  cr_expect_eq(tiles_set(sc.img), 4 * 3);
  cr_expect_eq(chan(sc.img, 63, 47, 3), 1.0f);
  scene_free(&sc);
}

/* a good dot among bad ones renders exactly as alone */
Test(dot, bad_points_do_not_disturb_good_ones) {
  feed_reset();
  feed_add(NAN, 5);
  feed_add(13.3f, 17.6f);
  feed_add(1e30f, 1e30f);
  scene a, b;
  scene_run(&a, 40, 40, "radius=5.5, shape='diamond'");
  feed_reset();
  feed_add(13.3f, 17.6f);
  scene_run(&b, 40, 40, "radius=5.5, shape='diamond'");
  cr_assert_eq(tiles_set(a.img), tiles_set(b.img));
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 40; x++)
      for (int c = 0; c < 4; c++) cr_expect_eq(chan(a.img, x, y, c), chan(b.img, x, y, c));
  scene_free(&a);
  scene_free(&b);
}

Test(dot, empty_input_draws_nothing) {
  feed_reset();
  scene sc;
  scene_run(&sc, 50, 30, "");
  cr_expect_eq(tiles_set(sc.img), 0);
  scene_free(&sc);
}

/* radius and opacity are functions of time: frame 2 draws a bigger, more opaque dot */
Test(dot, radius_and_opacity_animate) {
  feed_reset();
  feed_add(20.5f, 20.5f);
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &tpts_type), YSG_OK);
  static const char *keep[] = {"d"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "canvas{width=48,height=48,frames=3}\n"
                                        "dot{points=tpts{}, name='d', color='#ffffff',\n"
                                        "    radius=function(f) return 2 + 4 * f end,\n"
                                        "    opacity=function(f) return 0.25 * (f + 1) end}\n",
                                        "test.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "d", &v), YSG_OK);
  cr_expect(fabs(chan(v, 20, 20, 3) - 0.25) < 1e-3);
  cr_expect_eq(chan(v, 26, 20, 3), 0.0f);
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect(fabs(chan(v, 20, 20, 3) - 0.75) < 1e-3);
  cr_expect(fabs(chan(v, 26, 20, 3) - 0.75) < 1e-3); /* radius 10 now */
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- bin capacity -----------------------------------------------------------------------------
 */
Test(dot, bin_capacity_error_names_the_param) {
  feed_reset();
  feed_add(16.0f, 16.0f); /* radius 4 straddles 4 tiles */
  scene sc;
  ysg_status st = scene_try(&sc, 64, 64, "bin_capacity=3", 1);
  cr_assert_eq(st, YSG_ERR_LIMIT);
  const char *msg = ysg_errmsg(sc.ctx);
  cr_expect(strstr(msg,
                   "node 'd' (dot): parameter 'bin_capacity': this frame needs 4 tile "
                   "references, more than the 3 it holds (raise bin_capacity)") != NULL,
            "message: %s", msg);
  cr_expect(strncmp(msg, "test.lua:3: ", 12) == 0, "message: %s", msg);
  scene_free(&sc);
  st = scene_try(&sc, 64, 64, "bin_capacity=4", 1);
  cr_expect_eq(st, YSG_OK, "%s", ysg_errmsg(sc.ctx));
  scene_free(&sc);
}

/* ---- threads: tiles are independent, so 1 and 2 threads give the same bits ---------------------
 */
Test(dot, threads_give_identical_images) {
  feed_reset();
  unsigned s = 12345;
  for (int i = 0; i < FEED_CAP; i++) {
    s = s * 1103515245u + 12345u;
    float x = (float)(s >> 8 & 0xffff) / 65536.0f * 140.0f - 10.0f;
    s = s * 1103515245u + 12345u;
    float y = (float)(s >> 8 & 0xffff) / 65536.0f * 100.0f - 10.0f;
    feed_add(x, y);
    feed.radius[i] = 0.5f + (float)(i % 9);
    feed.rgba[4 * i] = (float)(i % 3) / 2.0f;
    feed.rgba[4 * i + 1] = (float)(i % 5) / 4.0f;
    feed.rgba[4 * i + 2] = 0.5f;
    feed.rgba[4 * i + 3] = 0.3f + 0.1f * (float)(i % 7);
  }
  feed.attrs = YSG_ATTR_RADIUS | YSG_ATTR_RGBA;
  for (int shape = 0; shape < 6; shape++) {
    char args[128];
    snprintf(args, sizeof args, "shape='%s', glow=4, stroke=%d", shape_names[shape], shape % 2);
    scene a, b;
    cr_assert_eq(scene_try(&a, 120, 80, args, 1), YSG_OK);
    cr_assert_eq(scene_try(&b, 120, 80, args, 2), YSG_OK);
    cr_assert(tiles_set(a.img) > 10);
    cr_assert_eq(memcmp(a.img->tiles, b.img->tiles, (size_t)a.img->tiles_x * a.img->tiles_y), 0);
    for (int y = 0; y < 80; y++)
      for (int x = 0; x < 120; x++)
        for (int c = 0; c < 4; c++) cr_assert_eq(chan(a.img, x, y, c), chan(b.img, x, y, c));
    scene_free(&a);
    scene_free(&b);
  }
}

/* ---- CUDA -------------------------------------------------------------------------------------
 */
static char reason[512];

Test(dot, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("dot CUDA comparison skipped: %s", reason);
    cr_skip_test("dot CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  char err[1024] = "";
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)
  feed_reset();
  unsigned s = 777;
  for (int i = 0; i < FEED_CAP; i++) {
    s = s * 1103515245u + 12345u;
    float x = (float)(s >> 8 & 0xffff) / 65536.0f * 220.0f - 10.0f;
    s = s * 1103515245u + 12345u;
    float y = (float)(s >> 8 & 0xffff) / 65536.0f * 140.0f - 10.0f;
    feed_add(x, y);
    feed.radius[i] = 0.3f + (float)(i % 11) * 1.7f;
    feed.rgba[4 * i] = (float)(i % 3) / 2.0f;
    feed.rgba[4 * i + 1] = (float)(i % 5) / 4.0f;
    feed.rgba[4 * i + 2] = 0.5f;
    feed.rgba[4 * i + 3] = 0.3f + 0.1f * (float)(i % 7);
  }
  feed.xy[0] = NAN;
  feed.xy[3] = 1e30f;
  feed.attrs = YSG_ATTR_RADIUS | YSG_ATTR_RGBA;
  const int W = 200, H = 120;
  for (int shape = 0; shape < 6; shape++) {
    char args[160];
    double stroke = shape % 2 ? 0 : 1.5, glow = shape < 3 ? 5 : 0;
    snprintf(args, sizeof args,
             "shape='%s', glow=%g, stroke=%g, fill_opacity=0.25, opacity=0.9, color='#ff8040'",
             shape_names[shape], glow, stroke);
    scene sc;
    scene_run(&sc, W, H, args);
    ysg_dot_params prm;
    memset(&prm, 0, sizeof prm);
    prm.radius = 4;
    prm.stroke = (float)stroke;
    prm.fill_opacity = 0.25f;
    prm.opacity = 0.9f;
    prm.glow = (float)glow;
    prm.glow_intensity = 0.6f;
    float straight[4];
    cr_assert(ysg__parse_color("#ff8040", straight));
    ysg_premultiply(straight, prm.color);
    prm.shape = shape;
    prm.data_radius = prm.data_colors = 1;
    int32_t count = feed.n;
    uint32_t attrs = feed.attrs;
    void *d_xy, *d_rad, *d_rgba, *d_count, *d_attrs, *d_prm, *d_px, *d_tiles, *d_work;
    size_t px_bytes = (size_t)W * H * 8, n_tiles = (size_t)sc.img->tiles_x * sc.img->tiles_y;
    int cap_items = (int)ysg_dot_bin_capacity((int)n_tiles, FEED_CAP);
    size_t work = ysg__cuda_dot_work_bytes(FEED_CAP, W, H, cap_items);
    CK(ysg__cuda_malloc(&d_xy, sizeof feed.xy, err, sizeof err));
    CK(ysg__cuda_malloc(&d_rad, sizeof feed.radius, err, sizeof err));
    CK(ysg__cuda_malloc(&d_rgba, sizeof feed.rgba, err, sizeof err));
    CK(ysg__cuda_malloc(&d_count, sizeof count, err, sizeof err));
    CK(ysg__cuda_malloc(&d_attrs, sizeof attrs, err, sizeof err));
    CK(ysg__cuda_malloc(&d_prm, sizeof prm, err, sizeof err));
    CK(ysg__cuda_malloc(&d_px, px_bytes, err, sizeof err));
    CK(ysg__cuda_malloc(&d_tiles, n_tiles, err, sizeof err));
    CK(ysg__cuda_malloc(&d_work, work, err, sizeof err));
    CK(ysg__cuda_upload(d_xy, feed.xy, sizeof feed.xy, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_rad, feed.radius, sizeof feed.radius, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_rgba, feed.rgba, sizeof feed.rgba, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_count, &count, sizeof count, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_attrs, &attrs, sizeof attrs, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_prm, &prm, sizeof prm, NULL, err, sizeof err));
    ysg_cuda_dot_work w;
    ysg__cuda_dot_work_bind(&w, d_work, FEED_CAP, W, H, cap_items);
    CK(ysg__cuda_dot(d_xy, d_rad, d_rgba, d_count, d_attrs, FEED_CAP, d_prm, d_px, d_tiles, W, H,
                     &w, NULL, err, sizeof err));
    uint16_t *px = malloc(px_bytes);
    uint8_t *tiles = malloc(n_tiles);
    int32_t total = -1;
    cr_assert(px && tiles);
    CK(ysg__cuda_download(px, d_px, px_bytes, NULL, err, sizeof err));
    CK(ysg__cuda_download(tiles, d_tiles, n_tiles, NULL, err, sizeof err));
    CK(ysg__cuda_download(&total, w.total, sizeof total, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    cr_expect(total > 0 && total <= cap_items, "total %d", total);
    int bad = 0, tile_diff = 0;
    double worst = 0;
    /* A flag may differ only where the flagged side drew next to nothing (an alpha that rounds to
     * 0 on one side and 1e-7 on the other): every pixel of the tile then stays within tolerance,
     * which the pixel comparison below checks. */
    for (size_t t = 0; t < n_tiles; t++)
      if (tiles[t] != sc.img->tiles[t]) {
        int tx = (int)t % sc.img->tiles_x, ty = (int)t / sc.img->tiles_x;
        float most = 0;
        for (int y = ty * YSG_TILE; y < (ty + 1) * YSG_TILE && y < H; y++)
          for (int x = tx * YSG_TILE; x < (tx + 1) * YSG_TILE && x < W; x++) {
            float a = tiles[t] ? ysg_half_to_float(px[((size_t)y * W + x) * 4 + 3])
                               : chan(sc.img, x, y, 3);
            most = a > most ? a : most;
          }
        tile_diff += most > 2e-3f;
      }
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        int t = (y / YSG_TILE) * sc.img->tiles_x + x / YSG_TILE;
        for (int c = 0; c < 4; c++) {
          double g = tiles[t] ? ysg_half_to_float(px[((size_t)y * W + x) * 4 + c]) : 0.0;
          double e = fabs(g - chan(sc.img, x, y, c));
          /* same math on both sides; nvcc's FMA contraction moves roundings: 2e-3 */
          if (!(e <= 2e-3) && bad++ < 5)
            cr_log_error("%s: pixel (%d,%d) channel %d: cpu %.5f gpu %.5f", shape_names[shape], x,
                         y, c, chan(sc.img, x, y, c), g);
          if (e > worst) worst = e;
        }
      }
    cr_log_info("dot CUDA %s: max error %.3g", shape_names[shape], worst);
    cr_expect_eq(bad, 0, "%s: %d values differ (max %.3g)", shape_names[shape], bad, worst);
    cr_expect_eq(tile_diff, 0, "%s: %d tile flags differ", shape_names[shape], tile_diff);
    free(px);
    free(tiles);
    void *all[] = {d_xy, d_rad, d_rgba, d_count, d_attrs, d_prm, d_px, d_tiles, d_work};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ysg__cuda_free(all[i]);
    scene_free(&sc);
  }
#undef CK
#endif
}
