/* points.c — the `points` source: points read from a CSV file (x,y + optional frame, id, radius,
 * sRGB colour, confidence and class label columns). The file is read and validated once at init
 * by csv_rows.c's row source, which also copies each frame's rows (or every row, without a frame
 * column) into the output through the node's coordinate transform. */
#include "csv.h"

enum { P_PATH, P_COLUMNS, P_STRICT, P_MIN_CONF, P_NORMALIZED, P_SCALE, P_OFFSET, P_FROM, N_PARAMS };
enum { C_X, C_Y, C_FRAME, C_ID, C_RADIUS, C_R, C_G, C_B, C_A, C_CONF, C_LABEL, N_COLS };

static const ysg_csv_col cols[N_COLS] = {
    {"x", YSG_CSV_NUMBER, 1, NULL},
    {"y", YSG_CSV_NUMBER, 1, NULL},
    {"frame", YSG_CSV_INDEX, 0, NULL},
    {"id", YSG_CSV_INT, 0, NULL},
    {"radius", YSG_CSV_NONNEG, 0, NULL},
    {"r", YSG_CSV_UNIT, 0, NULL},
    {"g", YSG_CSV_UNIT, 0, NULL},
    {"b", YSG_CSV_UNIT, 0, NULL},
    {"a", YSG_CSV_UNIT, 0, NULL},
    {"conf", YSG_CSV_NUMBER, 0, "score|confidence"},
    {"label", YSG_CSV_STRING, 0, "class|name"},
};
static const ysg_csv_spec spec = {cols, N_COLS, 0};

static const ysg_csv_rows_cols row_cols = {
    C_X, 2, C_FRAME, C_ID, C_RADIUS, {C_R, C_G, C_B, C_A}, C_CONF, C_LABEL, YSG_BOX_XYWH};
static const ysg_import_params import = {P_COLUMNS,    P_STRICT, P_MIN_CONF, -1,
                                         P_NORMALIZED, P_SCALE,  P_OFFSET,   P_FROM};

static ysg_status points_init(ysg_node *n) {
  return ysg__csv_rows_init(n, P_PATH, &spec, &row_cols, &import);
}

static const ysg_param_def params[N_PARAMS] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming x,y and optionally frame,id,radius,r,g,b,a (sRGB 0..1),conf,label"},
    YSG_IMPORT_COLUMNS,
    YSG_IMPORT_STRICT,
    YSG_IMPORT_MIN_CONF,
    YSG_IMPORT_NORMALIZED,
    YSG_IMPORT_SCALE,
    YSG_IMPORT_OFFSET,
    YSG_IMPORT_FROM,
};
static const ysg_port_def outputs[] = {
    {"points", YSG_POINTS, 0, "the rows of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_points = {
    .name = "points",
    .category = "source",
    .doc =
        "Points from a CSV file with a header line naming its columns: x,y (pixels) and "
        "optionally frame, id, radius (pixels), r,g,b[,a] (sRGB 0..1, straight alpha), conf "
        "(or score, confidence) and label (or class, name: text). Without a frame column every "
        "frame shows every row; with one, frame f shows the rows whose frame is f, in file "
        "order, and the canvas frame count defaults to the last frame + 1. Read once at load; "
        "other columns are skipped with a warning (strict = true: an "
        "error); `columns` renames, `min_conf` drops rows, and normalized/scale/offset/from map "
        "the coordinates onto the canvas.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = points_init,
    .infer = ysg__csv_rows_infer,
    .run = ysg__csv_rows_run,
    .seek = ysg__csv_rows_seek,
    .destroy = ysg__csv_rows_destroy,
};
