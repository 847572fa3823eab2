/* bench_io.c — frame-writing throughput at 1080p and 4K, side by side in one run, on the seed
 * frame (bench/seed_frame.lua) rendered once per size: FP16 -> 8-bit sRGB conversion; PNG by
 * libpng + zlib level 2 (the previous path) against the png sink's encoder (fast deflate on 1 and
 * N threads, stored, libdeflate levels); EXR with each compression; raw y4m / rgba frames to
 * /dev/null; and end to end, the seed pipeline's frame rate with no sink and with the png sink
 * (levels 2 and 6). Rows give ms per frame (median), fps, MB/s of input pixels, file size
 * and its ratio to zlib level 2. Prints the machine, its instruction set and load, a table, and
 * one JSON line (also to --json PATH).
 * usage: bench_io [--sizes 1080,2160] [-n REPS] [--frames N] [--threads N] [--json PATH] */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "exr_io.h"
#include "frame_convert.h"
#include "png_fast.h"
#include "png_io.h"
#include "ysgraph.h"

#define SEED_FILE YSG_SOURCE_DIR "/bench/seed_frame.lua"
#define MAX_ROWS 64

typedef struct row {
  int w, h;
  char group[16], name[64];
  double ms;      /* median per frame; < 0: skipped (note says why) */
  double cpu_ms;  /* CPU time of all threads per frame: the work, whatever else loads the machine */
  double mbytes;  /* input megabytes per frame (for MB/s) */
  long long size; /* file bytes per frame, 0: none */
  char note[600];
} row;

static row rows[MAX_ROWS];
static int n_rows;

typedef struct opts {
  int sizes[4], n_sizes, reps, frames, threads;
  const char *json;
} opts;

static row *add(int w, int h, const char *group, const char *name, double mbytes) {
  row *r = &rows[n_rows++];
  memset(r, 0, sizeof *r);
  r->w = w, r->h = h, r->ms = -1, r->mbytes = mbytes;
  snprintf(r->group, sizeof r->group, "%s", group);
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
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

static long long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

/* ---- the frame: the seed frame's FP16 pixels and occupancy ------------------------------------
 */
typedef struct frame {
  ysg_value v;
  uint16_t *px;
  uint8_t *tiles;
} frame;

static ysg_pipeline *load_seed(ysg_context *ctx, int w, int h, const char *outdir,
                               const ysg_define *extra, int n_extra, int keep) {
  char ws[16], hs[16];
  snprintf(ws, sizeof ws, "%d", w);
  snprintf(hs, sizeof hs, "%d", h);
  ysg_define defs[8] = {{"width", ws}, {"height", hs}};
  int n = 2;
  for (int i = 0; i < n_extra && n < 8; i++) defs[n++] = extra[i];
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.defines = defs;
  lo.n_defines = n;
  lo.output_dir = outdir;
  const char *k[] = {"frame"};
  lo.keep = keep ? k : NULL;
  lo.n_keep = keep ? 1 : 0;
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_file(ctx, SEED_FILE, &lo, &p)) {
    fprintf(stderr, "bench_io: %s\n", ysg_errmsg(ctx));
    return NULL;
  }
  return p;
}

static int render_frame(ysg_context *ctx, int w, int h, frame *fr) {
  ysg_pipeline *p = load_seed(ctx, w, h, ".", NULL, 0, 1);
  const ysg_value *v;
  if (!p || ysg_pipeline_run_frame(p, 0) || ysg_pipeline_get_value(p, "frame", &v)) {
    if (p) fprintf(stderr, "bench_io: %s\n", ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    return -1;
  }
  fr->v = *v;
  size_t nt = (size_t)v->tiles_x * (size_t)v->tiles_y;
  fr->px = malloc((size_t)w * h * 8);
  fr->tiles = v->tiles ? malloc(nt) : NULL;
  memcpy(fr->px, v->px, (size_t)w * h * 8);
  if (v->tiles) memcpy(fr->tiles, v->tiles, nt);
  fr->v.px = fr->px;
  fr->v.tiles = fr->tiles;
  ysg_pipeline_destroy(p);
  return 0;
}

/* ---- conversions, threaded like the sinks' (OpenMP rows) ---------------------------------------
 */
static void to_srgb8(const ysg_srgb_conv *c, const ysg_value *v, uint8_t *dst, int threads) {
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
#endif
  for (int y = 0; y < v->height; y++)
    ysg__srgb_convert_rows(c, v, dst, (size_t)v->width * 4, y, y + 1);
  (void)threads;
}

static void to_yuv(const ysg_yuv_conv *c, const ysg_value *v, const ysg_yuv_planes *pl,
                   int threads) {
  int rows_c = v->height >> c->lay.sy;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
#endif
  for (int y = 0; y < rows_c; y++) ysg__yuv_convert_rows(c, v, pl, NULL, y, y + 1);
  (void)threads;
}

/* ---- rows ---------------------------------------------------------------------------------- */
typedef struct ctx_io {
  const opts *o;
  const frame *fr;
  const char *dir;
  uint8_t *rgba8;
  long long zlib2_size;
} ctx_io;

static double cpu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

#define TIME_REPS(r, reps, body)             \
  do {                                       \
    double t_[64], c0_ = cpu_now_ms();       \
    int n_ = (reps) < 64 ? (reps) : 64;      \
    for (int i_ = 0; i_ < n_; i_++) {        \
      double t0_ = bench_now_ms();           \
      body;                                  \
      t_[i_] = bench_now_ms() - t0_;         \
    }                                        \
    (r)->cpu_ms = (cpu_now_ms() - c0_) / n_; \
    (r)->ms = bench_median(t_, n_);          \
  } while (0)

static void png_rows(ctx_io *c) {
  const int w = c->fr->v.width, h = c->fr->v.height, T = c->o->threads;
  const double mb = (double)w * h * 4 / 1e6;
  char path[600], err[512], name[64];
  snprintf(path, sizeof path, "%s/f.png", c->dir);
  row *r = add(w, h, "png", "libpng, zlib level 2 (previous path)", mb);
  ysg_status s = YSG_OK;
  TIME_REPS(r, c->o->reps, s = ysg__png_write(path, c->rgba8, w, h, 0, 8, 2, err, sizeof err));
  if (s) snprintf(r->note, sizeof r->note, "%s", err), r->ms = -1;
  c->zlib2_size = r->size = file_size(path);
  const struct { int threads, level; } cases[] = {{1, 2}, {T, 2}, {T, 0}, {T, 3}, {T, 6}, {T, 9}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    int th = cases[k].threads, lv = cases[k].level;
    snprintf(name, sizeof name, "level %d: %s, %d thread%s", lv, ysg__png_level_name(lv), th,
             th > 1 ? "s" : "");
    r = add(w, h, "png", name, mb);
    ysg_png_encoder *e = NULL;
    if (ysg__png_encoder_create(&heap, th, &e) ||
        ysg__png_encoder_reserve(e, w, h, 8, lv)) { /* buffers before the clock */
      snprintf(r->note, sizeof r->note, "out of memory");
      ysg__png_encoder_destroy(e);
      continue;
    }
    TIME_REPS(r, c->o->reps,
              s = ysg__png_encode(e, path, c->rgba8, w, h, 0, 8, lv, err, sizeof err));
    if (s) snprintf(r->note, sizeof r->note, "%s", err), r->ms = -1;
    r->size = file_size(path);
    ysg__png_encoder_destroy(e);
  }
}

static void exr_rows(ctx_io *c) {
  const int w = c->fr->v.width, h = c->fr->v.height;
  const double mb = (double)w * h * 8 / 1e6;
#ifdef YSG_HAVE_OPENEXR
  static const char *const names[] = {"none",  "rle", "zips", "zip",  "piz",
                                      "pxr24", "b44", "b44a", "dwaa", "dwab"};
  const int order[] = {0, 3, 4, 8, 2, 1, 5, 6};
  int pool = ysg__exr_threads(c->o->threads);
  char path[600], err[512], name[64];
  snprintf(path, sizeof path, "%s/f.exr", c->dir);
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    snprintf(name, sizeof name, "half RGBA, %s, pool of %d", names[order[k]], pool);
    row *r = add(w, h, "exr", name, mb);
    ysg_status s = YSG_OK;
    TIME_REPS(r, c->o->reps,
              s = ysg__exr_write(path, c->fr->px, w, h, 0, order[k], 45.0f, err, sizeof err));
    if (s) snprintf(r->note, sizeof r->note, "%s", err), r->ms = -1;
    r->size = file_size(path);
  }
#else
  row *r = add(w, h, "exr", "exr", mb);
  snprintf(r->note, sizeof r->note, "skipped: built without OpenEXR");
#endif
}

static void write_devnull(int fd, const uint8_t *b, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k <= 0) return;
    b += k, n -= (size_t)k;
  }
}

static void pipe_rows(ctx_io *c, float *lut, uint8_t *lut8) {
  const int w = c->fr->v.width, h = c->fr->v.height, T = c->o->threads;
  int fd = open("/dev/null", O_WRONLY);
  uint8_t *buf = malloc((size_t)w * h * 4);
  for (int sub = 1; sub >= 0; sub--) {
    ysg_yuv_conv yc;
    yc.lay = (ysg_yuv_layout){sub, sub, 8, 0};
    ysg_yuv_params_init(&yc.yuv, YSG_YUV_BT709, 0, 8);
    yc.lut = lut;
    size_t luma = (size_t)w * h, chroma = sub ? luma / 4 : luma;
    ysg_yuv_planes pl = {{buf, buf + luma, buf + luma + chroma}, {w, w >> sub, w >> sub}};
    row *r = add(w, h, "pipe", sub ? "y4m 4:2:0 to /dev/null" : "y4m 4:4:4 to /dev/null",
                 (double)w * h * 8 / 1e6);
    TIME_REPS(r, c->o->reps, {
      to_yuv(&yc, &c->fr->v, &pl, T);
      write_devnull(fd, buf, luma + 2 * chroma);
    });
    snprintf(r->note, sizeof r->note, "%.1f MB per frame out", (double)(luma + 2 * chroma) / 1e6);
  }
  ysg_srgb_conv sc;
  ysg__srgb_conv_init(&sc, 8, lut8);
  row *r = add(w, h, "pipe", "rgba to /dev/null", (double)w * h * 8 / 1e6);
  TIME_REPS(r, c->o->reps, {
    to_srgb8(&sc, &c->fr->v, buf, T);
    write_devnull(fd, buf, (size_t)w * h * 4);
  });
  free(buf);
  if (fd >= 0) close(fd);
}

/* the seed pipeline for o->frames frames after one warm-up, with the sink the defines choose */
static void e2e_row(ysg_context *ctx, const opts *o, int w, int h, const char *dir,
                    const char *name, const ysg_define *defs, int n_defs) {
  row *r = add(w, h, "end to end", name, (double)w * h * 8 / 1e6);
  ysg_pipeline *p = load_seed(ctx, w, h, dir, defs, n_defs, 0);
  if (!p) {
    snprintf(r->note, sizeof r->note, "%s", ysg_errmsg(ctx));
    return;
  }
  ysg_status s = ysg_pipeline_run_frame(p, 0);
  if (!s) s = ysg_pipeline_flush(p);
  double t0 = bench_now_ms(), c0 = cpu_now_ms();
  for (int f = 1; f <= o->frames && !s; f++) s = ysg_pipeline_run_frame(p, f);
  if (!s) s = ysg_pipeline_flush(p);
  if (s) {
    snprintf(r->note, sizeof r->note, "%s", ysg_errmsg(ctx));
  } else {
    r->ms = (bench_now_ms() - t0) / o->frames;
    r->cpu_ms = (cpu_now_ms() - c0) / o->frames;
    snprintf(r->note, sizeof r->note, "wall time over %d frames", o->frames);
  }
  ysg_pipeline_destroy(p);
}

static void e2e_rows(ysg_context *ctx, const opts *o, int w, int h, const char *dir) {
  const ysg_define none[] = {{"png", "false"}};
  const ysg_define png2[] = {{"png", "true"}, {"out.compression", "2"}};
  const ysg_define png6[] = {{"png", "true"}, {"out.compression", "6"}};
  e2e_row(ctx, o, w, h, dir, "render only (no sink)", none, 1);
  e2e_row(ctx, o, w, h, dir, "png sink, level 2 (fast deflate)", png2, 2);
  e2e_row(ctx, o, w, h, dir, "png sink, level 6", png6, 2);
}

/* ---- output ---------------------------------------------------------------------------------- */
static void print_table(const char *load0, const char *load1) {
  printf("\n%-10s %-10s %-40s %9s %8s %8s %9s %11s %7s  %s\n", "size", "group", "row", "ms/frame",
         "cpu ms", "fps", "MB/s", "bytes", "ratio", "note");
  for (int i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    long long z2 = 0;
    for (int k = 0; k < n_rows; k++)
      if (rows[k].w == r->w && !strcmp(rows[k].group, "png") && rows[k].size && !z2)
        z2 = rows[k].size;
    char size[24];
    snprintf(size, sizeof size, "%dx%d", r->w, r->h);
    if (r->ms < 0) {
      printf("%-10s %-10s %-40s %9s %8s %8s %9s %11s %7s  %s\n", size, r->group, r->name, "-", "-",
             "-", "-", "-", "-", r->note);
      continue;
    }
    char bytes[24] = "-", ratio[16] = "-";
    if (r->size) snprintf(bytes, sizeof bytes, "%lld", r->size);
    if (r->size && !strcmp(r->group, "png") && z2)
      snprintf(ratio, sizeof ratio, "%.3f", (double)r->size / z2);
    printf("%-10s %-10s %-40s %9.2f %8.2f %8.2f %9.0f %11s %7s  %s\n", size, r->group, r->name,
           r->ms, r->cpu_ms, 1e3 / r->ms, r->mbytes / (r->ms / 1e3), bytes, ratio, r->note);
  }
  printf(
      "\nms/frame: median wall time; cpu ms: CPU time of all threads per frame (the work, "
      "whatever else loads the machine). ratio: PNG bytes / libpng zlib level 2's. MB/s: input "
      "pixels (png: 8-bit RGBA; exr, pipe, end to end: FP16) per second of wall time.\nload "
      "average %s at start, %s at end (the machine is shared).\n",
      load0, load1);
}

static void print_json(const opts *o, const char *cpu, const char *isa, const char *load0,
                       const char *load1, FILE *json) {
  fprintf(json, "{\"bench\":\"bench_io\",\"cpu\":");
  bench_json_str(json, cpu);
  fprintf(json, ",\"isa\":");
  bench_json_str(json, isa);
  fprintf(json,
          ",\"cores\":%d,\"threads\":%d,\"reps\":%d,\"frames\":%d,\"load_start\":", bench_cores(),
          o->threads, o->reps, o->frames);
  bench_json_str(json, load0);
  fprintf(json, ",\"load_end\":");
  bench_json_str(json, load1);
  fprintf(json, ",\"rows\":[");
  for (int i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    fprintf(json, "%s{\"width\":%d,\"height\":%d,\"group\":", i ? "," : "", r->w, r->h);
    bench_json_str(json, r->group);
    fprintf(json, ",\"name\":");
    bench_json_str(json, r->name);
    if (r->ms >= 0)
      fprintf(json, ",\"ms\":%.3f,\"cpu_ms\":%.3f,\"fps\":%.3f,\"mb_per_s\":%.1f,\"bytes\":%lld",
              r->ms, r->cpu_ms, 1e3 / r->ms, r->mbytes / (r->ms / 1e3), r->size);
    fprintf(json, ",\"note\":");
    bench_json_str(json, r->note);
    fputc('}', json);
  }
  fprintf(json, "]}\n");
}

static int parse(int argc, char **argv, opts *o) {
  o->sizes[0] = 1080, o->sizes[1] = 2160, o->n_sizes = 2;
  o->reps = 5, o->frames = 10, o->threads = bench_cores() < 2 ? 1 : bench_cores();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--sizes") && v) {
      o->n_sizes = 0;
      for (char *s = argv[++i], *t; o->n_sizes < 4 && (t = strtok(s, ",")); s = NULL)
        o->sizes[o->n_sizes++] = atoi(t);
    } else if (!strcmp(a, "-n") && v) {
      o->reps = atoi(argv[++i]);
    } else if (!strcmp(a, "--frames") && v) {
      o->frames = atoi(argv[++i]);
    } else if (!strcmp(a, "--threads") && v) {
      o->threads = atoi(argv[++i]);
    } else if (!strcmp(a, "--json") && v) {
      o->json = argv[++i];
    } else {
      fprintf(stderr,
              "usage: bench_io [--sizes 1080,2160] [-n REPS] [--frames N] [--threads N] "
              "[--json PATH]\n");
      return -1;
    }
  }
  if (o->reps < 1 || o->frames < 1 || o->threads < 1) return -1;
  return 0;
}

int main(int argc, char **argv) {
  opts o;
  memset(&o, 0, sizeof o);
  if (parse(argc, argv, &o)) return 2;
  char cpu[256], isa[128], load0[64], load1[64];
  bench_cpu_model(cpu, sizeof cpu);
  bench_isa(isa, sizeof isa);
  bench_loadavg(load0, sizeof load0);
  printf("bench_io: %s, %d cores, %d threads; %s; %s\n", cpu, bench_cores(), o.threads, isa,
         ysg_features());
  char dir[] = "/tmp/bench_io.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = o.threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_io";
  co.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx)) return 1;
  float *lut = malloc(65536 * sizeof(float));
  uint8_t *lut8 = malloc(65536);
  ysg__yuv_lut_init(lut);
  for (int k = 0; k < o.n_sizes; k++) {
    int h = o.sizes[k], w = h * 16 / 9;
    frame fr;
    if (render_frame(ctx, w, h, &fr)) continue;
    fprintf(stderr, "bench_io: %dx%d ...\n", w, h);
    ctx_io c = {&o, &fr, dir, malloc((size_t)w * h * 4), 0};
    ysg_srgb_conv sc;
    ysg__srgb_conv_init(&sc, 8, lut8);
    row *r =
        add(w, h, "convert", "FP16 -> 8-bit sRGB straight (png's input)", (double)w * h * 8 / 1e6);
    TIME_REPS(r, o.reps, to_srgb8(&sc, &fr.v, c.rgba8, o.threads));
    png_rows(&c);
    exr_rows(&c);
    pipe_rows(&c, lut, lut8);
    e2e_rows(ctx, &o, w, h, dir);
    free(c.rgba8), free(fr.px), free(fr.tiles);
  }
  bench_loadavg(load1, sizeof load1);
  print_table(load0, load1);
  print_json(&o, cpu, isa, load0, load1, stdout);
  FILE *json = o.json ? fopen(o.json, "w") : NULL;
  if (json) {
    print_json(&o, cpu, isa, load0, load1, json);
    fclose(json);
  } else if (o.json) {
    fprintf(stderr, "bench_io: cannot write '%s'\n", o.json);
  }
  nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  free(lut), free(lut8);
  ysg_context_destroy(ctx);
  return 0;
}
