/* test_curve.c — the `curve` node: every family starts and ends bit-exactly on its points and is
 * continuous; shapes against references written here (de Casteljau, Hermite, the dipole field,
 * the catenary, the spiral's winding); determinism over runs and threads; animated parameters;
 * electric noise per frame, seed and id; out-of-range edges (warned once); error texts; the CUDA
 * kernel against the CPU node (skipped without a device). Geometry: host node type `tgeo`. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curve_math.h"
#include "internal.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/curve_api.h"
#endif

#define PI 3.14159265358979323846

/* ---- `tgeo`: points (optionally with ids) and edges from G ----------------------------------- */
#define MAXP 4096
#define MAXE 4096
static struct geo {
  int np, np_later;      /* points this frame; np_later >= 0: the count from frame 1 on */
  int ne, ids, edge_cap; /* edge_cap > 0: the edges' capacity instead of MAXE (never filled) */
  float xy[MAXP * 2];
  int32_t id[MAXP];
  int32_t ij[MAXE * 2];
} G;

static void geo_reset(void) {
  memset(&G, 0, sizeof G);
  G.np_later = -1;
}
static int add_point(double x, double y) {
  G.xy[2 * G.np] = (float)x;
  G.xy[2 * G.np + 1] = (float)y;
  G.id[G.np] = 1000 + G.np;
  return G.np++;
}
static void add_edge(int i, int j) {
  G.ij[2 * G.ne] = i;
  G.ij[2 * G.ne + 1] = j;
  G.ne++;
}
static void add_segment(double ax, double ay, double bx, double by) {
  int i = add_point(ax, ay);
  add_edge(i, add_point(bx, by));
}
/* a mix of directions, lengths and positions, a zero-length edge and a near-vertical one */
static void add_mixed_edges(void) {
  add_segment(100.25, 200.5, 300.75, 180.125);
  add_segment(50, 50, 250, 50);
  add_segment(400, 100, 400, 350);
  add_segment(350, 300, 120, 90);
  add_segment(10, 10, 10.001, 10.0005);
  add_segment(77, 77, 77, 77);
  add_segment(3800.3, 2100.7, 12.5, 3.25);
  add_segment(500, 500, 500.0001, 100);
}

static const ysg_port_def geo_out[] = {
    {"points", YSG_POINTS, 0, "G's points", NULL, 0},
    {"edges", YSG_EDGES, 0, "G's edges", NULL, 0},
};

static ysg_status geo_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = MAXP;
  ysg_node_output(n, 1)->capacity = G.edge_cap > 0 ? G.edge_cap : MAXE;
  return YSG_OK;
}

static ysg_status geo_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *p = ysg_node_output(n, 0), *e = ysg_node_output(n, 1);
  p->count = f->index > 0 && G.np_later >= 0 ? G.np_later : G.np;
  memcpy(p->xy, G.xy, sizeof(float) * 2 * (size_t)G.np);
  memcpy(p->id, G.id, sizeof(int32_t) * (size_t)G.np);
  p->attrs = G.ids ? YSG_ATTR_ID : 0u;
  e->count = G.ne;
  memcpy(e->ij, G.ij, sizeof(int32_t) * 2 * (size_t)G.ne);
  return YSG_OK;
}

static const ysg_node_type geo_type = {.name = "tgeo",
                                       .category = "test",
                                       .doc = "Test geometry from the test's arrays.",
                                       .outputs = geo_out,
                                       .n_outputs = 2,
                                       .run = geo_run,
                                       .infer = geo_infer};

/* ---- running a curve pipeline ---------------------------------------------------------------- */
static ysg_context *make_ctx(int threads) {
  ysg_context *ctx = ysgt_ctx_warn(threads);
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &geo_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static const char *curve_src(const char *args) {
  static char buf[4096];
  snprintf(buf, sizeof buf,
           "canvas{width=4000,height=2200,frames=10,fps=25}\n"
           "local g = tgeo{name='g'}\n"
           "curve{name='c', points=g.points, edges=g.edges, %s}\n",
           args);
  return buf;
}

typedef struct curves {
  int count, S;
  float *xy;   /* (count, S, 2) */
  int32_t *ij; /* (count, 2) */
} curves;

static void curves_free(curves *c) {
  free(c->xy);
  free(c->ij);
}

/* Run the given frames of one loaded pipeline (in this order) and copy the last one's curves. */
static curves run_frames(ysg_context *ctx, const char *args, const int *frames, int nf) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, curve_src(args), &p), YSG_OK, "%s", ysg_errmsg(ctx));
  for (int k = 0; k < nf; k++)
    cr_assert_eq(ysg_pipeline_run_frame(p, frames[k]), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "c", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(v->type, YSG_CURVES);
  curves c = {v->count, v->samples, NULL, NULL};
  size_t nxy = (size_t)(c.count > 0 ? c.count : 1) * (size_t)c.S * 2;
  c.xy = malloc(sizeof(float) * nxy);
  c.ij = malloc(sizeof(int32_t) * 2 * (size_t)(c.count > 0 ? c.count : 1));
  cr_assert(c.xy && c.ij);
  memcpy(c.xy, v->xy, sizeof(float) * (size_t)c.count * (size_t)c.S * 2);
  memcpy(c.ij, v->ij, sizeof(int32_t) * 2 * (size_t)c.count);
  ysg_pipeline_destroy(p);
  return c;
}

static curves run_curve(int threads, const char *args, int frame) {
  ysg_context *ctx = make_ctx(threads);
  curves c = run_frames(ctx, args, &frame, 1);
  ysg_context_destroy(ctx);
  return c;
}

static int same_curves(const curves *a, const curves *b) {
  return a->count == b->count && a->S == b->S &&
         !memcmp(a->xy, b->xy, sizeof(float) * (size_t)a->count * (size_t)a->S * 2) &&
         !memcmp(a->ij, b->ij, sizeof(int32_t) * 2 * (size_t)a->count);
}

static const float *sample(const curves *c, int k, int s) {
  return c->xy + ((size_t)k * (size_t)c->S + (size_t)s) * 2;
}

/* ---- the cases: every family, defaults and other settings ------------------------------------ */
typedef struct ccase {
  const char *type;
  double ov, co, tau, turns, stiff, harm, amp, freq, strength, grav, speed;
  int seed;
} ccase;

#define DEF 0.25, 0.33, 0.5, 0.5, 0.5, 3, 12, 1, 0.5, 0.3, 1
// clang-format off
static const ccase cases[] = {
    {"straight", DEF, 1},
    {"quadratic_bezier", DEF, 1},  {"quadratic_bezier", -0.6, 0.33, 0.5, 0.5, 0.5, 3, 12, 1, 0.5, 0.3, 1, 1},
    {"cubic_bezier", DEF, 1},      {"cubic_bezier", -0.4, 0.1, 0.5, 0.5, 0.5, 3, 12, 1, 0.5, 0.3, 1, 1},
    {"catmull_rom", DEF, 1},       {"catmull_rom", 0.25, 0.33, -1, 0.5, 0.5, 3, 12, 1, 0.5, 0.3, 1, 1},
    {"logarithmic_spiral", DEF, 1},{"logarithmic_spiral", 0.25, 0.33, 0.5, -3, 0.5, 3, 12, 1, 0.5, 0.3, 1, 1},
    {"elastic", DEF, 1},           {"elastic", 0.25, 0.33, 0.5, 0.5, 1, 3, 12, 1, 0.5, 0.3, 1, 1},
    {"fourier_series", DEF, 1},    {"fourier_series", 0.25, 0.33, 0.5, 0.5, 0.5, 7.5, -30, 1, 0.5, 0.3, 1, 1},
    {"field_lines", DEF, 1},       {"field_lines", 0.25, 0.33, 0.5, 0.5, 0.5, 3, 12, 1, -1.4, 0.3, 1, 1},
    {"gravitational", DEF, 1},     {"gravitational", 0.25, 0.33, 0.5, 0.5, 0.5, 3, 12, 1, 0.5, -1.5, 1, 1},
    {"wave", DEF, 1},              {"wave", 0.25, 0.33, 0.5, 0.5, 0.5, 3, 25, 4.5, 0.5, 0.3, 1, 1},
    {"electric", DEF, 1},          {"electric", 0.25, 0.33, 0.5, 0.5, 0.5, 3, 40, 1, 0.5, 0.3, 3, 99},
};
// clang-format on
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static const char *case_args(const ccase *c, int S) {
  static char buf[512];
  snprintf(buf, sizeof buf,
           "type='%s', samples=%d, overshoot=%.17g, control_offset=%.17g, tension=%.17g, "
           "turns=%.17g, stiffness=%.17g, harmonics=%.17g, amplitude=%.17g, frequency=%.17g, "
           "strength=%.17g, gravity=%.17g, speed=%.17g, seed=%d",
           c->type, S, c->ov, c->co, c->tau, c->turns, c->stiff, c->harm, c->amp, c->freq,
           c->strength, c->grav, c->speed, c->seed);
  return buf;
}

/* An upper bound of |dP/dt| (px per unit of t) for an edge of length L, from each family's
 * definition; gravitational is checked for equal arc steps instead (returns 0). */
static double speed_bound(const ccase *c, double L) {
  const char *t = c->type;
  if (!strcmp(t, "straight")) return L;
  if (!strcmp(t, "quadratic_bezier")) return L * sqrt(1 + 4 * c->ov * c->ov);
  if (!strcmp(t, "cubic_bezier")) /* 3 × the longest control-polygon leg */
    return 3 * L * fmax(sqrt(c->co * c->co + c->ov * c->ov), fabs(1 - 2 * c->co));
  if (!strcmp(t, "catmull_rom"))
    return L * hypot(fmax(1 - c->tau, 1 + 0.5 * c->tau), fabs(1 - c->tau) / 2);
  if (!strcmp(t, "logarithmic_spiral")) {
    double g = 0.30634896253003314 * 2 * PI * fabs(c->turns);
    return L * hypot(g > 0 ? g * exp(g) / expm1(g) : 1, 2 * PI * c->turns);
  }
  if (!strcmp(t, "elastic")) { /* documented: 1 + 3s waves, damping 2 + 4s, amplitude */
    double a = 0.25 * (1 - 0.5 * c->stiff), w = 2 * PI * (1 + 3 * c->stiff), z = 2 + 4 * c->stiff;
    return L * hypot(1, a * (w + z + 1));
  }
  if (!strcmp(t, "fourier_series")) return L + fabs(c->amp) * 8 * c->harm;
  if (!strcmp(t, "field_lines")) {
    /* the launch speed π/(2cos(α/2))·L times 1 + tan(α/2) for the wider middle of the loop: an
     * envelope, not a derivation; measured speeds stay under 0.75 of it for |strength| <= 1.5 */
    double al = fabs(c->strength) * PI / 2;
    return L * PI / (2 * cos(al / 2)) * (1 + tan(al / 2));
  }
  if (!strcmp(t, "wave")) {
    double R = fmin(50 / c->freq, L / 2);
    return L + fabs(c->amp) * L * (2 * PI * c->freq / 100 + 1.5 / R);
  }
  if (!strcmp(t, "electric")) /* sin taper + 4 octaves of noise slope <= 4 per cell */
    return L + fabs(c->amp) * (PI + L / 48 * 4 * 4 / 1.875);
  return 0;
}

/* ---- endpoints and continuity ---------------------------------------------------------------- */

Test(curve, every_family_starts_and_ends_exactly_on_its_points) {
  geo_reset();
  add_mixed_edges();
  for (int k = 0; k < N_CASES; k++)
    for (int S = 2; S <= 33; S += 31) {
      curves c = run_curve(1, case_args(&cases[k], S), 3);
      cr_assert_eq(c.count, G.ne);
      cr_assert_eq(c.S, S);
      for (int e = 0; e < c.count; e++) {
        int i = G.ij[2 * e], j = G.ij[2 * e + 1];
        cr_expect(c.ij[2 * e] == i && c.ij[2 * e + 1] == j, "%s: ij of curve %d", cases[k].type, e);
        cr_expect(!memcmp(sample(&c, e, 0), &G.xy[2 * i], 8), "%s S=%d: start of %d", cases[k].type,
                  S, e);
        cr_expect(!memcmp(sample(&c, e, S - 1), &G.xy[2 * j], 8), "%s S=%d: end of %d",
                  cases[k].type, S, e);
        if (G.xy[2 * i] == G.xy[2 * j] && G.xy[2 * i + 1] == G.xy[2 * j + 1]) /* zero length */
          for (int s = 0; s < S; s++)
            cr_expect(!memcmp(sample(&c, e, s), &G.xy[2 * i], 8), "%s: zero-length sample %d",
                      cases[k].type, s);
        for (int s = 0; s < 2 * S; s++) cr_expect(isfinite(sample(&c, e, 0)[s]));
      }
      curves_free(&c);
    }
}

Test(curve, every_family_is_continuous) {
  geo_reset();
  add_mixed_edges();
  const int S = 1024;
  for (int k = 0; k < N_CASES; k++) {
    curves c = run_curve(1, case_args(&cases[k], S), 2);
    for (int e = 0; e < c.count; e++) {
      int i = G.ij[2 * e], j = G.ij[2 * e + 1];
      double L =
          hypot((double)G.xy[2 * j] - G.xy[2 * i], (double)G.xy[2 * j + 1] - G.xy[2 * i + 1]);
      double most = 0, least = 1e300, total = 0;
      for (int s = 1; s < S; s++) {
        const float *p = sample(&c, e, s - 1), *q = sample(&c, e, s);
        double d = hypot((double)q[0] - p[0], (double)q[1] - p[1]);
        most = fmax(most, d);
        least = fmin(least, d);
        total += d;
      }
      if (L == 0) {
        cr_expect_eq(most, 0.0);
        continue;
      }
      double fl = 1e-3; /* float rounding of coordinates up to 4000 px, on both ends of a step */
      double bound = speed_bound(&cases[k], L);
      if (bound > 0) {
        cr_expect(most <= bound / (S - 1) + fl, "%s: edge %d (L %.4g): step %.6g > bound %.6g",
                  cases[k].type, e, L, most, bound / (S - 1));
      } else {
        /* gravitational: equal arc-length steps, so no step is long; a chord is shorter than
         * its arc by κ²h²/24 where the chain bends hard (the vertex of gravity -1.5: 0.6%) */
        cr_expect(
            most <= total / (S - 1) * (1 + 1e-2) + fl && least >= total / (S - 1) * (1 - 1e-2) - fl,
            "gravitational: edge %d: steps %.6g .. %.6g, mean %.6g", e, least, most,
            total / (S - 1));
        cr_expect(total <= 40 * L, "gravitational: edge %d: length %.4g for chord %.4g", e, total,
                  L);
      }
    }
    curves_free(&c);
  }
}

/* ---- shapes against references written here -------------------------------------------------- */

static double ax_, ay_, bx_, by_; /* the single edge of the shape tests */
static void one_edge(double ax, double ay, double bx, double by) {
  geo_reset();
  ax_ = (float)ax, ay_ = (float)ay, bx_ = (float)bx, by_ = (float)by;
  add_segment(ax, ay, bx, by);
}
/* sideways displacement of p from the chord, positive to the left of a -> b on screen */
static double left_of(const float *p) {
  double dx = bx_ - ax_, dy = by_ - ay_, L = hypot(dx, dy);
  return ((p[0] - ax_) * dy - (p[1] - ay_) * dx) / L;
}

Test(curve, bezier_and_catmull_rom_match_their_control_points) {
  one_edge(100.25, 200.5, 300.75, 180.125);
  double dx = bx_ - ax_, dy = by_ - ay_, L = hypot(dx, dy), nx = dy / L, ny = -dx / L;
  const int S = 33;
  for (int type = 0; type < 3; type++) {
    const char *names[3] = {"quadratic_bezier", "cubic_bezier", "catmull_rom"};
    double ov = type == 0 ? 0.3 : -0.2, co = 0.2, tau = 0.25;
    char args[256];
    snprintf(args, sizeof args,
             "type='%s', samples=%d, overshoot=%g, control_offset=%g, tension=%g", names[type], S,
             ov, co, tau);
    curves c = run_curve(1, args, 0);
    double worst = 0;
    for (int s = 0; s < S; s++) {
      double t = (double)s / (S - 1), mt = 1 - t, x, y;
      if (type == 0) { /* de Casteljau with the control point over the midpoint */
        double cx = (ax_ + bx_) / 2 + ov * L * nx, cy = (ay_ + by_) / 2 + ov * L * ny;
        double px = mt * ax_ + t * cx, py = mt * ay_ + t * cy, qx = mt * cx + t * bx_,
               qy = mt * cy + t * by_;
        x = mt * px + t * qx;
        y = mt * py + t * qy;
      } else if (type == 1) {
        double c1x = ax_ + co * dx + ov * L * nx, c1y = ay_ + co * dy + ov * L * ny;
        double c2x = ax_ + (1 - co) * dx + ov * L * nx, c2y = ay_ + (1 - co) * dy + ov * L * ny;
        x = mt * mt * mt * ax_ + 3 * mt * mt * t * c1x + 3 * mt * t * t * c2x + t * t * t * bx_;
        y = mt * mt * mt * ay_ + 3 * mt * mt * t * c1y + 3 * mt * t * t * c2y + t * t * t * by_;
      } else { /* cardinal Hermite segment through the documented phantom neighbours */
        double p0x = ax_ - dx - L * nx, p0y = ay_ - dy - L * ny;
        double p3x = bx_ + dx - L * nx, p3y = by_ + dy - L * ny;
        double m1x = (1 - tau) / 2 * (bx_ - p0x), m1y = (1 - tau) / 2 * (by_ - p0y);
        double m2x = (1 - tau) / 2 * (p3x - ax_), m2y = (1 - tau) / 2 * (p3y - ay_);
        double h00 = 2 * t * t * t - 3 * t * t + 1, h10 = t * t * t - 2 * t * t + t,
               h01 = -2 * t * t * t + 3 * t * t, h11 = t * t * t - t * t;
        x = h00 * ax_ + h10 * m1x + h01 * bx_ + h11 * m2x;
        y = h00 * ay_ + h10 * m1y + h01 * by_ + h11 * m2y;
      }
      const float *p = sample(&c, 0, s);
      worst = fmax(worst, hypot(p[0] - x, p[1] - y));
    }
    cr_expect(worst < 1e-3, "%s: %.3g px from the reference", names[type], worst);
    /* the documented side: positive overshoot (and catmull_rom) bend to the left on screen */
    double mid = left_of(sample(&c, 0, S / 2));
    cr_expect(type == 1 ? mid < -1 : mid > 1, "%s: middle %.3f px left of the chord", names[type],
              mid);
    curves_free(&c);
  }
  /* a horizontal edge going right: left on screen is up (smaller y) */
  one_edge(50, 50, 250, 50);
  curves c = run_curve(1, "type='quadratic_bezier', overshoot=0.25, samples=3", 0);
  cr_expect_float_eq(sample(&c, 0, 1)[1], 50 - 0.25 * 200 / 2, 1e-4);
  curves_free(&c);
}

/* The tangent of a field line is the field of +q at a and -q at b; and cos a1 + cos b1 stays
 * 1 + cos α (the angles at a and b between the chord and the point). */
Test(curve, field_lines_follow_the_dipole_field) {
  const double strengths[4] = {0.5, -1.4, 1.0, 0.01};
  one_edge(300, 400, 700, 250);
  double dx = bx_ - ax_, dy = by_ - ay_, L = hypot(dx, dy);
  const int S = 1024;
  for (int k = 0; k < 4; k++) {
    char args[128];
    snprintf(args, sizeof args, "type='field_lines', samples=%d, strength=%g", S, strengths[k]);
    curves c = run_curve(1, args, 0);
    double alpha = fabs(strengths[k]) * PI / 2, worst_dir = 0, worst_c = 0;
    for (int s = 1; s < S - 1; s++) {
      const float *p = sample(&c, 0, s), *pm = sample(&c, 0, s - 1), *pp = sample(&c, 0, s + 1);
      double rax = p[0] - ax_, ray = p[1] - ay_, rbx = p[0] - bx_, rby = p[1] - by_;
      double ra = hypot(rax, ray), rb = hypot(rbx, rby);
      double ex = rax / (ra * ra * ra) - rbx / (rb * rb * rb);
      double ey = ray / (ra * ra * ra) - rby / (rb * rb * rb);
      double tx = pp[0] - pm[0], ty = pp[1] - pm[1];
      double ang = fabs(atan2(ex * ty - ey * tx, ex * tx + ey * ty));
      if (s > 2 && s < S - 3 && ra > 1 && rb > 1) worst_dir = fmax(worst_dir, ang);
      double ca = (rax * dx + ray * dy) / (ra * L), cb = -(rbx * dx + rby * dy) / (rb * L);
      if (ra > 5 && rb > 5) /* float coordinates: angles at the ends are rounding noise */
        worst_c = fmax(worst_c, fabs(ca + cb - 1 - cos(alpha)));
      double side = left_of(p);
      cr_expect(strengths[k] > 0 ? side > 0 : side < 0, "strength %g: sample %d on the wrong side",
                strengths[k], s);
    }
    cr_expect(worst_dir < 5e-3, "strength %g: tangent %.3g rad off the field", strengths[k],
              worst_dir);
    cr_expect(worst_c < 1e-4, "strength %g: cos a + cos b off by %.3g", strengths[k], worst_c);
    curves_free(&c);
  }
}

/* Solve a·(cosh((xb-x0)/a) - cosh((xa-x0)/a)) = w for x0 by bisection (increasing in -x0). */
static double catenary_x0(double a, double xa, double xb, double w) {
  double lo = xa - 20 * a, hi = xb + 20 * a; /* cosh stays finite */
  for (int it = 0; it < 200; it++) {
    double m = (lo + hi) / 2, f = a * (cosh((xb - m) / a) - cosh((xa - m) / a)) - w;
    if (f > 0)
      lo = m;
    else
      hi = m;
  }
  return (lo + hi) / 2;
}

Test(curve, gravitational_hangs_as_a_catenary) {
  const int S = 1023;
  /* level ends: symmetric, sagging by a·(cosh(h/2a) - 1) with a = h / (8 g) */
  one_edge(100, 300, 500, 300);
  curves c = run_curve(1, "type='gravitational', gravity=0.3, samples=1023", 0);
  double a = 400 / (8 * 0.3);
  cr_expect(fabs(sample(&c, 0, S / 2)[1] - (300 + a * (cosh(200 / a) - 1))) < 1e-3,
            "level sag %.5f, expected %.5f", sample(&c, 0, S / 2)[1] - 300,
            a * (cosh(200 / a) - 1));
  for (int s = 0; s < S; s++) {
    const float *p = sample(&c, 0, s), *q = sample(&c, 0, S - 1 - s);
    cr_expect(fabs(p[1] - q[1]) < 1e-3 && fabs((p[0] - 300) + (q[0] - 300)) < 1e-3,
              "asymmetric at %d", s);
  }
  curves_free(&c);
  /* tilted ends, both signs: every sample on y_up = a·cosh((x - x0)/a) + c through both ends */
  const double grav[2] = {0.3, -0.7};
  for (int k = 0; k < 2; k++) {
    one_edge(100, 100, 600, 400);
    char args[128];
    snprintf(args, sizeof args, "type='gravitational', gravity=%g, samples=%d", grav[k], S);
    c = run_curve(1, args, 0);
    double sy = grav[k] > 0 ? -1 : 1; /* image y per unit of "up" */
    a = 500 / (8 * fabs(grav[k]));
    double w = (by_ - ay_) * sy, x0 = catenary_x0(a, 0, 500, w), worst = 0;
    for (int s = 0; s < S; s++) {
      const float *p = sample(&c, 0, s);
      double X = p[0] - ax_, up = (p[1] - ay_) * sy;
      worst = fmax(worst, fabs(up - a * (cosh((X - x0) / a) - cosh(x0 / a))));
      if (s > 0 && s < S - 1) /* hangs below the chord (arches above it when gravity < 0) */
        cr_expect(grav[k] > 0 ? p[1] > ay_ + (by_ - ay_) * X / 500
                              : p[1] < ay_ + (by_ - ay_) * X / 500);
    }
    cr_expect(worst < 2e-3, "gravity %g: %.3g px off the catenary", grav[k], worst);
    curves_free(&c);
  }
  /* a vertical edge and no gravity are straight */
  one_edge(400, 100, 400, 350);
  c = run_curve(1, "type='gravitational', samples=11", 0);
  for (int s = 0; s < 11; s++) cr_expect_eq(sample(&c, 0, s)[0], 400.0f);
  curves_free(&c);
  one_edge(10, 20, 210, 170);
  c = run_curve(1, "type='gravitational', gravity=0, samples=11", 0);
  for (int s = 0; s < 11; s++) cr_expect(fabs(left_of(sample(&c, 0, s))) < 1e-4);
  curves_free(&c);
}

Test(curve, logarithmic_spiral_winds_and_ends_exactly_on_the_target) {
  const double turns[7] = {0.25, 0.5, 1, 2.5, -1.5, 7, 0};
  one_edge(812.3, 455.7, 1012.9, 390.1);
  const int S = 512;
  double L = hypot(bx_ - ax_, by_ - ay_);
  for (int k = 0; k < 7; k++) {
    char args[128];
    snprintf(args, sizeof args, "type='logarithmic_spiral', samples=%d, turns=%g", S, turns[k]);
    curves c = run_curve(1, args, 0);
    const float *last = sample(&c, 0, S - 1), *prev = sample(&c, 0, S - 2);
    cr_expect(last[0] == (float)bx_ && last[1] == (float)by_, "turns %g: ends at (%.9g, %.9g)",
              turns[k], last[0], last[1]);
    ccase cc = cases[7];
    cc.turns = turns[k];
    cr_expect(hypot(prev[0] - last[0], prev[1] - last[1]) <= speed_bound(&cc, L) / (S - 1) + 1e-3,
              "turns %g: a jump before the end", turns[k]);
    /* the angle around the source grows by 2π·turns·(1 - t) (clockwise on screen: y points
     * down) from the first sample 1 px out (closer in, float rounding hides the angle) to the
     * end, and the radius never shrinks */
    double total = 0, prev_ang = 0, prev_r = 0;
    int first = -1;
    for (int s = 1; s < S; s++) {
      const float *p = sample(&c, 0, s);
      double ang = atan2(p[1] - ay_, p[0] - ax_), r = hypot(p[0] - ax_, p[1] - ay_);
      cr_expect(r >= prev_r - 1e-3, "turns %g: radius shrinks at %d", turns[k], s);
      prev_r = r;
      if (first < 0 && r < 1) continue;
      if (first < 0) first = s;
      double d = ang - prev_ang;
      d -= 2 * PI * floor((d + PI) / (2 * PI));
      if (s > first) total += d;
      prev_ang = ang;
    }
    double want = 2 * PI * turns[k] * (1 - (double)first / (S - 1));
    cr_expect(fabs(total - want) < 1e-4, "turns %g: swept %.6f rad, expected %.6f", turns[k], total,
              want);
    curves_free(&c);
  }
}

Test(curve, wave_fourier_and_elastic_shapes) {
  /* wave: amplitude·sin(2π f arc / 100) beyond the half-cycle ramps, never more than amplitude */
  one_edge(100, 500, 900, 500);
  curves c = run_curve(1, "type='wave', samples=801, amplitude=12, frequency=1", 0);
  for (int s = 0; s <= 800; s++) {
    double off = left_of(sample(&c, 0, s));
    if (s >= 50 && s <= 750)
      cr_expect(fabs(off - 12 * sin(2 * PI * s / 100.0)) < 1e-3, "wave at %d px: %.5f", s, off);
    cr_expect(fabs(off) <= 12 + 1e-3);
  }
  curves_free(&c);
  /* fourier: one harmonic is (4/π)·A·sin(2πt); many approach the square wave ±A; a fractional
   * count is the weighted mix of its neighbours */
  c = run_curve(1, "type='fourier_series', samples=101, amplitude=10, harmonics=1", 0);
  for (int s = 0; s <= 100; s++)
    cr_expect(fabs(left_of(sample(&c, 0, s)) - 40 / PI * sin(2 * PI * s / 100.0)) < 1e-3);
  curves_free(&c);
  c = run_curve(1, "type='fourier_series', samples=101, amplitude=10, harmonics=60", 0);
  /* (4/π)·Σ(-1)^m/(2m+1) converges like Leibniz's series: within (4/π)/121 of 1 */
  cr_expect(
      fabs(left_of(sample(&c, 0, 25)) - 10) < 0.11 && fabs(left_of(sample(&c, 0, 75)) + 10) < 0.11,
      "square wave levels %.4f %.4f", left_of(sample(&c, 0, 25)), left_of(sample(&c, 0, 75)));
  curves_free(&c);
  curves h2 = run_curve(1, "type='fourier_series', samples=101, harmonics=2", 0);
  curves h3 = run_curve(1, "type='fourier_series', samples=101, harmonics=3", 0);
  curves h25 = run_curve(1, "type='fourier_series', samples=101, harmonics=2.25", 0);
  for (int s = 0; s <= 100; s++) {
    double want = 0.75 * left_of(sample(&h2, 0, s)) + 0.25 * left_of(sample(&h3, 0, s));
    cr_expect(fabs(left_of(sample(&h25, 0, s)) - want) < 1e-3, "harmonics 2.25 at %d", s);
  }
  curves_free(&h2);
  curves_free(&h3);
  curves_free(&h25);
  /* elastic: 1 + 3·stiffness waves (2(1+3s) - 1 sign changes inside), each swing smaller */
  const double stiff[3] = {0, 0.5, 1};
  for (int k = 0; k < 3; k++) {
    char args[128];
    snprintf(args, sizeof args, "type='elastic', samples=1000, stiffness=%g", stiff[k]);
    c = run_curve(1, args, 0);
    int changes = 0, lobes = 0;
    double peak = 0, last_peak = 1e300, prev = 0;
    for (int s = 1; s < 999; s++) {
      double off = left_of(sample(&c, 0, s));
      if (fabs(off) < 1e-3) continue; /* a sign only where rounding cannot flip it */
      if (prev != 0 && ((off > 0) != (prev > 0))) {
        changes++;
        cr_expect(peak < last_peak, "stiffness %g: lobe %d (%.3f) not smaller", stiff[k], lobes,
                  peak);
        last_peak = peak;
        peak = 0;
        lobes++;
      }
      peak = fmax(peak, fabs(off));
      prev = off;
    }
    cr_expect_eq(changes, (int)lround(2 * (1 + 3 * stiff[k]) - 1), "stiffness %g: %d changes",
                 stiff[k], changes);
    curves_free(&c);
  }
}

/* ---- determinism, animation, electric -------------------------------------------------------- */

static void add_random_edges(int np, int ne, unsigned seed) {
  geo_reset();
  unsigned s = seed;
  for (int i = 0; i < np; i++) {
    s = s * 1103515245u + 12345u;
    double x = (double)(s >> 8 & 0xffff) / 65536.0 * 3800 + 20;
    s = s * 1103515245u + 12345u;
    double y = (double)(s >> 8 & 0xffff) / 65536.0 * 2100 + 20;
    add_point(x, y);
  }
  for (int e = 0; e < ne; e++) {
    s = s * 1103515245u + 12345u;
    int i = (int)((s >> 8) % (unsigned)np);
    int j = (i + 1 + (int)((s >> 20) % 7u)) % np;
    add_edge(i < j ? i : j, i < j ? j : i);
  }
}

Test(curve, identical_over_runs_and_thread_counts) {
  add_random_edges(400, 900, 7);
  for (int k = 0; k < N_CASES; k++) {
    const char *args = case_args(&cases[k], 32);
    curves a = run_curve(1, args, 5), b = run_curve(1, args, 5), c = run_curve(2, args, 5);
    cr_assert_eq(a.count, 900);
    cr_expect(same_curves(&a, &b), "%s: two runs differ", cases[k].type);
    cr_expect(same_curves(&a, &c), "%s: 1 and 2 threads differ", cases[k].type);
    curves_free(&a);
    curves_free(&b);
    curves_free(&c);
  }
}

/* Every family's parameter as a function of time: frame 1 equals a pipeline with the value
 * written out, frame 0 differs. */
Test(curve, animated_parameters_change_the_curves) {
  static const struct {
    const char *type, *param;
    double v0, v1;
  } an[] = {
      // clang-format off
      {"quadratic_bezier", "overshoot", 0.125, 0.5},   {"cubic_bezier", "overshoot", 0.125, 0.5},
      {"cubic_bezier", "control_offset", 0.25, 0.5},   {"catmull_rom", "tension", 0.5, -0.5},
      {"logarithmic_spiral", "turns", 0.5, 1.25},      {"elastic", "stiffness", 0.25, 0.75},
      {"fourier_series", "harmonics", 2, 3.5},         {"fourier_series", "amplitude", 12, -20},
      {"wave", "frequency", 1, 2.5},                   {"wave", "amplitude", 12, 30},
      {"field_lines", "strength", 0.5, -0.75},         {"gravitational", "gravity", 0.25, 0.75},
      {"electric", "amplitude", 12, 24},               {"electric", "seed", 1, 2},
      {"electric", "speed", 0.5, 2},                   {"field_lines", "strength", 0.5, 0.5},
  };  // clang-format on
  add_random_edges(50, 40, 3);
  for (size_t k = 0; k < sizeof an / sizeof an[0]; k++) {
    char args[256], fixed[256];
    snprintf(args, sizeof args, "type='%s', %s=function(f) return f == 0 and %.17g or %.17g end",
             an[k].type, an[k].param, an[k].v0, an[k].v1);
    snprintf(fixed, sizeof fixed, "type='%s', %s=%.17g", an[k].type, an[k].param, an[k].v1);
    ysg_context *ctx = make_ctx(1);
    int f01[2] = {0, 1};
    curves c0 = run_frames(ctx, args, f01, 1), c1 = run_frames(ctx, args, f01, 2);
    curves ref = run_frames(ctx, fixed, &f01[1], 1);
    cr_expect(same_curves(&c1, &ref), "%s %s: frame 1 is not the fixed value's curve", an[k].type,
              an[k].param);
    if (an[k].v0 != an[k].v1)
      cr_expect(!same_curves(&c0, &c1), "%s %s: frames 0 and 1 are the same", an[k].type,
                an[k].param);
    else /* the control: a constant function gives the same curves on both frames */
      cr_expect(same_curves(&c0, &c1), "%s: a constant changes the curves", an[k].type);
    curves_free(&c0);
    curves_free(&c1);
    curves_free(&ref);
    ysg_context_destroy(ctx);
  }
}

Test(curve, electric_differs_per_frame_and_seed_and_is_reproducible) {
  add_random_edges(60, 50, 11);
  G.ids = 1;
  const char *base = "type='electric', amplitude=20, seed=5";
  curves f3 = run_curve(1, base, 3), f3b = run_curve(2, base, 3), f4 = run_curve(1, base, 4);
  curves s6 = run_curve(1, "type='electric', amplitude=20, seed=6", 3);
  cr_expect(same_curves(&f3, &f3b), "the same seed and frame differ");
  cr_expect(!same_curves(&f3, &f4), "frames 3 and 4 are the same");
  cr_expect(!same_curves(&f3, &s6), "seeds 5 and 6 are the same");
  ysg_context *ctx = make_ctx(1); /* frame 3 after other frames is frame 3 */
  int order[4] = {7, 0, 4, 3};
  curves late = run_frames(ctx, base, order, 4);
  cr_expect(same_curves(&f3, &late), "frame 3 depends on the frames run before it");
  ysg_context_destroy(ctx);
  curves frozen0 = run_curve(1, "type='electric', speed=0", 0);
  curves frozen9 = run_curve(1, "type='electric', speed=0", 9);
  cr_expect(same_curves(&frozen0, &frozen9), "speed 0 still moves");
  /* the displacement stays within amplitude·sin(πt), and is not a straight line */
  double most = 0;
  for (int e = 0; e < f3.count; e++)
    for (int s = 0; s < f3.S; s++) {
      int i = f3.ij[2 * e], j = f3.ij[2 * e + 1];
      ax_ = G.xy[2 * i], ay_ = G.xy[2 * i + 1], bx_ = G.xy[2 * j], by_ = G.xy[2 * j + 1];
      double off = fabs(left_of(sample(&f3, e, s))), t = (double)s / (f3.S - 1);
      cr_expect(off <= 20 * sin(PI * t) + 1e-3, "edge %d sample %d: %.4f", e, s, off);
      most = fmax(most, off);
    }
  cr_expect(most > 5, "the noise barely moves (%.3f px)", most);
  curves_free(&f3);
  curves_free(&f3b);
  curves_free(&f4);
  curves_free(&s6);
  curves_free(&late);
  curves_free(&frozen0);
  curves_free(&frozen9);
  /* with ids, the noise follows the points' ids, not their order: two congruent edges with
   * different ids differ, and the same ids at other indices give the same shape */
  geo_reset();
  G.ids = 1;
  add_segment(100, 100, 300, 150);
  add_segment(100, 300, 300, 350);
  curves two = run_curve(1, "type='electric', samples=16", 2);
  double diff = 0;
  for (int s = 0; s < 16; s++)
    diff = fmax(diff, fabs((sample(&two, 0, s)[1] + 200) - sample(&two, 1, s)[1]));
  cr_expect(diff > 0.1, "two edges share one noise pattern");
  geo_reset();
  G.ids = 1;
  add_point(0, 0);
  add_point(100, 100);
  add_point(300, 150);
  G.id[1] = 1000, G.id[2] = 1001; /* the ids of the first edge above */
  add_edge(1, 2);
  curves moved = run_curve(1, "type='electric', samples=16", 2);
  for (int s = 0; s < 16; s++)
    cr_expect(!memcmp(sample(&moved, 0, s), sample(&two, 0, s), 8), "sample %d", s);
  curves_free(&two);
  curves_free(&moved);
}

/* ---- edges beyond the points, errors --------------------------------------------------------- */

Test(curve, edges_beyond_the_points_are_skipped_and_reported_once) {
  geo_reset();
  for (int i = 0; i < 6; i++) add_point(10 + 30 * i, 20 + 7 * i);
  G.np_later = 3; /* from frame 1 on, only points 0..2 exist */
  add_edge(0, 1);
  add_edge(1, 5);
  add_edge(-1, 2);
  add_edge(2, 3);
  add_edge(0, 2);
  ysg_context *ctx = make_ctx(1);
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx, curve_src("type='straight', samples=4"), &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "c", &v), YSG_OK);
  cr_expect_eq(v->count, 4); /* only (-1, 2) names no point */
  cr_expect_eq(v->capacity, MAXE);
  cr_expect_eq(ysgt_n_warnings, 1);
  cr_expect_str_eq(ysgt_warning,
                   "test.lua:3: node 'c' (curve): frame 0: 1 of 5 edges name a point outside "
                   "0..5 (the points of this frame); such edges get no curve, and this is "
                   "reported once");
  for (int f = 1; f < 4; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(p, "c", &v), YSG_OK);
    cr_expect_eq(v->count, 2, "frame %d: %d curves", f, v->count);
    int32_t want[4] = {0, 1, 0, 2};
    for (int k = 0; k < 4; k++) cr_expect_eq(v->ij[k], want[k], "frame %d ij[%d]", f, k);
    cr_expect(!memcmp(v->xy + 2 * 4, &G.xy[2 * 0], 8) && !memcmp(v->xy + 2 * 7, &G.xy[2 * 2], 8),
              "frame %d: the second curve is not (0, 2)", f);
  }
  cr_expect_eq(ysgt_n_warnings, 1, "%d warnings", ysgt_n_warnings);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static void expect_load_fail(const char *args, const char *msg) {
  ysg_context *ctx = make_ctx(1);
  ysg_status s = ysgt_load(ctx, curve_src(args), NULL);
  cr_expect_eq(s, YSG_ERR_PIPELINE, "%s: status %s", args, ysg_status_name(s));
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  ysg_context_destroy(ctx);
}

Test(curve, bad_parameters_are_reported) {
  geo_reset();
  add_mixed_edges();
  expect_load_fail("type='zigzag'",
                   "test.lua:3: node 'c' (curve): parameter 'type': expected one of "
                   "straight|quadratic_bezier|cubic_bezier|catmull_rom|logarithmic_spiral|"
                   "elastic|fourier_series|field_lines|gravitational|wave|electric, got 'zigzag'");
  expect_load_fail("samples=1",
                   "test.lua:3: node 'c' (curve): parameter 'samples': expected an integer in "
                   "2..1024, got 1");
  expect_load_fail("samples=function() return 8 end",
                   "test.lua:3: node 'c' (curve): parameter 'samples': cannot be a function of "
                   "time (it is fixed when the pipeline loads)");
  expect_load_fail("strength=2",
                   "test.lua:3: node 'c' (curve): parameter 'strength': expected a number in "
                   "-1.5..1.5, got 2");
  expect_load_fail("harmonics=-1",
                   "test.lua:3: node 'c' (curve): parameter 'harmonics': expected a number in "
                   "0..64, got -1");
  expect_load_fail("seed=0.5",
                   "test.lua:3: node 'c' (curve): parameter 'seed': expected an integer, got 0.5");
  /* an animated value out of range fails the frame, naming it */
  ysg_context *ctx = make_ctx(1);
  ysg_pipeline *p = NULL;
  cr_assert_eq(
      ysgt_load(ctx, curve_src("type='gravitational', gravity=function(f) return f end"), &p),
      YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 2), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 3), YSG_ERR_PIPELINE);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'c' (curve): parameter 'gravity' at frame 3: expected a "
                   "number in -2..2, got 3");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* capacity × samples beyond int32 is refused at load, before any memory is planned */
Test(curve, too_many_samples_in_all_is_an_error) {
  geo_reset();
  G.edge_cap = 3000000;
  ysg_context *ctx = make_ctx(1);
  ysg_status s = ysgt_load(ctx, curve_src("samples=1000"), NULL);
  cr_expect_eq(s, YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'c' (curve): parameter 'samples': 3000000 edges (the edges' "
                   "capacity) × 1000 samples exceed 2147483647 samples in all; lower samples or "
                   "the edge capacity");
  ysg_context_destroy(ctx);
}

/* ---- CUDA ------------------------------------------------------------------------------------ */
static char reason[512];

Test(curve, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("curve CUDA comparison skipped: %s", reason);
    cr_skip_test("curve CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  char err[1024] = "";
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)
  add_random_edges(700, 2000, 5);
  G.ids = 1;
  G.ij[2 * 17 + 1] = 700; /* two edges beyond the points: skipped on both paths */
  G.ij[2 * 901] = -3;
  const int S = 48, frame = 6;
  int32_t np = G.np, ne = G.ne;
  uint32_t attrs = YSG_ATTR_ID;
  size_t cxy_bytes = sizeof(float) * 2 * (size_t)MAXE * S;
  void *d[10]; /* points xy, ids, attrs, count; edges ij, count; params; curves xy, ij; status */
  const void *host[10] = {G.xy, G.id, &attrs, &np, G.ij, &ne, NULL, NULL, NULL, NULL};
  size_t bytes[10] = {sizeof G.xy,
                      sizeof G.id,
                      sizeof attrs,
                      sizeof np,
                      sizeof G.ij,
                      sizeof ne,
                      sizeof(ysg_curve_params),
                      cxy_bytes,
                      sizeof(int32_t) * 2 * MAXE,
                      8};
  for (int k = 0; k < 10; k++) {
    CK(ysg__cuda_malloc(&d[k], bytes[k], err, sizeof err));
    if (host[k]) CK(ysg__cuda_upload(d[k], host[k], bytes[k], NULL, err, sizeof err));
  }
  ysg_curve_dev_inputs in = {d[0], d[1], d[2], d[3], MAXP, d[4], d[5], MAXE};
  float *gxy = malloc(cxy_bytes);
  int32_t *gij = malloc(sizeof(int32_t) * 2 * MAXE);
  cr_assert(gxy && gij);
  for (int k = 0; k < N_CASES; k++) {
    const ccase *cc = &cases[k];
    curves ref = run_curve(2, case_args(cc, S), frame);
    ysg_curve_params prm;
    memset(&prm, 0, sizeof prm);
    prm.type = ysg__enum_index(YSG_CURVE_CHOICES, cc->type);
    prm.samples = S;
    prm.seed = (uint32_t)cc->seed;
    prm.overshoot = cc->ov, prm.control_offset = cc->co, prm.tension = cc->tau;
    prm.turns = cc->turns, prm.stiffness = cc->stiff, prm.harmonics = cc->harm;
    prm.amplitude = cc->amp, prm.frequency = cc->freq, prm.strength = cc->strength;
    prm.gravity = cc->grav, prm.speed = cc->speed, prm.time = frame / 25.0;
    ysg_curve_prepare(&prm);
    CK(ysg__cuda_upload(d[6], &prm, sizeof prm, NULL, err, sizeof err));
    CK(ysg__cuda_curve(&in, d[6], S, d[7], d[8], d[9], NULL, err, sizeof err));
    int32_t status[2] = {-1, -1};
    CK(ysg__cuda_download(status, d[9], sizeof status, NULL, err, sizeof err));
    CK(ysg__cuda_download(gxy, d[7], cxy_bytes, NULL, err, sizeof err));
    CK(ysg__cuda_download(gij, d[8], sizeof(int32_t) * 2 * MAXE, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    cr_expect(status[0] == ref.count && status[1] == 2, "%s: %d curves, %d skipped; cpu %d",
              cc->type, status[0], status[1], ref.count);
    cr_expect(!memcmp(gij, ref.ij, sizeof(int32_t) * 2 * (size_t)ref.count), "%s: ij differ",
              cc->type);
    double worst = 0;
    int bad = 0;
    for (size_t q = 0; q < (size_t)ref.count * S * 2; q++) {
      double e = fabs((double)gxy[q] - ref.xy[q]);
      worst = fmax(worst, e);
      if (!(e <= 1e-4) && bad++ < 5)
        cr_log_error("%s: curve %zu sample %zu %c: cpu %.7f gpu %.7f", cc->type, q / (2 * S),
                     q / 2 % S, q % 2 ? 'y' : 'x', ref.xy[q], gxy[q]);
    }
    cr_expect_eq(bad, 0, "%s: %d coordinates beyond 1e-4 px (worst %.3g)", cc->type, bad, worst);
    cr_log_info("%s: CPU vs CUDA worst %.3g px", cc->type, worst);
    curves_free(&ref);
  }
  free(gxy);
  free(gij);
  for (int k = 0; k < 10; k++) ysg__cuda_free(d[k]);
#undef CK
#endif
}
