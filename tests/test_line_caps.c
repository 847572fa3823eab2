/* test_line_caps.c — the `line` node's ends and taper: butt ends, arrow heads on edges and on
 * curves (the head along the end segment), heads shortened on short edges, taper of width and
 * opacity by sample index, breaks at non-finite samples, zero-length strokes, patterns with butt
 * ends, and that a shaped stroke stays one union shape. Coverage is checked against a reference
 * written here: the shapes the node documents (rectangles, discs, triangles, tapered bands),
 * 16×16 point samples per pixel. Geometry comes from the host-defined node type `tgeo`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "util.h"

#include "line_geo.h"

#define PI 3.14159265358979323846

/* ---- running the node ------------------------------------------------------------------------ */
static float *run_alpha_ctx(ysg_context *ctx, int w, int h, const char *a) {
  char full[1024];
  snprintf(full, sizeof full, "color='#ffffff', %s", a);
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, line_src(w, h, full), &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  float *o = calloc((size_t)w * h, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE])
        o[y * w + x] = ysg_half_to_float(v->px[((size_t)y * w + x) * 4 + 3]);
  ysg_pipeline_destroy(p);
  return o;
}

static float *run_alpha(int w, int h, const char *a) {
  ysg_context *ctx = make_ctx(1);
  float *o = run_alpha_ctx(ctx, w, h, a);
  ysg_context_destroy(ctx);
  return o;
}

/* ---- the reference: a union of simple shapes, 16×16 samples per pixel ----------------------- */
enum { RECT, DISC, TRI, BAND };
typedef struct shape {
  int kind;
  double ax, ay, bx, by; /* RECT/BAND: axis a -> b; DISC: centre a; TRI: tip a, base centre b */
  double h0, h1;         /* RECT: half width h0; DISC: radius h0; TRI: half base h0; BAND h0->h1 */
} shape;

static shape shapes[256];
static int n_shapes;

static void add_shape(int kind, double ax, double ay, double bx, double by, double h0, double h1) {
  cr_assert(n_shapes < 256);
  shapes[n_shapes++] = (shape){kind, ax, ay, bx, by, h0, h1};
}

static int inside(const shape *s, double x, double y) {
  double dx = s->bx - s->ax, dy = s->by - s->ay, l = hypot(dx, dy);
  double qx = x - s->ax, qy = y - s->ay;
  if (s->kind == DISC) return qx * qx + qy * qy <= s->h0 * s->h0;
  if (!(l > 0)) return 0;
  double along = (qx * dx + qy * dy) / l, across = fabs(qx * dy - qy * dx) / l;
  if (along < 0 || along > l) return 0;
  switch (s->kind) {
    case RECT:
      return across <= s->h0;
    case BAND:
      return across <= s->h0 + (s->h1 - s->h0) * along / l;
    default: /* TRI: the tip at a */
      return across <= s->h0 * along / l;
  }
}

static float *ref_alpha(int w, int h) {
  float *a = calloc((size_t)w * h, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int c = 0;
      for (int j = 0; j < 16; j++)
        for (int i = 0; i < 16; i++) {
          double sx = x + (i + 0.5) / 16.0, sy = y + (j + 0.5) / 16.0;
          for (int k = 0; k < n_shapes; k++)
            if (inside(&shapes[k], sx, sy)) {
              c++;
              break;
            }
        }
      a[y * w + x] = (float)c / 256.0f;
    }
  return a;
}

typedef struct err_stats {
  double rmse, max;
  int n, max_x, max_y;
} err_stats;

static err_stats compare(const float *got, const float *ref, int w, int h) {
  err_stats e = {0, 0, 0, -1, -1};
  double sum = 0;
  for (int k = 0; k < w * h; k++) {
    double d = fabs((double)got[k] - ref[k]);
    if (!(d <= e.max)) {
      e.max = isnan(d) ? INFINITY : d;
      e.max_x = k % w;
      e.max_y = k / w;
    }
    if (got[k] > 0 || ref[k] > 0) {
      sum += d * d;
      e.n++;
    }
  }
  e.rmse = e.n ? sqrt(sum / e.n) : 0;
  return e;
}

static err_stats check(int w, int h, const char *a) {
  float *got = run_alpha(w, h, a), *ref = ref_alpha(w, h);
  err_stats e = compare(got, ref, w, h);
  free(got);
  free(ref);
  return e;
}

/* ---- butt ends ------------------------------------------------------------------------------- */
/* One edge of length 40 at many angles and offsets, butt ends: a rectangle. Thresholds as for
 * round caps in test_line.c (the ends are integrated in 16 slices; the reference's own sampling
 * error reaches 1/32): RMSE 0.012, max 0.035. */
Test(caps, butt_ends_match_the_rectangle) {
  static const double widths[3] = {1, 2.5, 6};
  static const double offs[2][2] = {{32, 32}, {32.37, 31.81}};
  for (int wi = 0; wi < 3; wi++) {
    double worst = 0, worst_rmse = 0;
    for (int ai = 0; ai < 12; ai++)
      for (int oi = 0; oi < 2; oi++) {
        double deg = ai * 15.0 + 3.7 * oi, r = deg * PI / 180;
        geo_reset();
        add_segment((float)(offs[oi][0] - 20 * cos(r)), (float)(offs[oi][1] - 20 * sin(r)),
                    (float)(offs[oi][0] + 20 * cos(r)), (float)(offs[oi][1] + 20 * sin(r)));
        n_shapes = 0;
        add_shape(RECT, G.xy[0], G.xy[1], G.xy[2], G.xy[3], widths[wi] / 2, 0);
        char a[256];
        snprintf(a, sizeof a, "points=g.points, edges=g.edges, width=%g, cap='butt'", widths[wi]);
        err_stats e = check(64, 64, a);
        worst = fmax(worst, e.max);
        worst_rmse = fmax(worst_rmse, e.rmse);
        cr_expect(e.rmse <= 0.012 && e.max <= 0.035,
                  "width %g angle %g: rmse %.4f max %.4f at (%d,%d)", widths[wi], deg, e.rmse,
                  e.max, e.max_x, e.max_y);
      }
    cr_log_info("butt, width %g: worst rmse %.4f, worst max %.4f", widths[wi], worst_rmse, worst);
  }
}

/* ---- arrow heads ----------------------------------------------------------------------------- */
/* The documented arrow: the head's tip at the end point, its base L back along the edge, the
 * stroke running from the other end (a round cap there) to ov = L/2·(1 - h/hb) past the base. */
static double overlap(double L, double h, double hb) {
  return fmax(0.5 * L * fmax(0, 1 - h / hb), fmin(1, 0.5 * L));
}

static void arrow_edge_shapes(double ax, double ay, double bx, double by, double h, double L,
                              double hb) {
  double l = hypot(bx - ax, by - ay), dx = (bx - ax) / l, dy = (by - ay) / l;
  double ov = overlap(L, h, hb), e = l - (L - ov);
  add_shape(DISC, ax, ay, 0, 0, h, 0);
  add_shape(RECT, ax, ay, ax + e * dx, ay + e * dy, h, 0);
  add_shape(TRI, bx, by, bx - L * dx, by - L * dy, hb, 0);
}

/* Arrow heads on edges at many angles: coverage against the reference. Away from the two
 * concave corners where the stroke meets the head's base the node is exact up to the
 * reference's sampling (max 0.035); at those corners a pixel takes the coverage of one part
 * only (the union rule: the nearest shape), up to 0.25 off. RMSE over the arrow <= 0.02. */
Test(caps, arrow_heads_on_edges_match_the_triangle_and_stroke) {
  static const double widths[3] = {1.5, 3, 5};
  for (int wi = 0; wi < 3; wi++) {
    double worst = 0, worst_far = 0, worst_rmse = 0;
    for (int ai = 0; ai < 12; ai++) {
      double deg = ai * 30.0 + 7.3, r = deg * PI / 180, h = widths[wi] / 2, L = 14, hb = 6;
      geo_reset();
      add_segment((float)(48 - 30 * cos(r)), (float)(48 - 30 * sin(r)), (float)(48 + 30 * cos(r)),
                  (float)(48 + 30 * sin(r)));
      n_shapes = 0;
      arrow_edge_shapes(G.xy[0], G.xy[1], G.xy[2], G.xy[3], h, L, hb);
      char a[256];
      snprintf(a, sizeof a,
               "points=g.points, edges=g.edges, width=%g, cap_end='arrow', arrow_length=%g, "
               "arrow_width=%g",
               widths[wi], L, 2 * hb);
      float *got = run_alpha(96, 96, a), *ref = ref_alpha(96, 96);
      err_stats e = compare(got, ref, 96, 96);
      /* the max away from the corners: pixels further than 1.5 px from both corner points */
      double bx = G.xy[2] - L * cos(r), by = G.xy[3] - L * sin(r), far = 0;
      for (int y = 0; y < 96; y++)
        for (int x = 0; x < 96; x++) {
          double px = x + 0.5, py = y + 0.5;
          int near = 0;
          for (int sgn = -1; sgn <= 1; sgn += 2) {
            double cx = bx + sgn * h * -sin(r), cy = by + sgn * h * cos(r);
            near |= hypot(px - cx, py - cy) < 1.5;
          }
          if (!near) far = fmax(far, fabs(got[y * 96 + x] - ref[y * 96 + x]));
        }
      worst = fmax(worst, e.max);
      worst_far = fmax(worst_far, far);
      worst_rmse = fmax(worst_rmse, e.rmse);
      cr_expect(e.rmse <= 0.02 && e.max <= 0.25 && far <= 0.035,
                "width %g angle %g: rmse %.4f, max %.4f at (%d,%d), max away from the base "
                "corners %.4f",
                widths[wi], deg, e.rmse, e.max, e.max_x, e.max_y, far);
      free(got);
      free(ref);
    }
    cr_log_info("arrow, width %g: worst rmse %.4f, max %.4f, max away from corners %.4f",
                widths[wi], worst_rmse, worst, worst_far);
  }
}

/* Heads at both ends of an edge shorter than the two heads: both shrink in proportion to 4/5 of
 * the edge together, the stroke joining them. */
Test(caps, heads_on_a_short_edge_shrink_in_proportion) {
  geo_reset();
  add_segment(20.25f, 16.5f, 30.25f, 16.5f); /* length 10, heads of 12 -> 4 each */
  n_shapes = 0;
  double L = 4, hb = 5, h = 1, ov = overlap(L, h, hb);
  add_shape(TRI, 20.25, 16.5, 20.25 + L, 16.5, hb, 0);
  add_shape(TRI, 30.25, 16.5, 30.25 - L, 16.5, hb, 0);
  add_shape(RECT, 20.25 + L - ov, 16.5, 30.25 - (L - ov), 16.5, h, 0);
  err_stats e = check(48, 32,
                      "points=g.points, edges=g.edges, width=2, cap='arrow', arrow_length=12, "
                      "arrow_width=10");
  /* a small shape with four stroke-to-head corners (see above): RMSE over its 60-odd pixels */
  cr_expect(e.rmse <= 0.035 && e.max <= 0.25, "rmse %.4f max %.4f at (%d,%d)", e.rmse, e.max,
            e.max_x, e.max_y);
}

/* A curve's head follows its end tangent: a 64-sample arc of a circle; the head's tip is the
 * last sample and it points along the last segment; the stroke is cut by arc length where the
 * head begins (plus the overlap). Reference: the polyline's capsules up to the cut (a flat end
 * there) and the triangle. */
Test(caps, arrow_on_a_curve_follows_the_end_tangent) {
  geo_reset();
  const int S = 64;
  G.nc = 1;
  G.S = S;
  double cx = 20, cy = 70, R = 50, h = 1.5, L = 12, hb = 5;
  for (int k = 0; k < S; k++) {
    double t = -PI / 2 * k / (S - 1) * 0.9; /* from (70, 70) counter-clockwise up */
    G.cxy[2 * k] = (float)(cx + R * cos(t));
    G.cxy[2 * k + 1] = (float)(cy + R * sin(t));
  }
  double total = 0;
  for (int k = 0; k + 1 < S; k++)
    total += hypot(G.cxy[2 * k + 2] - G.cxy[2 * k], G.cxy[2 * k + 3] - G.cxy[2 * k + 1]);
  double ov = overlap(L, h, hb), cut = total - (L - ov), s = 0;
  n_shapes = 0;
  add_shape(DISC, G.cxy[0], G.cxy[1], 0, 0, h, 0);
  for (int k = 0; k + 1 < S && s < cut; k++) {
    double ax = G.cxy[2 * k], ay = G.cxy[2 * k + 1], bx = G.cxy[2 * k + 2], by = G.cxy[2 * k + 3];
    double l = hypot(bx - ax, by - ay), t = fmin(1, (cut - s) / l);
    add_shape(RECT, ax, ay, ax + t * (bx - ax), ay + t * (by - ay), h, 0);
    if (t == 1) add_shape(DISC, bx, by, 0, 0, h, 0);
    s += l;
  }
  double ex = G.cxy[2 * S - 2], ey = G.cxy[2 * S - 1];
  double dx = ex - G.cxy[2 * S - 4], dy = ey - G.cxy[2 * S - 3], dl = hypot(dx, dy);
  add_shape(TRI, ex, ey, ex - L * dx / dl, ey - L * dy / dl, hb, 0);
  err_stats e =
      check(96, 96, "curves=g.curves, width=3, cap_end='arrow', arrow_length=12, arrow_width=10");
  cr_expect(e.rmse <= 0.02 && e.max <= 0.25, "rmse %.4f max %.4f at (%d,%d)", e.rmse, e.max,
            e.max_x, e.max_y);
  cr_log_info("arrow on an arc: rmse %.4f, max %.4f", e.rmse, e.max);
}

/* ---- taper ----------------------------------------------------------------------------------- */
/* A straight 9-sample polyline with taper = 0.2: a band from 0.2 × half to half, round ends of
 * those radii. */
Test(caps, taper_narrows_by_sample_index) {
  for (int butt = 0; butt < 2; butt++) {
    geo_reset();
    G.nc = 1;
    G.S = 9;
    double ax = 10.3, ay = 12.2, bx = 88.6, by = 40.9, half = 4;
    for (int k = 0; k < 9; k++) {
      G.cxy[2 * k] = (float)(ax + (bx - ax) * k / 8);
      G.cxy[2 * k + 1] = (float)(ay + (by - ay) * k / 8);
    }
    n_shapes = 0;
    add_shape(BAND, G.cxy[0], G.cxy[1], G.cxy[16], G.cxy[17], 0.2 * half, half);
    if (!butt) {
      add_shape(DISC, G.cxy[0], G.cxy[1], 0, 0, 0.2 * half, 0);
      add_shape(DISC, G.cxy[16], G.cxy[17], 0, 0, half, 0);
    }
    err_stats e = check(96, 56,
                        butt ? "curves=g.curves, width=8, taper=0.2, cap='butt'"
                             : "curves=g.curves, width=8, taper=0.2");
    cr_expect(e.rmse <= 0.012 && e.max <= 0.04, "%s: rmse %.4f max %.4f at (%d,%d)",
              butt ? "butt" : "round", e.rmse, e.max, e.max_x, e.max_y);
  }
}

/* taper_opacity: along a wide horizontal stroke the alpha on the centre line is the factor at
 * that sample position: 0.1 at the first sample rising linearly to 1 at the last. */
Test(caps, taper_opacity_fades_by_sample_index) {
  geo_reset();
  G.nc = 1;
  G.S = 5;
  for (int k = 0; k < 5; k++) {
    G.cxy[2 * k] = (float)(8 + 20 * k);
    G.cxy[2 * k + 1] = 16;
  }
  float *a = run_alpha(96, 32, "curves=g.curves, width=10, taper_opacity=0.1, cap='butt'");
  for (int x = 8; x < 88; x++) {
    double t = (x + 0.5 - 8) / 80.0, want = 0.1 + 0.9 * t;
    cr_expect(fabs(a[16 * 96 + x] - want) < 2e-3, "x %d: alpha %.4f, expected %.4f", x,
              (double)a[16 * 96 + x], want);
  }
  free(a);
}

/* ---- breaks, dots, patterns, union ------------------------------------------------------------
 */
/* A NaN sample breaks a curve: with butt caps both sides of the break are flat. */
Test(caps, breaks_take_the_cap_kind) {
  geo_reset();
  G.nc = 1;
  G.S = 5;
  float xy[10] = {8, 16.5f, 30, 16.5f, NAN, NAN, 50, 16.5f, 80, 16.5f};
  memcpy(G.cxy, xy, sizeof xy);
  n_shapes = 0;
  add_shape(RECT, 8, 16.5, 30, 16.5, 2, 0);
  add_shape(RECT, 50, 16.5, 80, 16.5, 2, 0);
  err_stats e = check(96, 32, "curves=g.curves, width=4, cap='butt'");
  cr_expect(e.max <= 0.02, "max %.4f at (%d,%d)", e.max, e.max_x, e.max_y);
}

/* A zero-length edge: a dot with round ends, nothing with butt or arrow ends. */
Test(caps, zero_length_strokes) {
  static const char *const caps[3] = {"round", "butt", "arrow"};
  for (int c = 0; c < 3; c++) {
    geo_reset();
    add_segment(20.5f, 12.5f, 20.5f, 12.5f);
    char a[128];
    snprintf(a, sizeof a, "points=g.points, edges=g.edges, width=6, cap='%s'", caps[c]);
    float *px = run_alpha(48, 32, a);
    double ink = 0;
    for (int k = 0; k < 48 * 32; k++) ink += px[k];
    if (c == 0)
      cr_expect(fabs(ink - PI * 9) < 0.1, "round: ink %.3f, a disc of radius 3 has %.3f", ink,
                PI * 9);
    else
      cr_expect(ink == 0, "%s: ink %.3f, expected nothing", caps[c], ink);
    free(px);
  }
}

/* Dashes keep round ends, but the stroke's own ends follow the cap: with butt caps nothing
 * reaches before the first point; with round caps the cap does. */
Test(caps, dashes_with_butt_ends) {
  for (int butt = 0; butt < 2; butt++) {
    geo_reset();
    add_segment(10, 16.5f, 80, 16.5f);
    float *a = run_alpha(96, 32,
                         butt ? "points=g.points, edges=g.edges, width=4, style='dashed', "
                                "dash=10, gap=6, cap='butt'"
                              : "points=g.points, edges=g.edges, width=4, style='dashed', "
                                "dash=10, gap=6");
    cr_expect(butt ? a[16 * 96 + 8] == 0.0f : a[16 * 96 + 8] > 0.4f,
              "%s: alpha before the start %.4f", butt ? "butt" : "round", (double)a[16 * 96 + 8]);
    /* the first dash's far end (x = 20) is round either way: pixel 21 is partly covered */
    cr_expect(a[16 * 96 + 21] > 0.4f, "%s: alpha past the first dash %.4f", butt ? "butt" : "round",
              (double)a[16 * 96 + 21]);
    free(a);
  }
}

/* One union shape: the same arrow drawn twice (two identical edges) gives the same bits as once,
 * and crossing arrows never exceed full coverage. */
Test(caps, shaped_strokes_are_one_union_shape) {
  geo_reset();
  add_segment(10, 10, 80, 50);
  float *once = run_alpha(96, 64,
                          "points=g.points, edges=g.edges, width=3, cap='arrow', taper=0.5, "
                          "taper_opacity=0.6");
  add_segment(10, 10, 80, 50);
  add_segment(10, 50, 80, 12);
  float *more = run_alpha(96, 64,
                          "points=g.points, edges=g.edges, width=3, cap='arrow', taper=0.5, "
                          "taper_opacity=0.6");
  int differ = 0;
  for (int k = 0; k < 96 * 64; k++) {
    cr_expect(more[k] <= 1.0f, "pixel %d: alpha %.4f", k, (double)more[k]);
    /* away from the second arrow the pixels are those of the first alone */
    int x = k % 96, y = k / 96;
    double d = fabs((12.0 - 50.0) / 70.0 * (x + 0.5 - 10) + 50 - (y + 0.5)) / hypot(38.0 / 70, 1);
    if (d > 10) differ += once[k] != more[k];
  }
  cr_expect_eq(differ, 0, "%d pixels away from the second arrow changed", differ);
  free(once);
  free(more);
}

/* ---- errors ---------------------------------------------------------------------------------- */
Test(caps, bad_cap_names_are_rejected) {
  geo_reset();
  ysg_context *ctx = make_ctx(1);
  ysg_pipeline *p = NULL;
  cr_expect_eq(ysgt_load(ctx, line_src(32, 32, "points=g.points, edges=g.edges, cap='square'"), &p),
               YSG_ERR_PIPELINE);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'out' (line): parameter 'cap': expected one "
                   "of round|butt|arrow, got 'square'");
  cr_expect_eq(ysgt_load(ctx, line_src(32, 32, "points=g.points, edges=g.edges, taper=1.5"), &p),
               YSG_ERR_PIPELINE);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'out' (line): parameter 'taper': expected a number in 0..1, "
                   "got 1.5");
  ysg_context_destroy(ctx);
}
