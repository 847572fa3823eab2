/* test_sources.c — the data-source nodes end to end: points and boxes per frame, edges normalised,
 * deduplicated and sorted, the procedural scatter cloud (determinism across runs and thread
 * counts, smoothness, staying inside the margin box), and the host-fed inputs points_in, boxes_in
 * and image_in (set/run, conversions, capacity and validation errors). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "inputs.h"
#include "internal.h"
#include "util.h"

#include "dir_fixture.h"

TestSuite(sources, .init = setup, .fini = teardown);

static void load(const char *src) {
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
}

static const ysg_value *frame_value(int frame, const char *ref) {
  cr_assert_eq(ysg_pipeline_run_frame(pl, frame), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

static float lin(double c) { /* sRGB -> linear, independent of engine/color.h */
  return (float)(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
}

/* ---- points ------------------------------------------------------------------------------- */

Test(sources, points_per_frame) {
  ysgt_write(dir, "pts.csv",
             "frame,id,x,y\n"
             "3,30,1,2\n"
             "0,0,10,20\n"
             "3,31,3,4\n"
             "0,1,11,21\n"
             "3,32,5,6\n");
  load("canvas{width=64,height=48,frames=5} points{path='pts.csv', name='pts'}");
  const ysg_value *v = frame_value(0, "pts");
  cr_assert_eq(v->type, YSG_POINTS);
  cr_assert_eq(v->capacity, 3); /* the fullest frame */
  cr_assert_eq(v->count, 2);
  cr_assert_eq(v->attrs, YSG_ATTR_ID);
  cr_assert_eq(v->id[0], 0);
  cr_assert_eq(v->id[1], 1);
  cr_assert_float_eq(v->xy[2], 11.0f, 0);
  cr_assert_float_eq(v->xy[3], 21.0f, 0);
  for (int f = 1; f < 3; f++) cr_assert_eq(frame_value(f, "pts")->count, 0, "frame %d", f);
  v = frame_value(3, "pts");
  cr_assert_eq(v->count, 3);
  for (int i = 0; i < 3; i++) { /* file order within the frame */
    cr_assert_eq(v->id[i], 30 + i);
    cr_assert_float_eq(v->xy[2 * i], (float)(1 + 2 * i), 0);
    cr_assert_float_eq(v->xy[2 * i + 1], (float)(2 + 2 * i), 0);
  }
  cr_assert_eq(frame_value(4, "pts")->count, 0);
  cr_assert_eq(frame_value(3, "pts")->count, 3); /* frames may be run in any order */
}

Test(sources, points_without_frame_column_repeat) {
  ysgt_write(dir, "p.csv", "x,y,radius\n1,2,3\n4,5,6\n");
  load("canvas{width=64,height=48,frames=3} points{path='p.csv', name='p'}");
  for (int f = 0; f < 3; f++) {
    const ysg_value *v = frame_value(f, "p");
    cr_assert_eq(v->count, 2);
    cr_assert_eq(v->capacity, 2);
    cr_assert_eq(v->attrs, YSG_ATTR_RADIUS);
    cr_assert_float_eq(v->xy[2], 4.0f, 0);
    cr_assert_float_eq(v->radius[1], 6.0f, 0);
  }
}

/* ---- edges -------------------------------------------------------------------------------- */

Test(sources, edges_normalised_deduplicated_sorted) {
  ysgt_write(dir, "e.csv", "i,j\n3,1\n1,3\n0,2\n2,0\n1,2\n5,0\n3,1\n");
  load("canvas{width=64,height=48,frames=2} edges{path='e.csv', name='e'}");
  for (int f = 0; f < 2; f++) {
    const ysg_value *v = frame_value(f, "e");
    cr_assert_eq(v->type, YSG_EDGES);
    cr_assert_eq(v->count, 4);
    cr_assert_eq(v->capacity, 4);
    int32_t want[8] = {0, 2, 0, 5, 1, 2, 1, 3};
    for (int k = 0; k < 8; k++) cr_assert_eq(v->ij[k], want[k], "ij[%d] = %d", k, v->ij[k]);
  }
}

Test(sources, edges_per_frame) {
  ysgt_write(dir, "e.csv", "frame,i,j\n2,4,1\n0,1,0\n2,1,4\n2,0,9\n0,0,1\n");
  load("canvas{width=64,height=48,frames=3} edges{path='e.csv', name='e'}");
  const ysg_value *v = frame_value(0, "e");
  cr_assert_eq(v->capacity, 2);
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->ij[0], 0);
  cr_assert_eq(v->ij[1], 1);
  cr_assert_eq(frame_value(1, "e")->count, 0);
  v = frame_value(2, "e");
  cr_assert_eq(v->count, 2);
  int32_t want[4] = {0, 9, 1, 4};
  for (int k = 0; k < 4; k++) cr_assert_eq(v->ij[k], want[k]);
}

/* ---- boxes -------------------------------------------------------------------------------- */

Test(sources, boxes_values_and_frames) {
  ysgt_write(dir, "b.csv",
             "x,y,w,h,frame,id,r,g,b,a\n"
             "1,2,30,40,1,7,1,0.5,0,0.25\n"
             "5,6,0,0,0,8,0,0,0,1\n"
             "9,10,11,12,1,9,0,1,0,1\n");
  load("canvas{width=64,height=48,frames=2} boxes{path='b.csv', name='b'}");
  const ysg_value *v = frame_value(1, "b");
  cr_assert_eq(v->type, YSG_BOXES);
  cr_assert_eq(v->capacity, 2);
  cr_assert_eq(v->count, 2);
  cr_assert_eq(v->attrs, YSG_ATTR_ID | YSG_ATTR_RGBA);
  float xywh[8] = {1, 2, 30, 40, 9, 10, 11, 12};
  for (int k = 0; k < 8; k++) cr_assert_float_eq(v->xywh[k], xywh[k], 0);
  cr_assert_eq(v->id[0], 7);
  cr_assert_eq(v->id[1], 9);
  cr_assert_float_eq(v->rgba[0], 1.0f, 1e-6);
  cr_assert_float_eq(v->rgba[1], lin(0.5), 1e-6);
  cr_assert_float_eq(v->rgba[2], 0.0f, 0);
  cr_assert_float_eq(v->rgba[3], 0.25f, 0);
  v = frame_value(0, "b");
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->id[0], 8);
  cr_assert_float_eq(v->xywh[2], 0.0f, 0);
}

/* ---- scatter ------------------------------------------------------------------------------ */

#define SCATTER(extra)                              \
  "canvas{width=320,height=200,frames=100,fps=30} " \
  "scatter{name='s', count=5000, seed=42, speed=40, radius=3, margin=10" extra "}"

static float *scatter_frame(ysg_context *c, const char *src, int frame, int *count) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(c, src, &p), YSG_OK, "%s", ysg_errmsg(c));
  cr_assert_eq(ysg_pipeline_run_frame(p, frame), YSG_OK, "%s", ysg_errmsg(c));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "s", &v), YSG_OK);
  *count = v->count;
  float *xy = malloc(sizeof(float) * 2 * (size_t)(v->count ? v->count : 1));
  memcpy(xy, v->xy, sizeof(float) * 2 * (size_t)v->count);
  ysg_pipeline_destroy(p);
  return xy;
}

Test(sources, scatter_deterministic_across_runs_and_threads) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  ysg_context *ctx2 = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx2), YSG_OK);
  int n1, n2, n3;
  float *a = scatter_frame(ctx, SCATTER(""), 17, &n1);
  float *b = scatter_frame(ctx, SCATTER(""), 17, &n2);
  float *c = scatter_frame(ctx2, SCATTER(""), 17, &n3);
  cr_assert_eq(n1, 5000);
  cr_assert_eq(n2, 5000);
  cr_assert_eq(n3, 5000);
  cr_assert_eq(memcmp(a, b, sizeof(float) * 2 * 5000), 0, "two runs differ");
  cr_assert_eq(memcmp(a, c, sizeof(float) * 2 * 5000), 0, "1 and 2 threads differ");
  float *d = scatter_frame(ctx, SCATTER(", seed=43"), 17, &n3);
  cr_assert_neq(memcmp(a, d, sizeof(float) * 2 * 5000), 0, "another seed gives the same cloud");
  free(a), free(b), free(c), free(d);
  ysg_context_destroy(ctx2);
}

Test(sources, scatter_smooth_and_inside_margin) {
  load(SCATTER(""));
  float *prev = malloc(sizeof(float) * 2 * 5000);
  double max_step = 0;
  for (int f = 0; f < 100; f++) {
    const ysg_value *v = frame_value(f, "s");
    cr_assert_eq(v->count, 5000);
    for (int i = 0; i < 5000; i++) {
      float x = v->xy[2 * i], y = v->xy[2 * i + 1];
      cr_assert(x >= 10.0f && x <= 310.0f && y >= 10.0f && y <= 190.0f,
                "frame %d point %d at (%g, %g) leaves the margin box", f, i, x, y);
      if (f > 0) {
        /* per axis the speed is at most `speed` px/s: 40 px/s at 30 fps */
        double dx = fabs(x - prev[2 * i]), dy = fabs(y - prev[2 * i + 1]);
        cr_assert(dx <= 40.0 / 30 + 1e-3 && dy <= 40.0 / 30 + 1e-3,
                  "frame %d point %d jumps by (%g, %g)", f, i, dx, dy);
        if (dx > max_step) max_step = dx;
      }
      prev[2 * i] = x;
      prev[2 * i + 1] = y;
    }
  }
  cr_assert_gt(max_step, 0.5, "the points hardly move (largest step %g px)", max_step);
  free(prev);
}

Test(sources, scatter_attributes_and_spread) {
  load(SCATTER(""));
  const ysg_value *v = frame_value(0, "s");
  cr_assert_eq(v->capacity, 5000);
  cr_assert_eq(v->attrs, YSG_ATTR_ID | YSG_ATTR_RADIUS);
  double sx = 0, sy = 0;
  for (int i = 0; i < 5000; i++) {
    cr_assert_eq(v->id[i], i);
    cr_assert_float_eq(v->radius[i], 3.0f, 0);
    sx += v->xy[2 * i];
    sy += v->xy[2 * i + 1];
  }
  /* uniform over the margin box: the mean sits near its centre */
  cr_assert(fabs(sx / 5000 - 160) < 8 && fabs(sy / 5000 - 100) < 6, "mean (%g, %g)", sx / 5000,
            sy / 5000);
}

Test(sources, scatter_speed_zero_stands_still_and_count_zero_is_empty) {
  load(
      "canvas{width=64,height=48,frames=9} scatter{name='s', count=50, speed=0} "
      "scatter{name='z', count=0}");
  float first[100];
  memcpy(first, frame_value(0, "s")->xy, sizeof first);
  const ysg_value *v = frame_value(8, "s");
  cr_assert_eq(memcmp(first, v->xy, sizeof first), 0);
  v = frame_value(8, "z");
  cr_assert_eq(v->count, 0);
  cr_assert_eq(v->capacity, 1);
}

/* ---- inputs ------------------------------------------------------------------------------- */

#define INPUTS                                                                                 \
  "canvas{width=40,height=20,frames=3} points_in{name='trk'} boxes_in{name='bx', capacity=2} " \
  "image_in{name='img'}"

Test(sources, points_in_empty_then_set) {
  load(INPUTS);
  const ysg_value *v = frame_value(0, "trk");
  cr_assert_eq(v->count, 0);
  cr_assert_eq(v->capacity, 4096);
  float xy[4] = {1.5f, 2.5f, 30, 10};
  int32_t id[2] = {11, 12};
  float radius[2] = {2, 0};
  float rgba[8] = {1, 0.5f, 0, 0.75f, 0.2f, 1.2f, -0.1f, 1};
  ysg_points_desc d = {2, xy, id, radius, rgba};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  xy[0] = 99; /* the data was copied */
  for (int f = 1; f < 3; f++) {
    v = frame_value(f, "trk");
    cr_assert_eq(v->count, 2);
    cr_assert_eq(v->attrs, YSG_ATTR_ID | YSG_ATTR_RADIUS | YSG_ATTR_RGBA);
    cr_assert_float_eq(v->xy[0], 1.5f, 0);
    cr_assert_float_eq(v->xy[3], 10.0f, 0);
    cr_assert_eq(v->id[1], 12);
    cr_assert_float_eq(v->radius[0], 2.0f, 0);
    cr_assert_float_eq(v->rgba[0], 1.0f, 1e-6);
    cr_assert_float_eq(v->rgba[1], lin(0.5), 1e-6);
    cr_assert_float_eq(v->rgba[3], 0.75f, 0);
    cr_assert_float_eq(v->rgba[4], lin(0.2), 1e-6);
    cr_assert_float_eq(v->rgba[5], 1.0f, 1e-6); /* clamped into 0..1 */
    cr_assert_float_eq(v->rgba[6], 0.0f, 0);
  }
  ysg_points_desc only_xy = {1, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &only_xy), YSG_OK);
  v = frame_value(0, "trk");
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->attrs, 0u);
  cr_assert_float_eq(v->xy[0], 99.0f, 0);
}

Test(sources, points_in_errors_keep_previous_data) {
  load(INPUTS);
  static float big[2 * 5000];
  ysg_points_desc d = {5000, big, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &d), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (points_in): 5000 points exceed the "
                   "capacity 4096 (raise capacity=)");
  float xy[4] = {1, 2, 3, 4};
  ysg_points_desc ok = {2, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &ok), YSG_OK);
  float bad[4] = {1, 2, NAN, 4};
  ysg_points_desc nan = {2, bad, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &nan), YSG_ERR_DATA);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:1: node 'trk' (points_in): point 1: x is nan, expected a finite number");
  float far[2] = {2e7f, 0};
  ysg_points_desc out = {1, far, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &out), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (points_in): point 0: x 2e+07 is out "
                   "of range (|value| <= 1e7)");
  float neg[1] = {-1};
  ysg_points_desc negr = {1, xy, NULL, neg, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &negr), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (points_in): point 0: radius is -1, expected 0..1e7");
  ysg_points_desc nul = {1, NULL, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &nul), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "test.lua:1: node 'trk' (points_in): xy is NULL");
  ysg_points_desc negc = {-1, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &negc), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "test.lua:1: node 'trk' (points_in): count -1 is negative");
  const ysg_value *v = frame_value(0, "trk"); /* the last accepted set */
  cr_assert_eq(v->count, 2);
  cr_assert_float_eq(v->xy[2], 3.0f, 0);
}

Test(sources, points_in_capacity_param) {
  load("canvas{width=40,height=20} points_in{name='trk', capacity=8}");
  static float xy[2 * 9];
  ysg_points_desc d = {9, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &d), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (points_in): 9 points exceed the "
                   "capacity 8 (raise capacity=)");
  d.count = 8;
  cr_assert_eq(ysg_pipeline_set_points(pl, "trk", &d), YSG_OK);
  cr_assert_eq(frame_value(0, "trk")->capacity, 8);
}

Test(sources, boxes_in_set_and_errors) {
  load(INPUTS);
  cr_assert_eq(frame_value(0, "bx")->count, 0);
  float xywh[8] = {1, 2, 3, 4, 5, 6, 0, 0};
  int32_t id[2] = {-1, 2};
  ysg_boxes_desc d = {2, xywh, id, NULL};
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "bx", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(1, "bx");
  cr_assert_eq(v->count, 2);
  cr_assert_eq(v->capacity, 2);
  cr_assert_eq(v->attrs, YSG_ATTR_ID);
  for (int k = 0; k < 8; k++) cr_assert_float_eq(v->xywh[k], xywh[k], 0);
  cr_assert_eq(v->id[0], -1);
  ysg_boxes_desc three = {3, xywh, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "bx", &three), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bx' (boxes_in): 3 boxes exceed the "
                   "capacity 2 (raise capacity=)");
  float negw[4] = {0, 0, -2, 1};
  ysg_boxes_desc bad = {1, negw, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "bx", &bad), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bx' (boxes_in): box 0: w is -2, expected a size >= 0");
  float rgba[4] = {0, 0, INFINITY, 1};
  ysg_boxes_desc badc = {1, xywh, NULL, rgba};
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "bx", &badc), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bx' (boxes_in): box 0: colour channel 2 is "
                   "inf, expected 0..1");
  cr_assert_eq(ysg_pipeline_set_points(pl, "bx", NULL), YSG_ERR_INVALID); /* wrong node type */
}

static float px(const ysg_value *v, int x, int y, int c) {
  return ysg_half_to_float(v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c]);
}

Test(sources, image_in_transparent_before_set) {
  load(INPUTS);
  const ysg_value *v = frame_value(0, "img");
  cr_assert_eq(v->type, YSG_IMAGE);
  cr_assert_eq(v->width, 40);
  cr_assert_eq(v->height, 20);
  cr_assert_eq(v->tiles_x, 3);
  cr_assert_eq(v->tiles_y, 2);
  for (size_t i = 0; i < 40 * 20 * 4; i++) cr_assert_eq(v->px[i], 0);
  for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], 0);
}

Test(sources, image_in_rgba8_to_linear_premultiplied) {
  load(INPUTS);
  static uint8_t img[20][40][4];
  memcpy(img[3][5], (uint8_t[4]){255, 128, 0, 255}, 4);
  memcpy(img[17][33], (uint8_t[4]){255, 255, 255, 51}, 4); /* alpha 0.2 */
  memcpy(img[0][39], (uint8_t[4]){10, 0, 0, 0}, 4);        /* premultiplies to zero */
  ysg_image_desc d = {40, 20, YSG_RGBA8_SRGB, img, 0};
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(0, "img");
  cr_assert_float_eq(px(v, 5, 3, 0), 1.0f, 1e-3);
  cr_assert_float_eq(px(v, 5, 3, 1), lin(128 / 255.0), 1e-3);
  cr_assert_float_eq(px(v, 5, 3, 2), 0.0f, 0);
  cr_assert_float_eq(px(v, 5, 3, 3), 1.0f, 0);
  for (int c = 0; c < 3; c++) cr_assert_float_eq(px(v, 33, 17, c), 0.2f, 1e-3);
  cr_assert_float_eq(px(v, 33, 17, 3), 0.2f, 1e-3);
  cr_assert_float_eq(px(v, 0, 0, 3), 0.0f, 0);
  /* tiles 16x16: (5,3) -> tile 0; (33,17) -> tile (2,1) = 5; (39,0) premultiplied to 0 */
  uint8_t want[6] = {1, 0, 0, 0, 0, 1};
  for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], want[t], "tile %d", t);
}

Test(sources, image_in_rgba16_with_stride) {
  load(INPUTS);
  size_t stride = 40 * 8 + 24;
  uint8_t *buf = calloc(20, stride);
  uint16_t p[4] = {65535, 32768, 0, 32768};
  memcpy(buf + 10 * stride + 20 * 8, p, 8);
  ysg_image_desc d = {40, 20, YSG_RGBA16_SRGB, buf, stride};
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(2, "img");
  float a = 32768 / 65535.0f;
  cr_assert_float_eq(px(v, 20, 10, 0), a, 1e-3);
  cr_assert_float_eq(px(v, 20, 10, 1), lin(32768 / 65535.0) * a, 1e-3);
  cr_assert_float_eq(px(v, 20, 10, 3), a, 1e-3);
  uint8_t want[6] = {0, 1, 0, 0, 0, 0}; /* (20,10) lies in tile (1,0) */
  for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], want[t], "tile %d", t);
  free(buf);
}

Test(sources, image_in_float_formats_are_copied) {
  load(INPUTS);
  static float f32[20][40][4];
  f32[19][0][0] = 0.25f;
  f32[19][0][3] = 0.5f;
  ysg_image_desc d = {40, 20, YSG_RGBA32F_LINEAR, f32, 0};
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = frame_value(0, "img");
  cr_assert_float_eq(px(v, 0, 19, 0), 0.25f, 0);
  cr_assert_float_eq(px(v, 0, 19, 3), 0.5f, 0);
  cr_assert_eq(v->tiles[3], 1);
  cr_assert_eq(v->tiles[0], 0);

  static uint16_t f16[20][40][4];
  f16[1][17][2] = ysg_float_to_half(0.75f);
  d.format = YSG_RGBA16F_LINEAR;
  d.pixels = f16;
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  v = frame_value(0, "img");
  cr_assert_eq(memcmp(v->px, f16, sizeof f16), 0);
  uint8_t want[6] = {0, 1, 0, 0, 0, 0};
  for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], want[t], "tile %d", t);
}

Test(sources, image_in_errors) {
  load(INPUTS);
  static float f32[20][40][4];
  ysg_image_desc d = {32, 20, YSG_RGBA32F_LINEAR, f32, 0};
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'img' (image_in): image is 32x20, expected "
                   "the canvas size 40x20");
  d.width = 40;
  d.stride = 100;
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'img' (image_in): stride 100 is smaller "
                   "than a row of 640 bytes (40 pixels of rgba32f_linear)");
  d.stride = 0;
  f32[2][3][1] = NAN;
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'img' (image_in): pixel (3, 2) channel 1 is "
                   "not a finite number");
  d.pixels = NULL;
  cr_assert_eq(ysg_pipeline_set_image(pl, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "test.lua:1: node 'img' (image_in): no pixels given (NULL)");
  const ysg_value *v = frame_value(0, "img"); /* still transparent */
  for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], 0);
}

Test(sources, input_calls_check_the_node_type) {
  load(INPUTS);
  ysg_node *n = ysg__node_find(pl, "img");
  cr_assert_not_null(n);
  float xy[2] = {0, 0};
  ysg_points_desc d = {1, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg__input_set_points(n, &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "test.lua:1: node 'img' (image_in): is not a points_in node");
}
