/* png_fast.h — PNG encoding at the renderer's speed: the `png` sink's encoder. Levels:
 *   0      no compression (stored blocks; filter None)
 *   1, 2   the fast encoder: rows filtered with Sub, split into bands of about 1 MiB that are
 *          compressed in parallel by deflate_rle.c (runs + literals, one Huffman block per band)
 *          and joined into one zlib stream (Adler-32s combined), each band its own IDAT chunk —
 *          about zlib level 2's size on overlay frames at several times its speed
 *   3..9   libdeflate at that level on the whole frame (one thread; smaller files), or zlib
 *          through libpng when the build has no libdeflate
 * The encoder keeps its buffers across frames (allocated when a frame size or level first needs
 * them) and writes atomically (temporary + rename) like ysg__png_write. */
#ifndef YSG_PNG_FAST_H
#define YSG_PNG_FAST_H

#include <stddef.h>

#include "png_io.h"

typedef struct ysg_png_encoder ysg_png_encoder;

/* threads: how many bands run at once (OpenMP threads of the calling thread). */
ysg_status ysg__png_encoder_create(const ysg_png_alloc *a, int threads, ysg_png_encoder **out);
void ysg__png_encoder_destroy(ysg_png_encoder *e);

/* Allocate what frames of width×height at bits (8, 16) and level need; the first encode of such
 * a frame does it otherwise. YSG_ERR_NOMEM when memory is short. */
ysg_status ysg__png_encoder_reserve(ysg_png_encoder *e, int width, int height, int bits, int level);

/* Encode RGBA sRGB straight alpha (8 bits: bytes; 16 bits: host-order uint16_t; stride bytes per
 * row, 0: packed) to path. Errors as ysg__png_write: "cannot write 'PATH': reason", no temporary
 * left behind, an existing file untouched. */
ysg_status ysg__png_encode(ysg_png_encoder *e, const char *path, const void *px, int width,
                           int height, size_t stride, int bits, int level, char *err,
                           size_t errcap);

/* "fast deflate, 2 threads" / "libdeflate level 6" / "zlib level 6 (libpng)": what a level uses. */
const char *ysg__png_level_name(int level);

#endif /* YSG_PNG_FAST_H */
