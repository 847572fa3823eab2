/* line.c — the `line` render node: anti-aliased strokes along polylines (`curves`) or straight
 * edges between points (`points` + `edges`), solid, dashed, dotted, dash-dot or with gradient
 * colours, all of one node forming one union shape. The schema, the per-frame settings, shape
 * inference and the frame's tile rendering (ysg_tile_ops, fusable into a merge): build segments
 * -> bin them into tiles -> render a tile (nodes/line_prims.c), with the per-pixel math in
 * nodes/line_math.h shared with cuda/line.cu, which the CUDA backend runs with this frame's
 * ysg_line_frame in the node's parameter block. */
#include <stdint.h>
#include <string.h>

#include "line.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#include "../cuda/line_api.h"
#endif

enum { IN_CURVES, IN_POINTS, IN_EDGES };
enum {
  P_WIDTH,
  P_COLOR,
  P_OPACITY,
  P_STYLE,
  P_DASH,
  P_GAP,
  P_PHASE,
  P_SPACING,
  P_COLOR2,
  P_POINT_COLORS,
  P_BIN_CAPACITY,
  P_CAP,
  P_CAP_START,
  P_CAP_END,
  P_ARROW_LENGTH,
  P_ARROW_WIDTH,
  P_TAPER,
  P_TAPER_OPACITY,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_WIDTH] = {"width", YSG_PARAM_NUMBER, "2", 0, 1000, NULL, 0,
                 "stroke width in px; below 1 px a line fades with its width"},
    [P_COLOR] =
        {"color", YSG_PARAM_COLOR, "#22d3ee", 0, 0, NULL, 0,
         "stroke colour (sRGB \"#rrggbb[aa]\" or {r,g,b[,a]}); the start colour of gradient"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                   "multiplies the whole stroke's alpha"},
    [P_STYLE] = {"style", YSG_PARAM_ENUM, "solid", 0, 0, YSG_LINE_STYLE_CHOICES, YSG_PARAM_STATIC,
                 "solid, dashed (dash/gap), dotted (spacing), dash_dot (dash, gap, dot, gap) or "
                 "gradient (color -> color2, or point colours)"},
    [P_DASH] = {"dash", YSG_PARAM_NUMBER, "12", 0, 100000, NULL, 0,
                "dash length in px along the arc (round caps add width/2 at each end)"},
    [P_GAP] = {"gap", YSG_PARAM_NUMBER, "8", 0, 100000, NULL, 0,
               "gap between dashes (and around dash_dot's dot) in px along the arc; 0: solid"},
    [P_PHASE] = {"phase", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0,
                 "px added to the arc length before the pattern is applied; animate it for "
                 "marching ants"},
    [P_SPACING] = {"spacing", YSG_PARAM_NUMBER, "0", 0, 100000, NULL, 0,
                   "distance between dot centres of dotted in px; 0: 2 × max(width, 1)"},
    [P_COLOR2] = {"color2", YSG_PARAM_COLOR, "#a855f7", 0, 0, NULL, 0,
                  "end colour of gradient (at each edge's second point / each curve's end)"},
    [P_POINT_COLORS] = {"point_colors", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                        "gradient with points that carry rgba: run from point i's colour to "
                        "point j's instead of color -> color2"},
    [P_BIN_CAPACITY] = {"bin_capacity", YSG_PARAM_INT, "0", 0, 1073741823, NULL, YSG_PARAM_STATIC,
                        "segment-in-tile references a frame may hold; 0: max(16 × tiles, 32 × "
                        "segments)"},
    [P_CAP] = {"cap", YSG_PARAM_ENUM, "round", 0, 0, YSG_LINE_CAP_CHOICES, YSG_PARAM_STATIC,
               "ends of every edge and curve: round, butt (flat at the end point) or arrow (a "
               "head whose tip is the end point)"},
    [P_CAP_START] = {"cap_start", YSG_PARAM_ENUM, "round", 0, 0, YSG_LINE_CAP_CHOICES,
                     YSG_PARAM_STATIC,
                     "the end at each curve's first point / edge's point i; unset: cap"},
    [P_CAP_END] = {"cap_end", YSG_PARAM_ENUM, "round", 0, 0, YSG_LINE_CAP_CHOICES, YSG_PARAM_STATIC,
                   "the end at each curve's last point / edge's point j; unset: cap"},
    [P_ARROW_LENGTH] = {"arrow_length", YSG_PARAM_NUMBER, "0", 0, 10000, NULL, 0,
                        "arrow head length in px, tip to base; 0: max(8, 4 × width)"},
    [P_ARROW_WIDTH] = {"arrow_width", YSG_PARAM_NUMBER, "0", 0, 10000, NULL, 0,
                       "arrow head base width in px; 0: max(8, 3 × width)"},
    [P_TAPER] = {"taper", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                 "width factor at each curve's first sample (edge's point i), rising linearly by "
                 "sample index to 1 at the last (trails: 0 thins the oldest end to nothing)"},
    [P_TAPER_OPACITY] = {"taper_opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                         "opacity factor at each curve's first sample (edge's point i), rising "
                         "the same way"},
};

static const ysg_port_def inputs[] = {
    [IN_CURVES] = {"curves", YSG_CURVES, YSG_PORT_OPTIONAL,
                   "polylines to stroke (instead of points + edges)", NULL, 0},
    [IN_POINTS] = {"points", YSG_POINTS, YSG_PORT_OPTIONAL,
                   "end points of the edges (their rgba feeds gradient point_colors)", NULL, 0},
    [IN_EDGES] = {"edges", YSG_EDGES, YSG_PORT_OPTIONAL, "straight lines between points i and j",
                  NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the strokes on transparent, canvas-sized", NULL, 0},
};

/* Memory is planned in infer: one scratch buffer holds the segments, their binning footprints,
 * the gradient colours and the bins. */
typedef struct line_state {
  int scratch;   /* handle */
  int cap_items; /* bin references */
  int gradient;  /* style is gradient: colours are stored per segment */
  size_t off_prims, off_cols, off_bins;
  int warned; /* the out-of-range edges warning was given (once per pipeline) */
  /* this frame, for the tile renders (ysg_tile_ops) */
  int draw; /* 0: nothing to draw (invisible, no segments, or over capacity) */
  ysg_line_frame f;
  ysg_bins bins;
  const ysg_line_seg *segs;
  const float *cols;
  int curves;                       /* the curves form (else points + edges) */
  int heads;                        /* arrow heads: 2 more slots per edge or curve */
  int d_scratch, d_status, d_check; /* CUDA: device scratch and capacity check handles */
} line_state;

static size_t align64(size_t x) { return (x + 63) / 64 * 64; }

void ysg__line_frame_setup(ysg_line_frame *f, const ysg_line_settings *s, int width, int height,
                           int points_rgba) {
  memset(f, 0, sizeof *f);
  double w = s->width > 0.0 ? (s->width < 1000.0 ? s->width : 1000.0) : 0.0; /* NaN -> 0 */
  float op = ysg_clamp01((float)s->opacity);
  f->half = 0.5f * (float)w;
  f->cutoff = f->half + YSG_LINE_REACH;
  f->bin_r = f->half + YSG_AA_MARGIN;
  f->clip = f->bin_r + 2.0f;
  f->opacity = op;
  float c1[4], c2[4];
  memcpy(c1, s->color, sizeof c1);
  memcpy(c2, s->color2, sizeof c2);
  c1[3] = ysg_clamp01(c1[3]);
  c2[3] = ysg_clamp01(c2[3]);
  ysg_premultiply(c1, f->color);
  ysg_premultiply(c2, f->color2);
  for (int c = 0; c < 4; c++) {
    f->color[c] *= op;
    f->color2[c] *= op;
  }
  double dash = s->dash > 0.0 ? s->dash : 0.0, gap = s->gap > 0.0 ? s->gap : 0.0;
  switch (s->style) {
    case YSG_LINE_DASHED:
      if (gap > 0.0) {
        f->period = (float)(dash + gap);
        f->n_on = 1;
        f->on_len[0] = (float)dash;
      }
      break;
    case YSG_LINE_DOTTED: {
      double sp = s->spacing > 0.0 ? s->spacing : 2.0 * (w > 1.0 ? w : 1.0);
      f->period = (float)sp;
      f->n_on = 1; /* one dot (length 0) at the start of each period */
      break;
    }
    case YSG_LINE_DASH_DOT:
      if (gap > 0.0) {
        f->period = (float)(dash + 2.0 * gap);
        f->n_on = 2;
        f->on_len[0] = (float)dash;
        f->on_start[1] = (float)(dash + gap);
      }
      break;
    case YSG_LINE_GRADIENT:
      f->gradient = 1;
      f->point_colors = s->point_colors && points_rgba;
      break;
    default:
      break;
  }
  /* the pattern only sees phase modulo the period; reduce it in double precision here */
  if (f->period > 0.0f) {
    double p = (double)f->period, ph = isfinite(s->phase) ? s->phase : 0.0;
    f->phase = (float)(ph - p * floor(ph / p));
  }
  f->width = width;
  f->height = height;
  f->cap[0] = s->cap_start;
  f->cap[1] = s->cap_end;
  f->heads = s->cap_start == YSG_CAP_ARROW || s->cap_end == YSG_CAP_ARROW;
  double wl = w > 1.0 ? w : 1.0;
  double al = s->arrow_length > 0.0 ? s->arrow_length : (4.0 * wl > 8.0 ? 4.0 * wl : 8.0);
  double aw = s->arrow_width > 0.0 ? s->arrow_width : (3.0 * wl > 8.0 ? 3.0 * wl : 8.0);
  f->head_len = (float)(al < 10000.0 ? al : 10000.0);
  f->head_half = (float)(0.5 * (aw < 10000.0 ? aw : 10000.0));
  f->taper_w = ysg_clamp01((float)s->taper);
  f->taper_o = ysg_clamp01((float)s->taper_opacity);
  f->shaped = s->cap_start != YSG_CAP_ROUND || s->cap_end != YSG_CAP_ROUND || f->taper_w < 1.0f ||
              f->taper_o < 1.0f;
  f->visible = ysg__line_visible(f);
}

int ysg__line_visible(const ysg_line_frame *f) {
  if (!(f->half > 0.0f) || !(f->opacity > 0.0f)) return 0;
  if (f->gradient) return f->point_colors || f->color[3] > 0.0f || f->color2[3] > 0.0f;
  return f->color[3] > 0.0f;
}

static void read_settings(const ysg_node *n, ysg_line_settings *s) {
  s->style = ysg_node_enum(n, P_STYLE);
  s->width = ysg_node_number(n, P_WIDTH);
  s->opacity = ysg_node_number(n, P_OPACITY);
  s->dash = ysg_node_number(n, P_DASH);
  s->gap = ysg_node_number(n, P_GAP);
  s->phase = ysg_node_number(n, P_PHASE);
  s->spacing = ysg_node_number(n, P_SPACING);
  ysg_node_color(n, P_COLOR, s->color);
  ysg_node_color(n, P_COLOR2, s->color2);
  s->point_colors = ysg_node_bool(n, P_POINT_COLORS);
  int cap = ysg_node_enum(n, P_CAP);
  s->cap_start = ysg_node_param_is_set(n, P_CAP_START) ? ysg_node_enum(n, P_CAP_START) : cap;
  s->cap_end = ysg_node_param_is_set(n, P_CAP_END) ? ysg_node_enum(n, P_CAP_END) : cap;
  s->arrow_length = ysg_node_number(n, P_ARROW_LENGTH);
  s->arrow_width = ysg_node_number(n, P_ARROW_WIDTH);
  s->taper = ysg_node_number(n, P_TAPER);
  s->taper_opacity = ysg_node_number(n, P_TAPER_OPACITY);
}

static void line_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

ysg_status ysg__path_inputs(ysg_node *n, int in_curves, int in_points, int in_edges, int *curves) {
  int c = ysg_node_input_count(n, in_curves) > 0, p = ysg_node_input_count(n, in_points) > 0,
      e = ysg_node_input_count(n, in_edges) > 0;
  *curves = c;
  if (!((c && !p && !e) || (!c && p && e))) {
    static const char *const got[8] = {"nothing",
                                       "'curves' and nothing else",
                                       "'points' without 'edges'",
                                       "'curves' and 'points'",
                                       "'edges' without 'points'",
                                       "'curves' and 'edges'",
                                       "",
                                       "'curves', 'points' and 'edges'"};
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "inputs: expected either 'curves' or both 'points' and 'edges', got %s",
                         got[c | p << 1 | e << 2]);
  }
  return YSG_OK;
}

static ysg_status line_infer(ysg_node *n) {
  int c;
  ysg_status pst = ysg__path_inputs(n, IN_CURVES, IN_POINTS, IN_EDGES, &c);
  if (pst) return pst;
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  ysg_line_settings set;
  read_settings(n, &set);
  int heads = set.cap_start == YSG_CAP_ARROW || set.cap_end == YSG_CAP_ARROW;
  int64_t cap;
  if (c) {
    const ysg_value *v = ysg_node_input(n, IN_CURVES, 0);
    cap = (int64_t)(v->capacity > 0 ? v->capacity : 0) * ysg_line_curve_slots(heads, v->samples);
  } else {
    const ysg_value *v = ysg_node_input(n, IN_EDGES, 0);
    cap = (int64_t)(v->capacity > 0 ? v->capacity : 0) * ysg_line_edge_slots(heads);
  }
  if (cap > (int64_t)1 << 26)
    return ysg_node_fail(n, YSG_ERR_LIMIT,
                         "inputs: %lld segments (capacity × segments per curve), at most %d "
                         "are supported",
                         (long long)cap, 1 << 26);
  int tiles_x = (cv->width + YSG_TILE - 1) / YSG_TILE,
      tiles_y = (cv->height + YSG_TILE - 1) / YSG_TILE;
  int64_t n_tiles = (int64_t)tiles_x * tiles_y;
  int64_t items = ysg_node_int(n, P_BIN_CAPACITY);
  if (items <= 0) {
    items = 16 * n_tiles > 32 * cap ? 16 * n_tiles : 32 * cap;
    if (items > 1073741823) items = 1073741823;
  }
  line_destroy(n); /* infer may run again when a pipeline is re-planned */
  line_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->cap_items = (int)items;
  st->curves = c;
  st->heads = heads;
  st->gradient = ysg_node_enum(n, P_STYLE) == YSG_LINE_GRADIENT;
  size_t slots = (size_t)(cap > 0 ? cap : 1);
  st->off_prims = align64(slots * sizeof(ysg_line_seg));
  st->off_cols = st->off_prims + align64(slots * sizeof(ysg_bin_prim));
  st->off_bins = st->off_cols + (st->gradient ? align64(slots * 8 * sizeof(float)) : 0);
  size_t bytes = st->off_bins + ysg__bins_bytes(tiles_x, tiles_y, st->cap_items);
  return ysg_node_request_scratch(n, bytes, 0, &st->scratch);
}

/* This frame's ysg_line_frame (both backends draw with it). points_rgba: the points carry
 * colours (the device passes whether they may; its kernel checks the attributes). */
static void line_frame(const ysg_node *n, int width, int height, int points_rgba,
                       ysg_line_frame *f) {
  ysg_line_settings set;
  read_settings(n, &set);
  ysg__line_frame_setup(f, &set, width, height, points_rgba);
}

/* Tile rendering (ysg_tile_ops): prepare builds this frame's segments and bins them into tiles
 * (in scratch), render draws one tile from its bin (nodes/line_prims.c). */
static ysg_status line_tile_prepare(ysg_node *n, const ysg_frame *frame) {
  line_state *st = ysg_node_state(n);
  const ysg_value *out = ysg_node_output(n, 0);
  const ysg_value *curves = ysg_node_input(n, IN_CURVES, 0);
  const ysg_value *points = curves ? NULL : ysg_node_input(n, IN_POINTS, 0);
  const ysg_value *edges = curves ? NULL : ysg_node_input(n, IN_EDGES, 0);
  st->draw = 0;
  line_frame(n, out->width, out->height, points && (points->attrs & YSG_ATTR_RGBA) && points->rgba,
             &st->f);
  unsigned char *mem = ysg_node_scratch(n, st->scratch);
  ysg_line_seg *segs = (ysg_line_seg *)mem;
  ysg_bin_prim *prims = (ysg_bin_prim *)(mem + st->off_prims);
  float *cols = st->gradient ? (float *)(mem + st->off_cols) : NULL;
  int n_slots = 0;
  int skipped = ysg__line_build(n, &st->f, curves, points, edges, segs, prims, cols, &n_slots);
  if (skipped && !st->warned) {
    st->warned = 1;
    ysg_node_log(n, YSG_LOG_WARN,
                 "frame %d: %d of %d edges name a point outside 0..%d (the points of this "
                 "frame); such edges are skipped, and this is reported once",
                 frame->index, skipped, edges->count, points->count - 1);
  }
  if (!ysg__line_visible(&st->f) || n_slots == 0) return YSG_OK;
  ysg__bins_bind(&st->bins, mem + st->off_bins, out->tiles_x, out->tiles_y, st->cap_items);
  int64_t need = ysg__bins_build_par(n, &st->bins, prims, n_slots);
  if (need > st->cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "frame %d needs %lld segment-in-tile references, more than the "
                               "%d planned; raise bin_capacity",
                               frame->index, (long long)need, st->cap_items);
  st->segs = segs;
  st->cols = st->f.gradient ? cols : NULL;
  st->draw = 1;
  return YSG_OK;
}

static int line_tile_render(const ysg_node *n, const ysg_tile *t) {
  const line_state *st = ysg_node_state(n);
  if (!st->draw) return 0;
  return ysg__line_tile(&st->f, st->segs, st->cols, &st->bins, t);
}

static const ysg_tile_ops line_tile = {
    .prepare = line_tile_prepare,
    .render = line_tile_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_line_frame (line_frame). Device scratch: the launcher's work area
 * (ysg__cuda_line_scratch_bytes) and its 2 status words. Check: "segment-in-tile references
 * (bin_capacity)" against cap_items, fed every frame by a D2D copy of status[0]; over capacity
 * nothing is drawn. A frame that draws nothing (frame.visible 0: zero width, opacity or colours)
 * bins nothing, as on the CPU. Difference from the CPU path: the skipped-edge warning has no
 * device counterpart (status[1] is not read back). */
#ifdef YSG_HAVE_CUDA
/* The launcher's view of the inputs; in infer (shapes only, no device arrays yet) a non-NULL
 * marker stands for d_curves_xy, which only selects the curves form there. */
static void line_dev_inputs(const ysg_node *n, const line_state *st, int shapes,
                            ysg_line_dev_inputs *in) {
  memset(in, 0, sizeof *in);
  in->heads = st->heads;
  if (st->curves) {
    const ysg_value *c =
        shapes ? ysg_node_input(n, IN_CURVES, 0) : ysg_node_input_device(n, IN_CURVES, 0);
    const ysg_value_header *ch = shapes ? NULL : ysg_node_input_header(n, IN_CURVES, 0);
    in->d_curves_xy = shapes ? (const float *)(const void *)st : c->xy;
    in->d_n_curves = ch ? &ch->count : NULL;
    in->cap_curves = c->capacity > 0 ? c->capacity : 0;
    in->samples = c->samples;
  } else {
    const ysg_value *p =
        shapes ? ysg_node_input(n, IN_POINTS, 0) : ysg_node_input_device(n, IN_POINTS, 0);
    const ysg_value *e =
        shapes ? ysg_node_input(n, IN_EDGES, 0) : ysg_node_input_device(n, IN_EDGES, 0);
    const ysg_value_header *ph = shapes ? NULL : ysg_node_input_header(n, IN_POINTS, 0);
    const ysg_value_header *eh = shapes ? NULL : ysg_node_input_header(n, IN_EDGES, 0);
    in->d_points_xy = shapes ? NULL : p->xy;
    in->d_points_rgba = shapes ? NULL : p->rgba;
    in->d_n_points = ph ? &ph->count : NULL;
    in->d_points_attrs = ph ? &ph->attrs : NULL;
    in->d_edges_ij = shapes ? NULL : e->ij;
    in->d_n_edges = eh ? &eh->count : NULL;
    in->cap_edges = e->capacity > 0 ? e->capacity : 0;
  }
}

static size_t line_dev_bytes(const ysg_node *n, const line_state *st) {
  ysg_line_dev_inputs in;
  line_dev_inputs(n, st, 1, &in);
  const ysg_canvas *cv = ysg_node_canvas(n);
  return ysg__cuda_line_scratch_bytes(&in, (cv->width + YSG_TILE - 1) / YSG_TILE,
                                      (cv->height + YSG_TILE - 1) / YSG_TILE, st->cap_items);
}

static ysg_status line_device_infer(ysg_node *n) {
  line_state *st = ysg_node_state(n);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_line_frame))) ||
      (s = ysg_node_request_device_scratch(n, line_dev_bytes(n, st), 0, &st->d_scratch)) ||
      (s = ysg_node_request_device_scratch(n, 2 * sizeof(int32_t), 0, &st->d_status)))
    return s;
  return ysg_node_request_device_check(n, "segment-in-tile references (bin_capacity)",
                                       st->cap_items, &st->d_check);
}

static ysg_status line_prepare(ysg_node *n, const ysg_frame *fr) {
  (void)fr;
  const line_state *st = ysg_node_state(n);
  ysg_line_frame *f = ysg_node_param_block(n);
  const ysg_value *out = ysg_node_output_device(n, 0);
  if (!f || !out) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  const ysg_value *points = st->curves ? NULL : ysg_node_input_device(n, IN_POINTS, 0);
  line_frame(n, out->width, out->height, points && points->rgba, f);
  return YSG_OK;
}

static ysg_status line_device_run(ysg_node *n, void *stream) {
  const line_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output_device(n, 0);
  void *scratch = ysg_node_device_scratch(n, st->d_scratch);
  int32_t *status = ysg_node_device_scratch(n, st->d_status);
  int32_t *check = ysg_node_device_check(n, st->d_check);
  const ysg_line_frame *f = ysg_node_param_block_device(n);
  int ok = out && scratch && status && check && f;
  if (ok && st->curves)
    ok = ysg_node_input_device(n, IN_CURVES, 0) && ysg_node_input_header(n, IN_CURVES, 0);
  else if (ok)
    ok = ysg_node_input_device(n, IN_POINTS, 0) && ysg_node_input_header(n, IN_POINTS, 0) &&
         ysg_node_input_device(n, IN_EDGES, 0) && ysg_node_input_header(n, IN_EDGES, 0);
  if (!ok)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the inputs or output are missing");
  ysg_line_dev_inputs in;
  line_dev_inputs(n, st, 0, &in);
  char err[512] = "";
  ysg_status s;
  if ((s = ysg__cuda_line(out->px, out->tiles, out->width, out->height, &in, f, st->cap_items,
                          scratch, line_dev_bytes(n, st), status, stream, err, sizeof err)) ||
      (s = ysg__cuda_copy(check, status, sizeof(int32_t), stream, err, sizeof err)))
    return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

/* fused into a merge: line_device_run with no output image only builds and bins (its device
 * output view has no pixels); the merge's kernel renders the tiles from these addresses */
static ysg_status line_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  const line_state *st = ysg_node_state(n);
  void *scratch = ysg_node_device_scratch(n, st->d_scratch);
  const ysg_line_frame *f = ysg_node_param_block_device(n);
  if (!scratch || !f) return YSG_ERR_INVALID;
  ysg_line_dev_inputs in;
  line_dev_inputs(n, st, 1, &in);
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg__cuda_line_layer(&in, (cv->width + YSG_TILE - 1) / YSG_TILE,
                       (cv->height + YSG_TILE - 1) / YSG_TILE, st->cap_items, scratch, f, out);
  return YSG_OK;
}

static const struct ysg_device_fused line_fused = {YSG_FUSED_LINE, line_device_run,
                                                   line_fused_layer};

static const ysg_device_ops line_device = {
    .infer = line_device_infer,
    .prepare = line_prepare,
    .run = line_device_run,
    .fused = &line_fused,
};
#endif

const ysg_node_type ysg__node_line = {
    .name = "line",
    .category = "render",
    .doc =
        "Anti-aliased strokes along polylines (`curves`) or straight edges between `points` "
        "(`edges`), all of one node forming one union shape: coverage is that of the nearest "
        "stroke, so joints and crossings never double-blend. Coverage is the exact pixel area "
        "of the stroke beside straight parts, integrated across ends (widths below 1 px fade "
        "with the width). Ends (`cap`, or `cap_start`/`cap_end`): round, butt or arrow — a "
        "triangular head whose tip is the end point, pointing along the end segment (a curve's "
        "end tangent), the stroke stopping under it; heads are part of the union shape, their "
        "coverage the exact pixel-triangle area. `taper`/`taper_opacity` thin and fade each "
        "curve from its first sample to its last (by sample index: a trail's age). Styles: "
        "solid, dashed, dotted, dash_dot and gradient; patterns are measured along each "
        "curve's or edge's arc length and restart at its start, shifted by `phase` (as SVG's "
        "dash offset); dash ends are round. Rules: segments with a NaN or infinite end are "
        "skipped and add no arc length (a break: its ends are round, or butt with butt caps); "
        "huge finite coordinates are clipped to the canvas in double precision; edges naming a "
        "point beyond this frame's points are skipped and reported once as a warning; a curve "
        "whose length is 0 draws one dot when both ends are round, nothing otherwise.",
    .inputs = inputs,
    .n_inputs = 3,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = line_infer,
    .run = ysg_node_run_tiles,
    .destroy = line_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &line_device,
#endif
    .tile = &line_tile,
};
