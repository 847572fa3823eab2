/* test_png_limits.c — what a PNG may cost. A header bomb (a few dozen bytes declaring 32768×32768
 * pixels at 16 bits) fails on its header with a clear error and almost no memory; a header that
 * is plausible but too large is refused by the pixel limit; a valid 12000×12000 picture on a
 * 64×64 canvas decodes only what the canvas shows (peak memory: rows, not the picture), and the
 * cropped decode — single pictures, interlaced files, sequences, a picture the host moves later —
 * gives exactly the pixels of a full decode. Memory is the process's peak resident size
 * (getrusage), measured around the call with a generous bound. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "color.h"
#include "png_io.h"
#include "util.h"

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

static long peak_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void *plain_alloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void plain_free(void *ud, void *p) {
  (void)ud;
  free(p);
}
static const ysg_png_alloc heap = {plain_alloc, plain_free, NULL};

/* ---- hand-made files ------------------------------------------------------------------------ */
static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffu;
}

static void put32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
  b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* append a chunk (type + data) to buf at *len */
static void chunk(unsigned char *buf, size_t *len, const char *type, const unsigned char *data,
                  uint32_t n) {
  unsigned char *c = buf + *len;
  put32(c, n);
  memcpy(c + 4, type, 4);
  if (n) memcpy(c + 8, data, n);
  put32(c + 8 + n, crc32_of(c + 4, 4 + n));
  *len += 12 + n;
}

/* A PNG of a header, an IDAT of `idat` bytes (a valid empty zlib stream when idat_bytes is 0)
 * and IEND. Returns its size. */
static size_t write_header_png(const char *path, uint32_t w, uint32_t h, int depth, int ctype,
                               size_t idat_bytes) {
  static unsigned char buf[1 << 20];
  size_t len = 0;
  memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
  len = 8;
  unsigned char ihdr[13];
  put32(ihdr, w);
  put32(ihdr + 4, h);
  ihdr[8] = (unsigned char)depth, ihdr[9] = (unsigned char)ctype;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  chunk(buf, &len, "IHDR", ihdr, 13);
  static const unsigned char empty_zlib[] = {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
  static unsigned char junk[(1 << 20) - 64];
  if (idat_bytes)
    chunk(buf, &len, "IDAT", junk, (uint32_t)idat_bytes);
  else
    chunk(buf, &len, "IDAT", empty_zlib, sizeof empty_zlib);
  chunk(buf, &len, "IEND", NULL, 0);
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  cr_assert_eq(fwrite(buf, 1, len, f), len);
  fclose(f);
  return len;
}

/* 8-bit gray value of the big test picture at (x, y): smooth, different everywhere */
static uint8_t big_gray(int x, int y) { return (uint8_t)((x / 40 + y / 24) * 7); }

/* w×h gray (8-bit) or RGBA (ctype 6) picture, written a row at a time (the writer needs one row) */
static void write_big(const char *path, int w, int h, int ctype, int interlace) {
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) cr_assert_fail("libpng failed writing %s", path);
  png_init_io(png, f);
  png_set_compression_level(png, 1);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, ctype,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  const int ch = ctype == PNG_COLOR_TYPE_RGBA ? 4 : 1;
  unsigned char *row = malloc((size_t)w * ch);
  int passes = interlace ? png_set_interlace_handling(png) : 1;
  for (int pass = 0; pass < passes; pass++)
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++)
        for (int c = 0; c < ch; c++)
          row[(size_t)x * ch + c] = c == 3 ? (uint8_t)(128 + (x + y) % 100) : big_gray(x + c, y);
      png_write_row(png, row);
    }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  free(row);
  fclose(f);
}

/* ---- the header is checked before anything is allocated ---------------------------------- */
Test(png_limits, header_bomb_fails_on_its_header) {
  enter_tmp();
  size_t size = write_header_png("bomb.png", 32768, 32768, 16, 6, 0);
  cr_assert_lt(size, 80);
  char err[512], want[512];
  void *px = NULL;
  int w, h;
  long before = peak_kib();
  ysg_status s = ysg__png_read("bomb.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err);
  long grew = peak_kib() - before;
  cr_assert_eq(s, YSG_ERR_DATA, "%s", err);
  cr_assert_null(px);
  snprintf(want, sizeof want,
           "the header declares 32768x32768 pixels (8589967360 bytes of image data), more than a "
           "%zu-byte file can hold (it is damaged, or made to exhaust memory)",
           size);
  cr_assert_str_eq(err, want);
  cr_assert_lt(grew, 8 * 1024, "the peak grew by %ld KiB", grew);
  cr_log_info("%zu-byte bomb: refused, peak resident size +%ld KiB", size, grew);

  /* through the image node: the same reason, at load, naming the node and file */
  ysg_context *ctx = ysgt_ctx();
  s = ysgt_load(ctx, "canvas{width=64,height=64}\nimage{path='bomb.png', name='im'}\n", NULL);
  cr_assert_eq(s, YSG_ERR_DATA);
  char msg[1024];
  snprintf(msg, sizeof msg,
           "test.lua:2: node 'im' (image): parameter 'path': cannot read PNG "
           "'bomb.png': %s",
           want);
  cr_assert_str_eq(ysg_errmsg(ctx), msg);
  ysg_context_destroy(ctx);
}

Test(png_limits, pixel_limit) {
  enter_tmp();
  /* 20000×20000 1-bit gray: 50 MB of image data, which 64 KiB of IDAT could inflate to */
  write_header_png("huge.png", 20000, 20000, 1, 0, 64 << 10);
  char err[512];
  int w, h;
  cr_assert_eq(ysg__png_info("huge.png", &w, &h, err, sizeof err), YSG_ERR_DATA);
  cr_assert_str_eq(err,
                   "the image is 20000x20000 pixels, more than ysgraph decodes (at most "
                   "268435456 pixels, 1000000 on a side)");
  /* the side limit */
  write_header_png("strip.png", 2000000, 1, 1, 0, 4096);
  cr_assert_eq(ysg__png_info("strip.png", &w, &h, err, sizeof err), YSG_ERR_DATA);
  cr_assert_str_eq(err,
                   "the image is 2000000x1 pixels, more than ysgraph decodes (at most "
                   "268435456 pixels, 1000000 on a side)");
  /* a header within the limits reads */
  write_header_png("ok.png", 300, 200, 8, 2, 4096);
  cr_assert_eq(ysg__png_info("ok.png", &w, &h, err, sizeof err), YSG_OK, "%s", err);
  cr_assert(w == 300 && h == 200);
}

/* ---- only what the canvas shows is decoded ---------------------------------------------- */
static const ysg_value *run_image(ysg_context *ctx, ysg_pipeline **p, const char *src) {
  cr_assert_eq(ysgt_load(ctx, src, p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(*p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(*p, "im", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

Test(png_limits, large_picture_on_a_small_canvas) {
  enter_tmp();
  write_big("big.png", 12000, 12000, PNG_COLOR_TYPE_GRAY, 0);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  long before = peak_kib();
  const ysg_value *v =
      run_image(ctx, &p,
                "canvas{width=64,height=64}\nimage{path='big.png', x=-5000, y=-11000, "
                "name='im'}\n");
  long grew = peak_kib() - before;
  /* the whole picture would be 1.1 GB as FP16 (and as many bytes of 16-bit rows) */
  cr_assert_lt(grew, 64 * 1024, "the peak grew by %ld KiB", grew);
  cr_log_info("12000x12000 PNG on a 64x64 canvas: peak resident size +%ld KiB", grew);
  for (int y = 0; y < 64; y += 7)
    for (int x = 0; x < 64; x += 5) {
      float got[4];
      ysg_load_px(v->px + ((size_t)y * 64 + (size_t)x) * 4, got);
      float want = ysg_srgb_to_linear((float)big_gray(5000 + x, 11000 + y) / 255.0f);
      cr_assert_float_eq(got[0], want, 2e-3, "(%d,%d): %g, expected %g", x, y, got[0], want);
      cr_assert_float_eq(got[3], 1.0f, 0);
    }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* The image node's canvas against a full decode placed by hand at (ox, oy). */
static void expect_placed(const ysg_value *v, const uint16_t *full, int pw, int ph, int ox,
                          int oy) {
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      int sx = x - ox, sy = y - oy;
      const uint16_t *got = v->px + ((size_t)y * (size_t)v->width + (size_t)x) * 4;
      for (int c = 0; c < 4; c++) {
        uint16_t want = sx >= 0 && sx < pw && sy >= 0 && sy < ph
                            ? full[((size_t)sy * (size_t)pw + (size_t)sx) * 4 + (size_t)c]
                            : 0;
        cr_assert_eq(got[c], want, "offset (%d,%d): pixel (%d,%d) channel %d", ox, oy, x, y, c);
      }
    }
}

Test(png_limits, cropped_decode_is_exact) {
  enter_tmp();
  write_big("pic.png", 150, 90, PNG_COLOR_TYPE_RGBA, 0);
  write_big("ilace.png", 150, 90, PNG_COLOR_TYPE_RGBA, 1);
  const char *files[] = {"pic.png", "ilace.png"};
  const int offsets[][2] = {{0, 0}, {-37, -21}, {10, 5}, {-140, -80}, {-200, 0}, {60, 70}};
  for (int fi = 0; fi < 2; fi++) {
    void *full = NULL;
    int pw, ph;
    char err[256];
    cr_assert_eq(ysg__png_read(files[fi], &heap, YSG_PNG_F16, &full, &pw, &ph, err, sizeof err),
                 YSG_OK, "%s", err);
    for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
      char src[512];
      snprintf(src, sizeof src,
               "canvas{width=70,height=40}\nimage{path='%s', x=%d, y=%d, "
               "name='im'}\n",
               files[fi], offsets[k][0], offsets[k][1]);
      ysg_context *ctx = ysgt_ctx();
      ysg_pipeline *p = NULL;
      const ysg_value *v = run_image(ctx, &p, src);
      expect_placed(v, full, pw, ph, offsets[k][0], offsets[k][1]);
      /* the host moves it past the decoded part: decoded again, still exact */
      cr_assert_eq(ysg_pipeline_set_param_number(p, "im.x", -90), YSG_OK);
      cr_assert_eq(ysg_pipeline_set_param_number(p, "im.y", -50), YSG_OK);
      cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
      cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
      expect_placed(v, full, pw, ph, -90, -50);
      ysg_pipeline_destroy(p);
      ysg_context_destroy(ctx);
    }
    /* animated offsets keep the whole picture */
    ysg_context *ctx = ysgt_ctx();
    ysg_pipeline *p = NULL;
    char src[512];
    snprintf(src, sizeof src,
             "canvas{width=70,height=40,frames=3}\nimage{path='%s', x=function(f) return -40*f "
             "end, y=-3, name='im'}\n",
             files[fi]);
    cr_assert_eq(ysgt_load(ctx, src, &p), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int f = 0; f < 3; f++) {
      cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
      const ysg_value *v = NULL;
      cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
      expect_placed(v, full, pw, ph, -40 * f, -3);
    }
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
    free(full);
  }
}

Test(png_limits, cropped_sequence_is_exact) {
  enter_tmp();
  cr_assert_eq(system("mkdir -p seq"), 0);
  write_big("seq/0000.png", 150, 90, PNG_COLOR_TYPE_RGBA, 0);
  write_big("seq/0001.png", 150, 90, PNG_COLOR_TYPE_RGBA, 1);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(ctx,
                         "canvas{width=50,height=30}\n"
                         "image{path='seq/%04d.png', x=-60, y=-33, name='im'}\n",
                         &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  for (int f = 0; f < 2; f++) {
    void *full = NULL;
    int pw, ph;
    char err[256], name[64];
    snprintf(name, sizeof name, "seq/%04d.png", f);
    cr_assert_eq(ysg__png_read(name, &heap, YSG_PNG_F16, &full, &pw, &ph, err, sizeof err), YSG_OK,
                 "%s", err);
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v = NULL;
    cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
    expect_placed(v, full, pw, ph, -60, -33);
    free(full);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
