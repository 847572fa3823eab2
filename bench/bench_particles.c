/* bench_particles.c — the `particles` node at 3840×2160: 1000 curves (32-sample arcs) × 10
 * particles with 24 px trails and without, on 2 CPU threads, beside the bandwidth reference (a
 * memset clear of the 4K FP16 frame, 66 MB) measured in the same run. Prints the machine, a
 * table and one JSON line. CUDA is not measured here (no device on the development machine;
 * tests/test_particles.c compares the kernel with the CPU node where one exists). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "ysgraph/node.h"

#define W 3840
#define H 2160
#define NC 1000
#define NS 32
#define REPS 15

static float g_xy[NC * NS * 2];

static const ysg_port_def arcs_out[] = {{"curves", YSG_CURVES, 0, "bench arcs", NULL, 0}};
static ysg_status arcs_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = NC;
  v->samples = NS;
  return YSG_OK;
}
static ysg_status arcs_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, g_xy, sizeof g_xy);
  v->count = NC;
  return YSG_OK;
}
static const ysg_node_type arcs_type = {.name = "arcs",
                                        .category = "bench",
                                        .doc = "Bench arcs.",
                                        .outputs = arcs_out,
                                        .n_outputs = 1,
                                        .infer = arcs_infer,
                                        .run = arcs_run};

/* quadratic arcs between random points 50..400 px apart, bulging by a quarter of their length */
static void make_arcs(void) {
  uint64_t st = 42;
  for (int c = 0; c < NC; c++) {
    double ax = bench_uniform(&st, 100, W - 100), ay = bench_uniform(&st, 100, H - 100);
    double len = bench_uniform(&st, 50, 400), ang = bench_uniform(&st, 0, 6.283185307);
    double bx = ax + len * cos(ang), by = ay + len * sin(ang);
    double mx = 0.5 * (ax + bx) - 0.25 * (by - ay), my = 0.5 * (ay + by) + 0.25 * (bx - ax);
    for (int k = 0; k < NS; k++) {
      double u = (double)k / (NS - 1), v = 1 - u;
      g_xy[2 * (c * NS + k)] = (float)(v * v * ax + 2 * u * v * mx + u * u * bx);
      g_xy[2 * (c * NS + k) + 1] = (float)(v * v * ay + 2 * u * v * my + u * u * by);
    }
  }
}

static double time_memset(size_t bytes) {
  unsigned char *buf = malloc(bytes);
  if (!buf) return -1;
  memset(buf, 1, bytes);
  double dt[REPS];
  for (int r = 0; r < REPS; r++) {
    double t0 = bench_now_ms();
    memset(buf, 0, bytes);
    dt[r] = bench_now_ms() - t0;
  }
  volatile unsigned char sink = buf[bytes / 2];
  (void)sink;
  free(buf);
  return bench_median(dt, REPS);
}

typedef struct result {
  const char *name;
  double median, best, p90;
  int tiles;
} result;

static int run_case(const char *name, const char *args, result *r) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  o.log = bench_log;
  o.log_ud = (void *)"bench_particles";
  ysg_context *ctx = NULL;
  if (ysg_context_create(&o, &ctx) != YSG_OK) return 1;
  if (ysg_register_node_type(ctx, &arcs_type) != YSG_OK) return 1;
  char src[512];
  snprintf(src, sizeof src,
           "canvas{width=%d,height=%d,frames=%d,fps=30}\nlocal a = arcs{name='a'}\n"
           "particles{curves=a, name='pp', %s}\n",
           W, H, REPS + 2, args);
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_string(ctx, src, "bench.lua", NULL, &p) != YSG_OK) {
    fprintf(stderr, "bench_particles: %s\n", ysg_errmsg(ctx));
    return 1;
  }
  int idx = -1;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (ysg_pipeline_node_info(p, i, &ni) == YSG_OK && strcmp(ni.name, "pp") == 0) idx = i;
  }
  double dt[REPS];
  ysg_pipeline_run_frame(p, 0); /* warm-up: pages, caches */
  ysg_node_info ni;
  ysg_pipeline_node_info(p, idx, &ni);
  double prev = ni.total_ms;
  for (int f = 0; f < REPS; f++) {
    if (ysg_pipeline_run_frame(p, f + 1) != YSG_OK) {
      fprintf(stderr, "bench_particles: %s\n", ysg_errmsg(ctx));
      return 1;
    }
    ysg_pipeline_node_info(p, idx, &ni);
    dt[f] = ni.total_ms - prev;
    prev = ni.total_ms;
  }
  const ysg_value *v;
  r->tiles = 0;
  if (ysg_pipeline_get_value(p, "pp", &v) == YSG_OK)
    for (int t = 0; t < v->tiles_x * v->tiles_y; t++) r->tiles += v->tiles[t];
  r->name = name;
  r->median = bench_median(dt, REPS);
  r->best = dt[0];
  r->p90 = bench_percentile(dt, REPS, 0.9);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return 0;
}

int main(void) {
  make_arcs();
  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  size_t clear_bytes = (size_t)W * H * 8;
  double clear = time_memset(clear_bytes);
  static const struct {
    const char *name, *args;
  } cases[] = {
      {"10k particles, trail 24", "count=10, trail=24, size=2.5"},
      {"10k particles, no trail", "count=10, trail=0, size=2.5"},
      {"10k particles, trail 24, glow 6", "count=10, trail=24, size=2.5, glow=6"},
  };
  enum { NCASES = sizeof cases / sizeof cases[0] };
  result res[NCASES];
  for (int k = 0; k < NCASES; k++)
    if (run_case(cases[k].name, cases[k].args, &res[k])) return 1;
  printf("machine: %s, %d cores; 2 worker threads; CPU backend\n", cpu, bench_cores());
  printf("canvas %dx%d FP16; %d curves x %d samples; node time per frame over %d frames\n\n", W, H,
         NC, NS, REPS);
  printf("%-34s %10s %10s %10s %10s %8s\n", "case", "median ms", "best ms", "p90 ms", "x clear",
         "tiles");
  printf("%-34s %10.3f %10s %10s %10s %8s\n", "4K FP16 clear (memset, 66 MB)", clear, "-", "-",
         "1.00", "-");
  for (int k = 0; k < NCASES; k++)
    printf("%-34s %10.3f %10.3f %10.3f %10.2f %8d\n", res[k].name, res[k].median, res[k].best,
           res[k].p90, res[k].median / clear, res[k].tiles);
  printf("\nCUDA: not measured here (cuda/particles.cu; no device on this machine)\n\n");
  printf("{\"bench\":\"particles\",\"machine\":");
  bench_json_str(stdout, cpu);
  printf(
      ",\"cores\":%d,\"threads\":2,\"width\":%d,\"height\":%d,\"curves\":%d,\"samples\":%d,"
      "\"clear\":{\"bytes\":%zu,\"memset_ms\":%.4f},\"cuda\":\"not measured (no device)\","
      "\"results\":[",
      bench_cores(), W, H, NC, NS, clear_bytes, clear);
  for (int k = 0; k < NCASES; k++) {
    printf("%s{\"case\":", k ? "," : "");
    bench_json_str(stdout, res[k].name);
    printf(
        ",\"median_ms\":%.4f,\"best_ms\":%.4f,\"p90_ms\":%.4f,\"over_clear\":%.4f,"
        "\"tiles_drawn\":%d}",
        res[k].median, res[k].best, res[k].p90, res[k].median / clear, res[k].tiles);
  }
  printf("]}\n");
  return 0;
}
