/* test_host_api.c — the calls hosts read and feed images with: ysg_pipeline_read_image in every
 * pixel format (known values, the per-pixel reference of engine/pixel_math.h, empty tiles read as
 * 0, buffer-size and stride errors naming the bytes needed), the FP16 view of get_value with
 * stale tiles zeroed, image_in fed in every format (RGB opaque, a mask a white matte, non-finite
 * values refused with the pixel named), option structs read up to their struct_size, the schema
 * JSON, and a context destroyed before its pipeline. */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pixel_math.h"
#include "util.h"

static ysg_pipeline *load(ysg_context *ctx, const char *src) {
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(ctx, src, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  return p;
}

#define FILL_SRC "canvas { width = 40, height = 20 }\nfill { name = 'bg', color = '#ff000080' }\n"

Test(read_image, known_values_in_every_format) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, FILL_SRC);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  uint8_t rgba8[40 * 20 * 4], rgb8[40 * 20 * 3];
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGBA8_SRGB, rgba8, sizeof rgba8, 0), YSG_OK);
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGB8_SRGB, rgb8, sizeof rgb8, 0), YSG_OK);
  for (int i = 0; i < 40 * 20; i++) {
    cr_assert_eq(rgba8[i * 4 + 0], 255);
    cr_assert_eq(rgba8[i * 4 + 1], 0);
    cr_assert_eq(rgba8[i * 4 + 2], 0);
    cr_assert_eq(rgba8[i * 4 + 3], 128);
    cr_assert_eq(rgb8[i * 3 + 0], 255);
    cr_assert_eq(rgb8[i * 3 + 1], 0);
  }
  static float rgb32[40 * 20 * 3], rgba32[40 * 20 * 4], mask[40 * 20];
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGB32F_SRGB, rgb32, sizeof rgb32, 0), YSG_OK);
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGBA32F_SRGB, rgba32, sizeof rgba32, 0),
               YSG_OK);
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_A32F, mask, sizeof mask, 0), YSG_OK);
  cr_assert_float_eq(rgb32[0], 1.0f, 2e-3);
  cr_assert_float_eq(rgb32[1], 0.0f, 1e-6);
  cr_assert_float_eq(rgba32[3], 128.0f / 255.0f, 1e-3);
  cr_assert_float_eq(mask[799], 128.0f / 255.0f, 1e-3);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* every format's bytes equal the per-pixel reference (pixel_math.h) over many FP16 colours */
Test(read_image, every_format_matches_the_per_pixel_reference) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx,
                         "canvas { width = 64, height = 32 }\nlocal i = image_in { name = "
                         "'img' }\nmerge { name = 'out', layers = { i } }\n");
  static float in[64 * 32 * 4]; /* linear premultiplied, alpha over 0..1, colour <= alpha */
  uint32_t h = 12345;
  for (int i = 0; i < 64 * 32; i++) {
    h = h * 1103515245u + 12345u;
    float a = (float)(h >> 8 & 0xff) / 255.0f;
    if (i % 7 == 0) a = 1.0f;
    if (i % 11 == 0) a = 0.0f;
    for (int c = 0; c < 3; c++) {
      h = h * 1103515245u + 12345u;
      in[i * 4 + c] = a * (float)(h >> 8 & 0xffff) / 65535.0f;
    }
    in[i * 4 + 3] = a;
  }
  ysg_image_desc d = {64, 32, YSG_RGBA32F_LINEAR, in, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK);
  static unsigned char got[64 * 32 * 16], want[16];
  for (int f = 0; f < YSG_PIXEL_FORMAT_COUNT; f++) {
    size_t px = ysg_pixel_format_size((ysg_pixel_format)f);
    cr_assert_eq(ysg_pipeline_read_image(p, "out", (ysg_pixel_format)f, got, sizeof got, 0), YSG_OK,
                 "%s", ysg_errmsg(ctx));
    for (int i = 0; i < 64 * 32; i++) {
      int x = i % 64, y = i / 64;
      memset(want, 0, sizeof want);
      if (v->tiles[(y / 16) * v->tiles_x + x / 16]) ysg_px_encode(f, v->px + (size_t)i * 4, want);
      cr_assert(memcmp(got + (size_t)i * px, want, px) == 0, "%s: pixel %d differs",
                ysg_pixel_format_name((ysg_pixel_format)f), i);
    }
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(read_image, buffer_size_stride_and_format_errors) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, FILL_SRC);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  uint8_t small[100];
  memset(small, 0xab, sizeof small);
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGBA8_SRGB, small, sizeof small, 0),
               YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "'bg': the destination holds 100 bytes, a 40x20 rgba8 image needs 3200 "
                   "(stride 160)");
  cr_assert_eq(small[0], 0xab, "nothing is written into too small a buffer");
  static uint8_t big[40 * 20 * 16 + 4096];
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGB32F_SRGB, big, 9599, 0), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "'bg': the destination holds 9599 bytes, a 40x20 rgb32f image needs 9600 "
                   "(stride 480)");
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGBA8_SRGB, big, sizeof big, 10),
               YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "'bg': stride 10 is smaller than a row of 160 bytes (40 pixels of rgba8)");
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", (ysg_pixel_format)99, big, sizeof big, 0),
               YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "'bg': unknown pixel format 99");
  /* a padded stride: the last row needs only its pixels */
  cr_assert_eq(ysg_pipeline_read_image(p, "bg", YSG_RGBA8_SRGB, big, 19 * 200 + 160, 200), YSG_OK);
  cr_assert_eq(big[19 * 200 + 159], 128);
  cr_assert_eq(ysg_pipeline_read_image(p, "nope", YSG_RGBA8_SRGB, big, sizeof big, 0),
               YSG_ERR_NOT_FOUND);
  cr_assert_str_eq(ysg_errmsg(ctx), "'nope': no node named 'nope'");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

#define DOTS_SRC                                           \
  "canvas { width = 64, height = 32 }\n"                   \
  "local pts = points_in { name = 'pts', capacity = 4 }\n" \
  "dot { name = 'dots', points = pts, radius = 4, color = '#ffffff' }\n"

/* a tile drawn in frame 0 and empty in frame 1 reads as transparent in every way out */
Test(read_image, tiles_left_empty_read_as_transparent) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, DOTS_SRC);
  float xy0[2] = {8, 8}, xy1[2] = {40, 8};
  ysg_points_desc d = {1, xy0, NULL, NULL, NULL};
  cr_assert_eq(ysg_pipeline_set_points(p, "pts", &d), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "dots", &v), YSG_OK);
  cr_assert_eq(v->tiles[0], 1);
  cr_assert(v->px[(8 * 64 + 8) * 4 + 3] != 0, "the dot is drawn in frame 0");
  d.xy = xy1;
  cr_assert_eq(ysg_pipeline_set_points(p, "pts", &d), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_OK);
  /* the raw arena still holds frame 0's dot in tile 0 until a view is handed out */
  cr_assert_eq(ysg_pipeline_get_value(p, "dots", &v), YSG_OK);
  cr_assert_eq(v->tiles[0], 0);
  for (int q = 0; q < 4; q++) cr_assert_eq(v->px[(8 * 64 + 8) * 4 + q], 0, "stale pixel in view");
  cr_assert(v->px[(8 * 64 + 40) * 4 + 3] != 0);
  static unsigned char buf[64 * 32 * 16];
  for (int f = 0; f < YSG_PIXEL_FORMAT_COUNT; f++) {
    memset(buf, 0xcd, sizeof buf);
    cr_assert_eq(ysg_pipeline_read_image(p, "dots", (ysg_pixel_format)f, buf, sizeof buf, 0),
                 YSG_OK);
    size_t px = ysg_pixel_format_size((ysg_pixel_format)f);
    for (size_t b = 0; b < px; b++)
      cr_assert_eq(buf[(8 * 64 + 8) * px + b], 0, "%s", ysg_pixel_format_name(f));
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

#define IMG_SRC                           \
  "canvas { width = 32, height = 16 }\n"  \
  "local i = image_in { name = 'img' }\n" \
  "merge { name = 'out', layers = { i } }\n"

static void read8(ysg_pipeline *p, uint8_t *out) {
  cr_assert_eq(ysg_pipeline_read_image(p, "out", YSG_RGBA8_SRGB, out, 32 * 16 * 4, 0), YSG_OK);
}

Test(image_in, rgb_is_opaque_and_a_mask_is_a_white_matte) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, IMG_SRC);
  static uint8_t rgb[32 * 16 * 3], got[32 * 16 * 4];
  for (int i = 0; i < 32 * 16; i++) rgb[i * 3] = 255, rgb[i * 3 + 1] = 128, rgb[i * 3 + 2] = 3;
  ysg_image_desc d = {32, 16, YSG_RGB8_SRGB, rgb, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  read8(p, got);
  cr_assert(got[0] == 255 && got[1] == 128 && got[2] == 3 && got[3] == 255);
  static float mask[32 * 16], rgbf[32 * 16 * 3];
  for (int i = 0; i < 32 * 16; i++) mask[i] = i < 16 ? 0.5f : 0.0f;
  d.format = YSG_A32F;
  d.pixels = mask;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_OK);
  read8(p, got);
  cr_assert(got[0] == 255 && got[1] == 255 && got[2] == 255 && got[3] == 128, "%d %d %d %d", got[0],
            got[1], got[2], got[3]);
  cr_assert_eq(got[16 * 4 + 3], 0);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_OK);
  cr_assert(v->tiles[0] && !v->tiles[1], "the all-transparent tile is empty");
  /* float sRGB (ComfyUI's IMAGE) decodes like 8-bit sRGB of the same value */
  for (int i = 0; i < 32 * 16 * 3; i++) rgbf[i] = (float)(i % 256) / 255.0f;
  d.format = YSG_RGB32F_SRGB;
  d.pixels = rgbf;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_OK);
  read8(p, got);
  for (int i = 0; i < 32 * 16; i++)
    for (int c = 0; c < 3; c++) cr_assert_eq(got[i * 4 + c], (i * 3 + c) % 256);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(image_in, refuses_non_finite_values_and_wrong_sizes) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, IMG_SRC);
  static float rgbf[32 * 16 * 3];
  ysg_image_desc d = {32, 16, YSG_RGB32F_SRGB, rgbf, 0};
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_OK);
  rgbf[(2 * 32 + 3) * 3 + 1] = NAN;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'img' (image_in): pixel (3, 2) channel 1 is not a finite "
                   "number");
  d.width = 10;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'img' (image_in): image is 10x16, expected the canvas size "
                   "32x16");
  d.width = 32;
  d.stride = 8;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'img' (image_in): stride 8 is smaller than a row of 384 "
                   "bytes (32 pixels of rgb32f)");
  d.stride = 0;
  d.format = (ysg_pixel_format)42;
  cr_assert_eq(ysg_pipeline_set_image(p, "img", &d), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "test.lua:2: node 'img' (image_in): unknown pixel format 42");
  /* the rejected sets kept the first image (all zero: black, opaque) */
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  uint8_t got[32 * 16 * 4];
  read8(p, got);
  cr_assert(got[0] == 0 && got[3] == 255);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(options, struct_size_bounds_what_is_read) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  memset(&lo, 0, sizeof lo); /* not initialised */
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, FILL_SRC, "test.lua", &lo, &p), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "ysg_load_options.struct_size is 0: initialise the options with "
                   "ysg_load_options_init");
  /* a host whose header ended before `keep`: its keep list is not read */
  const char *src =
      "canvas { width = 16, height = 16 }\nlocal f = scatter { name = 'f' }\n"
      "dot { name = 'd', points = f }\n";
  const char *keep[] = {"f"};
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p, "f", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  lo.struct_size = offsetof(ysg_load_options, keep);
  cr_assert_eq(ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p), YSG_OK);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p, "f", &v), YSG_ERR_INVALID);
  ysg_pipeline_destroy(p);
  ysg_context_options co;
  memset(&co, 0, sizeof co);
  ysg_context *c2 = NULL;
  cr_assert_eq(ysg_context_create(&co, &c2), YSG_ERR_INVALID);
  cr_assert_null(c2);
  ysg_context_options_init(&co);
  cr_assert_eq(co.struct_size, sizeof co);
  co.struct_size = offsetof(ysg_context_options, threads); /* threads not read: all cores */
  co.threads = -5;
  cr_assert_eq(ysg_context_create(&co, &c2), YSG_OK);
  ysg_context_destroy(c2);
  ysg_context_destroy(ctx);
}

Test(schema, node_types_json) {
  ysg_context *ctx = ysgt_ctx();
  size_t need = 0;
  char small[16];
  cr_assert_eq(ysg_node_types_json(ctx, small, sizeof small, &need), YSG_ERR_INVALID);
  char msg[256];
  snprintf(msg, sizeof msg,
           "ysg_node_types_json: the destination holds 16 bytes, the schemas need %zu", need);
  cr_assert_str_eq(ysg_errmsg(ctx), msg);
  char *json = malloc(need);
  cr_assert_eq(ysg_node_types_json(ctx, json, need, NULL), YSG_OK);
  cr_assert_eq(strlen(json) + 1, need);
  cr_assert(strstr(json,
                   "{\"name\":\"mode\",\"kind\":\"enum\",\"default\":\"normal\",\"min\":null,"
                   "\"max\":null,\"choices\":[\"normal\",\"add\","));
  cr_assert(strstr(json, "{\"name\":\"path\",\"kind\":\"output\",\"default\":null,"));
  cr_assert(strstr(json, "\"name\":\"width\",\"kind\":\"number\",\"default\":\"2\",\"min\":"));
  free(json);
  ysg_context_destroy(ctx);
}

/* pipelines hold their context: destroying the context first is safe */
Test(lifetime, context_destroyed_before_its_pipeline) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, FILL_SRC);
  ysg_context_destroy(ctx);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK);
  ysg_pipeline_destroy(p);
}
