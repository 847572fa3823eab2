/* test_matte_cuda.c — the matte nodes' device paths (cuda/matte_*.cu) against their CPU nodes
 * (the reference) through whole pipelines loaded on both backends, over several frames with
 * animated settings (the parameter blocks under CUDA Graph replay): the synthetic green screen
 * (tests/matte_fixture.h) moving and noisy, the auto key, every refine stage, temporal
 * smoothing across frames and across a seek, composite with both blurs; and eager launches
 * (no_graphs) against graph replay, bit for bit. Skipped without a device; the wiring checks
 * run everywhere.
 * Tolerances (largest difference of linear premultiplied FP16 values):
 *   KEY_TOL 1e-3 — matte_math.h on both sides, no FMA contraction (-fmad=false): the same floats
 *     but for powf (mask_in's sRGB) and FP16 rounding; the auto key's sums are exact integers.
 *   REFINE_TOL 2e-3 — the 3-box blur runs as running sums on the CPU and as its equivalent
 *     kernel on the device; the guided filter's window sums run in double on both and are
 *     rounded to float where the CPU rounds them (within about an ulp, at any size: the 4K test);
 *     grow/shrink is exact on both.
 *   COMP_TOL 4e-3 — two chained blurs (cuda/blur.cu's own bound is 2e-3 each). */
#include <math.h>

#include "matte_util.h"

#define KEY_TOL 1e-3f
#define REFINE_TOL 2e-3f
#define COMP_TOL 4e-3f
#define KEEP(...) ((const char *const[]){__VA_ARGS__})

/* CPU and CUDA, frames in `order`, every kept value within tol; every node named in `dev`
 * (comma-separated) must run on the device. */
static float match(const char *src, const char *const *keep, int n_keep, const int *order, int n,
                   float tol, const char *dev) {
  ysg_context *ctx = ysgt_matte_ctx();
  { /* the scene is valid and runs on the CPU everywhere, device or not */
    ysg_pipeline *p = ysgt_matte_load(ctx, src, keep, n_keep, YSG_BACKEND_CPU, 0);
    for (int k = 0; k < n; k++)
      cr_assert_eq(ysg_pipeline_run_frame(p, order[k]), YSG_OK, "%s\n%s", ysg_errmsg(ctx), src);
    ysg_pipeline_destroy(p);
  }
  char why[512];
  if (!ysg__cuda_probe(why, sizeof why)) {
    ysg_context_destroy(ctx);
    cr_skip_test("%s", why);
  }
  ysg_pipeline *pc = ysgt_matte_load(ctx, src, keep, n_keep, YSG_BACKEND_CPU, 0);
  ysg_pipeline *pg = ysgt_matte_load(ctx, src, keep, n_keep, YSG_BACKEND_CUDA, 0);
  char d[512];
  snprintf(d, sizeof d, ",%s,", dev);
  for (int i = 0; i < ysg_pipeline_node_count(pg); i++) {
    ysg_node_info ni;
    cr_assert_eq(ysg_pipeline_node_info(pg, i, &ni), YSG_OK);
    char pat[128];
    snprintf(pat, sizeof pat, ",%s,", ni.name);
    if (strstr(d, pat)) cr_expect(ni.on_device, "node '%s' should run on the device", ni.name);
  }
  float worst = 0.0f;
  for (int k = 0; k < n; k++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, order[k]), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, order[k]), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < n_keep; i++) {
      const ysg_value *a = NULL, *b = NULL;
      cr_assert_eq(ysg_pipeline_get_value(pc, keep[i], &a), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_get_value(pg, keep[i], &b), YSG_OK, "%s", ysg_errmsg(ctx));
      float df = ysgt_value_diff(a, b);
      cr_expect(df <= tol, "frame %d, %s: CPU and CUDA differ by %g (tolerance %g)\n%s", order[k],
                keep[i], (double)df, (double)tol, src);
      if (df > worst) worst = df;
    }
  }
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
  return worst;
}

static const int in_order[] = {0, 1, 2, 3, 4, 5};

/* ---- wiring (runs without a device) --------------------------------------------------------- */

Test(matte_cuda, device_paths_are_wired) {
  ysg_context *ctx = ysgt_ctx();
  const char *names[] = {"chroma_key", "difference_key", "matte", "mask_in", "composite"};
  for (int i = 0; i < 5; i++) {
    const ysg_node_type *t = ysg_node_type_find(ctx, names[i]);
    cr_assert_not_null(t, "%s", names[i]);
#ifdef YSG_HAVE_CUDA
    cr_expect(t->device && t->device->run, "%s: a device run", names[i]);
    cr_expect(!t->device || !t->device->supported, "%s: no instance is refused", names[i]);
    cr_expect(i == 3 || (t->device && t->device->infer && t->device->prepare),
              "%s: device infer and prepare", names[i]);
#else
    cr_expect_null(t->device, "%s: no device path without CUDA", names[i]);
#endif
  }
  ysg_context_destroy(ctx);
}

/* ---- keyers --------------------------------------------------------------------------------- */

Test(matte_cuda, chroma_key_matches_with_animated_settings_and_auto_key) {
  const char *sizes[] = {"width=160,height=90", "width=37,height=23", "width=1,height=1"};
  for (int s = 0; s < 3; s++) {
    char src[2048];
    snprintf(src, sizeof src,
             "canvas{%s,frames=6}\n"
             "local g = gscreen{speed=3, noise=0.02}\n"
             "chroma_key{image=g, key='#3da94a', name='k',\n"
             "  similarity=function(f, t) return 0.03 + 0.01 * f end,\n"
             "  blend=function(f, t) return 0.1 + 0.02 * f end,\n"
             "  despill=function(f, t) return 0.2 * f end, despill_brightness=0.3,\n"
             "  despill_color='#ffddcc', premultiply=false}\n"
             "chroma_key{image=g, auto_key=true, border=4, name='a'}\n"
             "chroma_key{image=rimg{seed=2, fill=0.6}, key='#2030e0', name='r'}\n",
             sizes[s]);
    match(src, KEEP("k", "k.matte", "a", "a.matte", "r", "r.matte"), 6, in_order, 6, KEY_TOL,
          "k,a,r");
  }
}

Test(matte_cuda, difference_key_and_mask_in_match) {
  const char *src =
      "canvas{width=70,height=50,frames=4}\n"
      "local g = gscreen{speed=4}\n"
      "local pl = gscreen{plate=true}\n"
      "difference_key{image=g, plate=pl, name='d',\n"
      "  threshold=function(f, t) return 0.02 * f end, softness=0.1}\n"
      "difference_key{image=g, plate=pl, mode='luma', softness=0, name='l'}\n"
      "local r = rimg{seed=7, fill=0.5, gain=1.5}\n"
      "mask_in{image=r, name='ma'}\n"
      "mask_in{image=r, source='luma', name='ml'}\n"
      "mask_in{image=r, source='blue', transfer='linear', invert=true, name='mb'}\n";
  match(src, KEEP("d", "d.matte", "l.matte", "ma", "ml", "mb"), 6, in_order, 4, KEY_TOL,
        "d,l,ma,ml,mb");
}

/* ---- refine ------------------------------------------------------------------------------------
 */

Test(matte_cuda, every_refine_stage_matches) {
  const char *stages[] = {
      "threshold=function(f, t) return 0.2 * f end, softness=0.1",
      "islands=function(f, t) return 6 * f end, holes=function(f, t) return 5 * (4 - f) end",
      "grow=function(f, t) return 3.5 * f - 7 end",
      "grow=12.5",
      "feather=function(f, t) return 1.5 * f end, feather_mode='outward'",
      "feather=2, feather_mode='inward'",
      "feather=10, feather_mode='centered'",
      "blur=function(f, t) return 4 * f end",
      "temporal=function(f, t) return 0.3 + 0.1 * f end, temporal_motion=0.3, "
      "temporal_deadband=0.01",
      "guided=function(f, t) return 2 * f end, guided_eps=0.001, image=g",
      "threshold=0.5, softness=0.3, islands=10, holes=10, grow=-1, feather=1.5, blur=0.7, "
      "temporal=0.5, guided=3, image=g",
  };
  for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
    char src[2048];
    snprintf(src, sizeof src,
             "canvas{width=83,height=47,frames=5}\n"
             "local g = gscreen{speed=3, noise=0.04}\n"
             "local k = chroma_key{image=g, key='#3da94a'}\n"
             "matte{matte=k.matte, name='m', %s}\n"
             "matte{matte=rimg{seed=3, fill=0.7}, name='r', %s}\n",
             stages[i], strstr(stages[i], "image=g") ? "guided=2, image=g" : stages[i]);
    match(src, KEEP("m", "r"), 2, in_order, 5, REFINE_TOL, "m,r");
  }
}

/* At 4K the device's window sums stay within the CPU's (long float sums would drift), and the
 * grow's range maxima equal the CPU's sliding maxima at the largest radius. */
Test(matte_cuda, guided_filter_and_grow_match_at_4k) {
  const char *src =
      "canvas{width=3840,height=2160,frames=2}\n"
      "local g = gscreen{speed=3, noise=0.04}\n"
      "local k = chroma_key{image=g, key='#3da94a'}\n"
      "matte{matte=k.matte, guided=16, guided_eps=0.0001, image=g, name='m'}\n"
      "matte{matte=k.matte, grow=-64, name='s'}\n"
      "matte{matte=k.matte, grow=23.5, guided=64, image=g, name='b'}\n";
  match(src, KEEP("m", "s", "b"), 3, in_order, 2, REFINE_TOL, "m,s,b");
}

/* a seek restarts the average on both backends alike */
Test(matte_cuda, temporal_smoothing_follows_seeks) {
  const char *src =
      "canvas{width=64,height=40,frames=12}\n"
      "local g = gscreen{speed=2, noise=0.05}\n"
      "local k = chroma_key{image=g, key='#3da94a'}\n"
      "matte{matte=k.matte, temporal=0.8, name='m'}\n";
  const int order[] = {0, 1, 2, 7, 8, 3, 3, 4, 11};
  match(src, KEEP("m"), 1, order, 9, REFINE_TOL, "m");
}

/* ---- composite ------------------------------------------------------------------------------- */

Test(matte_cuda, composite_matches_with_both_blurs) {
  const char *opts[] = {
      "",
      "light_wrap=function(f, t) return 0.25 * f end, wrap_sigma=function(f, t) return 2 + 3 * f "
      "end",
      "bg_blur=function(f, t) return 5 * f end",
      "bg_blur=12, light_wrap=0.6, wrap_sigma=9",
  };
  for (int m = 0; m < 2; m++)
    for (int o = 0; o < 4; o++) {
      char src[2048];
      snprintf(src, sizeof src,
               "canvas{width=75,height=52,frames=4}\n"
               "local g = gscreen{speed=3}\n"
               "local k = chroma_key{image=g, key='#3da94a', premultiply=%s}\n"
               "local mm = matte{matte=k.matte, feather=1}\n"
               "local bg = rimg{seed=5, fill=0.9, gain=2}\n"
               "composite{fg=k, bg=bg, %s name='c', %s}\n",
               m ? "false" : "true", m ? "matte=mm," : "", opts[o]);
      match(src, KEEP("c"), 1, in_order, 4, COMP_TOL, "c");
    }
}

/* ---- eager launches against graph replay ----------------------------------------------------- */

Test(matte_cuda, eager_and_replay_are_identical) {
  ysgt_require_cuda();
  const char *src =
      "canvas{width=96,height=54,frames=6}\n"
      "local g = gscreen{speed=3, noise=0.03}\n"
      "local pl = gscreen{plate=true}\n"
      "local k = chroma_key{image=g, auto_key=true, premultiply=false,\n"
      "  blend=function(f, t) return 0.1 + 0.02 * f end}\n"
      "local d = difference_key{image=g, plate=pl}\n"
      "local m = matte{matte=k.matte, threshold=0.5, softness=0.4, islands=8, holes=8, grow=-1,\n"
      "  feather=function(f, t) return 1 + f end, blur=0.8, temporal=0.6, guided=3, image=g,\n"
      "  name='m'}\n"
      "local bg = mask_in{image=d.matte, invert=true}\n"
      "composite{fg=k, matte=m, bg=bg, light_wrap=0.4, bg_blur=3, name='c'}\n";
  const char *const keep[] = {"m", "c"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *pe = ysgt_matte_load(ctx, src, keep, 2, YSG_BACKEND_CUDA, 1);
  ysg_pipeline *pr = ysgt_matte_load(ctx, src, keep, 2, YSG_BACKEND_CUDA, 0);
  for (int f = 0; f < 6; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pe, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pr, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < 2; i++) {
      const ysg_value *a = NULL, *b = NULL;
      cr_assert_eq(ysg_pipeline_get_value(pe, keep[i], &a), YSG_OK);
      cr_assert_eq(ysg_pipeline_get_value(pr, keep[i], &b), YSG_OK);
      cr_expect_eq(ysgt_value_diff(a, b), 0.0f, "frame %d, %s: eager and replay differ", f,
                   keep[i]);
    }
  }
  ysg_device_stats ds;
  cr_assert_eq(ysg_pipeline_device_stats(pr, &ds), YSG_OK);
  cr_expect_gt(ds.replayed_frames, 0, "nothing was replayed");
  cr_expect_eq(ds.recaptures, 0, "animated settings forced %d re-captures", ds.recaptures);
  ysg_pipeline_destroy(pe);
  ysg_pipeline_destroy(pr);
  ysg_context_destroy(ctx);
}
