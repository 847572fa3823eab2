/* test_bbox.c — the `bbox` render node. Coverage of square and rounded boxes, stroked (0.5, 1,
 * 2.5, 6 px), filled and both, at fractional positions, against a reference computed here by
 * 16×16 supersampling of the exact shape (independent of sdf.h and bbox_math.h); bracket
 * corners (quality, empty side middles, anti-aliased arm ends); per-box colours and the colour
 * params; from_radius and from_age sizes (ages per frame, new ids, the table's compaction, runs
 * that go backwards); culling of off-canvas and NaN/inf/huge/negative boxes; the error texts;
 * thread-count independence; the CPU's shortcuts against plain per-pixel evaluation (bit for
 * bit). The CUDA launcher is compared in test_bbox_cuda.c. Test source nodes `tboxes`/`tpoints`
 * feed arbitrary data. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bbox_math.h"
#include "color.h"
#include "internal.h"
#include "util.h"

#include "bbox_scene.h"

static double alpha(const ysg_value *v, int x, int y) { return chan(v, x, y, 3); }

static double alpha_sum(const ysg_value *v, int x0, int y0, int x1, int y1) {
  double s = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) s += alpha(v, x, y);
  return s;
}

/* ---- the reference: exact shapes, 16×16 samples per pixel -------------------------------- */
/* A box as documented: the stroke (width s) is the outer rounded rectangle (half sizes + s/2,
 * corner radius r + min(r, s/2)) minus the inner one (half sizes - s/2, radius max(r - s/2, 0));
 * the fill is the box; bracket corners keep the stroke where the nearer edge's coordinate is
 * at least half size - arm length from the centre. Opaque white stroke over a white fill of
 * alpha fa: a sample's alpha is 1 in the stroke, fa in the fill, else 0. */
typedef struct rbox {
  double x, y, w, h, r, s, fa;
  double lx, ly; /* arm lengths; < 0: full outline */
} rbox;

static int in_rrect(double dx, double dy, double hx, double hy, double r) {
  if (hx <= 0 || hy <= 0 || dx > hx || dy > hy) return 0;
  if (r > 0 && dx > hx - r && dy > hy - r) {
    double ex = dx - (hx - r), ey = dy - (hy - r);
    return ex * ex + ey * ey <= r * r;
  }
  return 1;
}

static double sample_alpha(const rbox *b, double px, double py) {
  double hx = b->w / 2, hy = b->h / 2, hs = b->s / 2;
  double dx = fabs(px - (b->x + hx)), dy = fabs(py - (b->y + hy));
  int stroke = hs > 0 && in_rrect(dx, dy, hx + hs, hy + hs, b->r + fmin(b->r, hs)) &&
               !in_rrect(dx, dy, hx - hs, hy - hs, fmax(b->r - hs, 0));
  if (stroke && b->lx >= 0) {
    int horizontal = hy - dy < hx - dx;
    stroke = horizontal ? dx >= hx - b->lx : dy >= hy - b->ly;
  }
  if (stroke) return 1.0;
  return in_rrect(dx, dy, hx, hy, b->r) ? b->fa : 0.0;
}

/* alpha of pixel (x, y): boxes composited in order per sample, then averaged */
static double ref_alpha(const rbox *bs, int n, int x, int y) {
  double sum = 0;
  for (int j = 0; j < 16; j++)
    for (int i = 0; i < 16; i++) {
      double px = x + (i + 0.5) / 16.0, py = y + (j + 0.5) / 16.0, a = 0;
      for (int k = 0; k < n; k++) {
        double ak = sample_alpha(&bs[k], px, py);
        a = ak + a * (1 - ak);
      }
      sum += a;
    }
  return sum / 256.0;
}

typedef struct errstat {
  double rmse, max;
  int max_x, max_y;
} errstat;

static errstat compare_ref(const ysg_value *v, const rbox *bs, int n) {
  errstat e = {0, 0, -1, -1};
  double sq = 0;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      double d = fabs(alpha(v, x, y) - ref_alpha(bs, n, x, y));
      sq += d * d;
      if (d > e.max) {
        e.max = d;
        e.max_x = x;
        e.max_y = y;
      }
    }
  e.rmse = sqrt(sq / ((double)v->width * v->height));
  return e;
}

/* render boxes bs (white, stroke s, fill alpha fa, radius/style from extra) and compare */
static errstat render_compare(const rbox *bs, int n, const char *extra, int W, int H) {
  scene_reset(MAXE, 0);
  for (int k = 0; k < n; k++)
    scene_box(0, (float)bs[k].x, (float)bs[k].y, (float)bs[k].w, (float)bs[k].h);
  char args[512];
  snprintf(args, sizeof args,
           "stroke=%.9g, fill_opacity=%.9g, color='#ffffff', fill_color='#ffffff'%s%s", bs[0].s,
           bs[0].fa, *extra ? ", " : "", extra);
  run r = start(1, W, H, "tboxes", args);
  errstat e = compare_ref(frame(&r, 0), bs, n);
  finish(&r);
  return e;
}

static void set_boxes(rbox *bs, int n, double s, double fa, double r, double lx, double ly) {
  for (int k = 0; k < n; k++) {
    bs[k].s = s;
    bs[k].fa = fa;
    bs[k].r = fmin(r, fmin(bs[k].w, bs[k].h) / 2);
    bs[k].lx = lx;
    bs[k].ly = ly;
  }
}

/* Positions and sizes are fractional multiples of 1/16 px (as are the strokes' halves), so a
 * straight edge falls between sample columns and the 16×16 reference is exact for square
 * boxes; the node's slab-product coverage is exact there too, so what is left is FP16 rounding
 * (≤ 2.5e-4 for values ≤ 1) and float arithmetic: max 1e-3, RMSE 2.5e-4. The set includes a box
 * smaller than the widest stroke, a zero-width one (a stroke-wide bar) and one narrower than a
 * pixel, inside one column (its fill covers 0.375 of each pixel). */
static const rbox square_set[] = {
    {10.3125, 12.4375, 40.5625, 25.25, 0, 0, 0, -1, -1},
    {70.0625, 8.8125, 17.1875, 60.6875, 0, 0, 0, -1, -1},
    {110.5, 50.25, 3.375, 1.625, 0, 0, 0, -1, -1},
    {130.9375, 70.1875, 0.0, 12.0, 0, 0, 0, -1, -1},
    {20.6875, 55.0625, 30.125, 30.9375, 0, 0, 0, -1, -1},
    {140.25, 20.125, 0.375, 20.5, 0, 0, 0, -1, -1},
};
#define N_SQUARE ((int)(sizeof square_set / sizeof square_set[0]))
static const double strokes[] = {0.5, 1.0, 2.5, 6.0};

static void expect_close(errstat e, double max_tol, double rmse_tol, const char *what) {
  cr_log_info("%s: max %.5f at (%d,%d), RMSE %.6f", what, e.max, e.max_x, e.max_y, e.rmse);
  cr_expect(e.max <= max_tol, "%s: max error %.5f at (%d,%d) > %g", what, e.max, e.max_x, e.max_y,
            max_tol);
  cr_expect(e.rmse <= rmse_tol, "%s: RMSE %.6f > %g", what, e.rmse, rmse_tol);
}

Test(bbox, square_boxes_stroked_match_the_exact_area) {
  for (int k = 0; k < 4; k++) {
    rbox bs[N_SQUARE];
    memcpy(bs, square_set, sizeof bs);
    set_boxes(bs, N_SQUARE, strokes[k], 0, 0, -1, -1);
    char what[64];
    snprintf(what, sizeof what, "square stroke %.1f", strokes[k]);
    expect_close(render_compare(bs, N_SQUARE, "", 160, 96), 1e-3, 2.5e-4, what);
  }
}

Test(bbox, square_boxes_filled_and_both_match_the_exact_area) {
  rbox bs[N_SQUARE];
  memcpy(bs, square_set, sizeof bs);
  set_boxes(bs, N_SQUARE, 0, 1, 0, -1, -1);
  expect_close(render_compare(bs, N_SQUARE, "", 160, 96), 1e-3, 2.5e-4, "square fill");
  /* stroke over a half-transparent fill: the fill shows only inside the inner edge, exactly */
  for (int k = 0; k < 4; k++) {
    set_boxes(bs, N_SQUARE, strokes[k], 0.5, 0, -1, -1);
    char what[64];
    snprintf(what, sizeof what, "square stroke %.1f over fill 0.5", strokes[k]);
    expect_close(render_compare(bs, N_SQUARE, "", 160, 96), 1e-3, 2.5e-4, what);
  }
}

/* Rounded corners: the straight parts stay exact; pixels an arc crosses get the exact coverage
 * of the arc's tangent half-plane, so what is left is the arc's curvature within a pixel (and
 * the reference's own 1/32-per-edge sampling error). Measured: max 0.013–0.037 for radii 6 and
 * 12, 0.07–0.075 for a 1.5 px radius (the arc turns 90° within two pixels), RMSE ≤ 1.9e-3
 * everywhere. Bounds: max 0.05 (0.1 for the 1.5 px radius) and RMSE 3e-3 — tight enough that a
 * 1/8 px shift of an edge (0.125 error along the whole edge) or the plain clamp(0.5 - d) ramp
 * at the arcs (max 0.09, RMSE 4.6e-3 when measured) fails. */
static const rbox round_set[] = {
    {10.3125, 12.4375, 40.5625, 25.25, 0, 0, 0, -1, -1},
    {70.0625, 8.8125, 17.1875, 60.6875, 0, 0, 0, -1, -1},
    {100.1875, 30.5625, 45.75, 40.3125, 0, 0, 0, -1, -1},
    {20.6875, 55.0625, 30.125, 30.9375, 0, 0, 0, -1, -1},
};
#define N_ROUND ((int)(sizeof round_set / sizeof round_set[0]))

Test(bbox, rounded_boxes_stroked_and_filled) {
  const double radii[] = {6.0, 1.5, 12.0};
  for (int q = 0; q < 3; q++)
    for (int k = 0; k < 4; k++) {
      rbox bs[N_ROUND];
      memcpy(bs, round_set, sizeof bs);
      set_boxes(bs, N_ROUND, strokes[k], 0, radii[q], -1, -1);
      char what[96], extra[64];
      snprintf(what, sizeof what, "radius %.1f stroke %.1f", radii[q], strokes[k]);
      snprintf(extra, sizeof extra, "radius=%.9g", radii[q]);
      expect_close(render_compare(bs, N_ROUND, extra, 160, 96), radii[q] < 2 ? 0.1 : 0.05, 3e-3,
                   what);
    }
  rbox bs[N_ROUND];
  memcpy(bs, round_set, sizeof bs);
  set_boxes(bs, N_ROUND, 0, 1, 6.0, -1, -1);
  expect_close(render_compare(bs, N_ROUND, "radius=6", 160, 96), 0.05, 3e-3, "radius 6 fill");
  set_boxes(bs, N_ROUND, 2.5, 0.5, 6.0, -1, -1);
  expect_close(render_compare(bs, N_ROUND, "radius=6", 160, 96), 0.05, 3e-3,
               "radius 6 stroke 2.5 over fill");
}

Test(bbox, roundness_is_a_fraction_of_the_short_half_side) {
  /* roundness 1: every box becomes a stadium (radius = half its short side), whatever radius
   * says; the reference gets that radius per box */
  rbox bs[N_ROUND];
  memcpy(bs, round_set, sizeof bs);
  set_boxes(bs, N_ROUND, 2.5, 0, 1e9, -1, -1);
  expect_close(render_compare(bs, N_ROUND, "roundness=1, radius=3", 160, 96), 0.05, 3e-3,
               "roundness 1");
  memcpy(bs, round_set, sizeof bs);
  set_boxes(bs, N_ROUND, 1, 0, 0, -1, -1);
  for (int k = 0; k < N_ROUND; k++) bs[k].r = 0.5 * fmin(bs[k].w, bs[k].h) / 2;
  expect_close(render_compare(bs, N_ROUND, "roundness=0.5, radius=3", 160, 96), 0.05, 3e-3,
               "roundness 0.5");
}

/* Arbitrary offsets (not on the 1/16 grid): now the reference itself is off by up to 1/32 per
 * edge a pixel holds (a sample column either side of the edge), so up to ~1/16 at a corner
 * pixel; RMSE stays small because most edge pixels are off by much less. */
Test(bbox, arbitrary_offsets_within_the_references_sampling_error) {
  rbox bs[3] = {{10.37, 12.81, 40.29, 25.53, 0, 0, 0, -1, -1},
                {70.11, 8.93, 17.47, 60.02, 0, 0, 0, -1, -1},
                {100.71, 30.26, 45.45, 40.64, 0, 0, 0, -1, -1}};
  for (int k = 0; k < 4; k++) {
    set_boxes(bs, 3, strokes[k], 0.25, 0, -1, -1);
    char what[64];
    snprintf(what, sizeof what, "off-grid stroke %.1f", strokes[k]);
    expect_close(render_compare(bs, 3, "", 160, 96), 1.0 / 16 + 2e-3, 0.01, what);
  }
}

/* ---- corners style ----------------------------------------------------------------------- */
Test(bbox, corners_match_the_exact_brackets) {
  /* arms longer than the stroke, on the 1/16 grid: the brackets are unions of rectangles and
   * the coverage is exact, like the square boxes */
  rbox bs[N_SQUARE];
  memcpy(bs, square_set, sizeof bs);
  set_boxes(bs, 2, 2.5, 0, 0, 9.5, 9.5);
  expect_close(render_compare(bs, 2, "style='corners', corner_length=9.5", 160, 96), 1e-3, 2.5e-4,
               "corners 9.5 px");
  /* 0.25 of each side: sizes in quarters keep the arm ends on the grid */
  const rbox quarter[2] = {{10.3125, 12.4375, 40.5, 25.25, 0, 0, 0, -1, -1},
                           {70.0625, 8.8125, 17.25, 60.75, 0, 0, 0, -1, -1}};
  memcpy(bs, quarter, sizeof quarter);
  set_boxes(bs, 2, 2.5, 0, 0, -1, -1);
  for (int k = 0; k < 2; k++) {
    bs[k].lx = 0.25 * bs[k].w;
    bs[k].ly = 0.25 * bs[k].h;
  }
  expect_close(render_compare(bs, 2, "style='corners'", 160, 96), 1e-3, 2.5e-4, "corners 0.25");
  /* rounded brackets: the arcs carry the distance-field error of the rounded boxes */
  memcpy(bs, round_set, sizeof round_set);
  set_boxes(bs, N_ROUND, 2.5, 0, 6, 12, 12);
  expect_close(render_compare(bs, N_ROUND, "style='corners', corner_length=12, radius=6", 160, 96),
               0.05, 3e-3, "rounded corners");
}

Test(bbox, corners_leave_the_side_middles_empty) {
  /* box 20..80 × 20..60, stroke 2: the outline covers rows 19 and 20 (and 59, 60), columns 19,
   * 20 (and 79, 80) fully; arms of 15.5 px end at x = 35.5 and 64.5, y = 35.5 and 44.5 */
  scene_reset(4, 0);
  scene_box(0, 20, 20, 60, 40);
  run r = start(1, 100, 80, "tboxes", "stroke=2, style='corners', corner_length=15.5");
  const ysg_value *v = frame(&r, 0);
  const int corner[][2] = {{19, 19}, {20, 20}, {80, 19}, {19, 60}, {80, 60}, {34, 19}, {19, 34}};
  for (size_t k = 0; k < sizeof corner / sizeof corner[0]; k++)
    cr_expect(fabs(alpha(v, corner[k][0], corner[k][1]) - 1.0) <= 1e-3,
              "corner pixel (%d,%d): alpha %.4f", corner[k][0], corner[k][1],
              alpha(v, corner[k][0], corner[k][1]));
  const int middle[][2] = {{50, 19}, {50, 20}, {50, 59}, {50, 60}, {19, 40},
                           {20, 40}, {79, 40}, {80, 40}, {36, 20}, {20, 43}};
  for (size_t k = 0; k < sizeof middle / sizeof middle[0]; k++)
    cr_expect_eq(alpha(v, middle[k][0], middle[k][1]), 0.0, "side pixel (%d,%d): alpha %.4f",
                 middle[k][0], middle[k][1], alpha(v, middle[k][0], middle[k][1]));
  /* the arm ends mid-pixel: half coverage, the anti-aliased end */
  cr_expect(fabs(alpha(v, 35, 20) - 0.5) <= 1e-3, "arm end: %.4f", alpha(v, 35, 20));
  cr_expect(fabs(alpha(v, 64, 59) - 0.5) <= 1e-3, "arm end: %.4f", alpha(v, 64, 59));
  cr_expect(fabs(alpha(v, 79, 44) - 0.5) <= 1e-3, "arm end: %.4f", alpha(v, 79, 44));
  /* the tile in the middle of the top edge (32..47 × 16..31) holds only the gap and the arm's
   * last pixels; the inside tiles of the box are empty */
  cr_expect_eq(v->tiles[2 * v->tiles_x + 3], 0, "tile inside the box is marked");
  finish(&r);
}

/* ---- colours ------------------------------------------------------------------------------ */
Test(bbox, per_box_colours_from_the_data) {
  scene_reset(4, YSG_ATTR_RGBA);
  int a = scene_box(0, 10, 10, 30, 20), b = scene_box(0, 50, 10, 30, 20);
  const float ca[4] = {1, 0, 0, 1}, cb[4] = {0.2f, 0.4f, 0.8f, 0.5f};
  memcpy(S.rgba[0][a], ca, sizeof ca);
  memcpy(S.rgba[0][b], cb, sizeof cb);
  /* fill_color set: the data's rgb with fill_color's alpha (0.5) times the data alpha */
  run r = start(1, 96, 48, "tboxes",
                "stroke=2, fill_opacity=0.5, color='#00ff00', fill_color='#0000ff80'");
  const ysg_value *v = frame(&r, 0);
  double fa = 128.0 / 255.0;
  /* stroke pixels (10, 15), (50, 15) are fully covered: the premultiplied data colour, over
   * the fill under it (box b's stroke is half transparent: half of the fill shows) */
  double bl = 0.5 * fa * 0.5, al = fa * 0.5;
  const double want_a[4] = {1, 0, 0, 1},
               want_b[4] = {0.1 + 0.1 * bl, 0.2 + 0.2 * bl, 0.4 + 0.4 * bl, 0.5 + 0.5 * bl};
  for (int c = 0; c < 4; c++) {
    cr_expect(fabs(chan(v, 10, 15, c) - want_a[c]) <= 1e-3, "box a stroke channel %d: %.4f", c,
              chan(v, 10, 15, c));
    cr_expect(fabs(chan(v, 50, 15, c) - want_b[c]) <= 1e-3, "box b stroke channel %d: %.4f", c,
              chan(v, 50, 15, c));
  }
  /* fill pixel (25, 20): rgb (1,0,0) at alpha 1·fa·0.5; box b: (0.2,0.4,0.8) at 0.5·fa·0.5 */
  const double fill_a[4] = {al, 0, 0, al}, fill_b[4] = {0.2 * bl, 0.4 * bl, 0.8 * bl, bl};
  for (int c = 0; c < 4; c++) {
    cr_expect(fabs(chan(v, 25, 20, c) - fill_a[c]) <= 1e-3, "box a fill channel %d: %.4f", c,
              chan(v, 25, 20, c));
    cr_expect(fabs(chan(v, 65, 20, c) - fill_b[c]) <= 1e-3, "box b fill channel %d: %.4f", c,
              chan(v, 65, 20, c));
  }
  finish(&r);

  /* data_colors=false: the params; fill_color unset: the fill is `color` */
  r = start(1, 96, 48, "tboxes",
            "stroke=2, fill_opacity=0.25, color='#ffffff', "
            "data_colors=false, opacity=0.5");
  v = frame(&r, 0);
  for (int c = 0; c < 4; c++) {
    cr_expect(fabs(chan(v, 50, 15, c) - 0.5) <= 1e-3, "param stroke channel %d: %.4f", c,
              chan(v, 50, 15, c));
    cr_expect(fabs(chan(v, 65, 20, c) - 0.125) <= 1e-3, "param fill channel %d: %.4f", c,
              chan(v, 65, 20, c));
  }
  finish(&r);
}

Test(bbox, translucent_stroke_over_fill_and_later_boxes_over_earlier) {
  /* colour #ffffff80 stroke over a fill of fill_opacity 1 (same colour, alpha a = 128/255):
   * under the stroke a + a(1-a); box 2 overlapping box 1's fill: a + a·(1-a) again */
  scene_reset(4, 0);
  scene_box(0, 10, 10, 30, 20);
  scene_box(0, 30, 14, 30, 20);
  run r = start(1, 80, 48, "tboxes", "stroke=2, fill_opacity=1, color='#ffffff80'");
  const ysg_value *v = frame(&r, 0);
  double a = 128.0 / 255.0, two = a + a * (1 - a);
  cr_expect(fabs(alpha(v, 10, 20) - two) <= 1e-3, "stroke over fill: %.4f", alpha(v, 10, 20));
  cr_expect(fabs(alpha(v, 20, 20) - a) <= 1e-3, "fill only: %.4f", alpha(v, 20, 20));
  cr_expect(fabs(alpha(v, 35, 25) - two) <= 1e-3, "fill over fill: %.4f", alpha(v, 35, 25));
  /* box 2's stroke over box 1's fill: stroke+fill of box 2 over box 1's fill */
  double top = two + a * (1 - two);
  cr_expect(fabs(alpha(v, 30, 25) - top) <= 1e-3, "stroke 2 over fill 1: %.4f", alpha(v, 30, 25));
  finish(&r);
}

/* ---- sizes from points ----------------------------------------------------------------- */
Test(bbox, from_radius_squares) {
  /* fill-only boxes have exact coverage, so their alpha sums are their areas */
  scene_reset(4, YSG_ATTR_RADIUS);
  scene_point(0, 40.5f, 30.5f, 0, 5.0f);   /* side 2·5·2 = 20 */
  scene_point(0, 120.25f, 30.5f, 0, 2.5f); /* side 10 */
  scene_point(0, 80, 30, 0, NAN);          /* culled */
  run r = start(1, 160, 64, "tpoints", "size='from_radius', stroke=0, fill_opacity=1");
  const ysg_value *v = frame(&r, 0);
  cr_expect(fabs(alpha_sum(v, 0, 0, 70, 64) - 400) <= 0.1, "area %.3f", alpha_sum(v, 0, 0, 70, 64));
  cr_expect(fabs(alpha_sum(v, 100, 0, 160, 64) - 100) <= 0.1, "area %.3f",
            alpha_sum(v, 100, 0, 160, 64));
  cr_expect_eq(alpha_sum(v, 70, 0, 100, 64), 0.0);
  cr_expect(fabs(alpha(v, 31, 21) - 1.0) <= 1e-3 && alpha(v, 29, 30) == 0.0);
  finish(&r);
  /* no radius attribute: w is the radius (3 → side 3·2·scale 1.5 = 9) */
  S.attrs = 0;
  r = start(1, 160, 64, "tpoints", "size='from_radius', w=3, scale=1.5, stroke=0, fill_opacity=1");
  v = frame(&r, 0);
  cr_expect(fabs(alpha_sum(v, 0, 0, 70, 64) - 81) <= 0.1, "area %.3f", alpha_sum(v, 0, 0, 70, 64));
  cr_expect(fabs(alpha_sum(v, 70, 0, 100, 64) - 81) <= 0.1, "NaN radius is unused: %.3f",
            alpha_sum(v, 70, 0, 100, 64));
  finish(&r);
}

static double side_at(int age, double frames) {
  double t = frames > 0 ? fmin(age / frames, 1.0) : 1.0;
  return 8 + (40 - 8) * t;
}

Test(bbox, from_age_grows_per_frame_and_restarts_for_new_ids) {
  /* id 7 at the left every frame; id 9 at the right in frames 2-3, id 11 there in 4 */
  scene_reset(4, YSG_ATTR_ID);
  for (int f = 0; f < 6; f++) scene_point(f, 60, 64, 7, 0);
  scene_point(2, 180, 64, 9, 0);
  scene_point(3, 180, 64, 9, 0);
  scene_point(4, 180, 64, 11, 0);
  scene_point(5, 180, 64, 11, 0);
  run r = start(1, 256, 128, "tpoints", "size='from_age', age_frames=4, stroke=0, fill_opacity=1");
  const int right_age[6] = {-1, -1, 0, 1, 0, 1};
  for (int f = 0; f < 6; f++) {
    const ysg_value *v = frame(&r, f);
    double l = alpha_sum(v, 0, 0, 128, 128), rr = alpha_sum(v, 128, 0, 256, 128);
    double wl = pow(side_at(f, 4), 2), wr = right_age[f] < 0 ? 0 : pow(side_at(right_age[f], 4), 2);
    cr_expect(fabs(l - wl) <= 0.5, "frame %d: id 7 area %.3f, expected %.3f", f, l, wl);
    cr_expect(fabs(rr - wr) <= 0.5, "frame %d: right area %.3f, expected %.3f", f, rr, wr);
  }
  /* the same frame again: ages do not move */
  const ysg_value *v = frame(&r, 5);
  cr_expect(fabs(alpha_sum(v, 0, 0, 128, 128) - 1600) <= 0.5);
  /* a run going backwards starts over */
  v = frame(&r, 1);
  cr_expect(fabs(alpha_sum(v, 0, 0, 128, 128) - 64) <= 0.5, "after going back: %.3f",
            alpha_sum(v, 0, 0, 128, 128));
  v = frame(&r, 2);
  cr_expect(fabs(alpha_sum(v, 0, 0, 128, 128) - 256) <= 0.5);
  finish(&r);
}

Test(bbox, from_age_without_ids_uses_the_index) {
  scene_reset(4, 0);
  for (int f = 0; f < 3; f++) scene_point(f, 60, 64, 0, 0);
  run r = start(1, 128, 128, "tpoints", "size='from_age', age_frames=2, stroke=0, fill_opacity=1");
  for (int f = 0; f < 3; f++) {
    double a = alpha_sum(frame(&r, f), 0, 0, 128, 128), w = pow(side_at(f, 2), 2);
    cr_expect(fabs(a - w) <= 0.5, "frame %d: %.3f, expected %.3f", f, a, w);
  }
  finish(&r);
}

Test(bbox, from_age_keeps_present_tracks_when_the_table_fills) {
  /* capacity 4: a 64-slot table compacts once it would pass 48 ids. Id 7 stays for 36 frames
   * while 3 new ids arrive every frame (111 in all): id 7 keeps growing, the new ones start at
   * the minimum every frame. */
  scene_reset(4, YSG_ATTR_ID);
  for (int f = 0; f < 36; f++) {
    scene_point(f, 40, 40, 7, 0);
    for (int k = 0; k < 3; k++) scene_point(f, 120 + 40 * (float)k, 40, 1000 + 3 * f + k, 0);
  }
  run r = start(1, 256, 80, "tpoints", "size='from_age', age_frames=30, stroke=0, fill_opacity=1");
  for (int f = 0; f < 36; f++) {
    const ysg_value *v = frame(&r, f);
    double a = alpha_sum(v, 0, 0, 90, 80), w = pow(side_at(f, 30), 2);
    cr_expect(fabs(a - w) <= 0.5, "frame %d: id 7 area %.3f, expected %.3f", f, a, w);
    for (int k = 0; k < 3; k++) {
      double b = alpha_sum(v, 100 + 40 * k, 0, 140 + 40 * k, 80);
      cr_expect(fabs(b - 64) <= 0.5, "frame %d: new id %d area %.3f", f, k, b);
    }
  }
  finish(&r);
}

/* ---- culling and robustness -------------------------------------------------------------- */
static int tiles_set(const ysg_value *v) {
  int n = 0;
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) n += v->tiles[t] != 0;
  return n;
}

Test(bbox, off_canvas_boxes_draw_nothing) {
  /* stroke 4: the outline reaches 2 px beyond the edge; these miss the canvas by 0.1 px or
   * more. The canvas-sized stroke-only box has its outline off-canvas too: every tile is
   * listed (binned by its rectangle) and none is marked. */
  scene_reset(16, 0);
  scene_box(0, -30, 10, 27.9f, 20);     /* right outline edge at -0.1 */
  scene_box(0, 128 + 2.1f, 10, 20, 20); /* left outline edge at 128.1 */
  scene_box(0, 10, -40, 20, 37.9f);     /* above */
  scene_box(0, 10, 96 + 2.1f, 20, 20);  /* below */
  scene_box(0, -1e5f, -1e5f, 50, 50);   /* far away */
  scene_box(0, -100, -100, 400, 400);   /* around the canvas */
  run r = start(2, 128, 96, "tboxes", "stroke=4");
  const ysg_value *v = frame(&r, 0);
  cr_expect_eq(tiles_set(v), 0, "%d tiles marked", tiles_set(v));
  finish(&r);
  /* control: 0.5 px further in, each draws */
  scene_reset(16, 0);
  scene_box(0, -30, 10, 28.4f, 20);
  r = start(1, 128, 96, "tboxes", "stroke=4");
  v = frame(&r, 0);
  cr_expect(alpha(v, 0, 20) > 0.3, "control: %.3f", alpha(v, 0, 20));
  finish(&r);
}

static int same_image(const ysg_value *a, const ysg_value *b) {
  if (a->width != b->width || a->height != b->height) return 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      for (int c = 0; c < 4; c++)
        if (chan(a, x, y, c) != chan(b, x, y, c)) return 0;
  return memcmp(a->tiles, b->tiles, (size_t)a->tiles_x * (size_t)a->tiles_y) == 0;
}

Test(bbox, nan_inf_huge_and_negative_boxes_are_culled) {
  /* rule: a box with a non-finite value, |value| > 1e6 px or a negative size is not drawn; the
   * image equals the one of the valid box alone */
  const float bad[][4] = {
      {NAN, 10, 10, 10},       {10, INFINITY, 10, 10}, {10, 10, -5, 10},
      {10, 10, 10, -INFINITY}, {1e30f, 5, 10, 10},     {5, 5, 2e6f, 10},
      {-3e6f, 5, 5e6f, 10},    {10, 10, NAN, NAN},     {-INFINITY, 0, INFINITY, 50}};
  const int nb = (int)(sizeof bad / sizeof bad[0]);
  scene_reset(16, 0);
  for (int k = 0; k < nb; k++) scene_box(0, bad[k][0], bad[k][1], bad[k][2], bad[k][3]);
  scene_box(0, 20.5f, 12.25f, 30, 20);
  run r = start(1, 96, 64, "tboxes", "stroke=3, fill_opacity=0.5, radius=4");
  const ysg_value *v = frame(&r, 0);
  scene_reset(16, 0);
  scene_box(0, 20.5f, 12.25f, 30, 20);
  run r2 = start(1, 96, 64, "tboxes", "stroke=3, fill_opacity=0.5, radius=4");
  const ysg_value *v2 = frame(&r2, 0);
  cr_expect(tiles_set(v2) > 0);
  cr_expect(same_image(v, v2), "culled boxes changed the image");
  finish(&r);
  finish(&r2);
  /* points: NaN/inf/huge positions, and radii that make sizes non-finite or huge */
  scene_reset(16, YSG_ATTR_RADIUS);
  scene_point(0, NAN, 10, 0, 4);
  scene_point(0, 10, INFINITY, 0, 4);
  scene_point(0, 2e6f, 10, 0, 4);
  scene_point(0, 30, 30, 0, NAN);
  scene_point(0, 30, 30, 0, INFINITY);
  scene_point(0, 30, 30, 0, 1e30f);
  scene_point(0, 30, 30, 0, -4);
  run r3 = start(1, 96, 64, "tpoints", "size='from_radius', stroke=2, fill_opacity=1");
  cr_expect_eq(tiles_set(frame(&r3, 0)), 0);
  finish(&r3);
}

Test(bbox, nan_colours_do_not_poison_pixels) {
  scene_reset(4, YSG_ATTR_RGBA);
  int k = scene_box(0, 10, 10, 20, 20);
  const float c[4] = {NAN, INFINITY, -1, 0.5f};
  memcpy(S.rgba[0][k], c, sizeof c);
  run r = start(1, 48, 48, "tboxes", "stroke=2, fill_opacity=1");
  const ysg_value *v = frame(&r, 0);
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 48; x++)
      for (int ch = 0; ch < 4; ch++) cr_assert(isfinite(chan(v, x, y, ch)), "(%d,%d)", x, y);
  cr_expect(fabs(alpha(v, 10, 20) - 0.75) <= 1e-3, "%.4f", alpha(v, 10, 20));
  finish(&r);
}

Test(bbox, threads_do_not_change_a_bit) {
  scene_reset(64, YSG_ATTR_RGBA);
  for (int k = 0; k < 60; k++) {
    int i = scene_box(0, (float)(k * 37 % 300) + 0.3f * (float)k, (float)(k * 53 % 180),
                      10 + (float)(k % 7) * 9.5f, 8 + (float)(k % 5) * 11.25f);
    const float col[4] = {(float)(k % 3) / 2, (float)(k % 5) / 4, 1, 0.4f + (float)(k % 4) / 6};
    memcpy(S.rgba[0][i], col, sizeof col);
  }
  const char *args = "stroke=2.5, radius=5, fill_opacity=0.3, style='corners'";
  run a = start(1, 320, 200, "tboxes", args), b = start(2, 320, 200, "tboxes", args);
  cr_expect(same_image(frame(&a, 0), frame(&b, 0)));
  finish(&a);
  finish(&b);
}

/* ---- the CPU's shortcuts against the plain per-pixel evaluation -------------------------- */
/* The node skips pixels, re-applies repeated rows and takes a branch-free path away from
 * rounded corners; all of that must give exactly what compositing every box with
 * ysg_bbox_eval at every pixel gives (which is what the CUDA kernel does). Random scenes cover
 * every style, fills, strokes wider than their boxes, sub-pixel boxes and brackets of every
 * length; the FP16 results must be bit-identical. */
static unsigned rng = 12345u;
static float frand(float a, float b) {
  rng = rng * 1664525u + 1013904223u;
  return a + (b - a) * (float)(rng >> 8) / 16777216.0f;
}

static void expect_matches_per_pixel_eval(run *r, const ysg_value *v) {
  ysg_node *node = ysg__node_find(r->p, "out");
  cr_assert_not_null(node);
  ysg_frame fr = {0, 0.0, 30.0, v->width, v->height};
  ysg_bbox_params P;
  ysg__bbox_params(node, &fr, &P);
  int n = S.count[0];
  ysg_bbox_prim prims[MAXE];
  ysg_bin_prim bins[MAXE];
  float xywh[MAXE * 4], rgba[MAXE * 4];
  for (int i = 0; i < n; i++) {
    memcpy(xywh + 4 * i, S.pos[0][i], sizeof S.pos[0][i]);
    memcpy(rgba + 4 * i, S.rgba[0][i], sizeof S.rgba[0][i]);
  }
  int kept[MAXE];
  for (int i = 0; i < n; i++)
    kept[i] = ysg_bbox_make(&P, xywh, NULL, NULL, NULL, rgba, i, &prims[i], &bins[i]);
  int bad = 0;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      float acc[4] = {0, 0, 0, 0};
      for (int i = 0; i < n; i++) {
        float c[4];
        if (kept[i] && ysg_bbox_eval(&prims[i], (float)x + 0.5f, (float)y + 0.5f, c))
          ysg_bbox_over(acc, c);
      }
      for (int c = 0; c < 4; c++) {
        float want = ysg_half_to_float(ysg_float_to_half(acc[c] * ysg_clamp01(P.opacity)));
        float got = (float)chan(v, x, y, c);
        if (want != got && bad++ < 5)
          cr_log_error("(%d,%d) channel %d: node %.8f, per-pixel %.8f", x, y, c, (double)got,
                       (double)want);
      }
    }
  cr_expect_eq(bad, 0, "%d values differ from the per-pixel evaluation", bad);
}

Test(bbox, shortcuts_give_the_per_pixel_result_bit_for_bit) {
  const char *styles[] = {
      "stroke=2, radius=6",
      "stroke=2.5",
      "stroke=1, fill_opacity=0.4, radius=3",
      "stroke=9, fill_opacity=0.5, roundness=0.6",
      "stroke=0.5, style='corners', corner_length=0.3",
      "stroke=3, style='corners', corner_length=7, radius=5, fill_opacity=0.3",
      "stroke=14, style='corners', corner_length=0.2, fill_opacity=0.6",
      "stroke=2, style='corners', corner_length=1.5, roundness=1",
      "stroke=0, fill_opacity=1, radius=4",
      "stroke=6, opacity=0.6, color='#40a0ff80'",
  };
  for (size_t k = 0; k < sizeof styles / sizeof styles[0]; k++) {
    scene_reset(MAXE, YSG_ATTR_RGBA);
    for (int i = 0; i < 48; i++) {
      float w = i % 6 == 0 ? frand(0, 3) : frand(4, 90),
            h = i % 7 == 0 ? frand(0, 3) : frand(4, 70);
      int q = scene_box(0, frand(-20, 190), frand(-20, 120), w, h);
      const float c[4] = {frand(0, 1), frand(0, 1), frand(0, 1), frand(0.2f, 1)};
      memcpy(S.rgba[0][q], c, sizeof c);
    }
    run r = start(1, 200, 130, "tboxes", styles[k]);
    const ysg_value *v = frame(&r, 0);
    cr_log_info("%s: %d tiles", styles[k], tiles_set(v));
    expect_matches_per_pixel_eval(&r, v);
    finish(&r);
  }
}

/* ---- errors ------------------------------------------------------------------------------ */
static void expect_load_error(const char *src, ysg_status want, const char *msg) {
  ysg_context *ctx = ctx_threads(1);
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_expect_eq(s, want, "status %d: %s", s, ysg_errmsg(ctx));
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  if (p) ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(bbox, exactly_one_input) {
  scene_reset(4, 0);
  expect_load_error("canvas{width=32,height=32}\nout = bbox{}\n", YSG_ERR_PIPELINE,
                    "test.lua:2: node 'bbox_1' (bbox): expected exactly one of the inputs "
                    "'boxes' and 'points' to be connected, found neither");
  expect_load_error(
      "canvas{width=32,height=32}\nlocal b = tboxes{}\nlocal p = tpoints{}\n"
      "out = bbox{boxes=b, points=p, name='out'}\n",
      YSG_ERR_PIPELINE,
      "test.lua:4: node 'out' (bbox): expected exactly one of the inputs 'boxes' "
      "and 'points' to be connected, found both");
  expect_load_error(
      "canvas{width=32,height=32}\nlocal b = tboxes{}\n"
      "out = bbox{boxes=b, size='from_radius'}\n",
      YSG_ERR_PIPELINE,
      "test.lua:3: node 'bbox_1' (bbox): parameter 'size': 'from_radius' sizes "
      "boxes made from points, but 'boxes' is connected (expected 'fixed')");
}

Test(bbox, bin_capacity_overflow_is_an_error) {
  /* a 40×40 box at (8, 8) with stroke 2: its footprint 6..50 spans tile columns and rows 0..3 */
  scene_reset(4, 0);
  scene_box(0, 8, 8, 40, 40);
  run r = start(1, 64, 64, "tboxes", "bin_capacity=15");
  cr_expect_eq(ysg_pipeline_run_frame(r.p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(r.ctx),
                   "test.lua:3: node 'out' (bbox): parameter 'bin_capacity': this frame's boxes "
                   "touch 16 tile references, more than the capacity 15 (raise bin_capacity=)");
  finish(&r);
  r = start(1, 64, 64, "tboxes", "bin_capacity=16");
  cr_expect(tiles_set(frame(&r, 0)) > 0);
  finish(&r);
}
