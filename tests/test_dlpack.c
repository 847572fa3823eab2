/* test_dlpack.c — DLPack on the CPU backend: a lent image tensor is read at every frame (writing
 * into it between frames changes the next frame: no copy was made) and released exactly once when
 * replaced or at destroy; exported views alias the arena, have the documented dtype/shape/
 * strides, and keep the memory valid after the pipeline and its context are destroyed; images
 * read into padded tensors; strided point tensors; and each kind of bad tensor refused with a
 * message naming what was expected. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef YSG_HAVE_DLPACK
Test(dlpack, needs_the_dlpack_header) {
  cr_skip_test("this build has no DLPack header (Debian: libdlpack-dev)");
}
#else
#include "internal.h"
#include "util.h"
#include "ysgraph/dlpack.h"

#define W 32
#define H 16
#define SRC                                  \
  "canvas { width = 32, height = 16 }\n"     \
  "local i = image_in { name = 'img' }\n"    \
  "local pts = points_in { name = 'pts' }\n" \
  "merge { name = 'out', layers = { i } }\n" \
  "dot { name = 'dots', points = pts }\n"

typedef struct lent {
  DLManagedTensor m;
  int64_t shape[3], strides[3];
  int released;
} lent;

static void lent_deleter(DLManagedTensor *self) { ((lent *)self->manager_ctx)->released++; }

static void make(lent *l, void *data, DLDataType dt, int ndim, const int64_t *shape,
                 const int64_t *strides) {
  memset(l, 0, sizeof *l);
  memcpy(l->shape, shape, sizeof(int64_t) * (size_t)ndim);
  if (strides) memcpy(l->strides, strides, sizeof(int64_t) * (size_t)ndim);
  l->m.dl_tensor.data = data;
  l->m.dl_tensor.device.device_type = kDLCPU;
  l->m.dl_tensor.ndim = ndim;
  l->m.dl_tensor.dtype = dt;
  l->m.dl_tensor.shape = l->shape;
  l->m.dl_tensor.strides = strides ? l->strides : NULL;
  l->m.manager_ctx = l;
  l->m.deleter = lent_deleter;
}

static const DLDataType U8 = {kDLUInt, 8, 1}, F32 = {kDLFloat, 32, 1}, F16 = {kDLFloat, 16, 1};

static ysg_pipeline *load(ysg_context *ctx) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, SRC, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

Test(dlpack, a_lent_image_is_read_every_frame_and_released_once) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx);
  static uint8_t rgb[H][W][3], got[H * W * 4];
  lent a, b;
  make(&a, rgb, U8, 3, (int64_t[]){H, W, 3}, NULL);
  cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "img", YSG_RGB8_SRGB, &a.m), YSG_OK, "%s",
               ysg_errmsg(ctx));
  for (int f = 0; f < 3; f++) {
    rgb[5][7][0] = (uint8_t)(10 * f + 1); /* written between frames */
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_read_image(p, "out", YSG_RGBA8_SRGB, got, sizeof got, 0), YSG_OK);
    cr_assert_eq(got[(5 * W + 7) * 4], 10 * f + 1, "frame %d reads the tensor as it is now", f);
    cr_assert_eq(got[(5 * W + 7) * 4 + 3], 255);
  }
  cr_assert_eq(a.released, 0);
  static float rgbf[H][W][3];
  make(&b, rgbf, F32, 3, (int64_t[]){H, W, 3}, NULL);
  cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "img", YSG_RGB32F_SRGB, &b.m), YSG_OK);
  cr_assert_eq(a.released, 1, "replaced: released");
  rgbf[0][0][1] = NAN;
  cr_assert_eq(ysg_pipeline_run_frame(p, 3), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'img' (image_in): frame 3: pixel (0, 0) channel 1 is not a "
                   "finite number (rgb32f image)");
  ysg_pipeline_destroy(p);
  cr_assert_eq(b.released, 1, "destroyed: released");
  cr_assert_eq(a.released, 1);
  ysg_context_destroy(ctx);
}

Test(dlpack, exported_views_alias_the_arena_and_outlive_the_pipeline) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx);
  static uint8_t rgba[H][W][4];
  rgba[3][4][0] = 200, rgba[3][4][3] = 255;
  ysg_image_desc d = {W, H, YSG_RGBA8_SRGB, rgba, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK);
  float xy[6] = {4, 4, 20, 8, 30, 1};
  ysg_points_desc pd = {3, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(p, "pts", &pd), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  DLManagedTensor *img = NULL, *pts = NULL;
  cr_assert_eq(ysg_pipeline_get_value_dlpack(p, "out", &img), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK);
  DLTensor *t = &img->dl_tensor;
  cr_assert_eq(t->data, (void *)v->px, "a view, not a copy");
  cr_assert(t->device.device_type == kDLCPU && t->ndim == 3 && t->dtype.code == kDLFloat &&
            t->dtype.bits == 16 && t->dtype.lanes == 1);
  cr_assert(t->shape[0] == H && t->shape[1] == W && t->shape[2] == 4);
  cr_assert(t->strides[0] == W * 4 && t->strides[1] == 4 && t->strides[2] == 1);
  /* points_in's output is consumed: not kept, so not readable */
  cr_assert_eq(ysg_pipeline_get_value_dlpack(p, "pts", &pts), YSG_ERR_INVALID);
  cr_assert_null(pts);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  /* the pipeline and context are gone; the view's memory is not */
  uint16_t h = ((uint16_t *)t->data)[(3 * W + 4) * 4 + 3];
  cr_assert_eq(h, 0x3c00, "alpha 1.0 still readable");
  img->deleter(img); /* frees the arena, the pipeline and the context */
}

Test(dlpack, points_view_and_strided_points_in) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  const char *keep[] = {"pts"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, SRC, "test.lua", &lo, &p), YSG_OK);
  float rows[3][4] = {{1, 2, 90, 91}, {3, 4, 92, 93}, {5, 6, 94, 95}}; /* xy are columns 0,1 */
  lent l;
  make(&l, rows, F32, 2, (int64_t[]){3, 2}, (int64_t[]){4, 1});
  cr_assert_eq(ysg_pipeline_set_points_dlpack(p, "pts", &l.m.dl_tensor), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  DLManagedTensor *t = NULL;
  cr_assert_eq(ysg_pipeline_get_value_dlpack(p, "pts", &t), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert(t->dl_tensor.shape[0] == 3 && t->dl_tensor.shape[1] == 2);
  const float *xy = t->dl_tensor.data;
  for (int i = 0; i < 3; i++) cr_assert(xy[2 * i] == rows[i][0] && xy[2 * i + 1] == rows[i][1]);
  t->deleter(t);
  make(&l, rows, F32, 2, (int64_t[]){3, 3}, NULL);
  cr_assert_eq(ysg_pipeline_set_points_dlpack(p, "pts", &l.m.dl_tensor), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "ysg_pipeline_set_points_dlpack: node 'pts': xy: expected a float32 tensor of "
                   "shape (N, 2) (x, y) on the CPU, got float32 (3, 3) on cpu");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dlpack, read_image_into_a_padded_tensor) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx);
  static float mask[H][W];
  mask[2][3] = 0.25f;
  ysg_image_desc d = {W, H, YSG_A32F, mask, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  static float out[H][W + 5][3];
  memset(out, 0xff, sizeof out);
  lent l;
  make(&l, out, F32, 3, (int64_t[]){H, W, 3}, (int64_t[]){(W + 5) * 3, 3, 1});
  cr_assert_eq(ysg_pipeline_read_image_dlpack(p, "out", YSG_RGB32F_SRGB, &l.m.dl_tensor), YSG_OK,
               "%s", ysg_errmsg(ctx));
  cr_assert_float_eq(out[2][3][0], 1.0f, 1e-6); /* white, straight colour */
  cr_assert_float_eq(out[0][0][0], 0.0f, 0);
  uint32_t pad;
  memcpy(&pad, &out[0][W][0], 4);
  cr_assert_eq(pad, 0xffffffffu, "the padding is not written");
  static float alpha[H][W];
  make(&l, alpha, F32, 2, (int64_t[]){H, W}, NULL);
  cr_assert_eq(ysg_pipeline_read_image_dlpack(p, "out", YSG_A32F, &l.m.dl_tensor), YSG_OK);
  cr_assert_float_eq(alpha[2][3], 0.25f, 1e-3);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dlpack, bad_tensors_are_refused_naming_what_was_expected) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx);
  static float buf[H * W * 4 + 8];
  lent l;
  struct {
    DLDataType dt;
    int ndim;
    int64_t shape[3], strides[3];
    int strided;
    int device;
    ysg_pixel_format fmt;
    const char *msg;
  } cases[] = {
      {F32,
       3,
       {H, W, 4},
       {0},
       0,
       kDLCPU,
       YSG_RGBA8_SRGB,
       "expected a uint8 tensor of shape (16, 32, 4) (rgba8, the canvas size) on the CPU, got "
       "float32 (16, 32, 4) on cpu"},
      {U8,
       3,
       {H, W, 3},
       {0},
       0,
       kDLCPU,
       YSG_RGBA8_SRGB,
       "expected a uint8 tensor of shape (16, 32, 4) (rgba8, the canvas size) on the CPU, got "
       "uint8 (16, 32, 3) on cpu"},
      {F32,
       3,
       {H, 30, 3},
       {0},
       0,
       kDLCPU,
       YSG_RGB32F_SRGB,
       "expected a float32 tensor of shape (16, 32, 3) (rgb32f, the canvas size) on the CPU, got "
       "float32 (16, 30, 3) on cpu"},
      {F32,
       3,
       {H, W, 3},
       {W * 3, 1, W * H},
       1,
       kDLCPU,
       YSG_RGB32F_SRGB,
       "expected a float32 tensor of shape (16, 32, 3) (rgb32f, the canvas size) on the CPU, got "
       "float32 (16, 32, 3) strides (96, 1, 512) on cpu: pixels and channels must be packed "
       "(copy it contiguous)"},
      {F16,
       3,
       {H, W, 4},
       {0},
       0,
       kDLCUDA,
       YSG_RGBA16F_LINEAR,
       "expected a float16 tensor of shape (16, 32, 4) (rgba16f_linear, the canvas size) on the "
       "CPU, got float16 (16, 32, 4) on cuda:0: the pipeline runs on the CPU backend (copy the "
       "tensor to the host, or load the pipeline with the CUDA backend)"},
      {F32,
       2,
       {H, W},
       {0},
       0,
       kDLCPU,
       YSG_RGB32F_SRGB,
       "expected a float32 tensor of shape (16, 32, 3) (rgb32f, the canvas size) on the CPU, got "
       "float32 (16, 32) on cpu"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    make(&l, buf, cases[i].dt, cases[i].ndim, cases[i].shape,
         cases[i].strided ? cases[i].strides : NULL);
    l.m.dl_tensor.device.device_type = (DLDeviceType)cases[i].device;
    cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "img", cases[i].fmt, &l.m), YSG_ERR_INVALID,
                 "case %zu", i);
    char want[512];
    snprintf(want, sizeof want, "ysg_pipeline_set_image_dlpack: node 'img': %s", cases[i].msg);
    cr_assert_str_eq(ysg_errmsg(ctx), want, "case %zu", i);
    cr_assert_eq(l.released, 0, "a refused tensor stays the caller's");
  }
  make(&l, buf, U8, 3, (int64_t[]){H, W, 4}, NULL);
  cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "nope", YSG_RGBA8_SRGB, &l.m), YSG_ERR_NOT_FOUND);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "ysg_pipeline_set_image_dlpack: test.lua: no node named 'nope'");
  cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "pts", YSG_RGBA8_SRGB, &l.m), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "ysg_pipeline_set_image_dlpack: test.lua: node 'pts' is a points_in node, "
                   "expected image_in");
  cr_assert_eq(ysg_pipeline_set_image_dlpack(p, "img", YSG_RGBA8_SRGB, NULL), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "ysg_pipeline_set_image_dlpack: node 'img': expected a uint8 tensor of shape "
                   "(16, 32, 4) (rgba8, the canvas size) on the CPU, got NULL");
  cr_assert_eq(ysg_pipeline_set_cuda_stream(p, NULL), YSG_ERR_UNSUPPORTED);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua: ysg_pipeline_set_cuda_stream: the pipeline runs on the CPU backend");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
#endif
