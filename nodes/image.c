/* image.c — the `image` node: a PNG or OpenEXR file (nodes/image_exr.c tells them apart), or one
 * frame of a sequence, placed on the canvas.
 * A single file is decoded once at init into linear premultiplied FP16 (node state). A path with a
 * %d-style pattern names a sequence: frame f reads file number start + f; init finds the run of
 * consecutive files from start, decodes the first and suggests the canvas (its size, the run's
 * length), and each frame decodes its file into the same state buffer through a png_io decoder
 * whose buffers are allocated at init. Every frame copies the picture to the (animatable) offset
 * round(x), round(y), clears the rest of the canvas and records which 16×16 tiles hold any
 * non-zero pixel, so downstream nodes can skip empty tiles. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "exr_io.h"
#include "internal.h"
#include "png_io.h"
#include "ysgraph/node.h"

enum { P_PATH, P_X, P_Y, P_START, N_PARAMS };

#define PATH_CAP 4096
#define SEQ_MAX 100000000 /* highest file number a sequence may reach */

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "PNG file (any bit depth and colour type; treated as sRGB) or OpenEXR file (RGBA, RGB or Y; "
     "linear premultiplied), relative to the pipeline; one %d-style pattern (\"seq/%04d.png\") "
     "reads a sequence"},
    {"x", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "left edge of the picture in pixels (rounded)"},
    {"y", YSG_PARAM_NUMBER, "0", 0, 0, NULL, 0, "top edge of the picture in pixels (rounded)"},
    {"start", YSG_PARAM_INT, "0", 0, SEQ_MAX, NULL, YSG_PARAM_STATIC,
     "sequences: the file number shown at frame 0 (frame f reads file start + f)"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the picture on a transparent canvas-sized image", NULL, 0},
};

typedef struct image_state {
  int w, h;
  uint16_t *px; /* (h, w, 4) FP16 linear premultiplied */
  /* sequences */
  int seq;              /* the path holds a frame pattern */
  int start, count;     /* files start .. start + count - 1 exist (found at init) */
  int loaded;           /* the frame whose file px holds; -1: none */
  int exr;              /* the sequence is OpenEXR (its first file is) */
  ysg_png_decoder dec;  /* buffers for decoding w×h files (PNG sequences) */
  char file[PATH_CAP];  /* the current file's name (messages) */
  char first[PATH_CAP]; /* the first file's name */
} image_state;

static void *alloc_cb(void *ud, size_t bytes) { return ysg_node_alloc(ud, bytes); }
static void free_cb(void *ud, void *ptr) { ysg_node_free(ud, ptr); }

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Sequence: validate the pattern, count the run of files from start, decode the first. */
static ysg_status sequence_init(ysg_node *n, image_state *st, const char *pattern) {
  char err[512];
  st->seq = 1;
  st->start = ysg_node_int(n, P_START);
  ysg_status s =
      ysg__format_frame_path(pattern, st->start, st->first, sizeof st->first, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  if (!file_exists(st->first))
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO,
                               "the sequence's first file '%s' does not exist (start = %d)",
                               st->first, st->start);
  for (int k = st->start; k <= SEQ_MAX; k++, st->count++) {
    if (ysg__format_frame_path(pattern, k, st->file, sizeof st->file, err, sizeof err) ||
        !file_exists(st->file))
      break;
  }
  if ((s = ysg__node_confine(n, P_PATH, 0, st->first))) return s;
  ysg_png_alloc a = {alloc_cb, free_cb, n};
  const char *kind;
  s = ysg__picture_read(st->first, &a, &st->px, &st->w, &st->h, &kind, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "cannot read %s '%s': %s", kind, st->first, err);
  st->exr = !strcmp(kind, "EXR");
  st->loaded = 0;
  if (!st->exr && (s = ysg__png_decoder_init(&st->dec, &a, st->w, st->h))) return s;
  ysg_node_suggest_canvas(n, st->w, st->h, st->count, 0);
  return YSG_OK;
}

static ysg_status image_init(ysg_node *n) {
  const char *path = ysg_node_string(n, P_PATH);
  image_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  if (ysg__has_frame_pattern(path)) return sequence_init(n, st, path);
  ysg_png_alloc a = {alloc_cb, free_cb, n};
  char err[512];
  const char *kind;
  ysg_status s = ysg__picture_read(path, &a, &st->px, &st->w, &st->h, &kind, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "cannot read %s '%s': %s", kind, path, err);
  return YSG_OK;
}

/* Decode frame f's file of the sequence into st->px (nothing to do when it is there already). */
static ysg_status sequence_load(ysg_node *n, image_state *st, int f) {
  if (f == st->loaded) return YSG_OK;
  char err[512];
  const char *pattern = ysg_node_string(n, P_PATH);
  long k = (long)st->start + f;
  st->loaded = -1;
  if (f < 0 || k > SEQ_MAX ||
      ysg__format_frame_path(pattern, (int)k, st->file, sizeof st->file, err, sizeof err))
    return ysg_node_fail(n, YSG_ERR_INVALID, "frame %d: no file number %ld in the sequence", f, k);
  if (f >= st->count) {
    if (!file_exists(st->file))
      return ysg_node_fail(n, YSG_ERR_IO,
                           "frame %d: '%s' does not exist (the sequence has frames 0..%d)", f,
                           st->file, st->count - 1);
    char gap[PATH_CAP];
    ysg__format_frame_path(pattern, st->start + st->count, gap, sizeof gap, err, sizeof err);
    return ysg_node_fail(n, YSG_ERR_IO,
                         "frame %d: '%s' is past the end of the sequence: '%s' was missing at "
                         "load (the sequence has frames 0..%d)",
                         f, st->file, gap, st->count - 1);
  }
  /* each file of a sequence is opened under the sandbox's rule on symbolic links */
  ysg_status s = ysg__node_confine(n, P_PATH, 0, st->file);
  if (s) return s;
  int w, h;
  const char *kind;
  s = ysg__picture_decode(&st->dec, st->exr, st->file, st->px, st->w, st->h, &w, &h, &kind, err,
                          sizeof err);
  if (s && w > 0 && (w != st->w || h != st->h))
    return ysg_node_fail(n, s, "frame %d: '%s' is %dx%d, but the sequence is %dx%d (from '%s')", f,
                         st->file, w, h, st->w, st->h, st->first);
  if (s) return ysg_node_fail(n, s, "frame %d: cannot read %s '%s': %s", f, kind, st->file, err);
  st->loaded = f;
  return YSG_OK;
}

static ysg_status image_infer(ysg_node *n) {
  (void)n; /* canvas-sized output: width/height 0 lets the engine use the canvas */
  return YSG_OK;
}

typedef struct blit_job {
  const image_state *st;
  ysg_value *out;
  int ox, oy; /* picture's top-left on the canvas */
  int tiles_x;
} blit_job;

static int any_nonzero(const uint16_t *p, int npx) {
  for (int i = 0; i < npx * 4; i += 4)
    if (p[i] | p[i + 1] | p[i + 2] | p[i + 3]) return 1;
  return 0;
}

/* One task per tile row, so each task owns its row of the tiles array. */
static void blit_tile_rows(void *ud, int begin, int end) {
  const blit_job *j = ud;
  const image_state *st = j->st;
  ysg_value *out = j->out;
  const int W = out->width, H = out->height;
  const int x0 = j->ox > 0 ? j->ox : 0;
  const int x1 = j->ox + st->w < W ? j->ox + st->w : W;
  for (int ty = begin; ty < end; ty++) {
    uint8_t *flags = out->tiles ? out->tiles + (size_t)ty * (size_t)j->tiles_x : NULL;
    if (flags) memset(flags, 0, (size_t)j->tiles_x);
    int y1 = (ty + 1) * YSG_TILE < H ? (ty + 1) * YSG_TILE : H;
    for (int y = ty * YSG_TILE; y < y1; y++) {
      uint16_t *row = out->px + (size_t)y * (size_t)W * 4;
      int sy = y - j->oy;
      if (sy < 0 || sy >= st->h || x0 >= x1) {
        memset(row, 0, (size_t)W * 8);
        continue;
      }
      const uint16_t *src = st->px + ((size_t)sy * (size_t)st->w + (size_t)(x0 - j->ox)) * 4;
      memset(row, 0, (size_t)x0 * 8);
      memcpy(row + (size_t)x0 * 4, src, (size_t)(x1 - x0) * 8);
      memset(row + (size_t)x1 * 4, 0, (size_t)(W - x1) * 8);
      if (!flags) continue;
      for (int tx = x0 / YSG_TILE; tx * YSG_TILE < x1; tx++) {
        if (flags[tx]) continue;
        int a = tx * YSG_TILE > x0 ? tx * YSG_TILE : x0;
        int b = (tx + 1) * YSG_TILE < x1 ? (tx + 1) * YSG_TILE : x1;
        flags[tx] = (uint8_t)any_nonzero(row + (size_t)a * 4, b - a);
      }
    }
  }
}

/* round() of an offset, clamped so that offset + picture size cannot overflow an int. */
static int offset_px(double v) {
  if (!(v == v)) return 0;
  if (v > 1e9) v = 1e9;
  if (v < -1e9) v = -1e9;
  return (int)lround(v);
}

static ysg_status image_run(ysg_node *n, const ysg_frame *frame) {
  image_state *st = ysg_node_state(n);
  if (st->seq) {
    ysg_status s = sequence_load(n, st, frame->index);
    if (s) return s;
  }
  ysg_value *out = ysg_node_output(n, 0);
  if (!out || !out->px) return YSG_OK;
  blit_job j;
  j.st = st;
  j.out = out;
  j.ox = offset_px(ysg_node_number(n, P_X));
  j.oy = offset_px(ysg_node_number(n, P_Y));
  j.tiles_x = out->tiles_x > 0 ? out->tiles_x : (out->width + YSG_TILE - 1) / YSG_TILE;
  int tiles_y = (out->height + YSG_TILE - 1) / YSG_TILE;
  out->count = 1;
  ysg_node_parallel_for(n, tiles_y, 2, blit_tile_rows, &j);
  return YSG_OK;
}

static void image_destroy(ysg_node *n) {
  image_state *st = ysg_node_state(n);
  if (!st) return;
  if (st->px) ysg_node_free(n, st->px);
  ysg__png_decoder_free(&st->dec);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_image = {
    .name = "image",
    .category = "source",
    .doc =
        "Places a PNG or OpenEXR picture, or frame f of a sequence (a %d-style pattern in path), "
        "on a "
        "transparent canvas-sized image with its top-left corner at round(x), round(y), in "
        "linear light, premultiplied; parts outside the canvas are cropped. A single picture is "
        "decoded once; x and y may be animated. A sequence shows file number start + f at frame "
        "f, every file of the first file's size; its frames are the consecutive files found "
        "from start at load, and it suggests the canvas size (the first file's) and frame "
        "count.",
    .inputs = NULL,
    .n_inputs = 0,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = image_init,
    .infer = image_infer,
    .run = image_run,
    .destroy = image_destroy,
    .userdata = NULL,
};
