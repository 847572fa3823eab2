/* polygon.c — the `polygon` render node: filled and/or stroked polygons whose vertices are points
 * (consecutive points with the same id form one polygon, in order; a CSV via `points`, the host
 * via points_in). A frame is prepared once — polygons grouped, edges clipped, each polygon's tiles
 * and the per-tile carries of its fill (nodes/polygon_math.h), edges and polygons binned — and
 * then rendered tile by tile (ysg_tile_ops, run by ysg_node_run_tiles or fused into a merge:
 * every tile depends only on what prepare built), the polygons composited "over" in order, each as
 * fill then stroke. cuda/polygon.cu runs the same math on the device. */
#include <string.h>

#include "bins.h"
#include "line.h"
#include "polygon_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/polygon_api.h"
#endif

enum {
  P_FILL,
  P_FILL_OPACITY,
  P_COLOR,
  P_WIDTH,
  P_OPACITY,
  P_FILL_RULE,
  P_POINT_COLORS,
  P_BIN_CAPACITY,
  P_TILE_CAPACITY,
  N_PARAMS
};

static const ysg_param_def params[N_PARAMS] = {
    [P_FILL] = {"fill", YSG_PARAM_COLOR, "#22d3ee", 0, 0, NULL, 0, "fill colour (sRGB)"},
    [P_FILL_OPACITY] = {"fill_opacity", YSG_PARAM_NUMBER, "0.35", 0, 1, NULL, 0,
                        "multiplies the fill's alpha; 0: outline only"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#22d3ee", 0, 0, NULL, 0, "stroke colour (sRGB)"},
    [P_WIDTH] = {"width", YSG_PARAM_NUMBER, "2", 0, 1000, NULL, 0,
                 "stroke width in px, centred on the outline (round joins); 0: fill only"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                   "multiplies the stroke's alpha"},
    [P_FILL_RULE] = {"fill_rule", YSG_PARAM_ENUM, "nonzero", 0, 0, YSG_FILL_RULE_CHOICES, 0,
                     "nonzero: inside where the outline winds around; evenodd: where it crosses "
                     "an odd number of times"},
    [P_POINT_COLORS] = {"point_colors", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                        "vertices that carry rgba colour their polygon (its first vertex's "
                        "colour, for fill and stroke, times their opacities)"},
    [P_BIN_CAPACITY] = {"bin_capacity", YSG_PARAM_INT, "0", 0, 1073741823, NULL, YSG_PARAM_STATIC,
                        "edge-in-tile references a frame may hold; 0: max(16 × tiles, 32 × "
                        "vertices)"},
    [P_TILE_CAPACITY] = {"tile_capacity", YSG_PARAM_INT, "0", 0, 67108863, NULL, YSG_PARAM_STATIC,
                         "polygon-in-tile entries a frame may hold (each polygon's bounding "
                         "tiles); 0: max(4 × tiles, 64 × vertices / 3)"},
};

static const ysg_port_def inputs[] = {
    {"points", YSG_POINTS, 0,
     "the vertices in order; consecutive points with the same id form one polygon (without ids: "
     "all points form one)",
     NULL, 0},
};
static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the polygons on transparent, canvas-sized", NULL, 0},
};

typedef struct poly_state {
  int cap_v; /* vertices (= edge slots = polygon slots) */
  int cap_items, cap_tiles;
  int scratch;
  size_t off_segs, off_eprims, off_polys, off_pprims, off_ebins, off_pbins, off_carry;
  /* this frame (prepare -> render) */
  ysg_poly_frame f;
  int n_polys;
  ysg_poly_edge *edges;
  ysg_line_seg *segs;
  ysg_poly_info *polys;
  int32_t *carry;
  ysg_bins ebins, pbins;
  int warned;
  int d_scratch, d_status, d_check_items, d_check_tiles; /* CUDA */
} poly_state;

static size_t al64(size_t x) { return (x + 63) / 64 * 64; }

static void poly_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status poly_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  int tx = (cv->width + YSG_TILE - 1) / YSG_TILE, ty = (cv->height + YSG_TILE - 1) / YSG_TILE;
  int64_t nt = (int64_t)tx * ty, cap_v = in->capacity > 0 ? in->capacity : 1;
  if (cap_v > (int64_t)1 << 24)
    return ysg_node_fail(n, YSG_ERR_LIMIT,
                         "points: capacity %lld, at most %d vertices are "
                         "supported",
                         (long long)cap_v, 1 << 24);
  int64_t items = ysg_node_int(n, P_BIN_CAPACITY), tiles = ysg_node_int(n, P_TILE_CAPACITY);
  if (items <= 0) items = 16 * nt > 32 * cap_v ? 16 * nt : 32 * cap_v;
  if (tiles <= 0) tiles = 4 * nt > 64 * cap_v / 3 ? 4 * nt : 64 * cap_v / 3;
  if (items > 1073741823) items = 1073741823;
  if (tiles > 67108863) tiles = 67108863;
  poly_destroy(n); /* infer may run again when a pipeline is re-planned */
  poly_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->cap_v = (int)cap_v;
  st->cap_items = (int)items;
  st->cap_tiles = (int)tiles;
  size_t v = (size_t)cap_v;
  st->off_segs = al64(v * sizeof(ysg_poly_edge));
  st->off_eprims = st->off_segs + al64(v * sizeof(ysg_line_seg));
  st->off_polys = st->off_eprims + al64(v * sizeof(ysg_bin_prim));
  st->off_pprims = st->off_polys + al64(v * sizeof(ysg_poly_info));
  st->off_ebins = st->off_pprims + al64(v * sizeof(ysg_bin_prim));
  st->off_pbins = st->off_ebins + al64(ysg__bins_bytes(tx, ty, st->cap_items));
  st->off_carry = st->off_pbins + al64(ysg__bins_bytes(tx, ty, st->cap_tiles));
  size_t bytes = st->off_carry + (size_t)st->cap_tiles * YSG_TILE * sizeof(int32_t);
  return ysg_node_request_scratch(n, bytes, 0, &st->scratch);
}

/* This frame's settings (both backends draw with them). */
static void poly_frame(const ysg_node *n, int width, int height, int point_rgba,
                       ysg_poly_frame *f) {
  memset(f, 0, sizeof *f);
  ysg_line_settings ls;
  memset(&ls, 0, sizeof ls);
  ls.style = YSG_LINE_SOLID;
  ls.width = ysg_node_number(n, P_WIDTH);
  ls.opacity = 1.0;
  ls.taper = ls.taper_opacity = 1.0;
  ysg_node_color(n, P_COLOR, ls.color);
  memcpy(ls.color2, ls.color, sizeof ls.color);
  ysg__line_frame_setup(&f->line, &ls, width, height, 0);
  float fc[4], sc[4];
  ysg_node_color(n, P_FILL, fc);
  ysg_node_color(n, P_COLOR, sc);
  f->fill_opacity = ysg_clamp01((float)ysg_node_number(n, P_FILL_OPACITY));
  f->opacity = ysg_clamp01((float)ysg_node_number(n, P_OPACITY));
  fc[3] = ysg_clamp01(fc[3]);
  sc[3] = ysg_clamp01(sc[3]);
  ysg_premultiply(fc, f->fill);
  ysg_premultiply(sc, f->stroke);
  for (int c = 0; c < 4; c++) {
    f->fill[c] *= f->fill_opacity;
    f->stroke[c] *= f->opacity;
  }
  f->evenodd = ysg_node_enum(n, P_FILL_RULE) == YSG_FILL_EVENODD;
  f->point_colors = ysg_node_bool(n, P_POINT_COLORS) && point_rgba;
  f->do_fill = f->fill_opacity > 0.0f && (f->point_colors || f->fill[3] > 0.0f);
  f->do_stroke =
      f->line.half > 0.0f && f->opacity > 0.0f && (f->point_colors || f->stroke[3] > 0.0f);
  f->margin = f->line.clip;
  f->reach = f->line.half + YSG_AA_MARGIN;
  f->width = width;
  f->height = height;
  f->tiles_x = (width + YSG_TILE - 1) / YSG_TILE;
  f->tiles_y = (height + YSG_TILE - 1) / YSG_TILE;
}

/* ---- prepare --------------------------------------------------------------------------------- */

typedef struct prep_job {
  poly_state *st;
  const float *xy, *rgba;
  ysg_bin_prim *eprims, *pprims;
} prep_job;

/* per polygon: colours, tiles, edges (its inside parts, left parts and stroke segments) */
static void build_polys(void *ud, int b, int e) {
  const prep_job *j = ud;
  poly_state *st = j->st;
  const ysg_poly_frame *f = &st->f;
  for (int i = b; i < e; i++) {
    ysg_poly_info *p = &st->polys[i];
    ysg_poly_colors(f, j->rgba, p->v0, p->fill, p->stroke);
    ysg_poly_tiles(f, j->xy, p);
    ysg_poly_bin_prim(p, &j->pprims[i]);
    for (int k = p->v0; k < p->v1; k++) {
      int q = k + 1 < p->v1 ? k + 1 : p->v0;
      float ax = j->xy[2 * k], ay = j->xy[2 * k + 1], bx = j->xy[2 * q], by = j->xy[2 * q + 1];
      ysg_poly_edge_build(f, ax, ay, bx, by, i, &st->edges[k]);
      ysg_line_piece(&f->line, ax, ay, bx, by, ysg_line_len(ax, ay, bx, by), 0.0, f->stroke,
                     f->stroke, 0.0f, 1.0f, 0, NULL, &st->segs[k], &j->eprims[k], NULL);
      if (!p->bw) j->eprims[k].kind = -1;
    }
  }
}

/* per polygon: its carries (deltas at the first tile column that sees a row part, then a prefix
 * sum along each tile row) */
static void carry_polys(void *ud, int b, int e) {
  const prep_job *j = ud;
  poly_state *st = j->st;
  const ysg_poly_frame *f = &st->f;
  for (int i = b; i < e; i++) {
    const ysg_poly_info *p = &st->polys[i];
    if (!p->bw || !f->do_fill) continue;
    int32_t *c = st->carry + (size_t)p->carry * YSG_TILE;
    memset(c, 0, sizeof(int32_t) * YSG_TILE * (size_t)p->bw * (size_t)p->bh);
    float m = f->margin;
    for (int k = p->v0; k < p->v1; k++) {
      const ysg_poly_edge *ed = &st->edges[k];
      if (ed->inside) ysg_poly_deposit(f, p, ed->x0, ed->y0, ed->x1, ed->y1, st->carry, 0);
      if (ed->ly0 != ed->ly1) ysg_poly_deposit(f, p, -m, ed->ly0, -m, ed->ly1, st->carry, 0);
    }
    for (int ty = 0; ty < p->bh; ty++)
      for (int r = 0; r < YSG_TILE; r++) {
        int32_t run = 0;
        for (int tx = 0; tx < p->bw; tx++) {
          int32_t *v = c + ((size_t)ty * (size_t)p->bw + (size_t)tx) * YSG_TILE + r;
          run += *v;
          *v = run;
        }
      }
  }
}

static ysg_status poly_prepare(ysg_node *n, const ysg_frame *frame) {
  poly_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  unsigned char *mem = ysg_node_scratch(n, st->scratch);
  const float *rgba = (in->attrs & YSG_ATTR_RGBA) ? in->rgba : NULL;
  poly_frame(n, cv->width, cv->height, rgba != NULL, &st->f);
  const ysg_poly_frame *f = &st->f;
  st->edges = (ysg_poly_edge *)mem;
  st->segs = (ysg_line_seg *)(mem + st->off_segs);
  st->polys = (ysg_poly_info *)(mem + st->off_polys);
  st->carry = (int32_t *)(mem + st->off_carry);
  ysg_bin_prim *eprims = (ysg_bin_prim *)(mem + st->off_eprims);
  ysg_bin_prim *pprims = (ysg_bin_prim *)(mem + st->off_pprims);
  ysg__bins_bind(&st->ebins, mem + st->off_ebins, f->tiles_x, f->tiles_y, st->cap_items);
  ysg__bins_bind(&st->pbins, mem + st->off_pbins, f->tiles_x, f->tiles_y, st->cap_tiles);
  int nv = in->count < st->cap_v ? in->count : st->cap_v;
  nv = nv > 0 && (f->do_fill || f->do_stroke) ? nv : 0;
  /* polygons: runs of equal ids; fewer than 3 vertices or a non-finite one: not drawn */
  const int32_t *id = (in->attrs & YSG_ATTR_ID) ? in->id : NULL;
  int np = 0, skipped = 0, skip_id = 0, skip_n = 0;
  for (int k = 0; k < nv;) {
    int e = k + 1, finite = ysg_line_finite2(in->xy[2 * k], in->xy[2 * k + 1]);
    while (e < nv && (!id || id[e] == id[k]))
      finite &= ysg_line_finite2(in->xy[2 * e], in->xy[2 * e + 1]), e++;
    if (e - k >= 3 && finite) {
      ysg_poly_info *p = &st->polys[np++];
      memset(p, 0, sizeof *p);
      p->v0 = k;
      p->v1 = e;
      p->id = id ? id[k] : 0;
    } else {
      if (!skipped++) {
        skip_id = id ? id[k] : 0;
        skip_n = e - k;
      }
      for (int q = k; q < e; q++) {
        st->edges[q].poly = -1;
        st->edges[q].inside = 0;
        ysg_line_cull(&st->segs[q], &eprims[q]);
      }
    }
    k = e;
  }
  if (skipped && !st->warned) {
    st->warned = 1;
    ysg_node_log(n, YSG_LOG_WARN,
                 "frame %d: %d polygons are not drawn (the first: id %d, %d vertices): a polygon "
                 "needs 3 or more finite vertices; reported once",
                 frame->index, skipped, skip_id, skip_n);
  }
  st->n_polys = np;
  prep_job j = {st, in->xy, rgba, eprims, pprims};
  ysg_node_parallel_for(n, np, 64, build_polys, &j);
  int64_t total = 0;
  for (int i = 0; i < np; i++) {
    st->polys[i].carry = (int32_t)(total < st->cap_tiles ? total : st->cap_tiles);
    total += (int64_t)st->polys[i].bw * st->polys[i].bh;
  }
  int64_t need_p = ysg__bins_build(&st->pbins, pprims, total <= st->cap_tiles ? np : 0);
  if (total > st->cap_tiles || need_p > st->cap_tiles) {
    st->n_polys = 0;
    return ysg_node_param_fail(n, P_TILE_CAPACITY, YSG_ERR_LIMIT,
                               "frame %d needs %lld polygon-in-tile entries, more than the %d "
                               "planned; raise tile_capacity",
                               frame->index, (long long)total, st->cap_tiles);
  }
  ysg_node_parallel_for(n, np, 4, carry_polys, &j);
  int64_t need_e = ysg__bins_build(&st->ebins, eprims, nv);
  if (need_e > st->cap_items) {
    st->n_polys = 0;
    ysg__bins_build(&st->pbins, pprims, 0);
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "frame %d needs %lld edge-in-tile references, more than the %d "
                               "planned; raise bin_capacity",
                               frame->index, (long long)need_e, st->cap_items);
  }
  return YSG_OK;
}

/* ---- one tile -------------------------------------------------------------------------------- */

/* Composite a fill colour over one tile row of floats by coverage ysg_poly_rule(acc): the rule
 * and the "over" written out as whole-row loops (a coverage of 0 leaves a pixel as it is, as the
 * device's per-pixel test does). */
static void fill_row(const ysg_poly_frame *f, const float col[4], const float *acc, float *o,
                     int w) {
  float cov[YSG_TILE];
  if (f->evenodd)
    for (int x = 0; x < YSG_TILE; x++) {
      float e = fabsf(acc[x]);
      e -= 2.0f * floorf(0.5f * e);
      cov[x] = e <= 1.0f ? e : 2.0f - e;
    }
  else
    for (int x = 0; x < YSG_TILE; x++) {
      float e = fabsf(acc[x]);
      cov[x] = e < 1.0f ? e : 1.0f;
    }
  int any = 0;
  for (int x = 0; x < YSG_TILE; x++) any |= cov[x] > 0.0f;
  if (!any) return;
  float c0 = col[0], c1 = col[1], c2 = col[2], c3 = col[3];
  for (int x = 0; x < w; x++) {
    float c = cov[x], k = 1.0f - c3 * c;
    o[4 * x] = c0 * c + o[4 * x] * k;
    o[4 * x + 1] = c1 * c + o[4 * x + 1] * k;
    o[4 * x + 2] = c2 * c + o[4 * x + 2] * k;
    o[4 * x + 3] = c3 * c + o[4 * x + 3] * k;
  }
}

/* The outline's nearest edge per pixel of the tile (idx -1: none within the stroke's reach),
 * over whole 16-lane rows of the rows each edge can reach: ysg_line_d2 of a solid stroke, written
 * out so that it vectorises (as the line node's visit_rows_solid). */
static void stroke_nearest(const ysg_poly_frame *f, const ysg_line_seg *segs, const int32_t *items,
                           int n, const ysg_tile *t, float *d2, int32_t *idx) {
  float R = f->line.cutoff;
  for (int k = 0; k < YSG_TILE * YSG_TILE; k++) {
    d2[k] = R * R;
    idx[k] = -1;
  }
  for (int q = 0; q < n; q++) {
    const ysg_line_seg *s = &segs[items[q]];
    float ax = s->ax, ay = s->ay, ux = s->ux, uy = s->uy, len = s->len;
    float by = ay + len * uy;
    float ylo = (ay < by ? ay : by) - R, yhi = (ay < by ? by : ay) + R;
    float fa = ceilf(ylo - 0.5f - (float)t->y0), fb = floorf(yhi - 0.5f - (float)t->y0);
    int ya = fa < 0.0f ? 0 : (int)fa, yb = fb > (float)(t->h - 1) ? t->h - 1 : (int)fb;
    float qx[YSG_TILE];
    for (int x = 0; x < YSG_TILE; x++) qx[x] = (float)(t->x0 + x) + 0.5f - ax;
    for (int ry = ya; ry <= yb; ry++) {
      float qy = (float)(t->y0 + ry) + 0.5f - ay, *rd = d2 + ry * YSG_TILE;
      int32_t *ri = idx + ry * YSG_TILE;
      for (int x = 0; x < YSG_TILE; x++) {
        float u = qx[x] * ux + qy * uy, v = qx[x] * uy - qy * ux;
        float uc = u < 0.0f ? 0.0f : (u > len ? len : u), a = u - uc, d = a * a + v * v;
        int m = d < rd[x];
        rd[x] = m ? d : rd[x];
        ri[x] = m ? items[q] : ri[x];
      }
    }
  }
}

static int poly_render(const ysg_node *n, const ysg_tile *t) {
  const poly_state *st = ysg_node_state(n);
  const ysg_poly_frame *f = &st->f;
  int tile = t->ty * st->pbins.tiles_x + t->tx;
  int pb = st->pbins.start[tile], pe = st->pbins.start[tile + 1];
  if (pb == pe) return 0;
  const int32_t *eitems = st->ebins.items;
  int eb = st->ebins.start[tile], ee = st->ebins.start[tile + 1];
  float rgba[YSG_TILE * YSG_TILE * 4], sd2[YSG_TILE * YSG_TILE];
  int32_t sidx[YSG_TILE * YSG_TILE];
  memset(rgba, 0, sizeof rgba);
  for (int it = pb; it < pe; it++) {
    const ysg_poly_info *p = &st->polys[st->pbins.items[it]];
    while (eb < ee && eitems[eb] < p->v0) eb++;
    int e0 = eb;
    while (eb < ee && eitems[eb] < p->v1) eb++;
    int e1 = eb; /* the polygon's edges listed in this tile: eitems[e0 .. e1) */
    const int32_t *carry =
        st->carry +
        ((size_t)p->carry + (size_t)(t->ty - p->ty0) * (size_t)p->bw + (size_t)(t->tx - p->tx0)) *
            YSG_TILE;
    if (f->do_stroke && e1 > e0) stroke_nearest(f, st->segs, eitems + e0, e1 - e0, t, sd2, sidx);
    for (int ry = 0; ry < t->h; ry++) {
      float *o = rgba + 4 * ry * YSG_TILE;
      float yc = (float)(t->y0 + ry) + 0.5f;
      if (f->do_fill) {
        float acc[YSG_TILE], c0 = (float)carry[ry] * (1.0f / YSG_POLY_ONE);
        for (int x = 0; x < YSG_TILE; x++) acc[x] = c0;
        for (int q = e0; q < e1; q++)
          ysg_poly_row_accumulate(&st->edges[eitems[q]], t->x0, t->y0 + ry, t->w, acc);
        fill_row(f, p->fill, acc, o, t->w);
      }
      if (f->do_stroke && e1 > e0) {
        const int32_t *ri = sidx + ry * YSG_TILE;
        for (int x = 0; x < t->w; x++) {
          if (ri[x] < 0) continue;
          float tt, xc = (float)(t->x0 + x) + 0.5f;
          float cov = ysg_line_cover(&f->line, &st->segs[ri[x]], xc, yc, &tt);
          if (cov > 0.0f) ysg_poly_over(o + 4 * x, p->stroke, cov);
        }
      }
    }
  }
  int any = 0;
  for (int ry = 0; ry < t->h && !any; ry++)
    for (int x = 0; x < 4 * t->w; x++) any |= rgba[4 * ry * YSG_TILE + x] != 0.0f;
  if (!any) return 0;
  for (int ry = 0; ry < t->h; ry++)
    ysg_floats_to_halves(rgba + 4 * ry * YSG_TILE, t->px + (size_t)ry * t->stride, 4 * t->w);
  return 1;
}

static const ysg_tile_ops poly_tile = {poly_prepare, poly_render, 0};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_poly_frame (poly_frame, point_colors as the param says: the kernels
 * look at the points' attributes). Device scratch: the launcher's work area and 3 status words.
 * Checks: "edge-in-tile references (bin_capacity)" and "polygon-in-tile entries
 * (tile_capacity)", fed every frame by D2D copies of status[0] and [1]; over either nothing is
 * drawn. Difference from the CPU path: polygons not drawn (fewer than 3 vertices) are counted in
 * status[2] but not reported (the device count is not read back). */
#ifdef YSG_HAVE_CUDA
static size_t poly_dev_bytes(const ysg_node *n, const poly_state *st) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  return ysg__cuda_polygon_scratch_bytes(st->cap_v, (cv->width + YSG_TILE - 1) / YSG_TILE,
                                         (cv->height + YSG_TILE - 1) / YSG_TILE, st->cap_items,
                                         st->cap_tiles);
}

static ysg_status poly_device_infer(ysg_node *n) {
  poly_state *st = ysg_node_state(n);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_poly_frame))) ||
      (s = ysg_node_request_device_scratch(n, poly_dev_bytes(n, st), 0, &st->d_scratch)) ||
      (s = ysg_node_request_device_scratch(n, 4 * sizeof(int32_t), 0, &st->d_status)) ||
      (s = ysg_node_request_device_check(n, "edge-in-tile references (bin_capacity)", st->cap_items,
                                         &st->d_check_items)))
    return s;
  return ysg_node_request_device_check(n, "polygon-in-tile entries (tile_capacity)", st->cap_tiles,
                                       &st->d_check_tiles);
}

static ysg_status poly_device_prepare(ysg_node *n, const ysg_frame *fr) {
  (void)fr;
  ysg_poly_frame *f = ysg_node_param_block(n);
  const ysg_value *out = ysg_node_output_device(n, 0);
  if (!f || !out) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  poly_frame(n, out->width, out->height, 1, f);
  return YSG_OK;
}

static ysg_status poly_device_run(ysg_node *n, void *stream) {
  const poly_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output_device(n, 0);
  const ysg_value *in = ysg_node_input_device(n, 0, 0);
  const ysg_value_header *h = ysg_node_input_header(n, 0, 0);
  void *scratch = ysg_node_device_scratch(n, st->d_scratch);
  int32_t *status = ysg_node_device_scratch(n, st->d_status);
  int32_t *ci = ysg_node_device_check(n, st->d_check_items);
  int32_t *ct = ysg_node_device_check(n, st->d_check_tiles);
  const ysg_poly_frame *f = ysg_node_param_block_device(n);
  if (!out || !in || !h || !scratch || !status || !ci || !ct || !f)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the input or output are missing");
  ysg_poly_dev_inputs di = {in->xy, in->id, in->rgba, &h->count, &h->attrs, st->cap_v};
  char err[512] = "";
  ysg_status s;
  if ((s = ysg__cuda_polygon(out->px, out->tiles, out->width, out->height, &di, f, st->cap_items,
                             st->cap_tiles, scratch, poly_dev_bytes(n, st), status, stream, err,
                             sizeof err)) ||
      (s = ysg__cuda_copy(ci, &status[0], sizeof(int32_t), stream, err, sizeof err)) ||
      (s = ysg__cuda_copy(ct, &status[1], sizeof(int32_t), stream, err, sizeof err)))
    return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

static const ysg_device_ops poly_device = {
    .infer = poly_device_infer,
    .prepare = poly_device_prepare,
    .run = poly_device_run,
};
#endif

const ysg_node_type ysg__node_polygon = {
    .name = "polygon",
    .category = "render",
    .doc =
        "Filled and/or stroked polygons (zones, segmentation outlines) whose vertices are "
        "`points` in order: consecutive points with the same id form one polygon, closed from "
        "its last vertex back to its first (a CSV of id,frame,x,y rows through "
        "points{path=...}, or the host through points_in). Fill: the exact area of each pixel "
        "inside the polygon (box filter), by the non-zero or even-odd rule — exact for simple "
        "polygons and wherever a pixel holds edges of one winding level; where edges of "
        "overlapping parts of a self-intersecting polygon meet inside one pixel, the signed "
        "area is folded by the rule. Stroke: the line node's exact stroke along the closed "
        "outline, centred on it, round joins. Polygons are composited over each other in "
        "order, each fill then stroke. A polygon with fewer than 3 vertices or a non-finite one "
        "is not drawn (reported once); repeated vertices and zero-area polygons are fine (their "
        "fill is empty, their outline is stroked).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .infer = poly_infer,
    .run = ysg_node_run_tiles,
    .destroy = poly_destroy,
    .tile = &poly_tile,
#ifdef YSG_HAVE_CUDA
    .device = &poly_device,
#endif
};
