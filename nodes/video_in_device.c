/* video_in_device.c — `video_in` on the CUDA executor: with NVDEC the decoded surface never
 * leaves the device. Each frame, prepare() decodes (host call into libavcodec; the picture is a
 * CUDA surface) and writes the frame's conversion parameters into the parameter block; stage()
 * makes the executor's stream wait for NVDEC's writes (libavcodec issues them on the CUDA
 * context's default stream), then copies the surface's two planes into device staging at fixed
 * addresses; run() — captured once into the segment's CUDA Graph — converts staging into the
 * arena with the same kernel and math (engine/yuv.h) as the rest of the node. A surface is held
 * until its copy has finished (two in flight). Only NVDEC's 4:2:0 layouts (NV12 / P010 / P016)
 * run here; anything else keeps the node on the host. */
#if defined(YSG_HAVE_FFMPEG) && defined(YSG_HAVE_CUDA)
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <string.h>

#include "../cuda/cuda_api.h"
#include "../cuda/video_api.h"
#include "internal.h"
#include "video_in.h"

/* bits of the NVDEC surface libavcodec will hand back for the stream, 0: not a 4:2:0 layout */
static int surface_bits(const vin_state *st) {
  switch (st->fmt->streams[st->stream]->codecpar->format) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P:
      return 8;
    case AV_PIX_FMT_YUV420P10LE:
      return 10;
    case AV_PIX_FMT_YUV420P12LE:
      return 12;
    default:
      return 0;
  }
}

static int vin_dev_supported(const ysg_node *n) {
  const vin_state *st = ysg_node_state(n);
  return st && st->hw && st->nvdec_ok;
}

void ysg__vin_device_probe(ysg_node *n, vin_state *st) {
  /* the stream's format can promise a layout NVDEC then refuses (H.264 High 10: libavcodec falls
   * back to software frames): decode the first frame and look */
  int bits = surface_bits(st);
  st->nvdec_ok = 0;
  if (!bits || ysg__vin_fetch(n, st, 0)) {
    ysg__clearerr(n->p->ctx); /* the host path reports decoding errors when it runs */
  } else if (st->frame->format == AV_PIX_FMT_CUDA && st->frame->hw_frames_ctx) {
    const AVHWFramesContext *hf = (const AVHWFramesContext *)st->frame->hw_frames_ctx->data;
    int got = hf->sw_format == AV_PIX_FMT_NV12   ? 8
              : hf->sw_format == AV_PIX_FMT_P010 ? 10
              : hf->sw_format == AV_PIX_FMT_P016 ? 12
                                                 : 0;
    st->nvdec_ok = got == bits;
  }
  av_frame_unref(st->frame);
  st->next = -1; /* the first real frame seeks */
}

static ysg_status vin_dev_infer(ysg_node *n) {
  vin_state *st = ysg_node_state(n);
  st->dev_bits = surface_bits(st);
  int bytes = st->dev_bits > 8 ? 2 : 1;
  st->dev_pitch_y = st->w * bytes;
  st->dev_pitch_c = (st->w + 1) / 2 * 2 * bytes;
  size_t luma = ((size_t)st->dev_pitch_y * (size_t)st->h + 255) / 256 * 256;
  size_t chroma = (size_t)st->dev_pitch_c * (size_t)((st->h + 1) / 2);
  ysg_status s = ysg_node_request_device_scratch(n, luma + chroma, 1, &st->dev_staging);
  if (!s) s = ysg_node_request_param_block(n, sizeof(ysg_yuv_params));
  for (int k = 0; k < 2 && !s; k++) {
    st->held[k] = av_frame_alloc();
    if (!st->held[k]) return YSG_ERR_NOMEM;
  }
  char err[512];
  for (int k = 0; k < 2 && !s; k++) s = ysg__cuda_event_create(&st->copied[k], 0, err, sizeof err);
  if (!s) s = ysg__cuda_event_create(&st->decoded, 0, err, sizeof err);
  if (s == YSG_ERR_CUDA) return ysg_node_fail(n, s, "%s", err);
  return s;
}

/* Decode frame f (a CUDA surface) and write its conversion parameters. */
static ysg_status vin_dev_prepare(ysg_node *n, const ysg_frame *frame) {
  vin_state *st = ysg_node_state(n);
  if (st->d_px) { /* the CPU path's device image (kept until now in case of a CPU fallback) */
    ysg__cuda_free(st->d_px);
    ysg__cuda_free(st->d_params);
    st->d_px = NULL;
    st->d_params = NULL;
  }
  int f = frame->index;
  if (f >= st->n || f < 0)
    return ysg_node_fail(n, YSG_ERR_LIMIT, "frame %d is %s of '%s' (%d frames: 0..%d)", f,
                         f < 0 ? "before the start" : "past the end", st->path, st->n, st->n - 1);
  ysg_status s = ysg__vin_fetch(n, st, f);
  if (s) return s;
  const AVFrame *fr = st->frame;
  if (fr->width != st->w || fr->height != st->h)
    return ysg_node_fail(n, YSG_ERR_UNSUPPORTED,
                         "frame %d of '%s' is %d×%d, but the video starts at %d×%d (size changes "
                         "are not supported)",
                         f, st->path, fr->width, fr->height, st->w, st->h);
  int bits = 0;
  if (fr->format == AV_PIX_FMT_CUDA && fr->hw_frames_ctx) {
    const AVHWFramesContext *hf = (const AVHWFramesContext *)fr->hw_frames_ctx->data;
    bits = hf->sw_format == AV_PIX_FMT_NV12   ? 8
           : hf->sw_format == AV_PIX_FMT_P010 ? 10
           : hf->sw_format == AV_PIX_FMT_P016 ? 12
                                              : 0;
  }
  if (bits != st->dev_bits)
    return ysg_node_fail(n, YSG_ERR_UNSUPPORTED,
                         "frame %d of '%s': NVDEC handed back %s instead of a %d-bit 4:2:0 "
                         "surface; use decoder = \"software\"",
                         f, st->path, av_get_pix_fmt_name((enum AVPixelFormat)fr->format),
                         st->dev_bits);
  ysg_yuv_params p;
  ysg__vin_frame_yuv_params(st, fr, AV_PIX_FMT_NV12, bits, &p);
  memcpy(ysg_node_param_block(n), &p, sizeof p);
  return YSG_OK;
}

/* The surface's planes into staging, after NVDEC's writes; the surface is held until copied. */
static ysg_status vin_dev_stage(ysg_node *n, const ysg_frame *frame, void *stream) {
  vin_state *st = ysg_node_state(n);
  char err[512];
  int k = st->held_k;
  ysg_status s = YSG_OK;
  if (st->held[k]->buf[0]) { /* its copy was enqueued two frames ago */
    s = ysg__cuda_event_sync(st->copied[k], err, sizeof err);
    av_frame_unref(st->held[k]);
  }
  if (s) return ysg_node_fail(n, s, "%s", err);
  av_frame_move_ref(st->held[k], st->frame);
  const AVFrame *fr = st->held[k];
  st->pic = fr; /* held for two frames: video_out may pass this frame's samples through */
  st->pic_index = frame->index;
  unsigned char *luma = ysg_node_device_scratch(n, st->dev_staging);
  unsigned char *chroma = luma + ((size_t)st->dev_pitch_y * (size_t)st->h + 255) / 256 * 256;
  if (!(s = ysg__cuda_event_record(st->decoded, NULL, err, sizeof err)) &&
      !(s = ysg__cuda_stream_wait(stream, st->decoded, err, sizeof err)) &&
      !(s = ysg__cuda_copy2d(luma, (size_t)st->dev_pitch_y, fr->data[0], (size_t)fr->linesize[0],
                             (size_t)st->dev_pitch_y, (size_t)st->h, stream, err, sizeof err)) &&
      !(s = ysg__cuda_copy2d(chroma, (size_t)st->dev_pitch_c, fr->data[1], (size_t)fr->linesize[1],
                             (size_t)st->dev_pitch_c, (size_t)((st->h + 1) / 2), stream, err,
                             sizeof err)))
    s = ysg__cuda_event_record(st->copied[k], stream, err, sizeof err);
  st->held_k ^= 1;
  if (s) return ysg_node_fail(n, s, "frame of '%s': %s", st->path, err);
  return YSG_OK;
}

static ysg_status vin_dev_run(ysg_node *n, void *stream) {
  vin_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output_device(n, 0);
  const unsigned char *luma = ysg_node_device_scratch(n, st->dev_staging);
  const unsigned char *chroma = luma + ((size_t)st->dev_pitch_y * (size_t)st->h + 255) / 256 * 256;
  char err[512];
  ysg_status s = ysg__cuda_yuv_to_rgba(luma, chroma, st->dev_pitch_y, st->dev_pitch_c, st->w, st->h,
                                       st->dev_bits, ysg_node_param_block_device(n), out->px,
                                       out->tiles, stream, err, sizeof err);
  if (s) return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

void ysg__vin_device_release(vin_state *st) {
  for (int k = 0; k < 2; k++) {
    av_frame_free(&st->held[k]);
    ysg__cuda_event_destroy(st->copied[k]);
    st->copied[k] = NULL;
  }
  ysg__cuda_event_destroy(st->decoded);
  st->decoded = NULL;
}

const ysg_device_ops ysg__video_in_device_ops = {
    .supported = vin_dev_supported,
    .infer = vin_dev_infer,
    .prepare = vin_dev_prepare,
    .stage = vin_dev_stage,
    .run = vin_dev_run,
};

#else
typedef int ysg__video_in_device_unused; /* ISO C forbids an empty translation unit */
#endif
