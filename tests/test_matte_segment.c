/* test_matte_segment.c — the `segment` node (OpenCV's DNN module on the CPU) on tiny ONNX models
 * built here with Debian's python3-onnx (tests/matte_seg.py: a fixed 3×3 convolution and a
 * sigmoid), against numpy's evaluation of the same model with the node's resampling (area in,
 * bilinear out) — at the model's size, at half size and at a non-integer ratio; a CUDA pipeline
 * takes its matte from the host; and the errors: missing and bad files, an operator OpenCV
 * cannot run, an input size the model does not take, a symbolic size without width/height, an
 * output channel the model does not have. */
#include <math.h>

#include "matte_segment.h"
#include "matte_util.h"

#ifdef YSG_HAVE_OPENCV

#define FW 64
#define FH 48

static const char *model(const char *name, int h, int w, const char *op) {
  static char path[4][600];
  static int k;
  char *p = path[k++ % 4], cmd[2048];
  snprintf(p, 600, "%s/%s", ysgt_tmpdir(), name);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/matte_seg.py' make '%s' %d %d %s",
           YSG_SOURCE_DIR, p, h, w, op ? op : "");
  char *out = NULL, *err = NULL;
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "%s\nexit %d: %s", cmd, rc, err ? err : "");
  free(out), free(err);
  return p;
}

static ysg_status load(ysg_context *ctx, const char *src, ysg_backend be, ysg_pipeline **p) {
  const char *keep[] = {"g", "s"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep, lo.n_keep = 2, lo.output_dir = ysgt_tmpdir(), lo.unsafe = 1, lo.backend = be;
  *p = NULL;
  return ysg_pipeline_load_string(ctx, src, "test.lua", &lo, p);
}

/* segment{model, width=mw, height=mh, channel} on a green-screen frame vs numpy */
static void against_numpy(const char *path, int mw, int mh, int channel, const char *args) {
  char src[2048];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d}\n"
           "local g = gscreen{speed=0, name='g'}\n"
           "segment{image=g, model='%s', channel=%d, name='s' %s}\n",
           FW, FH, path, channel, args);
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  float *g = ysgt_floats(p, "g", NULL, NULL), *s = ysgt_floats(p, "s", NULL, NULL);
  const char *fin = ysgt_write_f32("seg_in.f32", g, (size_t)FW * FH * 4);
  char out[600], cmd[2048];
  snprintf(out, sizeof out, "%s/seg_ref.f32", ysgt_tmpdir());
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/tests/matte_seg.py' ref '%s' '%s' %d %d %d %d %d '%s'",
           YSG_SOURCE_DIR, path, fin, FW, FH, mw, mh, channel, out);
  char *o = NULL, *e = NULL;
  int rc = ysgt_sh(cmd, &o, &e);
  cr_assert_eq(rc, 0, "%s\nexit %d: %s", cmd, rc, e ? e : "");
  free(o), free(e);
  float *ref = ysgt_read_f32(out, (size_t)FW * FH);
  double worst = 0, lo = 1, hi = 0;
  for (int i = 0; i < FW * FH; i++) {
    worst = fmax(worst, fabs((double)s[4 * i + 3] - ref[i]));
    lo = fmin(lo, ref[i]), hi = fmax(hi, ref[i]);
    cr_assert_eq(s[4 * i], s[4 * i + 3], "a matte is (m, m, m, m)");
  }
  fprintf(stderr, "segment %dx%d model on a %dx%d frame, channel %d: max |node − numpy| %.2e\n", mw,
          mh, FW, FH, channel, worst);
  cr_expect_gt(hi - lo, 0.1, "the model's output is flat (%g..%g): nothing tested", lo, hi);
  /* FP16 frame and matte, float32 convolution in OpenCV */
  cr_expect_leq(worst, 2e-3, "%dx%d: segment differs from numpy by %g", mw, mh, worst);
  free(g), free(s), free(ref);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_segment, matches_numpy_at_the_model_size) {
  against_numpy(model("full.onnx", FH, FW, NULL), FW, FH, 0, "");
  against_numpy(model("full.onnx", FH, FW, NULL), FW, FH, 1, "");
}

Test(matte_segment, matches_numpy_resized_in_and_out) {
  against_numpy(model("half.onnx", FH / 2, FW / 2, NULL), FW / 2, FH / 2, 0, "");
  against_numpy(model("odd.onnx", 20, 25, NULL), 25, 20, 1, "");
  against_numpy(model("any.onnx", 0, 0, NULL), 40, 30, 0, ", width=40, height=30");
}

/* a host node: its matte reaches the device nodes through the staging buffers */
Test(matte_segment, feeds_device_nodes_on_cuda) {
  const char *path = model("half.onnx", FH / 2, FW / 2, NULL);
  char src[2048];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d}\n"
           "local g = gscreen{speed=0, name='g'}\n"
           "local m = segment{image=g, model='%s'}\n"
           "matte{matte=m, blur=1, name='s'}\n",
           FW, FH, path);
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *pc, *pg;
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CPU, &pc), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pc, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  char why[512];
  if (!ysg__cuda_probe(why, sizeof why)) {
    ysg_pipeline_destroy(pc);
    ysg_context_destroy(ctx);
    cr_skip_test("%s", why);
  }
  cr_assert_eq(load(ctx, src, YSG_BACKEND_CUDA, &pg), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pg, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *a, *b;
  cr_assert_eq(ysg_pipeline_get_value(pc, "s", &a), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(pg, "s", &b), YSG_OK);
  cr_expect_leq(ysgt_value_diff(a, b), 1e-3f);
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
}

/* ---- errors --------------------------------------------------------------------------------- */

static void fails(const char *path, const char *args, const char *want_tail) {
  char src[2048], want[2048];
  snprintf(src, sizeof src, "canvas{width=%d,height=%d}\nsegment{image=gscreen{}, model='%s'%s}\n",
           FW, FH, path, args);
  snprintf(want, sizeof want, "test.lua:2: node 'segment_1' (segment): %s", want_tail);
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p;
  ysg_status s = load(ctx, src, YSG_BACKEND_CPU, &p);
  cr_expect_neq(s, YSG_OK);
  cr_expect_str_eq(ysg_errmsg(ctx), want);
  if (p) ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_segment, bad_models_are_named) {
  char missing[600];
  snprintf(missing, sizeof missing, "%s/nowhere.onnx", ysgt_tmpdir());
  fails(missing, "", "model 'nowhere.onnx': cannot open the file");
  const char *junk = ysgt_write(ysgt_tmpdir(), "junk.onnx", "this is not a model at all");
  fails(junk, "", "model 'junk.onnx' is not an ONNX model (no graph with an input)");
}

Test(matte_segment, unsupported_operators_are_named) {
  char want[256];
  snprintf(want, sizeof want,
           "model 'nonzero.onnx': operator 'NonZero' is not supported by OpenCV %s's DNN module",
           ysg__seg_opencv_version());
  fails(model("nonzero.onnx", FH, FW, "NonZero"), "", want);
}

Test(matte_segment, input_sizes_the_model_does_not_take) {
  const char *half = model("half.onnx", FH / 2, FW / 2, NULL);
  fails(half, ", width=64, height=48",
        "model 'half.onnx' takes a 1×3×24×32 input, not the 64×48 (width×height) the node sets");
  fails(model("any.onnx", 0, 0, NULL), "",
        "model 'any.onnx' has no fixed input size: set the node's width and height");
  fails(half, ", channel=2",
        "parameter 'channel': model 'half.onnx' gives 2 output channels (0..1)");
}

#else
Test(matte_segment, needs_opencv) {
  cr_skip_test("built without OpenCV's DNN module (libopencv-dnn-dev): no segment node");
}
#endif
