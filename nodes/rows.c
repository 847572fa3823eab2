/* rows.c — point and box rows in node state (see rows.h): their release, the copy of one frame's
 * run of rows into the output value through the source's coordinate transform, and the class-name
 * tables that labels index. */
#include "rows.h"

#include <string.h>

void ysg__rows_free(ysg_node *n, ysg_rows *r) {
  void *arrays[] = {r->pos, r->id, r->radius, r->rgba, r->conf, r->label};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  r->pos = r->radius = r->rgba = r->conf = NULL;
  r->id = r->label = NULL;
}

void ysg__rows_copy(const ysg_rows *r, int first, int count, const ysg_xform *xf, ysg_value *v) {
  size_t k = (size_t)count, o = (size_t)first, d = (size_t)r->dims;
  float *dst = r->dims == 4 ? v->xywh : v->xy;
  const float *src = r->pos + d * o;
  uint32_t a = r->attrs; /* a value from ysg_node_input_at may leave arrays out (NULL) */
  if (!v->id) a &= ~YSG_ATTR_ID;
  if (!v->radius) a &= ~YSG_ATTR_RADIUS;
  if (!v->rgba) a &= ~YSG_ATTR_RGBA;
  if (!v->conf) a &= ~YSG_ATTR_CONF;
  if (!v->label) a &= ~YSG_ATTR_LABEL;
  int identity = !xf || (xf->sx == 1.0f && xf->sy == 1.0f && xf->ox == 0.0f && xf->oy == 0.0f);
  if (dst && identity) {
    memcpy(dst, src, k * d * sizeof(float));
  } else if (dst) {
    for (size_t i = 0; i < k; i++) {
      dst[d * i] = src[d * i] * xf->sx + xf->ox;
      dst[d * i + 1] = src[d * i + 1] * xf->sy + xf->oy;
      if (d == 4) {
        dst[d * i + 2] = src[d * i + 2] * xf->sx;
        dst[d * i + 3] = src[d * i + 3] * xf->sy;
      }
    }
  }
  if (a & YSG_ATTR_ID) memcpy(v->id, r->id + o, k * sizeof(int32_t));
  if (a & YSG_ATTR_RADIUS) memcpy(v->radius, r->radius + o, k * sizeof(float));
  if (a & YSG_ATTR_RGBA) memcpy(v->rgba, r->rgba + 4 * o, k * 4 * sizeof(float));
  if (a & YSG_ATTR_CONF) memcpy(v->conf, r->conf + o, k * sizeof(float));
  if (a & YSG_ATTR_LABEL) memcpy(v->label, r->label + o, k * sizeof(int32_t));
  v->count = count;
  v->attrs = a;
}

static int labels_append(ysg_node *n, ysg_labels *l, const char *name, size_t len) {
  if (l->table.count == l->cap) {
    int ncap = l->cap ? 2 * l->cap : 16;
    char **nn = ysg_node_alloc(n, sizeof *nn * (size_t)ncap);
    if (!nn) return -1;
    if (l->table.count) memcpy(nn, l->names, sizeof *nn * (size_t)l->table.count);
    if (l->names) ysg_node_free(n, l->names);
    l->names = nn;
    l->cap = ncap;
  }
  char *s = ysg_node_alloc(n, len + 1);
  if (!s) return -1;
  memcpy(s, name, len);
  l->names[l->table.count] = s;
  l->table.names = (const char *const *)l->names;
  return l->table.count++;
}

int ysg__labels_intern(ysg_node *n, ysg_labels *l, const char *name, size_t len) {
  for (int i = 0; i < l->table.count; i++)
    if (strlen(l->names[i]) == len && memcmp(l->names[i], name, len) == 0) return i;
  return labels_append(n, l, name, len);
}

ysg_status ysg__labels_set(ysg_node *n, ysg_labels *l, const char *const *names, int count) {
  int same = count == l->table.count;
  for (int i = 0; i < count && same; i++) same = strcmp(names[i], l->names[i]) == 0;
  if (same) return YSG_OK;
  for (int i = 0; i < l->table.count; i++) ysg_node_free(n, l->names[i]);
  l->table.count = 0;
  for (int i = 0; i < count; i++)
    if (labels_append(n, l, names[i], strlen(names[i])) < 0) return YSG_ERR_NOMEM;
  return YSG_OK;
}

void ysg__labels_free(ysg_node *n, ysg_labels *l) {
  for (int i = 0; i < l->table.count; i++) ysg_node_free(n, l->names[i]);
  if (l->names) ysg_node_free(n, l->names);
  memset(l, 0, sizeof *l);
}
