/* test_matte_refine.c — the `matte` node's stages against independent references written here:
 * the guided filter against a direct O(r²) double-precision implementation of He et al.'s
 * formulas; grow/shrink against a brute-force disc (exact); islands/holes against a flood fill
 * (exact); the blur against direct 2-D sums (the exact Gaussian and the 3-box cascade); feather
 * modes, thresholds; temporal smoothing on a static noisy clip (mean frame-to-frame change ≤
 * 1/255, no pixel flipping back and forth), its restart on a seek (the log line), a failed frame
 * leaving the average untouched; the limits with their exact messages. */
#include <math.h>

#include "blur_math.h"
#include "matte_math.h"
#include "matte_util.h"

#define MW 61
#define MH 45

/* Run `matte{matte=<src>, name='m', ARGS}` over a random matte (rimg, seed) on frame 0 and return
 * the input's alpha and the output's alpha (malloc'ed, MW×MH). guide: also an `image` guide. */
static void refine(const char *args, int seed, int guide, float **in_a, float **out_a,
                   float **guide_px) {
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d}\n"
           "local src = rimg{seed=%d, fill=0.85, name='src'}\n"
           "local g = rimg{seed=%d, fill=1, gain=1, name='g'}\n"
           "matte{matte=src, name='m', %s%s}\n",
           MW, MH, seed, seed + 1000, guide ? "image=g, " : "", args);
  const char *keep[] = {"src", "m", "g"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p = ysgt_matte_load(ctx, src, keep, 3, YSG_BACKEND_CPU, 0);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  float *s = ysgt_floats(p, "src", NULL, NULL), *m = ysgt_floats(p, "m", NULL, NULL);
  *in_a = malloc(MW * MH * sizeof(float));
  *out_a = malloc(MW * MH * sizeof(float));
  for (int i = 0; i < MW * MH; i++) {
    (*in_a)[i] = ysgt_gs_clamp01(s[4 * i + 3]);
    (*out_a)[i] = m[4 * i + 3];
    for (int c = 0; c < 3; c++) cr_assert_eq(m[4 * i + c], m[4 * i + 3], "a matte is (m, m, m, m)");
  }
  if (guide_px) *guide_px = ysgt_floats(p, "g", NULL, NULL);
  free(s), free(m);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static float half_round(float v) { return ysg_half_to_float(ysg_float_to_half(v)); }

/* ---- guided filter: direct O(r²) reference ----------------------------------------------------
 */

static void guided_direct(const float *guide_px, const float *p, int r, double eps, double *q) {
  double *g = malloc(sizeof(double) * 3 * MW * MH), *ab = malloc(sizeof(double) * 4 * MW * MH);
  for (int i = 0; i < MW * MH; i++) {
    float c[3];
    ysg_guided_guide(guide_px + 4 * i, c);
    for (int k = 0; k < 3; k++) g[3 * i + k] = c[k];
  }
  for (int y = 0; y < MH; y++)
    for (int x = 0; x < MW; x++) {
      double n = 0, mI[3] = {0}, mp = 0, mIp[3] = {0}, mII[3][3] = {{0}};
      for (int v = y - r; v <= y + r; v++)
        for (int u = x - r; u <= x + r; u++) {
          if (u < 0 || v < 0 || u >= MW || v >= MH) continue;
          int j = v * MW + u;
          n++;
          mp += p[j];
          for (int a = 0; a < 3; a++) {
            mI[a] += g[3 * j + a];
            mIp[a] += g[3 * j + a] * p[j];
            for (int b = 0; b < 3; b++) mII[a][b] += g[3 * j + a] * g[3 * j + b];
          }
        }
      mp /= n;
      double S[3][3], cov[3];
      for (int a = 0; a < 3; a++) {
        mI[a] /= n;
        cov[a] = mIp[a] / n - mI[a] * mp;
      }
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) S[a][b] = mII[a][b] / n - mI[a] * mI[b] + (a == b ? eps : 0);
      /* solve S·a = cov by Cramer's rule */
      double det = S[0][0] * (S[1][1] * S[2][2] - S[1][2] * S[2][1]) -
                   S[0][1] * (S[1][0] * S[2][2] - S[1][2] * S[2][0]) +
                   S[0][2] * (S[1][0] * S[2][1] - S[1][1] * S[2][0]);
      double coef[3];
      for (int k = 0; k < 3; k++) {
        double M[3][3];
        memcpy(M, S, sizeof M);
        for (int a = 0; a < 3; a++) M[a][k] = cov[a];
        coef[k] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                   M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                   M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) /
                  det;
      }
      int i = y * MW + x;
      for (int k = 0; k < 3; k++) ab[4 * i + k] = coef[k];
      ab[4 * i + 3] = mp - coef[0] * mI[0] - coef[1] * mI[1] - coef[2] * mI[2];
    }
  for (int y = 0; y < MH; y++)
    for (int x = 0; x < MW; x++) {
      double n = 0, s[4] = {0};
      for (int v = y - r; v <= y + r; v++)
        for (int u = x - r; u <= x + r; u++) {
          if (u < 0 || v < 0 || u >= MW || v >= MH) continue;
          n++;
          for (int k = 0; k < 4; k++) s[k] += ab[4 * (v * MW + u) + k];
        }
      int i = y * MW + x;
      q[i] = (s[0] * g[3 * i] + s[1] * g[3 * i + 1] + s[2] * g[3 * i + 2] + s[3]) / n;
    }
  free(g), free(ab);
}

Test(matte_refine, guided_filter_matches_a_direct_implementation) {
  const int radii[] = {1, 3, 8, 30};
  const double epss[] = {1e-4, 1e-2, 1e-3, 1e-4};
  for (int k = 0; k < 4; k++) {
    char args[128];
    snprintf(args, sizeof args, "guided=%d, guided_eps=%g", radii[k], epss[k]);
    float *in, *out, *g;
    refine(args, 10 + k, 1, &in, &out, &g);
    double *q = malloc(sizeof(double) * MW * MH), worst = 0;
    guided_direct(g, in, radii[k], epss[k], q);
    for (int i = 0; i < MW * MH; i++) {
      double d = fabs((double)out[i] - (double)half_round((float)q[i]));
      if (d > worst) worst = d;
    }
    fprintf(stderr, "guided r=%d eps=%g: max |O(1) − direct| %.2e\n", radii[k], epss[k], worst);
    /* the O(1) sums round in float where the direct one sums in double; one FP16 step near 1 */
    cr_expect_leq(worst, 2e-3, "r=%d: %g", radii[k], worst);
    free(in), free(out), free(g), free(q);
  }
}

/* ---- grow / shrink: brute force ------------------------------------------------------------- */

Test(matte_refine, grow_and_shrink_are_a_disc_max_and_min) {
  const float radii[] = {1, 2.5f, 4, 4.5f, 7, 12.3f, -1, -3.2f, -6, -20};
  for (int k = 0; k < 10; k++) {
    char args[64];
    snprintf(args, sizeof args, "grow=%g", radii[k]);
    float *in, *out;
    refine(args, 20 + k, 0, &in, &out, NULL);
    float r = fabsf(radii[k]);
    int R = (int)floorf(r), bad = 0;
    for (int y = 0; y < MH; y++)
      for (int x = 0; x < MW; x++) {
        float best = radii[k] > 0 ? -1.0f : 2.0f;
        for (int v = y - R; v <= y + R; v++)
          for (int u = x - R; u <= x + R; u++) {
            if (u < 0 || v < 0 || u >= MW || v >= MH) continue;
            if ((float)((u - x) * (u - x) + (v - y) * (v - y)) > r * r) continue;
            float a = in[v * MW + u];
            best = radii[k] > 0 ? fmaxf(best, a) : fminf(best, a);
          }
        if (out[y * MW + x] != best && bad++ < 3)
          cr_expect_eq(out[y * MW + x], best, "grow=%g at (%d,%d): %g, want %g", radii[k], x, y,
                       (double)out[y * MW + x], (double)best);
      }
    cr_expect_eq(bad, 0, "grow=%g: %d pixels differ", radii[k], bad);
    free(in), free(out);
  }
}

/* ---- islands and holes: flood fill ------------------------------------------------------------
 */

/* Label components of class fg (m ≥ 0.5) with 8- (fg) or 4-connectivity (bg) by flood fill;
 * returns the count and fills lab, area[], border[]. */
static int flood(const float *m, int *lab, int *area, int *border) {
  int n = 0, *stack = malloc(sizeof(int) * MW * MH);
  for (int i = 0; i < MW * MH; i++) lab[i] = -1;
  for (int s = 0; s < MW * MH; s++) {
    if (lab[s] >= 0) continue;
    int fg = m[s] >= 0.5f, sp = 0;
    area[n] = 0, border[n] = 0;
    lab[s] = n;
    stack[sp++] = s;
    while (sp) {
      int i = stack[--sp], x = i % MW, y = i / MW;
      area[n]++;
      if (x == 0 || y == 0 || x == MW - 1 || y == MH - 1) border[n] = 1;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          if (!dx && !dy) continue;
          if (!fg && dx && dy) continue; /* background: 4-connected */
          int u = x + dx, v = y + dy;
          if (u < 0 || v < 0 || u >= MW || v >= MH) continue;
          int j = v * MW + u;
          if (lab[j] < 0 && (m[j] >= 0.5f) == fg) lab[j] = n, stack[sp++] = j;
        }
    }
    n++;
  }
  free(stack);
  return n;
}

Test(matte_refine, islands_and_holes_match_a_flood_fill) {
  const int cases[][2] = {{3, 0}, {0, 3}, {5, 4}, {40, 40}, {1, 1}, {100000, 0}};
  for (int k = 0; k < 6; k++) {
    char args[64];
    snprintf(args, sizeof args, "islands=%d, holes=%d", cases[k][0], cases[k][1]);
    float *in, *out;
    refine(args, 40 + k, 0, &in, &out, NULL);
    int *lab = malloc(sizeof(int) * MW * MH), *area = malloc(sizeof(int) * MW * MH),
        *border = malloc(sizeof(int) * MW * MH);
    int ncomp = flood(in, lab, area, border), changed = 0, bad = 0;
    for (int i = 0; i < MW * MH; i++) {
      float want = in[i];
      int c = lab[i];
      if (in[i] >= 0.5f && area[c] < cases[k][0]) want = 0.0f;
      if (in[i] < 0.5f && !border[c] && area[c] < cases[k][1]) want = 1.0f;
      want = half_round(want);
      changed += want != half_round(in[i]);
      if (out[i] != want && bad++ < 3)
        cr_expect_eq(out[i], want, "%s: pixel %d is %g, want %g", args, i, (double)out[i],
                     (double)want);
    }
    cr_expect_eq(bad, 0, "%s: %d pixels differ", args, bad);
    if (k < 4) cr_expect_gt(changed, 0, "%s changed nothing (%d components)", args, ncomp);
    free(in), free(out), free(lab), free(area), free(border);
  }
}

/* ---- blur and feather ---------------------------------------------------------------------------
 */

/* 2-D separable reference in double with clamped edges, from the filter's taps. */
static void blur_direct(const float *in, double *out, float sigma) {
  ysg_blur_kernel k;
  ysg_blur_kernel_make(sigma, 3.0f, &k);
  double *tmp = malloc(sizeof(double) * MW * MH), w[512];
  /* the taps: the exact kernel, or three boxes convolved numerically */
  int S = k.support;
  if (!k.box) {
    for (int t = 0; t <= S; t++) w[t] = k.w[t];
  } else {
    double line[1024] = {0}, next[1024];
    int c = 512;
    line[c] = 1.0;
    for (int b = 0; b < 3; b++) {
      int h = k.h[b];
      for (int i = 0; i < 1024; i++) {
        double s = 0;
        for (int t = -h; t <= h; t++)
          if (i + t >= 0 && i + t < 1024) s += line[i + t];
        next[i] = s / (2 * h + 1);
      }
      memcpy(line, next, sizeof line);
    }
    for (int t = 0; t <= S; t++) w[t] = line[c + t];
  }
  for (int y = 0; y < MH; y++)
    for (int x = 0; x < MW; x++) {
      double s = 0;
      for (int t = -S; t <= S; t++) {
        int u = x + t < 0 ? 0 : (x + t >= MW ? MW - 1 : x + t);
        s += w[t < 0 ? -t : t] * in[y * MW + u];
      }
      tmp[y * MW + x] = s;
    }
  for (int y = 0; y < MH; y++)
    for (int x = 0; x < MW; x++) {
      double s = 0;
      for (int t = -S; t <= S; t++) {
        int v = y + t < 0 ? 0 : (y + t >= MH ? MH - 1 : y + t);
        s += w[t < 0 ? -t : t] * tmp[v * MW + x];
      }
      out[y * MW + x] = s;
    }
  free(tmp);
}

Test(matte_refine, blur_matches_direct_sums) {
  const float sigmas[] = {0.7f, 3, 8, 12, 30};
  for (int k = 0; k < 5; k++) {
    char args[64];
    snprintf(args, sizeof args, "blur=%g", sigmas[k]);
    float *in, *out;
    refine(args, 60 + k, 0, &in, &out, NULL);
    double *ref = malloc(sizeof(double) * MW * MH), worst = 0;
    blur_direct(in, ref, sigmas[k]);
    for (int i = 0; i < MW * MH; i++) worst = fmax(worst, fabs(out[i] - half_round((float)ref[i])));
    cr_expect_leq(worst, 1e-3, "blur=%g: %g from the direct sums", sigmas[k], worst);
    free(in), free(out), free(ref);
  }
}

Test(matte_refine, feather_outward_keeps_the_inside_and_inward_the_outside) {
  const char *modes[] = {"outward", "inward", "centered"};
  for (int m = 0; m < 3; m++) {
    char args[96];
    snprintf(args, sizeof args, "feather=3, feather_mode='%s'", modes[m]);
    float *in, *out;
    refine(args, 70, 0, &in, &out, NULL);
    double *b = malloc(sizeof(double) * MW * MH);
    blur_direct(in, b, 3.0f);
    int bad = 0, grew = 0, shrank = 0;
    for (int i = 0; i < MW * MH; i++) {
      float want = half_round(ysg_matte_feather(m, in[i], (float)b[i]));
      bad += fabsf(out[i] - want) > 1e-3f;
      if (m == 0) bad += out[i] < half_round(in[i]); /* outward never takes alpha away */
      if (m == 1) bad += out[i] > half_round(in[i]); /* inward never adds any */
      grew += out[i] > in[i] + 0.01f, shrank += out[i] < in[i] - 0.01f;
    }
    cr_expect_eq(bad, 0, "%s: %d pixels wrong", modes[m], bad);
    if (m == 0) cr_expect_gt(grew, 0);
    if (m == 1) cr_expect_gt(shrank, 0);
    free(in), free(out), free(b);
  }
}

Test(matte_refine, threshold_hard_and_soft) {
  float *in, *out;
  refine("threshold=0.4", 80, 0, &in, &out, NULL);
  for (int i = 0; i < MW * MH; i++) cr_assert_eq(out[i], in[i] >= 0.4f ? 1.0f : 0.0f);
  free(in), free(out);
  refine("threshold=0.5, softness=0.2", 81, 0, &in, &out, NULL);
  for (int i = 0; i < MW * MH; i++) {
    float want = half_round(ysgt_gs_clamp01((in[i] - 0.4f) / 0.2f));
    cr_assert(fabsf(out[i] - want) <= 1e-3f, "%g -> %g, want %g", (double)in[i], (double)out[i],
              (double)want);
  }
  free(in), free(out);
}

/* ---- temporal smoothing --------------------------------------------------------------------- */

#define TW 160
#define TH 90
#define TF 30

/* Frames 0..TF-1 of a static noisy green screen keyed, with matte{temporal=strength}: mean
 * frame-to-frame |Δα| over the soft pixels (frames 10.., where 0.02 < α < 0.98 on frame 9) and
 * the number of pixels crossing 0.5 more than once. */
static void temporal_stats(double strength, double *mean_change, int *flippers) {
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=%d}\n"
           "local g = gscreen{speed=0, noise=0.03, seed=5}\n"
           "local k = chroma_key{image=g, key='#3da94a', similarity=0.05, blend=0.15}\n"
           "matte{matte=k.matte, name='m'%s}\n",
           TW, TH, TF,
           strength > 0 ? ", temporal=0.9, temporal_motion=0, temporal_deadband=0.05" : "");
  const char *keep[] = {"m"};
  ysg_context *ctx = ysgt_matte_ctx();
  ysg_pipeline *p = ysgt_matte_load(ctx, src, keep, 1, YSG_BACKEND_CPU, 0);
  static float prev[TW * TH];
  static int crossings[TW * TH], soft[TW * TH];
  memset(crossings, 0, sizeof crossings);
  double sum = 0;
  size_t count = 0;
  for (int f = 0; f < TF; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    float *m = ysgt_floats(p, "m", NULL, NULL);
    for (int i = 0; i < TW * TH; i++) {
      float a = m[4 * i + 3];
      if (f == 9) soft[i] = a > 0.02f && a < 0.98f;
      if (f >= 10) {
        if (soft[i]) sum += fabs((double)a - prev[i]), count++;
        crossings[i] += (a >= 0.5f) != (prev[i] >= 0.5f);
      }
      prev[i] = a;
    }
    free(m);
  }
  *flippers = 0;
  for (int i = 0; i < TW * TH; i++) *flippers += crossings[i] > 1;
  *mean_change = sum / (double)(count ? count : 1);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(matte_refine, temporal_smoothing_steadies_a_static_clip) {
  double raw, smooth;
  int raw_flips, smooth_flips;
  temporal_stats(0, &raw, &raw_flips);
  temporal_stats(0.9, &smooth, &smooth_flips);
  fprintf(stderr,
          "static noisy clip, soft pixels, frames 10-29: mean |Δα| per frame %.5f without, %.5f "
          "with temporal=0.9, deadband 0.05 (1/255 = %.5f); pixels crossing 0.5 twice or more: %d "
          "without, %d "
          "with\n",
          raw, smooth, 1.0 / 255, raw_flips, smooth_flips);
  cr_expect_gt(raw, 1.0 / 255, "the clip is not noisy enough to test anything (%g)", raw);
  cr_expect_gt(raw_flips, 0, "no pixel flips without smoothing");
  cr_expect_leq(smooth, 1.0 / 255, "mean frame-to-frame change %g", smooth);
  cr_expect_eq(smooth_flips, 0, "%d pixels flip back and forth", smooth_flips);
}

static char seek_log[8][256];
static int n_seek_log;
static void keep_info(void *ud, ysg_log_level level, const char *msg) {
  (void)ud;
  if (level == YSG_LOG_INFO && strstr(msg, "temporal") && n_seek_log < 8)
    snprintf(seek_log[n_seek_log++], sizeof seek_log[0], "%s", msg);
}

/* Running frame 7 after frame 2 restarts the average (and says so): frame 7 then equals frame 7
 * of a run that starts there; running 0, 1, 2 in order logs nothing. */
Test(matte_refine, temporal_smoothing_restarts_on_a_seek) {
  const char *src =
      "canvas{width=48,height=32,frames=10}\n"
      "local g = gscreen{speed=3, noise=0.05}\n"
      "local k = chroma_key{image=g, key='#3da94a'}\n"
      "matte{matte=k.matte, temporal=0.8, name='m'}\n";
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 1;
  o.log = keep_info;
  o.log_level = YSG_LOG_INFO;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  cr_assert_eq(ysg_register_node_type(ctx, &ysgt_gs_type), YSG_OK);
  const char *keep[] = {"m"};
  ysg_pipeline *p = ysgt_matte_load(ctx, src, keep, 1, YSG_BACKEND_CPU, 0);
  n_seek_log = 0;
  for (int f = 0; f < 3; f++) cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK);
  cr_expect_eq(n_seek_log, 0, "in-order frames logged '%s'", seek_log[0]);
  cr_assert_eq(ysg_pipeline_run_frame(p, 7), YSG_OK);
  cr_assert_eq(n_seek_log, 1);
  cr_expect(strstr(seek_log[0],
                   "node 'm' (matte): temporal smoothing restarts at frame 7 (the previous frame "
                   "run was 2)"),
            "%s", seek_log[0]);
  float *seek = ysgt_floats(p, "m", NULL, NULL);
  ysg_pipeline *q = ysgt_matte_load(ctx, src, keep, 1, YSG_BACKEND_CPU, 0);
  cr_assert_eq(ysg_pipeline_run_frame(q, 7), YSG_OK);
  float *fresh = ysgt_floats(q, "m", NULL, NULL);
  cr_expect_eq(memcmp(seek, fresh, sizeof(float) * 48 * 32 * 4), 0,
               "a restarted average differs from a fresh one");
  /* and frame 8 after 7 continues it: it differs from a fresh frame 8 */
  cr_assert_eq(ysg_pipeline_run_frame(p, 8), YSG_OK);
  float *cont = ysgt_floats(p, "m", NULL, NULL);
  ysg_pipeline *r = ysgt_matte_load(ctx, src, keep, 1, YSG_BACKEND_CPU, 0);
  cr_assert_eq(ysg_pipeline_run_frame(r, 8), YSG_OK);
  float *fresh8 = ysgt_floats(r, "m", NULL, NULL);
  cr_expect_neq(memcmp(cont, fresh8, sizeof(float) * 48 * 32 * 4), 0, "frame 8 did not average");
  cr_expect_eq(n_seek_log, 1);
  free(seek), free(fresh), free(cont), free(fresh8);
  ysg_pipeline_destroy(p);
  ysg_pipeline_destroy(q);
  ysg_pipeline_destroy(r);
  ysg_context_destroy(ctx);
}

/* A frame that fails after the matte node ran (a later node's per-frame function errors the first
 * time it sees frame 2) leaves the average as it was: running frame 2 again continues from frame
 * 1 and frame 3 follows, exactly as in a run without the failure; and a frame after the failed
 * one restarts the average (frame 2 never completed), like a fresh run of that frame. */
static const char *fail_src =
    "canvas{width=40,height=24,frames=6}\n"
    "local g = gscreen{speed=3, noise=0.05}\n"
    "local k = chroma_key{image=g, key='#3da94a'}\n"
    "local m = matte{matte=k.matte, temporal=0.8, name='m'}\n"
    "local tries = 0\n"
    "matte{matte=m, name='after', threshold=function(f, t)\n"
    "  if f == 2 and FAIL then tries = tries + 1; if tries == 1 then error('boom') end end\n"
    "  return 0.5 end}\n";

static ysg_pipeline *fail_load(ysg_context *ctx, int fail) {
  char src[1024];
  snprintf(src, sizeof src, "local FAIL = %s\n%s", fail ? "true" : "false", fail_src);
  static const char *keep[] = {"m", "after"};
  return ysgt_matte_load(ctx, src, keep, 2, YSG_BACKEND_CPU, 0);
}

static float *run_frames(ysg_pipeline *p, const int *frames, int n) {
  for (int i = 0; i < n; i++) cr_assert_eq(ysg_pipeline_run_frame(p, frames[i]), YSG_OK);
  return ysgt_floats(p, "m", NULL, NULL);
}

Test(matte_refine, temporal_smoothing_ignores_a_failed_frame) {
  ysg_context *ctx = ysgt_matte_ctx();
  const size_t bytes = sizeof(float) * 40 * 24 * 4;
  ysg_pipeline *clean = fail_load(ctx, 0);
  float *clean2 = run_frames(clean, (const int[]){0, 1, 2}, 3);
  float *clean3 = run_frames(clean, (const int[]){3}, 1);
  ysg_pipeline *p = fail_load(ctx, 1);
  free(run_frames(p, (const int[]){0, 1}, 2));
  cr_assert_neq(ysg_pipeline_run_frame(p, 2), YSG_OK, "frame 2 should fail once");
  cr_expect(strstr(ysg_errmsg(ctx), "boom"), "%s", ysg_errmsg(ctx));
  float *retry2 = run_frames(p, (const int[]){2}, 1);
  float *then3 = run_frames(p, (const int[]){3}, 1);
  cr_expect_eq(memcmp(retry2, clean2, bytes), 0, "frame 2 run again differs from a clean run");
  cr_expect_eq(memcmp(then3, clean3, bytes), 0, "frame 3 differs from a clean run");
  /* after the failed frame 2, frame 3 restarts: it equals frame 3 run alone */
  ysg_pipeline *q = fail_load(ctx, 1);
  free(run_frames(q, (const int[]){0, 1}, 2));
  cr_assert_neq(ysg_pipeline_run_frame(q, 2), YSG_OK);
  float *skip3 = run_frames(q, (const int[]){3}, 1);
  ysg_pipeline *alone = fail_load(ctx, 0);
  float *alone3 = run_frames(alone, (const int[]){3}, 1);
  cr_expect_eq(memcmp(skip3, alone3, bytes), 0, "frame 3 after a failed frame 2 did not restart");
  cr_expect_neq(memcmp(skip3, clean3, bytes), 0, "the average should matter on this clip");
  free(clean2), free(clean3), free(retry2), free(then3), free(skip3), free(alone3);
  ysg_pipeline_destroy(clean);
  ysg_pipeline_destroy(p);
  ysg_pipeline_destroy(q);
  ysg_pipeline_destroy(alone);
  ysg_context_destroy(ctx);
}

/* ---- limits ------------------------------------------------------------------------------------
 */

Test(matte_refine, radii_beyond_their_maximum) {
  ysgt_matte_load_fails("canvas{width=16,height=16}\nmatte{matte=fill{}, grow=80}\n",
                        "test.lua:2: node 'matte_1' (matte): parameter 'grow': expected a number "
                        "in -64..64, got 80");
  ysgt_matte_load_fails(
      "canvas{width=16,height=16}\nmatte{matte=fill{}, guided=65, image=fill{}}\n",
      "test.lua:2: node 'matte_1' (matte): parameter 'guided': expected an "
      "integer in 0..64, got 65");
  ysgt_matte_load_fails("canvas{width=16,height=16}\nmatte{matte=fill{}, feather=64.5}\n",
                        "test.lua:2: node 'matte_1' (matte): parameter 'feather': expected a "
                        "number in 0..64, got 64.5");
  ysgt_matte_load_fails(
      "canvas{width=16,height=16}\ncomposite{fg=fill{}, bg=fill{}, bg_blur=201}\n",
      "test.lua:2: node 'composite_1' (composite): parameter 'bg_blur': "
      "expected a number in 0..200, got 201");
}

Test(matte_refine, the_guided_filter_needs_a_guide_of_the_same_size) {
  ysgt_matte_load_fails("canvas{width=16,height=16}\nmatte{matte=fill{}, guided=4}\n",
                        "test.lua:2: node 'matte_1' (matte): parameter 'guided': the guided "
                        "filter needs the 'image' input (the guide)");
  ysgt_matte_load_fails(
      "canvas{width=16,height=16}\nmatte{matte=fill{}, guided=4, image=sized{width=8}}\n",
      "test.lua:2: node 'matte_1' (matte): image is 8×8, expected 16×16 like the matte");
}
