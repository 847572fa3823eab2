/* video_fixture.h — test helpers that MAKE and READ small video files with FFmpeg's own libraries
 * (libavformat/libavcodec/libswscale), independently of ysgraph's video nodes:
 *   ysgt_video_write(path, &spec, err, cap)  encode frames of a pattern (any encoder, pixel format,
 *                                             container; optional AAC sine track; audio-only)
 *   ysgt_make_video(path, codec, w, h, frames, fps, audio)  the common case, 0 on success
 *   ysgt_video_read(path, &info, &rgb, err, cap)  decode every frame to 8-bit R'G'B' (tags
 * honoured) ysgt_pattern, ysgt_psnr8                 the default picture and an 8-bit PSNR R'G'B'
 * -> Y'CbCr goes through swscale with the matrix and range the spec names (and tags the stream with
 * them when asked), so tests compare our decoder against FFmpeg's conversion. Everything is static;
 * include after <criterion/criterion.h> only if you use cr_* around it. */
#ifndef YSG_TEST_VIDEO_FIXTURE_H
#define YSG_TEST_VIDEO_FIXTURE_H

#ifdef YSG_HAVE_FFMPEG

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define YSGT_UNUSED __attribute__((unused))
#else
#define YSGT_UNUSED
#endif

/* A pattern gives the 8-bit R'G'B' (sRGB-coded) of pixel (x, y) of frame `frame`. */
typedef void (*ysgt_pattern_fn)(void *ud, int frame, int x, int y, uint8_t rgb[3]);

typedef struct ysgt_video {
  const char *codec;   /* encoder name ("libx264", "mpeg4", "ffv1", "ljpeg", …); NULL: no video */
  int width, height;   /* pixels (even for 4:2:0 formats) */
  int frames;          /* video frames to encode */
  int fps;             /* frame rate (time base 1/fps) */
  const char *pix_fmt; /* NULL: yuv420p when the encoder takes it, else its first format */
  int lossless;        /* libx264/libx265: qp 0 (lossless in Y'CbCr); other encoders: qscale 1 */
  int gop;             /* keyframe interval; 0: the encoder's default */
  int bframes;         /* max consecutive B-frames */
  int matrix;          /* AVColorSpace used for R'G'B' -> Y'CbCr (0 = unspecified: BT.601 below
                          720 lines, else BT.709 — what decoders assume) */
  int tag_color;       /* write matrix/range into the stream (else they stay "unspecified") */
  int full_range;      /* full-range Y'CbCr (else limited) */
  int audio;           /* add a 440 Hz sine, AAC mono 48 kHz, as long as the video (0.5 s alone) */
  const char *format;  /* container ("mp4", "matroska", "avi"); NULL: from the file extension */
  int fake_codec_id;   /* instead of encoding: a video stream of this AVCodecID whose `frames`
                          packets are filler bytes (e.g. AV_CODEC_ID_AVS2, which this FFmpeg
                          cannot decode, in an AVI); codec is ignored */
  ysgt_pattern_fn pattern; /* NULL: ysgt_pattern */
  /* NULL: opaque; else each pixel's alpha (straight) and the source is R'G'B'A, so a pix_fmt
   * with alpha (yuva420p, bgra, …) carries it */
  uint8_t (*alpha)(void *ud, int frame, int x, int y);
  void *ud;
} ysgt_video;

/* Smooth in space (so 4:2:0 chroma subsampling costs little) and different in every frame. */
static inline int ysgt__tri(int v) {
  v %= 510;
  if (v < 0) v += 510;
  return v < 256 ? v : 509 - v;
}
YSGT_UNUSED static void ysgt_pattern(void *ud, int frame, int x, int y, uint8_t rgb[3]) {
  (void)ud;
  rgb[0] = (uint8_t)ysgt__tri(4 * x + 24 * frame + 20);
  rgb[1] = (uint8_t)ysgt__tri(5 * y + 12 * frame + 40);
  rgb[2] = (uint8_t)ysgt__tri(2 * x + 3 * y + 36 * frame + 90);
}

/* 10·log10(255² / MSE) over n bytes; 99 when identical. */
YSGT_UNUSED static double ysgt_psnr8(const uint8_t *a, const uint8_t *b, size_t n) {
  double se = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    se += d * d;
  }
  if (se == 0) return 99.0;
  return 10.0 * log10(255.0 * 255.0 * (double)n / se);
}

static int ysgt__fail(char *err, size_t cap, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  if (code < 0 && k >= 0 && (size_t)k < cap) {
    char e[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(code, e, sizeof e);
    snprintf(err + k, cap - (size_t)k, ": %s", e);
  }
  return code < 0 ? code : AVERROR(EINVAL);
}

static int ysgt__sws_cs(int matrix, int height) {
  switch (matrix) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
      return SWS_CS_BT2020;
    case AVCOL_SPC_UNSPECIFIED:
      return height < 720 ? SWS_CS_ITU601 : SWS_CS_ITU709;
    default:
      return SWS_CS_ITU601;
  }
}

/* Send `frame` (NULL: drain) to enc and write every packet it gives. */
static int ysgt__encode(AVFormatContext *oc, AVCodecContext *enc, AVStream *st, AVFrame *frame,
                        AVPacket *pkt) {
  int r = avcodec_send_frame(enc, frame);
  while (r >= 0) {
    r = avcodec_receive_packet(enc, pkt);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
    if (r < 0) return r;
    av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
    pkt->stream_index = st->index;
    r = av_interleaved_write_frame(oc, pkt);
  }
  return r;
}

typedef struct ysgt__writer {
  AVFormatContext *oc;
  AVCodecContext *venc, *aenc;
  AVStream *vst, *ast;
  AVFrame *rgb, *vf, *af;
  AVPacket *pkt;
  struct SwsContext *sws;
} ysgt__writer;

static void ysgt__writer_free(ysgt__writer *w) {
  sws_freeContext(w->sws);
  av_frame_free(&w->rgb);
  av_frame_free(&w->vf);
  av_frame_free(&w->af);
  av_packet_free(&w->pkt);
  avcodec_free_context(&w->venc);
  avcodec_free_context(&w->aenc);
  if (w->oc) {
    if (w->oc->pb) avio_closep(&w->oc->pb);
    avformat_free_context(w->oc);
  }
}

static int ysgt__open_video(ysgt__writer *w, const ysgt_video *v, char *err, size_t cap) {
  const AVCodec *c = avcodec_find_encoder_by_name(v->codec);
  if (!c) return ysgt__fail(err, cap, 0, "no encoder '%s'", v->codec);
  enum AVPixelFormat fmt = AV_PIX_FMT_NONE;
  if (v->pix_fmt) {
    fmt = av_get_pix_fmt(v->pix_fmt);
    if (fmt == AV_PIX_FMT_NONE) return ysgt__fail(err, cap, 0, "no pixel format '%s'", v->pix_fmt);
  } else if (c->pix_fmts) {
    fmt = c->pix_fmts[0];
    for (int i = 0; c->pix_fmts[i] != AV_PIX_FMT_NONE; i++)
      if (c->pix_fmts[i] == AV_PIX_FMT_YUV420P) fmt = AV_PIX_FMT_YUV420P;
  } else {
    fmt = AV_PIX_FMT_YUV420P;
  }
  AVCodecContext *e = w->venc = avcodec_alloc_context3(c);
  if (!e) return AVERROR(ENOMEM);
  e->width = v->width;
  e->height = v->height;
  e->pix_fmt = fmt;
  e->time_base = (AVRational){1, v->fps};
  e->framerate = (AVRational){v->fps, 1};
  e->thread_count = 1;     /* deterministic files */
  e->log_level_offset = 8; /* the encoder's statistics (info) are not shown; warnings are */
  e->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL; /* e.g. ljpeg in limited range */
  if (v->gop > 0) e->gop_size = v->gop;
  e->max_b_frames = v->bframes;
  if (v->tag_color) {
    e->colorspace = (enum AVColorSpace)v->matrix;
    e->color_range = v->full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  }
  if (v->lossless) {
    if (!strcmp(v->codec, "libx264") || !strcmp(v->codec, "libx265")) {
      av_opt_set(e->priv_data, "qp", "0", 0);
      av_opt_set(e->priv_data, "preset", "medium", 0);
      if (!strcmp(v->codec, "libx265"))
        av_opt_set(e->priv_data, "x265-params", "lossless=1:log-level=error", 0);
    } else if (!strcmp(v->codec, "libvpx-vp9")) {
      av_opt_set(e->priv_data, "lossless", "1", 0);
    } else {
      e->flags |= AV_CODEC_FLAG_QSCALE;
      e->global_quality = FF_QP2LAMBDA;
      e->qmin = 1;
    }
  }
  if (!strcmp(v->codec, "libvpx-vp9") && !v->lossless) {
    av_opt_set(e->priv_data, "crf", "20", 0); /* constant quality */
    e->bit_rate = 0;
  }
  if (!strcmp(v->codec, "libx265") && !v->lossless)
    av_opt_set(e->priv_data, "x265-params", "log-level=error", 0); /* x265 prints itself */
  if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int r = avcodec_open2(e, c, NULL);
  if (r < 0) return ysgt__fail(err, cap, r, "cannot open encoder '%s'", v->codec);
  w->vst = avformat_new_stream(w->oc, NULL);
  if (!w->vst) return AVERROR(ENOMEM);
  w->vst->time_base = e->time_base;
  w->vst->avg_frame_rate = e->framerate;
  r = avcodec_parameters_from_context(w->vst->codecpar, e);
  if (r < 0) return r;

  w->rgb = av_frame_alloc();
  w->vf = av_frame_alloc();
  if (!w->rgb || !w->vf) return AVERROR(ENOMEM);
  const enum AVPixelFormat src_fmt = v->alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24;
  w->rgb->format = src_fmt;
  w->rgb->width = w->vf->width = v->width;
  w->rgb->height = w->vf->height = v->height;
  w->vf->format = fmt;
  if ((r = av_frame_get_buffer(w->rgb, 0)) < 0 || (r = av_frame_get_buffer(w->vf, 0)) < 0) return r;
  w->sws = sws_getContext(v->width, v->height, src_fmt, v->width, v->height, fmt,
                          SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP | SWS_BITEXACT, NULL,
                          NULL, NULL);
  if (!w->sws) return ysgt__fail(err, cap, 0, "swscale cannot convert rgb24 to %s", v->pix_fmt);
  const int *coef = sws_getCoefficients(ysgt__sws_cs(v->matrix, v->height));
  int rgb_out = (av_pix_fmt_desc_get(fmt)->flags & AV_PIX_FMT_FLAG_RGB) != 0;
  sws_setColorspaceDetails(w->sws, coef, 1, coef, v->full_range || rgb_out, 0, 1 << 16, 1 << 16);
  return 0;
}

static int ysgt__open_audio(ysgt__writer *w, char *err, size_t cap) {
  const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!c) return ysgt__fail(err, cap, 0, "no AAC encoder");
  AVCodecContext *e = w->aenc = avcodec_alloc_context3(c);
  if (!e) return AVERROR(ENOMEM);
  e->sample_fmt = AV_SAMPLE_FMT_FLTP;
  e->sample_rate = 48000;
  e->bit_rate = 64000;
  e->time_base = (AVRational){1, 48000};
  av_channel_layout_default(&e->ch_layout, 1);
  e->log_level_offset = 8;
  if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int r = avcodec_open2(e, c, NULL);
  if (r < 0) return ysgt__fail(err, cap, r, "cannot open the AAC encoder");
  w->ast = avformat_new_stream(w->oc, NULL);
  if (!w->ast) return AVERROR(ENOMEM);
  w->ast->time_base = e->time_base;
  if ((r = avcodec_parameters_from_context(w->ast->codecpar, e)) < 0) return r;
  w->af = av_frame_alloc();
  if (!w->af) return AVERROR(ENOMEM);
  w->af->format = e->sample_fmt;
  w->af->nb_samples = e->frame_size;
  w->af->sample_rate = e->sample_rate;
  if ((r = av_channel_layout_copy(&w->af->ch_layout, &e->ch_layout)) < 0) return r;
  return av_frame_get_buffer(w->af, 0);
}

static int ysgt__write_video_frame(ysgt__writer *w, const ysgt_video *v, int f) {
  ysgt_pattern_fn pat = v->pattern ? v->pattern : ysgt_pattern;
  int r = av_frame_make_writable(w->rgb);
  if (r < 0 || (r = av_frame_make_writable(w->vf)) < 0) return r;
  const int bpp = v->alpha ? 4 : 3;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      uint8_t *p = w->rgb->data[0] + (size_t)y * (size_t)w->rgb->linesize[0] + bpp * x;
      pat(v->ud, f, x, y, p);
      if (v->alpha) p[3] = v->alpha(v->ud, f, x, y);
    }
  sws_scale(w->sws, (const uint8_t *const *)w->rgb->data, w->rgb->linesize, 0, v->height,
            w->vf->data, w->vf->linesize);
  w->vf->pts = f;
  return ysgt__encode(w->oc, w->venc, w->vst, w->vf, w->pkt);
}

static int ysgt__write_audio_frame(ysgt__writer *w, int64_t *next) {
  int r = av_frame_make_writable(w->af);
  if (r < 0) return r;
  float *s = (float *)w->af->data[0];
  for (int i = 0; i < w->af->nb_samples; i++)
    s[i] = 0.25f * sinf(2.0f * 3.14159265f * 440.0f * (float)(*next + i) / 48000.0f);
  w->af->pts = *next;
  *next += w->af->nb_samples;
  return ysgt__encode(w->oc, w->aenc, w->ast, w->af, w->pkt);
}

/* Encode the file; 0 on success, else a negative AVERROR with the reason in err. */
YSGT_UNUSED static int ysgt_video_write(const char *path, const ysgt_video *v, char *err,
                                        size_t cap) {
  ysgt__writer w;
  memset(&w, 0, sizeof w);
  err[0] = 0;
  int r = avformat_alloc_output_context2(&w.oc, NULL, v->format, path);
  if (r < 0 || !w.oc) return ysgt__fail(err, cap, r, "no container for '%s'", path);
  if (!(w.pkt = av_packet_alloc())) r = AVERROR(ENOMEM);
  if (r >= 0 && v->fake_codec_id) {
    if (!(w.vst = avformat_new_stream(w.oc, NULL))) r = AVERROR(ENOMEM);
    if (r >= 0) {
      w.vst->time_base = (AVRational){1, v->fps};
      w.vst->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
      w.vst->codecpar->codec_id = (enum AVCodecID)v->fake_codec_id;
      w.vst->codecpar->width = v->width;
      w.vst->codecpar->height = v->height;
    }
  } else if (r >= 0 && v->codec) {
    r = ysgt__open_video(&w, v, err, cap);
  }
  if (r >= 0 && v->audio) r = ysgt__open_audio(&w, err, cap);
  if (r >= 0 && (r = avio_open(&w.oc->pb, path, AVIO_FLAG_WRITE)) < 0)
    ysgt__fail(err, cap, r, "cannot create '%s'", path);
  if (r >= 0 && (r = avformat_write_header(w.oc, NULL)) < 0)
    ysgt__fail(err, cap, r, "cannot write the header of '%s'", path);
  /* interleave by time: video frame f at f/fps, audio up to the same instant */
  int64_t audio_next = 0;
  int64_t audio_end = v->codec ? (int64_t)v->frames * 48000 / v->fps : 24000;
  for (int f = 0; r >= 0 && v->fake_codec_id && f < v->frames; f++) {
    static const uint8_t filler[64] = {0, 0, 1, 0xb0, 0x20};
    if ((r = av_new_packet(w.pkt, (int)sizeof filler)) < 0) break;
    memcpy(w.pkt->data, filler, sizeof filler);
    w.pkt->pts = w.pkt->dts = av_rescale_q(f, (AVRational){1, v->fps}, w.vst->time_base);
    w.pkt->flags |= AV_PKT_FLAG_KEY;
    w.pkt->stream_index = w.vst->index;
    r = av_interleaved_write_frame(w.oc, w.pkt);
  }
  for (int f = 0; r >= 0 && v->codec && !v->fake_codec_id && f < v->frames; f++) {
    r = ysgt__write_video_frame(&w, v, f);
    while (r >= 0 && w.aenc && audio_next < (int64_t)(f + 1) * 48000 / v->fps)
      r = ysgt__write_audio_frame(&w, &audio_next);
  }
  while (r >= 0 && w.aenc && audio_next < audio_end) r = ysgt__write_audio_frame(&w, &audio_next);
  if (r >= 0 && w.venc) r = ysgt__encode(w.oc, w.venc, w.vst, NULL, w.pkt);
  if (r >= 0 && w.aenc) r = ysgt__encode(w.oc, w.aenc, w.ast, NULL, w.pkt);
  if (r >= 0 && (r = av_write_trailer(w.oc)) < 0) ysgt__fail(err, cap, r, "trailer");
  if (r < 0 && !err[0]) ysgt__fail(err, cap, r, "encoding '%s' failed", path);
  ysgt__writer_free(&w);
  return r < 0 ? r : 0;
}

/* `frames` frames of ysgt_pattern at fps in the codec's default quality, yuv420p where the
 * encoder takes it, untagged colour (limited range, BT.601 below 720 lines). */
YSGT_UNUSED static int ysgt_make_video(const char *path, const char *codec, int w, int h,
                                       int frames, int fps, int with_audio) {
  ysgt_video v;
  memset(&v, 0, sizeof v);
  v.codec = codec;
  v.width = w;
  v.height = h;
  v.frames = frames;
  v.fps = fps;
  v.audio = with_audio;
  char err[256];
  return ysgt_video_write(path, &v, err, sizeof err);
}

typedef struct ysgt_video_info {
  int width, height, frames;
  double fps;                 /* avg_frame_rate */
  enum AVCodecID codec;       /* of the video stream */
  enum AVPixelFormat pix_fmt; /* decoded format */
  enum AVColorSpace matrix;   /* as tagged (AVCOL_SPC_UNSPECIFIED when not) */
  enum AVColorRange range;    /* as tagged */
  int has_audio;
} ysgt_video_info;

/* Decode every video frame (presentation order) to packed 8-bit R'G'B' with swscale, using the
 * stream's matrix and range (untagged: BT.601 below 720 lines else BT.709, limited). *rgb gets
 * frames × height × width × 3 bytes (free()); 0 on success, else a negative AVERROR + err. */
YSGT_UNUSED static int ysgt_video_read(const char *path, ysgt_video_info *info, uint8_t **rgb,
                                       char *err, size_t cap) {
  AVFormatContext *ic = NULL;
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  struct SwsContext *sws = NULL;
  uint8_t *out = NULL;
  size_t out_frames = 0, out_cap = 0;
  memset(info, 0, sizeof *info);
  *rgb = NULL;
  err[0] = 0;
  int r = pkt && fr ? avformat_open_input(&ic, path, NULL, NULL) : AVERROR(ENOMEM);
  if (r < 0) goto done;
  if ((r = avformat_find_stream_info(ic, NULL)) < 0) goto done;
  const AVCodec *c = NULL;
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0);
  for (unsigned i = 0; i < ic->nb_streams; i++)
    if (ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) info->has_audio = 1;
  if (si < 0) {
    r = si;
    goto done;
  }
  AVStream *st = ic->streams[si];
  info->codec = st->codecpar->codec_id;
  info->fps = av_q2d(st->avg_frame_rate);
  if (!(dec = avcodec_alloc_context3(c))) r = AVERROR(ENOMEM);
  if (r >= 0) r = avcodec_parameters_to_context(dec, st->codecpar);
  if (r >= 0) r = avcodec_open2(dec, c, NULL);
  int eof = 0;
  while (r >= 0) {
    if (!eof) {
      r = av_read_frame(ic, pkt);
      if (r == AVERROR_EOF) {
        eof = 1;
        r = avcodec_send_packet(dec, NULL);
      } else if (r >= 0) {
        r = pkt->stream_index == si ? avcodec_send_packet(dec, pkt) : 0;
        av_packet_unref(pkt);
      }
      if (r < 0) break;
    }
    while ((r = avcodec_receive_frame(dec, fr)) >= 0) {
      int w = fr->width, h = fr->height;
      if (!sws) {
        info->width = w;
        info->height = h;
        info->pix_fmt = (enum AVPixelFormat)fr->format;
        info->matrix = fr->colorspace;
        info->range = fr->color_range;
        sws = sws_getContext(w, h, (enum AVPixelFormat)fr->format, w, h, AV_PIX_FMT_RGB24,
                             SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_BITEXACT,
                             NULL, NULL, NULL);
        if (!sws) {
          r = ysgt__fail(err, cap, 0, "swscale cannot convert %s", av_get_pix_fmt_name(fr->format));
          goto done;
        }
        const int *coef = sws_getCoefficients(ysgt__sws_cs(fr->colorspace, h));
        int full = fr->color_range == AVCOL_RANGE_JPEG ||
                   (av_pix_fmt_desc_get(fr->format)->flags & AV_PIX_FMT_FLAG_RGB);
        sws_setColorspaceDetails(sws, coef, full, coef, 1, 0, 1 << 16, 1 << 16);
      }
      size_t fbytes = (size_t)info->width * (size_t)info->height * 3;
      if (out_frames == out_cap) {
        out_cap = out_cap ? out_cap * 2 : 16;
        uint8_t *grown = realloc(out, out_cap * fbytes);
        if (!grown) {
          r = AVERROR(ENOMEM);
          goto done;
        }
        out = grown;
      }
      uint8_t *dst[4] = {out + out_frames * fbytes, NULL, NULL, NULL};
      int dls[4] = {info->width * 3, 0, 0, 0};
      sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, h, dst, dls);
      out_frames++;
      av_frame_unref(fr);
    }
    if (r == AVERROR(EAGAIN) && !eof) r = 0;
  }
  if (r == AVERROR_EOF) r = 0;
done:
  if (r < 0 && !err[0]) ysgt__fail(err, cap, r, "cannot read '%s'", path);
  if (r < 0) {
    free(out);
    out = NULL;
  }
  info->frames = (int)out_frames;
  *rgb = out;
  sws_freeContext(sws);
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&ic);
  return r < 0 ? r : 0;
}

#endif /* YSG_HAVE_FFMPEG */
#endif /* YSG_TEST_VIDEO_FIXTURE_H */
