/* exr.c — the `exr` sink: writes its input every frame as an OpenEXR file of half-float, linear,
 * premultiplied RGBA — the engine's own pixels, so nothing is converted: the render thread copies
 * the frame (occupied tiles; empty ones as zeros) into one of two writer slots and the writer
 * thread compresses and renames it into place (nodes/exr_io.cpp), so rendering overlaps writing.
 * A "%04d"-style pattern in path numbers the files start + frame, as in the png sink. */
#ifdef YSG_HAVE_OPENEXR
#include <string.h>

#include "exr_io.h"
#include "internal.h"
#include "png_io.h"
#include "ysgraph/node.h"

enum { P_PATH, P_COMPRESSION, P_DWA_LEVEL, P_START, P_OVERWRITE, N_PARAMS };

#define NSLOTS 2
#define PATH_CAP 4096

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_OUTPUT, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "output file; one %d-style pattern (\"frames/%04d.exr\") numbers the frames"},
    {"compression", YSG_PARAM_ENUM, "zip", 0, 0, YSG_EXR_COMPRESSIONS, YSG_PARAM_STATIC,
     "none, rle, zips, zip, piz, pxr24 keep every half exactly; b44, b44a, dwaa, dwab are lossy"},
    {"dwa_level", YSG_PARAM_NUMBER, "45", 0, 1000, NULL, YSG_PARAM_STATIC,
     "dwaa/dwab: quantisation level (OpenEXR's default 45; higher is smaller and lossier)"},
    {"start", YSG_PARAM_INT, "0", 0, 100000000, NULL, YSG_PARAM_STATIC,
     "the number frame 0's file gets: frame f is written as file start + f"},
    {"overwrite", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC,
     "a path without a frame pattern: true lets every frame rewrite the one file (the last "
     "frame stays); false makes a second frame an error"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the image to write (linear premultiplied half RGBA, as it is)", NULL,
     0},
};

typedef struct exr_state {
  int dir_pattern;  /* the frame pattern is in a directory name: create directories per frame */
  const char *root; /* sandboxed: the output directory each frame's directories must stay in */
  int written;      /* no pattern: the frame written since the run began, or -1 */
  int w, h;         /* slot capacity in pixels */
  int compression;
  float dwa_level;
  uint16_t *buf[NSLOTS]; /* (h, w, 4) FP16 */
  char *path[NSLOTS];    /* PATH_CAP each */
  int sw[NSLOTS], sh[NSLOTS];
} exr_state;

static ysg_status exr_init(ysg_node *n) {
  exr_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->compression = ysg_node_enum(n, P_COMPRESSION);
  st->dwa_level = (float)ysg_node_number(n, P_DWA_LEVEL);
  const char *path = ysg_node_string(n, P_PATH);
  char first[PATH_CAP], err[512];
  ysg_status s =
      ysg__format_frame_path(path, ysg_node_int(n, P_START), first, sizeof first, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  const char *slash = strrchr(path, '/');
  if (slash) {
    char dir[PATH_CAP];
    size_t len = (size_t)(slash - path);
    if (len >= sizeof dir)
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "path is too long (%zu bytes)",
                                 strlen(path));
    memcpy(dir, path, len);
    dir[len] = 0;
    st->dir_pattern = ysg__has_frame_pattern(dir);
  }
  st->root = ysg__sandbox_root(n, 1);
  st->written = -1;
  if (!st->dir_pattern && !ysg_node_check_only(n) && (s = ysg__mkdirs_for(first, err, sizeof err)))
    return ysg_node_param_fail(n, P_PATH, s, "%s", err);
  /* OpenEXR compresses a file's chunks on its own (process-wide) pool */
  int pool = ysg__exr_threads(ysg_node_threads(n));
  const char *names[] = {"none",  "rle", "zips", "zip",  "piz",
                         "pxr24", "b44", "b44a", "dwaa", "dwab"};
  ysg_node_set_info(n, "half RGBA, %s, OpenEXR pool of %d thread%s", names[st->compression], pool,
                    pool == 1 ? "" : "s");
  return YSG_OK;
}

static void free_slots(ysg_node *n, exr_state *st) {
  for (int i = 0; i < NSLOTS; i++) {
    if (st->buf[i]) ysg_node_free(n, st->buf[i]);
    if (st->path[i]) ysg_node_free(n, st->path[i]);
    st->buf[i] = NULL;
    st->path[i] = NULL;
  }
  st->w = st->h = 0;
}

static ysg_status exr_infer(ysg_node *n) {
  exr_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  int w = in && in->width > 0 ? in->width : cv->width;
  int h = in && in->height > 0 ? in->height : cv->height;
  if (w == st->w && h == st->h && st->buf[0]) return YSG_OK;
  free_slots(n, st);
  for (int i = 0; i < NSLOTS; i++) {
    st->buf[i] = ysg_node_alloc(n, (size_t)w * (size_t)h * 8);
    st->path[i] = ysg_node_alloc(n, PATH_CAP);
    if (!st->buf[i] || !st->path[i]) {
      free_slots(n, st);
      return YSG_ERR_NOMEM;
    }
  }
  st->w = w, st->h = h;
  return YSG_OK;
}

typedef struct copy_job {
  const ysg_value *in;
  uint16_t *dst;
  int tiles_x;
} copy_job;

/* rows of the input into the slot; pixels of empty tiles are not written upstream: zeros */
static void copy_rows(void *ud, int begin, int end) {
  const copy_job *j = ud;
  const int W = j->in->width;
  for (int y = begin; y < end; y++) {
    const uint16_t *src = j->in->px + (size_t)y * (size_t)W * 4;
    uint16_t *dst = j->dst + (size_t)y * (size_t)W * 4;
    if (!j->in->tiles) {
      memcpy(dst, src, (size_t)W * 8);
      continue;
    }
    const uint8_t *flags = j->in->tiles + (size_t)(y / YSG_TILE) * (size_t)j->tiles_x;
    for (int tx = 0; tx * YSG_TILE < W; tx++) {
      int a = tx * YSG_TILE, b = a + YSG_TILE < W ? a + YSG_TILE : W;
      if (flags[tx])
        memcpy(dst + (size_t)a * 4, src + (size_t)a * 4, (size_t)(b - a) * 8);
      else
        memset(dst + (size_t)a * 4, 0, (size_t)(b - a) * 8);
    }
  }
}

static ysg_status exr_encode(void *ud, int slot, char *err, size_t errcap) {
  const exr_state *st = ud;
  if (st->dir_pattern) {
    /* directories named per frame may exist already: as links leading out of the sandbox */
    ysg_status c = ysg__confine_frame_dir(st->root, st->path[slot], err, errcap);
    if (c) return c;
    ysg_status s = ysg__mkdirs_for(st->path[slot], err, errcap);
    if (s) return s;
  }
  return ysg__exr_write(st->path[slot], st->buf[slot], st->sw[slot], st->sh[slot], 0,
                        st->compression, st->dwa_level, err, errcap);
}

static ysg_status exr_run(ysg_node *n, const ysg_frame *frame) {
  exr_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  if (!in || !in->px)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no pixels this frame");
  if (in->width > st->w || in->height > st->h || in->width <= 0 || in->height <= 0)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the node was planned for %dx%d", in->width,
                         in->height, st->w, st->h);
  /* everything that can fail comes before write_begin: a taken slot is always submitted */
  ysg_status s =
      ysg__sink_single_file(n, P_PATH, ysg_node_bool(n, P_OVERWRITE), frame->index, &st->written);
  if (s) return s;
  char file[PATH_CAP], err[512];
  long number = (long)ysg_node_int(n, P_START) + frame->index;
  if (number > 2147483647L)
    return ysg_node_fail(n, YSG_ERR_INVALID, "frame %d: file number %ld is too large", frame->index,
                         number);
  s = ysg__format_frame_path(ysg_node_string(n, P_PATH), (int)number, file, sizeof file, err,
                             sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  int slot;
  if ((s = ysg_node_write_begin(n, NSLOTS, &slot))) return s;
  copy_job j = {in, st->buf[slot],
                in->tiles_x > 0 ? in->tiles_x : (in->width + YSG_TILE - 1) / YSG_TILE};
  ysg_node_parallel_for(n, in->height, 32, copy_rows, &j);
  memcpy(st->path[slot], file, strlen(file) + 1);
  st->sw[slot] = in->width;
  st->sh[slot] = in->height;
  return ysg_node_write_submit(n, slot, exr_encode, st);
}

/* the run is complete: the next frame starts a new one (which may write the file again) */
static ysg_status exr_finish(ysg_node *n) {
  exr_state *st = ysg_node_state(n);
  if (st) st->written = -1;
  return YSG_OK;
}

static void exr_destroy(ysg_node *n) {
  exr_state *st = ysg_node_state(n);
  if (!st) return;
  free_slots(n, st);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_exr = {
    .name = "exr",
    .category = "output",
    .doc =
        "Writes its input every frame as an OpenEXR file: half-float R, G, B, A, linear light, "
        "premultiplied — the engine's own pixels, unconverted, and what compositors expect of "
        "linear frames. Files are compressed on a background thread (and OpenEXR's thread "
        "pool) and renamed into place, so a reader never sees a partial file. A %d-style "
        "pattern in path numbers the files start + frame; without one, a run of more than one "
        "frame is an error unless overwrite = true (every frame rewrites the one file).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = NULL,
    .n_outputs = 0,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_SINK | YSG_NODE_HOST,
    .init = exr_init,
    .infer = exr_infer,
    .run = exr_run,
    .finish = exr_finish,
    .destroy = exr_destroy,
    .userdata = NULL,
};
#else
typedef int ysg__exr_unused; /* built without OpenEXR: no exr node */
#endif /* YSG_HAVE_OPENEXR */
