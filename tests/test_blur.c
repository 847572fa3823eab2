/* test_blur.c — the `blur` and `glow` nodes through the DSL against references computed here: a
 * direct 2-D Gaussian convolution (own edge mapping) for the exact kernel (sigma 1, 2.5; every
 * edge mode) and the 3-box cascade (sigma 12, 30; error against the exact Gaussian on an impulse
 * and a step), impulse sums, no darkening at transparent edges, sigma 0 copies, glow energy and
 * threshold, truthful tiles with garbage under empty input tiles, animated sigma, and the CUDA
 * launchers against the CPU (skipped with the probe's reason without a device). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blur_math.h"
#include "color.h"
#include "internal.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/blur_api.h"
#include "../cuda/cuda_api.h"
#endif

/* ---- the `timg` test node: a premultiplied image set by the test, exact tiles ---------------- */
/* The test fills `src` (W × H × 4 floats) before running; empty tiles are flagged 0 and, with
 * `garbage`, hold nonsense the nodes must read as 0. */
static float *src;
static int SW, SH, garbage;

static const ysg_port_def timg_out[] = {{"image", YSG_IMAGE, 0, "the test image", NULL, 0}};
static ysg_status timg_infer(ysg_node *n) {
  ysg_value *o = ysg_node_output(n, 0);
  o->width = SW;
  o->height = SH;
  return YSG_OK;
}
static ysg_status timg_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *o = ysg_node_output(n, 0);
  memset(o->tiles, 0, (size_t)o->tiles_x * o->tiles_y);
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++) {
      const float *p = src + ((size_t)y * SW + x) * 4;
      if (p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0)
        o->tiles[(y / 16) * o->tiles_x + x / 16] = 1;
    }
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++) {
      float junk[4] = {7.0f, -5.0f, 3.0f, 9.0f};
      int on = o->tiles[(y / 16) * o->tiles_x + x / 16];
      ysg_store_px(o->px + ((size_t)y * SW + x) * 4,
                   on || !garbage ? src + ((size_t)y * SW + x) * 4 : junk);
    }
  return YSG_OK;
}
static const ysg_node_type timg_type = {.name = "timg",
                                        .category = "test",
                                        .doc = "Test image.",
                                        .outputs = timg_out,
                                        .n_outputs = 1,
                                        .infer = timg_infer,
                                        .run = timg_run};

static void set_src(int w, int h) {
  free(src);
  SW = w;
  SH = h;
  src = calloc((size_t)w * h * 4, sizeof(float));
  garbage = 0;
}
static void put(int x, int y, float r, float g, float b, float a) {
  float *p = src + ((size_t)y * SW + x) * 4;
  p[0] = r, p[1] = g, p[2] = b, p[3] = a;
}
/* the value the node sees: src rounded to FP16 */
static double srcq(int x, int y, int c) {
  return ysg_half_to_float(ysg_float_to_half(src[((size_t)y * SW + x) * 4 + c]));
}

typedef struct run {
  ysg_context *ctx;
  ysg_pipeline *p;
} run;

static run start(int threads, const char *node) {
  run r;
  r.ctx = ysgt_ctx_warn(threads);
  cr_assert_not_null(r.ctx);
  cr_assert_eq(ysg_register_node_type(r.ctx, &timg_type), YSG_OK, "%s", ysg_errmsg(r.ctx));
  char buf[1024];
  snprintf(buf, sizeof buf,
           "canvas{width=%d,height=%d,frames=4}\nlocal i = timg{name='in'}\nout = %s\n", SW, SH,
           node);
  r.p = NULL;
  cr_assert_eq(ysgt_load(r.ctx, buf, &r.p), YSG_OK, "%s", ysg_errmsg(r.ctx));
  return r;
}
static const ysg_value *frame(run *r, int f, const char *ref) {
  cr_assert_eq(ysg_pipeline_run_frame(r->p, f), YSG_OK, "%s", ysg_errmsg(r->ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(r->p, ref, &v), YSG_OK, "%s", ysg_errmsg(r->ctx));
  return v;
}
static void stop(run *r) {
  ysg_pipeline_destroy(r->p);
  ysg_context_destroy(r->ctx);
}
static double outpx(const ysg_value *v, int x, int y, int c) {
  if (!v->tiles[(y / 16) * v->tiles_x + x / 16]) return 0.0; /* not written: reads as 0 */
  return ysg_half_to_float(v->px[((size_t)y * v->width + x) * 4 + c]);
}

/* ---- the references -------------------------------------------------------------------------- */
/* edge mapping written out independently of blur_math.h: -1 = transparent */
static int ref_index(int i, int n, const char *edge) {
  if (i >= 0 && i < n) return i;
  if (!strcmp(edge, "transparent")) return -1;
  if (!strcmp(edge, "clamp")) return i < 0 ? 0 : n - 1;
  for (;;) { /* mirror about the pixel edges until inside */
    if (i < 0)
      i = -1 - i;
    else if (i >= n)
      i = 2 * n - 1 - i;
    else
      return i;
  }
}

/* direct 2-D convolution with weights exp(-(u²+v²)/2σ²) over |u|,|v| ≤ r, normalised over
 * the window (the continuous Gaussian for large r); out (W × H × 4) doubles */
static double *ref_blur(double sigma, int r, const char *edge) {
  double *out = calloc((size_t)SW * SH * 4, sizeof(double));
  double norm = 0;
  for (int v = -r; v <= r; v++)
    for (int u = -r; u <= r; u++) norm += exp(-(u * u + v * v) / (2 * sigma * sigma));
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++) {
      /* only non-zero sources contribute: loop over the window */
      for (int v = -r; v <= r; v++) {
        int sy = ref_index(y + v, SH, edge);
        if (sy < 0) continue;
        for (int u = -r; u <= r; u++) {
          int sx = ref_index(x + u, SW, edge);
          if (sx < 0) continue;
          const float *p = src + ((size_t)sy * SW + sx) * 4;
          if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) continue;
          double w = exp(-(u * u + v * v) / (2 * sigma * sigma)) / norm;
          for (int c = 0; c < 4; c++) out[((size_t)y * SW + x) * 4 + c] += w * srcq(sx, sy, c);
        }
      }
    }
  return out;
}

static double max_err(const ysg_value *v, const double *ref, double *rmse) {
  double m = 0, s = 0;
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++)
      for (int c = 0; c < 4; c++) {
        double d = fabs(outpx(v, x, y, c) - ref[((size_t)y * SW + x) * 4 + c]);
        m = d > m ? d : m;
        s += d * d;
      }
  if (rmse) *rmse = sqrt(s / ((double)SW * SH * 4));
  return m;
}

static unsigned long long rng = 12345;
static double urand(void) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(rng >> 11) / 9007199254740992.0;
}

/* ---- exact kernel against the direct 2-D convolution -------------------------------------------
 */
/* A dense random premultiplied image (with a transparent hole) on 64×48: FP16 storage of the
 * intermediate and the output bounds the error: ≤ 2e-3 on values ≤ 1. */
static void exact_case(double sigma, const char *edge, int threads) {
  set_src(64, 48);
  rng = 99;
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++) {
      if (x >= 20 && x < 36 && y >= 16 && y < 32) continue;
      double a = urand();
      put(x, y, (float)(a * urand()), (float)(a * urand()), (float)(a * urand()), (float)a);
    }
  char node[256];
  snprintf(node, sizeof node, "blur{image=i, sigma=%g, edge='%s', name='b'}", sigma, edge);
  run r = start(threads, node);
  const ysg_value *v = frame(&r, 0, "b");
  double *ref = ref_blur(sigma, (int)ceil(3 * sigma), edge);
  double e = max_err(v, ref, NULL);
  cr_expect(e <= 2e-3, "sigma %g edge %s: max error %.3g > 2e-3", sigma, edge, e);
  free(ref);
  stop(&r);
}
Test(blur, exact_sigma1_every_edge) {
  exact_case(1.0, "clamp", 1);
  exact_case(1.0, "reflect", 2);
  exact_case(1.0, "transparent", 1);
}
Test(blur, exact_sigma2_5_every_edge) {
  exact_case(2.5, "clamp", 2);
  exact_case(2.5, "reflect", 1);
  exact_case(2.5, "transparent", 2);
}

/* ---- the box cascade against the exact Gaussian --------------------------------------------- */
/* An impulse of 2πσ² (a peak near 1) at the centre: the 3-box cascade is flatter-topped than the
 * Gaussian (its 1-D kernel is ≤ 6 % of the peak off, the 2-D product ≤ 12 %), RMSE over the
 * ±3σ window ≤ 3 % of the peak; the sum is kept (≤ 1e-3 relative). */
static void box_impulse(double sigma, int size) {
  set_src(size, size);
  float v = (float)(2 * 3.14159265358979 * sigma * sigma);
  put(size / 2, size / 2, v, v, v, v);
  char node[128];
  snprintf(node, sizeof node, "blur{image=i, sigma=%g, edge='clamp', name='b'}", sigma);
  run r = start(2, node);
  const ysg_value *o = frame(&r, 0, "b");
  double *ref = ref_blur(sigma, (int)ceil(6 * sigma), "transparent");
  double peak = ref[((size_t)(size / 2) * size + size / 2) * 4];
  double e = max_err(o, ref, NULL), ss = 0;
  int R = (int)ceil(3 * sigma), cnt = 0; /* RMSE over the kernel's ±3σ window */
  for (int y = size / 2 - R; y <= size / 2 + R; y++)
    for (int x = size / 2 - R; x <= size / 2 + R; x++, cnt++) {
      double d = outpx(o, x, y, 3) - ref[((size_t)y * size + x) * 4 + 3];
      ss += d * d;
    }
  double rmse = sqrt(ss / cnt);
  cr_log_info("sigma %g: impulse max error %.4f, window RMSE %.4f of the peak", sigma, e / peak,
              rmse / peak);
  cr_expect(e <= 0.12 * peak, "sigma %g: impulse max error %.4g = %.3f of the peak", sigma, e,
            e / peak);
  cr_expect(rmse <= 0.03 * peak, "sigma %g: impulse RMSE %.4g = %.4f of the peak", sigma, rmse,
            rmse / peak);
  double sum = 0;
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) sum += outpx(o, x, y, 3);
  double want = srcq(size / 2, size / 2, 3);
  cr_expect(fabs(sum - want) <= 1e-3 * want, "sigma %g: impulse sums to %.6g, expected %.6g", sigma,
            sum, want);
  free(ref);
  stop(&r);
}
Test(blur, box_sigma12_impulse) { box_impulse(12, 112); }
Test(blur, box_sigma30_impulse) { box_impulse(30, 200); }

/* A vertical step (opaque white left half) with clamp edges: exact answer Φ(−x/σ) per row;
 * the cascade stays within 1.2 % of the step height. */
static void box_step(double sigma) {
  set_src(256, 32);
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < 128; x++) put(x, y, 1, 1, 1, 1);
  char node[128];
  snprintf(node, sizeof node, "blur{image=i, sigma=%g, edge='clamp', name='b'}", sigma);
  run r = start(1, node);
  const ysg_value *o = frame(&r, 0, "b");
  double m = 0;
  for (int x = 0; x < SW; x++) {
    double want = 0, norm = 0;
    for (int u = -(int)(8 * sigma); u <= (int)(8 * sigma); u++) {
      double w = exp(-u * u / (2 * sigma * sigma));
      norm += w;
      int sx = x + u < 0 ? 0 : (x + u >= SW ? SW - 1 : x + u);
      want += w * (sx < 128 ? 1.0 : 0.0);
    }
    want /= norm;
    for (int c = 0; c < 4; c++) {
      double d = fabs(outpx(o, x, 16, c) - want);
      m = d > m ? d : m;
    }
  }
  cr_expect(m <= 0.012, "sigma %g: step max error %.4f > 0.012", sigma, m);
  stop(&r);
}
Test(blur, box_sigma12_step) { box_step(12); }
Test(blur, box_sigma30_step) { box_step(30); }

/* ---- sums, edges, copies --------------------------------------------------------------------- */
/* An impulse of 1 in the middle sums to 1 (clamp and transparent: no mass reaches the edge). */
Test(blur, impulse_sums_to_one) {
  const char *cases[] = {"sigma=2.5, edge='clamp'", "sigma=12, edge='clamp'",
                         "sigma=5, edge='transparent'"};
  for (int k = 0; k < 3; k++) {
    set_src(160, 160);
    put(80, 80, 1, 1, 1, 1);
    char node[160];
    snprintf(node, sizeof node, "blur{image=i, %s, name='b'}", cases[k]);
    run r = start(2, node);
    const ysg_value *o = frame(&r, 0, "b");
    for (int c = 0; c < 4; c++) {
      double sum = 0;
      for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) sum += outpx(o, x, y, c);
      cr_expect(fabs(sum - 1) <= 2e-3, "%s channel %d: impulse sums to %.6f", cases[k], c, sum);
    }
    stop(&r);
  }
}

/* A white opaque square on transparent: premultiplied blurring keeps colour/alpha = 1 wherever
 * alpha > 1e-3 (FP16 ratio ≤ 2e-3 off); a straight-alpha blur would darken the rim. */
Test(blur, no_darkening_at_transparent_edges) {
  const double sigmas[] = {4, 12};
  for (int k = 0; k < 2; k++) {
    set_src(128, 128);
    for (int y = 44; y < 84; y++)
      for (int x = 44; x < 84; x++) put(x, y, 1, 1, 1, 1);
    char node[128];
    snprintf(node, sizeof node, "blur{image=i, sigma=%g, name='b'}", sigmas[k]);
    run r = start(2, node);
    const ysg_value *o = frame(&r, 0, "b");
    int checked = 0;
    for (int y = 0; y < SH; y++)
      for (int x = 0; x < SW; x++) {
        double a = outpx(o, x, y, 3);
        if (a <= 1e-3) continue;
        checked++;
        for (int c = 0; c < 3; c++)
          cr_expect(fabs(outpx(o, x, y, c) / a - 1) <= 2e-3,
                    "sigma %g (%d,%d) channel %d: colour/alpha %.5f", sigmas[k], x, y, c,
                    outpx(o, x, y, c) / a);
      }
    cr_expect(checked > 40 * 40, "only %d pixels checked", checked);
    stop(&r);
  }
}

/* A uniform opaque image: clamp and reflect keep it uniform; transparent fades the corner to
 * (Σ_{u≥0} w)² and the edge middle to Σ_{u≥0} w (w the normalised 1-D kernel). */
Test(blur, edge_modes_on_a_uniform_image) {
  set_src(48, 48);
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++) put(x, y, 0.5f, 0.5f, 0.5f, 1);
  double sigma = 3, w[10], norm = 0, half = 0;
  for (int u = 0; u <= 9; u++) w[u] = exp(-u * u / (2 * sigma * sigma));
  for (int u = -9; u <= 9; u++) norm += w[abs(u)];
  for (int u = 0; u <= 9; u++) half += w[u] / norm;
  const char *edges[] = {"clamp", "reflect", "transparent"};
  for (int k = 0; k < 3; k++) {
    char node[128];
    snprintf(node, sizeof node, "blur{image=i, sigma=3, edge='%s', name='b'}", edges[k]);
    run r = start(1, node);
    const ysg_value *o = frame(&r, 0, "b");
    double corner = k < 2 ? 1 : half * half, mid = k < 2 ? 1 : half;
    cr_expect(fabs(outpx(o, 0, 0, 3) - corner) <= 1e-3, "%s: corner alpha %.5f, expected %.5f",
              edges[k], outpx(o, 0, 0, 3), corner);
    cr_expect(fabs(outpx(o, 24, 0, 3) - mid) <= 1e-3, "%s: edge alpha %.5f, expected %.5f",
              edges[k], outpx(o, 24, 0, 3), mid);
    cr_expect(fabs(outpx(o, 24, 24, 0) - 0.5) <= 1e-3, "%s: centre %.5f", edges[k],
              outpx(o, 24, 24, 0));
    stop(&r);
  }
}

Test(blur, sigma_zero_copies) {
  set_src(50, 40);
  rng = 7;
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < 30; x++) put(x, y, (float)urand(), 0.25f, (float)urand(), 1);
  garbage = 1;
  run r = start(1, "blur{image=i, sigma=0, name='b'}");
  const ysg_value *o = frame(&r, 0, "b");
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++)
      for (int c = 0; c < 4; c++)
        cr_assert_eq(outpx(o, x, y, c), srcq(x, y, c), "(%d,%d,%d)", x, y, c);
  cr_expect_eq(o->tiles[3], 0); /* (48..49, 0..15) holds nothing */
  stop(&r);
}

/* ---- tiles -------------------------------------------------------------------------------------
 */
/* Two pixels far apart, garbage under the empty input tiles: an output tile is 1 exactly when an
 * input tile lies within ceil(support/16) tiles on both axes; outside them the reference is 0;
 * and the pixels match the reference (the garbage was read as 0). */
Test(blur, tiles_truthful) {
  const double sigmas[] = {2.5, 12};
  for (int k = 0; k < 2; k++) {
    set_src(320, 200);
    put(20, 30, 1, 1, 1, 1);
    put(300, 180, 0.5f, 0.25f, 0, 0.5f);
    garbage = 1;
    char node[128];
    snprintf(node, sizeof node, "blur{image=i, sigma=%g, name='b'}", sigmas[k]);
    run r = start(2, node);
    const ysg_value *o = frame(&r, 0, "b");
    ysg_blur_kernel kk;
    ysg_blur_kernel_make((float)sigmas[k], 3, &kk);
    int d = (kk.support + 15) / 16;
    for (int ty = 0; ty < o->tiles_y; ty++)
      for (int tx = 0; tx < o->tiles_x; tx++) {
        int want =
            (abs(tx - 1) <= d && abs(ty - 1) <= d) || (abs(tx - 18) <= d && abs(ty - 11) <= d);
        cr_expect_eq(o->tiles[ty * o->tiles_x + tx], want, "sigma %g tile (%d,%d)", sigmas[k], tx,
                     ty);
      }
    double *ref = ref_blur(sigmas[k], kk.box ? (int)ceil(6 * sigmas[k]) : (int)ceil(3 * sigmas[k]),
                           "transparent");
    for (int y = 0; y < SH; y++)
      for (int x = 0; x < SW; x++)
        if (!o->tiles[(y / 16) * o->tiles_x + x / 16] && kk.support < 16 * d)
          for (int c = 0; c < 4; c++)
            cr_expect(ref[((size_t)y * SW + x) * 4 + c] < 1e-6 || kk.box, "(%d,%d) left out", x, y);
    double e = max_err(o, ref, NULL);
    cr_expect(e <= (kk.box ? 0.12 * ref[((size_t)30 * SW + 20) * 4 + 3] : 2e-3),
              "sigma %g: max error %.4g", sigmas[k], e);
    free(ref);
    stop(&r);
  }
}

Test(blur, empty_layer_stays_empty) {
  set_src(64, 64);
  garbage = 1;
  run r = start(1, "glow{image=blur{image=i, sigma=20, name='b'}, name='g'}");
  const ysg_value *o = frame(&r, 0, "g");
  for (int t = 0; t < o->tiles_x * o->tiles_y; t++) cr_expect_eq(o->tiles[t], 0, "tile %d", t);
  stop(&r);
}

/* ---- animation --------------------------------------------------------------------------------
 */
/* sigma = 1 + 2f: frame f matches the direct convolution at that sigma. */
Test(blur, animated_sigma) {
  set_src(80, 64);
  put(40, 32, 1, 1, 1, 1);
  put(10, 10, 0.5f, 0, 0, 0.5f);
  run r = start(1, "blur{image=i, sigma=function(f) return 1 + 2 * f end, name='b'}");
  for (int f = 0; f < 3; f++) {
    const ysg_value *o = frame(&r, f, "b");
    double sigma = 1 + 2 * f;
    double *ref = ref_blur(sigma, (int)ceil(3 * sigma), "transparent");
    double e = max_err(o, ref, NULL);
    cr_expect(e <= 1e-3, "frame %d sigma %g: max error %.3g", f, sigma, e);
    free(ref);
  }
  stop(&r);
}

/* ---- glow ------------------------------------------------------------------------------------ */
/* Squares far from the edges: what glow adds sums to intensity × the source (the kernel keeps
 * mass; alpha never reaches 1 here), within 0.5 %. */
Test(glow, energy) {
  const double sigmas[] = {3, 16};
  for (int k = 0; k < 2; k++) {
    set_src(256, 256);
    for (int y = 100; y < 110; y++)
      for (int x = 90; x < 100; x++) put(x, y, 0.25f, 0.125f, 0.05f, 0.25f);
    for (int y = 150; y < 154; y++)
      for (int x = 140; x < 170; x++) put(x, y, 0.1f, 0.2f, 0.3f, 0.3f);
    char node[128];
    snprintf(node, sizeof node, "glow{image=i, sigma=%g, intensity=2, name='g'}", sigmas[k]);
    run r = start(2, node);
    const ysg_value *o = frame(&r, 0, "g");
    for (int c = 0; c < 4; c++) {
      double added = 0, source = 0;
      for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
          added += outpx(o, x, y, c) - srcq(x, y, c);
          source += srcq(x, y, c);
        }
      cr_expect(fabs(added - 2 * source) <= 5e-3 * 2 * source,
                "sigma %g channel %d: added %.5f, expected 2 × %.5f", sigmas[k], c, added, source);
    }
    stop(&r);
  }
}

/* threshold 0.3: a dim square (luminance·alpha 0.05) adds nothing, so its neighbourhood is the
 * input exactly; a bright one (0.6) feeds (0.6 − 0.3)/0.6 of itself (above the knee). */
Test(glow, threshold_removes_dim_parts) {
  set_src(256, 128);
  for (int y = 50; y < 60; y++)
    for (int x = 20; x < 30; x++) put(x, y, 0.05f, 0.05f, 0.05f, 0.5f);
  for (int y = 50; y < 60; y++)
    for (int x = 200; x < 210; x++) put(x, y, 0.6f, 0.6f, 0.6f, 1);
  run r = start(1, "glow{image=i, sigma=4, intensity=1, threshold=0.3, name='g'}");
  const ysg_value *o = frame(&r, 0, "g");
  for (int y = 0; y < SH; y++)
    for (int x = 0; x < 120; x++)
      for (int c = 0; c < 4; c++)
        cr_assert_eq(outpx(o, x, y, c), srcq(x, y, c), "dim side (%d,%d,%d) changed", x, y, c);
  double added = 0, source = 0;
  for (int y = 0; y < SH; y++)
    for (int x = 120; x < SW; x++) {
      added += outpx(o, x, y, 0) - srcq(x, y, 0);
      source += srcq(x, y, 0);
    }
  double want = source * (0.6 - 0.3) / 0.6;
  cr_expect(fabs(added - want) <= 5e-3 * want, "bright side added %.4f, expected %.4f", added,
            want);
  stop(&r);
}

/* The soft knee: below threshold − knee nothing, above threshold + knee (l − t)/l, in between
 * the quadratic (l − t + k)²/(4k)/l (k = t/2), continuous at both ends. */
Test(glow, soft_knee_values) {
  float t = 0.4f;
  float dark[4] = {0.1f, 0.1f, 0.1f, 1}, bright[4] = {0.9f, 0.9f, 0.9f, 1},
        mid[4] = {0.4f, 0.4f, 0.4f, 1};
  cr_expect_float_eq(ysg_glow_feed(dark, t), 0.0f, 1e-6);
  cr_expect_float_eq(ysg_glow_feed(bright, t), 0.5f / 0.9f, 1e-5);
  cr_expect_float_eq(ysg_glow_feed(mid, t), 0.04f / 0.8f / 0.4f, 1e-5);
  cr_expect_float_eq(ysg_glow_feed(dark, 0), 1.0f, 1e-6);
}

/* ---- CUDA against the CPU ---------------------------------------------------------------------
 */
Test(blur, cuda_matches_cpu) {
  char reason[512];
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  const char *cases[] = {"blur{image=i, sigma=2.5, edge='reflect', name='o'}",
                         "blur{image=i, sigma=12, edge='clamp', name='o'}",
                         "blur{image=i, sigma=30, name='o'}",
                         "glow{image=i, sigma=6, intensity=3, threshold=0.2, name='o'}"};
  for (int k = 0; k < 4; k++) {
    set_src(200, 120);
    rng = 5;
    for (int y = 30; y < 90; y++)
      for (int x = 20; x < 180; x += 7) put(x, y, (float)urand(), 0.5f, 0.25f, 1);
    garbage = 1;
    run r = start(1, cases[k]);
    const ysg_value *ref = frame(&r, 0, "o");
    ysg_node *node = ysg__node_find(r.p, "o");
    cr_assert_not_null(node);
    char err[1024];
    int W = SW, H = SH, tx = (W + 15) / 16, ty = (H + 15) / 16;
    uint16_t *hin = malloc((size_t)W * H * 8);
    uint8_t *htiles = malloc((size_t)tx * ty);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        float junk[4] = {7, -5, 3, 9};
        const float *p = src + ((size_t)y * W + x) * 4;
        int on = p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0;
        ysg_store_px(hin + ((size_t)y * W + x) * 4, on ? p : junk);
      }
    for (int t = 0; t < tx * ty; t++) htiles[t] = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const float *p = src + ((size_t)y * W + x) * 4;
        if (p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0) htiles[(y / 16) * tx + x / 16] = 1;
      }
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        if (!htiles[(y / 16) * tx + x / 16]) {
          float junk[4] = {7, -5, 3, 9};
          ysg_store_px(hin + ((size_t)y * W + x) * 4, junk);
        }
    ysg_blur_op op;
    ysg__blur_op_read(node, &op);
    ysg_blur_kernel kk;
    ysg_blur_kernel_make(op.sigma, op.truncate, &kk);
    void *d_in, *d_out, *d_tin, *d_tout, *d_work, *d_k, *d_op;
    ysg_blur_op *d_opp;
    size_t wb = ysg__cuda_blur_work_bytes(W, H);
    cr_assert_eq(ysg__cuda_malloc(&d_in, (size_t)W * H * 8, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_out, (size_t)W * H * 8, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_tin, (size_t)tx * ty, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_tout, (size_t)tx * ty, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_work, wb, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_k, sizeof kk, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_op, sizeof op, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_upload(d_in, hin, (size_t)W * H * 8, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(ysg__cuda_upload(d_tin, htiles, (size_t)tx * ty, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(ysg__cuda_upload(d_k, &kk, sizeof kk, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(ysg__cuda_upload(d_op, &op, sizeof op, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(
        ysg__cuda_blur(d_in, d_tin, d_out, d_tout, W, H, d_k, d_op, d_work, NULL, err, sizeof err),
        YSG_OK, "%s", err);
    uint16_t *hout = malloc((size_t)W * H * 8);
    uint8_t *houtt = malloc((size_t)tx * ty);
    cr_assert_eq(ysg__cuda_download(hout, d_out, (size_t)W * H * 8, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(ysg__cuda_download(houtt, d_tout, (size_t)tx * ty, NULL, err, sizeof err), YSG_OK);
    cr_assert_eq(ysg__cuda_sync(NULL, err, sizeof err), YSG_OK, "%s", err);
    double m = 0;
    for (int t = 0; t < tx * ty; t++)
      cr_expect_eq(houtt[t], ref->tiles[t], "%s tile %d", cases[k], t);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        if (houtt[(y / 16) * tx + x / 16])
          for (int c = 0; c < 4; c++) {
            double a = ysg_half_to_float(hout[((size_t)y * W + x) * 4 + c]);
            double d = fabs(a - outpx(ref, x, y, c));
            m = d > m ? d : m;
          }
    cr_expect(m <= 2e-3, "%s: CPU vs CUDA max difference %.3g", cases[k], m);
    void *ds[] = {d_in, d_out, d_tin, d_tout, d_work, d_k, d_op};
    for (int i = 0; i < 7; i++) ysg__cuda_free(ds[i]);
    free(hin), free(htiles), free(hout), free(houtt);
    stop(&r);
  }
#endif
}
