/* test_csv.c — the shared CSV reader through the points, edges and boxes sources: every error
 * message in full (data file and line, column, expected and found, node and pipeline location),
 * the accepted forms (optional columns in any order, frames, colour conversion, CRLF, comments,
 * blank lines, whitespace, a byte-order mark), and the reader's own API (headerless MOT-style
 * files, the frame index). Each test runs in its own temporary directory so messages show the
 * relative names written in the pipeline. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "util.h"

#include "dir_fixture.h"

TestSuite(csv, .init = setup, .fini = teardown);

#define PTS "canvas{width=64,height=48,frames=3} points{path='pts.csv', name='pts'}"
#define EDGES "canvas{width=64,height=48,frames=3} edges{path='edges.csv', name='e'}"
#define BOXES "canvas{width=64,height=48,frames=3} boxes{path='boxes.csv', name='bx'}"
#define SUFFIX " (node 'pts' (points) at test.lua:1)"

/* write file=text, load src; expect status want and return the message */
static const char *load_fail(const char *file, const char *text, const char *src, ysg_status want) {
  if (file) ysgt_write(dir, file, text);
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, want, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  return ysg_errmsg(ctx);
}

static const ysg_value *load_points(const char *text, int frame) {
  ysgt_write(dir, "pts.csv", text);
  ysg_status s = ysgt_load(ctx, PTS, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, frame), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, "pts", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

static float lin(double c) { /* sRGB -> linear, written out independently of engine/color.h */
  return (float)(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
}

/* ---- errors ------------------------------------------------------------------------------- */

Test(csv, not_a_number) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,2\n3,4\n5,6\nabc,7\n", PTS, YSG_ERR_DATA),
                   "pts.csv:5: column 'x': expected a number, found 'abc'" SUFFIX);
}

Test(csv, trailing_garbage_is_not_a_number) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,2px\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'y': expected a number, found '2px'" SUFFIX);
}

Test(csv, empty_field) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1, \n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'y': expected a number, found ''" SUFFIX);
}

Test(csv, nan_and_infinities) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,2\n1,2\n1,2\n1,2\n1,2\n3,nan\n", PTS, YSG_ERR_DATA),
                   "pts.csv:7: column 'y': expected a finite number, found 'nan'" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y\ninf,2\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'x': expected a finite number, found 'inf'" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,-inf\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'y': expected a finite number, found '-inf'" SUFFIX);
}

Test(csv, out_of_range) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,2\n1e300,2\n", PTS, YSG_ERR_DATA),
                   "pts.csv:3: column 'x': value 1e+300 is out of range (|value| <= 1e7)" SUFFIX);
  cr_assert_str_eq(
      load_fail("pts.csv", "x,y\n1,-10000000.5\n", PTS, YSG_ERR_DATA),
      "pts.csv:2: column 'y': value -10000000.5 is out of range (|value| <= 1e7)" SUFFIX);
  /* too large for a double: shown as written */
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1e400,2\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'x': value 1e400 is out of range (|value| <= 1e7)" SUFFIX);
  /* the limit itself is accepted */
  const ysg_value *v = load_points("x,y\n1e7,-1e7\n", 0);
  cr_assert_eq(v->count, 1);
  cr_assert_float_eq(v->xy[0], 1e7f, 0);
}

Test(csv, ragged_row) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y,id\n1,2,3\n# note\n1,2\n", PTS, YSG_ERR_DATA),
                   "pts.csv:4: expected 3 fields, found 2" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y\n1,2,3\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: expected 2 fields, found 3" SUFFIX);
}

Test(csv, empty_file) {
  cr_assert_str_eq(load_fail("pts.csv", "", PTS, YSG_ERR_DATA),
                   "pts.csv: empty file, expected a header line naming columns x,y" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "# only a comment\n\n   \r\n", PTS, YSG_ERR_DATA),
                   "pts.csv: empty file, expected a header line naming columns x,y" SUFFIX);
  cr_assert_str_eq(load_fail("boxes.csv", "", BOXES, YSG_ERR_DATA),
                   "boxes.csv: empty file, expected a header line naming columns x,y,w,h "
                   "(node 'bx' (boxes) at test.lua:1)");
}

Test(csv, missing_column) {
  cr_assert_str_eq(load_fail("pts.csv", "x,id\n1,2\n", PTS, YSG_ERR_DATA),
                   "pts.csv:1: missing column 'y' (required: x,y; optional: "
                   "frame,id,radius,r,g,b,a,conf,label)" SUFFIX);
  cr_assert_str_eq(load_fail("edges.csv", "# edges\ni,frame\n", EDGES, YSG_ERR_DATA),
                   "edges.csv:2: missing column 'j' (required: i,j; optional: frame) "
                   "(node 'e' (edges) at test.lua:1)");
}

Test(csv, unknown_column) {
  cr_assert_str_eq(
      load_fail("pts.csv", "x,y,z\n1,2,3\n",
                "canvas{width=64,height=48} points{path='pts.csv', name='pts', strict=true}",
                YSG_ERR_DATA),
      "pts.csv:1: unknown column 'z' (known: x,y,frame,id,radius,r,g,b,a,conf,label)" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y,\n", PTS, YSG_ERR_DATA),
                   "pts.csv:1: field 3 of the header names no column "
                   "(known: x,y,frame,id,radius,r,g,b,a,conf,label)" SUFFIX);
}

Test(csv, duplicate_column) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y,x\n", PTS, YSG_ERR_DATA),
                   "pts.csv:1: column 'x' appears twice" SUFFIX);
}

Test(csv, integer_columns) {
  cr_assert_str_eq(load_fail("edges.csv", "i,j\n1.5,2\n", EDGES, YSG_ERR_DATA),
                   "edges.csv:2: column 'i': expected a non-negative integer, found '1.5' "
                   "(node 'e' (edges) at test.lua:1)");
  cr_assert_str_eq(load_fail("edges.csv", "i,j\n1,-2\n", EDGES, YSG_ERR_DATA),
                   "edges.csv:2: column 'j': expected a non-negative integer, found '-2' "
                   "(node 'e' (edges) at test.lua:1)");
  cr_assert_str_eq(load_fail("edges.csv", "i,j\n1,nan\n", EDGES, YSG_ERR_DATA),
                   "edges.csv:2: column 'j': expected a non-negative integer, found 'nan' "
                   "(node 'e' (edges) at test.lua:1)");
  cr_assert_str_eq(load_fail("pts.csv", "x,y,id\n1,2,7.25\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'id': expected an integer, found '7.25'" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y,frame\n1,2,-1\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'frame': expected a non-negative integer, found '-1'" SUFFIX);
}

Test(csv, self_edge) {
  cr_assert_str_eq(load_fail("edges.csv", "i,j\n0,1\n4,4\n", EDGES, YSG_ERR_DATA),
                   "edges.csv:3: an edge joins point 4 to itself (node 'e' (edges) at test.lua:1)");
}

Test(csv, radius_and_sizes_non_negative) {
  cr_assert_str_eq(
      load_fail("pts.csv", "x,y,radius\n1,2,-0.5\n", PTS, YSG_ERR_DATA),
      "pts.csv:2: column 'radius': expected a non-negative number, found '-0.5'" SUFFIX);
  cr_assert_str_eq(load_fail("boxes.csv", "x,y,w,h\n1,2,3,-4\n", BOXES, YSG_ERR_DATA),
                   "boxes.csv:2: column 'h': expected a non-negative number, found '-4' "
                   "(node 'bx' (boxes) at test.lua:1)");
}

Test(csv, colour_columns) {
  cr_assert_str_eq(load_fail("pts.csv", "x,y,r,g,b\n1,2,0.5,1.5,0\n", PTS, YSG_ERR_DATA),
                   "pts.csv:2: column 'g': expected a number in 0..1, found '1.5'" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "x,y,r,b\n", PTS, YSG_ERR_DATA),
                   "pts.csv:1: colour columns r,g,b must come together (missing 'g')" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", "\n\nx,y,a\n", PTS, YSG_ERR_DATA),
                   "pts.csv:3: column 'a' needs the colour columns r,g,b" SUFFIX);
  cr_assert_str_eq(load_fail("boxes.csv", "x,y,w,h,g,b\n", BOXES, YSG_ERR_DATA),
                   "boxes.csv:1: colour columns r,g,b must come together (missing 'r') "
                   "(node 'bx' (boxes) at test.lua:1)");
}

Test(csv, long_field_is_shortened) {
  char text[256] = "x,y\n1,";
  for (int i = 0; i < 100; i++) strcat(text, "q");
  strcat(text, "\n");
  char want[512] = "pts.csv:2: column 'y': expected a number, found '";
  for (int i = 0; i < 61; i++) strcat(want, "q");
  strcat(want, "...'" SUFFIX);
  cr_assert_str_eq(load_fail("pts.csv", text, PTS, YSG_ERR_DATA), want);
}

Test(csv, missing_file) {
  cr_assert_str_eq(load_fail(NULL, NULL, PTS, YSG_ERR_IO),
                   "test.lua:1: node 'pts' (points): parameter 'path': cannot open 'pts.csv': "
                   "No such file or directory");
}

Test(csv, directory_is_unreadable) {
  cr_assert_eq(mkdir("pts.csv", 0755), 0);
  cr_assert_str_eq(load_fail(NULL, NULL, PTS, YSG_ERR_IO),
                   "test.lua:1: node 'pts' (points): parameter 'path': cannot open 'pts.csv': "
                   "Is a directory");
}

/* ---- accepted forms ------------------------------------------------------------------------ */

Test(csv, optional_columns_any_order) {
  const ysg_value *v = load_points("radius, id ,a,b,y,g,x,r\n2.5,7,0.5,0,20,1,10,0.5\n", 0);
  cr_assert_eq(v->count, 1);
  cr_assert_eq(v->attrs, YSG_ATTR_ID | YSG_ATTR_RADIUS | YSG_ATTR_RGBA);
  cr_assert_float_eq(v->xy[0], 10.0f, 0);
  cr_assert_float_eq(v->xy[1], 20.0f, 0);
  cr_assert_eq(v->id[0], 7);
  cr_assert_float_eq(v->radius[0], 2.5f, 0);
  cr_assert_float_eq(v->rgba[0], lin(0.5), 1e-6);
  cr_assert_float_eq(v->rgba[0], 0.2140411f, 1e-6);
  cr_assert_float_eq(v->rgba[1], 1.0f, 1e-6);
  cr_assert_float_eq(v->rgba[2], 0.0f, 0);
  cr_assert_float_eq(v->rgba[3], 0.5f, 0); /* alpha stays straight and linear */
}

Test(csv, colour_alpha_defaults_to_one) {
  const ysg_value *v = load_points("x,y,r,g,b\n1,2,0.04,0.2,0.8\n", 0);
  cr_assert_eq(v->attrs, YSG_ATTR_RGBA);
  cr_assert_float_eq(v->rgba[0], lin(0.04), 1e-7); /* the linear segment of the curve */
  cr_assert_float_eq(v->rgba[1], lin(0.2), 1e-6);
  cr_assert_float_eq(v->rgba[2], lin(0.8), 1e-6);
  cr_assert_float_eq(v->rgba[3], 1.0f, 0);
}

Test(csv, crlf_comments_blank_lines_whitespace_bom) {
  const ysg_value *v = load_points(
      "\xef\xbb\xbf# tracked points\r\n\r\n  x , y \r\n"
      "\t1.5 ,\t-2e1\r\n# a comment row\r\n\r\n  # indented\r\n"
      "3,4\r\n5 ,6",
      2);
  cr_assert_eq(v->count, 3);
  cr_assert_eq(v->attrs, 0u);
  float want[6] = {1.5f, -20.0f, 3, 4, 5, 6};
  for (int i = 0; i < 6; i++) cr_assert_float_eq(v->xy[i], want[i], 0, "xy[%d]", i);
}

Test(csv, error_lines_count_comments_and_crlf) {
  cr_assert_str_eq(
      load_fail("pts.csv", "# c\r\nx,y\r\n\r\n1,2\r\n# c\r\n1,x\r\n", PTS, YSG_ERR_DATA),
      "pts.csv:6: column 'y': expected a number, found 'x'" SUFFIX);
}

Test(csv, header_only_gives_no_rows) {
  const ysg_value *v = load_points("x,y,frame\n", 1);
  cr_assert_eq(v->count, 0);
  cr_assert_eq(v->capacity, 1);
}

Test(csv, frames_select_rows) {
  const ysg_value *v = load_points("frame,x,y\n1,10,11\n0,1,2\n1,12,13\n", 1);
  cr_assert_eq(v->count, 2);
  cr_assert_eq(v->capacity, 2);
  cr_assert_float_eq(v->xy[0], 10.0f, 0);
  cr_assert_float_eq(v->xy[2], 12.0f, 0);
  cr_assert_eq(ysg_pipeline_run_frame(pl, 2), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(pl, "pts", &v), YSG_OK);
  cr_assert_eq(v->count, 0);
}

Test(csv, numbers_in_other_spellings) {
  const ysg_value *v = load_points("x,y,id\n+1.25e1,.5,1e3\n-0,0x10,-4\n", 0);
  cr_assert_eq(v->count, 2);
  cr_assert_float_eq(v->xy[0], 12.5f, 0);
  cr_assert_float_eq(v->xy[1], 0.5f, 0);
  cr_assert_eq(v->id[0], 1000);
  cr_assert_float_eq(v->xy[3], 16.0f, 0);
  cr_assert_eq(v->id[1], -4);
}

/* ---- the reader's API directly: headerless files (MOT-style) and the frame index ------------ */

static const ysg_csv_col mot_cols[] = {
    {"frame", YSG_CSV_INDEX, 1}, {"id", YSG_CSV_INT, 1},    {"x", YSG_CSV_NUMBER, 1},
    {"y", YSG_CSV_NUMBER, 1},    {"w", YSG_CSV_NONNEG, 1},  {"h", YSG_CSV_NONNEG, 1},
    {"conf", YSG_CSV_NUMBER, 0}, {"wx", YSG_CSV_NUMBER, 0},
};
static const ysg_csv_spec mot_spec = {mot_cols, 8, YSG_CSV_HEADERLESS};

/* a loaded points node whose path param names pts.csv: the reader is pointed at it */
static ysg_node *reader_node(void) {
  ysgt_write(dir, "pts.csv", "x,y\n");
  cr_assert_eq(ysgt_load(ctx, PTS, &pl), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_node *n = ysg__node_find(pl, "pts");
  cr_assert_not_null(n);
  return n;
}

Test(csv, headerless_rows) {
  ysg_node *n = reader_node();
  ysgt_write(dir, "pts.csv", "# MOT\n3,7,10.5,20,30,40,0.9\n\n1,8,1,2,3,4,-1\n");
  ysg_csv c;
  cr_assert_eq(ysg__csv_read(n, 0, &mot_spec, &c), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(c.n_rows, 2);
  cr_assert_eq(c.n_fields, 7);
  cr_assert_eq(c.header_line, 0);
  cr_assert(ysg__csv_has(&c, 6) && !ysg__csv_has(&c, 7));
  cr_assert_float_eq(ysg__csv_get(&c, 0, 2), 10.5, 0);
  cr_assert_float_eq(ysg__csv_get(&c, 1, 6), -1.0, 0);
  cr_assert_eq(c.lines[1], 4);
  int32_t perm[2];
  cr_assert_eq(ysg__csv_sort_by_frame(&c, 0, perm), YSG_OK);
  cr_assert_eq(perm[0], 1);
  cr_assert_eq(perm[1], 0);
  ysg__csv_free(&c);

  ysgt_write(dir, "pts.csv", "1,2,3\n");
  cr_assert_eq(ysg__csv_read(n, 0, &mot_spec, &c), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "pts.csv:1: expected 6 to 8 fields (frame,id,x,y,w,h,conf,wx), "
                   "found 3" SUFFIX);
  ysgt_write(dir, "pts.csv", "1,2,3,4,5,6\n1,2,3,4,5,6,7\n");
  cr_assert_eq(ysg__csv_read(n, 0, &mot_spec, &c), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx), "pts.csv:2: expected 6 fields, found 7" SUFFIX);
  ysgt_write(dir, "pts.csv", "");
  cr_assert_eq(ysg__csv_read(n, 0, &mot_spec, &c), YSG_OK);
  cr_assert_eq(c.n_rows, 0);
  ysg__csv_free(&c);
}

Test(csv, frame_index) {
  ysg_node *n = reader_node();
  int32_t frames[7] = {0, 0, 2, 5, 5, 5, 9};
  ysg_frame_index fi;
  cr_assert_eq(ysg__frame_index_build(n, frames, 7, &fi), YSG_OK);
  cr_assert_eq(fi.n_frames, 4);
  cr_assert_eq(fi.max_rows, 3);
  int first, want_count[11] = {2, 0, 1, 0, 0, 3, 0, 0, 0, 1, 0};
  int want_first[11] = {0, 0, 2, 0, 0, 3, 0, 0, 0, 6, 0};
  for (int f = 0; f < 11; f++) {
    cr_assert_eq(ysg__frame_index_find(&fi, f, &first), want_count[f], "frame %d", f);
    cr_assert_eq(first, want_first[f], "frame %d", f);
  }
  cr_assert_eq(ysg__frame_index_find(&fi, -3, &first), 0);
  ysg__frame_index_free(n, &fi);
  cr_assert_eq(ysg__frame_index_build(n, NULL, 4, &fi), YSG_OK);
  cr_assert_eq(ysg__frame_index_find(&fi, 12345, &first), 4);
  cr_assert_eq(first, 0);
  cr_assert_eq(fi.max_rows, 4);
  ysg__frame_index_free(n, &fi);
}
