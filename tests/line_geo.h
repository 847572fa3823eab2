/* line_geo.h — what test_line.c and test_line_cuda.c share: the arrays G (points, edges and
 * sampled curves, each curve at a stride of MAXS samples), the host node type `tgeo` that outputs
 * them, a context with it registered (warnings kept, see util.h) and a line pipeline's source.
 * Static, as each test file is its own executable; include after criterion.h and util.h. */
#ifndef YSG_TEST_LINE_GEO_H
#define YSG_TEST_LINE_GEO_H

#include <stdio.h>
#include <string.h>

/* ---- `tgeo`: points, edges and curves from G ------------------------------------------------ */
#define MAXP 1024
#define MAXE 1024
#define MAXC 16
#define MAXS 1024
static struct geo {
  int np, np_later; /* points this frame; np_later >= 0: the count from frame 1 on */
  int ne, nc, S;
  int rgba; /* points carry colours */
  float xy[MAXP * 2], col[MAXP * 4];
  int32_t ij[MAXE * 2];
  float cxy[MAXC * MAXS * 2];
} G;

static inline void geo_reset(void) {
  memset(&G, 0, sizeof G);
  G.S = 2;
  G.np_later = -1;
}
static inline void add_point(float x, float y) {
  G.xy[2 * G.np] = x;
  G.xy[2 * G.np + 1] = y;
  G.np++;
}
static inline void add_edge(int i, int j) {
  G.ij[2 * G.ne] = i;
  G.ij[2 * G.ne + 1] = j;
  G.ne++;
}
static inline void add_segment(float ax, float ay, float bx, float by) {
  add_edge(G.np, G.np + 1);
  add_point(ax, ay);
  add_point(bx, by);
}

static const ysg_port_def geo_out[] = {
    {"points", YSG_POINTS, 0, "G's points", NULL, 0},
    {"edges", YSG_EDGES, 0, "G's edges", NULL, 0},
    {"curves", YSG_CURVES, 0, "G's curves", NULL, 0},
};

static inline ysg_status geo_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = MAXP;
  ysg_node_output(n, 1)->capacity = MAXE;
  ysg_node_output(n, 2)->capacity = MAXC;
  ysg_node_output(n, 2)->samples = G.S;
  return YSG_OK;
}

static inline ysg_status geo_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *p = ysg_node_output(n, 0), *e = ysg_node_output(n, 1), *c = ysg_node_output(n, 2);
  p->count = f->index > 0 && G.np_later >= 0 ? G.np_later : G.np;
  memcpy(p->xy, G.xy, sizeof(float) * 2 * (size_t)G.np);
  memcpy(p->rgba, G.col, sizeof(float) * 4 * (size_t)G.np);
  p->attrs = G.rgba ? YSG_ATTR_RGBA : 0u;
  e->count = G.ne;
  memcpy(e->ij, G.ij, sizeof(int32_t) * 2 * (size_t)G.ne);
  c->count = G.nc;
  for (int k = 0; k < G.nc; k++) {
    memcpy(c->xy + (size_t)k * G.S * 2, G.cxy + (size_t)k * MAXS * 2, sizeof(float) * 2 * G.S);
    c->ij[2 * k] = 0;
    c->ij[2 * k + 1] = 0;
  }
  return YSG_OK;
}

static const ysg_node_type geo_type = {.name = "tgeo",
                                       .category = "test",
                                       .doc = "Test geometry from the test's arrays.",
                                       .outputs = geo_out,
                                       .n_outputs = 3,
                                       .run = geo_run,
                                       .infer = geo_infer};

/* ---- a line pipeline over G ---------------------------------------------------------------- */
static inline ysg_context *make_ctx(int threads) {
  ysg_context *ctx = ysgt_ctx_warn(threads);
  cr_assert_not_null(ctx);
  cr_assert_eq(ysg_register_node_type(ctx, &geo_type), YSG_OK, "%s", ysg_errmsg(ctx));
  return ctx;
}

static inline const char *line_src(int w, int h, const char *args) {
  static char buf[2048];
  snprintf(buf, sizeof buf,
           "canvas{width=%d,height=%d,frames=4,background='#00000000'}\n"
           "local g = tgeo{name='g'}\n"
           "out = line{%s, name='out'}\n",
           w, h, args);
  return buf;
}

#endif
