/* csv_rows.c — the row source of the points and boxes nodes (see csv.h): the file read once at
 * init with the node's import options, checked (normalized range, xyxy corner order), rows below
 * min_conf dropped, the rest grouped by frame in file order with their class names; infer finds
 * the coordinate transform and run copies one frame's run of rows through it. */
#include <string.h>

#include "csv.h"
#include "rows.h"

typedef struct rows_source {
  ysg_frame_index fi;
  ysg_rows rows;     /* grouped by frame in file order */
  ysg_labels labels; /* the names rows.label indexes */
  ysg_xform xf;      /* found at infer (the canvas is final then) */
  const ysg_import_params *ip;
} rows_source;

void ysg__csv_rows_destroy(ysg_node *n) {
  rows_source *st = ysg_node_state(n);
  if (!st) return;
  ysg__frame_index_free(n, &st->fi);
  ysg__rows_free(n, &st->rows);
  ysg__labels_free(n, &st->labels);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

void ysg__csv_opts_of(const ysg_node *n, const ysg_import_params *ip, ysg_csv_opts *out) {
  out->strict = ip && ip->strict >= 0 ? ysg_node_bool(n, ip->strict) : 0;
  out->columns_param = ip ? ip->columns : -1;
}

ysg_status ysg__csv_check_positions(const ysg_csv *c, const ysg_csv_rows_cols *m, int normalized) {
  for (int r = 0; r < c->n_rows; r++) {
    for (int q = 0; q < m->dims && normalized; q++) {
      double v = ysg__csv_get(c, r, m->pos + q);
      if (!(v >= 0.0 && v <= 1.0)) {
        char t[40];
        ysg__csv_fmt_double(v, t, sizeof t);
        return ysg__csv_fail(c, YSG_ERR_DATA, c->lines[r],
                             "column '%s': normalized value %s is outside 0..1",
                             c->shown[m->pos + q], t);
      }
    }
    if (m->dims == 4 && m->box_format == YSG_BOX_XYXY)
      for (int q = 0; q < 2; q++) {
        double lo = ysg__csv_get(c, r, m->pos + q), hi = ysg__csv_get(c, r, m->pos + 2 + q);
        if (hi < lo) {
          char a[40], b[40];
          ysg__csv_fmt_double(hi, a, sizeof a);
          ysg__csv_fmt_double(lo, b, sizeof b);
          return ysg__csv_fail(c, YSG_ERR_DATA, c->lines[r], "column '%s': %s is less than %s %s",
                               c->shown[m->pos + 2 + q], a, c->shown[m->pos + q], b);
        }
      }
  }
  return YSG_OK;
}

static ysg_status rows_fill(ysg_node *n, rows_source *st, ysg_csv *c, const ysg_csv_rows_cols *m,
                            double min_conf) {
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
  int has_conf = m->conf >= 0 && ysg__csv_has(c, m->conf);
  if (framed)
    s = ysg__csv_sort_by_frame(c, m->frame, perm);
  else
    for (int r = 0; r < c->n_rows; r++) perm[r] = r;
  int kept = 0; /* rows left after min_conf, in (frame, file) order */
  for (int k = 0; k < c->n_rows && !s; k++)
    if (!has_conf || ysg__csv_get(c, perm[k], m->conf) >= min_conf) {
      perm[kept] = perm[k];
      if (framed) frames[kept] = (int32_t)ysg__csv_get(c, perm[k], m->frame);
      kept++;
    }
  if (!s) s = ysg__frame_index_build(n, framed ? frames : NULL, kept, &st->fi);
  ysg_rows *t = &st->rows;
  size_t nk = (size_t)(kept ? kept : 1);
  int has_id = ysg__csv_has(c, m->id), has_rgba = ysg__csv_has(c, m->rgba[0]);
  int has_radius = m->radius >= 0 && ysg__csv_has(c, m->radius);
  int has_label = m->label >= 0 && ysg__csv_has(c, m->label);
  if (!s) {
    t->dims = m->dims;
    t->pos = ysg_node_alloc(n, sizeof(float) * (size_t)m->dims * nk);
    if (has_id) t->id = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (has_radius) t->radius = ysg_node_alloc(n, sizeof(float) * nk);
    if (has_rgba) t->rgba = ysg_node_alloc(n, sizeof(float) * 4 * nk);
    if (has_conf) t->conf = ysg_node_alloc(n, sizeof(float) * nk);
    if (has_label) t->label = ysg_node_alloc(n, sizeof(int32_t) * nk);
    if (!t->pos || (has_id && !t->id) || (has_radius && !t->radius) || (has_rgba && !t->rgba) ||
        (has_conf && !t->conf) || (has_label && !t->label))
      s = YSG_ERR_NOMEM;
  }
  for (int k = 0; k < kept && !s; k++) {
    int r = perm[k];
    if (m->dims == 4) {
      double box[4];
      for (int q = 0; q < 4; q++) box[q] = ysg__csv_get(c, r, m->pos + q);
      ysg__import_box(m->box_format, box, &t->pos[4 * k]);
    } else {
      for (int q = 0; q < 2; q++) t->pos[2 * k + q] = (float)ysg__csv_get(c, r, m->pos + q);
    }
    if (t->id) t->id[k] = (int32_t)ysg__csv_get(c, r, m->id);
    if (t->radius) t->radius[k] = (float)ysg__csv_get(c, r, m->radius);
    if (t->rgba) ysg__csv_rgba(c, r, m->rgba, &t->rgba[4 * k]);
    if (t->conf) t->conf[k] = (float)ysg__csv_get(c, r, m->conf);
    if (t->label) t->label[k] = (int32_t)ysg__csv_get(c, r, m->label);
  }
  t->attrs = (t->id ? YSG_ATTR_ID : 0u) | (t->radius ? YSG_ATTR_RADIUS : 0u) |
             (t->rgba ? YSG_ATTR_RGBA : 0u) | (t->conf ? YSG_ATTR_CONF : 0u) |
             (t->label ? YSG_ATTR_LABEL : 0u);
  if (!s && has_label) { /* the names move from the reader to the node */
    st->labels = c->strings;
    memset(&c->strings, 0, sizeof c->strings);
  }
  ysg__free(ctx, perm);
  ysg__free(ctx, frames);
  return s;
}

ysg_status ysg__csv_rows_init(ysg_node *n, int param, const ysg_csv_spec *spec,
                              const ysg_csv_rows_cols *cols, const ysg_import_params *ip) {
  ysg_csv c;
  ysg_csv_opts o;
  ysg_xform check;
  ysg_status s = ip ? ysg__import_xform(n, ip, &check) : YSG_OK; /* params before data */
  if (s) return s;
  ysg__csv_opts_of(n, ip, &o);
  s = ysg__csv_read_opts(n, param, spec, &o, &c);
  if (s) return s;
  s = ysg__csv_check_rgba(&c, cols->rgba);
  int normalized = ip && ip->normalized >= 0 && ysg_node_bool(n, ip->normalized);
  if (!s) s = ysg__csv_check_positions(&c, cols, normalized);
  rows_source *st = s ? NULL : ysg_node_alloc(n, sizeof *st);
  if (!s && !st) s = YSG_ERR_NOMEM;
  if (st) {
    ysg_node_set_state(n, st);
    st->ip = ip;
    double min_conf = ip && ip->min_conf >= 0 ? ysg_node_number(n, ip->min_conf) : -1e300;
    s = rows_fill(n, st, &c, cols, min_conf);
    if (s)
      ysg__csv_rows_destroy(n);
    else
      ysg__frame_index_suggest(n, &st->fi);
  }
  ysg__csv_free(&c);
  return s;
}

ysg_status ysg__csv_rows_infer(ysg_node *n) {
  rows_source *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = st->fi.max_rows;
  v->attrs = st->rows.attrs;
  v->labels = (st->rows.attrs & YSG_ATTR_LABEL) ? &st->labels.table : NULL;
  st->xf = (ysg_xform){1, 1, 0, 0};
  return st->ip ? ysg__import_xform(n, st->ip, &st->xf) : YSG_OK;
}

ysg_status ysg__csv_rows_run(ysg_node *n, const ysg_frame *f) {
  const rows_source *st = ysg_node_state(n);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  ysg__rows_copy(&st->rows, first, k, &st->xf, ysg_node_output(n, 0));
  return YSG_OK;
}

/* The rows of any frame (the source keeps every frame's rows): the run's copy, into out. */
ysg_status ysg__csv_rows_seek(ysg_node *n, int port, const ysg_frame *f, ysg_value *out) {
  (void)port;
  const rows_source *st = ysg_node_state(n);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  ysg__rows_copy(&st->rows, first, k, &st->xf, out);
  return YSG_OK;
}
