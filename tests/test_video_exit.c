/* test_video_exit.c — the CLI's exit status for bad video data is that of any bad data file: an
 * unreadable (random bytes), zero-byte or truncated video exits like a bad PNG (1, bad data), a
 * container that cannot hold the codec like an unknown container (1), and a missing video like
 * a missing PNG. One pipeline per case, run through the ysgraph binary. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifdef YSG_HAVE_FFMPEG
#include "video_fixture.h"

static const char *dir;

static void setup(void) { dir = ysgt_tmpdir(); }
TestSuite(video_exit, .init = setup);

/* Run `lua` (written as p.lua in dir); returns the exit status, stderr in *err (free it). */
static int run(const char *lua, char **err) {
  ysgt_write(dir, "p.lua", lua);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua", dir, YSG_CLI_PATH);
  return ysgt_sh(cmd, NULL, err);
}

static void expect_exit(const char *lua, int code, const char *fragment) {
  char *err = NULL;
  int rc = run(lua, &err);
  cr_expect_eq(rc, code, "exit %d (expected %d) for:\n%s\nstderr: %s", rc, code, lua, err);
  cr_expect(strstr(err, fragment), "stderr lacks \"%s\": %s", fragment, err);
  free(err);
}

static void write_bytes(const char *name, const void *data, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  if (n) cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void random_bytes(const char *name) {
  static unsigned char junk[32768];
  uint32_t x = 99;
  for (size_t i = 0; i < sizeof junk; i++) x = x * 1664525u + 1013904223u, junk[i] = x >> 24;
  write_bytes(name, junk, sizeof junk);
}

Test(video_exit, bad_video_data_is_bad_data) {
  write_bytes("empty.mp4", "", 0);
  expect_exit("png{image=video_in{path='empty.mp4', name='v'}, path='o.png'}\n", 1,
              "p.lua:1: node 'v' (video_in): parameter 'path': cannot open 'empty.mp4': ");
  random_bytes("junk.mkv");
  expect_exit("png{image=video_in{path='junk.mkv', name='v'}, path='o.png'}\n", 1,
              "cannot open 'junk.mkv': Invalid data found when processing input");
  /* a truncated mp4 has no index */
  char full[1024];
  snprintf(full, sizeof full, "%s/full.mp4", dir);
  cr_assert_eq(ysgt_make_video(full, "mpeg4", 64, 32, 10, 10, 0), 0);
  size_t n = 0;
  char *bytes = ysgt_read(full, &n);
  write_bytes("half.mp4", bytes, n / 2);
  free(bytes);
  expect_exit("png{image=video_in{path='half.mp4', name='v'}, path='o.png'}\n", 1,
              "cannot open 'half.mp4': ");
  /* the PNG equivalents exit the same way */
  random_bytes("junk.png");
  expect_exit("png{image=image{path='junk.png', name='i'}, path='o.png'}\n", 1,
              "cannot read PNG 'junk.png': not a PNG file");
  write_bytes("empty.png", "", 0);
  expect_exit("png{image=image{path='empty.png', name='i'}, path='o.png'}\n", 1,
              "cannot read PNG 'empty.png': not a PNG file");
}

Test(video_exit, container_codec_mismatch_is_like_an_unknown_container) {
  expect_exit("canvas{width=16,height=16}\nvideo_out{image=fill{}, path='a.avi', name='o'}\n", 1,
              "unknown container extension '.avi'");
  expect_exit("canvas{width=16,height=16}\nvideo_out{image=fill{}, path='a.webm', name='o'}\n", 1,
              "parameter 'codec': a .webm file cannot hold h264 video (it holds av1, vp9)");
}

Test(video_exit, missing_video_is_like_a_missing_png) {
  char *err = NULL;
  int video = run("png{image=video_in{path='nothere.mp4'}, path='o.png'}\n", &err);
  cr_expect(strstr(err, "cannot open 'nothere.mp4': No such file or directory"), "%s", err);
  free(err);
  int png = run("png{image=image{path='nothere.png'}, path='o.png'}\n", &err);
  cr_expect(strstr(err, "cannot read PNG 'nothere.png': No such file or directory"), "%s", err);
  free(err);
  cr_expect_eq(video, png, "missing video exits %d, missing PNG %d", video, png);
  cr_expect_neq(video, 0);
}

#else
Test(video_exit, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video nodes"); }
#endif
