/* test_prim_cuda.c — the primitives search on the GPU (cuda/prim.cu) against the CPU search: the
 * same shape lists bit for bit (kind, geometry, colour, opacity, error change and RMSE) for every
 * kind, fixed and solved opacity, with and without a warm start, on the bundled picture; and the
 * node on the CUDA backend against the CPU backend. Without a usable device (or CUDA in the
 * build) every test is skipped with the probe's reason. */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "prim_search.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/prim_api.h"
#endif

static char reason[512];

static void require_device(void) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
}

static uint8_t *photo(int *w, int *h) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  cr_assert(png_image_begin_read_from_file(&im, YSG_SOURCE_DIR "/pipelines/data/prim_photo.png"));
  im.format = PNG_FORMAT_RGBA;
  *w = (int)im.width;
  *h = (int)im.height;
  uint8_t *px = malloc((size_t)*w * *h * 4);
  cr_assert(png_image_finish_read(&im, NULL, px, 0, NULL));
  return px;
}

#ifdef YSG_HAVE_CUDA
static void par_serial(void *par, int count, int grain, ysg_range_fn fn, void *ud) {
  (void)par;
  (void)grain;
  fn(ud, 0, count);
}

/* the picture area-averaged to 96 × 96 (prim_downsample from FP16, as the node does) */
static void target(prim_search *s, float mean[4]) {
  int w, h;
  uint8_t *px = photo(&w, &h);
  uint16_t *half = malloc((size_t)w * h * 8);
  for (int i = 0; i < w * h; i++) {
    float srgb[4] = {px[i * 4] / 255.0f, px[i * 4 + 1] / 255.0f, px[i * 4 + 2] / 255.0f,
                     px[i * 4 + 3] / 255.0f},
          lin[4];
    ysg_decode_srgb(srgb, lin);
    ysg_store_px(half + (size_t)i * 4, lin);
  }
  prim_downsample(half, NULL, w, h, (float)w / 96.0f, s->tgt, 96, 96, mean);
  free(half);
  free(px);
}

static void compare(uint32_t kinds, float alpha, int warm_start) {
  enum { N = 24, W = 96 };
  prim_opts o = {N, 120, 6, 40, alpha};
  void *mem = aligned_alloc(64, (prim_search_bytes(W, W, o.climbs) + 63) / 64 * 64);
  prim_search s;
  prim_search_bind(&s, mem, W, W, o.climbs);
  float mean[4];
  target(&s, mean);
  prim_search_begin(&s, mean);
  prim_space sp;
  prim_space_init(&sp, W, W, kinds, 77);
  /* the warm start: shapes of another seed's search */
  prim_cand warm[N];
  prim_record cpu[N], gpu[N];
  if (warm_start) {
    prim_space other = sp;
    other.seed = 5;
    for (int i = 0; i < N; i++) prim_random(&other, (uint32_t)i, 0, 0, &warm[i]);
  }
  ysg_cuda_prim *dev = NULL;
  char err[512] = "";
  cr_assert_eq(ysg__cuda_prim_create(W, W, N, o.climbs, o.candidates, &dev, err, sizeof err),
               YSG_OK, "%s", err);
  int64_t gpu_evals = 0, cpu_evals = 0;
  cr_assert_eq(ysg__cuda_prim_search(dev, &s, &o, &sp, warm_start ? warm : NULL, gpu, &gpu_evals,
                                     err, sizeof err),
               YSG_OK, "%s", err);
  for (int i = 0; i < N; i++)
    cpu_evals +=
        prim_search_step(&s, &o, &sp, i, warm_start ? &warm[i] : NULL, &cpu[i], par_serial, NULL);
  for (int i = 0; i < N; i++) {
    cr_assert_eq(gpu[i].kind, cpu[i].kind, "shape %d: kind %d on the GPU, %d on the CPU", i,
                 gpu[i].kind, cpu[i].kind);
    for (int k = 0; k < 8; k++)
      cr_assert_eq(gpu[i].g[k], cpu[i].g[k],
                   "shape %d: geometry %d is %.9g on the GPU, %.9g "
                   "on the CPU",
                   i, k, gpu[i].g[k], cpu[i].g[k]);
    cr_assert(!memcmp(&gpu[i], &cpu[i], sizeof gpu[i]),
              "shape %d: colour/opacity/error differ (GPU rgb %g %g %g s %g de %g rmse %g; CPU "
              "rgb %g %g %g s %g de %g rmse %g)",
              i, gpu[i].rgb[0], gpu[i].rgb[1], gpu[i].rgb[2], gpu[i].s, gpu[i].de, gpu[i].error,
              cpu[i].rgb[0], cpu[i].rgb[1], cpu[i].rgb[2], cpu[i].s, cpu[i].de, cpu[i].error);
  }
  cr_assert_eq(gpu_evals, cpu_evals);
  ysg__cuda_prim_destroy(dev);
  free(mem);
}
#endif

Test(prim_cuda, triangles_fixed_opacity) {
  require_device();
#ifdef YSG_HAVE_CUDA
  compare(1u << YSG_PRIM_TRIANGLE, 0.5f, 0);
#endif
}

Test(prim_cuda, every_kind_solved_opacity) {
  require_device();
#ifdef YSG_HAVE_CUDA
  compare((1u << YSG_PRIM_KIND_COUNT) - 1, 0.0f, 0);
#endif
}

Test(prim_cuda, warm_start) {
  require_device();
#ifdef YSG_HAVE_CUDA
  compare((1u << YSG_PRIM_TRIANGLE) | (1u << YSG_PRIM_ROTATED_ELLIPSE) | (1u << YSG_PRIM_QUADRATIC),
          0.0f, 1);
#endif
}

/* the node on the CUDA backend finds what the CPU backend finds, and draws the same image */
Test(prim_cuda, node_on_both_backends) {
  require_device();
  int w, h;
  uint8_t *px = photo(&w, &h);
  const ysg_value *v[2];
  static uint8_t img[2][256 * 256 * 4];
  ysg_context *ctx[2];
  ysg_pipeline *p[2];
  for (int b = 0; b < 2; b++) {
    ctx[b] = ysgt_ctx_warn(2);
    ysg_load_options lo;
    ysg_load_options_init(&lo);
    lo.backend = b ? YSG_BACKEND_CUDA : YSG_BACKEND_CPU;
    const char *keep[] = {"p", "p.shapes"};
    lo.keep = keep;
    lo.n_keep = 2;
    cr_assert_eq(ysg_pipeline_load_string(
                     ctx[b],
                     "canvas { width = 256, height = 256 }\n"
                     "local t = image_in { name = \"target\" }\n"
                     "primitives { name = \"p\", image = t, count = 40, shapes = \"all\", alpha "
                     "= 0, work_size = 128, candidates = 100, climbs = 8, age = 32 }",
                     "test.lua", &lo, &p[b]),
                 YSG_OK, "%s", ysg_errmsg(ctx[b]));
    ysg_image_desc d = {w, h, YSG_RGBA8_SRGB, px, 0};
    cr_assert_eq(ysg_pipeline_set_image(p[b], "target", &d), YSG_OK);
    cr_assert_eq(ysg_pipeline_run_frame(p[b], 0), YSG_OK, "%s", ysg_errmsg(ctx[b]));
    cr_assert_eq(ysg_pipeline_get_value(p[b], "p.shapes", &v[b]), YSG_OK);
    cr_assert_eq(ysg_pipeline_read_image(p[b], "p", YSG_RGBA8_SRGB, img[b], sizeof img[b], 0),
                 YSG_OK);
  }
  cr_assert_eq(v[0]->count, v[1]->count);
  cr_assert(!memcmp(v[0]->kind, v[1]->kind, sizeof(int32_t) * v[0]->count));
  cr_assert(!memcmp(v[0]->geom, v[1]->geom, sizeof(float) * 8 * v[0]->count));
  cr_assert(!memcmp(v[0]->rgba, v[1]->rgba, sizeof(float) * 4 * v[0]->count));
  cr_assert(!memcmp(img[0], img[1], sizeof img[0]), "the images differ");
  for (int b = 0; b < 2; b++) {
    ysg_pipeline_destroy(p[b]);
    ysg_context_destroy(ctx[b]);
  }
  free(px);
}
