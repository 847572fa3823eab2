/* bbox.c — the `bbox` render node: axis-aligned (rounded) boxes from `boxes`, or one box per
 * point of `points` (fixed, from the radius, or growing with the track's age), stroked and/or
 * filled, full outline or bracket corners, drawn in one pass per pixel over 16×16 tiles (tile
 * by tile, ysg_tile_ops: fusable into a merge). Each tile composites its binned boxes in order
 * into a float tile, evaluating per box only the rows and spans its outline (or fill) can reach,
 * then stores FP16 once. Math: nodes/bbox_math.h
 * (shared with cuda/bbox.cu, which the CUDA backend runs with ysg__bbox_params in the node's
 * parameter block); binning: engine/bins.h. */
#include <string.h>

#include "bbox_math.h"
#include "bins.h"
#include "color.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/bbox_api.h"
#include "../cuda/fused_api.h"
#endif

enum { IN_BOXES, IN_POINTS };

enum {
  P_SIZE,
  P_W,
  P_H,
  P_SCALE,
  P_MIN_SIZE,
  P_AGE_FRAMES,
  P_STROKE,
  P_RADIUS,
  P_ROUNDNESS,
  P_FILL_OPACITY,
  P_COLOR,
  P_FILL_COLOR,
  P_DATA_COLORS,
  P_OPACITY,
  P_STYLE,
  P_CORNER_LENGTH,
  P_BIN_CAPACITY,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_SIZE] = {"size", YSG_PARAM_ENUM, "fixed", 0, 0, "fixed|from_radius|from_age",
                YSG_PARAM_STATIC,
                "points only: fixed = w×h; from_radius = square of side 2·radius·scale; from_age "
                "= grows from min_size to w×h over age_frames frames of the track"},
    [P_W] = {"w", YSG_PARAM_NUMBER, "40", 0, 1e6, NULL, 0,
             "px: box width from points (fixed, from_age); from_radius: the radius when the "
             "points have none"},
    [P_H] = {"h", YSG_PARAM_NUMBER, "40", 0, 1e6, NULL, 0, "px: box height from points"},
    [P_SCALE] = {"scale", YSG_PARAM_NUMBER, "2", 0, 1e4, NULL, 0,
                 "from_radius: the square's half side is radius·scale"},
    [P_MIN_SIZE] = {"min_size", YSG_PARAM_NUMBER, "8", 0, 1e6, NULL, 0,
                    "px: from_age: width and height of a track seen for the first time"},
    [P_AGE_FRAMES] = {"age_frames", YSG_PARAM_NUMBER, "30", 0, 1e7, NULL, 0,
                      "from_age: frames a track takes to grow to w×h (0: at once)"},
    [P_STROKE] = {"stroke", YSG_PARAM_NUMBER, "2", 0, 1000, NULL, 0,
                  "px: outline width, centred on the box edge (0: no outline)"},
    [P_RADIUS] = {"radius", YSG_PARAM_NUMBER, "0", 0, 1e6, NULL, 0,
                  "px: corner radius of the box edge (clamped to half the short side)"},
    [P_ROUNDNESS] = {"roundness", YSG_PARAM_NUMBER, "-1", -1, 1, NULL, 0,
                     "corner radius as a fraction of half the short side; negative: unset, use "
                     "radius"},
    [P_FILL_OPACITY] = {"fill_opacity", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                        "opacity of the fill under the outline (0: no fill)"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#ff3b30", 0, 0, NULL, 0, "outline colour"},
    [P_FILL_COLOR] = {"fill_color", YSG_PARAM_COLOR, "#ff3b30", 0, 0, NULL, 0,
                      "fill colour (default: color)"},
    [P_DATA_COLORS] = {"data_colors", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                       "use per-element rgba from the data when present: it replaces color and "
                       "the fill's rgb (the fill keeps fill_color's alpha when that is set)"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                   "scales the whole layer after the boxes are composited"},
    [P_STYLE] = {"style", YSG_PARAM_ENUM, "full", 0, 0, "full|corners", 0,
                 "full outline, or bracket corners (only the outline within corner_length of "
                 "each corner)"},
    [P_CORNER_LENGTH] = {"corner_length", YSG_PARAM_NUMBER, "0.25", 0, 1e6, NULL, 0,
                         "corners: arm length from each corner along the edge; <= 1: fraction of "
                         "that side's length, > 1: pixels"},
    [P_BIN_CAPACITY] = {"bin_capacity", YSG_PARAM_INT, "0", 0, 1e9, NULL, YSG_PARAM_STATIC,
                        "box-tile references per frame (0: max(16 × tiles, 64 × capacity))"},
};

static const ysg_port_def inputs[] = {
    [IN_BOXES] = {"boxes", YSG_BOXES, YSG_PORT_OPTIONAL,
                  "boxes to draw (x, y, w, h; optional rgba); connect this or points", NULL, 0},
    [IN_POINTS] = {"points", YSG_POINTS, YSG_PORT_OPTIONAL,
                   "one box centred on each point (optional id, radius, rgba)", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the boxes over transparency, canvas size", NULL, 0},
};

/* Scratch handles and sizes, decided in infer. */
typedef struct bbox_state {
  int port;      /* the connected input */
  int cap;       /* its capacity */
  int cap_items; /* bin references */
  int tiles_x, tiles_y;
  int h_prims;                      /* ysg_bbox_prim (cap) */
  int h_bin_prims;                  /* ysg_bin_prim (cap) */
  int h_bins;                       /* ysg__bins_bytes */
  int h_ages;                       /* int32 (cap), from_age only */
  int h_age_state;                  /* persistent: ysg_bbox_age_bytes(cap), from_age only */
  int h_age_tmp;                    /* ysg_bbox_age_tmp_bytes(cap), from_age only */
  int d_temp, d_age_state, d_check; /* CUDA: device scratch and capacity check handles */
  /* this frame, for the tile renders (ysg_tile_ops) */
  const ysg_bbox_prim *prims;
  ysg_bins bins;
  float opacity;
} bbox_state;

static void bbox_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status bbox_infer(ysg_node *n) {
  int nb = ysg_node_input_count(n, IN_BOXES), np = ysg_node_input_count(n, IN_POINTS);
  if (nb + np != 1)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "expected exactly one of the inputs 'boxes' and 'points' to be "
                         "connected, found %s",
                         nb + np == 0 ? "neither" : "both");
  int size = ysg_node_enum(n, P_SIZE);
  if (nb && size != YSG_BBOX_FIXED)
    return ysg_node_param_fail(n, P_SIZE, YSG_ERR_PIPELINE,
                               "'%s' sizes boxes made from points, but 'boxes' is connected "
                               "(expected 'fixed')",
                               size == YSG_BBOX_FROM_RADIUS ? "from_radius" : "from_age");
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;

  bbox_destroy(n); /* infer may run again when a pipeline is re-planned */
  bbox_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->port = nb ? IN_BOXES : IN_POINTS;
  const ysg_value *in = ysg_node_input(n, st->port, 0);
  st->cap = in->capacity > 0 ? in->capacity : 0;
  st->tiles_x = (cv->width + YSG_TILE - 1) / YSG_TILE;
  st->tiles_y = (cv->height + YSG_TILE - 1) / YSG_TILE;
  int64_t n_tiles = (int64_t)st->tiles_x * st->tiles_y;
  int64_t items = ysg_node_int(n, P_BIN_CAPACITY);
  if (items <= 0) {
    /* every tile listing 16 boxes, or every box spanning 64 tiles (a 100 px box touches ~50) */
    items = 16 * n_tiles;
    if (64 * (int64_t)st->cap > items) items = 64 * (int64_t)st->cap;
  }
  if (items > INT32_MAX / 2) items = INT32_MAX / 2;
  st->cap_items = (int)items;
  size_t cap = (size_t)(st->cap > 0 ? st->cap : 1);
  ysg_status s;
  st->h_ages = st->h_age_state = st->h_age_tmp = -1;
  if ((s = ysg_node_request_scratch(n, cap * sizeof(ysg_bbox_prim), 0, &st->h_prims)) ||
      (s = ysg_node_request_scratch(n, cap * sizeof(ysg_bin_prim), 0, &st->h_bin_prims)) ||
      (s = ysg_node_request_scratch(n, ysg__bins_bytes(st->tiles_x, st->tiles_y, st->cap_items), 0,
                                    &st->h_bins)))
    return s;
  if (np && size == YSG_BBOX_FROM_AGE) {
    if ((s = ysg_node_request_scratch(n, cap * sizeof(int32_t), 0, &st->h_ages)) ||
        (s = ysg_node_request_scratch(n, ysg_bbox_age_bytes(st->cap), 1, &st->h_age_state)) ||
        (s = ysg_node_request_scratch(n, ysg_bbox_age_tmp_bytes(st->cap), 0, &st->h_age_tmp)))
      return s;
  }
  return YSG_OK;
}

/* ---- track ages (the device twin is bbox_age_kernel in cuda/bbox.cu) --------------------- */

static int32_t age_find_or_insert(ysg_bbox_age_slot *slots, int32_t mask, uint64_t key,
                                  int32_t frame, int32_t *count) {
  uint32_t i = ysg_bbox_age_hash(key) & (uint32_t)mask;
  for (;; i = (i + 1) & (uint32_t)mask) {
    if (slots[i].key == key) return (int32_t)i;
    if (slots[i].key == 0) {
      slots[i].key = key;
      slots[i].first = frame;
      slots[i].last = frame;
      (*count)++;
      return (int32_t)i;
    }
  }
}

/* ages[i] = frames since point i's id (its index without ids) was first seen; the table has
 * nslots slots (ysg_bbox_age_slots of the capacity) and tmp room for one frame's survivors */
static void age_update(void *state, int32_t nslots, ysg_bbox_age_slot *tmp, const int32_t *ids,
                       int n, int32_t frame, int32_t *ages) {
  ysg_bbox_age_head *hd = state;
  ysg_bbox_age_slot *slots = (ysg_bbox_age_slot *)(hd + 1);
  int32_t mask = nslots - 1;
  ysg_bbox_age_begin(hd, nslots, frame, n);
  if (hd->reset) memset(slots, 0, (size_t)nslots * sizeof *slots);
  if (hd->compact) {
    int kept = 0;
    for (int32_t s = 0; s < nslots; s++)
      if (slots[s].key && slots[s].last >= hd->keep) tmp[kept++] = slots[s];
    memset(slots, 0, (size_t)nslots * sizeof *slots);
    hd->count = 0;
    for (int k = 0; k < kept; k++) {
      int32_t at = age_find_or_insert(slots, mask, tmp[k].key, tmp[k].first, &hd->count);
      slots[at].last = tmp[k].last;
    }
  }
  for (int i = 0; i < n; i++) {
    uint64_t key = ysg_bbox_age_key(ids ? ids[i] : i);
    int32_t at = age_find_or_insert(slots, mask, key, frame, &hd->count);
    slots[at].last = frame;
    ages[i] = frame - slots[at].first;
  }
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* What ysg_bbox_eval computes from y alone, for one row of one box. */
typedef struct row_consts {
  float ay;
  float vo, vi, vf; /* slab overlaps in y of the outer, inner and fill shapes (0: shape absent) */
  float my;         /* corners: the vertical edges' arm mask in this row */
  float lim;        /* pixels with |x| <= lim reach no rounded corner: the product path */
} row_consts;

static void row_setup(const ysg_bbox_prim *b, float ay, row_consts *rc) {
  int stroke = (b->flags & YSG_BBOX_F_STROKE) != 0, fill = (b->flags & YSG_BBOX_F_FILL) != 0;
  rc->ay = ay;
  rc->vo = stroke ? ysg_bbox_ovl(ay, b->oy) : 0.0f;
  rc->vi = stroke && b->ix > 0.0f && b->iy > 0.0f ? ysg_bbox_ovl(ay, b->iy) : 0.0f;
  rc->vf = fill ? ysg_bbox_ovl(ay, b->hy) : 0.0f;
  rc->my = 1.0f - ysg_bbox_ovl(ay, b->cut_y);
  /* ysg_bbox_rrect_cov takes its corner branch when ax + 0.5 > h - r and ay + 0.5 > v - r */
  float lim = 3.0e38f;
  if (stroke && b->ro > 0.0f && ay + 0.5f > b->oy - b->ro) lim = b->ox - b->ro - 0.5f;
  if (stroke && b->ri > 0.0f && b->ix > 0.0f && b->iy > 0.0f && ay + 0.5f > b->iy - b->ri &&
      b->ix - b->ri - 0.5f < lim)
    lim = b->ix - b->ri - 0.5f;
  if (fill && b->r > 0.0f && ay + 0.5f > b->hy - b->r && b->hx - b->r - 0.5f < lim)
    lim = b->hx - b->r - 0.5f;
  rc->lim = lim;
}

/* Pixels [a, e] of a row where no rounded corner is reached: ysg_bbox_eval's arithmetic in the
 * same order (so the same bits), without its branches, so the coverage loop vectorises. The
 * contributions are left in src (premultiplied, per pixel) for rows that repeat this one. */
static void span_fast(const ysg_bbox_prim *b, const row_consts *rc, float *row, float *src, int px0,
                      int a, int e) {
  float sc[YSG_TILE], fv[YSG_TILE];
  int corners = (b->flags & YSG_BBOX_F_CORNERS) != 0;
  float sa = b->stroke[3];
  for (int i = a; i <= e; i++) {
    float ax = fabsf((float)(px0 + i) + 0.5f - b->cx);
    float fc = ysg_bbox_ovl(ax, b->hx) * rc->vf;
    float ic = ysg_bbox_ovl(ax, b->ix) * rc->vi;
    float s = ysg_bbox_ovl(ax, b->ox) * rc->vo - ic;
    s = s > 0.0f ? s : 0.0f;
    float under = fc - ic > 0.0f ? fc - ic : 0.0f;
    if (corners) {
      float m = b->hy - rc->ay < b->hx - ax ? 1.0f - ysg_bbox_ovl(ax, b->cut_x) : rc->my;
      s *= m;
      under *= m;
    }
    sc[i] = s;
    fv[i] = fc - under * sa;
  }
  for (int i = a; i <= e; i++)
    for (int c = 0; c < 4; c++) src[4 * i + c] = b->stroke[c] * sc[i] + b->fill[c] * fv[i];
  for (int i = a; i <= e; i++) ysg_bbox_over(row + 4 * i, src + 4 * i);
}

static void span_eval(const ysg_bbox_prim *b, float *row, int px0, float py, int a, int e) {
  for (int i = a; i <= e; i++) {
    float c[4];
    if (ysg_bbox_eval(b, (float)(px0 + i) + 0.5f, py, c)) ysg_bbox_over(row + 4 * i, c);
  }
}

/* Pixels [a, e] of a row: the product path where no rounded corner is reached, per-pixel
 * ysg_bbox_eval elsewhere (pixels within eps of the boundary take ysg_bbox_eval). */
static void span(const ysg_bbox_prim *b, const row_consts *rc, float *row, float *src, int px0,
                 float py, int a, int e) {
  if (a > e) return;
  const float eps = 1e-3f;
  int f0 = a, f1 = e;
  if (rc->lim < 1.0e38f) {
    float l = rc->lim - eps;
    if (l < 0.0f) {
      span_eval(b, row, px0, py, a, e);
      return;
    }
    f0 = (int)ceilf(b->cx - l - 0.5f) - px0; /* |i + 0.5 + px0 - cx| <= l */
    f1 = (int)floorf(b->cx + l - 0.5f) - px0;
    if (f0 < a) f0 = a;
    if (f1 > e) f1 = e;
  }
  if (f0 > f1) {
    span_eval(b, row, px0, py, a, e);
    return;
  }
  span_eval(b, row, px0, py, a, f0 - 1);
  span_fast(b, rc, row, src, px0, f0, f1);
  span_eval(b, row, px0, py, f1 + 1, e);
}

/* smallest |x - cx| over the pixel centres of tile-local columns [a, e] (huge if empty) */
static float min_ax(const ysg_bbox_prim *b, int px0, int a, int e) {
  if (a > e) return 3.0e38f;
  float xa = (float)(px0 + a) + 0.5f - b->cx, xe = (float)(px0 + e) + 0.5f - b->cx;
  if (xa <= 0.0f && xe >= 0.0f) return 0.0f;
  return fminf(fabsf(xa), fabsf(xe));
}

/* tile-local rows [*r0, *r1] (clipped to [lo, hi]) whose centres lie within t of cy */
static void rows_within(float cy, float t, int y0, int lo, int hi, int *r0, int *r1) {
  *r0 = hi + 1;
  *r1 = hi;
  if (!(t >= 0.0f)) return;
  int a = (int)ceilf(cy - t - 0.5f) - y0, e = (int)floorf(cy + t - 0.5f) - y0;
  *r0 = a > lo ? a : lo;
  *r1 = e < hi ? e : hi;
}

/* Apply box b to the rows and spans of the tile (origin x0, y0; tw × th pixels, acc holds
 * YSG_TILE floats × 4 per row; *rows marks the rows already zeroed and drawn) where it can have
 * coverage.
 * Uniform rows — clear of the top and bottom edge bands and of every rounded corner, so every
 * y-dependent term is exactly 1 (or 0 for an absent shape) — all produce the same contributions
 * (for bracket corners, the same for each value of the vertical arms' mask, since their drawn
 * pixels all belong to the vertical edges); those are computed once and re-applied.
 * Skipped pixels are ones whose coverage ysg_bbox_eval computes as exactly 0, so skipping
 * changes no bit: with no fill, columns |x| + 0.5 <= ix inside the inner edge (uniform rows) or
 * |x| + 0.5 <= ix - ri (rows of its rounded corners), the gaps between bracket arms on the
 * horizontal edges, and uniform rows where the vertical arms' mask is 0. `eps` keeps those
 * intervals clear of rounding at their ends. */
static void draw_box(const ysg_bbox_prim *b, float *acc, unsigned *rows, int x0, int y0, int tw,
                     int th) {
  const float eps = 1e-3f;
  int i0 = (int)floorf(b->cx - b->ox - 1.0f) - x0, i1 = (int)ceilf(b->cx + b->ox) - x0;
  int j0 = (int)floorf(b->cy - b->oy - 1.0f) - y0, j1 = (int)ceilf(b->cy + b->oy) - y0;
  if (i0 < 0) i0 = 0;
  if (j0 < 0) j0 = 0;
  if (i1 > tw - 1) i1 = tw - 1;
  if (j1 > th - 1) j1 = th - 1;
  if (i0 > i1 || j0 > j1) return;
  int stroke = (b->flags & YSG_BBOX_F_STROKE) != 0, fill = (b->flags & YSG_BBOX_F_FILL) != 0;
  int corners = (b->flags & YSG_BBOX_F_CORNERS) != 0;
  int inner = stroke && b->ix > 0.0f && b->iy > 0.0f;
  float lx = b->hx - b->cut_x;

  /* the uniform rows: ay + 0.5 <= t - eps */
  float t = 3.0e38f;
  if (stroke) t = b->oy - b->ro;
  if (inner && b->iy - b->ri < t) t = b->iy - b->ri;
  if (fill && b->hy - b->r < t) t = b->hy - b->r;
  int u0, u1;
  rows_within(b->cy, t - eps - 0.5f, y0, j0, j1, &u0, &u1);
  /* their columns: all of [i0, i1] but, with no fill, the inside of the inner edge */
  int ua0 = i0, ua1 = i1, ub0 = i1 + 1, ub1 = i1;
  if (!fill && inner && b->ix - eps > 0.5f) {
    int g0 = (int)ceilf(b->cx - (b->ix - eps)) - x0; /* |i + 0.5 + x0 - cx| + 0.5 <= gap */
    int g1 = (int)floorf(b->cx + (b->ix - eps) - 1.0f) - x0;
    if (g0 <= g1) {
      ua1 = g0 - 1 < i1 ? g0 - 1 : i1;
      ub0 = g1 + 1 > i0 ? g1 + 1 : i0;
    }
  }
  /* bracket corners: a uniform row's drawn pixels must all be nearer the vertical edges
   * (hy - ay >= hx - ax) for the vertical arms' mask alone to decide them */
  float ax_min = corners ? fminf(min_ax(b, x0, ua0, ua1), min_ax(b, x0, ub0, ub1)) : 0.0f;
  float src[4 * YSG_TILE]; /* contributions of the uniform rows, for mask my_cached */
  float my_cached = -1.0f;

  for (int j = j0; j <= j1; j++) {
    if (j >= u0 && j <= u1 && ua0 > ua1 && ub0 > ub1) { /* nothing to draw there */
      j = u1;
      continue;
    }
    float py = (float)(y0 + j) + 0.5f, ay = fabsf(py - b->cy);
    int uniform = j >= u0 && j <= u1 && (!corners || b->hy - ay >= b->hx - ax_min);
    float my = 1.0f - ysg_bbox_ovl(ay, b->cut_y);
    if (uniform && !fill && corners && my == 0.0f) continue; /* between the vertical arms */
    float *row = acc + (size_t)j * YSG_TILE * 4;
    if (!(*rows & (1u << j))) {
      memset(row, 0, sizeof(float) * 4 * YSG_TILE);
      *rows |= 1u << j;
    }
    if (uniform && my == my_cached) {
      for (int i = ua0; i <= ua1; i++) ysg_bbox_over(row + 4 * i, src + 4 * i);
      for (int i = ub0; i <= ub1; i++) ysg_bbox_over(row + 4 * i, src + 4 * i);
      continue;
    }
    row_consts rc;
    row_setup(b, ay, &rc);
    if (uniform) {
      span_fast(b, &rc, row, src, x0, ua0, ua1);
      span_fast(b, &rc, row, src, x0, ub0, ub1);
      my_cached = my;
      continue;
    }
    float gap = -1.0f; /* pixels with |x| + 0.5 <= gap have no coverage in this row */
    if (!fill && inner && ay + 0.5f <= b->iy - eps) gap = b->ix - b->ri - eps;
    if (!fill && corners && b->hy - ay < lx + 0.5f - eps && b->cut_x - eps > gap)
      gap = b->cut_x - eps;
    int g0 = i1 + 1, g1 = i1; /* skipped columns [g0, g1], tile-local */
    if (gap > 0.5f) {
      g0 = (int)ceilf(b->cx - gap) - x0; /* i + 0.5 - cx >= -(gap - 0.5) */
      g1 = (int)floorf(b->cx + gap - 1.0f) - x0;
      if (g0 > g1) g0 = i1 + 1, g1 = i1;
    }
    float scratch[4 * YSG_TILE];
    span(b, &rc, row, scratch, x0, py, i0, g0 - 1 < i1 ? g0 - 1 : i1);
    span(b, &rc, row, scratch, x0, py, g1 + 1 > i0 ? g1 + 1 : i0, i1);
  }
}

/* One tile (ysg_tile_ops.render). Tiles with an empty list, or whose boxes drew nothing, are
 * empty. Others are stored whole: rows no box reached as zeros, the rest converted. A tile has
 * content when some value rounds to a non-zero half (|v| > 2^-25), the kernel's rule. */
YSG_CPU_CLONES static int bbox_tile_render(const ysg_node *n, const ysg_tile *t) {
  const bbox_state *st = ysg_node_state(n);
  const ysg_bins *bins = &st->bins;
  int tile = t->ty * bins->tiles_x + t->tx;
  int s = bins->start[tile], e = bins->start[tile + 1];
  if (s == e) return 0;
  float acc[YSG_TILE * YSG_TILE * 4];
  int tw = t->w, th = t->h;
  unsigned rows = 0;
  for (int k = s; k < e; k++)
    draw_box(&st->prims[bins->items[k]], acc, &rows, t->x0, t->y0, tw, th);
  /* magnitudes order like their bit patterns, and an integer max vectorises where a float
   * one (NaN-ordered) does not; 0x33000000 is 2^-25, the largest value rounding to a zero half
   * (a NaN would count as non-zero) */
  uint32_t big = 0;
  for (int y = 0; y < th; y++) {
    if (!(rows & (1u << y))) continue;
    float *row = acc + (size_t)y * YSG_TILE * 4;
    for (int i = 0; i < 4 * tw; i++) {
      row[i] *= st->opacity;
      uint32_t u;
      memcpy(&u, &row[i], sizeof u);
      u &= 0x7fffffffu;
      big = u > big ? u : big;
    }
  }
  if (big <= 0x33000000u) return 0;
  for (int y = 0; y < th; y++) {
    uint16_t *dst = t->px + (size_t)y * t->stride;
    if (rows & (1u << y))
      ysg_floats_to_halves(acc + (size_t)y * YSG_TILE * 4, dst, 4 * tw);
    else
      memset(dst, 0, sizeof(uint16_t) * 4 * (size_t)tw);
  }
  return 1;
}

/* The settings of this frame (what the CUDA path uploads to device memory). */
void ysg__bbox_params(const ysg_node *n, const ysg_frame *f, ysg_bbox_params *P) {
  const bbox_state *st = ysg_node_state(n);
  int from_points = st->port == IN_POINTS;
  const ysg_value *in = ysg_node_input(n, st->port, 0);
  memset(P, 0, sizeof *P);
  P->from_points = from_points;
  P->size_mode = ysg_node_enum(n, P_SIZE);
  P->style = ysg_node_enum(n, P_STYLE);
  P->data_colors = ysg_node_bool(n, P_DATA_COLORS);
  P->fill_color_set = ysg_node_param_is_set(n, P_FILL_COLOR);
  P->frame = f->index;
  P->attrs = in->attrs;
  P->width = ysg_node_canvas(n)->width;
  P->height = ysg_node_canvas(n)->height;
  P->w = (float)ysg_node_number(n, P_W);
  P->h = (float)ysg_node_number(n, P_H);
  P->scale = (float)ysg_node_number(n, P_SCALE);
  P->min_size = (float)ysg_node_number(n, P_MIN_SIZE);
  P->age_frames = (float)ysg_node_number(n, P_AGE_FRAMES);
  P->stroke = (float)ysg_node_number(n, P_STROKE);
  P->radius = (float)ysg_node_number(n, P_RADIUS);
  P->roundness = (float)ysg_node_number(n, P_ROUNDNESS);
  P->fill_opacity = (float)ysg_node_number(n, P_FILL_OPACITY);
  P->opacity = (float)ysg_node_number(n, P_OPACITY);
  P->corner_length = (float)ysg_node_number(n, P_CORNER_LENGTH);
  ysg_node_color(n, P_COLOR, P->color);
  ysg_node_color(n, P_FILL_COLOR, P->fill_color);
  if (!P->fill_color_set) memcpy(P->fill_color, P->color, sizeof P->color);
}

/* Tile rendering (ysg_tile_ops): prepare updates track ages, builds this frame's boxes and bins
 * them into tiles (in scratch); bbox_tile_render draws one tile. */
static ysg_status bbox_tile_prepare(ysg_node *n, const ysg_frame *f) {
  bbox_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, st->port, 0);
  ysg_bbox_params P;
  ysg__bbox_params(n, f, &P);
  int count = in->count < st->cap ? in->count : st->cap;
  if (count < 0) count = 0;
  ysg_bbox_prim *prims = ysg_node_scratch(n, st->h_prims);
  ysg_bin_prim *bin_prims = ysg_node_scratch(n, st->h_bin_prims);
  int32_t *ages = NULL;
  if (st->h_age_state >= 0) {
    ages = ysg_node_scratch(n, st->h_ages);
    age_update(ysg_node_scratch(n, st->h_age_state), ysg_bbox_age_slots(st->cap),
               ysg_node_scratch(n, st->h_age_tmp), (in->attrs & YSG_ATTR_ID) ? in->id : NULL, count,
               f->index, ages);
  }
  const float *rgba = (in->attrs & YSG_ATTR_RGBA) ? in->rgba : NULL;
  const float *radius = (in->attrs & YSG_ATTR_RADIUS) ? in->radius : NULL;
  for (int i = 0; i < count; i++)
    ysg_bbox_make(&P, in->xywh, in->xy, radius, ages, rgba, i, &prims[i], &bin_prims[i]);

  ysg__bins_bind(&st->bins, ysg_node_scratch(n, st->h_bins), st->tiles_x, st->tiles_y,
                 st->cap_items);
  int64_t need = ysg__bins_build_par(n, &st->bins, bin_prims, count);
  if (need > st->cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "this frame's boxes touch %lld tile references, more than the "
                               "capacity %d (raise bin_capacity=)",
                               (long long)need, st->cap_items);
  st->prims = prims;
  st->opacity = ysg_clamp01(P.opacity);
  ysg_node_output(n, 0)->count = 1;
  return YSG_OK;
}

static const ysg_tile_ops bbox_tile = {
    .prepare = bbox_tile_prepare,
    .render = bbox_tile_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_bbox_params (ysg__bbox_params, 112 bytes; its attrs field is unused
 * there: the kernels read the input's device header). Device scratch: the launcher's per-frame
 * temp (ysg__cuda_bbox_temp_bytes) and, for points sized from_age, the persistent age table
 * (ysg_bbox_age_bytes; it relies on the device arena starting zeroed, as the host arena does:
 * a zero header makes the first frame clear the table). Check: "tile references
 * (bin_capacity)" against cap_items; the launcher's binner writes it every frame. */
#ifdef YSG_HAVE_CUDA
static int bbox_ages(const ysg_node *n, const bbox_state *st) {
  return st->port == IN_POINTS && ysg_node_enum(n, P_SIZE) == YSG_BBOX_FROM_AGE && st->cap > 0;
}

static ysg_status bbox_device_infer(ysg_node *n) {
  bbox_state *st = ysg_node_state(n);
  ysg_status s;
  st->d_age_state = -1;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_bbox_params))) ||
      (s = ysg_node_request_device_scratch(
           n, ysg__cuda_bbox_temp_bytes(st->cap, st->tiles_x, st->tiles_y, st->cap_items), 0,
           &st->d_temp)))
    return s;
  if (bbox_ages(n, st) &&
      (s = ysg_node_request_device_scratch(n, ysg_bbox_age_bytes(st->cap), 1, &st->d_age_state)))
    return s;
  return ysg_node_request_device_check(n, "tile references (bin_capacity)", st->cap_items,
                                       &st->d_check);
}

static ysg_status bbox_prepare(ysg_node *n, const ysg_frame *f) {
  ysg_bbox_params *P = ysg_node_param_block(n);
  if (!P) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  ysg__bbox_params(n, f, P);
  return YSG_OK;
}

static ysg_status bbox_device_run(ysg_node *n, void *stream) {
  const bbox_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input_device(n, st->port, 0);
  const ysg_value_header *ih = ysg_node_input_header(n, st->port, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  void *temp = ysg_node_device_scratch(n, st->d_temp);
  void *ages = st->d_age_state >= 0 ? ysg_node_device_scratch(n, st->d_age_state) : NULL;
  int32_t *check = ysg_node_device_check(n, st->d_check);
  const ysg_bbox_params *P = ysg_node_param_block_device(n);
  if (!in || !ih || !out || !temp || !check || !P || (st->d_age_state >= 0 && !ages))
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the input or output are missing");
  ysg_bbox_dev_input din = {st->port == IN_BOXES ? in->xywh : NULL,
                            st->port == IN_POINTS ? in->xy : NULL,
                            in->id,
                            in->radius,
                            in->rgba,
                            &ih->count,
                            st->cap,
                            &ih->attrs};
  size_t temp_bytes = ysg__cuda_bbox_temp_bytes(st->cap, st->tiles_x, st->tiles_y, st->cap_items);
  char err[512] = "";
  ysg_status s =
      ysg__cuda_bbox(out->px, out->tiles, out->width, out->height, &din, ysg_node_enum(n, P_SIZE),
                     P, ages, st->cap_items, temp, temp_bytes, check, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* fused into a merge: bbox_device_run with no output image only builds and bins */
static ysg_status bbox_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  const bbox_state *st = ysg_node_state(n);
  void *temp = ysg_node_device_scratch(n, st->d_temp);
  const ysg_bbox_params *P = ysg_node_param_block_device(n);
  if (!temp || !P) return YSG_ERR_INVALID;
  ysg__cuda_bbox_layer(st->cap, st->tiles_x, st->tiles_y, st->cap_items, temp, P, out);
  return YSG_OK;
}

static const struct ysg_device_fused bbox_fused = {YSG_FUSED_BBOX, bbox_device_run,
                                                   bbox_fused_layer};

static const ysg_device_ops bbox_device = {
    .infer = bbox_device_infer,
    .prepare = bbox_prepare,
    .run = bbox_device_run,
    .fused = &bbox_fused,
};
#endif

const ysg_node_type ysg__node_bbox = {
    .name = "bbox",
    .category = "render",
    .doc =
        "Draws axis-aligned boxes, one per element of `boxes` or one centred on each point of "
        "`points`: a fixed w×h, a square from the point's radius, or a box growing with the "
        "track's age (frames since its id was first seen, in a table of at least 3× the points "
        "capacity that, when it fills, forgets ids absent from the last frame; without ids a "
        "point's index is its id; running an earlier frame starts the ages over). The outline "
        "of `stroke` px is centred on the box edge (square boxes keep square outer corners, "
        "rounded ones get concentric arcs once radius ≥ stroke/2), over a fill of the box; "
        "corners are rounded by `radius`, or by `roundness` of half the short side when that is "
        "≥ 0; style `corners` keeps only brackets of corner_length along each edge from each "
        "corner (the fill stays whole). Colours come from the params or per element from the "
        "data. Coverage is the exact pixel area along straight edges and the exact coverage of "
        "the tangent half-plane at rounded corners; later boxes composite over earlier ones in "
        "one pass over 16×16 tiles, and `opacity` scales the result. Culled (never drawn): "
        "boxes or points with a NaN, infinite or beyond-1e6 px coordinate or size, a negative "
        "size, nothing visible, or nothing on the canvas.",
    .inputs = inputs,
    .n_inputs = 2,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = bbox_infer,
    .run = ysg_node_run_tiles,
    .destroy = bbox_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &bbox_device,
#endif
    .tile = &bbox_tile,
};
