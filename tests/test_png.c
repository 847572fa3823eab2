/* test_png.c — PNG decode/encode (engine/png_io.c), the `image` and `png` nodes and
 * ysg_pipeline_dump: every PNG colour type and bit depth against independently computed linear
 * values, 8/16-bit round trips through the FP16 pipeline, atomic writes under failure, frame
 * patterns, offsets/cropping/tiles of the image node, and CSV/PNG dumps. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "color.h"
#include "png_io.h"
#include "util.h"
#include "ysgraph/node.h"

/* ---- helpers ----------------------------------------------------------------------------------
 */
static double ref_lin(double c) { /* sRGB EOTF in double: the reference for decoded values */
  return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

typedef struct pngspec {
  int w, h, depth, ctype, interlace;
  const unsigned char *data; /* packed rows as PNG stores them (16-bit big-endian) */
  const png_color *pal;
  int npal;
  const png_byte *trans;
  int ntrans;
  const png_color_16 *tcolor;
} pngspec;

static void write_png(const char *path, const pngspec *s) {
  FILE *f = fopen(path, "wb");
  cr_assert(f, "cannot create %s", path);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) cr_assert_fail("libpng failed writing %s", path);
  png_init_io(png, f);
  png_set_IHDR(png, info, s->w, s->h, s->depth, s->ctype, s->interlace, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  if (s->pal) png_set_PLTE(png, info, s->pal, s->npal);
  if (s->trans || s->tcolor) png_set_tRNS(png, info, s->trans, s->ntrans, s->tcolor);
  png_write_info(png, info);
  int ch = s->ctype == PNG_COLOR_TYPE_RGBA         ? 4
           : s->ctype == PNG_COLOR_TYPE_RGB        ? 3
           : s->ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                   : 1;
  size_t rowbytes = ((size_t)s->w * ch * s->depth + 7) / 8;
  png_bytep *rows = malloc(sizeof(png_bytep) * s->h);
  for (int y = 0; y < s->h; y++) rows[y] = (png_bytep)s->data + (size_t)y * rowbytes;
  png_write_image(png, rows);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  free(rows);
  fclose(f);
}

/* Read an RGBA PNG written by the png node: samples (0..255 or 0..65535) into a malloc'ed array. */
static uint16_t *read_rgba(const char *path, int *w, int *h, int *bits) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) cr_assert_fail("libpng failed reading %s", path);
  png_init_io(png, f);
  png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  cr_assert_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGBA);
  cr_assert_eq(png_get_interlace_type(png, info), PNG_INTERLACE_NONE);
  *w = (int)png_get_image_width(png, info);
  *h = (int)png_get_image_height(png, info);
  *bits = png_get_bit_depth(png, info);
  png_bytepp rows = png_get_rows(png, info);
  uint16_t *out = malloc((size_t)*w * *h * 4 * sizeof *out);
  for (int y = 0; y < *h; y++)
    for (int i = 0; i < *w * 4; i++)
      out[(size_t)y * *w * 4 + i] =
          *bits == 16 ? (uint16_t)(rows[y][i * 2] << 8 | rows[y][i * 2 + 1]) : rows[y][i];
  png_destroy_read_struct(&png, &info, NULL);
  fclose(f);
  return out;
}

static void *plain_alloc(void *ud, size_t n) {
  (void)ud;
  return calloc(1, n);
}
static void plain_free(void *ud, void *p) {
  (void)ud;
  free(p);
}
static const ysg_png_alloc heap = {plain_alloc, plain_free, NULL};

static float *decode(const char *path, int *w, int *h) {
  void *px = NULL;
  char err[256];
  ysg_status s = ysg__png_read(path, &heap, YSG_PNG_F32, &px, w, h, err, sizeof err);
  cr_assert_eq(s, YSG_OK, "decode %s: %s", path, err);
  return px;
}

static void expect_px(const float *px, int i, double r, double g, double b, double a) {
  const double want[4] = {ref_lin(r) * a, ref_lin(g) * a, ref_lin(b) * a, a};
  for (int c = 0; c < 4; c++)
    cr_expect(fabs(px[i * 4 + c] - want[c]) <= 1e-6 + 1e-6 * want[c],
              "pixel %d channel %d: got %.9g, want %.9g", i, c, px[i * 4 + c], want[c]);
}

static void enter_tmp(void) { cr_assert_eq(chdir(ysgt_tmpdir()), 0); }

/* 1 when dir holds a leftover temporary (".NAME.tmp.PID.N"); also counts entries */
static int leftover_tmp(const char *dir, int *entries) {
  DIR *d = opendir(dir);
  cr_assert(d, "cannot list %s", dir);
  int found = 0, n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    n++;
    if (strstr(e->d_name, ".tmp.")) found = 1;
  }
  closedir(d);
  if (entries) *entries = n;
  return found;
}

static ysg_pipeline *load_ok(ysg_context *ctx, const char *src) {
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, YSG_OK, "load failed: %s", ysg_errmsg(ctx));
  return p;
}

static void write_rgba8(const char *path, int w, int h, const unsigned char *data) {
  pngspec s = {w, h, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE, data, NULL, 0, NULL, 0, NULL};
  write_png(path, &s);
}

/* ---- frame patterns and directories ---------------------------------------------------------- */
static const char *fmt(const char *pattern, int frame, size_t cap, ysg_status *st) {
  static char out[256], err[256];
  *st = ysg__format_frame_path(pattern, frame, out, cap, err, sizeof err);
  return *st ? err : out;
}

Test(frame_path, formats) {
  ysg_status s;
  cr_assert_str_eq(fmt("frames/%04d.png", 7, 256, &s), "frames/0007.png");
  cr_assert_str_eq(fmt("%d.png", -3, 256, &s), "-3.png");
  cr_assert_str_eq(fmt("[%5d]", 42, 256, &s), "[   42]");
  cr_assert_str_eq(fmt("100%%/%d", 1, 256, &s), "100%/1");
  cr_assert_str_eq(fmt("plain.png", 9, 256, &s), "plain.png");
  cr_assert_str_eq(fmt("%02d", 123, 256, &s), "123");
  cr_assert_eq(s, YSG_OK);
}

Test(frame_path, rejects) {
  ysg_status s;
  cr_assert_str_eq(fmt("out/%s.png", 1, 256, &s),
                   "unsupported pattern '%s' (a frame number is written %d, %04d or %5d; a "
                   "percent sign %%)");
  cr_assert_eq(s, YSG_ERR_INVALID);
  cr_assert_str_eq(fmt("a%d_%04d.png", 1, 256, &s),
                   "only one %d-style frame pattern is allowed, found '%d' and '%04d'");
  cr_assert(strstr(fmt("x%", 1, 256, &s), "unsupported pattern '%' ("));
  cr_assert(strstr(fmt("%-4d", 1, 256, &s), "unsupported pattern '%-' ("));
  cr_assert_str_eq(fmt("%123d", 1, 256, &s),
                   "frame pattern '%123d' is too wide (a width of at most 16, e.g. %016d)");
  cr_assert(strstr(fmt("%x", 1, 256, &s), "unsupported pattern '%x' ("));
  cr_assert_str_eq(fmt("abcdefgh%d", 1, 8, &s), "path is too long (more than 7 bytes)");
  cr_assert_eq(ysg__has_frame_pattern("a/%05d.png"), 1);
  cr_assert_eq(ysg__has_frame_pattern("a%%d.png"), 0);
  cr_assert_eq(ysg__has_frame_pattern("a%s.png"), 0);
  cr_assert_eq(ysg__has_frame_pattern("plain"), 0);
}

Test(frame_path, mkdirs) {
  enter_tmp();
  char err[256];
  cr_assert_eq(ysg__mkdirs_for("a/b//c/file.png", err, sizeof err), YSG_OK, "%s", err);
  struct stat st;
  cr_assert(stat("a/b/c", &st) == 0 && S_ISDIR(st.st_mode));
  cr_assert_eq(ysg__mkdirs_for("a/b/c/file.png", err, sizeof err), YSG_OK); /* exists: fine */
  cr_assert_eq(ysg__mkdirs_for("file.png", err, sizeof err), YSG_OK);
  ysgt_write(".", "blocker", "x");
  cr_assert_eq(ysg__mkdirs_for("blocker/sub/x.png", err, sizeof err), YSG_ERR_IO);
  cr_assert_str_eq(err, "cannot create directory 'blocker': Not a directory");
}

/* ---- decoding every PNG kind --------------------------------------------------------------- */
Test(png_decode, gray8_and_gray_alpha) {
  enter_tmp();
  const unsigned char g[] = {0, 1, 128, 255};
  pngspec s = {4, 1, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, g, NULL, 0, NULL, 0, NULL};
  write_png("g.png", &s);
  int w, h;
  float *px = decode("g.png", &w, &h);
  cr_assert(w == 4 && h == 1);
  for (int i = 0; i < 4; i++) expect_px(px, i, g[i] / 255.0, g[i] / 255.0, g[i] / 255.0, 1);
  free(px);

  const unsigned char ga[] = {200, 100, 50, 0, 255, 255};
  pngspec s2 = {3, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, ga, NULL, 0, NULL, 0, NULL};
  write_png("ga.png", &s2);
  px = decode("ga.png", &w, &h);
  expect_px(px, 0, 200 / 255.0, 200 / 255.0, 200 / 255.0, 100 / 255.0);
  expect_px(px, 1, 50 / 255.0, 50 / 255.0, 50 / 255.0, 0); /* premultiplied: all zero */
  expect_px(px, 2, 1, 1, 1, 1);
  free(px);
}

Test(png_decode, palette_trns_2bit) {
  enter_tmp();
  const png_color pal[3] = {{255, 0, 0}, {0, 128, 255}, {10, 20, 30}};
  const png_byte trans[2] = {0, 128}; /* entry 0 transparent, 1 half, 2 opaque (implicit) */
  const unsigned char row[1] = {(0 << 6) | (1 << 4) | (2 << 2)};
  pngspec s = {3, 1, 2, PNG_COLOR_TYPE_PALETTE, 0, row, pal, 3, trans, 2, NULL};
  write_png("p.png", &s);
  int w, h;
  float *px = decode("p.png", &w, &h);
  cr_assert(w == 3 && h == 1);
  expect_px(px, 0, 1, 0, 0, 0);
  expect_px(px, 1, 0, 128 / 255.0, 1, 128 / 255.0);
  expect_px(px, 2, 10 / 255.0, 20 / 255.0, 30 / 255.0, 1);
  free(px);
}

Test(png_decode, gray1_gray4_and_rgb_trns) {
  enter_tmp();
  const unsigned char bits[2] = {0xB3, 0x80}; /* 1011 0011 10.. */
  pngspec s = {10, 1, 1, PNG_COLOR_TYPE_GRAY, 0, bits, NULL, 0, NULL, 0, NULL};
  write_png("b.png", &s);
  int w, h;
  float *px = decode("b.png", &w, &h);
  const int want[10] = {1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
  for (int i = 0; i < 10; i++) expect_px(px, i, want[i], want[i], want[i], 1);
  free(px);

  const unsigned char g4[2] = {0x07, 0xF0}; /* 4-bit gray 0, 7, 15; tRNS makes 7 transparent */
  png_color_16 tg = {0, 0, 0, 0, 7};
  pngspec s4 = {3, 1, 4, PNG_COLOR_TYPE_GRAY, 0, g4, NULL, 0, NULL, 0, &tg};
  write_png("g4.png", &s4);
  px = decode("g4.png", &w, &h);
  expect_px(px, 0, 0, 0, 0, 1);
  expect_px(px, 1, 7 / 15.0, 7 / 15.0, 7 / 15.0, 0);
  expect_px(px, 2, 1, 1, 1, 1);
  free(px);

  const unsigned char rgb[6] = {10, 20, 30, 40, 50, 60};
  png_color_16 tc = {0, 10, 20, 30, 0}; /* index, red, green, blue, gray */
  pngspec s2 = {2, 1, 8, PNG_COLOR_TYPE_RGB, 0, rgb, NULL, 0, NULL, 0, &tc};
  write_png("t.png", &s2);
  px = decode("t.png", &w, &h);
  expect_px(px, 0, 0, 0, 0, 0);
  expect_px(px, 1, 40 / 255.0, 50 / 255.0, 60 / 255.0, 1);
  free(px);
}

Test(png_decode, rgb16_and_rgba16_keep_precision) {
  enter_tmp();
  const uint16_t v[6] = {0, 32768, 65535, 1000, 20001, 65000};
  unsigned char be[12];
  for (int i = 0; i < 6; i++) be[i * 2] = v[i] >> 8, be[i * 2 + 1] = v[i] & 255;
  pngspec s = {2, 1, 16, PNG_COLOR_TYPE_RGB, 0, be, NULL, 0, NULL, 0, NULL};
  write_png("c16.png", &s);
  int w, h;
  float *px = decode("c16.png", &w, &h);
  expect_px(px, 0, 0, 32768 / 65535.0, 1, 1);
  expect_px(px, 1, 1000 / 65535.0, 20001 / 65535.0, 65000 / 65535.0, 1);
  /* 20001 and 20000 differ by far less than an 8-bit step: the 16-bit value must survive */
  cr_assert_gt(px[5] - ref_lin(20000 / 65535.0), 1e-6);
  free(px);

  const uint16_t va[4] = {50000, 40000, 30000, 12345};
  unsigned char bea[8];
  for (int i = 0; i < 4; i++) bea[i * 2] = va[i] >> 8, bea[i * 2 + 1] = va[i] & 255;
  pngspec s2 = {1, 1, 16, PNG_COLOR_TYPE_RGBA, 0, bea, NULL, 0, NULL, 0, NULL};
  write_png("c16a.png", &s2);
  px = decode("c16a.png", &w, &h);
  expect_px(px, 0, 50000 / 65535.0, 40000 / 65535.0, 30000 / 65535.0, 12345 / 65535.0);
  free(px);
}

Test(png_decode, interlaced) {
  enter_tmp();
  unsigned char data[9 * 9 * 3];
  for (int y = 0; y < 9; y++)
    for (int x = 0; x < 9; x++) {
      unsigned char *p = data + (y * 9 + x) * 3;
      p[0] = (unsigned char)(x * 28), p[1] = (unsigned char)(y * 28), p[2] = (unsigned char)(x + y);
    }
  pngspec s = {9, 9, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, data, NULL, 0, NULL, 0, NULL};
  write_png("i.png", &s);
  int w, h;
  float *px = decode("i.png", &w, &h);
  cr_assert(w == 9 && h == 9);
  for (int i = 0; i < 81; i++)
    expect_px(px, i, data[i * 3] / 255.0, data[i * 3 + 1] / 255.0, data[i * 3 + 2] / 255.0, 1);
  free(px);
}

Test(png_decode, errors) {
  enter_tmp();
  int w, h;
  void *px;
  char err[256];
  cr_assert_eq(ysg__png_read("missing.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err),
               YSG_ERR_IO);
  cr_assert_str_eq(err, "No such file or directory");
  ysgt_write(".", "text.png", "hello, not a png");
  cr_assert_eq(ysg__png_read("text.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err),
               YSG_ERR_DATA);
  cr_assert_str_eq(err, "not a PNG file");

  unsigned char data[64 * 64 * 4];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7919 >> 3);
  write_rgba8("ok.png", 64, 64, data);
  size_t len;
  char *bytes = ysgt_read("ok.png", &len);
  FILE *f = fopen("cut.png", "wb"); /* the IDAT chunk is cut short */
  fwrite(bytes, 1, len / 2, f);
  fclose(f);
  cr_assert_eq(ysg__png_read("cut.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err),
               YSG_ERR_DATA);
  cr_assert_str_eq(err, "the file is truncated");
  bytes[30] ^= 0x55; /* inside the IHDR chunk's CRC (signature 8 + length 4 + type 4 + 13) */
  f = fopen("crc.png", "wb");
  fwrite(bytes, 1, len, f);
  fclose(f);
  cr_assert_eq(ysg__png_read("crc.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err),
               YSG_ERR_DATA);
  cr_assert_str_eq(err, "IHDR: CRC error");
  bytes[30] ^= 0x55;
  bytes[len / 2] ^= 0x55; /* a flipped byte inside the compressed data: libpng's reason */
  f = fopen("bad.png", "wb");
  fwrite(bytes, 1, len, f);
  fclose(f);
  cr_assert_eq(ysg__png_read("bad.png", &heap, YSG_PNG_F16, &px, &w, &h, err, sizeof err),
               YSG_ERR_DATA);
  cr_assert(err[0], "no reason given");
  free(bytes);
}

/* ---- atomic writes ------------------------------------------------------------------------- */
Test(png_write, atomic_failures) {
  enter_tmp();
  unsigned char data[64 * 64 * 4];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
  char err[512];
  /* unwritable location: the parent is a regular file */
  ysgt_write(".", "blocker", "x");
  cr_assert_eq(ysg__png_write("blocker/x.png", data, 64, 64, 0, 8, 2, err, sizeof err), YSG_ERR_IO);
  cr_assert_str_eq(err, "cannot write 'blocker/x.png': Not a directory");
  /* the target is a directory: the rename fails after the temporary was written */
  mkdir("dir.png", 0777);
  cr_assert_eq(ysg__png_write("dir.png", data, 64, 64, 0, 8, 2, err, sizeof err), YSG_ERR_IO);
  cr_assert_str_eq(err, "cannot write 'dir.png': Is a directory");
  /* an existing file survives a write that fails half-way (the file size limit hits) */
  ysgt_write(".", "keep.png", "original contents");
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 2000;
  signal(SIGXFSZ, SIG_IGN);
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  ysg_status s = ysg__png_write("keep.png", data, 64, 64, 0, 8, 0, err, sizeof err);
  setrlimit(RLIMIT_FSIZE, &old);
  cr_assert_eq(s, YSG_ERR_IO);
  cr_assert_str_eq(err, "cannot write 'keep.png': File too large");
  char *kept = ysgt_read("keep.png", NULL);
  cr_assert_str_eq(kept, "original contents");
  free(kept);
  int n;
  cr_assert_eq(leftover_tmp(".", &n), 0, "a temporary file was left behind");
  cr_assert_eq(n, 3);   /* blocker, dir.png, keep.png */
  if (geteuid() != 0) { /* root ignores permissions */
    mkdir("ro", 0555);
    cr_assert_eq(ysg__png_write("ro/x.png", data, 64, 64, 0, 8, 2, err, sizeof err), YSG_ERR_IO);
    cr_assert_str_eq(err, "cannot write 'ro/x.png': Permission denied");
  }
  /* and a good write replaces the file */
  cr_assert_eq(ysg__png_write("keep.png", data, 64, 64, 0, 8, 2, err, sizeof err), YSG_OK, "%s",
               err);
  int w, h, bits;
  uint16_t *back = read_rgba("keep.png", &w, &h, &bits);
  cr_assert(w == 64 && h == 64 && bits == 8);
  for (size_t i = 0; i < sizeof data; i++) cr_assert_eq(back[i], data[i]);
  free(back);
  cr_assert_eq(leftover_tmp(".", NULL), 0);
}

/* ---- round trips through image -> png ------------------------------------------------------ */
static uint16_t *run_roundtrip(int w, int h, const char *bits, int *ow, int *oh, int *obits) {
  char src[512];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=1}\n"
           "local im = image{path='in.png', name='im'}\n"
           "png{image=im, path='out/%%04d.png', bits=%s, name='o'}\n",
           w, h, bits);
  ysg_context_options o; /* two threads: the row-parallel conversions run concurrently */
  ysg_context_options_init(&o);
  o.threads = 2;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  ysg_pipeline *p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 0, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  cr_assert_eq(leftover_tmp("out", NULL), 0);
  return read_rgba("out/0000.png", ow, oh, obits);
}

Test(image_png, roundtrip8_opaque_exact) {
  enter_tmp();
  static unsigned char data[3 * 256 * 4];
  for (int c = 0; c < 3; c++)
    for (int x = 0; x < 256; x++) {
      unsigned char *p = data + (c * 256 + x) * 4;
      for (int k = 0; k < 3; k++) p[k] = (unsigned char)(x * 37 + c * 11 + k * 101);
      p[c] = (unsigned char)x; /* row c walks channel c through every level */
      p[3] = 255;
    }
  write_rgba8("in.png", 256, 3, data);
  int w, h, bits;
  uint16_t *out = run_roundtrip(256, 3, "'8'", &w, &h, &bits);
  cr_assert(w == 256 && h == 3 && bits == 8);
  for (int i = 0; i < 256 * 3 * 4; i++) cr_assert_eq(out[i], data[i], "sample %d", i);
  free(out);
}

/* 8-bit: FP16 premultiplied keeps every colour exact down to alpha 1/255 (measured over all
 * 256 colour x 255 alpha levels; the worst relative error of a subnormal FP16 premultiplied
 * value, 2.5% at alpha = colour = 1/255, stays below half an 8-bit step after un-premultiplying).
 * Tolerance for colour: 0 for alpha >= 1; at alpha 0 the colour is gone and written as 0. */
Test(image_png, roundtrip8_alpha) {
  enter_tmp();
  static unsigned char data[256 * 256 * 4];
  for (int y = 0; y < 256; y++)
    for (int x = 0; x < 256; x++) {
      unsigned char *p = data + (y * 256 + x) * 4;
      p[0] = (unsigned char)x, p[1] = (unsigned char)(255 - x), p[2] = (unsigned char)(x * 7 + y);
      p[3] = (unsigned char)y;
    }
  write_rgba8("in.png", 256, 256, data);
  int w, h, bits;
  uint16_t *out = run_roundtrip(256, 256, "'8'", &w, &h, &bits);
  for (int i = 0; i < 256 * 256; i++)
    for (int c = 0; c < 4; c++) {
      int want = data[i * 4 + 3] == 0 ? 0 : data[i * 4 + c];
      cr_assert_eq(out[i * 4 + c], want, "pixel %d channel %d (alpha %d)", i, c, data[i * 4 + 3]);
    }
  free(out);
}

/* 16-bit through FP16 (11-bit significand): opaque colour within 10/65535, alpha within 16/65535,
 * colour within 32/65535 for alpha >= 128/65535 (below that the premultiplied value underflows
 * into FP16 subnormals and 16-bit colour precision is not kept). */
Test(image_png, roundtrip16_tolerance) {
  enter_tmp();
  static unsigned char be[256 * 256 * 8];
  static uint16_t v[256 * 256 * 4];
  for (int i = 0; i < 256 * 256; i++) {
    int y = i / 256;
    v[i * 4 + 0] = (uint16_t)i;
    v[i * 4 + 1] = (uint16_t)(65535 - i);
    v[i * 4 + 2] = (uint16_t)(i * 40503u);
    v[i * 4 + 3] = y < 128 ? 65535 : (uint16_t)(128 + (i * 2654435761u >> 16) % 65408);
    for (int c = 0; c < 4; c++)
      be[i * 8 + c * 2] = v[i * 4 + c] >> 8, be[i * 8 + c * 2 + 1] = v[i * 4 + c];
  }
  pngspec s = {256, 256, 16, PNG_COLOR_TYPE_RGBA, 0, be, NULL, 0, NULL, 0, NULL};
  write_png("in.png", &s);
  int w, h, bits;
  uint16_t *out = run_roundtrip(256, 256, "'16'", &w, &h, &bits);
  cr_assert(w == 256 && h == 256 && bits == 16);
  for (int i = 0; i < 256 * 256 * 4; i++) {
    int c = i % 4, opaque = v[i - c + 3] == 65535;
    int tol = c == 3 ? 16 : opaque ? 10 : 32;
    cr_assert_leq(abs((int)out[i] - (int)v[i]), tol, "sample %d: got %d want %d", i, out[i], v[i]);
  }
  free(out);
}

/* ---- the image node: offset, cropping, tiles, errors ------------------------------------------
 */
static unsigned char pic[4 * 4 * 4]; /* columns 0-1 transparent, 2-3 opaque colours */
static void make_pic(void) {
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++) {
      unsigned char *p = pic + (y * 4 + x) * 4;
      int on = x >= 2;
      p[0] = (unsigned char)(on * (40 + x * 50)), p[1] = (unsigned char)(on * (30 + y * 60));
      p[2] = (unsigned char)(on * 200), p[3] = (unsigned char)(on * 255);
    }
  write_rgba8("in.png", 4, 4, pic);
}

/* Compare the image value with the decoded picture placed at (ox, oy), and its tiles with a
 * brute-force scan of the pixels. */
static void check_image(const ysg_value *v, const uint16_t *ref, int ox, int oy) {
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      for (int c = 0; c < 4; c++) {
        int sx = x - ox, sy = y - oy;
        uint16_t want = sx >= 0 && sx < 4 && sy >= 0 && sy < 4 ? ref[(sy * 4 + sx) * 4 + c] : 0;
        cr_assert_eq(v->px[((size_t)y * v->width + x) * 4 + c], want,
                     "offset (%d,%d): pixel (%d,%d) channel %d", ox, oy, x, y, c);
      }
  cr_assert_not_null(v->tiles);
  for (int ty = 0; ty < v->tiles_y; ty++)
    for (int tx = 0; tx < v->tiles_x; tx++) {
      int any = 0;
      for (int y = ty * 16; y < ty * 16 + 16 && y < v->height; y++)
        for (int x = tx * 16; x < tx * 16 + 16 && x < v->width; x++)
          for (int c = 0; c < 4; c++) any |= v->px[((size_t)y * v->width + x) * 4 + c] != 0;
      cr_assert_eq(v->tiles[ty * v->tiles_x + tx], any, "offset (%d,%d): tile (%d,%d)", ox, oy, tx,
                   ty);
    }
}

Test(image_node, offset_crop_and_tiles) {
  enter_tmp();
  make_pic();
  int pw, ph;
  void *ref;
  char err[256];
  cr_assert_eq(ysg__png_read("in.png", &heap, YSG_PNG_F16, &ref, &pw, &ph, err, sizeof err), 0);
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx,
                            "canvas{width=40,height=20,frames=1}\n"
                            "image{path='in.png', name='im', x=6, y=-2}\n");
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert(v->width == 40 && v->height == 20 && v->tiles_x == 3 && v->tiles_y == 2);
  check_image(v, ref, 6, -2);
  /* x=14,y=14: the transparent columns land in tile column 0, which must stay empty */
  const struct {
    double x, y;
    int ox, oy;
  } cases[] = {
      {14, 14, 14, 14}, {13.6, 2.4, 14, 2}, {-1.5, 17.5, -2, 18}, {38, -3, 38, -3},
      {40, 0, 40, 0},   {-4, 0, -4, 0},     {1e12, -1e12, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_eq(ysg_pipeline_set_param_number(p, "im.x", cases[i].x), YSG_OK, "%s",
                 ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_set_param_number(p, "im.y", cases[i].y), YSG_OK);
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(p, "im", &v), YSG_OK);
    if (cases[i].x > 1e9) { /* far away: nothing on the canvas */
      for (int t = 0; t < 6; t++) cr_assert_eq(v->tiles[t], 0);
      continue;
    }
    check_image(v, ref, cases[i].ox, cases[i].oy);
  }
  cr_assert_eq(ysg_pipeline_set_param_number(p, "im.x", 14), YSG_OK);
  cr_assert_eq(ysg_pipeline_set_param_number(p, "im.y", 14), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  const uint8_t want[6] = {0, 1, 0, 0, 1, 0};
  cr_assert_arr_eq(v->tiles, want, 6);
  free(ref);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* image at an offset -> png: empty tiles (skipped by the png node) and occupied ones both right */
Test(image_png, offset_through_png) {
  enter_tmp();
  make_pic();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx,
                            "canvas{width=40,height=20,frames=1}\n"
                            "local im = image{path='in.png', x=14, y=14}\n"
                            "png{image=im, path='o.png'}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 0, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  int w, h, bits;
  uint16_t *px = read_rgba("o.png", &w, &h, &bits);
  cr_assert(w == 40 && h == 20 && bits == 8);
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < 40; x++)
      for (int c = 0; c < 4; c++) {
        int sx = x - 14, sy = y - 14;
        int want = sx >= 0 && sx < 4 && sy >= 0 && sy < 4 ? pic[(sy * 4 + sx) * 4 + c] : 0;
        cr_assert_eq(px[(y * 40 + x) * 4 + c], want, "pixel (%d,%d) channel %d", x, y, c);
      }
  free(px);
}

Test(image_node, read_errors) {
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  const char *src = "canvas{width=8,height=4,frames=1}\nimage{path='x.png', name='bg'}\n";
  cr_assert_eq(ysgt_load(ctx, src, NULL), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bg' (image): parameter 'path': cannot read "
                   "PNG 'x.png': No such file or directory");
  ysgt_write(".", "x.png", "\x89PNG but not really");
  cr_assert_eq(ysgt_load(ctx, src, NULL), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bg' (image): parameter 'path': cannot read "
                   "PNG 'x.png': not a PNG file");
  ysg_context_destroy(ctx);
}

/* ---- the png node: frame patterns and errors ------------------------------------------------- */
Test(png_node, frame_patterns) {
  enter_tmp();
  make_pic();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load_ok(ctx,
                            "canvas{width=8,height=4,frames=3}\n"
                            "local im = image{path='in.png', name='im'}\n"
                            "png{image=im, path='out/%04d.png'}\n"
                            "png{image=im, path='same.png', overwrite=true}\n"
                            "png{image=im, path='f%02d/x.png'}\n");
  cr_assert_eq(ysg_pipeline_run_range(p, 5, 7, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  const char *want[] = {"out/0005.png", "out/0006.png", "out/0007.png", "same.png",
                        "f05/x.png",    "f06/x.png",    "f07/x.png"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    int w, h, bits;
    uint16_t *px = read_rgba(want[i], &w, &h, &bits);
    cr_assert(w == 8 && h == 4 && bits == 8, "%s", want[i]);
    cr_assert_eq(px[(1 * 8 + 2) * 4 + 0], pic[(1 * 4 + 2) * 4 + 0], "%s", want[i]);
    free(px);
  }
  int n;
  cr_assert_eq(leftover_tmp("out", &n), 0);
  cr_assert_eq(n, 3);
  cr_assert_eq(leftover_tmp(".", &n), 0);
  cr_assert_eq(n, 6); /* in.png same.png out f05 f06 f07 */
}

Test(png_node, path_errors) {
  enter_tmp();
  make_pic();
  ysg_context *ctx = ysgt_ctx();
  char src[512];
  const char *head = "canvas{width=8,height=4,frames=2}\nlocal im = image{path='in.png'}\n";
  snprintf(src, sizeof src, "%spng{image=im, path='out/%%s.png', name='o'}\n", head);
  cr_assert_eq(ysgt_load(ctx, src, NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (png): parameter 'path': unsupported pattern '%s' (a "
                   "frame number is written %d, %04d or %5d; a percent sign %%)");
  snprintf(src, sizeof src, "%spng{image=im, path='%%d/%%d.png', name='o'}\n", head);
  cr_assert_eq(ysgt_load(ctx, src, NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (png): parameter 'path': only one "
                   "%d-style frame pattern is allowed, found '%d' and '%d'");
  ysgt_write(".", "blocker", "x");
  snprintf(src, sizeof src, "%spng{image=im, path='blocker/%%d.png', name='o'}\n", head);
  cr_assert_eq(ysgt_load(ctx, src, NULL), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (png): parameter 'path': cannot "
                   "create directory 'blocker': Not a directory");
  /* a failure on the writer thread surfaces at the flush, naming the node */
  ysgt_write(".", "b1", "x");
  snprintf(src, sizeof src, "%spng{image=im, path='b%%d/x.png', name='o'}\n", head);
  ysg_pipeline *p = load_ok(ctx, src);
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'o' (png): cannot create directory 'b1': Not a directory");
  ysg_pipeline_destroy(p);
  cr_assert_eq(leftover_tmp("b0", NULL), 0);
  ysg_context_destroy(ctx);
}

/* ---- ysg_pipeline_dump ------------------------------------------------------------------------
 */
static ysg_status tpts_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = 4;
  return YSG_OK;
}
static ysg_status tpts_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  const float xy[6] = {1.5f, 2, -3.25f, 1e6f, 0.1f, (float)f->index};
  const float rgba[12] = {1, 0, 0, 1, 0, 1, 0, 0.5f, 1, 1, 1, 0.25f};
  memcpy(v->xy, xy, sizeof xy);
  memcpy(v->rgba, rgba, sizeof rgba);
  for (int i = 0; i < 3; i++) v->id[i] = 10 + i, v->radius[i] = 2.5f * (float)i;
  v->count = 3;
  v->attrs = YSG_ATTR_ID | YSG_ATTR_RGBA;
  return YSG_OK;
}
static ysg_status tedges_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = 8;
  return YSG_OK;
}
static ysg_status tedges_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  const int32_t ij[4] = {0, 1, 1, 2};
  memcpy(v->ij, ij, sizeof ij);
  v->count = 2;
  (void)f;
  return YSG_OK;
}
static const ysg_port_def pts_out[] = {{"points", YSG_POINTS, 0, "test points", NULL, 0}};
static const ysg_port_def edges_out[] = {{"edges", YSG_EDGES, 0, "test edges", NULL, 0}};
static const ysg_node_type tpts = {"tpts",  "source",   "test points", NULL, 0,
                                   pts_out, 1,          NULL,          0,    0,
                                   NULL,    tpts_infer, tpts_run,      NULL, NULL};
static const ysg_node_type tedges = {
    "tedges", "source", "test edges", NULL,         0,          edges_out, 1,   NULL,
    0,        0,        NULL,         tedges_infer, tedges_run, NULL,      NULL};

Test(dump, points_edges_image) {
  enter_tmp();
  make_pic();
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &tpts), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &tedges), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline *p = load_ok(ctx,
                            "canvas{width=4,height=4,frames=10}\n"
                            "tpts{name='pts'}\ntedges{name='e'}\n"
                            "image{path='in.png', name='im'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 7), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_dump(p, "pts", "csv/pts_%03d.csv", 7), YSG_OK, "%s", ysg_errmsg(ctx));
  char *txt = ysgt_read("csv/pts_007.csv", NULL);
  cr_assert_not_null(txt);
  cr_assert_str_eq(txt,
                   "x,y,id,r,g,b,a\n"
                   "1.5,2,10,1,0,0,1\n"
                   "-3.25,1000000,11,0,1,0,0.5\n"
                   "0.100000001,7,12,1,1,1,0.25\n");
  free(txt);
  cr_assert_eq(ysg_pipeline_dump(p, "e", "e.csv", 7), YSG_OK, "%s", ysg_errmsg(ctx));
  txt = ysgt_read("e.csv", NULL);
  cr_assert_str_eq(txt, "i,j\n0,1\n1,2\n");
  free(txt);
  cr_assert_eq(ysg_pipeline_dump(p, "im", "im.png", 7), YSG_OK, "%s", ysg_errmsg(ctx));
  int w, h, bits;
  uint16_t *px = read_rgba("im.png", &w, &h, &bits);
  cr_assert(w == 4 && h == 4 && bits == 8);
  for (int i = 0; i < 64; i++) cr_assert_eq(px[i], pic[i], "sample %d", i);
  free(px);

  /* failures: the parent is a file; the target is a directory; a bad pattern */
  ysgt_write(".", "blocker", "x");
  cr_assert_eq(ysg_pipeline_dump(p, "e", "blocker/e.csv", 7), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx), "cannot create directory 'blocker': Not a directory");
  mkdir("d.csv", 0777);
  cr_assert_eq(ysg_pipeline_dump(p, "e", "d.csv", 7), YSG_ERR_IO);
  cr_assert_str_eq(ysg_errmsg(ctx), "cannot write 'd.csv': Is a directory");
  cr_assert_eq(ysg_pipeline_dump(p, "e", "e_%s.csv", 7), YSG_ERR_INVALID);
  cr_assert(strstr(ysg_errmsg(ctx), "ysg_pipeline_dump: path 'e_%s.csv': unsupported pattern"));
  if (geteuid() != 0) {
    mkdir("ro", 0555);
    cr_assert_eq(ysg_pipeline_dump(p, "e", "ro/x.csv", 7), YSG_ERR_IO);
    cr_assert_str_eq(ysg_errmsg(ctx), "cannot write 'ro/x.csv': Permission denied");
  }
  cr_assert_eq(leftover_tmp(".", NULL), 0);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static ysg_status tboxes_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = 2;
  return YSG_OK;
}
static ysg_status tboxes_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  const float xywh[8] = {1, 2, 3, 4, 5.5f, 6, 7, 8};
  memcpy(v->xywh, xywh, sizeof xywh);
  v->id[0] = 4, v->id[1] = -1;
  v->count = 2;
  v->attrs = YSG_ATTR_ID;
  (void)f;
  return YSG_OK;
}
static ysg_status tcurves_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = 2;
  v->samples = 3;
  return YSG_OK;
}
static ysg_status tcurves_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  const float xy[6] = {0, 0, 1, 0.5f, 2, 1};
  memcpy(v->xy, xy, sizeof xy);
  v->ij[0] = 0, v->ij[1] = 1;
  v->count = 1;
  (void)f;
  return YSG_OK;
}
static const ysg_port_def boxes_out[] = {{"boxes", YSG_BOXES, 0, "test boxes", NULL, 0}};
static const ysg_port_def curves_out[] = {{"curves", YSG_CURVES, 0, "test curves", NULL, 0}};
static const ysg_node_type tboxes = {
    "tboxes", "source", "test boxes", NULL,         0,          boxes_out, 1,   NULL,
    0,        0,        NULL,         tboxes_infer, tboxes_run, NULL,      NULL};
static const ysg_node_type tcurves = {
    "tcurves", "source", "test curves", NULL,          0,           curves_out, 1,   NULL,
    0,         0,        NULL,          tcurves_infer, tcurves_run, NULL,       NULL};

Test(dump, boxes_curves) {
  enter_tmp();
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &tboxes), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &tcurves), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline *p = load_ok(ctx, "canvas{width=4,height=4}\ntboxes{name='b'}\ntcurves{name='c'}\n");
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_dump(p, "b", "b.csv", 0), YSG_OK, "%s", ysg_errmsg(ctx));
  char *txt = ysgt_read("b.csv", NULL);
  cr_assert_str_eq(txt, "x,y,w,h,id\n1,2,3,4,4\n5.5,6,7,8,-1\n");
  free(txt);
  cr_assert_eq(ysg_pipeline_dump(p, "c", "c.csv", 0), YSG_OK, "%s", ysg_errmsg(ctx));
  txt = ysgt_read("c.csv", NULL);
  cr_assert_str_eq(txt, "curve,sample,x,y\n0,0,0,0\n0,1,1,0.5\n0,2,2,1\n");
  free(txt);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
