/* png.c — the `png` sink: writes its input image as an sRGB PNG with straight alpha every frame.
 * The render thread converts FP16 linear premultiplied pixels into one of three ring slots
 * (engine/frame_convert.c); the background writer encodes the slot — level 1-2 in parallel bands,
 * 3-9 with libdeflate (engine/png_fast.c) — and renames it into place, so rendering and PNG
 * compression overlap. A "%04d"-style pattern in path numbers the files by frame, from
 * `start` (file start + f for frame f), so a frame range can be renumbered. On the CUDA backend
 * the conversion runs on the device and the converted bytes are copied into a pinned ring. */
#include <string.h>

#include "color.h"
#include "frame_convert.h"
#include "internal.h"
#include "png_fast.h"
#include "png_io.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/convert_api.h"
#include "../cuda/cuda_api.h"
#endif

enum { P_PATH, P_BITS, P_COMPRESSION, P_START, P_OVERWRITE, N_PARAMS };

#define NSLOTS 3
#define PATH_CAP 4096

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_OUTPUT, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "output file; one %d-style pattern (\"frames/%04d.png\") numbers the frames"},
    {"bits", YSG_PARAM_ENUM, "8", 0, 0, "8|16", YSG_PARAM_STATIC, "bits per sample"},
    {"compression", YSG_PARAM_INT, "2", 0, 9, NULL, 0,
     "0: none; 1-2: fast deflate in parallel bands (about zlib level 2's size); 3-9: libdeflate "
     "(zlib without it) at that level, smaller and slower"},
    {"start", YSG_PARAM_INT, "0", 0, 100000000, NULL, YSG_PARAM_STATIC,
     "the number frame 0's file gets: frame f is written as file start + f"},
    {"overwrite", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC,
     "a path without a frame pattern: true lets every frame rewrite the one file (the last "
     "frame stays); false makes a second frame an error"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the image to write", NULL, 0},
};

typedef struct png_state {
  int bits;         /* 8 or 16 */
  int dir_pattern;  /* the frame pattern is in a directory name: create directories per frame */
  const char *root; /* sandboxed: the output directory each frame's directories must stay in */
  int written;      /* no pattern: the frame whose file was written since the last finish, or -1 */
  int w, h;         /* slot capacity in pixels */
  unsigned char *buf[NSLOTS]; /* (h, w, 4) samples of bits/8 bytes, sRGB straight alpha */
  char *path[NSLOTS];         /* PATH_CAP each: the file this slot goes to */
  int sw[NSLOTS], sh[NSLOTS], level[NSLOTS];
  ysg_png_encoder *enc; /* used by the writer thread only */
  void *lut;            /* the converter's table: 65536 samples of bits/8 bytes */
  ysg_srgb_conv conv;   /* FP16 -> sRGB straight samples (engine/frame_convert.c) */
#ifdef YSG_HAVE_CUDA
  int d_conv;                    /* device scratch handle: the converted frame */
  unsigned char *pinned[NSLOTS]; /* pinned ring the device path encodes from */
  void *ev[NSLOTS];              /* cudaEvent_t: the slot's copy has landed */
  size_t pinned_bytes;           /* each pinned buffer */
  float *table;                  /* the encoder's thresholds (ysg_srgb_thresholds) */
#endif
} png_state;

/* the encoder's memory: the context's allocator, without setting errors (the writer thread) */
static void *enc_alloc(void *ud, size_t bytes) {
  const ysg_context *c = ((const ysg_node *)ud)->p->ctx;
  return c->alloc.alloc(c->alloc.ud, bytes ? bytes : 1, 64);
}

static void enc_free(void *ud, void *ptr) {
  const ysg_context *c = ((const ysg_node *)ud)->p->ctx;
  if (ptr) c->alloc.free(c->alloc.ud, ptr);
}

static ysg_status png_init(ysg_node *n) {
  png_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->bits = ysg_node_enum(n, P_BITS) == 1 ? 16 : 8;
  const ysg_png_alloc a = {enc_alloc, enc_free, n};
  if (ysg__png_encoder_create(&a, ysg_node_threads(n), &st->enc)) return YSG_ERR_NOMEM;

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
  if (!st->dir_pattern && !ysg_node_check_only(n)) {
    s = ysg__mkdirs_for(first, err, sizeof err);
    if (s) return ysg_node_param_fail(n, P_PATH, s, "%s", err);
  }

  st->lut = ysg_node_alloc(n, 65536 * (size_t)(st->bits / 8));
  if (!st->lut) return YSG_ERR_NOMEM;
  ysg__srgb_conv_init(&st->conv, st->bits, st->lut);
  return YSG_OK;
}

static void free_slots(ysg_node *n, png_state *st) {
  for (int i = 0; i < NSLOTS; i++) {
    if (st->buf[i]) ysg_node_free(n, st->buf[i]);
    if (st->path[i]) ysg_node_free(n, st->path[i]);
    st->buf[i] = NULL;
    st->path[i] = NULL;
  }
  st->w = st->h = 0;
}

static ysg_status png_infer(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  int w = in && in->width > 0 ? in->width : cv->width;
  int h = in && in->height > 0 ? in->height : cv->height;
  if (w == st->w && h == st->h && st->buf[0]) return YSG_OK;
  free_slots(n, st);
  size_t bytes = (size_t)w * (size_t)h * 4 * (size_t)(st->bits / 8);
  for (int i = 0; i < NSLOTS; i++) {
    st->buf[i] = ysg_node_alloc(n, bytes);
    st->path[i] = ysg_node_alloc(n, PATH_CAP);
    if (!st->buf[i] || !st->path[i]) {
      free_slots(n, st);
      return YSG_ERR_NOMEM;
    }
  }
  st->w = w;
  st->h = h;
  /* the encoder's buffers now, rather than at the first frame (level 3+ reserves more) */
  if (ysg__png_encoder_reserve(st->enc, w, h, st->bits, ysg_node_int(n, P_COMPRESSION)))
    return ysg_node_fail(n, YSG_ERR_NOMEM, "out of memory for the PNG encoder (%dx%d)", w, h);
  ysg_node_set_info(n, "%s, %d thread%s", ysg__png_level_name(ysg_node_int(n, P_COMPRESSION)),
                    ysg_node_threads(n), ysg_node_threads(n) > 1 ? "s" : "");
  return YSG_OK;
}

typedef struct conv_job {
  const ysg_value *in;
  const png_state *st;
  unsigned char *dst;
} conv_job;

static void convert_rows(void *ud, int begin, int end) {
  const conv_job *j = ud;
  ysg__srgb_convert_rows(&j->st->conv, j->in, j->dst,
                         (size_t)j->in->width * 4 * (size_t)(j->st->bits / 8), begin, end);
}

/* Encode slot's converted pixels px into its file (writer thread; both backends). */
static ysg_status png_write_slot(const png_state *st, int slot, const unsigned char *px, char *err,
                                 size_t errcap) {
  if (st->dir_pattern) {
    /* directories named per frame may exist already: as links leading out of the sandbox */
    ysg_status c = ysg__confine_frame_dir(st->root, st->path[slot], err, errcap);
    if (c) return c;
    ysg_status s = ysg__mkdirs_for(st->path[slot], err, errcap);
    if (s) return s;
  }
  return ysg__png_encode(st->enc, st->path[slot], px, st->sw[slot], st->sh[slot], 0, st->bits,
                         st->level[slot], err, errcap);
}

static ysg_status png_encode(void *ud, int slot, char *err, size_t errcap) {
  const png_state *st = ud;
  return png_write_slot(st, slot, st->buf[slot], err, errcap);
}

/* The file of this frame: file number start + index through the path's pattern. Without a
 * pattern, a second frame would replace the first's file: an error unless overwrite = true. */
static ysg_status png_frame_file(ysg_node *n, const ysg_frame *frame, char file[PATH_CAP]) {
  png_state *st = ysg_node_state(n);
  ysg_status s =
      ysg__sink_single_file(n, P_PATH, ysg_node_bool(n, P_OVERWRITE), frame->index, &st->written);
  if (s) return s;
  char err[512];
  long number = (long)ysg_node_int(n, P_START) + frame->index;
  if (number > 2147483647L)
    return ysg_node_fail(n, YSG_ERR_INVALID, "frame %d: file number %ld is too large", frame->index,
                         number);
  s = ysg__format_frame_path(ysg_node_string(n, P_PATH), (int)number, file, PATH_CAP, err,
                             sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  return YSG_OK;
}

static ysg_status png_run(ysg_node *n, const ysg_frame *frame) {
  png_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  if (!in || !in->px)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no pixels this frame");
  if (in->width > st->w || in->height > st->h || in->width <= 0 || in->height <= 0)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the node was planned for %dx%d", in->width,
                         in->height, st->w, st->h);
  /* Everything that can fail happens before write_begin, so a taken slot is always submitted. */
  char file[PATH_CAP];
  ysg_status s = png_frame_file(n, frame, file);
  if (s) return s;

  int slot;
  s = ysg_node_write_begin(n, NSLOTS, &slot);
  if (s) return s;
  conv_job j;
  j.in = in;
  j.st = st;
  j.dst = st->buf[slot];
  ysg_node_parallel_for(n, in->height, 16, convert_rows, &j);
  memcpy(st->path[slot], file, strlen(file) + 1);
  st->sw[slot] = in->width;
  st->sh[slot] = in->height;
  st->level[slot] = ysg_node_int(n, P_COMPRESSION);
  return ysg_node_write_submit(n, slot, png_encode, st);
}

/* ---- CUDA path -------------------------------------------------------------------------------
 * The device run converts the input (cuda/convert.cu) into a persistent device buffer of sRGB
 * straight-alpha samples — the same bytes the CPU path hands to the encoder (the kernel looks
 * levels up in the CPU encoder's own thresholds) — and `after` takes a writer slot, enqueues the
 * copy of those bytes into the slot's pinned buffer and the slot's event behind it, and queues
 * an encode that waits for the event first: encoding frame f overlaps rendering f + 1.
 * Parameter block: the thresholds, float[256] (8 bits) or float[65536] (16 bits, 256 KiB),
 * computed once at infer and copied every frame (the staging block is this frame's). Device
 * scratch (persistent, so nothing later in the segment reuses it before the copy): width ×
 * height × 4 samples. The pinned ring (NSLOTS × a frame) and the events belong to the node; the
 * CPU ring is freed at the first device frame (kept until then for a fall-back to the CPU). */
#ifdef YSG_HAVE_CUDA
static size_t png_frame_bytes(const png_state *st, int width, int height) {
  return (size_t)width * (size_t)height * 4 * (size_t)(st->bits / 8);
}

static void png_device_free(ysg_node *n, png_state *st) {
  for (int i = 0; i < NSLOTS; i++) {
    ysg__cuda_host_free(st->pinned[i]);
    ysg__cuda_event_destroy(st->ev[i]);
    st->pinned[i] = NULL;
    st->ev[i] = NULL;
  }
  st->pinned_bytes = 0;
  if (st->table) ysg_node_free(n, st->table);
  st->table = NULL;
}

static ysg_status png_device_infer(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  size_t bytes = png_frame_bytes(st, st->w, st->h), len = ysg_srgb_table_len(st->bits);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, len * sizeof(float))) ||
      (s = ysg_node_request_device_scratch(n, bytes, 1, &st->d_conv)))
    return s;
  if (!st->table) {
    st->table = ysg_node_alloc(n, len * sizeof(float));
    if (!st->table) return YSG_ERR_NOMEM;
    ysg_srgb_thresholds(st->bits, st->table);
  }
  char err[512] = "";
  if (st->pinned_bytes != bytes) {
    for (int i = 0; i < NSLOTS; i++) {
      ysg__cuda_host_free(st->pinned[i]);
      st->pinned[i] = NULL;
    }
    st->pinned_bytes = 0;
    for (int i = 0; i < NSLOTS; i++)
      if ((s = ysg__cuda_host_alloc((void **)&st->pinned[i], bytes, err, sizeof err)))
        return ysg_node_fail(n, s, "cannot allocate %zu bytes of pinned memory: %s", bytes, err);
    st->pinned_bytes = bytes;
  }
  for (int i = 0; i < NSLOTS; i++)
    if (!st->ev[i] && (s = ysg__cuda_event_create(&st->ev[i], 0, err, sizeof err)))
      return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

static ysg_status png_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  const png_state *st = ysg_node_state(n);
  float *t = ysg_node_param_block(n);
  if (!t || !st->table) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  memcpy(t, st->table, ysg_srgb_table_len(st->bits) * sizeof(float));
  return YSG_OK;
}

/* The input's device view, checked against the plan. */
static ysg_status png_device_input(ysg_node *n, const ysg_value **in, void **conv) {
  const png_state *st = ysg_node_state(n);
  *in = ysg_node_input_device(n, 0, 0);
  *conv = ysg_node_device_scratch(n, st->d_conv);
  if (!*in || !(*in)->px || !*conv)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no device pixels");
  if ((*in)->width > st->w || (*in)->height > st->h || (*in)->width <= 0 || (*in)->height <= 0)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the node was planned for %dx%d", (*in)->width,
                         (*in)->height, st->w, st->h);
  return YSG_OK;
}

static ysg_status png_device_run(ysg_node *n, void *stream) {
  const png_state *st = ysg_node_state(n);
  const ysg_value *in;
  void *conv;
  ysg_status s = png_device_input(n, &in, &conv);
  if (s) return s;
  const float *t = ysg_node_param_block_device(n);
  if (!t) return ysg_node_fail(n, YSG_ERR_INVALID, "the parameter block has no device address");
  char err[512] = "";
  s = ysg__cuda_to_srgb(in->px, in->tiles, in->width, in->height, st->bits, t, conv, stream, err,
                        sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* Writer thread: wait until the slot's copy has landed, then encode as the CPU path does. */
static ysg_status png_encode_device(void *ud, int slot, char *err, size_t errcap) {
  const png_state *st = ud;
  ysg_status s = ysg__cuda_event_sync(st->ev[slot], err, errcap);
  if (s) return s;
  return png_write_slot(st, slot, st->pinned[slot], err, errcap);
}

static ysg_status png_after(ysg_node *n, const ysg_frame *frame, void *stream) {
  png_state *st = ysg_node_state(n);
  const ysg_value *in;
  void *conv;
  ysg_status s = png_device_input(n, &in, &conv);
  if (s) return s;
  char file[PATH_CAP];
  if ((s = png_frame_file(n, frame, file))) return s;
  for (int i = 0; i < NSLOTS; i++) { /* running on the device: the CPU ring is not needed */
    if (st->buf[i]) ysg_node_free(n, st->buf[i]);
    st->buf[i] = NULL;
  }
  int slot;
  if ((s = ysg_node_write_begin(n, NSLOTS, &slot))) return s;
  /* a slot the writer handed back has been encoded: its copy and event are free to reuse (a
   * failure below leaves it unsubmitted, hence free) */
  char err[512] = "";
  if ((s = ysg__cuda_download(st->pinned[slot], conv, png_frame_bytes(st, in->width, in->height),
                              stream, err, sizeof err)) ||
      (s = ysg__cuda_event_record(st->ev[slot], stream, err, sizeof err)))
    return ysg_node_fail(n, s, "%s", err);
  memcpy(st->path[slot], file, strlen(file) + 1);
  st->sw[slot] = in->width;
  st->sh[slot] = in->height;
  st->level[slot] = ysg_node_int(n, P_COMPRESSION);
  return ysg_node_write_submit(n, slot, png_encode_device, st);
}

static const ysg_device_ops png_device = {
    .infer = png_device_infer,
    .prepare = png_prepare,
    .run = png_device_run,
    .after = png_after,
};
#endif

/* the run is complete: the next frame starts a new one (which may write the file again) */
static ysg_status png_finish(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  if (st) st->written = -1;
  return YSG_OK;
}

static void png_destroy(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  if (!st) return;
#ifdef YSG_HAVE_CUDA
  png_device_free(n, st);
#endif
  free_slots(n, st);
  ysg__png_encoder_destroy(st->enc);
  if (st->lut) ysg_node_free(n, st->lut);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_png = {
    .name = "png",
    .category = "output",
    .doc =
        "Writes its input image every frame as a PNG (sRGB, straight alpha, 8 or 16 bits). "
        "Files are encoded on a background thread and renamed into place, so a reader never "
        "sees a partial file. A %d-style pattern in path numbers the files start + frame; "
        "without one, a run of more than one frame is an error unless overwrite = true (every "
        "frame rewrites the one file).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = NULL,
    .n_outputs = 0,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_SINK | YSG_NODE_HOST,
    .init = png_init,
    .infer = png_infer,
    .run = png_run,
    .destroy = png_destroy,
    .userdata = NULL,
    .finish = png_finish,
#ifdef YSG_HAVE_CUDA
    .device = &png_device,
#endif
};
