/* video_in.h — what nodes/video_in.c (decoding, seeking, CPU conversion) and
 * nodes/video_in_device.c (the CUDA executor's path: NVDEC surfaces copied into device staging
 * and converted by a captured kernel) share: the node's state and two functions. */
#ifndef YSG_VIDEO_IN_H
#define YSG_VIDEO_IN_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "video_io.h"
#include "yuv.h"
#include "ysgraph/node.h"

#define LUT_N 65535 /* the transfer function is tabulated at R'G'B' = i / LUT_N */
#define END_OF_STREAM ((ysg_status)-1)

struct SwsContext;

typedef struct vin_state {
  ysg_av_guard guard; /* the FFmpeg contexts' opaque: sandboxed opens, and their log goes here */
  const char *path;
  AVFormatContext *fmt;
  AVCodecContext *dec;
  AVBufferRef *hw; /* CUDA device for NVDEC, or NULL: software */
  AVPacket *pkt;
  AVFrame *frame;         /* the decoded picture */
  AVFrame *host;          /* an NVDEC surface the kernel cannot read, downloaded */
  AVFrame *rgb;           /* RGBA64 from swscale, for layouts the C path does not read */
  struct SwsContext *sws; /* made for sws_fmt */
  int sws_fmt, sws_matrix, sws_full;
  int stream;  /* index of the video stream */
  int w, h, n; /* size and frame count */
  double fps;
  int64_t *pts;      /* (n) sorted presentation time stamps; ordinal mode: 0..n-1 */
  int ordinal;       /* packets without time stamps: frames counted from the start */
  int64_t ord;       /* ordinal mode: pictures decoded since the last seek */
  int next;          /* index the next decoded picture has; -1 after errors: seek */
  int eof;           /* the demuxer reached the end and the decoder was drained */
  int told_sw;       /* logged that NVDEC handed back software frames */
  float *lut;        /* (LUT_N + 1) ysg_transfer_to_linear(lut_trc, i / LUT_N) */
  int lut_trc;       /* YSG_TRC_* the table holds */
  int chroma_filter; /* YSG_CHROMA_* (param chroma) */
  int *tap0, *tap1;  /* (w) horizontal chroma taps of each column */
  float *tapw;       /* (w) weight of tap1 */
  float *scratch;    /* (bands, band_floats): rows of one band being converted */
  int bands;
  size_t band_floats;
  void *d_px;                           /* NVDEC: (h, w, 4) FP16 device image */
  ysg_yuv_params *d_params, dev_params; /* device copy and what it holds */
  /* on a CUDA device (nodes/video_in_device.c): the surface stays in device memory */
  int dev_bits; /* 8 (NV12), 10 (P010) or 12/16 (P016) */
  int dev_pitch_y, dev_pitch_c;
  int dev_staging;  /* device scratch: the frame's planes at fixed addresses */
  AVFrame *held[2]; /* surfaces whose copy into staging may still be pending */
  void *copied[2];  /* events: that copy finished */
  void *decoded;    /* event on the default stream, where NVDEC's writes are */
  int held_k;
  int nvdec_ok; /* the first frame came back as an NV12/P010/P016 surface */
  /* the picture of the frame last run, for a video_out passing it through (ysg__vin_picture) */
  AVFrame *kept;      /* host path: the decoded picture, kept until the next frame */
  const AVFrame *pic; /* kept, or the NVDEC surface held by the device path; NULL: none */
  int pic_index;      /* the frame pic belongs to */
} vin_state;

/* Decode frame f into st->frame (seeking when it is not the next one). */
ysg_status ysg__vin_fetch(ysg_node *n, vin_state *st, int f);
/* The decoded picture frame f of video_in node n was converted from, when n ran frame f (it stays
 * valid until n's next frame), else NULL: a host picture, or an NVDEC surface
 * (AV_PIX_FMT_CUDA) on the device path. For video_out's passthrough. */
const AVFrame *ysg__vin_picture(const ysg_node *n, int f);
/* The video stream's parameters (pixel format, colour tags, size) as the container states them. */
const AVCodecParameters *ysg__vin_codecpar(const ysg_node *n);
/* The conversion parameters of a decoded frame: matrix, range, chroma siting and filter, transfer,
 * primaries, bits. */
void ysg__vin_frame_yuv_params(const vin_state *st, const AVFrame *fr, int fmt, int bits,
                               ysg_yuv_params *p);

#ifdef YSG_HAVE_CUDA
extern const ysg_device_ops ysg__video_in_device_ops;
void ysg__vin_device_release(vin_state *st);            /* in destroy: held surfaces and events */
void ysg__vin_device_probe(ysg_node *n, vin_state *st); /* in init, with NVDEC: sets nvdec_ok */
#endif

#endif
