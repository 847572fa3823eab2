/* backend_compare.h — the GPU regression harness shared by the CUDA tests: load one pipeline on
 * the CPU backend and on the CUDA backend, run the same frames, and compare every kept value
 * (images: per-channel difference of linear premultiplied values, with empty tiles read as 0;
 * points/edges/curves/boxes: counts equal and arrays within the tolerance). Skips the calling
 * test, printing the probe's reason, when no CUDA device is usable. */
#ifndef YSG_TEST_BACKEND_COMPARE_H
#define YSG_TEST_BACKEND_COMPARE_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "util.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

/* seeded, reproducible random inputs for the test sources: splitmix64 and a uniform [0, 1) */
static inline uint64_t ysgt_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static inline double ysgt_u01(uint64_t seed, uint64_t k) {
  return (double)(ysgt_mix64(seed * 0x9e3779b97f4a7c15ull + k) >> 11) * 0x1.0p-53;
}

/* rimg: a test source, a sparse random image new every frame: a `fill` fraction of the tiles
 * hold pixels with alpha 0 (20 %), 1 (30 %) or in between and colours up to `gain` × alpha
 * (premultiplied); pixels under empty tiles hold junk, which consumers must never read. Runs on
 * the host, so device nodes get it through the executor's staging. */
enum { YSGT_RIMG_SEED, YSGT_RIMG_FILL, YSGT_RIMG_GAIN, YSGT_RIMG_N };
static const ysg_param_def ysgt_rimg_params[YSGT_RIMG_N] = {
    {"seed", YSG_PARAM_INT, "1", 0, 1e6, NULL, YSG_PARAM_STATIC, "pattern seed"},
    {"fill", YSG_PARAM_NUMBER, "0.5", 0, 1, NULL, YSG_PARAM_STATIC, "fraction of tiles used"},
    {"gain", YSG_PARAM_NUMBER, "1", 0, 4, NULL, YSG_PARAM_STATIC, "colour scale over alpha"},
};
static const ysg_port_def ysgt_rimg_out[] = {{"image", YSG_IMAGE, 0, "the pattern", NULL, 0}};

static inline ysg_status ysgt_rimg_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  uint64_t seed = (uint64_t)ysg_node_int(n, YSGT_RIMG_SEED) * 7919u + (uint64_t)f->index;
  double fill = ysg_node_number(n, YSGT_RIMG_FILL), gain = ysg_node_number(n, YSGT_RIMG_GAIN);
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++)
    v->tiles[t] = ysgt_u01(seed, (uint64_t)t) < fill;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      size_t i = (size_t)y * (size_t)v->width + (size_t)x;
      float p[4] = {9.0f, -5.0f, 3.0f, 7.0f}; /* junk: the tile is empty */
      if (v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) {
        uint64_t k = 1000003u + 8 * i;
        double r = ysgt_u01(seed, k);
        float a = r < 0.2 ? 0.0f : (r < 0.5 ? 1.0f : (float)ysgt_u01(seed, k + 1));
        for (int c = 0; c < 3; c++) p[c] = a * (float)(gain * ysgt_u01(seed, k + 2 + (uint64_t)c));
        p[3] = a;
      }
      ysg_store_px(v->px + 4 * i, p);
    }
  return YSG_OK;
}

static const ysg_node_type ysgt_rimg_type = {.name = "rimg",
                                             .category = "source",
                                             .doc = "test: a sparse random image per frame",
                                             .outputs = ysgt_rimg_out,
                                             .n_outputs = 1,
                                             .params = ysgt_rimg_params,
                                             .n_params = YSGT_RIMG_N,
                                             .flags = YSG_NODE_HOST,
                                             .run = ysgt_rimg_run};

static inline void ysgt_require_cuda(void) {
  char why[512];
  if (!ysg__cuda_probe(why, sizeof why)) cr_skip_test("%s", why);
}

static inline float ysgt_px_at(const ysg_value *v, int x, int y, int c) {
  if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) return 0.0f;
  return ysg_half_to_float(v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c]);
}

/* Largest difference between two values of the same shape; counts must match (else INFINITY). */
static inline float ysgt_value_diff(const ysg_value *a, const ysg_value *b) {
  float worst = 0.0f;
  if (a->type != b->type) return INFINITY;
  if (a->type == YSG_IMAGE) {
    if (a->width != b->width || a->height != b->height) return INFINITY;
    for (int y = 0; y < a->height; y++)
      for (int x = 0; x < a->width; x++)
        for (int c = 0; c < 4; c++) {
          float d = fabsf(ysgt_px_at(a, x, y, c) - ysgt_px_at(b, x, y, c));
          if (!(d <= worst)) worst = d;
        }
    return worst;
  }
  if (a->count != b->count) return INFINITY;
  size_t nf = 0, ni = 0;
  const float *fa = NULL, *fb = NULL;
  const int32_t *ia = NULL, *ib = NULL;
  switch (a->type) {
    case YSG_POINTS:
      fa = a->xy, fb = b->xy, nf = (size_t)a->count * 2;
      break;
    case YSG_EDGES:
      ia = a->ij, ib = b->ij, ni = (size_t)a->count * 2;
      break;
    case YSG_CURVES:
      fa = a->xy, fb = b->xy, nf = (size_t)a->count * (size_t)a->samples * 2;
      break;
    case YSG_BOXES:
      fa = a->xywh, fb = b->xywh, nf = (size_t)a->count * 4;
      break;
    default:
      break;
  }
  for (size_t i = 0; i < nf; i++) {
    float d = fabsf(fa[i] - fb[i]);
    if (!(d <= worst)) worst = d;
  }
  for (size_t i = 0; i < ni; i++)
    if (ia[i] != ib[i]) return INFINITY;
  return worst;
}

/* Load src on both backends keeping `keep`, run frames 0..frames-1 and after each frame expect
 * every kept value to match within tol. Returns the largest difference seen. */
static inline float ysgt_backends_match(const char *src, const char *const *keep, int n_keep,
                                        int frames, float tol) {
  ysgt_require_cuda();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *pc = NULL, *pg = NULL;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = n_keep;
  lo.output_dir = ysgt_tmpdir();
  lo.backend = YSG_BACKEND_CPU;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &pc), YSG_OK, "%s",
               ysg_errmsg(ctx));
  lo.backend = YSG_BACKEND_CUDA;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &pg), YSG_OK, "%s",
               ysg_errmsg(ctx));
  float worst = 0.0f;
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < n_keep; i++) {
      const ysg_value *a = NULL, *b = NULL;
      cr_assert_eq(ysg_pipeline_get_value(pc, keep[i], &a), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_get_value(pg, keep[i], &b), YSG_OK, "%s", ysg_errmsg(ctx));
      float d = ysgt_value_diff(a, b);
      cr_expect(d <= tol, "frame %d, %s: CPU and CUDA differ by %g (tolerance %g)", f, keep[i],
                (double)d, (double)tol);
      if (d > worst) worst = d;
    }
  }
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
  return worst;
}

#endif
