/* video_out_pass.h — video_out's passthrough of a video_in's pictures (nodes/video_out_pass.c):
 * where the rendered frame equals the video_in's frame on every pixel of a 16×16 tile, the
 * encoder gets the decoder's own Y'CbCr samples for that tile instead of a re-conversion from
 * RGB, so the video outside the graphics suffers no generation loss (and costs no conversion). */
#ifndef YSG_VIDEO_OUT_PASS_H
#define YSG_VIDEO_OUT_PASS_H

#ifdef YSG_HAVE_FFMPEG
#include <libavcodec/avcodec.h>

#include "frame_convert.h"
#include "ysgraph/node.h"

typedef struct ysg_vpass {
  const ysg_node *src;     /* the video_in, or NULL: no passthrough */
  int port;                /* video_out's input port linked to it */
  ysg_yuv_layout lay;      /* the samples a picture must carry (subsampling, bits) */
  int tiles_x, tiles_y;    /* 16×16 tiles of the frame */
  uint8_t *same;           /* (tiles_y, tiles_x) 1: the frame equals the video's there */
  AVFrame *host;           /* an NVDEC picture downloaded for the copy */
  int chroma_loc;          /* the source's chroma siting (enum AVChromaLocation), for the tag */
  long long copied, total; /* tiles passed through / tiles encoded, this run */
} ysg_vpass;

/* In infer, when input `port` is linked: it must come from a video_in whose stream has the
 * output's layout (subsampling, bits), range and the BT.709 matrix; allocates the tile mask.
 * Errors name the port, the file and both formats. */
ysg_status ysg__vpass_init(ysg_node *n, int port, ysg_vpass *v, const ysg_yuv_layout *lay,
                           int full_range, int width, int height);
/* Per frame, before the conversion: this frame's decoded picture (downloaded when it is an NVDEC
 * surface) and the mask of tiles where img equals the video_in's frame, bit for bit (empty tiles
 * of either read as zero). */
ysg_status ysg__vpass_mark(ysg_node *n, ysg_vpass *v, const ysg_value *img, int frame,
                           const AVFrame **pic);
/* After the conversion (which skipped the marked tiles): copy their samples from pic into dst
 * (planar, or P010 when lay->semi). */
void ysg__vpass_copy(ysg_node *n, ysg_vpass *v, const AVFrame *pic, AVFrame *dst,
                     const ysg_yuv_layout *lay);
void ysg__vpass_free(ysg_node *n, ysg_vpass *v);

#endif /* YSG_HAVE_FFMPEG */
#endif /* YSG_VIDEO_OUT_PASS_H */
