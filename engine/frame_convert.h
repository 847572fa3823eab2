/* frame_convert.h — FP16 linear premultiplied frames into what sinks write, one implementation
 * for all of them: sRGB straight-alpha RGBA at 8 or 16 bits (png, raw rgba) and Y'CbCr planes,
 * composited over black (video_out, raw y4m). Both read the occupancy tiles (an empty tile's
 * pixels are zero, whatever the memory holds) and convert rows of a caller's parallel_for. */
#ifndef YSG_FRAME_CONVERT_H
#define YSG_FRAME_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph/value.h"
#include "yuv.h"

/* ---- sRGB straight alpha ------------------------------------------------------------------- */
typedef struct ysg_srgb_conv {
  int bits;        /* 8 or 16 */
  uint8_t *lut8;   /* (65536) FP16 bits of an opaque pixel's channel -> 8-bit sRGB, or NULL */
  uint16_t *lut16; /* (65536) the same at 16 bits, or NULL */
} ysg_srgb_conv;

/* bits 8: lut holds 65536 bytes; 16: 65536 uint16_t. Opaque pixels (most of a frame) are a
 * lookup built with ysg_encode_srgb, which converts all others: both give the same samples. */
void ysg__srgb_conv_init(ysg_srgb_conv *c, int bits, void *lut);
/* Rows [y0, y1) of in -> dst (stride bytes per row): 4 samples per pixel, bytes or host-order
 * uint16_t. */
void ysg__srgb_convert_rows(const ysg_srgb_conv *c, const ysg_value *in, uint8_t *dst,
                            size_t stride, int y0, int y1);

/* ---- Y'CbCr -------------------------------------------------------------------------------- */
typedef struct ysg_yuv_layout {
  int sx, sy; /* chroma subsampling shifts (1: halved) */
  int bits;   /* 8, or 10 in 16-bit little-endian samples */
  int semi;   /* P010: one interleaved CbCr plane, samples in the high bits */
} ysg_yuv_layout;

typedef struct ysg_yuv_conv {
  ysg_yuv_layout lay;
  ysg_yuv_params yuv; /* matrix and range (the sRGB transfer function is the lut's) */
  const float *lut;   /* (65536) FP16 bits of a linear channel -> sRGB-encoded 0..1 */
} ysg_yuv_conv;

typedef struct ysg_yuv_planes {
  uint8_t *data[3]; /* Y, Cb, Cr (semi: Y, CbCr) */
  ptrdiff_t linesize[3];
} ysg_yuv_planes;

void ysg__yuv_lut_init(float *lut);
/* Chroma rows [cy0, cy1) (each with its 1 << sy luma rows) of in -> planes. Luma is computed per
 * pixel, chroma from the mean R'G'B' of each 2×2 (4:2:0), 2×1 (4:2:2) or 1×1 block (the matrix is
 * linear: the mean of the pixels' chroma). skip, when not NULL, flags 16×16 tiles (tiles_y,
 * tiles_x of in) whose samples are left as they are — a passthrough fills them. */
void ysg__yuv_convert_rows(const ysg_yuv_conv *c, const ysg_value *in, const ysg_yuv_planes *out,
                           const uint8_t *skip, int cy0, int cy1);
/* Store n code values (rounded, clamped) as the layout's samples: bytes, 16-bit, or every other
 * 16-bit sample (step 2) shifted to the high bits (P010). */
void ysg__yuv_store(const ysg_yuv_layout *l, uint8_t *dst, int step, const float *v, int n);

#endif /* YSG_FRAME_CONVERT_H */
