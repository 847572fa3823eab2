/* png_fast.c — the `png` sink's encoder (png_fast.h): the PNG container written directly
 * (signature, IHDR, sRGB, IDAT..., IEND), rows filtered here, and the zlib stream made either by
 * bands in parallel (deflate_rle.c, each band framed as its own IDAT chunk with its CRC computed
 * by the band's thread) or by libdeflate / libpng on the whole frame. The zlib stream of the band
 * path: header 78 01, the bands' DEFLATE pieces (each ending byte-aligned, the last with BFINAL),
 * and the Adler-32 of all filtered bytes, combined from the bands' (zlib's adler32_combine). */
#define _POSIX_C_SOURCE 200809L
#include "png_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef YSG_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "deflate_rle.h"

#define BAND_BYTES (1u << 20) /* filtered bytes per band: ~1 MiB keeps a band's tokens in L2 */
#define IDAT_MAX (1u << 30)   /* largest IDAT chunk written */

struct ysg_png_encoder {
  ysg_png_alloc a;
  int threads;
  /* sized for the current frame shape */
  int w, h, bits, band_rows, bands;
  size_t rowbytes;      /* w * 4 * bits / 8, without the filter byte */
  size_t band_cap;      /* output bytes reserved per band: chunk framing + deflate bound */
  uint8_t *out;         /* (bands, band_cap): each band's IDAT chunk */
  size_t *out_len;      /* (bands) */
  uint32_t *adler;      /* (bands) Adler-32 of each band's filtered bytes */
  uint8_t **scratch;    /* (threads) a band's filtered rows, then its tokens */
  size_t scratch_bytes; /* each */
  /* whole-frame path (levels 3..9 with libdeflate) */
  uint8_t *filtered; /* (h, rowbytes + 1) */
  uint8_t *zbuf;
  size_t zcap;
#ifdef YSG_HAVE_LIBDEFLATE
  struct libdeflate_compressor *ld;
  int ld_level;
#endif
};

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
  if (!n) return crc; /* zlib's crc32 (and libdeflate's) answer 0 for a NULL buffer */
#ifdef YSG_HAVE_LIBDEFLATE
  return libdeflate_crc32(crc, p, n);
#else
  while (n > 0) { /* zlib takes uInt lengths */
    uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = (uint32_t)crc32(crc, p, k);
    p += k, n -= k;
  }
  return crc;
#endif
}

static uint32_t adler_update(uint32_t adler, const uint8_t *p, size_t n) {
#ifdef YSG_HAVE_LIBDEFLATE
  return libdeflate_adler32(adler, p, n);
#else
  while (n > 0) {
    uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
    adler = (uint32_t)adler32(adler, p, k);
    p += k, n -= k;
  }
  return adler;
#endif
}

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

const char *ysg__png_level_name(int level) {
  static const char *const names[10] = {
#ifdef YSG_HAVE_LIBDEFLATE
      "stored",
      "fast deflate",
      "fast deflate",
      "libdeflate level 3",
      "libdeflate level 4",
      "libdeflate level 5",
      "libdeflate level 6",
      "libdeflate level 7",
      "libdeflate level 8",
      "libdeflate level 9"
#else
      "stored",       "fast deflate", "fast deflate", "zlib level 3",
      "zlib level 4", "zlib level 5", "zlib level 6", "zlib level 7",
      "zlib level 8", "zlib level 9"
#endif
  };
  return level >= 0 && level <= 9 ? names[level] : "invalid level";
}

/* ---- buffers --------------------------------------------------------------------------------- */
static void free_shape(ysg_png_encoder *e) {
  void *bufs[] = {e->out, e->out_len, e->adler, e->filtered, e->zbuf};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    if (bufs[i]) e->a.free(e->a.ud, bufs[i]);
  if (e->scratch) {
    for (int t = 0; t < e->threads; t++)
      if (e->scratch[t]) e->a.free(e->a.ud, e->scratch[t]);
    e->a.free(e->a.ud, e->scratch);
  }
  e->out = e->filtered = e->zbuf = NULL;
  e->out_len = NULL;
  e->adler = NULL;
  e->scratch = NULL;
  e->w = e->h = e->bits = 0;
  e->zcap = 0;
}

ysg_status ysg__png_encoder_create(const ysg_png_alloc *a, int threads, ysg_png_encoder **out) {
  *out = NULL;
  ysg_png_encoder *e = a->alloc(a->ud, sizeof *e);
  if (!e) return YSG_ERR_NOMEM;
  memset(e, 0, sizeof *e);
  e->a = *a;
  e->threads = threads < 1 ? 1 : threads;
  *out = e;
  return YSG_OK;
}

void ysg__png_encoder_destroy(ysg_png_encoder *e) {
  if (!e) return;
  free_shape(e);
#ifdef YSG_HAVE_LIBDEFLATE
  if (e->ld) libdeflate_free_compressor(e->ld);
#endif
  e->a.free(e->a.ud, e);
}

static ysg_status reserve_bands(ysg_png_encoder *e, int w, int h, int bits) {
  if (e->w == w && e->h == h && e->bits == bits && e->out) return YSG_OK;
  free_shape(e);
  e->w = w, e->h = h, e->bits = bits;
  e->rowbytes = (size_t)w * 4 * (size_t)(bits / 8);
  size_t row = e->rowbytes + 1;
  e->band_rows = row >= BAND_BYTES ? 1 : (int)(BAND_BYTES / row);
  if (e->band_rows > h) e->band_rows = h;
  e->bands = (h + e->band_rows - 1) / e->band_rows;
  size_t band = row * (size_t)e->band_rows;
  /* IDAT framing (12) + zlib header (2) + the deflate bound; the Adler-32 goes in its own chunk */
  e->band_cap = (ysg__deflate_rle_bound(band) + 14 + 15) & ~(size_t)15;
  e->scratch_bytes = band * 3 + 64; /* filtered bytes, then uint16_t tokens (aligned) */
  e->out = e->a.alloc(e->a.ud, e->band_cap * (size_t)e->bands);
  e->out_len = e->a.alloc(e->a.ud, sizeof(size_t) * (size_t)e->bands);
  e->adler = e->a.alloc(e->a.ud, sizeof(uint32_t) * (size_t)e->bands);
  e->scratch = e->a.alloc(e->a.ud, sizeof(uint8_t *) * (size_t)e->threads);
  if (e->scratch) memset(e->scratch, 0, sizeof(uint8_t *) * (size_t)e->threads);
  int ok = e->out && e->out_len && e->adler && e->scratch;
  for (int t = 0; ok && t < e->threads; t++)
    ok = (e->scratch[t] = e->a.alloc(e->a.ud, e->scratch_bytes)) != NULL;
  if (!ok) {
    free_shape(e);
    return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}

static ysg_status reserve_whole(ysg_png_encoder *e, int level) {
  (void)level;
#ifdef YSG_HAVE_LIBDEFLATE
  if (!e->ld || e->ld_level != level) {
    if (e->ld) libdeflate_free_compressor(e->ld);
    e->ld = libdeflate_alloc_compressor(level);
    e->ld_level = level;
    if (!e->ld) return YSG_ERR_NOMEM;
  }
  size_t n = (e->rowbytes + 1) * (size_t)e->h;
  size_t cap = libdeflate_zlib_compress_bound(e->ld, n);
  if (!e->filtered) e->filtered = e->a.alloc(e->a.ud, n);
  if (e->zcap < cap) {
    if (e->zbuf) e->a.free(e->a.ud, e->zbuf);
    e->zbuf = e->a.alloc(e->a.ud, cap);
    e->zcap = e->zbuf ? cap : 0;
  }
  if (!e->filtered || !e->zbuf) return YSG_ERR_NOMEM;
#endif
  return YSG_OK;
}

ysg_status ysg__png_encoder_reserve(ysg_png_encoder *e, int width, int height, int bits,
                                    int level) {
  if (width <= 0 || height <= 0 || (bits != 8 && bits != 16) || level < 0 || level > 9)
    return YSG_ERR_INVALID;
  ysg_status s = reserve_bands(e, width, height, bits);
  if (!s && level >= 3) s = reserve_whole(e, level);
  return s;
}

/* ---- filters --------------------------------------------------------------------------------- */
/* One row: the filter byte, then Sub (level > 0) or None of the big-endian samples. */
static void filter_row(const uint8_t *src, int bits, size_t rowbytes, int none, uint8_t *dst) {
  uint8_t *restrict d = dst + 1;
  if (bits == 8) {
    const uint8_t *restrict s = src;
    dst[0] = none ? 0 : 1;
    if (none) {
      memcpy(d, s, rowbytes);
      return;
    }
    for (size_t i = 0; i < 4; i++) d[i] = s[i];
    for (size_t i = 4; i < rowbytes; i++) d[i] = (uint8_t)(s[i] - s[i - 4]);
    return;
  }
  size_t n = rowbytes / 2;
  uint16_t v[4] = {0, 0, 0, 0};
  dst[0] = none ? 0 : 1;
  for (size_t i = 0; i < n; i++) { /* big-endian samples; Sub over 8-byte pixels */
    uint16_t x;
    memcpy(&x, src + 2 * i, 2);
    uint16_t p = none ? 0 : v[i & 3];
    d[2 * i] = (uint8_t)((x >> 8) - (p >> 8));
    d[2 * i + 1] = (uint8_t)((x & 0xff) - (p & 0xff));
    v[i & 3] = x;
  }
}

/* ---- the band path --------------------------------------------------------------------------- */
typedef struct band_job {
  ysg_png_encoder *e;
  const uint8_t *px;
  size_t stride;
  int stored;
} band_job;

/* the last filtered byte of the row before `y`: a run at the start of this band may continue it
 * (the decoder has it from the band before); -1 at the top, and for stored bands (no matches) */
static int byte_before(const band_job *j, int y) {
  if (y == 0 || j->stored) return -1;
  const ysg_png_encoder *e = j->e;
  const uint8_t *row = j->px + (size_t)(y - 1) * j->stride;
  if (e->bits == 8) {
    size_t i = e->rowbytes - 1;
    return i >= 4 ? (uint8_t)(row[i] - row[i - 4]) : row[i];
  }
  size_t k = e->rowbytes / 2 - 1; /* the last sample; its low byte is the row's last byte */
  uint16_t x, p = 0;
  memcpy(&x, row + 2 * k, 2);
  if (k >= 4) memcpy(&p, row + 2 * (k - 4), 2);
  return (uint8_t)((x & 0xff) - (p & 0xff));
}

static void encode_band(const band_job *j, int b, uint8_t *scratch) {
  ysg_png_encoder *e = j->e;
  const int y0 = b * e->band_rows, y1 = y0 + e->band_rows < e->h ? y0 + e->band_rows : e->h;
  const size_t row = e->rowbytes + 1, n = row * (size_t)(y1 - y0);
  uint8_t *filtered = scratch;
  uint16_t *tokens = (uint16_t *)(scratch + ((n + 15) & ~(size_t)15));
  for (int y = y0; y < y1; y++)
    filter_row(j->px + (size_t)y * j->stride, e->bits, e->rowbytes, j->stored,
               filtered + (size_t)(y - y0) * row);
  e->adler[b] = adler_update(1, filtered, n);
  uint8_t *chunk = e->out + (size_t)b * e->band_cap, *data = chunk + 8;
  size_t len = 0;
  if (b == 0) data[len++] = 0x78, data[len++] = 0x01; /* zlib: deflate, 32 KiB window, fastest */
  len += ysg__deflate_rle(filtered, n, byte_before(j, y0), b == e->bands - 1, j->stored, tokens,
                          data + len);
  be32(chunk, (uint32_t)len);
  memcpy(chunk + 4, "IDAT", 4);
  be32(data + len, crc_update(crc_update(0, chunk + 4, 4), data, len));
  e->out_len[b] = len + 12;
}

static void encode_bands(ysg_png_encoder *e, const uint8_t *px, size_t stride, int stored) {
  band_job j = {e, px, stride, stored};
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(e->threads)
  for (int b = 0; b < e->bands; b++) encode_band(&j, b, e->scratch[omp_get_thread_num()]);
#else
  for (int b = 0; b < e->bands; b++) encode_band(&j, b, e->scratch[0]);
#endif
}

/* ---- the file -------------------------------------------------------------------------------- */
static int put_chunk(FILE *f, const char *type, const uint8_t *data, size_t len) {
  uint8_t head[8], tail[4];
  be32(head, (uint32_t)len);
  memcpy(head + 4, type, 4);
  be32(tail, crc_update(crc_update(0, head + 4, 4), data, len));
  return fwrite(head, 1, 8, f) == 8 && (len == 0 || fwrite(data, 1, len, f) == len) &&
         fwrite(tail, 1, 4, f) == 4;
}

static int put_header(FILE *f, int w, int h, int bits) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t ihdr[13];
  be32(ihdr, (uint32_t)w);
  be32(ihdr + 4, (uint32_t)h);
  ihdr[8] = (uint8_t)bits;
  ihdr[9] = 6;                        /* RGBA */
  ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filters, not interlaced */
  const uint8_t srgb = 0;             /* perceptual rendering intent, as libpng writes it */
  return fwrite(sig, 1, 8, f) == 8 && put_chunk(f, "IHDR", ihdr, 13) &&
         put_chunk(f, "sRGB", &srgb, 1);
}

/* whole frame through libdeflate; 1 on success */
static int write_whole(ysg_png_encoder *e, FILE *f, const uint8_t *px, size_t stride) {
#ifdef YSG_HAVE_LIBDEFLATE
  const size_t row = e->rowbytes + 1;
  const int h = e->h;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(e->threads)
#endif
  for (int y = 0; y < h; y++)
    filter_row(px + (size_t)y * stride, e->bits, e->rowbytes, 0, e->filtered + (size_t)y * row);
  size_t z = libdeflate_zlib_compress(e->ld, e->filtered, row * (size_t)h, e->zbuf, e->zcap);
  if (!z) return 0;
  for (size_t o = 0; o < z; o += IDAT_MAX)
    if (!put_chunk(f, "IDAT", e->zbuf + o, z - o < IDAT_MAX ? z - o : IDAT_MAX)) return 0;
  return 1;
#else
  (void)e, (void)f, (void)px, (void)stride;
  return 0;
#endif
}

ysg_status ysg__png_encode(ysg_png_encoder *e, const char *path, const void *px, int width,
                           int height, size_t stride, int bits, int level, char *err,
                           size_t errcap) {
  char dummy[1];
  if (!err || !errcap) err = dummy, errcap = sizeof dummy;
  err[0] = 0;
  if (width <= 0 || height <= 0 || (bits != 8 && bits != 16) || level < 0 || level > 9) {
    snprintf(err, errcap, "cannot write '%s': invalid image (%dx%d, %d bits, level %d)", path,
             width, height, bits, level);
    return YSG_ERR_INVALID;
  }
#ifndef YSG_HAVE_LIBDEFLATE
  if (level >= 3) /* zlib through libpng */
    return ysg__png_write(path, px, width, height, stride, bits, level, err, errcap);
#endif
  if (!stride) stride = (size_t)width * 4 * (size_t)(bits / 8);
  ysg_status s = ysg__png_encoder_reserve(e, width, height, bits, level);
  if (s) {
    snprintf(err, errcap, "cannot write '%s': out of memory (%dx%d pixels)", path, width, height);
    return s;
  }
  ysg_atomic_file af;
  if ((s = ysg__atomic_open(&af, path, err, errcap))) return s;
  int ok = put_header(af.f, width, height, bits);
  if (ok && level >= 3) {
    ok = write_whole(e, af.f, px, stride);
  } else if (ok) {
    encode_bands(e, px, stride, level == 0);
    uint32_t adler = e->adler[0];
    size_t rowbytes = e->rowbytes + 1;
    for (int b = 0; ok && b < e->bands; b++) {
      if (b) {
        int rows = (b + 1) * e->band_rows < e->h ? e->band_rows : e->h - b * e->band_rows;
        adler = (uint32_t)adler32_combine(adler, e->adler[b], (z_off_t)(rowbytes * (size_t)rows));
      }
      ok = fwrite(e->out + (size_t)b * e->band_cap, 1, e->out_len[b], af.f) == e->out_len[b];
    }
    uint8_t tail[4];
    be32(tail, adler);
    ok = ok && put_chunk(af.f, "IDAT", tail, 4);
  }
  ok = ok && put_chunk(af.f, "IEND", NULL, 0);
  if (!ok) {
    /* the commit reports the stream's error (errno) and removes the temporary */
    if (!ferror(af.f)) {
      ysg__atomic_abort(&af);
      snprintf(err, errcap, "cannot write '%s': compression failed", path);
      return YSG_ERR_RUNTIME;
    }
  }
  return ysg__atomic_commit(&af, err, errcap);
}
