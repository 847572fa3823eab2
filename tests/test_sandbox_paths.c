/* test_sandbox_paths.c — what the paths of a sandboxed pipeline may reach: URL schemes (file:,
 * http:, pipe:, concat:, subfile,…) are refused in every PATH and OUTPUT parameter before FFmpeg
 * sees them (no network request is made: a local listener records none), FFmpeg never gets a
 * playlist or list that opens other files, symbolic links may not lead out of the pipeline's
 * directory (inputs) or the output directory (outputs) — for a whole file, a directory, one file
 * of an image sequence or a per-frame directory — video_out's temporary is created afresh beside
 * its target, and --unsafe lifts all of it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "video_fixture.h"

#define UNSAFE_HINT " (run with --unsafe to allow it)"

static char root[256];    /* the test's directory: the pipeline's directory (cwd) */
static char outside[512]; /* a directory beside it that the pipeline may not reach */

static ysg_context *lctx; /* the context load() uses */

static void setup(void) {
  snprintf(root, sizeof root, "%s", ysgt_tmpdir());
  cr_assert_eq(chdir(root), 0);
  snprintf(outside, sizeof outside, "%s", ysgt_tmpdir());
  lctx = ysgt_ctx();
}
static void teardown(void) { ysg_context_destroy(lctx); }
TestSuite(sandbox_paths, .init = setup, .fini = teardown);

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Load src in the test's directory (sandboxed unless unsafe); returns the status, message in msg.
 * keep: the pipeline is handed over (destroy it before the test ends). */
static ysg_status load(const char *src, int unsafe, char *msg, size_t cap, ysg_pipeline **keep) {
  ysg_context *ctx = lctx;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = unsafe;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p);
  snprintf(msg, cap, "%s", ysg_errmsg(ctx));
  if (s == YSG_OK && keep) {
    *keep = p;
    return s;
  }
  if (p) ysg_pipeline_destroy(p);
  return s;
}

static void expect_refused(const char *src, const char *msg) {
  char got[4096];
  ysg_status s = load(src, 0, got, sizeof got, NULL);
  cr_expect_eq(s, YSG_ERR_PIPELINE, "%s for %s: %s", ysg_status_name(s), src, got);
  cr_expect_str_eq(got, msg, "for %s", src);
}

static void write_csv(const char *path) {
  FILE *f = fopen(path, "w");
  cr_assert(f, "%s", path);
  fputs("x,y\n1,2\n", f);
  fclose(f);
}

/* ---- URL schemes ----------------------------------------------------------------------------- */
Test(sandbox_paths, url_schemes_are_refused_in_every_path) {
  static const char *const urls[] = {"file:x.csv",
                                     "http://127.0.0.1:9/x.mp4",
                                     "pipe:0",
                                     "concat:a.mp4|b.mp4",
                                     "subfile,,0,10,:x",
                                     "data:text/plain,1",
                                     "tcp://localhost:9",
                                     "crypto+file:x"};
  static const char *const nodes[][2] = {{"points", "path"}, {"tracks", "path"},
                                         {"image", "path"},  {"video_in", "path"},
                                         {"png", "path"},    {"video_out", "path"}};
  for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++)
    for (size_t k = 0; k < sizeof nodes / sizeof nodes[0]; k++) {
      const int sink = !strcmp(nodes[k][0], "png") || !strcmp(nodes[k][0], "video_out");
      char src[1024], msg[2048], scheme[32];
      snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(urls[u], ":,"), urls[u]);
      snprintf(src, sizeof src, "canvas{width=16,height=16}\n%s{%spath='%s', name='n'}\n",
               nodes[k][0], sink ? "image=fill{}, " : "", urls[u]);
      snprintf(msg, sizeof msg,
               "test.lua:2: node 'n' (%s): parameter 'path': '%s': URLs ('%s:') are not allowed "
               "in sandboxed pipelines, only relative file paths" UNSAFE_HINT,
               nodes[k][0], urls[u], scheme);
      expect_refused(src, msg);
    }
}

Test(sandbox_paths, file_url_to_an_absolute_video) {
  char clip[1024], src[2048], msg[4096];
  snprintf(clip, sizeof clip, "%s/clip.mkv", outside);
  cr_assert_eq(ysgt_make_video(clip, "mpeg4", 32, 16, 2, 10, 0), 0);
  snprintf(src, sizeof src,
           "local v = video_in{path='file:%s', name='v'}\npng{image=v, path='o.png'}\n", clip);
  snprintf(msg, sizeof msg,
           "test.lua:1: node 'v' (video_in): parameter 'path': 'file:%s': URLs ('file:') are not "
           "allowed in sandboxed pipelines, only relative file paths" UNSAFE_HINT,
           clip);
  expect_refused(src, msg);
  /* --unsafe: the URL goes to FFmpeg as written */
  cr_assert_eq(load(src, 1, msg, sizeof msg, NULL), YSG_OK, "%s", msg);
}

Test(sandbox_paths, file_url_output_writes_nothing_outside) {
  char target[1024], src[2048], msg[4096];
  snprintf(target, sizeof target, "%s/x.mp4", outside);
  snprintf(src, sizeof src,
           "canvas{width=16,height=16,frames=2}\nvideo_out{image=fill{}, path='file:%s', "
           "name='o'}\n",
           target);
  snprintf(msg, sizeof msg,
           "test.lua:2: node 'o' (video_out): parameter 'path': 'file:%s': URLs ('file:') are not "
           "allowed in sandboxed pipelines, only relative file paths" UNSAFE_HINT,
           target);
  expect_refused(src, msg);
  char ls[1200], *out = NULL;
  snprintf(ls, sizeof ls, "ls -A '%s'", outside);
  cr_assert_eq(ysgt_sh(ls, &out, NULL), 0);
  cr_assert_str_eq(out, "", "left in the other directory: %s", out); /* no file, no temporary */
  free(out);
}

Test(sandbox_paths, no_network_request) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(srv >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(srv, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(srv, 4), 0);
  socklen_t len = sizeof a;
  cr_assert_eq(getsockname(srv, (struct sockaddr *)&a, &len), 0);
  fcntl(srv, F_SETFL, O_NONBLOCK);
  char src[512], msg[2048];
  snprintf(src, sizeof src, "video_in{path='http://127.0.0.1:%d/x.mp4', name='v'}\n",
           ntohs(a.sin_port));
  cr_assert_eq(load(src, 0, msg, sizeof msg, NULL), YSG_ERR_PIPELINE);
  cr_assert(strstr(msg, "URLs ('http:') are not allowed in sandboxed pipelines"), "%s", msg);
  int c = accept(srv, NULL, NULL);
  cr_assert_lt(c, 0, "ysgraph connected to the listener");
  close(srv);
}

/* ---- FFmpeg formats that open other files ------------------------------------------------ */
Test(sandbox_paths, playlists_and_lists_are_refused) {
  char clip[1024], text[2048], msg[4096];
  snprintf(clip, sizeof clip, "%s/clip.ts", outside);
  cr_assert_eq(ysgt_make_video(clip, "mpeg4", 32, 16, 4, 10, 0), 0);
  snprintf(text, sizeof text,
           "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:0.4,\n%s\n"
           "#EXT-X-ENDLIST\n",
           clip);
  ysgt_write(root, "list.m3u8", text);
  snprintf(msg, sizeof msg,
           "test.lua:1: node 'v' (video_in): parameter 'path': 'list.m3u8' is a hls file, which "
           "makes FFmpeg open other files: sandboxed pipelines read self-contained video files "
           "only" UNSAFE_HINT);
  expect_refused("video_in{path='list.m3u8', name='v'}\n", msg);
  ysgt_write(root, "list.txt", "ffconcat version 1.0\nfile clip.ts\n");
  expect_refused("video_in{path='list.txt', name='v'}\n",
                 "test.lua:1: node 'v' (video_in): parameter 'path': 'list.txt' is a concat file, "
                 "which makes FFmpeg open other files: sandboxed pipelines read self-contained "
                 "video files only" UNSAFE_HINT);
  /* --unsafe: FFmpeg reads the playlist and what it names */
  char got[4096];
  ysg_pipeline *p = NULL;
  cr_assert_eq(load("video_in{path='list.m3u8', name='v'}\n", 1, got, sizeof got, &p), YSG_OK, "%s",
               got);
  ysg_pipeline_destroy(p);
}

/* ---- symbolic links ---------------------------------------------------------------------- */
Test(sandbox_paths, link_to_a_file_outside) {
  char target[1024], msg[4096], got[4096];
  snprintf(target, sizeof target, "%s/secret.csv", outside);
  write_csv(target);
  cr_assert_eq(symlink(target, "pts.csv"), 0);
  snprintf(msg, sizeof msg,
           "test.lua:1: node 'p' (points): parameter 'path': 'pts.csv' leads to '%s' through a "
           "symbolic link: sandboxed pipelines may not leave the pipeline's directory" UNSAFE_HINT,
           target);
  expect_refused("points{path='pts.csv', name='p'}\n", msg);
  cr_assert_eq(load("points{path='pts.csv', name='p'}\n", 1, got, sizeof got, NULL), YSG_OK, "%s",
               got);
  /* a link that stays inside is fine */
  write_csv("real.csv");
  cr_assert_eq(symlink("real.csv", "alias.csv"), 0);
  cr_assert_eq(load("points{path='alias.csv', name='p'}\n", 0, got, sizeof got, NULL), YSG_OK, "%s",
               got);
}

Test(sandbox_paths, linked_directory_for_outputs) {
  cr_assert_eq(symlink(outside, "frames"), 0);
  char got[4096];
  ysg_status s = load(
      "canvas{width=8,height=8,frames=2}\n"
      "png{image=fill{}, path='frames/%04d.png', name='o'}\n",
      0, got, sizeof got, NULL);
  cr_assert_eq(s, YSG_ERR_PIPELINE, "%s", got);
  char want[2048];
  snprintf(want, sizeof want,
           "test.lua:2: node 'o' (png): parameter 'path': 'frames/%%04d.png' leads to '%s' "
           "through a symbolic link: sandboxed pipelines may not leave the output "
           "directory" UNSAFE_HINT,
           outside);
  cr_assert_str_eq(got, want);
  char probe[1024];
  snprintf(probe, sizeof probe, "%s/0000.png", outside);
  cr_assert(!exists(probe));
}

Test(sandbox_paths, linked_file_in_an_image_sequence) {
  char got[4096];
  ysg_pipeline *p = NULL;
  cr_assert_eq(load("canvas{width=8,height=8,frames=3}\n"
                    "png{image=fill{color='#ff0000'}, path='seq/%04d.png'}\n",
                    0, got, sizeof got, &p),
               YSG_OK, "%s", got);
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 2, NULL, NULL), YSG_OK);
  ysg_pipeline_destroy(p);
  char target[1024];
  snprintf(target, sizeof target, "%s/other.png", outside);
  cr_assert_eq(rename("seq/0001.png", target), 0);
  cr_assert_eq(symlink(target, "seq/0001.png"), 0);
  p = NULL;
  cr_assert_eq(load("png{image=image{path='seq/%04d.png', name='i'}, path='o%d.png'}\n", 0, got,
                    sizeof got, &p),
               YSG_OK, "%s", got);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  ysg_pipeline_destroy(p);
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(
                   ctx, "png{image=image{path='seq/%04d.png', name='i'}, path='o%d.png'}\n",
                   "test.lua", &lo, &p),
               YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_ERR_PIPELINE);
  char want[2048];
  snprintf(
      want, sizeof want,
      "test.lua:1: node 'i' (image): parameter 'path': 'seq/0001.png' leads to '%s' through "
      "a symbolic link: sandboxed pipelines may not leave the pipeline's directory" UNSAFE_HINT,
      target);
  cr_assert_str_eq(ysg_errmsg(ctx), want);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sandbox_paths, linked_per_frame_directory) {
  cr_assert_eq(symlink(outside, "f0001"), 0);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx,
                         "canvas{width=8,height=8,frames=2}\n"
                         "png{image=fill{}, path='f%04d/x.png', name='o'}\n",
                         &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_status s = ysg_pipeline_run_range(p, 0, 1, NULL, NULL);
  cr_assert_eq(s, YSG_ERR_PIPELINE, "%s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  char want[2048];
  snprintf(want, sizeof want,
           "test.lua:2: node 'o' (png): cannot write 'f0001/x.png': it leads to '%s' through a "
           "symbolic link: sandboxed pipelines may not leave the output directory" UNSAFE_HINT,
           outside);
  cr_assert_str_eq(ysg_errmsg(ctx), want);
  cr_assert(exists("f0000/x.png"));
  char probe[1024];
  snprintf(probe, sizeof probe, "%s/x.png", outside);
  cr_assert(!exists(probe), "wrote through the link");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sandbox_paths, linked_per_frame_directory_exr) {
#ifndef YSG_HAVE_OPENEXR
  cr_skip_test("built without OpenEXR: no exr sink");
#else
  cr_assert_eq(symlink(outside, "f0001"), 0);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx,
                         "canvas{width=8,height=8,frames=2}\n"
                         "exr{image=fill{}, path='f%04d/x.exr', name='o'}\n",
                         &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_ERR_PIPELINE);
  char want[2048];
  snprintf(want, sizeof want,
           "test.lua:2: node 'o' (exr): cannot write 'f0001/x.exr': it leads to '%s' through a "
           "symbolic link: sandboxed pipelines may not leave the output directory" UNSAFE_HINT,
           outside);
  cr_assert_str_eq(ysg_errmsg(ctx), want);
  char probe[1024];
  snprintf(probe, sizeof probe, "%s/x.exr", outside);
  cr_assert(!exists(probe), "wrote through the link");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
#endif
}

Test(sandbox_paths, video_out_temporary_is_created_afresh) {
  /* a link waiting under the temporary's name is replaced, not written through */
  char target[1024], tmp[256];
  snprintf(target, sizeof target, "%s/victim", outside);
  ysgt_write(outside, "victim", "keep me");
  snprintf(tmp, sizeof tmp, ".o.mkv.part-%ld", (long)getpid());
  cr_assert_eq(symlink(target, tmp), 0);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx,
                         "canvas{width=16,height=16,frames=2}\n"
                         "video_out{image=fill{color='#336699'}, path='o.mkv', codec='vp9', "
                         "encoder='software', name='o'}\n",
                         &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  char *kept = ysgt_read(target, NULL);
  cr_assert_str_eq(kept, "keep me");
  free(kept);
  cr_assert(exists("o.mkv") && !exists(tmp));
}
