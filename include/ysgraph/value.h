/* ysgraph/value.h — the values that flow between nodes (ARCHITECTURE §2).
 * A value is a view into the pipeline's arena: arrays sized for a capacity fixed at plan time and a
 * count that changes per frame. Colours in values are linear-light; images are FP16 premultiplied
 * RGBA. Shapes/layouts are noted on each field. */
#ifndef YSGRAPH_VALUE_H
#define YSGRAPH_VALUE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ysg_value_type {
  YSG_POINTS, /* tracked or generated points */
  YSG_EDGES,  /* undirected links between points, i < j */
  YSG_CURVES, /* polylines, S samples each */
  YSG_BOXES,  /* axis-aligned boxes */
  YSG_IMAGE,  /* FP16 linear premultiplied RGBA */
  YSG_SHAPES, /* geometric shapes drawn in order (the primitives node): kind, geometry, colour */
  YSG_VALUE_TYPE_COUNT
} ysg_value_type;

/* attribute bits in ysg_value.attrs: which optional arrays hold data this frame */
#define YSG_ATTR_ID (1u << 0)
#define YSG_ATTR_RADIUS (1u << 1)
#define YSG_ATTR_RGBA (1u << 2)
#define YSG_ATTR_CONF (1u << 3)  /* detection confidence */
#define YSG_ATTR_LABEL (1u << 4) /* class labels (label + labels) */

/* The class names a value's labels index: strings owned by the node that made the value (a data
 * source, or an input node whose host set them). The pointer is fixed from that node's infer on;
 * the names may change between frames (a host's set call), never during one. */
typedef struct ysg_label_table {
  int32_t count;
  const char *const *names; /* (count) UTF-8, NUL-terminated */
} ysg_label_table;

/* Shape kinds of a shapes value (ysg_value.kind) and the meaning of their 8 geometry floats
 * (ysg_value.geom, pixels with the origin top-left, angles in degrees clockwise; unused ones are
 * 0). Polygons are convex; lines and quadratic Bézier curves are strokes with round caps. */
typedef enum ysg_prim_kind {
  YSG_PRIM_TRIANGLE,          /* x0 y0 x1 y1 x2 y2 */
  YSG_PRIM_RECTANGLE,         /* x0 y0 x1 y1: the corners, x0 < x1, y0 < y1 */
  YSG_PRIM_ROTATED_RECTANGLE, /* cx cy w h angle: centre, size, rotation about the centre */
  YSG_PRIM_ELLIPSE,           /* cx cy rx ry */
  YSG_PRIM_ROTATED_ELLIPSE,   /* cx cy rx ry angle */
  YSG_PRIM_CIRCLE,            /* cx cy r */
  YSG_PRIM_LINE,              /* x0 y0 x1 y1 width */
  YSG_PRIM_QUADRATIC,         /* x0 y0 cx cy x1 y1 width: ends and control point */
  YSG_PRIM_POLYGON,           /* x0 y0 x1 y1 x2 y2 x3 y3: a convex quadrilateral */
  YSG_PRIM_KIND_COUNT
} ysg_prim_kind;

#define YSG_TILE 16 /* image occupancy tiles are YSG_TILE × YSG_TILE pixels */

typedef struct ysg_value {
  ysg_value_type type;
  int32_t count;            /* elements this frame: points, edges, curves or boxes; images: 1 */
  int32_t capacity;         /* elements the arrays hold (fixed at plan time) */
  uint32_t attrs;           /* YSG_ATTR_* present this frame */
  int32_t samples;          /* curves: samples per curve (S) */
  int32_t width, height;    /* images: pixels */
  int32_t tiles_x, tiles_y; /* images: occupancy grid, ceil(width/16) × ceil(height/16) */

  float *xy;      /* points (cap, 2); curves (cap, S, 2) — pixels, origin top-left */
  int32_t *ij;    /* edges (cap, 2) point indices; curves (cap, 2) end points of each curve */
  int32_t *id;    /* points, boxes (cap) — track ids */
  float *radius;  /* points (cap) — pixels */
  float *conf;    /* points, boxes (cap) — detection confidence (CSV conf/score/confidence) */
  float *rgba;    /* points, boxes (cap, 4) — linear-light, straight alpha */
  float *xywh;    /* boxes (cap, 4) — top-left x, y, width, height in pixels */
  uint16_t *px;   /* image (height, width, 4) — FP16 bits, linear-light, premultiplied */
  uint8_t *tiles; /* image (tiles_y, tiles_x) — 0: the tile is fully transparent and its pixels
                     are NOT written (read them as 0); 1: it may hold content */
  int32_t *label; /* points, boxes (cap) — class: an index into labels->names, -1: none */
  const ysg_label_table *labels; /* points, boxes: the names `label` indexes (NULL: none) */
  /* shapes: record i is drawn over records 0..i-1 with colour rgba[i] (linear, straight; rgba[3]
   * is the opacity) */
  int32_t *kind; /* shapes (cap) — ysg_prim_kind */
  float *geom;   /* shapes (cap, 8) — geometry, see ysg_prim_kind */
  float *error;  /* shapes (cap) — the approximation's RMSE once this record was drawn */
} ysg_value;

/* On the CUDA backend a value's per-frame count and attrs live on the device, in a header next to
 * the data, so kernels read them and a captured CUDA Graph replays without the host knowing them.
 */
typedef struct ysg_value_header {
  int32_t count;
  uint32_t attrs;
} ysg_value_header;

#ifdef __cplusplus
}
#endif
#endif /* YSGRAPH_VALUE_H */
