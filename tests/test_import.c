/* test_import.c — reading data as detectors and trackers write it: confidence and class-label
 * columns (with their aliases) on points, boxes and tracks, quoted fields, pandas' index column,
 * unknown columns (one warning, or an error when strict), `columns` renames, the box layouts
 * (xywh, xyxy, cxcywh), normalized coordinates, the scale/offset/from transform, min_conf on every
 * source, the host API's conf and labels, and each bad input with its exact message. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static ysg_context *ctx;
static ysg_pipeline *pl;
static const char *dir;

static void setup(void) {
  ctx = ysgt_ctx_warn(1);
  cr_assert_not_null(ctx);
  dir = ysgt_tmpdir();
  cr_assert_eq(chdir(dir), 0);
  pl = NULL;
}

static void teardown(void) {
  if (pl) ysg_pipeline_destroy(pl);
  ysg_context_destroy(ctx);
}

TestSuite(import, .init = setup, .fini = teardown);

#define CANVAS "canvas{width=640,height=480,frames=2} "

/* load src (after writing file=text), run frame f, return the value named ref */
static const ysg_value *run(const char *file, const char *text, const char *src, int f,
                            const char *ref) {
  if (file) ysgt_write(dir, file, text);
  if (pl) ysg_pipeline_destroy(pl), pl = NULL; /* a test may load twice */
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, f), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

static const char *fail(const char *file, const char *text, const char *src, ysg_status want) {
  if (file) ysgt_write(dir, file, text);
  if (pl) ysg_pipeline_destroy(pl), pl = NULL; /* a test may load twice */
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, want, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  return ysg_errmsg(ctx);
}

static const char *label_of(const ysg_value *v, int i) {
  cr_assert(v->attrs & YSG_ATTR_LABEL);
  cr_assert_not_null(v->labels);
  int k = v->label[i];
  if (k < 0) return "";
  cr_assert_lt(k, v->labels->count);
  return v->labels->names[k];
}

/* ---- attributes ---------------------------------------------------------------------------- */

Test(import, points_conf_and_label_columns) {
  const ysg_value *v =
      run("p.csv", "x,y,conf,label\n1,2,0.9,person\n3,4,0.25,car\n5,6,0.5,person\n",
          CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->count, 3);
  cr_assert_eq(v->attrs, YSG_ATTR_CONF | YSG_ATTR_LABEL);
  cr_assert_float_eq(v->conf[1], 0.25f, 0);
  cr_assert_eq(v->labels->count, 2); /* one entry per distinct name */
  cr_assert_str_eq(label_of(v, 0), "person");
  cr_assert_str_eq(label_of(v, 1), "car");
  cr_assert_eq(v->label[2], v->label[0]);
}

Test(import, aliases_score_class_confidence_name) {
  const ysg_value *v = run("p.csv", "class,x,score,y\ndog,1,0.5,2\n",
                           CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->attrs, YSG_ATTR_CONF | YSG_ATTR_LABEL);
  cr_assert_str_eq(label_of(v, 0), "dog");
  cr_assert_float_eq(v->conf[0], 0.5f, 0);
  v = run("b.csv", "x,y,width,height,confidence,name\n1,2,3,4,0.75,cat\n",
          CANVAS "boxes{path='b.csv', name='b'}", 0, "b");
  float want[4] = {1, 2, 3, 4};
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0);
  cr_assert_float_eq(v->conf[0], 0.75f, 0);
  cr_assert_str_eq(label_of(v, 0), "cat");
}

Test(import, two_columns_for_one_attribute) {
  cr_assert_str_eq(
      fail("p.csv", "x,y,label,class\n", CANVAS "points{path='p.csv', name='p'}", YSG_ERR_DATA),
      "p.csv:1: columns 'label' and 'class' both give label "
      "(node 'p' (points) at test.lua:1)");
}

Test(import, empty_label_is_none) {
  const ysg_value *v =
      run("p.csv", "x,y,label\n1,2,\n3,4,bus\n", CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->label[0], -1);
  cr_assert_str_eq(label_of(v, 1), "bus");
}

Test(import, quoted_fields_and_headers) {
  const ysg_value *v =
      run("p.csv",
          "\"x\", \"y\",\"label\"\n1,2,\"traffic light, red\"\n3,4,\"say \"\"hi\"\"\"\n"
          "\"5\",6,plain\n",
          CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->count, 3);
  cr_assert_str_eq(label_of(v, 0), "traffic light, red");
  cr_assert_str_eq(label_of(v, 1), "say \"hi\"");
  cr_assert_float_eq(v->xy[4], 5.0f, 0);
}

Test(import, unterminated_quote) {
  cr_assert_str_eq(fail("p.csv", "x,y,label\n1,2,\"open\n", CANVAS "points{path='p.csv', name='p'}",
                        YSG_ERR_DATA),
                   "p.csv:2: a quoted field starting at character 5 has no closing quote "
                   "(node 'p' (points) at test.lua:1)");
  cr_assert_str_eq(
      fail("p.csv", "x,y\n\"1\"2,3\n", CANVAS "points{path='p.csv', name='p'}", YSG_ERR_DATA),
      "p.csv:2: text after the closing quote of a field "
      "(node 'p' (points) at test.lua:1)");
}

Test(import, pandas_index_column) {
  const ysg_value *v = run("p.csv", ",x,y,conf\n0,10,20,0.5\n1,30,40,0.6\n",
                           CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->count, 2);
  cr_assert_float_eq(v->xy[2], 30.0f, 0);
  cr_assert_float_eq(v->conf[1], 0.6f, 0);
  cr_assert_eq(ysgt_n_warnings, 0);
}

Test(import, unknown_columns_warn_once) {
  const ysg_value *v = run("p.csv", "x,y,track_age,area\n1,2,3,4\n",
                           CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->count, 1);
  cr_assert_float_eq(v->xy[1], 2.0f, 0);
  cr_assert_eq(ysgt_n_warnings, 1);
  cr_assert_str_eq(ysgt_warning,
                   "test.lua:1: node 'p' (points): p.csv:1: ignoring columns 'track_age', 'area' "
                   "(reads: x,y,frame,id,radius,r,g,b,a,conf,label; strict = true makes this an "
                   "error)");
}

Test(import, strict_refuses_unknown_columns) {
  cr_assert_str_eq(fail("p.csv", "x,y,area\n", CANVAS "points{path='p.csv', name='p', strict=true}",
                        YSG_ERR_DATA),
                   "p.csv:1: unknown column 'area' (known: x,y,frame,id,radius,r,g,b,a,conf,label) "
                   "(node 'p' (points) at test.lua:1)");
}

/* ---- renames ------------------------------------------------------------------------------- */

/* edges is a CSV source too: its warning offers `strict`, so it takes it (and `columns`) */
Test(import, edges_strict_and_columns) {
  const ysg_value *v =
      run("e.csv", "frame,src,dst,weight\n0,3,1,0.5\n",
          CANVAS "edges{path='e.csv', name='e', columns={i='src', j='dst'}}", 0, "e");
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->ij[0], 1);
  cr_assert_eq(v->ij[1], 3);
  cr_assert_eq(ysgt_n_warnings, 1);
  cr_assert_str_eq(ysgt_warning,
                   "test.lua:1: node 'e' (edges): e.csv:1: ignoring column 'weight' (reads: "
                   "i,j,frame; strict = true makes this an error)");
  ysg_pipeline_destroy(pl);
  pl = NULL;
  cr_assert_str_eq(fail(NULL, NULL,
                        CANVAS "edges{path='e.csv', name='e', strict=true, "
                               "columns={i='src', j='dst'}}",
                        YSG_ERR_DATA),
                   "e.csv:1: unknown column 'weight' (known: i,j,frame) "
                   "(node 'e' (edges) at test.lua:1)");
}

Test(import, columns_rename) {
  const ysg_value *v =
      run("p.csv", "cx,cy,class_name,x\n1,2,cat,99\n",
          CANVAS "points{path='p.csv', name='p', columns={x='cx', y='cy', label='class_name'}}", 0,
          "p");
  cr_assert_float_eq(v->xy[0], 1.0f, 0);
  cr_assert_float_eq(v->xy[1], 2.0f, 0);
  cr_assert_str_eq(label_of(v, 0), "cat");
  cr_assert_eq(ysgt_n_warnings, 1); /* the file's own x column is not read */
}

Test(import, columns_rename_errors) {
  cr_assert_str_eq(
      fail("p.csv", "cx,cy\n", CANVAS "points{path='p.csv', name='p', columns={z='cx'}}",
           YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'columns': unknown column 'z' "
      "(known: x,y,frame,id,radius,r,g,b,a,conf,label)");
  cr_assert_str_eq(fail("p.csv", "x,y\n", CANVAS "points{path='p.csv', name='p', columns={x='cx'}}",
                        YSG_ERR_DATA),
                   "p.csv:1: no column 'cx' (the node's columns map x to it) "
                   "(node 'p' (points) at test.lua:1)");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', columns={x=5}}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'columns': 'x' is 5, expected a "
      "non-empty string without ',' or '='");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', columns={'cx'}}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'columns': expected a table of "
      "name = \"text\" pairs, got a list entry");
}

Test(import, bad_number_names_file_line_and_column) {
  cr_assert_str_eq(
      fail("p.csv", "cx,cy\n1,2\n3,4.5.6\n",
           CANVAS "points{path='p.csv', name='p', columns={x='cx', y='cy'}}", YSG_ERR_DATA),
      "p.csv:3: column 'cy': expected a number, found '4.5.6' "
      "(node 'p' (points) at test.lua:1)");
  cr_assert_str_eq(
      fail("p.csv", "x,y,conf\n1,2,high\n", CANVAS "points{path='p.csv', name='p'}", YSG_ERR_DATA),
      "p.csv:2: column 'conf': expected a number, found 'high' "
      "(node 'p' (points) at test.lua:1)");
}

/* ---- box layouts --------------------------------------------------------------------------- */

Test(import, box_formats) {
  const float want[4] = {10, 20, 30, 40};
  const ysg_value *v = run("b.csv", "x1,y1,x2,y2\n10,20,40,60\n",
                           CANVAS "boxes{path='b.csv', name='b', format='xyxy'}", 0, "b");
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "xyxy %d", q);
  ysg_pipeline_destroy(pl), pl = NULL;
  v = run("b.csv", "xmin,ymin,xmax,ymax\n10,20,40,60\n",
          CANVAS "boxes{path='b.csv', name='b', format='xyxy'}", 0, "b");
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "xmin.. %d", q);
  ysg_pipeline_destroy(pl), pl = NULL;
  v = run("b.csv", "cx,cy,w,h\n25,40,30,40\n",
          CANVAS "boxes{path='b.csv', name='b', format='cxcywh'}", 0, "b");
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "cxcywh %d", q);
}

Test(import, xyxy_corners_out_of_order) {
  cr_assert_str_eq(fail("b.csv", "x1,y1,x2,y2\n0,0,5,5\n20,0,10,5\n",
                        CANVAS "boxes{path='b.csv', name='b', format='xyxy'}", YSG_ERR_DATA),
                   "b.csv:3: column 'x2': 10 is less than x1 20 (node 'b' (boxes) at test.lua:1)");
  cr_assert_str_eq(fail("b.csv", "xmin,ymin,xmax,ymax\n0,9,5,8.5\n",
                        CANVAS "boxes{path='b.csv', name='b', format='xyxy'}", YSG_ERR_DATA),
                   "b.csv:2: column 'ymax': 8.5 is less than ymin 9 "
                   "(node 'b' (boxes) at test.lua:1)");
}

Test(import, format_columns_missing) {
  cr_assert_str_eq(fail("b.csv", "x,y,w,h\n", CANVAS "boxes{path='b.csv', name='b', format='xyxy'}",
                        YSG_ERR_DATA),
                   "b.csv:1: missing column 'x1' (required: x1,y1,x2,y2; optional: "
                   "frame,id,r,g,b,a,conf,label) (node 'b' (boxes) at test.lua:1)");
}

/* ---- coordinate transforms ----------------------------------------------------------------- */

Test(import, normalized) {
  const ysg_value *v =
      run("b.csv", "cx,cy,w,h\n0.5,0.5,0.25,0.5\n",
          CANVAS "boxes{path='b.csv', name='b', format='cxcywh', normalized=true}", 0, "b");
  const float want[4] = {240, 120, 160, 240}; /* of 640 x 480 */
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 1e-4, "%d", q);
  ysg_pipeline_destroy(pl), pl = NULL;
  v = run("p.csv", "x,y\n0.25,1\n", CANVAS "points{path='p.csv', name='p', normalized=true}", 0,
          "p");
  cr_assert_float_eq(v->xy[0], 160.0f, 0);
  cr_assert_float_eq(v->xy[1], 480.0f, 0);
}

Test(import, normalized_out_of_range) {
  cr_assert_str_eq(fail("p.csv", "x,y\n0.5,0.5\n1.5,0.2\n",
                        CANVAS "points{path='p.csv', name='p', normalized=true}", YSG_ERR_DATA),
                   "p.csv:3: column 'x': normalized value 1.5 is outside 0..1 "
                   "(node 'p' (points) at test.lua:1)");
  cr_assert_str_eq(fail("b.csv", "x,y,w,h\n0,0,0.5,-0.25\n",
                        CANVAS "boxes{path='b.csv', name='b', normalized=true}", YSG_ERR_DATA),
                   "b.csv:2: column 'h': expected a non-negative number, found '-0.25' "
                   "(node 'b' (boxes) at test.lua:1)");
}

Test(import, scale_offset_from) {
  const char *pts = "x,y\n10,20\n";
  const ysg_value *v =
      run("p.csv", pts, CANVAS "points{path='p.csv', name='p', scale=2, offset={1, -1}}", 0, "p");
  cr_assert_float_eq(v->xy[0], 21.0f, 0);
  cr_assert_float_eq(v->xy[1], 39.0f, 0);
  ysg_pipeline_destroy(pl), pl = NULL;
  v = run("p.csv", pts, CANVAS "points{path='p.csv', name='p', scale={3, 0.5}}", 0, "p");
  cr_assert_float_eq(v->xy[0], 30.0f, 0);
  cr_assert_float_eq(v->xy[1], 10.0f, 0);
  ysg_pipeline_destroy(pl), pl = NULL;
  /* a 320 x 240 detector's boxes on the 640 x 480 canvas: sizes scale too */
  v = run("b.csv", "x,y,w,h\n10,20,30,40\n",
          CANVAS "boxes{path='b.csv', name='b', from={320, 240}}", 0, "b");
  const float want[4] = {20, 40, 60, 80};
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "%d", q);
}

Test(import, transform_errors) {
  ysgt_write(dir, "p.csv", "x,y\n1,2\n");
  cr_assert_str_eq(fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', scale=2, from={1,1}}",
                        YSG_ERR_PIPELINE),
                   "test.lua:1: node 'p' (points): parameter 'from': give either 'scale' or "
                   "'from', not both");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', normalized=true, from={1,1}}",
           YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'from': normalized coordinates are already "
      "relative to the canvas");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', from={640}}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'from': expected {width, height}, "
      "both > 0");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', offset=3}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'offset': expected {ox, oy}, got 1 "
      "number");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', scale={1,2,3}}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'scale': expected one number or "
      "{sx, sy}, got 3 numbers");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', scale=0}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'scale': expected a number in "
      "9.9999999999999995e-07..1000000, got 0");
  cr_assert_str_eq(
      fail(NULL, NULL, CANVAS "points{path='p.csv', name='p', scale={1,'a'}}", YSG_ERR_PIPELINE),
      "test.lua:1: node 'p' (points): parameter 'scale': entry 2 is string, expected "
      "a number");
}

/* ---- confidence thresholds ----------------------------------------------------------------- */

Test(import, min_conf_on_csv_sources) {
  const char *rows = "frame,x,y,w,h,conf\n0,1,1,2,2,0.9\n0,5,5,2,2,0.2\n1,7,7,2,2,0.4\n";
  const ysg_value *v =
      run("b.csv", rows, CANVAS "boxes{path='b.csv', name='b', min_conf=0.3}", 0, "b");
  cr_assert_eq(v->count, 1);
  cr_assert_float_eq(v->conf[0], 0.9f, 0);
  cr_assert_eq(v->capacity, 1);
  cr_assert_eq(ysg_pipeline_run_frame(pl, 1), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(pl, "b", &v), YSG_OK);
  cr_assert_eq(v->count, 1);
  cr_assert_float_eq(v->xywh[0], 7.0f, 0);
}

Test(import, tracks_csv_conf_and_labels) {
  const ysg_value *v =
      run("t.csv", "frame,id,x,y,w,h,score,class\n0,1,10,10,4,4,0.8,car\n0,2,20,20,4,4,0.1,bike\n",
          CANVAS "local t = tracks{path='t.csv', name='t', min_conf=0.5}", 0, "t.boxes");
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->attrs, YSG_ATTR_ID | YSG_ATTR_CONF | YSG_ATTR_LABEL);
  cr_assert_str_eq(label_of(v, 0), "car");
  cr_assert_eq(ysg_pipeline_get_value(pl, "t.points", &v), YSG_OK);
  cr_assert_str_eq(label_of(v, 0), "car");
  cr_assert_float_eq(v->xy[0], 12.0f, 0);
}

Test(import, tracks_transform) {
  const ysg_value *v = run("t.txt", "1,1,10,20,4,6,0.9,-1,-1,-1\n",
                           CANVAS "tracks{path='t.txt', name='t', scale=2}", 0, "t.boxes");
  const float want[4] = {20, 40, 8, 12};
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "%d", q);
  cr_assert_eq(ysg_pipeline_get_value(pl, "t.points", &v), YSG_OK);
  cr_assert_float_eq(v->xy[0], 24.0f, 0); /* the box's centre */
  cr_assert_float_eq(v->xy[1], 46.0f, 0);
}

/* ---- the host API -------------------------------------------------------------------------- */

Test(import, host_points_conf_labels_min_conf) {
  cr_assert_eq(ysgt_load(ctx, CANVAS "points_in{name='in', min_conf=0.5, scale=2}", &pl), YSG_OK,
               "%s", ysg_errmsg(ctx));
  float xy[6] = {1, 2, 3, 4, 5, 6}, conf[3] = {0.9f, 0.1f, 0.6f};
  int32_t label[3] = {1, 0, -1};
  const char *names[2] = {"person", "dog"};
  ysg_points_desc d = {
      .count = 3, .xy = xy, .conf = conf, .label = label, .label_names = names, .n_label_names = 2};
  cr_assert_eq(ysg_pipeline_set_points(pl, "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(pl, "in", &v), YSG_OK);
  cr_assert_eq(v->count, 2);
  cr_assert_eq(v->attrs, YSG_ATTR_CONF | YSG_ATTR_LABEL);
  cr_assert_str_eq(label_of(v, 0), "dog");
  cr_assert_eq(v->label[1], -1);
  cr_assert_float_eq(v->xy[2], 10.0f, 0);
  cr_assert_float_eq(v->conf[1], 0.6f, 0);
  /* the names are copied: the host's array may go */
  const char *other[1] = {"cat"};
  d.count = 1;
  d.label_names = other;
  d.n_label_names = 1;
  label[0] = 0;
  cr_assert_eq(ysg_pipeline_set_points(pl, "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, 1), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(pl, "in", &v), YSG_OK);
  cr_assert_str_eq(label_of(v, 0), "cat");
}

Test(import, host_bad_labels_and_conf) {
  cr_assert_eq(ysgt_load(ctx, CANVAS "boxes_in{name='in', format='xyxy'}", &pl), YSG_OK, "%s",
               ysg_errmsg(ctx));
  float xyxy[4] = {10, 10, 20, 30}, conf[1] = {0.5f};
  int32_t label[1] = {2};
  const char *names[2] = {"a", "b"};
  ysg_boxes_desc d = {.count = 1,
                      .xywh = xyxy,
                      .conf = conf,
                      .label = label,
                      .label_names = names,
                      .n_label_names = 2};
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "in", &d), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'in' (boxes_in): box 0: label 2 is not an "
                   "index into the 2 label names (or -1)");
  label[0] = 1;
  conf[0] = NAN;
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "in", &d), YSG_ERR_DATA);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:1: node 'in' (boxes_in): box 0: conf is nan, expected a finite number");
  conf[0] = 0.5f;
  xyxy[2] = 5;
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "in", &d), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'in' (boxes_in): box 0: x2 is 5, less than "
                   "x1 10");
  xyxy[2] = 20;
  cr_assert_eq(ysg_pipeline_set_boxes(pl, "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, 0), YSG_OK);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(pl, "in", &v), YSG_OK);
  const float want[4] = {10, 10, 10, 20};
  for (int q = 0; q < 4; q++) cr_assert_float_eq(v->xywh[q], want[q], 0, "%d", q);
  cr_assert_str_eq(label_of(v, 0), "b");
}

Test(import, host_normalized_out_of_range) {
  cr_assert_eq(ysgt_load(ctx, CANVAS "points_in{name='in', normalized=true}", &pl), YSG_OK);
  float xy[2] = {0.5f, 1.25f};
  ysg_points_desc d = {.count = 1, .xy = xy};
  cr_assert_eq(ysg_pipeline_set_points(pl, "in", &d), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'in' (points_in): point 0: normalized value "
                   "1.25 is outside 0..1");
}

/* ---- labels survive a dump and a re-read --------------------------------------------------- */

Test(import, dump_round_trip) {
  const ysg_value *v = run("p.csv", "x,y,conf,label\n1,2,0.5,\"a, \"\"b\"\"\"\n3,4,0.25,c\n",
                           CANVAS "points{path='p.csv', name='p'}", 0, "p");
  cr_assert_eq(v->count, 2);
  cr_assert_eq(ysg_pipeline_dump(pl, "p", "out.csv", 0), YSG_OK, "%s", ysg_errmsg(ctx));
  char *text = ysgt_read("out.csv", NULL);
  cr_assert_str_eq(text, "x,y,conf,label\n1,2,0.5,\"a, \"\"b\"\"\"\n3,4,0.25,\"c\"\n");
  free(text);
  ysg_pipeline_destroy(pl), pl = NULL;
  v = run(NULL, NULL, CANVAS "points{path='out.csv', name='p'}", 0, "p");
  cr_assert_str_eq(label_of(v, 0), "a, \"b\"");
  cr_assert_float_eq(v->conf[1], 0.25f, 0);
}
