/* tracks.c — the `tracks` source: object tracks from a MOTChallenge text file
 * (frame,id,x,y,w,h,conf[,…], 1-based frames, no header) or a plain CSV file
 * (frame,id,x,y[,w,h], with or without the header line naming those columns). The whole file is
 * read at init by csv.c's reader, checked (positive sizes, frames not before first_frame, one row
 * per track and frame) and kept as two row sets — boxes and their centres as points — grouped by
 * pipeline frame in file order; run() copies one frame's run of rows into both outputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "csv.h"
#include "import.h"
#include "rows.h"

enum {
  P_PATH,
  P_FORMAT,
  P_FIRST_FRAME,
  P_MIN_CONF,
  P_COLORS,
  P_COLUMNS,
  P_STRICT,
  P_NORMALIZED,
  P_SCALE,
  P_OFFSET,
  P_FROM,
  N_PARAMS
};
enum { F_AUTO, F_MOT, F_CSV };
enum { OUT_BOXES, OUT_POINTS };

/* Both schemas start frame,id,x,y,w,h,conf so the row code below can use one set of indices;
 * only the CSV schema has a label column. */
enum { C_FRAME, C_ID, C_X, C_Y, C_W, C_H, C_CONF, C_LABEL };

static const ysg_csv_col mot_cols[] = {
    {"frame", YSG_CSV_INDEX, 1, NULL}, {"id", YSG_CSV_INT, 1, NULL},
    {"x", YSG_CSV_NUMBER, 1, NULL},    {"y", YSG_CSV_NUMBER, 1, NULL},
    {"w", YSG_CSV_POSITIVE, 1, NULL},  {"h", YSG_CSV_POSITIVE, 1, NULL},
    {"conf", YSG_CSV_NUMBER, 1, NULL}, {"col8", YSG_CSV_NUMBER, 0, NULL},
    {"col9", YSG_CSV_NUMBER, 0, NULL}, {"col10", YSG_CSV_NUMBER, 0, NULL},
};
static const ysg_csv_spec mot_spec = {mot_cols, 10, YSG_CSV_HEADERLESS};

static const ysg_csv_col csv_cols[] = {
    {"frame", YSG_CSV_INDEX, 1, NULL},
    {"id", YSG_CSV_INT, 1, NULL},
    {"x", YSG_CSV_NUMBER, 1, NULL},
    {"y", YSG_CSV_NUMBER, 1, NULL},
    {"w", YSG_CSV_POSITIVE, 0, "width"},
    {"h", YSG_CSV_POSITIVE, 0, "height"},
    {"conf", YSG_CSV_NUMBER, 0, "score|confidence"},
    {"label", YSG_CSV_STRING, 0, "class|name"},
};
static const ysg_csv_spec csv_header_spec = {csv_cols, 8, 0};
static const ysg_csv_spec csv_plain_spec = {csv_cols, 6, YSG_CSV_HEADERLESS};

static const ysg_import_params import = {P_COLUMNS,    P_STRICT, P_MIN_CONF, -1,
                                         P_NORMALIZED, P_SCALE,  P_OFFSET,   P_FROM};

typedef struct tracks_state {
  ysg_frame_index fi; /* by pipeline frame (file frame - first_frame) */
  ysg_rows boxes;     /* dims 4; no rows when the file has no w,h */
  ysg_rows points;    /* dims 2: box centres, or the x,y points */
  ysg_labels labels;  /* the names both label arrays index */
  ysg_xform xf;       /* found at infer */
  int has_boxes;
} tracks_state;

static void tracks_destroy(ysg_node *n) {
  tracks_state *st = ysg_node_state(n);
  if (!st) return;
  ysg__frame_index_free(n, &st->fi);
  ysg__rows_free(n, &st->boxes);
  ysg__rows_free(n, &st->points);
  ysg__labels_free(n, &st->labels);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

/* A distinct, stable colour per track id: hue steps by the golden ratio, so neighbouring ids
 * differ by ~222° of hue; saturation 0.7, value 1 in sRGB, returned linear with alpha 1. */
static void id_color(int32_t id, float out[4]) {
  double h = fmod((double)(uint32_t)id * 0.6180339887498949, 1.0) * 6.0;
  int i = (int)h;
  double f = h - i, s = 0.7, v = 1.0;
  double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  for (int c = 0; c < 3; c++) out[c] = ysg_srgb_to_linear((float)rgb[i % 6][c]);
  out[3] = 1.0f;
}

typedef struct dup_key {
  int32_t frame, id, row;
} dup_key;

static int cmp_dup(const void *a, const void *b) {
  const dup_key *x = a, *y = b;
  if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

/* One row per (frame, id): the error names the earliest line that repeats a pair, and the line
 * it repeats. Id -1 (MOTChallenge's "no track", used by detection files) may repeat. */
static ysg_status check_duplicates(ysg_node *n, const ysg_csv *c) {
  ysg_context *ctx = n->p->ctx;
  dup_key *k = ysg__alloc(ctx, sizeof *k * (size_t)(c->n_rows ? c->n_rows : 1));
  if (!k) return YSG_ERR_NOMEM;
  for (int r = 0; r < c->n_rows; r++) {
    k[r].frame = (int32_t)ysg__csv_get(c, r, C_FRAME);
    k[r].id = (int32_t)ysg__csv_get(c, r, C_ID);
    k[r].row = r;
  }
  qsort(k, (size_t)c->n_rows, sizeof *k, cmp_dup);
  int worst = -1, first = -1;
  for (int r = 1; r < c->n_rows; r++)
    if (k[r].frame == k[r - 1].frame && k[r].id == k[r - 1].id && k[r].id != -1 &&
        (worst < 0 || k[r].row < worst)) {
      worst = k[r].row;
      first = k[r - 1].row;
    }
  ysg__free(ctx, k);
  if (worst < 0) return YSG_OK;
  return ysg__csv_fail(
      c, YSG_ERR_DATA, c->lines[worst], "track %d appears twice in frame %d (also on line %d)",
      (int)ysg__csv_get(c, worst, C_ID), (int)ysg__csv_get(c, worst, C_FRAME), c->lines[first]);
}

/* Read the file with the schema the format (or, for auto, its first data line) calls for. */
static ysg_status read_file(ysg_node *n, int *mot, ysg_csv *c) {
  int format = ysg_node_enum(n, P_FORMAT), nf, numeric, line;
  ysg_xform check;
  ysg_status s = ysg__import_xform(n, &import, &check); /* params before data */
  if (s) return s;
  s = ysg__csv_sniff(n, P_PATH, &nf, &numeric, &line);
  if (s) return s;
  *mot = format == F_MOT || (format == F_AUTO && numeric && nf >= 7);
  const ysg_csv_spec *spec = *mot                 ? &mot_spec
                             : numeric || nf == 0 ? &csv_plain_spec
                                                  : &csv_header_spec;
  ysg_csv_opts o;
  ysg__csv_opts_of(n, &import, &o);
  s = ysg__csv_read_opts(n, P_PATH, spec, &o, c);
  if (s) return s;
  if (ysg_node_bool(n, P_NORMALIZED)) {
    ysg_csv_rows_cols pos = {
        C_X, ysg__csv_has(c, C_W) ? 4 : 2, -1, -1, -1, {-1, -1, -1, -1}, -1, -1, YSG_BOX_XYWH};
    s = ysg__csv_check_positions(c, &pos, 1);
    if (s) {
      ysg__csv_free(c);
      return s;
    }
  }
  if (*mot) return YSG_OK;
  if (ysg__csv_has(c, C_W) != ysg__csv_has(c, C_H)) {
    const char *missing = ysg__csv_has(c, C_W) ? "h" : "w";
    s = c->header_line
            ? ysg__csv_fail(c, YSG_ERR_DATA, c->header_line,
                            "columns w,h must come together (missing '%s')", missing)
            : ysg__csv_fail(c, YSG_ERR_DATA, c->lines[0],
                            "expected 4 fields (frame,id,x,y) or 6 (frame,id,x,y,w,h), found 5");
    ysg__csv_free(c);
  }
  return s;
}

static ysg_status fill(ysg_node *n, tracks_state *st, ysg_csv *c, int mot, int first_frame) {
  ysg_context *ctx = n->p->ctx;
  double min_conf = ysg_node_number(n, P_MIN_CONF);
  int has_conf = ysg__csv_has(c, C_CONF);
  int has_label = !mot && ysg__csv_has(c, C_LABEL);
  int colors = ysg_node_enum(n, P_COLORS) == 1;
  size_t rows = (size_t)(c->n_rows ? c->n_rows : 1);
  int32_t *perm = ysg__alloc(ctx, sizeof *perm * rows);
  int32_t *frames = ysg__alloc(ctx, sizeof *frames * rows);
  ysg_status s = perm && frames ? ysg__csv_sort_by_frame(c, C_FRAME, perm) : YSG_ERR_NOMEM;
  int kept = 0; /* rows left after min_conf, in (frame, file) order */
  for (int k = 0; k < c->n_rows && !s; k++)
    if (!has_conf || ysg__csv_get(c, perm[k], C_CONF) >= min_conf) {
      perm[kept] = perm[k];
      frames[kept++] = (int32_t)ysg__csv_get(c, perm[k], C_FRAME) - first_frame;
    }
  if (!s) s = ysg__frame_index_build(n, frames, kept, &st->fi);
  st->has_boxes = ysg__csv_has(c, C_W);
  ysg_rows *b = &st->boxes, *p = &st->points;
  size_t nk = (size_t)(kept ? kept : 1);
  b->dims = 4;
  p->dims = 2;
  if (!s) {
    p->pos = ysg_node_alloc(n, sizeof(float) * 2 * nk);
    p->id = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (has_conf) p->conf = ysg_node_alloc(n, sizeof(float) * nk);
    if (colors) p->rgba = ysg_node_alloc(n, sizeof(float) * 4 * nk);
    if (has_label) p->label = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (!p->pos || !p->id || (has_conf && !p->conf) || (colors && !p->rgba) ||
        (has_label && !p->label))
      s = YSG_ERR_NOMEM;
  }
  if (!s && st->has_boxes) { /* the boxes share the points' attribute arrays' contents */
    b->pos = ysg_node_alloc(n, sizeof(float) * 4 * nk);
    b->id = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (has_conf) b->conf = ysg_node_alloc(n, sizeof(float) * nk);
    if (colors) b->rgba = ysg_node_alloc(n, sizeof(float) * 4 * nk);
    if (has_label) b->label = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (!b->pos || !b->id || (has_conf && !b->conf) || (colors && !b->rgba) ||
        (has_label && !b->label))
      s = YSG_ERR_NOMEM;
  }
  for (int k = 0; k < kept && !s; k++) {
    int r = perm[k];
    float x = (float)ysg__csv_get(c, r, C_X), y = (float)ysg__csv_get(c, r, C_Y);
    p->id[k] = (int32_t)ysg__csv_get(c, r, C_ID);
    if (p->conf) p->conf[k] = (float)ysg__csv_get(c, r, C_CONF);
    if (p->rgba) id_color(p->id[k], &p->rgba[4 * k]);
    if (p->label) p->label[k] = (int32_t)ysg__csv_get(c, r, C_LABEL);
    if (st->has_boxes) {
      float w = (float)ysg__csv_get(c, r, C_W), h = (float)ysg__csv_get(c, r, C_H);
      float *q = &b->pos[4 * k];
      q[0] = x, q[1] = y, q[2] = w, q[3] = h;
      x += 0.5f * w;
      y += 0.5f * h;
      b->id[k] = p->id[k];
      if (b->conf) b->conf[k] = p->conf[k];
      if (b->rgba) memcpy(&b->rgba[4 * k], &p->rgba[4 * k], 4 * sizeof(float));
      if (b->label) b->label[k] = p->label[k];
    }
    p->pos[2 * k] = x;
    p->pos[2 * k + 1] = y;
  }
  p->attrs = YSG_ATTR_ID | (p->conf ? YSG_ATTR_CONF : 0u) | (p->rgba ? YSG_ATTR_RGBA : 0u) |
             (p->label ? YSG_ATTR_LABEL : 0u);
  b->attrs = st->has_boxes ? YSG_ATTR_ID | (b->conf ? YSG_ATTR_CONF : 0u) |
                                 (b->rgba ? YSG_ATTR_RGBA : 0u) | (b->label ? YSG_ATTR_LABEL : 0u)
                           : 0u;
  if (!s && has_label) { /* the names move from the reader to the node */
    st->labels = c->strings;
    memset(&c->strings, 0, sizeof c->strings);
  }
  ysg__free(ctx, perm);
  ysg__free(ctx, frames);
  return s;
}

static ysg_status tracks_init(ysg_node *n) {
  ysg_csv c;
  int mot = 0;
  ysg_status s = read_file(n, &mot, &c);
  if (s) return s;
  int first_frame = ysg_node_int(n, P_FIRST_FRAME);
  if (first_frame < 0) first_frame = mot ? 1 : 0;
  int last = -1;
  for (int r = 0; r < c.n_rows && !s; r++) {
    int f = (int)ysg__csv_get(&c, r, C_FRAME);
    if (f < first_frame)
      s = ysg__csv_fail(&c, YSG_ERR_DATA, c.lines[r],
                        "column 'frame': frame %d is before first_frame %d%s", f, first_frame,
                        mot && !ysg_node_param_is_set(n, P_FIRST_FRAME)
                            ? " (MOTChallenge frames count from 1)"
                            : "");
    if (f > last) last = f;
  }
  if (!s) s = check_duplicates(n, &c);
  tracks_state *st = s ? NULL : ysg_node_alloc(n, sizeof *st);
  if (!s && !st) s = YSG_ERR_NOMEM;
  if (st) {
    ysg_node_set_state(n, st);
    s = fill(n, st, &c, mot, first_frame);
    if (s) tracks_destroy(n);
  }
  if (!s && last >= first_frame) ysg_node_suggest_canvas(n, 0, 0, last - first_frame + 1, 0);
  ysg__csv_free(&c);
  return s;
}

static ysg_status tracks_infer(ysg_node *n) {
  tracks_state *st = ysg_node_state(n);
  ysg_value *b = ysg_node_output(n, OUT_BOXES), *p = ysg_node_output(n, OUT_POINTS);
  b->capacity = st->has_boxes ? st->fi.max_rows : 1;
  b->attrs = st->boxes.attrs;
  p->capacity = st->fi.max_rows;
  p->attrs = st->points.attrs;
  b->labels = p->labels = (st->points.attrs & YSG_ATTR_LABEL) ? &st->labels.table : NULL;
  return ysg__import_xform(n, &import, &st->xf);
}

static ysg_status tracks_run(ysg_node *n, const ysg_frame *f) {
  const tracks_state *st = ysg_node_state(n);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  ysg__rows_copy(&st->points, first, k, &st->xf, ysg_node_output(n, OUT_POINTS));
  ysg_value *b = ysg_node_output(n, OUT_BOXES);
  if (st->has_boxes)
    ysg__rows_copy(&st->boxes, first, k, &st->xf, b);
  else
    b->count = 0, b->attrs = 0;
  return YSG_OK;
}

/* Any frame's rows (all are kept): output `port` as run() writes it, into out. */
static ysg_status tracks_seek(ysg_node *n, int port, const ysg_frame *f, ysg_value *out) {
  const tracks_state *st = ysg_node_state(n);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  if (port == OUT_POINTS)
    ysg__rows_copy(&st->points, first, k, &st->xf, out);
  else if (st->has_boxes)
    ysg__rows_copy(&st->boxes, first, k, &st->xf, out);
  else
    out->count = 0, out->attrs = 0;
  return YSG_OK;
}

static const ysg_param_def params[N_PARAMS] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "MOTChallenge text (frame,id,x,y,w,h,conf,...) or CSV (frame,id,x,y[,w,h], header optional)"},
    {"format", YSG_PARAM_ENUM, "auto", 0, 0, "auto|mot|csv", YSG_PARAM_STATIC,
     "auto: MOT when the first data line has 7 or more numbers, else CSV"},
    {"first_frame", YSG_PARAM_INT, "-1", -1, 10000000, NULL, YSG_PARAM_STATIC,
     "the file's frame number shown at pipeline frame 0; -1: 1 for MOT, 0 for CSV"},
    {"min_conf", YSG_PARAM_NUMBER, "-1e7", 0, 0, NULL, YSG_PARAM_STATIC,
     "rows with conf < min_conf are dropped; the default keeps every row (conf -1 too)"},
    {"colors", YSG_PARAM_ENUM, "none", 0, 0, "none|id", YSG_PARAM_STATIC,
     "id: a fixed colour per track id (golden-ratio hues), as rgba on boxes and points"},
    YSG_IMPORT_COLUMNS,
    YSG_IMPORT_STRICT,
    YSG_IMPORT_NORMALIZED,
    YSG_IMPORT_SCALE,
    YSG_IMPORT_OFFSET,
    YSG_IMPORT_FROM,
};
static const ysg_port_def outputs[] = {
    {"boxes", YSG_BOXES, 0, "the current frame's boxes (x,y,w,h) with track ids", NULL, 0},
    {"points", YSG_POINTS, 0, "the boxes' centres (or the x,y points) with track ids", NULL, 0},
};

const ysg_node_type ysg__node_tracks = {
    .name = "tracks",
    .category = "source",
    .doc =
        "Object tracks from a MOTChallenge file (frame,id,x,y,w,h,conf,...; frames from 1) or a "
        "CSV file (frame,id,x,y[,w,h][,conf][,label], header line optional; frames from 0): "
        "pipeline frame f shows the rows of file frame first_frame + f, in file order, as boxes "
        "and as points at their centres, both with track ids (for graph hysteresis and bbox "
        "ages) and the confidence and class label when the file has them. Read once at load; "
        "w,h must be > 0; without w,h the points are the x,y values and boxes stay empty. A "
        "track may appear once per frame (id -1, MOT's 'no track', may repeat). Suggests the "
        "canvas frame count: last frame - first_frame + 1. CSV headers take `columns` renames "
        "and skip unknown columns with a warning (strict: an error); normalized/scale/offset/"
        "from map the coordinates onto the canvas.",
    .outputs = outputs,
    .n_outputs = 2,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = tracks_init,
    .infer = tracks_infer,
    .run = tracks_run,
    .seek = tracks_seek,
    .destroy = tracks_destroy,
};
