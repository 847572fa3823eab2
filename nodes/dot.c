/* dot.c — the `dot` render node: one shape per point (circle, ring, square, diamond, cross,
 * plus), filled or outlined, per-point radius and colour from the data, and a soft glow. Dots are
 * binned into 16×16 tiles (engine/bins.h) and each occupied tile is rendered in one pass, every
 * pixel compositing its tile's dots in point order; empty tiles are only flagged (tile by tile,
 * ysg_tile_ops: fusable into a merge). The coverage
 * and glow math is nodes/dot_math.h, shared with the CUDA kernel (cuda/dot.cu), which the CUDA
 * backend runs with the settings in the node's parameter block. */
#include <math.h>
#include <string.h>

#include "bins.h"
#include "color.h"
#include "dot_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/dot_api.h"
#include "../cuda/fused_api.h"
#endif

enum {
  P_RADIUS,
  P_DATA_RADIUS,
  P_SHAPE,
  P_STROKE,
  P_FILL_OPACITY,
  P_COLOR,
  P_DATA_COLORS,
  P_OPACITY,
  P_GLOW,
  P_GLOW_INTENSITY,
  P_BIN_CAPACITY,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_RADIUS] = {"radius", YSG_PARAM_NUMBER, "4", 0, 10000, NULL, 0,
                  "px: circle/ring radius, square half side, diamond/cross/plus tip distance"},
    [P_DATA_RADIUS] = {"data_radius", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                       "take each dot's radius from the points' radius attribute when present"},
    [P_SHAPE] = {"shape", YSG_PARAM_ENUM, "circle", 0, 0, YSG_SHAPE_CHOICES, 0,
                 "circle, ring, square, diamond, cross (×) or plus (+)"},
    [P_STROKE] = {"stroke", YSG_PARAM_NUMBER, "0", 0, 10000, NULL, 0,
                  "px: 0 fills circle/square/diamond, > 0 outlines them at this width; ring band "
                  "and cross/plus arm thickness (0: max(1, radius/3))"},
    [P_FILL_OPACITY] = {"fill_opacity", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                        "opacity of the inside of an outlined (stroke > 0) circle/square/diamond "
                        "(0: outline only)"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#ffd60a", 0, 0, NULL, 0,
                 "dot colour, unless per-point colours apply (data_colors)"},
    [P_DATA_COLORS] = {"data_colors", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                       "take each dot's colour from the points' rgba attribute when present"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0, "multiplies every dot"},
    [P_GLOW] = {"glow", YSG_PARAM_NUMBER, "0", 0, 1000, NULL, 0,
                "px: radius of a soft glow around the shape, 0: none"},
    [P_GLOW_INTENSITY] =
        {"glow_intensity", YSG_PARAM_NUMBER, "0.6", 0, 4, NULL, 0,
         "glow alpha at distance d outside the shape: intensity · (1 − (d/glow)²)³, "
         "at most 1"},
    [P_BIN_CAPACITY] =
        {"bin_capacity", YSG_PARAM_INT, "0", 0, 2147483647.0, NULL, YSG_PARAM_STATIC,
         "tile references a frame may use (0: max(16 × tiles, 64 × point capacity))"},
};

static const ysg_port_def inputs[] = {
    {"points", YSG_POINTS, 0, "one dot per point (radius and rgba attributes used when present)",
     NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the dots on transparent, canvas-sized", NULL, 0},
};

/* sizes fixed at infer; the arrays live in one arena scratch buffer */
typedef struct dot_state {
  int cap;       /* points capacity */
  int cap_items; /* bin references */
  int scratch;   /* handle */
  size_t off_bins_prims, off_bins;
  int d_work, d_check; /* CUDA: device scratch and capacity check handles */
  /* this frame, for the tile renders (ysg_tile_ops) */
  const ysg_dot_prim *prims;
  ysg_bins bins;
} dot_state;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* One tile (ysg_tile_ops.render): each pixel composites the tile's dots in ascending point
 * order over transparent in FP32; the tile is stored (FP16) only if some dot gave it alpha. */
YSG_CPU_CLONES static int dot_tile_render(const ysg_node *n, const ysg_tile *t) {
  const dot_state *st = ysg_node_state(n);
  const ysg_bins *b = &st->bins;
  int tile = t->ty * b->tiles_x + t->tx;
  int s = b->start[tile], e = b->start[tile + 1];
  if (s == e) return 0;
  float acc[YSG_TILE * YSG_TILE * 4];
  int x0 = t->x0, y0 = t->y0;
  int xe = x0 + t->w, ye = y0 + t->h; /* exclusive */
  memset(acc, 0, sizeof acc);
  int any = 0;
  for (int k = s; k < e; k++) {
    const ysg_dot_prim *d = &st->prims[b->items[k]];
    /* the pixels the dot can touch: its extent plus the half-diagonal of a pixel */
    float lo_x = floorf(d->cx - d->ext - 1.0f), hi_x = floorf(d->cx + d->ext + 1.0f);
    float lo_y = floorf(d->cy - d->ext - 1.0f), hi_y = floorf(d->cy + d->ext + 1.0f);
    int px0 = lo_x > (float)x0 ? (int)lo_x : x0, px1 = hi_x < (float)(xe - 1) ? (int)hi_x : xe - 1;
    int py0 = lo_y > (float)y0 ? (int)lo_y : y0, py1 = hi_y < (float)(ye - 1) ? (int)hi_y : ye - 1;
    for (int y = py0; y <= py1; y++) {
      float Y0 = (float)y - d->cy;
      float *row = acc + (size_t)(y - y0) * YSG_TILE * 4;
      for (int x = px0; x <= px1; x++) {
        float a = ysg_dot_alpha(d, (float)x - d->cx, Y0);
        if (a > 0.0f) {
          ysg_dot_over(d, a, row + 4 * (x - x0));
          any = 1;
        }
      }
    }
  }
  if (!any) return 0;
  for (int y = 0; y < t->h; y++)
    ysg_floats_to_halves(acc + (size_t)y * YSG_TILE * 4, t->px + (size_t)y * t->stride, 4 * t->w);
  return 1;
}

static void dot_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status dot_infer(ysg_node *n) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  const ysg_value *pts = ysg_node_input(n, 0, 0);
  dot_destroy(n); /* infer runs again when a pipeline is re-planned */
  dot_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->cap = pts && pts->capacity > 0 ? pts->capacity : 0;
  int tiles_x = (cv->width + YSG_TILE - 1) / YSG_TILE,
      tiles_y = (cv->height + YSG_TILE - 1) / YSG_TILE;
  int set = ysg_node_int(n, P_BIN_CAPACITY);
  st->cap_items = set > 0 ? set : (int)ysg_dot_bin_capacity(tiles_x * tiles_y, st->cap);
  size_t cap = (size_t)(st->cap > 0 ? st->cap : 1);
  st->off_bins_prims = align64(cap * sizeof(ysg_dot_prim));
  st->off_bins = st->off_bins_prims + align64(cap * sizeof(ysg_bin_prim));
  size_t bytes = st->off_bins + ysg__bins_bytes(tiles_x, tiles_y, st->cap_items);
  return ysg_node_request_scratch(n, bytes, 0, &st->scratch);
}

/* This frame's settings (both backends draw with them). */
static void read_params(const ysg_node *n, ysg_dot_params *p) {
  memset(p, 0, sizeof *p);
  p->radius = (float)ysg_node_number(n, P_RADIUS);
  p->stroke = (float)ysg_node_number(n, P_STROKE);
  p->fill_opacity = (float)ysg_node_number(n, P_FILL_OPACITY);
  p->opacity = (float)ysg_node_number(n, P_OPACITY);
  p->glow = (float)ysg_node_number(n, P_GLOW);
  p->glow_intensity = (float)ysg_node_number(n, P_GLOW_INTENSITY);
  float straight[4];
  ysg_node_color(n, P_COLOR, straight);
  straight[3] = ysg_clamp01(straight[3]);
  ysg_premultiply(straight, p->color);
  p->shape = ysg_node_enum(n, P_SHAPE);
  p->data_radius = ysg_node_bool(n, P_DATA_RADIUS);
  p->data_colors = ysg_node_bool(n, P_DATA_COLORS);
}

/* Tile rendering (ysg_tile_ops): prepare builds this frame's dots and bins them into tiles (in
 * scratch); dot_tile_render draws one tile. */
static ysg_status dot_tile_prepare(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  dot_state *st = ysg_node_state(n);
  const ysg_value *pts = ysg_node_input(n, 0, 0);
  const ysg_value *out = ysg_node_output(n, 0);
  unsigned char *mem = ysg_node_scratch(n, st->scratch);
  ysg_dot_prim *prims = (ysg_dot_prim *)mem;
  ysg_bin_prim *bp = (ysg_bin_prim *)(mem + st->off_bins_prims);
  ysg__bins_bind(&st->bins, mem + st->off_bins, out->tiles_x, out->tiles_y, st->cap_items);
  ysg_dot_params p;
  read_params(n, &p);
  int count = pts->count < st->cap ? pts->count : st->cap;
  if (count < 0) count = 0;
  for (int i = 0; i < count; i++)
    ysg_dot_make(&p, pts->xy, pts->radius, pts->rgba, pts->attrs, i, out->width, out->height,
                 &prims[i], &bp[i]);
  int64_t need = ysg__bins_build_par(n, &st->bins, bp, count);
  if (need > st->cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "this frame needs %lld tile references, more than the %d it holds "
                               "(raise bin_capacity)",
                               (long long)need, st->cap_items);
  st->prims = prims;
  return YSG_OK;
}

static const ysg_tile_ops dot_tile = {
    .prepare = dot_tile_prepare,
    .render = dot_tile_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_dot_params (read_params, 56 bytes). Device scratch: the launcher's
 * work area (ysg__cuda_dot_work_bytes: dots, footprints, bins, the binner's temp). Check: "tile
 * references (bin_capacity)" against cap_items: the device binner stores the frame's total in
 * it every frame; over capacity every tile is left empty and the engine reports the frame. */
#ifdef YSG_HAVE_CUDA
static ysg_status dot_device_infer(ysg_node *n) {
  dot_state *st = ysg_node_state(n);
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_dot_params))) ||
      (s = ysg_node_request_device_scratch(
           n, ysg__cuda_dot_work_bytes(st->cap, cv->width, cv->height, st->cap_items), 0,
           &st->d_work)))
    return s;
  return ysg_node_request_device_check(n, "tile references (bin_capacity)", st->cap_items,
                                       &st->d_check);
}

static ysg_status dot_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_dot_params *p = ysg_node_param_block(n);
  if (!p) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  read_params(n, p);
  return YSG_OK;
}

static ysg_status dot_device_run(ysg_node *n, void *stream) {
  const dot_state *st = ysg_node_state(n);
  const ysg_value *pts = ysg_node_input_device(n, 0, 0);
  const ysg_value_header *ph = ysg_node_input_header(n, 0, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  void *mem = ysg_node_device_scratch(n, st->d_work);
  int32_t *check = ysg_node_device_check(n, st->d_check);
  const ysg_dot_params *p = ysg_node_param_block_device(n);
  if (!pts || !ph || !out || !mem || !check || !p)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the input or output are missing");
  ysg_cuda_dot_work w;
  ysg__cuda_dot_work_bind(&w, mem, st->cap, out->width, out->height, st->cap_items);
  w.total = check; /* the binner stores the frame's total straight into the check */
  char err[512] = "";
  ysg_status s =
      ysg__cuda_dot(pts->xy, pts->radius, pts->rgba, &ph->count, &ph->attrs, st->cap, p, out->px,
                    out->tiles, out->width, out->height, &w, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* fused into a merge: dot_device_run with no output image only builds and bins */
static ysg_status dot_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  const dot_state *st = ysg_node_state(n);
  void *mem = ysg_node_device_scratch(n, st->d_work);
  if (!mem) return YSG_ERR_INVALID;
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_cuda_dot_work w;
  ysg__cuda_dot_work_bind(&w, mem, st->cap, cv->width, cv->height, st->cap_items);
  ysg__cuda_dot_layer(&w, out);
  return YSG_OK;
}

static const struct ysg_device_fused dot_fused = {YSG_FUSED_DOT, dot_device_run, dot_fused_layer};

static const ysg_device_ops dot_device = {
    .infer = dot_device_infer,
    .prepare = dot_prepare,
    .run = dot_device_run,
    .fused = &dot_fused,
};
#endif

const ysg_node_type ysg__node_dot = {
    .name = "dot",
    .category = "render",
    .doc =
        "Draws a shape at every point: circle, ring, square, diamond, cross or plus of `radius` "
        "(per point from the data's radius unless data_radius=false), filled, or outlined when "
        "`stroke` > 0 (circle/square/diamond: an outline of that width centred on the edge, "
        "mitred, with the inside at `fill_opacity`; ring/cross/plus: the band or arm thickness, "
        "max(1, radius/3) when stroke is 0). Colour from `color` or per point (data_colors), "
        "times `opacity`; later points composite over earlier ones. `glow` adds a soft halo: "
        "alpha = glow_intensity · (1 − (d/glow)²)³ at distance d outside the shape (along both "
        "sides of an outline), clamped to 1, under the shape. Coverage is the exact pixel area "
        "(analytic disc area below 4 px radius, curvature-corrected tangent half-plane above). "
        "Points with a non-finite or beyond-±1e7 coordinate, a NaN, infinite or non-positive "
        "radius (finite radii clamp at 10000), a non-finite colour or zero alpha, or a footprint "
        "off the canvas are skipped.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = dot_infer,
    .run = ysg_node_run_tiles,
    .destroy = dot_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &dot_device,
#endif
    .tile = &dot_tile,
};
