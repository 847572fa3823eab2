/* test_video_in.c — engine/yuv.h (known Y'CbCr values, round trips at 8 and 10 bits, chroma
 * siting) and the `video_in` node on small videos made here by tests/video_fixture.h: every
 * frame against the pattern it was encoded from (PSNR thresholds per case, stated below) and
 * against FFmpeg's own decode + swscale conversion, for x264 (8/10-bit), HEVC, MPEG-4, VP9,
 * ProRes and FFV1 (4:4:4 full range, 4:2:2 10-bit, RGB); canvas suggestion; random access equal
 * to sequential decoding, bit for bit; frame ranges; every error text; the decoder-choice log.
 * NVDEC and the CUDA conversion kernel are compared with the CPU path when a device is usable
 * and skipped with the probe's reason otherwise. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "internal.h"
#include "png_io.h"
#include "util.h"
#include "yuv.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/video_api.h"
#endif

/* ---- yuv.h --------------------------------------------------------------------------------- */

static double srgb_lin(double c) { /* sRGB EOTF in double, independent of color.h */
  return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

Test(yuv, bt709_limited_known_values) {
  ysg_yuv_params p;
  ysg_yuv_params_init(&p, YSG_YUV_BT709, 0, 8);
  float rgb[3];
  ysg_yuv_to_linear(&p, 235, 128, 128, rgb);
  for (int c = 0; c < 3; c++) cr_assert_float_eq(rgb[c], 1.0f, 1e-6f, "white channel %d", c);
  ysg_yuv_to_linear(&p, 16, 128, 128, rgb);
  for (int c = 0; c < 3; c++) cr_assert_float_eq(rgb[c], 0.0f, 1e-7f, "black channel %d", c);
  /* BT.709 red, green, blue in 8-bit limited range (ITU-R BT.709 table: 63/102/240,
   * 173/42/26, 32/240/118) */
  const float prim[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const float want[3][3] = {
      {62.56f, 101.99f, 240.0f}, {172.51f, 42.01f, 26.14f}, {31.93f, 240.0f, 117.86f}};
  for (int i = 0; i < 3; i++) {
    float y, cb, cr;
    ysg_linear_to_yuv(&p, prim[i], &y, &cb, &cr);
    cr_assert_float_eq(y, want[i][0], 0.5f, "primary %d Y %f", i, y);
    cr_assert_float_eq(cb, want[i][1], 0.5f, "primary %d Cb %f", i, cb);
    cr_assert_float_eq(cr, want[i][2], 0.5f, "primary %d Cr %f", i, cr);
    ysg_yuv_to_linear(&p, y, cb, cr, rgb);
    for (int c = 0; c < 3; c++) cr_assert_float_eq(rgb[c], prim[i][c], 1e-4f, "primary %d", i);
  }
  /* mid grey: Y' = 0.5 -> 16 + 109.5, linear = EOTF(0.5) */
  ysg_yuv_to_linear(&p, 125.5f, 128, 128, rgb);
  cr_assert_float_eq(rgb[1], (float)srgb_lin(0.5), 1e-6f);
}

Test(yuv, bt601_full_range_and_10_bits) {
  ysg_yuv_params p;
  float red[3] = {1, 0, 0}, y, cb, cr, rgb[3];
  ysg_yuv_params_init(&p, YSG_YUV_BT601, 0, 8); /* BT.601 red: 81/90/240 */
  ysg_linear_to_yuv(&p, red, &y, &cb, &cr);
  cr_assert_float_eq(y, 81.48f, 0.01f);
  cr_assert_float_eq(cb, 90.20f, 0.01f);
  cr_assert_float_eq(cr, 240.0f, 0.01f);
  ysg_yuv_params_init(&p, YSG_YUV_BT601, 1, 8); /* JPEG: red 76/85/255.5 */
  ysg_linear_to_yuv(&p, red, &y, &cb, &cr);
  cr_assert_float_eq(y, 76.245f, 0.01f);
  cr_assert_float_eq(cb, 84.97f, 0.01f);
  cr_assert_float_eq(cr, 255.5f, 0.01f);
  ysg_yuv_to_linear(&p, 255, 128, 128, rgb);
  cr_assert_float_eq(rgb[0], 1.0f, 1e-6f);
  ysg_yuv_params_init(&p, YSG_YUV_BT709, 0, 10); /* 10-bit: 64..940, 64..960, red 250/409/960 */
  cr_assert_float_eq(p.y_off, 64.0f, 0);
  cr_assert_float_eq(p.y_scale, 876.0f, 0);
  cr_assert_float_eq(p.c_scale, 896.0f, 0);
  ysg_linear_to_yuv(&p, red, &y, &cb, &cr);
  cr_assert_float_eq(y, 250.24f, 0.01f);
  cr_assert_float_eq(cb, 409.34f, 0.01f);
  cr_assert_float_eq(cr, 960.0f, 0.01f);
  ysg_yuv_params_init(&p, YSG_YUV_BT2020, 0, 10);
  cr_assert_float_eq(p.kr, 0.2627f, 0);
  cr_assert_float_eq(p.kb, 0.0593f, 0);
  cr_assert_eq(ysg_yuv_default_matrix(576), YSG_YUV_BT601);
  cr_assert_eq(ysg_yuv_default_matrix(720), YSG_YUV_BT709);
}

/* linear -> code values (rounded) -> linear -> code values: within 1 code value at 8 and 10
 * bits, every matrix and range, over a grid of in-gamut colours. */
Test(yuv, round_trip_within_one_code_value) {
  for (int bits = 8; bits <= 10; bits += 2)
    for (int m = YSG_YUV_BT601; m <= YSG_YUV_BT2020; m++)
      for (int full = 0; full <= 1; full++) {
        ysg_yuv_params p;
        ysg_yuv_params_init(&p, m, full, bits);
        float maxc = (float)((1 << bits) - 1), worst = 0;
        for (int r = 0; r <= 16; r++)
          for (int g = 0; g <= 16; g++)
            for (int b = 0; b <= 16; b++) {
              float lin[3] = {(float)srgb_lin(r / 16.0), (float)srgb_lin(g / 16.0),
                              (float)srgb_lin(b / 16.0)};
              float q[3], back[3], again[3];
              ysg_linear_to_yuv(&p, lin, &q[0], &q[1], &q[2]);
              for (int c = 0; c < 3; c++) q[c] = fminf(fmaxf(roundf(q[c]), 0), maxc);
              ysg_yuv_to_linear(&p, q[0], q[1], q[2], back);
              ysg_linear_to_yuv(&p, back, &again[0], &again[1], &again[2]);
              for (int c = 0; c < 3; c++) worst = fmaxf(worst, fabsf(again[c] - q[c]));
              /* unrounded, the round trip is the identity */
              float u[3], id[3];
              ysg_linear_to_yuv(&p, lin, &u[0], &u[1], &u[2]);
              ysg_yuv_to_linear(&p, u[0], u[1], u[2], id);
              for (int c = 0; c < 3; c++)
                cr_assert_float_eq(id[c], lin[c], 2e-5f, "bits %d matrix %d full %d", bits, m,
                                   full);
            }
        cr_assert_leq(worst, 1.0f, "bits %d matrix %d full %d: %f code values", bits, m, full,
                      worst);
      }
}

Test(yuv, chroma_taps_follow_siting) {
  int a, b;
  float w;
  ysg_chroma_taps(5, 1, 0.0f, 8, &a, &b, &w); /* co-sited: chroma i at luma 2i */
  cr_assert(a == 2 && b == 3 && w == 0.5f);
  ysg_chroma_taps(4, 1, 0.0f, 8, &a, &b, &w);
  cr_assert(a == 2 && w == 0.0f);
  ysg_chroma_taps(4, 1, 0.5f, 8, &a, &b, &w); /* centred: chroma i at luma 2i + 0.5 */
  cr_assert(a == 1 && b == 2 && w == 0.75f);
  ysg_chroma_taps(0, 1, 0.5f, 8, &a, &b, &w); /* before the first sample: clamped */
  cr_assert(a == 0 && b == 0);
  ysg_chroma_taps(15, 1, 0.0f, 8, &a, &b, &w); /* past the last: clamped */
  cr_assert(a == 7 && b == 7);
  ysg_chroma_taps(6, 0, 0.5f, 8, &a, &b, &w); /* not subsampled */
  cr_assert(a == 6 && b == 6 && w == 0.0f);
  cr_assert_float_eq(ysg_chroma_mix(0, 10, 20, 30, 0.5f, 0.25f), 10.0f, 1e-6f);
}

#ifdef YSG_HAVE_FFMPEG
#include "video_fixture.h"

#include "dir_fixture.h"

TestSuite(video_in, .init = setup, .fini = teardown);

#define W 96
#define H 64
#define NF 12
#define FPS 24

static void make(const char *path, const ysgt_video *spec) {
  char e[512];
  int r = ysgt_video_write(path, spec, e, sizeof e);
  cr_assert_eq(r, 0, "cannot make %s: %s", path, e);
}

static ysgt_video spec_x264(void) {
  ysgt_video v;
  memset(&v, 0, sizeof v);
  v.codec = "libx264";
  v.width = W;
  v.height = H;
  v.frames = NF;
  v.fps = FPS;
  v.lossless = 1;
  return v;
}

static void load(const char *src) {
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
}

static void load_path(const char *path, const char *extra) {
  char src[512];
  snprintf(src, sizeof src, "video_in { path = '%s', name = 'v'%s%s }", path, extra ? ", " : "",
           extra ? extra : "");
  load(src);
}

static void run(int f) {
  cr_assert_eq(ysg_pipeline_run_frame(pl, f), YSG_OK, "%s", ysg_errmsg(ctx));
}

static const ysg_value *frame_value(int f) {
  run(f);
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, "v", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

/* Frame f as packed 8-bit R'G'B' (drops alpha, checking it is opaque). */
static void frame_rgb(int f, uint8_t *rgb) {
  static uint8_t rgba[W * H * 4];
  run(f);
  cr_assert_eq(ysg_pipeline_read_image(pl, "v", YSG_RGBA8_SRGB, rgba, sizeof rgba, 0), YSG_OK, "%s",
               ysg_errmsg(ctx));
  for (int i = 0; i < W * H; i++) {
    cr_assert_eq(rgba[i * 4 + 3], 255, "alpha at pixel %d of frame %d", i, f);
    memcpy(rgb + i * 3, rgba + i * 4, 3);
  }
}

static void pattern_rgb(int f, uint8_t *rgb) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) ysgt_pattern(NULL, f, x, y, rgb + (y * W + x) * 3);
}

static int max_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  int m = 0;
  for (size_t i = 0; i < n; i++) m = abs(a[i] - b[i]) > m ? abs(a[i] - b[i]) : m;
  return m;
}

/* Decode `path` with video_in (chroma = 'bilinear', like the swscale conversion it is compared
 * with) and check each frame: PSNR against the pattern ≥ min_psnr, and against FFmpeg's own decode
 * + swscale conversion with full chroma interpolation: PSNR ≥ 40 dB and no sample off by more than
 * max_ff (the two upsample chroma differently: swscale's filter vs our bilinear by siting). */
static void check_decode(const char *path, double min_psnr, int max_ff) {
  char e[512];
  ysgt_video_info info;
  uint8_t *ff = NULL;
  cr_assert_eq(ysgt_video_read(path, &info, &ff, e, sizeof e), 0, "%s", e);
  cr_assert_eq(info.frames, NF);
  load_path(path, "chroma = 'bilinear'");
  const ysg_canvas *cv = ysg_pipeline_canvas(pl);
  cr_assert(cv->width == W && cv->height == H && cv->frames == NF && cv->fps == FPS,
            "%s: canvas %dx%d, %d frames at %g fps", path, cv->width, cv->height, cv->frames,
            cv->fps);
  static uint8_t got[W * H * 3], want[W * H * 3];
  double worst = 99, worst_ff = 99;
  int worst_diff = 0;
  for (int f = 0; f < NF; f++) {
    frame_rgb(f, got);
    pattern_rgb(f, want);
    double p = ysgt_psnr8(got, want, sizeof got);
    const uint8_t *ref = ff + (size_t)f * sizeof got;
    double q = ysgt_psnr8(got, ref, sizeof got);
    int d = max_diff(got, ref, sizeof got);
    worst = p < worst ? p : worst;
    worst_ff = q < worst_ff ? q : worst_ff;
    worst_diff = d > worst_diff ? d : worst_diff;
  }
  cr_log_info("%s (%s %s): PSNR vs pattern %.2f dB, vs FFmpeg %.2f dB, max diff %d", path,
              avcodec_get_name(info.codec), av_get_pix_fmt_name(info.pix_fmt), worst, worst_ff,
              worst_diff);
  cr_assert_geq(worst, min_psnr, "%s: PSNR %.2f dB against the pattern", path, worst);
  cr_assert_geq(worst_ff, 40.0, "%s: PSNR %.2f dB against FFmpeg's conversion", path, worst_ff);
  cr_assert_leq(worst_diff, max_ff, "%s: a sample differs by %d from FFmpeg's", path, worst_diff);
  free(ff);
  ysg_pipeline_destroy(pl);
  pl = NULL;
}

/* Lossless x264 (qp 0, 4:2:0): what is lost is the encoder side's rounding to 8-bit Y'CbCr and
 * chroma subsampling of a smooth pattern: ≥ 40 dB. */
Test(video_in, x264_lossless_mp4_matches_pattern) {
  ysgt_video v = spec_x264();
  make("clip.mp4", &v);
  check_decode("clip.mp4", 40.0, 3);
}

Test(video_in, more_codecs_and_layouts) {
  struct {
    const char *file, *codec, *pix_fmt;
    int lossless, tag, matrix, full;
    double psnr; /* against the pattern */
    int max_ff;
  } cases[] = {
      /* 10-bit 4:2:0 lossless, semi-planar-free planar 16-bit words */
      {"x10.mkv", "libx264", "yuv420p10le", 1, 0, 0, 0, 40.0, 3},
      /* lossless 4:4:4 full range BT.709, tagged: only 8-bit Y'CbCr rounding is lost */
      {"f444.mkv", "ffv1", "yuv444p", 1, 1, AVCOL_SPC_BT709, 1, 45.0, 2},
      {"f422.mkv", "ffv1", "yuv422p10le", 1, 1, AVCOL_SPC_BT709, 0, 45.0, 3},
      /* RGB: converted through swscale to 16-bit R'G'B' (no matrix) */
      {"rgb.mkv", "ffv1", "bgr0", 1, 0, 0, 0, 99.0, 0},
      /* swscale paths: big-endian R'G'B' and Y'CbCr (the fixture's swscale conversion to
       * rgb48be is itself off by up to 1 code value) */
      {"be.nut", "rawvideo", "rgb48be", 0, 0, 0, 0, 45.0, 1},
      {"be10.nut", "rawvideo", "yuv420p10be", 0, 0, 0, 0, 45.0, 3},
      /* lossy codecs at their best quality settings */
      {"m4.mp4", "mpeg4", "yuv420p", 1, 0, 0, 0, 40.0, 8},
      {"pr.mov", "prores_ks", "yuv422p10le", 1, 0, 0, 0, 45.0, 3},
      {"hevc.mp4", "libx265", "yuv420p", 1, 0, 0, 0, 40.0, 3},
      {"vp9.webm", "libvpx-vp9", "yuv420p", 0, 0, 0, 0, 35.0, 16},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!avcodec_find_encoder_by_name(cases[i].codec)) {
      cr_log_info("%s: no encoder %s here", cases[i].file, cases[i].codec);
      continue;
    }
    ysgt_video v = spec_x264();
    v.codec = cases[i].codec;
    v.pix_fmt = cases[i].pix_fmt;
    v.lossless = cases[i].lossless;
    v.tag_color = cases[i].tag;
    v.matrix = cases[i].matrix;
    v.full_range = cases[i].full;
    make(cases[i].file, &v);
    check_decode(cases[i].file, cases[i].psnr, cases[i].max_ff);
  }
}

Test(video_in, rgb_video_is_exact) {
  ysgt_video v = spec_x264();
  v.codec = "ffv1";
  v.pix_fmt = "bgr0";
  make("rgb.mkv", &v);
  load_path("rgb.mkv", NULL);
  static uint8_t got[W * H * 3], want[W * H * 3];
  for (int f = 0; f < NF; f += 5) {
    frame_rgb(f, got);
    pattern_rgb(f, want);
    cr_assert_eq(memcmp(got, want, sizeof got), 0, "frame %d", f);
  }
}

static uint8_t alpha_ramp(void *ud, int f, int x, int y) {
  (void)ud, (void)f;
  if (x < 16 && y < 16) return 0;                /* a transparent corner */
  return (uint8_t)(x * 255 / (W - 1) ^ (y & 1)); /* 0..255 across, odd rows off by one */
}

/* Alpha planes (yuva420p) and packed alpha (bgra): FFmpeg's straight alpha is premultiplied. The
 * alpha read back equals the file's (lossless FFV1; the fixture's swscale conversion to yuva420p
 * moves alpha by up to 1 code value, bgra is exact); colour where alpha ≥ 1/2 is
 * checked against the pattern (straight, so FP16 premultiplication costs at most 1 code value
 * on bgra; yuva420p adds its chroma subsampling). */
Test(video_in, alpha_is_premultiplied) {
  const char *fmts[] = {"yuva420p", "bgra"};
  for (int i = 0; i < 2; i++) {
    ysgt_video v = spec_x264();
    v.codec = "ffv1";
    v.pix_fmt = fmts[i];
    v.alpha = alpha_ramp;
    v.frames = 2;
    make(i ? "a.mkv" : "ya.mkv", &v);
    load_path(i ? "a.mkv" : "ya.mkv", "chroma = 'bilinear'");
    static uint8_t rgba[W * H * 4], want[W * H * 3];
    run(1);
    cr_assert_eq(ysg_pipeline_read_image(pl, "v", YSG_RGBA8_SRGB, rgba, sizeof rgba, 0), YSG_OK,
                 "%s", ysg_errmsg(ctx));
    const ysg_value *out = NULL;
    ysg_pipeline_get_value(pl, "v", &out);
    pattern_rgb(1, want);
    int worst = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const uint8_t *p = rgba + (y * W + x) * 4;
        int da = abs(p[3] - alpha_ramp(NULL, 1, x, y)); /* swscale's RGBA -> yuva420p: ±1 */
        cr_assert_leq(da, i ? 0 : 1, "%s: alpha at %d,%d off by %d", fmts[i], x, y, da);
        if (alpha_ramp(NULL, 1, x, y) == 0) cr_assert_eq(p[3], 0);
        float px[4];
        ysg_load_px(out->px + ((size_t)y * W + x) * 4, px);
        for (int c = 0; c < 3; c++) cr_assert_leq(px[c], px[3] * 1.001f, "premultiplied");
        if (p[3] < 128) continue;
        for (int c = 0; c < 3; c++)
          worst = abs(p[c] - want[(y * W + x) * 3 + c]) > worst
                      ? abs(p[c] - want[(y * W + x) * 3 + c])
                      : worst;
      }
    cr_log_info("%s: colour off by at most %d where alpha >= 128", fmts[i], worst);
    cr_assert_leq(worst, i ? 1 : 4, "%s: colour off by %d", fmts[i], worst);
    ysg_pipeline_destroy(pl);
    pl = NULL;
  }
}

Test(video_in, canvas_from_the_file_unless_the_pipeline_sets_it) {
  ysgt_video v = spec_x264();
  v.fps = 30;
  v.audio = 1; /* an audio stream beside the video changes nothing */
  make("clip.mkv", &v);
  load("canvas { frames = 5 } video_in { path = 'clip.mkv', name = 'v' }");
  const ysg_canvas *cv = ysg_pipeline_canvas(pl);
  cr_assert_eq(cv->width, W);
  cr_assert_eq(cv->height, H);
  cr_assert_eq(cv->frames, 5);
  cr_assert_float_eq(cv->fps, 30.0, 1e-9);
  const ysg_value *out = frame_value(4);
  cr_assert_eq(out->width, W);
  cr_assert_eq(out->height, H);
  cr_assert_eq(out->count, 1);
  for (int i = 0; i < out->tiles_x * out->tiles_y; i++) cr_assert_eq(out->tiles[i], 1);
}

/* Decode all frames in order, then in a scattered order (each one a seek), comparing FP16 bits. */
static void check_random_access(const char *path) {
  load_path(path, NULL);
  static uint16_t seq[NF][W * H * 4];
  for (int f = 0; f < NF; f++) memcpy(seq[f], frame_value(f)->px, sizeof seq[f]);
  for (int f = 1; f < NF; f++)
    cr_assert_neq(memcmp(seq[f], seq[f - 1], sizeof seq[f]), 0, "%s: frames %d, %d", path, f - 1,
                  f);
  const int order[] = {7, 3, 4, 11, 0, 5, 5, 10, 1, 9, 2, 6, 8, 0};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const ysg_value *v = frame_value(order[i]);
    cr_assert_eq(memcmp(v->px, seq[order[i]], sizeof seq[0]), 0, "%s: frame %d (step %zu)", path,
                 order[i], i);
  }
  /* a range, as `--frames 5:9` runs it */
  cr_assert_eq(ysg_pipeline_run_range(pl, 5, 8, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(memcmp(frame_value(8)->px, seq[8], sizeof seq[0]), 0);
  ysg_pipeline_destroy(pl);
  pl = NULL;
}

Test(video_in, random_access_equals_sequential) {
  ysgt_video v = spec_x264();
  v.gop = 5;
  v.bframes = 2; /* B-frames: decode order differs from presentation order */
  make("gop.mp4", &v);
  check_random_access("gop.mp4");
  make("gop.mkv", &v);
  check_random_access("gop.mkv");
  v.codec = "mpeg4";
  make("gop.avi", &v);
  check_random_access("gop.avi");
  v.codec = "libx264";
  make("raw.h264", &v); /* no time stamps at all: frames counted from the start */
  check_random_access("raw.h264");
}

static void *png_alloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void png_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static uint16_t *read_png(const char *path) {
  ysg_png_alloc a = {png_alloc, png_free, NULL};
  void *px = NULL;
  int w = 0, h = 0;
  char e[256];
  cr_assert_eq(ysg__png_read(path, &a, YSG_PNG_F16, &px, &w, &h, e, sizeof e), YSG_OK, "%s: %s",
               path, e);
  cr_assert(w == W && h == H);
  return px;
}

/* `ysgraph run --frames 3:5` renders frames 3 and 4 of the video (a seek, then the next). */
Test(video_in, cli_frame_range) {
  ysgt_video v = spec_x264();
  v.gop = 4;
  v.bframes = 2;
  make("clip.mp4", &v);
  ysgt_write(dir, "p.lua",
             "local v = video_in { path = 'clip.mp4' }\n"
             "png { image = v, path = 'f/%02d.png' }\n");
  char cmd[1024], *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua --frames 3:5 -o out", dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "%s%s", out, err);
  free(out);
  free(err);
  cr_assert_neq(access("out/f/02.png", F_OK), 0);
  cr_assert_neq(access("out/f/05.png", F_OK), 0);
  load_path("clip.mp4", NULL);
  for (int f = 3; f <= 4; f++) {
    char got[64], want[64];
    snprintf(got, sizeof got, "out/f/%02d.png", f);
    snprintf(want, sizeof want, "want%02d.png", f);
    run(f);
    cr_assert_eq(ysg_pipeline_dump(pl, "v", want, f), YSG_OK, "%s", ysg_errmsg(ctx));
    uint16_t *a = read_png(got), *b = read_png(want);
    cr_assert_eq(memcmp(a, b, (size_t)W * H * 8), 0, "frame %d", f);
    free(a);
    free(b);
  }
}

/* ---- errors ------------------------------------------------------------------------------- */

#define PRE "test.lua:1: node 'v' (video_in): "

static void expect_load_fail(const char *src, ysg_status st, const char *msg) {
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, st, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_assert_null(pl);
  cr_assert_str_eq(ysg_errmsg(ctx), msg);
}

Test(video_in, missing_file) {
  expect_load_fail("video_in { path = 'missing.mp4', name = 'v' }", YSG_ERR_IO,
                   PRE "parameter 'path': cannot open 'missing.mp4': No such file or directory");
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

Test(video_in, truncated_files) {
  ysgt_video v = spec_x264();
  make("full.mp4", &v);
  size_t n = 0;
  char *bytes = ysgt_read("full.mp4", &n);
  /* mp4 keeps its index (moov) at the end: half a file has none */
  write_bytes("half.mp4", bytes, n / 2);
  expect_load_fail("video_in { path = 'half.mp4', name = 'v' }", YSG_ERR_DATA,
                   PRE
                   "parameter 'path': cannot open 'half.mp4': Invalid data found when "
                   "processing input");
  free(bytes);
  /* Matroska: the header survives, the clusters stop halfway */
  make("full.mkv", &v);
  bytes = ysgt_read("full.mkv", &n);
  write_bytes("half.mkv", bytes, n / 2);
  expect_load_fail("video_in { path = 'half.mkv', name = 'v' }", YSG_ERR_DATA,
                   PRE
                   "parameter 'path': 'half.mkv' is truncated or damaged: its 5 frames end "
                   "at 0.208 s, but the container says the video lasts until 0.500 s");
  free(bytes);
}

/* The file shrinks under a loaded pipeline: the frame that is gone is an error naming it. The
 * video is long enough (~150 KB) that libavformat's read buffer (32 KB) cannot hide the cut. */
Test(video_in, file_cut_short_after_loading) {
  ysgt_video v = spec_x264();
  v.frames = 60;
  make("clip.mkv", &v);
  load_path("clip.mkv", NULL);
  run(0);
  size_t n = 0;
  char *bytes = ysgt_read("clip.mkv", &n);
  cr_assert_gt(n, 100000);
  write_bytes("clip.mkv", bytes, n / 4);
  free(bytes);
  cr_assert_eq(ysg_pipeline_run_frame(pl, 50), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   PRE "'clip.mkv' ended before frame 50 could be decoded (is it truncated?)");
  cr_assert_eq(ysg_pipeline_run_frame(pl, 1), YSG_OK, "%s", ysg_errmsg(ctx)); /* still there */
}

Test(video_in, corrupt_file) {
  static unsigned char junk[65536];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1664525u + 1013904223u;
    junk[i] = (unsigned char)(x >> 24);
  }
  write_bytes("junk.mp4", junk, sizeof junk);
  expect_load_fail("video_in { path = 'junk.mp4', name = 'v' }", YSG_ERR_DATA,
                   PRE
                   "parameter 'path': cannot open 'junk.mp4': Invalid data found when "
                   "processing input");
}

Test(video_in, audio_only_file) {
  ysgt_video v;
  memset(&v, 0, sizeof v);
  v.audio = 1;
  make("tone.m4a", &v);
  expect_load_fail("video_in { path = 'tone.m4a', name = 'v' }", YSG_ERR_DATA,
                   PRE "parameter 'path': 'tone.m4a' has no video stream (1 audio, 0 other)");
}

/* AVS2 has a codec id (and an AVI fourcc) but no decoder in this FFmpeg: an AVI holding such a
 * stream is a file this build cannot decode. */
Test(video_in, codec_without_decoder) {
  cr_assert_null(avcodec_find_decoder(AV_CODEC_ID_AVS2));
  ysgt_video v = spec_x264();
  v.fake_codec_id = AV_CODEC_ID_AVS2;
  make("avs2.avi", &v);
  expect_load_fail("video_in { path = 'avs2.avi', name = 'v' }", YSG_ERR_UNSUPPORTED,
                   PRE
                   "parameter 'path': 'avs2.avi': this build of libavcodec has no decoder for "
                   "its video codec 'avs2'");
}

Test(video_in, frame_past_the_end) {
  ysgt_video v = spec_x264();
  make("clip.mp4", &v);
  load("canvas { frames = 20 } video_in { path = 'clip.mp4', name = 'v' }");
  run(11);
  cr_assert_eq(ysg_pipeline_run_frame(pl, 12), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   PRE "frame 12 is past the end of 'clip.mp4' (12 frames: 0..11)");
  cr_assert_eq(ysg_pipeline_run_range(pl, 10, 19, NULL, NULL), YSG_ERR_LIMIT);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   PRE "frame 12 is past the end of 'clip.mp4' (12 frames: 0..11)");
  run(3); /* still usable */
}

Test(video_in, canvas_of_another_size) {
  ysgt_video v = spec_x264();
  make("clip.mp4", &v);
  expect_load_fail("canvas { width = 128, height = 72 } video_in { path = 'clip.mp4', name = 'v' }",
                   YSG_ERR_PIPELINE,
                   PRE
                   "video is 96×64 but the canvas is 128×72: video_in does not scale; leave "
                   "the canvas size unset or make it 96×64");
}

Test(video_in, nvdec_requested) {
  ysgt_video v = spec_x264();
  v.lossless = 0;
  make("clip.mp4", &v);
  char reason[512];
  if (ysg__cuda_probe(reason, sizeof reason)) {
    load_path("clip.mp4", "decoder = 'nvdec'");
    run(0);
    return;
  }
  char msg[1024];
  snprintf(msg, sizeof msg, PRE "parameter 'decoder': NVDEC is not available: %s", reason);
  expect_load_fail("video_in { path = 'clip.mp4', name = 'v', decoder = 'nvdec' }",
                   YSG_ERR_UNSUPPORTED, msg);
}

/* ---- the decoder choice is logged ----------------------------------------------------------- */

static char info_log[2048];
static void keep_info(void *ud, ysg_log_level level, const char *msg) {
  (void)ud;
  if (level == YSG_LOG_INFO && strstr(msg, "video_in"))
    snprintf(info_log, sizeof info_log, "%s", msg);
}

Test(video_in, logs_the_decoder_choice) {
  ysgt_video v = spec_x264();
  v.lossless = 0;
  make("clip.mp4", &v);
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 1;
  o.log = keep_info;
  o.log_level = YSG_LOG_INFO;
  ysg_context *lctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &lctx), YSG_OK);
  ysg_pipeline *p = NULL;
  const char *srcs[] = {"video_in { path = 'clip.mp4', name = 'v' }",
                        "video_in { path = 'clip.mp4', name = 'v', decoder = 'software' }"};
  char reason[512], want[1024];
  int gpu = ysg__cuda_probe(reason, sizeof reason);
  for (int i = 0; i < 2; i++) {
    info_log[0] = 0;
    cr_assert_eq(ysgt_load(lctx, srcs[i], &p), YSG_OK, "%s", ysg_errmsg(lctx));
    ysg_pipeline_destroy(p);
    if (gpu && i == 0)
      snprintf(want, sizeof want, PRE "decoding 'clip.mp4' (h264 (High) 96×64 yuv420p) with NVDEC");
    else
      snprintf(want, sizeof want,
               PRE
               "decoding 'clip.mp4' (h264 (High) 96×64 yuv420p) in software (libavcodec's "
               "h264): %s",
               i == 1 ? "decoder = \"software\"" : reason);
    cr_assert_str_eq(info_log, want);
  }
  ysg_context_destroy(lctx);
}

/* FFmpeg's own messages about our files go to the node's log (debug), not to stderr. */
static char ff_log[4096];
static void keep_ffmpeg(void *ud, ysg_log_level level, const char *msg) {
  (void)ud;
  if (level == YSG_LOG_DEBUG && strstr(msg, "ffmpeg: ") && !ff_log[0])
    snprintf(ff_log, sizeof ff_log, "%s", msg);
}

Test(video_in, ffmpeg_messages_go_to_the_node_log) {
  ysgt_video v = spec_x264();
  make("full.mp4", &v);
  size_t n = 0;
  char *bytes = ysgt_read("full.mp4", &n);
  write_bytes("half.mp4", bytes, n / 2);
  free(bytes);
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.log = keep_ffmpeg;
  o.log_level = YSG_LOG_DEBUG;
  ysg_context *lctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &lctx), YSG_OK);
  fflush(stderr);
  int saved = dup(2);
  FILE *cap = tmpfile();
  dup2(fileno(cap), 2);
  ff_log[0] = 0;
  ysg_pipeline *p = NULL;
  ysg_status s = ysgt_load(lctx, "video_in { path = 'half.mp4', name = 'v' }", &p);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  cr_assert_eq(s, YSG_ERR_DATA);
  cr_assert(strstr(ff_log, PRE "ffmpeg: [mov,mp4,m4a,3gp,3g2,mj2 @ 0x") == ff_log, "%s", ff_log);
  cr_assert(strstr(ff_log, "] moov atom not found"), "%s", ff_log);
  long len = ftell(cap);
  fclose(cap);
  cr_assert_eq(len, 0, "FFmpeg printed %ld bytes to stderr", len);
  ysg_context_destroy(lctx);
}

/* ---- NVDEC and the CUDA conversion ------------------------------------------------------------
 */

static void require_device(void) {
  char reason[512];
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("skipped: %s", reason);
    cr_skip_test("%s", reason);
  }
}

Test(video_in, nvdec_matches_software) {
  require_device();
  ysgt_video v = spec_x264();
  v.lossless = 0; /* High profile: NVDEC has no High 4:4:4 Predictive (x264's lossless) */
  v.gop = 5;
  v.bframes = 2;
  make("clip.mp4", &v);
  static uint16_t sw[NF][W * H * 4];
  load_path("clip.mp4", "decoder = 'software'");
  for (int f = 0; f < NF; f++) memcpy(sw[f], frame_value(f)->px, sizeof sw[f]);
  ysg_pipeline_destroy(pl);
  pl = NULL;
  load_path("clip.mp4", "decoder = 'nvdec'");
  const int order[] = {0, 1, 2, 7, 3, 4, 11, 5};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const uint16_t *px = frame_value(order[i])->px;
    float worst = 0;
    for (int k = 0; k < W * H * 4; k++)
      worst = fmaxf(worst, fabsf(ysg_half_to_float(px[k]) - ysg_half_to_float(sw[order[i]][k])));
    cr_assert_leq(worst, 2e-3f, "frame %d: NVDEC differs from software by %g", order[i], worst);
  }
}
#endif /* YSG_HAVE_FFMPEG */

#ifdef YSG_HAVE_CUDA
/* The kernel against yuv.h evaluated here, on NV12 and P010 surfaces with padded pitches. */
Test(video_in_cuda, kernel_matches_cpu_math) {
  char reason[512], err[512];
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("skipped: %s", reason);
    cr_skip_test("%s", reason);
  }
  const int w = 37, h = 21, cw = (w + 1) / 2, chh = (h + 1) / 2;
  for (int run = 0; run < 4; run++) { /* 8 and 10 bits, each with both chroma filters */
    const int bits = run < 2 ? 8 : 10;
    const int bps = bits == 8 ? 1 : 2, pitch_y = w * bps + 64, pitch_c = cw * 2 * bps + 32;
    uint8_t *luma = calloc((size_t)pitch_y * h, 1), *chroma = calloc((size_t)pitch_c * chh, 1);
    uint32_t x = 777;
    float *ly = malloc(sizeof(float) * w * h), *lc = malloc(sizeof(float) * cw * chh * 2);
    for (int i = 0; i < w * h + cw * chh * 2; i++) {
      x = x * 1664525u + 1013904223u;
      int code = (int)(x >> 8) % (1 << bits);
      int isl = i < w * h, j = isl ? i : i - w * h;
      uint8_t *dst = isl ? luma + (size_t)(j / w) * pitch_y + (size_t)(j % w) * bps
                         : chroma + (size_t)(j / (cw * 2)) * pitch_c + (size_t)(j % (cw * 2)) * bps;
      if (bps == 1) {
        dst[0] = (uint8_t)code;
      } else {
        uint16_t word = (uint16_t)(code << (16 - bits)); /* P010: high bits */
        dst[0] = (uint8_t)word, dst[1] = (uint8_t)(word >> 8);
      }
      (isl ? ly : lc)[j] = (float)code;
    }
    ysg_yuv_params p;
    ysg_yuv_params_init(&p, YSG_YUV_BT709, bits == 10, bits);
    p.chroma_filter = run & 1 ? YSG_CHROMA_BILINEAR : YSG_CHROMA_NEAREST;
    void *d_l, *d_c, *d_p, *d_px, *d_t;
    cr_assert_eq(ysg__cuda_malloc(&d_l, (size_t)pitch_y * h, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_c, (size_t)pitch_c * chh, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_p, sizeof p, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_px, (size_t)w * h * 8, err, sizeof err), YSG_OK, "%s", err);
    cr_assert_eq(ysg__cuda_malloc(&d_t, 6, err, sizeof err), YSG_OK, "%s", err);
    ysg__cuda_upload(d_l, luma, (size_t)pitch_y * h, NULL, err, sizeof err);
    ysg__cuda_upload(d_c, chroma, (size_t)pitch_c * chh, NULL, err, sizeof err);
    ysg__cuda_upload(d_p, &p, sizeof p, NULL, err, sizeof err);
    cr_assert_eq(ysg__cuda_yuv_to_rgba(d_l, d_c, pitch_y, pitch_c, w, h, bits, d_p, d_px, d_t, NULL,
                                       err, sizeof err),
                 YSG_OK, "%s", err);
    uint16_t *px = malloc((size_t)w * h * 8);
    uint8_t tiles[6];
    ysg__cuda_download(px, d_px, (size_t)w * h * 8, NULL, err, sizeof err);
    ysg__cuda_download(tiles, d_t, 6, NULL, err, sizeof err);
    cr_assert_eq(ysg__cuda_sync(NULL, err, sizeof err), YSG_OK, "%s", err);
    for (int t = 0; t < 6; t++) cr_assert_eq(tiles[t], 1);
    float worst = 0;
    for (int yy = 0; yy < h; yy++)
      for (int xx = 0; xx < w; xx++) {
        int x0, x1, y0, y1;
        float wx, wy, rgb[3], got[4];
        ysg_chroma_taps_p(&p, 0, xx, 1, cw, &x0, &x1, &wx);
        ysg_chroma_taps_p(&p, 1, yy, 1, chh, &y0, &y1, &wy);
        float cb = ysg_chroma_mix(lc[(y0 * cw + x0) * 2], lc[(y0 * cw + x1) * 2],
                                  lc[(y1 * cw + x0) * 2], lc[(y1 * cw + x1) * 2], wx, wy);
        float cr = ysg_chroma_mix(lc[(y0 * cw + x0) * 2 + 1], lc[(y0 * cw + x1) * 2 + 1],
                                  lc[(y1 * cw + x0) * 2 + 1], lc[(y1 * cw + x1) * 2 + 1], wx, wy);
        ysg_yuv_to_linear(&p, ly[yy * w + xx], cb, cr, rgb);
        ysg_load_px(px + ((size_t)yy * w + xx) * 4, got);
        for (int c = 0; c < 3; c++) worst = fmaxf(worst, fabsf(got[c] - rgb[c]));
        cr_assert_eq(got[3], 1.0f);
      }
    cr_assert_leq(worst, 1e-3f, "%d bits, chroma filter %d: kernel differs from yuv.h by %g", bits,
                  p.chroma_filter, worst);
    void *dev[] = {d_l, d_c, d_p, d_px, d_t};
    for (int k = 0; k < 5; k++) ysg__cuda_free(dev[k]);
    free(luma), free(chroma), free(ly), free(lc), free(px);
  }
}
#endif
