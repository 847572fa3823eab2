/* test_sequence.c — PNG image sequences: the png node numbering files from `start` (and a CLI
 * frame range writing exactly its files), the image node reading "%04d" patterns (8-bit round
 * trip exact per frame, the canvas suggested from the first file and the run of files, `start`),
 * and the errors: past the end, a gap, a size mismatch, a missing first file, a bad pattern. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "png_io.h"
#include "util.h"

#define W 40
#define H 24

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

/* 8-bit RGBA samples of a PNG written by the png node (malloc'ed) */
static uint8_t *read_rgba8(const char *path, int *w, int *h) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) cr_assert_fail("libpng failed reading %s", path);
  png_init_io(png, f);
  png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  cr_assert_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGBA, "%s", path);
  cr_assert_eq(png_get_bit_depth(png, info), 8, "%s", path);
  *w = (int)png_get_image_width(png, info);
  *h = (int)png_get_image_height(png, info);
  png_bytepp rows = png_get_rows(png, info);
  uint8_t *out = malloc((size_t)*w * *h * 4);
  for (int y = 0; y < *h; y++) memcpy(out + (size_t)y * *w * 4, rows[y], (size_t)*w * 4);
  png_destroy_read_struct(&png, &info, NULL);
  fclose(f);
  return out;
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert(d, "cannot list %s", dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(d);
  return n;
}

static ysg_pipeline *load_ok(ysg_context *ctx, const char *src) {
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, YSG_OK, "load failed: %s", ysg_errmsg(ctx));
  return p;
}

/* Frames that differ from each other, with every kind of alpha: a half-transparent gradient that
 * turns with the frame, moving anti-aliased dots on top. */
#define SCENE                                                                                  \
  "local pts = scatter{count=10, seed=3, speed=80, radius=3, margin=2}\n"                      \
  "local d = dot{points=pts, radius=4, color='#ffd60a'}\n"                                     \
  "local g = gradient{from='#0b1030', to='#f05a28', angle=function(f) return 30 + 50*f end}\n" \
  "local out = merge{layers={{g, opacity=0.5}, d}}\n"

/* Write frames first..last of SCENE to pattern (png start = start) */
static void write_sequence(const char *pattern, int start, int first, int last) {
  char src[2048];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=%d}\n" SCENE
           "png{image=out, path='%s', start=%d, name='o'}\n",
           W, H, last + 1, pattern, start);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_run_range(p, first, last, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static void expect_same_file(const char *a, const char *b) {
  int wa, ha, wb, hb;
  uint8_t *pa = read_rgba8(a, &wa, &ha), *pb = read_rgba8(b, &wb, &hb);
  cr_assert(wa == wb && ha == hb, "%s is %dx%d, %s is %dx%d", a, wa, ha, b, wb, hb);
  for (int i = 0; i < wa * ha * 4; i++)
    cr_assert_eq(pa[i], pb[i], "%s vs %s: sample %d (pixel %d channel %d)", a, b, i, i / 4, i % 4);
  free(pa);
  free(pb);
}

static void *plain_alloc(void *ud, size_t n) {
  (void)ud;
  return calloc(1, n);
}
static void plain_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

Test(sequence, roundtrip8_exact_per_frame) {
  enter_tmp();
  write_sequence("seq/%04d.png", 0, 0, 2);
  cr_assert_eq(count_entries("seq"), 3);
  { /* the frames differ: reading one file for every frame would not pass */
    int w, h;
    uint8_t *a = read_rgba8("seq/0000.png", &w, &h), *b = read_rgba8("seq/0001.png", &w, &h);
    cr_assert(memcmp(a, b, (size_t)w * h * 4) != 0);
    free(a);
    free(b);
  }
  /* no canvas{}: size and frame count come from the sequence */
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  const char *keep[] = {"bg"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "local im = image{path='seq/%04d.png', name='bg'}\n"
                                        "png{image=im, path='back/%04d.png'}\n",
                                        "test.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == W && cv->height == H && cv->frames == 3, "%dx%d, %d frames", cv->width,
            cv->height, cv->frames);
  ysg_png_alloc heap = {plain_alloc, plain_free, NULL};
  for (int f = 2; f >= 0; f--) { /* any order */
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v = NULL;
    cr_assert_eq(ysg_pipeline_get_value(p, "bg", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    char name[64];
    snprintf(name, sizeof name, "seq/%04d.png", f);
    void *ref = NULL;
    int w, h;
    char err[256];
    cr_assert_eq(ysg__png_read(name, &heap, YSG_PNG_F16, &ref, &w, &h, err, sizeof err), YSG_OK);
    cr_assert(v->width == w && v->height == h);
    cr_assert_eq(memcmp(v->px, ref, (size_t)w * h * 8), 0, "frame %d: decoded pixels differ", f);
    free(ref);
  }
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  expect_same_file("seq/0000.png", "back/0000.png");
  expect_same_file("seq/0001.png", "back/0001.png");
  expect_same_file("seq/0002.png", "back/0002.png");
}

Test(sequence, start_on_both_sides) {
  enter_tmp();
  write_sequence("seq/%04d.png", 10, 0, 2); /* frames 0..2 -> files 10..12 */
  cr_assert_eq(count_entries("seq"), 3);
  cr_assert_eq(access("seq/0010.png", F_OK), 0);
  cr_assert_eq(access("seq/0012.png", F_OK), 0);
  write_sequence("ref/%04d.png", 0, 0, 2); /* the same frames from 0, for comparison */
  expect_same_file("seq/0011.png", "ref/0001.png");

  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx,
                            "local im = image{path='seq/%04d.png', start=11, name='bg'}\n"
                            "png{image=im, path='out/%02d.png', start=1}\n");
  cr_assert_eq(ysg_pipeline_canvas(p)->frames, 2); /* files 11 and 12 */
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  expect_same_file("out/01.png", "ref/0001.png"); /* frame 0 = file 11 = scene frame 1 */
  expect_same_file("out/02.png", "ref/0002.png");
  cr_assert_eq(count_entries("out"), 2);
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): frame 2: 'seq/0013.png' does not exist (the "
                   "sequence has frames 0..1)");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sequence, past_the_end_and_gap) {
  enter_tmp();
  write_sequence("seq/%04d.png", 0, 0, 2);
  ysg_context *ctx = ysgt_ctx();
  const char *src =
      "canvas{width=40,height=24,frames=20}\n"
      "local bg = image{path='seq/%04d.png', name='bg'}\n"
      "png{image=bg, path='out/%04d.png'}\n";
  ysg_pipeline *p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_canvas(p)->frames, 20); /* the pipeline's canvas wins */
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 19, NULL, NULL), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bg' (image): frame 3: 'seq/0003.png' does not exist (the "
                   "sequence has frames 0..2)");
  cr_assert_eq(count_entries("out"), 3); /* frames before the error were written */
  cr_assert_eq(ysg_pipeline_run_frame(p, 12), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bg' (image): frame 12: 'seq/0012.png' does not exist (the "
                   "sequence has frames 0..2)");
  ysg_pipeline_destroy(p);

  /* a gap: 0001 missing, so the sequence is frame 0 only, though 0002 exists */
  cr_assert_eq(unlink("seq/0001.png"), 0);
  p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bg' (image): frame 2: 'seq/0002.png' is past the end of "
                   "the sequence: 'seq/0001.png' was missing at load (the sequence has frames "
                   "0..0)");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sequence, size_mismatch) {
  enter_tmp();
  write_sequence("seq/%04d.png", 0, 0, 2);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx,
                            "canvas{width=20,height=10,frames=1}\n"
                            "png{image=fill{color='#ff0000'}, path='small.png'}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 0, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  cr_assert_eq(rename("small.png", "seq/0001.png"), 0);
  p = load_ok(ctx, "local bg = image{path='seq/%04d.png', name='bg'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): frame 1: 'seq/0001.png' is 20x10, but the "
                   "sequence is 40x24 (from 'seq/0000.png')");
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_OK, "%s", ysg_errmsg(ctx)); /* recovers */
  ysg_pipeline_destroy(p);

  /* a file of the sequence that is not a PNG */
  ysgt_write(".", "seq/0002.png", "not a png");
  p = load_ok(ctx, "local bg = image{path='seq/%04d.png', name='bg'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): frame 2: cannot read PNG 'seq/0002.png': not a "
                   "PNG file");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sequence, load_errors) {
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysgt_load(ctx, "image{path='none/%04d.png', start=7, name='bg'}", NULL), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): parameter 'path': the sequence's first file "
                   "'none/0007.png' does not exist (start = 7)");
  cr_assert_eq(ysgt_load(ctx, "image{path='s/%04d_%d.png', name='bg'}", NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): parameter 'path': only one %d-style frame "
                   "pattern is allowed, found '%04d' and '%d'");
  cr_assert_eq(ysgt_load(ctx, "image{path='s/%04d.png', start=-1, name='bg'}", NULL),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'bg' (image): parameter 'start': expected an integer in "
                   "0..100000000, got -1");
  ysg_context_destroy(ctx);
}

/* `ysgraph run --frames A:B` writes exactly the files A..B-1 (or start+A..start+B-1). */
Test(sequence, cli_frame_range_writes_exactly_its_files) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "gen.lua",
             "canvas{width=16,height=8,frames=8}\n"
             "local g = gradient{angle=function(f) return 10 * f end}\n"
             "png{image=g, path='a/%04d.png'}\n"
             "png{image=g, path='b/%04d.png', start=100}\n");
  char cmd[2048], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run gen.lua -o out --frames 2:5 --quiet", dir,
           YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "rc %d: %s", rc, err);
  free(out);
  free(err);
  cr_assert_eq(chdir(dir), 0);
  cr_assert_eq(count_entries("out/a"), 3);
  cr_assert_eq(count_entries("out/b"), 3);
  const char *want[] = {"out/a/0002.png", "out/a/0003.png", "out/a/0004.png",
                        "out/b/0102.png", "out/b/0103.png", "out/b/0104.png"};
  for (int i = 0; i < 6; i++) cr_assert_eq(access(want[i], F_OK), 0, "%s missing", want[i]);
  expect_same_file("out/a/0003.png", "out/b/0103.png");
}
