/* test_prim.c — the primitives node's math (nodes/prim_raster.h, prim_score.h, prim_gen.h,
 * prim_search.c, prim_draw.c): every shape kind's rasterisation against an exact reference
 * computed here by 16×16 supersampling of the shape's own definition (libm trigonometry, the
 * quadratic sampled densely: independent of prim_raster.h); spans against per-pixel coverage;
 * the closed-form colour, opacity and error change against brute force on random images, with
 * the scored pixels being the drawn pixels; the striped summation against a plain one; random
 * shapes and mutations valid and reproducible; the search's drawing equal to the canvas drawing;
 * the search reproducible for any number of threads. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "prim_draw.h"
#include "prim_search.h"
#include "shapes.h"

#define PI 3.14159265358979323846

static uint64_t rs = 12345;
static double rnd(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* ---- the reference: is (x, y) inside the shape? --------------------------------------------- */
static int inside_convex(const double *vx, const double *vy, int n, double x, double y) {
  int pos = 0, neg = 0;
  for (int i = 0; i < n; i++) {
    int j = (i + 1) % n;
    double c = (vx[j] - vx[i]) * (y - vy[i]) - (vy[j] - vy[i]) * (x - vx[i]);
    pos += c > 0;
    neg += c < 0;
  }
  return pos == 0 || neg == 0;
}

static double seg_dist(double x, double y, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double h = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
  h = h < 0 ? 0 : (h > 1 ? 1 : h);
  return hypot(x - ax - dx * h, y - ay - dy * h);
}

static int inside(int kind, const float *g, double x, double y) {
  double vx[4], vy[4];
  switch (kind) {
    case YSG_PRIM_TRIANGLE:
    case YSG_PRIM_POLYGON: {
      int n = kind == YSG_PRIM_TRIANGLE ? 3 : 4;
      for (int i = 0; i < n; i++) vx[i] = g[2 * i], vy[i] = g[2 * i + 1];
      return inside_convex(vx, vy, n, x, y);
    }
    case YSG_PRIM_RECTANGLE:
      return x >= g[0] && x <= g[2] && y >= g[1] && y <= g[3];
    case YSG_PRIM_ROTATED_RECTANGLE: {
      double a = g[4] * PI / 180, dx = x - g[0], dy = y - g[1];
      double u = cos(a) * dx + sin(a) * dy, v = -sin(a) * dx + cos(a) * dy;
      return fabs(u) <= g[2] / 2 && fabs(v) <= g[3] / 2;
    }
    case YSG_PRIM_ELLIPSE:
    case YSG_PRIM_ROTATED_ELLIPSE:
    case YSG_PRIM_CIRCLE: {
      double a = kind == YSG_PRIM_ROTATED_ELLIPSE ? g[4] * PI / 180 : 0, dx = x - g[0],
             dy = y - g[1];
      double rx = g[2], ry = kind == YSG_PRIM_CIRCLE ? g[2] : g[3];
      double u = cos(a) * dx + sin(a) * dy, v = -sin(a) * dx + cos(a) * dy;
      return (u / rx) * (u / rx) + (v / ry) * (v / ry) <= 1;
    }
    case YSG_PRIM_LINE:
      return seg_dist(x, y, g[0], g[1], g[2], g[3]) <= g[4] / 2;
    case YSG_PRIM_QUADRATIC: { /* the curve as 128 chords: within 0.01 px of it here */
      double best = 1e30, px = g[0], py = g[1];
      for (int i = 1; i <= 128; i++) {
        double t = i / 128.0, u = 1 - t;
        double qx = u * u * g[0] + 2 * u * t * g[2] + t * t * g[4];
        double qy = u * u * g[1] + 2 * u * t * g[3] + t * t * g[5];
        double d = seg_dist(x, y, px, py, qx, qy);
        best = d < best ? d : best;
        px = qx, py = qy;
      }
      return best <= g[6] / 2;
    }
  }
  return 0;
}

#define RW 64
#define RH 64

/* coverage of every pixel through the spans: what scoring and drawing use */
static void span_coverage(const prim_geo *g, float *cov) {
  memset(cov, 0, sizeof(float) * RW * RH);
  for (int y = 0; y < RH; y++) {
    prim_span sp[PRIM_MAX_SPANS];
    int n = prim_row(g, y, 0, RW, sp);
    for (int k = 0; k < n; k++) {
      cr_assert(sp[k].x0 < sp[k].x1 && sp[k].x0 >= 0 && sp[k].x1 <= RW);
      if (k) cr_assert_geq(sp[k].x0, sp[k - 1].x1, "spans overlap or are out of order");
      for (int x = sp[k].x0; x < sp[k].x1; x++)
        cov[y * RW + x] = sp[k].full ? 1.0f : prim_cov(g, x + 0.5f, y + 0.5f);
    }
  }
}

/* supersampled coverage inside the box [bx0, bx1] × [by0, by1] (0 outside it) */
static void reference(int kind, const float *g, const int *box, float *ref) {
  memset(ref, 0, sizeof(float) * RW * RH);
  for (int y = box[1]; y <= box[3]; y++)
    for (int x = box[0]; x <= box[2]; x++) {
      int in = 0;
      for (int j = 0; j < 16; j++)
        for (int i = 0; i < 16; i++) in += inside(kind, g, x + (i + 0.5) / 16, y + (j + 0.5) / 16);
      ref[y * RW + x] = in / 256.0f;
    }
}

static float uni(float a, float b) { return a + (b - a) * (float)rnd(); }

/* a random valid shape of kind inside the 64×64 image, from a generator of the test's own */
static void random_shape(int kind, float *g) {
  prim_space sp;
  prim_space_init(&sp, RW, RH, 1u << kind, 7);
  for (;;) {
    memset(g, 0, 8 * sizeof *g);
    switch (kind) {
      case YSG_PRIM_TRIANGLE:
      case YSG_PRIM_POLYGON:
        if (kind == YSG_PRIM_TRIANGLE) {
          for (int i = 0; i < 6; i++) g[i] = uni(6, 58);
        } else { /* corners at increasing angles around a centre */
          float cx = uni(24, 40), cy = uni(24, 40), a = uni(0, 6.28f);
          for (int i = 0; i < 4; i++, a += uni(0.6f, 2.0f)) {
            float r = uni(6, 22);
            g[2 * i] = cx + r * cosf(a);
            g[2 * i + 1] = cy + r * sinf(a);
          }
        }
        break;
      case YSG_PRIM_RECTANGLE:
        g[0] = uni(4, 40), g[1] = uni(4, 40);
        g[2] = g[0] + uni(1, 20), g[3] = g[1] + uni(1, 20);
        break;
      case YSG_PRIM_ROTATED_RECTANGLE:
      case YSG_PRIM_ELLIPSE:
      case YSG_PRIM_ROTATED_ELLIPSE:
      case YSG_PRIM_CIRCLE:
        g[0] = uni(24, 40), g[1] = uni(24, 40), g[2] = uni(1.5f, 20), g[3] = uni(1.5f, 20);
        if (kind == YSG_PRIM_ROTATED_RECTANGLE) g[2] = uni(2, 30), g[3] = uni(2, 30);
        if (kind == YSG_PRIM_CIRCLE) g[3] = 0;
        if (kind == YSG_PRIM_ROTATED_RECTANGLE || kind == YSG_PRIM_ROTATED_ELLIPSE)
          g[4] = uni(0, 360);
        break;
      case YSG_PRIM_LINE:
        for (int i = 0; i < 4; i++) g[i] = uni(8, 56);
        g[4] = uni(1.5f, 6);
        break;
      case YSG_PRIM_QUADRATIC:
        for (int i = 0; i < 6; i++) g[i] = uni(8, 56);
        g[6] = uni(1.5f, 6);
        break;
    }
    prim_geo geo;
    if (prim_valid(kind, g, &sp) && prim_prepare(kind, g, &geo)) return;
  }
}

/* Every kind against the supersampled reference: 40 random shapes each. The box-filter estimate
 * clamp(0.5 − d) is exact along straight edges parallel to an axis and within ~0.09 of the true
 * pixel area along other edges; corners, the ellipse's first-order distance and the quadratic's
 * flattening add a little; the summed coverage (the area) agrees to a fraction of a pixel per
 * unit of outline. */
Test(prim_raster, every_kind_against_supersampling) {
  static float cov[RW * RH], ref[RW * RH];
  for (int kind = 0; kind < YSG_PRIM_KIND_COUNT; kind++) {
    double worst = 0, mean_edge = 0, worst_area = 0;
    int edges = 0;
    for (int t = 0; t < (kind == YSG_PRIM_QUADRATIC ? 12 : 40); t++) {
      float g[8];
      random_shape(kind, g);
      prim_geo geo;
      cr_assert(prim_prepare(kind, g, &geo));
      span_coverage(&geo, cov);
      int box[4] = {RW, RH, -1, -1}; /* the reference's box: every pixel the spans touch + 2 */
      for (int i = 0; i < RW * RH; i++)
        if (cov[i] > 0) {
          int x = i % RW, y = i / RW;
          box[0] = x < box[0] ? x : box[0], box[2] = x > box[2] ? x : box[2];
          box[1] = y < box[1] ? y : box[1], box[3] = y > box[3] ? y : box[3];
        }
      box[0] = box[0] > 2 ? box[0] - 2 : 0, box[1] = box[1] > 2 ? box[1] - 2 : 0;
      box[2] = box[2] < RW - 3 ? box[2] + 2 : RW - 1,
      box[3] = box[3] < RH - 3 ? box[3] + 2 : RH - 1;
      reference(kind, g, box, ref);
      for (int i = 0; i < RW * RH; i++) /* nothing of the shape lies beyond the box */
        if ((i % RW == box[0] || i % RW == box[2] || i / RW == box[1] || i / RW == box[3]) &&
            (i % RW > 0 && i % RW < RW - 1 && i / RW > 0 && i / RW < RH - 1))
          cr_assert_eq(ref[i], 0.0f, "%s: the spans miss shape pixels", ysg__prim_kind_name(kind));
      double a = 0, b = 0, perim = 0;
      for (int i = 0; i < RW * RH; i++) {
        double d = fabs((double)cov[i] - ref[i]);
        worst = d > worst ? d : worst;
        if (ref[i] > 0 && ref[i] < 1) mean_edge += d, edges++, perim++;
        a += cov[i];
        b += ref[i];
        /* pixels well inside are full, pixels well away are empty */
        if (ref[i] == 1.0f)
          cr_assert_gt(cov[i], 0.5f, "%s: an inside pixel drawn at %g", ysg__prim_kind_name(kind),
                       cov[i]);
        if (ref[i] == 0.0f && cov[i] > 0.5f)
          cr_assert_fail("%s: pixel %d, outside, drawn at %g", ysg__prim_kind_name(kind), i,
                         cov[i]);
      }
      double ea = fabs(a - b) / (perim > 0 ? perim : 1);
      worst_area = ea > worst_area ? ea : worst_area;
    }
    mean_edge /= edges;
    cr_log_info(
        "%-17s max |cov - exact| %.3f, mean over edge pixels %.4f, area error per "
        "edge pixel %.4f",
        ysg__prim_kind_name(kind), worst, mean_edge, worst_area);
    cr_expect_leq(mean_edge, 0.03, "%s: mean edge error %g", ysg__prim_kind_name(kind), mean_edge);
    cr_expect_leq(worst, 0.42, "%s: worst pixel %g", ysg__prim_kind_name(kind), worst);
    cr_expect_leq(worst_area, 0.08, "%s: area error %g per edge pixel", ysg__prim_kind_name(kind),
                  worst_area);
  }
}

/* ---- scoring ---------------------------------------------------------------------------------
 * A search over random images: the target and the current image random (opaque, or with random
 * alpha), their tables built by prim_search_begin/rows. */
#define SW 64
#define SH 48
static prim_search S_;
static void *S_mem;

static void random_search(int translucent) {
  free(S_mem);
  S_mem = aligned_alloc(64, (prim_search_bytes(SW, SH, 4) + 63) / 64 * 64);
  prim_search_bind(&S_, S_mem, SW, SH, 4);
  for (int i = 0; i < SW * SH; i++) {
    float a = translucent ? (float)rnd() : 1.0f, b = translucent ? (float)rnd() : 1.0f;
    for (int q = 0; q < 3; q++) S_.tgt[i * 4 + q] = (float)rnd() * a;
    S_.tgt[i * 4 + 3] = a;
    for (int q = 0; q < 3; q++) S_.cur[i * 4 + q] = (float)rnd() * b;
    S_.cur[i * 4 + 3] = b;
  }
  prim_search_rows(&S_, 0, SH - 1);
}

static double sse_of(const float *cur) {
  double e = 0;
  for (int i = 0; i < SW * SH * 4; i++) e += ((double)S_.tgt[i] - cur[i]) * (S_.tgt[i] - cur[i]);
  return e;
}

/* the error after drawing g with colour rgb at opacity s, by brute force over every pixel */
static double drawn_sse(const prim_geo *g, const float *rgb, float s) {
  static float cur[SW * SH * 4];
  memcpy(cur, S_.cur, sizeof cur);
  prim_fit f = {{rgb[0], rgb[1], rgb[2]}, s, 0};
  for (int y = 0; y < SH; y++) prim_draw_row(g, &f, cur + y * SW * 4, y, SW);
  return sse_of(cur);
}

static void shape_in(int kind, float *g, prim_geo *geo) { /* a random shape of the test image */
  random_shape(kind, g);
  for (int i = 0; i < 8; i++) /* 64 × 64 -> 64 × 48 (angles untouched) */
    if ((i & 1) && !(i == 3 && (kind >= YSG_PRIM_ROTATED_RECTANGLE && kind <= YSG_PRIM_CIRCLE)) &&
        !(kind == YSG_PRIM_LINE && i == 4) && !(kind == YSG_PRIM_QUADRATIC && i == 6))
      g[i] *= 0.75f;
  cr_assert(prim_prepare(kind, g, geo));
}

Test(prim_score, closed_form_against_brute_force) {
  double worst = 0;
  for (int translucent = 0; translucent < 2; translucent++) {
    random_search(translucent);
    double base = sse_of(S_.cur);
    cr_assert_float_eq(base, S_.sse, 1e-6 * base, "the tables' sse %g, brute force %g", S_.sse,
                       base);
    for (int kind = 0; kind < YSG_PRIM_KIND_COUNT; kind++)
      for (int t = 0; t < 6; t++) {
        float g[8], S[PRIM_SUMS];
        prim_geo geo;
        shape_in(kind, g, &geo);
        prim_img im = {SW, SH, S_.cd, S_.pre};
        prim_sums(&geo, &im, S);
        for (int solved = 0; solved < 2; solved++) {
          prim_fit f = prim_solve(S, solved ? 0.0f : 0.5f);
          cr_assert_lt(f.de, PRIM_BIG);
          double brute = drawn_sse(&geo, f.rgb, f.s) - base;
          double err = fabs(brute - f.de) / (fabs(brute) + S[0]);
          worst = err > worst ? err : worst;
          cr_assert_leq(err, 1e-5, "%s: closed form %g, brute force %g (N %g)",
                        ysg__prim_kind_name(kind), f.de, brute, S[0]);
          /* the colour is optimal: nudging an unclamped channel makes it worse */
          for (int q = 0; q < 3; q++) {
            if (f.rgb[q] <= 0.02f || f.rgb[q] >= 0.98f) continue;
            for (int sg = -1; sg <= 1; sg += 2) {
              float c[3] = {f.rgb[0], f.rgb[1], f.rgb[2]};
              c[q] += 0.02f * sg;
              cr_assert_geq(drawn_sse(&geo, c, f.s) - base, brute - 1e-6 * fabs(brute),
                            "%s: channel %d nudged by %+g is better", ysg__prim_kind_name(kind), q,
                            0.02 * sg);
            }
          }
          /* the solved opacity is optimal too (with the colour solved for each opacity) where
           * the target and the image are opaque (with alpha, the solve treats the shape's alpha
           * as free: a least-squares estimate, scored exactly all the same) */
          if (solved && !translucent && f.s > 0.1f && f.s < 0.95f)
            for (int sg = -1; sg <= 1; sg += 2) {
              prim_fit h = prim_solve(S, f.s + 0.05f * sg);
              int clamped = 0;
              for (int q = 0; q < 3; q++) clamped |= h.rgb[q] <= 0.0f || h.rgb[q] >= 1.0f;
              if (clamped) continue;
              cr_assert_geq(drawn_sse(&geo, h.rgb, h.s) - base, brute - 1e-6 * fabs(brute),
                            "%s: opacity %g beats the solved %g", ysg__prim_kind_name(kind), h.s,
                            f.s);
            }
        }
      }
  }
  cr_log_info("closed-form error change vs brute force: worst relative difference %.2e", worst);
}

/* The striped sums equal a plain double-precision sum over the drawn coverage. */
Test(prim_score, striped_sums_against_plain_sums) {
  random_search(1);
  for (int kind = 0; kind < YSG_PRIM_KIND_COUNT; kind++)
    for (int t = 0; t < 5; t++) {
      float g[8], S[PRIM_SUMS];
      prim_geo geo;
      shape_in(kind, g, &geo);
      prim_img im = {SW, SH, S_.cd, S_.pre};
      prim_sums(&geo, &im, S);
      double ref[PRIM_SUMS] = {0}, mag = 0;
      for (int y = 0; y < SH; y++) {
        prim_span sp[PRIM_MAX_SPANS];
        int n = prim_row(&geo, y, 0, SW, sp);
        for (int k = 0; k < n; k++)
          for (int x = sp[k].x0; x < sp[k].x1; x++) {
            double w = sp[k].full ? 1.0 : prim_cov(&geo, x + 0.5f, y + 0.5f);
            const float *c = S_.cur + (y * SW + x) * 4, *tg = S_.tgt + (y * SW + x) * 4;
            ref[0] += w * w;
            for (int q = 0; q < 4; q++) {
              double d = (double)tg[q] - c[q];
              ref[1 + q] += w * w * c[q];
              ref[5 + q] += w * d;
              ref[9] += w * w * c[q] * c[q];
              ref[10] += w * c[q] * d;
            }
            mag += w;
          }
      }
      for (int q = 0; q < PRIM_SUMS; q++)
        cr_assert_float_eq(S[q], ref[q], 1e-5 * (mag + 1), "%s: sum %d is %g, plainly %g",
                           ysg__prim_kind_name(kind), q, S[q], ref[q]);
    }
}

/* ---- generation ------------------------------------------------------------------------------ */
Test(prim_gen, random_and_mutated_shapes_valid_and_reproducible) {
  prim_space sp;
  prim_space_init(&sp, 200, 120, (1u << YSG_PRIM_KIND_COUNT) - 1, 42);
  int seen[YSG_PRIM_KIND_COUNT] = {0};
  for (uint32_t i = 0; i < 2000; i++) {
    prim_cand a, b, m, m2;
    cr_assert(prim_random(&sp, 3, i % 7, i, &a), "candidate %u: no valid shape", i);
    cr_assert(prim_random(&sp, 3, i % 7, i, &b));
    cr_assert(a.kind == b.kind && !memcmp(a.g, b.g, sizeof a.g), "candidate %u differs", i);
    cr_assert(prim_valid(a.kind, a.g, &sp));
    seen[a.kind]++;
    if (prim_mutate(&sp, 3, 0, 5000 + i, &a, &m)) {
      cr_assert(prim_valid(m.kind, m.g, &sp));
      cr_assert(prim_mutate(&sp, 3, 0, 5000 + i, &a, &m2));
      cr_assert(!memcmp(m.g, m2.g, sizeof m.g));
    }
  }
  for (int k = 0; k < YSG_PRIM_KIND_COUNT; k++)
    cr_assert_gt(seen[k], 100, "%s drawn %d times of 2000", ysg__prim_kind_name(k), seen[k]);
  prim_cand a, b;
  prim_random(&sp, 3, 0, 1, &a);
  prim_random(&sp, 3, 0, 2, &b);
  cr_assert(memcmp(a.g, b.g, sizeof a.g), "two candidates are the same");
}

/* ---- the search --------------------------------------------------------------------------- */
static int par_threads = 1;
static void par_omp(void *par, int count, int grain, ysg_range_fn fn, void *ud) {
  (void)par;
  int chunks = (count + grain - 1) / grain;
#pragma omp parallel for schedule(dynamic, 1) num_threads(par_threads)
  for (int c = 0; c < chunks; c++) {
    int b = c * grain, e = b + grain < count ? b + grain : count;
    fn(ud, b, e);
  }
}

/* a smooth target with some edges, 96 × 64 */
static void smooth_target(prim_search *s) {
  for (int y = 0; y < s->h; y++)
    for (int x = 0; x < s->w; x++) {
      float *p = s->tgt + (y * s->w + x) * 4;
      p[0] = 0.5f + 0.4f * sinf(x * 0.07f) * cosf(y * 0.05f);
      p[1] = (x - 40) * (x - 40) + (y - 30) * (y - 30) < 300 ? 0.9f : 0.2f;
      p[2] = y < 20 ? 0.7f : 0.1f + 0.005f * x;
      p[3] = 1.0f;
    }
}

static void run_search(int threads, int kinds, float alpha, prim_record *rec, int n,
                       prim_search *out) {
  prim_opts o = {n, 60, 4, 30, alpha};
  par_threads = threads;
  void *mem = aligned_alloc(64, (prim_search_bytes(96, 64, o.climbs) + 63) / 64 * 64);
  prim_search s;
  prim_search_bind(&s, mem, 96, 64, o.climbs);
  smooth_target(&s);
  float bg[4] = {0.4f, 0.4f, 0.4f, 1};
  prim_search_begin(&s, bg);
  prim_space sp;
  prim_space_init(&sp, 96, 64, (uint32_t)kinds, 9);
  for (int i = 0; i < n; i++) prim_search_step(&s, &o, &sp, i, NULL, &rec[i], par_omp, NULL);
  if (out) {
    *out = s;
    return;
  }
  free(mem);
}

Test(prim_search, same_shapes_for_1_2_3_threads) {
  enum { N = 12 };
  prim_record a[N], b[N], c[N];
  int all = (1 << YSG_PRIM_KIND_COUNT) - 1;
  run_search(1, all, 0.0f, a, N, NULL);
  run_search(2, all, 0.0f, b, N, NULL);
  run_search(3, all, 0.0f, c, N, NULL);
  cr_assert(!memcmp(a, b, sizeof a), "1 and 2 threads found different shapes");
  cr_assert(!memcmp(a, c, sizeof a), "1 and 3 threads found different shapes");
  for (int i = 1; i < N; i++) /* every shape lowers the error */
    cr_assert_lt(a[i].error, a[i - 1].error, "shape %d: error %g after %g", i, a[i].error,
                 a[i - 1].error);
}

/* Drawing the records at the search's own size (prim_draw, the node's image) gives the image the
 * search built (up to FP16 rounding): the canvas drawing is the same rasteriser. */
Test(prim_search, canvas_drawing_equals_the_search_image) {
  enum { N = 25 };
  prim_record rec[N];
  prim_search s;
  run_search(2, (1 << YSG_PRIM_KIND_COUNT) - 1, 0.5f, rec, N, &s);
  int32_t kind[N];
  float geom[N * 8], rgba[N * 4];
  for (int i = 0; i < N; i++) {
    kind[i] = rec[i].kind;
    memcpy(geom + i * 8, rec[i].g, sizeof rec[i].g);
    memcpy(rgba + i * 4, rec[i].rgb, sizeof rec[i].rgb);
    rgba[i * 4 + 3] = rec[i].s;
  }
  prim_geo geo[N];
  float col[N][4];
  int32_t box[N][4];
  prim_draw d = {0, N, {0}, geo, col, box};
  float bg[4] = {0.4f, 0.4f, 0.4f, 1};
  prim_draw_prepare(&d, kind, geom, rgba, N, bg, 96, 64);
  static uint16_t px[96 * 64 * 4];
  for (int ty = 0; ty < 4; ty++)
    for (int tx = 0; tx < 6; tx++)
      cr_assert_eq(
          prim_draw_tile(&d, tx * 16, ty * 16, 16, 16, px + (ty * 16 * 96 + tx * 16) * 4, 96 * 4),
          1);
  double worst = 0;
  for (int i = 0; i < 96 * 64 * 4; i++) {
    double e = fabs((double)ysg_half_to_float(px[i]) - s.cur[i]);
    worst = e > worst ? e : worst;
  }
  cr_assert_leq(worst, 1e-3, "canvas drawing and search image differ by %g", worst);
  free(s.tgt); /* the search's memory block starts with tgt */
}
