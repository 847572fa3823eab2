/* test_pipelines.c — golden checks for every bundled pipeline: each pipelines/NAME.lua loads, plans
 * with arena == lower bound, and renders frames that match tests/golden/<name>_fNNNN.png within one
 * 8-bit level per channel.
 * Regenerate after an intended change with YSG_UPDATE_GOLDEN=1 (then look at the images). */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define GW 1280
#define GH 720

static ysg_pipeline *load_pipeline(ysg_context *ctx, const char *name, const char *outdir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/pipelines/%s.lua", YSG_SOURCE_DIR, name);
  const char *keep[] = {"frame"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  lo.output_dir = outdir;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_file(ctx, path, &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s: %s", name, ysg_errmsg(ctx));
  return p;
}

static int read_png8(const char *path, uint8_t *rgba, int w, int h) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path)) return 0;
  im.format = PNG_FORMAT_RGBA;
  if ((int)im.width != w || (int)im.height != h) {
    png_image_free(&im);
    return 0;
  }
  int ok = png_image_finish_read(&im, NULL, rgba, 0, NULL);
  return ok;
}

static int write_png8(const char *path, const uint8_t *rgba, int w, int h) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = (png_uint_32)w;
  im.height = (png_uint_32)h;
  im.format = PNG_FORMAT_RGBA;
  return png_image_write_to_file(&im, path, 0, rgba, 0, NULL);
}

static void golden_frame(ysg_pipeline *p, const char *name, int frame) {
  static uint8_t got[GW * GH * 4], want[GW * GH * 4];
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  int w = cv->width, h = cv->height;
  cr_assert_leq((size_t)w * (size_t)h, (size_t)GW * GH, "golden buffers hold at most %dx%d", GW,
                GH);
  cr_assert_eq(ysg_pipeline_run_frame(p, frame), YSG_OK);
  cr_assert_eq(ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, got, sizeof got, 0), YSG_OK);
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/golden/%s_f%04d.png", YSG_SOURCE_DIR, name, frame);
  if (getenv("YSG_UPDATE_GOLDEN")) {
    cr_assert(write_png8(path, got, w, h), "cannot write %s", path);
    cr_log_warn("wrote golden %s", path);
    return;
  }
  cr_assert(read_png8(path, want, w, h), "cannot read golden %s (YSG_UPDATE_GOLDEN=1 makes it)",
            path);
  int worst = 0, where = 0;
  for (int i = 0; i < w * h * 4; i++) {
    int d = abs((int)got[i] - (int)want[i]);
    if (d > worst) worst = d, where = i;
  }
  cr_assert_leq(worst, 1, "%s frame %d: channel %d of pixel (%d,%d) is %d, golden %d", name, frame,
                where % 4, (where / 4) % w, (where / 4) / w, got[where], want[where]);
}

Test(pipelines, showcase_golden) {
  ysg_context *ctx = ysgt_ctx();
  const char *dir = ysgt_tmpdir();
  ysg_pipeline *p = load_pipeline(ctx, "showcase", dir);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  cr_assert_eq(pi.arena_bytes, pi.lower_bound_bytes);
  golden_frame(p, "showcase", 0);
  golden_frame(p, "showcase", 17);
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  char out[1024];
  snprintf(out, sizeof out, "%s/frames/0017.png", dir);
  cr_assert_eq(access(out, F_OK), 0, "the png node did not write %s", out);
  /* the showcase's look: an opaque dark-blue backdrop, darker in the corners, with bright
   * overlay pixels (lines, boxes, dots) somewhere on it */
  static uint8_t px[GW * GH * 4];
  ysg_pipeline_read_image(p, "frame", YSG_RGBA8_SRGB, px, sizeof px, 0);
  const uint8_t *corner = px, *mid_bottom = px + (size_t)((GH - 3) * GW + GW / 2) * 4;
  cr_assert_lt(corner[2], mid_bottom[2]);
  cr_assert_eq(corner[3], 255);
  int bright = 0;
  for (int i = 0; i < GW * GH; i++) bright += px[i * 4] > 180 || px[i * 4 + 1] > 180;
  cr_assert_gt(bright, 1000, "only %d bright overlay pixels", bright);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(pipelines, looks_golden) {
  ysg_context *ctx = ysgt_ctx();
  const char *dir = ysgt_tmpdir();
  ysg_pipeline *p = load_pipeline(ctx, "looks_pulse_electric", dir);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  cr_assert_eq(pi.arena_bytes, pi.lower_bound_bytes);
  golden_frame(p, "looks_pulse_electric", 0);
  golden_frame(p, "looks_pulse_electric", 6);
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(pipelines, primitives_golden, .timeout = 600) {
  ysg_context *ctx = ysgt_ctx();
  const char *dir = ysgt_tmpdir();
  ysg_pipeline *p = load_pipeline(ctx, "primitives", dir);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  cr_assert_eq(pi.arena_bytes, pi.lower_bound_bytes);
  golden_frame(p, "primitives", 12);
  golden_frame(p, "primitives", 47);
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  /* the SVG of the last frame: the background and all 300 shapes */
  char path[1024];
  snprintf(path, sizeof path, "%s/primitives.svg", dir);
  char *svg = ysgt_read(path, NULL);
  cr_assert_not_null(svg, "the svg node did not write %s", path);
  int elements = 0;
  for (const char *s = svg; (s = strstr(s, "\n<")); s++) elements++;
  cr_assert_eq(elements, 1 + 300 + 1, "%d elements (background, 300 shapes, </svg>)", elements);
  free(svg);
  snprintf(path, sizeof path, "%s/frames/0047.png", dir);
  cr_assert_eq(access(path, F_OK), 0, "the png node did not write %s", path);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
