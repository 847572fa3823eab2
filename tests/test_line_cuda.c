/* test_line_cuda.c — the `line` node's tiles, threads and CUDA path: 1 and 2 CPU threads give
 * the same bits and tile flags, only tiles a stroke reaches are marked (none for invisible
 * strokes), and the CUDA launcher matches the CPU node on edges and curves in every style (max
 * error 1e-3, identical tile flags, the same skipped-edge count), skipped with the probe's
 * reason when there is no device. Geometry comes from a host-defined node type `tgeo`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "line.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/line_api.h"
#endif

#include "line_geo.h"

static char args[1024];

static int count_tiles(const ysg_value *v) {
  int n = 0;
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) n += v->tiles[t] != 0;
  return n;
}

/* ---- tiles and threads ---------------------------------------------------------------------- */
static ysg_pipeline *run_pipeline(ysg_context *ctx, int w, int h, const char *a,
                                  const ysg_value **out) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  static const char *const keep[] = {"g.points", "g.edges", "g.curves"};
  lo.keep = keep;
  lo.n_keep = 3;
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, line_src(w, h, a), "test.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "out", out), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

static uint32_t lcg(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* 200 random points (some off the canvas) and up to 300 edges between those closer than 40 px */
static void random_edges(uint32_t seed, int w, int h) {
  geo_reset();
  for (int k = 0; k < 200; k++)
    add_point((float)(lcg(&seed) % (unsigned)(w * 130)) / 100.0f - 0.15f * w,
              (float)(lcg(&seed) % (unsigned)(h * 130)) / 100.0f - 0.15f * h);
  for (int i = 0; i < 200; i++)
    for (int j = i + 1; j < 200 && G.ne < 300; j++)
      if (hypotf(G.xy[2 * i] - G.xy[2 * j], G.xy[2 * i + 1] - G.xy[2 * j + 1]) < 40.0f)
        add_edge(i, j);
}

Test(line, threads_give_identical_bits_and_tiles_mark_only_strokes) {
  random_edges(7, 256, 192);
  const char *a = "points=g.points, edges=g.edges, width=2, style='dashed', dash=9, gap=5";
  ysg_context *c1 = make_ctx(1), *c2 = make_ctx(2);
  const ysg_value *v1, *v2;
  ysg_pipeline *p1 = run_pipeline(c1, 256, 192, a, &v1), *p2 = run_pipeline(c2, 256, 192, a, &v2);
  int nt = v1->tiles_x * v1->tiles_y, diff = 0;
  cr_expect(memcmp(v1->tiles, v2->tiles, (size_t)nt) == 0,
            "tile flags differ between 1 and 2 "
            "threads");
  for (int y = 0; y < 192; y++)
    for (int x = 0; x < 256; x++)
      if (v1->tiles[(y / 16) * v1->tiles_x + x / 16])
        diff +=
            memcmp(v1->px + ((size_t)y * 256 + x) * 4, v2->px + ((size_t)y * 256 + x) * 4, 8) != 0;
  cr_expect_eq(diff, 0, "%d pixels differ between 1 and 2 threads", diff);
  int used = count_tiles(v1);
  cr_expect(used > 20 && used < nt, "%d of %d tiles used", used, nt);
  ysg_pipeline_destroy(p1);
  ysg_pipeline_destroy(p2);
  /* one short stroke in tile (1,1) of an 8×8 grid: its footprint (width/2 + 1 px) stays there */
  geo_reset();
  add_point(20.5f, 20.5f);
  add_point(26.5f, 22.5f);
  add_edge(0, 1);
  const ysg_value *v;
  ysg_pipeline *p = run_pipeline(c1, 128, 128, "points=g.points, edges=g.edges", &v);
  for (int t = 0; t < 64; t++) cr_expect_eq(v->tiles[t], t == 9 ? 1 : 0, "tile %d", t);
  ysg_pipeline_destroy(p);
  static const char *const nothing[3] = {"opacity=0", "width=0", "color='#ff000000'"};
  for (int k = 0; k < 3; k++) {
    snprintf(args, sizeof args, "points=g.points, edges=g.edges, %s", nothing[k]);
    p = run_pipeline(c1, 128, 128, args, &v);
    cr_expect_eq(count_tiles(v), 0, "%s: %d tiles used", nothing[k], count_tiles(v));
    ysg_pipeline_destroy(p);
  }
  ysg_context_destroy(c1);
  ysg_context_destroy(c2);
}

/* ---- CUDA vs CPU ------------------------------------------------------------------------------
 */
static char reason[512];

#ifdef YSG_HAVE_CUDA
/* the text after "key=" in a scene's arguments ("a=1, b=2"), or NULL */
static const char *arg_value(const char *args, const char *key) {
  size_t n = strlen(key);
  for (const char *p = args; (p = strstr(p, key)) != NULL; p += n)
    if ((p == args || p[-1] == ' ') && p[n] == '=') return p + n + 1;
  return NULL;
}
#endif

/* The kernels against the CPU node on the same inputs and settings: max error 1e-3 (FP16 and
 * nvcc's FMA contraction), identical tile flags, the same skipped-edge count. */
Test(line, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  static const struct {
    int curves, style, point_colors;
    const char *args;
  } scenes[] = {
      {0, YSG_LINE_SOLID, 0, "width=2"},
      {0, YSG_LINE_DASHED, 0, "width=2, style='dashed', dash=9, gap=5, phase=2"},
      {0, YSG_LINE_GRADIENT, 1, "width=3, style='gradient'"},
      {1, YSG_LINE_DOTTED, 0, "width=2.5, style='dotted'"},
      {1, YSG_LINE_DASH_DOT, 0, "width=0.5, style='dash_dot', dash=10, gap=5"},
      {1, YSG_LINE_GRADIENT, 0, "width=6, style='gradient', opacity=0.7"},
      {0, YSG_LINE_SOLID, 0, "width=2, cap='arrow', arrow_length=10, arrow_width=9"},
      {0, YSG_LINE_GRADIENT, 1, "width=3, style='gradient', cap='butt', taper=0.3"},
      {1, YSG_LINE_SOLID, 0, "width=4, cap_end='arrow', taper=0, taper_opacity=0.2"},
      {1, YSG_LINE_DASHED, 0, "width=3, style='dashed', dash=9, gap=5, cap='butt'"},
  };
  char err[512] = "";
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)
  for (int sc = 0; sc < (int)(sizeof scenes / sizeof scenes[0]); sc++) {
    const int W = 300, H = 200;
    random_edges(11 + sc, W, H);
    add_edge(3, 900); /* beyond the points: skipped on both sides */
    for (int k = 0; k < G.np; k++)
      for (int c = 0; c < 4; c++) G.col[4 * k + c] = (float)((k * 7 + c * 3) % 10) / 9.0f;
    G.rgba = 1;
    G.nc = 6;
    G.S = 40;
    for (int c = 0; c < G.nc; c++)
      for (int k = 0; k < G.S; k++) {
        double t = k / 39.0;
        G.cxy[(c * MAXS + k) * 2] = (float)(20 + 260 * t);
        G.cxy[(c * MAXS + k) * 2 + 1] = (float)(30 + 25 * c + 40 * sin(6 * t + c));
      }
    snprintf(args, sizeof args, "%s, %s",
             scenes[sc].curves ? "curves=g.curves" : "points=g.points, edges=g.edges",
             scenes[sc].args);
    ysg_context *ctx = make_ctx(1);
    const ysg_value *ref;
    ysg_pipeline *p = run_pipeline(ctx, W, H, args, &ref);
    const ysg_value *pts, *eds, *cvs;
    cr_assert_eq(ysg_pipeline_get_value(p, "g.points", &pts), YSG_OK);
    cr_assert_eq(ysg_pipeline_get_value(p, "g.edges", &eds), YSG_OK);
    cr_assert_eq(ysg_pipeline_get_value(p, "g.curves", &cvs), YSG_OK);
    /* the settings the pipeline gave (defaults elsewhere) */
    ysg_line_settings set = {scenes[sc].style, 2, 1, 12, 8, 0, 0, {0}, {0}, 1, 0, 0, 0, 0, 1, 1};
    static const char *const kinds[3] = {"'round'", "'butt'", "'arrow'"};
    for (int k = 0; k < 3; k++) {
      const char *c = arg_value(args, "cap"), *e = arg_value(args, "cap_end");
      if (c && strncmp(c, kinds[k], strlen(kinds[k])) == 0) set.cap_start = set.cap_end = k;
      if (e && strncmp(e, kinds[k], strlen(kinds[k])) == 0) set.cap_end = k;
    }
    const struct {
      const char *key;
      double *v;
    } nums[] = {{"width", &set.width},
                {"dash", &set.dash},
                {"gap", &set.gap},
                {"phase", &set.phase},
                {"opacity", &set.opacity},
                {"arrow_length", &set.arrow_length},
                {"arrow_width", &set.arrow_width},
                {"taper", &set.taper},
                {"taper_opacity", &set.taper_opacity}};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
      const char *at = arg_value(args, nums[k].key);
      if (at) sscanf(at, "%lf", nums[k].v);
    }
    cr_assert(ysg__parse_color("#22d3ee", set.color) && ysg__parse_color("#a855f7", set.color2));
    ysg_line_frame f;
    ysg__line_frame_setup(&f, &set, W, H, !scenes[sc].curves);
    int32_t n_pts = pts->count, n_eds = eds->count, n_cvs = cvs->count;
    void *d[12] = {0};
    size_t bytes[9] = {sizeof f,
                       4,
                       4,
                       4,
                       (size_t)MAXP * 8,
                       (size_t)MAXP * 16,
                       (size_t)MAXE * 8,
                       (size_t)MAXC * G.S * 8,
                       8};
    const void *host[8] = {&f, &n_pts, &n_eds, &n_cvs, pts->xy, pts->rgba, eds->ij, cvs->xy};
    for (int k = 0; k < 9; k++) {
      CK(ysg__cuda_malloc(&d[k], bytes[k], err, sizeof err));
      if (k < 8) CK(ysg__cuda_upload(d[k], host[k], bytes[k], NULL, err, sizeof err));
    }
    ysg_line_dev_inputs in = {0};
    in.heads = f.heads;
    if (scenes[sc].curves) {
      in.d_curves_xy = d[7];
      in.d_n_curves = d[3];
      in.cap_curves = MAXC;
      in.samples = G.S;
    } else {
      in.d_points_xy = d[4];
      in.d_points_rgba = d[5];
      in.d_n_points = d[1];
      in.d_edges_ij = d[6];
      in.d_n_edges = d[2];
      in.cap_edges = MAXE;
    }
    int tx = ref->tiles_x, ty = ref->tiles_y, cap = ysg__cuda_line_cap_segs(&in);
    int items = 16 * tx * ty > 32 * cap ? 16 * tx * ty : 32 * cap;
    size_t sb = ysg__cuda_line_scratch_bytes(&in, tx, ty, items);
    CK(ysg__cuda_malloc(&d[9], sb, err, sizeof err));
    CK(ysg__cuda_malloc(&d[10], (size_t)W * H * 8, err, sizeof err));
    CK(ysg__cuda_malloc(&d[11], (size_t)tx * ty, err, sizeof err));
    CK(ysg__cuda_line(d[10], d[11], W, H, &in, d[0], items, d[9], sb, d[8], NULL, err, sizeof err));
    uint16_t *px = malloc((size_t)W * H * 8);
    uint8_t *tiles = malloc((size_t)tx * ty);
    int32_t status[2];
    CK(ysg__cuda_download(px, d[10], (size_t)W * H * 8, NULL, err, sizeof err));
    CK(ysg__cuda_download(tiles, d[11], (size_t)tx * ty, NULL, err, sizeof err));
    CK(ysg__cuda_download(status, d[8], 8, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    cr_expect(status[0] <= items, "%s: %d bin references needed", args, status[0]);
    cr_expect_eq(status[1], scenes[sc].curves ? 0 : 1, "%s: %d edges skipped", args, status[1]);
    cr_expect(memcmp(tiles, ref->tiles, (size_t)tx * ty) == 0, "%s: tile flags differ", args);
    double worst = 0;
    int bad = 0;
    for (size_t k = 0; k < (size_t)W * H * 4; k++) {
      size_t pix = k / 4;
      if (!ref->tiles[(pix / W / 16) * tx + (pix % W) / 16]) continue;
      double e = fabs(ysg_half_to_float(ref->px[k]) - ysg_half_to_float(px[k]));
      if (!(e <= 1e-3) && bad++ < 5)
        cr_log_error("%s: pixel %zu channel %zu: cpu %.5f gpu %.5f", args, pix, k % 4,
                     (double)ysg_half_to_float(ref->px[k]), (double)ysg_half_to_float(px[k]));
      worst = fmax(worst, isnan(e) ? INFINITY : e);
    }
    cr_log_info("%s: max difference %.2g", args, worst);
    cr_expect_eq(bad, 0, "%s: %d values differ by more than 1e-3 (max %.3g)", args, bad, worst);
    free(px);
    free(tiles);
    for (int k = 0; k < 12; k++) ysg__cuda_free(d[k]);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
#undef CK
#endif
}
