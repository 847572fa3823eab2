/* points.c — the `points` source: points read from a CSV file (x,y + optional frame, id, radius
 * and sRGB colour columns). The file is read and validated once at init by csv.c's row source,
 * which also copies each frame's rows (or every row, without a frame column) into the output. */
#include "csv.h"

enum { P_PATH };
enum { C_X, C_Y, C_FRAME, C_ID, C_RADIUS, C_R, C_G, C_B, C_A, N_COLS };

static const ysg_csv_col cols[N_COLS] = {
    {"x", YSG_CSV_NUMBER, 1}, {"y", YSG_CSV_NUMBER, 1},      {"frame", YSG_CSV_INDEX, 0},
    {"id", YSG_CSV_INT, 0},   {"radius", YSG_CSV_NONNEG, 0}, {"r", YSG_CSV_UNIT, 0},
    {"g", YSG_CSV_UNIT, 0},   {"b", YSG_CSV_UNIT, 0},        {"a", YSG_CSV_UNIT, 0},
};
static const ysg_csv_spec spec = {cols, N_COLS, 0};

static const ysg_csv_rows_cols row_cols = {C_X, 2, C_FRAME, C_ID, C_RADIUS, {C_R, C_G, C_B, C_A}};

static ysg_status points_init(ysg_node *n) {
  return ysg__csv_rows_init(n, P_PATH, &spec, &row_cols);
}

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming x,y and optionally frame,id,radius,r,g,b,a (sRGB 0..1)"},
};
static const ysg_port_def outputs[] = {
    {"points", YSG_POINTS, 0, "the rows of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_points = {
    .name = "points",
    .category = "source",
    .doc =
        "Points from a CSV file with a header line naming its columns: x,y (pixels) and "
        "optionally frame, id, radius (pixels) and r,g,b[,a] (sRGB 0..1, straight alpha). "
        "Without a frame column every frame shows every row; with one, frame f shows the "
        "rows whose frame is f, in file order. Read once at load.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = 1,
    .flags = YSG_NODE_HOST,
    .init = points_init,
    .infer = ysg__csv_rows_infer,
    .run = ysg__csv_rows_run,
    .destroy = ysg__csv_rows_destroy,
};
