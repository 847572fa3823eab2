/* test_no_silent_results.c — sources and sinks that once gave a wrong result without a word: a
 * png (or exr) path without a frame pattern over more than one frame (each frame silently
 * replaced the last: now an error, or the last frame only with overwrite = true, through the
 * library and the CLI's exit code), CSV sources with a frame column (the canvas kept 1 frame: now
 * the last frame
 * + 1, like tracks), and image sequences numbered from 1 (not found: now the first of 0..4 that
 * exists, as FFmpeg's image2 does, or an error that says start = N). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "util.h"

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

static ysg_pipeline *load_ok(ysg_context *ctx, const char *src) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, src, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

/* ---- png without a frame pattern ------------------------------------------------------------ */
#define TWO_FRAMES                      \
  "canvas{width=8,height=8,frames=3}\n" \
  "local f = fill{color=function(f) return f == 0 and '#ff0000' or '#0000ff' end}\n"

Test(png_single_file, second_frame_is_an_error) {
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, TWO_FRAMES "png{image=f, path='out/o.png', name='o'}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 2, NULL, NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (png): parameter 'path': 'out/o.png' has no frame "
                   "pattern, so frame 1 would replace frame 0's file: number the files (e.g. "
                   "'o_%04d.png') or set overwrite = true to keep only the last frame");
  /* the same frame again is fine, and a finished run starts anew */
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(png_single_file, overwrite_keeps_the_last_frame) {
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, TWO_FRAMES "png{image=f, path='o.png', overwrite=true}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  /* read it back: blue, frame 1's colour */
  p = load_ok(ctx, "canvas{width=8,height=8}\nlocal im = image{path='o.png', name='im'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
  float px[4];
  ysg_load_px(v->px, px);
  cr_assert(px[0] == 0.0f && px[2] == 1.0f, "got %g %g %g", px[0], px[1], px[2]);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(png_single_file, cli_exit_status) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua",
             "canvas{width=8,height=8,frames=2}\npng{image=fill{}, path='o.png', name='o'}\n");
  char cmd[1024], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua", dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
  cr_assert(strstr(err,
                   "p.lua:2: node 'o' (png): parameter 'path': 'o.png' has no frame pattern, "
                   "so frame 1 would replace frame 0's file"),
            "%s", err);
  free(out);
  free(err);
  /* one frame of a longer canvas is one file: fine */
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua --frames 1:2", dir, YSG_CLI_PATH);
  rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  free(out);
  free(err);
}

Test(png_single_file, exr_sink_too) {
#ifndef YSG_HAVE_OPENEXR
  cr_skip_test("built without OpenEXR: no exr sink");
#else
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, TWO_FRAMES "exr{image=f, path='o.exr', name='o'}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 2, NULL, NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (exr): parameter 'path': 'o.exr' has no frame pattern, so "
                   "frame 1 would replace frame 0's file: number the files (e.g. 'o_%04d.exr') or "
                   "set overwrite = true to keep only the last frame");
  ysg_pipeline_destroy(p);
  p = load_ok(ctx, TWO_FRAMES "exr{image=f, path='o.exr', overwrite=true}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 2, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
#endif
}

/* ---- CSV sources with a frame column set the frame count --------------------------------- */
static int frames_of(const char *src) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, src);
  int n = ysg_pipeline_canvas(p)->frames;
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return n;
}

Test(csv_frames, frame_column_sets_the_frame_count) {
  enter_tmp();
  ysgt_write(".", "pts.csv", "frame,x,y\n0,1,1\n4,2,2\n2,3,3\n");
  ysgt_write(".", "box.csv", "x,y,w,h,frame\n1,1,2,2,6\n");
  ysgt_write(".", "edg.csv", "i,j,frame\n0,1,0\n1,2,9\n");
  ysgt_write(".", "plain.csv", "x,y\n1,1\n");
  cr_assert_eq(frames_of("points{path='pts.csv', name='p'}\n"), 5);
  cr_assert_eq(frames_of("boxes{path='box.csv', name='b'}\n"), 7);
  cr_assert_eq(frames_of("edges{path='edg.csv', name='e'}\n"), 10);
  /* without a frame column: the default (1); a pipeline's own count wins */
  cr_assert_eq(frames_of("points{path='plain.csv', name='p'}\n"), 1);
  cr_assert_eq(frames_of("canvas{frames=2}\npoints{path='pts.csv', name='p'}\n"), 2);
}

/* ---- image sequences numbered from 1 ------------------------------------------------------- */
static void write_seq(int first, int last) {
  char src[512];
  snprintf(src, sizeof src,
           "canvas{width=8,height=4,frames=%d}\n"
           "png{image=fill{color=function(f) return f == %d and '#ff0000' or '#00ff00' end}, "
           "path='seq/%%04d.png'}\n",
           last + 1, first);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_run_range(p, first, last, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sequence_start, found_from_one) {
  enter_tmp();
  write_seq(1, 3); /* seq/0001.png (red) .. seq/0003.png */
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx, "local im = image{path='seq/%04d.png', name='im'}\n");
  cr_assert_eq(ysg_pipeline_canvas(p)->frames, 3);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
  float px[4];
  ysg_load_px(v->px, px);
  cr_assert(px[0] == 1.0f && px[1] == 0.0f, "frame 0 should show file 1 (red)");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sequence_start, errors_say_start) {
  enter_tmp();
  write_seq(5, 6);
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysgt_load(ctx, "image{path='seq/%04d.png', name='im'}\n", NULL), YSG_ERR_IO);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:1: node 'im' (image): parameter 'path': the sequence's first file does "
      "not exist: none of 'seq/0000.png' .. 'seq/0004.png' (set start = N for a "
      "sequence that begins later)");
  /* an explicit start is taken as it is */
  cr_assert_eq(ysgt_load(ctx, "image{path='seq/%04d.png', start=4, name='im'}\n", NULL),
               YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 'im' (image): parameter 'path': the sequence's first file "
                   "'seq/0004.png' does not exist (start = 4)");
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, "image{path='seq/%04d.png', start=5, name='im'}\n", &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_canvas(p)->frames, 2);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
