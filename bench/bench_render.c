/* bench_render.c — the render nodes at 4K (issue 3): straight edges, cubic curves, boxes and dots
 * drawn by ysgraph's CPU backend (line/bbox/dot; the render node's run() is timed) and by Cairo on
 * the same geometry in the same run, beside the bandwidth floor (memset of a frame-sized FP16
 * buffer); and the seed frame's five layers (gradient, edges, curves, boxes, dots) merged, tile-
 * fused and unfused (every layer and merge node's time summed), against Cairo drawing the same
 * into one surface. The two renderers' alpha (coverage) is compared after timing: a fast wrong
 * picture shows. Prints the machine and its instruction set, a Markdown table and one JSON line
 * (also to --json PATH).
 * usage: bench_render [--size WxH] [--threads N] [--reps N] [--warmup K] [--json PATH]
 *                     [--cairo-one-path] */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#ifdef YSG_HAVE_CAIRO
#include <cairo.h>
#endif

#define CLEAR_REPS 10
#define EDGE_POINTS 1000 /* the seed frame's point count; edges link each to its nearest few */
#define KNN_MAX 8        /* neighbours considered per point */
#define N_EDGES 3000
#define SAMPLES 32 /* per cubic curve */
#define N_BOXES 1000
#define N_DOTS 10000
#define STROKE 2.0   /* px: lines and box outlines */
#define BOX_RADIUS 6 /* px: box corners */
#define PI 3.14159265358979323846

/* ---- geometry (fixed seed, so every run and both renderers draw the same picture) ------------ */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

typedef struct geom {
  float *edge_xy;  /* (EDGE_POINTS, 2) pixels */
  int32_t *ij;     /* (N_EDGES, 2) point indices, i < j */
  float *curve_xy; /* (N_EDGES, SAMPLES, 2) one cubic Bézier per edge, sampled here */
  float *xywh;     /* (N_BOXES, 4) top-left x, y, width, height */
  float *dot_xy;   /* (N_DOTS, 2) */
  float *dot_r;    /* (N_DOTS) radius, px */
  double len_min, len_med, len_max; /* edge lengths, px */
} geom;

/* Edges in the order of neighbour rank: every point's nearest neighbour first, then every second
 * nearest, ..., until N_EDGES distinct links exist — a KNN graph trimmed to an exact count. */
static int make_edges(geom *g, int w, int h) {
  int n = EDGE_POINTS;
  /* at least 20 px apart at 4K (scaled with the canvas), so no edge is a dot */
  double gap = 20 * sqrt((double)w * h / (3840.0 * 2160.0));
  for (int i = 0; i < n; i++) {
    for (int tries = 0, near = 1; near && tries < 1000; tries++) {
      g->edge_xy[2 * i] = (float)bench_uniform(&rng, 8, w - 8);
      g->edge_xy[2 * i + 1] = (float)bench_uniform(&rng, 8, h - 8);
      near = 0;
      for (int j = 0; j < i && !near; j++)
        near = hypot(g->edge_xy[2 * j] - g->edge_xy[2 * i],
                     g->edge_xy[2 * j + 1] - g->edge_xy[2 * i + 1]) < gap;
    }
  }
  int32_t *nb = malloc(sizeof *nb * (size_t)n * KNN_MAX);
  unsigned char *linked = calloc((size_t)n * (size_t)n, 1);
  double *len = malloc(sizeof *len * N_EDGES);
  if (!nb || !linked || !len) return free(nb), free(linked), free(len), -1;
  for (int i = 0; i < n; i++) {
    double best[KNN_MAX];
    int k = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) continue;
      double dx = g->edge_xy[2 * j] - g->edge_xy[2 * i],
             dy = g->edge_xy[2 * j + 1] - g->edge_xy[2 * i + 1];
      double d = dx * dx + dy * dy;
      if (k == KNN_MAX && d >= best[k - 1]) continue;
      int at = k < KNN_MAX ? k++ : k - 1;
      while (at > 0 && best[at - 1] > d)
        best[at] = best[at - 1], nb[i * KNN_MAX + at] = nb[i * KNN_MAX + at - 1], at--;
      best[at] = d;
      nb[i * KNN_MAX + at] = j;
    }
  }
  int e = 0;
  for (int r = 0; r < KNN_MAX && e < N_EDGES; r++)
    for (int i = 0; i < n && e < N_EDGES; i++) {
      int j = nb[i * KNN_MAX + r], a = i < j ? i : j, b = i < j ? j : i;
      if (linked[(size_t)a * n + b]) continue;
      linked[(size_t)a * n + b] = 1;
      g->ij[2 * e] = a;
      g->ij[2 * e + 1] = b;
      len[e++] = hypot(g->edge_xy[2 * b] - g->edge_xy[2 * a],
                       g->edge_xy[2 * b + 1] - g->edge_xy[2 * a + 1]);
    }
  free(nb);
  free(linked);
  if (e < N_EDGES) return free(len), -1;
  g->len_med = bench_median(len, N_EDGES);
  g->len_min = len[0];
  g->len_max = len[N_EDGES - 1];
  free(len);
  return 0;
}

/* One arc per edge: control points a third and two thirds along, pushed sideways by up to 35%
 * of the edge's length (the seed frame's violet arcs), sampled uniformly in t. */
static void make_curves(geom *g) {
  for (int e = 0; e < N_EDGES; e++) {
    const float *a = &g->edge_xy[2 * g->ij[2 * e]], *b = &g->edge_xy[2 * g->ij[2 * e + 1]];
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double b1 = bench_uniform(&rng, -0.35, 0.35), b2 = b1 * bench_uniform(&rng, 0.3, 1.2);
    double c1x = a[0] + dx / 3 - dy * b1, c1y = a[1] + dy / 3 + dx * b1;
    double c2x = a[0] + 2 * dx / 3 - dy * b2, c2y = a[1] + 2 * dy / 3 + dx * b2;
    for (int s = 0; s < SAMPLES; s++) {
      double t = (double)s / (SAMPLES - 1), u = 1 - t;
      double k0 = u * u * u, k1 = 3 * u * u * t, k2 = 3 * u * t * t, k3 = t * t * t;
      float *o = &g->curve_xy[((size_t)e * SAMPLES + s) * 2];
      o[0] = (float)(k0 * a[0] + k1 * c1x + k2 * c2x + k3 * b[0]);
      o[1] = (float)(k0 * a[1] + k1 * c1y + k2 * c2y + k3 * b[1]);
    }
  }
}

/* Boxes 20-200 px a side at 4K; a smaller --size scales them with the canvas (as the edges'
 * lengths scale), so a quick run keeps the 4K scene's density and tile coverage. */
static void make_boxes_dots(geom *g, int w, int h) {
  double k = sqrt((double)w * h / (3840.0 * 2160.0));
  k = k > 1 ? 1 : k;
  for (int i = 0; i < N_BOXES; i++) {
    double bw = bench_uniform(&rng, 20, 200) * k, bh = bench_uniform(&rng, 20, 200) * k;
    if (bw > w - 4) bw = w - 4;
    if (bh > h - 4) bh = h - 4;
    float *o = &g->xywh[4 * i];
    o[0] = (float)bench_uniform(&rng, 2, w - 2 - bw);
    o[1] = (float)bench_uniform(&rng, 2, h - 2 - bh);
    o[2] = (float)bw;
    o[3] = (float)bh;
  }
  for (int i = 0; i < N_DOTS; i++) {
    g->dot_xy[2 * i] = (float)bench_uniform(&rng, 0, w);
    g->dot_xy[2 * i + 1] = (float)bench_uniform(&rng, 0, h);
    g->dot_r[i] = (float)bench_uniform(&rng, 2, 8);
  }
}

/* ---- host-defined sources: the edges and the sampled curves, as values ----------------------- */
static const geom *node_geom(const ysg_node *n) { return ysg_node_get_type(n)->userdata; }

static ysg_status links_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = N_EDGES;
  return YSG_OK;
}

static ysg_status links_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->ij, node_geom(n)->ij, sizeof(int32_t) * 2 * N_EDGES);
  v->count = N_EDGES;
  return YSG_OK;
}

static ysg_status arcs_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = N_EDGES;
  v->samples = SAMPLES;
  return YSG_OK;
}

static ysg_status arcs_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  const geom *g = node_geom(n);
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, g->curve_xy, sizeof(float) * 2 * SAMPLES * N_EDGES);
  memcpy(v->ij, g->ij, sizeof(int32_t) * 2 * N_EDGES);
  v->count = N_EDGES;
  return YSG_OK;
}

static const ysg_port_def links_out[] = {{"edges", YSG_EDGES, 0, "the benchmark's edges", NULL, 0}};
static const ysg_port_def arcs_out[] = {{"curves", YSG_CURVES, 0, "the sampled arcs", NULL, 0}};
static ysg_node_type links_type = {.name = "bench_links",
                                   .category = "source",
                                   .doc = "The benchmark's KNN edges.",
                                   .outputs = links_out,
                                   .n_outputs = 1,
                                   .infer = links_infer,
                                   .run = links_run};
static ysg_node_type arcs_type = {.name = "bench_arcs",
                                  .category = "source",
                                  .doc = "The benchmark's cubic arcs, sampled.",
                                  .outputs = arcs_out,
                                  .n_outputs = 1,
                                  .infer = arcs_infer,
                                  .run = arcs_run};

/* ---- scenes ------------------------------------------------------------------------------------
 */
typedef enum kind { K_EDGES, K_CURVES, K_BOXES, K_DOTS, K_SEED5 } kind;

typedef struct scene {
  const char *key, *label;
  kind kind;
  int count;
  int no_fuse; /* K_SEED5: every layer into its own image */
} scene;

/* the seed frame's colours (bench/seed_frame.lua), sRGB */
#define SEED_BG 0x05081a
#define SEED_SKY_FROM 0x0b1030
#define SEED_SKY_TO 0x1f3a73
#define SEED_LINKS 0x22d3ee /* opacity 0.7 */
#define SEED_ARCS 0xa855f7
#define SEED_BOXES 0xff3b30
#define SEED_DOTS 0xffd60a
#define SEED_BOX_COUNT 100
#define SEED_DOT_COUNT 1000
#define SEED_DOT_R 4.0

static const scene scenes[] = {
    {"edges_3000", "3000 straight edges, 2 px", K_EDGES, N_EDGES, 0},
    {"curves_3000", "3000 cubic curves × 32 samples, 2 px", K_CURVES, N_EDGES, 0},
    {"boxes_100", "100 rounded boxes, stroke 2 px", K_BOXES, 100, 0},
    {"boxes_1000", "1000 rounded boxes, stroke 2 px", K_BOXES, 1000, 0},
    {"dots_1000", "1000 dots, r 2–8 px", K_DOTS, 1000, 0},
    {"dots_10000", "10000 dots, r 2–8 px", K_DOTS, 10000, 0},
    {"seed_5_layers_fused",
     "seed frame, 5 layers merged (gradient, 3000 edges, 3000 curves, "
     "100 boxes, 1000 dots), tile-fused",
     K_SEED5, 0, 0},
    {"seed_5_layers_unfused", "the same 5 layers, unfused (no_fuse)", K_SEED5, 0, 1},
};
#define N_SCENES ((int)(sizeof scenes / sizeof scenes[0]))

typedef struct result {
  int ok;                 /* ysgraph ran */
  double ysg_ms, ysg_min; /* the render node's run(): median, best */
  double frame_ms;        /* whole frame (inputs copied + render), median */
  double tiles_drawn;     /* fraction of 16×16 tiles marked occupied */
  int have_cairo;
  double cairo_ms, cairo_min, cairo_clear_ms; /* clear + draw median, best; clear alone */
  double mad, max_diff, frac_off;             /* alpha ysgraph vs Cairo over drawn pixels */
} result;

static void pipeline_source(const scene *sc, int w, int h, char *src, size_t cap) {
  int k = snprintf(src, cap, "canvas{width=%d, height=%d, frames=1}\n", w, h);
  switch (sc->kind) {
    case K_EDGES:
      snprintf(src + k, cap - k,
               "local pts = points_in{name='pts', capacity=%d}\n"
               "line{name='render', points=pts, edges=bench_links{name='links'}, width=%g,"
               " color='#ffffff'}\n",
               EDGE_POINTS, STROKE);
      break;
    case K_CURVES:
      snprintf(src + k, cap - k,
               "line{name='render', curves=bench_arcs{name='arcs'}, width=%g, color='#ffffff'}\n",
               STROKE);
      break;
    case K_BOXES:
      snprintf(src + k, cap - k,
               "local bx = boxes_in{name='bx', capacity=%d}\n"
               "bbox{name='render', boxes=bx, stroke=%g, radius=%d, color='#ffffff'}\n",
               sc->count, STROKE, BOX_RADIUS);
      break;
    case K_DOTS:
      snprintf(src + k, cap - k,
               "local pts = points_in{name='pts', capacity=%d}\n"
               "dot{name='render', points=pts, shape='circle', color='#ffffff'}\n",
               sc->count);
      break;
    case K_SEED5: /* layers named l_*: their times and the merge's are summed */
      snprintf(src + k, cap - k,
               "local pts = points_in{name='pts', capacity=%d}\n"
               "local bx = boxes_in{name='bx', capacity=%d}\n"
               "local dp = points_in{name='dp', capacity=%d}\n"
               "merge{name='render', background='#%06x', layers={\n"
               "  gradient{name='l_sky', from='#%06x', to='#%06x', angle=90},\n"
               "  line{name='l_links', points=pts, edges=bench_links{name='links'}, width=%g,"
               " color='#%06x', opacity=0.7},\n"
               "  line{name='l_arcs', curves=bench_arcs{name='arcs'}, width=%g, color='#%06x'},\n"
               "  bbox{name='l_boxes', boxes=bx, stroke=%g, radius=%d, color='#%06x'},\n"
               "  dot{name='l_dots', points=dp, radius=%g, data_radius=false, color='#%06x'}}}\n",
               EDGE_POINTS, SEED_BOX_COUNT, SEED_DOT_COUNT, SEED_BG, SEED_SKY_FROM, SEED_SKY_TO,
               STROKE, SEED_LINKS, STROKE, SEED_ARCS, STROKE, BOX_RADIUS, SEED_BOXES, SEED_DOT_R,
               SEED_DOTS);
      break;
  }
}

static ysg_status feed(ysg_pipeline *p, const scene *sc, const geom *g) {
  switch (sc->kind) {
    case K_EDGES: {
      ysg_points_desc d = {.count = EDGE_POINTS, .xy = g->edge_xy};
      return ysg_pipeline_set_points(p, "pts", &d);
    }
    case K_BOXES: {
      ysg_boxes_desc d = {.count = sc->count, .xywh = g->xywh};
      return ysg_pipeline_set_boxes(p, "bx", &d);
    }
    case K_DOTS: {
      ysg_points_desc d = {.count = sc->count, .xy = g->dot_xy, .radius = g->dot_r};
      return ysg_pipeline_set_points(p, "pts", &d);
    }
    case K_SEED5: {
      ysg_points_desc e = {.count = EDGE_POINTS, .xy = g->edge_xy};
      ysg_boxes_desc b = {.count = SEED_BOX_COUNT, .xywh = g->xywh};
      ysg_points_desc d = {.count = SEED_DOT_COUNT, .xy = g->dot_xy};
      ysg_status s = ysg_pipeline_set_points(p, "pts", &e);
      if (!s) s = ysg_pipeline_set_boxes(p, "bx", &b);
      if (!s) s = ysg_pipeline_set_points(p, "dp", &d);
      return s;
    }
    case K_CURVES:
      break;
  }
  return YSG_OK;
}

/* the time a scene's rendering took so far: the node 'render', plus its layers 'l_*' */
static double render_ms(const ysg_pipeline *p) {
  double ms = 0;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) &&
        (!strcmp(ni.name, "render") || !strncmp(ni.name, "l_", 2)))
      ms += ni.total_ms;
  }
  return ms;
}

/* Runs the scene's pipeline; on success rgba8 holds the last frame (8-bit sRGB straight alpha). */
static int run_ysgraph(ysg_context *ctx, const scene *sc, const geom *g, int w, int h, int warmup,
                       int reps, double *dt, double *frame_dt, uint8_t *rgba8, result *r) {
  char src[2048];
  pipeline_source(sc, w, h, src, sizeof src);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.no_fuse = sc->no_fuse;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "bench_render.lua", &lo, &p);
  if (!s) s = feed(p, sc, g);
  int node = -1;
  for (int i = 0; !s && i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if (!ysg_pipeline_node_info(p, i, &ni) && !strcmp(ni.name, "render")) node = i;
  }
  if (!s && node < 0) {
    fprintf(stderr, "bench_render: %s: the pipeline has no node 'render'\n", sc->key);
    ysg_pipeline_destroy(p);
    return -1;
  }
  for (int f = 0; !s && f < warmup; f++) s = ysg_pipeline_run_frame(p, 0);
  for (int f = 0; !s && f < reps; f++) {
    double a = render_ms(p), t0 = bench_now_ms();
    s = ysg_pipeline_run_frame(p, 0);
    frame_dt[f] = bench_now_ms() - t0;
    dt[f] = render_ms(p) - a;
  }
  const ysg_value *v = NULL;
  if (!s) s = ysg_pipeline_get_value(p, "render", &v);
  if (!s)
    s = ysg_pipeline_read_image(p, "render", YSG_RGBA8_SRGB, rgba8, (size_t)w * 4 * (size_t)h,
                                (size_t)w * 4);
  if (s) {
    fprintf(stderr, "bench_render: %s: %s\n", sc->key, ysg_errmsg(ctx));
    ysg_pipeline_destroy(p);
    return -1;
  }
  int drawn = 0, nt = v->tiles_x * v->tiles_y;
  for (int t = 0; t < nt; t++) drawn += v->tiles[t] != 0;
  r->tiles_drawn = nt ? (double)drawn / nt : 0;
  r->ysg_ms = bench_median(dt, reps);
  r->ysg_min = dt[0];
  r->frame_ms = bench_median(frame_dt, reps);
  r->ok = 1;
  ysg_pipeline_destroy(p);
  return 0;
}

/* ---- Cairo: the same geometry. Each shape is stroked or filled on its own: with Cairo 1.16 that
 * is 1.5-4x faster than one path per scene stroked once (measure it with --cairo-one-path), so
 * Cairo gets its faster way. Strokes have round caps and joins, like ysgraph's capsules. */
#ifdef YSG_HAVE_CAIRO
static void cairo_rgb(cairo_t *cr, unsigned hex, double alpha) {
  cairo_set_source_rgba(cr, (hex >> 16 & 255) / 255.0, (hex >> 8 & 255) / 255.0,
                        (hex & 255) / 255.0, alpha);
}

/* the seed frame's five layers into one surface, bottom to top, over the merge's background */
static void cairo_seed5(cairo_t *cr, const geom *g, int w, int h) {
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_rgb(cr, SEED_BG, 1);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  cairo_pattern_t *sky = cairo_pattern_create_linear(0, 0, 0, h);
  cairo_pattern_add_color_stop_rgb(sky, 0, (SEED_SKY_FROM >> 16) / 255.0,
                                   (SEED_SKY_FROM >> 8 & 255) / 255.0,
                                   (SEED_SKY_FROM & 255) / 255.0);
  cairo_pattern_add_color_stop_rgb(sky, 1, (SEED_SKY_TO >> 16) / 255.0,
                                   (SEED_SKY_TO >> 8 & 255) / 255.0, (SEED_SKY_TO & 255) / 255.0);
  cairo_set_source(cr, sky);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_fill(cr);
  cairo_pattern_destroy(sky);
  cairo_set_line_width(cr, STROKE);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  /* one stroke per line layer: a layer is one union shape, as ysgraph's line node is (per-edge
   * strokes at opacity 0.7 would double-blend where edges meet) */
  cairo_rgb(cr, SEED_LINKS, 0.7);
  for (int e = 0; e < N_EDGES; e++) {
    const float *a = &g->edge_xy[2 * g->ij[2 * e]], *b = &g->edge_xy[2 * g->ij[2 * e + 1]];
    cairo_move_to(cr, a[0], a[1]);
    cairo_line_to(cr, b[0], b[1]);
  }
  cairo_stroke(cr);
  cairo_rgb(cr, SEED_ARCS, 1);
  for (int e = 0; e < N_EDGES; e++) {
    const float *c = &g->curve_xy[(size_t)e * SAMPLES * 2];
    cairo_move_to(cr, c[0], c[1]);
    for (int s = 1; s < SAMPLES; s++) cairo_line_to(cr, c[2 * s], c[2 * s + 1]);
  }
  cairo_stroke(cr);
  cairo_rgb(cr, SEED_BOXES, 1);
  for (int i = 0; i < SEED_BOX_COUNT; i++) {
    const float *b = &g->xywh[4 * i];
    double x = b[0], y = b[1], bw = b[2], bh = b[3], r = BOX_RADIUS;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + bw - r, y + r, r, -PI / 2, 0);
    cairo_arc(cr, x + bw - r, y + bh - r, r, 0, PI / 2);
    cairo_arc(cr, x + r, y + bh - r, r, PI / 2, PI);
    cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
    cairo_close_path(cr);
    cairo_stroke(cr);
  }
  cairo_rgb(cr, SEED_DOTS, 1);
  for (int i = 0; i < SEED_DOT_COUNT; i++) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, g->dot_xy[2 * i], g->dot_xy[2 * i + 1], SEED_DOT_R, 0, 2 * PI);
    cairo_fill(cr);
  }
}

static void cairo_clear(cairo_t *cr) {
  cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
}

static void cairo_draw(cairo_t *cr, const scene *sc, const geom *g, int one_path) {
  if (sc->kind == K_SEED5) {
    cairo_surface_t *t = cairo_get_target(cr);
    cairo_seed5(cr, g, cairo_image_surface_get_width(t), cairo_image_surface_get_height(t));
    return;
  }
  cairo_clear(cr);
  cairo_set_source_rgba(cr, 1, 1, 1, 1);
  cairo_set_line_width(cr, STROKE);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_new_path(cr);
  switch (sc->kind) {
    case K_EDGES:
      for (int e = 0; e < N_EDGES; e++) {
        const float *a = &g->edge_xy[2 * g->ij[2 * e]], *b = &g->edge_xy[2 * g->ij[2 * e + 1]];
        cairo_move_to(cr, a[0], a[1]);
        cairo_line_to(cr, b[0], b[1]);
        if (!one_path) cairo_stroke(cr);
      }
      cairo_stroke(cr);
      break;
    case K_CURVES:
      for (int e = 0; e < N_EDGES; e++) {
        const float *c = &g->curve_xy[(size_t)e * SAMPLES * 2];
        cairo_move_to(cr, c[0], c[1]);
        for (int s = 1; s < SAMPLES; s++) cairo_line_to(cr, c[2 * s], c[2 * s + 1]);
        if (!one_path) cairo_stroke(cr);
      }
      cairo_stroke(cr);
      break;
    case K_BOXES:
      for (int i = 0; i < sc->count; i++) {
        const float *b = &g->xywh[4 * i];
        double x = b[0], y = b[1], bw = b[2], bh = b[3], r = BOX_RADIUS;
        cairo_new_sub_path(cr);
        cairo_arc(cr, x + bw - r, y + r, r, -PI / 2, 0);
        cairo_arc(cr, x + bw - r, y + bh - r, r, 0, PI / 2);
        cairo_arc(cr, x + r, y + bh - r, r, PI / 2, PI);
        cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
        cairo_close_path(cr);
        if (!one_path) cairo_stroke(cr);
      }
      cairo_stroke(cr);
      break;
    case K_DOTS:
      for (int i = 0; i < sc->count; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, g->dot_xy[2 * i], g->dot_xy[2 * i + 1], g->dot_r[i], 0, 2 * PI);
        if (!one_path) cairo_fill(cr);
      }
      cairo_fill(cr);
      break;
    case K_SEED5:
      break;
  }
}

/* Times clear + draw; compares the last picture's alpha with ysgraph's (rgba8, straight alpha:
 * its alpha byte is coverage, as is Cairo's premultiplied ARGB32 alpha). */
static int run_cairo(const scene *sc, const geom *g, int w, int h, int warmup, int reps,
                     int one_path, double *dt, const uint8_t *rgba8, result *r) {
  cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create(surf);
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    fprintf(stderr, "bench_render: cairo: %s\n", cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return -1;
  }
  for (int f = 0; f < warmup + reps; f++) {
    double t0 = bench_now_ms();
    cairo_draw(cr, sc, g, one_path);
    cairo_surface_flush(surf);
    if (f >= warmup) dt[f - warmup] = bench_now_ms() - t0;
  }
  r->cairo_ms = bench_median(dt, reps);
  r->cairo_min = dt[0];
  for (int f = 0; f < reps; f++) {
    cairo_surface_mark_dirty(surf); /* else Cairo knows the surface is clear and skips the work */
    double t0 = bench_now_ms();
    cairo_clear(cr);
    cairo_surface_flush(surf);
    dt[f] = bench_now_ms() - t0;
  }
  r->cairo_clear_ms = bench_median(dt, reps);
  cairo_draw(cr, sc, g, one_path);
  cairo_surface_flush(surf);
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

/* ---- the bandwidth floor and the load on the machine -----------------------------------------
 */
/* Best-of-CLEAR_REPS memset of the buffer with byte value. Zero is the clear (the floor asked
 * for); a non-zero byte is timed too because some machines store zero lines much faster than
 * data (this one: ~2.6x), and a render node writes data. */
static double time_memset(size_t bytes, int value) {
  unsigned char *buf = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
  if (!buf) return -1;
  memset(buf, 1, bytes); /* fault the pages in before timing */
  double best = 1e30;
  for (int rep = 0; rep < CLEAR_REPS; rep++) {
    double t0 = bench_now_ms();
    memset(buf, value, bytes);
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(buf) : "memory"); /* the stores are the point: keep them */
#endif
    double dt = bench_now_ms() - t0;
    best = dt < best ? dt : best;
  }
  free(buf);
  return best;
}

/* CPU seconds the whole machine spent busy (from /proc/stat), and this process's own: their
 * difference over a run is the load other processes put on it, which a 2-thread render feels. */
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

typedef struct run_info {
  char cpu[256], isa[128];
  const char *cairo_version; /* NULL: not found */
  int cores, threads, width, height, reps, warmup;
  int one_path;             /* Cairo: one path per scene instead of one stroke/fill per shape */
  double clear_ms, fill_ms; /* memset with 0 (the clear) and with a non-zero byte */
  double other_load;        /* cores other processes kept busy on average; < 0: unknown */
  size_t clear_bytes;
  const geom *g;
} run_info;

static void print_json(FILE *f, const run_info *ri, const result *res) {
  fputs("{\"bench\":\"render\",\"cpu\":", f);
  bench_json_str(f, ri->cpu);
  fputs(",\"isa\":", f);
  bench_json_str(f, ri->isa);
  fprintf(f, ",\"cores\":%d,\"threads\":%d,\"width\":%d,\"height\":%d,\"reps\":%d,\"warmup\":%d",
          ri->cores, ri->threads, ri->width, ri->height, ri->reps, ri->warmup);
  fprintf(f, ",\"clear\":{\"bytes\":%zu,\"memset_ms\":%.4f,\"nonzero_memset_ms\":%.4f}",
          ri->clear_bytes, ri->clear_ms, ri->fill_ms);
  fprintf(f, ",\"other_load_cores\":%.3f", ri->other_load);
  fputs(",\"cairo\":", f);
  if (ri->cairo_version)
    bench_json_str(f, ri->cairo_version);
  else
    fputs("null", f);
  fprintf(f, ",\"cairo_strategy\":\"%s\"", ri->one_path ? "one_path" : "per_shape");
  fputs(",\"cuda\":\"not measured (no device)\"", f);
  fprintf(f, ",\"edge_len_px\":{\"min\":%.1f,\"median\":%.1f,\"max\":%.1f}", ri->g->len_min,
          ri->g->len_med, ri->g->len_max);
  fputs(",\"scenes\":[", f);
  for (int i = 0; i < N_SCENES; i++) {
    const result *r = &res[i];
    fprintf(f, "%s{\"scene\":\"%s\"", i ? "," : "", scenes[i].key);
    if (r->ok)
      fprintf(f,
              ",\"ysgraph_ms\":%.4f,\"ysgraph_min_ms\":%.4f,\"frame_ms\":%.4f,"
              "\"over_clear\":%.4f,\"tiles_drawn\":%.4f",
              r->ysg_ms, r->ysg_min, r->frame_ms, r->ysg_ms / ri->clear_ms, r->tiles_drawn);
    else
      fputs(",\"ysgraph_ms\":null", f);
    if (r->have_cairo) {
      fprintf(f, ",\"cairo_ms\":%.4f,\"cairo_min_ms\":%.4f,\"cairo_clear_ms\":%.4f", r->cairo_ms,
              r->cairo_min, r->cairo_clear_ms);
      if (r->ok)
        fprintf(f,
                ",\"speedup\":%.3f,\"alpha_vs_cairo\":{\"mean_abs\":%.5f,\"max_abs\":%.4f,"
                "\"frac_over_0.25\":%.6f}",
                r->cairo_ms / r->ysg_ms, r->mad, r->max_diff, r->frac_off);
    } else {
      fputs(",\"cairo_ms\":null", f);
    }
    fputc('}', f);
  }
  fputs("]}\n", f);
}

static void print_report(const run_info *ri, const result *res) {
  printf("machine: %s, %d cores, %s; ysgraph CPU backend, %d threads\n", ri->cpu, ri->cores,
         ri->isa, ri->threads);
  if (ri->other_load >= 0)
    printf("load from other processes during the run: %.2f cores on average%s\n", ri->other_load,
           ri->other_load > 0.05 ? " — NOT a quiet machine: rerun when idle" : " (quiet)");
  if (ri->cairo_version)
    printf("cairo: %s, single-threaded (Cairo's image backend draws on the calling thread)\n",
           ri->cairo_version);
  else
    printf("cairo: not found (build with libcairo2-dev to compare)\n");
  printf("canvas %dx%d; median of %d reps after %d warm-up\n", ri->width, ri->height, ri->reps,
         ri->warmup);
  printf(
      "ysgraph: the render node's run() (line/bbox/dot), white on transparent, FP16 "
      "premultiplied, blending in linear light; seed scenes: the five layers' and the merge's "
      "times summed (fused: each layer's prepare and tile share, the merge's compositing)\n");
  printf(
      "Cairo: clear + draw on an ARGB32 image surface (8-bit, blending in sRGB), default "
      "antialias, round caps and joins; %s\n",
      ri->one_path ? "one path per scene, stroked or filled once (--cairo-one-path)"
                   : "each shape stroked or filled on its own (Cairo's faster way here)");
  printf(
      "clear: memset of a %dx%d FP16 RGBA buffer (%.1f MB) to 0, best of %d: %.3f ms = %.2f "
      "GB/s (the bandwidth floor; ×clear below is relative to it)\n",
      ri->width, ri->height, ri->clear_bytes / 1e6, CLEAR_REPS, ri->clear_ms,
      ri->clear_bytes / 1e6 / ri->clear_ms);
  printf("       the same memset with a non-zero byte: %.3f ms = %.2f GB/s\n", ri->fill_ms,
         ri->clear_bytes / 1e6 / ri->fill_ms);
  printf(
      "edges: %d points, each linked to its nearest neighbours (KNN ranks) up to %d edges; "
      "length min %.0f, median %.0f, max %.0f px\n\n",
      EDGE_POINTS, N_EDGES, ri->g->len_min, ri->g->len_med, ri->g->len_max);

  printf("| scene | ysgraph CPU ms | Cairo ms | speedup | ×clear |\n");
  printf("|---|---:|---:|---:|---:|\n");
  for (int i = 0; i < N_SCENES; i++) {
    const result *r = &res[i];
    char y[32] = "failed", c[32] = "cairo: not found", sp[32] = "–", xc[32] = "–";
    if (r->ok) {
      snprintf(y, sizeof y, "%.2f", r->ysg_ms);
      snprintf(xc, sizeof xc, "%.2f", r->ysg_ms / ri->clear_ms);
    }
    if (r->have_cairo) snprintf(c, sizeof c, "%.2f", r->cairo_ms);
    if (r->ok && r->have_cairo) snprintf(sp, sizeof sp, "%.1f×", r->cairo_ms / r->ysg_ms);
    printf("| %s | %s | %s | %s | %s |\n", scenes[i].label, y, c, sp, xc);
  }
  printf("\nCUDA: not measured (no device)\n");
  int checked = 0;
  for (int i = 0; i < N_SCENES; i++) checked += res[i].ok && res[i].have_cairo;
  if (checked) {
    printf(
        "\ncheck — alpha (coverage) of ysgraph vs Cairo over pixels either drew; "
        "tiles = share of 16×16 tiles ysgraph marked occupied:\n");
    for (int i = 0; i < N_SCENES; i++) {
      const result *r = &res[i];
      if (!r->ok || !r->have_cairo) continue;
      printf(
          "  %-12s mean |Δα| %.4f  max %.3f  |Δα|>0.25: %.4f%%  tiles %.1f%%  Cairo clear "
          "alone %.2f ms\n",
          scenes[i].key, r->mad, r->max_diff, 100 * r->frac_off, 100 * r->tiles_drawn,
          r->cairo_clear_ms);
    }
  }
  printf("\n");
}

/* ---- main
 * ---------------------------------------------------------------------------------------- */
static const char usage_text[] =
    "usage: bench_render [--size WxH] [--threads N] [--reps N] [--warmup K] [--json PATH]\n"
    "                    [--cairo-one-path]\n"
    "  defaults: --size 3840x2160 --threads 2 --reps 20 --warmup 2\n"
    "  --cairo-one-path: Cairo strokes/fills one path per scene instead of each shape\n";

static int usage(const char *msg) {
  fprintf(stderr, "bench_render: %s\n%s", msg, usage_text);
  return 2;
}

int main(int argc, char **argv) {
  run_info ri;
  memset(&ri, 0, sizeof ri);
  ri.width = 3840, ri.height = 2160, ri.threads = 2, ri.reps = 20, ri.warmup = 2;
  const char *json_path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "--size") && has) {
      char tail;
      if (sscanf(argv[++i], "%dx%d%c", &ri.width, &ri.height, &tail) != 2)
        return usage("expected --size WxH, e.g. 1920x1080");
    } else if (!strcmp(a, "--threads") && has)
      ri.threads = atoi(argv[++i]);
    else if (!strcmp(a, "--reps") && has)
      ri.reps = atoi(argv[++i]);
    else if (!strcmp(a, "--warmup") && has)
      ri.warmup = atoi(argv[++i]);
    else if (!strcmp(a, "--cairo-one-path"))
      ri.one_path = 1;
    else if (!strcmp(a, "--json") && has)
      json_path = argv[++i];
    else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
      return fputs(usage_text, stdout) < 0;
    else
      return usage("bad option or missing value");
  }
  if (ri.width < 64 || ri.height < 64 || ri.width > 16384 || ri.height > 16384)
    return usage("expected a size from 64x64 to 16384x16384");
  if (ri.threads < 1 || ri.reps < 1 || ri.warmup < 0)
    return usage("expected --threads >= 1, --reps >= 1, --warmup >= 0");

  bench_cpu_model(ri.cpu, sizeof ri.cpu);
  bench_isa(ri.isa, sizeof ri.isa);
  ri.cores = bench_cores();
#ifdef YSG_HAVE_CAIRO
  ri.cairo_version = cairo_version_string();
#endif
  geom g;
  memset(&g, 0, sizeof g);
  ri.g = &g;
  size_t npx = (size_t)ri.width * ri.height;
  g.edge_xy = malloc(sizeof(float) * 2 * EDGE_POINTS);
  g.ij = malloc(sizeof(int32_t) * 2 * N_EDGES);
  g.curve_xy = malloc(sizeof(float) * 2 * SAMPLES * N_EDGES);
  g.xywh = malloc(sizeof(float) * 4 * N_BOXES);
  g.dot_xy = malloc(sizeof(float) * 2 * N_DOTS);
  g.dot_r = malloc(sizeof(float) * N_DOTS);
  uint8_t *rgba8 = malloc(npx * 4);
  double *dt = malloc(sizeof(double) * (size_t)ri.reps);
  double *frame_dt = malloc(sizeof(double) * (size_t)ri.reps);
  result res[N_SCENES];
  memset(res, 0, sizeof res);
  ysg_context *ctx = NULL;
  int rc = 0;
  if (!g.edge_xy || !g.ij || !g.curve_xy || !g.xywh || !g.dot_xy || !g.dot_r || !rgba8 || !dt ||
      !frame_dt || make_edges(&g, ri.width, ri.height)) {
    fprintf(stderr, "bench_render: out of memory for the geometry\n");
    rc = 3;
    goto done;
  }
  make_curves(&g);
  make_boxes_dots(&g, ri.width, ri.height);

  ri.clear_bytes = npx * 8;
  ri.clear_ms = time_memset(ri.clear_bytes, 0);
  ri.fill_ms = time_memset(ri.clear_bytes, 0x3c);
  if (ri.clear_ms < 0 || ri.fill_ms < 0) {
    fprintf(stderr, "bench_render: out of memory for the clear reference\n");
    rc = 3;
    goto done;
  }

  ysg_context_options co;
  ysg_context_options_init(&co);
  co.threads = ri.threads;
  co.log = bench_log;
  co.log_ud = (void *)"bench_render";
  co.log_level = YSG_LOG_WARN;
  links_type.userdata = &g;
  arcs_type.userdata = &g;
  if (ysg_context_create(&co, &ctx) || ysg_register_node_type(ctx, &links_type) ||
      ysg_register_node_type(ctx, &arcs_type)) {
    fprintf(stderr, "bench_render: %s\n", ctx ? ysg_errmsg(ctx) : "cannot create a context");
    rc = 1;
    goto done;
  }
  double busy0, wall0 = bench_now_ms(), own0 = own_cpu_s();
  int have_busy = !machine_busy_s(&busy0);
  for (int i = 0; i < N_SCENES; i++) {
    if (run_ysgraph(ctx, &scenes[i], &g, ri.width, ri.height, ri.warmup, ri.reps, dt, frame_dt,
                    rgba8, &res[i])) {
      rc = 1;
      memset(rgba8, 0, npx * 4); /* Cairo is still timed; its check is then meaningless */
    }
#ifdef YSG_HAVE_CAIRO
    if (run_cairo(&scenes[i], &g, ri.width, ri.height, ri.warmup, ri.reps, ri.one_path, dt, rgba8,
                  &res[i]))
      rc = 1;
#endif
  }
  double busy1, wall_s = (bench_now_ms() - wall0) / 1e3;
  ri.other_load = -1;
  if (have_busy && !machine_busy_s(&busy1) && wall_s > 0) {
    ri.other_load = (busy1 - busy0 - (own_cpu_s() - own0)) / wall_s;
    if (ri.other_load < 0) ri.other_load = 0; /* tick granularity */
  }
  print_report(&ri, res);
  print_json(stdout, &ri, res);
  if (json_path) {
    FILE *f = fopen(json_path, "w");
    if (!f) {
      fprintf(stderr, "bench_render: cannot write '%s': %s\n", json_path, strerror(errno));
      rc = 3;
    } else {
      print_json(f, &ri, res);
      if (fclose(f)) rc = 3;
    }
  }

done:
  ysg_context_destroy(ctx);
  free(g.edge_xy), free(g.ij), free(g.curve_xy), free(g.xywh), free(g.dot_xy), free(g.dot_r);
  free(rgba8), free(dt), free(frame_dt);
  return rc;
}
