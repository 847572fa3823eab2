/* test_tracking_labels.c — the annotation showcase, pipelines/tracking_labels.lua, on the bundled
 * demo video: it plans with arena == lower bound, renders golden frames (within one 8-bit level
 * per channel, like tests/test_pipelines.c), a frame run on its own in a fresh pipeline equals the
 * same frame of the sequential run bit for bit (the trails read the tracks at past frames), and
 * the whole clip is encoded. Regenerate the goldens after an intended change with
 * YSG_UPDATE_GOLDEN=1 (then look at them). Needs FFmpeg (video_in, video_out). */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "ysgraph.h"

#ifdef YSG_HAVE_FFMPEG
#define DW 320
#define DH 180
#define DN 48

static int png8(const char *path, uint8_t *rgba, int write) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (write) {
    im.width = DW, im.height = DH, im.format = PNG_FORMAT_RGBA;
    return png_image_write_to_file(&im, path, 0, rgba, 0, NULL);
  }
  if (!png_image_begin_read_from_file(&im, path)) return 0;
  im.format = PNG_FORMAT_RGBA;
  if ((int)im.width != DW || (int)im.height != DH) {
    png_image_free(&im);
    return 0;
  }
  return png_image_finish_read(&im, NULL, rgba, 0, NULL);
}

static ysg_pipeline *load(ysg_context *ctx, const char *dir) {
  const char *keep[] = {"frame"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  lo.output_dir = dir;
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  cr_assert_eq(
      ysg_pipeline_load_file(ctx, YSG_SOURCE_DIR "/pipelines/tracking_labels.lua", &lo, &p), YSG_OK,
      "%s", ysg_errmsg(ctx));
  return p;
}

Test(tracking_labels, golden_frames_random_access_and_the_video) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, dir);
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_assert(cv->width == DW && cv->height == DH && cv->frames == DN, "canvas %dx%d, %d frames",
            cv->width, cv->height, cv->frames);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  cr_expect_eq(pi.arena_bytes, pi.lower_bound_bytes);
  static uint8_t got[DW * DH * 4], want[DW * DH * 4], at40[DW * DH * 4];
  for (int f = 0; f < DN; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, got, sizeof got, DW * 4),
                 YSG_OK, "%s", ysg_errmsg(ctx));
    if (f == 40) memcpy(at40, got, sizeof got);
    if (f != 0 && f != 23 && f != 47) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/tracking_labels_f%04d.png", YSG_SOURCE_DIR, f);
    if (getenv("YSG_UPDATE_GOLDEN")) {
      cr_assert(png8(path, got, 1), "cannot write %s", path);
      continue;
    }
    cr_assert(png8(path, want, 0), "cannot read golden %s (YSG_UPDATE_GOLDEN=1 makes it)", path);
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
  char path[1024];
  snprintf(path, sizeof path, "%s/tracking_labels.mp4", dir);
  cr_expect_eq(access(path, F_OK), 0, "no %s", path);
  /* frame 40 on its own */
  const char *dir2 = ysgt_tmpdir();
  p = load(ctx, dir2);
  cr_assert_eq(ysg_pipeline_run_frame(p, 40), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, got, sizeof got, DW * 4), YSG_OK,
               "%s", ysg_errmsg(ctx));
  cr_expect(memcmp(got, at40, sizeof got) == 0,
            "frame 40 run on its own differs from frame 40 of the sequential run");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

#else
Test(tracking_labels, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video nodes"); }
#endif
