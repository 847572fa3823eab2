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
