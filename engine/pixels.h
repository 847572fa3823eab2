/* pixels.h — converting rows between the host-facing pixel formats (ysg_pixel_format) and the
 * engine's FP16 linear premultiplied RGBA, on the CPU: image_in decodes with these, and
 * ysg_pipeline_read_image encodes. Per-pixel math is color.h's; the tables only make it fast
 * (8/16-bit and float sRGB decoding, and encoding opaque FP16 channels by their bits). */
#ifndef YSG_PIXELS_H
#define YSG_PIXELS_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define YSG_SRGBF_LUT 4096 /* intervals of the float sRGB -> linear table (lerped) */

/* Lookup tables, built on first use by ysg__pixel_luts_need (host calls only). */
typedef struct ysg_pixel_luts {
  float *dec8;     /* (256) 8-bit sRGB -> linear */
  float *dec16;    /* (65536) 16-bit sRGB -> linear */
  float *decf;     /* (YSG_SRGBF_LUT + 1) sRGB 0..1 -> linear at i / YSG_SRGBF_LUT */
  uint8_t *enc8;   /* (65536) FP16 bits of an opaque channel -> 8-bit sRGB */
  uint16_t *enc16; /* (65536) -> 16-bit sRGB */
  float *encf;     /* (65536) -> float sRGB 0..1 */
} ysg_pixel_luts;

/* Make sure the tables fmt needs (decoding: decode = 1) exist; NULL-safe allocator in ctx. */
ysg_status ysg__pixel_luts_need(ysg_context *ctx, ysg_pixel_luts *l, ysg_pixel_format fmt,
                                int decode);
void ysg__pixel_luts_free(ysg_context *ctx, ysg_pixel_luts *l);

/* Decode w pixels of src (fmt) into dst (FP16 linear premultiplied). Returns -1, or the index of
 * the first pixel holding a value that is not a finite number (dst is then partly written).
 * *any is set to 1 when a pixel is not transparent (±0 in all four halves). */
int ysg__pixels_decode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt, const void *src,
                           uint16_t *dst, int w, int *channel, int *any);

/* Encode w pixels of src (FP16 linear premultiplied) into dst (fmt). */
void ysg__pixels_encode_row(const ysg_pixel_luts *l, ysg_pixel_format fmt, const uint16_t *src,
                            void *dst, int w);

/* The DLPack-style description of a format: element type (0 uint, 2 float) and bits, channels. */
void ysg__pixel_format_elem(ysg_pixel_format fmt, int *is_float, int *bits, int *channels);

#ifdef __cplusplus
}
#endif
#endif /* YSG_PIXELS_H */
