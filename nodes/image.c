/* image.c — the `image` node: a PNG or OpenEXR file (nodes/image_exr.c tells them apart), or one
 * frame of a sequence, placed on the canvas. OpenEXR pictures are decoded whole at init. For PNGs
 * only the header is read at init (size and limits, png_io.h); once the canvas is known (infer),
 * the part of the picture the canvas can show at the offset round(x), round(y) — all of it when x
 * or y is animated — is decoded into linear premultiplied FP16 node state; a host that later moves
 * the picture past that part makes it decode again. A path with a %d-style pattern names a
 * sequence: frame f reads file number start + f (start: the first of 0..4 that exists, unless the
 * pipeline sets it, as FFmpeg's image2 does); init finds the run of consecutive files and suggests
 * the canvas (the first file's size, the run's length), and each frame decodes its file into the
 * same state through a png_io decoder whose buffers are allocated once. Every frame copies the
 * picture to its offset, clears the rest of the canvas and records which 16×16 tiles hold any
 * non-zero pixel, so downstream nodes can skip empty tiles. */
#include <math.h>
#include <string.h>
#include <strings.h>
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
     "sequences: the file number shown at frame 0 (frame f reads file start + f); unset: the "
     "first of 0..4 that exists"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the picture on a transparent canvas-sized image", NULL, 0},
};

typedef struct image_state {
  int w, h;          /* the picture's size */
  ysg_png_rect rect; /* the part of it px holds (w or h 0: none) */
  uint16_t *px;      /* (rect.h, rect.w, 4) FP16 linear premultiplied */
  int ready;         /* px holds rect (single pictures); the decoder is set up (sequences) */
  /* sequences */
  int seq;              /* the path holds a frame pattern */
  int start, count;     /* files start .. start + count - 1 exist (found at init) */
  int loaded;           /* the frame whose file px holds; -1: none */
  int exr;              /* OpenEXR (a sequence: its first file is): decoded whole */
  ysg_png_decoder dec;  /* buffers for decoding w×h files (PNG sequences) */
  char file[PATH_CAP];  /* the current file's name (messages) */
  char first[PATH_CAP]; /* the first file's name */
} image_state;

/* Decoded pixels are written in full: no zeroing (ysg_node_alloc zeroes). */
static void *alloc_cb(void *ud, size_t bytes) {
  ysg_node *n = ud;
  return ysg__alloc_aligned(n->p->ctx, bytes ? bytes : 1, 64);
}
static void free_cb(void *ud, void *ptr) { ysg_node_free(ud, ptr); }

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* 1 when path is a PNG to read lazily (by header, then the part the canvas needs); 0 for an
 * OpenEXR file, or a file ysg__picture_read should explain (unreadable, ".exr" but not EXR). */
static int png_candidate(const char *path) {
  ysg_status s;
  char err[256];
  if (ysg__exr_sniff(path, &s, err, sizeof err) != 0) return 0;
  const char *dot = strrchr(path, '.');
  return !(dot && strcasecmp(dot, ".exr") == 0);
}

/* An OpenEXR file (or one to explain) read whole, as the picture: px holds all of it. */
static ysg_status read_whole(ysg_node *n, image_state *st, const char *path) {
  ysg_png_alloc a = {alloc_cb, free_cb, n};
  char err[512];
  const char *kind;
  ysg_status s = ysg__picture_read(path, &a, &st->px, &st->w, &st->h, &kind, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "cannot read %s '%s': %s", kind, path, err);
  st->exr = !strcmp(kind, "EXR");
  st->rect = (ysg_png_rect){0, 0, st->w, st->h};
  st->ready = 1;
  return YSG_OK;
}

#define START_PROBE 5 /* without start = N, a sequence starts at the first of 0..4 found */

/* Sequence: validate the pattern, find its first file, count the run of files from it. */
static ysg_status sequence_init(ysg_node *n, image_state *st, const char *pattern) {
  char err[512];
  st->seq = 1;
  st->loaded = -1;
  st->start = ysg_node_int(n, P_START);
  const int probe = !ysg_node_param_is_set(n, P_START);
  ysg_status s = ysg__check_frame_pattern(pattern, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  int found = -1;
  for (int k = st->start; found < 0 && k < st->start + (probe ? START_PROBE : 1); k++) {
    s = ysg__format_frame_path(pattern, k, st->first, sizeof st->first, err, sizeof err);
    if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
    if (file_exists(st->first)) found = k;
  }
  if (found < 0) {
    char last[PATH_CAP];
    ysg__format_frame_path(pattern, st->start, st->first, sizeof st->first, err, sizeof err);
    if (!probe)
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO,
                                 "the sequence's first file '%s' does not exist (start = %d)",
                                 st->first, st->start);
    ysg__format_frame_path(pattern, st->start + START_PROBE - 1, last, sizeof last, err,
                           sizeof err);
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO,
                               "the sequence's first file does not exist: none of '%s' .. '%s' "
                               "(set start = N for a sequence that begins later)",
                               st->first, last);
  }
  st->start = found;
  for (int k = st->start; k <= SEQ_MAX; k++, st->count++) {
    if (ysg__format_frame_path(pattern, k, st->file, sizeof st->file, err, sizeof err) ||
        !file_exists(st->file))
      break;
  }
  if ((s = ysg__node_confine(n, P_PATH, 0, st->first))) return s;
  if (!png_candidate(st->first)) { /* OpenEXR: the first file decoded whole now */
    if ((s = read_whole(n, st, st->first))) return s;
    st->loaded = 0;
  } else {
    s = ysg__png_info(st->first, &st->w, &st->h, err, sizeof err);
    if (s) return ysg_node_param_fail(n, P_PATH, s, "cannot read PNG '%s': %s", st->first, err);
  }
  ysg_node_suggest_canvas(n, st->w, st->h, st->count, 0);
  return YSG_OK;
}

static ysg_status image_init(ysg_node *n) {
  const char *path = ysg_node_string(n, P_PATH);
  image_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  if (ysg__has_frame_pattern(path)) return sequence_init(n, st, path);
  if (!png_candidate(path)) return read_whole(n, st, path);
  char err[512];
  ysg_status s = ysg__png_info(path, &st->w, &st->h, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "cannot read PNG '%s': %s", path, err);
  return YSG_OK;
}

/* The part of the picture a W×H canvas shows with the picture's corner at (ox, oy). */
static ysg_png_rect visible(const image_state *st, int ox, int oy, int W, int H) {
  long long x0 = ox < 0 ? -(long long)ox : 0, y0 = oy < 0 ? -(long long)oy : 0;
  long long x1 = (long long)W - ox, y1 = (long long)H - oy;
  if (x1 > st->w) x1 = st->w;
  if (y1 > st->h) y1 = st->h;
  ysg_png_rect r = {0, 0, 0, 0};
  if (x1 > x0 && y1 > y0) r = (ysg_png_rect){(int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0)};
  return r;
}

static int contains(ysg_png_rect a, ysg_png_rect b) {
  if (b.w <= 0 || b.h <= 0) return 1;
  return b.x >= a.x && b.y >= a.y && (long long)b.x + b.w <= (long long)a.x + a.w &&
         (long long)b.y + b.h <= (long long)a.y + a.h;
}

/* Make px hold `want` of the picture: decode it (a single picture), or set the decoder up for it
 * (a sequence; the frame's file is decoded by sequence_load). */
static ysg_status prepare(ysg_node *n, image_state *st, ysg_png_rect want) {
  if (st->exr) return YSG_OK; /* decoded whole at init */
  ysg_png_alloc a = {alloc_cb, free_cb, n};
  char err[512];
  if (st->px) ysg_node_free(n, st->px);
  st->px = NULL;
  st->ready = 0;
  ysg__png_decoder_free(&st->dec);
  st->rect = want;
  if (!st->seq) {
    const char *path = ysg_node_string(n, P_PATH);
    void *px = NULL;
    int w, h;
    ysg_status s =
        ysg__png_read_rect(path, &a, YSG_PNG_F16, &st->rect, &px, &w, &h, err, sizeof err);
    if (!s && (w != st->w || h != st->h)) {
      snprintf(err, sizeof err, "the file changed since it was loaded (%dx%d, was %dx%d)", w, h,
               st->w, st->h);
      s = YSG_ERR_IO;
    }
    if (s) {
      if (px) ysg_node_free(n, px);
      return ysg_node_param_fail(n, P_PATH, s, "cannot read PNG '%s': %s", path, err);
    }
    st->px = px;
    st->ready = 1;
    return YSG_OK;
  }
  st->loaded = -1;
  if (want.w > 0 && want.h > 0) {
    st->px = alloc_cb(n, (size_t)want.w * (size_t)want.h * 8);
    if (!st->px)
      return ysg_node_fail(n, YSG_ERR_NOMEM, "out of memory (%dx%d pixels)", want.w, want.h);
  }
  ysg_status s = ysg__png_decoder_init(&st->dec, &a, st->w, st->h, &want);
  if (s) return ysg_node_fail(n, s, "out of memory (a decoder for %dx%d pixels)", st->w, st->h);
  st->ready = 1;
  return YSG_OK;
}

/* round() of an offset, clamped so that offset + picture size cannot overflow an int. */
static int offset_px(double v) {
  if (!(v == v)) return 0;
  if (v > 1e9) v = 1e9;
  if (v < -1e9) v = -1e9;
  return (int)lround(v);
}

/* What the canvas needs of the picture now: its visible part, or all of it when x or y is
 * animated (decoding per frame what moves into view would cost more than keeping it). */
static ysg_png_rect needed(const ysg_node *n, const image_state *st, int W, int H) {
  if (st->exr || n->params[P_X].anim_ref || n->params[P_Y].anim_ref)
    return (ysg_png_rect){0, 0, st->w, st->h};
  return visible(st, offset_px(ysg_node_number(n, P_X)), offset_px(ysg_node_number(n, P_Y)), W, H);
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

/* The output is canvas-sized (width/height 0 lets the engine use the canvas), which is known now:
 * decode the part of a single picture it shows (bad files fail at load), or set the decoder up
 * and decode a sequence's first frame. */
static ysg_status image_infer(ysg_node *n) {
  image_state *st = ysg_node_state(n);
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_png_rect want = needed(n, st, cv->width, cv->height);
  if (st->ready && contains(st->rect, want)) return YSG_OK;
  ysg_status s = prepare(n, st, want);
  if (!s && st->seq) s = sequence_load(n, st, 0);
  return s;
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
  const int pw = st->rect.w, ph = st->rect.h; /* px: the part rect, at ox, oy on the canvas */
  const int x0 = j->ox > 0 ? j->ox : 0;
  const int x1 = j->ox + pw < W ? j->ox + pw : W;
  for (int ty = begin; ty < end; ty++) {
    uint8_t *flags = out->tiles ? out->tiles + (size_t)ty * (size_t)j->tiles_x : NULL;
    if (flags) memset(flags, 0, (size_t)j->tiles_x);
    int y1 = (ty + 1) * YSG_TILE < H ? (ty + 1) * YSG_TILE : H;
    for (int y = ty * YSG_TILE; y < y1; y++) {
      uint16_t *row = out->px + (size_t)y * (size_t)W * 4;
      int sy = y - j->oy;
      if (sy < 0 || sy >= ph || x0 >= x1 || !st->px) {
        memset(row, 0, (size_t)W * 8);
        continue;
      }
      const uint16_t *src = st->px + ((size_t)sy * (size_t)pw + (size_t)(x0 - j->ox)) * 4;
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

static ysg_status image_run(ysg_node *n, const ysg_frame *frame) {
  image_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output(n, 0);
  const int W = out ? out->width : frame->width, H = out ? out->height : frame->height;
  const int ox = offset_px(ysg_node_number(n, P_X)), oy = offset_px(ysg_node_number(n, P_Y));
  ysg_png_rect want = visible(st, ox, oy, W, H);
  if (!st->ready || !contains(st->rect, want)) {
    /* moved (by the host) past what was decoded: decode what is needed now */
    ysg_status s = prepare(n, st, needed(n, st, W, H));
    if (s) return s;
  }
  if (st->seq) {
    ysg_status s = sequence_load(n, st, frame->index);
    if (s) return s;
  }
  if (!out || !out->px) return YSG_OK;
  blit_job j;
  j.st = st;
  j.out = out;
  j.ox = ox + st->rect.x;
  j.oy = oy + st->rect.y;
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
        "on a transparent canvas-sized image with its top-left corner at round(x), round(y), in "
        "linear light, premultiplied; parts outside the canvas are cropped, and of a PNG only "
        "the part the canvas shows is decoded (all of it when x or y is animated). A single "
        "picture is decoded once. A sequence shows file number start + f at frame f, every file of "
        "the "
        "first file's size; without start it begins at the first of the numbers 0..4 that "
        "exists. Its frames are the consecutive files found from start at load, and it suggests "
        "the canvas size (the first file's) and frame count.",
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
