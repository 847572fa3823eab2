/* test_fuse_cuda.c — tile fusion on the CUDA backend (cuda/fused.cu): the fused merge kernel
 * (layers' device tile functions called in order, one block per tile) against the separate
 * per-node kernels and merge (no_fuse) on the device, and against the CPU backend, on the seed
 * frame, the bundled pipelines and random stacks of every render node, blend mode and opacity;
 * the device plan fuses the seed's five layers into a smaller arena and replays as a CUDA Graph.
 * Every test skips with the probe's reason without a usable device. Device vs device should be
 * bit-identical (same FP16 rounding, same blend code); the check allows one FP16 step in case the
 * compiler contracts an expression differently inside the fused kernel. */
#include <criterion/criterion.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend_compare.h"
#include "fuse_stacks.h"

#define HALF_STEP 0x1.0p-10 /* relative, above 1 absolute */
#define PIPE_TOL 3e-3       /* CPU vs CUDA over a pipeline (tests/test_cuda_exec.c) */

typedef struct src_spec {
  const char *file, *source;
  const ysg_define *defines;
  int n_defines;
  const char *const *keep;
  int n_keep;
} src_spec;

static ysg_pipeline *load(ysg_context *ctx, const src_spec *s, ysg_backend backend, int no_fuse) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = backend;
  lo.defines = s->defines;
  lo.n_defines = s->n_defines;
  lo.keep = s->keep;
  lo.n_keep = s->n_keep;
  lo.no_fuse = no_fuse;
  lo.output_dir = ysgt_tmpdir();
  ysg_pipeline *p = NULL;
  ysg_status st = s->file ? ysg_pipeline_load_file(ctx, s->file, &lo, &p)
                          : ysg_pipeline_load_string(ctx, s->source, "stack.lua", &lo, &p);
  cr_assert_eq(st, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_backend(p), backend);
  return p;
}

static int fused_layers(const ysg_pipeline *p) {
  int k = 0;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, i, &ni);
    k += ni.fused_into >= 0;
  }
  return k;
}

/* The layers of a CPU plan the device fuses too: all but polygon's, which has no device tile
 * function (cuda/tiles.cuh), so on the device its image is materialised and merged as an image. */
static int device_fusable_layers(const ysg_pipeline *p) {
  int k = 0;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, i, &ni);
    k += ni.fused_into >= 0 && strcmp(ni.type, "polygon") != 0;
  }
  return k;
}

/* largest relative difference of two images (empty tiles read as 0), and how many values differ
 * in their bits at all */
static double image_diff(const ysg_value *a, const ysg_value *b, int *differ) {
  double worst = 0;
  *differ = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      for (int c = 0; c < 4; c++) {
        double u = ysgt_px_at(a, x, y, c), v = ysgt_px_at(b, x, y, c);
        double e = fabs(u - v) / (fabs(u) > 1.0 ? fabs(u) : 1.0);
        *differ += u != v;
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
      }
  return worst;
}

/* CUDA fused vs CUDA unfused, and CUDA fused vs CPU fused, frame by frame on `ref`. */
static void device_fusion_matches(const src_spec *s, const char *ref, int frames,
                                  const char *what) {
  ysgt_require_cuda();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *gf = load(ctx, s, YSG_BACKEND_CUDA, 0), *gu = load(ctx, s, YSG_BACKEND_CUDA, 1);
  ysg_pipeline *cf = load(ctx, s, YSG_BACKEND_CPU, 0);
  cr_assert_eq(fused_layers(gf), device_fusable_layers(cf),
               "%s: the device fuses what the CPU fuses", what);
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(gf, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(gu, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(cf, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *a, *b, *c;
    cr_assert_eq(ysg_pipeline_get_value(gf, ref, &a), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(gu, ref, &b), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(cf, ref, &c), YSG_OK, "%s", ysg_errmsg(ctx));
    int differ = 0;
    double e = image_diff(a, b, &differ);
    if (differ)
      cr_log_warn(
          "%s frame %d: %d values of the fused and unfused device paths differ in their "
          "bits (max %.3g)",
          what, f, differ, e);
    cr_expect(e <= HALF_STEP, "%s frame %d: fused vs unfused on the device differ by %.3g", what, f,
              e);
    e = image_diff(a, c, &differ);
    cr_expect(e <= PIPE_TOL, "%s frame %d: CUDA fused vs CPU differ by %.3g", what, f, e);
  }
  ysg_pipeline_destroy(gf);
  ysg_pipeline_destroy(gu);
  ysg_pipeline_destroy(cf);
  ysg_context_destroy(ctx);
}

Test(fuse_cuda, seed_frame_plan_and_replay) {
  ysgt_require_cuda();
  ysg_define d[] = {{"width", "640"}, {"height", "360"}};
  const char *keep[] = {"frame"};
  src_spec s = {YSG_SOURCE_DIR "/bench/seed_frame.lua", NULL, d, 2, keep, 1};
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *f = load(ctx, &s, YSG_BACKEND_CUDA, 0), *u = load(ctx, &s, YSG_BACKEND_CUDA, 1);
  cr_assert_eq(fused_layers(f), 5);
  cr_assert_eq(fused_layers(u), 0);
  ysg_device_stats df, du;
  for (int fr = 0; fr < 4; fr++) {
    cr_assert_eq(ysg_pipeline_run_frame(f, fr), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(u, fr), YSG_OK, "%s", ysg_errmsg(ctx));
  }
  cr_assert_eq(ysg_pipeline_flush(f), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_device_stats(f, &df);
  ysg_pipeline_device_stats(u, &du);
  cr_expect_lt(df.arena_bytes, du.arena_bytes, "fused device arena %zu, unfused %zu",
               df.arena_bytes, du.arena_bytes);
  cr_expect_eq(df.arena_bytes, df.lower_bound_bytes);
  cr_expect_eq(df.captures, df.segments, "the fused merge is captured with its segment");
  cr_expect_eq(df.recaptures, 0);
  cr_expect_eq(df.replayed_frames, 3);
  ysg_pipeline_destroy(f);
  ysg_pipeline_destroy(u);
  ysg_context_destroy(ctx);
  device_fusion_matches(&s, "frame", 3, "seed_frame");
}

Test(fuse_cuda, bundled_pipelines) {
  ysgt_require_cuda();
  glob_t g;
  cr_assert_eq(glob(YSG_SOURCE_DIR "/pipelines/*.lua", 0, NULL, &g), 0);
  const char *keep[] = {"frame"};
  for (size_t i = 0; i < g.gl_pathc; i++) {
#ifndef YSG_HAVE_FFMPEG
    if (strstr(g.gl_pathv[i], "video")) continue;
#endif
    src_spec s = {g.gl_pathv[i], NULL, NULL, 0, keep, 1};
    device_fusion_matches(&s, "frame", 3, g.gl_pathv[i]);
  }
  globfree(&g);
}

Test(fuse_cuda, random_stacks) {
  ysgt_require_cuda();
  static char src[16384];
  for (uint64_t seed = 1; seed <= 40; seed++) {
    const char *keep[16] = {"frame"};
    int n_keep = 1;
    ysgt_random_stack(seed * 7919, src, sizeof src, keep, &n_keep);
    src_spec s = {NULL, src, NULL, 0, keep, n_keep};
    char what[64];
    snprintf(what, sizeof what, "stack %llu", (unsigned long long)seed);
    device_fusion_matches(&s, "frame", 3, what);
  }
}

/* text layers (no inputs: laid out on the host, uploaded by stage()) fused on the device: the
 * fused merge's text tile function against the text kernel and against the CPU */
Test(fuse_cuda, text_layers) {
  ysgt_require_cuda();
  const char *src =
      "canvas { width = 203, height = 77, frames = 3, fps = 10, background = '#102030' }\n"
      "local a = text { text = 'Fused 42 AVA', x = 6, y = 40, size = 22, outline = 2, "
      "plate_opacity = 0.7, shadow_blur = 2 }\n"
      "local b = text { text = 'frame 0042', x = function(t) return 90 + 10 * t end, y = 70, "
      "size = 12, color = '#ffcc00' }\n"
      "local d = dot { points = scatter { count = 20, seed = 3, radius = 4 } }\n"
      "local frame = merge { name = 'frame', layers = { a, d, b } }\n";
  const char *keep[] = {"frame"};
  src_spec s = {NULL, src, NULL, 0, keep, 1};
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *f = load(ctx, &s, YSG_BACKEND_CUDA, 0);
  cr_expect_eq(fused_layers(f), 3, "both text layers and the dots are fused on the device");
  ysg_pipeline_destroy(f);
  ysg_context_destroy(ctx);
  device_fusion_matches(&s, "frame", 3, "text layers");
}
