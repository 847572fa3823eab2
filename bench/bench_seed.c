/* bench_seed.c — the "seed frame" of ARCHITECTURE §10 (bench/seed_frame.lua: 3840×2160, 1000
 * points, KNN k=5, cubic Bézier curves of 32 samples, 2 px lines, 100 boxes, 1000 dots, a 5-layer
 * merge) on the CPU backend (2 threads unless --threads N) and, when a CUDA device is usable, on
 * the CUDA backend in the same run: ms/frame, fps with a PNG sink and without output, CUDA Graph
 * replay ms/frame (wall clock over N frames after a warm-up, ending with a flush) beside eager
 * launches, host submit µs/frame, per-node device ms (a separate profile load timing each node
 * with events), arena bytes (device, host, pinned) and the full-frame passes of the plan.
 * Prints the machine, the device (`nvidia-smi -L`), a table and one JSON line (also to --json).
 * usage: bench_seed [--size WxH] [-n CUDA_FRAMES] [--cpu-frames N] [--png-frames N]
 *                   [--warmup K] [--threads N] [--json PATH] */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "internal.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#define SEED_FILE YSG_SOURCE_DIR "/bench/seed_frame.lua"
#define MAX_NODES 64

typedef struct opts {
  int width, height, frames, cpu_frames, png_frames, warmup, threads;
  const char *json;
} opts;

/* one timed configuration */
typedef struct row {
  const char *name; /* "cpu", "cpu png", "cuda replay", "cuda eager", "cuda replay png" */
  int ran, frames;
  char error[512];
  double host_median_ms; /* median host time of one ysg_pipeline_run_frame call */
  double frame_ms;       /* wall clock of all frames plus the final flush, per frame */
  double submit_us;      /* CUDA: host time launching device work, per frame */
  ysg_device_stats ds;   /* CUDA: after the run */
  size_t arena, lower, host_arena;
} row;

/* per-node figures: passes from the plan, device ms from the profile load */
typedef struct node_row {
  char name[64], type[32];
  int reads, writes, on_device;
  double device_ms; /* per frame, profile load; -1 when not measured */
} node_row;

typedef struct bench {
  opts o;
  char cpu[256], device[512], cuda_reason[512];
  int cores, have_cuda;
  row rows[5];
  int n_rows;
  node_row nodes[MAX_NODES];
  int n_nodes, reads, writes, png_reads, png_writes; /* full-frame passes, without / with png */
  double profile_sum_ms;
  int profile_frames;
} bench;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

/* `nvidia-smi -L`'s lines joined by "; ", or "unavailable" */
static void device_line(char *out, size_t cap) {
  snprintf(out, cap, "unavailable");
  FILE *f = popen("nvidia-smi -L 2>/dev/null", "r");
  if (!f) return;
  char line[256];
  size_t len = 0;
  out[0] = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", len ? "; " : "", line);
  }
  if (pclose(f) != 0 || !out[0]) snprintf(out, cap, "unavailable");
}

static ysg_pipeline *load(bench *b, ysg_context *ctx, ysg_backend backend, int png, int no_graphs,
                          int profile, const char *outdir, char *err, size_t errcap) {
  char w[16], h[16];
  snprintf(w, sizeof w, "%d", b->o.width);
  snprintf(h, sizeof h, "%d", b->o.height);
  ysg_define defs[3] = {{"width", w}, {"height", h}, {"png", png ? "true" : "false"}};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = backend;
  lo.defines = defs;
  lo.n_defines = 3;
  lo.no_graphs = no_graphs;
  lo.profile = profile;
  lo.output_dir = outdir;
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_file(ctx, SEED_FILE, &lo, &p) != YSG_OK) {
    snprintf(err, errcap, "%s", ysg_errmsg(ctx));
    return NULL;
  }
  return p;
}

/* Load, warm up, then time r->frames frames one call at a time and the final flush. */
static void time_row(bench *b, ysg_context *ctx, row *r, ysg_backend backend, int png,
                     int no_graphs, const char *outdir) {
  ysg_pipeline *p = load(b, ctx, backend, png, no_graphs, 0, outdir, r->error, sizeof r->error);
  if (!p) return;
  ysg_status s = YSG_OK;
  for (int f = 0; f < b->o.warmup && !s; f++) s = ysg_pipeline_run_frame(p, f);
  if (!s) s = ysg_pipeline_flush(p);
  ysg_device_stats before;
  memset(&before, 0, sizeof before);
  int cuda = ysg_pipeline_backend(p) == YSG_BACKEND_CUDA;
  if (cuda) ysg_pipeline_device_stats(p, &before);
  double *dt = calloc((size_t)r->frames, sizeof *dt);
  double t0 = bench_now_ms();
  for (int f = 0; f < r->frames && !s && dt; f++) {
    double t1 = bench_now_ms();
    s = ysg_pipeline_run_frame(p, b->o.warmup + f);
    dt[f] = bench_now_ms() - t1;
  }
  if (!s) s = ysg_pipeline_flush(p);
  double wall = bench_now_ms() - t0;
  if (!dt) {
    snprintf(r->error, sizeof r->error, "out of memory");
  } else if (s) {
    snprintf(r->error, sizeof r->error, "%s", ysg_errmsg(ctx));
  } else {
    r->ran = 1;
    r->host_median_ms = bench_median(dt, r->frames);
    r->frame_ms = wall / r->frames;
    ysg_plan_info plan;
    ysg_pipeline_plan(p, &plan);
    r->arena = plan.arena_bytes;
    r->lower = plan.lower_bound_bytes;
    r->host_arena = p->host_arena_bytes;
    if (cuda) {
      ysg_pipeline_device_stats(p, &r->ds);
      r->submit_us = (r->ds.submit_ms - before.submit_ms) * 1e3 / r->frames;
    }
  }
  free(dt);
  ysg_pipeline_destroy(p);
}

/* Full-frame passes: every image a node reads (one per input link from an image output) or
 * writes (one per image output), counted from the plan as if each touched the whole canvas. Adds
 * up *reads and *writes; with b, also lists each node in b->nodes. */
static void count_passes(bench *b, ysg_context *ctx, ysg_pipeline *p, int *reads, int *writes) {
  int n = ysg_pipeline_node_count(p);
  for (int i = 0; i < n; i++) {
    ysg_node_info ni;
    if (ysg_pipeline_node_info(p, i, &ni) || ni.step < 0) continue;
    int r = 0, w = 0;
    const ysg_node_type *t = ysg_node_type_find(ctx, ni.type);
    for (int o = 0; t && o < t->n_outputs; o++) w += t->outputs[o].type == YSG_IMAGE;
    for (int l = 0; l < ysg_pipeline_link_count(p); l++) {
      ysg_link_info li;
      ysg_node_info from;
      if (ysg_pipeline_link_info(p, l, &li) || li.to_node != i) continue;
      if (ysg_pipeline_node_info(p, li.from_node, &from)) continue;
      const ysg_node_type *ft = ysg_node_type_find(ctx, from.type);
      for (int o = 0; ft && o < ft->n_outputs; o++)
        if (!strcmp(ft->outputs[o].name, li.from_port)) r += ft->outputs[o].type == YSG_IMAGE;
    }
    *reads += r;
    *writes += w;
    if (!b || b->n_nodes >= MAX_NODES) continue;
    node_row *nr = &b->nodes[b->n_nodes++];
    memset(nr, 0, sizeof *nr);
    snprintf(nr->name, sizeof nr->name, "%s", ni.name);
    snprintf(nr->type, sizeof nr->type, "%s", ni.type);
    nr->reads = r;
    nr->writes = w;
    nr->device_ms = -1;
  }
}

/* The profile load: each device node timed with events around its eager launch. */
static void profile_nodes(bench *b, ysg_context *ctx, const char *outdir) {
  char err[512];
  ysg_pipeline *p = load(b, ctx, YSG_BACKEND_CUDA, 0, 0, 1, outdir, err, sizeof err);
  if (!p) {
    fprintf(stderr, "bench_seed: profile load: %s\n", err);
    return;
  }
  int n = ysg_pipeline_node_count(p), frames = b->o.frames < 50 ? b->o.frames : 50;
  double before[MAX_NODES] = {0};
  ysg_status s = YSG_OK;
  for (int f = 0; f < b->o.warmup && !s; f++) s = ysg_pipeline_run_frame(p, f);
  if (!s) s = ysg_pipeline_flush(p);
  for (int i = 0; i < n && i < MAX_NODES; i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni)) before[i] = ni.device_ms;
  }
  for (int f = 0; f < frames && !s; f++) s = ysg_pipeline_run_frame(p, b->o.warmup + f);
  if (!s) s = ysg_pipeline_flush(p);
  if (s) {
    fprintf(stderr, "bench_seed: profile run: %s\n", ysg_errmsg(ctx));
  } else {
    b->profile_frames = frames;
    for (int i = 0; i < n && i < MAX_NODES; i++) {
      ysg_node_info ni;
      if (ysg_pipeline_node_info(p, i, &ni) || !ni.on_device) continue;
      for (int k = 0; k < b->n_nodes; k++)
        if (!strcmp(b->nodes[k].name, ni.name)) {
          b->nodes[k].on_device = 1;
          b->nodes[k].device_ms = (ni.device_ms - before[i]) / frames;
          b->profile_sum_ms += b->nodes[k].device_ms;
        }
    }
  }
  ysg_pipeline_destroy(p);
}

static void print_json(FILE *f, const bench *b) {
  fputs("{\"bench\":\"seed\",\"file\":", f);
  bench_json_str(f, SEED_FILE);
  fputs(",\"cpu\":", f);
  bench_json_str(f, b->cpu);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"device\":", b->cores, b->o.threads);
  bench_json_str(f, b->device);
  fprintf(f, ",\"width\":%d,\"height\":%d,\"warmup\":%d", b->o.width, b->o.height, b->o.warmup);
  fprintf(f, ",\"full_frame_passes\":{\"reads\":%d,\"writes\":%d,\"total\":%d,\"with_png\":%d}",
          b->reads, b->writes, b->reads + b->writes, b->png_reads + b->png_writes);
  fputs(",\"runs\":[", f);
  for (int i = 0; i < b->n_rows; i++) {
    const row *r = &b->rows[i];
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    bench_json_str(f, r->name);
    if (!r->ran) {
      fputs(",\"error\":", f);
      bench_json_str(f, r->error);
      fputc('}', f);
      continue;
    }
    fprintf(f,
            ",\"frames\":%d,\"host_median_ms\":%.4f,\"frame_ms\":%.4f,\"fps\":%.3f,"
            "\"arena_bytes\":%zu,\"lower_bound_bytes\":%zu,\"host_arena_bytes\":%zu",
            r->frames, r->host_median_ms, r->frame_ms, 1e3 / r->frame_ms, r->arena, r->lower,
            r->host_arena);
    if (!strncmp(r->name, "cuda", 4))
      fprintf(f,
              ",\"submit_us_per_frame\":%.3f,\"segments\":%d,\"captures\":%d,\"recaptures\":%d,"
              "\"eager_frames\":%d,\"replayed_frames\":%d,\"host_syncs\":%d,"
              "\"pinned_bytes\":%zu",
              r->submit_us, r->ds.segments, r->ds.captures, r->ds.recaptures, r->ds.eager_frames,
              r->ds.replayed_frames, r->ds.host_syncs, r->ds.pinned_bytes);
    fputc('}', f);
  }
  fputc(']', f);
  if (!b->have_cuda) {
    fputs(",\"cuda\":{\"skipped\":", f);
    bench_json_str(f, b->cuda_reason);
    fputc('}', f);
  } else {
    fprintf(f, ",\"cuda\":{\"profile_frames\":%d,\"device_ms_sum\":%.4f}", b->profile_frames,
            b->profile_sum_ms);
  }
  fputs(",\"nodes\":[", f);
  for (int i = 0; i < b->n_nodes; i++) {
    const node_row *n = &b->nodes[i];
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    bench_json_str(f, n->name);
    fputs(",\"type\":", f);
    bench_json_str(f, n->type);
    fprintf(f, ",\"image_reads\":%d,\"image_writes\":%d", n->reads, n->writes);
    if (n->device_ms >= 0) fprintf(f, ",\"device_ms\":%.4f", n->device_ms);
    fputc('}', f);
  }
  fputs("]}\n", f);
}

static void print_table(const bench *b) {
  printf("machine: %s, %d cores, %d threads for the CPU backend\n", b->cpu, b->cores, b->o.threads);
  printf("device: %s\n", b->device);
  printf(
      "workload: %s at %dx%d (1000 points, knn k=5, cubic Bezier 32 samples, 2 px lines, 100 "
      "boxes, 1000 dots, 5-layer merge), %d warm-up frames\n",
      SEED_FILE, b->o.width, b->o.height, b->o.warmup);
  printf(
      "full-frame passes per frame: %d image reads + %d image writes = %d, %d with the png sink "
      "(each node input linked to an image output and each image output counted as one whole "
      "canvas touched; tiles skipped as empty make the real traffic smaller)\n\n",
      b->reads, b->writes, b->reads + b->writes, b->png_reads + b->png_writes);
  printf(
      "| run | frames | host ms/call (median) | ms/frame (wall+flush) | fps | submit us/frame "
      "| arena bytes (lower bound) | host arena bytes |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int i = 0; i < b->n_rows; i++) {
    const row *r = &b->rows[i];
    if (!r->ran) {
      printf("| %s | failed: %s |\n", r->name, r->error);
      continue;
    }
    char sub[32] = "-";
    if (!strncmp(r->name, "cuda", 4)) snprintf(sub, sizeof sub, "%.2f", r->submit_us);
    printf("| %s | %d | %.3f | %.3f | %.1f | %s | %zu (%zu) | %zu |\n", r->name, r->frames,
           r->host_median_ms, r->frame_ms, 1e3 / r->frame_ms, sub, r->arena, r->lower,
           r->host_arena);
  }
  if (!b->have_cuda) {
    printf("\ncuda: skipped: %s\n", b->cuda_reason);
  } else {
    printf(
        "\ncuda rows: arena bytes are the device arena's; submit = host time enqueueing uploads, "
        "launches and graph replays plus the sinks' after() (with png: waiting for a free "
        "writer slot); ms/frame (wall+flush) is the replay throughput\n");
    for (int i = 0; i < b->n_rows; i++) {
      const row *r = &b->rows[i];
      if (!r->ran || strncmp(r->name, "cuda", 4)) continue;
      printf(
          "%s: segments %d, captures %d, recaptures %d, eager frames %d, replayed frames %d, "
          "host syncs %d, pinned %zu bytes\n",
          r->name, r->ds.segments, r->ds.captures, r->ds.recaptures, r->ds.eager_frames,
          r->ds.replayed_frames, r->ds.host_syncs, r->ds.pinned_bytes);
    }
    printf(
        "\nper-node device ms/frame (profile load: eager launches, events around each node, "
        "%d frames): sum %.4f ms\n",
        b->profile_frames, b->profile_sum_ms);
  }
  printf("\n| node | type | image reads | image writes | device ms/frame |\n");
  printf("|---|---|---:|---:|---:|\n");
  for (int i = 0; i < b->n_nodes; i++) {
    const node_row *n = &b->nodes[i];
    char dms[32] = "-";
    if (n->device_ms >= 0)
      snprintf(dms, sizeof dms, "%.4f", n->device_ms);
    else if (b->have_cuda && b->profile_frames)
      snprintf(dms, sizeof dms, "host");
    printf("| %s | %s | %d | %d | %s |\n", n->name, n->type, n->reads, n->writes, dms);
  }
  putchar('\n');
}

static const char usage_text[] =
    "usage: bench_seed [--size WxH] [-n CUDA_FRAMES] [--cpu-frames N] [--png-frames N]\n"
    "                  [--warmup K] [--threads N] [--json PATH]\n"
    "  defaults: 3840x2160, 300 CUDA frames, 10 CPU frames, 10 frames with PNG output, 3 warm-up\n"
    "  frames, 2 CPU threads; outputs go to a temporary directory.\n";

static int usage(const char *msg) {
  fprintf(stderr, "bench_seed: %s\n%s", msg, usage_text);
  return 2;
}

int main(int argc, char **argv) {
  static bench b;
  b.o = (opts){3840, 2160, 300, 10, 10, 3, 2, NULL};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "--size") && has) {
      if (sscanf(argv[++i], "%dx%d", &b.o.width, &b.o.height) != 2) return usage("bad --size");
    } else if (!strcmp(a, "-n") && has)
      b.o.frames = atoi(argv[++i]);
    else if (!strcmp(a, "--cpu-frames") && has)
      b.o.cpu_frames = atoi(argv[++i]);
    else if (!strcmp(a, "--png-frames") && has)
      b.o.png_frames = atoi(argv[++i]);
    else if (!strcmp(a, "--warmup") && has)
      b.o.warmup = atoi(argv[++i]);
    else if (!strcmp(a, "--threads") && has)
      b.o.threads = atoi(argv[++i]);
    else if (!strcmp(a, "--json") && has)
      b.o.json = argv[++i];
    else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
      return fputs(usage_text, stdout) < 0;
    else
      return usage("bad option or missing value");
  }
  if (b.o.width < 1 || b.o.height < 1 || b.o.frames < 1 || b.o.cpu_frames < 1 ||
      b.o.png_frames < 1 || b.o.warmup < 2 || b.o.threads < 1)
    return usage(
        "expected a positive size, frame counts >= 1, --warmup >= 2 (the first "
        "frame runs eagerly, the second captures) and --threads >= 1");

  bench_cpu_model(b.cpu, sizeof b.cpu);
  b.cores = bench_cores();
  device_line(b.device, sizeof b.device);
  b.have_cuda = ysg__cuda_probe(b.cuda_reason, sizeof b.cuda_reason);

  char outdir[] = "/tmp/ysgseed.XXXXXX";
  if (!mkdtemp(outdir)) {
    fprintf(stderr, "bench_seed: cannot create a temporary directory: %s\n", strerror(errno));
    return 3;
  }
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = b.o.threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_seed";
  co.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx) != YSG_OK) {
    fprintf(stderr, "bench_seed: cannot create a context\n");
    return 3;
  }
  char err[512];
  ysg_pipeline *plan = load(&b, ctx, YSG_BACKEND_CPU, 0, 0, 0, outdir, err, sizeof err);
  if (!plan) {
    fprintf(stderr, "bench_seed: %s\n", err);
    ysg_context_destroy(ctx);
    return 1;
  }
  count_passes(&b, ctx, plan, &b.reads, &b.writes);
  ysg_pipeline_destroy(plan);
  plan = load(&b, ctx, YSG_BACKEND_CPU, 1, 0, 0, outdir, err, sizeof err);
  if (plan) count_passes(NULL, ctx, plan, &b.png_reads, &b.png_writes);
  ysg_pipeline_destroy(plan);

  struct {
    const char *name;
    ysg_backend backend;
    int png, no_graphs, frames;
  } runs[5] = {{"cpu", YSG_BACKEND_CPU, 0, 0, b.o.cpu_frames},
               {"cpu png", YSG_BACKEND_CPU, 1, 0, b.o.png_frames},
               {"cuda replay", YSG_BACKEND_CUDA, 0, 0, b.o.frames},
               {"cuda eager", YSG_BACKEND_CUDA, 0, 1, b.o.frames},
               {"cuda replay png", YSG_BACKEND_CUDA, 1, 0, b.o.png_frames}};
  for (int i = 0; i < 5; i++) {
    if (runs[i].backend == YSG_BACKEND_CUDA && !b.have_cuda) continue;
    row *r = &b.rows[b.n_rows++];
    r->name = runs[i].name;
    r->frames = runs[i].frames;
    time_row(&b, ctx, r, runs[i].backend, runs[i].png, runs[i].no_graphs, outdir);
    if (!r->ran) fprintf(stderr, "bench_seed: %s: %s\n", r->name, r->error);
  }
  if (b.have_cuda) profile_nodes(&b, ctx, outdir);

  print_table(&b);
  print_json(stdout, &b);
  int rc = 0;
  for (int i = 0; i < b.n_rows; i++)
    if (!b.rows[i].ran) rc = 1;
  if (b.o.json) {
    FILE *f = fopen(b.o.json, "w");
    if (!f) {
      fprintf(stderr, "bench_seed: cannot write '%s': %s\n", b.o.json, strerror(errno));
      rc = 3;
    } else {
      print_json(f, &b);
      if (fclose(f)) rc = 3;
    }
  }
  ysg_context_destroy(ctx);
  nftw(outdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
