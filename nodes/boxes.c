/* boxes.c — the `boxes` source: axis-aligned boxes read from a CSV file (x,y,w,h + optional
 * frame, id and sRGB colour columns), read once at init by csv.c's row source, which
 * also copies each frame's rows (or every row, without a frame column) into the output. */
#include "csv.h"

enum { P_PATH };
enum { C_X, C_Y, C_W, C_H, C_FRAME, C_ID, C_R, C_G, C_B, C_A, N_COLS };

static const ysg_csv_col cols[N_COLS] = {
    {"x", YSG_CSV_NUMBER, 1}, {"y", YSG_CSV_NUMBER, 1},    {"w", YSG_CSV_NONNEG, 1},
    {"h", YSG_CSV_NONNEG, 1}, {"frame", YSG_CSV_INDEX, 0}, {"id", YSG_CSV_INT, 0},
    {"r", YSG_CSV_UNIT, 0},   {"g", YSG_CSV_UNIT, 0},      {"b", YSG_CSV_UNIT, 0},
    {"a", YSG_CSV_UNIT, 0},
};
static const ysg_csv_spec spec = {cols, N_COLS, 0};

static const ysg_csv_rows_cols row_cols = {C_X, 4, C_FRAME, C_ID, -1, {C_R, C_G, C_B, C_A}};

static ysg_status boxes_init(ysg_node *n) {
  return ysg__csv_rows_init(n, P_PATH, &spec, &row_cols);
}

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "CSV file: header naming x,y,w,h and optionally frame,id,r,g,b,a (sRGB 0..1)"},
};
static const ysg_port_def outputs[] = {
    {"boxes", YSG_BOXES, 0, "the rows of the current frame", NULL, 0},
};

const ysg_node_type ysg__node_boxes = {
    .name = "boxes",
    .category = "source",
    .doc =
        "Boxes from a CSV file with a header line naming x,y,w,h (top-left corner and size in "
        "pixels, w,h >= 0) and optionally frame, id and r,g,b[,a] (sRGB 0..1, straight alpha). "
        "Without a frame column every frame shows every row; with one, frame f shows the rows "
        "whose frame is f, in file order. Read once at load.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = 1,
    .flags = YSG_NODE_HOST,
    .init = boxes_init,
    .infer = ysg__csv_rows_infer,
    .run = ysg__csv_rows_run,
    .destroy = ysg__csv_rows_destroy,
};
