/* video_in.c — the `video_in` source: any video libavformat reads, decoded by libavcodec in
 * software (threaded) or by NVDEC (libavcodec's "cuda" hwaccel, which reaches the NVIDIA Video
 * Codec API through the ffnvcodec loader) and converted to linear premultiplied FP16 RGBA with
 * engine/yuv.h — in C for frames in host memory, by cuda/video.cu for NVDEC surfaces.
 * At init the video stream's packets are scanned once for their presentation time stamps
 * (sorted: frame order), which gives an exact frame count and frame-accurate seeking: frame f is
 * the decoded picture whose time stamp is the f-th smallest. */
#ifdef YSG_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "video_in.h"
#include "video_io.h"
#include "ysgraph/node.h"
#include "yuv.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/video_api.h"
#endif

#ifndef AV_CUDA_USE_PRIMARY_CONTEXT /* libavutil/hwcontext_cuda.h, which needs cuda.h */
#define AV_CUDA_USE_PRIMARY_CONTEXT (1 << 0)
#endif

enum { P_PATH, P_DECODER, P_THREADS, P_CHROMA, N_PARAMS };
enum { DEC_AUTO, DEC_NVDEC, DEC_SOFTWARE };

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "video file (mp4, mkv, mov, … with H.264, HEVC, VP9, AV1, ProRes, …), relative to the "
     "pipeline"},
    {"decoder", YSG_PARAM_ENUM, "auto", 0, 0, "auto|nvdec|software", YSG_PARAM_STATIC,
     "auto: NVDEC when a CUDA device is usable and libavcodec has a CUDA hwaccel for the codec"},
    {"threads", YSG_PARAM_INT, "0", 0, 64, NULL, YSG_PARAM_STATIC,
     "software decoding threads; 0: libavcodec picks"},
    {"chroma", YSG_PARAM_ENUM, "nearest", 0, 0, "nearest|bilinear", YSG_PARAM_STATIC,
     "4:2:0 / 4:2:2 chroma: nearest gives each pixel its block's sample (FFmpeg's default; a "
     "video_out round trip keeps the chroma), bilinear interpolates by the stream's siting"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the frame, linear premultiplied (alpha 1 unless the video has alpha)",
     NULL, 0},
};

/* ---- opening ----------------------------------------------------------------------------- */

static int has_cuda_hwaccel(const AVCodec *c) {
  for (int i = 0;; i++) {
    const AVCodecHWConfig *cfg = avcodec_get_hw_config(c, i);
    if (!cfg) return 0;
    if (cfg->device_type == AV_HWDEVICE_TYPE_CUDA &&
        (cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
      return 1;
  }
}

static ysg_status open_input(ysg_node *n, vin_state *s, const AVCodec **codec) {
  char e[256];
  if (!(s->fmt = avformat_alloc_context())) return YSG_ERR_NOMEM;
  s->fmt->opaque = &s->guard; /* before opening: the demuxer logs while probing */
  int r = ysg__av_open_input(&s->fmt, s->path, &s->guard, ysg__sandbox_root(n, 0));
  if (r == AVERROR(EPERM) && s->guard.refused_format)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE,
                               "'%s' is a %s file, which makes FFmpeg open other files: sandboxed "
                               "pipelines read self-contained video files only (run with --unsafe "
                               "to allow it)",
                               s->path, s->guard.refused);
  if (r == AVERROR(EPERM) && s->guard.refused[0])
    return ysg_node_param_fail(
        n, P_PATH, YSG_ERR_PIPELINE,
        "'%s' makes FFmpeg open '%s', outside the pipeline's directory: "
        "sandboxed pipelines may not leave it (run with --unsafe to allow it)",
        s->path, s->guard.refused);
  if (r < 0)
    return ysg_node_param_fail(n, P_PATH, ysg__av_status(r), "cannot open '%s': %s", s->path,
                               ysg__av_err(r, e, sizeof e));
  if ((r = avformat_find_stream_info(s->fmt, NULL)) < 0)
    return ysg_node_param_fail(n, P_PATH, s->guard.refused[0] ? YSG_ERR_PIPELINE : YSG_ERR_DATA,
                               "cannot read the streams of '%s': %s%s%s", s->path,
                               ysg__av_err(r, e, sizeof e),
                               s->guard.refused[0] ? ", refused to open " : "", s->guard.refused);
  s->stream = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (s->stream < 0) {
    int audio = 0, other = 0;
    for (unsigned i = 0; i < s->fmt->nb_streams; i++) {
      if (s->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
        audio++;
      else
        other++;
    }
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA,
                               "'%s' has no video stream (%d audio, %d other)", s->path, audio,
                               other);
  }
  AVStream *st = s->fmt->streams[s->stream];
  for (unsigned i = 0; i < s->fmt->nb_streams; i++)
    if ((int)i != s->stream) s->fmt->streams[i]->discard = AVDISCARD_ALL; /* demux video only */
  *codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!*codec)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_UNSUPPORTED,
                               "'%s': this build of libavcodec has no decoder for its video "
                               "codec '%s'",
                               s->path, avcodec_get_name(st->codecpar->codec_id));
  s->w = st->codecpar->width;
  s->h = st->codecpar->height;
  if (s->w <= 0 || s->h <= 0)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA, "'%s': the video stream has no size",
                               s->path);
  AVRational rate = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate
                                                                             : st->r_frame_rate;
  s->fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  return YSG_OK;
}

/* The decoder: NVDEC (a CUDA device context on the runtime's primary context, so the kernel and
 * NVDEC share it) or software. Logs which, and why. */
static ysg_status open_decoder(ysg_node *n, vin_state *s, const AVCodec *c) {
  AVStream *st = s->fmt->streams[s->stream];
  int choice = ysg_node_enum(n, P_DECODER);
  char why[512] = "decoder = \"software\"", e[256], desc[256];
  ysg__video_describe(st->codecpar, desc, sizeof desc);
  if (choice != DEC_SOFTWARE) {
    int usable = ysg__cuda_probe(why, sizeof why);
    if (usable && !has_cuda_hwaccel(c)) {
      usable = 0;
      snprintf(why, sizeof why, "libavcodec has no CUDA hwaccel for %s", c->name);
    }
    if (usable) {
      int r = av_hwdevice_ctx_create(&s->hw, AV_HWDEVICE_TYPE_CUDA, NULL, NULL,
                                     AV_CUDA_USE_PRIMARY_CONTEXT);
      if (r < 0) {
        usable = 0;
        snprintf(why, sizeof why, "cannot create the CUDA device context: %s",
                 ysg__av_err(r, e, sizeof e));
      }
    }
    if (!usable && choice == DEC_NVDEC)
      return ysg_node_param_fail(n, P_DECODER, YSG_ERR_UNSUPPORTED, "NVDEC is not available: %s",
                                 why);
  }
  if (!(s->dec = avcodec_alloc_context3(c))) return YSG_ERR_NOMEM;
  s->dec->opaque = &s->guard;
  int r = avcodec_parameters_to_context(s->dec, st->codecpar);
  if (r < 0) return YSG_ERR_NOMEM;
  s->dec->pkt_timebase = st->time_base;
  if (s->hw) {
    s->dec->hw_device_ctx = av_buffer_ref(s->hw);
    if (!s->dec->hw_device_ctx) return YSG_ERR_NOMEM;
    s->dec->thread_count = 1;
  } else {
    s->dec->thread_count = ysg_node_int(n, P_THREADS);
    s->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  }
  if ((r = avcodec_open2(s->dec, c, NULL)) < 0)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_UNSUPPORTED,
                               "'%s': cannot open the %s decoder: %s", s->path, c->name,
                               ysg__av_err(r, e, sizeof e));
  if (s->hw)
    ysg_node_log(n, YSG_LOG_INFO, "decoding '%s' (%s) with NVDEC", s->path, desc);
  else
    ysg_node_log(n, YSG_LOG_INFO, "decoding '%s' (%s) in software (libavcodec's %s): %s", s->path,
                 desc, c->name, why);
  return YSG_OK;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Read every packet of the video stream once: their time stamps, sorted, are the frames. */
static ysg_status build_index(ysg_node *n, vin_state *s) {
  AVStream *st = s->fmt->streams[s->stream];
  int cap = st->nb_frames > 0 && st->nb_frames < (1 << 16) ? (int)st->nb_frames : 1024, count = 0;
  int missing = 0, r;
  int64_t end = INT64_MIN; /* where the last frame ends, in the stream's time base */
  const double tb = av_q2d(st->time_base);
  const int64_t frame_ts = s->fps > 0 ? (int64_t)(1.0 / (s->fps * tb) + 0.5) : 0;
  char e[256];
  s->pts = ysg_node_alloc(n, sizeof(int64_t) * (size_t)cap);
  if (!s->pts) return YSG_ERR_NOMEM;
  while ((r = av_read_frame(s->fmt, s->pkt)) >= 0) {
    int take = s->pkt->stream_index == s->stream && !(s->pkt->flags & AV_PKT_FLAG_DISCARD);
    int64_t ts = s->pkt->pts, dur = s->pkt->duration > 0 ? s->pkt->duration : frame_ts;
    av_packet_unref(s->pkt);
    if (take && ts != AV_NOPTS_VALUE && ts + dur > end) end = ts + dur;
    if (!take) continue;
    if (count == cap) {
      int64_t *grown = ysg_node_alloc(n, sizeof(int64_t) * (size_t)cap * 2);
      if (!grown) return YSG_ERR_NOMEM;
      memcpy(grown, s->pts, sizeof(int64_t) * (size_t)count);
      ysg_node_free(n, s->pts);
      s->pts = grown;
      cap *= 2;
    }
    if (ts == AV_NOPTS_VALUE) missing = 1;
    s->pts[count++] = ts;
  }
  if (r != AVERROR_EOF)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA, "'%s' is damaged after frame %d: %s",
                               s->path, count, ysg__av_err(r, e, sizeof e));
  if (count == 0)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA, "'%s': the video stream has no frames",
                               s->path);
  if (st->nb_frames > count)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA,
                               "'%s' is truncated or damaged: its index lists %lld frames but "
                               "only %d are in the file",
                               s->path, (long long)st->nb_frames, count);
  /* A container that states the duration (not an estimate) but whose frames end clearly
   * before it has lost its tail: a truncated Matroska file keeps its header. */
  double stated = -1;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    stated = (double)(st->duration + (st->start_time != AV_NOPTS_VALUE ? st->start_time : 0)) * tb;
  else if (s->fmt->nb_streams == 1 && s->fmt->duration > 0)
    stated = (double)(s->fmt->duration +
                      (s->fmt->start_time != AV_NOPTS_VALUE ? s->fmt->start_time : 0)) /
             AV_TIME_BASE;
  if (!missing && s->fmt->duration_estimation_method == AVFMT_DURATION_FROM_STREAM && stated > 0 &&
      stated - (double)end * tb > 2.0 * (double)frame_ts * tb + 1e-3)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_DATA,
                               "'%s' is truncated or damaged: its %d frames end at %.3f s, but "
                               "the container says the video lasts until %.3f s",
                               s->path, count, (double)end * tb, stated);
  s->n = count;
  s->ordinal = missing;
  if (missing) {
    for (int i = 0; i < count; i++) s->pts[i] = i;
    ysg_node_log(n, YSG_LOG_INFO,
                 "'%s' has no presentation time stamps: frames are counted from the start, and "
                 "each seek decodes from the beginning",
                 s->path);
  } else {
    qsort(s->pts, (size_t)count, sizeof(int64_t), cmp_i64);
  }
  s->next = -1;
  return YSG_OK;
}

/* st->lut: the transfer trc's per-channel part at R'G'B' = i / LUT_N */
static void fill_lut(vin_state *st, int trc) {
  for (int i = 0; i <= LUT_N; i++)
    st->lut[i] = ysg_transfer_to_linear(trc, (float)i / (float)LUT_N);
  st->lut_trc = trc;
}

static ysg_status vin_init(ysg_node *n) {
  vin_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  ysg__av_log_bind(&st->guard, n);
  st->path = ysg_node_string(n, P_PATH);
  st->chroma_filter = ysg_node_enum(n, P_CHROMA) == 1 ? YSG_CHROMA_BILINEAR : YSG_CHROMA_NEAREST;
  st->sws_fmt = AV_PIX_FMT_NONE;
  st->pkt = av_packet_alloc();
  st->frame = av_frame_alloc();
  st->host = av_frame_alloc();
  st->rgb = av_frame_alloc();
  st->kept = av_frame_alloc();
  st->pic_index = -1;
  if (!st->pkt || !st->frame || !st->host || !st->rgb || !st->kept) return YSG_ERR_NOMEM;
  const AVCodec *codec = NULL;
  ysg_status s = open_input(n, st, &codec);
  if (!s) s = open_decoder(n, st, codec);
  if (!s) s = build_index(n, st);
  if (s) return s;
  ysg_node_suggest_canvas(n, st->w, st->h, st->n, st->fps);
  /* conversion scratch: a few bands per thread, each with 13 rows + 4 chroma rows of floats */
  st->bands = ysg_node_threads(n) * 2 < st->h ? ysg_node_threads(n) * 2 : st->h;
  st->band_floats = (size_t)st->w * 17;
  st->scratch = ysg_node_alloc(n, sizeof(float) * st->band_floats * (size_t)st->bands);
  st->tap0 = ysg_node_alloc(n, sizeof(int) * (size_t)st->w);
  st->tap1 = ysg_node_alloc(n, sizeof(int) * (size_t)st->w);
  st->tapw = ysg_node_alloc(n, sizeof(float) * (size_t)st->w);
  st->lut = ysg_node_alloc(n, sizeof(float) * (LUT_N + 1));
  if (!st->scratch || !st->tap0 || !st->tap1 || !st->tapw || !st->lut) return YSG_ERR_NOMEM;
  const AVCodecParameters *par = st->fmt->streams[st->stream]->codecpar;
  fill_lut(st, ysg__video_transfer(par->color_trc));
  if (st->lut_trc != YSG_TRC_SDR || par->color_primaries == AVCOL_PRI_BT2020)
    ysg_node_log(n, YSG_LOG_INFO,
                 "'%s' is %s with %s primaries: decoded to display light (1.0 = reference white, "
                 "%g cd/m²) in BT.709 primaries, components outside BT.709 clipped",
                 st->path,
                 st->lut_trc == YSG_TRC_PQ    ? "HDR (PQ)"
                 : st->lut_trc == YSG_TRC_HLG ? "HDR (HLG)"
                                              : "SDR",
                 par->color_primaries == AVCOL_PRI_BT2020 ? "BT.2020" : "BT.709",
                 (double)YSG_HDR_WHITE_NITS);
#ifdef YSG_HAVE_CUDA
  if (st->hw) {
    ysg__vin_device_probe(n, st);
    char err[512];
    s = ysg__cuda_malloc(&st->d_px, (size_t)st->w * (size_t)st->h * 8, err, sizeof err);
    if (!s) s = ysg__cuda_malloc((void **)&st->d_params, sizeof(ysg_yuv_params), err, sizeof err);
    if (s) return ysg_node_fail(n, s, "%s", err);
  }
#endif
  return YSG_OK;
}

static ysg_status vin_infer(ysg_node *n) {
  vin_state *st = ysg_node_state(n);
  const ysg_canvas *cv = ysg_node_canvas(n);
  if (cv->width != st->w || cv->height != st->h)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "video is %d×%d but the canvas is %d×%d: video_in does not scale; "
                         "leave the canvas size unset or make it %d×%d",
                         st->w, st->h, cv->width, cv->height, st->w, st->h);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = st->w;
  out->height = st->h;
  return YSG_OK;
}

/* ---- decoding and seeking ------------------------------------------------------------------ */

/* The next decoded picture into st->frame with its key (time stamp, or ordinal); END_OF_STREAM
 * when the stream has no more. */
static ysg_status receive(ysg_node *n, vin_state *st, int f, int64_t *key) {
  char e[256];
  for (;;) {
    int r = avcodec_receive_frame(st->dec, st->frame);
    if (r >= 0) {
      int64_t ts =
          st->frame->pts != AV_NOPTS_VALUE ? st->frame->pts : st->frame->best_effort_timestamp;
      *key = st->ordinal ? st->ord++ : ts;
      return YSG_OK;
    }
    if (r == AVERROR_EOF) return END_OF_STREAM;
    if (r != AVERROR(EAGAIN) || st->eof)
      return ysg_node_fail(n, YSG_ERR_DATA, "cannot decode frame %d of '%s': %s", f, st->path,
                           ysg__av_err(r, e, sizeof e));
    r = av_read_frame(st->fmt, st->pkt);
    if (r == AVERROR_EOF) {
      st->eof = 1;
      r = avcodec_send_packet(st->dec, NULL);
    } else if (r < 0) {
      return ysg_node_fail(n, YSG_ERR_DATA, "cannot read frame %d of '%s': %s", f, st->path,
                           ysg__av_err(r, e, sizeof e));
    } else {
      r = st->pkt->stream_index == st->stream ? avcodec_send_packet(st->dec, st->pkt) : 0;
      av_packet_unref(st->pkt);
    }
    if (r < 0 && r != AVERROR(EAGAIN))
      return ysg_node_fail(n, YSG_ERR_DATA, "cannot decode frame %d of '%s': %s", f, st->path,
                           ysg__av_err(r, e, sizeof e));
  }
}

/* Position the demuxer at the keyframe at or before frame `from` and reset the decoder. */
static ysg_status seek_to(ysg_node *n, vin_state *st, int f, int from) {
  int r;
  if (st->ordinal) {
    AVStream *vs = st->fmt->streams[st->stream];
    int64_t start = vs->start_time != AV_NOPTS_VALUE ? vs->start_time : 0;
    r = avformat_seek_file(st->fmt, st->stream, INT64_MIN, start, start, 0);
    if (r < 0) r = av_seek_frame(st->fmt, st->stream, 0, AVSEEK_FLAG_BYTE);
  } else {
    r = av_seek_frame(st->fmt, st->stream, st->pts[from], AVSEEK_FLAG_BACKWARD);
  }
  if (r < 0) {
    char e[256];
    return ysg_node_fail(n, YSG_ERR_DATA, "cannot seek to frame %d of '%s': %s", f, st->path,
                         ysg__av_err(r, e, sizeof e));
  }
  avcodec_flush_buffers(st->dec);
  st->eof = 0;
  st->ord = 0;
  return YSG_OK;
}

/* Frame f into st->frame. Sequential frames continue decoding; any other frame seeks to the
 * keyframe before it and decodes up to it. When a seek lands after the frame (a demuxer that
 * seeks by decode time stamps, or leading pictures that need the previous keyframe), it retries
 * from 4, 8, 16, … frames earlier, down to the first frame. */
ysg_status ysg__vin_fetch(ysg_node *n, vin_state *st, int f) {
  const int64_t want = st->pts[f];
  int seek = st->next != f, from = f;
  for (int attempt = 0;; attempt++) {
    if (seek) {
      ysg_status s = seek_to(n, st, f, from);
      if (s) return s;
    }
    int64_t key;
    ysg_status s;
    while ((s = receive(n, st, f, &key)) == YSG_OK) {
      if (key == want) {
        st->next = f + 1;
        return YSG_OK;
      }
      av_frame_unref(st->frame);
      if (key > want) break;
    }
    if (s != YSG_OK) {
      st->next = -1;
      if (s != END_OF_STREAM) return s;
      return ysg_node_fail(n, YSG_ERR_DATA,
                           "'%s' ended before frame %d could be decoded (is it truncated?)",
                           st->path, f);
    }
    if (st->ordinal || (seek && from == 0) || attempt > 30) {
      st->next = -1;
      return ysg_node_fail(n, YSG_ERR_DATA,
                           "cannot decode frame %d of '%s': the decoder gives no picture with its "
                           "time stamp",
                           f, st->path);
    }
    from = seek ? (f - (4 << attempt) > 0 ? f - (4 << attempt) : 0) : f;
    seek = 1;
  }
}

/* ---- conversion to linear FP16 --------------------------------------------------------------- */

typedef struct comp_rd { /* one component of a pixel format, read in code values */
  const uint8_t *data;
  ptrdiff_t linesize;
  int step, offset, shift, wide;
  unsigned mask;
} comp_rd;

/* Code values of component c at columns 0..n-1 of row y. */
static void read_row(const comp_rd *c, int y, int n, float *dst) {
  const uint8_t *p = c->data + (ptrdiff_t)y * c->linesize + c->offset;
  if (!c->wide && c->step == 1 && !c->shift) {
    for (int i = 0; i < n; i++) dst[i] = (float)p[i];
  } else if (c->wide && c->step == 2 && !c->shift) {
    for (int i = 0; i < n; i++)
      dst[i] = (float)((unsigned)(p[2 * i] | (p[2 * i + 1] << 8)) & c->mask);
  } else {
    for (int i = 0; i < n; i++, p += c->step) {
      unsigned v = c->wide ? (unsigned)(p[0] | (p[1] << 8)) : p[0];
      dst[i] = (float)((v >> c->shift) & c->mask);
    }
  }
}

typedef struct conv_job {
  const vin_state *st;
  ysg_value *out;
  ysg_yuv_params yuv;
  comp_rd c[4];          /* Y, Cb, Cr, alpha; or R, G, B, alpha */
  int rgb_in;            /* R'G'B' components, not Y'CbCr */
  int chroma, alpha, lh; /* has chroma / alpha; log2 vertical chroma subsampling */
  int cw, ch;            /* chroma plane size */
  const uint16_t *rgb;   /* swscale path: RGBA64 rows */
  ptrdiff_t rgb_stride;  /* in uint16 */
} conv_job;

/* The transfer's per-channel value (the sRGB EOTF for SDR) of v in 0..1 (clamped by the caller)
 * with v rounded to 16 bits: for SDR ysg_srgb_to_linear(round(v·65535) / 65535), off the exact
 * curve by at most 2e-5 (a tenth of an FP16 step near 1, 6e-7 near black) — one table lookup
 * instead of a powf per channel. */
static inline float eotf(const float *lut, float v) { return lut[(int)(v * (float)LUT_N + 0.5f)]; }

/* Y'CbCr rows -> R'G'B' rows; chroma = top + (bottom - top)·wy as in ysg_chroma_mix. Separate
 * restrict-qualified rows let the compiler vectorise it. */
static void matrix_row(const ysg_yuv_params *p, int W, const float *restrict Y,
                       const float *restrict cb_top, const float *restrict cb_bot,
                       const float *restrict cr_top, const float *restrict cr_bot, float wy,
                       float *restrict R, float *restrict G, float *restrict B) {
  const ysg_yuv_params yuv = *p;
  for (int x = 0; x < W; x++) {
    float rgb[3];
    float cb = cb_top[x] + (cb_bot[x] - cb_top[x]) * wy;
    float cr = cr_top[x] + (cr_bot[x] - cr_top[x]) * wy;
    ysg_yuv_to_rgb_prime(&yuv, Y[x], cb, cr, rgb);
    R[x] = rgb[0], G[x] = rgb[1], B[x] = rgb[2];
  }
}

/* One row, in passes over float rows that the compiler vectorises: components in, chroma mixed
 * horizontally then vertically by the taps of yuv.h (ysg_chroma_mix's arithmetic), then
 * ysg_yuv_to_rgb_prime — the math of ysg_yuv_to_linear and of the CUDA kernel — then the EOTF
 * by table (eotf), premultiplied by alpha (straight in FFmpeg), to FP16 a row at a time. */
static void convert_row(const conv_job *j, int y, float *buf) {
  const vin_state *st = j->st;
  const ysg_yuv_params yuv = j->yuv;
  const int W = st->w, cw = j->cw;
  float *Y = buf, *A = Y + W, *P = A + W, *T = P + 3 * W, *q = T + 4 * W, *c = q + 4 * W;
  read_row(&j->c[0], y, W, j->rgb_in ? P : Y);
  if (j->alpha) read_row(&j->c[3], y, W, A);
  float scale[3] = {1.0f, 1.0f, 1.0f};
  if (j->rgb_in) {
    read_row(&j->c[1], y, W, P + W);
    read_row(&j->c[2], y, W, P + 2 * W);
    for (int k = 0; k < 3; k++) scale[k] = 1.0f / (float)j->c[k].mask;
  } else if (j->chroma) {
    int y0, y1;
    float wy;
    ysg_chroma_taps_p(&yuv, 1, y, j->lh, j->ch, &y0, &y1, &wy);
    read_row(&j->c[1], y0, cw, c);
    read_row(&j->c[1], y1, cw, c + cw);
    read_row(&j->c[2], y0, cw, c + 2 * cw);
    read_row(&j->c[2], y1, cw, c + 3 * cw);
    for (int k = 0; k < 4; k++) { /* Cb top, Cb bottom, Cr top, Cr bottom: horizontal mix */
      const float *src = c + k * cw;
      float *dst = T + k * W;
      for (int x = 0; x < W; x++) {
        float a = src[st->tap0[x]], b = src[st->tap1[x]];
        dst[x] = a + (b - a) * st->tapw[x];
      }
    }
    matrix_row(&yuv, W, Y, T, T + W, T + 2 * W, T + 3 * W, wy, P, P + W, P + 2 * W);
  } else { /* gray: no chroma */
    for (int x = 0; x < W; x++) T[x] = yuv.c_off;
    matrix_row(&yuv, W, Y, T, T, T, T, 0.0f, P, P + W, P + 2 * W);
  }
  const float inv_a = j->alpha ? 1.0f / (float)j->c[3].mask : 1.0f;
  if (yuv.transfer == YSG_TRC_SDR && !yuv.bt2020) {
    for (int x = 0; x < W; x++) {
      float a = j->alpha ? A[x] * inv_a : 1.0f;
      for (int k = 0; k < 3; k++) q[4 * x + k] = eotf(st->lut, P[k * W + x] * scale[k]) * a;
      q[4 * x + 3] = a;
    }
  } else { /* HDR or BT.2020: the per-channel table, then what mixes channels */
    for (int x = 0; x < W; x++) {
      float a = j->alpha ? A[x] * inv_a : 1.0f, rgb[3];
      for (int k = 0; k < 3; k++) rgb[k] = eotf(st->lut, P[k * W + x] * scale[k]);
      ysg_yuv_finish(&yuv, rgb);
      for (int k = 0; k < 3; k++) q[4 * x + k] = rgb[k] * a;
      q[4 * x + 3] = a;
    }
  }
  ysg_floats_to_halves(q, j->out->px + (size_t)y * (size_t)W * 4, 4 * W);
}

/* Rows in bands, each band with its own scratch (state, sized at init). */
static void convert_bands(void *ud, int begin, int end) {
  const conv_job *j = ud;
  const vin_state *st = j->st;
  for (int b = begin; b < end; b++) {
    float *buf = st->scratch + (size_t)b * st->band_floats;
    int y1 = (int)((int64_t)st->h * (b + 1) / st->bands);
    for (int y = (int)((int64_t)st->h * b / st->bands); y < y1; y++) convert_row(j, y, buf);
  }
}

/* R'G'B'A 16-bit rows from swscale. */
static void rgb_rows(void *ud, int begin, int end) {
  const conv_job *j = ud;
  const int W = j->out->width;
  for (int y = begin; y < end; y++) {
    const uint16_t *src = j->rgb + (ptrdiff_t)y * j->rgb_stride;
    uint16_t *row = j->out->px + (size_t)y * (size_t)W * 4;
    for (int x = 0; x < W; x++, src += 4) {
      float p[4];
      p[3] = (float)src[3] * (1.0f / 65535.0f);
      for (int k = 0; k < 3; k++) p[k] = j->st->lut[src[k]]; /* exact: 16-bit R'G'B' */
      ysg_yuv_finish(&j->yuv, p);
      for (int k = 0; k < 3; k++) p[k] *= p[3];
      ysg_store_px(row + (size_t)x * 4, p);
    }
  }
}

void ysg__vin_frame_yuv_params(const vin_state *st, const AVFrame *fr, int fmt, int bits,
                               ysg_yuv_params *p) {
  ysg_yuv_params_init(p, ysg__video_matrix(fr->colorspace, fr->height),
                      ysg__video_full_range(fr->color_range, (enum AVPixelFormat)fmt), bits);
  ysg__video_chroma_site(fr->chroma_location, &p->chroma_x, &p->chroma_y);
  p->chroma_filter = st->chroma_filter;
  p->transfer = ysg__video_transfer(fr->color_trc);
  p->bt2020 = fr->color_primaries == AVCOL_PRI_BT2020;
}

/* Pixel formats read directly: native-endian integer Y'CbCr (planar, semi-planar or packed),
 * gray or R'G'B' (packed or planar), with or without alpha; swscale converts the rest (big-endian
 * 16-bit, palettes, 1-bit, Bayer, float, XYZ) to 16-bit R'G'B'A. */
static int direct_layout(const AVPixFmtDescriptor *d) {
  if (!d || (d->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL |
                         AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER)))
    return 0;
  if (d->nb_components == 0 || d->nb_components > 4 || !strncmp(d->name, "xyz", 3)) return 0;
  if ((d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components < 3) return 0;
  for (int i = 0; i < d->nb_components; i++) {
    const AVComponentDescriptor *c = &d->comp[i];
    if (c->depth + c->shift > 16 || c->step < 1) return 0;
    if (c->depth + c->shift > 8 && (d->flags & AV_PIX_FMT_FLAG_BE)) return 0;
  }
  return 1;
}

static ysg_status convert_sws(ysg_node *n, vin_state *st, const AVFrame *fr, conv_job *j) {
  int matrix = ysg__video_matrix(fr->colorspace, fr->height);
  int full = ysg__video_full_range(fr->color_range, (enum AVPixelFormat)fr->format);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)fr->format);
  if (d && (d->flags & AV_PIX_FMT_FLAG_RGB)) full = 1, matrix = YSG_YUV_BT709; /* no matrix */
  ysg__vin_frame_yuv_params(st, fr, fr->format, 16, &j->yuv); /* transfer and primaries */
  if (j->yuv.transfer != st->lut_trc) fill_lut(st, j->yuv.transfer);
  if (!st->sws || st->sws_fmt != fr->format || st->sws_matrix != matrix || st->sws_full != full) {
    /* made once per source format (normally at the first frame) */
    ysg__av_log_unbind(st->sws);
    sws_freeContext(st->sws);
    st->sws = sws_getContext(
        st->w, st->h, (enum AVPixelFormat)fr->format, st->w, st->h, AV_PIX_FMT_RGBA64LE,
        SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_BITEXACT, NULL, NULL, NULL);
    if (!st->sws)
      return ysg_node_fail(n, YSG_ERR_UNSUPPORTED, "'%s': cannot convert pixel format %s", st->path,
                           av_get_pix_fmt_name((enum AVPixelFormat)fr->format));
    ysg__av_log_bind(st->sws, n);
    static const int cs[] = {SWS_CS_ITU601, SWS_CS_ITU709, SWS_CS_BT2020};
    const int *coef = sws_getCoefficients(cs[matrix]);
    sws_setColorspaceDetails(st->sws, coef, full, coef, 1, 0, 1 << 16, 1 << 16);
    st->sws_fmt = fr->format, st->sws_matrix = matrix, st->sws_full = full;
  }
  if (!st->rgb->data[0]) {
    st->rgb->format = AV_PIX_FMT_RGBA64LE;
    st->rgb->width = st->w;
    st->rgb->height = st->h;
    if (av_frame_get_buffer(st->rgb, 0) < 0) return YSG_ERR_NOMEM;
  }
  sws_scale(st->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, st->h, st->rgb->data,
            st->rgb->linesize);
  j->rgb = (const uint16_t *)st->rgb->data[0];
  j->rgb_stride = st->rgb->linesize[0] / 2;
  ysg_node_parallel_for(n, st->h, 8, rgb_rows, j);
  return YSG_OK;
}

/* A picture in host memory -> out. */
static ysg_status convert_host(ysg_node *n, vin_state *st, const AVFrame *fr, ysg_value *out) {
  conv_job j;
  memset(&j, 0, sizeof j);
  j.st = st;
  j.out = out;
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)fr->format);
  if (!direct_layout(d)) return convert_sws(n, st, fr, &j);
  ysg__vin_frame_yuv_params(st, fr, fr->format, d->comp[0].depth, &j.yuv);
  if (j.yuv.transfer != st->lut_trc) fill_lut(st, j.yuv.transfer); /* a frame tagged otherwise */
  int nc = d->nb_components;
  j.rgb_in = (d->flags & AV_PIX_FMT_FLAG_RGB) != 0;
  j.chroma = nc >= 3 && !j.rgb_in;
  j.alpha = nc == 4 || nc == 2;
  for (int i = 0; i < nc; i++) {
    const AVComponentDescriptor *c = &d->comp[i];
    int slot = i == 0 ? 0 : (nc == 2 ? 3 : i);
    j.c[slot].data = fr->data[c->plane];
    j.c[slot].linesize = fr->linesize[c->plane];
    j.c[slot].step = c->step;
    j.c[slot].offset = c->offset;
    j.c[slot].shift = c->shift;
    j.c[slot].wide = c->depth + c->shift > 8;
    j.c[slot].mask = (1u << c->depth) - 1u;
  }
  j.lh = d->log2_chroma_h;
  j.cw = AV_CEIL_RSHIFT(st->w, d->log2_chroma_w);
  j.ch = AV_CEIL_RSHIFT(st->h, j.lh);
  for (int x = 0; x < st->w; x++) /* horizontal chroma taps, the same for every row */
    ysg_chroma_taps_p(&j.yuv, 0, x, d->log2_chroma_w, j.cw, &st->tap0[x], &st->tap1[x],
                      &st->tapw[x]);
  ysg_node_parallel_for(n, st->bands, 1, convert_bands, &j);
  return YSG_OK;
}

#ifdef YSG_HAVE_CUDA
/* An NVDEC surface (NV12 / P010 / P016) -> out through the device: the conversion kernel writes
 * the node's device image, which is downloaded into the (host) arena. When the engine keeps
 * images on the device this launch writes the arena directly. */
static ysg_status convert_device(ysg_node *n, vin_state *st, const AVFrame *fr, int bits,
                                 ysg_value *out) {
  char err[512];
  ysg_yuv_params p;
  ysg__vin_frame_yuv_params(st, fr, AV_PIX_FMT_NV12, bits, &p);
  ysg_status s = YSG_OK;
  if (memcmp(&p, &st->dev_params, sizeof p) != 0) {
    s = ysg__cuda_upload(st->d_params, &p, sizeof p, NULL, err, sizeof err);
    if (!s) st->dev_params = p;
  }
  if (!s)
    s = ysg__cuda_yuv_to_rgba(fr->data[0], fr->data[1], fr->linesize[0], fr->linesize[1], st->w,
                              st->h, bits, st->d_params, st->d_px, NULL, NULL, err, sizeof err);
  if (!s)
    s = ysg__cuda_download(out->px, st->d_px, (size_t)st->w * (size_t)st->h * 8, NULL, err,
                           sizeof err);
  if (!s) s = ysg__cuda_sync(NULL, err, sizeof err);
  if (s) return ysg_node_fail(n, s, "frame of '%s': %s", st->path, err);
  return YSG_OK;
}
#endif

static ysg_status convert(ysg_node *n, vin_state *st, int f, ysg_value *out) {
  AVFrame *fr = st->frame;
  if (fr->width != st->w || fr->height != st->h)
    return ysg_node_fail(n, YSG_ERR_UNSUPPORTED,
                         "frame %d of '%s' is %d×%d, but the video starts at %d×%d (size changes "
                         "are not supported)",
                         f, st->path, fr->width, fr->height, st->w, st->h);
  if (fr->format != AV_PIX_FMT_CUDA) {
    if (st->hw && !st->told_sw) {
      st->told_sw = 1;
      ysg_node_log(n, YSG_LOG_INFO,
                   "NVDEC cannot decode '%s' (format %s): libavcodec decodes it in software",
                   st->path, av_get_pix_fmt_name((enum AVPixelFormat)fr->format));
    }
    return convert_host(n, st, fr, out);
  }
  const AVHWFramesContext *hf = (const AVHWFramesContext *)fr->hw_frames_ctx->data;
  int bits = hf->sw_format == AV_PIX_FMT_NV12   ? 8
             : hf->sw_format == AV_PIX_FMT_P010 ? 10
             : hf->sw_format == AV_PIX_FMT_P016 ? 16
                                                : 0;
#ifdef YSG_HAVE_CUDA
  if (bits) return convert_device(n, st, fr, bits, out);
#else
  (void)bits; /* no kernel in this build (and no NVDEC frames: st->hw is never set) */
#endif
  /* a layout the kernel does not read (NVDEC's 4:4:4): download, convert in C */
  av_frame_unref(st->host);
  int r = av_hwframe_transfer_data(st->host, fr, 0);
  if (r < 0) {
    char e[256];
    return ysg_node_fail(n, YSG_ERR_DATA, "cannot download frame %d of '%s': %s", f, st->path,
                         ysg__av_err(r, e, sizeof e));
  }
  st->host->colorspace = fr->colorspace;
  st->host->color_range = fr->color_range;
  st->host->chroma_location = fr->chroma_location;
  ysg_status s = convert_host(n, st, st->host, out);
  av_frame_unref(st->host);
  return s;
}

static ysg_status vin_run(ysg_node *n, const ysg_frame *frame) {
  vin_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output(n, 0);
  int f = frame->index;
  if (f >= st->n || f < 0)
    return ysg_node_fail(n, YSG_ERR_LIMIT, "frame %d is %s of '%s' (%d frames: 0..%d)", f,
                         f < 0 ? "before the start" : "past the end", st->path, st->n, st->n - 1);
  ysg_status s = ysg__vin_fetch(n, st, f);
  if (s) return s;
  if (out && out->px) {
    s = convert(n, st, f, out);
    out->count = 1;
    if (out->tiles) memset(out->tiles, 1, (size_t)out->tiles_x * (size_t)out->tiles_y);
  }
  /* the picture stays until the next frame: a video_out may pass its samples through */
  av_frame_unref(st->kept);
  st->pic = NULL;
  st->pic_index = -1;
  if (!s) {
    av_frame_move_ref(st->kept, st->frame);
    st->pic = st->kept;
    st->pic_index = f;
  }
  av_frame_unref(st->frame);
  if (s) st->next = -1;
  return s;
}

const AVFrame *ysg__vin_picture(const ysg_node *n, int f) {
  const vin_state *st = ysg_node_state(n);
  return st && st->pic && st->pic_index == f ? st->pic : NULL;
}

const AVCodecParameters *ysg__vin_codecpar(const ysg_node *n) {
  const vin_state *st = ysg_node_state(n);
  return st && st->fmt ? st->fmt->streams[st->stream]->codecpar : NULL;
}

static void vin_destroy(ysg_node *n) {
  vin_state *st = ysg_node_state(n);
  if (!st) return;
  ysg__av_log_unbind(st->sws);
  sws_freeContext(st->sws);
  av_frame_free(&st->frame);
  av_frame_free(&st->host);
  av_frame_free(&st->rgb);
  av_frame_free(&st->kept);
  av_packet_free(&st->pkt);
  avcodec_free_context(&st->dec);
  ysg__av_close_input(&st->fmt, &st->guard);
  av_buffer_unref(&st->hw);
  ysg__av_log_unbind(&st->guard);
#ifdef YSG_HAVE_CUDA
  ysg__vin_device_release(st);
  ysg__cuda_free(st->d_px);
  ysg__cuda_free(st->d_params);
#endif
  if (st->pts) ysg_node_free(n, st->pts);
  if (st->scratch) ysg_node_free(n, st->scratch);
  if (st->tap0) ysg_node_free(n, st->tap0);
  if (st->tap1) ysg_node_free(n, st->tap1);
  if (st->tapw) ysg_node_free(n, st->tapw);
  if (st->lut) ysg_node_free(n, st->lut);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_video_in = {
    .name = "video_in",
    .category = "source",
    .doc =
        "Decodes a video file (any container and codec FFmpeg's libavformat/libavcodec read) "
        "into linear-light premultiplied frames; frame f of the pipeline is the video's frame "
        "f, found by seeking (frame-accurate: packets are indexed by time stamp at load). The "
        "file's size, frame count and rate set the canvas unless the pipeline does; a canvas "
        "of another size is an error (no scaling). Y'CbCr is converted with the stream's "
        "matrix and range (untagged: BT.601 below 720 lines else BT.709, limited range) and "
        "the sRGB curve. decoder = \"auto\" uses NVDEC — libavcodec's CUDA hwaccel, which "
        "reaches the NVIDIA Video Codec API through the ffnvcodec loader — when a CUDA device "
        "is usable, converting on the device; otherwise libavcodec decodes in software on "
        "`threads` threads. FFmpeg allocates its packets and pictures per frame.",
    .inputs = NULL,
    .n_inputs = 0,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .init = vin_init,
    .infer = vin_infer,
    .run = vin_run,
    .destroy = vin_destroy,
    .userdata = NULL,
#ifdef YSG_HAVE_CUDA
    .device = &ysg__video_in_device_ops,
#endif
};

#else
typedef int ysg__video_in_unused; /* ISO C forbids an empty translation unit */
#endif /* YSG_HAVE_FFMPEG */
