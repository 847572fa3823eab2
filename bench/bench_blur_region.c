/* bench_blur_region.c — the `blur_region` node at 4K (issue 7): 100 and 1000 circular regions
 * (radius 40, falloff 16, sigma 6) at seeded random points over an opaque gradient, and one box
 * covering the whole frame (the full-frame blur the tiling avoids), CPU backend; the node's run()
 * is timed, beside the bandwidth floor (memset of a frame-sized FP16 buffer) in the same run.
 * Prints the machine, a Markdown table and one JSON line (also to --json PATH).
 * usage: bench_blur_region [--size WxH] [--threads N] [--reps N] [--warmup K] [--json PATH] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "ysgraph.h"

#define CLEAR_REPS 10

typedef struct scene {
  const char *key;
  int n; /* points; 0: one full-frame box */
  double ms, min_ms;
} scene;

static double time_memset(size_t bytes) {
  unsigned char *buf = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
  if (!buf) return -1;
  memset(buf, 1, bytes); /* fault the pages in before timing */
  double best = 1e30;
  for (int rep = 0; rep < CLEAR_REPS; rep++) {
    double t0 = bench_now_ms();
    memset(buf, 0, bytes);
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(buf) : "memory"); /* keep the stores */
#endif
    double dt = bench_now_ms() - t0;
    best = dt < best ? dt : best;
  }
  free(buf);
  return best;
}

/* Median and best of reps timed run()s of node 'render'; 0 on success. */
static int run_scene(ysg_context *ctx, scene *sc, int w, int h, int reps, int warmup) {
  char src[1024];
  int boxes = sc->n == 0;
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=1}\n"
           "local img = gradient{from='#204080', to='#f0c030', angle=30}\n"
           "local r = %s{name='r', capacity=%d}\n"
           "render = blur_region{image=img, %s=r, name='render', radius=40, falloff=16, "
           "sigma=6}\n",
           w, h, boxes ? "boxes_in" : "points_in", boxes ? 1 : sc->n, boxes ? "boxes" : "points");
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "bench_blur_region.lua", &lo, &p);
  if (!s && boxes) {
    float xywh[4] = {0, 0, (float)w, (float)h};
    ysg_boxes_desc d = {.count = 1, .xywh = xywh};
    s = ysg_pipeline_set_boxes(p, "r", &d);
  } else if (!s) {
    float *xy = malloc(sizeof(float) * 2 * (size_t)sc->n);
    if (!xy) return -1;
    uint64_t rng = 0x5eedb10bull;
    for (int i = 0; i < sc->n; i++) {
      xy[2 * i] = (float)bench_uniform(&rng, 0, w);
      xy[2 * i + 1] = (float)bench_uniform(&rng, 0, h);
    }
    ysg_points_desc d = {.count = sc->n, .xy = xy};
    s = ysg_pipeline_set_points(p, "r", &d);
    free(xy);
  }
  int node = -1;
  for (int i = 0; !s && i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) && !strcmp(ni.name, "render")) node = i;
  }
  double *dt = malloc(sizeof(double) * (size_t)reps);
  if (!dt) s = YSG_ERR_NOMEM;
  for (int f = 0; !s && f < warmup; f++) s = ysg_pipeline_run_frame(p, 0);
  for (int f = 0; !s && f < reps; f++) {
    ysg_node_info a, b;
    ysg_pipeline_node_info(p, node, &a);
    s = ysg_pipeline_run_frame(p, 0);
    ysg_pipeline_node_info(p, node, &b);
    dt[f] = b.total_ms - a.total_ms;
  }
  if (s) {
    fprintf(stderr, "bench_blur_region: %s: %s\n", sc->key, ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    free(dt);
    return -1;
  }
  sc->ms = bench_median(dt, reps);
  sc->min_ms = dt[0];
  free(dt);
  ysg_pipeline_destroy(p);
  return 0;
}

static int usage(const char *why) {
  fprintf(stderr,
          "bench_blur_region: %s\n"
          "usage: bench_blur_region [--size WxH] [--threads N] [--reps N] [--warmup K] "
          "[--json PATH]\n  defaults: --size 3840x2160 --threads 2 --reps 20 --warmup 2\n",
          why);
  return 2;
}

int main(int argc, char **argv) {
  int w = 3840, h = 2160, threads = 2, reps = 20, warmup = 2;
  const char *json_path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "--size") && has) {
      if (sscanf(argv[++i], "%dx%d", &w, &h) != 2) return usage("expected --size WxH");
    } else if (!strcmp(a, "--threads") && has) {
      threads = atoi(argv[++i]);
    } else if (!strcmp(a, "--reps") && has) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(a, "--warmup") && has) {
      warmup = atoi(argv[++i]);
    } else if (!strcmp(a, "--json") && has) {
      json_path = argv[++i];
    } else {
      return usage("unknown argument");
    }
  }
  if (w < 16 || h < 16 || threads < 1 || reps < 1 || warmup < 0)
    return usage("expected a size of at least 16x16, --threads >= 1, --reps >= 1, --warmup >= 0");
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  o.log = bench_log;
  o.log_ud = (void *)"bench_blur_region";
  ysg_context *ctx = NULL;
  if (ysg_context_create(&o, &ctx)) {
    fprintf(stderr, "bench_blur_region: cannot create a context\n");
    return 1;
  }
  scene scenes[] = {
      {"regions_100", 100, 0, 0}, {"regions_1000", 1000, 0, 0}, {"full_frame", 0, 0, 0}};
  int n_scenes = (int)(sizeof scenes / sizeof scenes[0]);
  size_t clear_bytes = (size_t)w * (size_t)h * 8;
  double clear_ms = time_memset(clear_bytes);
  for (int k = 0; k < n_scenes; k++)
    if (run_scene(ctx, &scenes[k], w, h, reps, warmup)) return 1;
  ysg_context_destroy(ctx);

  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  printf("machine: %s, %d cores; ysgraph CPU backend, %d threads\n", cpu, bench_cores(), threads);
  printf(
      "blur_region at %dx%d over an opaque gradient: radius 40, falloff 16, sigma 6 (kernel "
      "radius 18); run() median of %d after %d warm-up frames\n",
      w, h, reps, warmup);
  printf(
      "clear: memset of a %dx%d FP16 RGBA buffer (%.1f MB) to 0, best of %d: %.3f ms = %.2f "
      "GB/s\n\n",
      w, h, clear_bytes / 1e6, CLEAR_REPS, clear_ms, clear_bytes / 1e6 / clear_ms);
  printf("| scene | regions | median ms | best ms | ×clear |\n|---|---|---|---|---|\n");
  for (int k = 0; k < n_scenes; k++)
    printf(
        "| %s | %s | %.2f | %.2f | %.2f |\n", scenes[k].key,
        scenes[k].n ? (scenes[k].n == 100 ? "100 circles" : "1000 circles") : "1 box = the frame",
        scenes[k].ms, scenes[k].min_ms, scenes[k].ms / clear_ms);
  FILE *outs[2] = {stdout, json_path ? fopen(json_path, "w") : NULL};
  if (json_path && !outs[1]) fprintf(stderr, "bench_blur_region: cannot write %s\n", json_path);
  for (int f = 0; f < 2; f++) {
    if (!outs[f]) continue;
    fprintf(outs[f], "%s{\"bench\":\"blur_region\",\"cpu\":", f ? "" : "\n");
    bench_json_str(outs[f], cpu);
    fprintf(outs[f],
            ",\"cores\":%d,\"threads\":%d,\"width\":%d,\"height\":%d,\"reps\":%d,\"warmup\":%d,"
            "\"radius\":40,\"falloff\":16,\"sigma\":6,\"clear\":{\"bytes\":%zu,\"memset_ms\":%.4f}",
            bench_cores(), threads, w, h, reps, warmup, clear_bytes, clear_ms);
    fprintf(outs[f], ",\"scenes\":{");
    for (int k = 0; k < n_scenes; k++)
      fprintf(outs[f], "%s\"%s\":{\"regions\":%d,\"ms\":%.4f,\"min_ms\":%.4f,\"over_clear\":%.4f}",
              k ? "," : "", scenes[k].key, scenes[k].n ? scenes[k].n : 1, scenes[k].ms,
              scenes[k].min_ms, scenes[k].ms / clear_ms);
    fprintf(outs[f], "}}\n");
    if (f) fclose(outs[f]);
  }
  return 0;
}
