/* raw.c — the `raw` sink: streams frames as YUV4MPEG2 (y4m) or bare 8-bit sRGB RGBA to standard
 * output (path "-"), a pipe or device (written directly), or a file (grown under a temporary
 * name, renamed when the run finishes). It is what `ysgraph run --pipe` attaches (raw_pipe.c).
 * The render thread converts into one of three writer slots with engine/frame_convert.c (BT.709
 * Y'CbCr of the sRGB-encoded frame over black, or sRGB straight alpha); the writer thread
 * writes. A reader that goes away (EPIPE) ends the run with a one-line error; SIGPIPE is blocked
 * on the writer thread around each write, so the process is not killed by it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame_convert.h"
#include "internal.h"
#include "png_io.h"

enum { P_PATH, P_FORMAT, P_CHROMA, P_RANGE, N_PARAMS };
enum { F_Y4M, F_RGBA };

#define NSLOTS 3
#define FRAME_TAG "FRAME\n"

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_OUTPUT, "-", 0, 0, NULL, YSG_PARAM_STATIC,
     "\"-\": standard output; a pipe or device is written directly; a file is renamed into place "
     "when the run completes"},
    {"format", YSG_PARAM_ENUM, "y4m", 0, 0, "y4m|rgba", YSG_PARAM_STATIC,
     "y4m: YUV4MPEG2 (BT.709, canvas fps); rgba: 8-bit sRGB straight alpha, no header"},
    {"chroma", YSG_PARAM_ENUM, "420", 0, 0, "420|444", YSG_PARAM_STATIC,
     "y4m: 4:2:0 (C420jpeg, chroma averaged over 2x2) or 4:4:4 (C444)"},
    {"range", YSG_PARAM_ENUM, "limited", 0, 0, "limited|full", YSG_PARAM_STATIC,
     "y4m: code-value range (tagged XCOLORRANGE)"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the frames to stream (y4m: composited over black)", NULL, 0},
};

typedef struct raw_state {
  int format, full;
  int to_stdout, direct; /* standard output; a pipe/device written in place */
  const char *path;      /* resolved target */
  char *tmp;             /* files: ".NAME.part-PID" beside the target */
  int fd;                /* open stream, -1 before the first frame of a run */
  int header_due;        /* y4m: the next job writes the stream header first */
  int failed, frames;    /* writer side: a write failed; frames written this run */
  int w, h, fps_num, fps_den;
  char header[160];
  size_t frame_bytes; /* per slot: the tag (y4m) and the samples */
  uint8_t *buf[NSLOTS];
  ysg_yuv_conv yuv;
  ysg_srgb_conv srgb;
  void *lut;
} raw_state;

/* the canvas rate as a fraction: integers, NTSC-style N*1000/1001, else microsecond precision */
static void fps_fraction(double fps, int *num, int *den) {
  if (!(fps > 0)) fps = 30;
  if (fabs(fps - round(fps)) < 1e-9) {
    *num = (int)round(fps), *den = 1;
  } else if (fabs(fps * 1.001 - round(fps * 1.001)) < 1e-6) {
    *num = (int)round(fps * 1.001) * 1000, *den = 1001;
  } else {
    long n = lround(fps * 1e6), d = 1000000, a = n, b = d;
    while (b) {
      long t = a % b;
      a = b, b = t;
    }
    *num = (int)(n / a), *den = (int)(d / a);
  }
}

static ysg_status raw_init(ysg_node *n) {
  raw_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->fd = -1;
  st->format = ysg_node_enum(n, P_FORMAT);
  st->full = ysg_node_enum(n, P_RANGE) == 1;
  st->path = ysg_node_string(n, P_PATH);
  const char *written = n->params[P_PATH].str ? n->params[P_PATH].str : "-";
  st->to_stdout = !strcmp(written, "-");
  if (st->to_stdout) return YSG_OK;
  if (ysg__has_frame_pattern(st->path))
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE,
                               "'%s': raw writes one stream, not a file per frame (png and exr "
                               "take frame patterns)",
                               st->path);
  struct stat sb;
  if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
    if (S_ISDIR(sb.st_mode))
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO, "cannot write '%s': Is a directory",
                                 st->path);
    st->direct = 1; /* a FIFO or a device: no temporary, no rename */
    return YSG_OK;
  }
  char err[512];
  ysg_status s = ysg_node_check_only(n) ? YSG_OK : ysg__mkdirs_for(st->path, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "%s", err);
  const char *slash = strrchr(st->path, '/'), *base = slash ? slash + 1 : st->path;
  size_t len = strlen(st->path) + 32;
  if (!(st->tmp = ysg_node_alloc(n, len))) return YSG_ERR_NOMEM;
  snprintf(st->tmp, len, "%.*s.%s.part-%ld", (int)(base - st->path), st->path, base,
           (long)getpid());
  return YSG_OK;
}

static void free_slots(ysg_node *n, raw_state *st) {
  for (int i = 0; i < NSLOTS; i++) {
    if (st->buf[i]) ysg_node_free(n, st->buf[i]);
    st->buf[i] = NULL;
  }
}

static ysg_status raw_infer(ysg_node *n) {
  raw_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  const int w = in && in->width > 0 ? in->width : cv->width;
  const int h = in && in->height > 0 ? in->height : cv->height;
  if (st->buf[0] && w == st->w && h == st->h) return YSG_OK;
  free_slots(n, st);
  st->w = w, st->h = h;
  fps_fraction(cv->fps, &st->fps_num, &st->fps_den);
  const char *what;
  if (st->format == F_Y4M) {
    const int sub = ysg_node_enum(n, P_CHROMA) == 0;
    if (sub && ((w | h) & 1))
      return ysg_node_param_fail(n, P_CHROMA, YSG_ERR_PIPELINE,
                                 "4:2:0 needs an even width and height, the image is %dx%d (use "
                                 "chroma = \"444\")",
                                 w, h);
    st->yuv.lay = (ysg_yuv_layout){sub, sub, 8, 0};
    ysg_yuv_params_init(&st->yuv.yuv, YSG_YUV_BT709, st->full, 8);
    if (!st->lut && !(st->lut = ysg_node_alloc(n, 65536 * sizeof(float)))) return YSG_ERR_NOMEM;
    ysg__yuv_lut_init(st->lut);
    st->yuv.lut = st->lut;
    size_t luma = (size_t)w * (size_t)h, chroma = sub ? luma / 4 : luma;
    st->frame_bytes = strlen(FRAME_TAG) + luma + 2 * chroma;
    snprintf(st->header, sizeof st->header, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 %s XCOLORRANGE=%s\n",
             w, h, st->fps_num, st->fps_den, sub ? "C420jpeg XYSCSS=420JPEG" : "C444 XYSCSS=444",
             st->full ? "FULL" : "LIMITED");
    what = sub ? "y4m 4:2:0" : "y4m 4:4:4";
  } else {
    if (!st->lut && !(st->lut = ysg_node_alloc(n, 65536))) return YSG_ERR_NOMEM;
    ysg__srgb_conv_init(&st->srgb, 8, st->lut);
    st->frame_bytes = (size_t)w * (size_t)h * 4;
    what = "rgba";
  }
  for (int i = 0; i < NSLOTS; i++)
    if (!(st->buf[i] = ysg_node_alloc(n, st->frame_bytes))) return YSG_ERR_NOMEM;
  const char *to = st->to_stdout ? "standard output" : st->path;
  ysg_node_set_info(n, "%s %dx%d at %d/%d fps to %s", what, w, h, st->fps_num, st->fps_den, to);
  if (st->format == F_RGBA)
    ysg_node_log(n, YSG_LOG_INFO,
                 "raw rgba to %s: read it with ffmpeg -f rawvideo -pix_fmt rgba -s %dx%d "
                 "-framerate %d/%d -i ...",
                 to, w, h, st->fps_num, st->fps_den);
  return YSG_OK;
}

/* ---- writing (writer thread) ---------------------------------------------------------------- */
/* write all of b; SIGPIPE blocked on this thread, so a closed reader is EPIPE, not a signal */
static int write_all(int fd, const uint8_t *b, size_t n) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  int e = 0;
  while (n > 0) {
    ssize_t k = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      e = k < 0 ? errno : EIO;
      break;
    }
    b += k, n -= (size_t)k;
  }
  if (e == EPIPE) { /* take the SIGPIPE the failed write left pending on this thread */
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      int sig;
      sigwait(&pipe_set, &sig);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return e;
}

static ysg_status write_slot(void *ud, int slot, char *err, size_t cap) {
  raw_state *st = ud;
  if (st->failed) return YSG_OK; /* the first failure was reported */
  int e = 0;
  if (st->header_due) {
    e = write_all(st->fd, (const uint8_t *)st->header, strlen(st->header));
    st->header_due = 0;
  }
  if (!e) e = write_all(st->fd, st->buf[slot], st->frame_bytes);
  if (!e) {
    st->frames++;
    return YSG_OK;
  }
  st->failed = 1;
  char why[128];
  if (e == EPIPE && st->to_stdout)
    snprintf(err, cap,
             "standard output was closed by its reader after %d frame%s (broken pipe): "
             "stopping",
             st->frames, st->frames == 1 ? "" : "s");
  else if (e == EPIPE)
    snprintf(err, cap, "'%s' was closed by its reader after %d frame%s (broken pipe): stopping",
             st->path, st->frames, st->frames == 1 ? "" : "s");
  else
    snprintf(err, cap, "cannot write '%s': %s", st->to_stdout ? "standard output" : st->path,
             ysg__strerror(e, why, sizeof why));
  return YSG_ERR_IO;
}

/* ---- frames (render thread) ---------------------------------------------------------------- */
typedef struct conv_job {
  const raw_state *st;
  const ysg_value *in;
  uint8_t *dst;
  ysg_yuv_planes planes;
} conv_job;

static void convert_rows(void *ud, int begin, int end) {
  const conv_job *j = ud;
  if (j->st->format == F_Y4M)
    ysg__yuv_convert_rows(&j->st->yuv, j->in, &j->planes, NULL, begin, end);
  else
    ysg__srgb_convert_rows(&j->st->srgb, j->in, j->dst, (size_t)j->in->width * 4, begin, end);
}

static ysg_status open_stream(ysg_node *n, raw_state *st) {
  char why[128];
  if (st->to_stdout) {
    st->fd = STDOUT_FILENO;
  } else {
    const char *target = st->direct ? st->path : st->tmp;
    int flags = O_WRONLY | O_CLOEXEC | (st->direct ? 0 : O_CREAT | O_TRUNC);
    st->fd = open(target, flags, 0666);
    if (st->fd < 0)
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO, "cannot write '%s': %s", st->path,
                                 ysg__strerror(errno, why, sizeof why));
  }
  st->header_due = st->format == F_Y4M;
  st->failed = 0;
  st->frames = 0;
  return YSG_OK;
}

static ysg_status raw_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  raw_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  if (!in || !in->px)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no pixels this frame");
  if (in->width != st->w || in->height != st->h)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the stream was opened at %dx%d", in->width,
                         in->height, st->w, st->h);
  ysg_status s;
  if (st->fd < 0 && (s = open_stream(n, st))) return s;
  int slot;
  if ((s = ysg_node_write_begin(n, NSLOTS, &slot))) return s;
  conv_job j = {st, in, st->buf[slot], {{NULL, NULL, NULL}, {0, 0, 0}}};
  int rows = in->height;
  if (st->format == F_Y4M) {
    uint8_t *p = st->buf[slot];
    memcpy(p, FRAME_TAG, strlen(FRAME_TAG));
    p += strlen(FRAME_TAG);
    const int cw = in->width >> st->yuv.lay.sx, ch = in->height >> st->yuv.lay.sy;
    j.planes = (ysg_yuv_planes){{p, p + (size_t)in->width * in->height,
                                 p + (size_t)in->width * in->height + (size_t)cw * ch},
                                {in->width, cw, cw}};
    rows = ch;
  }
  ysg_node_parallel_for(n, rows, 8, convert_rows, &j);
  return ysg_node_write_submit(n, slot, write_slot, st);
}

static void close_stream(raw_state *st, int discard) {
  if (st->fd >= 0 && !st->to_stdout) close(st->fd);
  if (st->fd >= 0 && discard && st->tmp) unlink(st->tmp);
  st->fd = -1;
}

static ysg_status raw_finish(ysg_node *n) {
  raw_state *st = ysg_node_state(n);
  if (!st || st->fd < 0) return YSG_OK; /* nothing written since the last finish */
  char why[128];
  int e = 0;
  if (!st->to_stdout && close(st->fd) != 0) e = errno;
  st->fd = -1;
  if (!e && st->tmp && rename(st->tmp, st->path) != 0) e = errno;
  if (e) {
    if (st->tmp) unlink(st->tmp);
    return ysg_node_fail(n, YSG_ERR_IO, "cannot write '%s': %s", st->path,
                         ysg__strerror(e, why, sizeof why));
  }
  return YSG_OK;
}

static void raw_destroy(ysg_node *n) {
  raw_state *st = ysg_node_state(n);
  if (!st) return;
  close_stream(st, 1); /* never finished: no partial file under the target's name */
  free_slots(n, st);
  if (st->lut) ysg_node_free(n, st->lut);
  if (st->tmp) ysg_node_free(n, st->tmp);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_raw = {
    .name = "raw",
    .category = "output",
    .doc =
        "Streams its input as raw frames: YUV4MPEG2 (y4m: BT.709 Y'CbCr of the sRGB-encoded "
        "frame over black, 4:2:0 or 4:4:4, limited or full range, the canvas fps in the "
        "header) or bare 8-bit sRGB RGBA with straight alpha. path \"-\" is standard output "
        "(what `ysgraph run --pipe` uses), so `ysgraph run p.lua --pipe y4m | ffmpeg -i - "
        "out.mp4` works; a reader that exits stops the run with an error. A file grows under "
        "a temporary name and is renamed when the run completes.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = NULL,
    .n_outputs = 0,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_SINK | YSG_NODE_HOST,
    .init = raw_init,
    .infer = raw_infer,
    .run = raw_run,
    .destroy = raw_destroy,
    .userdata = NULL,
    .finish = raw_finish,
};
