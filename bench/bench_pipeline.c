/* bench_pipeline.c — time a pipeline frame by frame through the public API: per-frame statistics,
 * per-node ms/frame, and a memory-bandwidth reference measured in the same run (clearing a
 * 3840×2160 FP16 RGBA frame with memset and with all threads), so a frame time can be read as
 * "N full-frame clears". Prints the machine, a table, and one JSON line (also to --json PATH).
 * usage: bench_pipeline [FILE] [-n FRAMES] [--warmup K] [--threads N] [--json PATH] */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "ysgraph.h"

#define CLEAR_W 3840
#define CLEAR_H 2160
#define CLEAR_BYTES ((size_t)CLEAR_W * CLEAR_H * 8) /* FP16 RGBA */
#define CLEAR_REPS 10

/* ---- memory-bandwidth reference ----------------------------------------------------------------
 */
typedef struct clear_job {
  unsigned char *base;
  size_t begin, end;
} clear_job;

static void *clear_part(void *ud) {
  clear_job *j = ud;
  memset(j->base + j->begin, 0, j->end - j->begin);
#if defined(__GNUC__)
  __asm__ volatile("" : : "r"(j->base) : "memory"); /* the stores are the point: keep them */
#endif
  return NULL;
}

/* Best-of-CLEAR_REPS time (ms) to zero buf with nthreads threads (1: plain memset); *median gets
 * the median, which shows how much the best owes to a quiet moment or a cache-resident buffer. */
static double time_clear(unsigned char *buf, int nthreads, double *median) {
  pthread_t tid[256];
  clear_job jobs[256];
  int created[256];
  if (nthreads > 256) nthreads = 256;
  if (nthreads < 1) nthreads = 1;
  size_t chunk = (CLEAR_BYTES / (size_t)nthreads + 4095) & ~(size_t)4095;
  for (int t = 0; t < nthreads; t++) {
    size_t b = (size_t)t * chunk, e = b + chunk;
    if (b > CLEAR_BYTES) b = CLEAR_BYTES;
    jobs[t] = (clear_job){buf, b, e > CLEAR_BYTES ? CLEAR_BYTES : e};
  }
  double dt[CLEAR_REPS];
  for (int rep = 0; rep < CLEAR_REPS; rep++) {
    double t0 = bench_now_ms();
    for (int t = 1; t < nthreads; t++) {
      created[t] = pthread_create(&tid[t], NULL, clear_part, &jobs[t]) == 0;
      if (!created[t]) clear_part(&jobs[t]); /* no thread: do its share here */
    }
    clear_part(&jobs[0]);
    for (int t = 1; t < nthreads; t++)
      if (created[t]) pthread_join(tid[t], NULL);
    dt[rep] = bench_now_ms() - t0;
  }
  *median = bench_median(dt, CLEAR_REPS);
  return dt[0];
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

typedef struct result {
  const char *file, *backend, *order;
  char cpu[256];
  int cores, threads, frames, warmup, width, height;
  double mean, median, p90, min, max, flush_ms;
  double memset_ms, par_ms, memset_med, par_med;
  size_t arena, lower;
  int n_nodes;
  ysg_node_info *info;
  double *node_ms; /* ms/frame over the timed frames */
} result;

static void print_json(FILE *f, const result *r) {
  double gb = CLEAR_BYTES / 1e9;
  fputs("{\"bench\":\"pipeline\",\"file\":", f);
  bench_json_str(f, r->file);
  fputs(",\"cpu\":", f);
  bench_json_str(f, r->cpu);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"backend\":\"%s\",\"width\":%d,\"height\":%d", r->cores,
          r->threads, r->backend, r->width, r->height);
  fprintf(f, ",\"frames\":%d,\"warmup\":%d", r->frames, r->warmup);
  fprintf(f, ",\"frame_ms\":{\"mean\":%.4f,\"median\":%.4f,\"p90\":%.4f,\"min\":%.4f,\"max\":%.4f}",
          r->mean, r->median, r->p90, r->min, r->max);
  fprintf(f, ",\"flush_ms\":%.4f,\"arena_bytes\":%zu,\"lower_bound_bytes\":%zu,\"order\":",
          r->flush_ms, r->arena, r->lower);
  bench_json_str(f, r->order);
  fprintf(f,
          ",\"clear\":{\"bytes\":%zu,\"memset_ms\":%.4f,\"memset_gbs\":%.3f,"
          "\"memset_median_ms\":%.4f,\"parallel_ms\":%.4f,\"parallel_gbs\":%.3f,"
          "\"parallel_median_ms\":%.4f}",
          CLEAR_BYTES, r->memset_ms, gb / (r->memset_ms / 1e3), r->memset_med, r->par_ms,
          gb / (r->par_ms / 1e3), r->par_med);
  fprintf(f, ",\"frame_over_memset\":%.3f,\"frame_over_parallel_clear\":%.3f,\"nodes\":[",
          r->mean / r->memset_ms, r->mean / r->par_ms);
  for (int i = 0; i < r->n_nodes; i++) {
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    bench_json_str(f, r->info[i].name);
    fputs(",\"type\":", f);
    bench_json_str(f, r->info[i].type);
    fprintf(f, ",\"ms_per_frame\":%.4f}", r->node_ms[i]);
  }
  fputs("]}\n", f);
}

static const char usage_text[] =
    "usage: bench_pipeline [FILE] [-n FRAMES] [--warmup K] [--threads N] [--json PATH]\n"
    "                      [--set NAME=VALUE]...\n"
    "  FILE defaults to the showcase pipeline; outputs go to a temporary directory.\n";

static int usage(const char *msg) {
  fprintf(stderr, "bench_pipeline: %s\n%s", msg, usage_text);
  return 2;
}

int main(int argc, char **argv) {
  const char *file = YSG_SOURCE_DIR "/pipelines/showcase.lua", *json_path = NULL;
  int frames = 60, warmup = 3, threads = 0;
  ysg_define defines[32];
  int n_defines = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "-n") && has)
      frames = atoi(argv[++i]);
    else if (!strcmp(a, "--warmup") && has)
      warmup = atoi(argv[++i]);
    else if (!strcmp(a, "--threads") && has)
      threads = atoi(argv[++i]);
    else if (!strcmp(a, "--json") && has)
      json_path = argv[++i];
    else if (!strcmp(a, "--set") && has && n_defines < 32) {
      char *eq = strchr(argv[++i], '=');
      if (!eq) return usage("--set expects NAME=VALUE");
      *eq = 0;
      defines[n_defines].name = argv[i];
      defines[n_defines++].value = eq + 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
      return fputs(usage_text, stdout) < 0;
    else if (a[0] == '-')
      return usage("bad option or missing value");
    else
      file = a;
  }
  if (frames < 1 || warmup < 0 || threads < 0) return usage("expected -n >= 1, --warmup >= 0");

  result r;
  memset(&r, 0, sizeof r);
  r.file = file;
  r.frames = frames;
  r.warmup = warmup;
  bench_cpu_model(r.cpu, sizeof r.cpu);
  r.cores = bench_cores();
  r.threads = threads ? threads : r.cores;

  char outdir[] = "/tmp/ysgbench.XXXXXX";
  if (!mkdtemp(outdir)) {
    fprintf(stderr, "bench_pipeline: cannot create a temporary directory: %s\n", strerror(errno));
    return 3;
  }
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_pipeline";
  co.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  ysg_pipeline *p = NULL;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.output_dir = outdir;
  lo.defines = defines;
  lo.n_defines = n_defines;
  int rc = 0;
  double *times = calloc((size_t)frames, sizeof *times);
  ysg_status s = ysg_context_create(&co, &ctx);
  if (!s) s = ysg_pipeline_load_file(ctx, file, &lo, &p);
  if (s) {
    fprintf(stderr, "bench_pipeline: %s\n", ctx ? ysg_errmsg(ctx) : ysg_status_string(s));
    rc = s == YSG_ERR_IO ? 3 : 1;
    goto done;
  }
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  int span = cv->frames > 0 ? cv->frames : 1;
  r.width = cv->width;
  r.height = cv->height;
  r.backend = ysg_pipeline_backend(p) == YSG_BACKEND_CUDA ? "cuda" : "cpu";
  ysg_plan_info plan;
  ysg_pipeline_plan(p, &plan);
  r.arena = plan.arena_bytes;
  r.lower = plan.lower_bound_bytes;
  r.order = plan.order ? plan.order : "";

  for (int f = 0; f < warmup && !s; f++) s = ysg_pipeline_run_frame(p, f % span);
  if (!s) s = ysg_pipeline_flush(p);
  r.n_nodes = ysg_pipeline_node_count(p);
  r.info = calloc((size_t)r.n_nodes + 1, sizeof *r.info);
  r.node_ms = calloc((size_t)r.n_nodes + 1, sizeof *r.node_ms);
  for (int i = 0; i < r.n_nodes; i++) ysg_pipeline_node_info(p, i, &r.info[i]);
  for (int f = 0; f < frames && !s; f++) {
    double t0 = bench_now_ms();
    s = ysg_pipeline_run_frame(p, (warmup + f) % span);
    times[f] = bench_now_ms() - t0;
  }
  double t0 = bench_now_ms();
  if (!s) s = ysg_pipeline_flush(p);
  r.flush_ms = bench_now_ms() - t0;
  if (s) {
    fprintf(stderr, "bench_pipeline: %s\n", ysg_errmsg(ctx));
    rc = s == YSG_ERR_IO ? 3 : 1;
    goto done;
  }
  for (int i = 0; i < r.n_nodes; i++) {
    ysg_node_info after;
    ysg_pipeline_node_info(p, i, &after);
    r.node_ms[i] = (after.total_ms - r.info[i].total_ms) / frames;
  }

  double sum = 0;
  for (int f = 0; f < frames; f++) sum += times[f];
  r.mean = sum / frames;
  r.median = bench_median(times, frames);
  r.min = times[0];
  r.max = times[frames - 1];
  r.p90 = bench_percentile(times, frames, 0.9);

  unsigned char *buf = aligned_alloc(4096, CLEAR_BYTES);
  if (!buf) {
    fprintf(stderr, "bench_pipeline: out of memory for the clear reference\n");
    rc = 3;
    goto done;
  }
  memset(buf, 1, CLEAR_BYTES); /* fault the pages in before timing */
  r.memset_ms = time_clear(buf, 1, &r.memset_med);
  r.par_ms = time_clear(buf, r.threads, &r.par_med);
  free(buf);

  printf("machine: %s, %d cores, %d threads used\n", r.cpu, r.cores, r.threads);
  printf("pipeline: %s (%dx%d, backend %s), %d frames after %d warm-up\n", file, r.width, r.height,
         r.backend, frames, warmup);
  printf("arena: %zu bytes, lower bound %zu bytes (order %s)\n\n", r.arena, r.lower, r.order);
  int w = 4;
  for (int i = 0; i < r.n_nodes; i++)
    if ((int)strlen(r.info[i].name) > w) w = (int)strlen(r.info[i].name);
  printf("%-*s  %-10s  %10s  %6s\n", w, "node", "type", "ms/frame", "share");
  for (int i = 0; i < r.n_nodes; i++)
    printf("%-*s  %-10s  %10.3f  %5.1f%%\n", w, r.info[i].name, r.info[i].type, r.node_ms[i],
           r.mean > 0 ? 100 * r.node_ms[i] / r.mean : 0.0);
  printf("\nframe ms: mean %.3f  median %.3f  p90 %.3f  min %.3f  max %.3f  (%.1f fps)\n", r.mean,
         r.median, r.p90, r.min, r.max, 1e3 / r.mean);
  printf("flush after the timed frames: %.3f ms\n", r.flush_ms);
  double gb = CLEAR_BYTES / 1e9;
  printf("clear %dx%d FP16 RGBA (%.1f MB), best of %d (median):\n", CLEAR_W, CLEAR_H,
         CLEAR_BYTES / 1e6, CLEAR_REPS);
  printf("  memset      %.3f ms (%.3f) = %.2f GB/s\n", r.memset_ms, r.memset_med,
         gb / (r.memset_ms / 1e3));
  printf("  %2d threads  %.3f ms (%.3f) = %.2f GB/s\n", r.threads, r.par_ms, r.par_med,
         gb / (r.par_ms / 1e3));
  printf("mean frame = %.2f x memset clear = %.2f x parallel clear\n\n", r.mean / r.memset_ms,
         r.mean / r.par_ms);
  print_json(stdout, &r);
  if (json_path) {
    FILE *f = fopen(json_path, "w");
    if (!f) {
      fprintf(stderr, "bench_pipeline: cannot write '%s': %s\n", json_path, strerror(errno));
      rc = 3;
    } else {
      print_json(f, &r);
      if (fclose(f)) rc = 3;
    }
  }

done:
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  free(times);
  free(r.info);
  free(r.node_ms);
  nftw(outdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
