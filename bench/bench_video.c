/* bench_video.c — video throughput at 1080p and 4K: a synthetic H.264 clip is generated at start
 * (libx264 ultrafast), then decoded and re-encoded through ysgraph pipelines: raw libavcodec
 * decode (the floor), video_in decode to FP16 linear, decode → overlay (boxes + lines + merge),
 * and decode → overlay → video_out (libx264 ultrafast and medium); NVDEC rows when a CUDA device
 * is usable (else "skipped: <reason>"). Rows report frames per second over the whole clip (load
 * excluded, finish included). Prints the machine, a table, and one JSON line (also to --json).
 * usage: bench_video [-n FRAMES] [--sizes 1080,2160] [--threads N] [--json PATH] */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "internal.h"
#include "ysgraph.h"

#ifdef YSG_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#define MAX_ROWS 32

typedef struct bench_row {
  int w, h;
  char name[96];
  double fps; /* < 0: skipped */
  char note[600];
} bench_row;

static bench_row rows[MAX_ROWS];
static int n_rows;

static bench_row *add_row(int w, int h, const char *name) {
  bench_row *r = &rows[n_rows++];
  memset(r, 0, sizeof *r);
  r->w = w, r->h = h, r->fps = -1;
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
}

/* ---- the synthetic clip ----------------------------------------------------------------------
 */
static int encode_all(AVFormatContext *oc, AVCodecContext *e, AVStream *st, AVFrame *f,
                      AVPacket *pkt) {
  int r = avcodec_send_frame(e, f);
  while (r >= 0) {
    r = avcodec_receive_packet(e, pkt);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
    if (r < 0) return r;
    av_packet_rescale_ts(pkt, e->time_base, st->time_base);
    pkt->stream_index = st->index;
    r = av_interleaved_write_frame(oc, pkt);
  }
  return r;
}

/* Moving colour ramps with a fine texture, so the decoder has real work; yuv420p, 30 fps. */
static int make_clip(const char *path, int w, int h, int frames, double *fps_out) {
  AVFormatContext *oc = NULL;
  const AVCodec *c = avcodec_find_encoder_by_name("libx264");
  if (!c || avformat_alloc_output_context2(&oc, NULL, NULL, path) < 0) return -1;
  AVCodecContext *e = avcodec_alloc_context3(c);
  AVStream *st = avformat_new_stream(oc, NULL);
  AVFrame *f = av_frame_alloc();
  AVPacket *pkt = av_packet_alloc();
  int r = e && st && f && pkt ? 0 : AVERROR(ENOMEM);
  if (r == 0) {
    e->width = w, e->height = h, e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){1, 30}, e->framerate = (AVRational){30, 1};
    e->colorspace = AVCOL_SPC_BT709, e->color_range = AVCOL_RANGE_MPEG;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(e->priv_data, "preset", "ultrafast", 0);
    av_opt_set(e->priv_data, "crf", "20", 0);
    r = avcodec_open2(e, c, NULL);
  }
  if (r >= 0) r = avcodec_parameters_from_context(st->codecpar, e);
  if (r >= 0) {
    st->time_base = e->time_base;
    f->format = e->pix_fmt, f->width = w, f->height = h;
    r = av_frame_get_buffer(f, 0);
  }
  if (r >= 0) r = avio_open(&oc->pb, path, AVIO_FLAG_WRITE);
  if (r >= 0) r = avformat_write_header(oc, NULL);
  double t0 = bench_now_ms();
  uint64_t seed = 7;
  for (int k = 0; r >= 0 && k < frames; k++) {
    if ((r = av_frame_make_writable(f)) < 0) break;
    for (int y = 0; y < h; y++) {
      uint8_t *row = f->data[0] + (size_t)y * f->linesize[0];
      for (int x = 0; x < w; x++)
        row[x] = (uint8_t)(16 + ((x + 4 * k) * 219 / w + (y * 100 / h)) % 200 +
                           (bench_mix64(seed + (uint64_t)(x ^ (y << 13))) & 15));
    }
    for (int p = 1; p < 3; p++)
      for (int y = 0; y < h / 2; y++)
        for (int x = 0; x < w / 2; x++)
          f->data[p][(size_t)y * f->linesize[p] + x] =
              (uint8_t)(128 + (p == 1 ? 60 : -60) * ((x + y + 3 * k) % 256 - 128) / 128);
    f->pts = k;
    r = encode_all(oc, e, st, f, pkt);
  }
  if (r >= 0) r = encode_all(oc, e, st, NULL, pkt);
  if (r >= 0) r = av_write_trailer(oc);
  *fps_out = frames * 1e3 / (bench_now_ms() - t0);
  if (oc && oc->pb) avio_closep(&oc->pb);
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&e);
  avformat_free_context(oc);
  return r < 0 ? r : 0;
}

/* libavcodec alone: demux + decode every frame, threads chosen by libavcodec */
static double raw_decode_fps(const char *path, int *frames) {
  AVFormatContext *ic = NULL;
  if (avformat_open_input(&ic, path, NULL, NULL) < 0) return -1;
  avformat_find_stream_info(ic, NULL);
  const AVCodec *c = NULL;
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0);
  AVCodecContext *d = si >= 0 ? avcodec_alloc_context3(c) : NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  double fps = -1;
  if (d && avcodec_parameters_to_context(d, ic->streams[si]->codecpar) >= 0 &&
      (d->thread_count = 0, avcodec_open2(d, c, NULL)) >= 0) {
    double t0 = bench_now_ms();
    int n = 0, eof = 0, r = 0;
    while (r != AVERROR_EOF) {
      if (!eof) {
        if (av_read_frame(ic, pkt) < 0) {
          eof = 1;
          avcodec_send_packet(d, NULL);
        } else {
          if (pkt->stream_index == si) avcodec_send_packet(d, pkt);
          av_packet_unref(pkt);
        }
      }
      while ((r = avcodec_receive_frame(d, fr)) >= 0) n++;
      if (r != AVERROR(EAGAIN) && r != AVERROR_EOF) break;
    }
    fps = n * 1e3 / (bench_now_ms() - t0);
    *frames = n;
  }
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&d);
  avformat_close_input(&ic);
  return fps;
}

/* ---- pipelines ---------------------------------------------------------------------------------
 */
enum { S_DECODE, S_OVERLAY, S_ENCODE };

/* Load and run the whole clip; fps over run + finish (0 on failure, message in note). */
static double run_pipeline(int threads, const char *dir, const char *clip, const char *decoder,
                           int stage, const char *preset, char *note, size_t cap) {
  char src[2048];
  int n = snprintf(src, sizeof src,
                   "local vid = video_in { name = 'vin', path = '%s', decoder = '%s' }\n", clip,
                   decoder);
  if (stage >= S_OVERLAY)
    n += snprintf(src + n, sizeof src - (size_t)n,
                  "local pts = scatter { count = 12, seed = 3, speed = 80, margin = 200 }\n"
                  "local g = graph { points = pts, mode = 'knn', k = 2 }\n"
                  "local lines = line { points = pts, edges = g.edges, width = 3, color = "
                  "'#22d3ee' }\n"
                  "local boxes = bbox { points = pts, w = 160, h = 120, stroke = 3, radius = 8 }\n"
                  "local comp = merge { name = 'comp', layers = { vid, lines, boxes } }\n");
  if (stage == S_ENCODE)
    snprintf(src + n, sizeof src - (size_t)n,
             "video_out { name = 'out', image = comp, path = 'out.mp4', encoder = 'software', "
             "preset = '%s' }\n",
             preset);
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx)) return 0;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  lo.output_dir = dir;
  const char *keep[] = {stage == S_DECODE ? "vin" : "comp"};
  lo.keep = keep;
  lo.n_keep = stage == S_ENCODE ? 0 : 1;
  ysg_pipeline *p = NULL;
  double fps = 0;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "bench.lua", &lo, &p);
  if (!s) {
    int frames = ysg_pipeline_canvas(p)->frames;
    double t0 = bench_now_ms();
    s = ysg_pipeline_run_range(p, 0, frames - 1, NULL, NULL);
    if (!s) s = ysg_pipeline_finish(p);
    if (!s) fps = frames * 1e3 / (bench_now_ms() - t0);
  }
  if (s) snprintf(note, cap, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return fps;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

static void print_json(FILE *f, const char *cpu, int threads, int frames) {
  fprintf(f, "{\"bench\":\"video\",\"machine\":");
  bench_json_str(f, cpu);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"frames\":%d,\"rows\":[", bench_cores(), threads,
          frames);
  for (int i = 0; i < n_rows; i++) {
    fprintf(f, "%s{\"width\":%d,\"height\":%d,\"case\":", i ? "," : "", rows[i].w, rows[i].h);
    bench_json_str(f, rows[i].name);
    if (rows[i].fps >= 0)
      fprintf(f, ",\"fps\":%.3f", rows[i].fps);
    else
      fprintf(f, ",\"fps\":null");
    if (rows[i].note[0]) {
      fprintf(f, ",\"note\":");
      bench_json_str(f, rows[i].note);
    }
    fputc('}', f);
  }
  fprintf(f, "]}\n");
}

int main(int argc, char **argv) {
  int frames = 60, threads = 0, sizes[4] = {1080, 2160}, n_sizes = 2;
  const char *json_path = NULL;
  for (int i = 1; i < argc; i++) {
    int has = i + 1 < argc;
    if (!strcmp(argv[i], "-n") && has)
      frames = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && has)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json") && has)
      json_path = argv[++i];
    else if (!strcmp(argv[i], "--sizes") && has) {
      n_sizes = 0;
      for (char *t = strtok(argv[++i], ","); t && n_sizes < 4; t = strtok(NULL, ","))
        sizes[n_sizes++] = atoi(t);
    } else {
      fprintf(stderr,
              "usage: bench_video [-n FRAMES] [--sizes 1080,2160] [--threads N] [--json PATH]\n");
      return 2;
    }
  }
  if (frames < 1) frames = 1;
  char cpu[256], dir[] = "/tmp/bench_video.XXXXXX", reason[512];
  bench_cpu_model(cpu, sizeof cpu);
  av_log_set_level(AV_LOG_ERROR); /* libx264's statistics would interleave with the table */
  if (!mkdtemp(dir)) {
    fprintf(stderr, "bench_video: cannot create a temporary directory: %s\n", strerror(errno));
    return 1;
  }
  int used = threads ? threads : bench_cores();
  int cuda = ysg__cuda_probe(reason, sizeof reason);
  printf("machine: %s, %d cores, %d threads; %d frames per clip (H.264 yuv420p, 30 fps)\n", cpu,
         bench_cores(), used, frames);
  printf("CUDA: %s\n\n", reason);
  printf("%-10s %-48s %10s\n", "size", "case", "fps");
  for (int k = 0; k < n_sizes; k++) {
    int h = sizes[k], w = h * 16 / 9;
    char clip[512], label[32];
    snprintf(clip, sizeof clip, "%s/clip%d.mp4", dir, h);
    snprintf(label, sizeof label, "%dx%d", w, h);
    const int first_row = n_rows;
    bench_row *r = add_row(w, h, "generate: libx264 ultrafast (bench input)");
    if (make_clip(clip, w, h, frames, &r->fps) < 0) {
      fprintf(stderr, "bench_video: cannot make the %s clip with libx264\n", label);
      nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
      return 1;
    }
    int nd = 0;
    add_row(w, h, "decode only: libavcodec (floor)")->fps = raw_decode_fps(clip, &nd);
    struct {
      const char *name, *decoder, *preset;
      int stage, gpu;
    } cases[] = {
        {"decode: video_in software -> FP16 linear", "software", NULL, S_DECODE, 0},
        {"decode -> overlay (12 boxes, lines, merge)", "software", NULL, S_OVERLAY, 0},
        {"decode -> overlay -> encode x264 ultrafast", "software", "ultrafast", S_ENCODE, 0},
        {"decode -> overlay -> encode x264 medium", "software", "medium", S_ENCODE, 0},
        {"decode: video_in NVDEC -> FP16 linear", "nvdec", NULL, S_DECODE, 1},
        {"NVDEC -> overlay -> encode x264 ultrafast", "nvdec", "ultrafast", S_ENCODE, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      r = add_row(w, h, cases[c].name);
      if (cases[c].gpu && !cuda) {
        snprintf(r->note, sizeof r->note, "skipped: %s", reason);
        continue;
      }
      double fps = run_pipeline(threads, dir, clip, cases[c].decoder, cases[c].stage,
                                cases[c].preset, r->note, sizeof r->note);
      if (fps > 0) r->fps = fps;
    }
    for (int i = first_row; i < n_rows; i++) {
      if (rows[i].fps >= 0)
        printf("%-10s %-48s %10.2f\n", label, rows[i].name, rows[i].fps);
      else
        printf("%-10s %-48s %10s  %s\n", label, rows[i].name, "-", rows[i].note);
    }
  }
  printf("\n");
  print_json(stdout, cpu, used, frames);
  if (json_path) {
    FILE *f = fopen(json_path, "w");
    if (f) {
      print_json(f, cpu, used, frames);
      fclose(f);
    } else {
      fprintf(stderr, "bench_video: cannot write '%s': %s\n", json_path, strerror(errno));
    }
  }
  nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  return 0;
}
#else
int main(void) {
  printf("bench_video: built without FFmpeg (YSG_WITH_FFMPEG=OFF or libav* not found)\n");
  return 0;
}
#endif
