/* test_looks.c — the animated-looks example pipelines/looks_pulse_electric.lua: it loads, plans
 * with the arena equal to its live-bytes lower bound, renders 3 frames in which the pulsing
 * layer's alpha changes (its width and opacity are functions of time) and the particles move,
 * and renders the same pixels in two separate runs (no hidden state, seeded noise). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "util.h"
#include "ysgraph/value.h"

static double alpha_sum(const ysg_value *v) {
  double s = 0;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      if (v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE])
        s += ysg_half_to_float(v->px[((size_t)y * v->width + x) * 4 + 3]);
  return s;
}

/* one run of frames 0, 6, 12: the frame as 8-bit RGBA and the pulse and sparks alpha sums */
static void run_once(uint8_t *rgba[3], double pulse[3], double sparks[3]) {
  char path[1024];
  snprintf(path, sizeof path, "%s/pipelines/looks_pulse_electric.lua", YSG_SOURCE_DIR);
  const char *keep[] = {"frame", "pulse", "sparks"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 3;
  lo.output_dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_file(ctx, path, &lo, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == 640 && cv->height == 360);
  ysg_plan_info pi;
  cr_assert_eq(ysg_pipeline_plan(p, &pi), YSG_OK);
  cr_expect_eq(pi.arena_bytes, pi.lower_bound_bytes, "arena %zu, lower bound %zu", pi.arena_bytes,
               pi.lower_bound_bytes);
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, 6 * k), YSG_OK, "%s", ysg_errmsg(ctx));
    rgba[k] = malloc(640 * 360 * 4);
    cr_assert(rgba[k]);
    cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, rgba[k], 640 * 360 * 4, 0),
                 YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v;
    cr_assert_eq(ysg_pipeline_get_value(p, "pulse", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    pulse[k] = alpha_sum(v);
    cr_assert_eq(ysg_pipeline_get_value(p, "sparks", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    sparks[k] = alpha_sum(v);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(looks, pulse_electric_renders_animated_and_deterministic) {
  uint8_t *a[3], *b[3];
  double pa[3], pb[3], sa[3], sb[3];
  run_once(a, pa, sa);
  run_once(b, pb, sb);
  /* frames 0, 6, 12 at 24 fps: t = 0, 0.25, 0.5 s; width 2, 3.5, 2 and opacity 0.7, 0.95, 0.7,
   * so frame 6 holds the most pulse alpha */
  cr_expect_gt(pa[1], pa[0] * 1.3, "pulse alpha %.1f then %.1f", pa[0], pa[1]);
  cr_expect_gt(pa[1], pa[2] * 1.3, "pulse alpha %.1f then %.1f", pa[1], pa[2]);
  for (int k = 0; k < 3; k++) {
    cr_expect_gt(pa[k], 100.0, "frame %d: pulse alpha %.1f", 6 * k, pa[k]);
    cr_expect_gt(sa[k], 20.0, "frame %d: sparks alpha %.1f", 6 * k, sa[k]);
    cr_expect_eq(memcmp(a[k], b[k], 640 * 360 * 4), 0, "frame %d differs between runs", 6 * k);
    cr_expect_eq(pa[k], pb[k]);
  }
  cr_expect_neq(memcmp(a[0], a[1], 640 * 360 * 4), 0, "the frame does not change");
  for (int k = 0; k < 3; k++) {
    free(a[k]);
    free(b[k]);
  }
}
