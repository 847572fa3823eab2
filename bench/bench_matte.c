/* bench_matte.c — green-screen keying, refinement and compositing per frame at 1920×1080 and
 * 3840×2160, side by side in one run with FFmpeg's own filters on the same frames
 * (chromakey + despill + overlay through libavfilter, filter threads = ysgraph's threads).
 * ysgraph CPU rows take the frames from a kept host source (written once, so the rows time the
 * matte nodes alone); CUDA rows (when a device is usable) make the frames on the device each frame
 * (gradient, dot, merge) and report the matte stage as the pipeline minus those sources. Prints
 * the machine, the instruction set the CPU code was built for, a table and a JSON line.
 * Usage: bench_matte [--frames N] [--threads T] [--sizes 1080,2160] [--json PATH] [--only ROW] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/matte_fixture.h"
#include "bench_util.h"
#include "color.h"
#include "internal.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#ifdef YSG_HAVE_AVFILTER
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#endif

#define KEY_HEX "#3da94a"

/* CPU time of the whole process (all threads) in ms: what a frame costs in core time, which
 * other processes on shared cores inflate far less than the wall clock. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}
#define KEY_FF "0x3da94a"

/* ---- the frames: the test scene (green screen) and a background, as FP16 linear -----------------
 */

typedef struct frames {
  int w, h;
  uint16_t *fg, *bg; /* w × h × 4 halves */
} frames;

static void make_frames(frames *f, int w, int h) {
  f->w = w, f->h = h;
  f->fg = malloc((size_t)w * h * 8);
  f->bg = malloc((size_t)w * h * 8);
  if (!f->fg || !f->bg) exit(3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float p[4], b[4] = {0.05f + 0.6f * (float)x / (float)w, 0.1f,
                          0.3f + 0.4f * (float)y / (float)h, 1.0f};
      ysgt_gs_pixel(w, h, 0, 0.0f, 0.0f, 0, x, y, p);
      ysg_store_px(f->fg + ((size_t)y * w + x) * 4, p);
      ysg_store_px(f->bg + ((size_t)y * w + x) * 4, b);
    }
}

/* a host source that writes its frame on the first run only (its output is kept, so the arena
 * never reuses it): ysgraph rows then time the matte nodes alone */
enum { SRC_WHICH, SRC_N };
static const ysg_param_def src_params[SRC_N] = {
    {"which", YSG_PARAM_INT, "0", 0, 1, NULL, YSG_PARAM_STATIC, "0: fg, 1: bg"}};
static const ysg_port_def src_out[] = {{"image", YSG_IMAGE, 0, "the frame", NULL, 0}};
static const frames *g_frames;

static ysg_status src_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  if (f->index > 0) return YSG_OK;
  const uint16_t *px = ysg_node_int(n, SRC_WHICH) ? g_frames->bg : g_frames->fg;
  memcpy(v->px, px, (size_t)v->width * v->height * 8);
  memset(v->tiles, 1, (size_t)v->tiles_x * v->tiles_y);
  return YSG_OK;
}

static const ysg_node_type src_type = {.name = "bench_frame",
                                       .category = "source",
                                       .doc = "bench: a fixed frame",
                                       .outputs = src_out,
                                       .n_outputs = 1,
                                       .params = src_params,
                                       .n_params = SRC_N,
                                       .flags = YSG_NODE_HOST,
                                       .run = src_run};

/* ---- ysgraph rows -------------------------------------------------------------------------------
 */

typedef struct row {
  const char *name, *key, *refine, *comp; /* Lua fragments */
} row;

static const row rows[] = {
    {"chroma_key + despill", "", NULL, NULL},
    {"key + composite", "premultiply=false,", NULL, ""},
    {"key + refine + composite", "premultiply=false,",
     "threshold=0.5, softness=0.6, grow=-1, blur=1", ""},
    {"  … + guided filter r4", "premultiply=false,",
     "threshold=0.5, softness=0.6, grow=-1, blur=1, guided=4, image=fg", ""},
    {"  … + light wrap σ6", "premultiply=false,", "threshold=0.5, softness=0.6, grow=-1, blur=1",
     "light_wrap=0.4, wrap_sigma=6"},
};
#define N_ROWS (int)(sizeof rows / sizeof rows[0])
#define MAIN_ROW 2

/* The pipeline of a row; device: sources made on the device (sources_only: nothing else). */
static void pipeline_src(char *src, size_t cap, const frames *f, const row *r, int device,
                         int sources_only) {
  int n = snprintf(src, cap, "canvas{width=%d,height=%d,frames=100000}\n", f->w, f->h);
  if (device)
    n += snprintf(src + n, cap - (size_t)n,
                  "local scr = gradient{from='#2f9a40', to='#4cb855', angle=0}\n"
                  "local subj = dot{points=scatter{count=6, seed=2, speed=0}, radius=%d,\n"
                  "                 data_radius=false, color='#c08070'}\n"
                  "local fg = merge{layers={scr, subj}, name='fg'}\n"
                  "local bg = gradient{from='#203040', to='#a0b0c0', name='bg'}\n",
                  f->h / 8);
  else
    n += snprintf(src + n, cap - (size_t)n,
                  "local fg = bench_frame{which=0, name='fg'}\n"
                  "local bg = bench_frame{which=1, name='bg'}\n");
  if (sources_only) {
    snprintf(src + n, cap - (size_t)n, "merge{layers={bg, fg}, name='out'}\n");
    return;
  }
  n +=
      snprintf(src + n, cap - (size_t)n, "local k = chroma_key{image=fg, key='%s', %s name='%s'}\n",
               KEY_HEX, r->key, r->comp ? "k" : "out");
  if (!r->comp) return;
  if (r->refine)
    n += snprintf(src + n, cap - (size_t)n, "local m = matte{matte=k.matte, %s}\n", r->refine);
  snprintf(src + n, cap - (size_t)n, "composite{fg=k, bg=bg, %s %s%s name='out'}\n",
           r->refine ? "matte=m," : "matte=k.matte,", r->comp, r->comp[0] ? "," : "");
}

/* ms per frame (median over n frames after warm-up) of a row, and the mean CPU time per frame
 * in *core_ms; -1 when it cannot run. */
static double time_row(ysg_context *ctx, const frames *f, const row *r, ysg_backend be,
                       int sources_only, int n_frames, double *core_ms) {
  char src[4096];
  pipeline_src(src, sizeof src, f, r, be == YSG_BACKEND_CUDA, sources_only);
  const char *keep_cpu[] = {"fg", "bg", "out"}, *keep_dev[] = {"out"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = be;
  lo.keep = be == YSG_BACKEND_CUDA ? keep_dev : keep_cpu;
  lo.n_keep = be == YSG_BACKEND_CUDA ? 1 : 3;
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_string(ctx, src, "bench_matte.lua", &lo, &p) != YSG_OK) {
    fprintf(stderr, "bench_matte: %s\n", ysg_errmsg(ctx));
    return -1;
  }
  double *t = malloc(sizeof(double) * (size_t)n_frames), c0 = 0;
  int warm = 3;
  for (int i = 0; i < warm + n_frames; i++) {
    if (i == warm) c0 = cpu_ms();
    double t0 = bench_now_ms();
    if (ysg_pipeline_run_frame(p, i) != YSG_OK) {
      fprintf(stderr, "bench_matte: %s\n", ysg_errmsg(ctx));
      ysg_pipeline_destroy(p);
      free(t);
      return -1;
    }
    if (be == YSG_BACKEND_CUDA) ysg_pipeline_flush(p); /* the frame is done on the device */
    if (i >= warm) t[i - warm] = bench_now_ms() - t0;
  }
  *core_ms = (cpu_ms() - c0) / n_frames;
  double med = bench_median(t, n_frames);
  free(t);
  ysg_pipeline_destroy(p);
  return med;
}

/* ---- FFmpeg: chromakey + despill + overlay through libavfilter ----------------------------------
 */

#ifdef YSG_HAVE_AVFILTER
static AVFrame *yuv_frame(const uint16_t *px, int w, int h) {
  AVFrame *rgb = av_frame_alloc(), *yuv = av_frame_alloc();
  rgb->format = AV_PIX_FMT_RGB24, rgb->width = w, rgb->height = h;
  yuv->format = AV_PIX_FMT_YUV420P, yuv->width = w, yuv->height = h;
  if (av_frame_get_buffer(rgb, 0) < 0 || av_frame_get_buffer(yuv, 0) < 0) exit(3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float p[4];
      ysg_load_px(px + ((size_t)y * w + x) * 4, p);
      uint8_t *d = rgb->data[0] + (size_t)y * rgb->linesize[0] + 3 * x;
      for (int c = 0; c < 3; c++) d[c] = (uint8_t)lrintf(ysg_linear_to_srgb(p[c]) * 255.0f);
    }
  struct SwsContext *sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P,
                                          SWS_BICUBIC, NULL, NULL, NULL);
  sws_scale(sws, (const uint8_t *const *)rgb->data, rgb->linesize, 0, h, yuv->data, yuv->linesize);
  sws_freeContext(sws);
  av_frame_free(&rgb);
  return yuv;
}

static int ff_src(AVFilterGraph *g, AVFilterContext **ctx, const char *name, int w, int h) {
  char args[256];
  snprintf(args, sizeof args, "video_size=%dx%d:pix_fmt=%d:time_base=1/25:pixel_aspect=1/1", w, h,
           AV_PIX_FMT_YUV420P);
  return avfilter_graph_create_filter(ctx, avfilter_get_by_name("buffer"), name, args, NULL, g);
}

/* ms per frame of FFmpeg's chromakey+despill+overlay on (fg, bg); -1 when it cannot run. */
static double time_ffmpeg(const frames *f, int threads, int n_frames, double *core_ms) {
  AVFilterGraph *g = avfilter_graph_alloc();
  g->nb_threads = threads;
  AVFilterContext *sfg = NULL, *sbg = NULL, *sink = NULL;
  int r = ff_src(g, &sfg, "fg", f->w, f->h);
  if (r >= 0) r = ff_src(g, &sbg, "bg", f->w, f->h);
  if (r >= 0)
    r = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL,
                                     g);
  AVFilterInOut *outs = avfilter_inout_alloc(), *outs2 = avfilter_inout_alloc(),
                *ins = avfilter_inout_alloc();
  outs->name = av_strdup("fg"), outs->filter_ctx = sfg, outs->pad_idx = 0, outs->next = outs2;
  outs2->name = av_strdup("bg"), outs2->filter_ctx = sbg, outs2->pad_idx = 0, outs2->next = NULL;
  ins->name = av_strdup("out"), ins->filter_ctx = sink, ins->pad_idx = 0, ins->next = NULL;
  const char *desc = "[fg]chromakey=color=" KEY_FF
                     ":similarity=0.1:blend=0.1,despill=type=green[k];[bg][k]overlay[out]";
  if (r >= 0) r = avfilter_graph_parse_ptr(g, desc, &ins, &outs, NULL);
  if (r >= 0) r = avfilter_graph_config(g, NULL);
  avfilter_inout_free(&ins);
  avfilter_inout_free(&outs);
  if (r < 0) {
    char e[256];
    av_strerror(r, e, sizeof e);
    fprintf(stderr, "bench_matte: FFmpeg filter graph: %s\n", e);
    avfilter_graph_free(&g);
    return -1;
  }
  AVFrame *fy = yuv_frame(f->fg, f->w, f->h), *by = yuv_frame(f->bg, f->w, f->h);
  AVFrame *out = av_frame_alloc();
  double *t = malloc(sizeof(double) * (size_t)n_frames), c0 = 0;
  int warm = 2;
  for (int i = 0; i < warm + n_frames; i++) {
    if (i == warm) c0 = cpu_ms();
    fy->pts = by->pts = i;
    double t0 = bench_now_ms();
    if (av_buffersrc_add_frame_flags(sfg, fy, AV_BUFFERSRC_FLAG_KEEP_REF) < 0 ||
        av_buffersrc_add_frame_flags(sbg, by, AV_BUFFERSRC_FLAG_KEEP_REF) < 0) {
      fprintf(stderr, "bench_matte: FFmpeg refused a frame\n");
      exit(3);
    }
    while (av_buffersink_get_frame(sink, out) >= 0) av_frame_unref(out);
    if (i >= warm) t[i - warm] = bench_now_ms() - t0;
  }
  *core_ms = (cpu_ms() - c0) / n_frames;
  double med = bench_median(t, n_frames);
  free(t);
  av_frame_free(&out);
  av_frame_free(&fy);
  av_frame_free(&by);
  avfilter_graph_free(&g);
  return med;
}
#endif

/* ---- main ------------------------------------------------------------------------------------ */

static const char *isa(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#if defined(__AVX512F__)
  return "AVX-512 (built with -march=native)";
#elif defined(__AVX2__)
  return "AVX2";
#else
  return "SSE2";
#endif
#else
  return "generic";
#endif
}

int main(int argc, char **argv) {
  int n_frames = 10, threads = 2;
  const char *json = NULL, *sizes = "1080,2160", *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--frames") && i + 1 < argc)
      n_frames = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
      sizes = argv[++i];
    else if (!strcmp(argv[i], "--json") && i + 1 < argc)
      json = argv[++i];
    else if (!strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf(stderr,
              "usage: bench_matte [--frames N] [--threads T] [--sizes 1080,2160] [--json PATH]\n"
              "                   [--only ROW] (rows whose name contains ROW; no FFmpeg)\n");
      return 2;
    }
  }
  if (n_frames < 1 || threads < 1) return 2;
  char cpu[256], why[512] = "";
  bench_cpu_model(cpu, sizeof cpu);
  int have_cuda = ysg__cuda_probe(why, sizeof why);
  char load[128] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load, sizeof load, lf)) snprintf(load, sizeof load, "?");
    load[strcspn(load, "\n")] = 0;
    fclose(lf);
  }
  printf("bench_matte: %s, %d cores, CPU code %s; %d threads; median of %d frames (4K: half)\n",
         cpu, bench_cores(), isa(), threads, n_frames);
  printf("load average at start: %s (other processes share these cores)\n", load);
  printf("CUDA: %s\n", have_cuda ? "device found" : why);
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_matte";
  co.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx) != YSG_OK || ysg_register_node_type(ctx, &src_type)) return 3;
  char *jbuf = NULL;
  size_t jlen = 0;
  FILE *jf = open_memstream(&jbuf, &jlen); /* the JSON line, printed after the table */
  if (!jf) return 3;
  fprintf(jf, "{\"bench\":\"matte\",\"cpu\":");
  bench_json_str(jf, cpu);
  fprintf(jf, ",\"threads\":%d,\"sizes\":[", threads);
  int first = 1;
  for (const char *s = sizes; *s;) {
    int lines = atoi(s);
    s = strchr(s, ',') ? strchr(s, ',') + 1 : s + strlen(s);
    if (lines != 1080 && lines != 2160) continue;
    frames f;
    make_frames(&f, lines == 1080 ? 1920 : 3840, lines);
    g_frames = &f;
    int nf = lines == 2160 ? (n_frames + 1) / 2 : n_frames;
    printf("\n%d×%d                         ms/frame     fps   vs FFmpeg   core-ms  vs FFmpeg\n",
           f.w, f.h);
    double ff = -1, ffc = -1, core = 0;
#ifdef YSG_HAVE_AVFILTER
    if (!only) ff = time_ffmpeg(&f, threads, nf, &ffc);
    printf("FFmpeg chromakey+despill+overlay %8.2f %7.1f       1.00× %9.1f      1.00×\n", ff,
           1000.0 / ff, ffc);
#else
    printf("FFmpeg: skipped (built without libavfilter)\n");
#endif
    fprintf(jf,
            "%s{\"width\":%d,\"height\":%d,\"ffmpeg_ms\":%.3f,\"ffmpeg_core_ms\":%.3f,\"rows\":[",
            first ? "" : ",", f.w, f.h, ff, ffc);
    first = 0;
    for (int r = 0; r < N_ROWS; r++) {
      if (only && !strstr(rows[r].name, only)) continue;
      double ms = time_row(ctx, &f, &rows[r], YSG_BACKEND_CPU, 0, nf, &core);
      printf("CPU  %-27s %8.2f %7.1f %10.2f× %9.1f %9.2f×\n", rows[r].name, ms, 1000.0 / ms,
             ff > 0 ? ff / ms : 0.0, core, ffc > 0 ? ffc / core : 0.0);
      fprintf(jf, "%s{\"row\":", r ? "," : "");
      bench_json_str(jf, rows[r].name);
      fprintf(jf, ",\"backend\":\"cpu\",\"ms\":%.3f,\"core_ms\":%.3f}", ms, core);
    }
    if (have_cuda) {
      double base = time_row(ctx, &f, &rows[0], YSG_BACKEND_CUDA, 1, nf * 4, &core);
      printf("CUDA sources (gradients, dot, merge) %5.3f\n", base);
      for (int r = 0; r < N_ROWS; r++) {
        double ms = time_row(ctx, &f, &rows[r], YSG_BACKEND_CUDA, 0, nf * 4, &core);
        printf("CUDA %-27s %8.3f (stage %.3f ms) %9.1f×\n", rows[r].name, ms, ms - base,
               ff > 0 ? ff / ms : 0.0);
        fprintf(jf, ",{\"row\":");
        bench_json_str(jf, rows[r].name);
        fprintf(jf, ",\"backend\":\"cuda\",\"ms\":%.4f,\"stage_ms\":%.4f}", ms, ms - base);
      }
    } else {
      printf("CUDA rows: skipped: %s\n", why);
    }
    fprintf(jf, "]}");
    free(f.fg);
    free(f.bg);
  }
  fprintf(jf, "]}\n");
  fclose(jf);
  FILE *out = json ? fopen(json, "w") : stdout;
  if (!out) return 3;
  if (!json) printf("\n");
  fputs(jbuf, out);
  if (json) fclose(out);
  free(jbuf);
  ysg_context_destroy(ctx);
  return 0;
}
