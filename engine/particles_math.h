/* particles_math.h — the `particles` node's per-curve, per-particle and per-pixel math, YSG_HD so
 * nodes/particles.c and cuda/particles.cu run the same code: the seeded hash that gives each
 * particle its phase and speed variation, arc-length placement on a polyline, building a
 * drawable particle (a dot from nodes/dot_math.h plus a tapered trail of capsules that follows
 * the curve behind it) and its alpha at a pixel. Stateless: frame f depends only on f's time. */
#ifndef YSG_PARTICLES_MATH_H
#define YSG_PARTICLES_MATH_H

#include <math.h>
#include <stdint.h>

#include "bins.h"
#include "color.h"
#include "dot_math.h"
#include "hd.h"
#include "sdf.h"

#define YSG_PARTICLE_TRAIL_SEGS 8 /* capsules per trail */
#define YSG_PARTICLE_GLOW_INTENSITY 0.6f
#define YSG_PARTICLE_HUGE_CANVAS 1073741824 /* ysg_dot_make's canvas: we cull ourselves */

/* What a frame's particles share (the CUDA path reads a device copy written per frame). */
typedef struct ysg_particles_params {
  double base;      /* time · speed, in double so late frames keep their precision */
  float size;       /* head radius, px */
  float jitter;     /* 0..1: speed variation */
  float trail;      /* px of arc length behind the head; 0: none */
  float glow;       /* px around the head */
  float color[4];   /* premultiplied linear RGBA × opacity */
  uint32_t seed;    /* hash seed */
  int32_t count;    /* particles per curve */
  int32_t px_unit;  /* speed is px/s along the arc (else fraction of the curve per second) */
  int32_t n_curves; /* curves this frame (≤ capacity) */
} ysg_particles_params;

/* One drawable particle. dot.shape < 0: no head; n_trail < 2: no trail; both: culled. */
typedef struct ysg_particle_prim {
  ysg_dot_prim dot;                      /* the head, drawn with the dot math */
  float tx[YSG_PARTICLE_TRAIL_SEGS + 1]; /* trail points, head first, px */
  float ty[YSG_PARTICLE_TRAIL_SEGS + 1];
  float tu[YSG_PARTICLE_TRAIL_SEGS + 1]; /* fraction of the trail length at each point */
  float tr;                              /* trail radius at the head (tapers to 0) */
  float x0, y0, x1, y1;                  /* pixel box of everything drawn (inclusive) */
  int32_t n_trail;                       /* trail points in use */
  int32_t live;                          /* anything to draw */
} ysg_particle_prim;

/* lowbias32 (Chris Wellons' 32-bit integer hash) */
YSG_HD uint32_t ysg_particle_mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* hash of (curve c, particle p, seed, k): k = 0 gives the phase, k = 1 the speed variation */
YSG_HD uint32_t ysg_particle_hash(uint32_t c, uint32_t p, uint32_t seed, uint32_t k) {
  return ysg_particle_mix(ysg_particle_mix(ysg_particle_mix(seed) ^ c) ^ (2u * p + k));
}

YSG_HD double ysg_particle_phase(uint32_t c, uint32_t p, uint32_t seed) {
  return (double)(ysg_particle_hash(c, p, seed, 0) >> 8) * (1.0 / 16777216.0); /* [0, 1) */
}

YSG_HD double ysg_particle_u(uint32_t c, uint32_t p, uint32_t seed) {
  return (double)(ysg_particle_hash(c, p, seed, 1) >> 8) * (1.0 / 8388608.0) - 1.0; /* [-1, 1) */
}

/* The arc-length parameter s in [0, 1) of particle p on curve c of length L:
 * s = frac(phase + t·speed·(1 + jitter·u)), the speed term divided by L in px/s. */
YSG_HD double ysg_particle_s(const ysg_particles_params *q, int c, int p, float L) {
  double adv =
      q->base * (1.0 + (double)q->jitter * ysg_particle_u((uint32_t)c, (uint32_t)p, q->seed));
  if (q->px_unit) adv = L > 0.0f ? adv / (double)L : 0.0;
  double v = ysg_particle_phase((uint32_t)c, (uint32_t)p, q->seed) + adv;
  v -= floor(v);
  return v < 1.0 ? v : 0.0; /* floor rounding can leave exactly 1 */
}

/* Cumulative arc length of one polyline of S samples: cum[k] = length up to sample k. Returns
 * the total; NaN or infinite when a sample is not finite (the curve is then skipped). */
YSG_HD float ysg_particle_lengths(const float *xy, int S, float *cum) {
  float acc = 0.0f;
  cum[0] = 0.0f;
  for (int k = 1; k < S; k++) {
    float dx = xy[2 * k] - xy[2 * k - 2], dy = xy[2 * k + 1] - xy[2 * k - 1];
    acc += sqrtf(dx * dx + dy * dy);
    cum[k] = acc;
  }
  if (!(fabsf(xy[0]) <= 3.4e38f) || !(fabsf(xy[1]) <= 3.4e38f)) return NAN;
  return acc;
}

/* The point at arc length a (clamped to [0, L]) of a polyline with cumulative lengths cum. */
YSG_HD void ysg_particle_at(const float *xy, const float *cum, int S, float a, float *x, float *y) {
  float L = cum[S - 1];
  a = a < 0.0f ? 0.0f : (a > L ? L : a);
  int lo = 0, hi = S - 1; /* cum[lo] ≤ a ≤ cum[hi] */
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (cum[mid] <= a)
      lo = mid;
    else
      hi = mid;
  }
  float seg = cum[hi] - cum[lo];
  float f = seg > 0.0f ? (a - cum[lo]) / seg : 0.0f;
  f = f < 0.0f ? 0.0f : (f > 1.0f ? 1.0f : f);
  *x = xy[2 * lo] + f * (xy[2 * hi] - xy[2 * lo]);
  *y = xy[2 * lo + 1] + f * (xy[2 * hi + 1] - xy[2 * lo + 1]);
}

/* Build particle p of curve c (polyline xy of S samples, cumulative lengths cum) for a width ×
 * height canvas. The trail runs back along the curve from the head for `trail` px, sampled at
 * YSG_PARTICLE_TRAIL_SEGS + 1 points, and stops at the curve's start. Returns 1 when drawn. */
YSG_HD int ysg_particle_make(const ysg_particles_params *q, const float *xy, const float *cum,
                             int S, int c, int p, int width, int height, ysg_particle_prim *o,
                             ysg_bin_prim *b) {
  o->live = 0;
  o->n_trail = 0;
  o->dot.shape = -1;
  b->kind = -1;
  b->ax = b->ay = b->bx = b->by = b->r = 0.0f;
  float L = cum[S - 1];
  if (!(L >= 0.0f) || !(L <= 3.4e38f) || !(q->color[3] > 0.0f)) return 0;
  float a = (float)ysg_particle_s(q, c, p, L) * L;
  float hx, hy;
  ysg_particle_at(xy, cum, S, a, &hx, &hy);
  float pt[2] = {hx, hy};
  ysg_dot_params dp;
  dp.radius = q->size;
  dp.stroke = 0.0f;
  dp.fill_opacity = 0.0f;
  dp.opacity = 1.0f;
  dp.glow = q->glow;
  dp.glow_intensity = YSG_PARTICLE_GLOW_INTENSITY;
  for (int k = 0; k < 4; k++) dp.color[k] = q->color[k];
  dp.shape = YSG_SHAPE_CIRCLE;
  dp.data_radius = dp.data_colors = 0;
  dp.pad = 0;
  ysg_bin_prim hb;
  int head = ysg_dot_make(&dp, pt, NULL, NULL, 0, 0, YSG_PARTICLE_HUGE_CANVAS,
                          YSG_PARTICLE_HUGE_CANVAS, &o->dot, &hb);
  /* the colour is needed by the trail even without a head */
  for (int k = 0; k < 4; k++) o->dot.c[k] = q->color[k];
  float lo_x = hx, hi_x = hx, lo_y = hy, hi_y = hy, ext = head ? o->dot.ext : 0.0f;
  o->tr = q->size > 0.0f ? q->size : 0.0f;
  if (q->trail > 0.0f && o->tr > 0.0f && L > 0.0f && a > 0.0f) {
    int n = 0;
    for (int j = 0; j <= YSG_PARTICLE_TRAIL_SEGS; j++) {
      float u = (float)j / (float)YSG_PARTICLE_TRAIL_SEGS, aj = a - u * q->trail;
      if (aj < 0.0f) { /* the trail is cut at the curve's start */
        aj = 0.0f;
        u = a / q->trail;
      }
      ysg_particle_at(xy, cum, S, aj, &o->tx[n], &o->ty[n]);
      o->tu[n] = u;
      lo_x = ysg_dot_minf(lo_x, o->tx[n]);
      hi_x = ysg_dot_maxf(hi_x, o->tx[n]);
      lo_y = ysg_dot_minf(lo_y, o->ty[n]);
      hi_y = ysg_dot_maxf(hi_y, o->ty[n]);
      n++;
      if (aj <= 0.0f) break;
    }
    o->n_trail = n;
    ext = ysg_dot_maxf(ext, o->tr);
  }
  if (!head && o->n_trail < 2) return 0;
  float m = ext + YSG_AA_MARGIN;
  o->x0 = floorf(lo_x - m);
  o->x1 = floorf(hi_x + m);
  o->y0 = floorf(lo_y - m);
  o->y1 = floorf(hi_y + m);
  if (!(o->x1 >= 0.0f) || !(o->x0 <= (float)width) || !(o->y1 >= 0.0f) || !(o->y0 <= (float)height))
    return 0;
  o->live = 1;
  b->kind = YSG_BIN_RECT;
  b->ax = lo_x - ext;
  b->ay = lo_y - ext;
  b->bx = hi_x + ext;
  b->by = hi_y + ext;
  b->r = YSG_AA_MARGIN;
  return 1;
}

/* Trail capsule j (points j, j + 1) in two steps, so the CPU can take a row's square roots at
 * once (GCC vectorises sqrtf only without errno): the squared distance from (px, py) to its
 * segment, *h the closest point's parameter — ysg_sd_segment's arithmetic, before the root. */
YSG_HD float ysg_particle_capsule_d2(const ysg_particle_prim *o, int j, float px, float py,
                                     float *h) {
  float ax = o->tx[j], ay = o->ty[j];
  float dx = o->tx[j + 1] - ax, dy = o->ty[j + 1] - ay;
  float qx = px - ax, qy = py - ay;
  float len2 = dx * dx + dy * dy;
  float t = len2 > 0.0f ? ysg_clampf((qx * dx + qy * dy) / len2, 0.0f, 1.0f) : 0.0f;
  *h = t;
  float ex = qx - dx * t, ey = qy - dy * t;
  return ex * ex + ey * ey;
}

/* Coverage × fade capsule j gives a pixel at distance d from its segment, closest at h: stroke
 * coverage with the radius tapering linearly from the head's to 0 and the alpha fading as 1 − u,
 * u the fraction of the trail length behind the head. Nonzero only within
 * max(tr · (1 − u), 0.5) + 0.5 px of the segment (ysg_stroke_coverage's reach). */
YSG_HD float ysg_particle_capsule_cov(const ysg_particle_prim *o, int j, float d, float h) {
  float u = o->tu[j] + h * (o->tu[j + 1] - o->tu[j]);
  float w = 1.0f - u;
  float cov = ysg_stroke_coverage(d, 2.0f * o->tr * w) * w;
  return w > 0.0f ? cov : 0.0f;
}

/* coverage × fade of capsule j at the pixel centred at (px, py) */
YSG_HD float ysg_particle_capsule(const ysg_particle_prim *o, int j, float px, float py) {
  float h, d2 = ysg_particle_capsule_d2(o, j, px, py, &h);
  return ysg_particle_capsule_cov(o, j, sqrtf(d2), h);
}

/* Alpha (0..1) the particle gives pixel (x, y): the head's exact-area coverage (glow included),
 * then the trail under it, the max over its capsules of ysg_particle_capsule. nodes/particles.c
 * evaluates the same terms over each part's own box instead of calling this per pixel. */
YSG_HD float ysg_particle_alpha(const ysg_particle_prim *o, int x, int y) {
  float a =
      o->dot.shape >= 0 ? ysg_dot_alpha(&o->dot, (float)x - o->dot.cx, (float)y - o->dot.cy) : 0.0f;
  if (o->n_trail >= 2 && a < 1.0f) {
    float px = (float)x + 0.5f, py = (float)y + 0.5f, best = 0.0f;
    for (int j = 0; j + 1 < o->n_trail; j++) {
      float cov = ysg_particle_capsule(o, j, px, py);
      best = cov > best ? cov : best;
    }
    a += best * (1.0f - a);
  }
  return a;
}

/* particle references the bins hold by default: max(16 × tiles, 64 × particles) */
YSG_HD int64_t ysg_particles_bin_capacity(int n_tiles, int64_t cap_particles) {
  int64_t x = 16 * (int64_t)n_tiles, y = 64 * cap_particles;
  int64_t c = x > y ? x : y;
  return c > 0x7fffffff ? 0x7fffffff : c;
}

#endif /* YSG_PARTICLES_MATH_H */
