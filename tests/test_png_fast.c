/* test_png_fast.c — the PNG encoder of the `png` sink (engine/png_fast.c, engine/deflate_rle.c):
 * DEFLATE pieces joined as one stream and inflated by zlib, every level's files decoded by libpng
 * (CRCs checked, no warnings) to exactly the input samples at 8 and 16 bits and many shapes,
 * the same pixels as the libpng writer, atomic failures, and the sink's levels end to end. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "deflate_rle.h"
#include "png_fast.h"
#include "png_io.h"
#include "util.h"

static void *plain_alloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void plain_free(void *ud, void *p) {
  (void)ud;
  free(p);
}
static const ysg_png_alloc heap = {plain_alloc, plain_free, NULL};

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
  rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
  return rng;
}

/* ---- deflate_rle: pieces joined into one raw DEFLATE stream ---------------------------------- */
static void roundtrip_pieces(const uint8_t *in, size_t n, size_t piece, int stored) {
  size_t cap = 16;
  for (size_t o = 0; o < n; o += piece)
    cap += ysg__deflate_rle_bound(n - o < piece ? n - o : piece);
  uint8_t *out = malloc(cap + ysg__deflate_rle_bound(0));
  uint16_t *tok = malloc((piece + 1) * sizeof *tok);
  size_t z = 0, o = 0;
  do {
    size_t k = n - o < piece ? n - o : piece;
    size_t bound = ysg__deflate_rle_bound(k);
    size_t w = ysg__deflate_rle(in + o, k, o ? in[o - 1] : -1, o + k >= n, stored, tok, out + z);
    cr_assert_leq(w, bound, "piece at %zu wrote %zu bytes, bound %zu", o, w, bound);
    z += w, o += k;
  } while (o < n);
  uint8_t *back = malloc(n + 1);
  z_stream s;
  memset(&s, 0, sizeof s);
  cr_assert_eq(inflateInit2(&s, -15), Z_OK);
  s.next_in = out, s.avail_in = (uInt)z, s.next_out = back, s.avail_out = (uInt)n + 1;
  int r = inflate(&s, Z_FINISH);
  cr_assert_eq(r, Z_STREAM_END, "n %zu piece %zu stored %d: inflate says %d (%s)", n, piece, stored,
               r, s.msg ? s.msg : "");
  cr_assert_eq(s.total_out, n);
  cr_assert_eq(s.avail_in, 0, "%u bytes after the end of the stream", s.avail_in);
  cr_assert(n == 0 || !memcmp(back, in, n), "n %zu piece %zu: bytes differ", n, piece);
  inflateEnd(&s);
  free(out), free(tok), free(back);
}

Test(deflate_rle, pieces_inflate_to_the_input) {
  const size_t N = 400000;
  uint8_t *d = malloc(N);
  for (int kind = 0; kind < 5; kind++) {
    for (size_t i = 0; i < N; i++) {
      uint32_t r = next_rand();
      d[i] = kind == 0   ? 0                                         /* one long run */
             : kind == 1 ? (uint8_t)r                                /* incompressible: stored */
             : kind == 2 ? (r % 10 == 0 ? (uint8_t)(r >> 8) : 0)     /* sparse, like an overlay */
             : kind == 3 ? (uint8_t)(i / 1000)                       /* runs of every byte value */
                         : (uint8_t)(r % 3 == 0 ? (r >> 4) & 3 : 0); /* short runs */
    }
    const size_t sizes[] = {1, 2, 3, 4, 259, 260, 65535, 65536, 70000, N};
    const size_t pieces[] = {1, 3, 258, 7777, 1 << 20};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
      for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++)
        for (int stored = 0; stored < 2; stored++) {
          if (sizes[a] / pieces[p] > 5000) continue; /* keeps the test short */
          roundtrip_pieces(d, sizes[a], pieces[p], stored);
        }
  }
  free(d);
}

Test(deflate_rle, empty_pieces_and_runs_across_pieces) {
  uint8_t zeros[1000] = {0};
  roundtrip_pieces(zeros, 0, 10, 0);           /* an empty stream: one empty final block */
  roundtrip_pieces(zeros, sizeof zeros, 1, 0); /* every piece continues the run before it */
  roundtrip_pieces(zeros, sizeof zeros, 2, 0);
  uint16_t tok[4];
  uint8_t out[64];
  size_t w = ysg__deflate_rle(zeros, 0, -1, 0, 0, tok, out);
  cr_assert_eq(w, 0, "an empty piece that is not the last writes nothing");
}

Test(deflate_rle, compresses_runs_and_stores_noise) {
  const size_t n = 1 << 20;
  uint8_t *zeros = calloc(n, 1), *noise = malloc(n), *out = malloc(ysg__deflate_rle_bound(n));
  uint16_t *tok = malloc(n * sizeof *tok);
  for (size_t i = 0; i < n; i++) noise[i] = (uint8_t)next_rand();
  size_t z = ysg__deflate_rle(zeros, n, -1, 1, 0, tok, out);
  cr_expect_lt(z, n / 500, "1 MiB of zeros took %zu bytes", z);
  z = ysg__deflate_rle(noise, n, -1, 1, 0, tok, out);
  cr_expect_eq(z, n + 5 * (n / 65535 + 1), "noise is stored: %zu bytes", z);
  free(zeros), free(noise), free(out), free(tok);
}

/* ---- PNG files: libpng decodes them to the input ----------------------------------------------
 */
typedef struct rd {
  jmp_buf jb;
  int warnings;
  char msg[256];
} rd;

static void on_err(png_structp png, png_const_charp m) {
  rd *r = png_get_error_ptr(png);
  snprintf(r->msg, sizeof r->msg, "%s", m);
  longjmp(r->jb, 1);
}
static void on_warn(png_structp png, png_const_charp m) {
  rd *r = png_get_error_ptr(png);
  r->warnings++;
  snprintf(r->msg, sizeof r->msg, "%s", m);
}

/* Decode path with libpng (CRC errors are errors) and compare with the samples written. */
static void expect_decodes_to(const char *path, const void *px, int w, int h, int bits) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  rd r = {.warnings = 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_err, on_warn);
  png_infop info = png_create_info_struct(png);
  uint8_t *row = malloc((size_t)w * 8);
  if (setjmp(r.jb)) cr_assert_fail("%s: libpng: %s", path, r.msg);
  png_init_io(png, f);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  png_read_info(png, info);
  cr_assert_eq(png_get_image_width(png, info), (png_uint_32)w);
  cr_assert_eq(png_get_image_height(png, info), (png_uint_32)h);
  cr_assert_eq(png_get_bit_depth(png, info), bits);
  cr_assert_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGBA);
  cr_assert(png_get_valid(png, info, PNG_INFO_sRGB), "no sRGB chunk");
  for (int y = 0; y < h; y++) {
    png_read_row(png, row, NULL);
    for (int i = 0; i < w * 4; i++) {
      unsigned got = bits == 8 ? row[i] : (unsigned)(row[2 * i] << 8 | row[2 * i + 1]);
      unsigned want = bits == 8 ? ((const uint8_t *)px)[(size_t)y * w * 4 + i]
                                : ((const uint16_t *)px)[(size_t)y * w * 4 + i];
      if (got != want)
        cr_assert_fail("%s: row %d sample %d: got %u, want %u", path, y, i, got, want);
    }
  }
  png_read_end(png, NULL);
  cr_assert_eq(r.warnings, 0, "%s: libpng warned: %s", path, r.msg);
  png_destroy_read_struct(&png, &info, NULL);
  free(row);
  fclose(f);
}

/* an overlay-like picture: background, a few shapes, some noise; or pure noise */
static void *make_image(int w, int h, int bits, int noise) {
  size_t n = (size_t)w * h * 4;
  void *px = malloc(n * (size_t)(bits / 8));
  for (size_t i = 0; i < n; i++) {
    size_t p = i / 4;
    int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
    uint32_t v = noise ? next_rand()
                       : ((x / 7 + y / 5) % 9 == 0 ? next_rand() % 256 : 40u + (unsigned)y % 3);
    if (bits == 8)
      ((uint8_t *)px)[i] = (uint8_t)v;
    else
      ((uint16_t *)px)[i] = (uint16_t)(noise ? v : v * 257u + (v & 1u));
  }
  return px;
}

Test(png_fast, every_level_decodes_to_the_input) {
  const char *dir = ysgt_tmpdir();
  ysg_png_encoder *e;
  cr_assert_eq(ysg__png_encoder_create(&heap, 3, &e), YSG_OK);
  const int shapes[][2] = {{1, 1}, {1, 300}, {300, 1}, {2, 2}, {17, 33}, {257, 190}, {1000, 700}};
  char path[512], err[256];
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
    for (int bits = 8; bits <= 16; bits += 8)
      for (int noise = 0; noise < 2; noise++) {
        int w = shapes[k][0], h = shapes[k][1];
        void *px = make_image(w, h, bits, noise);
        const int levels[] = {0, 1, 2, 3, 6, 9};
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
          snprintf(path, sizeof path, "%s/img_%dx%d_%d_%d_l%d.png", dir, w, h, bits, noise,
                   levels[l]);
          ysg_status s = ysg__png_encode(e, path, px, w, h, 0, bits, levels[l], err, sizeof err);
          cr_assert_eq(s, YSG_OK, "%s: %s", path, err);
          expect_decodes_to(path, px, w, h, bits);
        }
        free(px);
      }
  ysg__png_encoder_destroy(e);
}

Test(png_fast, strided_rows_and_many_bands) {
  /* 40 MB of 16-bit rows: several bands of ~1 MiB, more bands than threads */
  const int w = 2000, h = 600;
  const size_t stride = (size_t)w * 8 + 24;
  uint8_t *px = malloc(stride * h);
  uint16_t *packed = make_image(w, h, 16, 0);
  for (int y = 0; y < h; y++)
    memcpy(px + (size_t)y * stride, packed + (size_t)y * w * 4, (size_t)w * 8);
  ysg_png_encoder *e;
  cr_assert_eq(ysg__png_encoder_create(&heap, 2, &e), YSG_OK);
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/strided.png", ysgt_tmpdir());
  cr_assert_eq(ysg__png_encode(e, path, px, w, h, stride, 16, 2, err, sizeof err), YSG_OK, "%s",
               err);
  expect_decodes_to(path, packed, w, h, 16);
  ysg__png_encoder_destroy(e);
  free(px), free(packed);
}

Test(png_fast, same_pixels_as_the_libpng_writer_and_smaller) {
  const int w = 640, h = 360;
  uint8_t *px = make_image(w, h, 8, 0);
  ysg_png_encoder *e;
  cr_assert_eq(ysg__png_encoder_create(&heap, 2, &e), YSG_OK);
  char a[512], b[512], err[256];
  snprintf(a, sizeof a, "%s/fast.png", ysgt_tmpdir());
  snprintf(b, sizeof b, "%s/libpng.png", ysgt_tmpdir());
  cr_assert_eq(ysg__png_encode(e, a, px, w, h, 0, 8, 2, err, sizeof err), YSG_OK, "%s", err);
  cr_assert_eq(ysg__png_write(b, px, w, h, 0, 8, 2, err, sizeof err), YSG_OK, "%s", err);
  expect_decodes_to(a, px, w, h, 8);
  expect_decodes_to(b, px, w, h, 8);
  struct stat sa, sb;
  cr_assert_eq(stat(a, &sa), 0);
  cr_assert_eq(stat(b, &sb), 0);
  cr_expect_leq(sa.st_size, sb.st_size * 115 / 100, "fast %lld bytes, zlib level 2 %lld",
                (long long)sa.st_size, (long long)sb.st_size);
  ysg__png_encoder_destroy(e);
  free(px);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *de; d && (de = readdir(d));)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
  if (d) closedir(d);
  return n;
}

Test(png_fast, failures_leave_no_file) {
  uint8_t px[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ysg_png_encoder *e;
  cr_assert_eq(ysg__png_encoder_create(&heap, 1, &e), YSG_OK);
  char path[512], err[512], want[700];
  const char *dir = ysgt_tmpdir();
  snprintf(path, sizeof path, "%s/missing/x.png", dir);
  cr_assert_eq(ysg__png_encode(e, path, px, 2, 2, 0, 8, 2, err, sizeof err), YSG_ERR_IO);
  snprintf(want, sizeof want, "cannot write '%s': No such file or directory", path);
  cr_expect_str_eq(err, want);
  snprintf(path, sizeof path, "%s/sub", dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  int before = count_entries(dir);
  cr_assert_eq(ysg__png_encode(e, path, px, 2, 2, 0, 8, 2, err, sizeof err), YSG_ERR_IO);
  snprintf(want, sizeof want, "cannot write '%s': Is a directory", path);
  cr_expect_str_eq(err, want);
  cr_expect_eq(count_entries(dir), before, "a temporary was left behind");
  cr_assert_eq(ysg__png_encode(e, path, px, 0, 2, 0, 8, 2, err, sizeof err), YSG_ERR_INVALID);
  snprintf(want, sizeof want, "cannot write '%s': invalid image (0x2, 8 bits, level 2)", path);
  cr_expect_str_eq(err, want);
  ysg__png_encoder_destroy(e);
}

Test(png_fast, level_names) {
  cr_expect_str_eq(ysg__png_level_name(0), "stored");
  cr_expect_str_eq(ysg__png_level_name(2), "fast deflate");
#ifdef YSG_HAVE_LIBDEFLATE
  cr_expect_str_eq(ysg__png_level_name(6), "libdeflate level 6");
#else
  cr_expect_str_eq(ysg__png_level_name(6), "zlib level 6");
#endif
}

/* ---- the sink: every level writes the same pixels ---------------------------------------------
 */
Test(png_fast, sink_levels_write_the_same_pixels) {
  const char *dir = ysgt_tmpdir();
  uint8_t *first = NULL;
  int fw = 0, fh = 0;
  for (int level = 0; level <= 9; level += 3) {
    char src[1024], path[600];
    snprintf(src, sizeof src,
             "canvas{width=300, height=200, frames=2}\n"
             "local g = gradient{from='#102030', to='#c0a080', angle=30}\n"
             "local d = dot{points=scatter{count=40, seed=3}, radius=6, color='#ff000080'}\n"
             "png{image=merge{layers={g, d}}, path='l%d/%%02d.png', compression=%d}\n",
             level, level);
    ysg_context *ctx = ysgt_ctx_warn(2);
    ysg_load_options lo;
    ysg_load_options_init(&lo);
    lo.output_dir = dir;
    ysg_pipeline *p = NULL;
    cr_assert_eq(ysg_pipeline_load_string(ctx, src, "t.lua", &lo, &p), YSG_OK, "%s",
                 ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_range(p, 0, 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
    snprintf(path, sizeof path, "%s/l%d/01.png", dir, level);
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&im, path), "%s: %s", path, im.message);
    im.format = PNG_FORMAT_RGBA;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
    cr_assert(png_image_finish_read(&im, NULL, px, 0, NULL), "%s: %s", path, im.message);
    if (!first) {
      first = px, fw = (int)im.width, fh = (int)im.height;
      continue;
    }
    cr_assert_eq((int)im.width, fw);
    cr_assert_eq((int)im.height, fh);
    cr_expect(!memcmp(px, first, (size_t)fw * fh * 4), "level %d wrote other pixels", level);
    free(px);
  }
  free(first);
}
