/* test_dlpack_cuda.c — DLPack with CUDA tensors on the CUDA backend, against the CPU backend fed
 * the same pixels from the host: a lent kDLCUDA image (every pixel format) converted by the
 * device path, the kDLCUDA view of a kept image (empty tiles zeroed on the device), images read
 * into device tensors in every format, kDLCUDA points copied in, and frames ordered after and
 * before a host stream (ysg_pipeline_set_cuda_stream). Skipped, with the probe's reason, without
 * a usable device or without CUDA/DLPack in the build. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

#if defined(YSG_HAVE_CUDA) && defined(YSG_HAVE_DLPACK)
#include "../cuda/cuda_api.h"
#include "../cuda/executor_api.h"
#include "color.h"
#include "ysgraph/dlpack.h"

#define W 80
#define H 40
#define SRC                                                         \
  "canvas { width = 80, height = 40 }\n"                            \
  "local i = image_in { name = 'img' }\n"                           \
  "local pts = points_in { name = 'pts', capacity = 8 }\n"          \
  "local d = dot { points = pts, radius = 5, color = '#40c0ff' }\n" \
  "merge { name = 'out', layers = { i, { d, mode = 'add' } } }\n"

static char reason[512], err[1024];
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)

static void require_device(void) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA DLPack test skipped: %s", reason);
    cr_skip_test("CUDA DLPack test skipped: %s", reason);
  }
}

static ysg_pipeline *load(ysg_context *ctx, ysg_backend backend) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = backend;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, SRC, "test.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_backend(p), backend);
  return p;
}

typedef struct dev_tensor {
  DLManagedTensor m;
  int64_t shape[3];
  int released;
} dev_tensor;

static void dev_deleter(DLManagedTensor *self) {
  dev_tensor *t = self->manager_ctx;
  ysg__cuda_free(t->m.dl_tensor.data);
  t->released++;
}

/* a packed device tensor holding bytes of the format's host image */
static void dev_make(dev_tensor *t, ysg_pixel_format f, const void *host, size_t bytes) {
  memset(t, 0, sizeof *t);
  int c = ysg_pixel_format_channels(f);
  size_t elem = ysg_pixel_format_size(f) / (size_t)c;
  void *d = NULL;
  CK(ysg__cuda_malloc(&d, bytes, err, sizeof err));
  if (host) CK(ysg__cuda_upload(d, host, bytes, NULL, err, sizeof err));
  CK(ysg__cuda_sync(NULL, err, sizeof err));
  t->shape[0] = H, t->shape[1] = W, t->shape[2] = c;
  DLTensor *x = &t->m.dl_tensor;
  x->data = d;
  x->device.device_type = kDLCUDA;
  x->device.device_id = 0;
  x->ndim = c > 1 ? 3 : 2;
  int is_float = f == YSG_RGBA16F_LINEAR || f == YSG_RGBA32F_LINEAR || f == YSG_RGB32F_SRGB ||
                 f == YSG_RGBA32F_SRGB || f == YSG_A32F;
  x->dtype.code = is_float ? kDLFloat : kDLUInt;
  x->dtype.bits = (uint8_t)(elem * 8);
  x->dtype.lanes = 1;
  x->shape = t->shape;
  t->m.manager_ctx = t;
  t->m.deleter = dev_deleter;
}

/* host pixels of format f: a pattern whose 8-bit sRGB reading is well inside the levels */
static void pattern(ysg_pixel_format f, unsigned char *out) {
  int c = ysg_pixel_format_channels(f);
  size_t elem = ysg_pixel_format_size(f) / (size_t)c;
  for (int i = 0; i < W * H; i++)
    for (int k = 0; k < c; k++) {
      double v = ((i * 7 + k * 31) % 200 + 20) / 255.0; /* 20..219 of 255 */
      if (k == 3 || f == YSG_A32F) v = (i % 3) ? 1.0 : 0.5;
      unsigned char *o = out + ((size_t)i * (size_t)c + (size_t)k) * elem;
      if (elem == 1) {
        o[0] = (unsigned char)lround(v * 255);
      } else if (elem == 2 && f == YSG_RGBA16F_LINEAR) {
        uint16_t h = ysg_float_to_half((float)(v * (k == 3 ? 1.0 : 0.5)));
        memcpy(o, &h, 2);
      } else if (elem == 2) {
        uint16_t h = (uint16_t)lround(v * 65535);
        memcpy(o, &h, 2);
      } else {
        float x = (float)(f == YSG_RGBA32F_LINEAR && k < 3 ? v * 0.5 : v);
        memcpy(o, &x, 4);
      }
    }
}

Test(dlpack_cuda, lent_device_images_match_the_cpu_backend) {
  require_device();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *cpu = load(ctx, YSG_BACKEND_CPU), *gpu = load(ctx, YSG_BACKEND_CUDA);
  float xy[4] = {20, 20, 60, 10};
  ysg_points_desc pd = {2, xy, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(cpu, "pts", &pd), YSG_OK);
  cr_assert_eq(ysg_pipeline_set_points(gpu, "pts", &pd), YSG_OK);
  static unsigned char host[W * H * 16], a[W * H * 4], b[W * H * 4];
  for (int f = 0; f < YSG_PIXEL_FORMAT_COUNT; f++) {
    size_t bytes = (size_t)W * H * ysg_pixel_format_size((ysg_pixel_format)f);
    pattern((ysg_pixel_format)f, host);
    ysg_image_desc d = {W, H, (ysg_pixel_format)f, host, 0};
    cr_assert_eq(ysg_pipeline_set_image(cpu, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
    dev_tensor t;
    dev_make(&t, (ysg_pixel_format)f, host, bytes);
    cr_assert_eq(ysg_pipeline_set_image_dlpack(gpu, "img", (ysg_pixel_format)f, &t.m), YSG_OK, "%s",
                 ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(cpu, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(gpu, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_read_image(cpu, "out", YSG_RGBA8_SRGB, a, sizeof a, 0), YSG_OK);
    cr_assert_eq(ysg_pipeline_read_image(gpu, "out", YSG_RGBA8_SRGB, b, sizeof b, 0), YSG_OK);
    for (size_t i = 0; i < sizeof a; i++)
      cr_assert(abs(a[i] - b[i]) <= 1, "%s: byte %zu: cpu %d, cuda %d",
                ysg_pixel_format_name((ysg_pixel_format)f), i, a[i], b[i]);
    /* the next set replaces the tensor: released once */
    ysg_image_desc none = {W, H, YSG_RGBA8_SRGB, a, 0};
    cr_assert_eq(ysg_pipeline_set_image(gpu, "img", &none), YSG_OK);
    cr_assert_eq(t.released, 1);
  }
  ysg_pipeline_destroy(cpu);
  ysg_pipeline_destroy(gpu);
  ysg_context_destroy(ctx);
}

Test(dlpack_cuda, device_views_and_reads_into_device_tensors) {
  require_device();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *cpu = load(ctx, YSG_BACKEND_CPU), *gpu = load(ctx, YSG_BACKEND_CUDA);
  void *stream = NULL; /* a host stream: frames and reads ordered with it, no host waits */
  CK(ysg__cuda_stream_create(&stream, err, sizeof err));
  cr_assert_eq(ysg_pipeline_set_cuda_stream(gpu, stream), YSG_OK);
  static float pts[2][2] = {{10, 10}, {70, 30}};
  dev_tensor dp;
  memset(&dp, 0, sizeof dp);
  void *dxy = NULL;
  CK(ysg__cuda_malloc(&dxy, sizeof pts, err, sizeof err));
  CK(ysg__cuda_upload(dxy, pts, sizeof pts, NULL, err, sizeof err));
  CK(ysg__cuda_sync(NULL, err, sizeof err));
  int64_t pshape[2] = {2, 2};
  DLTensor xy = {dxy, {kDLCUDA, 0}, 2, {kDLFloat, 32, 1}, pshape, NULL, 0};
  cr_assert_eq(ysg_pipeline_set_points_dlpack(gpu, "pts", &xy), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_points_desc pd = {2, &pts[0][0], NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(cpu, "pts", &pd), YSG_OK);
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(cpu, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(gpu, f), YSG_OK, "%s", ysg_errmsg(ctx));
  }
  DLManagedTensor *view = NULL;
  cr_assert_eq(ysg_pipeline_get_value_dlpack(gpu, "out", &view), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(view->dl_tensor.device.device_type, kDLCUDA);
  const ysg_value *ref;
  cr_assert_eq(ysg_pipeline_get_value(cpu, "out", &ref), YSG_OK);
  static uint16_t got[W * H * 4];
  CK(ysg__cuda_download(got, view->dl_tensor.data, sizeof got, stream, err, sizeof err));
  CK(ysg__cuda_sync(stream, err, sizeof err));
  for (int i = 0; i < W * H * 4; i++)
    cr_assert(fabsf(ysg_half_to_float(got[i]) - ysg_half_to_float(ref->px[i])) <= 1e-3f,
              "FP16 view value %d: cuda %g, cpu %g", i, (double)ysg_half_to_float(got[i]),
              (double)ysg_half_to_float(ref->px[i]));
  view->deleter(view);
  static unsigned char want[W * H * 16], dst_host[W * H * 16];
  for (int f = 0; f < YSG_PIXEL_FORMAT_COUNT; f++) {
    size_t bytes = (size_t)W * H * ysg_pixel_format_size((ysg_pixel_format)f);
    cr_assert_eq(ysg_pipeline_read_image(cpu, "out", (ysg_pixel_format)f, want, bytes, 0), YSG_OK);
    dev_tensor t;
    dev_make(&t, (ysg_pixel_format)f, NULL, bytes);
    cr_assert_eq(ysg_pipeline_read_image_dlpack(gpu, "out", (ysg_pixel_format)f, &t.m.dl_tensor),
                 YSG_OK, "%s", ysg_errmsg(ctx));
    CK(ysg__cuda_download(dst_host, t.m.dl_tensor.data, bytes, stream, err, sizeof err));
    CK(ysg__cuda_sync(stream, err, sizeof err));
    int is_float = ysg_pixel_format_size((ysg_pixel_format)f) /
                       (size_t)ysg_pixel_format_channels((ysg_pixel_format)f) ==
                   4;
    for (size_t i = 0; i < bytes; i += is_float ? 4 : 1) {
      if (is_float) {
        float x, y;
        memcpy(&x, want + i, 4);
        memcpy(&y, dst_host + i, 4);
        cr_assert(fabsf(x - y) <= 2e-3f, "%s: float %zu: cpu %g, cuda %g",
                  ysg_pixel_format_name((ysg_pixel_format)f), i / 4, (double)x, (double)y);
      } else if (f == YSG_RGBA16F_LINEAR || f == YSG_RGBA16_SRGB || f == YSG_RGB16_SRGB) {
        uint16_t x, y;
        memcpy(&x, want + i, 2);
        memcpy(&y, dst_host + i, 2);
        cr_assert(abs((int)x - (int)y) <= (f == YSG_RGBA16F_LINEAR ? 0 : 1), "%s: %zu",
                  ysg_pixel_format_name((ysg_pixel_format)f), i / 2);
        i++;
      } else {
        cr_assert(abs(want[i] - dst_host[i]) <= 1, "%s: byte %zu: cpu %d, cuda %d",
                  ysg_pixel_format_name((ysg_pixel_format)f), i, want[i], dst_host[i]);
      }
    }
    t.m.deleter(&t.m);
  }
  ysg__cuda_free(dxy);
  ysg_pipeline_destroy(cpu);
  ysg_pipeline_destroy(gpu);
  ysg__cuda_stream_destroy(stream);
  ysg_context_destroy(ctx);
}

#else
Test(dlpack_cuda, needs_cuda_and_dlpack) {
  cr_skip_test("CUDA DLPack test skipped: this build has no CUDA or no DLPack header");
}
#endif
