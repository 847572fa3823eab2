/* test_frame_pattern.c — frame patterns ("%04d") in file names: the one formatter every writer
 * and reader shares validates the width (at most YSG_FRAME_WIDTH_MAX) and never truncates; a too
 * wide pattern ("f%99d.png", which once over-read a 32-byte stack buffer) is a clear error in the
 * png sink, in image sequences and in `--dump`, and widths at the limit work in each. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

#define WIDE_MSG "frame pattern '%99d' is too wide (a width of at most 16, e.g. %016d)"

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* ---- the formatter ----------------------------------------------------------------------------
 */
Test(frame_pattern, widths_up_to_the_limit) {
  char out[64], err[256];
  cr_assert_eq(ysg__format_frame_path("f%016d.png", 7, out, sizeof out, err, sizeof err), YSG_OK);
  cr_assert_str_eq(out, "f0000000000000007.png");
  cr_assert_eq(ysg__format_frame_path("f%16d.png", 7, out, sizeof out, err, sizeof err), YSG_OK);
  cr_assert_str_eq(out, "f               7.png");
  cr_assert_eq(ysg__format_frame_path("%016d", INT_MAX, out, sizeof out, err, sizeof err), YSG_OK);
  cr_assert_str_eq(out, "0000002147483647");
  cr_assert_eq(ysg__format_frame_path("%016d", INT_MIN, out, sizeof out, err, sizeof err), YSG_OK);
  cr_assert_str_eq(out, "-000002147483648");
  cr_assert_eq(ysg__check_frame_pattern("a/%016d/b%%.png", err, sizeof err), YSG_OK);
}

Test(frame_pattern, too_wide_is_an_error) {
  char out[64], err[256];
  cr_assert_eq(ysg__format_frame_path("f%99d.png", 1, out, sizeof out, err, sizeof err),
               YSG_ERR_INVALID);
  cr_assert_str_eq(err, WIDE_MSG);
  cr_assert_eq(ysg__check_frame_pattern("f%99d.png", err, sizeof err), YSG_ERR_INVALID);
  cr_assert_str_eq(err, WIDE_MSG);
  cr_assert_eq(ysg__format_frame_path("%017d", 1, out, sizeof out, err, sizeof err),
               YSG_ERR_INVALID);
  cr_assert_str_eq(err, "frame pattern '%017d' is too wide (a width of at most 16, e.g. %016d)");
  /* digits past any int do not overflow the width */
  cr_assert_eq(
      ysg__format_frame_path("%99999999999999999999d", 1, out, sizeof out, err, sizeof err),
      YSG_ERR_INVALID);
  cr_assert(strstr(err, "is too wide"), "%s", err);
  cr_assert_eq(ysg__has_frame_pattern("f%99d.png"), 1);
}

Test(frame_pattern, never_truncates) {
  char out[8], err[256];
  /* the number alone (16 characters) does not fit in 8 bytes: an error, not a cut name */
  cr_assert_eq(ysg__format_frame_path("%016d", 5, out, sizeof out, err, sizeof err),
               YSG_ERR_INVALID);
  cr_assert_str_eq(err, "path is too long (more than 7 bytes)");
  cr_assert_eq(ysg__format_frame_path("%07d", 5, out, sizeof out, err, sizeof err), YSG_OK);
  cr_assert_str_eq(out, "0000005");
}

/* ---- every place that expands a pattern ------------------------------------------------------ */
static void expect_load_error(const char *src, const char *msg) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, YSG_ERR_PIPELINE, "%s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_assert_null(p);
  cr_assert_str_eq(ysg_errmsg(ctx), msg);
  ysg_context_destroy(ctx);
}

static void run_ok(const char *src, int frames) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, src, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_range(p, 0, frames - 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(frame_pattern, png_sink) {
  enter_tmp();
  expect_load_error(
      "canvas{width=8,height=8,frames=2}\n"
      "png{image=fill{color='#ff0000'}, path='f%99d.png', name='o'}\n",
      "test.lua:2: node 'o' (png): parameter 'path': " WIDE_MSG);
  cr_assert(!exists("f"));
  run_ok(
      "canvas{width=8,height=8,frames=2}\n"
      "png{image=fill{color='#ff0000'}, path='f%016d.png', name='o'}\n",
      2);
  cr_assert(exists("f0000000000000000.png") && exists("f0000000000000001.png"));
}

Test(frame_pattern, image_sequence) {
  enter_tmp();
  expect_load_error(
      "canvas{width=8,height=8}\n"
      "png{image=image{path='seq/%99d.png', name='i'}, path='o.png'}\n",
      "test.lua:2: node 'i' (image): parameter 'path': " WIDE_MSG);
  run_ok(
      "canvas{width=8,height=8,frames=2}\n"
      "png{image=fill{color='#00ff00'}, path='seq/%016d.png'}\n",
      2);
  run_ok("png{image=image{path='seq/%016d.png'}, path='o%d.png'}\n", 2);
  cr_assert(exists("o0.png") && exists("o1.png") && !exists("o2.png"));
}

Test(frame_pattern, cli_dump) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua",
             "canvas{width=8,height=8,frames=2}\n"
             "local f = fill{color='#0000ff', name='f'}\n"
             "png{image=f, path='o%d.png'}\n");
  char cmd[2048], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua --dump 'f=d%%99d.png'", dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 1, "exit %d, stderr: %s", rc, err);
  cr_assert(strstr(err, "path 'd%99d.png': " WIDE_MSG), "stderr: %s", err);
  free(out);
  free(err);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua --dump 'f=d%%016d.png'", dir, YSG_CLI_PATH);
  rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
  char path[1024];
  snprintf(path, sizeof path, "%s/d0000000000000001.png", dir);
  cr_assert(exists(path), "no %s", path);
  free(out);
  free(err);
}
