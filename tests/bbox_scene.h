/* bbox_scene.h — what test_bbox.c and test_bbox_cuda.c share: the static scene S of per-frame
 * boxes or points, the `tboxes`/`tpoints` test source nodes that feed it to a pipeline, and a
 * bbox pipeline over it (start, frame, finish) with a pixel reader. Static functions, as each
 * test file is its own executable; include after criterion.h, internal.h and util.h. */
#ifndef YSG_TEST_BBOX_SCENE_H
#define YSG_TEST_BBOX_SCENE_H

#include <stdio.h>
#include <string.h>

#include "color.h"

/* ---- test sources: per-frame boxes or points from the static scene S ----------------------- */
#define MAXF 40
#define MAXE 64

typedef struct scene {
  int cap;
  uint32_t attrs;
  int count[MAXF];
  float pos[MAXF][MAXE][4]; /* boxes x, y, w, h; points x, y */
  int32_t id[MAXF][MAXE];
  float radius[MAXF][MAXE];
  float rgba[MAXF][MAXE][4];
} scene;

static scene S;

static inline void scene_reset(int cap, uint32_t attrs) {
  memset(&S, 0, sizeof S);
  S.cap = cap;
  S.attrs = attrs;
}

/* append to frame f */
static inline int scene_box(int f, float x, float y, float w, float h) {
  int i = S.count[f]++;
  cr_assert(i < MAXE && i < S.cap);
  S.pos[f][i][0] = x;
  S.pos[f][i][1] = y;
  S.pos[f][i][2] = w;
  S.pos[f][i][3] = h;
  return i;
}
static inline int scene_point(int f, float x, float y, int32_t id, float radius) {
  int i = scene_box(f, x, y, 0, 0);
  S.id[f][i] = id;
  S.radius[f][i] = radius;
  return i;
}

static inline ysg_status tsrc_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = S.cap;
  return YSG_OK;
}

static inline ysg_status tsrc_run(ysg_node *n, const ysg_frame *fr) {
  ysg_value *v = ysg_node_output(n, 0);
  int f = fr->index < MAXF ? fr->index : MAXF - 1, c = S.count[f];
  for (int i = 0; i < c; i++) {
    if (v->type == YSG_BOXES)
      memcpy(v->xywh + 4 * i, S.pos[f][i], 4 * sizeof(float));
    else
      memcpy(v->xy + 2 * i, S.pos[f][i], 2 * sizeof(float));
    v->id[i] = S.id[f][i];
    if (v->type == YSG_POINTS) v->radius[i] = S.radius[f][i];
    memcpy(v->rgba + 4 * i, S.rgba[f][i], 4 * sizeof(float));
  }
  v->count = c;
  v->attrs = S.attrs;
  return YSG_OK;
}

static const ysg_port_def tboxes_out[] = {{"boxes", YSG_BOXES, 0, "S's boxes", NULL, 0}};
static const ysg_port_def tpoints_out[] = {{"points", YSG_POINTS, 0, "S's points", NULL, 0}};
static const ysg_node_type tboxes_type = {.name = "tboxes",
                                          .category = "test",
                                          .doc = "Test boxes.",
                                          .outputs = tboxes_out,
                                          .n_outputs = 1,
                                          .infer = tsrc_infer,
                                          .run = tsrc_run};
static const ysg_node_type tpoints_type = {.name = "tpoints",
                                           .category = "test",
                                           .doc = "Test points.",
                                           .outputs = tpoints_out,
                                           .n_outputs = 1,
                                           .infer = tsrc_infer,
                                           .run = tsrc_run};

/* ---- pipelines over S ---------------------------------------------------------------------------
 */
static inline ysg_context *ctx_threads(int threads) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  cr_assert_eq(ysg_register_node_type(ctx, &tboxes_type), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_register_node_type(ctx, &tpoints_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

typedef struct run {
  ysg_context *ctx;
  ysg_pipeline *p;
  const ysg_value *v;
} run;

/* W×H canvas, source `src` ("tboxes" or "tpoints"), bbox params `args` */
static inline run start(int threads, int W, int H, const char *src, const char *args) {
  char lua[2048];
  snprintf(lua, sizeof lua,
           "canvas{width=%d,height=%d,frames=%d}\nlocal s = %s{}\n"
           "out = bbox{%s=s, name='out'%s%s}\n",
           W, H, MAXF, src, strcmp(src, "tboxes") == 0 ? "boxes" : "points", *args ? ", " : "",
           args);
  run r;
  r.ctx = ctx_threads(threads);
  r.p = NULL;
  ysg_status s = ysgt_load(r.ctx, lua, &r.p);
  cr_assert_eq(s, YSG_OK, "load failed: %s\n%s", ysg_errmsg(r.ctx), lua);
  r.v = NULL;
  return r;
}

static inline const ysg_value *frame(run *r, int f) {
  cr_assert_eq(ysg_pipeline_run_frame(r->p, f), YSG_OK, "%s", ysg_errmsg(r->ctx));
  cr_assert_eq(ysg_pipeline_get_value(r->p, "out", &r->v), YSG_OK, "%s", ysg_errmsg(r->ctx));
  cr_assert_eq(r->v->type, YSG_IMAGE);
  return r->v;
}

static inline void finish(run *r) {
  ysg_pipeline_destroy(r->p);
  ysg_context_destroy(r->ctx);
}

/* channel c of pixel (x, y); pixels of tiles marked empty read as 0 */
static inline double chan(const ysg_value *v, int x, int y, int c) {
  if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) return 0.0;
  return ysg_half_to_float(v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c]);
}

#endif
