/* matte_stream.c — the `matte` node's stages as one streaming pass over rows (matte_stream.h):
 * the source (the input's alpha through the threshold, or a plane when islands/holes, a large
 * grow or a box-cascade blur needed whole planes first), grow/shrink by a small disc, feather
 * and blur with the exact Gaussian, temporal smoothing, the guided filter (matte_guided.c), and
 * the store into the (m, m, m, m) output. Every stage does the arithmetic of its full-plane form
 * in the same order (matte_filter.c), so results do not depend on the path. */
#include <stdatomic.h>
#include <string.h>

#include "matte_filter.h"
#include "matte_stream.h"

#define SINK_RING 2
#define GROW_DIRECT_TAPS 49 /* radius ≤ 4: the direct disc beats the sliding-max passes */
#define ALIGN 16            /* floats: 64 bytes */

static size_t al(size_t floats) { return (floats + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

int ysg__matte_grow_is_direct(float r) {
  if (r < 0.0f) r = -r;
  if (r > (float)YSG_MATTE_RADIUS_MAX) r = (float)YSG_MATTE_RADIUS_MAX;
  int R = (int)floorf(r), taps = 0;
  for (int dy = -R; dy <= R; dy++) taps += 2 * ysg_matte_span(r, dy) + 1;
  return taps <= GROW_DIRECT_TAPS;
}

/* ---- stages -------------------------------------------------------------------------------- */

typedef struct stream_job stream_job;

/* per-worker settings of a stage */
typedef struct blur_stage {
  const ysg_blur_kernel *k;
  float *line; /* ysg__matte_blur_row_floats */
  int feather; /* 1: the horizontal rows carry the unblurred row too, the vertical feathers */
  int mode;    /* feather mode */
} blur_stage;

typedef struct src_stage {
  const ysg_value *in;
  float t, soft;
} src_stage;

typedef struct grow_stage {
  float r, sgn;
} grow_stage;

typedef struct temporal_stage {
  const float *prev;
  float *next;
  float strength, motion, deadband;
  int reset;
} temporal_stage;

static void src_row(ysg_rs_chain *c, int i, int y, float *out) {
  const src_stage *s = c->st[i].state;
  int w = c->w;
  ysg__matte_load_alpha(s->in, y, 0, w, out);
  const float t = s->t, soft = s->soft;
  for (int x = 0; x < w; x++) out[x] = ysg_matte_threshold(ysg_clamp01(out[x]), t, soft);
}

static float maxf(float a, float b) { return a > b ? a : b; }

/* max (or min: values negated) over the disc, only pixels inside the image (matte_filter.c's
 * grow_direct, row by row) */
static void grow_row(ysg_rs_chain *c, int i, int y, float *o) {
  const grow_stage *g = c->st[i].state;
  int R = (int)floorf(g->r), W = c->w;
  const float sgn = g->sgn;
  for (int x = 0; x < W; x++) o[x] = -INFINITY;
  for (int dy = -R; dy <= R; dy++) {
    int sy = y + dy, hw = ysg_matte_span(g->r, dy);
    if (sy < 0 || sy >= c->h || hw < 0) continue;
    const float *s = ysg_rs_get(c, i - 1, sy);
    for (int dx = -hw; dx <= hw; dx++) {
      int a = dx < 0 ? -dx : 0, b = dx > 0 ? W - dx : W;
      for (int x = a; x < b; x++) o[x] = maxf(o[x], sgn * s[x + dx]);
    }
  }
  for (int x = 0; x < W; x++) o[x] *= sgn;
}

static void blur_h_row(ysg_rs_chain *c, int i, int y, float *out) {
  const blur_stage *b = c->st[i].state;
  const float *a = ysg_rs_get(c, i - 1, y);
  ysg__matte_blur_row(a, out, c->w, b->k, b->line);
  if (b->feather) memcpy(out + c->w, a, (size_t)c->w * sizeof(float));
}

/* the exact kernel down the rows, taps as matte_filter.c's blur_v_exact (clamped rows) */
static void blur_v_row(ysg_rs_chain *c, int i, int y, float *restrict o) {
  const blur_stage *b = c->st[i].state;
  const ysg_blur_kernel *k = b->k;
  int W = c->w, H = c->h;
  const float *cen = ysg_rs_get(c, i - 1, y);
  const float w0 = k->w[0];
  for (int x = 0; x < W; x++) o[x] = w0 * cen[x];
  for (int t = 1; t <= k->r; t++) {
    const float *restrict lo = ysg_rs_get(c, i - 1, y - t < 0 ? 0 : y - t);
    const float *restrict hi = ysg_rs_get(c, i - 1, y + t > H - 1 ? H - 1 : y + t);
    const float wt = k->w[t];
    for (int x = 0; x < W; x++) o[x] += wt * (lo[x] + hi[x]);
  }
  if (b->feather) {
    const float *restrict a = cen + W;
    const int mode = b->mode;
    for (int x = 0; x < W; x++) o[x] = ysg_matte_feather(mode, a[x], o[x]);
  }
}

/* Each row's new average goes to `next` only from the band that owns the row (rows a band
 * recomputes above or below itself belong to its neighbours), so the state is written once. */
static void temporal_row(ysg_rs_chain *c, int i, int y, float *restrict o) {
  const temporal_stage *t = c->st[i].state;
  int W = c->w;
  const float *restrict a = ysg_rs_get(c, i - 1, y);
  const float *restrict prev = t->prev + (size_t)y * W;
  if (t->reset) {
    memcpy(o, a, (size_t)W * sizeof(float));
  } else {
    const float strength = t->strength, motion = t->motion, dead = t->deadband;
    for (int x = 0; x < W; x++) o[x] = ysg_matte_temporal(prev[x], a[x], strength, motion, dead);
  }
  if (y >= c->y0 && y < c->y1) memcpy(t->next + (size_t)y * W, o, (size_t)W * sizeof(float));
}

/* ---- the chain --------------------------------------------------------------------------------
 * Built once per frame and worker; the same function counts the memory (mem NULL) for the
 * largest radii at load time. */

struct stream_job {
  const ysg_matte_stream *s;
  int bands;
  atomic_int next;
};

typedef struct worker {
  ysg_rs_chain c;
  src_stage src;
  grow_stage grow;
  blur_stage bh[2], bv[2];
  temporal_stage tm;
  ysg_guided_op gop;
} worker;

static void add(ysg_rs_chain *c, ysg_rs_stage st) { c->st[c->n++] = st; }

static float *take(float *mem, size_t *used, size_t floats) {
  float *p = mem ? mem + *used : NULL;
  *used += al(floats);
  return p;
}

/* Stages of this frame into wk->c (radii from op, or the largest when op is NULL), rings carved
 * from mem (NULL: only counted); returns the floats used. */
static size_t build(worker *wk, const ysg_matte_stream *s, const ysg_matte_refine_op *op, int w,
                    int h, float *mem) {
  ysg_rs_chain *c = &wk->c;
  memset(c, 0, sizeof *c);
  c->w = w, c->h = h;
  size_t used = 0;
  ysg_rs_stage st;
  memset(&st, 0, sizeof st);
  st.floats = w;
  if (s->plane) {
    st.plane = s->plane;
  } else {
    wk->src = (src_stage){s->in, op ? op->threshold : 0.0f, op ? op->softness : 0.0f};
    st.row = src_row;
    st.state = &wk->src;
  }
  add(c, st);
  if (s->grow) {
    float g = op ? op->grow : 4.0f;
    wk->grow = (grow_stage){g < 0.0f ? -g : g, g < 0.0f ? -1.0f : 1.0f};
    int R = (int)floorf(wk->grow.r);
    add(c, (ysg_rs_stage){.row = grow_row,
                          .lo = R,
                          .hi = R,
                          .in_ring = 2 * R + 2,
                          .floats = w,
                          .state = &wk->grow});
  }
  static const ysg_blur_kernel widest = {.box = 0, .r = 24, .support = 24};
  for (int f = 0; f < 2; f++) { /* feather, then blur */
    if (!(f == 0 ? s->feather : s->blur)) continue;
    const ysg_blur_kernel *k = op ? (f == 0 ? &op->feather_k : &op->blur_k) : &widest;
    blur_stage *bh = &wk->bh[f], *bv = &wk->bv[f];
    float *line = take(mem, &used, ysg__matte_blur_row_floats(w));
    *bh = (blur_stage){k, line, f == 0, op ? op->feather_mode : 0};
    *bv = *bh;
    add(c,
        (ysg_rs_stage){
            .row = blur_h_row, .in_ring = SINK_RING, .floats = (f == 0 ? 2 : 1) * w, .state = bh});
    add(c, (ysg_rs_stage){.row = blur_v_row,
                          .lo = k->r,
                          .hi = k->r,
                          .in_ring = 2 * k->r + 2,
                          .floats = w,
                          .state = bv});
  }
  if (s->temporal) {
    wk->tm = (temporal_stage){s->t_prev,
                              s->t_next,
                              op ? op->temporal : 0.0f,
                              op ? op->motion : 0.0f,
                              op ? op->deadband : 0.0f,
                              op ? op->temporal_reset : 1};
    add(c,
        (ysg_rs_stage){.row = temporal_row, .in_ring = SINK_RING, .floats = w, .state = &wk->tm});
  }
  if (s->guided) {
    wk->gop = (ysg_guided_op){s->guide, op ? op->guided : YSG_MATTE_RADIUS_MAX, op ? op->eps : 0};
    float *gm = take(mem, &used, ysg__matte_guided_floats(w, wk->gop.r));
    if (mem) {
      ysg__matte_guided_stage(&st, &wk->gop, gm, w);
    } else {
      memset(&st, 0, sizeof st);
      st.lo = st.hi = 2 * wk->gop.r, st.in_ring = 2 * wk->gop.r + 3, st.floats = w;
    }
    add(c, st);
  }
  /* rings: each stage keeps what the stage after it reads at once */
  for (int i = 0; i < c->n; i++) {
    ysg_rs_stage *t = &c->st[i];
    if (t->plane) continue;
    t->nring = i + 1 < c->n ? c->st[i + 1].in_ring : SINK_RING;
    t->ring = take(mem, &used, (size_t)t->nring * (size_t)t->floats);
  }
  return used;
}

size_t ysg__matte_stream_floats(const ysg_matte_stream *s, int w, int h) {
  worker wk;
  /* the largest rings: count with the source streamed and the widest radii */
  ysg_matte_stream big = *s;
  big.plane = NULL;
  return build(&wk, &big, NULL, w, h, NULL) + al(sizeof(worker) / sizeof(float) + 1);
}

static void stream_bands(void *ud, int w0, int w1) {
  stream_job *j = ud;
  const ysg_matte_stream *s = j->s;
  int W = s->out->width, H = s->out->height;
  size_t per = s->worker_floats;
  for (int k = w0; k < w1; k++) {
    float *mem = s->mem + (size_t)k * per;
    worker *wk = (worker *)mem;
    build(wk, s, s->op, W, H, mem + al(sizeof(worker) / sizeof(float) + 1));
    ysg_rs_chain *c = &wk->c;
    for (;;) {
      int b = atomic_fetch_add(&j->next, 1);
      if (b >= j->bands) break;
      c->y0 = (int)((int64_t)H * b / j->bands);
      c->y1 = (int)((int64_t)H * (b + 1) / j->bands);
      int first = c->y0;
      for (int i = c->n - 1; i >= 0; i--) {
        ysg_rs_stage *t = &c->st[i];
        t->next = first;
        if (t->begin) t->begin(c, i, first);
        first = first - t->lo < 0 ? 0 : first - t->lo;
      }
      for (int y = c->y0; y < c->y1; y++)
        ysg__matte_store_row(s->out, y, ysg_rs_get(c, c->n - 1, y));
    }
  }
}

void ysg__matte_stream(const ysg_node *n, const ysg_matte_stream *s) {
  int H = s->out->height;
  if (H <= 0 || s->out->width <= 0) return;
  /* bands: a few per worker (a slow worker's share is picked up by the others), each tall
   * enough that the rows recomputed above it stay a small part */
  worker probe;
  build(&probe, s, s->op, s->out->width, H, NULL);
  int halo = 0;
  for (int i = 0; i < probe.c.n; i++) halo += probe.c.st[i].lo;
  int bands = 4 * s->workers, min_rows = 8 * (halo > 4 ? halo : 4);
  if (bands > H / min_rows) bands = H / min_rows;
  if (bands < s->workers) bands = s->workers < H ? s->workers : H;
  stream_job j = {s, bands > 0 ? bands : 1, 0};
  atomic_init(&j.next, 0);
  ysg_node_parallel_for(n, s->workers, 1, stream_bands, &j);
}
