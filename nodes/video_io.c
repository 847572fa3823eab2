/* video_io.c — FFmpeg helpers shared by the video nodes (see video_io.h): error text, colour
 * defaults and names, and the routing of FFmpeg's log output to node logs. */
#ifdef YSG_HAVE_FFMPEG
#include "video_io.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"
#include "yuv.h"

const char *ysg__av_err(int averror, char *buf, size_t cap) {
  if (av_strerror(averror, buf, cap) < 0) snprintf(buf, cap, "error %d", averror);
  return buf;
}

ysg_status ysg__av_status(int averror) {
  switch (averror) {
    case AVERROR(ENOENT):
    case AVERROR(EACCES):
    case AVERROR(EISDIR):
    case AVERROR(ENOTDIR):
    case AVERROR(EIO):
    case AVERROR(ENAMETOOLONG):
    case AVERROR(ELOOP):
    case AVERROR(EMFILE):
    case AVERROR(ENFILE):
      return YSG_ERR_IO;
    case AVERROR(ENOMEM):
      return YSG_ERR_NOMEM;
    default:
      return YSG_ERR_DATA;
  }
}

/* ---- sandboxed input ------------------------------------------------------------------------ */
#define GUARD_MAGIC 0x79736761u /* "ysga" */

/* Demuxers that open files on their own (playlists, lists, patterns) or reach the network. */
static int opens_other_files(const AVInputFormat *f, const char *path) {
  static const char *const names[] = {"concat", "hls",  "dash",  "imf",
                                      "sdp",    "rtsp", "lavfi", "webm_dash_manifest"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (av_match_name(names[i], f->name)) return 1;
  /* image2 reads one picture, unless the name is a sequence pattern or a glob */
  return av_match_name("image2", f->name) && strpbrk(path, "%*?[{") != NULL;
}

static int guarded_open(AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                        AVDictionary **options) {
  ysg_av_guard *g = s ? s->opaque : NULL;
  if (!g || g->magic != GUARD_MAGIC || !g->io_open) return AVERROR(EPERM); /* not ours: refuse */
  if (g->root) {
    char scheme[32];
    const char *file = url;
    if (ysg__path_url_scheme(url, scheme, sizeof scheme))
      file = strcmp(scheme, "file") == 0 ? url + 5 : NULL;
    if (!file || (flags & AVIO_FLAG_WRITE) || ysg__path_confine(g->root, file, NULL, 0) != YSG_OK) {
      if (!g->refused[0]) snprintf(g->refused, sizeof g->refused, "%s", url);
      return AVERROR(EPERM);
    }
  }
  return g->io_open(s, pb, url, flags, options);
}

int ysg__av_open_input(AVFormatContext **fmt, const char *path, ysg_av_guard *g, const char *root) {
  char url[4200];
  g->magic = GUARD_MAGIC;
  g->root = root;
  g->pb = NULL;
  g->refused[0] = 0;
  g->refused_format = 0;
  if (!root && ysg__path_url_scheme(path, NULL, 0)) {
    snprintf(url, sizeof url, "%s", path); /* --unsafe: a URL goes to FFmpeg as written */
  } else if (ysg__file_url(path, url, sizeof url) != YSG_OK) {
    avformat_free_context(*fmt);
    *fmt = NULL;
    return AVERROR(ENAMETOOLONG);
  }
  AVFormatContext *s = *fmt;
  if (!root) return avformat_open_input(fmt, url, NULL, NULL);
  g->io_open = s->io_open;
  s->io_open = guarded_open;
  s->protocol_whitelist = av_strdup("file");
  s->url = av_strdup(url); /* FFmpeg's io_open compares names with it */
  int r = s->protocol_whitelist && s->url ? 0 : AVERROR(ENOMEM);
  const AVInputFormat *ifmt = NULL;
  if (r >= 0) r = s->io_open(s, &g->pb, url, AVIO_FLAG_READ, NULL);
  if (r >= 0) r = av_probe_input_buffer2(g->pb, &ifmt, url, s, 0, 0);
  if (r >= 0 && opens_other_files(ifmt, path)) {
    snprintf(g->refused, sizeof g->refused, "%s", ifmt->name);
    g->refused_format = 1;
    r = AVERROR(EPERM);
  }
  if (r < 0) {
    avformat_free_context(s);
    *fmt = NULL;
    if (g->pb) avio_closep(&g->pb);
    return r;
  }
  s->pb = g->pb;
  s->flags |= AVFMT_FLAG_CUSTOM_IO;
  av_freep(&s->url); /* avformat_open_input sets it again */
  AVDictionary *o = NULL;
  av_dict_set(&o, "protocol_whitelist", "file", 0);
  r = avformat_open_input(fmt, url, ifmt, &o);
  av_dict_free(&o);
  if (r < 0) avio_closep(&g->pb); /* *fmt is gone; the custom input is still ours */
  return r;
}

void ysg__av_close_input(AVFormatContext **fmt, ysg_av_guard *g) {
  avformat_close_input(fmt);
  if (g->pb) avio_closep(&g->pb);
}

int ysg__video_matrix(enum AVColorSpace cs, int height) {
  switch (cs) {
    case AVCOL_SPC_BT709:
      return YSG_YUV_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_SMPTE240M: /* close to BT.601; FFmpeg's software path treats it so too */
    case AVCOL_SPC_FCC:
      return YSG_YUV_BT601;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return YSG_YUV_BT2020;
    default:
      return ysg_yuv_default_matrix(height);
  }
}

int ysg__video_transfer(enum AVColorTransferCharacteristic trc) {
  return trc == AVCOL_TRC_SMPTE2084      ? YSG_TRC_PQ
         : trc == AVCOL_TRC_ARIB_STD_B67 ? YSG_TRC_HLG
                                         : YSG_TRC_SDR;
}

int ysg__video_full_range(enum AVColorRange range, enum AVPixelFormat fmt) {
  if (range == AVCOL_RANGE_JPEG) return 1;
  if (range == AVCOL_RANGE_MPEG) return 0;
  return fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P ||
         fmt == AV_PIX_FMT_YUVJ440P || fmt == AV_PIX_FMT_YUVJ411P;
}

const char *ysg__video_matrix_name(int matrix) {
  return matrix == YSG_YUV_BT601 ? "BT.601" : matrix == YSG_YUV_BT2020 ? "BT.2020" : "BT.709";
}

void ysg__video_chroma_site(enum AVChromaLocation loc, float *x, float *y) {
  switch (loc) {
    case AVCHROMA_LOC_CENTER:
      *x = 0.5f, *y = 0.5f;
      break;
    case AVCHROMA_LOC_TOPLEFT:
      *x = 0.0f, *y = 0.0f;
      break;
    case AVCHROMA_LOC_TOP:
      *x = 0.5f, *y = 0.0f;
      break;
    case AVCHROMA_LOC_BOTTOMLEFT:
      *x = 0.0f, *y = 1.0f;
      break;
    case AVCHROMA_LOC_BOTTOM:
      *x = 0.5f, *y = 1.0f;
      break;
    default:
      *x = 0.0f, *y = 0.5f;
      break; /* LEFT, and the unspecified default */
  }
}

void ysg__video_describe(const AVCodecParameters *par, char *buf, size_t cap) {
  const char *profile = avcodec_profile_name(par->codec_id, par->profile);
  const char *fmt = av_get_pix_fmt_name((enum AVPixelFormat)par->format);
  snprintf(buf, cap, "%s%s%s%s %d×%d%s%s", avcodec_get_name(par->codec_id), profile ? " (" : "",
           profile ? profile : "", profile ? ")" : "", par->width, par->height, fmt ? " " : "",
           fmt ? fmt : "");
}

/* ---- log routing ------------------------------------------------------------------------- */

#define LOG_KEYS 64

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static struct {
  const void *key;
  const ysg_node *node;
} log_keys[LOG_KEYS];

/* The object a message is about: AVCodecContext and AVFormatContext carry our key in opaque
 * (also in frame-thread copies of a codec context); other objects (a codec's private context,
 * an AVIOContext) lead to their parent through the AVClass. */
static const ysg_node *log_owner(void *avcl) {
  for (int depth = 0; avcl && depth < 4; depth++) {
    const AVClass *cls = *(const AVClass **)avcl;
    const void *opaque = NULL;
    if (cls && !strcmp(cls->class_name, "AVCodecContext"))
      opaque = ((const AVCodecContext *)avcl)->opaque;
    else if (cls && !strcmp(cls->class_name, "AVFormatContext"))
      opaque = ((const AVFormatContext *)avcl)->opaque;
    for (int i = 0; i < LOG_KEYS; i++)
      if (log_keys[i].key && (log_keys[i].key == avcl || log_keys[i].key == opaque))
        return log_keys[i].node;
    if (!cls || cls->parent_log_context_offset <= 0) break;
    avcl = *(void **)((char *)avcl + cls->parent_log_context_offset);
  }
  return NULL;
}

static void log_callback(void *avcl, int level, const char *fmt, va_list ap) {
  const ysg_node *n = NULL;
  if (avcl && level <= av_log_get_level()) {
    pthread_mutex_lock(&log_lock);
    n = log_owner(avcl);
    pthread_mutex_unlock(&log_lock);
  }
  if (!n) {
    av_log_default_callback(avcl, level, fmt, ap);
    return;
  }
  char line[1024];
  int prefix = 1; /* "[class @ address] " first: each call is a line of its own */
  av_log_format_line2(avcl, level, fmt, ap, line, sizeof line, &prefix);
  size_t len = strlen(line);
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
  if (len) ysg_node_log(n, YSG_LOG_DEBUG, "ffmpeg: %s", line);
}

static void install(void) { av_log_set_callback(log_callback); }

void ysg__av_log_bind(const void *key, const ysg_node *n) {
  pthread_once(&log_once, install);
  pthread_mutex_lock(&log_lock);
  for (int i = 0; i < LOG_KEYS; i++)
    if (!log_keys[i].key) {
      log_keys[i].key = key;
      log_keys[i].node = n;
      break;
    }
  pthread_mutex_unlock(&log_lock);
}

void ysg__av_log_unbind(const void *key) {
  pthread_mutex_lock(&log_lock);
  for (int i = 0; i < LOG_KEYS; i++)
    if (log_keys[i].key == key) log_keys[i].key = NULL, log_keys[i].node = NULL;
  pthread_mutex_unlock(&log_lock);
}

#else
typedef int ysg__video_io_unused; /* ISO C forbids an empty translation unit */
#endif /* YSG_HAVE_FFMPEG */
