/* edges.c — the `edges` source: links between points read from a CSV file (i,j + optional frame;
 * `columns` renames, `strict` refuses unknown columns, as the other CSV sources).
 * Stored normalised (i < j), deduplicated and sorted by (i, j) within each frame, so the output is
 * deterministic whatever the file's order. Indices are checked against the points by the nodes
 * that use them (the file does not know how many points a frame has). */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import.h"

enum { P_PATH, P_COLUMNS, P_STRICT, N_PARAMS };
enum { C_I, C_J, C_FRAME, N_COLS };

static const ysg_csv_col cols[N_COLS] = {
    {"i", YSG_CSV_INDEX, 1, NULL},
    {"j", YSG_CSV_INDEX, 1, NULL},
    {"frame", YSG_CSV_INDEX, 0, NULL},
};
static const ysg_csv_spec spec = {cols, N_COLS, 0};

typedef struct edge_key {
  int32_t frame, i, j;
} edge_key;

typedef struct edges_state {
  ysg_frame_index fi;
  int32_t *ij; /* (edges, 2) i < j, sorted by (frame, i, j), unique */
} edges_state;

static int cmp_key(const void *pa, const void *pb) {
  const edge_key *a = pa, *b = pb;
  if (a->frame != b->frame) return a->frame < b->frame ? -1 : 1;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  return (a->j > b->j) - (a->j < b->j);
}

static void edges_destroy(ysg_node *n) {
  edges_state *st = ysg_node_state(n);
  if (!st) return;
  ysg__frame_index_free(n, &st->fi);
  if (st->ij) ysg_node_free(n, st->ij);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status fill(ysg_node *n, edges_state *st, const ysg_csv *c) {
  ysg_context *ctx = n->p->ctx;
  size_t rows = (size_t)(c->n_rows ? c->n_rows : 1);
  edge_key *keys = ysg__alloc(ctx, sizeof *keys * rows);
  int32_t *frames = ysg__alloc(ctx, sizeof *frames * rows);
  ysg_status s = keys && frames ? YSG_OK : YSG_ERR_NOMEM;
  int framed = ysg__csv_has(c, C_FRAME);
  for (int r = 0; r < c->n_rows && !s; r++) {
    int32_t i = (int32_t)ysg__csv_get(c, r, C_I), j = (int32_t)ysg__csv_get(c, r, C_J);
    if (i == j) {
      s = ysg__csv_fail(c, YSG_ERR_DATA, c->lines[r], "an edge joins point %d to itself", (int)i);
      break;
    }
    keys[r].frame = framed ? (int32_t)ysg__csv_get(c, r, C_FRAME) : 0;
    keys[r].i = i < j ? i : j;
    keys[r].j = i < j ? j : i;
  }
  int m = 0;
  if (!s) {
    qsort(keys, (size_t)c->n_rows, sizeof *keys, cmp_key);
    for (int r = 0; r < c->n_rows; r++)
      if (m == 0 || cmp_key(&keys[m - 1], &keys[r]) != 0) keys[m++] = keys[r];
    for (int k = 0; k < m; k++) frames[k] = keys[k].frame;
    s = ysg__frame_index_build(n, framed ? frames : NULL, m, &st->fi);
  }
  if (!s) {
    st->ij = ysg_node_alloc(n, sizeof(int32_t) * 2 * (size_t)(m ? m : 1));
    if (!st->ij) s = YSG_ERR_NOMEM;
  }
  for (int k = 0; k < m && !s; k++) {
    st->ij[2 * k] = keys[k].i;
    st->ij[2 * k + 1] = keys[k].j;
  }
  ysg__free(ctx, keys);
  ysg__free(ctx, frames);
  return s;
}

static ysg_status edges_init(ysg_node *n) {
  ysg_csv c;
  ysg_csv_opts o = {ysg_node_bool(n, P_STRICT), P_COLUMNS};
  ysg_status s = ysg__csv_read_opts(n, P_PATH, &spec, &o, &c);
  if (s) return s;
  edges_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) s = YSG_ERR_NOMEM;
  if (st) {
    ysg_node_set_state(n, st);
    s = fill(n, st, &c);
    if (s)
      edges_destroy(n);
    else
      ysg__frame_index_suggest(n, &st->fi);
  }
  ysg__csv_free(&c);
  return s;
}

static ysg_status edges_infer(ysg_node *n) {
  const edges_state *st = ysg_node_state(n);
  ysg_node_output(n, 0)->capacity = st->fi.max_rows;
  return YSG_OK;
}

static ysg_status edges_run(ysg_node *n, const ysg_frame *f) {
  const edges_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  int first;
  int k = ysg__frame_index_find(&st->fi, f->index, &first);
  memcpy(v->ij, st->ij + 2 * (size_t)first, (size_t)k * 2 * sizeof(int32_t));
  v->count = k;
  v->attrs = 0;
  return YSG_OK;
}

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming i,j (point indices) and optionally frame"},
    YSG_IMPORT_COLUMNS,
    YSG_IMPORT_STRICT,
};
static const ysg_port_def outputs[] = {
    {"edges", YSG_EDGES, 0, "the edges of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_edges = {
    .name = "edges",
    .category = "source",
    .doc =
        "Edges from a CSV file with a header line naming i,j (non-negative point indices, "
        "i != j) and optionally frame. Each frame's edges are stored with i < j, without "
        "duplicates, sorted by (i, j). Indices are checked against the points by the nodes "
        "that use them. Without a frame column every frame shows every edge; with one, the "
        "canvas frame count defaults to the last frame + 1. Other columns are skipped with a "
        "warning (strict = true: an error); `columns` renames.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = edges_init,
    .infer = edges_infer,
    .run = edges_run,
    .destroy = edges_destroy,
};
