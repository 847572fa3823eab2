/* boxes.c — the `boxes` source: axis-aligned boxes read from a CSV file in one of three layouts
 * (x,y,w,h top-left + size; x1,y1,x2,y2 corners; cx,cy,w,h centre + size) with optional frame,
 * id, sRGB colour, confidence and class label columns, read once at init by csv_rows.c's row
 * source, which also copies each frame's rows (or every row, without a frame column) into the
 * output as top-left x,y,w,h through the node's coordinate transform. */
#include "csv.h"

enum {
  P_PATH,
  P_FORMAT,
  P_COLUMNS,
  P_STRICT,
  P_MIN_CONF,
  P_NORMALIZED,
  P_SCALE,
  P_OFFSET,
  P_FROM,
  N_PARAMS
};
enum { C_P0, C_P1, C_P2, C_P3, C_FRAME, C_ID, C_R, C_G, C_B, C_A, C_CONF, C_LABEL, N_COLS };

#define COMMON_COLS                                                                              \
  {"frame", YSG_CSV_INDEX, 0, NULL}, {"id", YSG_CSV_INT, 0, NULL}, {"r", YSG_CSV_UNIT, 0, NULL}, \
      {"g", YSG_CSV_UNIT, 0, NULL}, {"b", YSG_CSV_UNIT, 0, NULL}, {"a", YSG_CSV_UNIT, 0, NULL},  \
      {"conf", YSG_CSV_NUMBER, 0, "score|confidence"}, {                                         \
    "label", YSG_CSV_STRING, 0, "class|name"                                                     \
  }

/* one schema per layout (YSG_BOX_* order); the four position columns come first */
static const ysg_csv_col cols[3][N_COLS] = {
    {{"x", YSG_CSV_NUMBER, 1, NULL},
     {"y", YSG_CSV_NUMBER, 1, NULL},
     {"w", YSG_CSV_NONNEG, 1, "width"},
     {"h", YSG_CSV_NONNEG, 1, "height"},
     COMMON_COLS},
    {{"x1", YSG_CSV_NUMBER, 1, "xmin"},
     {"y1", YSG_CSV_NUMBER, 1, "ymin"},
     {"x2", YSG_CSV_NUMBER, 1, "xmax"},
     {"y2", YSG_CSV_NUMBER, 1, "ymax"},
     COMMON_COLS},
    {{"cx", YSG_CSV_NUMBER, 1, NULL},
     {"cy", YSG_CSV_NUMBER, 1, NULL},
     {"w", YSG_CSV_NONNEG, 1, "width"},
     {"h", YSG_CSV_NONNEG, 1, "height"},
     COMMON_COLS},
};
static const ysg_csv_spec specs[3] = {
    {cols[0], N_COLS, 0}, {cols[1], N_COLS, 0}, {cols[2], N_COLS, 0}};

static const ysg_import_params import = {P_COLUMNS,    P_STRICT, P_MIN_CONF, P_FORMAT,
                                         P_NORMALIZED, P_SCALE,  P_OFFSET,   P_FROM};

static ysg_status boxes_init(ysg_node *n) {
  int format = ysg_node_enum(n, P_FORMAT);
  ysg_csv_rows_cols rc = {C_P0,   4,       C_FRAME, C_ID, -1, {C_R, C_G, C_B, C_A},
                          C_CONF, C_LABEL, format};
  return ysg__csv_rows_init(n, P_PATH, &specs[format], &rc, &import);
}

static const ysg_param_def params[N_PARAMS] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming the format's four box columns and optionally "
     "frame,id,r,g,b,a (sRGB 0..1),conf,label"},
    YSG_IMPORT_FORMAT,
    YSG_IMPORT_COLUMNS,
    YSG_IMPORT_STRICT,
    YSG_IMPORT_MIN_CONF,
    YSG_IMPORT_NORMALIZED,
    YSG_IMPORT_SCALE,
    YSG_IMPORT_OFFSET,
    YSG_IMPORT_FROM,
};
static const ysg_port_def outputs[] = {
    {"boxes", YSG_BOXES, 0, "the rows of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_boxes = {
    .name = "boxes",
    .category = "source",
    .doc =
        "Boxes from a CSV file with a header line naming the box columns of `format` — x,y,w,h "
        "(top-left corner and size, w,h >= 0), x1,y1,x2,y2 (corners, x2 >= x1, y2 >= y1, as "
        "YOLO/supervision write) or cx,cy,w,h (centre and size) — and optionally frame, id, "
        "r,g,b[,a] (sRGB 0..1, straight alpha), conf (or score, confidence) and label (or "
        "class, name). Without a frame column every frame shows every row; with one, frame f "
        "shows the rows whose frame is f, in file order, and the canvas frame count defaults to "
        "the last frame + 1. Read once at load; other columns are "
        "skipped with a warning (strict = true: an error); `columns` renames, `min_conf` drops "
        "rows, and normalized/scale/offset/from map the coordinates onto the canvas.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = boxes_init,
    .infer = ysg__csv_rows_infer,
    .run = ysg__csv_rows_run,
    .seek = ysg__csv_rows_seek,
    .destroy = ysg__csv_rows_destroy,
};
