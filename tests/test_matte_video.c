/* test_matte_video.c — mattes from decode to encode: a generated green-screen clip (the scene of
 * tests/matte_fixture.h, moving, H.264) → video_in → chroma_key → matte → composite over a
 * second video → video_out, decoded again with FFmpeg's own libraries (tests/video_fixture.h)
 * and compared with the frames the nodes produced (codec loss) and with the ideal composite
 * from the scene's true alpha and colours (keying + codec loss): PSNR stated and bounded. Also
 * the bundled clip pipelines/data/greenscreen.mp4 (made here; YSG_UPDATE_GOLDEN=1 rewrites it,
 * then the golden frames: run twice) and pipelines/background_replace.lua's golden frames. */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "matte_fixture.h"
#include "util.h"
#include "video_fixture.h"
#include "ysgraph.h"

#ifdef YSG_HAVE_FFMPEG

typedef struct gs_clip {
  int w, h;
  float speed;
} gs_clip;

static uint8_t to8(float lin) { return (uint8_t)lrintf(ysg_linear_to_srgb(lin) * 255.0f); }

/* the fixture's scene as an 8-bit R'G'B' video pattern */
static void gs_pattern(void *ud, int frame, int x, int y, uint8_t rgb[3]) {
  const gs_clip *c = ud;
  float p[4];
  ysgt_gs_pixel(c->w, c->h, frame, c->speed, 0.0f, 0, x, y, p);
  for (int i = 0; i < 3; i++) rgb[i] = to8(p[i]);
}

static double psnr_rgb(const uint8_t *a, const uint8_t *b, size_t npx) {
  return ysgt_psnr8(a, b, npx * 3);
}

/* ---- the round trip ----------------------------------------------------------------------------
 */

#define RW 160
#define RH 96
#define RN 12
#define RFPS 24

Test(matte_video, green_screen_round_trip) {
  const char *dir = ysgt_tmpdir();
  char fg_path[512], bg_path[512], err[512];
  snprintf(fg_path, sizeof fg_path, "%s/gs.mp4", dir);
  snprintf(bg_path, sizeof bg_path, "%s/bg.mp4", dir);
  gs_clip clip = {RW, RH, 2.0f};
  ysgt_video v;
  memset(&v, 0, sizeof v);
  v.codec = "libx264", v.width = RW, v.height = RH, v.frames = RN, v.fps = RFPS;
  v.pattern = gs_pattern, v.ud = &clip, v.pix_fmt = "yuv444p", v.lossless = 1;
  cr_assert_eq(ysgt_video_write(fg_path, &v, err, sizeof err), 0, "%s", err);
  cr_assert_eq(ysgt_make_video(bg_path, "libx264", RW, RH, RN, RFPS, 0), 0);

  char src[2048];
  snprintf(src, sizeof src,
           "local clip = video_in{path='%s'}\n"
           "local bg = video_in{path='%s', name='bg'}\n"
           "local key = chroma_key{image=clip, key='#3da94a', similarity=0.05, blend=0.15,\n"
           "                       premultiply=false}\n"
           "local m = matte{matte=key.matte, threshold=0.5, softness=0.6, islands=8, holes=8}\n"
           "local frame = composite{fg=key, matte=m, bg=bg, name='frame'}\n"
           "video_out{image=frame, path='out.mp4', crf=12}\n",
           fg_path, bg_path);
  ysg_context *ctx = ysgt_ctx();
  const char *keep[] = {"frame"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep, lo.n_keep = 1, lo.output_dir = dir, lo.unsafe = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "rt.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  static uint8_t made[RN][RW * RH * 3], rgba[RW * RH * 4];
  for (int f = 0; f < RN; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, rgba, sizeof rgba, 0), YSG_OK);
    for (int i = 0; i < RW * RH; i++) memcpy(made[f] + 3 * i, rgba + 4 * i, 3);
  }
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);

  char out_path[600];
  snprintf(out_path, sizeof out_path, "%s/out.mp4", dir);
  ysgt_video_info info, binfo;
  uint8_t *out = NULL, *bgd = NULL;
  cr_assert_eq(ysgt_video_read(out_path, &info, &out, err, sizeof err), 0, "%s", err);
  cr_assert_eq(ysgt_video_read(bg_path, &binfo, &bgd, err, sizeof err), 0, "%s", err);
  cr_assert(info.frames == RN && info.width == RW && info.height == RH, "%d frames %dx%d",
            info.frames, info.width, info.height);
  double worst_codec = 99, worst_truth = 99, mean_truth = 0;
  static uint8_t ideal[RW * RH * 3];
  for (int f = 0; f < RN; f++) {
    const uint8_t *dec = out + (size_t)f * RW * RH * 3, *b = bgd + (size_t)f * RW * RH * 3;
    /* the ideal: true alpha and true (unspilled) colours over the decoded background */
    for (int y = 0; y < RH; y++)
      for (int x = 0; x < RW; x++) {
        float a, fg[3], sp[3];
        ysgt_gs_truth(RW, RH, f, clip.speed, x, y, &a, fg, sp);
        size_t i = ((size_t)y * RW + x) * 3;
        for (int c = 0; c < 3; c++)
          ideal[i + c] = to8(a * fg[c] + (1 - a) * ysg_srgb_to_linear(b[i + c] / 255.0f));
      }
    double pc = psnr_rgb(dec, made[f], (size_t)RW * RH), pt = psnr_rgb(dec, ideal, (size_t)RW * RH);
    worst_codec = fmin(worst_codec, pc);
    worst_truth = fmin(worst_truth, pt);
    mean_truth += pt / RN;
  }
  fprintf(stderr,
          "green-screen round trip %dx%d, %d frames: decoded vs the nodes' frames ≥ %.2f dB; "
          "vs the ideal composite ≥ %.2f dB (mean %.2f)\n",
          RW, RH, RN, worst_codec, worst_truth, mean_truth);
  cr_expect_geq(worst_codec, 35.0, "codec loss: %.2f dB", worst_codec);
  cr_expect_geq(worst_truth, 24.0, "keying + codec loss: %.2f dB", worst_truth);
  free(out);
  free(bgd);
}

/* ---- the bundled clip and pipelines/background_replace.lua -------------------------------------
 */

#define DW 320
#define DH 180
#define DN 48

static gs_clip demo_clip = {DW, DH, 1.5f};

static void demo_spec(ysgt_video *v) {
  memset(v, 0, sizeof *v);
  v->codec = "libx264", v->width = DW, v->height = DH, v->frames = DN, v->fps = RFPS;
  v->audio = 1, v->pattern = gs_pattern, v->ud = &demo_clip;
}

Test(matte_video, bundled_clip_is_what_its_generator_makes) {
  const char *path = YSG_SOURCE_DIR "/pipelines/data/greenscreen.mp4";
  char err[512];
  ysgt_video v;
  demo_spec(&v);
  if (getenv("YSG_UPDATE_GOLDEN")) {
    cr_assert_eq(ysgt_video_write(path, &v, err, sizeof err), 0, "%s", err);
    cr_log_info("wrote %s", path);
    return;
  }
  ysgt_video_info info;
  uint8_t *rgb = NULL;
  cr_assert_eq(ysgt_video_read(path, &info, &rgb, err, sizeof err), 0,
               "%s (YSG_UPDATE_GOLDEN=1 makes it)", err);
  cr_expect(info.frames == DN && info.width == DW && info.height == DH && info.fps == RFPS,
            "%d frames %dx%d at %g fps", info.frames, info.width, info.height, info.fps);
  cr_expect(info.has_audio);
  static uint8_t want[DW * DH * 3];
  for (int f = 0; f < info.frames && f < DN; f++) {
    for (int y = 0; y < DH; y++)
      for (int x = 0; x < DW; x++) gs_pattern(&demo_clip, f, x, y, want + ((size_t)y * DW + x) * 3);
    double psnr = psnr_rgb(rgb + (size_t)f * DW * DH * 3, want, (size_t)DW * DH);
    cr_expect_geq(psnr, 30.0, "frame %d: %.2f dB from the scene", f, psnr);
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

/* Golden frames 0, 23, 47 (within one 8-bit level, like tests/test_pipelines.c), the arena at
 * its lower bound, then the whole clip encoded with the clip's audio. */
Test(matte_video, background_replace_pipeline_golden) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx();
  const char *keep[] = {"frame"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep, lo.n_keep = 1, lo.output_dir = dir;
  ysg_pipeline *p = NULL;
  cr_assert_eq(
      ysg_pipeline_load_file(ctx, YSG_SOURCE_DIR "/pipelines/background_replace.lua", &lo, &p),
      YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == DW && cv->height == DH && cv->frames == DN && cv->fps == RFPS);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  cr_expect_eq(pi.arena_bytes, pi.lower_bound_bytes);
  static uint8_t got[DW * DH * 4], want[DW * DH * 4];
  for (int f = 0; f < DN; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
    if (f != 0 && f != 23 && f != 47) continue;
    cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, got, sizeof got, 0), YSG_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/background_replace_f%04d.png", YSG_SOURCE_DIR, f);
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
  snprintf(path, sizeof path, "%s/background_replace.mp4", dir);
  ysgt_video_info info;
  uint8_t *rgb = NULL;
  cr_assert_eq(ysgt_video_read(path, &info, &rgb, err, sizeof err), 0, "%s", err);
  free(rgb);
  cr_expect(info.frames == DN && info.width == DW && info.height == DH && info.has_audio,
            "%d frames %dx%d, audio %d", info.frames, info.width, info.height, info.has_audio);
}

#else
Test(matte_video, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video nodes"); }
#endif
