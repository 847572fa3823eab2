/* rows.h — point and box rows kept in node state by the sources that hold them (the CSV sources
 * points/boxes/tracks and the host-fed points_in/boxes_in): one layout for both kinds, the class
 * names their labels index, the coordinate transform applied as rows are handed out, and the
 * per-frame copy of a run of rows into the output value. */
#ifndef YSG_ROWS_H
#define YSG_ROWS_H

#include <stdint.h>

#include "ysgraph/node.h"

typedef struct ysg_rows {
  int dims;       /* 2: points (x,y -> ysg_value.xy); 4: boxes (x,y,w,h -> ysg_value.xywh) */
  uint32_t attrs; /* YSG_ATTR_* whose arrays hold data (what run copies and announces) */
  float *pos;     /* (rows, dims) pixels (before the transform) */
  int32_t *id;    /* (rows) when allocated */
  float *radius;  /* (rows) when allocated; points only */
  float *rgba;    /* (rows, 4) linear-light straight alpha, when allocated */
  float *conf;    /* (rows) confidence, when allocated */
  int32_t *label; /* (rows) index into the node's label names (-1: none), when allocated */
} ysg_rows;

/* Class names owned by a node: `table` is what values point at (ysg_value.labels). */
typedef struct ysg_labels {
  ysg_label_table table;
  char **names; /* (count) from ysg_node_alloc */
  int cap;
} ysg_labels;

/* Positions as they are handed out: x' = x·sx + ox, y' = y·sy + oy; box sizes scale by sx, sy
 * (both > 0). The identity is {1, 1, 0, 0}. */
typedef struct ysg_xform {
  float sx, sy, ox, oy;
} ysg_xform;

/* Release the arrays (from ysg_node_alloc) that are allocated and clear their pointers. */
void ysg__rows_free(ysg_node *n, ysg_rows *r);
/* v gets the `count` rows from row `first` on: positions (through xf; NULL: as stored), the
 * arrays r->attrs names, count and attrs. No allocation: this is the run() path. */
void ysg__rows_copy(const ysg_rows *r, int first, int count, const ysg_xform *xf, ysg_value *v);

/* Index of name in the table, appending a copy when absent; -1 and an error on the node when
 * memory runs out. */
int ysg__labels_intern(ysg_node *n, ysg_labels *l, const char *name, size_t len);
/* Replace the names by names[0..count) unless they are the same already (no allocation then). */
ysg_status ysg__labels_set(ysg_node *n, ysg_labels *l, const char *const *names, int count);
void ysg__labels_free(ysg_node *n, ysg_labels *l);

#endif /* YSG_ROWS_H */
