/* sdf.h — signed distances and coverage shared by the render nodes (nodes/line.c, bbox.c, dot.c)
 * and their CUDA kernels: segment distance, rounded boxes, the dot shapes, and coverage from
 * distance (ARCHITECTURE §3, §4). Distances are in pixels, negative inside; pixel centres sit at
 * integer + 0.5. Also the conservative per-tile-row footprints the binning uses. */
#ifndef YSG_SDF_H
#define YSG_SDF_H

#include <math.h>

#include "hd.h"

#define YSG_AA_MARGIN 1.0f /* pixels beyond a shape's edge that anti-aliasing may touch */

YSG_HD float ysg_clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* Distance from p to segment ab; *t receives the closest point's parameter in [0,1]. */
YSG_HD float ysg_sd_segment(float px, float py, float ax, float ay, float bx, float by, float *t) {
  float dx = bx - ax, dy = by - ay;
  float qx = px - ax, qy = py - ay;
  float len2 = dx * dx + dy * dy;
  float h = len2 > 0.0f ? ysg_clampf((qx * dx + qy * dy) / len2, 0.0f, 1.0f) : 0.0f;
  if (t) *t = h;
  float ex = qx - dx * h, ey = qy - dy * h;
  return sqrtf(ex * ex + ey * ey);
}

/* Box centred at the origin with half sizes hx, hy and corner radius r (clamped to fit). */
YSG_HD float ysg_sd_round_box(float x, float y, float hx, float hy, float r) {
  float m = hx < hy ? hx : hy;
  r = ysg_clampf(r, 0.0f, m > 0.0f ? m : 0.0f);
  float qx = fabsf(x) - hx + r, qy = fabsf(y) - hy + r;
  float ox = qx > 0.0f ? qx : 0.0f, oy = qy > 0.0f ? qy : 0.0f;
  float inside = qx > qy ? qx : qy;
  return sqrtf(ox * ox + oy * oy) + (inside < 0.0f ? inside : 0.0f) - r;
}

YSG_HD float ysg_sd_circle(float x, float y, float r) { return sqrtf(x * x + y * y) - r; }

/* dot shapes; the order is the dot node's `shape` choices */
enum {
  YSG_SHAPE_CIRCLE,
  YSG_SHAPE_RING,
  YSG_SHAPE_SQUARE,
  YSG_SHAPE_DIAMOND,
  YSG_SHAPE_CROSS,
  YSG_SHAPE_PLUS
};
#define YSG_SHAPE_CHOICES "circle|ring|square|diamond|cross|plus"

/* Signed distance of a dot shape of radius r (half extent) centred at the origin. `arm` is the
 * full thickness of the cross/plus arms and of the ring's band. */
YSG_HD float ysg_sd_shape(int shape, float x, float y, float r, float arm) {
  const float k = 0.70710678f;
  switch (shape) {
    case YSG_SHAPE_RING:
      return fabsf(ysg_sd_circle(x, y, r - 0.5f * arm)) - 0.5f * arm;
    case YSG_SHAPE_SQUARE:
      return ysg_sd_round_box(x, y, r, r, 0.0f);
    case YSG_SHAPE_DIAMOND:
      return ysg_sd_round_box((x + y) * k, (x - y) * k, r * k, r * k, 0.0f);
    case YSG_SHAPE_CROSS: {
      float u = (x + y) * k, v = (x - y) * k;
      float a = ysg_sd_round_box(u, v, r, 0.5f * arm, 0.0f),
            b = ysg_sd_round_box(u, v, 0.5f * arm, r, 0.0f);
      return a < b ? a : b;
    }
    case YSG_SHAPE_PLUS: {
      float a = ysg_sd_round_box(x, y, r, 0.5f * arm, 0.0f),
            b = ysg_sd_round_box(x, y, 0.5f * arm, r, 0.0f);
      return a < b ? a : b;
    }
    case YSG_SHAPE_CIRCLE:
    default:
      return ysg_sd_circle(x, y, r);
  }
}

/* Coverage of a pixel by the region d < 0 (box-filter approximation). */
YSG_HD float ysg_coverage(float d) { return ysg_clampf(0.5f - d, 0.0f, 1.0f); }

/* Coverage of a stroke of `width` at distance `dist` from its centre line. Strokes thinner than
 * one pixel are drawn one pixel wide at `width` opacity, so they fade instead of vanishing. */
YSG_HD float ysg_stroke_coverage(float dist, float width) {
  float w = width < 1.0f ? 1.0f : width;
  float scale = width < 1.0f ? (width > 0.0f ? width : 0.0f) : 1.0f;
  return ysg_coverage(dist - 0.5f * w) * scale;
}

/* ---- footprints for binning: the tile columns a shape may touch in tile row ty ------------- */

/* Axis-aligned rectangle [x0,x1]×[y0,y1] (pixels): tile columns for row ty, 0 if untouched. */
YSG_HD int ysg_rect_row_span(float x0, float y0, float x1, float y1, int ty, int tile, int tiles_x,
                             int *tx0, int *tx1) {
  float ry0 = (float)(ty * tile), ry1 = ry0 + (float)tile;
  if (!(y1 >= ry0 && y0 <= ry1) || !(x1 >= 0.0f) || !(x0 <= (float)(tiles_x * tile))) return 0;
  /* clamp in float before converting: huge or infinite bounds would overflow an int */
  float a = floorf(x0 / (float)tile), b = floorf(x1 / (float)tile);
  *tx0 = a < 0.0f ? 0 : (int)a;
  *tx1 = b >= (float)tiles_x ? tiles_x - 1 : (int)b;
  return *tx0 <= *tx1;
}

/* Capsule: segment ab thickened by r (already including the anti-aliasing margin). */
YSG_HD int ysg_capsule_row_span(float ax, float ay, float bx, float by, float r, int ty, int tile,
                                int tiles_x, int *tx0, int *tx1) {
  float y0 = (float)(ty * tile) - r, y1 = (float)(ty * tile + tile) + r;
  float t0 = 0.0f, t1 = 1.0f, dy = by - ay;
  if (dy == 0.0f) {
    if (ay < y0 || ay > y1) return 0;
  } else {
    float ta = (y0 - ay) / dy, tb = (y1 - ay) / dy;
    if (ta > tb) {
      float s = ta;
      ta = tb;
      tb = s;
    }
    t0 = ta > 0.0f ? ta : 0.0f;
    t1 = tb < 1.0f ? tb : 1.0f;
    if (t0 > t1) return 0;
  }
  float xa = ax + (bx - ax) * t0, xb = ax + (bx - ax) * t1;
  float lo = (xa < xb ? xa : xb) - r, hi = (xa < xb ? xb : xa) + r;
  return ysg_rect_row_span(lo, (float)(ty * tile), hi, (float)(ty * tile), ty, tile, tiles_x, tx0,
                           tx1);
}

#endif /* YSG_SDF_H */
