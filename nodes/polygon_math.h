/* polygon_math.h — the `polygon` node's single-source math (YSG_HD: nodes/polygon.c and
 * cuda/polygon.cu run the same code). Fill coverage is the exact area of each pixel inside the
 * polygon, accumulated from its edges: a pixel's value is Σ over edge parts crossing its row of
 * ∫ (x1 - clamp(x(y), x0, x1)) dy — the signed area between the part and the pixel's right side —
 * which is the winding-weighted area; non-zero takes min(|a|, 1), even-odd folds it by 2. Tiles
 * are independent: for each polygon and tile row, the parts entirely left of a tile reach it only
 * through their covers (dy), summed once per frame into a "carry" per (polygon, tile, pixel row)
 * in 16.16 fixed point (integer sums: the same in any order, on any device); a tile adds the
 * areas of its own listed parts. The stroke is the `line` node's solid stroke along the closed
 * outline (round joins, one union shape per polygon). */
#ifndef YSG_POLYGON_MATH_H
#define YSG_POLYGON_MATH_H

#include <math.h>
#include <stdint.h>

#include "line_math.h"

/* the `fill_rule` choices, in order */
enum { YSG_FILL_NONZERO, YSG_FILL_EVENODD };
#define YSG_FILL_RULE_CHOICES "nonzero|evenodd"

#define YSG_POLY_ONE 65536.0f /* carry fixed point: 16.16 */

/* What a frame's polygons share (the CUDA path reads it from the parameter block). */
typedef struct ysg_poly_frame {
  ysg_line_frame line;        /* the stroke (solid; half 0 when there is none) */
  float fill[4];              /* fill colour: premultiplied linear × fill_opacity */
  float stroke[4];            /* stroke colour: premultiplied linear × opacity */
  float fill_opacity;         /* scales point colours */
  float opacity;              /* scales point colours */
  int32_t evenodd;            /* fill rule */
  int32_t point_colors;       /* colour each polygon from its first vertex's rgba */
  int32_t do_fill, do_stroke; /* fill / stroke visible at all */
  float margin;               /* edges are clipped to the canvas grown by this (line.clip) */
  float reach;                /* a polygon's tiles: its edges' extent grown by this */
  int32_t width, height, tiles_x, tiles_y;
} ysg_poly_frame;

/* One edge (vertex k -> the next vertex of its polygon) after clipping to the canvas box grown by
 * `margin`: the part inside, and the part left of the box projected onto x = -margin (it reaches
 * the canvas only through its cover). Parts above, below or right of the box are dropped. */
typedef struct ysg_poly_edge {
  float x0, y0, x1, y1; /* the part inside the box, in edge order */
  float ly0, ly1;       /* the left part's y range, in edge order; equal: none */
  int32_t poly;         /* polygon index; -1: no edge */
  int32_t inside;       /* 1: the part inside exists (x0..y1 hold it) */
} ysg_poly_edge;

/* A polygon of the frame. */
typedef struct ysg_poly_info {
  int32_t v0, v1;           /* its vertices (= edge slots) [v0, v1) */
  int32_t tx0, ty0, bw, bh; /* its tiles: bw × bh from (tx0, ty0); bw 0: nothing to draw */
  int32_t carry;            /* first of its bw·bh carry entries (16 rows each) */
  int32_t id;               /* its vertices' id (0 without ids) */
  float fill[4], stroke[4]; /* its colours (premultiplied × opacities) */
} ysg_poly_info;

/* ---- building ---------------------------------------------------------------------------- */

/* Edge a -> b into e (poly: its polygon). Non-finite ends were rejected with the polygon. */
YSG_HD void ysg_poly_edge_build(const ysg_poly_frame *f, float ax, float ay, float bx, float by,
                                int poly, ysg_poly_edge *e) {
  double m = (double)f->margin, W = (double)f->width + m, H = (double)f->height + m, c[4];
  e->poly = poly;
  e->inside = 0;
  e->x0 = e->y0 = e->x1 = e->y1 = 0.0f;
  e->ly0 = e->ly1 = 0.0f;
  if (ysg_line_clip(ax, ay, bx, by, -m, -m, W, H, c)) {
    e->inside = 1;
    e->x0 = (float)c[0];
    e->y0 = (float)c[1];
    e->x1 = (float)c[2];
    e->y1 = (float)c[3];
  }
  /* the part with x < -m: an interval of the edge's parameter, then its y range clipped */
  double dx = (double)bx - ax, dy = (double)by - ay, t0 = 0.0, t1 = 0.0;
  if (ax < -m && bx < -m) {
    t0 = 0.0;
    t1 = 1.0;
  } else if (ax < -m) {
    t0 = 0.0;
    t1 = (-m - ax) / dx;
  } else if (bx < -m) {
    t0 = (-m - ax) / dx;
    t1 = 1.0;
  }
  if (t1 > t0) {
    double ya = t0 == 0.0 ? (double)ay : ay + t0 * dy, yb = t1 == 1.0 ? (double)by : ay + t1 * dy;
    ya = ya < -m ? -m : (ya > H ? H : ya);
    yb = yb < -m ? -m : (yb > H ? H : yb);
    e->ly0 = (float)ya;
    e->ly1 = (float)yb;
  }
}

/* The polygon's tiles: its vertices' extent within the clip box, grown by reach (vertices
 * xy[v0..v1)). Sets tx0, ty0, bw, bh (bw = bh = 0 when none is on the canvas). */
YSG_HD void ysg_poly_tiles(const ysg_poly_frame *f, const float *xy, ysg_poly_info *p) {
  float m = f->margin, x0 = 3.0e38f, y0 = 3.0e38f, x1 = -3.0e38f, y1 = -3.0e38f;
  for (int k = p->v0; k < p->v1; k++) {
    float x = xy[2 * k], y = xy[2 * k + 1];
    x0 = x < x0 ? x : x0;
    x1 = x > x1 ? x : x1;
    y0 = y < y0 ? y : y0;
    y1 = y > y1 ? y : y1;
  }
  x0 = (x0 < -m ? -m : x0) - f->reach;
  y0 = (y0 < -m ? -m : y0) - f->reach;
  x1 = (x1 > (float)f->width + m ? (float)f->width + m : x1) + f->reach;
  y1 = (y1 > (float)f->height + m ? (float)f->height + m : y1) + f->reach;
  float a = floorf(x0 / (float)YSG_TILE), b = floorf(x1 / (float)YSG_TILE);
  float c = floorf(y0 / (float)YSG_TILE), d = floorf(y1 / (float)YSG_TILE);
  int tx0 = a < 0.0f ? 0 : (a > (float)f->tiles_x ? f->tiles_x : (int)a);
  int tx1 = b >= (float)f->tiles_x ? f->tiles_x - 1 : (b < -1.0f ? -1 : (int)b);
  int ty0 = c < 0.0f ? 0 : (c > (float)f->tiles_y ? f->tiles_y : (int)c);
  int ty1 = d >= (float)f->tiles_y ? f->tiles_y - 1 : (d < -1.0f ? -1 : (int)d);
  p->tx0 = tx0;
  p->ty0 = ty0;
  p->bw = tx1 >= tx0 && ty1 >= ty0 ? tx1 - tx0 + 1 : 0;
  p->bh = p->bw ? ty1 - ty0 + 1 : 0;
}

/* Its tiles as a binning rectangle: exactly the tiles tx0.. × ty0.. (bins.h's RECT footprint). */
YSG_HD void ysg_poly_bin_prim(const ysg_poly_info *p, ysg_bin_prim *b) {
  if (!p->bw) {
    b->ax = b->ay = b->bx = b->by = b->r = 0.0f;
    b->kind = -1;
    return;
  }
  b->ax = (float)(p->tx0 * YSG_TILE + 1);
  b->ay = (float)(p->ty0 * YSG_TILE + 1);
  b->bx = (float)((p->tx0 + p->bw - 1) * YSG_TILE + 1);
  b->by = (float)((p->ty0 + p->bh - 1) * YSG_TILE + 1);
  b->r = 0.0f;
  b->kind = YSG_BIN_RECT;
}

/* ---- rows -------------------------------------------------------------------------------- */

/* The part of the piece (x0, y0) -> (x1, y1) within the pixel row band [r, r + 1], in piece
 * order; 0 when it has none (horizontal pieces have no cover: none either). */
YSG_HD int ysg_poly_row_part(float x0, float y0, float x1, float y1, float r, float *xa, float *ya,
                             float *xb, float *yb) {
  float lo = y0 < y1 ? y0 : y1, hi = y0 < y1 ? y1 : y0, r1 = r + 1.0f;
  if (!(hi > r) || !(lo < r1) || y0 == y1) return 0;
  float k = (x1 - x0) / (y1 - y0);
  float ca = y0 < r ? r : (y0 > r1 ? r1 : y0), cb = y1 < r ? r : (y1 > r1 ? r1 : y1);
  *ya = ca;
  *yb = cb;
  *xa = ca == y0 ? x0 : x0 + (ca - y0) * k;
  *xb = cb == y1 ? x1 : x0 + (cb - y0) * k;
  return 1;
}

/* ∫ (X0 + 1 - clamp(x, X0, X0 + 1)) dy along a row part (xa, ya) -> (xb, yb): the signed area of
 * the pixel [X0, X0 + 1] right of the part (all of its height when the part lies left of it). The
 * integrand is linear between the crossings of x = X0 and x = X0 + 1, so the midpoint rule on
 * those pieces is exact. */
YSG_HD float ysg_poly_cell_area(float xa, float ya, float xb, float yb, float X0) {
  float dy = yb - ya, X1 = X0 + 1.0f;
  float lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;
  if (hi <= X0) return dy;
  if (lo >= X1) return 0.0f;
  if (lo >= X0 && hi <= X1) return dy * (X1 - 0.5f * (xa + xb));
  float ds = xb - xa; /* not 0 here: the part crosses x = X0 or x = X1 */
  float t0 = (X0 - xa) / ds, t1 = (X1 - xa) / ds;
  if (t0 > t1) {
    float t = t0;
    t0 = t1;
    t1 = t;
  }
  t0 = t0 < 0.0f ? 0.0f : (t0 > 1.0f ? 1.0f : t0);
  t1 = t1 < 0.0f ? 0.0f : (t1 > 1.0f ? 1.0f : t1);
  float m0 = xa + 0.5f * t0 * ds, m1 = xa + 0.5f * (t0 + t1) * ds,
        m2 = xa + 0.5f * (t1 + 1.0f) * ds;
  float g0 = X1 - (m0 < X0 ? X0 : (m0 > X1 ? X1 : m0));
  float g1 = X1 - (m1 < X0 ? X0 : (m1 > X1 ? X1 : m1));
  float g2 = X1 - (m2 < X0 ? X0 : (m2 > X1 ? X1 : m2));
  return dy * (t0 * g0 + (t1 - t0) * g1 + (1.0f - t1) * g2);
}

/* Cover of a row part in carry units (16.16, signed: rows crossed downwards count +). */
YSG_HD int32_t ysg_poly_cover_q(float ya, float yb) {
  return (int32_t)lrintf((yb - ya) * YSG_POLY_ONE);
}

/* The first tile column whose left side x = 16·t lies at or right of x: the tiles that see a row
 * part whose right end is x only through its cover. */
YSG_HD int ysg_poly_carry_col(float x) { return (int)ceilf(x / (float)YSG_TILE); }

/* Rows of the piece (x0, y0) -> (x1, y1) that fall in polygon p's tiles: for each, add its cover
 * to the carry delta of the first tile column that sees it only through its cover. Called for
 * every edge's inside part and left part; atomic (device) or not (one thread per polygon). */
YSG_HD void ysg_poly_deposit(const ysg_poly_frame *f, const ysg_poly_info *p, float x0, float y0,
                             float x1, float y1, int32_t *carry, int atomic) {
  float lo = y0 < y1 ? y0 : y1, hi = y0 < y1 ? y1 : y0;
  int rmin = p->ty0 * YSG_TILE, rmax = (p->ty0 + p->bh) * YSG_TILE - 1;
  float a = floorf(lo), b = ceilf(hi) - 1.0f;
  int r0 = a < (float)rmin ? rmin : (int)a, r1 = b > (float)rmax ? rmax : (int)b;
  if (r1 > f->height - 1) r1 = f->height - 1;
  for (int r = r0; r <= r1; r++) {
    float xa, ya, xb, yb;
    if (!ysg_poly_row_part(x0, y0, x1, y1, (float)r, &xa, &ya, &xb, &yb)) continue;
    int t = ysg_poly_carry_col(xa > xb ? xa : xb);
    t = t < p->tx0 ? p->tx0 : t;
    if (t >= p->tx0 + p->bw) continue;
    int ty = r / YSG_TILE;
    int32_t *c = carry +
                 ((size_t)p->carry + (size_t)(ty - p->ty0) * (size_t)p->bw + (size_t)(t - p->tx0)) *
                     YSG_TILE +
                 (size_t)(r % YSG_TILE);
    int32_t q = ysg_poly_cover_q(ya, yb);
#ifdef __CUDA_ARCH__
    if (atomic) {
      atomicAdd(c, q);
      continue;
    }
#endif
    (void)atomic;
    *c += q;
  }
}

/* Coverage of an accumulated winding-weighted area by the fill rule. */
YSG_HD float ysg_poly_rule(const ysg_poly_frame *f, float a) {
  float e = fabsf(a);
  if (!f->evenodd) return e < 1.0f ? e : 1.0f;
  e -= 2.0f * floorf(0.5f * e);
  return e <= 1.0f ? e : 2.0f - e;
}

/* Accumulate the fill of row band r (canvas row y0 + ry of a tile starting at column x0, nx
 * wide) from one edge's inside part into acc (nx floats): only when the part reaches right of the
 * tile's left side (the carry holds it otherwise). */
YSG_HD void ysg_poly_row_accumulate(const ysg_poly_edge *e, int x0, int y, int nx, float *acc) {
  float xa, ya, xb, yb;
  if (!e->inside || !ysg_poly_row_part(e->x0, e->y0, e->x1, e->y1, (float)y, &xa, &ya, &xb, &yb))
    return;
  float lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa, dy = yb - ya;
  if (hi <= (float)x0) return;
  /* pixels from ceil(hi) on lie right of the part: ysg_poly_cell_area is dy there; pixels left
   * of floor(lo) get 0; only those between are cut by it */
  float fa = floorf(lo) - (float)x0, fb = ceilf(hi) - (float)x0;
  int c0 = fa < 0.0f ? 0 : (fa > (float)nx ? nx : (int)fa);
  int c1 = fb < 0.0f ? 0 : (fb > (float)nx ? nx : (int)fb);
  for (int x = c0; x < c1; x++) acc[x] += ysg_poly_cell_area(xa, ya, xb, yb, (float)(x0 + x));
  for (int x = c1; x < nx; x++) acc[x] += dy;
}

/* "over" of premultiplied src onto dst (4 floats each) */
YSG_HD void ysg_poly_over(float *dst, const float *src, float cov) {
  float a = src[3] * cov, k = 1.0f - a;
  for (int c = 0; c < 4; c++) dst[c] = src[c] * cov + dst[c] * k;
}

/* The colours of polygon i (first vertex k): the frame's, or the vertex's rgba (linear straight)
 * premultiplied × the opacities when point_colors applies. */
YSG_HD void ysg_poly_colors(const ysg_poly_frame *f, const float *rgba, int k, float fill[4],
                            float stroke[4]) {
  if (f->point_colors && rgba) {
    float a = ysg_clamp01(rgba[4 * k + 3]);
    for (int c = 0; c < 3; c++) {
      fill[c] = rgba[4 * k + c] * a * f->fill_opacity;
      stroke[c] = rgba[4 * k + c] * a * f->opacity;
    }
    fill[3] = a * f->fill_opacity;
    stroke[3] = a * f->opacity;
  } else {
    for (int c = 0; c < 4; c++) {
      fill[c] = f->fill[c];
      stroke[c] = f->stroke[c];
    }
  }
}

#endif /* YSG_POLYGON_MATH_H */
