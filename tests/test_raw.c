/* test_raw.c — the `raw` sink and `ysgraph run --pipe` (nodes/raw.c, nodes/raw_pipe.c): y4m
 * streams parsed here and checked against an independent BT.709 conversion in double precision
 * (4:2:0 and 4:4:4, limited and full range), rgba against ysg_pipeline_read_image, files renamed
 * only when finished, and the CLI into ffmpeg, a reader that exits early, and --pipe's errors. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "color.h"
#include "util.h"

#define W 64
#define H 48
#define FRAMES 3

static const char *scene_sized(int w, int h, const char *sink) {
  static char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d, height=%d, frames=%d, fps=25}\n"
           "local g = gradient{from='#000000', to='#f0e0d0', angle=function(f) return 30 * f end}\n"
           "local d = dot{points=scatter{count=12, seed=5}, radius=4, color='#20ff4080'}\n"
           "local m = merge{layers={g, d}, name='pic'}\n"
           "%s\n",
           w, h, FRAMES, sink);
  return src;
}

static const char *scene(const char *sink) { return scene_sized(W, H, sink); }

/* run the scene with sink, keeping 'pic'; frames[f] gets a copy of each frame's FP16 pixels */
static void run_scene(const char *dir, const char *sink, uint16_t *frames[FRAMES],
                      uint8_t *rgba8[FRAMES], int finish) {
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  const char *keep[] = {"pic"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, scene(sink), "t.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  for (int f = 0; f < FRAMES; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v;
    cr_assert_eq(ysg_pipeline_get_value(p, "pic", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    if (frames) {
      frames[f] = malloc((size_t)W * H * 8);
      memcpy(frames[f], v->px, (size_t)W * H * 8);
    }
    if (rgba8) {
      rgba8[f] = malloc((size_t)W * H * 4);
      cr_assert_eq(
          ysg_pipeline_read_image(p, "pic", YSG_RGBA8_SRGB, rgba8[f], (size_t)W * H * 4, W * 4),
          YSG_OK);
    }
  }
  if (finish) cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- an independent reference: double precision, formulas written out ------------------------ */
static double oetf(double v) {
  v = v < 0 ? 0 : v > 1 ? 1 : v;
  return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

static void ref_yuv(const double rgb[3], int full, double *y, double *cb, double *cr) {
  double Y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  double pb = (rgb[2] - Y) / 1.8556, pr = (rgb[0] - Y) / 1.5748;
  *y = full ? 255 * Y : 16 + 219 * Y;
  *cb = 128 + (full ? 255 : 224) * pb;
  *cr = 128 + (full ? 255 : 224) * pr;
}

static void prime(const uint16_t *px, int x, int y, double out[3]) {
  for (int c = 0; c < 3; c++) out[c] = oetf(ysg_half_to_float(px[((size_t)y * W + x) * 4 + c]));
}

static int near(double want, int got) { return fabs(want - got) <= 1.0; }

/* parse a y4m stream: header line, then FRAME lines and planes; returns the frames' bytes */
static const unsigned char *y4m_frames(const char *data, size_t len, const char *want_header,
                                       size_t frame_bytes, int *count) {
  const char *nl = memchr(data, '\n', len);
  cr_assert(nl, "no header line");
  cr_assert_eq((size_t)(nl - data), strlen(want_header), "header '%.*s'", (int)(nl - data), data);
  cr_assert(!memcmp(data, want_header, strlen(want_header)), "header '%.*s'", (int)(nl - data),
            data);
  const unsigned char *p = (const unsigned char *)nl + 1, *end = (const unsigned char *)data + len;
  *count = 0;
  for (const unsigned char *q = p; q < end; q += 6 + frame_bytes) {
    cr_assert(end - q >= (ptrdiff_t)(6 + frame_bytes), "frame %d is cut short", *count);
    cr_assert(!memcmp(q, "FRAME\n", 6), "frame %d has no FRAME tag", *count);
    (*count)++;
  }
  return p;
}

static void check_y4m(int chroma444, int full) {
  const char *dir = ysgt_tmpdir();
  char sink[256];
  snprintf(sink, sizeof sink, "raw{image=m, path='s.y4m', chroma='%s', range='%s'}",
           chroma444 ? "444" : "420", full ? "full" : "limited");
  uint16_t *ref[FRAMES];
  run_scene(dir, sink, ref, NULL, 1);
  char path[512], header[256];
  snprintf(path, sizeof path, "%s/s.y4m", dir);
  size_t len;
  char *data = ysgt_read(path, &len);
  cr_assert(data, "no %s", path);
  snprintf(header, sizeof header, "YUV4MPEG2 W%d H%d F25:1 Ip A1:1 %s XCOLORRANGE=%s", W, H,
           chroma444 ? "C444 XYSCSS=444" : "C420jpeg XYSCSS=420JPEG", full ? "FULL" : "LIMITED");
  const int cw = chroma444 ? W : W / 2, ch = chroma444 ? H : H / 2;
  const size_t fb = (size_t)W * H + 2 * (size_t)cw * ch;
  int count;
  const unsigned char *p = y4m_frames(data, len, header, fb, &count);
  cr_assert_eq(count, FRAMES);
  int bad = 0;
  for (int f = 0; f < FRAMES; f++) {
    const unsigned char *Y = p + (size_t)f * (6 + fb) + 6, *U = Y + (size_t)W * H,
                        *V = U + (size_t)cw * ch;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        double rgb[3], yy, cb, cr;
        prime(ref[f], x, y, rgb);
        ref_yuv(rgb, full, &yy, &cb, &cr);
        if (!near(yy, Y[y * W + x]) && bad++ < 5)
          cr_expect_fail("frame %d Y(%d, %d): %d, want %.2f", f, x, y, Y[y * W + x], yy);
      }
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        double m[3] = {0, 0, 0}, rgb[3], yy, cb, cr;
        int s = chroma444 ? 1 : 2;
        for (int dy = 0; dy < s; dy++)
          for (int dx = 0; dx < s; dx++) {
            prime(ref[f], x * s + dx, y * s + dy, rgb);
            for (int c = 0; c < 3; c++) m[c] += rgb[c] / (s * s);
          }
        ref_yuv(m, full, &yy, &cb, &cr);
        if ((!near(cb, U[y * cw + x]) || !near(cr, V[y * cw + x])) && bad++ < 5)
          cr_expect_fail("frame %d CbCr(%d, %d): %d %d, want %.2f %.2f", f, x, y, U[y * cw + x],
                         V[y * cw + x], cb, cr);
      }
    free(ref[f]);
  }
  cr_expect_eq(bad, 0, "%d samples off by more than one code value", bad);
  free(data);
}

Test(raw, y4m_420_limited) { check_y4m(0, 0); }
Test(raw, y4m_444_full) { check_y4m(1, 1); }

Test(raw, rgba_is_srgb_straight) {
  const char *dir = ysgt_tmpdir();
  uint8_t *ref[FRAMES];
  run_scene(dir, "raw{image=m, path='s.rgba', format='rgba'}", NULL, ref, 1);
  char path[512];
  snprintf(path, sizeof path, "%s/s.rgba", dir);
  size_t len;
  unsigned char *data = (unsigned char *)ysgt_read(path, &len);
  cr_assert_eq(len, (size_t)W * H * 4 * FRAMES);
  for (int f = 0; f < FRAMES; f++) {
    cr_expect(!memcmp(data + (size_t)f * W * H * 4, ref[f], (size_t)W * H * 4), "frame %d", f);
    free(ref[f]);
  }
  free(data);
}

Test(raw, file_appears_only_when_finished) {
  const char *dir = ysgt_tmpdir();
  run_scene(dir, "raw{image=m, path='out/x.y4m'}", NULL, NULL, 0);
  char path[512];
  snprintf(path, sizeof path, "%s/out/x.y4m", dir);
  struct stat sb;
  cr_expect_neq(stat(path, &sb), 0, "an unfinished stream was left under its name");
  char cmd[600], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "ls -A %s/out", dir);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0);
  cr_expect_str_eq(out, "", "left behind: %s", out);
  free(out), free(err);
  run_scene(dir, "raw{image=m, path='out/x.y4m'}", NULL, NULL, 1);
  cr_expect_eq(stat(path, &sb), 0, "no file after finish");
}

Test(raw, bad_paths) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysgt_expect_load_fail(
      scene("raw{image=m, path='f/%04d.y4m'}"), &lo, YSG_ERR_PIPELINE,
      "test.lua:5: node 'raw_1' (raw): parameter 'path': 'f/%04d.y4m': raw writes "
      "one stream, not a file per frame (png and exr take frame patterns)");
}

/* ---- the CLI ----------------------------------------------------------------------------------
 */
static const char *cli_file(const char *dir) { return ysgt_write(dir, "p.lua", scene("")); }

Test(raw, cli_pipe_into_ffmpeg) {
  if (system("ffmpeg -version >/dev/null 2>&1") != 0) cr_skip_test("ffmpeg is not installed");
  const char *dir = ysgt_tmpdir();
  const char *file = cli_file(dir);
  char cmd[2048], *out = NULL, *err = NULL;
  /* what ffmpeg decodes from the pipe is what the sink writes to a file */
  snprintf(cmd, sizeof cmd,
           "cd %s && %s run %s -q --pipe y4m | ffmpeg -loglevel error -f yuv4mpegpipe -i - -f "
           "rawvideo -pix_fmt yuv420p piped.yuv",
           dir, YSG_CLI_PATH, file);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  free(out), free(err);
  run_scene(dir, "raw{image=m, path='file.y4m'}", NULL, NULL, 1);
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/piped.yuv", dir);
  snprintf(b, sizeof b, "%s/file.y4m", dir);
  size_t la, lb;
  char *pa = ysgt_read(a, &la), *pb = ysgt_read(b, &lb);
  cr_assert(pa && pb);
  const size_t fb = (size_t)W * H * 3 / 2;
  cr_assert_eq(la, fb * FRAMES, "ffmpeg decoded %zu bytes", la);
  const char *nl = memchr(pb, '\n', lb);
  for (int f = 0; f < FRAMES; f++)
    cr_expect(!memcmp(pa + (size_t)f * fb, nl + 1 + (size_t)f * (fb + 6) + 6, fb), "frame %d", f);
  free(pa), free(pb);
}

Test(raw, cli_reader_exits_early) {
  const char *dir = ysgt_tmpdir();
  /* frames far larger than a pipe's buffer (64 KiB on Linux), so the writer is still writing
     when `head` has gone: at 64x48 all three frames fit in the buffer and the run ends cleanly */
  const char *file = ysgt_write(dir, "p.lua", scene_sized(640, 480, ""));
  char cmd[2048], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd,
           "bash -c '%s run %s -q --frames 0:3 --pipe rgba | head -c 100 >/dev/null; exit "
           "${PIPESTATUS[0]}'",
           YSG_CLI_PATH, file);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_expect_eq(rc, 3, "exit code %d, stderr: %s", rc, err);
  cr_expect(strstr(err,
                   "p.lua:4: node 'pipe' (raw): standard output was closed by its reader "
                   "after ") != NULL &&
                strstr(err, "(broken pipe): stopping\n") != NULL,
            "stderr: %s", err);
  free(out), free(err);
}

Test(raw, cli_pipe_errors) {
  const char *dir = ysgt_tmpdir();
  const char *file = cli_file(dir);
  char cmd[2048], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "%s run %s --pipe yuv | cat", YSG_CLI_PATH, file);
  cr_expect_eq(ysgt_sh(cmd, &out, &err), 0); /* cat's status; the message says it */
  cr_expect_str_eq(err, "ysgraph: --pipe 'yuv': expected y4m, y4m444 or rgba[=NODE[.PORT]]\n");
  free(out), free(err);
  snprintf(cmd, sizeof cmd, "%s run %s -q --pipe y4m=nothing > /dev/null", YSG_CLI_PATH, file);
  cr_expect_eq(ysgt_sh(cmd, &out, &err), 1);
  char want[1024];
  snprintf(want, sizeof want, "ysgraph: %s: --pipe: no node named 'nothing'\n", file);
  cr_expect_str_eq(err, want);
  free(out), free(err);
  snprintf(cmd, sizeof cmd, "%s run %s -q --pipe y4m=scatter_1 > /dev/null", YSG_CLI_PATH, file);
  cr_expect_eq(ysgt_sh(cmd, &out, &err), 1);
  snprintf(want, sizeof want,
           "ysgraph: %s: --pipe: 'scatter_1' is not an image (node 'scatter_1' is a scatter)\n",
           file);
  cr_expect_str_eq(err, want);
  free(out), free(err);
  /* two unconsumed images, no sink: ambiguous */
  const char *two = ysgt_write(dir, "two.lua",
                               "canvas{width=8, height=8}\nlocal a = fill{color='#ff0000'}\n"
                               "local b = fill{color='#00ff00'}\n");
  snprintf(cmd, sizeof cmd, "%s run %s -q --pipe y4m > /dev/null", YSG_CLI_PATH, two);
  cr_expect_eq(ysgt_sh(cmd, &out, &err), 1);
  snprintf(want, sizeof want,
           "ysgraph: %s: --pipe: several images could be streamed ('fill_1', 'fill_2'): name "
           "one, e.g. --pipe y4m=fill_1\n",
           two);
  cr_expect_str_eq(err, want);
  free(out), free(err);
}
