/* bench_seed.c — the "seed frame" of ARCHITECTURE §10 (bench/seed_frame.lua: 3840×2160, 1000
 * points, KNN k=5, cubic Bézier curves of 32 samples, 2 px lines, 100 boxes, 1000 dots, a 5-layer
 * merge) on the CPU backend (2 threads unless --threads N), tile-fused and unfused (no_fuse) side
 * by side, against the floor of one non-zero 4K FP16 write, and, when a CUDA device is usable, on
 * the CUDA backend in the same run: ms/frame, fps with a PNG sink and without output, CUDA Graph
 * replay ms/frame (wall clock over N frames after a warm-up, ending with a flush) beside eager
 * launches, host submit µs/frame, per-node CPU ms (fused layers: prepare + their share of the
 * merge's pass, measured per tile) and device ms (a separate profile load timing each node with
 * events), arena bytes (device, host, pinned) and the full-frame passes of each plan.
 * Prints the machine, its instruction set, the device (`nvidia-smi -L`), tables and one JSON line
 * (also to --json).
 * usage: bench_seed [--size WxH] [-n CUDA_FRAMES] [--cpu-frames N] [--png-frames N]
 *                   [--warmup K] [--threads N] [--json PATH] */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
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
  const char *name; /* "cpu", "cpu unfused", "cpu png", "cuda replay", "cuda replay unfused", … */
  int ran, frames, no_fuse;
  char error[512];
  double host_median_ms; /* median host time of one ysg_pipeline_run_frame call */
  double frame_ms;       /* wall clock of all frames plus the final flush, per frame */
  double submit_us;      /* CUDA: host time launching device work, per frame */
  ysg_device_stats ds;   /* CUDA: after the run */
  size_t arena, lower, host_arena;
  double node_ms[MAX_NODES], tile_ms[MAX_NODES]; /* per node and frame, CPU rows */
} row;

/* per-node figures: passes from the plans (fused, unfused), device ms from the profile load */
typedef struct node_row {
  int index; /* in the pipeline */
  char name[64], type[32], fused_into[64];
  int reads, writes, on_device, reads_unfused, writes_unfused;
  double device_ms; /* per frame, profile load; -1 when not measured */
} node_row;

typedef struct bench {
  opts o;
  char cpu[256], device[512], cuda_reason[512], isa[128];
  char load_start[64], load_end[64]; /* /proc/loadavg before and after the timed runs */
  int cores, have_cuda;
  row rows[8];
  int n_rows;
  node_row nodes[MAX_NODES];
  int n_nodes, reads, writes, png_reads, png_writes; /* full-frame passes, without / with png */
  int reads_unfused, writes_unfused;
  double floor_ms; /* one non-zero W×H FP16 write on the CPU threads (median) */
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
                          int no_fuse, int profile, const char *outdir, char *err, size_t errcap) {
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
  lo.no_fuse = no_fuse;
  lo.profile = profile;
  lo.output_dir = outdir;
  ysg_pipeline *p = NULL;
  if (ysg_pipeline_load_file(ctx, SEED_FILE, &lo, &p) != YSG_OK) {
    snprintf(err, errcap, "%s", ysg_errmsg(ctx));
    return NULL;
  }
  return p;
}

/* Load nr configurations of one backend (row k: png, no_graphs, rs[k]->no_fuse), warm each up,
 * then time their frames one call at a time, interleaved (frame f of row 0, of row 1, …, so a
 * machine whose load changes meanwhile affects the rows alike), and each one's final flush. */
static void time_rows(bench *b, ysg_context *ctx, row **rs, int nr, ysg_backend backend, int png,
                      int no_graphs, const char *outdir) {
  ysg_pipeline *p[2] = {NULL, NULL};
  ysg_device_stats before[2];
  double *dt[2] = {NULL, NULL}, wall[2] = {0, 0};
  ysg_status s[2] = {YSG_OK, YSG_OK};
  for (int k = 0; k < nr; k++) {
    row *r = rs[k];
    p[k] = load(b, ctx, backend, png, no_graphs, r->no_fuse, 0, outdir, r->error, sizeof r->error);
    if (!p[k]) return;
    for (int f = 0; f < b->o.warmup && !s[k]; f++) s[k] = ysg_pipeline_run_frame(p[k], f);
    if (!s[k]) s[k] = ysg_pipeline_flush(p[k]);
    int nn = ysg_pipeline_node_count(p[k]);
    for (int i = 0; i < nn && i < MAX_NODES; i++) { /* the warm-up's share, taken off below */
      ysg_node_info ni;
      if (ysg_pipeline_node_info(p[k], i, &ni)) continue;
      r->node_ms[i] = -ni.total_ms;
      r->tile_ms[i] = -ni.tile_ms;
    }
    memset(&before[k], 0, sizeof before[k]);
    if (ysg_pipeline_backend(p[k]) == YSG_BACKEND_CUDA) ysg_pipeline_device_stats(p[k], &before[k]);
    dt[k] = calloc((size_t)r->frames, sizeof *dt[k]);
  }
  for (int f = 0; f < rs[0]->frames; f++)
    for (int k = 0; k < nr; k++) {
      if (s[k] || !dt[k] || f >= rs[k]->frames) continue;
      double t1 = bench_now_ms();
      s[k] = ysg_pipeline_run_frame(p[k], b->o.warmup + f);
      dt[k][f] = bench_now_ms() - t1;
      wall[k] += dt[k][f];
    }
  for (int k = 0; k < nr; k++) {
    row *r = rs[k];
    double t1 = bench_now_ms();
    if (!s[k]) s[k] = ysg_pipeline_flush(p[k]);
    wall[k] += bench_now_ms() - t1;
    if (!dt[k]) {
      snprintf(r->error, sizeof r->error, "out of memory");
    } else if (s[k]) {
      snprintf(r->error, sizeof r->error, "%s", ysg_errmsg(ctx));
    } else {
      r->ran = 1;
      r->host_median_ms = bench_median(dt[k], r->frames);
      r->frame_ms = wall[k] / r->frames;
      int nn = ysg_pipeline_node_count(p[k]);
      for (int i = 0; i < nn && i < MAX_NODES; i++) {
        ysg_node_info ni;
        if (ysg_pipeline_node_info(p[k], i, &ni)) continue;
        r->node_ms[i] = (r->node_ms[i] + ni.total_ms) / r->frames;
        r->tile_ms[i] = (r->tile_ms[i] + ni.tile_ms) / r->frames;
      }
      ysg_plan_info plan;
      ysg_pipeline_plan(p[k], &plan);
      r->arena = plan.arena_bytes;
      r->lower = plan.lower_bound_bytes;
      r->host_arena = p[k]->host_arena_bytes;
      if (ysg_pipeline_backend(p[k]) == YSG_BACKEND_CUDA) {
        ysg_pipeline_device_stats(p[k], &r->ds);
        r->submit_us = (r->ds.submit_ms - before[k].submit_ms) * 1e3 / r->frames;
      }
    }
    free(dt[k]);
    ysg_pipeline_destroy(p[k]);
  }
}

/* Full-frame passes: every image a node reads (one per input link from an image output that is
 * not fused) or writes (one per image output, none for a fused layer), counted from the plan as
 * if each touched the whole canvas. Adds up *reads and *writes; with b, also fills b->nodes (the
 * fused plan's counts, or with `unfused` the second columns). */
static void count_passes(bench *b, int unfused, ysg_context *ctx, ysg_pipeline *p, int *reads,
                         int *writes) {
  int n = ysg_pipeline_node_count(p);
  for (int i = 0; i < n; i++) {
    ysg_node_info ni;
    if (ysg_pipeline_node_info(p, i, &ni) || ni.step < 0) continue;
    int r = 0, w = 0;
    const ysg_node_type *t = ysg_node_type_find(ctx, ni.type);
    for (int o = 0; t && o < t->n_outputs && ni.fused_into < 0; o++)
      w += t->outputs[o].type == YSG_IMAGE;
    for (int l = 0; l < ysg_pipeline_link_count(p); l++) {
      ysg_link_info li;
      ysg_node_info from;
      if (ysg_pipeline_link_info(p, l, &li) || li.to_node != i) continue;
      if (ysg_pipeline_node_info(p, li.from_node, &from) || from.fused_into >= 0) continue;
      const ysg_node_type *ft = ysg_node_type_find(ctx, from.type);
      for (int o = 0; ft && o < ft->n_outputs; o++)
        if (!strcmp(ft->outputs[o].name, li.from_port)) r += ft->outputs[o].type == YSG_IMAGE;
    }
    *reads += r;
    *writes += w;
    if (!b) continue;
    node_row *nr = NULL;
    for (int k = 0; k < b->n_nodes; k++)
      if (b->nodes[k].index == i) nr = &b->nodes[k];
    if (!nr && b->n_nodes < MAX_NODES) {
      nr = &b->nodes[b->n_nodes++];
      memset(nr, 0, sizeof *nr);
      nr->index = i;
      snprintf(nr->name, sizeof nr->name, "%s", ni.name);
      snprintf(nr->type, sizeof nr->type, "%s", ni.type);
      nr->device_ms = -1;
    }
    if (!nr) continue;
    if (unfused) {
      nr->reads_unfused = r;
      nr->writes_unfused = w;
      continue;
    }
    nr->reads = r;
    nr->writes = w;
    ysg_node_info into;
    if (ni.fused_into >= 0 && !ysg_pipeline_node_info(p, ni.fused_into, &into))
      snprintf(nr->fused_into, sizeof nr->fused_into, "%s", into.name);
  }
}

typedef struct floor_job {
  unsigned char *buf;
  size_t begin, end;
} floor_job;

static void *floor_write(void *ud) {
  const floor_job *j = ud;
  uint64_t *w = (uint64_t *)(void *)(j->buf + j->begin);
  size_t n = (j->end - j->begin) / 8;
  for (size_t i = 0; i < n; i++) w[i] = 0x3c003c003c003c00ull; /* FP16 1.0 in every channel */
  return NULL;
}

/* Median ms of writing one W×H FP16 RGBA image (non-zero, so no zero-page shortcut) split over
 * `threads` threads: the least a frame that outputs an image can cost. */
static double write_floor_ms(int w, int h, int threads) {
  size_t bytes = (size_t)w * (size_t)h * 8;
  unsigned char *buf = malloc(bytes);
  if (!buf) return 0;
  memset(buf, 1, bytes); /* fault the pages in */
  double t[15];
  pthread_t tid[64];
  floor_job jobs[64];
  int nt = threads < 64 ? threads : 64;
  for (int rep = 0; rep < 15; rep++) {
    double t0 = bench_now_ms();
    for (int k = 0; k < nt; k++) {
      jobs[k] = (floor_job){buf, bytes / 64 * (size_t)k / (size_t)nt * 64,
                            k + 1 == nt ? bytes : bytes / 64 * (size_t)(k + 1) / (size_t)nt * 64};
      if (k + 1 < nt) pthread_create(&tid[k], NULL, floor_write, &jobs[k]);
    }
    floor_write(&jobs[nt - 1]);
    for (int k = 0; k + 1 < nt; k++) pthread_join(tid[k], NULL);
    t[rep] = bench_now_ms() - t0;
  }
  free(buf);
  return bench_median(t, 15);
}

/* The profile load: each device node timed with events around its eager launch. */
static void profile_nodes(bench *b, ysg_context *ctx, const char *outdir) {
  char err[512];
  ysg_pipeline *p = load(b, ctx, YSG_BACKEND_CUDA, 0, 0, 0, 1, outdir, err, sizeof err);
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

/* the CPU row without png, fused (unfused = 0) or not; NULL if it did not run */
static const row *cpu_row(const bench *b, int unfused) {
  for (int i = 0; i < b->n_rows; i++)
    if (b->rows[i].ran && !strcmp(b->rows[i].name, unfused ? "cpu unfused" : "cpu"))
      return &b->rows[i];
  return NULL;
}

static void print_json(FILE *f, const bench *b) {
  fputs("{\"bench\":\"seed\",\"file\":", f);
  bench_json_str(f, SEED_FILE);
  fputs(",\"cpu\":", f);
  bench_json_str(f, b->cpu);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"device\":", b->cores, b->o.threads);
  bench_json_str(f, b->device);
  fprintf(f, ",\"width\":%d,\"height\":%d,\"warmup\":%d", b->o.width, b->o.height, b->o.warmup);
  fputs(",\"isa\":", f);
  bench_json_str(f, b->isa);
  fputs(",\"loadavg_start\":", f);
  bench_json_str(f, b->load_start);
  fputs(",\"loadavg_end\":", f);
  bench_json_str(f, b->load_end);
  fprintf(f, ",\"write_floor_ms\":%.4f", b->floor_ms);
  fprintf(f,
          ",\"full_frame_passes\":{\"reads\":%d,\"writes\":%d,\"total\":%d,\"with_png\":%d,"
          "\"unfused_total\":%d}",
          b->reads, b->writes, b->reads + b->writes, b->png_reads + b->png_writes,
          b->reads_unfused + b->writes_unfused);
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
    fprintf(f, ",\"fused\":%s", r->no_fuse ? "false" : "true");
    if (b->floor_ms > 0) fprintf(f, ",\"floor_ratio\":%.3f", r->frame_ms / b->floor_ms);
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
    fprintf(f, ",\"image_reads_unfused\":%d,\"image_writes_unfused\":%d", n->reads_unfused,
            n->writes_unfused);
    if (n->fused_into[0]) {
      fputs(",\"fused_into\":", f);
      bench_json_str(f, n->fused_into);
    }
    const row *cf = cpu_row(b, 0), *cu = cpu_row(b, 1);
    if (cf)
      fprintf(f, ",\"cpu_ms\":%.4f,\"cpu_tile_ms\":%.4f", cf->node_ms[n->index],
              cf->tile_ms[n->index]);
    if (cu) fprintf(f, ",\"cpu_ms_unfused\":%.4f", cu->node_ms[n->index]);
    if (n->device_ms >= 0) fprintf(f, ",\"device_ms\":%.4f", n->device_ms);
    fputc('}', f);
  }
  fputs("]}\n", f);
}

static void print_table(const bench *b) {
  printf("machine: %s, %d cores, %d threads for the CPU backend; %s\n", b->cpu, b->cores,
         b->o.threads, b->isa);
  printf("load average (1, 5, 15 min) before: %s, after: %s%s\n", b->load_start, b->load_end,
         " (the machine may be shared: compare rows of one run)");
  printf("device: %s\n", b->device);
  printf(
      "workload: %s at %dx%d (1000 points, knn k=5, cubic Bezier 32 samples, 2 px lines, 100 "
      "boxes, 1000 dots, 5-layer merge), %d warm-up frames\n",
      SEED_FILE, b->o.width, b->o.height, b->o.warmup);
  printf(
      "full-frame passes per frame: fused %d image reads + %d image writes = %d (%d with the png "
      "sink), unfused %d (each node input linked to a materialised image and each image output "
      "counted as one whole canvas touched; tiles skipped as empty make the real traffic "
      "smaller)\n",
      b->reads, b->writes, b->reads + b->writes, b->png_reads + b->png_writes,
      b->reads_unfused + b->writes_unfused);
  printf(
      "write floor: one non-zero %dx%d FP16 image written by %d threads, median of 15: %.3f ms "
      "(x floor below = ms/frame / floor)\n\n",
      b->o.width, b->o.height, b->o.threads, b->floor_ms);
  printf(
      "| run | frames | host ms/call (median) | ms/frame (wall+flush) | x floor | fps | submit "
      "us/frame | arena bytes (lower bound) | host arena bytes |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int i = 0; i < b->n_rows; i++) {
    const row *r = &b->rows[i];
    if (!r->ran) {
      printf("| %s | failed: %s |\n", r->name, r->error);
      continue;
    }
    char sub[32] = "-";
    if (!strncmp(r->name, "cuda", 4)) snprintf(sub, sizeof sub, "%.2f", r->submit_us);
    printf("| %s | %d | %.3f | %.3f | %.2f | %.1f | %s | %zu (%zu) | %zu |\n", r->name, r->frames,
           r->host_median_ms, r->frame_ms, b->floor_ms > 0 ? r->frame_ms / b->floor_ms : 0.0,
           1e3 / r->frame_ms, sub, r->arena, r->lower, r->host_arena);
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
  const row *cf = cpu_row(b, 0), *cu = cpu_row(b, 1);
  printf(
      "\nper node, CPU ms/frame: a fused layer's time is its prepare (bin, build) plus its share "
      "of "
      "the merge's single pass (tiles column: cycle counts of its tile renders over all "
      "threads' cycles in the pass, times the pass's wall time); the merge keeps the rest of "
      "its pass (compositing). Unfused: each node's run.\n");
  printf(
      "\n| node | type | fused into | cpu ms | of which tiles | cpu ms unfused | image reads "
      "(unfused) | image writes (unfused) | device ms/frame |\n");
  printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
  double sum_f = 0, sum_u = 0;
  for (int i = 0; i < b->n_nodes; i++) {
    const node_row *n = &b->nodes[i];
    char dms[32] = "-", fms[32] = "-", tms[32] = "-", ums[32] = "-";
    if (n->device_ms >= 0)
      snprintf(dms, sizeof dms, "%.4f", n->device_ms);
    else if (b->have_cuda && b->profile_frames)
      snprintf(dms, sizeof dms, "host");
    if (cf) {
      snprintf(fms, sizeof fms, "%.3f", cf->node_ms[n->index]);
      if (n->fused_into[0]) snprintf(tms, sizeof tms, "%.3f", cf->tile_ms[n->index]);
      sum_f += cf->node_ms[n->index];
    }
    if (cu) {
      snprintf(ums, sizeof ums, "%.3f", cu->node_ms[n->index]);
      sum_u += cu->node_ms[n->index];
    }
    printf("| %s | %s | %s | %s | %s | %s | %d (%d) | %d (%d) | %s |\n", n->name, n->type,
           n->fused_into[0] ? n->fused_into : "-", fms, tms, ums, n->reads, n->reads_unfused,
           n->writes, n->writes_unfused, dms);
  }
  printf("| sum | | | %.3f | | %.3f | | | |\n", sum_f, sum_u);
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
  bench_isa(b.isa, sizeof b.isa);
  bench_loadavg(b.load_start, sizeof b.load_start);
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
  ysg_pipeline *plan = load(&b, ctx, YSG_BACKEND_CPU, 0, 0, 0, 0, outdir, err, sizeof err);
  if (!plan) {
    fprintf(stderr, "bench_seed: %s\n", err);
    ysg_context_destroy(ctx);
    return 1;
  }
  count_passes(&b, 0, ctx, plan, &b.reads, &b.writes);
  ysg_pipeline_destroy(plan);
  plan = load(&b, ctx, YSG_BACKEND_CPU, 0, 0, 1, 0, outdir, err, sizeof err);
  if (plan) count_passes(&b, 1, ctx, plan, &b.reads_unfused, &b.writes_unfused);
  ysg_pipeline_destroy(plan);
  plan = load(&b, ctx, YSG_BACKEND_CPU, 1, 0, 0, 0, outdir, err, sizeof err);
  if (plan) count_passes(NULL, 0, ctx, plan, &b.png_reads, &b.png_writes);
  ysg_pipeline_destroy(plan);

  /* rows timed together (interleaved frames) share a group number */
  struct {
    const char *name;
    ysg_backend backend;
    int png, no_graphs, no_fuse, frames, group;
  } runs[] = {{"cpu", YSG_BACKEND_CPU, 0, 0, 0, b.o.cpu_frames, 0},
              {"cpu unfused", YSG_BACKEND_CPU, 0, 0, 1, b.o.cpu_frames, 0},
              {"cpu png", YSG_BACKEND_CPU, 1, 0, 0, b.o.png_frames, 1},
              {"cuda replay", YSG_BACKEND_CUDA, 0, 0, 0, b.o.frames, 2},
              {"cuda replay unfused", YSG_BACKEND_CUDA, 0, 0, 1, b.o.frames, 2},
              {"cuda eager", YSG_BACKEND_CUDA, 0, 1, 0, b.o.frames, 3},
              {"cuda replay png", YSG_BACKEND_CUDA, 1, 0, 0, b.o.png_frames, 4}};
  int n_runs = (int)(sizeof runs / sizeof runs[0]);
  _Static_assert(sizeof runs / sizeof runs[0] <= sizeof b.rows / sizeof b.rows[0], "rows");
  b.floor_ms = write_floor_ms(b.o.width, b.o.height, b.o.threads);
  for (int i = 0; i < n_runs;) {
    int j = i;
    row *group[2];
    while (j < n_runs && runs[j].group == runs[i].group && j - i < 2) j++;
    if (runs[i].backend == YSG_BACKEND_CUDA && !b.have_cuda) {
      i = j;
      continue;
    }
    for (int k = i; k < j; k++) {
      row *r = &b.rows[b.n_rows++];
      r->name = runs[k].name;
      r->frames = runs[k].frames;
      r->no_fuse = runs[k].no_fuse;
      group[k - i] = r;
    }
    time_rows(&b, ctx, group, j - i, runs[i].backend, runs[i].png, runs[i].no_graphs, outdir);
    for (int k = 0; k < j - i; k++)
      if (!group[k]->ran) fprintf(stderr, "bench_seed: %s: %s\n", group[k]->name, group[k]->error);
    i = j;
  }
  if (b.have_cuda) profile_nodes(&b, ctx, outdir);
  bench_loadavg(b.load_end, sizeof b.load_end);

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
