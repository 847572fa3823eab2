/* png_io.h — PNG decode/encode (libpng 1.6) and the file helpers every writer shares: atomic
 * writes (temporary file + rename); frame patterns and mkdir -p are in paths.h (included here).
 * Messages go into caller buffers; nothing prints.
 * Used by nodes/image.c, nodes/png.c and engine/dump.c. */
#ifndef YSG_PNG_IO_H
#define YSG_PNG_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "paths.h"
#include "ysgraph.h"

/* Memory for decoded pixels and decode temporaries; alloc returns NULL on failure. */
typedef struct ysg_png_alloc {
  void *(*alloc)(void *ud, size_t bytes);
  void (*free)(void *ud, void *ptr);
  void *ud;
} ysg_png_alloc;

typedef enum ysg_png_format {
  YSG_PNG_F32, /* float (height, width, 4) */
  YSG_PNG_F16  /* uint16_t FP16 bits (height, width, 4) */
} ysg_png_format;

/* What a PNG may cost, checked on its header before anything is allocated for it: a side of at
 * most YSG_PNG_MAX_SIDE pixels (libpng's own default limit, also set as its user limit), at most
 * YSG_PNG_MAX_PIXELS pixels (16384 x 16384: 2 GiB as FP16 RGBA), and no more image data than the
 * file can hold compressed: deflate expands at most YSG_PNG_MAX_RATIO times, so a 69-byte file
 * cannot declare 32768 x 32768 pixels. Ancillary chunks libpng decompresses (iCCP, zTXt, …) may
 * take at most YSG_PNG_CHUNK_MAX bytes. */
#define YSG_PNG_MAX_SIDE 1000000
#define YSG_PNG_MAX_PIXELS (1LL << 28)
#define YSG_PNG_MAX_RATIO 1032
#define YSG_PNG_CHUNK_MAX (8u << 20)

/* Columns x .. x + w - 1 and rows y .. y + h - 1 of an image. */
typedef struct ysg_png_rect {
  int x, y, w, h;
} ysg_png_rect;

/* The header alone: the image's size, with the checks above. Errors as ysg__png_read. */
ysg_status ysg__png_info(const char *path, int *width, int *height, char *err, size_t errcap);

/* Decode any PNG (bit depth 1..16, gray/gray+alpha/palette/RGB/RGBA, tRNS, interlaced) into
 * linear-light premultiplied RGBA. *out is allocated with a (free it with a->free); it is not
 * zeroed first: the decoder writes every pixel. Status: YSG_ERR_IO when the file cannot be opened
 * or read (errno reason), YSG_ERR_DATA when it is not a valid PNG (libpng's reason, or the limits
 * above), YSG_ERR_NOMEM. err gets the bare reason ("No such file or directory", "IDAT: CRC
 * error"); callers add the path. */
ysg_status ysg__png_read(const char *path, const ysg_png_alloc *a, ysg_png_format fmt, void **out,
                         int *width, int *height, char *err, size_t errcap);
/* Only the part rect of the image (clamped to it; *rect is updated to what was decoded), so a
 * large picture shown on a small canvas costs its visible part: rows are decoded one at a time
 * into a row buffer and converted straight into *out ((rect.h, rect.w, 4) of fmt; NULL when the
 * part is empty), and rows below the part are not decoded at all (an interlaced file is the
 * exception: its passes need rect.h full rows). width/height get the image's size. */
ysg_status ysg__png_read_rect(const char *path, const ysg_png_alloc *a, ysg_png_format fmt,
                              ysg_png_rect *rect, void **out, int *width, int *height, char *err,
                              size_t errcap);

/* Decoding many images of one size (an image sequence) without allocating per image: the
 * decoder's buffers (a row, the sRGB lookup) are allocated once by _init for images of
 * width×height of which the part rect (NULL: all of it; clamped) is kept; an interlaced file
 * allocates rect.h rows once, at the first one. ysg__png_decode writes the linear premultiplied
 * pixels of that part into out ((rect.h, rect.w, 4) of fmt). A file of another size is
 * YSG_ERR_DATA with err "the image is WxH, expected WxH" and width, height set to its size;
 * other errors as ysg__png_read. libpng still allocates its own small read state for each file
 * (png_create_read_struct, zlib's inflate window). */
typedef struct ysg_png_decoder {
  ysg_png_alloc a;
  int width, height;
  ysg_png_rect rect;
  unsigned char *row;   /* (width * 8) one decoded row */
  unsigned char *ilace; /* (rect.h, width * 8) interlaced files: the kept rows, or NULL */
  float *lut;           /* (65536) 16-bit sRGB sample -> linear */
} ysg_png_decoder;

ysg_status ysg__png_decoder_init(ysg_png_decoder *d, const ysg_png_alloc *a, int width, int height,
                                 const ysg_png_rect *rect);
void ysg__png_decoder_free(ysg_png_decoder *d);
ysg_status ysg__png_decode(ysg_png_decoder *d, const char *path, ysg_png_format fmt, void *out,
                           int *width, int *height, char *err, size_t errcap);

/* Encode RGBA sRGB straight alpha to path atomically. bits 8: px rows of uint8_t; bits 16: rows of
 * host-order uint16_t. stride: bytes per row (0: packed). level: zlib level 0..9. On failure err
 * holds "cannot write 'PATH': reason", no temporary is left and an existing file is untouched. */
ysg_status ysg__png_write(const char *path, const void *px, int width, int height, size_t stride,
                          int bits, int level, char *err, size_t errcap);

/* ---- atomic files: write to ".NAME.tmp.PID.N" beside the target, then rename over it ----------
 */
typedef struct ysg_atomic_file {
  FILE *f;
  const char *path; /* final name (the caller's string, must outlive the write) */
  char tmp[4096];
} ysg_atomic_file;

/* Create the temporary. Error text: "cannot write 'PATH': reason". */
ysg_status ysg__atomic_open(ysg_atomic_file *af, const char *path, char *err, size_t errcap);
/* fflush, check, fclose, rename over the final name; on any failure the temporary is removed. */
ysg_status ysg__atomic_commit(ysg_atomic_file *af, char *err, size_t errcap);
/* Close and remove the temporary (after a failed write). */
void ysg__atomic_abort(ysg_atomic_file *af);

/* Thread-safe strerror into buf; returns buf. */
const char *ysg__strerror(int e, char *buf, size_t cap);

#endif /* YSG_PNG_IO_H */
