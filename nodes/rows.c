/* rows.c — point and box rows in node state (see rows.h): their release, and the copy of one
 * frame's run of rows into the output value. */
#include "rows.h"

#include <string.h>

void ysg__rows_free(ysg_node *n, ysg_rows *r) {
  void *arrays[] = {r->pos, r->id, r->radius, r->rgba, r->score};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  r->pos = r->radius = r->rgba = r->score = NULL;
  r->id = NULL;
}

void ysg__rows_copy(const ysg_rows *r, int first, int count, ysg_value *v) {
  size_t k = (size_t)count, o = (size_t)first, d = (size_t)r->dims;
  memcpy(r->dims == 4 ? v->xywh : v->xy, r->pos + d * o, k * d * sizeof(float));
  if (r->attrs & YSG_ATTR_ID) memcpy(v->id, r->id + o, k * sizeof(int32_t));
  if (r->attrs & YSG_ATTR_RADIUS) memcpy(v->radius, r->radius + o, k * sizeof(float));
  if (r->attrs & YSG_ATTR_RGBA) memcpy(v->rgba, r->rgba + 4 * o, k * 4 * sizeof(float));
  if (r->attrs & YSG_ATTR_SCORE) memcpy(v->score, r->score + o, k * sizeof(float));
  v->count = count;
  v->attrs = r->attrs;
}
