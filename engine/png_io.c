/* png_io.c — PNG decode into linear premultiplied RGBA and atomic PNG encode with libpng 1.6, plus
 * atomic files (temporary + rename). libpng reports
 * errors through our error function, which copies the message and longjmps out of a "guarded"
 * function that holds nothing but libpng calls; cleanup happens in its caller. */
#define _POSIX_C_SOURCE 200809L
#include "png_io.h"

#include <errno.h>
#include <fcntl.h>
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
  unsigned char *raw; /* (h, rowbytes) big-endian 16-bit RGB or RGBA */
  png_bytep *rows;
  int w, h, channels;
  int fixed_w, fixed_h; /* > 0: raw and rows are the caller's, for images of exactly this size */
} reader;

/* Only libpng calls and the allocations they need; a libpng error longjmps back here. */
static int read_guarded(reader *r) {
  if (setjmp(r->e.jb)) return -1;
  r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->e, on_error, on_warning);
  if (!r->png) return -1;
  r->info = png_create_info_struct(r->png);
  if (!r->info) return -1;
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
  png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);

  r->channels = png_get_channels(r->png, r->info);
  size_t rowbytes = png_get_rowbytes(r->png, r->info);
  if ((r->channels != 3 && r->channels != 4) || png_get_bit_depth(r->png, r->info) != 16 ||
      rowbytes != (size_t)w * (size_t)r->channels * 2) {
    snprintf(r->e.err, r->e.errcap, "unexpected pixel layout after conversion");
    r->e.status = YSG_ERR_DATA;
    return -1;
  }
  if (r->fixed_w <= 0) {
    r->raw = r->a->alloc(r->a->ud, rowbytes * h);
    r->rows = r->a->alloc(r->a->ud, sizeof(png_bytep) * h);
    if (!r->raw || !r->rows) {
      snprintf(r->e.err, r->e.errcap, "out of memory (%ux%u pixels)", (unsigned)w, (unsigned)h);
      r->e.status = YSG_ERR_NOMEM;
      return -1;
    }
  }
  for (png_uint_32 y = 0; y < h; y++) r->rows[y] = r->raw + (size_t)y * rowbytes;
  png_read_image(r->png, r->rows);
  png_read_end(r->png, NULL);
  return 0;
}

/* Open path and check the PNG signature ourselves: libpng's message for a non-PNG is cryptic. */
static ysg_status open_png(reader *r, const char *path) {
  r->e.f = fopen(path, "rb");
  if (!r->e.f) {
    ysg__strerror(errno, r->e.err, r->e.errcap);
    return YSG_ERR_IO;
  }
  unsigned char sig[8];
  size_t got = fread(sig, 1, 8, r->e.f);
  if (got != 8 || png_sig_cmp(sig, 0, 8) != 0) {
    ysg_status s = YSG_ERR_DATA;
    if (got != 8 && ferror(r->e.f)) {
      ysg__strerror(errno, r->e.err, r->e.errcap);
      s = YSG_ERR_IO;
    } else {
      snprintf(r->e.err, r->e.errcap, "not a PNG file");
    }
    fclose(r->e.f);
    r->e.f = NULL;
    return s;
  }
  return YSG_OK;
}

/* All PNGs are treated as sRGB: gAMA, cHRM and iCCP are ignored on purpose. Overlays are authored
 * in sRGB and the rare file with another profile is not worth a colour engine. */
static void fill_lut(float *lut) {
  for (int i = 0; i < 65536; i++) lut[i] = ysg_srgb_to_linear((float)i / 65535.0f);
}

/* r's decoded 16-bit samples -> linear premultiplied pixels in px */
static void to_linear(const reader *r, const float *lut, ysg_png_format fmt, void *px) {
  int ch = r->channels;
  for (int y = 0; y < r->h; y++) {
    const unsigned char *src = r->raw + (size_t)y * (size_t)r->w * (size_t)ch * 2;
    for (int x = 0; x < r->w; x++, src += ch * 2) {
      float a01 = ch == 4 ? (float)((src[6] << 8) | src[7]) / 65535.0f : 1.0f;
      float p[4] = {lut[(src[0] << 8) | src[1]] * a01, lut[(src[2] << 8) | src[3]] * a01,
                    lut[(src[4] << 8) | src[5]] * a01, a01};
      size_t o = ((size_t)y * (size_t)r->w + (size_t)x) * 4;
      if (fmt == YSG_PNG_F16)
        ysg_store_px((uint16_t *)px + o, p);
      else
        memcpy((float *)px + o, p, sizeof p);
    }
  }
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

ysg_status ysg__png_read(const char *path, const ysg_png_alloc *a, ysg_png_format fmt, void **out,
                         int *width, int *height, char *err, size_t errcap) {
  char dummy[1];
  reader r;
  reader_init(&r, a, &err, &errcap, dummy);
  *out = NULL;
  *width = *height = 0;
  ysg_status s = open_png(&r, path);
  if (s) return s;

  int rc = read_guarded(&r);
  float *lut = NULL;
  void *px = NULL;
  if (rc != 0) {
    s = r.e.status != YSG_OK ? r.e.status : YSG_ERR_NOMEM;
    if (!err[0]) snprintf(err, errcap, "out of memory");
  } else {
    size_t n = (size_t)r.w * (size_t)r.h;
    lut = a->alloc(a->ud, 65536 * sizeof(float));
    px = a->alloc(a->ud, n * 4 * (fmt == YSG_PNG_F16 ? sizeof(uint16_t) : sizeof(float)));
    if (!lut || !px) {
      snprintf(err, errcap, "out of memory (%dx%d pixels)", r.w, r.h);
      s = YSG_ERR_NOMEM;
    }
  }
  if (s == YSG_OK) {
    fill_lut(lut);
    to_linear(&r, lut, fmt, px);
    *out = px;
    *width = r.w;
    *height = r.h;
    px = NULL;
  }
  if (px) a->free(a->ud, px);
  if (lut) a->free(a->ud, lut);
  if (r.rows) a->free(a->ud, r.rows);
  if (r.raw) a->free(a->ud, r.raw);
  if (r.png) png_destroy_read_struct(&r.png, r.info ? &r.info : NULL, NULL);
  fclose(r.e.f);
  return s;
}

ysg_status ysg__png_decoder_init(ysg_png_decoder *d, const ysg_png_alloc *a, int width,
                                 int height) {
  memset(d, 0, sizeof *d);
  if (width <= 0 || height <= 0) return YSG_ERR_INVALID;
  d->a = *a;
  d->width = width;
  d->height = height;
  d->raw = a->alloc(a->ud, (size_t)width * (size_t)height * 8);
  d->rows = a->alloc(a->ud, sizeof(unsigned char *) * (size_t)height);
  d->lut = a->alloc(a->ud, 65536 * sizeof(float));
  if (!d->raw || !d->rows || !d->lut) {
    ysg__png_decoder_free(d);
    return YSG_ERR_NOMEM;
  }
  fill_lut(d->lut);
  return YSG_OK;
}

void ysg__png_decoder_free(ysg_png_decoder *d) {
  void *bufs[] = {d->raw, d->rows, d->lut};
  for (int i = 0; i < 3; i++)
    if (bufs[i]) d->a.free(d->a.ud, bufs[i]);
  d->raw = NULL;
  d->rows = NULL;
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
  r.raw = d->raw;
  r.rows = (png_bytep *)d->rows;
  ysg_status s = open_png(&r, path);
  if (s) return s;
  int rc = read_guarded(&r);
  *width = r.w;
  *height = r.h;
  if (rc != 0) {
    s = r.e.status != YSG_OK ? r.e.status : YSG_ERR_NOMEM;
    if (!err[0]) snprintf(err, errcap, "out of memory");
  } else {
    to_linear(&r, d->lut, fmt, out);
  }
  if (r.png) png_destroy_read_struct(&r.png, r.info ? &r.info : NULL, NULL);
  fclose(r.e.f);
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
