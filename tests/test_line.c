/* test_line.c — the `line` node: coverage against an exact 16×16-supersampled capsule union
 * computed here (widths 0.5, 1, 2.5, 6 px at many angles and sub-pixel offsets), the 1 px line on
 * pixel centres, dash lengths along a circular arc, dashed/dotted/dash-dot shapes against the
 * exact pattern, union at crossings and joints, gradient and point colours, marching ants,
 * NaN/inf/huge coordinates, out-of-range edges (warning once), input and capacity error texts.
 * Geometry comes from a host-defined node type `tgeo` that outputs the arrays in G. Thread
 * determinism, tile occupancy and the CUDA kernel are in test_line_cuda.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "util.h"

#include "line_geo.h"

/* An image's pixels as floats (w·h·4), zero under empty tiles. */
static float *image_floats(const ysg_value *v) {
  float *o = calloc((size_t)v->width * v->height * 4, sizeof(float));
  cr_assert_not_null(o);
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) continue;
      const uint16_t *h = v->px + ((size_t)y * v->width + x) * 4;
      for (int c = 0; c < 4; c++) o[((size_t)y * v->width + x) * 4 + c] = ysg_half_to_float(h[c]);
    }
  return o;
}

/* Run `frame` of the pipeline and return the output's pixels (w·h·4 floats). */
static float *run_rgba(ysg_context *ctx, int w, int h, const char *args, int frame) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, line_src(w, h, args), &p), YSG_OK, "%s", ysg_errmsg(ctx));
  for (int f = 0; f <= frame; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(v->width, w);
  cr_assert_eq(v->height, h);
  float *o = image_floats(v);
  ysg_pipeline_destroy(p);
  return o;
}

/* white strokes: the alpha channel is the coverage */
static float *run_alpha(int w, int h, const char *args) {
  ysg_context *ctx = make_ctx(1);
  char full[1024];
  snprintf(full, sizeof full, "color='#ffffff', %s", args);
  float *px = run_rgba(ctx, w, h, full, 0);
  float *a = malloc(sizeof(float) * w * h);
  for (int k = 0; k < w * h; k++) a[k] = px[4 * k + 3];
  free(px);
  ysg_context_destroy(ctx);
  return a;
}

/* ---- the exact reference: capsule union, 16×16 samples per pixel ---------------------------- */
typedef struct seg2 {
  double ax, ay, bx, by;
} seg2;

static double seg_dist(const seg2 *s, double px, double py) {
  double dx = s->bx - s->ax, dy = s->by - s->ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((px - s->ax) * dx + (py - s->ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  double ex = px - s->ax - t * dx, ey = py - s->ay - t * dy;
  return sqrt(ex * ex + ey * ey);
}

/* Fraction of each pixel's 256 samples within width/2 of any segment (a sample bitmap per pixel,
 * filled segment by segment over its bounding box, so long lists stay cheap). */
static float *ref_alpha(const seg2 *segs, int n, double width, int w, int h) {
  uint64_t *mask = calloc((size_t)w * h * 4, sizeof(uint64_t));
  cr_assert_not_null(mask);
  double r = 0.5 * width;
  for (int k = 0; k < n; k++) {
    const seg2 *s = &segs[k];
    int x0 = (int)floor(fmin(s->ax, s->bx) - r) - 1, x1 = (int)ceil(fmax(s->ax, s->bx) + r) + 1;
    int y0 = (int)floor(fmin(s->ay, s->by) - r) - 1, y1 = (int)ceil(fmax(s->ay, s->by) + r) + 1;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w - 1 ? w - 1 : x1;
    y1 = y1 > h - 1 ? h - 1 : y1;
    for (int y = y0; y <= y1; y++)
      for (int x = x0; x <= x1; x++)
        for (int j = 0; j < 16; j++)
          for (int i = 0; i < 16; i++)
            if (seg_dist(s, x + (i + 0.5) / 16.0, y + (j + 0.5) / 16.0) <= r)
              mask[((size_t)y * w + x) * 4 + j / 4] |= 1ull << ((j % 4) * 16 + i);
  }
  float *a = malloc(sizeof(float) * w * h);
  for (int k = 0; k < w * h; k++) {
    int c = 0;
    for (int q = 0; q < 4; q++) c += __builtin_popcountll(mask[(size_t)k * 4 + q]);
    a[k] = (float)c / 256.0f;
  }
  free(mask);
  return a;
}

typedef struct err_stats {
  double rmse, max;
  int n;
} err_stats;

/* RMSE over the pixels either image touches (the stroke and its rim), max over all pixels. */
static err_stats compare(const float *got, const float *ref, int npx) {
  err_stats e = {0, 0, 0};
  double sum = 0;
  for (int k = 0; k < npx; k++) {
    double d = fabs((double)got[k] - ref[k]);
    if (!(d <= e.max)) e.max = isnan(d) ? INFINITY : d;
    if (got[k] > 0 || ref[k] > 0) {
      sum += d * d;
      e.n++;
    }
  }
  e.rmse = e.n ? sqrt(sum / e.n) : 0;
  return e;
}

/* Dash pieces of a polyline: on-intervals [k·P + s, k·P + s + len) of the arc length u + phase
 * (len 0: dots), as straight pieces, computed here independently of the node. */
static int dash_pieces(const float *xy, int S, double period, const double *start,
                       const double *len, int n_on, double phase, seg2 *out, int cap) {
  int n = 0;
  double u = 0;
  for (int k = 0; k + 1 < S; k++) {
    double ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
    double l = hypot(bx - ax, by - ay);
    for (int j = 0; j < n_on; j++) {
      double first = floor((u + phase - start[j]) / period) - 1;
      for (double m = first;; m += 1) {
        double a = m * period + start[j] - phase, b = a + len[j]; /* arc positions */
        if (a > u + l) break;
        double lo = fmax(a, u), hi = fmin(b, u + l);
        int dot = len[j] == 0 && a >= u && a <= u + l;
        if (!(lo < hi) && !dot) continue;
        if (dot) lo = hi = a;
        cr_assert(n < cap);
        double t0 = (lo - u) / l, t1 = (hi - u) / l;
        out[n++] = (seg2){ax + t0 * (bx - ax), ay + t0 * (by - ay), ax + t1 * (bx - ax),
                          ay + t1 * (by - ay)};
      }
    }
    u += l;
  }
  return n;
}

static char args[1024];

/* ---- quality ----------------------------------------------------------------------------------
 */
/* One segment of length 40 through (cx, cy) at angle deg, ends inside a 64×64 canvas (round caps
 * included), drawn as points + edges. */
static err_stats one_segment(double width, double deg, double cx, double cy, int through) {
  geo_reset();
  double a = deg * 3.14159265358979323846 / 180, hl = through ? 200 : 20;
  seg2 s = {cx - hl * cos(a), cy - hl * sin(a), cx + hl * cos(a), cy + hl * sin(a)};
  add_segment((float)s.ax, (float)s.ay, (float)s.bx, (float)s.by);
  s = (seg2){G.xy[0], G.xy[1], G.xy[2], G.xy[3]}; /* what the node sees */
  snprintf(args, sizeof args, "points=g.points, edges=g.edges, width=%g", width);
  float *got = run_alpha(64, 64, args), *ref = ref_alpha(&s, 1, width, 64, 64);
  err_stats e = compare(got, ref, 64 * 64);
  free(got);
  free(ref);
  return e;
}

/* Thresholds. The node's coverage is the exact area of the stroke's band across the nearest
 * point beside straight parts, and a 16-slice integration of the cap's chords where a pixel
 * reaches past a round cap. Measured against a 64×64-sample reference instead of this 16×16
 * one, the errors are at most 0.0044 beside straight parts and 0.018 at caps (RMSE <= 0.003):
 * what remains below is mostly the 16×16 reference's own sampling error (up to 1/32 where an
 * edge runs between two sample rows, ~0.018 seen) plus FP16 rounding (5e-4). Hence: lines
 * crossing the canvas (no caps in view) max 0.025, RMSE 0.010; with both caps in view max 0.035,
 * RMSE 0.012. For scale, clamp(0.5 - d) coverage is off by 0.043 beside a 45° edge and by 0.125
 * for a 0.5 px line, and a tangent band at thin caps by ~0.24 (this file's first version). */
Test(line, coverage_matches_exact_capsule_union) {
  static const double widths[4] = {0.5, 1, 2.5, 6};
  static const double offs[3][2] = {{32, 32}, {32.37, 31.81}, {31.5, 32.13}};
  for (int through = 0; through < 2; through++)
    for (int wi = 0; wi < 4; wi++) {
      double worst_rmse = 0, worst_max = 0;
      for (int ai = 0; ai < 12; ai++)
        for (int oi = 0; oi < 3; oi++) {
          double deg = ai * 15.0 + 3.7 * oi;
          err_stats e = one_segment(widths[wi], deg, offs[oi][0], offs[oi][1], through);
          worst_rmse = fmax(worst_rmse, e.rmse);
          worst_max = fmax(worst_max, e.max);
          double tr = through ? 0.010 : 0.012, tm = through ? 0.025 : 0.035;
          cr_expect(e.rmse <= tr && e.max <= tm,
                    "width %g angle %g offset (%g,%g)%s: rmse %.4f (limit %g), max %.4f (limit "
                    "%g) over %d pixels",
                    widths[wi], deg, offs[oi][0], offs[oi][1], through ? " through" : "", e.rmse,
                    tr, e.max, tm, e.n);
        }
      cr_log_info("width %g%s: worst rmse %.4f, worst max %.4f", widths[wi],
                  through ? " (no caps)" : " (caps)", worst_rmse, worst_max);
    }
}

/* width 0.25: a faint line whose ink per column is exactly its width (axis-aligned bands are
 * exact), at any sub-pixel offset */
Test(line, sub_pixel_widths_fade_with_the_width) {
  static const double ys[3] = {10.5, 10.3, 10.95};
  for (int k = 0; k < 3; k++) {
    geo_reset();
    add_segment(-500, (float)ys[k], 500, (float)ys[k]);
    float *a = run_alpha(32, 24, "points=g.points, edges=g.edges, width=0.25");
    for (int x = 0; x < 32; x++) {
      double ink = 0, peak = 0;
      for (int y = 0; y < 24; y++) {
        ink += a[y * 32 + x];
        peak = fmax(peak, a[y * 32 + x]);
      }
      cr_expect(fabs(ink - 0.25) < 1e-3 && peak <= 0.2502, "y %g column %d: ink %.5f peak %.5f",
                ys[k], x, ink, peak);
    }
    free(a);
  }
}

/* a 1 px line whose centre runs along pixel centres (y = 10.5), its ends far off-canvas: row 10
 * is exactly 1, every other pixel exactly 0 (as an edge, and as a polyline with a joint at
 * x = 20.25 inside the canvas) */
Test(line, one_px_line_on_pixel_centres_is_one_full_row) {
  for (int mode = 0; mode < 2; mode++) {
    geo_reset();
    if (mode == 0) {
      add_segment(-1e6f, 10.5f, 1e6f, 10.5f);
    } else {
      G.nc = 1;
      G.S = 3;
      float xy[6] = {-5000, 10.5f, 20.25f, 10.5f, 5000, 10.5f};
      memcpy(G.cxy, xy, sizeof xy);
    }
    float *a = run_alpha(
        48, 24, mode ? "curves=g.curves, width=1" : "points=g.points, edges=g.edges, width=1");
    for (int y = 0; y < 24; y++)
      for (int x = 0; x < 48; x++)
        cr_expect(a[y * 48 + x] == (y == 10 ? 1.0f : 0.0f), "%s: pixel (%d,%d) alpha %.6f",
                  mode ? "curve" : "edge", x, y, (double)a[y * 48 + x]);
    free(a);
  }
}

/* ---- patterns ---------------------------------------------------------------------------------
 */
/* curve 0: S samples of the circle arc of radius r around (cx, cy) from angle 0 to a1 */
static void arc_curve(float cx, float cy, float r, double a1, int S) {
  G.nc = 1;
  G.S = S;
  for (int k = 0; k < S; k++) {
    double a = a1 * k / (S - 1);
    G.cxy[2 * k] = cx + r * (float)cos(a);
    G.cxy[2 * k + 1] = cy + r * (float)sin(a);
  }
}

static float bilinear(const float *a, int w, int h, double x, double y) {
  double fx = x - 0.5, fy = y - 0.5;
  int x0 = (int)floor(fx), y0 = (int)floor(fy);
  double tx = fx - x0, ty = fy - y0, v = 0;
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 2; i++) {
      int xi = x0 + i, yi = y0 + j;
      if (xi < 0 || yi < 0 || xi >= w || yi >= h) continue;
      v += (i ? tx : 1 - tx) * (j ? ty : 1 - ty) * a[yi * w + xi];
    }
  return (float)v;
}

/* Walking the arc's centre line, the on-runs (alpha >= 0.5) of a dashed stroke are dash + width
 * long (the round caps add width/2 at each end, as in SVG and Cairo) and the off-runs gap -
 * width; dashes start one period apart. Tolerance ±0.5 px per run: the image is sampled
 * bilinearly between pixel centres, and a round cap's 0.5 level sits a little inside its tip. */
Test(line, dashes_have_their_lengths_along_an_arc) {
  geo_reset();
  arc_curve(128, 128, 90, 1.5 * 3.14159265358979, 400);
  float *a = run_alpha(256, 256, "curves=g.curves, width=3, style='dashed', dash=12, gap=8");
  double u = 0, starts[64], ends[64];
  int ns = 0, ne = 0, on = 1;
  for (int k = 0; k + 1 < G.S; k++) {
    double ax = G.cxy[2 * k], ay = G.cxy[2 * k + 1], bx = G.cxy[2 * k + 2], by = G.cxy[2 * k + 3];
    double l = hypot(bx - ax, by - ay);
    for (double s = 0; s < l; s += 0.02) {
      double t = s / l;
      int now = bilinear(a, 256, 256, ax + t * (bx - ax), ay + t * (by - ay)) >= 0.5f;
      if (now && !on && ns < 64) starts[ns++] = u + s;
      if (!now && on && ne < 64) ends[ne++] = u + s;
      on = now;
    }
    u += l;
  }
  cr_assert(ns >= 15 && ne >= 15, "%d dash starts, %d ends along %.1f px", ns, ne, u);
  cr_expect(fabs(ends[0] - 13.5) <= 0.5, "the first dash ends at %.2f, expected 13.5", ends[0]);
  for (int k = 0; k + 1 < ns && k + 1 < ne; k++) {
    double on_run = ends[k + 1] - starts[k], off_run = starts[k] - ends[k];
    cr_expect(fabs(on_run - 15.0) <= 0.5, "dash %d: on for %.2f px, expected 15", k, on_run);
    cr_expect(fabs(off_run - 5.0) <= 0.5, "gap %d: off for %.2f px, expected 5", k, off_run);
    cr_expect(fabs(starts[k] - (20.0 * (k + 1) - 1.5)) <= 0.5, "dash %d starts at %.2f", k + 1,
              starts[k]);
  }
  free(a);
}

/* dashed, dotted and dash-dot arcs (with a phase) against the exact dashed shape built here:
 * thresholds as for capped lines (every piece end is a cap) */
Test(line, patterns_match_the_exact_pattern_shape) {
  static const struct {
    const char *args;
    double period, start[2], len[2];
    int n_on;
  } cases[] = {
      {"style='dashed', dash=12, gap=8, phase=3.5", 20, {0, 0}, {12, 0}, 1},
      {"style='dashed', dash=0, gap=6, phase=1", 6, {0, 0}, {0, 0}, 1},
      {"style='dotted', phase=2", 5, {0, 0}, {0, 0}, 1},
      {"style='dotted', spacing=7.5", 7.5, {0, 0}, {0, 0}, 1},
      {"style='dash_dot', dash=10, gap=5, phase=-4", 20, {0, 15}, {10, 0}, 2},
  };
  static const double phases[] = {3.5, 1, 2, 0, -4};
  for (int c = 0; c < 5; c++) {
    geo_reset();
    arc_curve(64, 64, 45, 1.7 * 3.14159265358979, 120);
    snprintf(args, sizeof args, "curves=g.curves, width=2.5, %s", cases[c].args);
    float *got = run_alpha(128, 128, args);
    static seg2 pieces[4096];
    int n = dash_pieces(G.cxy, G.S, cases[c].period, cases[c].start, cases[c].len, cases[c].n_on,
                        phases[c], pieces, 4096);
    float *ref = ref_alpha(pieces, n, 2.5, 128, 128);
    err_stats e = compare(got, ref, 128 * 128);
    cr_log_info("%s: %d pieces, rmse %.4f, max %.4f", cases[c].args, n, e.rmse, e.max);
    cr_expect(e.rmse <= 0.012 && e.max <= 0.035, "%s: rmse %.4f, max %.4f over %d pixels",
              cases[c].args, e.rmse, e.max, e.n);
    free(got);
    free(ref);
  }
}

/* animating phase by 5 px a frame moves the dashes 5 px back along the line */
Test(line, animating_phase_marches_the_dashes) {
  geo_reset();
  add_segment(-100.25f, 20.5f, 1000, 20.5f);
  const char *a =
      "points=g.points, edges=g.edges, width=3, style='dashed', phase=function(f, t) return 5 * "
      "f end";
  ysg_context *ctx = make_ctx(1);
  float *f0 = run_rgba(ctx, 128, 40, a, 0), *f1 = run_rgba(ctx, 128, 40, a, 1);
  double worst = 0, moved = 0;
  for (int y = 0; y < 40; y++)
    for (int x = 0; x + 5 < 128; x++) {
      worst = fmax(worst, fabs(f1[(y * 128 + x) * 4 + 3] - f0[(y * 128 + x + 5) * 4 + 3]));
      moved = fmax(moved, fabs(f1[(y * 128 + x) * 4 + 3] - f0[(y * 128 + x) * 4 + 3]));
    }
  cr_expect(worst <= 1e-3, "frame 1 differs from frame 0 shifted by 5 px by %.5f", worst);
  cr_expect(moved > 0.5, "the dashes did not move (largest change %.3f)", moved);
  free(f0);
  free(f1);
  ysg_context_destroy(ctx);
}

/* ---- union ---------------------------------------------------------------------------------- */
/* Every pixel of a union equals one of its parts drawn alone (the nearest one), so it never
 * exceeds 1 and crossings and joints are never blended twice. */
static void expect_union_of(const float *u, const float *const *parts, int np, int npx,
                            const char *what) {
  int bad = 0;
  for (int k = 0; k < npx; k++) {
    int match = 0;
    for (int q = 0; q < np; q++) match |= u[k] == parts[q][k];
    if (!(u[k] <= 1.0f) || !match) {
      if (bad++ < 5) cr_log_error("%s: pixel %d: union %.6f", what, k, (double)u[k]);
    }
  }
  cr_expect_eq(bad, 0, "%s: %d pixels are not one of the parts' coverage", what, bad);
}

Test(line, crossings_and_joints_never_double_blend) {
  const char *edges = "points=g.points, edges=g.edges, width=3";
  geo_reset(); /* an X */
  add_segment(10.3f, 10.7f, 54.1f, 50.2f);
  float *a = run_alpha(64, 64, edges);
  geo_reset();
  add_segment(8.2f, 48.9f, 55.7f, 12.4f);
  float *b = run_alpha(64, 64, edges);
  geo_reset();
  add_segment(10.3f, 10.7f, 54.1f, 50.2f);
  add_segment(8.2f, 48.9f, 55.7f, 12.4f);
  float *ab = run_alpha(64, 64, edges);
  const float *parts[2] = {a, b};
  expect_union_of(ab, parts, 2, 64 * 64, "X");
  int blended_twice = 0; /* where both cover partly, two separate layers would add up */
  for (int k = 0; k < 64 * 64; k++)
    if (a[k] > 0.0f && b[k] > 0.0f) {
      blended_twice += ab[k] < a[k] + b[k] - a[k] * b[k];
      cr_expect(ab[k] <= fmaxf(a[k], b[k]), "pixel %d: %.4f > max(%.4f, %.4f)", k, (double)ab[k],
                (double)a[k], (double)b[k]);
    }
  cr_expect(blended_twice > 4, "the lines do not cross (%d pixels where two layers would add up)",
            blended_twice);
  free(a);
  free(b);
  free(ab);
  /* A polyline bent by 70°: the union is the max of its segments' coverage (ARCHITECTURE §3).
   * Against the max of each segment's exact coverage it is as close as single lines are (the
   * joint's ends are open, not capped, so it is not bit-equal to the segments drawn alone);
   * nowhere does it come near their sum. The exact union is larger than that max only in the
   * inner corner, where both capsules share a pixel partly: 0.36 vs 0.19 at pixel (30,15). */
  float v[6] = {8.3f, 50.6f, 30.2f, 12.4f, 56.9f, 44.1f};
  seg2 s[2] = {{v[0], v[1], v[2], v[3]}, {v[2], v[3], v[4], v[5]}};
  geo_reset();
  G.nc = 1;
  G.S = 3;
  memcpy(G.cxy, v, sizeof v);
  float *poly = run_alpha(64, 64, "curves=g.curves, width=3");
  float *r0 = ref_alpha(&s[0], 1, 3.0, 64, 64), *r1 = ref_alpha(&s[1], 1, 3.0, 64, 64);
  for (int k = 0; k < 64 * 64; k++) r0[k] = fmaxf(r0[k], r1[k]);
  err_stats e = compare(poly, r0, 64 * 64);
  cr_expect(e.rmse <= 0.012 && e.max <= 0.035, "joint vs max of exact parts: rmse %.4f max %.4f",
            e.rmse, e.max);
  float *ref = ref_alpha(s, 2, 3.0, 64, 64);
  err_stats eu = compare(poly, ref, 64 * 64);
  cr_log_info("bent joint: vs max of parts rmse %.4f max %.4f; vs exact union rmse %.4f max %.4f",
              e.rmse, e.max, eu.rmse, eu.max);
  cr_expect(fabsf(ref[15 * 64 + 30] - 0.3633f) < 0.01f && fabsf(poly[15 * 64 + 30] - 0.19f) < 0.01f,
            "inner corner pixel: union %.4f, drawn %.4f", (double)ref[15 * 64 + 30],
            (double)poly[15 * 64 + 30]);
  free(poly);
  free(r0);
  free(r1);
  free(ref);
}

/* A straight polyline with joints at irregular arc positions draws what one edge draws, solid
 * and dashed (dashes run across the joints: the arc length carries over). */
Test(line, collinear_joints_are_seamless) {
  static const double at[9] = {0, 0.07, 0.19, 0.33, 0.41, 0.58, 0.71, 0.9, 1};
  static const char *const styles[2] = {"", ", style='dashed', dash=7, gap=4, phase=1.3"};
  for (int st = 0; st < 2; st++) {
    double ax = 6.2, ay = 9.7, bx = 58.3, by = 51.1;
    geo_reset();
    add_segment((float)ax, (float)ay, (float)bx, (float)by);
    snprintf(args, sizeof args, "points=g.points, edges=g.edges, width=2.5%s", styles[st]);
    float *edge = run_alpha(64, 64, args);
    geo_reset();
    G.nc = 1;
    G.S = 9;
    for (int k = 0; k < 9; k++) {
      G.cxy[2 * k] = (float)(ax + at[k] * (bx - ax));
      G.cxy[2 * k + 1] = (float)(ay + at[k] * (by - ay));
    }
    snprintf(args, sizeof args, "curves=g.curves, width=2.5%s", styles[st]);
    float *poly = run_alpha(64, 64, args);
    double worst = 0;
    for (int k = 0; k < 64 * 64; k++) worst = fmax(worst, fabs(edge[k] - poly[k]));
    cr_expect(worst <= 2e-3, "%s: polyline and edge differ by %.5f", st ? "dashed" : "solid",
              worst);
    free(edge);
    free(poly);
  }
}

/* ---- colours ----------------------------------------------------------------------------------
 */
static void expect_rgba(const float *px, int w, int x, int y, double r, double g, double b,
                        double a, const char *what) {
  const float *p = px + ((size_t)y * w + x) * 4;
  double e[4] = {r, g, b, a};
  for (int c = 0; c < 4; c++)
    cr_expect(fabs(p[c] - e[c]) <= 1.5e-3, "%s: pixel (%d,%d) channel %d: %.5f, expected %.5f",
              what, x, y, c, (double)p[c], e[c]);
}

/* Gradient from color (start) to color2 (end) by arc length, premultiplied, times opacity:
 * red -> blue along an edge and along a polyline with uneven samples; opacity 0.5 halves it.
 * The three pixels sit at t = 0, 1/2 and 1 and are fully covered (width 4). */
Test(line, gradient_runs_from_color_to_color2_by_arc_length) {
  for (int mode = 0; mode < 3; mode++) {
    geo_reset();
    if (mode == 1) {
      G.nc = 1;
      G.S = 4;
      float xy[8] = {8.5f, 16.5f, 30.5f, 16.5f, 40.5f, 16.5f, 248.5f, 16.5f};
      memcpy(G.cxy, xy, sizeof xy);
    } else {
      add_segment(8.5f, 16.5f, 248.5f, 16.5f);
    }
    snprintf(args, sizeof args,
             "%s, width=4, style='gradient', color='#ff0000', color2='#0000ff'%s",
             mode == 1 ? "curves=g.curves" : "points=g.points, edges=g.edges",
             mode == 2 ? ", opacity=0.5" : "");
    ysg_context *ctx = make_ctx(1);
    float *px = run_rgba(ctx, 256, 32, args, 0);
    double k = mode == 2 ? 0.5 : 1.0;
    const char *what = mode == 0 ? "edge" : (mode == 1 ? "curve" : "opacity 0.5");
    expect_rgba(px, 256, 8, 16, k, 0, 0, k, what);
    expect_rgba(px, 256, 128, 16, 0.5 * k, 0, 0.5 * k, k, what);
    expect_rgba(px, 256, 248, 16, 0, 0, k, k, what);
    free(px);
    ysg_context_destroy(ctx);
  }
}

/* point_colors: from point i's rgba to point j's (premultiplied: (0,1,0,1) -> (1,1,0,0.5) gives
 * (0.5,0.5,0,0.5) at the end); off, or without rgba on the points: color -> color2 */
Test(line, gradient_point_colors) {
  for (int mode = 0; mode < 3; mode++) {
    geo_reset();
    add_segment(8.5f, 16.5f, 248.5f, 16.5f);
    float col[8] = {0, 1, 0, 1, 1, 1, 0, 0.5f};
    memcpy(G.col, col, sizeof col);
    G.rgba = mode != 2;
    snprintf(args, sizeof args,
             "points=g.points, edges=g.edges, width=4, style='gradient', color='#ff0000', "
             "color2='#0000ff', point_colors=%s",
             mode == 1 ? "false" : "true");
    ysg_context *ctx = make_ctx(1);
    float *px = run_rgba(ctx, 256, 32, args, 0);
    if (mode == 0) {
      expect_rgba(px, 256, 8, 16, 0, 1, 0, 1, "point colours");
      expect_rgba(px, 256, 128, 16, 0.25, 0.75, 0, 0.75, "point colours");
      expect_rgba(px, 256, 248, 16, 0.5, 0.5, 0, 0.5, "point colours");
    } else {
      const char *what = mode == 1 ? "point_colors=false" : "points without rgba";
      expect_rgba(px, 256, 8, 16, 1, 0, 0, 1, what);
      expect_rgba(px, 256, 248, 16, 0, 0, 1, 1, what);
    }
    free(px);
    ysg_context_destroy(ctx);
  }
}

/* ---- bad coordinates and indices ---------------------------------------------------------- */
/* The documented rules: a segment with a NaN or infinite end is skipped (nothing drawn, nothing
 * crashes); huge finite coordinates are clipped to the canvas in double precision, so a line
 * from x = -1e30 to 1e30 at y = 20.5 is exactly row 20; a polyline broken by a NaN sample keeps
 * its other segments. */
Test(line, nan_inf_and_huge_coordinates) {
  const float nan = NAN, inf = INFINITY;
  geo_reset();
  add_segment(nan, 5, 10, 10);
  add_segment(10, 10, inf, 3);
  add_segment(20, 20, -inf, -inf);
  add_segment(nan, nan, nan, nan);
  float *a = run_alpha(64, 48, "points=g.points, edges=g.edges, width=3");
  for (int k = 0; k < 64 * 48; k++)
    cr_expect(a[k] == 0.0f, "pixel %d drawn: %.4f", k, (double)a[k]);
  free(a);
  add_segment(-1e30f, 20.5f, 1e30f, 20.5f);
  a = run_alpha(64, 48, "points=g.points, edges=g.edges, width=1");
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      cr_expect(a[y * 64 + x] == (y == 20 ? 1.0f : 0.0f), "pixel (%d,%d): %.4f", x, y,
                (double)a[y * 64 + x]);
  free(a);
  add_segment(-3e38f, -3e38f, 3e38f, 3e38f);
  add_segment(3e38f, -1e20f, -2e37f, 7e36f);
  for (int st = 0; st < 2; st++) {
    a = run_alpha(
        64, 48,
        st ? "points=g.points, edges=g.edges, style='dashed'" : "points=g.points, edges=g.edges");
    for (int k = 0; k < 64 * 48; k++)
      cr_expect(a[k] >= 0.0f && a[k] <= 1.0f, "pixel %d: %.4f", k, (double)a[k]);
    free(a);
  }
  geo_reset();
  G.nc = 2;
  G.S = 5;
  float xy[10] = {10, 10.5f, 30, 10.5f, nan, nan, 50, 10.5f, 70, 10.5f};
  memcpy(G.cxy, xy, sizeof xy);
  for (int k = 0; k < 10; k++) G.cxy[MAXS * 2 + k] = k % 3 ? inf : nan;
  a = run_alpha(80, 24, "curves=g.curves, width=1");
  cr_expect(a[10 * 80 + 20] == 1.0f && a[10 * 80 + 60] == 1.0f, "the finite segments are drawn");
  for (int x = 31; x < 49; x++) cr_expect(a[10 * 80 + x] == 0.0f, "pixel %d of the gap drawn", x);
  free(a);
}

/* Edges naming a point beyond this frame's points are skipped and reported once per pipeline. */
Test(line, edges_beyond_the_points_are_skipped_and_reported_once) {
  geo_reset();
  add_point(10.5f, 8.5f);
  add_point(50.5f, 8.5f);
  add_point(50.5f, 30.5f);
  add_edge(0, 1);
  add_edge(1, 2);
  add_edge(0, 5);
  G.np_later = 2; /* from frame 1 on, point 2 is gone too */
  ysg_context *ctx = make_ctx(1);
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, line_src(64, 40, "points=g.points, edges=g.edges, width=2"), &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v = NULL;
    cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK);
    float *px = image_floats(v);
    cr_expect(px[(8 * 64 + 30) * 4 + 3] == 1.0f, "frame %d: edge 0-1 is drawn", f);
    cr_expect(px[(20 * 64 + 50) * 4 + 3] == (f == 0 ? 1.0f : 0.0f), "frame %d: edge 1-2", f);
    free(px);
    cr_expect_eq(ysgt_n_warnings, 1, "frame %d: %d warnings", f, ysgt_n_warnings);
  }
  cr_expect_str_eq(ysgt_warning,
                   "test.lua:3: node 'out' (line): frame 0: 1 of 3 edges name a point outside "
                   "0..2 (the points of this frame); such edges are skipped, and this is "
                   "reported once");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- errors --------------------------------------------------------------------------------- */
static void expect_load_error(const char *a, ysg_status status, const char *msg) {
  ysg_context *ctx = make_ctx(1);
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, line_src(64, 32, a), &p);
  if (s == YSG_OK) s = ysg_pipeline_run_frame(p, 0);
  cr_expect_eq(s, status, "%s: status %s", a, ysg_status_name(s));
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(line, inputs_other_than_curves_or_points_with_edges_are_rejected) {
  static const char *const cases[][2] = {
      {"width=2", "nothing"},
      {"points=g.points", "'points' without 'edges'"},
      {"edges=g.edges", "'edges' without 'points'"},
      {"curves=g.curves, points=g.points", "'curves' and 'points'"},
      {"curves=g.curves, edges=g.edges", "'curves' and 'edges'"},
      {"curves=g.curves, points=g.points, edges=g.edges", "'curves', 'points' and 'edges'"},
  };
  for (int k = 0; k < 6; k++) {
    geo_reset();
    char msg[512];
    snprintf(msg, sizeof msg,
             "test.lua:3: node 'out' (line): inputs: expected either 'curves' or both 'points' "
             "and 'edges', got %s",
             cases[k][1]);
    expect_load_error(cases[k][0], YSG_ERR_PIPELINE, msg);
  }
}

/* a 64 px line at y = 8.5 is listed in tiles 0..3 of row 0: 4 references, above a capacity of 3 */
Test(line, bin_capacity_is_a_clear_limit) {
  geo_reset();
  add_segment(0.5f, 8.5f, 63.5f, 8.5f);
  expect_load_error("points=g.points, edges=g.edges, bin_capacity=3", YSG_ERR_LIMIT,
                    "test.lua:3: node 'out' (line): parameter 'bin_capacity': frame 0 needs 4 "
                    "segment-in-tile references, more than the 3 planned; raise bin_capacity");
  geo_reset();
  add_segment(0.5f, 8.5f, 63.5f, 8.5f);
  float *a = run_alpha(64, 32, "points=g.points, edges=g.edges, bin_capacity=4");
  cr_expect(a[8 * 64 + 30] == 1.0f, "with room for 4 the line is drawn");
  free(a);
}
