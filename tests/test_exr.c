/* test_exr.c — OpenEXR out and in (nodes/exr.c, nodes/exr_io.cpp, nodes/image_exr.c): half RGBA
 * written and read back bit-exactly with every lossless compression (and closely with the lossy
 * ones), files from OpenEXR's own C API (float, RGB, Y, data windows) read as documented, the
 * exr sink and image sequences end to end, and bad or unsupported files with their messages. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#ifdef YSG_HAVE_OPENEXR
#include <dirent.h>
#include <math.h>
#include <openexr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "color.h"
#include "exr_io.h"
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

static uint32_t rng = 99;
static uint32_t next_rand(void) {
  rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
  return rng;
}

/* premultiplied half RGBA: smooth areas, noise, zeros and values above 1 */
static uint16_t *make_pixels(int w, int h) {
  uint16_t *px = malloc((size_t)w * h * 8);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float a = (x / 8 + y / 8) % 5 == 0 ? 0.0f : (float)(next_rand() % 1000) / 999.0f;
      float p[4] = {a * (float)x / (float)w * 3.0f, a * (float)(next_rand() % 4096) / 4096.0f,
                    a * (float)y / (float)h, a};
      ysg_store_px(px + ((size_t)y * w + x) * 4, p);
    }
  return px;
}

static const char *const comp_names[] = {"none",  "rle", "zips", "zip",  "piz",
                                         "pxr24", "b44", "b44a", "dwaa", "dwab"};

Test(exr, write_read_every_compression) {
  const int w = 123, h = 77;
  uint16_t *px = make_pixels(w, h);
  char path[512], err[512];
  for (int c = 0; c < 10; c++) {
    snprintf(path, sizeof path, "%s/%s.exr", ysgt_tmpdir(), comp_names[c]);
    cr_assert_eq(ysg__exr_write(path, px, w, h, 0, c, 45.0f, err, sizeof err), YSG_OK, "%s: %s",
                 comp_names[c], err);
    uint16_t *back = NULL;
    int bw, bh;
    cr_assert_eq(ysg__exr_read(path, &heap, &back, &bw, &bh, err, sizeof err), YSG_OK, "%s: %s",
                 comp_names[c], err);
    cr_assert_eq(bw, w);
    cr_assert_eq(bh, h);
    if (c <= 5) { /* none, rle, zips, zip, piz, pxr24: every half kept */
      cr_expect(!memcmp(back, px, (size_t)w * h * 8), "%s changed pixels", comp_names[c]);
    } else { /* lossy: close, relative to the value (b44 quantises in a log-like domain) */
      double worst = 0;
      for (size_t i = 0; i < (size_t)w * h * 4; i++) {
        double v = ysg_half_to_float(px[i]);
        double d = fabs(ysg_half_to_float(back[i]) - v) / (fabs(v) + 0.25);
        if (d > worst) worst = d;
      }
      cr_expect_lt(worst, 0.25, "%s: largest relative error %g", comp_names[c], worst);
      cr_expect(memcmp(back, px, (size_t)w * h * 8), "%s kept every half of noise", comp_names[c]);
    }
    free(back);
  }
  free(px);
}

Test(exr, strided_rows) {
  const int w = 40, h = 30;
  uint16_t *px = make_pixels(w, h);
  const size_t stride = (size_t)w * 8 + 40;
  uint8_t *rows = calloc(stride * h, 1);
  for (int y = 0; y < h; y++)
    memcpy(rows + (size_t)y * stride, px + (size_t)y * w * 4, (size_t)w * 8);
  char path[512], err[512];
  snprintf(path, sizeof path, "%s/strided.exr", ysgt_tmpdir());
  cr_assert_eq(
      ysg__exr_write(path, (const uint16_t *)rows, w, h, stride, 3, 45.0f, err, sizeof err), YSG_OK,
      "%s", err);
  uint16_t *back = malloc((size_t)w * h * 8);
  int gw, gh;
  cr_assert_eq(ysg__exr_decode(path, back, w, h, &gw, &gh, err, sizeof err), YSG_OK, "%s", err);
  cr_expect(!memcmp(back, px, (size_t)w * h * 8));
  cr_assert_eq(ysg__exr_decode(path, back, w + 1, h, &gw, &gh, err, sizeof err), YSG_ERR_DATA);
  cr_expect_str_eq(err, "the image is 40x30, expected 41x30");
  cr_expect(gw == w && gh == h);
  free(px), free(rows), free(back);
}

/* ---- files made with OpenEXR's C API ------------------------------------------------------- */
typedef struct spec {
  const char *channels; /* one letter per channel, sorted: "ABGR", "BGR", "Y", "Z" */
  exr_pixel_type_t type;
  exr_attr_box2i_t disp, data;
  float (*value)(int x, int y, char ch);
} spec;

static float ramp(int x, int y, char ch) {
  return ch == 'A' ? 0.5f
                   : (float)(x + 2 * y) / 64.0f + (ch == 'G'   ? 0.25f
                                                   : ch == 'B' ? 0.125f
                                                               : 0.0f);
}

static void write_core(const char *path, const spec *s) {
  exr_context_t f;
  exr_context_initializer_t ini = EXR_DEFAULT_CONTEXT_INITIALIZER;
  cr_assert_eq(exr_start_write(&f, path, EXR_WRITE_FILE_DIRECTLY, &ini), EXR_ERR_SUCCESS);
  int part;
  cr_assert_eq(exr_add_part(f, "", EXR_STORAGE_SCANLINE, &part), EXR_ERR_SUCCESS);
  exr_attr_v2f_t swc = {0, 0};
  cr_assert_eq(exr_initialize_required_attr(f, part, &s->disp, &s->data, 1.0f, &swc, 1.0f,
                                            EXR_LINEORDER_INCREASING_Y, EXR_COMPRESSION_ZIP),
               EXR_ERR_SUCCESS);
  int nc = (int)strlen(s->channels);
  for (int c = 0; c < nc; c++) {
    char name[2] = {s->channels[c], 0};
    cr_assert_eq(exr_add_channel(f, part, name, s->type, EXR_PERCEPTUALLY_LOGARITHMIC, 1, 1),
                 EXR_ERR_SUCCESS);
  }
  cr_assert_eq(exr_write_header(f), EXR_ERR_SUCCESS);
  const int w = s->data.max.x - s->data.min.x + 1, h = s->data.max.y - s->data.min.y + 1;
  const size_t es = s->type == EXR_PIXEL_HALF ? 2 : 4;
  uint8_t *plane[4];
  for (int c = 0; c < nc; c++) {
    plane[c] = malloc((size_t)w * h * es);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = s->value(x + s->data.min.x, y + s->data.min.y, s->channels[c]);
        size_t o = ((size_t)y * w + x) * es;
        if (es == 2) {
          uint16_t hv = ysg_float_to_half(v);
          memcpy(plane[c] + o, &hv, 2);
        } else {
          memcpy(plane[c] + o, &v, 4);
        }
      }
  }
  int32_t lpc;
  cr_assert_eq(exr_get_scanlines_per_chunk(f, part, &lpc), EXR_ERR_SUCCESS);
  exr_encode_pipeline_t enc;
  memset(&enc, 0, sizeof enc);
  for (int y = s->data.min.y; y <= s->data.max.y; y += lpc) {
    exr_chunk_info_t ci;
    cr_assert_eq(exr_write_scanline_chunk_info(f, part, y, &ci), EXR_ERR_SUCCESS);
    exr_result_t r = y == s->data.min.y ? exr_encoding_initialize(f, part, &ci, &enc)
                                        : exr_encoding_update(f, part, &ci, &enc);
    cr_assert_eq(r, EXR_ERR_SUCCESS);
    for (int c = 0; c < enc.channel_count; c++) {
      exr_coding_channel_info_t *cc = &enc.channels[c];
      int k = (int)(strchr(s->channels, cc->channel_name[0]) - s->channels);
      cc->encode_from_ptr = plane[k] + (size_t)(y - s->data.min.y) * w * es;
      cc->user_pixel_stride = (int32_t)es;
      cc->user_line_stride = (int32_t)(w * es);
      cc->user_bytes_per_element = (int16_t)es;
      cc->user_data_type = (uint16_t)s->type;
    }
    if (y == s->data.min.y)
      cr_assert_eq(exr_encoding_choose_default_routines(f, part, &enc), EXR_ERR_SUCCESS);
    cr_assert_eq(exr_encoding_run(f, part, &enc), EXR_ERR_SUCCESS);
  }
  exr_encoding_destroy(f, &enc);
  cr_assert_eq(exr_finish(&f), EXR_ERR_SUCCESS);
  for (int c = 0; c < nc; c++) free(plane[c]);
}

static uint16_t *read_ok(const char *path, int *w, int *h) {
  uint16_t *px = NULL;
  char err[512];
  cr_assert_eq(ysg__exr_read(path, &heap, &px, w, h, err, sizeof err), YSG_OK, "%s: %s", path, err);
  return px;
}

static void expect_px(const uint16_t *px, int w, int x, int y, float r, float g, float b, float a) {
  const float want[4] = {r, g, b, a};
  for (int c = 0; c < 4; c++) {
    uint16_t got = px[((size_t)y * w + x) * 4 + c], exp = ysg_float_to_half(want[c]);
    cr_expect_eq(got, exp, "pixel (%d, %d) channel %d: %g, want %g", x, y, c,
                 ysg_half_to_float(got), want[c]);
  }
}

Test(exr, float_rgb_y_and_data_windows) {
  char path[512];
  const exr_attr_box2i_t box = {{0, 0}, {15, 9}};
  int w, h;
  /* float RGBA: rounded to half */
  snprintf(path, sizeof path, "%s/float.exr", ysgt_tmpdir());
  write_core(path, &(spec){"ABGR", EXR_PIXEL_FLOAT, box, box, ramp});
  uint16_t *px = read_ok(path, &w, &h);
  cr_assert(w == 16 && h == 10);
  expect_px(px, w, 5, 3, ramp(5, 3, 'R'), ramp(5, 3, 'G'), ramp(5, 3, 'B'), 0.5f);
  free(px);
  /* RGB: alpha 1 */
  snprintf(path, sizeof path, "%s/rgb.exr", ysgt_tmpdir());
  write_core(path, &(spec){"BGR", EXR_PIXEL_HALF, box, box, ramp});
  px = read_ok(path, &w, &h);
  expect_px(px, w, 15, 9, ramp(15, 9, 'R'), ramp(15, 9, 'G'), ramp(15, 9, 'B'), 1.0f);
  free(px);
  /* Y: gray */
  snprintf(path, sizeof path, "%s/y.exr", ysgt_tmpdir());
  write_core(path, &(spec){"Y", EXR_PIXEL_HALF, box, box, ramp});
  px = read_ok(path, &w, &h);
  float y = ysg_half_to_float(ysg_float_to_half(ramp(7, 2, 'Y')));
  expect_px(px, w, 7, 2, y, y, y, 1.0f);
  free(px);
  /* a data window inside the display window, and one reaching outside it */
  snprintf(path, sizeof path, "%s/inside.exr", ysgt_tmpdir());
  write_core(path, &(spec){"ABGR", EXR_PIXEL_HALF, box, {{4, 2}, {9, 5}}, ramp});
  px = read_ok(path, &w, &h);
  cr_assert(w == 16 && h == 10);
  expect_px(px, w, 3, 2, 0, 0, 0, 0); /* outside the data: transparent */
  expect_px(px, w, 4, 2, ramp(4, 2, 'R'), ramp(4, 2, 'G'), ramp(4, 2, 'B'), 0.5f);
  expect_px(px, w, 9, 5, ramp(9, 5, 'R'), ramp(9, 5, 'G'), ramp(9, 5, 'B'), 0.5f);
  expect_px(px, w, 9, 6, 0, 0, 0, 0);
  free(px);
  snprintf(path, sizeof path, "%s/outside.exr", ysgt_tmpdir());
  write_core(path,
             &(spec){"ABGR", EXR_PIXEL_HALF, {{10, 20}, {17, 25}}, {{8, 18}, {12, 30}}, ramp});
  px = read_ok(path, &w, &h);
  cr_assert(w == 8 && h == 6, "display window 8x6, got %dx%d", w, h);
  expect_px(px, w, 0, 0, ramp(10, 20, 'R'), ramp(10, 20, 'G'), ramp(10, 20, 'B'), 0.5f);
  expect_px(px, w, 2, 5, ramp(12, 25, 'R'), ramp(12, 25, 'G'), ramp(12, 25, 'B'), 0.5f);
  expect_px(px, w, 3, 5, 0, 0, 0, 0);
  free(px);
}

/* ---- bad and unsupported files ----------------------------------------------------------------
 */
static void expect_read_fail(const char *path, ysg_status status, const char *msg) {
  uint16_t *px = NULL;
  int w, h;
  char err[512];
  cr_expect_eq(ysg__exr_read(path, &heap, &px, &w, &h, err, sizeof err), status, "%s: %s", path,
               err);
  if (msg) cr_expect_str_eq(err, msg);
  cr_expect_null(px);
}

static const char *write_bytes(const char *dir, const char *name, const void *b, size_t n) {
  static char path[8][512];
  static int k;
  char *p = path[k++ & 7];
  snprintf(p, 512, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  cr_assert(f);
  cr_assert_eq(fwrite(b, 1, n, f), n);
  fclose(f);
  return p;
}

Test(exr, bad_files) {
  const char *dir = ysgt_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/none.exr", dir);
  expect_read_fail(path, YSG_ERR_IO, "No such file or directory");
  expect_read_fail(write_bytes(dir, "text.exr", "hello world", 11), YSG_ERR_DATA,
                   "not an OpenEXR file");
  const uint8_t v3[8] = {0x76, 0x2f, 0x31, 0x01, 3, 0, 0, 0};
  expect_read_fail(write_bytes(dir, "v3.exr", v3, 8), YSG_ERR_DATA,
                   "OpenEXR version 3 is not supported (expected 2)");
  const uint8_t multi[8] = {0x76, 0x2f, 0x31, 0x01, 2, 0x10, 0, 0};
  expect_read_fail(write_bytes(dir, "multi.exr", multi, 8), YSG_ERR_DATA,
                   "a multi-part OpenEXR file (image reads single-part files)");
  const uint8_t deep[8] = {0x76, 0x2f, 0x31, 0x01, 2, 0x08, 0, 0};
  expect_read_fail(write_bytes(dir, "deep.exr", deep, 8), YSG_ERR_DATA,
                   "deep OpenEXR data (image reads flat RGBA, RGB or Y images)");
  snprintf(path, sizeof path, "%s/z.exr", dir);
  const exr_attr_box2i_t box = {{0, 0}, {3, 3}};
  write_core(path, &(spec){"Z", EXR_PIXEL_FLOAT, box, box, ramp});
  expect_read_fail(path, YSG_ERR_DATA, "no R, G, B or Y channel (channels: Z)");
  /* a valid file cut short: OpenEXR's reason */
  snprintf(path, sizeof path, "%s/whole.exr", dir);
  uint16_t *px = make_pixels(64, 64);
  char err[512];
  cr_assert_eq(ysg__exr_write(path, px, 64, 64, 0, 3, 45.0f, err, sizeof err), YSG_OK, "%s", err);
  size_t len;
  char *whole = ysgt_read(path, &len);
  expect_read_fail(write_bytes(dir, "cut.exr", whole, len / 2), YSG_ERR_DATA, NULL);
  expect_read_fail(write_bytes(dir, "header.exr", whole, 40), YSG_ERR_DATA, NULL);
  free(whole), free(px);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *de; d && (de = readdir(d));)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
  if (d) closedir(d);
  return n;
}

Test(exr, failed_writes_leave_nothing) {
  const char *dir = ysgt_tmpdir();
  uint16_t px[16] = {0};
  char path[512], err[512], want[700];
  snprintf(path, sizeof path, "%s/no/such/dir.exr", dir);
  cr_assert_eq(ysg__exr_write(path, px, 2, 2, 0, 3, 45.0f, err, sizeof err), YSG_ERR_IO);
  snprintf(want, sizeof want, "cannot write '%s': No such file or directory", path);
  cr_expect_str_eq(err, want);
  snprintf(path, sizeof path, "%s/adir.exr", dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  int before = count_entries(dir);
  cr_assert_eq(ysg__exr_write(path, px, 2, 2, 0, 3, 45.0f, err, sizeof err), YSG_ERR_IO);
  snprintf(want, sizeof want, "cannot write '%s': Is a directory", path);
  cr_expect_str_eq(err, want);
  cr_expect_eq(count_entries(dir), before, "a temporary was left behind");
  /* an existing file stays as it was when a write fails */
  snprintf(path, sizeof path, "%s/keep.exr", dir);
  cr_assert_eq(ysg__exr_write(path, px, 2, 2, 0, 3, 45.0f, err, sizeof err), YSG_OK, "%s", err);
  cr_assert_eq(ysg__exr_write(path, px, 0, 2, 0, 3, 45.0f, err, sizeof err), YSG_ERR_INVALID);
  snprintf(want, sizeof want, "cannot write '%s': invalid image (0x2, compression 3)", path);
  cr_expect_str_eq(err, want);
  uint16_t *back = NULL;
  int w, h;
  cr_expect_eq(ysg__exr_read(path, &heap, &back, &w, &h, err, sizeof err), YSG_OK, "%s", err);
  free(back);
}

/* ---- nodes: the sink writes what image reads back, single files and sequences ---------------- */
static ysg_pipeline *load_in(ysg_context *ctx, const char *dir, const char *src) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  const char *keep[] = {"pic"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  const char *file = ysgt_write(dir, "p.lua", src);
  cr_assert_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

Test(exr, sink_and_image_sequence_round_trip) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_pipeline *p = load_in(ctx, dir,
                            "canvas{width=96, height=64, frames=3}\n"
                            "local g = gradient{from='#000000', to='#ffffff', angle=function(f) "
                            "return 20 * f end}\n"
                            "local d = dot{points=scatter{count=9, seed=2}, radius=5, "
                            "color='#ff000080'}\n"
                            "local m = merge{layers={g, d}, name='pic'}\n"
                            "exr{image=m, path='out/%03d.exr', compression='piz', start=1}\n");
  uint16_t *want[3];
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v;
    cr_assert_eq(ysg_pipeline_get_value(p, "pic", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    want[f] = malloc((size_t)96 * 64 * 8);
    memcpy(want[f], v->px, (size_t)96 * 64 * 8);
  }
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  /* the files read back as a sequence from 1: the canvas comes from them */
  p = load_in(ctx, dir, "image{path='out/%03d.exr', start=1, name='pic'}\n");
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  cr_expect(cv->width == 96 && cv->height == 64 && cv->frames == 3, "canvas %dx%d, %d frames",
            cv->width, cv->height, cv->frames);
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v;
    cr_assert_eq(ysg_pipeline_get_value(p, "pic", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_expect(!memcmp(v->px, want[f], (size_t)96 * 64 * 8), "frame %d differs", f);
    free(want[f]);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(exr, image_messages) {
  const char *dir = ysgt_tmpdir();
  write_bytes(dir, "bad.exr", "not an exr", 10);
  char src[256], want[1024];
  snprintf(src, sizeof src, "image{path='%s/bad.exr'}\n", dir);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  snprintf(want, sizeof want,
           "test.lua:1: node 'image_1' (image): parameter 'path': cannot read EXR '%s/bad.exr': "
           "not an OpenEXR file",
           dir);
  ysgt_expect_load_fail(src, &lo, YSG_ERR_DATA, want);
  const uint8_t multi[8] = {0x76, 0x2f, 0x31, 0x01, 2, 0x10, 0, 0};
  write_bytes(dir, "m.exr", multi, 8);
  snprintf(src, sizeof src, "image{path='%s/m.exr'}\n", dir);
  snprintf(want, sizeof want,
           "test.lua:1: node 'image_1' (image): parameter 'path': cannot read EXR '%s/m.exr': a "
           "multi-part OpenEXR file (image reads single-part files)",
           dir);
  ysgt_expect_load_fail(src, &lo, YSG_ERR_DATA, want);
}

#else
Test(exr, skipped) { cr_skip_test("built without OpenEXR (YSG_HAVE_OPENEXR)"); }
#endif
