/* import.h — what every data source shares to read data as detectors and trackers write it: the
 * schema entries of its options (column renames, strict headers, box layout, normalized
 * coordinates, a coordinate transform, a confidence threshold), the node's indices of those
 * params, and the transform they give once the canvas is known. nodes/import.c implements it. */
#ifndef YSG_IMPORT_H
#define YSG_IMPORT_H

#include "rows.h"
#include "ysgraph/node.h"

/* box layouts (`format`), in the order of YSG_BOX_FORMATS */
enum { YSG_BOX_XYWH, YSG_BOX_XYXY, YSG_BOX_CXCYWH };
#define YSG_BOX_FORMATS "xywh|xyxy|cxcywh"

/* Schema entries (initialisers of ysg_param_def), so each source lists the ones it takes. */
#define YSG_IMPORT_COLUMNS                                                                      \
  {                                                                                             \
    "columns", YSG_PARAM_MAP, "", 0, 0, NULL, YSG_PARAM_STATIC,                                 \
        "renames: {x = \"cx\", label = \"class_name\", ...} reads each column from the header " \
        "name "                                                                                 \
        "given"                                                                                 \
  }
#define YSG_IMPORT_STRICT                                                                      \
  {                                                                                            \
    "strict", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC,                           \
        "a header column the node does not read is an error (default: one warning names them)" \
  }
#define YSG_IMPORT_MIN_CONF                                                                   \
  {                                                                                           \
    "min_conf", YSG_PARAM_NUMBER, "-1e7", 0, 0, NULL, YSG_PARAM_STATIC,                       \
        "rows whose confidence (conf/score/confidence) is below it are dropped; the default " \
        "keeps "                                                                              \
        "every row"                                                                           \
  }
#define YSG_IMPORT_FORMAT                                                                   \
  {                                                                                         \
    "format", YSG_PARAM_ENUM, "xywh", 0, 0, YSG_BOX_FORMATS, YSG_PARAM_STATIC,              \
        "box columns: xywh (x,y top-left, w,h), xyxy (x1,y1,x2,y2 corners), cxcywh (cx,cy " \
        "centre, "                                                                          \
        "w,h)"                                                                              \
  }
#define YSG_IMPORT_NORMALIZED                                                      \
  {                                                                                \
    "normalized", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC,           \
        "coordinates and sizes are 0..1 of the canvas (checked), scaled to pixels" \
  }
#define YSG_IMPORT_SCALE                                                \
  {                                                                     \
    "scale", YSG_PARAM_NUMBERS, "1", 1e-6, 1e6, NULL, YSG_PARAM_STATIC, \
        "multiplies coordinates and sizes: one number or {sx, sy}"      \
  }
#define YSG_IMPORT_OFFSET                                                  \
  {                                                                        \
    "offset", YSG_PARAM_NUMBERS, "0,0", -1e7, 1e7, NULL, YSG_PARAM_STATIC, \
        "{ox, oy} pixels added to coordinates after scale"                 \
  }
#define YSG_IMPORT_FROM                                                                            \
  {                                                                                                \
    "from", YSG_PARAM_NUMBERS, "0,0", 0, 1e6, NULL, YSG_PARAM_STATIC,                              \
        "{width, height} the coordinates were measured in (a detector's input size): scales them " \
        "to the canvas; instead of scale"                                                          \
  }

/* The node's param indices of the options it takes (-1: not taken). */
typedef struct ysg_import_params {
  int columns, strict, min_conf, format, normalized, scale, offset, from;
} ysg_import_params;

/* The coordinate transform of the node's normalized/scale/offset/from params on its canvas
 * (call from infer: every source has suggested the canvas by then). Errors name the param. */
ysg_status ysg__import_xform(ysg_node *n, const ysg_import_params *ip, ysg_xform *out);

/* Box (a, b, c, d) in layout `format` -> top-left x,y and size w,h. */
void ysg__import_box(int format, const double in[4], float out[4]);

#endif /* YSG_IMPORT_H */
