/* bench_annotate.c — the annotation nodes at 4K (issue 14 §4–5): trails (1000 ids × 60 frames of
 * history from a seekable source, drawn tapered by line: steady sequential frames and a cold
 * random-access frame that reads all 60 past frames), 100 polygons (fill + stroke, fill only) and
 * 1000 arrows (line with an arrow head) beside 1000 plain lines, drawn by ysgraph's CPU backend
 * (the render node's run() is timed) and by Cairo on the same geometry in the same run; alpha
 * (coverage) of the two is compared after timing. Prints the machine, a Markdown table and one
 * JSON line (also to --json PATH).
 * usage: bench_annotate [--size WxH] [--threads N] [--reps N] [--warmup K] [--json PATH] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#ifdef YSG_HAVE_CAIRO
#include <cairo.h>
#endif

#define N_POLYS 100
#define MAX_PV 16 /* vertices per polygon */
#define N_ARROWS 1000
#define TRAIL_IDS 1000
#define TRAIL_LEN 60
#define STROKE 2.0
#define HEAD_LEN 12.0
#define HEAD_W 10.0
#define PI 3.14159265358979323846

/* ---- geometry (fixed seed: every run and both renderers draw the same picture) ----------------
 */
static uint64_t rng = 0x2545f4914f6cdd1dull;

typedef struct geom {
  int nv; /* polygon vertices */
  float pxy[2 * N_POLYS * MAX_PV];
  int32_t pid[N_POLYS * MAX_PV];
  int pstart[N_POLYS + 1];
  float axy[4 * N_ARROWS]; /* arrow i: (ax, ay) -> (bx, by), points 2i and 2i+1 */
} geom;

/* Stars of 8-16 points (concave: every other vertex at 0.55 of the radius), radius 30-150 px at
 * 4K (scaled with the canvas). */
static void make_geom(geom *g, int w, int h) {
  double k = sqrt((double)w * h / (3840.0 * 2160.0));
  g->nv = 0;
  for (int p = 0; p < N_POLYS; p++) {
    int n = 2 * (4 + (int)bench_uniform(&rng, 0, 4.999));
    double r = bench_uniform(&rng, 30, 150) * k, a0 = bench_uniform(&rng, 0, 2 * PI);
    double cx = bench_uniform(&rng, r, w - r), cy = bench_uniform(&rng, r, h - r);
    g->pstart[p] = g->nv;
    for (int v = 0; v < n; v++) {
      double a = a0 + 2 * PI * v / n, rr = v % 2 ? 0.55 * r : r;
      g->pxy[2 * g->nv] = (float)(cx + rr * cos(a));
      g->pxy[2 * g->nv + 1] = (float)(cy + rr * sin(a));
      g->pid[g->nv++] = p;
    }
  }
  g->pstart[N_POLYS] = g->nv;
  for (int i = 0; i < N_ARROWS; i++) {
    double len = bench_uniform(&rng, 40, 200) * k, a = bench_uniform(&rng, 0, 2 * PI);
    double ax = bench_uniform(&rng, len, w - len), ay = bench_uniform(&rng, len, h - len);
    float *o = &g->axy[4 * i];
    o[0] = (float)ax;
    o[1] = (float)ay;
    o[2] = (float)(ax + len * cos(a));
    o[3] = (float)(ay + len * sin(a));
  }
}

/* ---- a host source: arrow i is the edge (2i, 2i+1) --------------------------------------------
 */
static ysg_status pairs_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = N_ARROWS;
  return YSG_OK;
}
static ysg_status pairs_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  for (int i = 0; i < N_ARROWS; i++) {
    v->ij[2 * i] = 2 * i;
    v->ij[2 * i + 1] = 2 * i + 1;
  }
  v->count = N_ARROWS;
  return YSG_OK;
}
static const ysg_port_def pairs_out[] = {{"edges", YSG_EDGES, 0, "(2i, 2i+1)", NULL, 0}};
static const ysg_node_type pairs_type = {.name = "bench_pairs",
                                         .category = "source",
                                         .doc = "Edges between points 2i and 2i+1.",
                                         .outputs = pairs_out,
                                         .n_outputs = 1,
                                         .infer = pairs_infer,
                                         .run = pairs_run};

/* ---- scenes -----------------------------------------------------------------------------------
 */
typedef enum kind { K_POLY, K_POLY_FILL, K_ARROWS, K_LINES } kind;
typedef struct scene {
  const char *key, *label;
  kind kind;
} scene;
static const scene scenes[] = {
    {"polygons_100", "100 polygons (8-16 vertices, concave), fill 0.5 + 2 px stroke", K_POLY},
    {"polygons_100_fill", "100 polygons, fill only", K_POLY_FILL},
    {"arrows_1000", "1000 arrows, 2 px, head 12×10 px", K_ARROWS},
    {"lines_1000", "the same 1000 lines without heads (round caps)", K_LINES},
};
#define N_SCENES ((int)(sizeof scenes / sizeof scenes[0]))

typedef struct result {
  int ok, have_cairo;
  double ysg_ms, ysg_min, cairo_ms, cairo_min;
  double ysg_cpu_ms, cairo_cpu_ms; /* process CPU time per frame (all threads), median */
  double mad, max_diff, frac_off;
} result;

/* CPU time of the whole process (all its threads), ms: beside wall time it shows the work done
 * when other processes share the cores */
static double cpu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void scene_source(const scene *sc, int w, int h, char *src, size_t cap) {
  int k = snprintf(src, cap, "canvas{width=%d, height=%d, frames=1}\n", w, h);
  if (sc->kind == K_POLY || sc->kind == K_POLY_FILL)
    snprintf(src + k, cap - k,
             "polygon{name='render', points=points_in{name='pts', capacity=%d}, fill='#ffffff', "
             "fill_opacity=0.5, color='#ffffff', width=%g}\n",
             N_POLYS * MAX_PV, sc->kind == K_POLY ? STROKE : 0.0);
  else
    snprintf(src + k, cap - k,
             "line{name='render', points=points_in{name='pts', capacity=%d}, "
             "edges=bench_pairs{}, width=%g, color='#ffffff'%s}\n",
             2 * N_ARROWS, STROKE,
             sc->kind == K_ARROWS ? ", cap_end='arrow', arrow_length=12, arrow_width=10" : "");
}

static ysg_status feed(ysg_pipeline *p, const scene *sc, const geom *g) {
  if (sc->kind == K_POLY || sc->kind == K_POLY_FILL) {
    ysg_points_desc d = {.count = g->nv, .xy = g->pxy, .id = g->pid};
    return ysg_pipeline_set_points(p, "pts", &d);
  }
  ysg_points_desc d = {.count = 2 * N_ARROWS, .xy = g->axy};
  return ysg_pipeline_set_points(p, "pts", &d);
}

static int node_index(ysg_pipeline *p, const char *name) {
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) && !strcmp(ni.name, name)) return i;
  }
  return -1;
}

static double node_ms(ysg_pipeline *p, int node) {
  ysg_node_info ni;
  return node >= 0 && !ysg_pipeline_node_info(p, node, &ni) ? ni.total_ms : 0;
}

static int run_ysgraph(ysg_context *ctx, const scene *sc, const geom *g, int w, int h, int warmup,
                       int reps, double *dt, uint8_t *rgba8, result *r) {
  char src[1024];
  scene_source(sc, w, h, src, sizeof src);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  static const char *const keep[] = {"render"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "bench_annotate.lua", &lo, &p);
  if (!s) s = feed(p, sc, g);
  int node = s ? -1 : node_index(p, "render");
  for (int f = 0; !s && f < warmup; f++) s = ysg_pipeline_run_frame(p, 0);
  double *cpu = malloc(sizeof(double) * (size_t)reps);
  for (int f = 0; !s && f < reps; f++) {
    double a = node_ms(p, node), c0 = cpu_now_ms();
    s = ysg_pipeline_run_frame(p, 0);
    dt[f] = node_ms(p, node) - a;
    if (cpu) cpu[f] = cpu_now_ms() - c0;
  }
  if (!s && cpu) r->ysg_cpu_ms = bench_median(cpu, reps);
  free(cpu);
  if (!s)
    s = ysg_pipeline_read_image(p, "render", YSG_RGBA8_SRGB, rgba8, (size_t)w * 4 * (size_t)h,
                                (size_t)w * 4);
  if (s) {
    fprintf(stderr, "bench_annotate: %s: %s\n", sc->key, ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    return -1;
  }
  r->ysg_ms = bench_median(dt, reps);
  r->ysg_min = dt[0];
  r->ok = 1;
  ysg_pipeline_destroy(p);
  return 0;
}

/* ---- Cairo: the same shapes, each filled/stroked on its own (Cairo's faster way) ---------------
 */
#ifdef YSG_HAVE_CAIRO
static void cairo_draw(cairo_t *cr, const scene *sc, const geom *g) {
  cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  cairo_set_line_width(cr, STROKE);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  if (sc->kind == K_POLY || sc->kind == K_POLY_FILL) {
    for (int p = 0; p < N_POLYS; p++) {
      cairo_new_path(cr);
      for (int v = g->pstart[p]; v < g->pstart[p + 1]; v++)
        (v == g->pstart[p] ? cairo_move_to : cairo_line_to)(cr, g->pxy[2 * v], g->pxy[2 * v + 1]);
      cairo_close_path(cr);
      cairo_set_source_rgba(cr, 1, 1, 1, 0.5);
      if (sc->kind == K_POLY_FILL) {
        cairo_fill(cr);
        continue;
      }
      cairo_fill_preserve(cr);
      cairo_set_source_rgba(cr, 1, 1, 1, 1);
      cairo_stroke(cr);
    }
    return;
  }
  cairo_set_source_rgba(cr, 1, 1, 1, 1);
  double h = STROKE / 2, hb = HEAD_W / 2, ov = 0.5 * HEAD_LEN * (1 - h / hb);
  for (int i = 0; i < N_ARROWS; i++) {
    const float *a = &g->axy[4 * i];
    double dx = a[2] - a[0], dy = a[3] - a[1], l = hypot(dx, dy);
    dx /= l, dy /= l;
    double e = sc->kind == K_ARROWS ? l - (HEAD_LEN - ov) : l;
    cairo_move_to(cr, a[0], a[1]);
    cairo_line_to(cr, a[0] + e * dx, a[1] + e * dy);
    cairo_stroke(cr);
    if (sc->kind != K_ARROWS) continue;
    double bx = a[2] - HEAD_LEN * dx, by = a[3] - HEAD_LEN * dy;
    cairo_move_to(cr, a[2], a[3]);
    cairo_line_to(cr, bx - hb * dy, by + hb * dx);
    cairo_line_to(cr, bx + hb * dy, by - hb * dx);
    cairo_close_path(cr);
    cairo_fill(cr);
  }
}

static int run_cairo(const scene *sc, const geom *g, int w, int h, int warmup, int reps, double *dt,
                     const uint8_t *rgba8, result *r) {
  cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create(surf);
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return -1;
  }
  double *cpu = malloc(sizeof(double) * (size_t)reps);
  for (int f = 0; f < warmup + reps; f++) {
    double t0 = bench_now_ms(), c0 = cpu_now_ms();
    cairo_draw(cr, sc, g);
    cairo_surface_flush(surf);
    if (f >= warmup) dt[f - warmup] = bench_now_ms() - t0;
    if (f >= warmup && cpu) cpu[f - warmup] = cpu_now_ms() - c0;
  }
  r->cairo_ms = bench_median(dt, reps);
  r->cairo_min = dt[0];
  if (cpu) r->cairo_cpu_ms = bench_median(cpu, reps);
  free(cpu);
  const unsigned char *data = cairo_image_surface_get_data(surf);
  int stride = cairo_image_surface_get_stride(surf);
  bench_alpha_diff a = bench_compare_alpha(data, stride, rgba8, w, h);
  r->mad = a.mean;
  r->max_diff = a.max;
  r->frac_off = a.frac_off;
  r->have_cairo = 1;
  cairo_destroy(cr);
  cairo_surface_destroy(surf);
  return 0;
}
#endif

/* ---- trails -------------------------------------------------------------------------------------
 */
typedef struct trail_result {
  int ok;
  double frame_ms, trail_ms, line_ms; /* steady sequential frames: medians */
  double cold_trail_ms;               /* a fresh pipeline's first frame (60 frames read): median */
  int trails, segments;
} trail_result;

static ysg_status trail_load(ysg_context *ctx, int w, int h, ysg_pipeline **p) {
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=%d, height=%d, frames=100000}\n"
           "local s = scatter{count=%d, speed=150, seed=7}\n"
           "local t = trail{name='trail', points=s, length=%d}\n"
           "line{name='render', curves=t, width=4, taper=0, taper_opacity=0, color='#ffcc00'}\n",
           w, h, TRAIL_IDS, TRAIL_LEN);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  static const char *const keep[] = {"trail", "render"};
  lo.keep = keep;
  lo.n_keep = 2;
  return ysg_pipeline_load_string(ctx, src, "bench_annotate.lua", &lo, p);
}

static int run_trails(ysg_context *ctx, int w, int h, int warmup, int reps, double *dt,
                      trail_result *r) {
  ysg_pipeline *p = NULL;
  ysg_status s = trail_load(ctx, w, h, &p);
  int tn = s ? -1 : node_index(p, "trail"), ln = s ? -1 : node_index(p, "render");
  int f = 0;
  for (; !s && f < TRAIL_LEN + warmup; f++) s = ysg_pipeline_run_frame(p, f);
  double *tt = malloc(sizeof(double) * (size_t)reps), *lt = malloc(sizeof(double) * (size_t)reps);
  for (int k = 0; !s && k < reps; k++, f++) {
    double a = node_ms(p, tn), b = node_ms(p, ln), t0 = bench_now_ms();
    s = ysg_pipeline_run_frame(p, f);
    dt[k] = bench_now_ms() - t0;
    tt[k] = node_ms(p, tn) - a;
    lt[k] = node_ms(p, ln) - b;
  }
  const ysg_value *v = NULL;
  if (!s) s = ysg_pipeline_get_value(p, "trail", &v);
  if (!s) {
    r->trails = v->count;
    r->segments = v->count * (TRAIL_LEN - 1);
    r->frame_ms = bench_median(dt, reps);
    r->trail_ms = bench_median(tt, reps);
    r->line_ms = bench_median(lt, reps);
  }
  ysg_pipeline_destroy(p);
  int cold = reps < 5 ? reps : 5;
  for (int k = 0; !s && k < cold; k++) { /* random access: a fresh pipeline's first frame */
    p = NULL;
    s = trail_load(ctx, w, h, &p);
    if (!s) s = ysg_pipeline_run_frame(p, 1000 + 37 * k);
    if (!s) dt[k] = node_ms(p, node_index(p, "trail"));
    ysg_pipeline_destroy(p);
  }
  if (!s) r->cold_trail_ms = bench_median(dt, cold);
  free(tt);
  free(lt);
  if (s) fprintf(stderr, "bench_annotate: trails: %s\n", ysg_errmsg(ctx));
  r->ok = !s;
  return s ? -1 : 0;
}

/* ---- report ---------------------------------------------------------------------------------- */
static const char *isa(void) {
#if defined(__AVX512F__)
  return "AVX-512 (built with -march supporting it)";
#elif defined(__AVX2__)
  return "AVX2";
#elif defined(__x86_64__)
  return "x86-64 baseline (SSE2)";
#else
  return "generic";
#endif
}

int main(int argc, char **argv) {
  int w = 3840, h = 2160, threads = 2, reps = 10, warmup = 2;
  const char *json_path = NULL;
  for (int i = 1; i < argc; i++) {
    int has = i + 1 < argc;
    if (!strcmp(argv[i], "--size") && has) {
      if (sscanf(argv[++i], "%dx%d", &w, &h) != 2) w = 0;
    } else if (!strcmp(argv[i], "--threads") && has)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && has)
      reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && has)
      warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json") && has)
      json_path = argv[++i];
    else {
      fprintf(stderr,
              "usage: bench_annotate [--size WxH] [--threads N] [--reps N] [--warmup K] "
              "[--json PATH]\n  defaults: --size 3840x2160 --threads 2 --reps 10 --warmup 2\n");
      return 2;
    }
  }
  if (w < 256 || h < 256 || w > 16384 || h > 16384 || threads < 1 || reps < 1 || warmup < 0) {
    fprintf(stderr,
            "bench_annotate: expected --size from 256x256 to 16384x16384, --threads >= "
            "1, --reps >= 1, --warmup >= 0\n");
    return 2;
  }
  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  geom *g = calloc(1, sizeof *g);
  uint8_t *rgba8 = malloc((size_t)w * h * 4);
  double *dt = malloc(sizeof(double) * (size_t)(reps > 5 ? reps : 5));
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_annotate";
  ysg_context *ctx = NULL;
  if (!g || !rgba8 || !dt || ysg_context_create(&co, &ctx) ||
      ysg_register_node_type(ctx, &pairs_type)) {
    fprintf(stderr, "bench_annotate: cannot set up (out of memory or no context)\n");
    return 3;
  }
  make_geom(g, w, h);
  result res[N_SCENES];
  memset(res, 0, sizeof res);
  trail_result tr;
  memset(&tr, 0, sizeof tr);
  int rc = 0;
  for (int i = 0; i < N_SCENES; i++) {
    if (run_ysgraph(ctx, &scenes[i], g, w, h, warmup, reps, dt, rgba8, &res[i])) rc = 1;
#ifdef YSG_HAVE_CAIRO
    if (res[i].ok) run_cairo(&scenes[i], g, w, h, warmup, reps, dt, rgba8, &res[i]);
#endif
  }
  if (run_trails(ctx, w, h, warmup, reps, dt, &tr)) rc = 1;
  char load[128] = "unknown";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load, sizeof load, lf)) snprintf(load, sizeof load, "unknown");
    load[strcspn(load, "\n")] = 0;
    fclose(lf);
  }
  printf("machine: %s, %d cores, instruction set %s; ysgraph CPU backend, %d threads\n", cpu,
         bench_cores(), isa(), threads);
  printf("load average at the end of the run (/proc/loadavg): %s\n", load);
#ifdef YSG_HAVE_CAIRO
  printf("cairo: %s, single-threaded, each shape filled/stroked on its own\n",
         cairo_version_string());
#else
  printf("cairo: not found (build with libcairo2-dev to compare)\n");
#endif
  printf("canvas %dx%d; median of %d reps after %d warm-up; ysgraph: the render node's run()\n\n",
         w, h, reps, warmup);
  printf(
      "| scene | ysgraph ms | Cairo ms | speedup | ysgraph CPU ms | Cairo CPU ms | alpha vs "
      "Cairo: mean, max |\n");
  printf("|---|---:|---:|---:|---:|---:|---|\n");
  for (int i = 0; i < N_SCENES; i++) {
    const result *r = &res[i];
    char y[32] = "failed", c[32] = "–", sp[32] = "–", al[64] = "–", yc[32] = "–", cc[32] = "–";
    if (r->ok) snprintf(y, sizeof y, "%.2f", r->ysg_ms);
    if (r->ok) snprintf(yc, sizeof yc, "%.2f", r->ysg_cpu_ms);
    if (r->have_cairo) {
      snprintf(c, sizeof c, "%.2f", r->cairo_ms);
      snprintf(cc, sizeof cc, "%.2f", r->cairo_cpu_ms);
      snprintf(sp, sizeof sp, "%.1f×", r->cairo_ms / r->ysg_ms);
      snprintf(al, sizeof al, "%.4f, %.3f", r->mad, r->max_diff);
    }
    printf("| %s | %s | %s | %s | %s | %s | %s |\n", scenes[i].label, y, c, sp, yc, cc, al);
  }
  printf(
      "(ms: wall time of the render node's run() / of Cairo's clear + draw; CPU ms: the "
      "process's CPU time per frame, all threads)\n");
  if (tr.ok) {
    printf(
        "\ntrails: %d ids × %d frames of history (%d trails, %d segments), line width 4 "
        "tapered to 0 and faded with age\n",
        TRAIL_IDS, TRAIL_LEN, tr.trails, tr.segments);
    printf("| trails | ms |\n|---|---:|\n");
    printf("| whole frame, sequential (scatter + trail + line) | %.2f |\n", tr.frame_ms);
    printf("| trail node, sequential (one new frame read) | %.2f |\n", tr.trail_ms);
    printf("| line node drawing the trails | %.2f |\n", tr.line_ms);
    printf(
        "| trail node, random access (a fresh pipeline's first frame: %d frames read) | %.2f |\n",
        TRAIL_LEN, tr.cold_trail_ms);
  }
  printf("\nCUDA: not measured (no device)\n");
  FILE *jf[2] = {stdout, json_path ? fopen(json_path, "w") : NULL};
  for (int k = 0; k < 2; k++) {
    FILE *f = jf[k];
    if (!f) continue;
    fputs("{\"bench\":\"annotate\",\"cpu\":", f);
    bench_json_str(f, cpu);
    fprintf(f, ",\"isa\":\"%s\",\"threads\":%d,\"width\":%d,\"height\":%d,\"reps\":%d", isa(),
            threads, w, h, reps);
    fputs(",\"loadavg\":", f);
    bench_json_str(f, load);
    fputs(",\"scenes\":[", f);
    for (int i = 0; i < N_SCENES; i++) {
      const result *r = &res[i];
      fprintf(f,
              "%s{\"scene\":\"%s\",\"ysgraph_ms\":%.4f,\"ysgraph_min_ms\":%.4f,"
              "\"ysgraph_cpu_ms\":%.4f",
              i ? "," : "", scenes[i].key, r->ysg_ms, r->ysg_min, r->ysg_cpu_ms);
      if (r->have_cairo)
        fprintf(f,
                ",\"cairo_ms\":%.4f,\"cairo_cpu_ms\":%.4f,\"speedup\":%.3f,"
                "\"alpha_mean_abs\":%.5f,\"alpha_max\":%.4f",
                r->cairo_ms, r->cairo_cpu_ms, r->cairo_ms / r->ysg_ms, r->mad, r->max_diff);
      fputc('}', f);
    }
    fprintf(f,
            "],\"trails\":{\"ids\":%d,\"length\":%d,\"segments\":%d,\"frame_ms\":%.4f,"
            "\"trail_ms\":%.4f,\"line_ms\":%.4f,\"cold_trail_ms\":%.4f},\"cuda\":null}\n",
            TRAIL_IDS, TRAIL_LEN, tr.segments, tr.frame_ms, tr.trail_ms, tr.line_ms,
            tr.cold_trail_ms);
    if (k) fclose(f);
  }
  ysg_context_destroy(ctx);
  free(g);
  free(rgba8);
  free(dt);
  return rc;
}
