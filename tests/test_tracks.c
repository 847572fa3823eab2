/* test_tracks.c — the `tracks` source: MOTChallenge and CSV files (format detection, 1-based MOT
 * frames, first_frame, min_conf), boxes and their centres per frame with the file's track ids in
 * file order, per-id colours against an independent HSV computation, the suggested frame count,
 * ids flowing into graph hysteresis, and every error message in full. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "dir_fixture.h"

TestSuite(tracks, .init = setup, .fini = teardown);

#define SUFFIX " (node 'trk' (tracks) at test.lua:1)"

static void load(const char *src) {
  if (pl) ysg_pipeline_destroy(pl);
  pl = NULL;
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
}

/* tracks{path=file, <extra>} named trk on a 64x48 canvas (frames from the file) */
static void load_tracks(const char *file, const char *extra) {
  char src[512];
  snprintf(src, sizeof src, "canvas{width=64,height=48} tracks{path='%s', name='trk'%s%s}", file,
           extra ? ", " : "", extra ? extra : "");
  load(src);
}

static const ysg_value *value(int frame, const char *ref) {
  cr_assert_eq(ysg_pipeline_run_frame(pl, frame), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

/* write file=text and load tracks from it; expect status want and return the message */
static const char *load_fail(const char *file, const char *text, const char *extra,
                             ysg_status want) {
  ysgt_write(dir, file, text);
  char src[512];
  snprintf(src, sizeof src, "canvas{width=64,height=48} tracks{path='%s', name='trk'%s%s}", file,
           extra ? ", " : "", extra ? extra : "");
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, want, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_assert_null(p);
  return ysg_errmsg(ctx);
}

/* A MOTChallenge result file: 1-based frames, rows out of frame order, conf -1 and scores, the
 * optional world x,y,z columns. */
static const char *MOT =
    "1,1,10,20,4,6,0.9,-1,-1,-1\n"
    "3,2,30,5,10,10,-1,-1,-1,-1\n"
    "1,2,0.5,1.5,3,5,0.25,-1,-1,-1\n"
    "3,1,12,22,4,6,0.8,-1,-1,-1\n"
    "3,7,40,40,2,2,0.1,-1,-1,-1\n"
    "5,7,41,41,2,2,0.5,-1,-1,-1\n";

Test(tracks, mot_boxes_points_ids_per_frame) {
  ysgt_write(dir, "gt.txt", MOT);
  load_tracks("gt.txt", NULL);
  cr_assert_eq(ysg_pipeline_canvas(pl)->frames, 5); /* file frames 1..5 */
  const ysg_value *b = value(0, "trk.boxes");
  cr_assert_eq(b->type, YSG_BOXES);
  cr_assert_eq(b->capacity, 3); /* file frame 3 holds three rows */
  cr_assert_eq(b->count, 2);
  cr_assert_eq(b->attrs, YSG_ATTR_ID | YSG_ATTR_CONF);
  cr_assert_float_eq(b->conf[0], 0.9f, 0);
  cr_assert_float_eq(b->conf[1], 0.25f, 0);
  float want_b[8] = {10, 20, 4, 6, 0.5f, 1.5f, 3, 5};
  for (int k = 0; k < 8; k++) cr_assert_float_eq(b->xywh[k], want_b[k], 0, "xywh[%d]", k);
  cr_assert(b->id[0] == 1 && b->id[1] == 2);
  const ysg_value *p = value(0, "trk.points");
  cr_assert_eq(p->type, YSG_POINTS);
  cr_assert_eq(p->capacity, 3);
  cr_assert_eq(p->count, 2);
  cr_assert_eq(p->attrs, YSG_ATTR_ID | YSG_ATTR_CONF);
  float want_p[4] = {12, 23, 2, 4};
  for (int k = 0; k < 4; k++) cr_assert_float_eq(p->xy[k], want_p[k], 0, "xy[%d]", k);
  cr_assert(p->id[0] == 1 && p->id[1] == 2);
  cr_assert_float_eq(p->conf[0], 0.9f, 0);
  cr_assert_float_eq(p->conf[1], 0.25f, 0);

  cr_assert_eq(value(1, "trk.boxes")->count, 0);
  cr_assert_eq(value(1, "trk.points")->count, 0);
  p = value(2, "trk.points"); /* file frame 3, in file order: ids 2, 1, 7 */
  int32_t ids[3] = {2, 1, 7};
  cr_assert_eq(p->count, 3);
  for (int i = 0; i < 3; i++) cr_assert_eq(p->id[i], ids[i], "id[%d] = %d", i, p->id[i]);
  cr_assert_float_eq(p->xy[0], 35.0f, 0);
  cr_assert_float_eq(p->xy[1], 10.0f, 0);
  cr_assert_float_eq(p->conf[0], -1.0f, 0); /* conf -1 is kept by default */
  b = value(2, "trk.boxes");
  for (int i = 0; i < 3; i++) cr_assert_eq(b->id[i], ids[i]);
  cr_assert_float_eq(b->xywh[8], 40.0f, 0);
  cr_assert_eq(value(4, "trk.boxes")->count, 1);
  cr_assert_eq(value(5, "trk.boxes")->count, 0);  /* past the file */
  cr_assert_eq(value(0, "trk.points")->count, 2); /* frames in any order */
}

Test(tracks, first_frame_and_min_conf) {
  ysgt_write(dir, "gt.txt",
             "3,1,10,20,4,6,0.8,-1,-1,-1\n"
             "3,2,30,5,10,10,-1,-1,-1,-1\n"
             "3,7,40,40,2,2,0.1,-1,-1,-1\n"
             "5,7,41,41,2,2,0.5,-1,-1,-1\n");
  load_tracks("gt.txt", "first_frame=3, min_conf=0.5");
  cr_assert_eq(ysg_pipeline_canvas(pl)->frames, 3); /* frames 3..5 */
  const ysg_value *p = value(0, "trk.points");
  cr_assert_eq(p->capacity, 1); /* frame 3 keeps only id 1 (0.8) */
  cr_assert_eq(p->count, 1);
  cr_assert_eq(p->id[0], 1);
  cr_assert_float_eq(p->conf[0], 0.8f, 0);
  p = value(2, "trk.points");
  cr_assert_eq(p->count, 1); /* conf 0.5 >= min_conf is kept */
  cr_assert_eq(p->id[0], 7);
  cr_assert_float_eq(p->xy[0], 42.0f, 0);
}

Test(tracks, format_detection) {
  /* 7 numbers per line: MOT, frames from 1 */
  ysgt_write(dir, "a.txt", "# comment\n\n2,5,1,1,2,2,1\n");
  load_tracks("a.txt", NULL);
  cr_assert_eq(value(1, "trk.points")->count, 1);
  cr_assert_eq(value(0, "trk.points")->count, 0);
  /* 6 numbers per line: headerless CSV, frames from 0 */
  ysgt_write(dir, "b.csv", "2,5,1,1,2,2\n");
  load_tracks("b.csv", NULL);
  cr_assert_eq(value(2, "trk.points")->count, 1);
  cr_assert_eq(ysg_pipeline_canvas(pl)->frames, 3);
  /* format='csv' for 7 columns: the CSV schema's message */
  cr_assert_str_eq(load_fail("a.txt", "2,5,1,1,2,2,1\n", "format='csv'", YSG_ERR_DATA),
                   "a.txt:1: expected 4 to 6 fields (frame,id,x,y,w,h), found 7" SUFFIX);
}

Test(tracks, csv_header_any_order_and_points_only) {
  ysgt_write(dir, "t.csv", "id,frame,y,x,h,w\n4,0,10,20,2,6\n9,1,0,0,4,4\n");
  load_tracks("t.csv", NULL);
  const ysg_value *b = value(0, "trk.boxes");
  cr_assert_eq(b->count, 1);
  float want[4] = {20, 10, 6, 2};
  for (int k = 0; k < 4; k++) cr_assert_float_eq(b->xywh[k], want[k], 0);
  const ysg_value *p = value(0, "trk.points");
  cr_assert_eq(p->attrs, YSG_ATTR_ID); /* no score column in CSV */
  cr_assert_float_eq(p->xy[0], 23.0f, 0);
  cr_assert_float_eq(p->xy[1], 11.0f, 0);
  cr_assert_eq(p->id[0], 4);

  /* no w,h: the points are x,y and boxes stay empty */
  ysgt_write(dir, "p.csv", "0,3,1.5,2.5\n0,4,5,6\n2,3,7,8\n");
  load_tracks("p.csv", NULL);
  cr_assert_eq(ysg_pipeline_canvas(pl)->frames, 3);
  p = value(0, "trk.points");
  cr_assert_eq(p->count, 2);
  cr_assert_eq(p->capacity, 2);
  cr_assert_float_eq(p->xy[0], 1.5f, 0);
  cr_assert_float_eq(p->xy[3], 6.0f, 0);
  cr_assert(p->id[0] == 3 && p->id[1] == 4);
  b = value(0, "trk.boxes");
  cr_assert_eq(b->count, 0);
  cr_assert_eq(b->attrs, 0u);
  cr_assert_eq(value(2, "trk.points")->count, 1);
}

/* the palette written out independently: hue = frac(id * golden ratio), s 0.7, v 1, sRGB */
static void want_color(uint32_t id, float out[3]) {
  double h = fmod(id * 0.6180339887498949, 1.0);
  double r = fabs(h * 6 - 3) - 1, g = 2 - fabs(h * 6 - 2), b = 2 - fabs(h * 6 - 4);
  double c[3] = {r, g, b};
  for (int k = 0; k < 3; k++) {
    double x = c[k] < 0 ? 0 : c[k] > 1 ? 1 : c[k];
    double s = 1 - 0.7 * (1 - x); /* v (1 - s (1 - x)) */
    out[k] = (float)(s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4));
  }
}

Test(tracks, colors_by_id) {
  ysgt_write(dir, "gt.txt", MOT);
  load_tracks("gt.txt", "colors='id'");
  const ysg_value *p = value(2, "trk.points");
  cr_assert_eq(p->attrs, YSG_ATTR_ID | YSG_ATTR_CONF | YSG_ATTR_RGBA);
  for (int i = 0; i < 3; i++) {
    float w[3];
    want_color((uint32_t)p->id[i], w);
    for (int k = 0; k < 3; k++)
      cr_assert_float_eq(p->rgba[4 * i + k], w[k], 2e-6, "id %d channel %d", p->id[i], k);
    cr_assert_float_eq(p->rgba[4 * i + 3], 1.0f, 0);
  }
  float id1[4], id7[4];
  memcpy(id1, &p->rgba[4], sizeof id1); /* id 1 is second in frame 3 */
  memcpy(id7, &p->rgba[8], sizeof id7);
  cr_assert(memcmp(id1, id7, sizeof id1) != 0);
  const ysg_value *b = value(0, "trk.boxes"); /* id 1 first in frame 1: the same colour */
  cr_assert_eq(b->attrs, YSG_ATTR_ID | YSG_ATTR_CONF | YSG_ATTR_RGBA);
  cr_assert_eq(memcmp(&b->rgba[0], id1, sizeof id1), 0);
  b = value(4, "trk.boxes");
  cr_assert_eq(memcmp(&b->rgba[0], id7, sizeof id7), 0);
}

static const ysg_value *get(const char *ref) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

/* Ids reach graph's hysteresis: in frame 1 tracks 10 and 11 move apart beyond the link radius
 * (kept only by hysteresis) and the rows are shuffled, so the surviving edge is found only by
 * matching ids (by row index it would pair tracks 10 and 12, 100 px apart, and be dropped). */
Test(tracks, ids_flow_into_graph_hysteresis) {
  ysgt_write(dir, "p.csv",
             "frame,id,x,y\n"
             "0,10,0,0\n0,11,10,0\n0,12,100,0\n0,13,111,0\n"
             "1,10,0,0\n1,12,100,0\n1,11,13,0\n1,13,111,0\n");
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  const char *keep[] = {"trk.points"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_status s = ysg_pipeline_load_string(
      ctx,
      "canvas{width=128,height=48} local t = tracks{path='p.csv', name='trk'}\n"
      "graph{points=t.points, mode='radius', radius=12, hysteresis=5, name='g'}",
      "test.lua", &lo, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *e = value(0, "g.edges");
  cr_assert_eq(e->count, 2);
  cr_assert(e->ij[0] == 0 && e->ij[1] == 1 && e->ij[2] == 2 && e->ij[3] == 3);
  e = value(1, "g.edges");
  const ysg_value *p = get("trk.points");
  int32_t ids[4] = {10, 12, 11, 13};
  for (int i = 0; i < 4; i++) cr_assert_eq(p->id[i], ids[i]);
  cr_assert_eq(e->count, 2);
  cr_assert(e->ij[0] == 0 && e->ij[1] == 2 && e->ij[2] == 1 && e->ij[3] == 3, "%d-%d %d-%d",
            e->ij[0], e->ij[1], e->ij[2], e->ij[3]);
}

Test(tracks, empty_file) {
  ysgt_write(dir, "e.txt", "# nothing tracked\n");
  load("canvas{width=64,height=48,frames=4} tracks{path='e.txt', name='trk'}");
  cr_assert_eq(ysg_pipeline_canvas(pl)->frames, 4);
  cr_assert_eq(value(0, "trk.points")->count, 0);
  cr_assert_eq(value(3, "trk.boxes")->count, 0);
}

Test(tracks, mot_detections_repeat_id_minus_one) {
  ysgt_write(dir, "det.txt", "1,-1,1,2,3,4,0.9\n1,-1,5,6,7,8,0.4\n");
  load_tracks("det.txt", NULL);
  const ysg_value *b = value(0, "trk.boxes");
  cr_assert_eq(b->count, 2);
  cr_assert(b->id[0] == -1 && b->id[1] == -1);
}

/* ---- errors ------------------------------------------------------------------------------- */

Test(tracks, missing_file) {
  ysg_status s = ysgt_load(ctx, "tracks{path='nope.txt', name='trk'}", &pl);
  cr_assert_eq(s, YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (tracks): parameter 'path': cannot open 'nope.txt': "
                   "No such file or directory");
}

Test(tracks, bad_row_named) {
  cr_assert_str_eq(load_fail("t.txt",
                             "1,1,10,20,4,6,0.9\n"
                             "2,1,abc,20,4,6,0.9\n",
                             NULL, YSG_ERR_DATA),
                   "t.txt:2: column 'x': expected a number, found 'abc'" SUFFIX);
  cr_assert_str_eq(
      load_fail("t.txt", "1,1,10,20,4,6,0.9,1\n1,2,10,20,4,6,high,1\n", NULL, YSG_ERR_DATA),
      "t.txt:2: column 'conf': expected a number, found 'high'" SUFFIX);
  cr_assert_str_eq(load_fail("t.txt", "1.5,1,10,20,4,6,0.9\n", "format='mot'", YSG_ERR_DATA),
                   "t.txt:1: column 'frame': expected a non-negative integer, found '1.5'" SUFFIX);
  cr_assert_str_eq(load_fail("t.csv", "frame,id,x,y\n0,1,2,3\n0,x7,2,3\n", NULL, YSG_ERR_DATA),
                   "t.csv:3: column 'id': expected an integer, found 'x7'" SUFFIX);
}

Test(tracks, too_few_columns) {
  cr_assert_str_eq(load_fail("t.txt", "1,1,10,20,4,6\n", "format='mot'", YSG_ERR_DATA),
                   "t.txt:1: expected 7 to 10 fields (frame,id,x,y,w,h,conf,col8,col9,col10), "
                   "found 6" SUFFIX);
  cr_assert_str_eq(load_fail("t.txt", "1,1,10,20,4,6,1\n2,1,10,20,4,6\n", NULL, YSG_ERR_DATA),
                   "t.txt:2: expected 7 fields, found 6" SUFFIX);
  cr_assert_str_eq(load_fail("t.csv", "0,1,2\n", NULL, YSG_ERR_DATA),
                   "t.csv:1: expected 4 to 6 fields (frame,id,x,y,w,h), found 3" SUFFIX);
  cr_assert_str_eq(
      load_fail("t.csv", "\n0,1,2,3,4\n", NULL, YSG_ERR_DATA),
      "t.csv:2: expected 4 fields (frame,id,x,y) or 6 (frame,id,x,y,w,h), found 5" SUFFIX);
  cr_assert_str_eq(load_fail("t.csv", "frame,id,x,y,w\n", NULL, YSG_ERR_DATA),
                   "t.csv:1: columns w,h must come together (missing 'h')" SUFFIX);
  cr_assert_str_eq(
      load_fail("t.csv", "frame,x,y\n", NULL, YSG_ERR_DATA),
      "t.csv:1: missing column 'id' (required: frame,id,x,y; optional: w,h,conf,label)" SUFFIX);
}

Test(tracks, mot_sizes_must_be_positive) {
  cr_assert_str_eq(load_fail("t.txt", "1,1,10,20,4,6,1\n1,2,10,20,0,6,1\n", NULL, YSG_ERR_DATA),
                   "t.txt:2: column 'w': expected a positive number, found '0'" SUFFIX);
  cr_assert_str_eq(load_fail("t.txt", "1,1,10,20,4,-6,1\n", NULL, YSG_ERR_DATA),
                   "t.txt:1: column 'h': expected a positive number, found '-6'" SUFFIX);
}

Test(tracks, frame_before_first_frame) {
  cr_assert_str_eq(load_fail("t.txt", "1,1,10,20,4,6,1\n0,2,10,20,4,6,1\n", NULL, YSG_ERR_DATA),
                   "t.txt:2: column 'frame': frame 0 is before first_frame 1 (MOTChallenge "
                   "frames count from 1)" SUFFIX);
  cr_assert_str_eq(load_fail("t.csv", "5,1,1,1\n3,2,1,1\n", "first_frame=4", YSG_ERR_DATA),
                   "t.csv:2: column 'frame': frame 3 is before first_frame 4" SUFFIX);
}

Test(tracks, duplicate_track_in_frame) {
  cr_assert_str_eq(load_fail("t.txt",
                             "1,1,10,20,4,6,1\n"
                             "1,2,10,20,4,6,1\n"
                             "2,2,10,20,4,6,1\n"
                             "2,1,10,20,4,6,1\n"
                             "2,2,11,21,4,6,1\n"
                             "1,1,12,20,4,6,1\n",
                             NULL, YSG_ERR_DATA),
                   "t.txt:5: track 2 appears twice in frame 2 (also on line 3)" SUFFIX);
}

Test(tracks, bad_params) {
  ysgt_write(dir, "t.txt", "1,1,10,20,4,6,1\n");
  cr_assert_eq(ysgt_load(ctx, "tracks{path='t.txt', name='trk', format='xml'}", &pl),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'trk' (tracks): parameter 'format': expected one of "
                   "auto|mot|csv, got 'xml'");
}
