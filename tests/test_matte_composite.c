/* test_matte_composite.c — the `composite` node: through a refined matte against numpy
 * (tests/matte_ref.py), its own alpha against merge, the background blur against the blur node,
 * light wrap against its formula over the blur node's and the matte node's blurs, and the exact
 * errors for inputs of another size. */
#include <math.h>

#include "matte_math.h"
#include "matte_util.h"

#define W 96
#define H 64
#define NPX ((size_t)W * H)

static ysg_pipeline *run0(ysg_context *ctx, const char *src, const char *const *keep, int n) {
  ysg_pipeline *p = ysgt_matte_load(ctx, src, keep, n, YSG_BACKEND_CPU, 0);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

static double max_diff(const float *a, const float *b, size_t n) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
  return worst;
}

Test(matte_composite, through_a_matte_matches_numpy) {
  const char *src =
      "canvas{width=96,height=64}\n"
      "local g = gscreen{speed=0}\n"
      "local k = chroma_key{image=g, key='#3da94a', premultiply=false, name='k'}\n"
      "local m = matte{matte=k.matte, threshold=0.5, softness=0.4, grow=-1, feather=1.5, "
      "name='m'}\n"
      "local bg = gradient{from='#ff8800', to='#2040ff', angle=30, name='bg'}\n"
      "composite{fg=k, matte=m, bg=bg, name='c'}\n";
  const char *keep[] = {"k", "m", "bg", "c"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p = run0(ctx, src, keep, 4);
  float *k = ysgt_floats(p, "k", NULL, NULL), *m = ysgt_floats(p, "m", NULL, NULL),
        *bg = ysgt_floats(p, "bg", NULL, NULL), *c = ysgt_floats(p, "c", NULL, NULL);
  const char *fk = ysgt_write_f32("fg.f32", k, NPX * 4),
             *fb = ysgt_write_f32("bg.f32", bg, NPX * 4), *fm = ysgt_write_f32("m.f32", m, NPX * 4);
  char out[600], args[2048];
  snprintf(out, sizeof out, "%s/c_ref.f32", ysgt_tmpdir());
  snprintf(args, sizeof args, "composite '%s' '%s' '%s' '%s' %d %d", fk, fb, fm, out, W, H);
  ysgt_matte_ref(args);
  float *ref = ysgt_read_f32(out, NPX * 4);
  double d = max_diff(c, ref, NPX * 4);
  cr_expect_leq(d, 2e-3, "composite differs from numpy by %g", d);
  /* and it does something: the background shows where the matte is 0, the subject where 1 */
  int bg_px = 0, fg_px = 0;
  for (size_t i = 0; i < NPX; i++) {
    if (m[4 * i + 3] == 0.0f) bg_px += fabsf(c[4 * i] - bg[4 * i]) < 1e-3f;
    if (m[4 * i + 3] == 1.0f) fg_px += fabsf(c[4 * i] - k[4 * i]) < 1e-3f;
  }
  cr_expect_gt(bg_px, 1000);
  cr_expect_gt(fg_px, 500);
  free(k), free(m), free(bg), free(c), free(ref);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_composite, without_a_matte_is_merge) {
  const char *src =
      "canvas{width=96,height=64}\n"
      "local fg = rimg{seed=3, fill=0.7}\n"
      "local bg = gradient{from='#102030', to='#f0e0d0'}\n"
      "composite{fg=fg, bg=bg, name='c'}\n"
      "merge{layers={bg, fg}, name='m'}\n";
  const char *keep[] = {"c", "m"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p = run0(ctx, src, keep, 2);
  float *c = ysgt_floats(p, "c", NULL, NULL), *m = ysgt_floats(p, "m", NULL, NULL);
  double d = max_diff(c, m, NPX * 4);
  cr_expect_leq(d, 1e-3, "composite without a matte differs from merge by %g", d);
  free(c), free(m);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_composite, background_blur_is_the_blur_node) {
  const char *sig[] = {"0", "2.5", "7", "20"};
  for (int s = 0; s < 4; s++) {
    char src[1024];
    snprintf(src, sizeof src,
             "canvas{width=96,height=64}\n"
             "local bg = rimg{seed=9, fill=1}\n"
             "composite{fg=fill{color='#00000000'}, bg=bg, bg_blur=%s, name='c'}\n"
             "blur{image=bg, sigma=%s, edge='clamp', name='b'}\n",
             sig[s], sig[s]);
    const char *keep[] = {"c", "b"};
    ysg_context *ctx = ysgt_matte_ctx();
    ysg_pipeline *p = run0(ctx, src, keep, 2);
    float *c = ysgt_floats(p, "c", NULL, NULL), *b = ysgt_floats(p, "b", NULL, NULL);
    cr_expect_eq(max_diff(c, b, NPX * 4), 0.0, "bg_blur=%s differs from blur", sig[s]);
    free(c), free(b);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
}

/* light wrap = the formula over blur{bg} and the matte's own blur (matte{blur}) */
Test(matte_composite, light_wrap_follows_its_formula) {
  const char *src =
      "canvas{width=96,height=64}\n"
      "local g = gscreen{speed=0}\n"
      "local k = chroma_key{image=g, key='#3da94a', name='k'}\n"
      "local bg = rimg{seed=4, fill=1, gain=2, name='bg'}\n"
      "composite{fg=k, bg=bg, light_wrap=0.7, wrap_sigma=4, name='c'}\n"
      "blur{image=bg, sigma=4, edge='clamp', name='bw'}\n"
      "matte{matte=k, blur=4, name='mw'}\n";
  const char *keep[] = {"k", "bg", "c", "bw", "mw"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p = run0(ctx, src, keep, 5);
  float *k = ysgt_floats(p, "k", NULL, NULL), *bg = ysgt_floats(p, "bg", NULL, NULL),
        *c = ysgt_floats(p, "c", NULL, NULL), *bw = ysgt_floats(p, "bw", NULL, NULL),
        *mw = ysgt_floats(p, "mw", NULL, NULL);
  double worst = 0;
  int wrapped = 0;
  for (size_t i = 0; i < NPX; i++) {
    float a = k[4 * i + 3], w = 0.7f * (1.0f - mw[4 * i + 3]);
    for (int ch = 0; ch < 3; ch++) {
      double want = k[4 * i + ch] * (1 - w) + a * w * bw[4 * i + ch] + bg[4 * i + ch] * (1 - a);
      worst = fmax(worst, fabs(c[4 * i + ch] - want));
    }
    wrapped += a > 0.5f && w > 0.05f;
  }
  cr_expect_leq(worst, 2e-3, "light wrap differs from its formula by %g", worst);
  cr_expect_gt(wrapped, 50, "only %d edge pixels wrapped", wrapped);
  free(k), free(bg), free(c), free(bw), free(mw);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_composite, inputs_of_another_size) {
  ysgt_matte_load_fails("canvas{width=32,height=24}\ncomposite{fg=fill{}, bg=sized{width=32}}\n",
                        "test.lua:2: node 'composite_1' (composite): bg is 32×8, expected 32×24 "
                        "like fg");
  ysgt_matte_load_fails(
      "canvas{width=32,height=24}\ncomposite{fg=fill{}, bg=fill{}, matte=sized{height=24}}\n",
      "test.lua:2: node 'composite_1' (composite): matte is 8×24, expected 32×24 like fg");
}
