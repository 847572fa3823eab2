/* test_video_roundtrip.c — video in, overlay, video out, decoded again: a 96×64, 12-frame, 24 fps
 * H.264 fixture with a 440 Hz AAC track (tests/video_fixture.h) → video_in → tracks (a MOT file
 * written here) → bbox → merge over the video → video_out with the video_in's audio. The result
 * is decoded with libavcodec + swscale (independently of video_in): frame count, fps, size, an
 * audio stream whose decoded length matches the rendered range, and PSNR inside and outside the
 * boxes against the composition the CPU nodes produced (kept and read as 8-bit sRGB). */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "video_fixture.h"
#include "ysgraph.h"

#ifdef YSG_HAVE_FFMPEG
#define W 96
#define H 64
#define NF 12
#define FPS 24

/* Two tracks in MOT form (frame from 1, id, x, y, w, h, conf, -1, -1, -1): id 1 moves right,
 * id 2 moves down and is absent in file frames 5..6. */
static void box_of(int track, int file_frame, int b[4]) {
  if (track == 1) b[0] = 8 + 3 * file_frame, b[1] = 6, b[2] = 22, b[3] = 18;
  if (track == 2) b[0] = 58, b[1] = 20 + 2 * file_frame, b[2] = 18, b[3] = 20;
}
static int present(int track, int file_frame) {
  return track == 1 || file_frame < 5 || file_frame > 6;
}

static void write_mot(const char *dir) {
  char text[4096] = "";
  for (int f = 1; f <= NF; f++)
    for (int t = 1; t <= 2; t++) {
      if (!present(t, f)) continue;
      int b[4];
      box_of(t, f, b);
      snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d,%d,%d,%d,%d,1,-1,-1,-1\n", f,
               t, b[0], b[1], b[2], b[3]);
    }
  ysgt_write(dir, "tracks.txt", text);
}

/* 1 where a box (grown by its 2 px stroke and the 1 px anti-aliasing fringe) covers the pixel */
static void box_mask(int frame, uint8_t *mask) {
  memset(mask, 0, W * H);
  for (int t = 1; t <= 2; t++) {
    if (!present(t, frame + 1)) continue;
    int b[4];
    box_of(t, frame + 1, b);
    for (int y = b[1] - 3; y < b[1] + b[3] + 3; y++)
      for (int x = b[0] - 3; x < b[0] + b[2] + 3; x++)
        if (x >= 0 && x < W && y >= 0 && y < H) mask[y * W + x] = 1;
  }
}

/* PSNR where mask == want, of the R'G'B' channels or (luma) of BT.709 Y' computed from them */
static double psnr_masked(const uint8_t *rgb, const uint8_t *rgba, const uint8_t *mask, int want,
                          int luma) {
  double se = 0, n = 0;
  for (int i = 0; i < W * H; i++) {
    if (mask[i] != want) continue;
    if (luma) {
      const uint8_t *a = rgb + i * 3, *b = rgba + i * 4;
      double d = 0.2126 * (a[0] - b[0]) + 0.7152 * (a[1] - b[1]) + 0.0722 * (a[2] - b[2]);
      se += d * d, n++;
      continue;
    }
    for (int c = 0; c < 3; c++) {
      double d = (double)rgb[i * 3 + c] - (double)rgba[i * 4 + c];
      se += d * d, n++;
    }
  }
  return se ? 10 * log10(255.0 * 255.0 * n / se) : 99;
}

/* Decode the file's audio: seconds of samples, RMS of the first channel, codec. */
static void audio_stats(const char *path, double *seconds, double *rms, enum AVCodecID *codec) {
  AVFormatContext *ic = NULL;
  cr_assert_geq(avformat_open_input(&ic, path, NULL, NULL), 0);
  cr_assert_geq(avformat_find_stream_info(ic, NULL), 0);
  const AVCodec *c = NULL;
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, -1, &c, 0);
  cr_assert_geq(si, 0, "no audio stream in %s", path);
  *codec = ic->streams[si]->codecpar->codec_id;
  AVCodecContext *dec = avcodec_alloc_context3(c);
  avcodec_parameters_to_context(dec, ic->streams[si]->codecpar);
  cr_assert_geq(avcodec_open2(dec, c, NULL), 0);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  double samples = 0, sq = 0;
  int eof = 0, rate = dec->sample_rate;
  for (;;) {
    if (!eof) {
      if (av_read_frame(ic, pkt) < 0) {
        eof = 1;
        avcodec_send_packet(dec, NULL);
      } else {
        if (pkt->stream_index == si) avcodec_send_packet(dec, pkt);
        av_packet_unref(pkt);
      }
    }
    int r;
    while ((r = avcodec_receive_frame(dec, fr)) >= 0) {
      cr_assert_eq(fr->format, AV_SAMPLE_FMT_FLTP, "the fixture's AAC decodes to float planar");
      const float *s = (const float *)fr->data[0];
      for (int i = 0; i < fr->nb_samples; i++) sq += (double)s[i] * s[i];
      samples += fr->nb_samples;
      av_frame_unref(fr);
    }
    if (r == AVERROR_EOF) break;
  }
  *seconds = samples / rate;
  *rms = samples ? sqrt(sq / samples) : 0;
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&ic);
}

static const char *pipeline =
    "-- video in, MOT boxes over it, video out with the source's audio\n"
    "local vid = video_in { name = 'vin', path = 'in.mp4' }\n"
    "local t = tracks { path = 'tracks.txt' }\n"
    "local boxes = bbox { boxes = t.boxes, stroke = 2, color = '#ff3b30' }\n"
    "local comp = merge { name = 'comp', layers = { vid, boxes } }\n"
    "video_out { name = 'out', image = comp, path = 'rt.mp4', audio = vid, %s }\n";

/* Render frames first..last-1 and finish; expected[f] gets the composition as 8-bit sRGB. */
static void render(const char *dir, int first, int last, const char *params, uint8_t *expected) {
  char path[1024], src[2048];
  snprintf(path, sizeof path, "%s/in.mp4", dir);
  cr_assert_eq(ysgt_make_video(path, "libx264", W, H, NF, FPS, 1), 0, "fixture %s", path);
  write_mot(dir);
  snprintf(src, sizeof src, pipeline, params);
  const char *file = ysgt_write(dir, "rt.lua", src);
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  snprintf(path, sizeof path, "%s/out", dir);
  lo.output_dir = path;
  const char *keep[] = {"comp"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == W && cv->height == H && cv->frames == NF && cv->fps == FPS,
            "the video sets the canvas: %dx%d, %d frames, %g fps", cv->width, cv->height,
            cv->frames, cv->fps);
  for (int f = first; f < last; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
    cr_assert_eq(
        ysg_pipeline_read_image(p, "comp", YSG_RGBA8_SRGB,
                                expected + (size_t)(f - first) * W * H * 4, (size_t)W * H * 4, 0),
        YSG_OK);
  }
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* Outside the boxes only the re-encode separates output from the composition; inside, 4:2:0 is
 * compared in luma: averaging the chroma of 2 px saturated strokes with the background over 2×2
 * blocks costs 12-24 dB of R'G'B' PSNR there even in an ideal lossless 4:2:0 round trip, so the
 * 4:4:4 lossless case (crf 0) carries the colour check inside the boxes. A colour-math error
 * (matrix, range, curve) costs well over 10 dB everywhere. Thresholds are per case, below. */
static void check(const char *dir, int first, int n, int yuv444, double min_psnr,
                  const uint8_t *expected) {
  char path[1024], err[512];
  snprintf(path, sizeof path, "%s/out/rt.mp4", dir);
  ysgt_video_info info;
  uint8_t *rgb = NULL;
  cr_assert_eq(ysgt_video_read(path, &info, &rgb, err, sizeof err), 0, "%s", err);
  cr_expect_eq(info.frames, n);
  cr_expect_float_eq(info.fps, FPS, 1e-9);
  cr_expect(info.width == W && info.height == H, "size %dx%d", info.width, info.height);
  cr_expect_eq(info.codec, AV_CODEC_ID_H264);
  cr_expect_eq(info.matrix, AVCOL_SPC_BT709);
  cr_expect(info.has_audio, "the video_in's audio is copied");
  uint8_t mask[W * H];
  for (int i = 0; i < n && i < info.frames; i++) {
    box_mask(first + i, mask);
    const uint8_t *got = rgb + (size_t)i * W * H * 3, *want = expected + (size_t)i * W * H * 4;
    double out = psnr_masked(got, want, mask, 0, 0), in = psnr_masked(got, want, mask, 1, !yuv444);
    cr_expect_geq(out, min_psnr, "frame %d: PSNR outside the boxes %.2f dB", first + i, out);
    cr_expect_geq(in, min_psnr, "frame %d: PSNR inside the boxes (%s) %.2f dB", first + i,
                  yuv444 ? "R'G'B'" : "luma", in);
    cr_log_info("frame %d: PSNR inside %.2f (%s), outside %.2f dB", first + i, in,
                yuv444 ? "R'G'B'" : "luma", out);
  }
  free(rgb);
  /* audio: the rendered range A..B-1 gets the source's A/fps..B/fps. Stream copy cuts at AAC
   * packet boundaries (1024 samples = 21.3 ms at 48 kHz): ±50 ms covers a packet at each end. */
  double secs, rms;
  enum AVCodecID ac;
  audio_stats(path, &secs, &rms, &ac);
  cr_expect_eq(ac, AV_CODEC_ID_AAC);
  cr_expect(fabs(secs - (double)n / FPS) <= 0.05, "audio %.4f s for %d frames at %d fps", secs, n,
            FPS);
  cr_log_info("audio: %.4f s for %d frames (%.4f s), RMS %.4f", secs, n, (double)n / FPS, rms);
  /* the fixture's sine has amplitude 0.25: RMS 0.177 (AAC at 64 kbit/s keeps it within 10%) */
  cr_expect(fabs(rms - 0.25 / sqrt(2.0)) <= 0.02, "audio RMS %.4f", rms);
}

Test(video_roundtrip, decode_overlay_encode_with_audio) {
  const char *dir = ysgt_tmpdir();
  uint8_t *expected = malloc((size_t)NF * W * H * 4);
  /* crf 12, 4:2:0 (measured 40.9-43 dB outside, 37.7-44 dB luma inside; x264's threading may
   * move these a little on other machines) */
  render(dir, 0, NF, "crf = 12", expected);
  check(dir, 0, NF, 0, 35.0, expected);
  free(expected);
}

Test(video_roundtrip, a_frame_range_cuts_the_audio_to_match) {
  const char *dir = ysgt_tmpdir();
  uint8_t *expected = malloc((size_t)NF * W * H * 4);
  /* lossless 4:4:4: only 8-bit rounding remains (measured 51.0-51.6 dB inside and outside) */
  render(dir, 4, 10, "crf = 0, pix_fmt = 'yuv444p'", expected);
  check(dir, 4, 6, 1, 46.0, expected);
  free(expected);
}

Test(video_roundtrip, audio_errors) {
  const char *dir = ysgt_tmpdir();
  char path[1024], msg[2048];
  snprintf(path, sizeof path, "%s/silent.mp4", dir);
  cr_assert_eq(ysgt_make_video(path, "libx264", W, H, 4, FPS, 0), 0);
  snprintf(path, sizeof path, "%s/in.mp4", dir);
  cr_assert_eq(ysgt_make_video(path, "libx264", W, H, 4, FPS, 1), 0);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  const char *f1 = ysgt_write(dir, "a.lua",
                              "local v = video_in { name = 'vin', path = 'silent.mp4' }\n"
                              "video_out { name = 'out', image = v, path = 'o.mp4', audio = 'vin' "
                              "}\n");
  snprintf(msg, sizeof msg,
           "%s:2: node 'out' (video_out): parameter 'audio': '%s/silent.mp4' (the video of "
           "'vin') has no audio stream",
           f1, dir);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_expect_eq(ysg_pipeline_load_file(ctx, f1, &lo, &p), YSG_ERR_DATA);
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  const char *f2 = ysgt_write(dir, "b.lua",
                              "local v = video_in { name = 'vin', path = 'in.mp4' }\n"
                              "video_out { name = 'out', image = v, path = 'o.webm', codec = "
                              "'vp9', audio = 'vin' }\n");
  snprintf(msg, sizeof msg,
           "%s:2: node 'out' (video_out): parameter 'audio': the audio of 'vin' is aac, which a "
           ".webm file cannot hold",
           f2);
  cr_expect_eq(ysg_pipeline_load_file(ctx, f2, &lo, &p), YSG_ERR_PIPELINE);
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  ysg_context_destroy(ctx);
}

/* ---- the bundled demo: pipelines/data/demo.mp4 + demo_tracks.txt and pipelines/video_tracks.lua
 * The demo clip and its tracks are made here (YSG_UPDATE_GOLDEN=1 rewrites them, then the golden
 * frames: run it twice), so the bundled pipeline loads without downloads. */
#define DW 320
#define DH 180
#define DN 48

static void demo_spec(ysgt_video *v) {
  memset(v, 0, sizeof *v);
  v->codec = "libx264", v->width = DW, v->height = DH, v->frames = DN, v->fps = FPS;
  v->audio = 1;
}

/* five tracks circling the frame (MOT, frames from 1); track 3 leaves for file frames 20..28 */
static void demo_tracks(char *text, size_t cap) {
  text[0] = 0;
  for (int f = 1; f <= DN; f++)
    for (int id = 1; id <= 5; id++) {
      if (id == 3 && f >= 20 && f <= 28) continue;
      double a = 2 * M_PI * (f - 1) / DN + 1.2566 * id;
      int w = 30 + 4 * id, h = 24 + 3 * id;
      int x = (int)lround(160 + 105 * cos(a) - w / 2.0),
          y = (int)lround(90 + 50 * sin(2 * a) - h / 2.0);
      snprintf(text + strlen(text), cap - strlen(text), "%d,%d,%d,%d,%d,%d,1,-1,-1,-1\n", f, id, x,
               y, w, h);
    }
}

Test(video_roundtrip, bundled_demo_is_what_its_generator_makes) {
  const char *vpath = YSG_SOURCE_DIR "/pipelines/data/demo.mp4";
  const char *tpath = YSG_SOURCE_DIR "/pipelines/data/demo_tracks.txt";
  static char text[65536];
  char err[512];
  ysgt_video v;
  demo_spec(&v);
  demo_tracks(text, sizeof text);
  if (getenv("YSG_UPDATE_GOLDEN")) {
    cr_assert_eq(ysgt_video_write(vpath, &v, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(tpath, "w");
    cr_assert(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", tpath);
    cr_log_info("wrote %s and %s", vpath, tpath);
    return;
  }
  char *have = ysgt_read(tpath, NULL);
  cr_assert(have, "cannot read %s (YSG_UPDATE_GOLDEN=1 makes it)", tpath);
  cr_expect_str_eq(have, text, "%s is not what demo_tracks() makes", tpath);
  free(have);
  ysgt_video_info info;
  uint8_t *rgb = NULL;
  cr_assert_eq(ysgt_video_read(vpath, &info, &rgb, err, sizeof err), 0, "%s", err);
  cr_expect(info.frames == DN && info.width == DW && info.height == DH && info.fps == FPS,
            "%d frames %dx%d at %g fps", info.frames, info.width, info.height, info.fps);
  cr_expect(info.has_audio);
  static uint8_t want[DW * DH * 3];
  for (int f = 0; f < info.frames && f < DN; f++) {
    for (int y = 0; y < DH; y++)
      for (int x = 0; x < DW; x++) ysgt_pattern(NULL, f, x, y, want + ((size_t)y * DW + x) * 3);
    double psnr = ysgt_psnr8(rgb + (size_t)f * DW * DH * 3, want, (size_t)DW * DH * 3);
    cr_expect_geq(psnr, 30.0, "frame %d: %.2f dB from the pattern", f, psnr);
  }
  free(rgb);
}

static int png8(const char *path, uint8_t *rgba, int w, int h, int write) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (write) {
    im.width = (png_uint_32)w, im.height = (png_uint_32)h, im.format = PNG_FORMAT_RGBA;
    return png_image_write_to_file(&im, path, 0, rgba, 0, NULL);
  }
  if (!png_image_begin_read_from_file(&im, path)) return 0;
  im.format = PNG_FORMAT_RGBA;
  if ((int)im.width != w || (int)im.height != h) {
    png_image_free(&im);
    return 0;
  }
  return png_image_finish_read(&im, NULL, rgba, 0, NULL);
}

/* The bundled pipeline: golden frames (within one 8-bit level, like tests/test_pipelines.c),
 * then the whole clip encoded with the demo's audio. */
Test(video_roundtrip, video_tracks_pipeline_golden) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx();
  const char *keep[] = {"frame"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  lo.output_dir = dir;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_file(ctx, YSG_SOURCE_DIR "/pipelines/video_tracks.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == DW && cv->height == DH && cv->frames == DN && cv->fps == FPS);
  static uint8_t got[DW * DH * 4], want[DW * DH * 4];
  for (int f = 0; f < DN; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
    if (f % 23) continue; /* golden frames 0, 23, 46 */
    cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, got, sizeof got, 0), YSG_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/video_tracks_f%04d.png", YSG_SOURCE_DIR, f);
    if (getenv("YSG_UPDATE_GOLDEN")) {
      cr_assert(png8(path, got, DW, DH, 1), "cannot write %s", path);
      continue;
    }
    cr_assert(png8(path, want, DW, DH, 0), "cannot read golden %s (YSG_UPDATE_GOLDEN=1)", path);
    int worst = 0, where = 0;
    for (int i = 0; i < DW * DH * 4; i++) {
      int d = abs((int)got[i] - (int)want[i]);
      if (d > worst) worst = d, where = i;
    }
    cr_expect_leq(worst, 1, "frame %d: channel %d of pixel (%d,%d) is %d, golden %d", f, where % 4,
                  (where / 4) % DW, (where / 4) / DW, got[where], want[where]);
  }
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  char path[1024], err[512];
  snprintf(path, sizeof path, "%s/video_tracks.mp4", dir);
  ysgt_video_info info;
  uint8_t *rgb = NULL;
  cr_assert_eq(ysgt_video_read(path, &info, &rgb, err, sizeof err), 0, "%s", err);
  free(rgb);
  cr_expect(info.frames == DN && info.width == DW && info.height == DH, "%d frames %dx%d",
            info.frames, info.width, info.height);
  double secs, rms;
  enum AVCodecID ac;
  audio_stats(path, &secs, &rms, &ac);
  cr_expect(fabs(secs - (double)DN / FPS) <= 0.05, "audio %.4f s", secs);
}

#else
Test(video_roundtrip, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video nodes"); }
#endif
