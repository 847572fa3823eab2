/* bench_fx.c — the effect nodes at 3840×2160 on the CPU (2 threads unless --threads N): blur with
 * sigma 2, 8, 32 over a full opaque image and over a sparse lines layer (scatter → graph knn →
 * line), glow over the lines layer, beside the 4K FP16 clear (memset) measured in the same run as
 * the bandwidth reference. Each scene times only the effect node (its run() time, median over
 * frames after a warm-up). Scenes are a table: add a row to add one. Prints the machine, a
 * table and one JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "ysgraph.h"

#define W 3840
#define H 2160
#define FRAMES 7

/* the layers the effects run on */
static const char *const OPAQUE = "local src = fill{color='#3366cc', name='src'}\n";
static const char *const LINES =
    "local pts = scatter{count=1000, seed=3, name='pts'}\n"
    "local g = graph{points=pts, mode='knn', k=5, name='g'}\n"
    "local src = line{points=g.points, edges=g.edges, width=2, color='#22d3ee', name='src'}\n";

typedef struct scene {
  const char *name;
  const char *layer;  /* OPAQUE or LINES */
  const char *effect; /* the timed node, named 'fx', reading `src` */
} scene;

static const scene scenes[] = {
    {"blur s2 opaque", OPAQUE, "blur{image=src, sigma=2, name='fx'}"},
    {"blur s8 opaque", OPAQUE, "blur{image=src, sigma=8, name='fx'}"},
    {"blur s32 opaque", OPAQUE, "blur{image=src, sigma=32, name='fx'}"},
    {"blur s2 lines", LINES, "blur{image=src, sigma=2, name='fx'}"},
    {"blur s8 lines", LINES, "blur{image=src, sigma=8, name='fx'}"},
    {"blur s32 lines", LINES, "blur{image=src, sigma=32, name='fx'}"},
    {"glow s8 lines", LINES, "glow{image=src, sigma=8, intensity=1.5, name='fx'}"},
    {"glow s32 lines", LINES, "glow{image=src, sigma=32, intensity=1.5, name='fx'}"},
};
#define N_SCENES ((int)(sizeof scenes / sizeof scenes[0]))

/* median run() time of node 'fx' over FRAMES frames after one warm-up; -1 on failure */
static double time_scene(ysg_context *ctx, const scene *s, double *occupied) {
  char src[2048];
  snprintf(src, sizeof src, "canvas{width=%d,height=%d,frames=%d}\n%s%s\n", W, H, FRAMES + 1,
           s->layer, s->effect);
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_string(ctx, src, "bench_fx.lua", NULL, &p) != YSG_OK) {
    fprintf(stderr, "bench_fx: %s: %s\n", s->name, ysg_errmsg(ctx));
    return -1;
  }
  int fx = -1;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (ysg_pipeline_node_info(p, i, &ni) == YSG_OK && strcmp(ni.name, "fx") == 0) fx = i;
  }
  double dt[FRAMES], prev = 0;
  for (int f = 0; f <= FRAMES; f++) {
    if (ysg_pipeline_run_frame(p, f) != YSG_OK) {
      fprintf(stderr, "bench_fx: %s: %s\n", s->name, ysg_errmsg(ctx));
      ysg_pipeline_destroy(p);
      return -1;
    }
    ysg_node_info ni;
    ysg_pipeline_node_info(p, fx, &ni);
    if (f > 0) dt[f - 1] = ni.total_ms - prev;
    prev = ni.total_ms;
  }
  const ysg_value *v = NULL;
  *occupied = 0;
  if (ysg_pipeline_get_value(p, "src", &v) == YSG_OK && v->tiles) {
    int on = 0;
    for (int t = 0; t < v->tiles_x * v->tiles_y; t++) on += v->tiles[t] != 0;
    *occupied = (double)on / (v->tiles_x * v->tiles_y);
  }
  ysg_pipeline_destroy(p);
  return bench_median(dt, FRAMES);
}

static double time_clear(void) {
  size_t bytes = (size_t)W * H * 8;
  char *buf = malloc(bytes);
  if (!buf) return -1;
  memset(buf, 1, bytes); /* fault the pages in first */
  double dt[9];
  for (int i = 0; i < 9; i++) {
    double t0 = bench_now_ms();
    memset(buf, 0, bytes);
    dt[i] = bench_now_ms() - t0;
  }
  volatile char sink = buf[bytes / 2];
  (void)sink;
  free(buf);
  return bench_median(dt, 9);
}

int main(int argc, char **argv) {
  int threads = 2;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_fx";
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx) != YSG_OK) {
    fprintf(stderr, "bench_fx: cannot create a context\n");
    return 1;
  }
  double clear = time_clear();
  printf("machine: %s, %d cores; %d threads; %dx%d FP16\n", cpu, bench_cores(), threads, W, H);
  printf("4K FP16 clear (memset %.0f MB): %.2f ms\n\n", (double)W * H * 8 / 1e6, clear);
  printf("%-18s %10s %10s %12s\n", "scene", "ms", "x clear", "src tiles");
  double ms[N_SCENES], occ[N_SCENES];
  for (int i = 0; i < N_SCENES; i++) {
    ms[i] = time_scene(ctx, &scenes[i], &occ[i]);
    printf("%-18s %10.2f %10.2f %11.1f%%\n", scenes[i].name, ms[i], ms[i] / clear, 100 * occ[i]);
  }
  printf("{\"bench\":\"fx\",\"machine\":");
  bench_json_str(stdout, cpu);
  printf(",\"cores\":%d,\"threads\":%d,\"width\":%d,\"height\":%d,\"clear_ms\":%.3f,\"scenes\":[",
         bench_cores(), threads, W, H, clear);
  for (int i = 0; i < N_SCENES; i++) {
    printf("%s{\"name\":", i ? "," : "");
    bench_json_str(stdout, scenes[i].name);
    printf(",\"ms\":%.3f,\"src_tiles\":%.4f}", ms[i], occ[i]);
  }
  printf("]}\n");
  ysg_context_destroy(ctx);
  return 0;
}
