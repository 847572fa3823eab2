/* test_video_color.c — video colour against independent references. HDR input (PQ and HLG, BT.2020)
 * decodes to display light relative to reference white in BT.709 primaries, checked against the
 * BT.2100 formulas evaluated here in double precision; video_out tags its files BT.709 (primaries,
 * matrix, transfer, range) unless transfer_tag says sRGB; and the RGB -> Y'CbCr -> RGB round trip
 * on FFmpeg's testsrc2 loses no more than FFmpeg's own at the same crf: a video through video_in
 * and video_out (outside an overlay), and an RGB source through video_out and video_in. Test
 * inputs and FFmpeg's side are made with the ffmpeg command-line tool. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "util.h"

#ifdef YSG_HAVE_FFMPEG
#include <libavformat/avformat.h>

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

static void sh(const char *cmd) {
  char *err = NULL;
  int rc = ysgt_sh(cmd, NULL, &err);
  cr_assert_eq(rc, 0, "`%s` failed (%d): %s", cmd, rc, err);
  free(err);
}

/* ---- HDR input ------------------------------------------------------------------------------ */
#define HW 16 /* a 16×16 frame of four 8×8 patches */

/* 10-bit limited-range Y'CbCr of each patch: reference white in PQ (Y' = 0.581), a highlight,
 * black, and a saturated colour outside BT.709 */
static const int patch[4][3] = {{573, 512, 512}, {800, 512, 512}, {64, 512, 512}, {600, 300, 350}};

static double pq_eotf(double e) { /* SMPTE ST 2084, cd/m² */
  const double m1 = 0.1593017578125, m2 = 78.84375, c1 = 0.8359375, c2 = 18.8515625, c3 = 18.6875;
  double p = pow(e, 1.0 / m2);
  return 10000.0 * pow(fmax(p - c1, 0.0) / (c2 - c3 * p), 1.0 / m1);
}

static double hlg_inverse_oetf(double e) { /* BT.2100, scene light 0..1 */
  const double a = 0.17883277, b = 1.0 - 4.0 * a, c = 0.5 - a * log(4.0 * a);
  return e <= 0.5 ? e * e / 3.0 : (exp((e - c) / a) + b) / 12.0;
}

/* What the patch should decode to: linear BT.709 RGB, 1.0 = 203 cd/m² */
static void expected(const int ycc[3], int hlg, double out[3]) {
  const double kr = 0.2627, kb = 0.0593, kg = 1.0 - kr - kb;
  double y = (ycc[0] - 64) / 876.0, pb = (ycc[1] - 512) / 896.0, pr = (ycc[2] - 512) / 896.0;
  double rgb[3] = {y + 2 * (1 - kr) * pr, 0, y + 2 * (1 - kb) * pb};
  rgb[1] = (y - kr * rgb[0] - kb * rgb[2]) / kg;
  double lin[3];
  for (int c = 0; c < 3; c++) {
    double e = fmin(fmax(rgb[c], 0.0), 1.0);
    lin[c] = hlg ? hlg_inverse_oetf(e) : pq_eotf(e) / 203.0;
  }
  if (hlg) { /* OOTF: 1000 cd/m² peak, gamma 1.2, on the scene luminance */
    double ys = 0.2627 * lin[0] + 0.6780 * lin[1] + 0.0593 * lin[2];
    for (int c = 0; c < 3; c++) lin[c] *= ys > 0 ? 1000.0 * pow(ys, 0.2) / 203.0 : 0.0;
  }
  /* BT.2020 -> BT.709 from the primaries (BT.2087), out-of-gamut components clipped */
  static const double m[3][3] = {{1.660491, -0.587641, -0.072850},
                                 {-0.124550, 1.132900, -0.008349},
                                 {-0.018151, -0.100579, 1.118730}};
  for (int r = 0; r < 3; r++)
    out[r] = fmax(m[r][0] * lin[0] + m[r][1] * lin[1] + m[r][2] * lin[2], 0.0);
}

static void make_hdr(const char *path, const char *trc) {
  uint16_t planes[3][HW * HW];
  for (int y = 0; y < HW; y++)
    for (int x = 0; x < HW; x++)
      for (int c = 0; c < 3; c++) planes[c][y * HW + x] = (uint16_t)patch[(y / 8) * 2 + x / 8][c];
  FILE *f = fopen("in.yuv", "wb");
  cr_assert(f);
  fwrite(planes, 1, sizeof planes, f); /* little-endian host: yuv444p10le */
  fclose(f);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "ffmpeg -v error -y -f rawvideo -pix_fmt yuv444p10le -s %dx%d -r 1 -i in.yuv -c:v ffv1 "
           "-color_trc %s -color_primaries bt2020 -colorspace bt2020nc -color_range tv %s",
           HW, HW, trc, path);
  sh(cmd);
}

static void check_hdr(const char *trc, int hlg) {
  enter_tmp();
  make_hdr("hdr.mkv", trc);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, "video_in{path='hdr.mkv', name='v'}\n", &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "v", &v), YSG_OK);
  for (int k = 0; k < 4; k++) {
    double want[3];
    expected(patch[k], hlg, want);
    float got[4];
    ysg_load_px(v->px + ((size_t)(k / 2 * 8 + 3) * HW + (size_t)(k % 2 * 8 + 3)) * 4, got);
    cr_log_info("%s patch %d: %.4f %.4f %.4f (expected %.4f %.4f %.4f)", trc, k, got[0], got[1],
                got[2], want[0], want[1], want[2]);
    for (int c = 0; c < 3; c++)
      cr_assert(fabs(got[c] - want[c]) <= 2e-3 * fabs(want[c]) + 2e-4,
                "%s patch %d channel %d: %g, expected %g", trc, k, c, got[c], want[c]);
    cr_assert_eq(got[3], 1.0f);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(video_color, pq_input_is_display_light) {
  check_hdr("smpte2084", 0);
  /* the reference-white patch is white: 1.0 within the code value's step */
  double w[3];
  expected(patch[0], 0, w);
  cr_assert(fabs(w[0] - 1.0) < 0.01 && fabs(w[1] - 1.0) < 0.01, "%g %g", w[0], w[1]);
}

Test(video_color, hlg_input_is_display_light) { check_hdr("arib-std-b67", 1); }

Test(video_color, hdr_is_not_passed_through) {
  enter_tmp();
  /* BT.709 matrix and layout, so only the transfer tells it from SDR */
  sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=32x16:rate=10 -frames:v 2 -c:v ffv1 -pix_fmt "
     "yuv420p -color_trc smpte2084 -color_primaries bt709 -colorspace bt709 -color_range tv "
     "pq.mkv");
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysgt_load(ctx,
                         "local v = video_in{path='pq.mkv', name='v'}\n"
                         "video_out{image=v, source=v, path='o.mp4', name='o'}\n",
                         NULL),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "test.lua:2: node 'o' (video_out): input 'source': the video of 'v' is HDR (PQ), "
      "but this video is SDR BT.709: its pictures cannot be passed through (leave "
      "'source' unconnected)");
  ysg_context_destroy(ctx);
}

/* ---- tags of what video_out writes ------------------------------------------------------------
 */
typedef struct tags {
  enum AVColorPrimaries primaries;
  enum AVColorTransferCharacteristic trc;
  enum AVColorSpace matrix;
  enum AVColorRange range;
} tags;

static tags read_tags(const char *path) {
  AVFormatContext *ic = NULL;
  cr_assert_eq(avformat_open_input(&ic, path, NULL, NULL), 0, "%s", path);
  cr_assert_geq(avformat_find_stream_info(ic, NULL), 0);
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  cr_assert_geq(si, 0);
  const AVCodecParameters *par = ic->streams[si]->codecpar;
  tags t = {par->color_primaries, par->color_trc, par->color_space, par->color_range};
  avformat_close_input(&ic);
  return t;
}

static void encode(const char *path, const char *extra) {
  char src[512];
  snprintf(src, sizeof src,
           "canvas{width=32,height=16,frames=2,fps=10}\n"
           "video_out{image=fill{color='#336699'}, path='%s', encoder='software', "
           "preset='ultrafast'%s}\n",
           path, extra);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, src, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(video_color, output_is_tagged_bt709) {
  enter_tmp();
  encode("a.mp4", "");
  tags t = read_tags("a.mp4");
  cr_expect_eq(t.primaries, AVCOL_PRI_BT709);
  cr_expect_eq(t.trc, AVCOL_TRC_BT709);
  cr_expect_eq(t.matrix, AVCOL_SPC_BT709);
  cr_expect_eq(t.range, AVCOL_RANGE_MPEG);
  encode("b.mkv", ", transfer_tag='srgb', range='full'");
  t = read_tags("b.mkv");
  cr_expect_eq(t.primaries, AVCOL_PRI_BT709);
  cr_expect_eq(t.trc, AVCOL_TRC_IEC61966_2_1);
  cr_expect_eq(t.matrix, AVCOL_SPC_BT709);
  cr_expect_eq(t.range, AVCOL_RANGE_JPEG);
}

/* ---- the RGB <-> Y'CbCr round trip against FFmpeg's --------------------------------------- */
#define RW 320
#define RH 240
#define RN 10
#define CRF "18"

/* PSNR (8-bit) of a against b over every frame, skipping the rectangle [x0,x1)×[y0,y1) */
static double psnr_outside(const uint8_t *a, const uint8_t *b, int x0, int y0, int x1, int y1) {
  double se = 0;
  long n = 0;
  for (int f = 0; f < RN; f++)
    for (int y = 0; y < RH; y++)
      for (int x = 0; x < RW; x++) {
        if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
        for (int c = 0; c < 3; c++) {
          size_t i = (((size_t)f * RH + (size_t)y) * RW + (size_t)x) * 3 + (size_t)c;
          double d = (double)a[i] - (double)b[i];
          se += d * d;
          n++;
        }
      }
  return se > 0 ? 10.0 * log10(255.0 * 255.0 * (double)n / se) : 99.0;
}

/* a video's frames as 8-bit R'G'B' through the ffmpeg tool (its default conversion, tags honoured)
 */
static uint8_t *ffmpeg_rgb(const char *video) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -i %s -f rawvideo -pix_fmt rgb24 %s.rgb", video,
           video);
  sh(cmd);
  snprintf(cmd, sizeof cmd, "%s.rgb", video);
  size_t len = 0;
  uint8_t *px = (uint8_t *)ysgt_read(cmd, &len);
  cr_assert(px && len == (size_t)RW * RH * 3 * RN, "%s: %zu bytes", cmd, len);
  return px;
}

static void run_cli(const char *lua) {
  ysgt_write(".", "p.lua", lua);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' run p.lua", YSG_CLI_PATH);
  sh(cmd);
}

Test(video_color, video_round_trip_outside_an_overlay) {
  enter_tmp();
  sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -frames:v 10 -c:v libx264 "
     "-crf " CRF " -pix_fmt yuv420p src.mp4");
  /* FFmpeg's own round trip: decode to RGB, encode again at the same crf */
  sh("ffmpeg -v error -y -i src.mp4 -vf format=rgb24 -c:v libx264 -crf " CRF
     " -pix_fmt yuv420p ff.mp4");
  /* ysgraph: the video with a 48×48 overlay at (16, 16) */
  sh("ffmpeg -v error -y -f lavfi -i color=c=0xffd60a:size=48x48 -frames:v 1 logo.png");
  run_cli(
      "local v = video_in{path='src.mp4'}\n"
      "local logo = image{path='logo.png', x=16, y=16}\n"
      "video_out{image=merge{layers={v, logo}}, path='ys.mp4', crf=" CRF
      ", codec='h264', "
      "encoder='software'}\n");
  uint8_t *ref = ffmpeg_rgb("src.mp4"), *ff = ffmpeg_rgb("ff.mp4"), *ys = ffmpeg_rgb("ys.mp4");
  /* outside the overlay and the 8-pixel margin deblocking can reach */
  double p_ff = psnr_outside(ff, ref, 8, 8, 72, 72), p_ys = psnr_outside(ys, ref, 8, 8, 72, 72);
  cr_log_info(
      "testsrc2 %dx%d, crf %s, outside the overlay: FFmpeg's RGB round trip %.2f dB, "
      "ysgraph's %.2f dB",
      RW, RH, CRF, p_ff, p_ys);
  cr_assert_geq(p_ys, p_ff - 0.1, "ysgraph %.2f dB, FFmpeg %.2f dB", p_ys, p_ff);
  free(ref), free(ff), free(ys);
}

/* 8-bit R'G'B' of a PNG (libpng's simplified API) into rgb (RW×RH×3) */
static void png_rgb(const char *path, uint8_t *rgb) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  cr_assert(png_image_begin_read_from_file(&im, path), "%s", path);
  cr_assert(im.width == RW && im.height == RH, "%s is %ux%u", path, im.width, im.height);
  im.format = PNG_FORMAT_RGB;
  cr_assert(png_image_finish_read(&im, NULL, rgb, 0, NULL), "%s", path);
}

Test(video_color, rgb_round_trip) {
  enter_tmp();
  sh("mkdir -p src dec && ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -frames:v "
     "10 -start_number 0 src/%04d.png");
  /* FFmpeg: RGB -> yuv420p at the crf -> RGB */
  sh("ffmpeg -v error -y -start_number 0 -i src/%04d.png -c:v libx264 -crf " CRF
     " -pix_fmt yuv420p ff.mp4");
  /* ysgraph: video_out, then video_in */
  run_cli("video_out{image=image{path='src/%04d.png'}, path='ys.mp4', crf=" CRF
          ", codec='h264', encoder='software'}\n");
  run_cli("png{image=video_in{path='ys.mp4'}, path='dec/%04d.png'}\n");
  uint8_t *src = malloc((size_t)RW * RH * 3 * RN), *ys = malloc((size_t)RW * RH * 3 * RN);
  for (int f = 0; f < RN; f++) {
    char a[64], b[64];
    snprintf(a, sizeof a, "src/%04d.png", f);
    snprintf(b, sizeof b, "dec/%04d.png", f);
    png_rgb(a, src + (size_t)f * RW * RH * 3);
    png_rgb(b, ys + (size_t)f * RW * RH * 3);
  }
  uint8_t *ff = ffmpeg_rgb("ff.mp4");
  double p_ff = psnr_outside(ff, src, 0, 0, 0, 0), p_ys = psnr_outside(ys, src, 0, 0, 0, 0);
  cr_log_info("testsrc2 RGB -> yuv420p crf %s -> RGB: FFmpeg %.2f dB, ysgraph %.2f dB", CRF, p_ff,
              p_ys);
  cr_assert_geq(p_ys, p_ff - 0.1, "ysgraph %.2f dB, FFmpeg %.2f dB", p_ys, p_ff);
  free(src), free(ys), free(ff);
}

#else
Test(video_color, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video nodes"); }
#endif
