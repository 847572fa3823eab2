/* test_polygon.c — the `polygon` node: fill coverage against an independent reference (16×16
 * point samples per pixel, a winding-number / crossing-count point-in-polygon test written here)
 * for convex, concave, self-intersecting, off-canvas and huge polygons, non-zero vs even-odd (a
 * pentagram, a square wound twice), the stroke against the capsule union of the outline,
 * degenerate polygons (zero area, repeated vertices, fewer than 3 vertices: not drawn, reported
 * once), per-vertex colours, thread independence and tile flags, fused into a merge vs unfused,
 * and the capacity errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "util.h"

#define MAXV 4096
#define PI 3.14159265358979323846

/* ---- the node, fed through points_in ----------------------------------------------------------
 */
static struct {
  int n;
  float xy[2 * MAXV], rgba[4 * MAXV];
  int32_t id[MAXV];
  int rgba_on;
} V;

static void reset(void) { memset(&V, 0, sizeof V); }
static void vtx(int id, double x, double y) {
  cr_assert(V.n < MAXV);
  V.xy[2 * V.n] = (float)x;
  V.xy[2 * V.n + 1] = (float)y;
  V.id[V.n++] = id;
}

static ysg_pipeline *load(ysg_context *ctx, int w, int h, const char *args) {
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=4}\n"
           "out = polygon{name='out', points=points_in{name='in', capacity=%d}, %s}\n",
           w, h, MAXV, args);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  static const char *const keep[] = {"out"};
  lo.keep = keep;
  lo.n_keep = 1;
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  ysg_points_desc d = {.count = V.n, .xy = V.xy, .id = V.id, .rgba = V.rgba_on ? V.rgba : NULL};
  cr_assert_eq(ysg_pipeline_set_points(p, "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

/* channel ch (3: alpha) of the output, w·h floats */
static float *render_ctx(ysg_context *ctx, int w, int h, const char *args, int ch) {
  ysg_pipeline *p = load(ctx, w, h, args);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  float *o = calloc((size_t)w * h, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE])
        o[y * w + x] = ysg_half_to_float(v->px[((size_t)y * w + x) * 4 + ch]);
  ysg_pipeline_destroy(p);
  return o;
}

static float *render(int w, int h, const char *args) {
  ysg_context *ctx = ysgt_ctx();
  float *o = render_ctx(ctx, w, h, args, 3);
  ysg_context_destroy(ctx);
  return o;
}

/* ---- the reference ----------------------------------------------------------------------------
 */
/* winding number of (x, y) around polygon vertices [b, e) of V (in double) */
static int winding(int b, int e, double x, double y) {
  int w = 0;
  for (int k = b; k < e; k++) {
    int q = k + 1 < e ? k + 1 : b;
    double ax = V.xy[2 * k], ay = V.xy[2 * k + 1], bx = V.xy[2 * q], by = V.xy[2 * q + 1];
    double side = (bx - ax) * (y - ay) - (x - ax) * (by - ay);
    if (ay <= y && by > y && side > 0) w++;
    if (ay > y && by <= y && side < 0) w--;
  }
  return w;
}

/* fraction of each pixel's 256 samples inside the polygons of V (each run of equal ids) by the
 * rule, the polygons' union */
static float *ref_fill(int w, int h, int evenodd) {
  float *a = calloc((size_t)w * h, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int c = 0;
      for (int j = 0; j < 16; j++)
        for (int i = 0; i < 16; i++) {
          double sx = x + (i + 0.5) / 16, sy = y + (j + 0.5) / 16;
          int in = 0;
          for (int b = 0; b < V.n && !in;) {
            int e = b + 1;
            while (e < V.n && V.id[e] == V.id[b]) e++;
            int wn = e - b >= 3 ? winding(b, e, sx, sy) : 0;
            in = evenodd ? (wn & 1) != 0 : wn != 0;
            b = e;
          }
          c += in;
        }
      a[y * w + x] = (float)c / 256.0f;
    }
  return a;
}

static double seg_dist(double px, double py, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  return hypot(px - ax - t * dx, py - ay - t * dy);
}

/* the max over the outline's edges of each capsule's exact coverage (the line node's union:
 * a pixel takes the coverage of its nearest stroke), 16×16 samples */
static float *ref_stroke(int w, int h, double width) {
  float *a = calloc((size_t)w * h, sizeof(float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int best = 0;
      for (int k = 0; k < V.n; k++) {
        int q = (k + 1) % V.n, c = 0;
        for (int j = 0; j < 16; j++)
          for (int i = 0; i < 16; i++)
            c += seg_dist(x + (i + 0.5) / 16, y + (j + 0.5) / 16, V.xy[2 * k], V.xy[2 * k + 1],
                          V.xy[2 * q], V.xy[2 * q + 1]) <= width / 2;
        best = c > best ? c : best;
      }
      a[y * w + x] = (float)best / 256.0f;
    }
  return a;
}

typedef struct err_stats {
  double rmse, max;
  int n, mx, my;
} err_stats;

static err_stats compare(const float *got, const float *ref, int w, int h) {
  err_stats e = {0, 0, 0, -1, -1};
  double sum = 0;
  for (int k = 0; k < w * h; k++) {
    double d = fabs((double)got[k] - ref[k]);
    if (!(d <= e.max)) {
      e.max = isnan(d) ? INFINITY : d;
      e.mx = k % w;
      e.my = k / w;
    }
    if (got[k] > 0 || ref[k] > 0) {
      sum += d * d;
      e.n++;
    }
  }
  e.rmse = e.n ? sqrt(sum / e.n) : 0;
  return e;
}

static err_stats fill_error(int w, int h, int evenodd) {
  char a[256];
  snprintf(a, sizeof a, "fill='#ffffff', fill_opacity=1, width=0, fill_rule='%s'",
           evenodd ? "evenodd" : "nonzero");
  float *got = render(w, h, a), *ref = ref_fill(w, h, evenodd);
  err_stats e = compare(got, ref, w, h);
  free(got);
  free(ref);
  return e;
}

static uint32_t lcg(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static double unit(uint32_t *s) { return (double)(lcg(s) % 1000000) / 1e6; }

/* ---- fill coverage ----------------------------------------------------------------------------
 */
/* Simple polygons — convex (regular n-gons at sub-pixel offsets), concave (stars with radii
 * alternating, combs) — and the union of several: the node's area is exact, so what remains is
 * the reference's 16×16 sampling (up to 1/32 along an edge between sample rows) and FP16: max
 * 0.035, RMSE 0.01, under either rule (a simple polygon winds once). */
Test(polygon, simple_polygons_match_the_exact_area) {
  uint32_t seed = 12345;
  double worst = 0, worst_rmse = 0;
  for (int trial = 0; trial < 24; trial++) {
    reset();
    int shapes = 1 + trial % 3;
    for (int s = 0; s < shapes; s++) {
      double cx = 20 + 88 * unit(&seed), cy = 20 + 56 * unit(&seed), r = 8 + 20 * unit(&seed);
      int n = 3 + (int)(lcg(&seed) % 9), star = trial % 2, dir = lcg(&seed) % 2 ? 1 : -1;
      double a0 = 2 * PI * unit(&seed);
      for (int k = 0; k < (star ? 2 * n : n); k++) {
        double a = a0 + dir * 2 * PI * k / (star ? 2 * n : n), rr = star && k % 2 ? r * 0.45 : r;
        vtx(s + 1, cx + rr * cos(a), cy + rr * sin(a));
      }
    }
    for (int rule = 0; rule < 2; rule++) {
      /* overlapping separate polygons are composited, not one shape: compare one at a time */
      if (shapes > 1 && rule == 1) continue;
      err_stats e = fill_error(128, 96, rule);
      worst = fmax(worst, e.max);
      worst_rmse = fmax(worst_rmse, e.rmse);
      if (shapes == 1)
        cr_expect(e.max <= 0.035 && e.rmse <= 0.01,
                  "trial %d rule %d: rmse %.4f max %.4f at (%d,%d)", trial, rule, e.rmse, e.max,
                  e.mx, e.my);
    }
  }
  cr_log_info("simple polygons: worst rmse %.4f, worst max %.4f", worst_rmse, worst);
}

/* A comb (deeply concave, many vertical and horizontal edges on and off pixel boundaries). */
Test(polygon, concave_comb) {
  reset();
  vtx(1, 10.3, 70.6);
  for (int k = 0; k < 6; k++) {
    double x = 10.3 + 15.2 * k;
    vtx(1, x, 12.25);
    vtx(1, x + 7.5, 12.25);
    vtx(1, x + 7.5, 55);
    vtx(1, x + 15.2, 55);
  }
  vtx(1, 101.5, 70.6);
  for (int rule = 0; rule < 2; rule++) {
    err_stats e = fill_error(112, 80, rule);
    cr_expect(e.max <= 0.035 && e.rmse <= 0.01, "rule %d: rmse %.4f max %.4f at (%d,%d)", rule,
              e.rmse, e.max, e.mx, e.my);
  }
}

/* Self-intersecting polygons: exact wherever a pixel holds edges of one part of the outline only;
 * where two edges that are not neighbours both pass through a pixel (at crossings, and where
 * such edges run close) the folded signed area is an approximation. Checked: RMSE 0.04 overall,
 * max 0.035 over pixels that no two non-neighbouring edges reach within 0.75 px of the centre. */
Test(polygon, self_intersecting_polygons) {
  uint32_t seed = 99;
  for (int trial = 0; trial < 12; trial++) {
    reset();
    int n = 5 + trial % 6;
    for (int k = 0; k < n; k++) {
      double x = 8 + 112 * unit(&seed), y = 8 + 80 * unit(&seed);
      vtx(1, x, y);
    }
    for (int rule = 0; rule < 2; rule++) {
      char a[256];
      snprintf(a, sizeof a, "fill='#ffffff', fill_opacity=1, width=0, fill_rule='%s'",
               rule ? "evenodd" : "nonzero");
      float *got = render(128, 96, a), *ref = ref_fill(128, 96, rule);
      err_stats e = compare(got, ref, 128, 96);
      double far = 0;
      int n_far = 0;
      for (int y = 0; y < 96; y++)
        for (int x = 0; x < 128; x++) {
          int through[16], nt = 0, mixed = 0;
          for (int i = 0; i < n; i++) {
            int q = (i + 1) % n;
            if (seg_dist(x + 0.5, y + 0.5, V.xy[2 * i], V.xy[2 * i + 1], V.xy[2 * q],
                         V.xy[2 * q + 1]) < 0.75)
              through[nt++] = i;
          }
          for (int i = 0; i < nt; i++)
            for (int j = i + 1; j < nt; j++) {
              int d = through[j] - through[i];
              mixed |= d != 1 && d != n - 1;
            }
          if (mixed) continue;
          n_far++;
          far = fmax(far, fabs(got[y * 128 + x] - ref[y * 128 + x]));
        }
      cr_expect(e.rmse <= 0.04 && far <= 0.035,
                "trial %d rule %d: rmse %.4f, max %.4f, max over %d pixels without edges of two "
                "parts %.4f",
                trial, rule, e.rmse, e.max, n_far, far);
      free(got);
      free(ref);
    }
  }
}

/* ---- fill rules ------------------------------------------------------------------------------ */
/* A pentagram (winding 2 in its centre pentagon) and a square wound twice: non-zero fills the
 * centre, even-odd leaves it empty. */
Test(polygon, nonzero_and_evenodd) {
  reset();
  for (int k = 0; k < 5; k++) {
    double a = -PI / 2 + 4 * PI * k / 5;
    vtx(1, 48 + 40 * cos(a), 48 + 40 * sin(a));
  }
  float *nz = render(96, 96, "fill='#ffffff', fill_opacity=1, width=0");
  float *eo = render(96, 96, "fill='#ffffff', fill_opacity=1, width=0, fill_rule='evenodd'");
  cr_expect(nz[48 * 96 + 48] == 1.0f && eo[48 * 96 + 48] == 0.0f,
            "centre: nonzero %.4f, evenodd %.4f", (double)nz[48 * 96 + 48],
            (double)eo[48 * 96 + 48]);
  cr_expect(nz[14 * 96 + 48] == 1.0f && eo[14 * 96 + 48] == 1.0f, "a point: both fill it");
  free(nz);
  free(eo);
  reset();
  for (int r = 0; r < 2; r++) {
    vtx(1, 10, 10);
    vtx(1, 50, 10);
    vtx(1, 50, 40);
    vtx(1, 10, 40);
  }
  nz = render(64, 48, "fill='#ffffff', fill_opacity=1, width=0");
  eo = render(64, 48, "fill='#ffffff', fill_opacity=1, width=0, fill_rule='evenodd'");
  double ink_nz = 0, ink_eo = 0;
  for (int k = 0; k < 64 * 48; k++) {
    ink_nz += nz[k];
    ink_eo += eo[k];
  }
  cr_expect(fabs(ink_nz - 1200) < 0.5 && ink_eo == 0,
            "square wound twice: nonzero ink %.3f (1200), evenodd %.3f (0)", ink_nz, ink_eo);
  free(nz);
  free(eo);
}

/* ---- off canvas, huge -------------------------------------------------------------------------
 */
/* A polygon around the whole canvas fills every pixel; one crossing the left and top edges and
 * one with vertices at ±1e7 match the reference. */
Test(polygon, off_canvas_and_huge_coordinates) {
  reset();
  vtx(1, -500, -300);
  vtx(1, 900, -300);
  vtx(1, 900, 700);
  vtx(1, -500, 700);
  float *a = render(80, 48, "fill='#ffffff', fill_opacity=1, width=0");
  int full = 0;
  for (int k = 0; k < 80 * 48; k++) full += a[k] == 1.0f;
  cr_expect_eq(full, 80 * 48, "%d of %d pixels full", full, 80 * 48);
  free(a);
  reset();
  vtx(1, -40.5, 20.25);
  vtx(1, 60.2, -30.7);
  vtx(1, 70.9, 40.1);
  vtx(1, 20.4, 45.3);
  err_stats e = fill_error(80, 48, 0);
  cr_expect(e.max <= 0.035 && e.rmse <= 0.01, "crossing the edges: rmse %.4f max %.4f", e.rmse,
            e.max);
  reset();
  vtx(1, -1e7, 30.3);
  vtx(1, 40.6, -1e7);
  vtx(1, 1e7, 1e7);
  err_stats h = fill_error(80, 48, 0);
  cr_expect(h.max <= 0.035 && h.rmse <= 0.01, "huge: rmse %.4f max %.4f at (%d,%d)", h.rmse, h.max,
            h.mx, h.my);
}

/* ---- stroke -----------------------------------------------------------------------------------
 */
/* The outline alone (fill_opacity 0) against the max of its edges' exact capsule coverage (the
 * union rule of the line node, whose polyline joints these are): the line's thresholds, RMSE
 * 0.012 and max 0.035, away from the vertices; within 1 px + half the width of a vertex the open
 * joint's band (across the direction from the end) is off by up to 0.1 at sharp corners (50° here).
 */
Test(polygon, stroke_matches_the_capsule_union) {
  static const double widths[3] = {1, 2.5, 5};
  for (int wi = 0; wi < 3; wi++) {
    reset();
    vtx(1, 12.3, 10.8);
    vtx(1, 60.1, 14.4);
    vtx(1, 44.7, 30.2);
    vtx(1, 66.6, 52.9);
    vtx(1, 15.5, 49.1);
    char a[256];
    snprintf(a, sizeof a, "color='#ffffff', fill_opacity=0, width=%g", widths[wi]);
    float *got = render(80, 64, a), *ref = ref_stroke(80, 64, widths[wi]);
    err_stats e = compare(got, ref, 80, 64);
    double far = 0;
    for (int y = 0; y < 64; y++)
      for (int x = 0; x < 80; x++) {
        int near = 0;
        for (int k = 0; k < V.n; k++)
          near |= hypot(x + 0.5 - V.xy[2 * k], y + 0.5 - V.xy[2 * k + 1]) < 1 + widths[wi] / 2;
        if (!near) far = fmax(far, fabs(got[y * 80 + x] - ref[y * 80 + x]));
      }
    cr_expect(e.max <= 0.1 && far <= 0.035 && e.rmse <= 0.012,
              "width %g: rmse %.4f max %.4f at (%d,%d), max away from vertices %.4f", widths[wi],
              e.rmse, e.max, e.mx, e.my, far);
    free(got);
    free(ref);
  }
}

/* Fill and stroke together: the stroke is composited over the fill (both white at alpha 0.5 and
 * 1: inside the stroke band alpha 1, inside the fill 0.5). */
Test(polygon, stroke_over_fill) {
  reset();
  vtx(1, 10.5, 10.5);
  vtx(1, 50.5, 10.5);
  vtx(1, 50.5, 40.5);
  vtx(1, 10.5, 40.5);
  float *a = render(64, 48, "fill='#ffffff', fill_opacity=0.5, color='#ffffff', width=3");
  cr_expect(a[25 * 64 + 30] == 0.5f, "inside: %.4f", (double)a[25 * 64 + 30]);
  cr_expect(a[10 * 64 + 30] == 1.0f, "on the outline: %.4f", (double)a[10 * 64 + 30]);
  cr_expect(a[25 * 64 + 55] == 0.0f, "outside: %.4f", (double)a[25 * 64 + 55]);
  free(a);
}

/* ---- degenerate polygons ------------------------------------------------------------------------
 */
/* Repeated vertices change nothing in the fill; a zero-area polygon fills nothing but its outline
 * is stroked (a line there and back). */
Test(polygon, repeated_vertices_and_zero_area) {
  reset();
  vtx(1, 10.2, 10.7);
  vtx(1, 60.3, 15.1);
  vtx(1, 30.8, 40.6);
  float *a = render(64, 48, "fill='#ffffff', fill_opacity=1, width=0");
  reset();
  vtx(1, 10.2, 10.7);
  vtx(1, 10.2, 10.7);
  vtx(1, 60.3, 15.1);
  vtx(1, 60.3, 15.1);
  vtx(1, 60.3, 15.1);
  vtx(1, 30.8, 40.6);
  float *b = render(64, 48, "fill='#ffffff', fill_opacity=1, width=0");
  cr_expect(memcmp(a, b, sizeof(float) * 64 * 48) == 0, "repeated vertices change the fill");
  free(a);
  free(b);
  reset();
  vtx(1, 10, 20.5);
  vtx(1, 30, 20.5);
  vtx(1, 50, 20.5);
  float *f = render(64, 48, "fill='#ffffff', fill_opacity=1, width=0");
  float *s = render(64, 48, "fill='#ffffff', fill_opacity=1, color='#ffffff', width=2");
  double ink_f = 0, ink_s = 0;
  for (int k = 0; k < 64 * 48; k++) {
    ink_f += f[k];
    ink_s += s[k];
  }
  cr_expect(ink_f == 0, "zero area: fill ink %.4f", ink_f);
  /* the turns at both ends are polyline joints turned back on themselves: their open ends take
   * a band across the direction from the end (the line node's joint), ~0.17 px² more than a
   * round cap each */
  cr_expect(fabs(ink_s - (40 * 2 + PI)) < 0.5,
            "zero area: stroke ink %.4f, a 40 px capsule of "
            "width 2 has %.4f",
            ink_s, 40 * 2 + PI);
  free(f);
  free(s);
}

/* Fewer than 3 vertices: that polygon is not drawn, the others are, and a warning says so once. */
Test(polygon, fewer_than_three_vertices_are_not_drawn) {
  reset();
  vtx(4, 5, 5);
  vtx(4, 30, 5);
  vtx(5, 10, 10);
  vtx(5, 40, 10);
  vtx(5, 25, 40);
  vtx(6, 50, 30);
  ysg_context *ctx = ysgt_ctx_warn(1);
  ysg_pipeline *p = load(ctx, 64, 48, "fill='#ffffff', fill_opacity=1, width=0");
  for (int f = 0; f < 3; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysgt_n_warnings, 1);
  cr_expect_str_eq(ysgt_warning,
                   "test.lua:2: node 'out' (polygon): frame 0: 2 polygons are not "
                   "drawn (the first: id 4, 2 vertices): a polygon needs 3 or more "
                   "finite vertices; reported once");
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK);
  double ink = 0;
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      if (v->tiles[(y / 16) * v->tiles_x + x / 16])
        ink += ysg_half_to_float(v->px[((size_t)y * 64 + x) * 4 + 3]);
  cr_expect(fabs(ink - 450) < 0.5, "ink %.3f: the triangle (area 450) alone", ink);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- colours, threads, tiles -------------------------------------------------------------------
 */
/* Vertices with colours colour their polygon (the first vertex's), fill and stroke. */
Test(polygon, point_colors) {
  reset();
  V.rgba_on = 1;
  for (int k = 0; k < 4; k++) {
    static const double sq[4][2] = {{8, 8}, {40, 8}, {40, 40}, {8, 40}};
    vtx(1, sq[k][0], sq[k][1]);
    float c[4] = {k ? 0.0f : 1.0f, 0.5f, 0.0f, 1.0f};
    memcpy(&V.rgba[4 * (V.n - 1)], c, sizeof c);
  }
  ysg_context *ctx = ysgt_ctx();
  float *r = render_ctx(ctx, 48, 48, "fill='#0000ff', fill_opacity=0.5, width=0", 0);
  float *b = render_ctx(ctx, 48, 48, "fill='#0000ff', fill_opacity=0.5, width=0", 2);
  cr_expect(fabsf(r[24 * 48 + 24] - 0.5f) < 1e-3f && b[24 * 48 + 24] == 0.0f,
            "inside: red %.4f (0.5), blue %.4f", (double)r[24 * 48 + 24], (double)b[24 * 48 + 24]);
  free(r);
  free(b);
  b = render_ctx(ctx, 48, 48, "fill='#0000ff', fill_opacity=0.5, width=0, point_colors=false", 2);
  cr_expect(fabsf(b[24 * 48 + 24] - 0.5f) < 1e-3f, "point_colors=false: blue %.4f",
            (double)b[24 * 48 + 24]);
  free(b);
  ysg_context_destroy(ctx);
}

/* 1 and 2 threads give the same bits; tiles are marked only where a polygon reaches. */
Test(polygon, threads_and_tiles) {
  reset();
  uint32_t seed = 5;
  for (int s = 0; s < 12; s++) {
    double cx = 30 + 200 * unit(&seed), cy = 30 + 130 * unit(&seed);
    for (int k = 0; k < 7; k++) {
      double a = 2 * PI * k / 7 + s, r = k % 2 ? 9 : 22;
      vtx(s, cx + r * cos(a), cy + r * sin(a));
    }
  }
  const char *a = "fill_opacity=0.6, width=2, fill_rule='evenodd'";
  ysg_context *c1 = ysgt_ctx(), *c2 = ysgt_ctx_warn(2);
  ysg_pipeline *p1 = load(c1, 256, 192, a), *p2 = load(c2, 256, 192, a);
  cr_assert_eq(ysg_pipeline_run_frame(p1, 0), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p2, 0), YSG_OK);
  const ysg_value *v1, *v2;
  cr_assert_eq(ysg_pipeline_get_value(p1, "out", &v1), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p2, "out", &v2), YSG_OK);
  int nt = v1->tiles_x * v1->tiles_y, marked = 0, wrong = 0, diff = 0;
  cr_expect(memcmp(v1->tiles, v2->tiles, (size_t)nt) == 0, "tile flags differ");
  for (int t = 0; t < nt; t++) {
    int tx = t % v1->tiles_x, ty = t / v1->tiles_x, ink = 0;
    if (v1->tiles[t]) marked++;
    for (int y = ty * 16; y < ty * 16 + 16; y++)
      for (int x = tx * 16; x < tx * 16 + 16; x++)
        if (v1->tiles[t]) {
          ink |= v1->px[((size_t)y * 256 + x) * 4 + 3] != 0;
          diff += memcmp(v1->px + ((size_t)y * 256 + x) * 4, v2->px + ((size_t)y * 256 + x) * 4,
                         8) != 0;
        }
    wrong += v1->tiles[t] && !ink;
  }
  cr_expect(marked > 0 && marked < nt, "%d of %d tiles marked", marked, nt);
  cr_expect_eq(wrong, 0, "%d marked tiles hold nothing", wrong);
  cr_expect_eq(diff, 0, "%d pixels differ between 1 and 2 threads", diff);
  ysg_pipeline_destroy(p1);
  ysg_pipeline_destroy(p2);
  ysg_context_destroy(c1);
  ysg_context_destroy(c2);
}

/* Fused into a merge (the image rendered tile by tile inside the merge's pass) and unfused give
 * the same bits. */
Test(polygon, fused_equals_unfused) {
  reset();
  uint32_t seed = 8;
  for (int s = 0; s < 6; s++)
    for (int k = 0; k < 9; k++) {
      double a = 2 * PI * k / 9, r = k % 2 ? 12 : 30;
      vtx(s, 40 + 36 * s + r * cos(a) + unit(&seed), 60 + r * sin(a));
    }
  const ysg_value *v[2];
  ysg_pipeline *p[2];
  ysg_context *ctx = ysgt_ctx_warn(2);
  for (int fuse = 0; fuse < 2; fuse++) {
    ysg_load_options lo;
    ysg_load_options_init(&lo);
    static const char *const keep[] = {"m"};
    lo.keep = keep;
    lo.n_keep = 1;
    lo.no_fuse = !fuse;
    lo.backend = YSG_BACKEND_CPU;
    cr_assert_eq(ysg_pipeline_load_string(ctx,
                                          "canvas{width=256,height=128,frames=1}\n"
                                          "local z = polygon{points=points_in{name='in', "
                                          "capacity=4096}, fill_opacity=0.5, width=2}\n"
                                          "merge{name='m', layers={fill{color='#102030'}, z}}\n",
                                          "test.lua", &lo, &p[fuse]),
                 YSG_OK, "%s", ysg_errmsg(ctx));
    ysg_points_desc d = {.count = V.n, .xy = V.xy, .id = V.id};
    cr_assert_eq(ysg_pipeline_set_points(p[fuse], "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p[fuse], 0), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(p[fuse], "m", &v[fuse]), YSG_OK, "%s", ysg_errmsg(ctx));
  }
  cr_expect(memcmp(v[0]->px, v[1]->px, (size_t)256 * 128 * 8) == 0, "fused and unfused differ");
  ysg_pipeline_destroy(p[0]);
  ysg_pipeline_destroy(p[1]);
  ysg_context_destroy(ctx);
}

/* ---- errors ---------------------------------------------------------------------------------- */
Test(polygon, capacity_errors_and_bad_names) {
  reset();
  vtx(1, 2, 2);
  vtx(1, 60, 2);
  vtx(1, 60, 40);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, 64, 48, "tile_capacity=5");
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'out' (polygon): parameter 'tile_capacity': "
                   "frame 0 needs 12 polygon-in-tile entries, more than the 5 "
                   "planned; raise tile_capacity");
  ysg_pipeline_destroy(p);
  p = load(ctx, 64, 48, "bin_capacity=3");
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'out' (polygon): parameter 'bin_capacity': "
                   "frame 0 needs 14 edge-in-tile references, more than the 3 "
                   "planned; raise bin_capacity");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  ysgt_expect_load_fail(
      "canvas{width=64,height=48}\n"
      "png{image=polygon{points=points_in{}, fill_rule='odd'}, path='x.png'}\n",
      NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'polygon_1' (polygon): parameter 'fill_rule': expected "
      "one of nonzero|evenodd, got 'odd'");
}
