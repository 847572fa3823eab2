/* text_layout.c — templates and string layout of the `text` node (see text_layout.h). Template
 * syntax: literal text with {attr} or {attr:spec} fields, {{ and }} for braces; spec is Python's
 * [[fill]align][sign][0][width][.precision][type] with types d f e g % x s. Layout: per line,
 * FriBidi levels (only when the line has right-to-left characters), runs of one font and level
 * shaped by HarfBuzz with positions in font units, runs put in visual order by rule L2. */
#include "text_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fribidi.h>
#include <hb.h>

#define ELLIPSIS 0x2026u

static const char *const attr_names[YSG_TA_N] = {"id",    "label", "conf", "x",    "y",
                                                 "w",     "h",     "cx",   "cy",   "radius",
                                                 "index", "frame", "time", "count"};

const char *ysg__text_attr_name(int attr) {
  return attr >= 0 && attr < YSG_TA_N ? attr_names[attr] : "?";
}

void ysg__text_attr_list(uint32_t mask, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = 0;
  for (int a = 0; a < YSG_TA_N && len < cap; a++)
    if (mask & (1u << a))
      len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", attr_names[a]);
  if (!len) snprintf(buf, cap, "none");
}

/* the attributes each source gives */
static uint32_t source_attrs(int source) {
  uint32_t common = 1u << YSG_TA_FRAME | 1u << YSG_TA_TIME;
  uint32_t elem = 1u << YSG_TA_ID | 1u << YSG_TA_LABEL | 1u << YSG_TA_CONF | 1u << YSG_TA_X |
                  1u << YSG_TA_Y | 1u << YSG_TA_INDEX | 1u << YSG_TA_COUNT;
  if (source == YSG_TEXT_POINTS) return common | elem | 1u << YSG_TA_RADIUS;
  if (source == YSG_TEXT_BOXES)
    return common | elem | 1u << YSG_TA_W | 1u << YSG_TA_H | 1u << YSG_TA_CX | 1u << YSG_TA_CY;
  return common;
}

static int parse_spec(const char *s, size_t len, ysg_text_piece *p) {
  size_t i = 0;
  p->fill = ' ';
  p->align = 0;
  p->sign = '-';
  p->zero = 0;
  p->width = 0;
  p->prec = -1;
  p->type = 0;
  if (len >= 2 && strchr("<>^", s[1]) && (unsigned char)s[0] >= 0x20 &&
      (unsigned char)s[0] < 0x7f) {
    p->fill = s[0];
    p->align = s[1];
    i = 2;
  } else if (len >= 1 && strchr("<>^", s[0])) {
    p->align = s[0];
    i = 1;
  }
  if (i < len && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) p->sign = s[i++];
  if (i < len && s[i] == '0') {
    p->zero = 1;
    i++;
  }
  while (i < len && s[i] >= '0' && s[i] <= '9' && p->width < 1000)
    p->width = p->width * 10 + (s[i++] - '0');
  if (i < len && s[i] == '.') {
    i++;
    if (i >= len || s[i] < '0' || s[i] > '9') return 0;
    p->prec = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && p->prec < 100)
      p->prec = p->prec * 10 + (s[i++] - '0');
  }
  if (i < len && strchr("dfeg%xs", s[i])) p->type = s[i++];
  return i == len && p->width < 1000 && p->prec < 100;
}

static ysg_status grow_tmpl(ysg_node *n, ysg_text_tmpl *t, size_t len) {
  if (t->cap > len) return YSG_OK;
  size_t cap = len + 64;
  char *text = ysg_node_alloc(n, cap);
  ysg_text_piece *pieces = ysg_node_alloc(n, sizeof *pieces * (cap / 2 + 2));
  if (!text || !pieces) {
    if (text) ysg_node_free(n, text);
    if (pieces) ysg_node_free(n, pieces);
    return YSG_ERR_NOMEM;
  }
  ysg__text_tmpl_free(n, t);
  t->text = text;
  t->pieces = pieces;
  t->cap = cap;
  t->piece_cap = (int)(cap / 2 + 2);
  return YSG_OK;
}

ysg_status ysg__text_tmpl_parse(ysg_node *n, int param, const char *text, int source,
                                ysg_text_tmpl *t) {
  size_t len = strlen(text);
  ysg_status s = grow_tmpl(n, t, len);
  if (s) return s;
  /* literal pieces point into t->text, where {{ and }} are already unescaped */
  t->n = 0;
  t->uses = 0;
  size_t o = 0;
  int lit = -1;
  for (size_t i = 0; i < len;) {
    char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < len && text[i + 1] == c) {
      i++; /* an escaped brace is literal text */
    } else if (c == '}') {
      return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                 "'}' at byte %zu has no '{' (write }} for a brace)", i + 1);
    } else if (c == '{') {
      const char *close = memchr(text + i, '}', len - i);
      if (!close)
        return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                   "'{' at byte %zu has no '}' (write {{ for a brace)", i + 1);
      const char *f = text + i + 1, *colon = memchr(f, ':', (size_t)(close - f));
      size_t nlen = (size_t)((colon ? colon : close) - f);
      ysg_text_piece *p = &t->pieces[t->n];
      p->attr = -1;
      for (int a = 0; a < YSG_TA_N; a++)
        if (strlen(attr_names[a]) == nlen && memcmp(attr_names[a], f, nlen) == 0) p->attr = a;
      int flen = (int)(close - text - (long)i) + 1;
      if (p->attr < 0)
        return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                   "unknown attribute '%.*s' in '%.*s' (known: " YSG_TEXT_ATTR_NAMES
                                   ")",
                                   (int)nlen, f, flen, text + i);
      uint32_t have = source_attrs(source);
      if (!(have & (1u << p->attr))) {
        char list[256];
        ysg__text_attr_list(have, list, sizeof list);
        const char *needs = p->attr == YSG_TA_RADIUS ? "points"
                            : p->attr == YSG_TA_W || p->attr == YSG_TA_H || p->attr == YSG_TA_CX ||
                                    p->attr == YSG_TA_CY
                                ? "boxes"
                                : "points or boxes";
        const char *what = source == YSG_TEXT_POINTS  ? "points"
                           : source == YSG_TEXT_BOXES ? "boxes"
                                                      : "no input";
        return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                   "attribute '%s' needs %s; with %s the template has: %s",
                                   attr_names[p->attr], needs, what, list);
      }
      if (!parse_spec(colon ? colon + 1 : close, colon ? (size_t)(close - colon - 1) : 0, p))
        return ysg_node_param_fail(
            n, param, YSG_ERR_PIPELINE,
            "bad format '%.*s' in '%.*s' (expected [[fill]align][sign][0][width][.precision]"
            "[d|f|e|g|%%|x|s])",
            (int)(close - colon - 1), colon + 1, flen, text + i);
      if (p->type == 's' && p->attr != YSG_TA_LABEL)
        return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                   "format 's' in '%.*s' is for text; '%s' is a number", flen,
                                   text + i, attr_names[p->attr]);
      if (p->type && p->type != 's' && p->attr == YSG_TA_LABEL)
        return ysg_node_param_fail(n, param, YSG_ERR_PIPELINE,
                                   "format '%c' in '%.*s' is for numbers; 'label' is text", p->type,
                                   flen, text + i);
      t->uses |= 1u << p->attr;
      t->n++;
      lit = -1;
      i = (size_t)(close - text) + 1;
      continue;
    }
    if (lit < 0) {
      lit = t->n++;
      t->pieces[lit].attr = -1;
      t->pieces[lit].start = (int)o;
      t->pieces[lit].len = 0;
    }
    t->text[o++] = text[i++];
    t->pieces[lit].len++;
  }
  t->text[o] = 0;
  return YSG_OK;
}

void ysg__text_tmpl_free(ysg_node *n, ysg_text_tmpl *t) {
  if (t->text) ysg_node_free(n, t->text);
  if (t->pieces) ysg_node_free(n, t->pieces);
  memset(t, 0, sizeof *t);
}

static int is_int_attr(int a) {
  return a == YSG_TA_ID || a == YSG_TA_INDEX || a == YSG_TA_FRAME || a == YSG_TA_COUNT;
}

static double attr_value(const ysg_text_elem *e, int a) {
  switch (a) {
    case YSG_TA_ID:
      return e->id;
    case YSG_TA_CONF:
      return e->conf;
    case YSG_TA_X:
      return e->x;
    case YSG_TA_Y:
      return e->y;
    case YSG_TA_W:
      return e->w;
    case YSG_TA_H:
      return e->h;
    case YSG_TA_CX:
      return e->cx;
    case YSG_TA_CY:
      return e->cy;
    case YSG_TA_RADIUS:
      return e->radius;
    case YSG_TA_INDEX:
      return e->index;
    case YSG_TA_FRAME:
      return e->frame;
    case YSG_TA_TIME:
      return e->time;
    case YSG_TA_COUNT:
      return e->count;
    default:
      return 0;
  }
}

/* v in decimal, as "%lld" writes it, into out (at least 21 bytes) */
static void format_int(long long v, char *out) {
  char tmp[24];
  int n = 0;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *out++ = '-';
  while (n) *out++ = tmp[--n];
  *out = 0;
}

/* one field: the value in its type, then width with fill and alignment */
static size_t format_piece(const ysg_text_piece *p, const ysg_text_elem *e, char *buf, size_t cap) {
  char core[128], fmt[32];
  const char *sign = p->sign == '+' ? "+" : p->sign == ' ' ? " " : "";
  const char *zero = p->zero && !p->align ? "0" : "";
  int width = p->zero && !p->align ? p->width : 0; /* zero padding: printf pads after the sign */
  char type = p->type ? p->type : (is_int_attr(p->attr) ? 'd' : 'g');
  if (p->attr == YSG_TA_LABEL) {
    const char *l = e->label ? e->label : "";
    size_t m = strlen(l);
    if (m > sizeof core - 1) m = sizeof core - 1; /* as snprintf cuts it */
    if (p->prec >= 0 && m > (size_t)p->prec) m = (size_t)p->prec;
    memcpy(core, l, m);
    core[m] = 0;
  } else if (type == 'd' && p->sign == '-' && !(p->zero && !p->align)) {
    /* the common integer (ids, indices): what "%lld" writes, without printf */
    format_int(llround(attr_value(e, p->attr)), core);
  } else {
    double v = attr_value(e, p->attr);
    int prec = p->prec >= 0 ? p->prec : 6;
    switch (type) {
      case 'd':
        snprintf(fmt, sizeof fmt, "%%%s%s%dlld", sign, zero, width);
        snprintf(core, sizeof core, fmt, (long long)llround(v));
        break;
      case 'x':
        snprintf(fmt, sizeof fmt, "%%%s%dllx", zero, width);
        snprintf(core, sizeof core, fmt, (unsigned long long)(long long)llround(v));
        break;
      case '%':
        snprintf(fmt, sizeof fmt, "%%%s%s%d.%df%%%%", sign, zero, width > 0 ? width - 1 : 0, prec);
        snprintf(core, sizeof core, fmt, v * 100.0);
        break;
      case 'g':
        if (p->type || p->prec >= 0)
          snprintf(fmt, sizeof fmt, "%%%s%s%d.%dg", sign, zero, width, prec);
        else /* no spec: the shortest text that reads back as the float */
          snprintf(fmt, sizeof fmt, "%%%s%s%d.%dg", sign, zero, width, 7);
        snprintf(core, sizeof core, fmt, v);
        break;
      default: /* f, e */
        snprintf(fmt, sizeof fmt, "%%%s%s%d.%d%c", sign, zero, width, prec, type);
        snprintf(core, sizeof core, fmt, v);
        break;
    }
  }
  size_t n = strlen(core);
  size_t pad = p->width > 0 && (size_t)p->width > n ? (size_t)p->width - n : 0;
  char align = p->align ? p->align : (p->attr == YSG_TA_LABEL ? '<' : '>');
  size_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0, right = pad - left;
  size_t o = 0;
  for (size_t i = 0; i < left && o + 1 < cap; i++) buf[o++] = p->fill;
  for (size_t i = 0; i < n && o + 1 < cap; i++) buf[o++] = core[i];
  for (size_t i = 0; i < right && o + 1 < cap; i++) buf[o++] = p->fill;
  return o;
}

size_t ysg__text_tmpl_format(const ysg_text_tmpl *t, const ysg_text_elem *e, char *buf,
                             size_t cap) {
  size_t o = 0;
  if (!cap) return 0;
  for (int i = 0; i < t->n && o + 1 < cap; i++) {
    const ysg_text_piece *p = &t->pieces[i];
    if (p->attr < 0) {
      size_t k = (size_t)p->len < cap - 1 - o ? (size_t)p->len : cap - 1 - o;
      memcpy(buf + o, t->text + p->start, k);
      o += k;
    } else {
      o += format_piece(p, e, buf + o, cap - o);
    }
  }
  buf[o] = 0;
  return o;
}

/* ---- shaping and layout ------------------------------------------------------------------------
 */

ysg_status ysg__text_shaper_init(ysg_node *n, ysg_text_shaper *s) {
  memset(s, 0, sizeof *s);
  s->node = n;
  hb_buffer_t *b = hb_buffer_create();
  if (!hb_buffer_allocation_successful(b))
    return ysg_node_fail(n, YSG_ERR_NOMEM, "HarfBuzz buffer");
  s->buf = b;
  return YSG_OK;
}

void ysg__text_shaper_free(ysg_text_shaper *s) {
  if (!s->node) return;
  if (s->buf) hb_buffer_destroy((hb_buffer_t *)s->buf);
  void *arrays[] = {s->cps, s->levels, s->types, s->brackets, s->fonts,
                    s->g,   s->runs,   s->lw,    s->ls};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(s->node, arrays[i]);
  memset(s, 0, sizeof *s);
}

static ysg_status reserve_line(ysg_text_shaper *s, int n) {
  if (n <= s->cap) return YSG_OK;
  int cap = n + n / 2 + 16;
  void *arrays[] = {s->cps, s->levels, s->types, s->brackets, s->fonts, s->runs};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(s->node, arrays[i]);
  s->cps = ysg_node_alloc(s->node, sizeof *s->cps * (size_t)cap);
  s->levels = ysg_node_alloc(s->node, sizeof *s->levels * (size_t)cap);
  s->types = ysg_node_alloc(s->node, sizeof *s->types * (size_t)cap);
  s->brackets = ysg_node_alloc(s->node, sizeof *s->brackets * (size_t)cap);
  s->fonts = ysg_node_alloc(s->node, sizeof *s->fonts * (size_t)cap);
  s->runs = ysg_node_alloc(s->node, sizeof *s->runs * 3 * (size_t)cap);
  s->cap = cap;
  if (!s->cps || !s->levels || !s->types || !s->brackets || !s->fonts || !s->runs) {
    s->cap = 0;
    return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}

static ysg_status push_glyph(ysg_text_shaper *s, int font, uint32_t gid, float x, float y) {
  if (s->n_g == s->g_cap) {
    int cap = s->g_cap ? 2 * s->g_cap : 256;
    ysg_text_pglyph *g = ysg_node_alloc(s->node, sizeof *g * (size_t)cap);
    if (!g) return YSG_ERR_NOMEM;
    if (s->g) {
      memcpy(g, s->g, sizeof *g * (size_t)s->n_g);
      ysg_node_free(s->node, s->g);
    }
    s->g = g;
    s->g_cap = cap;
  }
  s->g[s->n_g++] = (ysg_text_pglyph){font, gid, x, y};
  return YSG_OK;
}

/* UTF-8 -> codepoints (invalid sequences -> U+FFFD); returns the count */
static int decode(const unsigned char *u, size_t len, uint32_t *out) {
  int n = 0;
  size_t i = 0;
  while (i < len) {
    uint32_t c = u[i], v, min;
    size_t need;
    if (c < 0x80) {
      out[n++] = c;
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3, v = c & 0x07, min = 0x10000;
    } else {
      out[n++] = 0xfffd;
      i++;
      continue;
    }
    int ok = i + need < len;
    for (size_t k = 1; k <= need && ok; k++) {
      ok = (u[i + k] & 0xc0) == 0x80;
      v = (v << 6) | (u[i + k] & 0x3f);
    }
    if (!ok || v < min || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) {
      out[n++] = 0xfffd;
      i++;
      continue;
    }
    out[n++] = v;
    i += need + 1;
  }
  return n;
}

/* Shape cps[a, b) with font k in direction rtl at pen *x (px, advancing) on baseline y. */
static ysg_status shape_run(ysg_text_shaper *s, ysg_text_fonts *f, int a, int b, int k, int rtl,
                            int n, float size, float *x, float y) {
  hb_buffer_t *buf = (hb_buffer_t *)s->buf;
  ysg_text_font *font = &f->font[k];
  hb_buffer_clear_contents(buf);
  hb_buffer_add_codepoints(buf, s->cps, n, (unsigned)a, b - a);
  hb_buffer_set_direction(buf, rtl ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
  hb_buffer_guess_segment_properties(buf);
  hb_shape((hb_font_t *)font->hb, buf, NULL, 0);
  unsigned count = 0;
  hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &count);
  hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, &count);
  float k_px = size / (float)font->upem;
  for (unsigned i = 0; i < count; i++) {
    ysg_status st = push_glyph(s, k, info[i].codepoint, *x + (float)pos[i].x_offset * k_px,
                               y - (float)pos[i].y_offset * k_px);
    if (st) return st;
    *x += (float)pos[i].x_advance * k_px;
  }
  return YSG_OK;
}

/* one line of codepoints -> glyphs from s->n_g on, pen from x = 0; returns the width */
static ysg_status line_glyphs(ysg_text_shaper *s, ysg_text_fonts *f, int n, float size, float y,
                              int *rtl_base, float *width) {
  int any_rtl = 0;
  for (int i = 0; i < n; i++) {
    int k = ysg__text_font_for(f, s->cps[i]);
    s->fonts[i] = (int16_t)(k < 0 ? 0 : k);
    s->types[i] = fribidi_get_bidi_type(s->cps[i]);
    any_rtl |= FRIBIDI_IS_RTL(s->types[i]) != 0;
  }
  FriBidiParType base = FRIBIDI_PAR_LTR;
  if (any_rtl) {
    base = FRIBIDI_PAR_ON;
    fribidi_get_bracket_types(s->cps, n, s->types, s->brackets);
    if (!fribidi_get_par_embedding_levels_ex(s->types, s->brackets, n, &base, s->levels))
      return YSG_ERR_NOMEM;
  } else {
    memset(s->levels, 0, (size_t)n);
  }
  *rtl_base = FRIBIDI_IS_RTL(base) != 0;
  /* runs of one font and level, in logical order */
  int nr = 0;
  for (int i = 0; i < n;) {
    int j = i + 1;
    while (j < n && s->fonts[j] == s->fonts[i] && s->levels[j] == s->levels[i]) j++;
    s->runs[3 * nr] = i;
    s->runs[3 * nr + 1] = j;
    s->runs[3 * nr + 2] = s->levels[i];
    nr++;
    i = j;
  }
  /* rule L2: reverse every maximal sequence of runs at level >= lev, from the highest level
   * down to the lowest odd one */
  int hi = 0, lo_odd = 127;
  for (int r = 0; r < nr; r++) {
    int l = s->runs[3 * r + 2];
    if (l > hi) hi = l;
    if ((l & 1) && l < lo_odd) lo_odd = l;
  }
  for (int lev = hi; lev >= lo_odd && lev > 0; lev--)
    for (int r = 0; r < nr;) {
      if (s->runs[3 * r + 2] < lev) {
        r++;
        continue;
      }
      int e = r;
      while (e < nr && s->runs[3 * e + 2] >= lev) e++;
      for (int a = r, b = e - 1; a < b; a++, b--)
        for (int q = 0; q < 3; q++) {
          int32_t t = s->runs[3 * a + q];
          s->runs[3 * a + q] = s->runs[3 * b + q];
          s->runs[3 * b + q] = t;
        }
      r = e;
    }
  float x = 0;
  for (int r = 0; r < nr; r++) {
    ysg_status st = shape_run(s, f, s->runs[3 * r], s->runs[3 * r + 1], s->fonts[s->runs[3 * r]],
                              s->runs[3 * r + 2] & 1, n, size, &x, y);
    if (st) return st;
  }
  *width = x;
  return YSG_OK;
}

/* Cut glyphs [g0, s->n_g) to max_width with an ellipsis at the line's end (the right for a
 * left-to-right line, the left otherwise); returns the new width. */
static ysg_status ellipsize(ysg_text_shaper *s, ysg_text_fonts *f, int g0, float size, float y,
                            int rtl, float max_width, float *width) {
  int k = ysg__text_font_for(f, ELLIPSIS);
  uint32_t cps[3] = {ELLIPSIS, '.', '.'};
  int n_e = k >= 0 ? 1 : 3;
  if (k < 0) {
    k = 0;
    cps[0] = '.';
  }
  /* the ellipsis alone, shaped after the line's glyphs, then moved into place */
  int e0 = s->n_g;
  uint32_t *saved = s->cps;
  s->cps = cps;
  float ew = 0;
  ysg_status st = shape_run(s, f, 0, n_e, k, 0, n_e, size, &ew, y);
  s->cps = saved;
  if (st) return st;
  int ne = s->n_g - e0;
  ysg_text_pglyph eg[8];
  if (ne > 8) ne = 8;
  memcpy(eg, s->g + e0, sizeof *eg * (size_t)ne);
  s->n_g = e0;
  float room = max_width - ew;
  int a = g0, b = s->n_g; /* glyphs kept: visual [a, b) */
  if (!rtl) {             /* keep glyphs whose advance ends within the room */
    float end = *width;
    while (b > a && end > room) end = s->g[--b].x;
    s->n_g = b;
    for (int i = 0; i < ne; i++) {
      eg[i].x += end;
      s->g[s->n_g++] = eg[i];
    }
    *width = end + ew;
  } else { /* the line ends on the left: keep the right part, the ellipsis before it */
    while (a<b && * width - s->g[a].x> room) a++;
    float start = a < b ? s->g[a].x : *width;
    int m = 0;
    for (int i = a; i < b; i++) s->g[g0 + ne + m++] = s->g[i];
    for (int i = 0; i < m; i++) s->g[g0 + ne + i].x += ew - start;
    for (int i = 0; i < ne; i++) s->g[g0 + i] = eg[i];
    s->n_g = g0 + ne + m;
    *width = *width - start + ew;
  }
  return YSG_OK;
}

ysg_status ysg__text_block(ysg_text_shaper *sh, ysg_text_fonts *f, const char *utf8, size_t len,
                           const ysg_text_block_opts *o, float *w, float *h) {
  const ysg_text_font *f0 = &f->font[0];
  float s = o->size / (float)f0->upem;
  float asc = (float)f0->ascender * s, desc = (float)-f0->descender * s;
  float lh = (asc + desc + (float)f0->line_gap * s) * o->line_spacing;
  sh->n_g = 0;
  float bw = 0;
  int lines = 0;
  for (size_t p = 0; p <= len;) {
    const char *nl = memchr(utf8 + p, '\n', len - p);
    size_t e = nl ? (size_t)(nl - utf8) : len;
    ysg_status st = reserve_line(sh, (int)(e - p) + 1);
    if (st) return st;
    int n = decode((const unsigned char *)utf8 + p, e - p, sh->cps);
    float y = asc + (float)lines * lh, lw = 0;
    int g0 = sh->n_g, rtl = 0;
    if (n > 0 && (st = line_glyphs(sh, f, n, o->size, y, &rtl, &lw))) return st;
    if (o->max_width > 0 && lw > o->max_width &&
        (st = ellipsize(sh, f, g0, o->size, y, rtl, o->max_width, &lw)))
      return st;
    if (lines + 1 >= sh->l_cap) {
      int cap = sh->l_cap ? 2 * sh->l_cap : 16;
      float *nw = ysg_node_alloc(sh->node, sizeof *nw * (size_t)cap);
      int32_t *ns = ysg_node_alloc(sh->node, sizeof *ns * (size_t)cap);
      if (!nw || !ns) {
        if (nw) ysg_node_free(sh->node, nw);
        if (ns) ysg_node_free(sh->node, ns);
        return YSG_ERR_NOMEM;
      }
      if (sh->l_cap) {
        memcpy(nw, sh->lw, sizeof *nw * (size_t)lines);
        memcpy(ns, sh->ls, sizeof *ns * (size_t)lines);
        ysg_node_free(sh->node, sh->lw);
        ysg_node_free(sh->node, sh->ls);
      }
      sh->lw = nw;
      sh->ls = ns;
      sh->l_cap = cap;
    }
    sh->lw[lines] = lw;
    sh->ls[lines] = g0;
    lines++;
    if (lw > bw) bw = lw;
    if (!nl) break;
    p = e + 1;
  }
  sh->ls[lines] = sh->n_g;
  if (o->align) /* centre or right: move each line within the block */
    for (int l = 0; l < lines; l++) {
      float dx = (bw - sh->lw[l]) * (o->align == 1 ? 0.5f : 1.0f);
      for (int i = sh->ls[l]; i < sh->ls[l + 1]; i++) sh->g[i].x += dx;
    }
  *w = bw;
  *h = asc + desc + (float)(lines - 1) * lh;
  return YSG_OK;
}
