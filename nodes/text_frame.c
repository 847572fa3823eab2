/* text_frame.c — the `text` node's work per frame (its schema and lifecycle are nodes/text.c):
 * prepare formats and lays out every label (nodes/text_layout.c: HarfBuzz, FriBidi, fallback
 * fonts), places it by anchor (kept inside the canvas) and turns it into primitives — a plate,
 * then its glyphs — binned into 16×16 tiles, which nodes/text_tile.c renders from the glyph
 * atlas's distance fields (nodes/text_math.h, shared with cuda/text.cu). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "text_layout.h"
#include "text_math.h"
#include "text_node.h"
#include "ysgraph/node.h"

/* ---- per frame: labels -> primitives ----------------------------------------------------------
 */

static float pos_fx(int p) { return (float)(p % 3) * 0.5f; }
static float pos_fy(int p) { return (float)(p / 3) * 0.5f; }

static int32_t floor_px(float v) {
  float f = floorf(v);
  return f < -1e8f ? -100000000 : (f > 1e8f ? 100000000 : (int32_t)f);
}

/* clip a rectangle to the canvas; 0 when nothing is left */
static int clip(int32_t r[4], int w, int h) {
  if (r[0] < 0) r[0] = 0;
  if (r[1] < 0) r[1] = 0;
  if (r[2] > w - 1) r[2] = w - 1;
  if (r[3] > h - 1) r[3] = h - 1;
  return r[0] <= r[2] && r[1] <= r[3];
}

static int32_t floor_div(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int32_t ceil_div(int32_t a, int32_t b) { return -floor_div(-a, b); }

static void intersect(int32_t a[4], const int32_t b[4]) {
  if (b[0] > a[0]) a[0] = b[0];
  if (b[1] > a[1]) a[1] = b[1];
  if (b[2] < a[2]) a[2] = b[2];
  if (b[3] < a[3]) a[3] = b[3];
}

static void rect_union(int32_t a[4], const int32_t b[4]) {
  if (b[0] > b[2] || b[1] > b[3]) return;
  if (a[0] > a[2] || a[1] > a[3]) {
    memcpy(a, b, sizeof(int32_t) * 4);
    return;
  }
  if (b[0] < a[0]) a[0] = b[0];
  if (b[1] < a[1]) a[1] = b[1];
  if (b[2] > a[2]) a[2] = b[2];
  if (b[3] > a[3]) a[3] = b[3];
}

/* the label's box (text grown by padding): its top-left for the anchor, kept inside when asked */
static void place(const ysg__text_state *st, const ysg__text_frame *fp, float rx, float ry,
                  float lw, float lh, float *left, float *top) {
  float ax = pos_fx(fp->anchor), ay = pos_fy(fp->anchor);
  float x = rx - ax * lw, y = ry - ay * lh;
  if (fp->keep_inside) {
    float W = (float)st->width, H = (float)st->height;
    /* a label that leaves the canvas at the top or bottom, on the side it extends to, flips to
     * the reference's other side (above a box -> inside it, under its top edge); then it is
     * moved inside */
    if (y < 0 && ay == 1.0f) y = ry;
    if (y + lh > H && ay == 0.0f) y = ry - lh;
    if (x + lw > W) x = W - lw;
    if (y + lh > H) y = H - lh;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
  }
  *left = x;
  *top = y;
}

static void make_style(const ysg__text_frame *fp, const float *data_rgba, ysg_text_style *s) {
  float fill[4], plate[4];
  memcpy(fill, fp->color, sizeof fill);
  memcpy(plate, fp->plate_color, sizeof plate);
  plate[3] *= fp->plate_opacity;
  if (data_rgba && fp->data_colors == YSG__TEXT_DATA_TEXT) memcpy(fill, data_rgba, sizeof fill);
  if (data_rgba && fp->data_colors == YSG__TEXT_DATA_PLATE) {
    memcpy(plate, data_rgba, sizeof plate);
    plate[3] = ysg_clamp01(data_rgba[3]) * fp->plate_opacity;
  }
  const float *src[4] = {fill, fp->outline_color, fp->shadow_color, plate};
  float *dst[4] = {s->fill, s->outline, s->shadow, s->plate};
  for (int k = 0; k < 4; k++) {
    float c[4];
    for (int q = 0; q < 3; q++)
      c[q] = src[k][q] > 0 ? (src[k][q] < 65504.0f ? src[k][q] : 65504.0f) : 0;
    c[3] = ysg_clamp01(src[k][3]) * fp->opacity;
    ysg_premultiply(c, dst[k]);
  }
  s->outline_w = fp->outline;
  s->shadow_dx = fp->shadow_dx;
  s->shadow_dy = fp->shadow_dy;
  s->shadow_blur = fp->shadow_blur;
  s->has_shadow = fp->shadow && s->shadow[3] > 0.0f;
  s->phx = s->phy = s->pcx = s->pcy = s->pr = 0.0f;
  s->pad[0] = s->pad[1] = 0.0f;
}

/* one label: layout, placement, then its plate and glyph primitives */
static ysg_status emit_label(ysg_node *n, ysg__text_state *st, const ysg__text_frame *fp,
                             const char *str, size_t len, float rx, float ry,
                             const float *data_rgba) {
  ysg_text_block_opts bo = {fp->size, fp->line_spacing, fp->align, fp->max_width};
  float bw, bh;
  const ysg_text_pglyph *glyphs;
  int n_g;
  ysg_status s = ysg__text_block_cached(&st->cache, &st->sh, &st->fonts, str, len, &bo, &glyphs,
                                        &n_g, &bw, &bh);
  if (s) return s;
  if (n_g == 0 && fp->plate_opacity <= 0.0f) return YSG_OK;
  float pad = fp->padding, lw = bw + 2 * pad, lh = bh + 2 * pad, left, top;
  place(st, fp, rx, ry, lw, lh, &left, &top);
  if (st->n_labels == st->cap_labels)
    return ysg_node_fail(n, YSG_ERR_LIMIT, "more labels than the input's capacity %d",
                         st->cap_labels);
  int li = st->n_labels++;
  ysg_text_style *sty = &st->styles[li];
  make_style(fp, data_rgba, sty);
  float W = fp->outline, B = fp->shadow_blur, dx = fp->shadow_dx, dy = fp->shadow_dy;
  int shadow = sty->has_shadow;
  if (fp->plate_opacity > 0.0f && sty->plate[3] > 0.0f) {
    sty->pcx = left + 0.5f * lw;
    sty->pcy = top + 0.5f * lh;
    sty->phx = 0.5f * lw;
    sty->phy = 0.5f * lh;
    float m = sty->phx < sty->phy ? sty->phx : sty->phy;
    sty->pr = fp->plate_radius < m ? fp->plate_radius : m;
    int32_t f[4] = {floor_px(left - 1), floor_px(top - 1), floor_px(left + lw + 1),
                    floor_px(top + lh + 1)};
    if (shadow) {
      int32_t sr[4] = {floor_px(left + dx - B - 1), floor_px(top + dy - B - 1),
                       floor_px(left + lw + dx + B + 1), floor_px(top + lh + dy + B + 1)};
      rect_union(f, sr);
    }
    if (clip(f, st->width, st->height)) {
      if (st->n_prims == st->cap_prims) goto full;
      ysg_text_prim *p = &st->prims[st->n_prims++];
      memset(p, 0, sizeof *p);
      p->kind = YSG_TEXT_PLATE;
      p->label = li;
      memcpy(&p->fx0, f, sizeof f);
      p->tx0 = p->sx0 = 1; /* no distance lookups */
      p->tx1 = p->sx1 = 0;
    }
  }
  float ox = left + pad, oy = top + pad;
  int k = st->k;
  float ik = 1.0f / (float)k;
  for (int i = 0; i < n_g; i++) {
    const ysg_text_pglyph *q = &glyphs[i];
    const ysg_text_glyph *g = ysg__text_glyph(&st->fonts, q->font, q->gid);
    if (!g) return ysg_errcode(n->p->ctx) ? ysg_errcode(n->p->ctx) : YSG_ERR_NOMEM;
    if (g->offset < 0) continue;
    float px = ox + q->x, py = oy + q->y, gx = px + g->bx * ik, gy = py + g->by * ik;
    float a0 = px + g->ix0 * ik, a1 = px + g->ix1 * ik, b0 = py + g->iy0 * ik,
          b1 = py + g->iy1 * ik;
    ysg_text_prim pr;
    pr.kind = YSG_TEXT_GLYPH;
    pr.label = li;
    pr.offset = g->offset;
    pr.w = g->w;
    pr.h = g->h;
    pr.k = k;
    pr.hw = (g->w + k - 1) / k;
    pr.inv_k = ik;
    ysg_text_phase(gx, k, &pr.ox, &pr.fu);
    ysg_text_phase(gy, k, &pr.oy, &pr.fv);
    ysg_text_phase(gx + dx, k, &pr.sox, &pr.sfu);
    ysg_text_phase(gy + dy, k, &pr.soy, &pr.sfv);
    /* lookups stay where the bilinear texels exist: pixel x reads texels k·x - ox and the next */
    int32_t t[4] = {floor_px(a0 - W - 1), floor_px(b0 - W - 1), floor_px(a1 + W + 1),
                    floor_px(b1 + W + 1)};
    int32_t tb[4] = {ceil_div(pr.ox, k), ceil_div(pr.oy, k), floor_div(g->w - 2 + pr.ox, k),
                     floor_div(g->h - 2 + pr.oy, k)};
    intersect(t, tb);
    int32_t sr[4] = {1, 1, 0, 0};
    if (shadow) {
      sr[0] = floor_px(a0 + dx - W - B - 1);
      sr[1] = floor_px(b0 + dy - W - B - 1);
      sr[2] = floor_px(a1 + dx + W + B + 1);
      sr[3] = floor_px(b1 + dy + W + B + 1);
      int32_t sb[4] = {ceil_div(pr.sox, k), ceil_div(pr.soy, k), floor_div(g->w - 2 + pr.sox, k),
                       floor_div(g->h - 2 + pr.soy, k)};
      intersect(sr, sb);
    }
    int32_t f[4] = {1, 1, 0, 0};
    rect_union(f, t);
    rect_union(f, sr);
    if (!clip(f, st->width, st->height)) continue;
    if (st->n_prims == st->cap_prims) goto full;
    memcpy(&pr.fx0, f, sizeof f);
    memcpy(&pr.tx0, t, sizeof t);
    memcpy(&pr.sx0, sr, sizeof sr);
    st->prims[st->n_prims++] = pr;
  }
  return YSG_OK;
full:
  return ysg_node_param_fail(n, P_MAX_GLYPHS, YSG_ERR_LIMIT,
                             "this frame needs more than %d glyphs and plates (raise max_glyphs)",
                             st->cap_prims);
}

static void read_frame_params(const ysg_node *n, ysg__text_frame *fp) {
  memset(fp, 0, sizeof *fp);
  fp->size = (float)ysg_node_number(n, P_SIZE);
  fp->line_spacing = (float)ysg_node_number(n, P_LINE_SPACING);
  fp->align = ysg_node_enum(n, P_ALIGN);
  fp->max_width = (float)ysg_node_number(n, P_MAX_WIDTH);
  fp->anchor = ysg_node_enum(n, P_ANCHOR);
  fp->at = ysg_node_enum(n, P_AT);
  fp->keep_inside = ysg_node_bool(n, P_KEEP_INSIDE);
  fp->padding = (float)ysg_node_number(n, P_PADDING);
  fp->plate_radius = (float)ysg_node_number(n, P_PLATE_RADIUS);
  fp->plate_opacity = (float)ysg_node_number(n, P_PLATE_OPACITY);
  fp->opacity = (float)ysg_node_number(n, P_OPACITY);
  fp->outline = (float)ysg_node_number(n, P_OUTLINE);
  fp->shadow_blur = (float)ysg_node_number(n, P_SHADOW_BLUR);
  double off[4] = {0, 0};
  int k = ysg_node_numbers(n, P_SHADOW, off, 4);
  fp->shadow = ysg_node_param_is_set(n, P_SHADOW) || fp->shadow_blur > 0.0f;
  fp->shadow_dx = (float)off[0];
  fp->shadow_dy = k > 1 ? (float)off[1] : (float)off[0];
  k = ysg_node_numbers(n, P_OFFSET, off, 4);
  fp->dx = (float)off[0];
  fp->dy = k > 1 ? (float)off[1] : 0.0f;
  fp->data_colors = ysg_node_enum(n, P_DATA_COLORS);
  ysg_node_color(n, P_COLOR, fp->color);
  ysg_node_color(n, P_OUTLINE_COLOR, fp->outline_color);
  ysg_node_color(n, P_SHADOW_COLOR, fp->shadow_color);
  ysg_node_color(n, P_PLATE_COLOR, fp->plate_color);
}

/* the element attributes the template reads that the input lacks this frame */
static ysg_status check_attrs(ysg_node *n, const ysg__text_state *st, const ysg_value *v,
                              const ysg_frame *f) {
  uint32_t have = (1u << YSG_TA_X) | (1u << YSG_TA_Y) | (1u << YSG_TA_W) | (1u << YSG_TA_H) |
                  (1u << YSG_TA_CX) | (1u << YSG_TA_CY) | (1u << YSG_TA_INDEX) |
                  (1u << YSG_TA_FRAME) | (1u << YSG_TA_TIME) | (1u << YSG_TA_COUNT);
  if (v->attrs & YSG_ATTR_ID) have |= 1u << YSG_TA_ID;
  if ((v->attrs & YSG_ATTR_LABEL) && v->labels) have |= 1u << YSG_TA_LABEL;
  if (v->attrs & YSG_ATTR_CONF) have |= 1u << YSG_TA_CONF;
  if (v->attrs & YSG_ATTR_RADIUS) have |= 1u << YSG_TA_RADIUS;
  uint32_t missing = st->tmpl.uses & ~have;
  if (!missing || v->count <= 0) return YSG_OK;
  int a = 0;
  while (!(missing & (1u << a))) a++;
  char list[256];
  ysg__text_attr_list(have & ((1u << YSG_TA_ID) | (1u << YSG_TA_LABEL) | (1u << YSG_TA_CONF) |
                              (1u << YSG_TA_RADIUS)),
                      list, sizeof list);
  const char *what = st->source == YSG_TEXT_POINTS ? "points" : "boxes";
  return ysg_node_param_fail(n, P_TEXT, YSG_ERR_DATA,
                             "the template reads '%s', but the %s carry no %s at frame %d (their "
                             "attributes: %s)",
                             ysg__text_attr_name(a), what, ysg__text_attr_name(a), f->index, list);
}

ysg_status ysg__text_prepare(ysg_node *n, const ysg_frame *f) {
  ysg__text_state *st = ysg_node_state(n);
  const char *text = ysg_node_string(n, P_TEXT);
  ysg_status s;
  if (strcmp(text, st->tmpl_src) != 0) { /* an animated text changed: parse it again */
    if ((s = ysg__text_tmpl_parse(n, P_TEXT, text, st->source, &st->tmpl))) return s;
    snprintf(st->tmpl_src, sizeof st->tmpl_src, "%s", text);
  }
  ysg__text_frame fp;
  read_frame_params(n, &fp);
  st->n_prims = st->n_labels = 0;
  ysg__text_cache_frame(&st->cache);
  const ysg_value *v = st->source == YSG_TEXT_NONE ? NULL : ysg_node_input(n, st->source - 1, 0);
  int count = v ? (v->count < v->capacity ? v->count : v->capacity) : 1;
  if (count < 0) count = 0;
  if (v && (s = check_attrs(n, st, v, f))) return s;
  ysg_text_elem e;
  memset(&e, 0, sizeof e);
  e.frame = f->index;
  e.time = f->time;
  e.count = count;
  for (int i = 0; i < count; i++) {
    float rx = (float)ysg_node_number(n, P_X), ry = (float)ysg_node_number(n, P_Y);
    const float *rgba = NULL;
    if (v) {
      e.index = i;
      e.id = (v->attrs & YSG_ATTR_ID) ? v->id[i] : i;
      e.conf = (v->attrs & YSG_ATTR_CONF) ? v->conf[i] : 0.0;
      e.label = "";
      if ((v->attrs & YSG_ATTR_LABEL) && v->labels && v->label[i] >= 0 &&
          v->label[i] < v->labels->count)
        e.label = v->labels->names[v->label[i]];
      if ((v->attrs & YSG_ATTR_RGBA) && v->rgba) rgba = &v->rgba[4 * i];
      if (st->source == YSG_TEXT_POINTS) {
        e.x = rx = v->xy[2 * i];
        e.y = ry = v->xy[2 * i + 1];
        e.radius = (v->attrs & YSG_ATTR_RADIUS) ? v->radius[i] : 0.0;
      } else {
        const float *b = &v->xywh[4 * i];
        e.x = b[0], e.y = b[1], e.w = b[2], e.h = b[3];
        e.cx = b[0] + 0.5 * b[2];
        e.cy = b[1] + 0.5 * b[3];
        rx = b[0] + pos_fx(fp.at) * b[2];
        ry = b[1] + pos_fy(fp.at) * b[3];
      }
      if (!isfinite(rx) || !isfinite(ry) || fabsf(rx) > 1e6f || fabsf(ry) > 1e6f) continue;
    }
    size_t len = ysg__text_tmpl_format(&st->tmpl, &e, st->str, sizeof st->str);
    if ((s = emit_label(n, st, &fp, st->str, len, rx + fp.dx, ry + fp.dy, rgba))) return s;
  }
  for (int i = 0; i < st->n_prims; i++) ysg_text_bin(&st->prims[i], &st->bin_prims[i]);
  int64_t need = ysg__bins_build_par(n, &st->bins, st->bin_prims, st->n_prims);
  if (need > st->bins.cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "this frame needs %lld tile references, more than the %d it holds "
                               "(raise bin_capacity)",
                               (long long)need, st->bins.cap_items);
  return YSG_OK;
}
