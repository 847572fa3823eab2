/* exr_io.h — OpenEXR files in the engine's own pixel format (half-float, linear light,
 * premultiplied RGBA: what EXR holds by convention), for the `exr` sink and the `image` source.
 * The readers and the writer are in nodes/exr_io.cpp (OpenEXR's C++ API: its C API in 3.1 cannot
 * write DWAA); ysg__exr_sniff is plain C in nodes/image_exr.c and exists in every build. Messages
 * go into caller buffers as bare reasons (callers add the path), as in png_io.h. */
#ifndef YSG_EXR_IO_H
#define YSG_EXR_IO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "png_io.h"
#include "ysgraph.h"

/* compression names in OpenEXR's order (Imf::Compression), the exr sink's enum */
#define YSG_EXR_COMPRESSIONS "none|rle|zips|zip|piz|pxr24|b44|b44a|dwaa|dwab"

/* Check the file's first 8 bytes. Returns 1 for a single-part flat OpenEXR file, 0 when the file
 * is not OpenEXR (a PNG, say: err empty), -1 with a status and reason otherwise: the file cannot
 * be read (YSG_ERR_IO), an OpenEXR version other than 2 (YSG_ERR_DATA), a multi-part file or
 * deep data (YSG_ERR_UNSUPPORTED). */
int ysg__exr_sniff(const char *path, ysg_status *status, char *err, size_t errcap);

/* The `image` source's readers (nodes/image_exr.c): a PNG or an OpenEXR file by its first bytes.
 * *kind names the format for messages ("PNG", "EXR"). Without OpenEXR an EXR file is
 * YSG_ERR_UNSUPPORTED ("an OpenEXR file, but this build has no OpenEXR support"). */
ysg_status ysg__picture_read(const char *path, const ysg_png_alloc *a, uint16_t **out, int *width,
                             int *height, const char **kind, char *err, size_t errcap);
/* Frame of a sequence into out (width×height): PNGs through d (initialised for that size when
 * the sequence is PNG), EXR files directly; a file of the other format than the sequence's first
 * (exr: 1 for EXR) is YSG_ERR_DATA. got_w, got_h as ysg__png_decode. */
ysg_status ysg__picture_decode(ysg_png_decoder *d, int exr, const char *path, uint16_t *out,
                               int width, int height, int *got_w, int *got_h, const char **kind,
                               char *err, size_t errcap);

#ifdef YSG_HAVE_OPENEXR
/* Read a single-part RGBA / RGB / Y (luminance) / YA file, half or float channels, into FP16 RGBA
 * (missing alpha is 1, Y fills R, G and B, float rounds to half). The picture is the display
 * window; data outside it is cropped and pixels the data window lacks are transparent black.
 * *out is allocated with a. Status YSG_ERR_IO (cannot open), YSG_ERR_DATA (damaged: OpenEXR's
 * reason), YSG_ERR_UNSUPPORTED (no R, G, B or Y channel: the reason lists the channels). */
ysg_status ysg__exr_read(const char *path, const ysg_png_alloc *a, uint16_t **out, int *width,
                         int *height, char *err, size_t errcap);
/* Same into dst, which holds width×height pixels: a file of another size is YSG_ERR_DATA with
 * "the image is WxH, expected WxH" and *got_w, *got_h set to its size. */
ysg_status ysg__exr_decode(const char *path, uint16_t *dst, int width, int height, int *got_w,
                           int *got_h, char *err, size_t errcap);
/* Write FP16 RGBA rows (stride bytes apart) as a scanline file with half R, G, B, A channels and
 * compression (an index into YSG_EXR_COMPRESSIONS; dwa_level for DWAA/DWAB), atomically: "cannot
 * write 'PATH': reason" on failure, no temporary left, an existing file untouched. */
ysg_status ysg__exr_write(const char *path, const uint16_t *px, int width, int height,
                          size_t stride, int compression, float dwa_level, char *err,
                          size_t errcap);
/* Grow OpenEXR's process-wide thread pool (it compresses a file's chunks in parallel) to at least
 * threads; it never shrinks. Returns the pool's size. */
int ysg__exr_threads(int threads);
#endif

#ifdef __cplusplus
}
#endif
#endif /* YSG_EXR_IO_H */
