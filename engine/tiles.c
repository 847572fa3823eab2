/* tiles.c — tile rendering and tile fusion (ARCHITECTURE §6, node.h's ysg_tile_ops): which links
 * are fused (a render node's only consumer is a YSG_PORT_TILED port), the run of a tile-rendering
 * node (prepare, then every tile into its image), and the single pass of a consumer over its
 * output tiles, rendering fused links into per-thread tile buffers allocated once at load. The
 * pass times each fused link's renders with the cycle counter, one read per non-empty tile. */
#include <string.h>
#include <time.h>

#include "internal.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/fused_api.h"
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#define TILE_HALVES (YSG_TILE * YSG_TILE * 4)
#define TILE_BUF_BYTES (TILE_HALVES * sizeof(uint16_t))
#define LINE 64 /* per-thread memory is padded to cache lines: no false sharing */

static size_t up(size_t x, size_t a) { return (x + a - 1) / a * a; }

static uint64_t ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* ---- planning -------------------------------------------------------------------------------- */

int ysg__use_step(const ysg_pipeline *p, const ysg_node *n) {
  return n->fused_into >= 0 ? p->nodes[n->fused_into]->step : n->step;
}

/* reads[v]: links (over live nodes) that read output 0 of node v, counted in one pass so that
 * fusing stays linear in the link count */
static int *count_reads(ysg_pipeline *p) {
  int *reads = ysg__alloc(p->ctx, sizeof(int) * (size_t)(p->n_nodes ? p->n_nodes : 1));
  for (int i = 0; reads && i < p->n_nodes; i++) {
    const ysg_node *n = p->nodes[i];
    if (n->step < 0) continue;
    for (int q = 0; q < n->type->n_inputs; q++)
      for (int k = 0; k < n->inputs[q].n_links; k++)
        reads[n->inputs[q].links[k].from_node] += n->inputs[q].links[k].from_port == 0;
  }
  return reads;
}

/* Fusable: a tile-rendering producer's image output 0, read by this link and by nothing else,
 * not kept; on the CUDA backend both ends on the device and the producer with a fused kernel. */
static int fusable(const ysg_pipeline *p, const ysg_node *c, const ysg_link *l, const int *reads) {
  const ysg_node *src = p->nodes[l->from_node];
  const ysg_node_type *t = src->type;
  if (l->from_port != 0 || !t->tile || !t->tile->prepare || !t->tile->render || src->step < 0 ||
      t->n_outputs < 1 || t->outputs[0].type != YSG_IMAGE || (t->flags & YSG_NODE_SINK))
    return 0;
  if (ysg__is_kept(p, src, 0) || reads[src->index] != 1) return 0;
  if (p->backend == YSG_BACKEND_CUDA)
    return src->on_device && c->on_device && t->device && t->device->fused;
  return 1;
}

ysg_status ysg__fuse_links(ysg_pipeline *p) {
  p->n_fused = 0;
  for (int i = 0; i < p->n_nodes; i++) p->nodes[i]->fused_into = -1;
  if (p->no_fuse) return YSG_OK;
  int *reads = count_reads(p);
  if (!reads) return YSG_ERR_NOMEM;
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *c = p->nodes[p->order[s]];
    for (int q = 0; q < c->type->n_inputs; q++) {
      if (!(c->type->inputs[q].flags & YSG_PORT_TILED)) continue;
      for (int k = 0; k < c->inputs[q].n_links; k++) {
        ysg_link *l = &c->inputs[q].links[k];
        if (!fusable(p, c, l, reads)) continue;
        p->nodes[l->from_node]->fused_into = c->index;
        p->n_fused++;
      }
    }
  }
  ysg__free(p->ctx, reads);
  return YSG_OK;
}

/* Per-thread memory of a consumer with fused links on `port`s: one tile buffer per link, the
 * sources handed to its callback, and one clock per link plus the thread's pass total. */
static size_t consumer_stride(const ysg_node *c) {
  int nl = 0;
  for (int q = 0; q < c->type->n_inputs; q++)
    if (c->type->inputs[q].flags & YSG_PORT_TILED && c->inputs[q].n_links > nl)
      nl = c->inputs[q].n_links;
  return up((size_t)nl * TILE_BUF_BYTES, LINE) + up((size_t)nl * sizeof(ysg_tile_src), LINE) +
         up((size_t)(nl + 1) * sizeof(uint64_t), LINE);
}

ysg_status ysg__tiles_alloc(ysg_pipeline *p) {
  ysg__tiles_free(p);
  size_t threads = (size_t)(p->ctx->threads > 0 ? p->ctx->threads : 1);
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    if (n->step < 0) continue;
    if (n->type->tile && n->type->tile->scratch_bytes && !n->on_device) {
      size_t b = up(n->type->tile->scratch_bytes, LINE);
      n->tile_scratch = ysg__alloc_aligned(p->ctx, b * threads, LINE);
      if (!n->tile_scratch) return YSG_ERR_NOMEM;
    }
    int tiled = 0;
    for (int q = 0; q < n->type->n_inputs; q++)
      tiled |= (n->type->inputs[q].flags & YSG_PORT_TILED) != 0;
    if (tiled && !n->on_device) {
      n->tile_mem_stride = consumer_stride(n);
      n->tile_mem = ysg__alloc_aligned(p->ctx, n->tile_mem_stride * threads, LINE);
      if (!n->tile_mem) return YSG_ERR_NOMEM;
    }
  }
  return YSG_OK;
}

void ysg__tiles_free(ysg_pipeline *p) {
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    ysg__free(p->ctx, n->tile_scratch);
    ysg__free(p->ctx, n->tile_mem);
    n->tile_scratch = n->tile_mem = NULL;
    n->tile_mem_stride = 0;
  }
}

/* ---- a tile-rendering node on its own ----------------------------------------------------------
 */

static void tile_at(const ysg_value *v, int t, ysg_tile *o) {
  o->tx = t % v->tiles_x;
  o->ty = t / v->tiles_x;
  o->x0 = o->tx * YSG_TILE;
  o->y0 = o->ty * YSG_TILE;
  o->w = v->width - o->x0 < YSG_TILE ? v->width - o->x0 : YSG_TILE;
  o->h = v->height - o->y0 < YSG_TILE ? v->height - o->y0 : YSG_TILE;
}

static void *thread_scratch(const ysg_node *n) {
  if (!n->tile_scratch) return NULL;
  return n->tile_scratch + up(n->type->tile->scratch_bytes, LINE) * (size_t)ysg_node_thread_index();
}

typedef struct own_job {
  const ysg_node *n;
  ysg_value *out;
} own_job;

static void own_tiles(void *ud, int b, int e) {
  const own_job *j = ud;
  const ysg_value *v = j->out;
  int (*render)(const ysg_node *, const ysg_tile *) = j->n->type->tile->render;
  ysg_tile t;
  t.stride = (size_t)v->width * 4;
  t.scratch = thread_scratch(j->n);
  for (int k = b; k < e; k++) {
    tile_at(v, k, &t);
    t.px = v->px + ((size_t)t.y0 * (size_t)v->width + (size_t)t.x0) * 4;
    v->tiles[k] = (uint8_t)(render(j->n, &t) != 0);
  }
}

ysg_status ysg_node_run_tiles(ysg_node *n, const ysg_frame *frame) {
  const ysg_tile_ops *ops = n->type->tile;
  if (!ops || !ops->prepare || !ops->render)
    return ysg_node_fail(n, YSG_ERR_INVALID, "the node type has no tile callbacks to run");
  ysg_status s = ops->prepare(n, frame);
  if (s) return s;
  ysg_value *out = ysg_node_output(n, 0);
  if (!out || !out->px || !out->tiles)
    return ysg_node_fail(n, YSG_ERR_INVALID, "the output image has no pixels to render into");
  own_job j = {n, out};
  ysg_node_parallel_for(n, out->tiles_x * out->tiles_y, out->tiles_x, own_tiles, &j);
  return YSG_OK;
}

/* ---- the consumer's pass ------------------------------------------------------------------------
 */

int ysg_node_input_fused(const ysg_node *n, int port, int k) {
  if (port < 0 || port >= n->type->n_inputs || k < 0 || k >= n->inputs[port].n_links) return 0;
  return n->p->nodes[n->inputs[port].links[k].from_node]->fused_into == n->index;
}

/* a consumer's per-thread memory: nl tile buffers | nl sources | nl + 1 clocks */
static uint16_t *thread_bufs(const ysg_node *n, int th) {
  return (uint16_t *)(void *)(n->tile_mem + n->tile_mem_stride * (size_t)th);
}
static ysg_tile_src *thread_srcs(const ysg_node *n, int th, int nl) {
  return (ysg_tile_src *)(void *)((unsigned char *)thread_bufs(n, th) +
                                  up((size_t)nl * TILE_BUF_BYTES, LINE));
}
static uint64_t *thread_clocks(const ysg_node *n, int th, int nl) {
  return (uint64_t *)(void *)((unsigned char *)thread_srcs(n, th, nl) +
                              up((size_t)nl * sizeof(ysg_tile_src), LINE));
}

typedef struct pass_job {
  const ysg_node *n;
  int port, nl;
  const uint8_t *want;
  ysg_tiles_fn fn;
  void *ud;
  const ysg_value *out;
} pass_job;

static void pass_tiles(void *ud, int b, int e) {
  const pass_job *j = ud;
  const ysg_node *n = j->n;
  const ysg_value *out = j->out;
  int nl = j->nl, th = ysg_node_thread_index();
  uint16_t *bufs = thread_bufs(n, th);
  ysg_tile_src *src = thread_srcs(n, th, nl);
  uint64_t *clk = thread_clocks(n, th, nl);
  const ysg_input *in = &n->inputs[j->port];
  uint64_t c0 = ticks();
  for (int t = b; t < e; t++) {
    ysg_tile ot;
    tile_at(out, t, &ot);
    size_t off = ((size_t)ot.y0 * (size_t)out->width + (size_t)ot.x0) * 4;
    ot.px = out->px + off;
    ot.stride = (size_t)out->width * 4;
    ot.scratch = NULL;
    uint64_t prev = ticks();
    for (int k = 0; k < nl; k++) {
      src[k].active = 0;
      src[k].px = NULL;
      src[k].stride = 0;
      if (j->want && !j->want[k]) continue;
      const ysg_node *from = n->p->nodes[in->links[k].from_node];
      if (from->fused_into == n->index) {
        ysg_tile lt = ot;
        lt.px = bufs + (size_t)k * TILE_HALVES;
        lt.stride = YSG_TILE * 4;
        lt.scratch = thread_scratch(from);
        src[k].px = lt.px;
        src[k].stride = lt.stride;
        src[k].active = from->type->tile->render(from, &lt) != 0;
        if (src[k].active) { /* empty renders are cheap: their time goes to the next reading */
          uint64_t now = ticks();
          clk[k] += now - prev;
          prev = now;
        }
      } else {
        const ysg_value *v = &from->outputs[in->links[k].from_port];
        src[k].px = v->px + off;
        src[k].stride = (size_t)v->width * 4;
        src[k].active = v->tiles ? v->tiles[t] != 0 : 1;
      }
    }
    j->fn(j->ud, &ot, src);
  }
  clk[nl] += ticks() - c0;
}

void ysg_node_input_tiles(ysg_node *n, int port, const uint8_t *want, ysg_tiles_fn fn, void *ud) {
  const ysg_value *out = ysg_node_output(n, 0);
  if (port < 0 || port >= n->type->n_inputs || !out || !out->px || !n->tile_mem) return;
  pass_job j = {n, port, n->inputs[port].n_links, want, fn, ud, out};
  int threads = n->p->ctx->threads > 0 ? n->p->ctx->threads : 1;
  for (int th = 0; th < threads; th++)
    memset(thread_clocks(n, th, j.nl), 0, (size_t)(j.nl + 1) * sizeof(uint64_t));
  double t0 = now_ms();
  ysg_node_parallel_for(n, out->tiles_x * out->tiles_y, out->tiles_x, pass_tiles, &j);
  double wall = now_ms() - t0;
  /* each fused link's share of the pass: its cycles over all threads' cycles in the pass */
  uint64_t total = 0;
  for (int th = 0; th < threads; th++) total += thread_clocks(n, th, j.nl)[j.nl];
  if (!total) return;
  for (int k = 0; k < j.nl; k++) {
    ysg_node *from = n->p->nodes[n->inputs[port].links[k].from_node];
    if (from->fused_into != n->index) continue;
    uint64_t mine = 0;
    for (int th = 0; th < threads; th++) mine += thread_clocks(n, th, j.nl)[k];
    double ms = wall * (double)mine / (double)total;
    from->tile_ms += ms;
    from->total_ms += ms;
    n->fused_share_ms += ms;
  }
}

#ifdef YSG_HAVE_CUDA
ysg_status ysg__node_input_fused_layer(const ysg_node *n, int port, int k, ysg_fused_layer *out) {
  if (!ysg_node_input_fused(n, port, k))
    return ysg_node_fail((ysg_node *)n, YSG_ERR_INVALID, "layer %d is not fused", k + 1);
  const ysg_node *from = n->p->nodes[n->inputs[port].links[k].from_node];
  const struct ysg_device_fused *df = from->type->device ? from->type->device->fused : NULL;
  if (!df || !df->layer || df->layer(from, out) != YSG_OK)
    return ysg_node_fail((ysg_node *)n, YSG_ERR_INVALID,
                         "layer %d ('%s') has no fused device path for this frame", k + 1,
                         from->name);
  return YSG_OK;
}
#endif
