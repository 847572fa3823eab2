/* video_out.c — the `video_out` sink: encodes the rendered frames into a video file (mp4, mkv,
 * mov, webm) with NVENC when the GPU has an encoder, else libavcodec's software encoders, muxed by
 * libavformat, optionally with the audio of a `video_in` copied alongside. The render thread turns
 * each FP16 linear frame into Y'CbCr (sRGB OETF, BT.709, 2×2 box-averaged chroma) in one of three
 * writer slots; the writer thread encodes and muxes, so encoding overlaps the next frames. The
 * file grows under ".NAME.part-PID" and finish() renames it into place. */
#ifdef YSG_HAVE_FFMPEG
#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "frame_convert.h"
#include "internal.h"
#include "png_io.h"
#include "video_io.h"
#include "video_out_pass.h"
#include "yuv.h"

enum {
  P_PATH,
  P_CODEC,
  P_ENCODER,
  P_CRF,
  P_BITRATE,
  P_PRESET,
  P_PIX_FMT,
  P_AUDIO,
  P_RANGE,
  P_TRC_TAG,
  N_PARAMS
};
enum { C_H264, C_HEVC, C_AV1, C_VP9, C_PRORES };
enum { E_AUTO, E_NVENC, E_SOFTWARE };
enum { F_YUV420P, F_YUV420P10, F_YUV444P };

#define NSLOTS 3
#define EXTS "expected .mp4, .mkv, .mov or .webm"

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_OUTPUT, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "output video; the extension picks the container: .mp4, .mkv, .mov or .webm"},
    {"codec", YSG_PARAM_ENUM, "h264", 0, 0, "h264|hevc|av1|vp9|prores", YSG_PARAM_STATIC,
     "video codec (webm holds vp9/av1; prores needs .mov or .mkv)"},
    {"encoder", YSG_PARAM_ENUM, "auto", 0, 0, "auto|nvenc|software", YSG_PARAM_STATIC,
     "auto: NVENC (h264/hevc) when the GPU has one, else software (libx264, libx265, libsvtav1, "
     "libvpx-vp9, prores_ks)"},
    {"crf", YSG_PARAM_NUMBER, "18", 0, 63, NULL, YSG_PARAM_STATIC,
     "constant quality, lower is better: 0..51 for h264/hevc (libx264: 0 is lossless; NVENC: cq), "
     "0..63 for av1/vp9"},
    {"bitrate", YSG_PARAM_NUMBER, "0", 0, 1e7, NULL, YSG_PARAM_STATIC,
     "target bit rate in kbit/s instead of crf; 0 uses crf (prores ignores both)"},
    {"preset", YSG_PARAM_STRING, "medium", 0, 0, NULL, YSG_PARAM_STATIC,
     "speed: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, "
     "placebo (mapped to NVENC p1..p7, SVT-AV1/VP9 speeds); NVENC also takes p1..p7"},
    {"pix_fmt", YSG_PARAM_ENUM, "yuv420p", 0, 0, "yuv420p|yuv420p10|yuv444p", YSG_PARAM_STATIC,
     "chroma layout and bits (prores: 4:2:2 10-bit for the 4:2:0 choices, 4:4:4 10-bit)"},
    {"audio", YSG_PARAM_STRING, "", 0, 0, NULL, YSG_PARAM_STATIC,
     "a video_in node (or its name) whose audio is copied for the rendered frames; empty: none"},
    {"range", YSG_PARAM_ENUM, "limited", 0, 0, "limited|full", YSG_PARAM_STATIC,
     "code-value range: limited (16..235 at 8 bits) or full (0..255)"},
    {"transfer_tag", YSG_PARAM_ENUM, "bt709", 0, 0, "bt709|srgb", YSG_PARAM_STATIC,
     "the transfer the file is tagged with (the code values are the sRGB encoding either way, as "
     "a PNG of the frame): bt709, what players expect of SDR video, or srgb (iec61966-2-1)"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the frame to encode (composited over black: video has no alpha)", NULL,
     0},
    {"source", YSG_IMAGE, YSG_PORT_OPTIONAL,
     "a video_in the image overlays: 16x16 tiles where the image equals it bit for bit get the "
     "decoder's own Y'CbCr (no generation loss, no conversion)",
     NULL, 0},
};

static const char *const codec_names[] = {"h264", "hevc", "av1", "vp9", "prores"};
static const char *const presets[] = {"ultrafast", "superfast", "veryfast", "faster",   "fast",
                                      "medium",    "slow",      "slower",   "veryslow", "placebo"};

/* the planes the converter writes */
typedef struct layout {
  enum AVPixelFormat fmt;
  ysg_yuv_layout p; /* subsampling, bits, semi-planar (engine/frame_convert.h) */
} layout;

typedef struct vout_state {
  const char *path; /* the final file (resolved param) */
  char *tmp;        /* "<dir>/.<name>.part-<pid>" beside it */
  const char *mux;  /* libavformat muxer name */
  int codec, w, h;
  AVRational fps;
  /* encoder chosen at load; reopened after a finish */
  const AVCodec *codec_impl;
  int nvenc;
  layout lay;
  ysg_yuv_conv conv; /* FP16 -> Y'CbCr (engine/frame_convert.c) */
  float *lut;        /* (65536) FP16 bits of a linear channel -> sRGB-encoded 0..1 */
  AVCodecContext *enc;
  AVFrame *frame[NSLOTS];
  AVPacket *pkt;
  /* the open file */
  AVFormatContext *oc;
  AVStream *vst, *ast;
  int first, last; /* frames of this run */
  int failed;      /* the writer hit an error: later jobs do nothing */
  /* audio source (stream copy) */
  ysg_av_guard guard; /* ain's opaque: sandboxed opens, log routing */
  AVFormatContext *ain;
  int ain_stream;
  AVPacket *apkt;
  int apending, aeof, aread; /* apkt holds an unwritten packet; source exhausted; read from */
  ysg_vpass pass;            /* passthrough of a video_in's pictures (video_out_pass.c) */
  char note[600];            /* the encoder note of --stats */
} vout_state;

/* ---- colour conversion (render thread): engine/frame_convert.c ----------------------------- */
typedef struct conv_job {
  const ysg_yuv_conv *c;
  const ysg_value *in;
  ysg_yuv_planes planes;
  const uint8_t *skip; /* passthrough: tiles left to ysg__vpass_copy, or NULL */
} conv_job;

/* one task per chroma row (its 1 << sy luma rows) */
static void convert_rows(void *ud, int begin, int end) {
  const conv_job *j = ud;
  ysg__yuv_convert_rows(j->c, j->in, &j->planes, j->skip, begin, end);
}

/* ---- encoder selection ---------------------------------------------------------------------- */
static const char *const sw_encoders[][2] = {{"libx264", NULL},
                                             {"libx265", NULL},
                                             {"libsvtav1", "libaom-av1"},
                                             {"libvpx-vp9", NULL},
                                             {"prores_ks", NULL}};

static int preset_index(const char *p) {
  for (int i = 0; i < 10; i++)
    if (!strcmp(p, presets[i])) return i;
  return -1;
}

static layout pick_layout(int codec, int pix_fmt, int nvenc) {
  layout l = {AV_PIX_FMT_YUV420P, {1, 1, 8, 0}};
  if (codec == C_PRORES) { /* ProRes has no 4:2:0 and is 10-bit */
    l.p.bits = 10, l.p.sy = 0;
    l.fmt = pix_fmt == F_YUV444P ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV422P10LE;
    if (pix_fmt == F_YUV444P) l.p.sx = 0;
  } else if (pix_fmt == F_YUV420P10) {
    l.p.bits = 10;
    l.fmt = nvenc ? AV_PIX_FMT_P010LE : AV_PIX_FMT_YUV420P10LE;
    l.p.semi = nvenc;
  } else if (pix_fmt == F_YUV444P) {
    l.fmt = AV_PIX_FMT_YUV444P, l.p.sx = l.p.sy = 0;
  }
  return l;
}

/* Configure and open an encoder context for st's settings; NULL and err on failure. */
static AVCodecContext *open_encoder(ysg_node *n, vout_state *st, const AVCodec *c, int nvenc,
                                    const layout *l, char *err, size_t cap) {
  char eb[128], num[32];
  const double crf = ysg_node_number(n, P_CRF), kbps = ysg_node_number(n, P_BITRATE);
  const char *preset = ysg_node_string(n, P_PRESET);
  const int pi = preset_index(preset), full = ysg_node_enum(n, P_RANGE) == 1;
  int pix_ok = 0;
  for (const enum AVPixelFormat *p = c->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
    if (*p == l->fmt) pix_ok = 1;
  if (!pix_ok) {
    snprintf(err, cap, "encoder %s cannot encode pix_fmt %s", c->name,
             ysg_node_string(n, P_PIX_FMT));
    return NULL;
  }
  AVCodecContext *e = avcodec_alloc_context3(c);
  if (!e) {
    snprintf(err, cap, "out of memory");
    return NULL;
  }
  e->opaque = st; /* FFmpeg's messages go to this node's log (video_io.h) */
  e->width = st->w, e->height = st->h;
  e->framerate = st->fps;
  e->time_base = av_inv_q(st->fps);
  e->sample_aspect_ratio = (AVRational){1, 1};
  e->pix_fmt = l->fmt;
  e->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  e->colorspace = AVCOL_SPC_BT709;
  e->color_primaries = AVCOL_PRI_BT709;
  /* The frames carry the sRGB encoding (R'G'B' as in a PNG of the frame); tagged BT.709 unless
   * asked otherwise: the delivery convention, what players and FFmpeg's RGB conversions assume. */
  e->color_trc = ysg_node_enum(n, P_TRC_TAG) == 1 ? AVCOL_TRC_IEC61966_2_1 : AVCOL_TRC_BT709;
  if (l->p.sx) /* 2×2 box average; passthrough: most samples keep the source's siting */
    e->chroma_sample_location =
        st->pass.src ? (enum AVChromaLocation)st->pass.chroma_loc : AVCHROMA_LOC_CENTER;
  e->thread_count = 0;
  if (av_guess_format(st->mux, NULL, NULL)->flags & AVFMT_GLOBALHEADER)
    e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; /* parameter sets in the container's header */
  if (kbps > 0) e->bit_rate = (int64_t)(kbps * 1000.0);

  AVDictionary *o = NULL;
  if (nvenc) {
    static const char *const nv[10] = {"p1", "p1", "p2", "p3", "p3", "p4", "p5", "p6", "p7", "p7"};
    av_dict_set(&o, "preset", pi >= 0 ? nv[pi] : preset, 0);
    av_dict_set(&o, "tune", "hq", 0);
    av_dict_set(&o, "rc", "vbr", 0);
    if (kbps <= 0) {
      snprintf(num, sizeof num, "%d", crf < 1 ? 1 : (int)(crf + 0.5));
      av_dict_set(&o, "cq", num, 0);
    }
  } else if (!strcmp(c->name, "libx264") || !strcmp(c->name, "libx265")) {
    av_dict_set(&o, "preset", preset, 0);
    if (kbps <= 0) {
      snprintf(num, sizeof num, "%g", crf);
      av_dict_set(&o, "crf", num, 0);
    }
    if (!strcmp(c->name, "libx265")) av_dict_set(&o, "x265-params", "log-level=error", 0);
  } else if (st->codec == C_PRORES) {
    av_dict_set(&o, "profile", l->p.sx ? "hq" : "4444", 0);
  } else { /* libsvtav1, libaom-av1, libvpx-vp9: integer crf, speed from the preset */
    if (kbps <= 0) {
      snprintf(num, sizeof num, "%d", (int)(crf + 0.5));
      av_dict_set(&o, "crf", num, 0);
    }
    int speed;
    if (!strcmp(c->name, "libsvtav1")) {
      speed = 12 - pi; /* ultrafast 12 .. medium 7 .. placebo 3 */
      snprintf(num, sizeof num, "%d", speed);
      av_dict_set(&o, "preset", num, 0);
    } else {
      speed = 8 - pi; /* cpu-used: ultrafast 8 .. medium 3 .. placebo 0 */
      snprintf(num, sizeof num, "%d", speed < 0 ? 0 : speed);
      av_dict_set(&o, "cpu-used", num, 0);
      av_dict_set(&o, "row-mt", "1", 0);
      if (!strcmp(c->name, "libvpx-vp9")) av_dict_set(&o, "deadline", "good", 0);
    }
  }
  /* SVT-AV1 prints its banner to stderr unless SVT_LOG says otherwise (1: errors only); a value
   * the user set is kept. Process-wide, but SVT reads nothing else from it. */
  if (!strcmp(c->name, "libsvtav1")) setenv("SVT_LOG", "1", 0);
  int r = avcodec_open2(e, c, &o);
  av_dict_free(&o);
  if (r < 0) {
    snprintf(err, cap, "cannot open encoder %s: %s", c->name, ysg__av_err(r, eb, sizeof eb));
    avcodec_free_context(&e);
    return NULL;
  }
  return e;
}

/* Choose and open the encoder at load; logs the choice once. */
static ysg_status choose_encoder(ysg_node *n, vout_state *st) {
  const int mode = ysg_node_enum(n, P_ENCODER), pixf = ysg_node_enum(n, P_PIX_FMT);
  const char *preset = ysg_node_string(n, P_PRESET);
  char err[512], why[768];
  const int nv_codec = st->codec == C_H264 || st->codec == C_HEVC;
  if (mode == E_NVENC && !nv_codec)
    return ysg_node_param_fail(n, P_ENCODER, YSG_ERR_UNSUPPORTED,
                               "NVENC encodes h264 and hevc, not %s (use encoder=software)",
                               codec_names[st->codec]);
  int pi = preset_index(preset);
  int nv_preset = strlen(preset) == 2 && preset[0] == 'p' && preset[1] >= '1' && preset[1] <= '7';
  if (pi < 0 && !(nv_preset && mode == E_NVENC))
    return ysg_node_param_fail(n, P_PRESET, YSG_ERR_PIPELINE,
                               "unknown preset '%s' (expected ultrafast, superfast, veryfast, "
                               "faster, fast, medium, slow, slower, veryslow or placebo%s)",
                               preset, mode == E_NVENC ? ", or p1..p7" : "");
  const int max_crf = nv_codec ? 51 : 63;
  if (st->codec != C_PRORES && ysg_node_number(n, P_CRF) > max_crf)
    return ysg_node_param_fail(n, P_CRF, YSG_ERR_PIPELINE, "%g is out of range for %s (0..%d)",
                               ysg_node_number(n, P_CRF), codec_names[st->codec], max_crf);
  why[0] = 0;
  if (mode != E_SOFTWARE && nv_codec) {
    char probe[512];
    const char *name = st->codec == C_H264 ? "h264_nvenc" : "hevc_nvenc";
    const AVCodec *c = avcodec_find_encoder_by_name(name);
    if (!ysg__cuda_probe(probe, sizeof probe)) {
      if (mode == E_NVENC)
        return ysg_node_param_fail(n, P_ENCODER, YSG_ERR_UNSUPPORTED,
                                   "NVENC needs a usable CUDA device: %s", probe);
      snprintf(why, sizeof why, "NVENC unavailable: %s", probe);
    } else if (!c) {
      if (mode == E_NVENC)
        return ysg_node_param_fail(n, P_ENCODER, YSG_ERR_UNSUPPORTED,
                                   "this FFmpeg has no %s encoder", name);
      snprintf(why, sizeof why, "NVENC unavailable: this FFmpeg has no %s encoder", name);
    } else {
      layout l = pick_layout(st->codec, pixf, 1);
      st->enc = open_encoder(n, st, c, 1, &l, err, sizeof err);
      if (st->enc) {
        st->codec_impl = c, st->nvenc = 1, st->lay = l;
        ysg_node_log(n, YSG_LOG_INFO, "encoder %s (NVENC on %s)", name, probe);
        snprintf(st->note, sizeof st->note, "encoder %s (NVENC on %s)", name, probe);
        ysg_node_set_info(n, "%s", st->note);
        return YSG_OK;
      }
      if (mode == E_NVENC) return ysg_node_param_fail(n, P_ENCODER, YSG_ERR_UNSUPPORTED, "%s", err);
      snprintf(why, sizeof why, "NVENC unavailable: %s", err); /* e.g. H100/A100: no NVENC */
    }
  } else if (mode == E_SOFTWARE) {
    snprintf(why, sizeof why, "encoder=software");
  } else {
    snprintf(why, sizeof why, "NVENC does not encode %s", codec_names[st->codec]);
  }
  const AVCodec *c = avcodec_find_encoder_by_name(sw_encoders[st->codec][0]);
  if (!c && sw_encoders[st->codec][1]) c = avcodec_find_encoder_by_name(sw_encoders[st->codec][1]);
  if (!c)
    return ysg_node_param_fail(n, P_CODEC, YSG_ERR_UNSUPPORTED,
                               "this FFmpeg has no software encoder for %s (looked for %s%s%s)",
                               codec_names[st->codec], sw_encoders[st->codec][0],
                               sw_encoders[st->codec][1] ? " and " : "",
                               sw_encoders[st->codec][1] ? sw_encoders[st->codec][1] : "");
  layout l = pick_layout(st->codec, pixf, 0);
  st->enc = open_encoder(n, st, c, 0, &l, err, sizeof err);
  if (!st->enc) return ysg_node_fail(n, YSG_ERR_UNSUPPORTED, "%s", err);
  st->codec_impl = c, st->nvenc = 0, st->lay = l;
  ysg_node_log(n, YSG_LOG_INFO, "encoder %s (%s)", c->name, why);
  snprintf(st->note, sizeof st->note, "encoder %s (%s)", c->name, why);
  ysg_node_set_info(n, "%s", st->note); /* --stats */
  return YSG_OK;
}

/* ---- audio: stream copy from a video_in's file -------------------------------------------- */
static ysg_status open_audio(ysg_node *n, vout_state *st, const char *ext) {
  const char *name = ysg_node_string(n, P_AUDIO);
  char eb[128];
  if (!name[0]) return YSG_OK;
  ysg_node *src = ysg__node_find(n->p, name);
  if (!src)
    return ysg_node_param_fail(n, P_AUDIO, YSG_ERR_PIPELINE, "no node named '%s' in the pipeline",
                               name);
  if (strcmp(src->type->name, "video_in"))
    return ysg_node_param_fail(n, P_AUDIO, YSG_ERR_PIPELINE, "node '%s' is a %s, not a video_in",
                               name, src->type->name);
  const char *file = ysg_node_string(src, ysg__param_index(src->type, "path"));
  if (!(st->ain = avformat_alloc_context())) return YSG_ERR_NOMEM;
  st->ain->opaque = &st->guard;
  ysg__av_log_bind(&st->guard, n);
  int r = ysg__av_open_input(&st->ain, file, &st->guard, ysg__sandbox_root(n, 0));
  if (r >= 0) r = avformat_find_stream_info(st->ain, NULL);
  if (r < 0)
    return ysg_node_param_fail(
        n, P_AUDIO, r == AVERROR(EPERM) ? YSG_ERR_PIPELINE : ysg__av_status(r),
        "cannot read '%s' (the video of '%s'): %s%s%s", file, name, ysg__av_err(r, eb, sizeof eb),
        st->guard.refused[0] ? ", refused to open " : "", st->guard.refused);
  st->ain_stream = av_find_best_stream(st->ain, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (st->ain_stream < 0)
    return ysg_node_param_fail(n, P_AUDIO, YSG_ERR_DATA,
                               "'%s' (the video of '%s') has no audio stream", file, name);
  for (unsigned i = 0; i < st->ain->nb_streams; i++)
    if ((int)i != st->ain_stream) st->ain->streams[i]->discard = AVDISCARD_ALL;
  enum AVCodecID id = st->ain->streams[st->ain_stream]->codecpar->codec_id;
  if (avformat_query_codec(av_guess_format(st->mux, NULL, NULL), id, FF_COMPLIANCE_NORMAL) != 1)
    return ysg_node_param_fail(n, P_AUDIO, YSG_ERR_PIPELINE,
                               "the audio of '%s' is %s, which a %s file cannot hold", name,
                               avcodec_get_name(id), ext);
  st->apkt = av_packet_alloc();
  return st->apkt ? YSG_OK : YSG_ERR_NOMEM;
}

/* Copy source audio packets that start before frame `until` (exclusive; frames of the canvas fps)
 * and end after the run's first frame. Writer thread, or finish. */
static ysg_status copy_audio(vout_state *st, int64_t until, char *err, size_t cap) {
  char eb[128];
  const AVRational itb = st->ain->streams[st->ain_stream]->time_base, ftb = av_inv_q(st->fps);
  const int64_t t_end = av_rescale_q(until, ftb, itb), t0 = av_rescale_q(st->first, ftb, itb);
  while (!st->aeof) {
    if (!st->apending) {
      int r = av_read_frame(st->ain, st->apkt);
      if (r == AVERROR_EOF) {
        st->aeof = 1;
        break;
      }
      if (r < 0) {
        snprintf(err, cap, "cannot read the audio of '%s': %s", st->ain->url,
                 ysg__av_err(r, eb, sizeof eb));
        return YSG_ERR_IO;
      }
      st->aread = 1;
      if (st->apkt->stream_index != st->ain_stream) {
        av_packet_unref(st->apkt);
        continue;
      }
      st->apending = 1;
    }
    AVPacket *p = st->apkt;
    int64_t pts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    if (pts != AV_NOPTS_VALUE && pts >= t_end) break; /* later: keep it for the next frame */
    st->apending = 0;
    if (pts == AV_NOPTS_VALUE || (st->first > 0 && pts + p->duration <= t0)) {
      /* untimed, or before the run (A > 0, after a seek) */
      av_packet_unref(p);
      continue;
    }
    if (p->pts != AV_NOPTS_VALUE) p->pts -= t0;
    if (p->dts != AV_NOPTS_VALUE) p->dts -= t0;
    av_packet_rescale_ts(p, itb, st->ast->time_base);
    p->stream_index = st->ast->index;
    p->pos = -1;
    int r = av_interleaved_write_frame(st->oc, p); /* takes the packet's reference */
    if (r < 0) {
      snprintf(err, cap, "cannot write '%s': %s", st->path, ysg__av_err(r, eb, sizeof eb));
      return YSG_ERR_IO;
    }
  }
  return YSG_OK;
}

/* ---- the file -------------------------------------------------------------------------------- */
static void close_file(vout_state *st, int discard) {
  if (!st->oc) return;
  if (st->oc->pb) avio_closep(&st->oc->pb);
  if (discard) unlink(st->tmp);
  avformat_free_context(st->oc);
  st->oc = NULL;
  st->vst = st->ast = NULL;
}

/* First frame of a run: create the temporary file, write the header, position the audio. */
static ysg_status open_file(ysg_node *n, vout_state *st) {
  char eb[128];
  char url[4200];
  if (ysg__file_url(st->tmp, url, sizeof url))
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO, "cannot write '%s': %s", st->path,
                               "the path is too long");
  /* The temporary is created here, as a new file (never through a link left under its name);
   * FFmpeg then opens exactly that file with its file protocol only. */
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 2; tries++) {
    fd = open(st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && tries == 0) unlink(st->tmp); /* a crashed run's leftover */
  }
  if (fd < 0)
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO, "cannot write '%s': %s", st->path,
                               ysg__strerror(errno, eb, sizeof eb));
  close(fd);
  int r = avformat_alloc_output_context2(&st->oc, NULL, st->mux, url);
  if (r < 0 || !st->oc) {
    unlink(st->tmp);
    return YSG_ERR_NOMEM;
  }
  st->oc->opaque = st;
  st->oc->protocol_whitelist = av_strdup("file");
  if (!st->oc->protocol_whitelist) goto nomem;
  st->vst = avformat_new_stream(st->oc, NULL);
  if (!st->vst) goto nomem;
  r = avcodec_parameters_from_context(st->vst->codecpar, st->enc);
  if (r < 0) goto nomem;
  st->vst->time_base = st->enc->time_base;
  st->vst->avg_frame_rate = st->fps;
  if (st->codec == C_HEVC && strcmp(st->mux, "matroska"))
    st->vst->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1'); /* what Apple players expect */
  if (st->ain) {
    const AVStream *is = st->ain->streams[st->ain_stream];
    st->ast = avformat_new_stream(st->oc, NULL);
    if (!st->ast || avcodec_parameters_copy(st->ast->codecpar, is->codecpar) < 0) goto nomem;
    st->ast->codecpar->codec_tag = 0;
    st->ast->time_base = is->time_base;
  }
  AVDictionary *o = NULL;
  av_dict_set(&o, "protocol_whitelist", "file", 0);
  r = avio_open2(&st->oc->pb, url, AVIO_FLAG_WRITE, NULL, &o);
  av_dict_free(&o);
  if (r >= 0) r = avformat_write_header(st->oc, NULL);
  if (r < 0) {
    close_file(st, 1);
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_IO, "cannot write '%s': %s", st->path,
                               ysg__av_err(r, eb, sizeof eb));
  }
  if (st->ain) {
    if (st->apending) av_packet_unref(st->apkt);
    st->apending = st->aeof = 0;
    if (st->aread || st->first > 0) { /* back to the run's first frame */
      int64_t ts =
          av_rescale_q(st->first, av_inv_q(st->fps), st->ain->streams[st->ain_stream]->time_base);
      r = avformat_seek_file(st->ain, st->ain_stream, INT64_MIN, ts, ts, 0);
      if (r < 0) {
        close_file(st, 1);
        return ysg_node_param_fail(n, P_AUDIO, YSG_ERR_IO, "cannot seek in '%s': %s", st->ain->url,
                                   ysg__av_err(r, eb, sizeof eb));
      }
    }
  }
  return YSG_OK;
nomem:
  close_file(st, 1);
  return YSG_ERR_NOMEM;
}

/* Send a frame (NULL: drain) and mux every packet the encoder returns. */
static ysg_status encode(vout_state *st, AVFrame *f, char *err, size_t cap) {
  char eb[128];
  int r = avcodec_send_frame(st->enc, f);
  while (r >= 0) {
    r = avcodec_receive_packet(st->enc, st->pkt);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return YSG_OK;
    if (r < 0) break;
    av_packet_rescale_ts(st->pkt, st->enc->time_base, st->vst->time_base);
    st->pkt->stream_index = st->vst->index;
    r = av_interleaved_write_frame(st->oc, st->pkt);
    if (r < 0) {
      snprintf(err, cap, "cannot write '%s': %s", st->path, ysg__av_err(r, eb, sizeof eb));
      return YSG_ERR_IO;
    }
  }
  snprintf(err, cap, "%s failed on '%s': %s", st->codec_impl->name, st->path,
           ysg__av_err(r, eb, sizeof eb));
  return YSG_ERR_RUNTIME;
}

/* writer thread: encode one slot, then the audio up to the end of its frame */
static ysg_status write_slot(void *ud, int slot, char *err, size_t cap) {
  vout_state *st = ud;
  if (st->failed) return YSG_OK; /* the first failure was reported */
  AVFrame *f = st->frame[slot];
  ysg_status s = encode(st, f, err, cap);
  if (!s && st->ain) s = copy_audio(st, st->first + f->pts + 1, err, cap);
  if (s) st->failed = 1;
  return s;
}

/* ---- node callbacks ------------------------------------------------------------------------- */
static ysg_status vout_init(ysg_node *n) {
  static const char *const ext_mux[][2] = {
      {"mp4", "mp4"}, {"mkv", "matroska"}, {"mov", "mov"}, {"webm", "webm"}};
  static const enum AVCodecID ids[] = {AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_AV1,
                                       AV_CODEC_ID_VP9, AV_CODEC_ID_PRORES};
  vout_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  ysg__av_log_bind(st, n);
  st->path = ysg_node_string(n, P_PATH);
  const char *base = strrchr(st->path, '/') ? strrchr(st->path, '/') + 1 : st->path;
  const char *dot = strrchr(base, '.');
  for (int i = 0; dot && i < 4; i++)
    if (!strcasecmp(dot + 1, ext_mux[i][0])) st->mux = ext_mux[i][1];
  if (!st->mux) {
    if (!dot)
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE,
                                 "'%s' has no container extension (" EXTS ")", st->path);
    return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE,
                               "unknown container extension '%s' (" EXTS ")", dot);
  }
  st->codec = ysg_node_enum(n, P_CODEC);
  const AVOutputFormat *of = av_guess_format(st->mux, NULL, NULL);
  if (avformat_query_codec(of, ids[st->codec], FF_COMPLIANCE_NORMAL) != 1) {
    char ok[64] = "";
    for (int i = 0, k = 0; i < 5; i++)
      if (avformat_query_codec(of, ids[i], FF_COMPLIANCE_NORMAL) == 1)
        snprintf(ok + strlen(ok), sizeof ok - strlen(ok), "%s%s", k++ ? ", " : "", codec_names[i]);
    return ysg_node_param_fail(n, P_CODEC, YSG_ERR_PIPELINE,
                               "a %s file cannot hold %s video (it holds %s)", dot,
                               codec_names[st->codec], ok);
  }
  char err[512];
  ysg_status s = ysg_node_check_only(n) ? YSG_OK : ysg__mkdirs_for(st->path, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, s, "%s", err);
  size_t len = strlen(st->path) + 32;
  st->tmp = ysg_node_alloc(n, len);
  if (!st->tmp) return YSG_ERR_NOMEM;
  snprintf(st->tmp, len, "%.*s.%s.part-%ld", (int)(base - st->path), st->path, base,
           (long)getpid());
  st->lut = ysg_node_alloc(n, 65536 * sizeof(float));
  if (!st->lut) return YSG_ERR_NOMEM;
  ysg__yuv_lut_init(st->lut);
  return open_audio(n, st, dot);
}

static ysg_status vout_infer(ysg_node *n) {
  vout_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  const int w = in && in->width > 0 ? in->width : cv->width;
  const int h = in && in->height > 0 ? in->height : cv->height;
  if (st->enc) return YSG_OK; /* planned once */
  st->w = w, st->h = h;
  st->fps = av_d2q(cv->fps, 1000000);
  layout l = pick_layout(st->codec, ysg_node_enum(n, P_PIX_FMT), 0);
  if ((l.p.sx && (w & 1)) || (l.p.sy && (h & 1)))
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "the image is %dx%d, but %s video needs an even %s (use an even canvas%s)",
                         w, h, l.p.sy ? "4:2:0" : "4:2:2", l.p.sy ? "width and height" : "width",
                         st->codec == C_PRORES ? "" : " or pix_fmt yuv444p");
  /* the passthrough's checks first: they set the chroma siting the encoder is tagged with */
  ysg_status s = ysg__vpass_init(n, 1, &st->pass, &l.p, ysg_node_enum(n, P_RANGE) == 1, w, h);
  if (!s) s = choose_encoder(n, st);
  if (s) return s;
  ysg_yuv_params_init(&st->conv.yuv, YSG_YUV_BT709, ysg_node_enum(n, P_RANGE) == 1, st->lay.p.bits);
  st->conv.lay = st->lay.p;
  st->conv.lut = st->lut;
  st->pkt = av_packet_alloc();
  if (!st->pkt) return YSG_ERR_NOMEM;
  for (int i = 0; i < NSLOTS; i++) {
    AVFrame *f = st->frame[i] = av_frame_alloc();
    if (!f) return YSG_ERR_NOMEM;
    f->format = st->lay.fmt, f->width = w, f->height = h;
    f->color_range = st->enc->color_range, f->colorspace = st->enc->colorspace;
    f->color_primaries = st->enc->color_primaries, f->color_trc = st->enc->color_trc;
    f->chroma_location = st->enc->chroma_sample_location;
    if (av_frame_get_buffer(f, 0) < 0) return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}

static ysg_status vout_run(ysg_node *n, const ysg_frame *frame) {
  vout_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  char err[512];
  if (!in || !in->px)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no pixels this frame");
  if (in->width != st->w || in->height != st->h)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the video was opened at %dx%d", in->width,
                         in->height, st->w, st->h);
  if (!st->oc) { /* the first frame of a run: a fresh encoder (after a finish) and file */
    if (!st->enc) {
      st->enc = open_encoder(n, st, st->codec_impl, st->nvenc, &st->lay, err, sizeof err);
      if (!st->enc) return ysg_node_fail(n, YSG_ERR_RUNTIME, "%s", err);
    }
    st->first = frame->index, st->last = frame->index - 1, st->failed = 0;
    st->pass.copied = st->pass.total = 0;
    ysg_status s = open_file(n, st);
    if (s) return s;
  } else if (frame->index <= st->last) {
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "a video's frames must come in increasing order: frame %d after %d",
                         frame->index, st->last);
  }
  const AVFrame *pic = NULL; /* passthrough: this frame's decoded picture, tiles marked */
  ysg_status s = st->pass.src ? ysg__vpass_mark(n, &st->pass, in, frame->index, &pic) : YSG_OK;
  if (s) return s;
  int slot;
  if ((s = ysg_node_write_begin(n, NSLOTS, &slot))) return s;
  AVFrame *f = st->frame[slot];
  if (av_frame_make_writable(f) < 0) return YSG_ERR_NOMEM; /* the encoder still holds it */
  conv_job j = {
      &st->conv,
      in,
      {{f->data[0], f->data[1], f->data[2]}, {f->linesize[0], f->linesize[1], f->linesize[2]}},
      pic ? st->pass.same : NULL};
  ysg_node_parallel_for(n, st->h >> st->lay.p.sy, 8, convert_rows, &j);
  if (pic) {
    ysg__vpass_copy(n, &st->pass, pic, f, &st->lay.p);
    ysg_node_set_info(n, "%s; passthrough from '%s': %lld of %lld tiles copied (%.1f%%)", st->note,
                      st->pass.src->name, st->pass.copied, st->pass.total,
                      100.0 * (double)st->pass.copied / (double)st->pass.total);
  }
  f->pts = frame->index - st->first;
  st->last = frame->index;
  return ysg_node_write_submit(n, slot, write_slot, st);
}

static ysg_status vout_finish(ysg_node *n) {
  vout_state *st = ysg_node_state(n);
  char err[512] = "", eb[128];
  if (!st || !st->oc) return YSG_OK; /* nothing rendered since the last finish */
  ysg_status s = YSG_OK;
  if (st->failed) {
    s = YSG_ERR_IO;
    snprintf(err, sizeof err, "'%s' was not finished: an earlier write failed", st->path);
  }
  if (!s) s = encode(st, NULL, err, sizeof err);
  if (!s && st->ain) s = copy_audio(st, (int64_t)st->last + 1, err, sizeof err);
  int r = s ? 0 : av_write_trailer(st->oc);
  if (!s && r >= 0) r = avio_closep(&st->oc->pb);
  if (!s && r < 0) {
    s = YSG_ERR_IO;
    snprintf(err, sizeof err, "cannot write '%s': %s", st->path, ysg__av_err(r, eb, sizeof eb));
  }
  if (!s && rename(st->tmp, st->path)) {
    s = YSG_ERR_IO;
    snprintf(err, sizeof err, "cannot rename '%s' to '%s': %s", st->tmp, st->path,
             ysg__strerror(errno, eb, sizeof eb));
  }
  close_file(st, s != YSG_OK);
  avcodec_free_context(&st->enc); /* drained: the next run opens a fresh one */
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static void vout_destroy(ysg_node *n) {
  vout_state *st = ysg_node_state(n);
  if (!st) return;
  close_file(st, 1); /* never finished: no partial file under any name */
  avcodec_free_context(&st->enc);
  for (int i = 0; i < NSLOTS; i++) av_frame_free(&st->frame[i]);
  av_packet_free(&st->pkt);
  av_packet_free(&st->apkt);
  ysg__av_close_input(&st->ain, &st->guard);
  ysg__av_log_unbind(&st->guard);
  if (st->lut) ysg_node_free(n, st->lut);
  if (st->tmp) ysg_node_free(n, st->tmp);
  ysg__vpass_free(n, &st->pass);
  ysg__av_log_unbind(st);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_video_out = {
    .name = "video_out",
    .category = "output",
    .doc =
        "Encodes its input into a video file (.mp4, .mkv, .mov, .webm) at the canvas fps: "
        "with NVENC when the GPU has an encoder (h264/hevc), else with FFmpeg's software "
        "encoders; logs the encoder it uses and why. Pixels are composited over black, "
        "encoded with the sRGB transfer function and the BT.709 matrix, tagged BT.709 "
        "(primaries, matrix, transfer, range; transfer_tag = 'srgb' tags the transfer sRGB), "
        "chroma averaged over 2x2 pixels. `audio` copies a video_in's audio for the rendered "
        "frames. "
        "`source` names the video_in the image overlays: where the image equals its frame "
        "(16x16 tiles, bit for bit) the decoder's own Y'CbCr is encoded, so the video outside "
        "the graphics is not converted twice (needs the same subsampling, bits, range, BT.709). "
        "The file is written as '.NAME.part-PID' beside the target and renamed when the run "
        "completes; an interrupted run leaves no file.",
    .inputs = inputs,
    .n_inputs = 2,
    .outputs = NULL,
    .n_outputs = 0,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_SINK | YSG_NODE_HOST,
    .init = vout_init,
    .infer = vout_infer,
    .run = vout_run,
    .destroy = vout_destroy,
    .userdata = NULL,
    .finish = vout_finish,
};
#else
typedef int ysg__video_out_unused; /* built without FFmpeg: no video_out node */
#endif /* YSG_HAVE_FFMPEG */
