/* rows.h — point and box rows kept in node state by the sources that hold them (the CSV sources
 * points/boxes and the host-fed points_in/boxes_in): one layout for both kinds, and the per-frame
 * copy of a run of rows into the output value. */
#ifndef YSG_ROWS_H
#define YSG_ROWS_H

#include <stdint.h>

#include "ysgraph/node.h"

typedef struct ysg_rows {
  int dims;       /* 2: points (x,y -> ysg_value.xy); 4: boxes (x,y,w,h -> ysg_value.xywh) */
  uint32_t attrs; /* YSG_ATTR_* whose arrays hold data (what run copies and announces) */
  float *pos;     /* (rows, dims) pixels */
  int32_t *id;    /* (rows) when allocated */
  float *radius;  /* (rows) when allocated; points only */
  float *rgba;    /* (rows, 4) linear-light straight alpha, when allocated */
  float *score;   /* (rows) confidence, when allocated; points only */
} ysg_rows;

/* Release the arrays (from ysg_node_alloc) that are allocated and clear their pointers. */
void ysg__rows_free(ysg_node *n, ysg_rows *r);
/* v gets the `count` rows from row `first` on: positions, the arrays r->attrs names, count and
 * attrs. No allocation: this is the run() path. */
void ysg__rows_copy(const ysg_rows *r, int first, int count, ysg_value *v);

#endif /* YSG_ROWS_H */
