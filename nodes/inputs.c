/* inputs.c — the host-fed input nodes points_in and boxes_in (see inputs.h; image_in is in
 * image_in.c). Node state holds capacity-sized copies allocated at init; the set calls validate
 * the whole input before touching that state, so a rejected set keeps the previous data; run()
 * copies the state into the output every frame. Before the first set an input is empty. */
#include "inputs.h"

#include <math.h>
#include <string.h>

#include "color.h"
#include "import.h"
#include "internal.h"
#include "rows.h"

#define MAX_ABS 1e7 /* coordinate limit, as for CSV data */

/* points_in's params; boxes_in has P_FORMAT after P_CAPACITY (its indices shift by one) */
enum { P_CAPACITY, P_MIN_CONF, P_NORMALIZED, P_SCALE, P_OFFSET, P_FROM, N_POINTS_PARAMS };
enum { B_CAPACITY, B_FORMAT, B_MIN_CONF, B_NORMALIZED, B_SCALE, B_OFFSET, B_FROM, N_BOXES_PARAMS };
static const ysg_import_params points_import = {-1,           -1,      P_MIN_CONF, -1,
                                                P_NORMALIZED, P_SCALE, P_OFFSET,   P_FROM};
static const ysg_import_params boxes_import = {-1,           -1,      B_MIN_CONF, B_FORMAT,
                                               B_NORMALIZED, B_SCALE, B_OFFSET,   B_FROM};

/* ---- points_in / boxes_in ------------------------------------------------------------------ */

typedef struct rows_state {
  int cap, count;
  ysg_rows rows;     /* (cap) rows, every array allocated (radius for points only) */
  ysg_labels labels; /* the names of the last set call */
  ysg_xform xf;      /* found at infer */
  const ysg_import_params *ip;
} rows_state;

static void rows_destroy(ysg_node *n) {
  rows_state *st = ysg_node_state(n);
  if (!st) return;
  ysg__rows_free(n, &st->rows);
  ysg__labels_free(n, &st->labels);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status rows_init(ysg_node *n, int dims, int with_radius, const ysg_import_params *ip) {
  ysg_xform check;
  ysg_status s = ysg__import_xform(n, ip, &check); /* the params, before any set call */
  if (s) return s;
  rows_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->ip = ip;
  st->cap = ysg_node_int(n, P_CAPACITY);
  size_t cap = (size_t)st->cap;
  ysg_rows *r = &st->rows;
  r->dims = dims;
  r->pos = ysg_node_alloc(n, sizeof(float) * (size_t)dims * cap);
  r->id = ysg_node_alloc(n, sizeof(int32_t) * cap);
  r->rgba = ysg_node_alloc(n, sizeof(float) * 4 * cap);
  r->conf = ysg_node_alloc(n, sizeof(float) * cap);
  r->label = ysg_node_alloc(n, sizeof(int32_t) * cap);
  if (with_radius) r->radius = ysg_node_alloc(n, sizeof(float) * cap);
  if (!r->pos || !r->id || !r->rgba || !r->conf || !r->label || (with_radius && !r->radius)) {
    rows_destroy(n);
    return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}

static ysg_status points_in_init(ysg_node *n) { return rows_init(n, 2, 1, &points_import); }
static ysg_status boxes_in_init(ysg_node *n) { return rows_init(n, 4, 0, &boxes_import); }

static ysg_status rows_infer(ysg_node *n) {
  rows_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = st->cap;
  v->labels = &st->labels.table; /* fixed from here on; the names follow the set calls */
  return ysg__import_xform(n, st->ip, &st->xf);
}

static ysg_status rows_run(ysg_node *n, const ysg_frame *f) {
  (void)f; /* the input holds until the next set call */
  const rows_state *st = ysg_node_state(n);
  ysg__rows_copy(&st->rows, 0, st->count, &st->xf, ysg_node_output(n, 0));
  return YSG_OK;
}

/* conf and labels of a set call: finite confidences, label indices into the names */
static ysg_status check_extras(ysg_node *n, const char *what, int count, const float *conf,
                               const int32_t *label, const char *const *names, int n_names) {
  if (label && (n_names < 0 || (n_names > 0 && !names)))
    return ysg_node_fail(n, YSG_ERR_INVALID, "labels given without their %d names", n_names);
  for (int i = 0; i < n_names; i++)
    if (!names[i]) return ysg_node_fail(n, YSG_ERR_INVALID, "label name %d is NULL", i);
  for (int i = 0; i < count; i++) {
    if (conf && !isfinite(conf[i]))
      return ysg_node_fail(n, YSG_ERR_DATA, "%s %d: conf is %g, expected a finite number", what, i,
                           (double)conf[i]);
    if (label && (label[i] < -1 || label[i] >= n_names))
      return ysg_node_fail(n, YSG_ERR_DATA,
                           "%s %d: label %d is not an index into the %d label names (or -1)", what,
                           i, (int)label[i], n_names);
  }
  return YSG_OK;
}

/* Keep rows whose conf is at least min_conf (all without conf): compacts the state's arrays in
 * place, returns the kept count. */
static int drop_below(rows_state *st, int count, const float *conf, double min_conf) {
  if (!conf) return count;
  ysg_rows *r = &st->rows;
  int d = r->dims, k = 0;
  for (int i = 0; i < count; i++) {
    if (!(conf[i] >= min_conf)) continue;
    if (k != i) {
      memmove(r->pos + d * k, r->pos + d * i, sizeof(float) * (size_t)d);
      r->id[k] = r->id[i];
      memmove(r->rgba + 4 * k, r->rgba + 4 * i, sizeof(float) * 4);
      r->conf[k] = r->conf[i];
      r->label[k] = r->label[i];
      if (r->radius) r->radius[k] = r->radius[i];
    }
    k++;
  }
  return k;
}

/* common checks of a set call; *st is the node's state */
static ysg_status rows_begin(ysg_node *n, const ysg_node_type *want, const char *what, int count,
                             const void *pos, const char *pos_name, rows_state **st) {
  if (n->type != want) return ysg_node_fail(n, YSG_ERR_INVALID, "is not a %s node", want->name);
  *st = ysg_node_state(n);
  if (!*st) return ysg_node_fail(n, YSG_ERR_INVALID, "the pipeline is not loaded");
  if (count < 0) return ysg_node_fail(n, YSG_ERR_INVALID, "count %d is negative", count);
  if (count > (*st)->cap)
    return ysg_node_fail(n, YSG_ERR_LIMIT, "%d %s exceed the capacity %d (raise capacity=)", count,
                         what, (*st)->cap);
  if (count > 0 && !pos) return ysg_node_fail(n, YSG_ERR_INVALID, "%s is NULL", pos_name);
  return YSG_OK;
}

static ysg_status check_coord(ysg_node *n, const char *what, int i, const char *name, float x) {
  if (!isfinite(x))
    return ysg_node_fail(n, YSG_ERR_DATA, "%s %d: %s is %g, expected a finite number", what, i,
                         name, (double)x);
  if (fabsf(x) > MAX_ABS)
    return ysg_node_fail(n, YSG_ERR_DATA, "%s %d: %s %g is out of range (|value| <= 1e7)", what, i,
                         name, (double)x);
  return YSG_OK;
}

static ysg_status check_rgba(ysg_node *n, const char *what, int i, const float *c) {
  for (int q = 0; q < 4; q++)
    if (!isfinite(c[q]))
      return ysg_node_fail(n, YSG_ERR_DATA, "%s %d: colour channel %d is %g, expected 0..1", what,
                           i, q, (double)c[q]);
  return YSG_OK;
}

/* normalized inputs: every coordinate (and size) in 0..1 */
static ysg_status check_normalized(ysg_node *n, const rows_state *st, const char *what,
                                   const float *v, int dims, int count) {
  if (!st->ip || st->ip->normalized < 0 || !ysg_node_bool(n, st->ip->normalized)) return YSG_OK;
  for (int i = 0; i < count; i++)
    for (int q = 0; q < dims; q++)
      if (!(v[dims * i + q] >= 0.0f && v[dims * i + q] <= 1.0f))
        return ysg_node_fail(n, YSG_ERR_DATA, "%s %d: normalized value %g is outside 0..1", what, i,
                             (double)v[dims * i + q]);
  return YSG_OK;
}

/* sRGB straight -> linear straight; channels are clamped into 0..1 (rounding in hosts' maths) */
static void copy_rgba(float *dst, const float *src, int count) {
  for (int i = 0; i < count; i++) {
    for (int q = 0; q < 3; q++) dst[4 * i + q] = ysg_srgb_to_linear(ysg_clamp01(src[4 * i + q]));
    dst[4 * i + 3] = ysg_clamp01(src[4 * i + 3]);
  }
}

ysg_status ysg__input_set_points(ysg_node *n, const ysg_points_desc *d) {
  if (!d) return ysg_node_fail(n, YSG_ERR_INVALID, "no points given (NULL)");
  rows_state *st;
  ysg_status s = rows_begin(n, &ysg__node_points_in, "points", d->count, d->xy, "xy", &st);
  if (s) return s;
  static const char *const xy_names[2] = {"x", "y"};
  for (int i = 0; i < d->count; i++) {
    for (int q = 0; q < 2; q++)
      if ((s = check_coord(n, "point", i, xy_names[q], d->xy[2 * i + q]))) return s;
    if (d->radius && !(d->radius[i] >= 0 && d->radius[i] <= MAX_ABS))
      return ysg_node_fail(n, YSG_ERR_DATA, "point %d: radius is %g, expected 0..1e7", i,
                           (double)d->radius[i]);
    if (d->rgba && (s = check_rgba(n, "point", i, &d->rgba[4 * i]))) return s;
  }
  if ((s = check_extras(n, "point", d->count, d->conf, d->label, d->label_names,
                        d->n_label_names)) ||
      (s = check_normalized(n, st, "point", d->xy, 2, d->count)))
    return s;
  if (d->label && (s = ysg__labels_set(n, &st->labels, d->label_names, d->n_label_names))) return s;
  size_t k = (size_t)d->count;
  if (k) memcpy(st->rows.pos, d->xy, k * 2 * sizeof(float));
  if (d->id && k) memcpy(st->rows.id, d->id, k * sizeof(int32_t));
  if (d->radius && k) memcpy(st->rows.radius, d->radius, k * sizeof(float));
  if (d->rgba) copy_rgba(st->rows.rgba, d->rgba, d->count);
  if (d->conf && k) memcpy(st->rows.conf, d->conf, k * sizeof(float));
  if (d->label && k) memcpy(st->rows.label, d->label, k * sizeof(int32_t));
  st->count = drop_below(st, d->count, d->conf, ysg_node_number(n, P_MIN_CONF));
  st->rows.attrs = (d->id ? YSG_ATTR_ID : 0u) | (d->radius ? YSG_ATTR_RADIUS : 0u) |
                   (d->rgba ? YSG_ATTR_RGBA : 0u) | (d->conf ? YSG_ATTR_CONF : 0u) |
                   (d->label ? YSG_ATTR_LABEL : 0u);
  return YSG_OK;
}

ysg_status ysg__input_set_boxes(ysg_node *n, const ysg_boxes_desc *d) {
  if (!d) return ysg_node_fail(n, YSG_ERR_INVALID, "no boxes given (NULL)");
  rows_state *st;
  ysg_status s = rows_begin(n, &ysg__node_boxes_in, "boxes", d->count, d->xywh, "xywh", &st);
  if (s) return s;
  static const char *const layouts[3][4] = {
      {"x", "y", "w", "h"}, {"x1", "y1", "x2", "y2"}, {"cx", "cy", "w", "h"}};
  int format = ysg_node_enum(n, B_FORMAT);
  const char *const *names = layouts[format];
  for (int i = 0; i < d->count; i++) {
    const float *b = &d->xywh[4 * i];
    for (int q = 0; q < 4; q++)
      if ((s = check_coord(n, "box", i, names[q], b[q]))) return s;
    for (int q = 2; q < 4 && format != YSG_BOX_XYXY; q++)
      if (b[q] < 0)
        return ysg_node_fail(n, YSG_ERR_DATA, "box %d: %s is %g, expected a size >= 0", i, names[q],
                             (double)b[q]);
    for (int q = 0; q < 2 && format == YSG_BOX_XYXY; q++)
      if (b[q + 2] < b[q])
        return ysg_node_fail(n, YSG_ERR_DATA, "box %d: %s is %g, less than %s %g", i, names[q + 2],
                             (double)b[q + 2], names[q], (double)b[q]);
    if (d->rgba && (s = check_rgba(n, "box", i, &d->rgba[4 * i]))) return s;
  }
  if ((s = check_extras(n, "box", d->count, d->conf, d->label, d->label_names, d->n_label_names)) ||
      (s = check_normalized(n, st, "box", d->xywh, 4, d->count)))
    return s;
  if (d->label && (s = ysg__labels_set(n, &st->labels, d->label_names, d->n_label_names))) return s;
  size_t k = (size_t)d->count;
  for (int i = 0; i < d->count; i++) {
    double b[4] = {d->xywh[4 * i], d->xywh[4 * i + 1], d->xywh[4 * i + 2], d->xywh[4 * i + 3]};
    ysg__import_box(format, b, &st->rows.pos[4 * i]);
  }
  if (d->id && k) memcpy(st->rows.id, d->id, k * sizeof(int32_t));
  if (d->rgba) copy_rgba(st->rows.rgba, d->rgba, d->count);
  if (d->conf && k) memcpy(st->rows.conf, d->conf, k * sizeof(float));
  if (d->label && k) memcpy(st->rows.label, d->label, k * sizeof(int32_t));
  st->count = drop_below(st, d->count, d->conf, ysg_node_number(n, B_MIN_CONF));
  st->rows.attrs = (d->id ? YSG_ATTR_ID : 0u) | (d->rgba ? YSG_ATTR_RGBA : 0u) |
                   (d->conf ? YSG_ATTR_CONF : 0u) | (d->label ? YSG_ATTR_LABEL : 0u);
  return YSG_OK;
}

/* ---- schemas --------------------------------------------------------------------------------- */

static const ysg_param_def points_params[N_POINTS_PARAMS] = {
    {"capacity", YSG_PARAM_INT, "4096", 1, 10000000, NULL, YSG_PARAM_STATIC,
     "most points one set call may pass"},
    YSG_IMPORT_MIN_CONF,
    YSG_IMPORT_NORMALIZED,
    YSG_IMPORT_SCALE,
    YSG_IMPORT_OFFSET,
    YSG_IMPORT_FROM,
};
static const ysg_param_def boxes_params[N_BOXES_PARAMS] = {
    {"capacity", YSG_PARAM_INT, "1024", 1, 10000000, NULL, YSG_PARAM_STATIC,
     "most boxes one set call may pass"},
    YSG_IMPORT_FORMAT,
    YSG_IMPORT_MIN_CONF,
    YSG_IMPORT_NORMALIZED,
    YSG_IMPORT_SCALE,
    YSG_IMPORT_OFFSET,
    YSG_IMPORT_FROM,
};
static const ysg_port_def points_out[] = {
    {"points", YSG_POINTS, 0, "the points of the last set call", NULL, 0},
};
static const ysg_port_def boxes_out[] = {
    {"boxes", YSG_BOXES, 0, "the boxes of the last set call", NULL, 0},
};
const ysg_node_type ysg__node_points_in = {
    .name = "points_in",
    .category = "input",
    .doc =
        "Points fed by the host program with ysg_pipeline_set_points (xy, optional id, radius, "
        "sRGB straight colour, conf and class labels with their names); the data is copied and "
        "shown every frame until the next set. Coordinates must be finite with |value| <= 1e7, "
        "radii in 0..1e7, conf finite, labels -1 or an index into the names; colour channels "
        "are clamped into 0..1; points below min_conf are dropped; normalized/scale/offset/from "
        "map the coordinates onto the canvas. Empty before the first set.",
    .outputs = points_out,
    .n_outputs = 1,
    .params = points_params,
    .n_params = N_POINTS_PARAMS,
    .flags = YSG_NODE_INPUT | YSG_NODE_HOST,
    .init = points_in_init,
    .infer = rows_infer,
    .run = rows_run,
    .destroy = rows_destroy,
};

const ysg_node_type ysg__node_boxes_in = {
    .name = "boxes_in",
    .category = "input",
    .doc =
        "Boxes fed by the host program with ysg_pipeline_set_boxes (four numbers per box in the "
        "layout `format`, optional id, sRGB straight colour, conf and class labels with their "
        "names); the data is copied and shown every frame until the next set. Values must be "
        "finite with |value| <= 1e7, sizes >= 0 (xyxy: x2 >= x1, y2 >= y1); colour channels "
        "are clamped into 0..1; boxes below min_conf are dropped; normalized/scale/offset/from "
        "map the coordinates onto the canvas. Empty before the first set.",
    .outputs = boxes_out,
    .n_outputs = 1,
    .params = boxes_params,
    .n_params = N_BOXES_PARAMS,
    .flags = YSG_NODE_INPUT | YSG_NODE_HOST,
    .init = boxes_in_init,
    .infer = rows_infer,
    .run = rows_run,
    .destroy = rows_destroy,
};
