/* prim_gen.h — random shapes and their mutations for the primitives search (YSG_HD, shared with
 * cuda/prim.cu). Every draw comes from a counter-based hash of (seed, shape, climb, candidate or
 * step, draw) — lowbias32, as the particles node uses — so a candidate is the same whichever
 * thread or GPU warp makes it. Sizes and steps follow fogleman/primitive's (a 16 px step at a
 * 256 px search, scaled with the search's size), with sub-pixel coordinates; Gaussian steps are
 * an Irwin–Hall sum of four uniforms (no libm). */
#ifndef YSG_PRIM_GEN_H
#define YSG_PRIM_GEN_H

#include "prim_raster.h"

#define PRIM_TRIES 32 /* attempts at a valid random shape or mutation */

/* A shape during the search: kind, geometry in search pixels, and its error change. */
typedef struct prim_cand {
  int32_t kind;
  float g[8];
  float de;
} prim_cand;

/* What generation needs to know of the search. */
typedef struct prim_space {
  int32_t w, h; /* search image */
  float scale;  /* long side / 256 */
  uint32_t seed;
  uint32_t kinds; /* bit k: kind k may be drawn */
  int32_t n_kinds;
  int32_t list[YSG_PRIM_KIND_COUNT]; /* the enabled kinds in order */
} prim_space;

YSG_HD uint32_t prim_mix(uint32_t x) { /* lowbias32 */
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* the stream of candidate (or mutation step) i of climb c of shape n */
YSG_HD uint32_t prim_key(uint32_t seed, uint32_t n, uint32_t c, uint32_t i) {
  return prim_mix(prim_mix(prim_mix(prim_mix(seed ^ 0x5bd1e995u) ^ n) ^ c) ^ i);
}

typedef struct prim_rng {
  uint32_t key, k;
} prim_rng;

YSG_HD float prim_u01(prim_rng *r) { /* [0, 1) */
  uint32_t h = prim_mix(r->key ^ prim_mix(r->k++ * 0x9e3779b9u + 0x7f4a7c15u));
  return (float)(h >> 8) * (1.0f / 16777216.0f);
}

YSG_HD float prim_normal(prim_rng *r) { /* mean 0, variance 1 */
  float s = prim_u01(r) + prim_u01(r) + prim_u01(r) + prim_u01(r);
  return (s - 2.0f) * 1.7320508f;
}

YSG_HD int prim_below(prim_rng *r, int n) { /* [0, n) */
  int v = (int)(prim_u01(r) * (float)n);
  return v < n ? v : n - 1;
}

/* ---- validity ------------------------------------------------------------------------------ */

/* every angle of the triangle above 15° (as primitive requires: no slivers) */
YSG_HD int prim_angle_ok(float ax, float ay, float bx, float by) {
  float dot = ax * bx + ay * by;
  if (dot <= 0.0f) return 1;
  return dot * dot < 0.9330127f * (ax * ax + ay * ay) * (bx * bx + by * by); /* cos² 15° */
}

YSG_HD int prim_convex4(const float *g) {
  int pos = 0, neg = 0;
  for (int i = 0; i < 4; i++) {
    int j = (i + 1) & 3, k = (i + 2) & 3;
    float cr = (g[2 * j] - g[2 * i]) * (g[2 * k + 1] - g[2 * j + 1]) -
               (g[2 * j + 1] - g[2 * i + 1]) * (g[2 * k] - g[2 * j]);
    pos += cr > 0.5f;
    neg += cr < -0.5f;
  }
  return pos == 4 || neg == 4;
}

YSG_HD int prim_valid(int kind, const float *g, const prim_space *sp) {
  float big = 2.0f * (float)(sp->w > sp->h ? sp->w : sp->h);
  switch (kind) {
    case YSG_PRIM_TRIANGLE: {
      float ax = g[2] - g[0], ay = g[3] - g[1], bx = g[4] - g[0], by = g[5] - g[1];
      float cx = g[4] - g[2], cy = g[5] - g[3];
      return prim_angle_ok(ax, ay, bx, by) && prim_angle_ok(-ax, -ay, cx, cy) &&
             prim_angle_ok(-bx, -by, -cx, -cy) &&
             (ax * by - ay * bx > 0.5f || ax * by - ay * bx < -0.5f);
    }
    case YSG_PRIM_RECTANGLE:
      return g[2] - g[0] >= 1.0f && g[3] - g[1] >= 1.0f;
    case YSG_PRIM_ROTATED_RECTANGLE: {
      float a = g[2] > g[3] ? g[2] : g[3], b = g[2] > g[3] ? g[3] : g[2];
      return b >= 1.0f && a <= 5.0f * b && a <= big;
    }
    case YSG_PRIM_ELLIPSE:
    case YSG_PRIM_ROTATED_ELLIPSE:
      return g[2] >= 1.0f && g[3] >= 1.0f && g[2] <= big && g[3] <= big;
    case YSG_PRIM_CIRCLE:
      return g[2] >= 1.0f && g[2] <= big;
    case YSG_PRIM_LINE: {
      float dx = g[2] - g[0], dy = g[3] - g[1];
      return dx * dx + dy * dy >= 1.0f;
    }
    case YSG_PRIM_QUADRATIC: { /* ends apart, control point not far beyond them */
      float dx = g[4] - g[0], dy = g[5] - g[1];
      float ex = g[2] - 0.5f * (g[0] + g[4]), ey = g[3] - 0.5f * (g[1] + g[5]);
      float l2 = dx * dx + dy * dy;
      return l2 >= 1.0f && ex * ex + ey * ey <= 4.0f * l2;
    }
    case YSG_PRIM_POLYGON:
      return prim_convex4(g);
    default:
      return 0;
  }
}

/* ---- random shapes and mutations ----------------------------------------------------------- */

YSG_HD float prim_clamp_x(const prim_space *sp, float x) {
  float m = 16.0f * sp->scale;
  return prim_clampf(x, -m, (float)sp->w + m);
}

YSG_HD float prim_clamp_y(const prim_space *sp, float y) {
  float m = 16.0f * sp->scale;
  return prim_clampf(y, -m, (float)sp->h + m);
}

YSG_HD float prim_clamp_size(const prim_space *sp, float v) {
  return prim_clampf(v, 1.0f, (float)(sp->w > sp->h ? sp->w : sp->h));
}

YSG_HD void prim_random_geom(int kind, const prim_space *sp, prim_rng *r, float *g) {
  float S = sp->scale;
  for (int i = 0; i < 8; i++) g[i] = 0.0f;
  float x = prim_u01(r) * (float)sp->w, y = prim_u01(r) * (float)sp->h;
  g[0] = x;
  g[1] = y;
  switch (kind) {
    case YSG_PRIM_TRIANGLE:
    case YSG_PRIM_POLYGON: {
      int n = kind == YSG_PRIM_TRIANGLE ? 3 : 4;
      float span = kind == YSG_PRIM_TRIANGLE ? 31.0f : 40.0f;
      for (int i = 1; i < n; i++) {
        g[2 * i] = prim_clamp_x(sp, x + (prim_u01(r) - 0.5f) * span * S);
        g[2 * i + 1] = prim_clamp_y(sp, y + (prim_u01(r) - 0.5f) * span * S);
      }
      break;
    }
    case YSG_PRIM_RECTANGLE:
      g[2] = prim_minf(x + 1.0f + prim_u01(r) * 32.0f * S, (float)sp->w);
      g[3] = prim_minf(y + 1.0f + prim_u01(r) * 32.0f * S, (float)sp->h);
      break;
    case YSG_PRIM_ROTATED_RECTANGLE:
    case YSG_PRIM_ELLIPSE:
    case YSG_PRIM_ROTATED_ELLIPSE:
      g[2] = 1.0f + prim_u01(r) * 32.0f * S;
      g[3] = 1.0f + prim_u01(r) * 32.0f * S;
      if (kind != YSG_PRIM_ELLIPSE) g[4] = prim_u01(r) * 360.0f;
      break;
    case YSG_PRIM_CIRCLE:
      g[2] = 1.0f + prim_u01(r) * 32.0f * S;
      break;
    case YSG_PRIM_LINE:
      g[2] = prim_clamp_x(sp, x + (prim_u01(r) - 0.5f) * 40.0f * S);
      g[3] = prim_clamp_y(sp, y + (prim_u01(r) - 0.5f) * 40.0f * S);
      g[4] = 1.0f + prim_u01(r) * 3.0f * S;
      break;
    case YSG_PRIM_QUADRATIC:
      for (int i = 1; i < 3; i++) {
        g[2 * i] = prim_clamp_x(sp, x + (prim_u01(r) - 0.5f) * 40.0f * S);
        g[2 * i + 1] = prim_clamp_y(sp, y + (prim_u01(r) - 0.5f) * 40.0f * S);
      }
      g[6] = 1.0f + prim_u01(r) * 3.0f * S;
      break;
    default:
      break;
  }
}

/* one random change of one parameter group of g (in place) */
YSG_HD void prim_mutate_geom(int kind, const prim_space *sp, prim_rng *r, float *g) {
  float S = sp->scale, step = 16.0f * S;
  float maxw = 16.0f * S;
  switch (kind) {
    case YSG_PRIM_TRIANGLE:
    case YSG_PRIM_POLYGON: {
      int n = kind == YSG_PRIM_TRIANGLE ? 3 : 4;
      int i = prim_below(r, n);
      if (n == 4 && prim_u01(r) < 0.25f) { /* swap two corners (primitive's polygon move) */
        int j = (i + 1 + prim_below(r, 3)) & 3;
        float tx = g[2 * i], ty = g[2 * i + 1];
        g[2 * i] = g[2 * j];
        g[2 * i + 1] = g[2 * j + 1];
        g[2 * j] = tx;
        g[2 * j + 1] = ty;
        break;
      }
      g[2 * i] = prim_clamp_x(sp, g[2 * i] + prim_normal(r) * step);
      g[2 * i + 1] = prim_clamp_y(sp, g[2 * i + 1] + prim_normal(r) * step);
      break;
    }
    case YSG_PRIM_RECTANGLE: {
      int i = prim_below(r, 2);
      g[2 * i] = prim_clampf(g[2 * i] + prim_normal(r) * step, 0.0f, (float)sp->w);
      g[2 * i + 1] = prim_clampf(g[2 * i + 1] + prim_normal(r) * step, 0.0f, (float)sp->h);
      float x0 = prim_minf(g[0], g[2]), x1 = prim_maxf(g[0], g[2]);
      float y0 = prim_minf(g[1], g[3]), y1 = prim_maxf(g[1], g[3]);
      g[0] = x0, g[2] = x1, g[1] = y0, g[3] = y1;
      break;
    }
    case YSG_PRIM_ROTATED_RECTANGLE:
    case YSG_PRIM_ELLIPSE:
    case YSG_PRIM_ROTATED_ELLIPSE:
    case YSG_PRIM_CIRCLE: {
      int i = prim_below(r, kind == YSG_PRIM_CIRCLE ? 2 : 3);
      if (i == 0) {
        g[0] = prim_clamp_x(sp, g[0] + prim_normal(r) * step);
        g[1] = prim_clamp_y(sp, g[1] + prim_normal(r) * step);
      } else if (kind == YSG_PRIM_CIRCLE) {
        g[2] = prim_clamp_size(sp, g[2] + prim_normal(r) * step);
      } else if (kind == YSG_PRIM_ELLIPSE) {
        g[1 + i] = prim_clamp_size(sp, g[1 + i] + prim_normal(r) * step);
      } else if (i == 1) {
        g[2] = prim_clamp_size(sp, g[2] + prim_normal(r) * step);
        g[3] = prim_clamp_size(sp, g[3] + prim_normal(r) * step);
      } else {
        g[4] = g[4] + prim_normal(r) * 32.0f;
        g[4] = g[4] - 360.0f * floorf(g[4] * (1.0f / 360.0f));
      }
      break;
    }
    case YSG_PRIM_LINE:
    case YSG_PRIM_QUADRATIC: {
      int pts = kind == YSG_PRIM_LINE ? 2 : 3, wi = 2 * pts;
      int i = prim_below(r, pts + 1);
      if (i == pts) {
        g[wi] = prim_clampf(g[wi] + prim_normal(r) * S, 1.0f, maxw);
      } else {
        g[2 * i] = prim_clamp_x(sp, g[2 * i] + prim_normal(r) * step);
        g[2 * i + 1] = prim_clamp_y(sp, g[2 * i + 1] + prim_normal(r) * step);
      }
      break;
    }
    default:
      break;
  }
}

/* Random candidate i of climb c of shape n: a kind from the enabled list, valid geometry.
 * Returns 0 (and kind -1) when no valid shape came out of PRIM_TRIES attempts. */
YSG_HD int prim_random(const prim_space *sp, uint32_t n, uint32_t c, uint32_t i, prim_cand *out) {
  prim_rng r = {prim_key(sp->seed, n, c, i), 0};
  int kind = sp->list[prim_below(&r, sp->n_kinds)];
  for (int t = 0; t < PRIM_TRIES; t++) {
    prim_random_geom(kind, sp, &r, out->g);
    if (prim_valid(kind, out->g, sp)) {
      out->kind = kind;
      return 1;
    }
  }
  out->kind = -1;
  return 0;
}

/* Mutation `step` of climb c of shape n from `from` into out. 0: no valid one (out = from). */
YSG_HD int prim_mutate(const prim_space *sp, uint32_t n, uint32_t c, uint32_t step,
                       const prim_cand *from, prim_cand *out) {
  prim_rng r = {prim_key(sp->seed, n, c, step), 0};
  out->kind = from->kind;
  for (int t = 0; t < PRIM_TRIES; t++) {
    for (int k = 0; k < 8; k++) out->g[k] = from->g[k];
    prim_mutate_geom(from->kind, sp, &r, out->g);
    if (prim_valid(from->kind, out->g, sp)) return 1;
  }
  for (int k = 0; k < 8; k++) out->g[k] = from->g[k];
  return 0;
}

#endif /* YSG_PRIM_GEN_H */
