/* test_prim_node.c — the `primitives` node and the `svg` sink in pipelines: the same shapes for
 * 1, 2 and 3 threads; the quality on the bundled photo-like picture (RMSE after 100 and 500
 * triangles against fixed bounds: a regression guard); `reveal`; on = frame; the shapes value
 * as JSON and CSV (--dump's writer) and as SVG; and every bad input with its exact message and
 * nothing written. Targets come from an image_in node named "target". */
#include <criterion/criterion.h>
#include <dirent.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "color.h"
#include "util.h"
#include "ysgraph/node.h"

#define PRIM_BOUND_100 0.0191 /* measured 0.01818 */
#define PRIM_BOUND_500 0.0093 /* measured 0.00883 */

static uint8_t *photo(int *w, int *h) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  cr_assert(png_image_begin_read_from_file(&im, YSG_SOURCE_DIR "/pipelines/data/prim_photo.png"));
  im.format = PNG_FORMAT_RGBA;
  *w = (int)im.width;
  *h = (int)im.height;
  uint8_t *px = malloc((size_t)*w * *h * 4);
  cr_assert(png_image_finish_read(&im, NULL, px, 0, NULL));
  return px;
}

/* a pipeline over an image_in "target" of w × h set to rgba8 (sRGB, straight); `body` makes a
 * node "p" from it */
static ysg_pipeline *load(ysg_context *ctx, int w, int h, const uint8_t *rgba8, const char *body,
                          const char *outdir) {
  char src[4096];
  snprintf(src, sizeof src,
           "canvas { width = %d, height = %d, frames = 4 }\n"
           "local target = image_in { name = \"target\" }\n%s\n",
           w, h, body);
  const char *keep[] = {"p", "p.shapes"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 2;
  lo.output_dir = outdir;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  ysg_image_desc d = {w, h, YSG_RGBA8_SRGB, rgba8, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "target", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

static const ysg_value *shapes_of(ysg_pipeline *p) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "p.shapes", &v), YSG_OK);
  cr_assert_eq(v->type, YSG_SHAPES);
  return v;
}

static int same_shapes(const ysg_value *a, const ysg_value *b) {
  return a->count == b->count && !memcmp(a->kind, b->kind, sizeof(int32_t) * a->count) &&
         !memcmp(a->geom, b->geom, sizeof(float) * 8 * a->count) &&
         !memcmp(a->rgba, b->rgba, sizeof(float) * 4 * a->count) &&
         !memcmp(a->error, b->error, sizeof(float) * a->count);
}

#define SMALL_SEARCH "candidates = 40, climbs = 4, age = 24"

Test(prim_node, same_shapes_for_1_2_3_threads) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  const char *body =
      "p = primitives { name = \"p\", image = target, count = 30, shapes = \"all\", alpha = 0, "
      "work_size = 96, seed = 5, " SMALL_SEARCH " }";
  ysg_context *ctx[3];
  ysg_pipeline *p[3];
  for (int t = 0; t < 3; t++) {
    ctx[t] = ysgt_ctx_warn(t + 1);
    p[t] = load(ctx[t], w, h, px, body, ysgt_tmpdir());
    cr_assert_eq(ysg_pipeline_run_frame(p[t], 0), YSG_OK, "%s", ysg_errmsg(ctx[t]));
  }
  const ysg_value *a = shapes_of(p[0]);
  cr_assert_eq(a->count, 31);
  cr_assert(same_shapes(a, shapes_of(p[1])), "1 and 2 threads found different shapes");
  cr_assert(same_shapes(a, shapes_of(p[2])), "1 and 3 threads found different shapes");
  /* several kinds were picked, and the seed matters */
  int kinds = 0;
  for (int i = 1; i < a->count; i++) kinds |= 1 << a->kind[i];
  cr_assert_gt(__builtin_popcount(kinds), 2, "only kinds %#x", kinds);
  for (int t = 0; t < 3; t++) {
    ysg_pipeline_destroy(p[t]);
    ysg_context_destroy(ctx[t]);
  }
  free(px);
}

/* The regression guard: the bundled 256×256 picture, 500 triangles at a reduced budget (best of
 * 200 random, 4 climbs, age 50; the benchmark runs primitive's budget). Bounds are the RMSE this
 * build reached plus about 5 % (linear premultiplied RGBA, the search's own measure). */
Test(prim_node, quality_after_100_and_500_triangles, .timeout = 600) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_pipeline *p =
      load(ctx, w, h, px,
           "p = primitives { name = \"p\", image = target, count = 500, candidates = 200, "
           "climbs = 4, age = 50, seed = 1 }",
           ysgt_tmpdir());
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = shapes_of(p);
  cr_assert_eq(v->count, 501);
  cr_log_info("RMSE: background %.5f, 100 triangles %.5f, 500 triangles %.5f", v->error[0],
              v->error[100], v->error[500]);
  cr_assert_lt(v->error[100], PRIM_BOUND_100, "RMSE after 100 triangles %g", v->error[100]);
  cr_assert_lt(v->error[500], PRIM_BOUND_500, "RMSE after 500 triangles %g", v->error[500]);
  for (int i = 1; i < v->count; i++) cr_assert_eq(v->kind[i], YSG_PRIM_TRIANGLE);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(px);
}

/* reveal limits the shapes value and the image to the first shapes */
Test(prim_node, reveal_shows_the_build_up) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_pipeline *p = load(ctx, w, h, px,
                         "p = primitives { name = \"p\", image = target, count = 20, work_size = "
                         "64, reveal = function(f) return 5 * f end, " SMALL_SEARCH " }",
                         ysgt_tmpdir());
  static uint8_t img[4][256 * 256 * 4];
  ysg_value last;
  for (int f = 0; f < 4; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v = shapes_of(p);
    cr_assert_eq(v->count, 1 + 5 * f, "frame %d shows %d records", f, v->count);
    cr_assert_eq(ysg_pipeline_read_image(p, "p", YSG_RGBA8_SRGB, img[f], sizeof img[f], 0), YSG_OK);
    if (f) { /* the same search: the earlier records stay */
      cr_assert(!memcmp(v->geom, last.geom, sizeof(float) * 8 * (size_t)last.count));
      cr_assert(memcmp(img[f], img[f - 1], sizeof img[f]), "frame %d drew nothing new", f);
    }
    last = *v;
  }
  /* frame 0 is the background alone: one colour, the target's mean */
  for (int i = 0; i < 256 * 256; i++) cr_assert(!memcmp(img[0] + i * 4, img[0], 4));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(px);
}

/* on = frame searches every frame; with a warm start the frames are reproducible in order */
Test(prim_node, on_frame_reproducible) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  const char *body =
      "p = primitives { name = \"p\", image = target, count = 8, on = \"frame\", "
      "work_size = 48, " SMALL_SEARCH " }";
  ysg_value v[2][2];
  float geom[2][2][9 * 8];
  for (int run = 0; run < 2; run++) {
    ysg_context *ctx = ysgt_ctx_warn(2);
    ysg_pipeline *p = load(ctx, w, h, px, body, ysgt_tmpdir());
    for (int f = 0; f < 2; f++) {
      cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
      v[run][f] = *shapes_of(p);
      memcpy(geom[run][f], v[run][f].geom, sizeof geom[run][f]);
    }
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
  for (int f = 0; f < 2; f++)
    cr_assert(!memcmp(geom[0][f], geom[1][f], sizeof geom[0][f]), "frame %d differs", f);
  /* frame 1 searched again from frame 0's shapes: not the same list */
  cr_assert(memcmp(geom[0][0], geom[0][1], sizeof geom[0][0]));
  free(px);
}

static int count_of(const char *text, const char *what) {
  int n = 0;
  for (const char *s = text; (s = strstr(s, what)); s += strlen(what)) n++;
  return n;
}

/* shapes as JSON and CSV (what --dump writes, by extension) and as SVG */
Test(prim_node, dump_json_csv_and_svg) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_pipeline *p = load(ctx, w, h, px,
                         "p = primitives { name = \"p\", image = target, count = 12, work_size = "
                         "64, shapes = \"triangle,ellipse,rotated_rectangle\", " SMALL_SEARCH
                         " }\n"
                         "svg { shapes = p.shapes, path = \"out/%02d.svg\" }",
                         dir);
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_OK, "%s", ysg_errmsg(ctx));
  char path[1024];
  snprintf(path, sizeof path, "%s/s.json", dir);
  cr_assert_eq(ysg_pipeline_dump(p, "p.shapes", path, 1), YSG_OK, "%s", ysg_errmsg(ctx));
  char *json = ysgt_read(path, NULL);
  cr_assert_not_null(json);
  cr_assert(!strncmp(json,
                     "{\"width\": 256, \"height\": 256, \"shapes\": [\n  {\"kind\": "
                     "\"rectangle\", \"x0\": 0, \"y0\": 0, \"x1\": 256, \"y1\": 256, ",
                     strlen("{\"width\": 256, \"height\": 256, \"shapes\": [\n  {\"kind\": "
                            "\"rectangle\", \"x0\": 0, \"y0\": 0, \"x1\": 256, \"y1\": 256, ")),
            "%s", json);
  cr_assert_eq(count_of(json, "\"kind\""), 13);
  cr_assert_eq(count_of(json, "\"opacity\": 0.5,"), 12);
  cr_assert_str_eq(json + strlen(json) - 4, "\n]}\n");
  snprintf(path, sizeof path, "%s/s.csv", dir);
  cr_assert_eq(ysg_pipeline_dump(p, "p.shapes", path, 1), YSG_OK, "%s", ysg_errmsg(ctx));
  char *csv = ysgt_read(path, NULL);
  cr_assert(!strncmp(csv,
                     "index,kind,p0,p1,p2,p3,p4,p5,p6,p7,r,g,b,opacity,error\n"
                     "0,rectangle,0,0,256,256,,,,,",
                     80),
            "%s", csv);
  cr_assert_eq(count_of(csv, "\n"), 14);
  /* the SVG: the background, then one element per shape, sRGB hex colours */
  snprintf(path, sizeof path, "%s/out/01.svg", dir);
  char *svg = ysgt_read(path, NULL);
  cr_assert_not_null(svg, "no %s", path);
  cr_assert(
      !strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\"", 63));
  const ysg_value *v = shapes_of(p);
  int tri = 0, ell = 0, rect = 0;
  for (int i = 1; i < v->count; i++) {
    tri += v->kind[i] == YSG_PRIM_TRIANGLE;
    ell += v->kind[i] == YSG_PRIM_ELLIPSE;
    rect += v->kind[i] == YSG_PRIM_ROTATED_RECTANGLE;
  }
  cr_assert_eq(count_of(svg, "<polygon "), tri);
  cr_assert_eq(count_of(svg, "<ellipse "), ell);
  cr_assert_eq(count_of(svg, "<rect "), 1 + rect);
  cr_assert_eq(count_of(svg, "fill-opacity=\"0.5\""), 12);
  cr_assert_str_eq(svg + strlen(svg) - 7, "</svg>\n");
  free(json);
  free(csv);
  free(svg);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(px);
}

/* ---- bad input: the exact message, nothing written ------------------------------------------ */
#define PRE "canvas { width = 32, height = 32 }\nlocal t = image_in { name = \"target\" }\n"
#define NODE "test.lua:3: node 'primitives_1' (primitives): "

Test(prim_node, bad_parameters) {
  ysgt_expect_load_fail(PRE "primitives { image = t, count = 0 }", NULL, YSG_ERR_PIPELINE,
                        NODE "parameter 'count': expected an integer in 1..10000, got 0");
  ysgt_expect_load_fail(PRE "primitives { image = t, count = 10001 }", NULL, YSG_ERR_PIPELINE,
                        NODE "parameter 'count': expected an integer in 1..10000, got 10001");
  ysgt_expect_load_fail(
      PRE "primitives { image = t, shapes = \"\" }", NULL, YSG_ERR_PIPELINE,
      NODE
      "parameter 'shapes': no shape kinds given (expected a comma-separated list of "
      "triangle, rectangle, rotated_rectangle, ellipse, rotated_ellipse, circle, line, "
      "quadratic, polygon, or all)");
  ysgt_expect_load_fail(
      PRE "primitives { image = t, shapes = \"triangle, hexagon\" }", NULL, YSG_ERR_PIPELINE,
      NODE
      "parameter 'shapes': unknown shape 'hexagon' (expected a comma-separated list of "
      "triangle, rectangle, rotated_rectangle, ellipse, rotated_ellipse, circle, line, "
      "quadratic, polygon, or all)");
  ysgt_expect_load_fail(PRE "primitives { image = t, count = 500, reveal = 600 }", NULL,
                        YSG_ERR_PIPELINE,
                        NODE "parameter 'reveal': 600 shapes asked for, but count is 500");
  ysgt_expect_load_fail(PRE "primitives { image = t, background = \"red\" }", NULL,
                        YSG_ERR_PIPELINE,
                        NODE
                        "parameter 'background': expected \"auto\" or a colour "
                        "\"#rrggbb[aa]\", got \"red\"");
  ysgt_expect_load_fail(
      "canvas { width = 1, height = 1 }\nlocal t = image_in { name = "
      "\"target\" }\nprimitives { image = t }",
      NULL, YSG_ERR_PIPELINE,
      NODE "input 'image': the target is 1x1 pixels; at least 2x2 are needed");
  ysgt_expect_load_fail(PRE "svg { path = \"a.svg\" }", NULL, YSG_ERR_PIPELINE,
                        "test.lua:3: node 'svg_1' (svg): nothing to write: connect at least one "
                        "of shapes, points, boxes, curves");
}

static ysg_status run_fail(const char *body, int frame, const uint8_t *rgba, const char *dir,
                           char *msg, size_t cap) {
  ysg_context *ctx = ysgt_ctx_warn(1);
  ysg_pipeline *p = load(ctx, 32, 32, rgba, body, dir);
  ysg_status s = ysg_pipeline_run_frame(p, frame);
  snprintf(msg, cap, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return s;
}

static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
  if (d) closedir(d);
  return n;
}

Test(prim_node, bad_targets_and_paths) {
  static uint8_t clear[32 * 32 * 4], grey[32 * 32 * 4];
  memset(grey, 128, sizeof grey);
  char msg[2048];
  const char *dir = ysgt_tmpdir();
  /* a fully transparent target */
  cr_assert_eq(run_fail("p = primitives { image = target, count = 3 }\n"
                        "svg { shapes = p.shapes, path = \"t.svg\" }",
                        2, clear, dir, msg, sizeof msg),
               YSG_ERR_DATA);
  cr_assert_str_eq(msg,
                   "test.lua:3: node 'primitives_1' (primitives): input 'image' is fully "
                   "transparent at frame 2: there is nothing to approximate");
  cr_assert_eq(dir_entries(dir), 0, "something was written");
  /* reveal animated beyond count */
  cr_assert_eq(run_fail("p = primitives { image = target, count = 3, reveal = function(f) "
                        "return f + 2 end }",
                        2, grey, dir, msg, sizeof msg),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(msg,
                   "test.lua:3: node 'primitives_1' (primitives): parameter 'reveal': 4 "
                   "shapes asked for, but count is 3");
  /* an SVG path that cannot be written: its directory is a file */
  char blocker[1024];
  snprintf(blocker, sizeof blocker, "%s/blocker", dir);
  FILE *f = fopen(blocker, "w");
  cr_assert_not_null(f);
  fclose(f);
  cr_assert_eq(run_fail("p = primitives { image = target, count = 3, " SMALL_SEARCH " }\n"
                        "svg { shapes = p.shapes, path = \"blocker/x.svg\" }",
                        0, grey, dir, msg, sizeof msg),
               YSG_ERR_IO);
  char want[2048];
  snprintf(want, sizeof want,
           "test.lua:4: node 'svg_1' (svg): cannot create directory '%s/blocker': Not a "
           "directory",
           dir);
  cr_assert_str_eq(msg, want);
  cr_assert_eq(dir_entries(dir), 1, "only the blocker may be there");
  /* a directory the sink may not write into */
  char ro[1024];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  cr_assert_eq(mkdir(ro, 0500), 0);
  if (access(ro, W_OK) == 0) { /* root ignores permissions: nothing to test there */
    cr_log_info("running as root: the read-only directory case is not checked");
  } else {
    cr_assert_eq(run_fail("p = primitives { image = target, count = 3, " SMALL_SEARCH " }\n"
                          "svg { shapes = p.shapes, path = \"ro/x.svg\" }",
                          0, grey, dir, msg, sizeof msg),
                 YSG_ERR_IO);
    cr_assert(strstr(msg, "cannot write"), "%s", msg);
    cr_assert_eq(dir_entries(ro), 0);
  }
}

/* The image drawn tile by tile inside a fused merge equals the image drawn on its own. */
Test(prim_node, fused_into_a_merge_bit_exact) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  static uint8_t img[2][256 * 256 * 4];
  for (int fuse = 0; fuse < 2; fuse++) {
    ysg_context *ctx = ysgt_ctx_warn(2);
    char src[1024];
    snprintf(src, sizeof src,
             "canvas { width = %d, height = %d }\n"
             "local target = image_in { name = \"target\" }\n"
             "local p = primitives { image = target, count = 30, work_size = 64, shapes = "
             "\"all\", alpha = 0, " SMALL_SEARCH
             " }\n"
             "merge { name = \"out\", layers = { gradient { }, { p, opacity = 0.8 } } }",
             w, h);
    const char *keep[] = {"out"};
    ysg_load_options lo;
    ysg_load_options_init(&lo);
    lo.keep = keep;
    lo.n_keep = 1;
    lo.no_fuse = !fuse;
    ysg_pipeline *p = NULL;
    cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK, "%s",
                 ysg_errmsg(ctx));
    ysg_image_desc d = {w, h, YSG_RGBA8_SRGB, px, 0};
    cr_assert_eq(ysg_pipeline_set_image(p, "target", &d), YSG_OK);
    int fused = 0;
    for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
      ysg_node_info ni;
      ysg_pipeline_node_info(p, i, &ni);
      fused += !strcmp(ni.type, "primitives") && ni.fused_into >= 0;
    }
    cr_assert_eq(fused, fuse, "primitives fused: %d", fused);
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_read_image(p, "out", YSG_RGBA8_SRGB, img[fuse], sizeof img[fuse], 0),
                 YSG_OK);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
  cr_assert(!memcmp(img[0], img[1], sizeof img[0]), "fused and unfused images differ");
  free(px);
}

/* the command line: --dump of shapes writes JSON or CSV by the path's extension */
Test(prim_node, cli_dump_by_extension) {
  const char *dir = ysgt_tmpdir();
  char src[1024];
  snprintf(src, sizeof src,
           "canvas { width = 256, height = 256, frames = 2 }\n"
           "local photo = image { path = \"%s/pipelines/data/prim_photo.png\" }\n"
           "primitives { name = \"p\", image = photo, count = 5, work_size = 48, " SMALL_SEARCH
           " }\n",
           YSG_SOURCE_DIR);
  const char *file = ysgt_write(dir, "p.lua", src);
  char cmd[4096], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd,
           "cd '%s' && '%s' run p.lua --unsafe --quiet --dump p.shapes=s%%d.json --dump "
           "p.shapes=s%%d.csv",
           dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "%s\n%s", file, err);
  for (int f = 0; f < 2; f++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/s%d.json", dir, f);
    char *json = ysgt_read(path, NULL);
    cr_assert_not_null(json, "no %s", path);
    cr_assert(!strncmp(json, "{\"width\": 256, \"height\": 256, \"shapes\": [", 41), "%s", json);
    cr_assert_eq(count_of(json, "\"kind\""), 6);
    snprintf(path, sizeof path, "%s/s%d.csv", dir, f);
    char *csv = ysgt_read(path, NULL);
    cr_assert_not_null(csv, "no %s", path);
    cr_assert(!strncmp(csv, "index,kind,", 11));
    cr_assert_eq(count_of(csv, "\n"), 7);
    free(json);
    free(csv);
  }
  free(out);
  free(err);
}

/* ---- a target whose first tile is flagged empty but holds stale pixels ---------------------- */
static const ysg_port_def stale_out[] = {{"image", YSG_IMAGE, 0, "the image", NULL, 0}};
static ysg_status stale_infer(ysg_node *n) {
  (void)n;
  return YSG_OK;
}
static ysg_status stale_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  const float colour[4] = {0.2f, 0.4f, 0.6f, 1.0f}, white[4] = {1, 1, 1, 1};
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      const float *c = x < 16 && y < 16 ? white : colour;
      for (int q = 0; q < 4; q++) v->px[(y * v->width + x) * 4 + q] = ysg_float_to_half(c[q]);
    }
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) v->tiles[t] = t != 0;
  return YSG_OK;
}
static const ysg_node_type stale_type = {.name = "stale",
                                         .category = "test",
                                         .doc = "An image with a stale empty tile.",
                                         .outputs = stale_out,
                                         .n_outputs = 1,
                                         .infer = stale_infer,
                                         .run = stale_run};

Test(prim_node, empty_tiles_read_as_transparent) {
  ysg_context *ctx = ysgt_ctx_warn(1);
  cr_assert_eq(ysg_register_node_type(ctx, &stale_type), YSG_OK);
  const char *keep[] = {"p.shapes"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "canvas { width = 32, height = 32 }\n"
                                        "primitives { name = \"p\", image = stale { }, count = 1, "
                                        "candidates = 4, climbs = 1, age = 1 }",
                                        "test.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "p.shapes", &v), YSG_OK);
  /* the background is the mean: three quarters covered by the colour, one transparent */
  cr_assert_float_eq(v->rgba[3], 0.75f, 1e-3f, "background opacity %g", v->rgba[3]);
  cr_assert_float_eq(v->rgba[0], 0.2f, 2e-3f);
  cr_assert_float_eq(v->rgba[2], 0.6f, 2e-3f);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
