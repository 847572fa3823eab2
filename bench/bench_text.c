/* bench_text.c — the text node at 4K (issue 14) beside Cairo drawing the same strings in the same
 * run: 1000 labels of ~10 characters, 100 labels on rounded plates with outlines, one 200 px title
 * line, and 1000 dots (the goal: 1000 labels within 2× the cost of 1000 dots); each standalone
 * (the node's own image) and as a layer in a merge over a background (tile-fused, as pipelines run
 * it; Cairo paints the background first). ysgraph: the nodes' run() — formatting, HarfBuzz
 * shaping, layout, binning and every tile — on the CPU backend, wall and process CPU time;
 * Cairo: clear + cairo_show_text (plates: cairo_text_path stroked then filled over a rounded
 * rectangle) on an ARGB32 surface, unhinted metrics. Alpha is compared after timing. Prints the
 * machine, a Markdown table, the goals' ratios and one JSON line (also to --json PATH).
 * usage: bench_text [--size WxH] [--threads N] [--reps N] [--warmup K] [--json PATH]
 *                   [--scene KEY] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "ysgraph.h"

#ifdef YSG_HAVE_CAIRO
#include <cairo.h>
#endif

#define N_LABELS 1000
#define N_PLATES 100
#define N_DOTS 1000
#define LABEL_PX 16
#define PLATE_PX 20
#define TITLE_PX 200
#define OUTLINE 2
#define PAD 4
#define PI 3.14159265358979323846

static const char *const classes[8] = {"person", "car", "truck", "bus",
                                       "bike",   "dog", "cat",   "horse"};
static const char title[] = "Tracking 4K — frame 0042";

typedef struct geom {
  float *xy;       /* (N_LABELS, 2) label anchors: the bottom-left of each label box */
  int32_t *id;     /* (N_LABELS) */
  int32_t *label;  /* (N_LABELS) */
  float *dot_xy;   /* (N_DOTS, 2) */
  float *dot_r;    /* (N_DOTS) */
  char (*str)[32]; /* (N_LABELS) the strings ysgraph's template gives: "{label} {id}" */
} geom;

static uint64_t rng = 0x5eed7e47ull;

static int make_geom(geom *g, int w, int h) {
  g->xy = malloc(sizeof(float) * 2 * N_LABELS);
  g->id = malloc(sizeof(int32_t) * N_LABELS);
  g->label = malloc(sizeof(int32_t) * N_LABELS);
  g->dot_xy = malloc(sizeof(float) * 2 * N_DOTS);
  g->dot_r = malloc(sizeof(float) * N_DOTS);
  g->str = malloc(sizeof *g->str * N_LABELS);
  if (!g->xy || !g->id || !g->label || !g->dot_xy || !g->dot_r || !g->str) return -1;
  for (int i = 0; i < N_LABELS; i++) {
    g->xy[2 * i] = (float)bench_uniform(&rng, 8, w - 160);
    g->xy[2 * i + 1] = (float)bench_uniform(&rng, 40, h - 8);
    g->id[i] = (int32_t)bench_uniform(&rng, 100, 999.99);
    g->label[i] = (int32_t)bench_uniform(&rng, 0, 7.99);
    snprintf(g->str[i], sizeof g->str[i], "%s %d", classes[g->label[i]], (int)g->id[i]);
  }
  for (int i = 0; i < N_DOTS; i++) {
    g->dot_xy[2 * i] = (float)bench_uniform(&rng, 0, w);
    g->dot_xy[2 * i + 1] = (float)bench_uniform(&rng, 0, h);
    g->dot_r[i] = (float)bench_uniform(&rng, 2, 8);
  }
  return 0;
}

typedef enum kind { K_LABELS, K_PLATES, K_TITLE, K_DOTS, K_NONE } kind;

typedef struct scene {
  const char *key, *label;
  kind kind;
  int merged; /* 1: the layer in a merge over an opaque background (fused: how pipelines run) */
} scene;

static const scene scenes[] = {
    {"labels_1000", "1000 labels of ~10 characters, 16 px", K_LABELS, 0},
    {"plates_100", "100 labels on plates with 2 px outlines, 20 px", K_PLATES, 0},
    {"title_200px", "one title line at 200 px (24 characters)", K_TITLE, 0},
    {"dots_1000", "1000 dots, r 2–8 px (the goal's yardstick)", K_DOTS, 0},
    {"merged_background", "merged: the background alone (an empty text layer)", K_NONE, 1},
    {"merged_labels_1000", "merged: 1000 labels over the background", K_LABELS, 1},
    {"merged_plates_100", "merged: 100 plated labels over the background", K_PLATES, 1},
    {"merged_title_200px", "merged: the 200 px title over the background", K_TITLE, 1},
    {"merged_dots_1000", "merged: 1000 dots over the background", K_DOTS, 1},
};
#define N_SCENES ((int)(sizeof scenes / sizeof scenes[0]))
#define BACKGROUND 0x1c2430 /* the merged scenes' background, sRGB */

typedef struct result {
  int ok, have_cairo;
  double ysg_ms, ysg_min, cairo_ms, cairo_min;
  /* CPU time per frame (all threads): the timed frames' total over their count — the kernel
   * accounts a running thread's time at its scheduler ticks (4 ms here), so single frames read
   * in steps of a tick and a median of them is off by up to one; the mean over many is not */
  double ysg_cpu, cairo_cpu;
  double mad, frac_off; /* alpha ysgraph vs Cairo over pixels either drew */
} result;

/* the layer's Lua constructor, named `name` */
static int layer_source(const scene *sc, const char *name, int h, char *src, size_t cap) {
  switch (sc->kind) {
    case K_LABELS:
      return snprintf(src, cap,
                      "text{name='%s', points=pts, text='{label} {id}', size=%d, padding=0}", name,
                      LABEL_PX);
    case K_PLATES:
      return snprintf(src, cap,
                      "text{name='%s', points=pts, text='{label} {id}', size=%d, padding=%d, "
                      "plate_opacity=1, plate_color='#1e3a8a', plate_radius=4, outline=%d, "
                      "outline_color='#000000'}",
                      name, PLATE_PX, PAD, OUTLINE);
    case K_TITLE:
      return snprintf(src, cap, "text{name='%s', text='%s', x=40, y=%d, size=%d, padding=0}", name,
                      title, h / 2, TITLE_PX);
    case K_DOTS:
      return snprintf(src, cap, "dot{name='%s', points=pts, color='#ffffff'}", name);
    case K_NONE:
      return snprintf(src, cap, "text{name='%s', text=''}", name);
  }
  return 0;
}

/* standalone: the layer is the node 'render'; merged: the merge is 'render', the layer 'layer' */
static void pipeline_source(const scene *sc, int w, int h, char *src, size_t cap) {
  int k = snprintf(src, cap, "canvas{width=%d, height=%d, frames=1}\n", w, h);
  int n = sc->kind == K_PLATES ? N_PLATES : sc->kind == K_DOTS ? N_DOTS : N_LABELS;
  if (sc->kind != K_TITLE && sc->kind != K_NONE)
    k += snprintf(src + k, cap - k, "local pts = points_in{name='pts', capacity=%d}\n", n);
  if (sc->merged) {
    k +=
        snprintf(src + k, cap - k, "merge{name='render', background='#%06x', layers={", BACKGROUND);
    k += layer_source(sc, "layer", h, src + k, cap - k);
    snprintf(src + k, cap - k, "}}\n");
  } else {
    k += layer_source(sc, "render", h, src + k, cap - k);
    snprintf(src + k, cap - k, "\n");
  }
}

static ysg_status feed(ysg_pipeline *p, const scene *sc, const geom *g) {
  const char *names[8];
  for (int i = 0; i < 8; i++) names[i] = classes[i];
  ysg_points_desc d = {.count = sc->kind == K_PLATES ? N_PLATES : N_LABELS,
                       .xy = g->xy,
                       .id = g->id,
                       .label = g->label,
                       .label_names = names,
                       .n_label_names = 8};
  if (sc->kind == K_TITLE || sc->kind == K_NONE) return YSG_OK;
  if (sc->kind == K_DOTS) {
    ysg_points_desc dd = {.count = N_DOTS, .xy = g->dot_xy, .radius = g->dot_r};
    return ysg_pipeline_set_points(p, "pts", &dd);
  }
  return ysg_pipeline_set_points(p, "pts", &d);
}

/* CPU time of the whole process (every thread), ms */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* the time the scene's rendering took so far: the node 'render' and its layer 'layer' */
static double render_ms(const ysg_pipeline *p) {
  double ms = 0;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) &&
        (!strcmp(ni.name, "render") || !strcmp(ni.name, "layer")))
      ms += ni.total_ms;
  }
  return ms;
}

static int run_ysgraph(ysg_context *ctx, const scene *sc, const geom *g, int w, int h, int warmup,
                       int reps, double *dt, uint8_t *rgba8, result *r) {
  char src[1024];
  pipeline_source(sc, w, h, src, sizeof src);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "bench_text.lua", &lo, &p);
  if (!s) s = feed(p, sc, g);
  for (int f = 0; !s && f < warmup; f++) s = ysg_pipeline_run_frame(p, 0);
  double cpu0 = cpu_ms();
  for (int f = 0; !s && f < reps; f++) {
    double a = render_ms(p);
    s = ysg_pipeline_run_frame(p, 0);
    dt[f] = render_ms(p) - a;
  }
  /* the frames: the input node's copy is small beside the render */
  double cpu = (cpu_ms() - cpu0) / reps;
  if (!s)
    s = ysg_pipeline_read_image(p, "render", YSG_RGBA8_SRGB, rgba8, (size_t)w * 4 * (size_t)h,
                                (size_t)w * 4);
  if (s) {
    fprintf(stderr, "bench_text: %s: %s\n", sc->key, ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    return -1;
  }
  r->ysg_ms = bench_median(dt, reps);
  r->ysg_min = dt[0];
  r->ysg_cpu = cpu;
  r->ok = 1;
  ysg_pipeline_destroy(p);
  return 0;
}

#ifdef YSG_HAVE_CAIRO
/* the font as ysgraph uses it: DejaVu Sans, unhinted outlines and metrics, grey antialiasing */
static void cairo_font(cairo_t *cr, double px) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, px);
  cairo_font_options_t *o = cairo_font_options_create();
  cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(o, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, o);
  cairo_font_options_destroy(o);
}

static void rounded(cairo_t *cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, PI / 2, PI);
  cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
  cairo_close_path(cr);
}

/* One frame: cleared, or painted with the background for the merged scenes; the text's box sits
 * with its bottom-left on the anchor like ysgraph's default anchor, its baseline `descent` above
 * the box's bottom. */
static void cairo_draw(cairo_t *cr, const scene *sc, const geom *g, int h) {
  if (sc->merged) {
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgb(cr, (BACKGROUND >> 16) / 255.0, ((BACKGROUND >> 8) & 255) / 255.0,
                         (BACKGROUND & 255) / 255.0);
  } else {
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
  }
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  cairo_font_extents_t fe;
  switch (sc->kind) {
    case K_LABELS:
      cairo_font(cr, LABEL_PX);
      cairo_font_extents(cr, &fe);
      cairo_set_source_rgba(cr, 1, 1, 1, 1);
      for (int i = 0; i < N_LABELS; i++) {
        cairo_move_to(cr, g->xy[2 * i], g->xy[2 * i + 1] - fe.descent);
        cairo_show_text(cr, g->str[i]);
      }
      break;
    case K_PLATES:
      cairo_font(cr, PLATE_PX);
      cairo_font_extents(cr, &fe);
      for (int i = 0; i < N_PLATES; i++) {
        cairo_text_extents_t te;
        cairo_text_extents(cr, g->str[i], &te);
        double bw = te.x_advance + 2 * PAD, bh = fe.ascent + fe.descent + 2 * PAD;
        double x = g->xy[2 * i], y = g->xy[2 * i + 1] - bh;
        cairo_set_source_rgba(cr, 0x1e / 255.0, 0x3a / 255.0, 0x8a / 255.0, 1);
        rounded(cr, x, y, bw, bh, 4);
        cairo_fill(cr);
        cairo_move_to(cr, x + PAD, y + PAD + fe.ascent);
        cairo_text_path(cr, g->str[i]);
        cairo_set_source_rgba(cr, 0, 0, 0, 1);
        cairo_set_line_width(cr, 2 * OUTLINE); /* half of it lies outside the glyphs */
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 1, 1, 1, 1);
        cairo_fill(cr);
      }
      break;
    case K_TITLE:
      cairo_font(cr, TITLE_PX);
      cairo_font_extents(cr, &fe);
      cairo_set_source_rgba(cr, 1, 1, 1, 1);
      cairo_move_to(cr, 40, h / 2 - fe.descent);
      cairo_show_text(cr, title);
      break;
    case K_DOTS:
      cairo_set_source_rgba(cr, 1, 1, 1, 1);
      for (int i = 0; i < N_DOTS; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, g->dot_xy[2 * i], g->dot_xy[2 * i + 1], g->dot_r[i], 0, 2 * PI);
        cairo_fill(cr);
      }
      break;
    case K_NONE:
      break;
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
  double cpu0 = 0;
  for (int f = 0; f < warmup + reps; f++) {
    if (f == warmup) cpu0 = cpu_ms();
    double t0 = bench_now_ms();
    cairo_draw(cr, sc, g, h);
    cairo_surface_flush(surf);
    if (f >= warmup) dt[f - warmup] = bench_now_ms() - t0;
  }
  double cpu = (cpu_ms() - cpu0) / reps;
  r->cairo_ms = bench_median(dt, reps);
  r->cairo_min = dt[0];
  r->cairo_cpu = cpu;
  r->have_cairo = 1;
  if (sc->merged) { /* opaque frames: alpha says nothing */
    r->mad = -1;
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return 0;
  }
  const unsigned char *data = cairo_image_surface_get_data(surf);
  int stride = cairo_image_surface_get_stride(surf);
  bench_alpha_diff a = bench_compare_alpha(data, stride, rgba8, w, h);
  r->mad = a.mean;
  r->frac_off = a.frac_off;
  cairo_destroy(cr);
  cairo_surface_destroy(surf);
  return 0;
}
#endif

static int machine_busy_s(double *busy) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long u, ni, sy, id, io, irq, sirq;
  int ok =
      fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &id, &io, &irq, &sirq) == 7;
  fclose(f);
  if (!ok) return -1;
  *busy = (double)(u + ni + sy + irq + sirq) / (double)sysconf(_SC_CLK_TCK);
  return 0;
}

static double own_cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru)) return 0;
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int usage(const char *msg) {
  fprintf(stderr,
          "bench_text: %s\nusage: bench_text [--size WxH] [--threads N] [--reps N] [--warmup K] "
          "[--json PATH] [--scene KEY]\n  defaults: --size 3840x2160 --threads 2 --reps 15 "
          "--warmup 2; --scene: run only that scene (e.g. labels_1000, merged_dots_1000)\n",
          msg);
  return 2;
}

int main(int argc, char **argv) {
  /* OpenMP reads its wait policy when it loads, before main: run again with the policy set.
   * Passive: a worker with nothing to do sleeps at once. The default spins a while after every
   * parallel region first (milliseconds per region on this EPYC, longer while other processes
   * keep a thread off its core), which the process's CPU time would count as ysgraph's work.
   * OMP_WAIT_POLICY set by the caller (e.g. active) is kept. */
  if (!getenv("OMP_WAIT_POLICY")) {
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
      self[len] = 0;
      setenv("OMP_WAIT_POLICY", "passive", 1);
      execv(self, argv);
    }
  }
  int w = 3840, h = 2160, threads = 2, reps = 15, warmup = 2;
  const char *json_path = NULL, *only = NULL;
  for (int i = 1; i < argc; i++) {
    int has = i + 1 < argc;
    if (!strcmp(argv[i], "--size") && has) {
      char tail;
      if (sscanf(argv[++i], "%dx%d%c", &w, &h, &tail) != 2) return usage("expected --size WxH");
    } else if (!strcmp(argv[i], "--threads") && has) {
      threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--reps") && has) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--warmup") && has) {
      warmup = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--json") && has) {
      json_path = argv[++i];
    } else if (!strcmp(argv[i], "--scene") && has) {
      only = argv[++i];
    } else {
      return usage("unknown option");
    }
  }
  if (w < 400 || h < 300 || threads < 1 || reps < 1 || warmup < 0)
    return usage("bad size, threads, reps or warm-up");
  geom g;
  if (make_geom(&g, w, h)) return usage("out of memory");
  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_text";
  co.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&co, &ctx)) return usage("cannot create a context");
  uint8_t *rgba8 = malloc((size_t)w * h * 4);
  double *dt = malloc(sizeof(double) * (size_t)reps);
  if (!rgba8 || !dt) return usage("out of memory");
  result res[N_SCENES];
  memset(res, 0, sizeof res);
  double busy0 = 0, busy1 = 0, own0 = own_cpu_s();
  int have_busy = !machine_busy_s(&busy0);
  double t_start = bench_now_ms();
  for (int i = 0; i < N_SCENES; i++) {
    if (only && strcmp(only, scenes[i].key)) continue;
    if (run_ysgraph(ctx, &scenes[i], &g, w, h, warmup, reps, dt, rgba8, &res[i])) continue;
#ifdef YSG_HAVE_CAIRO
    run_cairo(&scenes[i], &g, w, h, warmup, reps, dt, rgba8, &res[i]);
#endif
  }
  double wall = (bench_now_ms() - t_start) / 1e3;
  double other = -1;
  if (have_busy && !machine_busy_s(&busy1) && wall > 0)
    other = ((busy1 - busy0) - (own_cpu_s() - own0)) / wall;
  char cpu[256];
  bench_cpu_model(cpu, sizeof cpu);
  printf("machine: %s, %d cores; ysgraph CPU backend, %d threads; OMP_WAIT_POLICY=%s\n", cpu,
         bench_cores(), threads, getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "");
  if (other >= 0)
    printf("load from other processes during the run: %.2f cores on average\n", other);
#ifdef YSG_HAVE_CAIRO
  printf(
      "cairo: %s, single-threaded, DejaVu Sans through cairo_show_text (toy API: no kerning), "
      "unhinted\n",
      cairo_version_string());
#else
  printf("cairo: not found (build with libcairo2-dev to compare)\n");
#endif
  printf(
      "canvas %dx%d; median of %d reps after %d warm-up; ysgraph: the node's run() (layout, "
      "shaping, binning, tiles)\n\n",
      w, h, reps, warmup);
  printf(
      "| scene | ysgraph ms | Cairo ms | speedup | ysgraph CPU ms | Cairo CPU ms | CPU speedup "
      "| mean |Δα| |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int i = 0; i < N_SCENES; i++) {
    const result *r = &res[i];
    if (only && strcmp(only, scenes[i].key)) continue;
    char y[32] = "failed", c[32] = "–", sp[32] = "–", da[32] = "–", yc[32] = "–", cc[32] = "–",
         cr[32] = "–";
    if (r->ok)
      snprintf(y, sizeof y, "%.2f", r->ysg_ms), snprintf(yc, sizeof yc, "%.2f", r->ysg_cpu);
    if (r->have_cairo)
      snprintf(c, sizeof c, "%.2f", r->cairo_ms), snprintf(cc, sizeof cc, "%.2f", r->cairo_cpu);
    if (r->ok && r->have_cairo) {
      snprintf(sp, sizeof sp, "%.2f×", r->cairo_ms / r->ysg_ms);
      snprintf(cr, sizeof cr, "%.2f×", r->cairo_cpu / r->ysg_cpu);
      if (r->mad >= 0) snprintf(da, sizeof da, "%.3f", r->mad);
    }
    printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", scenes[i].label, y, c, sp, yc, cc, cr,
           da);
  }
  /* the goals: labels within 2× of dots, standalone and merged (also net of the background) */
  const result *lab = &res[0], *dot = &res[3], *bg = &res[4], *mlab = &res[5], *mdot = &res[8];
  printf("\n");
  if (lab->ok && dot->ok)
    printf("1000 labels / 1000 dots, standalone: %.2f× wall, %.2f× CPU (goal: ≤ 2×)\n",
           lab->ysg_ms / dot->ysg_ms, lab->ysg_cpu / dot->ysg_cpu);
  if (mlab->ok && mdot->ok)
    printf("1000 labels / 1000 dots, merged: %.2f× wall, %.2f× CPU (goal: ≤ 2×)\n",
           mlab->ysg_ms / mdot->ysg_ms, mlab->ysg_cpu / mdot->ysg_cpu);
  if (mlab->ok && mdot->ok && bg->ok && mdot->ysg_cpu > bg->ysg_cpu && mdot->ysg_ms > bg->ysg_ms)
    printf(
        "1000 labels / 1000 dots, merged, each less the background alone: %.2f× wall, %.2f× "
        "CPU\n",
        (mlab->ysg_ms - bg->ysg_ms) / (mdot->ysg_ms - bg->ysg_ms),
        (mlab->ysg_cpu - bg->ysg_cpu) / (mdot->ysg_cpu - bg->ysg_cpu));
  printf(
      "ysgraph ms: the node's run() (layout, shaping, binning, tiles); merged: the merge's and its "
      "layer's (fused: the layer's prepare and tiles, the merge's compositing and writing)\n");
  printf(
      "CPU ms: the process's CPU time per frame over all threads (ysgraph: the whole frame), the "
      "fairer figure when other processes share the cores; speedup: Cairo's time / ysgraph's "
      "(goal: > 1 for each text scene)\n");
  printf(
      "Δα: Cairo's toy text API neither kerns nor places glyphs at sub-pixel positions, so for "
      "text it measures placement, not coverage (tests/test_text.c checks coverage against "
      "FreeType at exact positions); merged frames are opaque (not compared)\n");
  printf("CUDA: not measured here (bench_text runs the CPU backend)\n\n");
  FILE *outs[2] = {stdout, json_path ? fopen(json_path, "w") : NULL};
  for (int o = 0; o < 2; o++) {
    FILE *f = outs[o];
    if (!f) continue;
    fputs("{\"bench\":\"text\",\"cpu\":", f);
    bench_json_str(f, cpu);
    fprintf(f, ",\"cores\":%d,\"threads\":%d,\"width\":%d,\"height\":%d,\"reps\":%d", bench_cores(),
            threads, w, h, reps);
    fputs(",\"omp_wait_policy\":", f);
    bench_json_str(f, getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "");
    fprintf(f, ",\"other_load_cores\":%.3f,\"scenes\":[", other);
    for (int i = 0, first = 1; i < N_SCENES; i++) {
      const result *r = &res[i];
      if (only && strcmp(only, scenes[i].key)) continue;
      fprintf(f, "%s{\"scene\":\"%s\"", first ? "" : ",", scenes[i].key);
      first = 0;
      if (r->ok)
        fprintf(f, ",\"ysgraph_ms\":%.4f,\"ysgraph_min_ms\":%.4f,\"ysgraph_cpu_ms\":%.4f",
                r->ysg_ms, r->ysg_min, r->ysg_cpu);
      if (r->have_cairo)
        fprintf(f, ",\"cairo_ms\":%.4f,\"cairo_min_ms\":%.4f,\"cairo_cpu_ms\":%.4f", r->cairo_ms,
                r->cairo_min, r->cairo_cpu);
      if (r->have_cairo && r->mad >= 0) fprintf(f, ",\"alpha_mean_abs\":%.5f", r->mad);
      fputc('}', f);
    }
    fputs("]}\n", f);
    if (o) fclose(f);
  }
  free(rgba8);
  free(dt);
  ysg_context_destroy(ctx);
  return 0;
}
