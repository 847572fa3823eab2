/* bench_primitives.c — the primitives search at fogleman/primitive's budget (triangles, best of
 * 1000 random shapes, 16 climbs, age 100, opacity 128/255: ~20 000 evaluations per shape) on the
 * bundled photo-like picture at 256² and 1024² (the 256² picture upsampled): evaluations/s,
 * shapes/s and the final RMSE after 100 and 500 shapes, CPU (2 threads by default) and CUDA side
 * by side in one run (CUDA rows say why when skipped). RMSE is given as the search measures it
 * (linear premultiplied RGBA) and as primitive does (8-bit sRGB RGBA / 255).
 * Usage: bench_primitives [--sizes 256,1024] [--shapes 500] [--threads 2] [--json PATH] */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_util.h"
#include "color.h"
#include "internal.h"
#include "prim_search.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/prim_api.h"
#endif

static int g_threads = 2;

static void par_omp(void *par, int count, int grain, ysg_range_fn fn, void *ud) {
  (void)par;
#ifdef _OPENMP
  int chunks = (count + grain - 1) / grain;
#pragma omp parallel for schedule(dynamic, 1) num_threads(g_threads)
  for (int c = 0; c < chunks; c++) {
    int b = c * grain, e = b + grain < count ? b + grain : count;
    fn(ud, b, e);
  }
#else
  fn(ud, 0, count);
#endif
}

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* the bundled picture as linear premultiplied floats, resampled (bilinear) to n × n */
static float *load_target(int n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/pipelines/data/prim_photo.png", YSG_SOURCE_DIR);
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path)) return NULL;
  im.format = PNG_FORMAT_RGBA;
  int W = (int)im.width, H = (int)im.height;
  uint8_t *rgba = malloc((size_t)W * H * 4);
  float *lin = malloc((size_t)W * H * 4 * sizeof(float));
  float *out = malloc((size_t)n * n * 4 * sizeof(float));
  if (!rgba || !lin || !out || !png_image_finish_read(&im, NULL, rgba, 0, NULL)) return NULL;
  for (int i = 0; i < W * H; i++) {
    float a = rgba[i * 4 + 3] / 255.0f;
    for (int q = 0; q < 3; q++) lin[i * 4 + q] = ysg_srgb_to_linear(rgba[i * 4 + q] / 255.0f) * a;
    lin[i * 4 + 3] = a;
  }
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      float sx = ((float)x + 0.5f) * W / n - 0.5f, sy = ((float)y + 0.5f) * H / n - 0.5f;
      int x0 = (int)floorf(sx), y0 = (int)floorf(sy);
      float fx = sx - x0, fy = sy - y0;
      for (int q = 0; q < 4; q++) {
        float v = 0;
        for (int k = 0; k < 4; k++) {
          int xx = x0 + (k & 1), yy = y0 + (k >> 1);
          xx = xx < 0 ? 0 : (xx >= W ? W - 1 : xx);
          yy = yy < 0 ? 0 : (yy >= H ? H - 1 : yy);
          float wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
          v += wgt * lin[((size_t)yy * W + xx) * 4 + q];
        }
        out[((size_t)y * n + x) * 4 + q] = v;
      }
    }
  free(rgba);
  free(lin);
  return out;
}

/* primitive's metric: RMSE over 8-bit sRGB straight RGBA, / 255 */
static double rmse_srgb8(const float *a, const float *b, size_t px) {
  double sum = 0;
  for (size_t i = 0; i < px; i++) {
    float pa[4], pb[4];
    uint32_t ea[4], eb[4];
    memcpy(pa, a + i * 4, sizeof pa);
    memcpy(pb, b + i * 4, sizeof pb);
    ysg_encode_srgb(pa, 255.0f, ea);
    ysg_encode_srgb(pb, 255.0f, eb);
    for (int q = 0; q < 4; q++) sum += ((double)ea[q] - eb[q]) * ((double)ea[q] - eb[q]);
  }
  return sqrt(sum / (double)(px * 4)) / 255.0;
}

typedef struct row {
  const char *backend;
  int size, shapes;
  double wall_ms, cpu_ms;
  int64_t evals;
  double rmse_lin, rmse_srgb;
  char note[160];
} row;

static row rows[64];
static int n_rows;

static void setup(prim_search *s, void **mem, const float *tgt, int n, const prim_opts *o,
                  prim_space *sp) {
  *mem = aligned_alloc(64, (prim_search_bytes(n, n, o->climbs) + 63) / 64 * 64);
  prim_search_bind(s, *mem, n, n, o->climbs);
  memcpy(s->tgt, tgt, (size_t)n * n * 4 * sizeof(float));
  float mean[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < (size_t)n * n; i++)
    for (int q = 0; q < 4; q++) mean[q] += s->tgt[i * 4 + q] / ((float)n * n);
  prim_space_init(sp, n, n, 1u << YSG_PRIM_TRIANGLE, 1);
  prim_search_begin(s, mean);
}

static void run_cpu(const float *tgt, int n, int max_shapes, prim_record *rec) {
  prim_opts o = {max_shapes, 1000, 16, 100, 128.0f / 255.0f};
  prim_search s;
  prim_space sp;
  void *mem;
  setup(&s, &mem, tgt, n, &o, &sp);
  double w0 = bench_now_ms(), c0 = cpu_ms();
  int64_t evals = 0;
  for (int i = 0; i < max_shapes; i++) {
    evals += prim_search_step(&s, &o, &sp, i, NULL, &rec[i], par_omp, NULL);
    if (i + 1 == 100 || i + 1 == max_shapes) {
      row *r = &rows[n_rows++];
      memset(r, 0, sizeof *r);
      r->backend = "CPU";
      r->size = n;
      r->shapes = i + 1;
      r->wall_ms = bench_now_ms() - w0;
      r->cpu_ms = cpu_ms() - c0;
      r->evals = evals;
      r->rmse_lin = rec[i].error;
      r->rmse_srgb = rmse_srgb8(s.cur, s.tgt, (size_t)n * n);
      snprintf(r->note, sizeof r->note, "%d threads", g_threads);
      fprintf(stderr, "  CPU %d² %d shapes: %.1f s\n", n, i + 1, r->wall_ms / 1e3);
    }
  }
  free(mem);
}

static void run_cuda(const float *tgt, int n, int shapes, const prim_record *cpu) {
  row *r = &rows[n_rows++];
  memset(r, 0, sizeof *r);
  r->backend = "CUDA";
  r->size = n;
  r->shapes = shapes;
#ifdef YSG_HAVE_CUDA
  char why[512] = "";
  if (!ysg__cuda_probe(why, sizeof why)) {
    snprintf(r->note, sizeof r->note, "skipped: %s", why);
    return;
  }
  prim_opts o = {shapes, 1000, 16, 100, 128.0f / 255.0f};
  prim_search s;
  prim_space sp;
  void *mem;
  setup(&s, &mem, tgt, n, &o, &sp);
  ysg_cuda_prim *dev = NULL;
  prim_record *rec = malloc(sizeof *rec * (size_t)shapes);
  char err[512] = "";
  if (ysg__cuda_prim_create(n, n, shapes, o.climbs, o.candidates, &dev, err, sizeof err)) {
    snprintf(r->note, sizeof r->note, "failed: %s", err);
  } else {
    double w0 = bench_now_ms();
    int64_t evals = 0;
    if (ysg__cuda_prim_search(dev, &s, &o, &sp, NULL, rec, &evals, err, sizeof err)) {
      snprintf(r->note, sizeof r->note, "failed: %s", err);
    } else {
      r->wall_ms = bench_now_ms() - w0;
      r->evals = evals;
      r->rmse_lin = rec[shapes - 1].error;
      int same = 1;
      for (int i = 0; i < shapes && cpu; i++)
        same &= rec[i].kind == cpu[i].kind && !memcmp(rec[i].g, cpu[i].g, sizeof rec[i].g);
      snprintf(r->note, sizeof r->note, "shapes %s the CPU's",
               same ? "identical to" : "DIFFER from");
    }
    ysg__cuda_prim_destroy(dev);
  }
  free(rec);
  free(mem);
#else
  (void)tgt;
  (void)cpu;
  snprintf(r->note, sizeof r->note, "skipped: built without CUDA");
#endif
}

int main(int argc, char **argv) {
  int sizes[4] = {256, 1024}, n_sizes = 2, max_shapes = 500;
  const char *json = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
      n_sizes = 0;
      for (char *t = strtok(argv[++i], ","); t && n_sizes < 4; t = strtok(NULL, ","))
        sizes[n_sizes++] = atoi(t);
    } else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) {
      max_shapes = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      g_threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
      json = argv[++i];
    } else {
      fprintf(stderr,
              "usage: bench_primitives [--sizes 256,1024] [--shapes 500] [--threads 2] "
              "[--json PATH]\n");
      return 2;
    }
  }
  if (max_shapes < 1 || g_threads < 1) return 2;
  char cpu[256], isa[128], load0[64], load1[64];
  bench_cpu_model(cpu, sizeof cpu);
  bench_isa(isa, sizeof isa);
  bench_loadavg(load0, sizeof load0);
  for (int k = 0; k < n_sizes; k++) {
    float *tgt = load_target(sizes[k]);
    if (!tgt) {
      fprintf(stderr, "bench_primitives: cannot read pipelines/data/prim_photo.png\n");
      return 1;
    }
    prim_record *rec = malloc(sizeof *rec * (size_t)max_shapes);
    run_cpu(tgt, sizes[k], max_shapes, rec);
    if (max_shapes >= 100) run_cuda(tgt, sizes[k], 100, rec);
    if (max_shapes != 100) run_cuda(tgt, sizes[k], max_shapes, rec);
    free(rec);
    free(tgt);
  }
  bench_loadavg(load1, sizeof load1);
  printf("primitives search, triangles, 1000 random x 16 climbs, age 100, alpha 128/255\n");
  printf("machine: %s, %d cores, %s; load average %s (start) / %s (end)\n", cpu, bench_cores(), isa,
         load0, load1);
  printf(
      "| backend | size | shapes | wall s | CPU s | evaluations | eval/s (wall) | eval/CPU-s "
      "| shapes/s | RMSE linear | RMSE sRGB8 | note |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (int i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    if (!r->wall_ms) {
      printf("| %s | %d² | %d | | | | | | | | | %s |\n", r->backend, r->size, r->shapes, r->note);
      continue;
    }
    printf("| %s | %d² | %d | %.2f | %.2f | %lld | %.3g | %.3g | %.3g | %.4f | %.4f | %s |\n",
           r->backend, r->size, r->shapes, r->wall_ms / 1e3, r->cpu_ms / 1e3, (long long)r->evals,
           r->evals / (r->wall_ms / 1e3), r->cpu_ms > 0 ? r->evals / (r->cpu_ms / 1e3) : 0.0,
           r->shapes / (r->wall_ms / 1e3), r->rmse_lin, r->rmse_srgb, r->note);
  }
  printf(
      "reference (not run here: Go is not available): fogleman/primitive, 2 idle cores, as "
      "quoted by issue 16: 80-111 k eval/CPU-s at 256², 16-34 k at 1024²; 500 triangles ~44 s "
      "at 256², ~157 s at 1024²; RMSE 0.0366 / 0.0347 (sRGB8, a 512² portrait resized)\n");
  FILE *f = json ? fopen(json, "w") : stdout;
  if (!f) return 1;
  fprintf(f, "{\"bench\":\"primitives\",\"cpu\":");
  bench_json_str(f, cpu);
  fprintf(f, ",\"isa\":");
  bench_json_str(f, isa);
  fprintf(f, ",\"load\":[\"%s\",\"%s\"],\"rows\":[", load0, load1);
  for (int i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    fprintf(f,
            "%s{\"backend\":\"%s\",\"size\":%d,\"shapes\":%d,\"wall_ms\":%.3f,\"cpu_ms\":%.3f,"
            "\"evals\":%lld,\"rmse_linear\":%.6f,\"rmse_srgb8\":%.6f,\"note\":",
            i ? "," : "", r->backend, r->size, r->shapes, r->wall_ms, r->cpu_ms,
            (long long)r->evals, r->rmse_lin, r->rmse_srgb);
    bench_json_str(f, r->note);
    fprintf(f, "}");
  }
  fprintf(f, "]}\n");
  if (f != stdout) fclose(f);
  return 0;
}
