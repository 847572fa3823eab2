/* csv.c — the shared CSV reader (see csv.h): whole-file read at init, header matching against a
 * column schema, per-field validation with messages that point at the data file's line and the
 * node that read it, the frame index the source nodes use to hand out one frame's rows, and the
 * row source of the points and boxes nodes.
 * Format: comma-separated, no quoting; fields trimmed; CRLF accepted; blank lines and lines
 * starting with '#' skipped; a UTF-8 byte-order mark is ignored. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "rows.h"

#define SHOW_MAX 64 /* longest field text quoted in a message */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static void trim(const char **s, const char **e) {
  while (*s < *e && is_space(**s)) (*s)++;
  while (*e > *s && is_space((*e)[-1])) (*e)--;
}

static ysg_status vfail(const ysg_csv *c, ysg_status s, int line, const char *fmt, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  const ysg_node *n = c->node;
  char where[64] = "";
  if (line > 0) snprintf(where, sizeof where, ":%d", line);
  return ysg__seterr(n->p->ctx, s, "%s%s: %s (node '%s' (%s) at %s:%d)", c->path, where, msg,
                     n->name, n->type->name, n->file ? n->file : "?", n->line);
}

ysg_status ysg__csv_fail(const ysg_csv *c, ysg_status s, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ysg_status r = vfail(c, s, line, fmt, ap);
  va_end(ap);
  return r;
}

/* "found '...'" text: the field as written, shortened when long */
static void show(const char *s, size_t len, char *buf, size_t cap) {
  if (len > SHOW_MAX)
    snprintf(buf, cap, "%.*s...", SHOW_MAX - 3, s);
  else
    snprintf(buf, cap, "%.*s", (int)len, s);
}

/* shortest text that reads back as x: 1e300 prints as "1e+300", not 1.0000000000000001e+300 */
static void fmt_double(double x, char *buf, size_t cap) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, cap, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) return;
  }
}

static const char *kind_what(ysg_csv_kind k) {
  switch (k) {
    case YSG_CSV_NONNEG:
      return "a non-negative number";
    case YSG_CSV_UNIT:
      return "a number in 0..1";
    case YSG_CSV_INT:
      return "an integer";
    case YSG_CSV_INDEX:
      return "a non-negative integer";
    case YSG_CSV_POSITIVE:
      return "a positive number";
    default:
      return "a number";
  }
}

static ysg_status parse_field(const ysg_csv *c, int line, int col, const char *s, size_t len,
                              double *out) {
  const ysg_csv_col *cd = &c->spec->cols[col];
  char text[SHOW_MAX + 8];
  char num[320];
  show(s, len, text, sizeof text);
  const char *what = kind_what(cd->kind);
  if (len == 0 || len >= sizeof num)
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", cd->name,
                         what, text);
  memcpy(num, s, len);
  num[len] = 0;
  char *end = NULL;
  errno = 0;
  double x = strtod(num, &end);
  if (end != num + len)
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", cd->name,
                         what, text);
  if (errno == ERANGE && isinf(x)) /* a literal too large for a double, not "inf" */
    return ysg__csv_fail(c, YSG_ERR_DATA, line,
                         "column '%s': value %s is out of range (|value| <= 1e7)", cd->name, text);
  if (!isfinite(x)) {
    int integral = cd->kind == YSG_CSV_INT || cd->kind == YSG_CSV_INDEX;
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", cd->name,
                         integral ? what : "a finite number", text);
  }
  if (fabs(x) > YSG_CSV_MAX_ABS) {
    char v[40];
    fmt_double(x, v, sizeof v);
    return ysg__csv_fail(c, YSG_ERR_DATA, line,
                         "column '%s': value %s is out of range (|value| <= 1e7)", cd->name, v);
  }
  int ok = 1;
  switch (cd->kind) {
    case YSG_CSV_NONNEG:
      ok = x >= 0;
      break;
    case YSG_CSV_UNIT:
      ok = x >= 0 && x <= 1;
      break;
    case YSG_CSV_INT:
      ok = x == floor(x);
      break;
    case YSG_CSV_INDEX:
      ok = x >= 0 && x == floor(x);
      break;
    case YSG_CSV_POSITIVE:
      ok = x > 0;
      break;
    default:
      break;
  }
  if (!ok)
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", cd->name,
                         what, text);
  *out = x == 0 ? 0.0 : x; /* no -0 in integer columns */
  return YSG_OK;
}

/* whole file into ctx memory, NUL-terminated; errno-style code on failure */
static int slurp(ysg_context *ctx, const char *path, char **out, size_t *len) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return errno ? errno : EIO;
  size_t cap = 0, n = 0;
  char *buf = NULL;
  for (;;) {
    if (cap - n < 2) {
      size_t ncap = cap ? cap * 2 : 65536;
      char *nb = ysg__realloc_array(ctx, buf, cap, ncap, 1);
      if (!nb) {
        ysg__free(ctx, buf);
        fclose(f);
        return ENOMEM;
      }
      buf = nb;
      cap = ncap;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
  }
  int err = ferror(f) ? (errno ? errno : EIO) : 0;
  fclose(f);
  if (err) {
    ysg__free(ctx, buf);
    return err;
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  return 0;
}

/* comma-separated list of the schema's column names: which = 1 required, 0 optional, -1 all */
static void col_list(const ysg_csv_spec *spec, int which, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < spec->n_cols && len < cap; i++) {
    if (which >= 0 && (spec->cols[i].required != 0) != (which != 0)) continue;
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "," : "", spec->cols[i].name);
  }
}

static int count_fields(const char *s, const char *e) {
  int k = 1;
  for (const char *q = s; q < e; q++) k += *q == ',';
  return k;
}

/* next field of [*s, e): trimmed [fs, fe); advances *s past the comma */
static void next_field(const char **s, const char *e, const char **fs, const char **fe) {
  const char *q = *s;
  while (q < e && *q != ',') q++;
  *fs = *s;
  *fe = q;
  trim(fs, fe);
  *s = q < e ? q + 1 : e;
}

static ysg_status read_header(ysg_csv *c, int line, const char *s, const char *e) {
  const ysg_csv_spec *spec = c->spec;
  char known[512];
  col_list(spec, -1, known, sizeof known);
  int nf = count_fields(s, e);
  for (int k = 0; k < nf; k++) {
    const char *fs, *fe;
    next_field(&s, e, &fs, &fe);
    size_t len = (size_t)(fe - fs);
    if (len == 0)
      return ysg__csv_fail(c, YSG_ERR_DATA, line,
                           "field %d of the header names no column (known: %s)", k + 1, known);
    int col = -1;
    for (int i = 0; i < spec->n_cols && col < 0; i++)
      if (strlen(spec->cols[i].name) == len && memcmp(spec->cols[i].name, fs, len) == 0) col = i;
    char text[SHOW_MAX + 8];
    show(fs, len, text, sizeof text);
    if (col < 0)
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "unknown column '%s' (known: %s)", text, known);
    if (c->field[col] >= 0)
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s' appears twice", text);
    c->field[col] = k;
  }
  c->n_fields = nf;
  for (int i = 0; i < spec->n_cols; i++)
    if (spec->cols[i].required && c->field[i] < 0) {
      char req[256], opt[256];
      col_list(spec, 1, req, sizeof req);
      col_list(spec, 0, opt, sizeof opt);
      if (opt[0])
        return ysg__csv_fail(c, YSG_ERR_DATA, line,
                             "missing column '%s' (required: %s; optional: %s)", spec->cols[i].name,
                             req, opt);
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "missing column '%s' (required: %s)",
                           spec->cols[i].name, req);
    }
  return YSG_OK;
}

/* headerless files: the first row's field count decides which leading columns are present */
static ysg_status headerless_layout(ysg_csv *c, int line, int nf) {
  const ysg_csv_spec *spec = c->spec;
  int n_req = 0;
  for (int i = 0; i < spec->n_cols; i++) n_req += spec->cols[i].required != 0;
  if (nf < n_req || nf > spec->n_cols) {
    char all[512];
    col_list(spec, -1, all, sizeof all);
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "expected %d to %d fields (%s), found %d", n_req,
                         spec->n_cols, all, nf);
  }
  for (int i = 0; i < nf; i++) c->field[i] = i;
  c->n_fields = nf;
  return YSG_OK;
}

static ysg_status grow_rows(ysg_csv *c, int *cap) {
  ysg_context *ctx = c->node->p->ctx;
  int ncap = *cap ? *cap * 2 : 256;
  if (ncap > YSG_CSV_MAX_ROWS) ncap = YSG_CSV_MAX_ROWS;
  double *v = ysg__realloc_array(ctx, c->values, (size_t)*cap * (size_t)c->n_fields,
                                 (size_t)ncap * (size_t)c->n_fields, sizeof *v);
  if (!v) return YSG_ERR_NOMEM;
  c->values = v;
  int32_t *l = ysg__realloc_array(ctx, c->lines, (size_t)*cap, (size_t)ncap, sizeof *l);
  if (!l) return YSG_ERR_NOMEM;
  c->lines = l;
  *cap = ncap;
  return YSG_OK;
}

static ysg_status parse(ysg_csv *c, const char *buf, size_t len) {
  const ysg_csv_spec *spec = c->spec;
  const char *p = buf, *end = buf + len;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  int line = 0, have_layout = 0, cap = 0;
  int field_col[YSG_CSV_MAX_COLS]; /* field index in a row -> schema column */
  while (p < end) {
    const char *s = p, *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    p = e < end ? e + 1 : end;
    line++;
    trim(&s, &e);
    if (s == e || *s == '#') continue;
    if (!have_layout) {
      have_layout = 1;
      int headerless = (spec->flags & YSG_CSV_HEADERLESS) != 0;
      if (!headerless) c->header_line = line;
      ysg_status st =
          headerless ? headerless_layout(c, line, count_fields(s, e)) : read_header(c, line, s, e);
      if (st) return st;
      for (int i = 0; i < spec->n_cols; i++)
        if (c->field[i] >= 0) field_col[c->field[i]] = i;
      if (!headerless) continue; /* the header line holds no data */
    }
    int nf = count_fields(s, e);
    if (nf != c->n_fields)
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "expected %d fields, found %d", c->n_fields, nf);
    if (c->n_rows == YSG_CSV_MAX_ROWS)
      return ysg__csv_fail(c, YSG_ERR_LIMIT, line, "more than %d data rows", YSG_CSV_MAX_ROWS);
    if (c->n_rows == cap) {
      ysg_status st = grow_rows(c, &cap);
      if (st) return st;
    }
    double *row = c->values + (size_t)c->n_rows * (size_t)c->n_fields;
    for (int k = 0; k < nf; k++) {
      const char *fs, *fe;
      next_field(&s, e, &fs, &fe);
      ysg_status st = parse_field(c, line, field_col[k], fs, (size_t)(fe - fs), &row[k]);
      if (st) return st;
    }
    c->lines[c->n_rows++] = line;
  }
  if (!have_layout && !(spec->flags & YSG_CSV_HEADERLESS)) {
    char req[256];
    col_list(spec, 1, req, sizeof req);
    return ysg__csv_fail(c, YSG_ERR_DATA, 0, "empty file, expected a header line naming columns %s",
                         req);
  }
  return YSG_OK;
}

static int is_number(const char *s, size_t len) {
  char num[320];
  if (len == 0 || len >= sizeof num) return 0;
  memcpy(num, s, len);
  num[len] = 0;
  char *end = NULL;
  (void)strtod(num, &end);
  return end == num + len;
}

ysg_status ysg__csv_sniff(ysg_node *n, int param, int *n_fields, int *numeric, int *line) {
  *n_fields = *numeric = *line = 0;
  const char *shown = n->params[param].str ? n->params[param].str : "";
  const char *resolved = ysg_node_string(n, param);
  char *buf = NULL;
  size_t len = 0;
  int err = slurp(n->p->ctx, resolved ? resolved : shown, &buf, &len);
  if (err == ENOMEM) return YSG_ERR_NOMEM;
  if (err)
    return ysg_node_param_fail(n, param, YSG_ERR_IO, "cannot open '%s': %s", shown, strerror(err));
  const char *p = buf, *end = buf + len;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  for (int ln = 1; p < end; ln++) {
    const char *s = p, *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    p = e < end ? e + 1 : end;
    trim(&s, &e);
    if (s == e || *s == '#') continue;
    *line = ln;
    *n_fields = count_fields(s, e);
    *numeric = 1;
    for (int k = 0; k < *n_fields; k++) {
      const char *fs, *fe;
      next_field(&s, e, &fs, &fe);
      if (!is_number(fs, (size_t)(fe - fs))) *numeric = 0;
    }
    break;
  }
  ysg__free(n->p->ctx, buf);
  return YSG_OK;
}

ysg_status ysg__csv_read(ysg_node *n, int param, const ysg_csv_spec *spec, ysg_csv *out) {
  ysg_context *ctx = n->p->ctx;
  memset(out, 0, sizeof *out);
  out->node = n;
  out->spec = spec;
  out->path = n->params[param].str ? n->params[param].str : "";
  for (int i = 0; i < YSG_CSV_MAX_COLS; i++) out->field[i] = -1;
  if (spec->n_cols <= 0 || spec->n_cols > YSG_CSV_MAX_COLS)
    return ysg_node_fail(n, YSG_ERR_INVALID, "CSV schema with %d columns (at most %d)",
                         spec->n_cols, YSG_CSV_MAX_COLS);
  const char *resolved = ysg_node_string(n, param);
  char *buf = NULL;
  size_t len = 0;
  int err = slurp(ctx, resolved ? resolved : out->path, &buf, &len);
  if (err == ENOMEM) return YSG_ERR_NOMEM;
  if (err)
    return ysg_node_param_fail(n, param, YSG_ERR_IO, "cannot open '%s': %s", out->path,
                               strerror(err));
  ysg_status st = parse(out, buf, len);
  ysg__free(ctx, buf);
  if (st) ysg__csv_free(out);
  return st;
}

void ysg__csv_free(ysg_csv *c) {
  if (!c->node) return;
  ysg_context *ctx = c->node->p->ctx;
  ysg__free(ctx, c->values);
  ysg__free(ctx, c->lines);
  c->values = NULL;
  c->lines = NULL;
  c->n_rows = 0;
}

ysg_status ysg__csv_check_rgba(const ysg_csv *c, const int cols[4]) {
  int has = 0;
  for (int i = 0; i < 3; i++) has += ysg__csv_has(c, cols[i]);
  if (has > 0 && has < 3) {
    for (int i = 0; i < 3; i++)
      if (!ysg__csv_has(c, cols[i]))
        return ysg__csv_fail(c, YSG_ERR_DATA, c->header_line,
                             "colour columns r,g,b must come together (missing '%s')",
                             c->spec->cols[cols[i]].name);
  }
  if (has == 0 && ysg__csv_has(c, cols[3]))
    return ysg__csv_fail(c, YSG_ERR_DATA, c->header_line,
                         "column '%s' needs the colour columns r,g,b", c->spec->cols[cols[3]].name);
  return YSG_OK;
}

void ysg__csv_rgba(const ysg_csv *c, int row, const int cols[4], float out[4]) {
  for (int i = 0; i < 3; i++) out[i] = ysg_srgb_to_linear((float)ysg__csv_get(c, row, cols[i]));
  out[3] = ysg__csv_has(c, cols[3]) ? (float)ysg__csv_get(c, row, cols[3]) : 1.0f;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

ysg_status ysg__csv_sort_by_frame(const ysg_csv *c, int col_frame, int32_t *perm) {
  ysg_context *ctx = c->node->p->ctx;
  int64_t *keys = ysg__alloc(ctx, sizeof *keys * (size_t)(c->n_rows ? c->n_rows : 1));
  if (!keys) return YSG_ERR_NOMEM;
  /* frame in the high half, row in the low half: sorting the keys is a stable sort by frame */
  for (int r = 0; r < c->n_rows; r++)
    keys[r] = ((int64_t)ysg__csv_get(c, r, col_frame) << 32) | (int64_t)r;
  qsort(keys, (size_t)c->n_rows, sizeof *keys, cmp_i64);
  for (int r = 0; r < c->n_rows; r++) perm[r] = (int32_t)(keys[r] & 0xffffffff);
  ysg__free(ctx, keys);
  return YSG_OK;
}

ysg_status ysg__frame_index_build(ysg_node *n, const int32_t *frames, int n_rows,
                                  ysg_frame_index *out) {
  memset(out, 0, sizeof *out);
  out->n_rows = n_rows;
  if (!frames) {
    out->all = 1;
    out->max_rows = n_rows > 0 ? n_rows : 1;
    return YSG_OK;
  }
  int nf = 0;
  for (int r = 0; r < n_rows; r++) nf += r == 0 || frames[r] != frames[r - 1];
  out->frames = ysg_node_alloc(n, sizeof(int32_t) * (size_t)(nf ? nf : 1));
  out->start = ysg_node_alloc(n, sizeof(int32_t) * (size_t)(nf + 1));
  if (!out->frames || !out->start) {
    ysg__frame_index_free(n, out);
    return YSG_ERR_NOMEM;
  }
  int k = 0, max_rows = 1;
  for (int r = 0; r < n_rows; r++)
    if (r == 0 || frames[r] != frames[r - 1]) {
      out->frames[k] = frames[r];
      out->start[k++] = r;
    }
  out->start[nf] = n_rows;
  out->n_frames = nf;
  for (int i = 0; i < nf; i++)
    if (out->start[i + 1] - out->start[i] > max_rows) max_rows = out->start[i + 1] - out->start[i];
  out->max_rows = max_rows;
  return YSG_OK;
}

void ysg__frame_index_free(ysg_node *n, ysg_frame_index *fi) {
  if (fi->frames) ysg_node_free(n, fi->frames);
  if (fi->start) ysg_node_free(n, fi->start);
  fi->frames = fi->start = NULL;
  fi->n_frames = 0;
}

int ysg__frame_index_find(const ysg_frame_index *fi, int f, int *first) {
  *first = 0;
  if (fi->all) return fi->n_rows;
  int lo = 0, hi = fi->n_frames; /* first frame number >= f */
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (fi->frames[mid] < f)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == fi->n_frames || fi->frames[lo] != f) return 0;
  *first = fi->start[lo];
  return fi->start[lo + 1] - fi->start[lo];
}

typedef struct rows_source {
  ysg_frame_index fi;
  ysg_rows rows; /* grouped by frame in file order */
} rows_source;

void ysg__csv_rows_destroy(ysg_node *n) {
  rows_source *st = ysg_node_state(n);
  if (!st) return;
  ysg__frame_index_free(n, &st->fi);
  ysg__rows_free(n, &st->rows);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status rows_fill(ysg_node *n, rows_source *st, const ysg_csv *c,
                            const ysg_csv_rows_cols *m) {
  ysg_context *ctx = n->p->ctx;
  size_t rows = (size_t)(c->n_rows ? c->n_rows : 1);
  int32_t *perm = ysg__alloc(ctx, sizeof *perm * rows);
  int32_t *frames = ysg__alloc(ctx, sizeof *frames * rows);
  if (!perm || !frames) {
    ysg__free(ctx, perm);
    ysg__free(ctx, frames);
    return YSG_ERR_NOMEM;
  }
  ysg_status s = YSG_OK;
  int framed = ysg__csv_has(c, m->frame);
  if (framed)
    s = ysg__csv_sort_by_frame(c, m->frame, perm);
  else
    for (int r = 0; r < c->n_rows; r++) perm[r] = r;
  for (int k = 0; k < c->n_rows && framed; k++)
    frames[k] = (int32_t)ysg__csv_get(c, perm[k], m->frame);
  if (!s) s = ysg__frame_index_build(n, framed ? frames : NULL, c->n_rows, &st->fi);
  ysg_rows *t = &st->rows;
  int has_id = ysg__csv_has(c, m->id), has_rgba = ysg__csv_has(c, m->rgba[0]);
  int has_radius = m->radius >= 0 && ysg__csv_has(c, m->radius);
  if (!s) {
    t->dims = m->dims;
    t->pos = ysg_node_alloc(n, sizeof(float) * (size_t)m->dims * rows);
    if (has_id) t->id = ysg_node_alloc(n, sizeof(int32_t) * rows);
    if (has_radius) t->radius = ysg_node_alloc(n, sizeof(float) * rows);
    if (has_rgba) t->rgba = ysg_node_alloc(n, sizeof(float) * 4 * rows);
    if (!t->pos || (has_id && !t->id) || (has_radius && !t->radius) || (has_rgba && !t->rgba))
      s = YSG_ERR_NOMEM;
  }
  for (int k = 0; k < c->n_rows && !s; k++) {
    int r = perm[k];
    for (int q = 0; q < m->dims; q++)
      t->pos[m->dims * k + q] = (float)ysg__csv_get(c, r, m->pos + q);
    if (t->id) t->id[k] = (int32_t)ysg__csv_get(c, r, m->id);
    if (t->radius) t->radius[k] = (float)ysg__csv_get(c, r, m->radius);
    if (t->rgba) ysg__csv_rgba(c, r, m->rgba, &t->rgba[4 * k]);
  }
  t->attrs = (t->id ? YSG_ATTR_ID : 0u) | (t->radius ? YSG_ATTR_RADIUS : 0u) |
             (t->rgba ? YSG_ATTR_RGBA : 0u);
  ysg__free(ctx, perm);
  ysg__free(ctx, frames);
  return s;
}

ysg_status ysg__csv_rows_init(ysg_node *n, int param, const ysg_csv_spec *spec,
                              const ysg_csv_rows_cols *cols) {
  ysg_csv c;
  ysg_status s = ysg__csv_read(n, param, spec, &c);
  if (s) return s;
  s = ysg__csv_check_rgba(&c, cols->rgba);
  rows_source *st = s ? NULL : ysg_node_alloc(n, sizeof *st);
  if (!s && !st) s = YSG_ERR_NOMEM;
  if (st) {
    ysg_node_set_state(n, st);
    s = rows_fill(n, st, &c, cols);
    if (s) ysg__csv_rows_destroy(n);
  }
  ysg__csv_free(&c);
  return s;
}

ysg_status ysg__csv_rows_infer(ysg_node *n) {
  const rows_source *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = st->fi.max_rows;
  v->attrs = st->rows.attrs;
  return YSG_OK;
}

ysg_status ysg__csv_rows_run(ysg_node *n, const ysg_frame *f) {
  const rows_source *st = ysg_node_state(n);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  ysg__rows_copy(&st->rows, first, k, ysg_node_output(n, 0));
  return YSG_OK;
}
