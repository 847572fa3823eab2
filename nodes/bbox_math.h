/* bbox_math.h — the `bbox` node's per-box and per-pixel math, shared by nodes/bbox.c and
 * cuda/bbox.cu (YSG_HD): the per-frame settings block, building a box primitive from boxes or
 * points (with the culling rule), box-filter coverage of axis-aligned rounded rectangles (exact
 * along straight edges, the exact coverage of the tangent half-plane at arcs), the bracket
 * mask, the per-pixel "over" of one box, and the track-age table of the `from_age` size. */
#ifndef YSG_BBOX_MATH_H
#define YSG_BBOX_MATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "bins.h"
#include "hd.h"
#include "sdf.h"
#include "ysgraph/value.h"

/* Boxes and points beyond this (pixels, in |x|, |y|, w, h, or a size) are culled: past 2^20 a
 * float32 pixel position has lost most of its sub-pixel precision, so edges would wobble. */
#define YSG_BBOX_MAX_COORD 1.0e6f

enum { YSG_BBOX_FIXED, YSG_BBOX_FROM_RADIUS, YSG_BBOX_FROM_AGE }; /* `size` choices */
enum { YSG_BBOX_FULL, YSG_BBOX_CORNERS };                         /* `style` choices */

/* The node's settings for one frame (host and device memory share this layout: the CUDA path
 * reads it from device memory so animated params need no re-capture). Colours are linear,
 * straight alpha, as ysg_node_color gives them; fill_color already equals color when unset. */
typedef struct ysg_bbox_params {
  int32_t from_points;    /* 1: the `points` input, 0: `boxes` */
  int32_t size_mode;      /* YSG_BBOX_FIXED, FROM_RADIUS, FROM_AGE (points only) */
  int32_t style;          /* YSG_BBOX_FULL or YSG_BBOX_CORNERS */
  int32_t data_colors;    /* per-element rgba overrides the colours when present */
  int32_t fill_color_set; /* fill_color was given (its alpha then scales data fills) */
  int32_t frame;          /* frame index, for from_age */
  uint32_t attrs;         /* the input's YSG_ATTR_* this frame */
  int32_t width, height;  /* canvas, pixels */
  float w, h;             /* fixed size / from_age full size / from_radius fallback radius */
  float scale, min_size, age_frames;
  float stroke, radius, roundness, fill_opacity, opacity, corner_length;
  float color[4], fill_color[4];
} ysg_bbox_params;

/* One box, ready for the pixels. The stroke is centred on the box edge: it covers the outer
 * rounded rectangle (ox, oy, ro) minus the inner one (ix, iy, ri). */
typedef struct ysg_bbox_prim {
  float cx, cy;       /* centre, pixels */
  float hx, hy, r;    /* the box (fill region): half sizes and corner radius */
  float ox, oy, ro;   /* outer edge of the stroke */
  float ix, iy, ri;   /* inner edge of the stroke (ix or iy <= 0: the stroke fills the box) */
  float cut_x, cut_y; /* corners style: bracket arms cover |x| >= cut_x on the horizontal edges
                         and |y| >= cut_y on the vertical ones */
  int32_t flags;      /* YSG_BBOX_F_* */
  float stroke[4];    /* premultiplied linear stroke colour */
  float fill[4];      /* premultiplied linear fill colour, times fill_opacity */
  float pad[2];
} ysg_bbox_prim;

#define YSG_BBOX_F_STROKE 1
#define YSG_BBOX_F_FILL 2
#define YSG_BBOX_F_CORNERS 4

/* NaN-safe clamps: data colours may hold anything; NaN becomes 0 */
YSG_HD float ysg_bbox_unit(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; }
YSG_HD float ysg_bbox_chan(float v) { return v > 0.0f ? (v < 65504.0f ? v : 65504.0f) : 0.0f; }

YSG_HD int ysg_bbox_finite(float v) { return v == v && fabsf(v) <= YSG_BBOX_MAX_COORD; }

/* Length of [ax-0.5, ax+0.5] ∩ [-h, h] for ax = |offset| from the slab's centre: the exact
 * box-filter coverage of a pixel by a slab, = min(1, h + 0.5 - ax, 2h). Written so that a pixel
 * wholly inside gives exactly 1 (so outer - inner strokes and masks give exactly 0 there), and
 * right for h < 0.5 too (the slab then lies inside the pixel). */
YSG_HD float ysg_bbox_ovl(float ax, float h) {
  float v = h + 0.5f - ax;
  v = v < 1.0f ? v : 1.0f;
  v = v < 2.0f * h ? v : 2.0f * h;
  return v > 0.0f ? v : 0.0f;
}

/* Exact coverage of a unit pixel by the half-plane n·p <= t (p relative to the pixel centre,
 * n a unit normal): the pixel's area density along n is a trapezoid, so the area is quadratic
 * in t near the ends of the projection and linear in between. For an axis-aligned n this is
 * clamp(t + 0.5); at 45° the linear ramp of clamp(0.5 - d) would be off by up to 0.09. */
YSG_HD float ysg_bbox_halfplane_cov(float t, float nx, float ny) {
  float a = fabsf(nx), b = fabsf(ny);
  if (b > a) {
    float s = a;
    a = b;
    b = s;
  }
  float outer = 0.5f * (a + b), inner = 0.5f * (a - b);
  if (t <= -outer) return 0.0f;
  if (t >= outer) return 1.0f;
  if (b < 1e-6f) return ysg_clampf(t / a + 0.5f, 0.0f, 1.0f);
  if (t < -inner) return (t + outer) * (t + outer) / (2.0f * a * b);
  if (t > inner) return 1.0f - (outer - t) * (outer - t) / (2.0f * a * b);
  return t / a + 0.5f;
}

/* Coverage of the pixel at offset (ax, ay) = |p - centre| by the rounded rectangle of half sizes
 * hx, hy and corner radius r <= min(hx, hy). Away from the rounded corners it is the product of
 * the two slab overlaps, the exact area. Where a corner arc can enter the pixel, the distance
 * (ysg_sd_round_box) and the arc's normal there give the exact coverage of the tangent
 * half-plane (the arc's curvature is the only error left), never more than the rectangle's. */
YSG_HD float ysg_bbox_rrect_cov(float ax, float ay, float hx, float hy, float r) {
  if (!(hx > 0.0f) || !(hy > 0.0f)) return 0.0f;
  float c = ysg_bbox_ovl(ax, hx) * ysg_bbox_ovl(ay, hy);
  if (r > 0.0f && c > 0.0f && ax + 0.5f > hx - r && ay + 0.5f > hy - r) {
    float qx = ax - hx + r, qy = ay - hy + r; /* as ysg_sd_round_box forms them */
    float s;
    if (qx > 0.0f && qy > 0.0f) { /* nearest the arc: d = |q| - r, the normal is q / |q| */
      float len = sqrtf(qx * qx + qy * qy), inv = 1.0f / len;
      s = ysg_bbox_halfplane_cov(r - len, qx * inv, qy * inv);
    } else { /* nearest a straight edge: the linear ramp is exact */
      s = ysg_coverage(ysg_sd_round_box(ax, ay, hx, hy, r));
    }
    c = s < c ? s : c;
  }
  return c;
}

/* Premultiplied contribution of box b at pixel centre (px, py) into out; 0 when it has none.
 * Within a box the stroke lies over the fill. The fill under the drawn stroke is the box minus
 * the stroke's inner shape (fc - ic, times the corner mask), so the fill that shows is
 * fc - under·stroke_alpha: the area-exact result of "fill, then stroke over it", without the
 * conflation of compositing two partial coverages of the same pixel. */
YSG_HD int ysg_bbox_eval(const ysg_bbox_prim *b, float px, float py, float out[4]) {
  float x = px - b->cx, y = py - b->cy;
  float ax = fabsf(x), ay = fabsf(y);
  if (ax >= b->ox + 0.5f || ay >= b->oy + 0.5f) return 0;
  float fc = (b->flags & YSG_BBOX_F_FILL) ? ysg_bbox_rrect_cov(ax, ay, b->hx, b->hy, b->r) : 0.0f;
  float sc = 0.0f, under = 0.0f;
  if (b->flags & YSG_BBOX_F_STROKE) {
    float ic = ysg_bbox_rrect_cov(ax, ay, b->ix, b->iy, b->ri);
    sc = ysg_bbox_rrect_cov(ax, ay, b->ox, b->oy, b->ro) - ic;
    sc = sc > 0.0f ? sc : 0.0f;
    under = fc - ic > 0.0f ? fc - ic : 0.0f;
    if (b->flags & YSG_BBOX_F_CORNERS) {
      /* each pixel belongs to the edge it is nearer (split on the corners' diagonals); the
       * mask is the pixel's exact coverage by that edge's arms, so arm ends are anti-aliased */
      int horizontal = b->hy - ay < b->hx - ax;
      float m = horizontal ? 1.0f - ysg_bbox_ovl(ax, b->cut_x) : 1.0f - ysg_bbox_ovl(ay, b->cut_y);
      sc *= m;
      under *= m;
    }
  }
  float fv = fc - under * b->stroke[3];
  if (!(sc > 0.0f) && !(fv > 0.0f)) return 0;
  for (int c = 0; c < 4; c++) out[c] = b->stroke[c] * sc + b->fill[c] * fv;
  return 1;
}

/* dst = src over dst (premultiplied) */
YSG_HD void ysg_bbox_over(float dst[4], const float src[4]) {
  float k = 1.0f - src[3];
  for (int c = 0; c < 4; c++) dst[c] = src[c] + dst[c] * k;
}

/* Build box i of the input into *b and its binning footprint into *bin (kind -1: culled).
 * boxes: xywh (cap, 4); points: xy (cap, 2) with radius (from_radius) and age (from_age, frames
 * since the id was first seen). rgba: per-element colours or NULL. Culled: any non-finite or
 * beyond-YSG_BBOX_MAX_COORD value, a negative size, nothing visible (no stroke and no fill, or
 * transparent colours) and boxes whose footprint misses the canvas. Returns 1 if kept. */
YSG_HD int ysg_bbox_make(const ysg_bbox_params *P, const float *xywh, const float *xy,
                         const float *radius, const int32_t *age, const float *rgba, int i,
                         ysg_bbox_prim *b, ysg_bin_prim *bin) {
  bin->kind = -1;
  bin->ax = bin->ay = bin->bx = bin->by = bin->r = 0.0f;
  float cx, cy, w, h;
  if (!P->from_points) {
    float x = xywh[4 * i], y = xywh[4 * i + 1];
    w = xywh[4 * i + 2];
    h = xywh[4 * i + 3];
    if (!ysg_bbox_finite(x) || !ysg_bbox_finite(y) || !ysg_bbox_finite(w) || !ysg_bbox_finite(h))
      return 0;
    cx = x + 0.5f * w;
    cy = y + 0.5f * h;
  } else {
    cx = xy[2 * i];
    cy = xy[2 * i + 1];
    if (!ysg_bbox_finite(cx) || !ysg_bbox_finite(cy)) return 0;
    if (P->size_mode == YSG_BBOX_FROM_RADIUS) {
      float rad = (P->attrs & YSG_ATTR_RADIUS) && radius ? radius[i] : P->w;
      w = h = 2.0f * rad * P->scale;
    } else if (P->size_mode == YSG_BBOX_FROM_AGE) {
      float t = P->age_frames > 0.0f ? (float)age[i] / P->age_frames : 1.0f;
      t = t < 1.0f ? (t > 0.0f ? t : 0.0f) : 1.0f;
      w = P->min_size + (P->w - P->min_size) * t;
      h = P->min_size + (P->h - P->min_size) * t;
    } else {
      w = P->w;
      h = P->h;
    }
    if (!ysg_bbox_finite(w) || !ysg_bbox_finite(h)) return 0;
  }
  if (!(w >= 0.0f) || !(h >= 0.0f)) return 0;
  float hx = 0.5f * w, hy = 0.5f * h, m = hx < hy ? hx : hy;
  float r = P->roundness >= 0.0f ? P->roundness * m : P->radius;
  r = ysg_clampf(r, 0.0f, m);
  float hs = 0.5f * (P->stroke > 0.0f ? P->stroke : 0.0f);

  float sc[4], fc[4];
  int data = P->data_colors && (P->attrs & YSG_ATTR_RGBA) && rgba;
  for (int c = 0; c < 4; c++) {
    sc[c] = data ? rgba[4 * i + c] : P->color[c];
    fc[c] = data && c < 3 ? rgba[4 * i + c] : P->fill_color[c];
  }
  if (data) fc[3] = rgba[4 * i + 3] * (P->fill_color_set ? P->fill_color[3] : 1.0f);
  float sa = ysg_bbox_unit(sc[3]) * (hs > 0.0f ? 1.0f : 0.0f);
  float fa = ysg_bbox_unit(fc[3]) * ysg_bbox_unit(P->fill_opacity);
  for (int c = 0; c < 3; c++) {
    b->stroke[c] = ysg_bbox_chan(sc[c]) * sa;
    b->fill[c] = ysg_bbox_chan(fc[c]) * fa;
  }
  b->stroke[3] = sa;
  b->fill[3] = fa;
  b->flags = (sa > 0.0f ? YSG_BBOX_F_STROKE : 0) | (fa > 0.0f ? YSG_BBOX_F_FILL : 0);
  if (!b->flags) return 0;

  b->cx = cx;
  b->cy = cy;
  b->hx = hx;
  b->hy = hy;
  b->r = r;
  /* the outer corner grows to r + hs (the exact offset) once r >= hs, and stays square (mitred)
   * for square boxes: r + min(r, hs) joins the two without a jump */
  b->ox = hx + hs;
  b->oy = hy + hs;
  b->ro = r + (r < hs ? r : hs);
  b->ix = hx - hs;
  b->iy = hy - hs;
  b->ri = r > hs ? r - hs : 0.0f;
  b->cut_x = b->cut_y = 0.0f;
  if (P->style == YSG_BBOX_CORNERS && (b->flags & YSG_BBOX_F_STROKE)) {
    float cl = P->corner_length > 0.0f ? P->corner_length : 0.0f;
    float lx = cl <= 1.0f ? cl * w : cl, ly = cl <= 1.0f ? cl * h : cl;
    b->cut_x = hx - lx > 0.0f ? hx - lx : 0.0f;
    b->cut_y = hy - ly > 0.0f ? hy - ly : 0.0f;
    if (b->cut_x > 0.0f || b->cut_y > 0.0f) b->flags |= YSG_BBOX_F_CORNERS;
  }
  b->pad[0] = b->pad[1] = 0.0f;

  /* footprint: the box grown by half the stroke and the anti-aliasing margin */
  float g = hs + YSG_AA_MARGIN;
  if (cx + hx + g < 0.0f || cy + hy + g < 0.0f || cx - hx - g > (float)P->width ||
      cy - hy - g > (float)P->height)
    return 0;
  bin->ax = cx - hx;
  bin->ay = cy - hy;
  bin->bx = cx + hx;
  bin->by = cy + hy;
  bin->r = g;
  bin->kind = YSG_BIN_RECT;
  return 1;
}

/* ---- track ages (from_age) ---------------------------------------------------------------- */
/* Open addressing with linear probing over a power-of-two table of at least 3 × the points
 * capacity, kept in persistent node state (host or device memory, same layout). A slot's key
 * is (1 << 32) | (uint32)id, 0 when empty. Before a frame's ids go in, if the table could pass
 * 3/4 full, every id not seen in the last frame processed is forgotten (such an id starts at
 * age 0 if it comes back); what stays is at most one frame's ids, so a track that is present
 * never loses its age. Running a frame index lower than the last one starts over (a new run). */
typedef struct ysg_bbox_age_head {
  int32_t started;                   /* 0 until the first frame */
  int32_t frame;                     /* last frame index processed */
  int32_t count;                     /* occupied slots */
  int32_t slots;                     /* table size (power of two) */
  int32_t reset, compact, keep, pad; /* this frame's decisions (read by the device phases) */
} ysg_bbox_age_head;

typedef struct ysg_bbox_age_slot {
  uint64_t key;
  int32_t first, last; /* frame indices: first and last seen */
} ysg_bbox_age_slot;

static inline int32_t ysg_bbox_age_slots(int capacity) {
  int64_t need = 3 * (int64_t)(capacity > 0 ? capacity : 1), s = 64;
  while (s < need) s *= 2;
  return (int32_t)s;
}
/* bytes of the persistent age state, and of the compaction scratch (survivors) */
static inline size_t ysg_bbox_age_bytes(int capacity) {
  return sizeof(ysg_bbox_age_head) +
         (size_t)ysg_bbox_age_slots(capacity) * sizeof(ysg_bbox_age_slot);
}
static inline size_t ysg_bbox_age_tmp_bytes(int capacity) {
  return (size_t)(capacity > 0 ? capacity : 1) * sizeof(ysg_bbox_age_slot);
}

YSG_HD uint64_t ysg_bbox_age_key(int32_t id) { return (1ull << 32) | (uint64_t)(uint32_t)id; }

YSG_HD uint32_t ysg_bbox_age_hash(uint64_t key) {
  uint32_t h = (uint32_t)key; /* lowbias32 */
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

/* The frame's decisions, from the header alone (one thread on the device): whether to clear
 * the table (first frame, or going backwards) and whether to compact before inserting n ids.
 * Updates started/frame; keep is the frame whose ids survive a compaction. */
YSG_HD void ysg_bbox_age_begin(ysg_bbox_age_head *hd, int32_t slots, int32_t frame, int n) {
  hd->reset = !hd->started || frame < hd->frame || hd->slots != slots;
  hd->keep = hd->reset ? frame : hd->frame;
  int64_t count = hd->reset ? 0 : hd->count;
  hd->compact = !hd->reset && count + n > (int64_t)slots / 4 * 3;
  hd->started = 1;
  hd->slots = slots;
  hd->frame = frame;
  if (hd->reset) hd->count = 0;
}

#if !defined(__CUDACC__)
#include "ysgraph/node.h"
/* The settings block of a bbox node for frame f (nodes/bbox.c), after infer. */
void ysg__bbox_params(const ysg_node *n, const ysg_frame *f, ysg_bbox_params *P);
#endif

#endif /* YSG_BBOX_MATH_H */
