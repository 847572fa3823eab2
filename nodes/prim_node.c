/* prim_node.c — the `primitives` node: redraws its input image as `count` geometric shapes found
 * one at a time by a greedy search (nodes/prim_search.c on the CPU, cuda/prim.cu on the CUDA
 * backend), and outputs them as a shapes value and as an image drawn at canvas resolution as
 * anti-aliased vectors (nodes/prim_draw.c) tile by tile (fusable into a merge). on = "load"
 * searches at the first frame that runs and keeps the shapes; on = "frame" searches every frame,
 * each shape starting from the previous frame's (warm_start). `reveal` limits what is shown, so a
 * pipeline can play the build-up. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "color.h"
#include "internal.h"
#include "prim_draw.h"
#include "prim_search.h"
#include "shapes.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/prim_api.h"
#endif

#define PRIM_MAX_COUNT 10000

enum {
  P_COUNT,
  P_SHAPES,
  P_ALPHA,
  P_CANDIDATES,
  P_CLIMBS,
  P_AGE,
  P_WORK_SIZE,
  P_BACKGROUND,
  P_SEED,
  P_REVEAL,
  P_ON,
  P_WARM_START,
  N_PARAMS
};
enum { ON_LOAD, ON_FRAME };

static const ysg_param_def params[N_PARAMS] = {
    [P_COUNT] = {"count", YSG_PARAM_INT, "100", 1, PRIM_MAX_COUNT, NULL, YSG_PARAM_STATIC,
                 "shapes to find"},
    [P_SHAPES] = {"shapes", YSG_PARAM_STRING, "triangle", 0, 0, NULL, YSG_PARAM_STATIC,
                  "the kinds to try, comma-separated: triangle, rectangle, rotated_rectangle, "
                  "ellipse, rotated_ellipse, circle, line, quadratic, polygon, or all"},
    [P_ALPHA] = {"alpha", YSG_PARAM_NUMBER, "0.5", 0, 1, NULL, YSG_PARAM_STATIC,
                 "opacity of every shape, or 0: each shape's opacity is solved with its colour"},
    [P_CANDIDATES] = {"candidates", YSG_PARAM_INT, "1000", 1, PRIM_MAX_CANDIDATES, NULL,
                      YSG_PARAM_STATIC, "random shapes each climb starts from the best of"},
    [P_CLIMBS] = {"climbs", YSG_PARAM_INT, "16", 1, PRIM_MAX_CLIMBS, NULL, YSG_PARAM_STATIC,
                  "independent hill climbs per shape (the best one is kept)"},
    [P_AGE] = {"age", YSG_PARAM_INT, "100", 1, 1000000, NULL, YSG_PARAM_STATIC,
               "failed mutations in a row that end a climb"},
    [P_WORK_SIZE] = {"work_size", YSG_PARAM_INT, "256", 8, 4096, NULL, YSG_PARAM_STATIC,
                     "px: the long side of the image the search runs on (at most the canvas)"},
    [P_BACKGROUND] = {"background", YSG_PARAM_STRING, "auto", 0, 0, NULL, YSG_PARAM_STATIC,
                      "\"auto\" (the target's mean colour) or a colour \"#rrggbb[aa]\""},
    [P_SEED] = {"seed", YSG_PARAM_INT, "1", 0, 4294967295.0, NULL, YSG_PARAM_STATIC,
                "the search's random stream"},
    [P_REVEAL] = {"reveal", YSG_PARAM_INT, "-1", -1, PRIM_MAX_COUNT, NULL, 0,
                  "shapes shown in image and shapes (-1: all); animate it to play the build-up"},
    [P_ON] = {"on", YSG_PARAM_ENUM, "load", 0, 0, "load|frame", YSG_PARAM_STATIC,
              "load: search once, at the first frame run; frame: search every frame (video)"},
    [P_WARM_START] = {"warm_start", YSG_PARAM_BOOL, "true", 0, 0, NULL, YSG_PARAM_STATIC,
                      "on = frame: each shape's search also tries the previous frame's shape"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the target to approximate (transparency is honoured)", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the approximation at canvas size, drawn as anti-aliased vectors", NULL,
     0},
    {"shapes", YSG_SHAPES, 0,
     "the background rectangle, then the shapes shown, in canvas pixels (hosts, --dump, svg)", NULL,
     0},
};

typedef struct prim_state {
  prim_opts o;
  prim_space sp;
  int on, warm;
  int W, H, w, h; /* canvas, search */
  float f;        /* canvas pixels per search pixel */
  int auto_bg;
  float bg[4];      /* premultiplied background (search and drawing) */
  float bg_rgba[4]; /* the background record's straight colour and opacity */
  float bg_error;   /* RMSE of the background alone */
  int scratch;      /* the search's memory (prim_search_bytes) */
  prim_record *rec; /* (count) the shapes found, search pixels */
  prim_cand *prev;  /* (count) the previous frame's shapes (warm start) */
  int found;        /* records valid: count after a search, 0 before */
  prim_draw draw;   /* capacity count + 1 */
  int64_t evals;
  double search_ms;
#ifdef YSG_HAVE_CUDA
  ysg_cuda_prim *dev;
#endif
} prim_state;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static ysg_status parse_kinds(ysg_node *n, uint32_t *mask) {
  const char *s = ysg_node_string(n, P_SHAPES);
  static const char expect[] =
      "expected a comma-separated list of triangle, rectangle, rotated_rectangle, ellipse, "
      "rotated_ellipse, circle, line, quadratic, polygon, or all";
  *mask = 0;
  for (const char *p = s; *p;) {
    while (*p == ' ' || *p == ',') p++;
    const char *e = p;
    while (*e && *e != ',' && *e != ' ') e++;
    if (e == p) break;
    int k = ysg__prim_kind_find(p, (size_t)(e - p));
    if (e - p == 3 && !strncmp(p, "all", 3))
      *mask |= (1u << YSG_PRIM_KIND_COUNT) - 1u;
    else if (k < 0)
      return ysg_node_param_fail(n, P_SHAPES, YSG_ERR_PIPELINE, "unknown shape '%.*s' (%s)",
                                 (int)(e - p), p, expect);
    else
      *mask |= 1u << k;
    p = e;
  }
  if (!*mask)
    return ysg_node_param_fail(n, P_SHAPES, YSG_ERR_PIPELINE, "no shape kinds given (%s)", expect);
  return YSG_OK;
}

static void prim_destroy(ysg_node *n) {
  prim_state *st = ysg_node_state(n);
  if (!st) return;
#ifdef YSG_HAVE_CUDA
  if (st->dev) ysg__cuda_prim_destroy(st->dev);
#endif
  ysg_node_free(n, st->rec);
  ysg_node_free(n, st->prev);
  ysg_node_free(n, st->draw.geo);
  ysg_node_free(n, st->draw.col);
  ysg_node_free(n, st->draw.box);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status check_reveal(ysg_node *n, int count) {
  int r = ysg_node_int(n, P_REVEAL);
  if (r > count)
    return ysg_node_param_fail(n, P_REVEAL, YSG_ERR_PIPELINE,
                               "%d shapes asked for, but count is %d", r, count);
  return YSG_OK;
}

static ysg_status prim_init(ysg_node *n) {
  prim_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  uint32_t kinds;
  ysg_status s = parse_kinds(n, &kinds);
  if (s) return s;
  st->sp.kinds = kinds;
  st->o.count = ysg_node_int(n, P_COUNT);
  st->o.candidates = ysg_node_int(n, P_CANDIDATES);
  st->o.climbs = ysg_node_int(n, P_CLIMBS);
  st->o.age = ysg_node_int(n, P_AGE);
  st->o.alpha = (float)ysg_node_number(n, P_ALPHA);
  st->on = ysg_node_enum(n, P_ON);
  st->warm = ysg_node_bool(n, P_WARM_START);
  const char *bg = ysg_node_string(n, P_BACKGROUND);
  st->auto_bg = !strcmp(bg, "auto");
  if (!st->auto_bg) {
    float c[4];
    if (!ysg__parse_color(bg, c))
      return ysg_node_param_fail(n, P_BACKGROUND, YSG_ERR_PIPELINE,
                                 "expected \"auto\" or a colour \"#rrggbb[aa]\", got \"%s\"", bg);
    memcpy(st->bg_rgba, c, sizeof c);
    ysg_premultiply(c, st->bg);
  }
  if (!n->params[P_REVEAL].anim_ref && (s = check_reveal(n, st->o.count))) return s;
  int cap = st->o.count;
  st->rec = ysg_node_alloc(n, sizeof *st->rec * (size_t)cap);
  st->prev = ysg_node_alloc(n, sizeof *st->prev * (size_t)cap);
  st->draw.cap = cap + 1;
  st->draw.geo = ysg_node_alloc(n, sizeof *st->draw.geo * (size_t)(cap + 1));
  st->draw.col = ysg_node_alloc(n, sizeof *st->draw.col * (size_t)(cap + 1));
  st->draw.box = ysg_node_alloc(n, sizeof *st->draw.box * (size_t)(cap + 1));
  if (!st->rec || !st->prev || !st->draw.geo || !st->draw.col || !st->draw.box)
    return YSG_ERR_NOMEM;
  return YSG_OK;
}

static ysg_status prim_infer(ysg_node *n) {
  prim_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  int W = in && in->width > 0 ? in->width : cv->width;
  int H = in && in->height > 0 ? in->height : cv->height;
  if (W < 2 || H < 2)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "input 'image': the target is %dx%d pixels; at least 2x2 are needed", W,
                         H);
  st->W = W;
  st->H = H;
  prim_work_size(W, H, ysg_node_int(n, P_WORK_SIZE), &st->w, &st->h, &st->f);
  if (st->w < 2 || st->h < 2)
    return ysg_node_param_fail(n, P_WORK_SIZE, YSG_ERR_PIPELINE,
                               "the %dx%d target is searched at %dx%d; at least 2x2 are needed", W,
                               H, st->w, st->h);
  prim_space_init(&st->sp, st->w, st->h, st->sp.kinds, (uint32_t)ysg_node_number(n, P_SEED));
  ysg_value *img = ysg_node_output(n, 0), *shp = ysg_node_output(n, 1);
  img->width = cv->width;
  img->height = cv->height;
  shp->capacity = st->o.count + 1;
  st->found = 0;
  ysg_status s =
      ysg_node_request_scratch(n, prim_search_bytes(st->w, st->h, st->o.climbs), 0, &st->scratch);
  if (s) return s;
#ifdef YSG_HAVE_CUDA
  if (st->dev) { /* infer runs again when the pipeline is re-planned: sizes may have changed */
    ysg__cuda_prim_destroy(st->dev);
    st->dev = NULL;
  }
  if (n->p->backend == YSG_BACKEND_CUDA) {
    char err[512] = "";
    if ((s = ysg__cuda_prim_create(st->w, st->h, st->o.count, st->o.climbs, st->o.candidates,
                                   &st->dev, err, sizeof err)))
      return ysg_node_fail(n, s, "cannot set up the search on the device: %s", err);
  }
#endif
  return YSG_OK;
}

static void par_node(void *par, int count, int grain, ysg_range_fn fn, void *ud) {
  ysg_node_parallel_for(par, count, grain, fn, ud);
}

/* Scale a record's geometry from search pixels to canvas pixels (angles stay). */
static void to_canvas(int kind, const float *g, float f, float *out) {
  for (int k = 0; k < 8; k++)
    out[k] = (k == 4 && (kind == YSG_PRIM_ROTATED_RECTANGLE || kind == YSG_PRIM_ROTATED_ELLIPSE))
                 ? g[k]
                 : g[k] * f;
}

static ysg_status search(ysg_node *n, prim_state *st, const ysg_frame *frame) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  prim_search s;
  prim_search_bind(&s, ysg_node_scratch(n, st->scratch), st->w, st->h, st->o.climbs);
  float mean[4];
  prim_downsample(in->px, in->tiles, in->width, in->height, st->f, s.tgt, st->w, st->h, mean);
  if (!(mean[3] > 0.0f))
    return ysg_node_fail(n, YSG_ERR_DATA,
                         "input 'image' is fully transparent at frame %d: there is nothing to "
                         "approximate",
                         frame->index);
  if (st->auto_bg) {
    memcpy(st->bg, mean, sizeof mean);
    for (int q = 0; q < 3; q++) st->bg_rgba[q] = ysg_clamp01(mean[q] / mean[3]);
    st->bg_rgba[3] = ysg_clamp01(mean[3]);
    ysg_premultiply(st->bg_rgba, st->bg);
  }
  prim_search_begin(&s, st->bg);
  st->bg_error = (float)sqrt(s.sse / ((double)st->w * (double)st->h * 4.0));
  int warm = st->on == ON_FRAME && st->warm && st->found == st->o.count;
  double t0 = now_ms();
  st->evals = 0;
#ifdef YSG_HAVE_CUDA
  if (st->dev && n->p->backend == YSG_BACKEND_CUDA) {
    char err[512] = "";
    ysg_status e = ysg__cuda_prim_search(st->dev, &s, &st->o, &st->sp, warm ? st->prev : NULL,
                                         st->rec, &st->evals, err, sizeof err);
    if (e) return ysg_node_fail(n, e, "the search on the device failed: %s", err);
  } else
#endif
  {
    for (int i = 0; i < st->o.count; i++)
      st->evals += prim_search_step(&s, &st->o, &st->sp, i, warm ? &st->prev[i] : NULL, &st->rec[i],
                                    par_node, n);
  }
  st->search_ms = now_ms() - t0;
  st->found = st->o.count;
  for (int i = 0; i < st->o.count; i++) { /* the next frame's warm start */
    st->prev[i].kind = st->rec[i].kind;
    memcpy(st->prev[i].g, st->rec[i].g, sizeof st->prev[i].g);
  }
  ysg_node_set_info(n, "%d shapes searched at %dx%d on the %s in %.0f ms (%.3g evaluations/s)",
                    st->o.count, st->w, st->h,
#ifdef YSG_HAVE_CUDA
                    st->dev && n->p->backend == YSG_BACKEND_CUDA ? "GPU" : "CPU",
#else
                    "CPU",
#endif
                    st->search_ms,
                    (double)st->evals / (st->search_ms > 0 ? st->search_ms : 1) * 1e3);
  return YSG_OK;
}

/* Tile rendering (ysg_tile_ops, so a merge can fuse the image): prepare searches when due, fills
 * the shapes value and prepares the drawing; a tile is drawn from that alone. */
static ysg_status prim_prepare_frame(ysg_node *n, const ysg_frame *frame) {
  prim_state *st = ysg_node_state(n);
  ysg_status s = check_reveal(n, st->o.count);
  if (s) return s;
  if (st->on == ON_FRAME || st->found != st->o.count)
    if ((s = search(n, st, frame))) return s;
  int reveal = ysg_node_int(n, P_REVEAL);
  if (reveal < 0) reveal = st->o.count;
  /* the shapes value: the background rectangle, then the shapes shown */
  ysg_value *shp = ysg_node_output(n, 1);
  shp->kind[0] = YSG_PRIM_RECTANGLE;
  float *g0 = shp->geom;
  memset(g0, 0, 8 * sizeof *g0);
  g0[2] = (float)st->W;
  g0[3] = (float)st->H;
  memcpy(shp->rgba, st->bg_rgba, sizeof st->bg_rgba);
  shp->error[0] = st->bg_error;
  int m = 1;
  for (int i = 0; i < reveal; i++) {
    const prim_record *r = &st->rec[i];
    if (r->kind < 0) continue;
    shp->kind[m] = r->kind;
    to_canvas(r->kind, r->g, st->f, shp->geom + (size_t)m * 8);
    float *c = shp->rgba + (size_t)m * 4;
    c[0] = r->rgb[0], c[1] = r->rgb[1], c[2] = r->rgb[2], c[3] = r->s;
    shp->error[m] = r->error;
    m++;
  }
  shp->count = m;
  shp->attrs = 0;
  /* the image: every shape but the background record, over the background colour */
  const ysg_value *img = ysg_node_output(n, 0);
  prim_draw_prepare(&st->draw, shp->kind + 1, shp->geom + 8, shp->rgba + 4, m - 1, st->bg,
                    img->width, img->height);
  return YSG_OK;
}

static int prim_render(const ysg_node *n, const ysg_tile *t) {
  const prim_state *st = ysg_node_state(n);
  return prim_draw_tile(&st->draw, t->x0, t->y0, t->w, t->h, t->px, t->stride);
}

static const ysg_tile_ops prim_tile = {prim_prepare_frame, prim_render, 0};

const ysg_node_type ysg__node_primitives = {
    .name = "primitives",
    .category = "render",
    .doc =
        "Redraws its input image as `count` geometric shapes found one at a time by a greedy "
        "search (after fogleman/primitive): each shape is the best of `climbs` hill climbs, "
        "each started from the best of `candidates` random shapes and improved by rounds of "
        "16 mutations until `age` mutations in a row fail. A shape's colour (and with alpha = "
        "0 its opacity) is solved in closed form, and its error change is scored from "
        "per-row prefix sums (N, Σc, Σd, Σ|c|², Σc·d) over its full spans plus its "
        "anti-aliased edge pixels, in linear light premultiplied RGBA (the target's alpha "
        "counts). The search runs at work_size; `image` draws the shapes at canvas size as "
        "vectors over the background, and `shapes` lists them (record 0 is the background "
        "rectangle) for hosts, --dump (JSON/CSV) and the svg sink. Same seed, same shapes, "
        "for any thread count and on CUDA. on = frame searches every frame; with warm_start "
        "each shape also tries the previous frame's (state: run frames in order for "
        "reproducible video).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 2,
    .params = params,
    .n_params = N_PARAMS,
    .init = prim_init,
    .infer = prim_infer,
    .run = ysg_node_run_tiles,
    .destroy = prim_destroy,
    .tile = &prim_tile,
};
