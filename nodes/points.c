/* points.c — the `points` source: points read from a CSV file (x,y + optional frame, id, radius
 * and sRGB colour columns). The file is read and validated once at init; each frame copies the
 * rows of that frame (or every row, without a frame column) into the output. */
#include <string.h>

#include "csv.h"

enum { P_PATH };
enum { C_X, C_Y, C_FRAME, C_ID, C_RADIUS, C_R, C_G, C_B, C_A, N_COLS };

static const ysg_csv_col cols[N_COLS] = {
    {"x", YSG_CSV_NUMBER, 1}, {"y", YSG_CSV_NUMBER, 1},      {"frame", YSG_CSV_INDEX, 0},
    {"id", YSG_CSV_INT, 0},   {"radius", YSG_CSV_NONNEG, 0}, {"r", YSG_CSV_UNIT, 0},
    {"g", YSG_CSV_UNIT, 0},   {"b", YSG_CSV_UNIT, 0},        {"a", YSG_CSV_UNIT, 0},
};
static const ysg_csv_spec spec = {cols, N_COLS, 0};
static const int rgba_cols[4] = {C_R, C_G, C_B, C_A};

typedef struct points_state {
  ysg_frame_index fi;
  uint32_t attrs;
  float *xy;     /* (rows, 2) pixels, grouped by frame in file order */
  int32_t *id;   /* (rows) or NULL */
  float *radius; /* (rows) or NULL */
  float *rgba;   /* (rows, 4) linear-light straight alpha, or NULL */
} points_state;

static void points_destroy(ysg_node *n) {
  points_state *st = ysg_node_state(n);
  if (!st) return;
  ysg__frame_index_free(n, &st->fi);
  void *arrays[] = {st->xy, st->id, st->radius, st->rgba};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status fill(ysg_node *n, points_state *st, const ysg_csv *c) {
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
  int framed = ysg__csv_has(c, C_FRAME);
  if (framed)
    s = ysg__csv_sort_by_frame(c, C_FRAME, perm);
  else
    for (int r = 0; r < c->n_rows; r++) perm[r] = r;
  for (int k = 0; k < c->n_rows && framed; k++)
    frames[k] = (int32_t)ysg__csv_get(c, perm[k], C_FRAME);
  if (!s) s = ysg__frame_index_build(n, framed ? frames : NULL, c->n_rows, &st->fi);
  if (!s) {
    st->xy = ysg_node_alloc(n, sizeof(float) * 2 * rows);
    if (ysg__csv_has(c, C_ID)) st->id = ysg_node_alloc(n, sizeof(int32_t) * rows);
    if (ysg__csv_has(c, C_RADIUS)) st->radius = ysg_node_alloc(n, sizeof(float) * rows);
    if (ysg__csv_has(c, C_R)) st->rgba = ysg_node_alloc(n, sizeof(float) * 4 * rows);
    if (!st->xy || (ysg__csv_has(c, C_ID) && !st->id) ||
        (ysg__csv_has(c, C_RADIUS) && !st->radius) || (ysg__csv_has(c, C_R) && !st->rgba))
      s = YSG_ERR_NOMEM;
  }
  for (int k = 0; k < c->n_rows && !s; k++) {
    int r = perm[k];
    st->xy[2 * k] = (float)ysg__csv_get(c, r, C_X);
    st->xy[2 * k + 1] = (float)ysg__csv_get(c, r, C_Y);
    if (st->id) st->id[k] = (int32_t)ysg__csv_get(c, r, C_ID);
    if (st->radius) st->radius[k] = (float)ysg__csv_get(c, r, C_RADIUS);
    if (st->rgba) ysg__csv_rgba(c, r, rgba_cols, &st->rgba[4 * k]);
  }
  st->attrs = (st->id ? YSG_ATTR_ID : 0u) | (st->radius ? YSG_ATTR_RADIUS : 0u) |
              (st->rgba ? YSG_ATTR_RGBA : 0u);
  ysg__free(ctx, perm);
  ysg__free(ctx, frames);
  return s;
}

static ysg_status points_init(ysg_node *n) {
  ysg_csv c;
  ysg_status s = ysg__csv_read(n, P_PATH, &spec, &c);
  if (s) return s;
  s = ysg__csv_check_rgba(&c, rgba_cols);
  points_state *st = s ? NULL : ysg_node_alloc(n, sizeof *st);
  if (!s && !st) s = YSG_ERR_NOMEM;
  if (st) {
    ysg_node_set_state(n, st);
    s = fill(n, st, &c);
    if (s) points_destroy(n);
  }
  ysg__csv_free(&c);
  return s;
}

static ysg_status points_infer(ysg_node *n) {
  const points_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = st->fi.max_rows;
  v->attrs = st->attrs;
  return YSG_OK;
}

static ysg_status points_run(ysg_node *n, const ysg_frame *f) {
  const points_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  size_t u = (size_t)k, o = (size_t)first;
  memcpy(v->xy, st->xy + 2 * o, u * 2 * sizeof(float));
  if (st->id) memcpy(v->id, st->id + o, u * sizeof(int32_t));
  if (st->radius) memcpy(v->radius, st->radius + o, u * sizeof(float));
  if (st->rgba) memcpy(v->rgba, st->rgba + 4 * o, u * 4 * sizeof(float));
  v->count = k;
  v->attrs = st->attrs;
  return YSG_OK;
}

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming x,y and optionally frame,id,radius,r,g,b,a (sRGB 0..1)"},
};
static const ysg_port_def outputs[] = {
    {"points", YSG_POINTS, 0, "the rows of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_points = {
    .name = "points",
    .category = "source",
    .doc =
        "Points from a CSV file with a header line naming its columns: x,y (pixels) and "
        "optionally frame, id, radius (pixels) and r,g,b[,a] (sRGB 0..1, straight alpha). "
        "Without a frame column every frame shows every row; with one, frame f shows the "
        "rows whose frame is f, in file order. Read once at load.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = 1,
    .flags = YSG_NODE_HOST,
    .init = points_init,
    .infer = points_infer,
    .run = points_run,
    .destroy = points_destroy,
};
