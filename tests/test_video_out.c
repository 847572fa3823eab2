/* test_video_out.c — the `video_out` node: host-fed FP16 frames encoded to mp4/mkv/webm/mov and
 * decoded again here with libavcodec: frame count, fps, size, codec and colour tags, and the
 * decoded Y'CbCr planes against a reference computed in double precision from the same pixels
 * (sRGB OETF, BT.709, 2×2 chroma mean). Lossless x264 (crf 0) must match within 1 code value;
 * lossy encoders must reach a PSNR threshold (stated per case). Also: interrupted runs leave no
 * file and no temporary, a second run after finish starts a new file, and every error text. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "color.h"
#include "internal.h"
#include "util.h"
#include "ysgraph/node.h"

#ifdef YSG_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>

#define W 96
#define H 64
#define NF 12

/* ---- input frames and the reference conversion --------------------------------------------- */
/* FP16 linear premultiplied: smooth colour ramps that move with the frame, a half-transparent
 * band (premultiplied: darker over black) and a fully transparent corner (black). */
static void make_frame(int f, int w, int h, uint16_t *px) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double r = 0.5 + 0.45 * sin(0.07 * x + 0.3 * f), g = (double)y / (h - 1);
      double b = 0.5 + 0.45 * cos(0.05 * (x + y) - 0.2 * f), a = 1.0;
      if (y >= h / 2 && y < h / 2 + 8) a = 0.5;
      if (x < 16 && y < 16) a = 0.0;
      const double v[4] = {r * r * a, g * g * g * a, b * a, a}; /* linear, premultiplied */
      for (int c = 0; c < 4; c++) px[((size_t)y * w + x) * 4 + c] = ysg_float_to_half((float)v[c]);
    }
}

static double oetf(double c) { /* sRGB, IEC 61966-2-1, in double */
  c = c < 0 ? 0 : (c > 1 ? 1 : c);
  return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055;
}

typedef struct planes {
  int w, h, cw, ch, sx, sy; /* luma size, chroma size, subsampling shifts */
  double *y, *cb, *cr;      /* code values (reference: unrounded) */
} planes;

static void planes_alloc(planes *p, int w, int h, int sx, int sy) {
  p->w = w, p->h = h, p->sx = sx, p->sy = sy;
  p->cw = (w + sx) >> sx, p->ch = (h + sy) >> sy;
  p->y = calloc((size_t)w * h, sizeof(double));
  p->cb = calloc((size_t)p->cw * p->ch, sizeof(double));
  p->cr = calloc((size_t)p->cw * p->ch, sizeof(double));
}
static void planes_free(planes *p) { free(p->y), free(p->cb), free(p->cr); }

/* BT.709 R'G'B' -> code values: limited range Y = 16 + 219·Y', C = 128 + 224·P (× 2^(bits-8));
 * full range Y = (2^bits - 1)·Y', C = 2^(bits-1) + (2^bits - 1)·P. */
static void ref_planes(const uint16_t *px, int w, int h, int sx, int sy, int bits, int full,
                       planes *p) {
  const double kr = 0.2126, kb = 0.0722, kg = 1 - kr - kb, u = pow(2, bits - 8);
  const double ys = full ? pow(2, bits) - 1 : 219 * u, yo = full ? 0 : 16 * u;
  const double cs = full ? pow(2, bits) - 1 : 224 * u, co = 128 * u;
  planes_alloc(p, w, h, sx, sy);
  for (int cy = 0; cy < p->ch; cy++)
    for (int cx = 0; cx < p->cw; cx++) {
      double m[3] = {0, 0, 0};
      int n = 0;
      for (int y = cy << sy; y < ((cy + 1) << sy) && y < h; y++)
        for (int x = cx << sx; x < ((cx + 1) << sx) && x < w; x++, n++) {
          const uint16_t *s = px + ((size_t)y * w + x) * 4;
          double e[3];
          for (int c = 0; c < 3; c++) e[c] = oetf(ysg_half_to_float(s[c])), m[c] += e[c];
          p->y[(size_t)y * w + x] = yo + ys * (kr * e[0] + kg * e[1] + kb * e[2]);
        }
      for (int c = 0; c < 3; c++) m[c] /= n;
      double Y = kr * m[0] + kg * m[1] + kb * m[2];
      p->cb[(size_t)cy * p->cw + cx] = co + cs * (m[2] - Y) / (2 * (1 - kb));
      p->cr[(size_t)cy * p->cw + cx] = co + cs * (m[0] - Y) / (2 * (1 - kr));
    }
}

/* ---- decoding ---------------------------------------------------------------------------------
 */
typedef struct decoded {
  int frames, w, h;
  double fps;
  enum AVCodecID codec;
  enum AVPixelFormat fmt;
  enum AVColorSpace cs;
  enum AVColorRange range;
  enum AVColorTransferCharacteristic trc;
  int has_audio;
  planes f[64];
} decoded;

static void decoded_free(decoded *d) {
  for (int i = 0; i < d->frames; i++) planes_free(&d->f[i]);
}

static void take_frame(decoded *d, const AVFrame *fr) {
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fr->format);
  cr_assert_lt(d->frames, 64);
  planes *p = &d->f[d->frames++];
  planes_alloc(p, fr->width, fr->height, desc->log2_chroma_w, desc->log2_chroma_h);
  const int wide = desc->comp[0].depth > 8;
  for (int pl = 0; pl < 3; pl++) {
    double *dst = pl == 0 ? p->y : pl == 1 ? p->cb : p->cr;
    int pw = pl ? p->cw : p->w, ph = pl ? p->ch : p->h;
    for (int y = 0; y < ph; y++) {
      const uint8_t *row = fr->data[pl] + (size_t)y * fr->linesize[pl];
      for (int x = 0; x < pw; x++)
        dst[(size_t)y * pw + x] = wide ? ((const uint16_t *)row)[x] : row[x];
    }
  }
}

static void decode_file(const char *path, decoded *d) {
  memset(d, 0, sizeof *d);
  AVFormatContext *ic = NULL;
  cr_assert_geq(avformat_open_input(&ic, path, NULL, NULL), 0, "cannot open %s", path);
  cr_assert_geq(avformat_find_stream_info(ic, NULL), 0);
  const AVCodec *c = NULL;
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0);
  cr_assert_geq(si, 0, "no video stream in %s", path);
  for (unsigned i = 0; i < ic->nb_streams; i++)
    if (ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) d->has_audio = 1;
  AVStream *st = ic->streams[si];
  d->codec = st->codecpar->codec_id;
  d->fps = av_q2d(st->avg_frame_rate);
  d->w = st->codecpar->width, d->h = st->codecpar->height;
  d->cs = st->codecpar->color_space, d->range = st->codecpar->color_range;
  d->trc = st->codecpar->color_trc;
  AVCodecContext *dec = avcodec_alloc_context3(c);
  avcodec_parameters_to_context(dec, st->codecpar);
  cr_assert_geq(avcodec_open2(dec, c, NULL), 0);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  int eof = 0;
  for (;;) {
    if (!eof) {
      int r = av_read_frame(ic, pkt);
      if (r < 0) {
        eof = 1;
        avcodec_send_packet(dec, NULL);
      } else {
        if (pkt->stream_index == si) cr_assert_geq(avcodec_send_packet(dec, pkt), 0);
        av_packet_unref(pkt);
      }
    }
    int r;
    while ((r = avcodec_receive_frame(dec, fr)) >= 0) {
      d->fmt = fr->format;
      take_frame(d, fr);
      av_frame_unref(fr);
    }
    if (r == AVERROR_EOF) break;
  }
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&ic);
}

/* max |decoded - round(reference)| and PSNR of one plane kind (0 Y, 1 chroma) over all frames */
static void compare(const decoded *d, const planes *ref, int bits, double *maxdiff, double *psnr_y,
                    double *psnr_c) {
  double se[2] = {0, 0}, n[2] = {0, 0}, peak = pow(2, bits) - 1;
  *maxdiff = 0;
  for (int f = 0; f < d->frames; f++)
    for (int pl = 0; pl < 3; pl++) {
      const planes *a = &d->f[f], *b = &ref[f];
      const double *x = pl == 0 ? a->y : pl == 1 ? a->cb : a->cr;
      const double *r = pl == 0 ? b->y : pl == 1 ? b->cb : b->cr;
      size_t cnt = pl ? (size_t)a->cw * a->ch : (size_t)a->w * a->h;
      for (size_t i = 0; i < cnt; i++) {
        double want = floor(r[i] + 0.5), diff = fabs(x[i] - want);
        if (diff > *maxdiff) *maxdiff = diff;
        se[pl > 0] += (x[i] - r[i]) * (x[i] - r[i]);
        n[pl > 0] += 1;
      }
    }
  *psnr_y = se[0] ? 10 * log10(peak * peak * n[0] / se[0]) : 99;
  *psnr_c = se[1] ? 10 * log10(peak * peak * n[1] / se[1]) : 99;
}

/* ---- running pipelines ---------------------------------------------------------------------- */
static char info_log[4096];
static void keep_info(void *ud, ysg_log_level level, const char *msg) {
  (void)ud;
  if (level == YSG_LOG_INFO && strstr(msg, "encoder "))
    snprintf(info_log, sizeof info_log, "%s", msg);
}

static ysg_context *ctx_info(void) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  o.log = keep_info;
  o.log_level = YSG_LOG_INFO;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  info_log[0] = 0;
  return ctx;
}

static ysg_pipeline *load_in(ysg_context *ctx, const char *dir, const char *src) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p);
  cr_assert_eq(s, YSG_OK, "load failed: %s\n%s", ysg_errmsg(ctx), src);
  return p;
}

/* Feed frames first..last-1 of make_frame to image_in 'src' and run them. */
static void feed(ysg_context *ctx, ysg_pipeline *p, int w, int h, int first, int last) {
  uint16_t *px = malloc((size_t)w * h * 8);
  for (int f = first; f < last; f++) {
    make_frame(f, w, h, px);
    ysg_image_desc d = {w, h, YSG_RGBA16F_LINEAR, px, 0};
    cr_assert_eq(ysg_pipeline_set_image(p, "src", &d), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
  }
  free(px);
}

static void ref_frames(planes *ref, int w, int h, int first, int n, int sx, int sy, int bits,
                       int full) {
  uint16_t *px = malloc((size_t)w * h * 8);
  for (int i = 0; i < n; i++) {
    make_frame(first + i, w, h, px);
    ref_planes(px, w, h, sx, sy, bits, full, &ref[i]);
  }
  free(px);
}

/* The directory's entries other than . and .., joined by spaces, sorted by readdir order. */
static const char *listing(const char *dir) {
  static char out[1024];
  out[0] = 0;
  DIR *d = opendir(dir);
  cr_assert(d, "cannot list %s", dir);
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? " " : "", e->d_name);
  closedir(d);
  return out;
}

static const char *pipeline_src(const char *canvas, const char *params) {
  static char src[2048];
  snprintf(src, sizeof src,
           "canvas { %s }\n"
           "local img = image_in { name = 'src' }\n"
           "video_out { name = 'out', image = img, %s }\n",
           canvas, params);
  return src;
}

#define CANVAS "width = 96, height = 64, frames = 12, fps = 24"

/* Encode NF frames with params into dir, finish; returns the decoded file. */
static void encode_decode(const char *dir, const char *file, const char *canvas, const char *params,
                          int w, int h, decoded *d) {
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(canvas, params));
  feed(ctx, p, w, h, 0, NF);
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "finish: %s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  cr_assert_str_eq(listing(dir), file, "only the video is left");
  decode_file(path, d);
}

/* ---- encoding --------------------------------------------------------------------------------
 */
Test(video_out, h264_lossless_matches_the_reference) {
  const char *dir = ysgt_tmpdir();
  decoded d;
  encode_decode(dir, "out.mp4", CANVAS,
                "path = 'out.mp4', encoder = 'software', crf = 0, preset = 'ultrafast'", W, H, &d);
  cr_expect_eq(d.frames, NF);
  cr_expect_float_eq(d.fps, 24.0, 1e-9);
  cr_expect(d.w == W && d.h == H, "size %dx%d", d.w, d.h);
  cr_expect_eq(d.codec, AV_CODEC_ID_H264);
  cr_expect_eq(d.fmt, AV_PIX_FMT_YUV420P);
  cr_expect_eq(d.cs, AVCOL_SPC_BT709);
  cr_expect_eq(d.range, AVCOL_RANGE_MPEG);
  cr_expect_eq(d.trc, AVCOL_TRC_BT709);
  cr_expect_eq(d.has_audio, 0);
  planes ref[NF];
  ref_frames(ref, W, H, 0, NF, 1, 1, 8, 0);
  double maxd, py, pc;
  compare(&d, ref, 8, &maxd, &py, &pc);
  /* lossless: only float-vs-double rounding at .5 may move a code value */
  cr_expect_leq(maxd, 1.0, "max difference %g code values (PSNR Y %.2f, C %.2f)", maxd, py, pc);
  /* the black corner and the half-transparent band are exactly what the reference says */
  cr_expect_eq(d.f[0].y[0], 16.0);
  cr_expect_eq(d.f[0].cb[0], 128.0);
  for (int i = 0; i < NF; i++) planes_free(&ref[i]);
  decoded_free(&d);
  cr_expect(strstr(info_log, "node 'out' (video_out): encoder libx264 (encoder=software)"),
            "log: %s", info_log);
}

typedef struct lossy_case {
  const char *file, *params;
  enum AVCodecID codec;
  enum AVPixelFormat fmt;
  int sx, sy, bits, full;
  double min_psnr; /* dB, luma and chroma, against the unrounded reference */
} lossy_case;

/* Thresholds: crf 18-ish at 96×64 gives 44-50 dB on this smooth content; 40 dB leaves room for
 * encoder versions while failing on any colour-math error (a wrong matrix or range costs > 15). */
static const lossy_case lossy[] = {
    {"a.mp4", "path = 'a.mp4', encoder = 'software'", AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P, 1, 1, 8,
     0, 40},
    {"b.mkv", "path = 'b.mkv', codec = 'hevc', encoder = 'software', preset = 'ultrafast'",
     AV_CODEC_ID_HEVC, AV_PIX_FMT_YUV420P, 1, 1, 8, 0, 40},
    {"c.webm", "path = 'c.webm', codec = 'vp9', crf = 20, preset = 'ultrafast'", AV_CODEC_ID_VP9,
     AV_PIX_FMT_YUV420P, 1, 1, 8, 0, 40},
    {"d.mkv", "path = 'd.mkv', codec = 'av1', crf = 20, preset = 'ultrafast'", AV_CODEC_ID_AV1,
     AV_PIX_FMT_YUV420P, 1, 1, 8, 0, 40},
    {"e.mov", "path = 'e.mov', codec = 'prores'", AV_CODEC_ID_PRORES, AV_PIX_FMT_YUV422P10LE, 1, 0,
     10, 0, 45},
    /* FFmpeg's H.264 decoder reports full range as the (deprecated) yuvj formats */
    {"f.mp4", "path = 'f.mp4', pix_fmt = 'yuv444p', range = 'full', encoder = 'software'",
     AV_CODEC_ID_H264, AV_PIX_FMT_YUVJ444P, 0, 0, 8, 1, 40},
    {"g.mkv", "path = 'g.mkv', pix_fmt = 'yuv420p10', encoder = 'software', crf = 10",
     AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P10LE, 1, 1, 10, 0, 45},
};

Test(video_out, lossy_codecs_containers_and_formats) {
  for (size_t k = 0; k < sizeof lossy / sizeof lossy[0]; k++) {
    const lossy_case *c = &lossy[k];
    const char *dir = ysgt_tmpdir();
    decoded d;
    encode_decode(dir, c->file, CANVAS, c->params, W, H, &d);
    cr_expect_eq(d.frames, NF, "%s: %d frames", c->file, d.frames);
    cr_expect_float_eq(d.fps, 24.0, 1e-6, "%s: fps %g", c->file, d.fps);
    cr_expect(d.w == W && d.h == H, "%s: size %dx%d", c->file, d.w, d.h);
    cr_expect_eq(d.codec, c->codec, "%s: codec %s", c->file, avcodec_get_name(d.codec));
    cr_expect_eq(d.fmt, c->fmt, "%s: pix_fmt %s", c->file, av_get_pix_fmt_name(d.fmt));
    cr_expect_eq(d.range, c->full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG, "%s: range", c->file);
    planes ref[NF];
    ref_frames(ref, W, H, 0, NF, c->sx, c->sy, c->bits, c->full);
    double maxd, py, pc;
    if (d.frames == NF) {
      compare(&d, ref, c->bits, &maxd, &py, &pc);
      cr_expect_geq(py, c->min_psnr, "%s: PSNR Y %.2f dB", c->file, py);
      cr_expect_geq(pc, c->min_psnr, "%s: PSNR C %.2f dB", c->file, pc);
      cr_log_info("%s: PSNR Y %.2f C %.2f dB, max diff %g; %s", c->file, py, pc, maxd, info_log);
    }
    for (int i = 0; i < NF; i++) planes_free(&ref[i]);
    decoded_free(&d);
  }
}

Test(video_out, fractional_fps_and_odd_size_444) {
  const char *dir = ysgt_tmpdir();
  decoded d;
  encode_decode(dir, "o.mkv", "width = 95, height = 63, frames = 12, fps = 30000/1001",
                "path = 'o.mkv', pix_fmt = 'yuv444p', crf = 0, preset = 'ultrafast'", 95, 63, &d);
  cr_expect_eq(d.frames, NF);
  cr_expect_float_eq(d.fps, 30000.0 / 1001.0, 1e-6, "fps %.9g", d.fps);
  cr_expect(d.w == 95 && d.h == 63, "size %dx%d", d.w, d.h);
  planes ref[NF];
  ref_frames(ref, 95, 63, 0, NF, 0, 0, 8, 0);
  double maxd, py, pc;
  compare(&d, ref, 8, &maxd, &py, &pc);
  cr_expect_leq(maxd, 1.0, "lossless 4:4:4: max difference %g", maxd);
  for (int i = 0; i < NF; i++) planes_free(&ref[i]);
  decoded_free(&d);
}

Test(video_out, bitrate_sets_the_size) {
  long size[2];
  const int kbps[2] = {40, 4000};
  for (int i = 0; i < 2; i++) {
    const char *dir = ysgt_tmpdir();
    char params[256], path[1024];
    snprintf(params, sizeof params, "path = 'b.mp4', bitrate = %d, preset = 'fast'", kbps[i]);
    decoded d;
    encode_decode(dir, "b.mp4", CANVAS, params, W, H, &d);
    cr_expect_eq(d.frames, NF);
    decoded_free(&d);
    snprintf(path, sizeof path, "%s/b.mp4", dir);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    size[i] = (long)sb.st_size;
  }
  /* 12 frames at 24 fps last 0.5 s: 40 kbit/s is ~2.5 KB of video, 4000 kbit/s up to ~250 KB
   * (x264 needs far less for this content, so only the order of magnitude is checked) */
  cr_expect_lt(size[0] * 3, size[1], "%ld bytes at %d kbit/s, %ld at %d", size[0], kbps[0], size[1],
               kbps[1]);
  cr_log_info("%ld bytes at %d kbit/s, %ld at %d", size[0], kbps[0], size[1], kbps[1]);
}

/* ---- atomic output ---------------------------------------------------------------------------
 */
Test(video_out, interrupted_run_leaves_no_file) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(CANVAS, "path = 'v/out.mp4'"));
  feed(ctx, p, W, H, 0, 5);
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK);
  char sub[1024];
  snprintf(sub, sizeof sub, "%s/v", dir);
  char want[64];
  snprintf(want, sizeof want, ".out.mp4.part-%ld", (long)getpid());
  cr_expect_str_eq(listing(sub), want, "while running, only the temporary exists");
  ysg_pipeline_destroy(p); /* no finish: interrupted */
  cr_expect_str_eq(listing(sub), "", "nothing is left");
  ysg_context_destroy(ctx);
}

Test(video_out, a_run_after_finish_starts_a_new_file) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(CANVAS, "path = 'r.mkv', crf = 0"));
  feed(ctx, p, W, H, 0, 3);
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  feed(ctx, p, W, H, 5, 9);
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_finish(p), YSG_OK, "a finish without frames does nothing");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  char path[1024];
  snprintf(path, sizeof path, "%s/r.mkv", dir);
  decoded d;
  decode_file(path, &d);
  cr_assert_eq(d.frames, 4, "the second run's frames 5..8 only: %d", d.frames);
  planes ref[4];
  ref_frames(ref, W, H, 5, 4, 1, 1, 8, 0);
  double maxd, py, pc;
  compare(&d, ref, 8, &maxd, &py, &pc);
  cr_expect_leq(maxd, 1.0, "frames 5..8, lossless: max difference %g", maxd);
  for (int i = 0; i < 4; i++) planes_free(&ref[i]);
  decoded_free(&d);
}

Test(video_out, frames_must_increase) {
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(CANVAS, "path = 'x.mp4'"));
  feed(ctx, p, W, H, 3, 4);
  cr_expect_eq(ysg_pipeline_run_frame(p, 2), YSG_ERR_RUNTIME);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:3: node 'out' (video_out): a video's frames must come in increasing "
                   "order: frame 2 after 3");
  ysg_pipeline_destroy(p);
  cr_expect_str_eq(listing(dir), "");
  ysg_context_destroy(ctx);
}

Test(video_out, write_failure_names_the_file_and_leaves_nothing) {
  const char *dir = ysgt_tmpdir();
  char sub[1024], msg[2048];
  snprintf(sub, sizeof sub, "%s/gone", dir);
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(CANVAS, "path = 'gone/x.mp4'"));
  cr_assert_eq(rmdir(sub), 0, "the node made the directory at load");
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_IO);
  snprintf(msg, sizeof msg,
           "test.lua:3: node 'out' (video_out): parameter 'path': cannot write '%s/x.mp4': No "
           "such file or directory",
           sub);
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  ysg_pipeline_destroy(p);
  cr_expect_str_eq(listing(dir), "");
  ysg_context_destroy(ctx);
}

/* ---- errors -----------------------------------------------------------------------------------
 */
static void expect_fail(const char *dir, const char *canvas, const char *params, ysg_status st,
                        const char *msg) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  ysgt_expect_load_fail(pipeline_src(canvas, params), &lo, st, msg);
  cr_expect_str_eq(listing(dir), "", "a failed load leaves no file (%s)", params);
}

#define PRE "test.lua:3: node 'out' (video_out): "

Test(video_out, errors) {
  const char *dir = ysgt_tmpdir();
  expect_fail(dir, CANVAS, "path = 'a.avi'", YSG_ERR_PIPELINE,
              PRE
              "parameter 'path': unknown container extension '.avi' (expected .mp4, .mkv, "
              ".mov or .webm)");
  char msg[2048];
  snprintf(msg, sizeof msg,
           PRE
           "parameter 'path': '%s/video' has no container extension (expected .mp4, .mkv, "
           ".mov or .webm)",
           dir);
  expect_fail(dir, CANVAS, "path = 'video'", YSG_ERR_PIPELINE, msg);
  expect_fail(dir, CANVAS, "path = 'a.webm'", YSG_ERR_PIPELINE,
              PRE "parameter 'codec': a .webm file cannot hold h264 video (it holds av1, vp9)");
  expect_fail(dir, CANVAS, "path = 'a.mp4', codec = 'prores'", YSG_ERR_PIPELINE,
              PRE
              "parameter 'codec': a .mp4 file cannot hold prores video (it holds h264, hevc, "
              "av1, vp9)");
  expect_fail(dir, CANVAS, "path = 'a.mp4', codec = 'vp9', encoder = 'nvenc'", YSG_ERR_UNSUPPORTED,
              PRE
              "parameter 'encoder': NVENC encodes h264 and hevc, not vp9 (use "
              "encoder=software)");
  expect_fail(dir, CANVAS, "path = 'a.mp4', crf = 52", YSG_ERR_PIPELINE,
              PRE "parameter 'crf': 52 is out of range for h264 (0..51)");
  expect_fail(dir, CANVAS, "path = 'a.mp4', preset = 'quick'", YSG_ERR_PIPELINE,
              PRE
              "parameter 'preset': unknown preset 'quick' (expected ultrafast, superfast, "
              "veryfast, faster, fast, medium, slow, slower, veryslow or placebo)");
  expect_fail(dir, CANVAS, "path = 'a.mkv', codec = 'av1', pix_fmt = 'yuv444p'",
              YSG_ERR_UNSUPPORTED, PRE "encoder libsvtav1 cannot encode pix_fmt yuv444p");
  expect_fail(dir, CANVAS, "path = 'a.mp4', audio = 'nope'", YSG_ERR_PIPELINE,
              PRE "parameter 'audio': no node named 'nope' in the pipeline");
  expect_fail(dir, "width = 95, height = 64", "path = 'a.mp4'", YSG_ERR_PIPELINE,
              PRE
              "the image is 95x64, but 4:2:0 video needs an even width and height (use an "
              "even canvas or pix_fmt yuv444p)");
  expect_fail(dir, "width = 95, height = 64", "path = 'a.mov', codec = 'prores'", YSG_ERR_PIPELINE,
              PRE "the image is 95x64, but 4:2:2 video needs an even width (use an even canvas)");

  /* audio naming a node that is not a video_in (a node handle stands for its name) */
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  ysgt_expect_load_fail("canvas { " CANVAS
                        " }\n"
                        "local bg = fill { name = 'bg' }\n"
                        "video_out { name = 'out', image = bg, path = 'a.mp4', audio = bg }\n",
                        &lo, YSG_ERR_PIPELINE,
                        PRE "parameter 'audio': node 'bg' is a fill, not a video_in");

  /* an output directory that cannot be created */
  const char *blocker = ysgt_write(dir, "blocker", "x");
  snprintf(msg, sizeof msg,
           PRE "parameter 'path': cannot create directory '%s/blocker': Not a directory", dir);
  ysgt_expect_load_fail(pipeline_src(CANVAS, "path = 'blocker/a.mp4'"), &lo, YSG_ERR_IO, msg);
  unlink(blocker);
  cr_expect_str_eq(listing(dir), "");
}

/* ---- the command line ----------------------------------------------------------------------
 */
Test(video_out, cli_writes_the_video_and_names_the_encoder_in_stats) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "g.lua",
             "canvas { width = 64, height = 48, frames = 6, fps = 25 }\n"
             "video_out { name = 'out', image = gradient {}, path = 'g.mp4' }\n");
  char cmd[4096], *out, *err;
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run g.lua -o res --stats s.json", dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  cr_expect(strstr(err, "ysgraph: note: g.lua:2: node 'out' (video_out): encoder libx264 ("),
            "stderr: %s", err);
  char path[1024];
  snprintf(path, sizeof path, "%s/res", dir);
  cr_expect_str_eq(listing(path), "g.mp4");
  snprintf(path, sizeof path, "%s/res/g.mp4", dir);
  decoded d;
  decode_file(path, &d);
  cr_expect_eq(d.frames, 6);
  cr_expect_float_eq(d.fps, 25.0, 1e-9);
  cr_expect(d.w == 64 && d.h == 48);
  decoded_free(&d);
  snprintf(path, sizeof path, "%s/s.json", dir);
  char *js = ysgt_read(path, NULL);
  cr_expect(js && strstr(js, "\"type\":\"video_out\",\"info\":\"encoder libx264 ("), "stats: %s",
            js ? js : "none");
  free(js), free(out), free(err);
}

Test(video_out, cli_interrupt_leaves_no_video) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "long.lua",
             "canvas { width = 64, height = 48, frames = 1000000 }\n"
             "video_out { name = 'out', image = gradient {}, path = 'v.mkv', preset = 'ultrafast' "
             "}\n");
  char cmd[4096], *out, *err;
  /* wait for the temporary file (the first frame ran), then one SIGINT */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && { '%s' run long.lua --quiet & pid=$!; i=0; "
           "while ! ls -a | grep -q '^.v.mkv.part-' && [ $i -lt 1200 ]; do sleep 0.05; "
           "i=$((i+1)); done; sleep 0.2; kill -INT $pid; wait $pid; echo \"rc=$?\"; }",
           dir, YSG_CLI_PATH);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0);
  cr_expect_str_eq(out, "rc=3\n", "stderr: %s", err);
  cr_expect(strstr(err, "ysgraph: interrupted by SIGINT at frame "), "%s", err);
  cr_expect_str_eq(listing(dir), "long.lua", "no video and no temporary are left");
  free(out), free(err);
}

/* ---- NVENC -------------------------------------------------------------------------------------
 */
Test(video_out, nvenc_without_a_device_is_a_clear_error) {
  char reason[512];
  if (ysg__cuda_probe(reason, sizeof reason))
    cr_skip_test("a CUDA device is present (%s): see nvenc_on_a_device", reason);
  char msg[2048];
  snprintf(msg, sizeof msg, PRE "parameter 'encoder': NVENC needs a usable CUDA device: %s",
           reason);
  expect_fail(ysgt_tmpdir(), CANVAS, "path = 'a.mp4', encoder = 'nvenc'", YSG_ERR_UNSUPPORTED, msg);
  /* auto falls back to software and says why */
  const char *dir = ysgt_tmpdir();
  ysg_context *ctx = ctx_info();
  ysg_pipeline *p = load_in(ctx, dir, pipeline_src(CANVAS, "path = 'a.mp4'"));
  snprintf(msg, sizeof msg, PRE "encoder libx264 (NVENC unavailable: %s)", reason);
  cr_expect_str_eq(info_log, msg);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(video_out, nvenc_on_a_device) {
  char reason[512];
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("NVENC test skipped: %s", reason);
    cr_skip_test("NVENC test skipped: %s", reason);
  }
  /* auto: NVENC when the GPU has an encoder (RTX, L4, …), software on H100/A100; either way the
   * log names the encoder and the file decodes to the reference */
  const char *dir = ysgt_tmpdir();
  decoded d;
  encode_decode(dir, "n.mp4", CANVAS, "path = 'n.mp4', crf = 18", W, H, &d);
  cr_log_info("%s", info_log);
  int nv = strstr(info_log, "encoder h264_nvenc (NVENC on ") != NULL;
  cr_expect(nv || strstr(info_log,
                         "encoder libx264 (NVENC unavailable: cannot open encoder "
                         "h264_nvenc: "),
            "log: %s", info_log);
  cr_expect_eq(d.frames, NF);
  cr_expect_eq(d.codec, AV_CODEC_ID_H264);
  planes ref[NF];
  ref_frames(ref, W, H, 0, NF, 1, 1, 8, 0);
  double maxd, py, pc;
  compare(&d, ref, 8, &maxd, &py, &pc);
  cr_expect_geq(py, 38.0, "PSNR Y %.2f dB", py);
  cr_expect_geq(pc, 38.0, "PSNR C %.2f dB", pc);
  for (int i = 0; i < NF; i++) planes_free(&ref[i]);
  decoded_free(&d);
  if (!nv) { /* no NVENC on this GPU: asking for it is an error naming FFmpeg's reason */
    ysg_context *ctx = ysgt_ctx();
    ysg_pipeline *p = NULL;
    ysg_load_options lo;
    ysg_load_options_init(&lo);
    lo.output_dir = ysgt_tmpdir();
    cr_expect_neq(ysg_pipeline_load_string(ctx,
                                           pipeline_src(CANVAS,
                                                        "path='a.mp4', "
                                                        "encoder='nvenc'"),
                                           "test.lua", &lo, &p),
                  YSG_OK);
    cr_expect(strstr(ysg_errmsg(ctx), PRE "parameter 'encoder': cannot open encoder h264_nvenc: "),
              "%s", ysg_errmsg(ctx));
    ysg_context_destroy(ctx);
  }
}

#else
Test(video_out, needs_ffmpeg) { cr_skip_test("built without FFmpeg: no video_out node"); }
#endif
