/* bench_curve.c — the `curve` node (issue 4): every family at 1 000 and 30 000 edges × 32 samples
 * on the CPU backend (default 2 threads). The node's run() is timed per frame (median and best of
 * the reps, frames advancing so animated families move), then the last frame is validated: every
 * curve present, starting and ending bit-exactly on its points, all samples finite. Prints the
 * machine, a Markdown table and one JSON line (also to --json PATH).
 * usage: bench_curve [--threads N] [--reps N] [--warmup K] [--samples S] [--json PATH] */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "curve_math.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#define MAX_EDGES 30000
#define MAX_POINTS 6000
static const int sizes[2] = {1000, 30000};

/* ---- geometry: points over a 4K canvas, each edge to one of a point's next few in x order ---- */
static uint64_t rng;
static struct {
  int np, ne;
  float xy[MAX_POINTS * 2];
  int32_t id[MAX_POINTS];
  int32_t ij[MAX_EDGES * 2];
} B;

static int cmp_x(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* ne edges over ne/5 points (about a k=5 neighbour graph's ratio), lengths of a few tens of px */
static void make_geometry(int ne) {
  B.np = ne / 5;
  for (int i = 0; i < B.np; i++) {
    B.xy[2 * i] = (float)bench_uniform(&rng, 20, 3820);
    B.xy[2 * i + 1] = (float)bench_uniform(&rng, 20, 2140);
    B.id[i] = i;
  }
  qsort(B.xy, (size_t)B.np, 2 * sizeof(float), cmp_x);
  B.ne = ne;
  for (int e = 0; e < ne; e++) {
    int i = e / 5, j = i + 1 + (int)bench_uniform(&rng, 0, 8);
    if (j >= B.np) j = (i + B.np / 2) % B.np;
    B.ij[2 * e] = i < j ? i : j;
    B.ij[2 * e + 1] = i < j ? j : i;
  }
}

static const ysg_port_def bgeo_out[] = {
    {"points", YSG_POINTS, 0, "the benchmark's points", NULL, 0},
    {"edges", YSG_EDGES, 0, "the benchmark's edges", NULL, 0},
};
static ysg_status bgeo_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = B.np;
  ysg_node_output(n, 1)->capacity = B.ne;
  return YSG_OK;
}
static ysg_status bgeo_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *p = ysg_node_output(n, 0), *e = ysg_node_output(n, 1);
  p->count = B.np;
  p->attrs = YSG_ATTR_ID;
  memcpy(p->xy, B.xy, sizeof(float) * 2 * (size_t)B.np);
  memcpy(p->id, B.id, sizeof(int32_t) * (size_t)B.np);
  e->count = B.ne;
  memcpy(e->ij, B.ij, sizeof(int32_t) * 2 * (size_t)B.ne);
  return YSG_OK;
}
static const ysg_node_type bgeo_type = {.name = "bgeo",
                                        .category = "bench",
                                        .doc = "The benchmark's points and edges.",
                                        .outputs = bgeo_out,
                                        .n_outputs = 2,
                                        .run = bgeo_run,
                                        .infer = bgeo_infer};

/* ---- one measurement ------------------------------------------------------------------------- */
typedef struct result {
  double ms, min_ms; /* the curve node's run(): median, best */
  int ok;            /* validated */
} result;

static const char *type_name(int t, char *buf, size_t cap) {
  const char *c = YSG_CURVE_CHOICES;
  for (int k = 0; k < t; k++) c = strchr(c, '|') + 1;
  size_t len = strcspn(c, "|");
  snprintf(buf, cap, "%.*s", (int)len, c);
  return buf;
}

static int validate(const ysg_value *v, int S) {
  if (v->count != B.ne || v->samples != S) return 0;
  for (int c = 0; c < v->count; c++) {
    int i = v->ij[2 * c], j = v->ij[2 * c + 1];
    const float *xy = v->xy + (size_t)c * S * 2;
    if (i != B.ij[2 * c] || j != B.ij[2 * c + 1]) return 0;
    if (memcmp(xy, &B.xy[2 * i], 8) || memcmp(xy + 2 * (S - 1), &B.xy[2 * j], 8)) return 0;
    for (int s = 0; s < 2 * S; s++)
      if (!isfinite(xy[s])) return 0;
  }
  return 1;
}

static result measure(ysg_context *ctx, int type, int S, int reps, int warmup) {
  result r = {0, 0, 0};
  char name[64], src[512];
  snprintf(src, sizeof src,
           "canvas{width=3840, height=2160, frames=100000}\n"
           "local g = bgeo{}\n"
           "curve{name='c', points=g.points, edges=g.edges, type='%s', samples=%d}\n",
           type_name(type, name, sizeof name), S);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_string(ctx, src, "bench_curve", &lo, &p)) {
    fprintf(stderr, "bench_curve: %s: %s\n", name, ysg_errmsg(ctx));
    return r;
  }
  int node = -1;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) && !strcmp(ni.name, "c")) node = i;
  }
  double *dt = malloc(sizeof(double) * (size_t)reps);
  int ok = node >= 0 && dt;
  for (int f = 0; ok && f < warmup + reps; f++) {
    ysg_node_info a, b;
    ysg_pipeline_node_info(p, node, &a);
    if (ysg_pipeline_run_frame(p, f)) {
      fprintf(stderr, "bench_curve: %s: %s\n", name, ysg_errmsg(ctx));
      ok = 0;
      break;
    }
    ysg_pipeline_node_info(p, node, &b);
    if (f >= warmup) dt[f - warmup] = b.total_ms - a.total_ms;
  }
  if (ok) {
    const ysg_value *v = NULL;
    r.ok = !ysg_pipeline_get_value(p, "c", &v) && validate(v, S);
    r.ms = bench_median(dt, reps);
    r.min_ms = dt[0]; /* sorted by bench_median */
  }
  free(dt);
  ysg_pipeline_destroy(p);
  return r;
}

/* ---- output --------------------------------------------------------------------------------- */
static void write_json(FILE *f, const char *cpu, int cores, int threads, int S, int reps,
                       int warmup, result res[][2]) {
  fprintf(f, "{\"bench\":\"curve\",\"machine\":");
  bench_json_str(f, cpu);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"samples\":%d,\"reps\":%d,\"warmup\":%d", cores,
          threads, S, reps, warmup);
  fprintf(f, ",\"cuda\":\"not measured (no device)\",\"results\":[");
  char name[64];
  for (int t = 0; t < YSG_CURVE_TYPE_COUNT; t++)
    for (int k = 0; k < 2; k++) {
      const result *r = &res[t][k];
      fprintf(f, "%s{\"type\":\"%s\",\"edges\":%d,\"ok\":%s,\"ms\":%.4f,\"min_ms\":%.4f}",
              t || k ? "," : "", type_name(t, name, sizeof name), sizes[k],
              r->ok ? "true" : "false", r->ms, r->min_ms);
    }
  fprintf(f, "]}\n");
}

static void print_table(const char *cpu, int cores, int threads, int S, int reps, int warmup,
                        result res[][2]) {
  printf("machine: %s, %d cores; ysgraph CPU backend, %d threads\n", cpu, cores, threads);
  printf(
      "curve node run(): %d samples per curve, median (best) of %d frames after %d warm-up; "
      "Msamples/s from the median\n",
      S, reps, warmup);
  printf("| type | 1 000 edges ms | Msamples/s | 30 000 edges ms | Msamples/s | valid |\n");
  printf("|---|---:|---:|---:|---:|---|\n");
  char name[64];
  for (int t = 0; t < YSG_CURVE_TYPE_COUNT; t++) {
    printf("| %s", type_name(t, name, sizeof name));
    for (int k = 0; k < 2; k++) {
      const result *r = &res[t][k];
      printf(" | %.3f (%.3f) | %.0f", r->ms, r->min_ms,
             r->ms > 0 ? (double)sizes[k] * S / (r->ms * 1e3) : 0.0);
    }
    printf(" | %s |\n", res[t][0].ok && res[t][1].ok ? "yes" : "NO");
  }
  printf("\nCUDA: not measured here (cuda/curve.cu; no device on this machine)\n\n");
}

int main(int argc, char **argv) {
  int threads = 2, reps = 30, warmup = 3, S = 32;
  const char *json_path = NULL;
  for (int i = 1; i < argc; i++) {
    int more = i + 1 < argc;
    if (!strcmp(argv[i], "--threads") && more)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && more)
      reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && more)
      warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--samples") && more)
      S = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json") && more)
      json_path = argv[++i];
    else {
      fprintf(stderr,
              "bench_curve: unknown or incomplete option '%s'\nusage: bench_curve [--threads N] "
              "[--reps N] [--warmup K] [--samples S] [--json PATH]\n",
              argv[i]);
      return 2;
    }
  }
  if (threads < 1 || reps < 1 || warmup < 0 || S < 2 || S > 1024) {
    fprintf(stderr,
            "bench_curve: expected threads >= 1, reps >= 1, warmup >= 0, 2 <= samples "
            "<= 1024\n");
    return 2;
  }
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  o.log = bench_log;
  o.log_ud = (void *)"bench_curve";
  o.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&o, &ctx) || ysg_register_node_type(ctx, &bgeo_type)) {
    fprintf(stderr, "bench_curve: %s\n", ctx ? ysg_errmsg(ctx) : "cannot create a context");
    return 1;
  }
  static result res[YSG_CURVE_TYPE_COUNT][2];
  int all_ok = 1;
  for (int k = 0; k < 2; k++) {
    rng = 0x9e3779b97f4a7c15ull;
    make_geometry(sizes[k]);
    for (int t = 0; t < YSG_CURVE_TYPE_COUNT; t++) {
      res[t][k] = measure(ctx, t, S, reps, warmup);
      all_ok &= res[t][k].ok;
    }
  }
  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  int cores = bench_cores();
  print_table(cpu, cores, threads, S, reps, warmup, res);
  write_json(stdout, cpu, cores, threads, S, reps, warmup, res);
  if (json_path) {
    FILE *f = fopen(json_path, "w");
    if (!f) {
      fprintf(stderr, "bench_curve: cannot write '%s': %s\n", json_path, strerror(errno));
      return 1;
    }
    write_json(f, cpu, cores, threads, S, reps, warmup, res);
    fclose(f);
  }
  ysg_context_destroy(ctx);
  return all_ok ? 0 : 1;
}
