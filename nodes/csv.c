/* csv.c — the shared CSV reader (see csv.h): whole-file read at init, header matching against a
 * column schema (aliases, the node's renames, unknown columns skipped or refused), per-field
 * validation with messages that point at the data file's line and the node that read it, the
 * frame index the source nodes use to hand out one frame's rows (the row source of the points
 * and boxes nodes is nodes/csv_rows.c).
 * Format: comma-separated, fields optionally in double quotes ("" is a quote); fields trimmed;
 * CRLF accepted; blank lines and lines starting with '#' skipped; a UTF-8 byte-order mark is
 * ignored; an empty first header field marks a leading index column (pandas), skipped. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "rows.h"

#define SHOW_MAX 64     /* longest field text quoted in a message */
#define MAX_FIELDS 1024 /* fields per line */
#define MAX_TEXT 1024   /* longest quoted field with "" escapes, and longest label */

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
void ysg__csv_fmt_double(double x, char *buf, size_t cap) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, cap, "%.*g", prec, x);
    if (strtod(buf, NULL) != x) continue;
    /* no exponent for everyday magnitudes: 20, not 2e+01 */
    if (strchr(buf, 'e') && fabs(x) >= 1e-4 && fabs(x) < 1e15) {
      int decimals = prec - 1 - (int)floor(log10(fabs(x)));
      snprintf(buf, cap, "%.*f", decimals > 0 ? decimals : 0, x);
    }
    return;
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
    case YSG_CSV_STRING:
      return "a text";
    default:
      return "a number";
  }
}

/* A line's fields: each a span of the line or, for quoted fields with "" escapes, of a copy. */
typedef struct fields {
  int n;
  const char *s[MAX_FIELDS], *e[MAX_FIELDS];
  char buf[MAX_TEXT * 2]; /* unescaped copies */
  size_t used;
} fields;

/* Split [s, e) at commas outside double quotes. 0, or a message in err. */
static int split(const char *s, const char *e, fields *f, char *err, size_t errcap) {
  const char *line = s;
  f->n = 0;
  f->used = 0;
  for (;;) {
    if (f->n == MAX_FIELDS) {
      snprintf(err, errcap, "more than %d fields", MAX_FIELDS);
      return -1;
    }
    const char *q = s;
    while (q < e && is_space(*q)) q++;
    const char *fs, *fe, *next;
    if (q < e && *q == '"') {
      const char *open = q++;
      int escaped = 0;
      for (; q < e; q++)
        if (*q == '"') {
          if (q + 1 < e && q[1] == '"') {
            escaped = 1;
            q++;
          } else {
            break;
          }
        }
      if (q >= e) {
        snprintf(err, errcap, "a quoted field starting at character %d has no closing quote",
                 (int)(open - line) + 1);
        return -1;
      }
      fs = open + 1;
      fe = q;
      const char *r = q + 1;
      while (r < e && is_space(*r)) r++;
      if (r < e && *r != ',') {
        snprintf(err, errcap, "text after the closing quote of a field");
        return -1;
      }
      next = r;
      if (escaped) { /* unescape "" into the buffer */
        size_t len = 0;
        char *d = f->buf + f->used;
        size_t room = sizeof f->buf - f->used;
        for (const char *t = fs; t < fe; t++) {
          if (len + 1 >= room) {
            snprintf(err, errcap, "a quoted field longer than %d bytes", MAX_TEXT);
            return -1;
          }
          d[len++] = *t;
          if (*t == '"') t++;
        }
        fs = d;
        fe = d + len;
        f->used += len;
      }
    } else {
      next = q;
      while (next < e && *next != ',') next++;
      fs = q;
      fe = next;
      trim(&fs, &fe);
    }
    f->s[f->n] = fs;
    f->e[f->n] = fe;
    f->n++;
    if (next >= e) return 0;
    s = next + 1; /* past the comma */
  }
}

static ysg_status parse_field(ysg_csv *c, int line, int col, const char *s, size_t len,
                              double *out) {
  const ysg_csv_col *cd = &c->spec->cols[col];
  const char *name = c->shown[col];
  char text[SHOW_MAX + 8];
  char num[320];
  show(s, len, text, sizeof text);
  if (cd->kind == YSG_CSV_STRING) {
    if (len == 0) {
      *out = -1;
      return YSG_OK;
    }
    if (len > 255)
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': a text longer than 255 bytes",
                           name);
    int k = ysg__labels_intern(c->node, &c->strings, s, len);
    if (k < 0) return YSG_ERR_NOMEM;
    *out = k;
    return YSG_OK;
  }
  const char *what = kind_what(cd->kind);
  if (len == 0 || len >= sizeof num)
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", name, what,
                         text);
  memcpy(num, s, len);
  num[len] = 0;
  char *end = NULL;
  errno = 0;
  double x = strtod(num, &end);
  if (end != num + len)
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", name, what,
                         text);
  if (errno == ERANGE && isinf(x)) /* a literal too large for a double, not "inf" */
    return ysg__csv_fail(c, YSG_ERR_DATA, line,
                         "column '%s': value %s is out of range (|value| <= 1e7)", name, text);
  if (!isfinite(x)) {
    int integral = cd->kind == YSG_CSV_INT || cd->kind == YSG_CSV_INDEX;
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", name,
                         integral ? what : "a finite number", text);
  }
  if (fabs(x) > YSG_CSV_MAX_ABS) {
    char v[40];
    ysg__csv_fmt_double(x, v, sizeof v);
    return ysg__csv_fail(c, YSG_ERR_DATA, line,
                         "column '%s': value %s is out of range (|value| <= 1e7)", name, v);
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
    return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s': expected %s, found '%s'", name, what,
                         text);
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

/* does header name [s, s+len) name column cd: its name or an alias, or only `renamed` if set */
static int names_col(const ysg_csv_col *cd, const char *renamed, const char *s, size_t len) {
  if (renamed) return strlen(renamed) == len && memcmp(renamed, s, len) == 0;
  if (strlen(cd->name) == len && memcmp(cd->name, s, len) == 0) return 1;
  for (const char *a = cd->aliases; a && *a;) {
    const char *bar = strchr(a, '|');
    size_t n = bar ? (size_t)(bar - a) : strlen(a);
    if (n == len && memcmp(a, s, n) == 0) return 1;
    a = bar ? bar + 1 : a + n;
  }
  return 0;
}

typedef struct renames {
  char to[YSG_CSV_MAX_COLS][64]; /* header name for each schema column, "" when not renamed */
} renames;

/* the node's `columns` map: every name must be a schema column */
static ysg_status read_renames(ysg_csv *c, const ysg_csv_opts *o, renames *r) {
  memset(r, 0, sizeof *r);
  if (!o || o->columns_param < 0) return YSG_OK;
  const ysg_csv_spec *spec = c->spec;
  char name[128], val[128], known[512];
  for (int i = 0; ysg_node_map_at(c->node, o->columns_param, i, name, sizeof name, val, sizeof val);
       i++) {
    int col = -1;
    for (int k = 0; k < spec->n_cols && col < 0; k++)
      if (strcmp(spec->cols[k].name, name) == 0) col = k;
    if (col < 0) {
      col_list(spec, -1, known, sizeof known);
      return ysg_node_param_fail(c->node, o->columns_param, YSG_ERR_PIPELINE,
                                 "unknown column '%s' (known: %s)", name, known);
    }
    snprintf(r->to[col], sizeof r->to[col], "%.63s", val);
  }
  return YSG_OK;
}

static ysg_status read_header(ysg_csv *c, int line, const fields *f, const ysg_csv_opts *o,
                              int *skip_first) {
  const ysg_csv_spec *spec = c->spec;
  renames rn;
  ysg_status st = read_renames(c, o, &rn);
  if (st) return st;
  char known[512], unknown[512] = "";
  size_t ulen = 0;
  int n_unknown = 0;
  col_list(spec, -1, known, sizeof known);
  *skip_first = f->n > 1 && f->s[0] == f->e[0]; /* pandas' unnamed index column */
  for (int k = *skip_first; k < f->n; k++) {
    const char *fs = f->s[k];
    size_t len = (size_t)(f->e[k] - fs);
    if (len == 0)
      return ysg__csv_fail(c, YSG_ERR_DATA, line,
                           "field %d of the header names no column (known: %s)", k + 1, known);
    int col = -1;
    for (int i = 0; i < spec->n_cols && col < 0; i++)
      if (names_col(&spec->cols[i], rn.to[i][0] ? rn.to[i] : NULL, fs, len)) col = i;
    char text[SHOW_MAX + 8];
    show(fs, len, text, sizeof text);
    if (col < 0) {
      if (o && o->strict)
        return ysg__csv_fail(c, YSG_ERR_DATA, line, "unknown column '%s' (known: %s)", text, known);
      if (ulen < sizeof unknown)
        ulen += (size_t)snprintf(unknown + ulen, sizeof unknown - ulen, "%s'%s'",
                                 n_unknown ? ", " : "", text);
      n_unknown++;
      continue;
    }
    if (c->field[col] >= 0) {
      if (strcmp(c->shown[col], text) == 0)
        return ysg__csv_fail(c, YSG_ERR_DATA, line, "column '%s' appears twice", text);
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "columns '%s' and '%s' both give %s",
                           c->shown[col], text, spec->cols[col].name);
    }
    c->field[col] = k;
    snprintf(c->shown[col], sizeof c->shown[col], "%.63s", text);
  }
  c->n_fields = f->n;
  for (int i = 0; i < spec->n_cols; i++) {
    if (c->field[i] >= 0) continue;
    if (rn.to[i][0])
      return ysg__csv_fail(c, YSG_ERR_DATA, line,
                           "no column '%s' (the node's columns map %s to it)", rn.to[i],
                           spec->cols[i].name);
    if (spec->cols[i].required) {
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
  }
  if (n_unknown)
    ysg_node_log(c->node, YSG_LOG_WARN,
                 "%s:%d: ignoring column%s %s (reads: %s; strict = true makes this an error)",
                 c->path, line, n_unknown > 1 ? "s" : "", unknown, known);
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
  size_t nc = (size_t)c->spec->n_cols;
  int ncap = *cap ? *cap * 2 : 256;
  if (ncap > YSG_CSV_MAX_ROWS) ncap = YSG_CSV_MAX_ROWS;
  double *v = ysg__realloc_array(ctx, c->values, (size_t)*cap * nc, (size_t)ncap * nc, sizeof *v);
  if (!v) return YSG_ERR_NOMEM;
  c->values = v;
  int32_t *l = ysg__realloc_array(ctx, c->lines, (size_t)*cap, (size_t)ncap, sizeof *l);
  if (!l) return YSG_ERR_NOMEM;
  c->lines = l;
  *cap = ncap;
  return YSG_OK;
}

static ysg_status parse(ysg_csv *c, const char *buf, size_t len, const ysg_csv_opts *o, fields *f) {
  const ysg_csv_spec *spec = c->spec;
  const char *p = buf, *end = buf + len;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  int line = 0, have_layout = 0, cap = 0;
  char err[256];
  while (p < end) {
    const char *s = p, *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    p = e < end ? e + 1 : end;
    line++;
    trim(&s, &e);
    if (s == e || *s == '#') continue;
    if (split(s, e, f, err, sizeof err)) return ysg__csv_fail(c, YSG_ERR_DATA, line, "%s", err);
    if (!have_layout) {
      have_layout = 1;
      int headerless = (spec->flags & YSG_CSV_HEADERLESS) != 0, skip = 0;
      if (!headerless) c->header_line = line;
      ysg_status st =
          headerless ? headerless_layout(c, line, f->n) : read_header(c, line, f, o, &skip);
      if (st) return st;
      if (!headerless) continue; /* the header line holds no data */
    }
    if (f->n != c->n_fields)
      return ysg__csv_fail(c, YSG_ERR_DATA, line, "expected %d fields, found %d", c->n_fields,
                           f->n);
    if (c->n_rows == YSG_CSV_MAX_ROWS)
      return ysg__csv_fail(c, YSG_ERR_LIMIT, line, "more than %d data rows", YSG_CSV_MAX_ROWS);
    if (c->n_rows == cap) {
      ysg_status st = grow_rows(c, &cap);
      if (st) return st;
    }
    double *row = c->values + (size_t)c->n_rows * (size_t)spec->n_cols;
    for (int col = 0; col < spec->n_cols; col++) {
      int k = c->field[col];
      if (k < 0) continue;
      ysg_status st = parse_field(c, line, col, f->s[k], (size_t)(f->e[k] - f->s[k]), &row[col]);
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
  fields *f = ysg__alloc(n->p->ctx, sizeof *f);
  if (!f) {
    ysg__free(n->p->ctx, buf);
    return YSG_ERR_NOMEM;
  }
  const char *p = buf, *end = buf + len;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  for (int ln = 1; p < end; ln++) {
    const char *s = p, *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    p = e < end ? e + 1 : end;
    trim(&s, &e);
    if (s == e || *s == '#') continue;
    char ignored[256];
    *line = ln;
    if (split(s, e, f, ignored, sizeof ignored)) break; /* the read reports it */
    *n_fields = f->n;
    *numeric = 1;
    for (int k = 0; k < f->n; k++)
      if (!is_number(f->s[k], (size_t)(f->e[k] - f->s[k]))) *numeric = 0;
    break;
  }
  ysg__free(n->p->ctx, f);
  ysg__free(n->p->ctx, buf);
  return YSG_OK;
}

ysg_status ysg__csv_read(ysg_node *n, int param, const ysg_csv_spec *spec, ysg_csv *out) {
  return ysg__csv_read_opts(n, param, spec, NULL, out);
}

ysg_status ysg__csv_read_opts(ysg_node *n, int param, const ysg_csv_spec *spec,
                              const ysg_csv_opts *opts, ysg_csv *out) {
  ysg_context *ctx = n->p->ctx;
  memset(out, 0, sizeof *out);
  out->node = n;
  out->spec = spec;
  out->path = n->params[param].str ? n->params[param].str : "";
  for (int i = 0; i < YSG_CSV_MAX_COLS; i++) out->field[i] = -1;
  if (spec->n_cols <= 0 || spec->n_cols > YSG_CSV_MAX_COLS)
    return ysg_node_fail(n, YSG_ERR_INVALID, "CSV schema with %d columns (at most %d)",
                         spec->n_cols, YSG_CSV_MAX_COLS);
  for (int i = 0; i < spec->n_cols; i++)
    snprintf(out->shown[i], sizeof out->shown[i], "%s", spec->cols[i].name);
  const char *resolved = ysg_node_string(n, param);
  char *buf = NULL;
  size_t len = 0;
  int err = slurp(ctx, resolved ? resolved : out->path, &buf, &len);
  if (err == ENOMEM) return YSG_ERR_NOMEM;
  if (err)
    return ysg_node_param_fail(n, param, YSG_ERR_IO, "cannot open '%s': %s", out->path,
                               strerror(err));
  fields *f = ysg__alloc(ctx, sizeof *f); /* ~24 KiB: not on the stack */
  ysg_status st = f ? parse(out, buf, len, opts, f) : YSG_ERR_NOMEM;
  ysg__free(ctx, f);
  ysg__free(ctx, buf);
  if (st) ysg__csv_free(out);
  return st;
}

void ysg__csv_free(ysg_csv *c) {
  if (!c->node) return;
  ysg_context *ctx = c->node->p->ctx;
  ysg__free(ctx, c->values);
  ysg__free(ctx, c->lines);
  ysg__labels_free(c->node, &c->strings);
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

void ysg__frame_index_suggest(ysg_node *n, const ysg_frame_index *fi) {
  if (fi->all || fi->n_frames <= 0 || fi->frames[fi->n_frames - 1] >= 0x7fffffff) return;
  ysg_node_suggest_canvas(n, 0, 0, fi->frames[fi->n_frames - 1] + 1, 0);
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
