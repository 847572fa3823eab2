/* matte_util.h — helpers of the matte test suites: a context with the test sources registered
 * (gscreen from matte_fixture.h, rimg from backend_compare.h, `sized`: a transparent image of a
 * given size), loading with kept values, reading an image value as floats (empty tiles as 0),
 * writing/reading raw float32 files for tests/matte_ref.py, and running that script. */
#ifndef YSG_TEST_MATTE_UTIL_H
#define YSG_TEST_MATTE_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_compare.h"
#include "matte_fixture.h"
#include "util.h"

enum { YSGT_SIZED_W, YSGT_SIZED_H, YSGT_SIZED_N };
static const ysg_param_def ysgt_sized_params[YSGT_SIZED_N] = {
    {"width", YSG_PARAM_INT, "8", 1, 1e5, NULL, YSG_PARAM_STATIC, "px"},
    {"height", YSG_PARAM_INT, "8", 1, 1e5, NULL, YSG_PARAM_STATIC, "px"},
};
static const ysg_port_def ysgt_sized_out[] = {{"image", YSG_IMAGE, 0, "transparent", NULL, 0}};
static inline ysg_status ysgt_sized_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->width = ysg_node_int(n, YSGT_SIZED_W);
  v->height = ysg_node_int(n, YSGT_SIZED_H);
  return YSG_OK;
}
static inline ysg_status ysgt_sized_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memset(v->tiles, 0, (size_t)v->tiles_x * (size_t)v->tiles_y);
  return YSG_OK;
}
static const ysg_node_type ysgt_sized_type = {.name = "sized",
                                              .category = "source",
                                              .doc = "test: a transparent image of any size",
                                              .outputs = ysgt_sized_out,
                                              .n_outputs = 1,
                                              .params = ysgt_sized_params,
                                              .n_params = YSGT_SIZED_N,
                                              .flags = YSG_NODE_HOST,
                                              .infer = ysgt_sized_infer,
                                              .run = ysgt_sized_run};

static inline ysg_context *ysgt_matte_ctx(void) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &ysgt_gs_type), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &ysgt_rimg_type), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &ysgt_sized_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static inline ysg_pipeline *ysgt_matte_load(ysg_context *ctx, const char *src,
                                            const char *const *keep, int n_keep,
                                            ysg_backend backend, int no_graphs) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = n_keep;
  lo.output_dir = ysgt_tmpdir();
  lo.backend = backend;
  lo.no_graphs = no_graphs;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK, "%s\n%s",
               ysg_errmsg(ctx), src);
  return p;
}

/* Loading src must fail with exactly msg (the test sources registered). */
static inline void ysgt_matte_load_fails(const char *src, const char *msg) {
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = ysgt_tmpdir();
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p);
  cr_expect_neq(s, YSG_OK, "loaded:\n%s", src);
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  if (p) ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* A kept image as W×H×4 floats (malloc'ed). */
static inline float *ysgt_floats(ysg_pipeline *p, const char *ref, int *w, int *h) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, ref, &v), YSG_OK, "%s", ref);
  float *f = malloc((size_t)v->width * (size_t)v->height * 4 * sizeof(float));
  cr_assert_not_null(f);
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      for (int c = 0; c < 4; c++) f[((size_t)y * v->width + x) * 4 + c] = ysgt_px_at(v, x, y, c);
  if (w) *w = v->width;
  if (h) *h = v->height;
  return f;
}

static inline const char *ysgt_write_f32(const char *name, const float *f, size_t n) {
  static char path[8][512];
  static int k;
  char *pth = path[k++ % 8];
  snprintf(pth, 512, "%s/%s", ysgt_tmpdir(), name);
  FILE *fp = fopen(pth, "wb");
  cr_assert(fp && fwrite(f, sizeof(float), n, fp) == n && fclose(fp) == 0, "cannot write %s", pth);
  return pth;
}

static inline float *ysgt_read_f32(const char *path, size_t n) {
  size_t len = 0;
  char *d = ysgt_read(path, &len);
  cr_assert(d && len == n * sizeof(float), "%s: %zu bytes, expected %zu", path, len,
            n * sizeof(float));
  return (float *)d;
}

/* Run tests/matte_ref.py with the arguments (already quoted where needed). */
static inline void ysgt_matte_ref(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/matte_ref.py' %s", YSG_SOURCE_DIR, args);
  char *out = NULL, *err = NULL;
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "%s\nexit %d: %s", cmd, rc, err ? err : "");
  free(out);
  free(err);
}

#endif
