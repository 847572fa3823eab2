/* prim_raster.h — how the primitives node rasterises a shape (YSG_HD: the CPU search, the canvas
 * drawing and the CUDA search run this code). A shape is prepared once (prim_prepare) into one of
 * three classes — a convex polygon, an ellipse, a stroke (line, flattened quadratic) — and then
 * cut row by row into spans: `full` spans (coverage exactly 1, scored from row prefix sums) and
 * partial spans whose pixels take coverage clamp(0.5 − d, 0, 1) from the signed distance d
 * (prim_cov). The search scores and draws through the same spans, so the pixels a candidate is
 * scored over are the pixels it draws. Only +, −, ×, /, sqrt, floor and ceil are used (and no
 * fused multiply-add: see CMakeLists.txt), so the CPU and the GPU get the same bits. */
#ifndef YSG_PRIM_RASTER_H
#define YSG_PRIM_RASTER_H

#include <math.h>
#include <stdint.h>

#include "hd.h"
#include "ysgraph/value.h"

/* gcc in ISO C mode and nvcc with -fmad=false (CMakeLists.txt) never fuse a·b + c; clang would */
#if defined(__clang__) && !defined(__CUDACC__)
#pragma STDC FP_CONTRACT OFF
#endif

/* the per-pixel coverage is called from the innermost loops: always inline it on the CPU */
#if defined(__GNUC__) && !defined(__CUDACC__)
#define PRIM_HOT __attribute__((always_inline))
#else
#define PRIM_HOT
#endif

#define PRIM_QUAD_SEGS 16 /* segments a quadratic Bézier stroke is flattened into */
#define PRIM_MAX_SPANS (PRIM_QUAD_SEGS + 2)
#define PRIM_BIG 1e30f

enum { PRIM_CLS_POLY, PRIM_CLS_ELLIPSE, PRIM_CLS_STROKE };

/* A prepared shape. Coordinates are pixels; pixel (x, y) has its centre at (x + 0.5, y + 0.5). */
typedef struct prim_geo {
  int32_t cls;
  int32_t n;                    /* poly: vertices (3 or 4); stroke: segments */
  int32_t y0, y1;               /* rows [y0, y1] that may hold coverage (not clipped) */
  float bx0, bx1;               /* no coverage left of bx0 or right of bx1 (pixel centres) */
  float px[PRIM_QUAD_SEGS + 1]; /* poly: vertices (clockwise on screen); stroke: points */
  float py[PRIM_QUAD_SEGS + 1];
  float nx[4], ny[4], nc[4], inx[4]; /* poly: outward unit normals, l_i = n·p − nc, 1/nx or 0 */
  float ex[4], ey[4], il2[4];        /* poly: edge vectors (vertex i to i + 1), 1/|e|² */
  float cx, cy, ca, sa;              /* ellipse: centre and rotation (u = ca·dx + sa·dy) */
  float rx, ry, irx, iry;            /* ellipse: radii and their reciprocals */
  float reach;                       /* stroke: coverage is 0 beyond this distance from the path */
  float half, fade; /* stroke: half the drawn width (≥ 0.5), opacity (< 1: thin) */
} prim_geo;

typedef struct prim_span {
  int32_t x0, x1; /* pixels [x0, x1) */
  int32_t full;   /* 1: coverage 1 everywhere; 0: per pixel (prim_cov) */
} prim_span;

YSG_HD float prim_minf(float a, float b) { return a < b ? a : b; }
YSG_HD float prim_maxf(float a, float b) { return a > b ? a : b; }
YSG_HD float prim_clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* sin and cos of an angle in degrees, from the same polynomials on every processor (libm and
 * CUDA's sinf differ in the last bits). Accurate to about 1e-7. */
YSG_HD void prim_sincos_deg(float deg, float *s, float *c) {
  if (!(deg == deg) || deg > 1e6f || deg < -1e6f) deg = 0.0f;
  float turns = deg * (1.0f / 360.0f);
  turns = turns - floorf(turns);                  /* [0, 1) */
  float q = floorf(turns * 4.0f + 0.5f);          /* nearest quarter turn */
  float r = (turns - q * 0.25f) * 6.28318530718f; /* [-pi/4, pi/4] */
  float r2 = r * r;
  float sn = r * (1.0f + r2 * (-1.0f / 6.0f + r2 * (1.0f / 120.0f + r2 * (-1.0f / 5040.0f))));
  float cs = 1.0f + r2 * (-0.5f + r2 * (1.0f / 24.0f + r2 * (-1.0f / 720.0f + r2 / 40320.0f)));
  int k = (int)q & 3;
  *s = k == 0 ? sn : (k == 1 ? cs : (k == 2 ? -sn : -cs));
  *c = k == 0 ? cs : (k == 1 ? -sn : (k == 2 ? -cs : sn));
}

/* rows y whose centres lie within [lo, hi] (conservative: one more on each side) */
YSG_HD void prim_rows(float lo, float hi, prim_geo *g) {
  lo = prim_clampf(lo, -1e7f, 1e7f);
  hi = prim_clampf(hi, -1e7f, 1e7f);
  g->y0 = (int32_t)floorf(lo - 0.5f);
  g->y1 = (int32_t)floorf(hi - 0.5f) + 1;
}

YSG_HD int prim_prepare_poly(const float *vx, const float *vy, int n, prim_geo *g) {
  float area2 = 0.0f;
  for (int i = 0; i < n; i++) {
    int j = i + 1 < n ? i + 1 : 0;
    area2 = area2 + (vx[i] * vy[j] - vx[j] * vy[i]);
  }
  if (!(area2 > 1e-6f || area2 < -1e-6f)) return 0;
  g->cls = PRIM_CLS_POLY;
  g->n = n;
  float xlo = PRIM_BIG, xhi = -PRIM_BIG, ylo = PRIM_BIG, yhi = -PRIM_BIG;
  for (int i = 0; i < n; i++) { /* clockwise on screen: reverse when the area is negative */
    int s = area2 > 0.0f ? i : n - 1 - i;
    g->px[i] = vx[s];
    g->py[i] = vy[s];
    xlo = prim_minf(xlo, vx[s]);
    xhi = prim_maxf(xhi, vx[s]);
    ylo = prim_minf(ylo, vy[s]);
    yhi = prim_maxf(yhi, vy[s]);
  }
  for (int i = 0; i < n; i++) {
    int j = i + 1 < n ? i + 1 : 0;
    float ex = g->px[j] - g->px[i], ey = g->py[j] - g->py[i];
    float len = sqrtf(ex * ex + ey * ey);
    if (!(len > 1e-6f)) return 0;
    g->ex[i] = ex;
    g->ey[i] = ey;
    g->il2[i] = 1.0f / (ex * ex + ey * ey);
    g->nx[i] = ey / len;
    g->ny[i] = -ex / len;
    g->nc[i] = g->nx[i] * g->px[i] + g->ny[i] * g->py[i];
    g->inx[i] = g->nx[i] != 0.0f ? 1.0f / g->nx[i] : 0.0f;
  }
  g->bx0 = xlo - 0.5f;
  g->bx1 = xhi + 0.5f;
  prim_rows(ylo - 0.5f, yhi + 0.5f, g);
  return 1;
}

YSG_HD int prim_prepare_ellipse(float cx, float cy, float rx, float ry, float deg, prim_geo *g) {
  if (!(rx > 0.0f && ry > 0.0f) || rx > 1e6f || ry > 1e6f) return 0;
  g->cls = PRIM_CLS_ELLIPSE;
  g->cx = cx;
  g->cy = cy;
  prim_sincos_deg(deg, &g->sa, &g->ca);
  g->rx = rx;
  g->ry = ry;
  g->irx = 1.0f / rx;
  g->iry = 1.0f / ry;
  /* half extents of the outer ellipse (radii + 1) */
  float ax = rx + 1.0f, ay = ry + 1.0f;
  float hx = sqrtf(ax * g->ca * ax * g->ca + ay * g->sa * ay * g->sa);
  float hy = sqrtf(ax * g->sa * ax * g->sa + ay * g->ca * ay * g->ca);
  g->bx0 = cx - hx;
  g->bx1 = cx + hx;
  prim_rows(cy - hy, cy + hy, g);
  return 1;
}

/* a stroke of `width` along the polyline pts (n + 1 points), round caps and joins */
YSG_HD int prim_prepare_stroke(const float *xs, const float *ys, int n, float width, prim_geo *g) {
  if (!(width > 0.0f) || width > 1e6f) return 0;
  g->cls = PRIM_CLS_STROKE;
  g->n = n;
  g->half = 0.5f * prim_maxf(width, 1.0f);
  g->fade = width < 1.0f ? width : 1.0f;
  g->reach = g->half + 0.5f;
  float xlo = PRIM_BIG, xhi = -PRIM_BIG, ylo = PRIM_BIG, yhi = -PRIM_BIG;
  for (int i = 0; i <= n; i++) {
    g->px[i] = xs[i];
    g->py[i] = ys[i];
    xlo = prim_minf(xlo, xs[i]);
    xhi = prim_maxf(xhi, xs[i]);
    ylo = prim_minf(ylo, ys[i]);
    yhi = prim_maxf(yhi, ys[i]);
  }
  g->bx0 = xlo - g->reach;
  g->bx1 = xhi + g->reach;
  prim_rows(ylo - g->reach, yhi + g->reach, g);
  return 1;
}

/* Prepare a shape record (kind, 8 geometry floats). 0: degenerate, it draws nothing. */
YSG_HD int prim_prepare(int kind, const float *p, prim_geo *g) {
  for (int i = 0; i < 8; i++)
    if (!(p[i] == p[i]) || p[i] > 1e7f || p[i] < -1e7f) return 0;
  float vx[4], vy[4];
  switch (kind) {
    case YSG_PRIM_TRIANGLE:
      for (int i = 0; i < 3; i++) vx[i] = p[2 * i], vy[i] = p[2 * i + 1];
      return prim_prepare_poly(vx, vy, 3, g);
    case YSG_PRIM_POLYGON:
      for (int i = 0; i < 4; i++) vx[i] = p[2 * i], vy[i] = p[2 * i + 1];
      return prim_prepare_poly(vx, vy, 4, g);
    case YSG_PRIM_RECTANGLE:
      vx[0] = vx[3] = prim_minf(p[0], p[2]);
      vx[1] = vx[2] = prim_maxf(p[0], p[2]);
      vy[0] = vy[1] = prim_minf(p[1], p[3]);
      vy[2] = vy[3] = prim_maxf(p[1], p[3]);
      return prim_prepare_poly(vx, vy, 4, g);
    case YSG_PRIM_ROTATED_RECTANGLE: {
      float s, c, hw = 0.5f * p[2], hh = 0.5f * p[3];
      prim_sincos_deg(p[4], &s, &c);
      const float ux[4] = {-hw, hw, hw, -hw}, uy[4] = {-hh, -hh, hh, hh};
      for (int i = 0; i < 4; i++) {
        vx[i] = p[0] + (c * ux[i] - s * uy[i]);
        vy[i] = p[1] + (s * ux[i] + c * uy[i]);
      }
      return prim_prepare_poly(vx, vy, 4, g);
    }
    case YSG_PRIM_ELLIPSE:
      return prim_prepare_ellipse(p[0], p[1], p[2], p[3], 0.0f, g);
    case YSG_PRIM_ROTATED_ELLIPSE:
      return prim_prepare_ellipse(p[0], p[1], p[2], p[3], p[4], g);
    case YSG_PRIM_CIRCLE:
      return prim_prepare_ellipse(p[0], p[1], p[2], p[2], 0.0f, g);
    case YSG_PRIM_LINE: {
      const float xs[2] = {p[0], p[2]}, ys[2] = {p[1], p[3]};
      return prim_prepare_stroke(xs, ys, 1, p[4], g);
    }
    case YSG_PRIM_QUADRATIC: {
      float xs[PRIM_QUAD_SEGS + 1], ys[PRIM_QUAD_SEGS + 1];
      for (int i = 0; i <= PRIM_QUAD_SEGS; i++) {
        float t = (float)i * (1.0f / (float)PRIM_QUAD_SEGS), u = 1.0f - t;
        float a = u * u, b = 2.0f * u * t, e = t * t;
        xs[i] = a * p[0] + b * p[2] + e * p[4];
        ys[i] = a * p[1] + b * p[3] + e * p[5];
      }
      return prim_prepare_stroke(xs, ys, PRIM_QUAD_SEGS, p[6], g);
    }
    default:
      return 0;
  }
}

/* ---- coverage of one pixel ----------------------------------------------------------------- */

YSG_HD float prim_seg_dist(float x, float y, float ax, float ay, float bx, float by) {
  float dx = bx - ax, dy = by - ay, qx = x - ax, qy = y - ay;
  float l2 = dx * dx + dy * dy;
  float h = l2 > 0.0f ? prim_clampf((qx * dx + qy * dy) / l2, 0.0f, 1.0f) : 0.0f;
  float ex = qx - dx * h, ey = qy - dy * h;
  return sqrtf(ex * ex + ey * ey);
}

/* Coverage of the pixel centred at (x, y): clamp(0.5 − d, 0, 1) with d the signed distance
 * (exact for polygons, circles and strokes; the usual first-order estimate for ellipses). */
PRIM_HOT YSG_HD float prim_cov(const prim_geo *g, float x, float y) {
  float d;
  if (g->cls == PRIM_CLS_POLY) {
    /* inside, d is the largest edge-line value; outside one edge line only, the nearest point
     * is on that edge (convexity); outside two, the nearest of all edges */
    int k = 0, pos = 0;
    d = -PRIM_BIG;
    for (int i = 0; i < g->n; i++) {
      float l = g->nx[i] * x + g->ny[i] * y - g->nc[i];
      pos += l > 0.0f;
      if (l > d) d = l, k = i;
    }
    if (pos == 1) {
      float qx = x - g->px[k], qy = y - g->py[k];
      float h = prim_clampf((qx * g->ex[k] + qy * g->ey[k]) * g->il2[k], 0.0f, 1.0f);
      float rx = qx - g->ex[k] * h, ry = qy - g->ey[k] * h;
      d = sqrtf(rx * rx + ry * ry);
    } else if (pos > 1) {
      float m2 = PRIM_BIG;
      for (int i = 0; i < g->n; i++) {
        float qx = x - g->px[i], qy = y - g->py[i];
        float h = prim_clampf((qx * g->ex[i] + qy * g->ey[i]) * g->il2[i], 0.0f, 1.0f);
        float rx = qx - g->ex[i] * h, ry = qy - g->ey[i] * h;
        m2 = prim_minf(m2, rx * rx + ry * ry);
      }
      d = sqrtf(m2);
    }
  } else if (g->cls == PRIM_CLS_ELLIPSE) {
    float dx = x - g->cx, dy = y - g->cy;
    float u = g->ca * dx + g->sa * dy, v = g->ca * dy - g->sa * dx;
    float a = u * g->irx, b = v * g->iry;   /* (u/rx, v/ry) */
    float a2 = a * g->irx, b2 = b * g->iry; /* (u/rx², v/ry²) */
    float k0 = sqrtf(a * a + b * b), k1 = sqrtf(a2 * a2 + b2 * b2);
    d = k1 > 0.0f ? k0 * (k0 - 1.0f) / k1 : -prim_minf(g->rx, g->ry);
  } else {
    float m = PRIM_BIG;
    for (int i = 0; i < g->n; i++)
      m = prim_minf(m, prim_seg_dist(x, y, g->px[i], g->py[i], g->px[i + 1], g->py[i + 1]));
    return prim_clampf(0.5f - (m - g->half), 0.0f, 1.0f) * g->fade;
  }
  return prim_clampf(0.5f - d, 0.0f, 1.0f);
}

/* ---- row spans ------------------------------------------------------------------------------ */

/* pixels whose centres lie in [lo, hi], clipped to [xlo, xhi): [*a, *b) */
YSG_HD void prim_px_range(float lo, float hi, int xlo, int xhi, int *a, int *b) {
  lo = prim_clampf(lo, (float)xlo - 2.0f, (float)xhi + 2.0f);
  hi = prim_clampf(hi, (float)xlo - 2.0f, (float)xhi + 2.0f);
  int p = (int)ceilf(lo - 0.5f), q = (int)floorf(hi - 0.5f) + 1;
  *a = p < xlo ? xlo : p;
  *b = q > xhi ? xhi : q;
}

/* the centres x of row yc where every edge line of the polygon is at most t */
YSG_HD void prim_poly_interval(const prim_geo *g, float yc, float t, float *lo, float *hi) {
  float l = -PRIM_BIG, h = PRIM_BIG;
  for (int i = 0; i < g->n; i++) {
    float b = g->ny[i] * yc - g->nc[i];
    if (g->nx[i] > 0.0f)
      h = prim_minf(h, (t - b) * g->inx[i]);
    else if (g->nx[i] < 0.0f)
      l = prim_maxf(l, (t - b) * g->inx[i]);
    else if (b > t)
      h = -PRIM_BIG;
  }
  *lo = l;
  *hi = h;
}

/* the centres x of row dy (relative to the centre) inside the ellipse scaled to radii (a, b) */
YSG_HD int prim_ellipse_interval(const prim_geo *g, float dy, float a, float b, float *lo,
                                 float *hi) {
  if (!(a > 0.0f && b > 0.0f)) return 0;
  float ia2 = 1.0f / (a * a), ib2 = 1.0f / (b * b);
  float A = g->ca * g->ca * ia2 + g->sa * g->sa * ib2;
  float B = 2.0f * dy * g->ca * g->sa * (ia2 - ib2);
  float C = dy * dy * (g->sa * g->sa * ia2 + g->ca * g->ca * ib2) - 1.0f;
  float disc = B * B - 4.0f * A * C;
  if (!(disc >= 0.0f) || !(A > 0.0f)) return 0;
  float r = sqrtf(disc), i2a = 0.5f / A;
  *lo = g->cx + (-B - r) * i2a;
  *hi = g->cx + (-B + r) * i2a;
  return 1;
}

/* Spans of row y within pixels [xlo, xhi), left to right; returns how many. */
YSG_HD int prim_row(const prim_geo *g, int y, int xlo, int xhi, prim_span *sp) {
  if (y < g->y0 || y > g->y1 || xlo >= xhi) return 0;
  float yc = (float)y + 0.5f;
  float olo, ohi, ilo = 0.0f, ihi = -1.0f;
  if (g->cls == PRIM_CLS_STROKE) { /* partial spans: each segment's reach, merged */
    int n = 0;
    for (int i = 0; i < g->n; i++) {
      float ax = g->px[i], ay = g->py[i], bx = g->px[i + 1], by = g->py[i + 1];
      float t0 = 0.0f, t1 = 1.0f, dy = by - ay;
      float lo = yc - g->reach, hi = yc + g->reach;
      if (dy == 0.0f) {
        if (ay < lo || ay > hi) continue;
      } else {
        float ta = (lo - ay) / dy, tb = (hi - ay) / dy;
        t0 = prim_maxf(prim_minf(ta, tb), 0.0f);
        t1 = prim_minf(prim_maxf(ta, tb), 1.0f);
        if (t0 > t1) continue;
      }
      float xa = ax + (bx - ax) * t0, xb = ax + (bx - ax) * t1;
      int a, b;
      prim_px_range(prim_minf(xa, xb) - g->reach, prim_maxf(xa, xb) + g->reach, xlo, xhi, &a, &b);
      if (a >= b) continue;
      int k = n++; /* insertion by start */
      while (k > 0 && sp[k - 1].x0 > a) {
        sp[k] = sp[k - 1];
        k--;
      }
      sp[k].x0 = a;
      sp[k].x1 = b;
      sp[k].full = 0;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (m > 0 && sp[i].x0 <= sp[m - 1].x1) {
        if (sp[i].x1 > sp[m - 1].x1) sp[m - 1].x1 = sp[i].x1;
      } else {
        sp[m++] = sp[i];
      }
    }
    return m;
  }
  if (g->cls == PRIM_CLS_POLY) {
    prim_poly_interval(g, yc, 0.5f, &olo, &ohi);
    olo = prim_maxf(olo, g->bx0);
    ohi = prim_minf(ohi, g->bx1);
    prim_poly_interval(g, yc, -0.5f, &ilo, &ihi);
  } else {
    float dy = yc - g->cy;
    if (!prim_ellipse_interval(g, dy, g->rx + 1.0f, g->ry + 1.0f, &olo, &ohi)) return 0;
    if (!prim_ellipse_interval(g, dy, g->rx - 0.5f, g->ry - 0.5f, &ilo, &ihi)) ihi = ilo - 1.0f;
  }
  int a, b, c, e;
  prim_px_range(olo, ohi, xlo, xhi, &a, &b);
  if (a >= b) return 0;
  prim_px_range(ilo, ihi, a, b, &c, &e);
  int n = 0;
  if (c >= e) {
    sp[n].x0 = a, sp[n].x1 = b, sp[n++].full = 0;
    return n;
  }
  if (a < c) sp[n].x0 = a, sp[n].x1 = c, sp[n++].full = 0;
  sp[n].x0 = c, sp[n].x1 = e, sp[n++].full = 1;
  if (e < b) sp[n].x0 = e, sp[n].x1 = b, sp[n++].full = 0;
  return n;
}

#endif /* YSG_PRIM_RASTER_H */
