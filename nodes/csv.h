/* csv.h — the shared CSV reader of the data-source nodes (points, edges, boxes, MOT tracks), the
 * per-frame row index they keep, and the row source that points and boxes are built on. A file
 * is read once at init against a column schema (names, aliases, renames from the node's
 * `columns`); every value is checked (kind, finite, |value| <= 1e7) and errors name the data file
 * and line, the column, what was expected and found, then the node and its pipeline location.
 * Header columns the schema does not know are skipped with one warning (an error when strict). */
#ifndef YSG_CSV_H
#define YSG_CSV_H

#include <stdint.h>

#include "import.h"
#include "internal.h"
#include "rows.h"

#define YSG_CSV_MAX_ABS 1e7       /* magnitude limit of every numeric field */
#define YSG_CSV_MAX_ROWS 10000000 /* data rows per file */
#define YSG_CSV_MAX_COLS 16       /* columns per schema */

typedef enum ysg_csv_kind {
  YSG_CSV_NUMBER,   /* finite number */
  YSG_CSV_NONNEG,   /* finite number >= 0 (radius, width) */
  YSG_CSV_UNIT,     /* number in 0..1 (colour channels) */
  YSG_CSV_INT,      /* integer (track id) */
  YSG_CSV_INDEX,    /* non-negative integer (frame, point index) */
  YSG_CSV_POSITIVE, /* finite number > 0 (a track box's width and height) */
  YSG_CSV_STRING    /* text (a class label): the value is its index in ysg_csv.strings, -1 if
                       empty */
} ysg_csv_kind;

typedef struct ysg_csv_col {
  const char *name;
  ysg_csv_kind kind;
  int required;
  const char *aliases; /* other header names for it, "a|b" (NULL: none) */
} ysg_csv_col;

/* spec flags */
#define YSG_CSV_HEADERLESS \
  1u /* no header line: fields are the schema's columns in order; the first row fixes how many */

typedef struct ysg_csv_spec {
  const ysg_csv_col *cols; /* required columns first: they make the "expected ..." lists */
  int n_cols;              /* <= YSG_CSV_MAX_COLS */
  unsigned flags;          /* YSG_CSV_* */
} ysg_csv_spec;

/* How one read treats the header (NULL: defaults, all zero but columns_param = -1). */
typedef struct ysg_csv_opts {
  int strict;        /* an unknown header column is an error (else skipped with one warning) */
  int columns_param; /* the node's MAP param of renames {name = "header name"}, -1: none */
} ysg_csv_opts;

/* A parsed file. Values live in ctx memory until ysg__csv_free. */
typedef struct ysg_csv {
  ysg_node *node;
  const char *path; /* as written in the pipeline: what messages show */
  const ysg_csv_spec *spec;
  int field[YSG_CSV_MAX_COLS];      /* schema column -> field index in a row, -1 when absent */
  char shown[YSG_CSV_MAX_COLS][64]; /* each column's name as the header writes it */
  int n_fields;                     /* fields per row */
  int header_line;                  /* 0 when headerless */
  int n_rows;
  double *values;     /* (n_rows, spec->n_cols), by schema column */
  int32_t *lines;     /* (n_rows) line number of each row in the file */
  ysg_labels strings; /* the texts of STRING columns (owned by the node's allocator) */
} ysg_csv;

/* Read the file named by the node's PATH param `param`. A missing/unreadable file is YSG_ERR_IO
 * ("FILE:LINE: node 'N' (T): parameter 'path': cannot open 'x.csv': …"); bad content is
 * YSG_ERR_DATA. On failure nothing stays allocated. Fields may be quoted ("a, b", "" for a
 * quote); an empty first header field is a leading index column (pandas) and is skipped. */
ysg_status ysg__csv_read(ysg_node *n, int param, const ysg_csv_spec *spec, ysg_csv *out);
ysg_status ysg__csv_read_opts(ysg_node *n, int param, const ysg_csv_spec *spec,
                              const ysg_csv_opts *opts, ysg_csv *out);
void ysg__csv_free(ysg_csv *c);

/* The first data line of the file named by PATH param `param` (blank and '#' lines skipped), to
 * choose a schema before reading: *n_fields its field count (0: the file has no such line),
 * *numeric 1 when every field is a number (a headerless file), *line its line number. Open
 * errors are those of ysg__csv_read. */
ysg_status ysg__csv_sniff(ysg_node *n, int param, int *n_fields, int *numeric, int *line);

static inline int ysg__csv_has(const ysg_csv *c, int col) { return c->field[col] >= 0; }
static inline double ysg__csv_get(const ysg_csv *c, int row, int col) {
  return c->values[(size_t)row * (size_t)c->spec->n_cols + (size_t)col];
}

/* Record "PATH:LINE: <message> (node 'N' (T) at FILE:LINE)" (line 0: "PATH: …") and return s. */
ysg_status ysg__csv_fail(const ysg_csv *c, ysg_status s, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* shortest text that reads back as x (1e300 prints as "1e+300") */
void ysg__csv_fmt_double(double x, char *buf, size_t cap);

/* Colour columns r,g,b must appear together, and a only with them (checked on the header). */
ysg_status ysg__csv_check_rgba(const ysg_csv *c, const int cols[4]);
/* sRGB straight 0..1 from the row's r,g,b(,a) columns -> linear straight RGBA (a defaults 1).
 * cols: the schema indices of r, g, b, a. */
void ysg__csv_rgba(const ysg_csv *c, int row, const int cols[4], float out[4]);

/* Rows grouped by frame. Without a frame column (all = 1) every frame gets every row. */
typedef struct ysg_frame_index {
  int all;
  int n_rows;
  int n_frames;
  int32_t *frames; /* (n_frames) distinct frame numbers, ascending */
  int32_t *start;  /* (n_frames + 1) first row of each frame within the sorted rows */
  int max_rows;    /* rows of the fullest frame (the value capacity), at least 1 */
} ysg_frame_index;

/* Order the rows by (frame, file order): perm (n_rows) gets row numbers; needs the frame column. */
ysg_status ysg__csv_sort_by_frame(const ysg_csv *c, int col_frame, int32_t *perm);
/* Build the index from frame numbers already in ascending order (n_rows of them); frames == NULL
 * gives the all-rows index. Arrays come from ysg_node_alloc; release with ysg__frame_index_free. */
ysg_status ysg__frame_index_build(ysg_node *n, const int32_t *frames, int n_rows,
                                  ysg_frame_index *out);
void ysg__frame_index_free(ysg_node *n, ysg_frame_index *fi);
/* A source with a frame column suggests the canvas frame count its data spans: the last frame
 * + 1 (frames count from 0), as tracks do. Nothing without a frame column or rows. */
void ysg__frame_index_suggest(ysg_node *n, const ysg_frame_index *fi);
/* Rows of frame f: *first within the sorted rows, returns the count (0 for frames without rows). */
int ysg__frame_index_find(const ysg_frame_index *fi, int f, int *first);

/* The points and boxes sources: every row read at init, grouped by frame in file order, and each
 * frame's run of them copied out. The schema indices of the columns they read (-1: none): */
typedef struct ysg_csv_rows_cols {
  int pos;  /* first of `dims` consecutive position columns: x,y (points) or 4 box columns */
  int dims; /* 2 or 4 */
  int frame, id, radius;
  int rgba[4];
  int conf, label;
  int box_format; /* YSG_BOX_*: the layout of the 4 box columns */
} ysg_csv_rows_cols;

/* init: read the file of PATH param `param` with the node's import options `ip` and keep its
 * rows in node state. The other three serve as the node type's callbacks as they are (infer
 * finds the coordinate transform: the node's import params must be in a static ysg_import_params
 * that init was given). */
ysg_status ysg__csv_rows_init(ysg_node *n, int param, const ysg_csv_spec *spec,
                              const ysg_csv_rows_cols *cols, const ysg_import_params *ip);
/* The node's csv options from its import params (columns, strict). */
void ysg__csv_opts_of(const ysg_node *n, const ysg_import_params *ip, ysg_csv_opts *out);
/* Checks of the rows a source keeps: normalized coordinates in 0..1 (pos columns), and x2 >= x1,
 * y2 >= y1 for xyxy boxes; errors name the file, line and column. */
ysg_status ysg__csv_check_positions(const ysg_csv *c, const ysg_csv_rows_cols *m, int normalized);
ysg_status ysg__csv_rows_infer(ysg_node *n);
ysg_status ysg__csv_rows_run(ysg_node *n, const ysg_frame *f);
ysg_status ysg__csv_rows_seek(ysg_node *n, int port, const ysg_frame *f, ysg_value *out);
void ysg__csv_rows_destroy(ysg_node *n);

#endif /* YSG_CSV_H */
