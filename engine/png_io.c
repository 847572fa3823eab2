/* png_io.c — PNG decode into linear premultiplied RGBA (bounded: the header is checked before
 * anything is allocated, and only the part of the picture asked for is kept, a row at a time) and
 * atomic PNG encode with libpng 1.6, plus atomic files (temporary + rename). libpng reports errors
 * through our error function, which copies the message and longjmps out of a "guarded" function;
 * everything it allocates is reachable from its state, and cleanup happens in its caller. */
#define _POSIX_C_SOURCE 200809L
#include "png_io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "color.h"

const char *ysg__strerror(int e, char *buf, size_t cap) {
  if (!cap) return buf;
  buf[0] = 0;
#if defined(_GNU_SOURCE)
  const char *s = strerror_r(e, buf, cap);
  if (s != buf) snprintf(buf, cap, "%s", s);
#else
  if (strerror_r(e, buf, cap) != 0) snprintf(buf, cap, "error %d", e);
#endif
  return buf;
}

/* ---- libpng error plumbing ------------------------------------------------------------------ */
typedef struct pngctx {
  jmp_buf jb;
  char *err;
  size_t errcap;
  ysg_status status; /* set before png_error() when the reason is ours (I/O), not libpng's */
  FILE *f;
} pngctx;

static void on_error(png_structp png, png_const_charp msg) {
  pngctx *c = png_get_error_ptr(png);
  if (c->status == YSG_OK) {
    c->status = YSG_ERR_DATA;
    snprintf(c->err, c->errcap, "%s", msg);
  }
  longjmp(c->jb, 1);
}

/* Warnings (e.g. an ancillary chunk with a bad CRC, which libpng then skips) do not stop the
 * decode; keep the first one so a later failure without its own text still explains itself. */
static void on_warning(png_structp png, png_const_charp msg) {
  pngctx *c = png_get_error_ptr(png);
  if (c->errcap && !c->err[0]) snprintf(c->err, c->errcap, "%s", msg);
}

static void io_fail(png_structp png, pngctx *c, int e, const char *what) {
  char buf[128];
  c->status = YSG_ERR_IO;
  snprintf(c->err, c->errcap, "%s", e ? ysg__strerror(e, buf, sizeof buf) : what);
  png_error(png, c->err);
}

static void read_fn(png_structp png, png_bytep data, size_t len) {
  pngctx *c = png_get_io_ptr(png);
  if (fread(data, 1, len, c->f) == len) return;
  if (ferror(c->f)) io_fail(png, c, errno, "read error");
  c->status = YSG_ERR_DATA;
  snprintf(c->err, c->errcap, "the file is truncated");
  png_error(png, c->err);
}

static void write_fn(png_structp png, png_bytep data, size_t len) {
  pngctx *c = png_get_io_ptr(png);
  if (fwrite(data, 1, len, c->f) != len) io_fail(png, c, errno, "write error");
}

static void flush_fn(png_structp png) {
  pngctx *c = png_get_io_ptr(png);
  if (fflush(c->f) != 0) io_fail(png, c, errno, "write error");
}

/* ---- decode ---------------------------------------------------------------------------------- */
typedef struct reader {
  pngctx e;
  png_structp png;
  png_infop info;
  const ysg_png_alloc *a;
  int w, h, channels;
  int fixed_w, fixed_h; /* > 0: the image must be exactly this size (sequences) */
  ysg_png_rect rect;    /* the part converted into out (clamped to the image by read_guarded) */
  ysg_png_format fmt;
  void *out;            /* (rect.h, rect.w, 4) of fmt */
  const float *lut;     /* (65536) 16-bit sRGB sample -> linear */
  unsigned char *row;   /* (w * 8) one row; the decoder's or allocated here (own_row) */
  unsigned char *ilace; /* interlaced: (rect.h, w * 8); the decoder's or allocated (own_ilace) */
  unsigned char **ilace_slot; /* where an interlace buffer allocated here is handed back */
  int own_row, own_ilace;
} reader;

/* One decoded row (16-bit big-endian R'G'B'(A)) -> row oy of out, columns rect.x .. +rect.w. */
static void convert_row(const reader *r, int oy, const unsigned char *row) {
  const int ch = r->channels;
  const float *lut = r->lut;
  const unsigned char *src = row + (size_t)r->rect.x * (size_t)ch * 2;
  const size_t o0 = (size_t)oy * (size_t)r->rect.w * 4;
  for (int x = 0; x < r->rect.w; x++, src += ch * 2) {
    float a01 = ch == 4 ? (float)((src[6] << 8) | src[7]) / 65535.0f : 1.0f;
    float p[4] = {lut[(src[0] << 8) | src[1]] * a01, lut[(src[2] << 8) | src[3]] * a01,
                  lut[(src[4] << 8) | src[5]] * a01, a01};
    size_t o = o0 + (size_t)x * 4;
    if (r->fmt == YSG_PNG_F16)
      ysg_store_px((uint16_t *)r->out + o, p);
    else
      memcpy((float *)r->out + o, p, sizeof p);
  }
}

static void *reader_alloc(reader *r, size_t bytes, const char *what) {
  void *p = r->a->alloc(r->a->ud, bytes);
  if (!p) {
    snprintf(r->e.err, r->e.errcap, "out of memory (%s: %zu bytes)", what, bytes);
    r->e.status = YSG_ERR_NOMEM;
  }
  return p;
}

/* libpng calls and the row loop; a libpng error longjmps back here, and everything allocated is
 * reachable from r for the caller to release. */
static int read_guarded(reader *r) {
  if (setjmp(r->e.jb)) return -1;
  r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->e, on_error, on_warning);
  if (!r->png) return -1;
  r->info = png_create_info_struct(r->png);
  if (!r->info) return -1;
  png_set_user_limits(r->png, YSG_PNG_MAX_SIDE, YSG_PNG_MAX_SIDE);
  png_set_chunk_malloc_max(r->png, YSG_PNG_CHUNK_MAX);
  png_set_read_fn(r->png, &r->e, read_fn);
  png_set_sig_bytes(r->png, 8);
  png_read_info(r->png, r->info);

  png_uint_32 w, h;
  int depth, ctype, ilace;
  png_get_IHDR(r->png, r->info, &w, &h, &depth, &ctype, &ilace, NULL, NULL);
  r->w = (int)w;
  r->h = (int)h;
  if (r->fixed_w > 0 && (w != (png_uint_32)r->fixed_w || h != (png_uint_32)r->fixed_h)) {
    snprintf(r->e.err, r->e.errcap, "the image is %ux%u, expected %dx%d", (unsigned)w, (unsigned)h,
             r->fixed_w, r->fixed_h);
    r->e.status = YSG_ERR_DATA;
    return -1;
  }
  /* One layout for every input: 16-bit RGB(A). 8-bit samples v become v*257, so v/255 and
   * (v*257)/65535 are the same number and 8-bit files lose nothing. */
  if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
  if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
  if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(r->png);
  png_set_expand_16(r->png);
  const int passes = png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);

  r->channels = png_get_channels(r->png, r->info);
  const size_t rowbytes = png_get_rowbytes(r->png, r->info);
  if ((r->channels != 3 && r->channels != 4) || png_get_bit_depth(r->png, r->info) != 16 ||
      rowbytes != (size_t)w * (size_t)r->channels * 2) {
    snprintf(r->e.err, r->e.errcap, "unexpected pixel layout after conversion");
    r->e.status = YSG_ERR_DATA;
    return -1;
  }
  const ysg_png_rect q = r->rect; /* clamped by the caller to the header's size */
  if (q.w <= 0 || q.h <= 0) return 0;
  if (q.x + q.w > (int)w || q.y + q.h > (int)h) {
    snprintf(r->e.err, r->e.errcap, "the image changed while it was read");
    r->e.status = YSG_ERR_IO;
    return -1;
  }
  if (!r->row) {
    r->row = reader_alloc(r, (size_t)w * 8, "a row");
    if (!r->row) return -1;
    r->own_row = 1;
  }
  if (passes <= 1) {
    /* rows above the part are decoded (each needs the one before) but not kept; rows below it
     * are never decoded */
    for (int y = 0; y < q.y + q.h; y++) {
      png_read_row(r->png, r->row, NULL);
      if (y >= q.y) convert_row(r, y - q.y, r->row);
    }
    if (q.y + q.h == (int)h) png_read_end(r->png, NULL);
    return 0;
  }
  /* Adam7: every pass goes over every row, so the part's rows are kept until the last pass
   * (libpng fills in each pass's pixels); rows outside it share one scratch row. */
  if (!r->ilace) {
    r->ilace = reader_alloc(r, (size_t)q.h * (size_t)w * 8, "interlaced rows");
    if (!r->ilace) return -1;
    r->own_ilace = 1;
  }
  for (int pass = 0; pass < passes; pass++)
    for (int y = 0; y < (int)h; y++)
      png_read_row(r->png,
                   y >= q.y && y < q.y + q.h ? r->ilace + (size_t)(y - q.y) * rowbytes : r->row,
                   NULL);
  for (int y = 0; y < q.h; y++) convert_row(r, y, r->ilace + (size_t)y * rowbytes);
  png_read_end(r->png, NULL);
  return 0;
}

static uint32_t be32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Bytes of filtered image data (before deflate) a header declares, interlacing aside (Adam7's
 * passes only add filter bytes): a lower bound on what the IDAT chunks must inflate to. */
static double declared_bytes(uint32_t w, uint32_t h, int depth, int ctype) {
  int channels = ctype == 2 ? 3 : ctype == 4 ? 2 : ctype == 6 ? 4 : 1;
  double bits = (double)w * channels * depth;
  return (double)h * (ceil(bits / 8.0) + 1.0);
}

/* The IHDR's size against the limits (png_io.h) before libpng allocates anything for it. A header
 * that is not there or not valid is left to libpng, whose message is the better one. */
static ysg_status check_header(reader *r, long long file_bytes) {
  unsigned char b[8 + 13];
  size_t got = fread(b, 1, sizeof b, r->e.f);
  if (got != sizeof b || be32(b) != 13 || memcmp(b + 4, "IHDR", 4) != 0) return YSG_OK;
  const uint32_t w = be32(b + 8), h = be32(b + 12);
  const int depth = b[16], ctype = b[17];
  if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu) return YSG_OK;
  const double data = declared_bytes(w, h, depth, ctype);
  if (data > (double)YSG_PNG_MAX_RATIO * (double)file_bytes + 1024.0) {
    snprintf(r->e.err, r->e.errcap,
             "the header declares %ux%u pixels (%.0f bytes of image data), more than a "
             "%lld-byte file can hold (it is damaged, or made to exhaust memory)",
             (unsigned)w, (unsigned)h, data, file_bytes);
    return YSG_ERR_DATA;
  }
  if (w > YSG_PNG_MAX_SIDE || h > YSG_PNG_MAX_SIDE ||
      (long long)w * (long long)h > YSG_PNG_MAX_PIXELS) {
    snprintf(r->e.err, r->e.errcap,
             "the image is %ux%u pixels, more than ysgraph decodes (at most %lld pixels, %d on a "
             "side)",
             (unsigned)w, (unsigned)h, (long long)YSG_PNG_MAX_PIXELS, YSG_PNG_MAX_SIDE);
    return YSG_ERR_DATA;
  }
  r->w = (int)w;
  r->h = (int)h;
  return YSG_OK;
}

/* Open path, check the PNG signature ourselves (libpng's message for a non-PNG is cryptic) and
 * the header's size; leaves the file just past the signature, as libpng expects. */
static ysg_status open_png(reader *r, const char *path) {
  r->e.f = fopen(path, "rb");
  if (!r->e.f) {
    ysg__strerror(errno, r->e.err, r->e.errcap);
    return YSG_ERR_IO;
  }
  unsigned char sig[8];
  size_t got = fread(sig, 1, 8, r->e.f);
  ysg_status s = YSG_OK;
  if (got != 8 || png_sig_cmp(sig, 0, 8) != 0) {
    s = YSG_ERR_DATA;
    if (got != 8 && ferror(r->e.f)) {
      ysg__strerror(errno, r->e.err, r->e.errcap);
      s = YSG_ERR_IO;
    } else {
      snprintf(r->e.err, r->e.errcap, "not a PNG file");
    }
  }
  struct stat st;
  if (!s && fstat(fileno(r->e.f), &st) == 0) s = check_header(r, (long long)st.st_size);
  if (!s && fseek(r->e.f, 8, SEEK_SET) != 0) {
    ysg__strerror(errno, r->e.err, r->e.errcap);
    s = YSG_ERR_IO;
  }
  if (s) {
    fclose(r->e.f);
    r->e.f = NULL;
  }
  return s;
}

/* All PNGs are treated as sRGB: gAMA, cHRM and iCCP are ignored on purpose. Overlays are authored
 * in sRGB and the rare file with another profile is not worth a colour engine. */
static void fill_lut(float *lut) {
  for (int i = 0; i < 65536; i++) lut[i] = ysg_srgb_to_linear((float)i / 65535.0f);
}

static void reader_init(reader *r, const ysg_png_alloc *a, char **err, size_t *errcap,
                        char *dummy) {
  if (!*err || !*errcap) *err = dummy, *errcap = 1;
  (*err)[0] = 0;
  memset(r, 0, sizeof *r);
  r->e.err = *err;
  r->e.errcap = *errcap;
  r->a = a;
}

/* clamp rect to the image */
static ysg_png_rect clamp_rect(ysg_png_rect q, int w, int h) {
  int x0 = q.x < 0 ? 0 : q.x, y0 = q.y < 0 ? 0 : q.y;
  long long x1 = (long long)q.x + q.w, y1 = (long long)q.y + q.h;
  if (x1 > w) x1 = w;
  if (y1 > h) y1 = h;
  ysg_png_rect c = {x0, y0, x1 > x0 ? (int)(x1 - x0) : 0, y1 > y0 ? (int)(y1 - y0) : 0};
  return c;
}

/* Finish a read: the status, a default reason, libpng's state and the file. */
static ysg_status reader_end(reader *r, int rc) {
  ysg_status s = YSG_OK;
  if (rc != 0) {
    s = r->e.status != YSG_OK ? r->e.status : YSG_ERR_NOMEM;
    if (!r->e.err[0]) snprintf(r->e.err, r->e.errcap, "out of memory");
  }
  if (r->own_row && r->row) r->a->free(r->a->ud, r->row);
  if (r->own_ilace && r->ilace) {
    if (r->ilace_slot)
      *r->ilace_slot = r->ilace; /* the decoder keeps it for the next interlaced file */
    else
      r->a->free(r->a->ud, r->ilace);
  }
  if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
  if (r->e.f) fclose(r->e.f);
  r->e.f = NULL;
  return s;
}

ysg_status ysg__png_info(const char *path, int *width, int *height, char *err, size_t errcap) {
  char dummy[1];
  reader r;
  static const ysg_png_alloc none = {NULL, NULL, NULL};
  reader_init(&r, &none, &err, &errcap, dummy);
  *width = *height = 0;
  ysg_status s = open_png(&r, path);
  if (s) return s;
  r.rect.w = r.rect.h = 0; /* read the header only */
  s = reader_end(&r, read_guarded(&r));
  if (s == YSG_OK) *width = r.w, *height = r.h;
  return s;
}

ysg_status ysg__png_read_rect(const char *path, const ysg_png_alloc *a, ysg_png_format fmt,
                              ysg_png_rect *rect, void **out, int *width, int *height, char *err,
                              size_t errcap) {
  char dummy[1];
  reader r;
  reader_init(&r, a, &err, &errcap, dummy);
  *out = NULL;
  *width = *height = 0;
  ysg_status s = open_png(&r, path);
  if (s) return s;
  ysg_png_rect whole = {0, 0, r.w, r.h};
  r.rect = clamp_rect(rect ? *rect : whole, r.w, r.h);
  r.fmt = fmt;
  float *lut = NULL;
  if (r.rect.w > 0 && r.rect.h > 0) {
    lut = reader_alloc(&r, 65536 * sizeof(float), "the sRGB table");
    size_t px = (size_t)r.rect.w * (size_t)r.rect.h * 4;
    r.out = lut ? reader_alloc(&r, px * (fmt == YSG_PNG_F16 ? 2 : 4), "the picture") : NULL;
    if (!r.out) {
      if (lut) a->free(a->ud, lut);
      return reader_end(&r, -1);
    }
    fill_lut(lut);
    r.lut = lut;
  }
  s = reader_end(&r, read_guarded(&r));
  if (lut) a->free(a->ud, lut);
  if (s) {
    if (r.out) a->free(a->ud, r.out);
    return s;
  }
  *out = r.out;
  *width = r.w;
  *height = r.h;
  if (rect) *rect = r.rect;
  return YSG_OK;
}

ysg_status ysg__png_read(const char *path, const ysg_png_alloc *a, ysg_png_format fmt, void **out,
                         int *width, int *height, char *err, size_t errcap) {
  return ysg__png_read_rect(path, a, fmt, NULL, out, width, height, err, errcap);
}

ysg_status ysg__png_decoder_init(ysg_png_decoder *d, const ysg_png_alloc *a, int width, int height,
                                 const ysg_png_rect *rect) {
  memset(d, 0, sizeof *d);
  if (width <= 0 || height <= 0) return YSG_ERR_INVALID;
  d->a = *a;
  d->width = width;
  d->height = height;
  ysg_png_rect whole = {0, 0, width, height};
  d->rect = clamp_rect(rect ? *rect : whole, width, height);
  d->row = a->alloc(a->ud, (size_t)width * 8);
  d->lut = a->alloc(a->ud, 65536 * sizeof(float));
  if (!d->row || !d->lut) {
    ysg__png_decoder_free(d);
    return YSG_ERR_NOMEM;
  }
  fill_lut(d->lut);
  return YSG_OK;
}

void ysg__png_decoder_free(ysg_png_decoder *d) {
  void *bufs[] = {d->row, d->ilace, d->lut};
  for (int i = 0; i < 3; i++)
    if (bufs[i]) d->a.free(d->a.ud, bufs[i]);
  d->row = d->ilace = NULL;
  d->lut = NULL;
}

ysg_status ysg__png_decode(ysg_png_decoder *d, const char *path, ysg_png_format fmt, void *out,
                           int *width, int *height, char *err, size_t errcap) {
  char dummy[1];
  reader r;
  reader_init(&r, &d->a, &err, &errcap, dummy);
  *width = *height = 0;
  r.fixed_w = d->width;
  r.fixed_h = d->height;
  r.rect = d->rect;
  r.fmt = fmt;
  r.out = out;
  r.lut = d->lut;
  r.row = d->row;
  r.ilace = d->ilace;
  r.ilace_slot = &d->ilace;
  ysg_status s = open_png(&r, path);
  if (s) {
    *width = r.w, *height = r.h;
    return s;
  }
  s = reader_end(&r, read_guarded(&r));
  *width = r.w;
  *height = r.h;
  return s;
}

/* ---- encode ---------------------------------------------------------------------------------- */
typedef struct writer {
  pngctx e;
  png_structp png;
  png_infop info;
  const unsigned char *px;
  size_t stride;
  int w, h, bits, level;
} writer;

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static int write_guarded(writer *w) {
  if (setjmp(w->e.jb)) return -1;
  w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w->e, on_error, on_warning);
  if (!w->png) return -1;
  w->info = png_create_info_struct(w->png);
  if (!w->info) return -1;
  png_set_write_fn(w->png, &w->e, write_fn, flush_fn);
  /* Speed over size: frames are written every frame; SUB is the cheapest useful filter. */
  png_set_compression_level(w->png, w->level);
  png_set_filter(w->png, PNG_FILTER_TYPE_BASE, w->level == 0 ? PNG_FILTER_NONE : PNG_FILTER_SUB);
  png_set_IHDR(w->png, w->info, (png_uint_32)w->w, (png_uint_32)w->h, w->bits,
               PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  png_set_sRGB(w->png, w->info, PNG_sRGB_INTENT_PERCEPTUAL);
  png_write_info(w->png, w->info);
  if (w->bits == 16 && host_is_little_endian()) png_set_swap(w->png);
  for (int y = 0; y < w->h; y++) png_write_row(w->png, w->px + (size_t)y * w->stride);
  png_write_end(w->png, w->info);
  return 0;
}

ysg_status ysg__png_write(const char *path, const void *px, int width, int height, size_t stride,
                          int bits, int level, char *err, size_t errcap) {
  char dummy[1];
  if (!err || !errcap) err = dummy, errcap = sizeof dummy;
  err[0] = 0;
  if (width <= 0 || height <= 0 || (bits != 8 && bits != 16) || level < 0 || level > 9) {
    snprintf(err, errcap, "cannot write '%s': invalid image (%dx%d, %d bits, level %d)", path,
             width, height, bits, level);
    return YSG_ERR_INVALID;
  }
  ysg_atomic_file af;
  ysg_status s = ysg__atomic_open(&af, path, err, errcap);
  if (s) return s;
  writer w;
  memset(&w, 0, sizeof w);
  char reason[256] = "";
  w.e.err = reason;
  w.e.errcap = sizeof reason;
  w.e.f = af.f;
  w.px = px;
  w.w = width;
  w.h = height;
  w.bits = bits;
  w.level = level;
  w.stride = stride ? stride : (size_t)width * 4 * (size_t)(bits / 8);
  int rc = write_guarded(&w);
  if (w.png) png_destroy_write_struct(&w.png, w.info ? &w.info : NULL);
  if (rc != 0) {
    ysg__atomic_abort(&af);
    s = w.e.status != YSG_OK ? w.e.status : YSG_ERR_NOMEM;
    snprintf(err, errcap, "cannot write '%s': %s", path, reason[0] ? reason : "out of memory");
    return s;
  }
  return ysg__atomic_commit(&af, err, errcap);
}

/* ---- atomic files ---------------------------------------------------------------------------- */
static ysg_status write_err(const char *path, int e, char *err, size_t errcap) {
  char buf[128];
  snprintf(err, errcap, "cannot write '%s': %s", path, ysg__strerror(e, buf, sizeof buf));
  return YSG_ERR_IO;
}

ysg_status ysg__atomic_open(ysg_atomic_file *af, const char *path, char *err, size_t errcap) {
  af->f = NULL;
  af->path = path;
  af->tmp[0] = 0;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  int dirlen = (int)(base - path);
  if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    snprintf(err, errcap, "cannot write '%s': not a file name", path);
    return YSG_ERR_INVALID;
  }
  /* O_EXCL makes the name ours even with several writers (threads, processes) in one directory;
   * a stale temporary from a crashed run just moves us to the next N. */
  for (int n = 0; n < 1000; n++) {
    int len = snprintf(af->tmp, sizeof af->tmp, "%.*s.%s.tmp.%ld.%d", dirlen, path, base,
                       (long)getpid(), n);
    if (len < 0 || (size_t)len >= sizeof af->tmp) return write_err(path, ENAMETOOLONG, err, errcap);
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      int e = errno;
      af->tmp[0] = 0;
      return write_err(path, e, err, errcap);
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
      int e = errno;
      close(fd);
      unlink(af->tmp);
      af->tmp[0] = 0;
      return write_err(path, e, err, errcap);
    }
    return YSG_OK;
  }
  af->tmp[0] = 0;
  return write_err(path, EEXIST, err, errcap);
}

ysg_status ysg__atomic_commit(ysg_atomic_file *af, char *err, size_t errcap) {
  int e = 0;
  if (fflush(af->f) != 0) e = errno ? errno : EIO;
  if (!e && ferror(af->f)) e = EIO;
  if (fclose(af->f) != 0 && !e) e = errno ? errno : EIO;
  af->f = NULL;
  if (!e && rename(af->tmp, af->path) != 0) e = errno;
  if (e) {
    unlink(af->tmp);
    af->tmp[0] = 0;
    return write_err(af->path, e, err, errcap);
  }
  af->tmp[0] = 0;
  return YSG_OK;
}

void ysg__atomic_abort(ysg_atomic_file *af) {
  if (af->f) fclose(af->f);
  af->f = NULL;
  if (af->tmp[0]) unlink(af->tmp);
  af->tmp[0] = 0;
}
