/* curve_math.h — the `curve` node's per-sample math, shared by nodes/curve.c and cuda/curve.cu
 * (ARCHITECTURE §4): the curve families, the per-frame block ysg_curve_params (prepared on the
 * host, read from device memory by the kernel), the per-edge frame and the electric noise.
 * Geometry is computed in double and rounded to float once, so CPU and CUDA differ only by double
 * rounding; samples 0 and S-1 are the edge's endpoints copied bit for bit. */
#ifndef YSG_CURVE_MATH_H
#define YSG_CURVE_MATH_H

#include <math.h>
#include <stdint.h>

#include "hd.h"

/* the order of the `type` choices */
enum {
  YSG_CURVE_STRAIGHT,
  YSG_CURVE_QUADRATIC,
  YSG_CURVE_CUBIC,
  YSG_CURVE_CATMULL_ROM,
  YSG_CURVE_SPIRAL,
  YSG_CURVE_ELASTIC,
  YSG_CURVE_FOURIER,
  YSG_CURVE_FIELD_LINES,
  YSG_CURVE_GRAVITATIONAL,
  YSG_CURVE_WAVE,
  YSG_CURVE_ELECTRIC,
  YSG_CURVE_TYPE_COUNT
};
#define YSG_CURVE_CHOICES                                                                  \
  "straight|quadratic_bezier|cubic_bezier|catmull_rom|logarithmic_spiral|elastic|fourier_" \
  "series|field_lines|gravitational|wave|electric"

#define YSG_CURVE_PI 3.14159265358979323846
/* the golden spiral's growth per radian, ln(phi) / (pi/2): the radius grows by phi every
 * quarter turn */
#define YSG_CURVE_SPIRAL_B 0.30634896253003314
#define YSG_CURVE_NOISE_CELL 48.0 /* px of edge per cell of the electric noise's first octave */
#define YSG_CURVE_NOISE_OCTAVES 4
#define YSG_CURVE_MAX_HARMONICS 64

/* One frame's settings: the raw parameters (set by the node) and what ysg_curve_prepare derives
 * from them. Plain data, so the host can copy it to the device as it is. */
typedef struct ysg_curve_params {
  int32_t type, samples; /* YSG_CURVE_*, S >= 2 */
  uint32_t seed;
  int32_t pad_;
  double overshoot, control_offset, tension, turns, stiffness, harmonics, amplitude, frequency,
      strength, gravity, speed;
  double time; /* seconds */
  /* derived by ysg_curve_prepare */
  double spiral_g;     /* ln of the radius growth over the whole spiral, B·2π·|turns| */
  double spiral_em1;   /* expm1(spiral_g) */
  double spiral_sweep; /* signed angle swept around the source, 2π·turns */
  double field_s;      /* sin(|α|/2), α = strength·π/2 the launch angle at the source */
  double field_sign;   /* ±1: the side the field line bulges to */
  double grav_k;       /* span / (2 a) of the catenary, 4·|gravity| */
  double grav_sinh, grav_cosh;
  double grav_sy; /* image y per unit of height: -1 (sags down), +1 (gravity < 0: arches up) */
  double el_omega, el_zeta, el_amp; /* elastic: angular frequency, damping, amplitude / L */
  double noise_v;                   /* electric: noise time coordinate, time·speed */
} ysg_curve_params;

/* One edge: its endpoints (exact), frame (unit direction u, left normal n as seen on screen,
 * length) and what the gravitational catenary needs. */
typedef struct ysg_curve_edge {
  float a[2], b[2];
  double ax, ay, dx, dy, len, ux, uy, nx, ny;
  uint32_t key;                           /* electric: seed ⊕ the endpoints' ids */
  uint32_t okey[YSG_CURVE_NOISE_OCTAVES]; /* electric: one noise field per octave */
  int32_t catenary; /* 1: the gravitational fields below hold a catenary, 0: a straight line */
  double g_a, g_sig_a, g_dsig, g_sx; /* catenary parameter a, σ at the source, σ span, ±1 */
} ysg_curve_edge;

/* ---- small helpers --------------------------------------------------------------------------- */

YSG_HD uint32_t ysg_curve_hash(uint32_t x) { /* "lowbias32" (C. Wellons): a full avalanche */
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* The electric noise key of an edge: seed and both endpoints (ids when the points have them,
 * so a track keeps its flicker when the point order changes). */
YSG_HD uint32_t ysg_curve_key(uint32_t seed, int32_t id_a, int32_t id_b) {
  uint32_t h = ysg_curve_hash(seed ^ 0x9e3779b9u);
  h = ysg_curve_hash(h ^ (uint32_t)id_a);
  return ysg_curve_hash(h + 0x85ebca6bu * (uint32_t)id_b);
}

YSG_HD double ysg_curve_smoothstep(double x) {
  x = x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
  return x * x * (3.0 - 2.0 * x);
}

/* asinh(x) - asinh(y) where dxy = x - y is known exactly: log1p of the ratio of e^asinh, with
 * the differences rewritten so nothing cancels (the catenary's x for any sag, however small). */
YSG_HD double ysg_curve_asinh_diff(double x, double y, double dxy) {
  double sgn = 1.0;
  if (x + y < 0.0) { /* odd symmetry: keep x + y >= 0 so (x + y) / (rx + ry) is in [0, 1] */
    x = -x;
    y = -y;
    dxy = -dxy;
    sgn = -1.0;
  }
  double rx = sqrt(1.0 + x * x), ry = sqrt(1.0 + y * y);
  double ey = y >= 0.0 ? y + ry : 1.0 / (ry - y); /* e^asinh(y) */
  double num = dxy * (1.0 + (x + y) / (rx + ry)); /* e^asinh(x) - e^asinh(y) */
  return sgn * log1p(num / ey);
}

/* 2-D gradient noise (Perlin's, the four diagonal gradients (±1, ±1), quintic fade): in [-1, 1],
 * 0 on the lattice. Lattice points are hashed with key, so each key is an independent field. The
 * gradient's signs come from two hash bits by multiplication, not a switch: no branch to
 * mispredict (4 per call), and exact, so CPU and GPU agree. */
YSG_HD double ysg_curve_grad(uint32_t h, double x, double y) {
  return (1.0 - 2.0 * (double)(h & 1u)) * x + (1.0 - 2.0 * (double)((h >> 1) & 1u)) * y;
}

YSG_HD double ysg_curve_noise(double x, double y, uint32_t key) {
  double fx = floor(x), fy = floor(y);
  uint32_t ix = (uint32_t)(int64_t)fx, iy = (uint32_t)(int64_t)fy; /* wraps after 2^32 cells */
  double tx = x - fx, ty = y - fy;
  uint32_t hx0 = ysg_curve_hash(key + ix * 0x9e3779b1u),
           hx1 = ysg_curve_hash(key + (ix + 1u) * 0x9e3779b1u);
  double g00 = ysg_curve_grad(ysg_curve_hash(hx0 ^ iy * 0x85ebca77u), tx, ty);
  double g10 = ysg_curve_grad(ysg_curve_hash(hx1 ^ iy * 0x85ebca77u), tx - 1.0, ty);
  double g01 = ysg_curve_grad(ysg_curve_hash(hx0 ^ (iy + 1u) * 0x85ebca77u), tx, ty - 1.0);
  double g11 = ysg_curve_grad(ysg_curve_hash(hx1 ^ (iy + 1u) * 0x85ebca77u), tx - 1.0, ty - 1.0);
  double sx = tx * tx * tx * (tx * (tx * 6.0 - 15.0) + 10.0);
  double sy = ty * ty * ty * (ty * (ty * 6.0 - 15.0) + 10.0);
  double a = g00 + sx * (g10 - g00), b = g01 + sx * (g11 - g01);
  return a + sy * (b - a); /* peaks at ±1, at the middle of a cell whose gradients all agree */
}

/* The octaves' keys of an edge's key. */
YSG_HD void ysg_curve_octave_keys(uint32_t key, uint32_t okey[YSG_CURVE_NOISE_OCTAVES]) {
  for (int o = 0; o < YSG_CURVE_NOISE_OCTAVES; o++)
    okey[o] = ysg_curve_hash(key + 0x68e31da4u * (uint32_t)o);
}

/* Four octaves (each twice the frequency, along the edge and in time, at half the weight),
 * normalised by the weights' sum: |result| <= 1. */
YSG_HD double ysg_curve_fbm(double x, double y, const uint32_t okey[YSG_CURVE_NOISE_OCTAVES]) {
  double sum = 0.0, w = 1.0, f = 1.0;
  for (int o = 0; o < YSG_CURVE_NOISE_OCTAVES; o++) {
    sum += w * ysg_curve_noise(x * f, y * f, okey[o]);
    w *= 0.5;
    f *= 2.0;
  }
  return sum / 1.875;
}

/* ---- per frame, per edge, per sample --------------------------------------------------------- */

/* Derive the per-frame constants from the raw parameters already stored in p. */
YSG_HD void ysg_curve_prepare(ysg_curve_params *p) {
  double at = fabs(p->turns);
  p->spiral_g = YSG_CURVE_SPIRAL_B * 2.0 * YSG_CURVE_PI * at;
  p->spiral_em1 = expm1(p->spiral_g);
  p->spiral_sweep = 2.0 * YSG_CURVE_PI * p->turns;
  double alpha = fabs(p->strength) * 0.5 * YSG_CURVE_PI;
  p->field_s = sin(0.5 * alpha);
  p->field_sign = p->strength < 0.0 ? -1.0 : 1.0;
  p->grav_k = 4.0 * fabs(p->gravity);
  p->grav_sinh = sinh(p->grav_k);
  p->grav_cosh = cosh(p->grav_k);
  p->grav_sy = p->gravity < 0.0 ? 1.0 : -1.0;
  double s = p->stiffness;
  p->el_omega = 2.0 * YSG_CURVE_PI * (1.0 + 3.0 * s);
  p->el_zeta = 2.0 + 4.0 * s;
  p->el_amp = 0.25 * (1.0 - 0.5 * s);
  p->noise_v = p->time * p->speed;
}

YSG_HD void ysg_curve_edge_setup(const ysg_curve_params *p, float ax, float ay, float bx, float by,
                                 uint32_t key, ysg_curve_edge *e) {
  e->a[0] = ax;
  e->a[1] = ay;
  e->b[0] = bx;
  e->b[1] = by;
  e->ax = ax;
  e->ay = ay;
  e->dx = (double)bx - (double)ax;
  e->dy = (double)by - (double)ay;
  e->len = sqrt(e->dx * e->dx + e->dy * e->dy);
  double inv = e->len > 0.0 ? 1.0 / e->len : 0.0;
  e->ux = e->dx * inv;
  e->uy = e->dy * inv;
  e->nx = e->uy; /* left of the direction a -> b on screen (y points down) */
  e->ny = -e->ux;
  e->key = key;
  if (p->type == YSG_CURVE_ELECTRIC)
    ysg_curve_octave_keys(key, e->okey);
  else
    for (int o = 0; o < YSG_CURVE_NOISE_OCTAVES; o++) e->okey[o] = 0u;
  e->catenary = 0;
  e->g_a = e->g_sig_a = e->g_dsig = 0.0;
  e->g_sx = e->dx < 0.0 ? -1.0 : 1.0;
  if (p->type == YSG_CURVE_GRAVITATIONAL) {
    /* A chain through both ends, y_up = a·cosh((x - x0)/a) + c with a = span / (2k); it is
     * sampled uniformly in σ = sinh((x - x0)/a), i.e. uniformly in arc length. With the source at
     * the origin, the target at (h, w) and q = w / (2a·sinh k): σ runs from
     * q·cosh k - √(1+q²)·sinh k over 2·√(1+q²)·sinh k. */
    double h = fabs(e->dx), k = p->grav_k;
    if (k > 1e-12 && h > 0.0 && e->len > 0.0 && isfinite(e->len)) {
      double w = p->grav_sy * e->dy; /* height gained, in the direction opposite to gravity */
      double q = w * k / (h * p->grav_sinh);
      double rq = sqrt(1.0 + q * q);
      e->catenary = 1;
      e->g_a = h / (2.0 * k);
      e->g_sig_a = q * p->grav_cosh - rq * p->grav_sinh;
      e->g_dsig = 2.0 * rq * p->grav_sinh;
    }
  }
}

/* Sample s (0 .. S-1) of the edge's curve into out (x, y px). */
YSG_HD void ysg_curve_sample(const ysg_curve_params *p, const ysg_curve_edge *e, int s,
                             float out[2]) {
  int S = p->samples;
  if (s <= 0 || e->len == 0.0) { /* a zero-length edge is a point: every sample on it */
    out[0] = e->a[0];
    out[1] = e->a[1];
    return;
  }
  if (s >= S - 1) {
    out[0] = e->b[0];
    out[1] = e->b[1];
    return;
  }
  double t = (double)s / (double)(S - 1), L = e->len;
  double along = t, off = 0.0; /* most families: a + along·d + off·n */
  /* non-finite endpoints: the chord's arithmetic carries the NaN/inf to the samples */
  switch (isfinite(L) ? p->type : YSG_CURVE_STRAIGHT) {
    case YSG_CURVE_QUADRATIC: /* control point over the midpoint, overshoot·L to the left */
      off = 2.0 * t * (1.0 - t) * p->overshoot * L;
      break;
    case YSG_CURVE_CUBIC: { /* controls at c and 1-c along the edge, both overshoot·L left */
      double c = p->control_offset, mt = 1.0 - t;
      along = 3.0 * mt * mt * t * c + 3.0 * mt * t * t * (1.0 - c) + t * t * t;
      off = 3.0 * t * mt * p->overshoot * L;
      break;
    }
    case YSG_CURVE_CATMULL_ROM: {
      /* the cardinal spline segment a -> b with phantom neighbours p0 = a - d - L·n and
       * p3 = b + d - L·n: tangents (1-τ)/2·(b - p0) and (1-τ)/2·(p3 - a) */
      double tau = p->tension, h01 = t * t * (3.0 - 2.0 * t);
      along = tau * h01 + (1.0 - tau) * t;
      off = 0.5 * (1.0 - tau) * L * t * (1.0 - t);
      break;
    }
    case YSG_CURVE_SPIRAL: {
      /* around the source: angle from the target's direction psi = sweep·(1-t), radius growing
       * as expm1(g·t)/expm1(g) — a logarithmic spiral shifted to start at the source */
      double r = p->spiral_g > 0.0 ? L * expm1(p->spiral_g * t) / p->spiral_em1 : L * t;
      double psi = p->spiral_sweep * (1.0 - t), c = cos(psi), sn = sin(psi);
      out[0] = (float)(e->ax + r * (c * e->ux + sn * e->nx));
      out[1] = (float)(e->ay + r * (c * e->uy + sn * e->ny));
      return;
    }
    case YSG_CURVE_ELASTIC: /* a damped sine, pinned at both ends by the (1-t) envelope */
      off = L * p->el_amp * exp(-p->el_zeta * t) * sin(p->el_omega * t) * (1.0 - t);
      break;
    case YSG_CURVE_FOURIER: {
      /* partial sums of a square wave, one period across the edge: harmonics 1, 3, 5, ...;
       * the last one weighted by the fractional part of `harmonics` so animating it is smooth */
      double hm = p->harmonics, sum = 0.0;
      for (int m = 0; m < YSG_CURVE_MAX_HARMONICS && (double)m < hm; m++) {
        double k = 2.0 * m + 1.0, wgt = hm - (double)m < 1.0 ? hm - (double)m : 1.0;
        sum += wgt * sin(2.0 * YSG_CURVE_PI * k * t) / k;
      }
      off = p->amplitude * (4.0 / YSG_CURVE_PI) * sum;
      break;
    }
    case YSG_CURVE_FIELD_LINES: {
      /* The field line of +q at a and -q at b leaving a at angle α: the angles a1 at a and b1 at
       * b (between the chord and the point) satisfy cos a1 + cos b1 = 1 + cos α, i.e.
       * sin²(a1/2) + sin²(b1/2) = sin²(α/2); phi = t·π/2 walks it from a to b. */
      double phi = 0.5 * YSG_CURVE_PI * t, cp = cos(phi), sp = sin(phi), rho, a1;
      if (p->field_s > 0.0) {
        a1 = 2.0 * asin(p->field_s * cp);
        double b1 = 2.0 * asin(p->field_s * sp);
        rho = L * sin(b1) / sin(a1 + b1); /* law of sines in the triangle a, b, point */
      } else {
        a1 = 0.0; /* the limit α -> 0: the chord, same spacing */
        rho = L * sp / (sp + cp);
      }
      double c = cos(a1), sn = p->field_sign * sin(a1);
      out[0] = (float)(e->ax + rho * (c * e->ux + sn * e->nx));
      out[1] = (float)(e->ay + rho * (c * e->uy + sn * e->ny));
      return;
    }
    case YSG_CURVE_GRAVITATIONAL: {
      if (!e->catenary) break; /* vertical, or no gravity: the chord */
      double sa = e->g_sig_a, dsig = t * e->g_dsig, sg = sa + dsig;
      double X = e->g_a * ysg_curve_asinh_diff(sg, sa, dsig);
      double Y = e->g_a * dsig * (sg + sa) / (sqrt(1.0 + sg * sg) + sqrt(1.0 + sa * sa));
      out[0] = (float)(e->ax + e->g_sx * X);
      out[1] = (float)(e->ay + p->grav_sy * Y);
      return;
    }
    case YSG_CURVE_WAVE: {
      /* a sine along the edge, frequency per 100 px, faded in and out over half a wavelength */
      double f = p->frequency;
      if (!(f > 0.0)) break;
      double arc = t * L, ramp = 50.0 / f < 0.5 * L ? 50.0 / f : 0.5 * L;
      double edge = arc < L - arc ? arc : L - arc;
      off = p->amplitude * ysg_curve_smoothstep(edge / ramp) *
            sin(2.0 * YSG_CURVE_PI * f * arc / 100.0);
      break;
    }
    case YSG_CURVE_ELECTRIC: /* seeded noise along the edge and in time, pinned by sin(πt) */
      off = p->amplitude * sin(YSG_CURVE_PI * t) *
            ysg_curve_fbm(t * L / YSG_CURVE_NOISE_CELL, p->noise_v, e->okey);
      break;
    default: /* YSG_CURVE_STRAIGHT */
      break;
  }
  out[0] = (float)(e->ax + along * e->dx + off * e->nx);
  out[1] = (float)(e->ay + along * e->dy + off * e->ny);
}

#endif /* YSG_CURVE_MATH_H */
