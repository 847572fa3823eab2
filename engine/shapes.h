/* shapes.h — names of the shape kinds of a shapes value (ysg_prim_kind) and of their geometry
 * floats, shared by the primitives node (its `shapes` parameter), the svg sink and the JSON/CSV
 * writers of --dump, so the three spell them the same way. */
#ifndef YSG_SHAPES_H
#define YSG_SHAPES_H

#include <stdio.h>
#include <string.h>

#include "ysgraph/value.h"

#define YSG_PRIM_GEOM 8 /* geometry floats per shape record */

static inline const char *ysg__prim_kind_name(int kind) {
  static const char *const names[YSG_PRIM_KIND_COUNT] = {
      "triangle", "rectangle", "rotated_rectangle", "ellipse", "rotated_ellipse",
      "circle",   "line",      "quadratic",         "polygon"};
  return kind >= 0 && kind < YSG_PRIM_KIND_COUNT ? names[kind] : NULL;
}

/* the kind named by the first len bytes of s, -1 if none */
static inline int ysg__prim_kind_find(const char *s, size_t len) {
  for (int k = 0; k < YSG_PRIM_KIND_COUNT; k++) {
    const char *name = ysg__prim_kind_name(k);
    if (strlen(name) == len && strncmp(name, s, len) == 0) return k;
  }
  return -1;
}

/* names of the geometry floats of a kind, in order, space-separated ("x0 y0 x1 y1 x2 y2") */
static inline const char *ysg__prim_geom_names(int kind) {
  static const char *const names[YSG_PRIM_KIND_COUNT] = {
      "x0 y0 x1 y1 x2 y2",      "x0 y0 x1 y1", "cx cy w h angle",   "cx cy rx ry",
      "cx cy rx ry angle",      "cx cy r",     "x0 y0 x1 y1 width", "x0 y0 cx cy x1 y1 width",
      "x0 y0 x1 y1 x2 y2 x3 y3"};
  return kind >= 0 && kind < YSG_PRIM_KIND_COUNT ? names[kind] : "";
}

/* how many geometry floats a kind uses */
static inline int ysg__prim_geom_count(int kind) {
  static const int counts[YSG_PRIM_KIND_COUNT] = {6, 4, 5, 4, 5, 3, 5, 7, 8};
  return kind >= 0 && kind < YSG_PRIM_KIND_COUNT ? counts[kind] : 0;
}

/* Write the records of a shapes value (its first count) to f: JSON ({"width", "height",
 * "shapes": [{"kind", geometry by name, "color" "#rrggbb", "rgb" sRGB 0..1, "opacity",
 * "error"}]}) or CSV (index,kind,p0..p7,r,g,b,opacity,error; p's a kind does not use are
 * empty). Colours are sRGB like the DSL's; numbers are printed with %.9g (float round trip).
 * width × height is the canvas the geometry is in. Returns 0, or the errno of a failed write. */
int ysg__write_shapes(FILE *f, const ysg_value *v, int width, int height, int json);

#endif /* YSG_SHAPES_H */
