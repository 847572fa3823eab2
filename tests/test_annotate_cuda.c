/* test_annotate_cuda.c — the annotation nodes on the CUDA backend against the CPU backend (the
 * reference) on the same pipelines, frame by frame: polygons (both fill rules, strokes, point
 * colours, off-canvas and self-intersecting outlines, polygons with fewer than 3 vertices),
 * arrows, butt ends and tapered strokes on edges and curves, and trails (a host node) drawn by
 * line on the device. Images within 1e-3 (FP16 and float rounding), the trails' curves equal.
 * Skipped with the probe's reason when no CUDA device is usable. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "backend_compare.h"

#define TOL 1e-3f

/* polygons over frames 0..3: ids 1..6, a few vertices each, some crossing the canvas edges, one
 * self-intersecting, one with 2 vertices, colours per vertex */
static void write_polygons(void) {
  FILE *f = fopen("polys.csv", "w");
  cr_assert_not_null(f);
  fprintf(f, "frame,id,x,y,r,g,b,a\n");
  for (int fr = 0; fr < 4; fr++)
    for (int id = 1; id <= 6; id++) {
      int n = id == 5 ? 2 : 3 + (id + fr) % 6;
      double cx = -20 + 60 * id + 7 * fr, cy = 60 + 25 * ((id * 3) % 4), r = 22 + 9 * (id % 3);
      for (int k = 0; k < n; k++) {
        double a = (id == 4 ? 4.0 : 2.0) * 3.14159265 * k / n + 0.3 * fr;
        fprintf(f, "%d,%d,%.3f,%.3f,%.2f,%.2f,%.2f,%.2f\n", fr, id, cx + r * cos(a),
                cy + r * sin(a), (id % 3) / 2.0, (id % 2) * 1.0, 0.5, 0.5 + 0.1 * (id % 4));
      }
    }
  fclose(f);
}

Test(annotate_cuda, polygons_match_cpu) {
  ysgt_require_cuda();
  cr_assert_eq(chdir(ysgt_tmpdir()), 0);
  write_polygons();
  static const char *const looks[] = {
      "fill_opacity=0.5, width=2",
      "fill_rule='evenodd', fill_opacity=1, width=0, point_colors=false",
      "fill_opacity=0, width=3.5, opacity=0.7",
      "fill_opacity=function(f, t) return 0.2 + 0.2 * f end, width=1",
  };
  const char *keep[] = {"poly"};
  for (int k = 0; k < 4; k++) {
    char src[512];
    snprintf(src, sizeof src,
             "canvas{width=333, height=197, frames=4}\n"
             "polygon{points=points{path='polys.csv'}, %s, name='poly'}\n",
             looks[k]);
    float d = ysgt_backends_match(src, keep, 1, 4, TOL);
    cr_log_info("polygon (%s): max difference %g", looks[k], (double)d);
  }
}

Test(annotate_cuda, arrows_butt_ends_and_taper_match_cpu) {
  static const char *const looks[] = {
      "width=2, cap='arrow'",
      "width=3, cap_end='arrow', arrow_length=14, arrow_width=11, taper=0.2",
      "width=4, cap='butt', taper_opacity=0.1, style='gradient'",
      "width=2.5, cap='butt', style='dashed', dash=7, gap=4",
  };
  const char *keep[] = {"le", "lc"};
  for (int k = 0; k < 4; k++) {
    char src[1024];
    snprintf(src, sizeof src,
             "canvas{width=320, height=200, frames=3}\n"
             "local p = scatter{count=40, seed=%d, speed=200}\n"
             "local g = graph{points=p, mode='knn', k=2}\n"
             "line{points=g.points, edges=g.edges, %s, name='le'}\n"
             "local c = curve{points=g.points, edges=g.edges, type='cubic_bezier', samples=12}\n"
             "line{curves=c, %s, name='lc'}\n",
             7 + k, looks[k], looks[k]);
    float d = ysgt_backends_match(src, keep, 2, 3, TOL);
    cr_log_info("line (%s): max difference %g", looks[k], (double)d);
  }
}

Test(annotate_cuda, trails_match_cpu) {
  const char *keep[] = {"t", "l"};
  float d = ysgt_backends_match(
      "canvas{width=320, height=200, frames=12}\n"
      "local p = scatter{count=60, seed=3, speed=150}\n"
      "local t = trail{points=p, length=10, name='t'}\n"
      "line{curves=t, width=5, taper=0, taper_opacity=0.1, "
      "cap_end='arrow', name='l'}\n",
      keep, 2, 12, TOL);
  cr_log_info("trails: max difference %g", (double)d);
}
