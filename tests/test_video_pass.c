/* test_video_pass.c — video_out's passthrough (nodes/video_out_pass.c): a video with a small
 * opaque picture composited over it, encoded losslessly (libx264, crf 0); decoded here with
 * libavcodec, every 16×16 tile away from the picture holds exactly the source decoder's Y, Cb
 * and Cr samples, the tiles under it do not, the conversion ran only there (the node's count),
 * and without `source` the same tiles are re-converted (not identical). Plus the load errors. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#ifdef YSG_HAVE_FFMPEG
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "video_fixture.h"

#define W 128
#define H 96
#define NF 4
#define TX (W / 16)
#define TY (H / 16)

/* every frame's Y, Cb, Cr planes (4:2:0, 8-bit), packed */
typedef struct planes {
  int frames;
  uint8_t *y[8], *u[8], *v[8];
} planes;

static void decode_planes(const char *path, planes *out) {
  AVFormatContext *fmt = NULL;
  cr_assert_geq(avformat_open_input(&fmt, path, NULL, NULL), 0, "cannot open %s", path);
  cr_assert_geq(avformat_find_stream_info(fmt, NULL), 0);
  int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  cr_assert_geq(si, 0);
  const AVCodec *c = avcodec_find_decoder(fmt->streams[si]->codecpar->codec_id);
  AVCodecContext *dec = avcodec_alloc_context3(c);
  avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
  cr_assert_geq(avcodec_open2(dec, c, NULL), 0);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  memset(out, 0, sizeof *out);
  int eof = 0;
  while (out->frames < 8) {
    int r = avcodec_receive_frame(dec, fr);
    if (r == AVERROR_EOF) break;
    if (r == 0) {
      cr_assert_eq(fr->format, AV_PIX_FMT_YUV420P, "%s decodes as %s", path,
                   av_get_pix_fmt_name(fr->format));
      cr_assert(fr->width == W && fr->height == H);
      int k = out->frames++;
      out->y[k] = malloc(W * H), out->u[k] = malloc(W * H / 4), out->v[k] = malloc(W * H / 4);
      for (int y = 0; y < H; y++) memcpy(out->y[k] + y * W, fr->data[0] + y * fr->linesize[0], W);
      for (int y = 0; y < H / 2; y++) {
        memcpy(out->u[k] + y * W / 2, fr->data[1] + y * fr->linesize[1], W / 2);
        memcpy(out->v[k] + y * W / 2, fr->data[2] + y * fr->linesize[2], W / 2);
      }
      continue;
    }
    if (eof) break;
    if (av_read_frame(fmt, pkt) < 0) {
      eof = 1;
      avcodec_send_packet(dec, NULL);
      continue;
    }
    if (pkt->stream_index == si) avcodec_send_packet(dec, pkt);
    av_packet_unref(pkt);
  }
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
}

static void free_planes(planes *p) {
  for (int k = 0; k < p->frames; k++) free(p->y[k]), free(p->u[k]), free(p->v[k]);
}

/* 1 when tile (tx, ty) of frame k holds the same samples in a and b (luma 16×16, chroma 8×8) */
static int tile_same(const planes *a, const planes *b, int k, int tx, int ty) {
  for (int y = ty * 16; y < ty * 16 + 16; y++)
    if (memcmp(a->y[k] + y * W + tx * 16, b->y[k] + y * W + tx * 16, 16)) return 0;
  for (int y = ty * 8; y < ty * 8 + 8; y++)
    if (memcmp(a->u[k] + y * W / 2 + tx * 8, b->u[k] + y * W / 2 + tx * 8, 8) ||
        memcmp(a->v[k] + y * W / 2 + tx * 8, b->v[k] + y * W / 2 + tx * 8, 8))
      return 0;
  return 1;
}

/* the picture: 20×20 opaque orange at (40, 20): pixels 40..59 × 20..39, tiles 2..3 × 1..2 */
static int under_picture(int tx, int ty) { return tx >= 2 && tx <= 3 && ty >= 1 && ty <= 2; }

static void write_picture(const char *path) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = 20, im.height = 20, im.format = PNG_FORMAT_RGBA;
  uint8_t px[20 * 20 * 4];
  for (int i = 0; i < 20 * 20; i++)
    px[i * 4] = 250, px[i * 4 + 1] = 140, px[i * 4 + 2] = 20, px[i * 4 + 3] = 255;
  cr_assert(png_image_write_to_file(&im, path, 0, px, 0, NULL), "%s", im.message);
}

static const char *make_source(const char *dir) {
  static char path[512];
  snprintf(path, sizeof path, "%s/src.mkv", dir);
  ysgt_video v;
  memset(&v, 0, sizeof v);
  v.codec = "libx264", v.width = W, v.height = H, v.frames = NF, v.fps = 25;
  v.matrix = AVCOL_SPC_BT709, v.tag_color = 1; /* small, so untagged would mean BT.601 */
  char err[512];
  cr_assert_eq(ysgt_video_write(path, &v, err, sizeof err), 0, "%s", err);
  char png[512];
  snprintf(png, sizeof png, "%s/pic.png", dir);
  write_picture(png);
  return path;
}

static const char *script(const char *extra, const char *out) {
  static char src[1024];
  snprintf(src, sizeof src,
           "local v = video_in{path='src.mkv', name='v'}\n"
           "local pic = image{path='pic.png', x=40, y=20, name='pic'}\n"
           "video_out{image=merge{layers={v, pic}}, path='%s', crf=0, preset='ultrafast', %s "
           "name='out'}\n",
           out, extra);
  return src;
}

static void run_file(const char *dir, const char *src, char *info, size_t cap) {
  ysg_context *ctx = ysgt_ctx_warn(2);
  ysg_pipeline *p = NULL;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  const char *file = ysgt_write(dir, "p.lua", src);
  cr_assert_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_range(p, 0, NF - 1, NULL, NULL), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_finish(p), YSG_OK, "%s", ysg_errmsg(ctx));
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) && !strcmp(ni.name, "out"))
      snprintf(info, cap, "%s", ni.info ? ni.info : "");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(video_pass, untouched_tiles_are_the_decoders_samples) {
  const char *dir = ysgt_tmpdir();
  char src[512], info[1024], pass_path[600], conv_path[600];
  snprintf(src, sizeof src, "%s", make_source(dir));
  run_file(dir, script("source=v,", "pass.mkv"), info, sizeof info);
  cr_expect(strstr(info, "; passthrough from 'v': 176 of 192 tiles copied (91.7%)") != NULL,
            "info: %s", info); /* 44 of 48 tiles in each of 4 frames */
  run_file(dir, script("", "conv.mkv"), info, sizeof info);
  planes ref, pass, conv;
  decode_planes(src, &ref);
  snprintf(pass_path, sizeof pass_path, "%s/pass.mkv", dir);
  snprintf(conv_path, sizeof conv_path, "%s/conv.mkv", dir);
  decode_planes(pass_path, &pass);
  decode_planes(conv_path, &conv);
  cr_assert_eq(ref.frames, NF);
  cr_assert_eq(pass.frames, NF);
  cr_assert_eq(conv.frames, NF);
  int conv_same = 0;
  for (int k = 0; k < NF; k++)
    for (int ty = 0; ty < TY; ty++)
      for (int tx = 0; tx < TX; tx++) {
        int same = tile_same(&ref, &pass, k, tx, ty);
        if (under_picture(tx, ty))
          cr_expect(!same, "frame %d tile (%d, %d) under the picture is the video's", k, tx, ty);
        else
          cr_expect(same, "frame %d tile (%d, %d) differs from the decoder's samples", k, tx, ty);
        if (!under_picture(tx, ty)) conv_same += tile_same(&ref, &conv, k, tx, ty);
      }
  /* re-converting through RGB does not give the decoder's samples back everywhere */
  cr_expect_lt(conv_same, NF * (TX * TY - 4), "the conversion alone kept every tile (%d)",
               conv_same);
  /* the picture itself went through the conversion: orange (250, 140, 20) has Y' = 16 + 219 *
   * (0.2126 * 250 + 0.7152 * 140 + 0.0722 * 20) / 255 = 148.9 (BT.709, limited range) */
  int yv = pass.y[0][30 * W + 50];
  cr_expect(yv >= 148 && yv <= 150, "Y' under the picture: %d", yv);
  free_planes(&ref), free_planes(&pass), free_planes(&conv);
}

Test(video_pass, load_errors) {
  const char *dir = ysgt_tmpdir();
  make_source(dir);
  ysg_context *ctx = ysgt_ctx_warn(1);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = dir;
  ysg_pipeline *p = NULL;
  const char *file = ysgt_write(dir, "p.lua", script("source=pic,", "x.mkv"));
  cr_expect_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_ERR_PIPELINE);
  char want[1024];
  snprintf(want, sizeof want,
           "%s:3: node 'out' (video_out): input 'source': node 'pic' is a image; passthrough "
           "takes a video_in",
           file);
  cr_expect_str_eq(ysg_errmsg(ctx), want);
  file = ysgt_write(dir, "p.lua", script("source=v, pix_fmt='yuv444p',", "x.mkv"));
  cr_expect_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_ERR_PIPELINE);
  snprintf(want, sizeof want,
           "%s:3: node 'out' (video_out): input 'source': the video of 'v' is yuv420p (4:2:0, "
           "8-bit, limited range, BT.709), but this video is encoded as 8-bit Y'CbCr (4:4:4, "
           "8-bit, limited range, BT.709): passing pictures through needs the same subsampling, "
           "bits, range and matrix (see pix_fmt and range)",
           file);
  cr_expect_str_eq(ysg_errmsg(ctx), want);
  file = ysgt_write(dir, "p.lua", script("source=v, range='full',", "x.mkv"));
  cr_expect_eq(ysg_pipeline_load_file(ctx, file, &lo, &p), YSG_ERR_PIPELINE);
  cr_expect(strstr(ysg_errmsg(ctx),
                   "but this video is encoded as 8-bit Y'CbCr (4:2:0, 8-bit, full "
                   "range, BT.709)") != NULL,
            "%s", ysg_errmsg(ctx));
  ysg_context_destroy(ctx);
}

#else
Test(video_pass, skipped) { cr_skip_test("built without FFmpeg (YSG_HAVE_FFMPEG)"); }
#endif
