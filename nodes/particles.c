/* particles.c — the `particles` effect node: `count` particles travel along each curve (or
 * straight edge between points), placed by arc length from a seeded hash and the frame's time
 * only (no state between frames), each drawn as a dot (nodes/dot_math.h) with a fading, tapered
 * trail following the curve behind it. Frame: arc lengths -> particles -> tile bins -> tiles
 * composited "over" in particle order (tile by tile, ysg_tile_ops: fusable into a merge), each
 * particle's head and trail capsules evaluated over their own small boxes in whole, vectorised tile
 * rows. The math is engine/particles_math.h, shared with cuda/particles.cu. */
#include <math.h>
#include <string.h>

#include "bins.h"
#include "line.h"
#include "color.h"
#include "particles_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#include "../cuda/particles_api.h"
#endif

#if defined(__AVX__)
#include <immintrin.h>
#endif

/* sqrtf over one tile row. Built with errno semantics GCC does not vectorise sqrtf (a negative
 * argument would have to set errno), and that one call keeps the whole pixel loop scalar; AVX's
 * square root is the same IEEE-exact result. */
static void sqrt_row(float *v) {
#if defined(__AVX__) && YSG_TILE % 8 == 0
  for (int x = 0; x < YSG_TILE; x += 8)
    _mm256_storeu_ps(v + x, _mm256_sqrt_ps(_mm256_loadu_ps(v + x)));
#else
  for (int x = 0; x < YSG_TILE; x++) v[x] = sqrtf(v[x]);
#endif
}

enum { IN_CURVES, IN_POINTS, IN_EDGES };
enum {
  P_COUNT_PER,
  P_SPEED,
  P_SPEED_UNIT,
  P_SIZE,
  P_JITTER,
  P_TRAIL,
  P_COLOR,
  P_OPACITY,
  P_SEED,
  P_GLOW,
  P_BIN_CAPACITY,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_COUNT_PER] = {"count", YSG_PARAM_INT, "3", 0, 1000, NULL, YSG_PARAM_STATIC,
                     "particles per curve (or edge)"},
    [P_SPEED] = {"speed", YSG_PARAM_NUMBER, "0.25", -100000, 100000, NULL, 0,
                 "travel speed in speed_unit; negative runs backwards"},
    [P_SPEED_UNIT] = {"speed_unit", YSG_PARAM_ENUM, "fraction", 0, 0, "fraction|px", 0,
                      "fraction: of each curve per second; px: pixels per second along the arc"},
    [P_SIZE] = {"size", YSG_PARAM_NUMBER, "2.5", 0, 1000, NULL, 0, "head radius in px"},
    [P_JITTER] = {"jitter", YSG_PARAM_NUMBER, "0.2", 0, 1, NULL, 0,
                  "per-particle speed variation: speed × (1 + jitter · u), u in [-1, 1) hashed"},
    [P_TRAIL] = {"trail", YSG_PARAM_NUMBER, "24", 0, 100000, NULL, 0,
                 "px of fading, tapering trail along the curve behind each particle; 0: none"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#ffffff", 0, 0, NULL, 0, "particle colour"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0, "multiplies every particle"},
    [P_SEED] = {"seed", YSG_PARAM_INT, "1", -2147483648.0, 2147483647.0, NULL, 0,
                "hash seed of the phases and speed variations"},
    [P_GLOW] = {"glow", YSG_PARAM_NUMBER, "0", 0, 1000, NULL, 0,
                "px: soft glow around each head (the dot node's glow at intensity 0.6), 0: none"},
    [P_BIN_CAPACITY] = {"bin_capacity", YSG_PARAM_INT, "0", 0, 2147483647.0, NULL, YSG_PARAM_STATIC,
                        "tile references a frame may use (0: max(16 × tiles, 64 × particles))"},
};

static const ysg_port_def inputs[] = {
    [IN_CURVES] = {"curves", YSG_CURVES, YSG_PORT_OPTIONAL,
                   "polylines the particles travel along (instead of points + edges)", NULL, 0},
    [IN_POINTS] = {"points", YSG_POINTS, YSG_PORT_OPTIONAL, "end points of the edges", NULL, 0},
    [IN_EDGES] = {"edges", YSG_EDGES, YSG_PORT_OPTIONAL, "straight paths from point i to point j",
                  NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the particles on transparent, canvas-sized", NULL, 0},
};

/* sizes fixed at infer; the arrays live in one arena scratch buffer */
typedef struct particles_state {
  int cap_curves, samples, per, cap_items, scratch;
  int64_t cap;                                 /* particles */
  size_t off_cum, off_prims, off_bp, off_bins; /* off 0: edge polylines (edges form) */
  int d_work, chk_items; /* CUDA backend: device scratch and the bin-reference check */
  /* this frame, for the tile renders (ysg_tile_ops) */
  const ysg_particle_prim *prims;
  ysg_bins bins;
  int draw; /* 0: nothing binned (over capacity) */
} particles_state;

typedef struct particles_job {
  const ysg_particles_params *q;
  const float *xy; /* (n_curves, S, 2) */
  float *cum;      /* (n_curves, S) */
  ysg_particle_prim *prims;
  ysg_bin_prim *bp;
  const ysg_value *points, *edges;
  float *edge_xy;
  int S, width, height;
} particles_job;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* edges form: each valid edge becomes a 2-sample polyline; edges naming a point outside this
 * frame's points get NaN ends, so they carry no particles */
static void edge_polylines(void *ud, int k0, int k1) {
  const particles_job *j = ud;
  for (int k = k0; k < k1; k++) {
    int32_t a = j->edges->ij[2 * k], b = j->edges->ij[2 * k + 1];
    float *o = j->edge_xy + 4 * (size_t)k;
    if (a < 0 || b < 0 || a >= j->points->count || b >= j->points->count) {
      o[0] = o[1] = o[2] = o[3] = NAN;
      continue;
    }
    o[0] = j->points->xy[2 * a];
    o[1] = j->points->xy[2 * a + 1];
    o[2] = j->points->xy[2 * b];
    o[3] = j->points->xy[2 * b + 1];
  }
}

static void curve_lengths(void *ud, int c0, int c1) {
  const particles_job *j = ud;
  for (int c = c0; c < c1; c++)
    ysg_particle_lengths(j->xy + 2 * (size_t)c * j->S, j->S, j->cum + (size_t)c * j->S);
}

static void make_particles(void *ud, int i0, int i1) {
  const particles_job *j = ud;
  int per = j->q->count;
  for (int i = i0; i < i1; i++) {
    int c = i / per, p = i % per;
    ysg_particle_make(j->q, j->xy + 2 * (size_t)c * j->S, j->cum + (size_t)c * j->S, j->S, c, p,
                      j->width, j->height, &j->prims[i], &j->bp[i]);
  }
}

/* Inclusive span [*i0, *i1] of the pixels in [t0, t1] whose centres i + 0.5 may lie in (lo, hi);
 * 0 when none. Clamps in float first: a particle's parts may lie far outside int range. */
static int span(float lo, float hi, int t0, int t1, int *i0, int *i1) {
  float a = floorf(lo - 0.5f), b = floorf(hi - 0.5f);
  if (!(a <= (float)t1) || !(b >= (float)t0)) return 0; /* NaN: empty */
  *i0 = a > (float)t0 ? (int)a : t0;
  *i1 = b < (float)t1 ? (int)b : t1;
  return *i0 <= *i1;
}

/* A particle's part clipped to a tile: pixels x0..x1, y0..y1 (inclusive). */
typedef struct part_box {
  int x0, x1, y0, y1;
} part_box;

/* Composite one particle over acc (the tile at tx0, ty0) within clip, the tile ∩ the particle's
 * box. The result is ysg_particle_alpha's at every pixel, but each term is evaluated only over
 * its own box: the head (disc and glow) within ext + 0.75 px of its centre, each trail capsule
 * within its reach (ysg_particle_capsule) + 0.25 px of its segment; their max is gathered in
 * `trail` first. Returns 1 if some pixel got alpha. */
static int draw_particle(const ysg_particle_prim *o, const part_box *clip, int tx0, int ty0,
                         float *acc, float *trail) {
  part_box hb = {0, -1, 0, -1}, u = {clip->x1 + 1, clip->x0 - 1, clip->y1 + 1, clip->y0 - 1};
  int head = 0;
  if (o->dot.shape >= 0) {
    float e = o->dot.ext + 0.75f; /* the disc reaches ρ + 0.7072 px, the glow ext */
    head = span(o->dot.cx - e, o->dot.cx + e, clip->x0, clip->x1, &hb.x0, &hb.x1) &&
           span(o->dot.cy - e, o->dot.cy + e, clip->y0, clip->y1, &hb.y0, &hb.y1);
    if (head) u = hb;
  }
  part_box cb[YSG_PARTICLE_TRAIL_SEGS];
  int cj[YSG_PARTICLE_TRAIL_SEGS], nc = 0;
  for (int j = 0; j + 1 < o->n_trail; j++) {
    float w = 1.0f - ysg_dot_minf(o->tu[j], o->tu[j + 1]);
    float reach = ysg_dot_maxf(o->tr * w, 0.5f) + 0.75f;
    part_box c;
    if (!(w > 0.0f) ||
        !span(ysg_dot_minf(o->tx[j], o->tx[j + 1]) - reach,
              ysg_dot_maxf(o->tx[j], o->tx[j + 1]) + reach, clip->x0, clip->x1, &c.x0, &c.x1) ||
        !span(ysg_dot_minf(o->ty[j], o->ty[j + 1]) - reach,
              ysg_dot_maxf(o->ty[j], o->ty[j + 1]) + reach, clip->y0, clip->y1, &c.y0, &c.y1))
      continue;
    cb[nc] = c;
    cj[nc++] = j;
    u.x0 = c.x0 < u.x0 ? c.x0 : u.x0;
    u.x1 = c.x1 > u.x1 ? c.x1 : u.x1;
    u.y0 = c.y0 < u.y0 ? c.y0 : u.y0;
    u.y1 = c.y1 > u.y1 ? c.y1 : u.y1;
  }
  if (u.x0 > u.x1 || u.y0 > u.y1) return 0;
  /* the loops below run over whole tile rows, masked to the boxes: a fixed trip count of
   * YSG_TILE vectorises, a box's ~10 px would mostly run the scalar remainder */
  if (nc) {
    memset(trail + (u.y0 - ty0) * YSG_TILE, 0,
           sizeof(float) * YSG_TILE * (size_t)(u.y1 - u.y0 + 1));
    for (int k = 0; k < nc; k++) {
      const part_box *c = &cb[k];
      int c0 = c->x0 - tx0, c1 = c->x1 - tx0;
      for (int y = c->y0; y <= c->y1; y++) {
        float *row = trail + (y - ty0) * YSG_TILE, py = (float)y + 0.5f, dist[YSG_TILE],
              h[YSG_TILE];
#pragma omp simd
        for (int x = 0; x < YSG_TILE; x++)
          dist[x] = ysg_particle_capsule_d2(o, cj[k], (float)(tx0 + x) + 0.5f, py, &h[x]);
        sqrt_row(dist);
#pragma omp simd
        for (int x = 0; x < YSG_TILE; x++) {
          float cov = ysg_particle_capsule_cov(o, cj[k], dist[x], h[x]);
          float m = cov > row[x] ? cov : row[x];
          row[x] = ((x >= c0) & (x <= c1)) ? m : row[x];
        }
      }
    }
  }
  /* a disc without outline, glowing: only its own box needs the exact-area coverage */
  const ysg_dot_prim *d = &o->dot;
  part_box db = {0, -1, 0, -1};
  int glow_only = head && d->shape == YSG_SHAPE_CIRCLE && d->s == 0.0f && d->glow > 0.0f;
  int plain_disc = d->shape == YSG_SHAPE_CIRCLE && d->s == 0.0f && !(d->glow > 0.0f);
  if (glow_only) {
    float e = d->r + 0.75f; /* the disc reaches ρ + 0.7072 px */
    if (!span(d->cx - e, d->cx + e, hb.x0, hb.x1, &db.x0, &db.x1) ||
        !span(d->cy - e, d->cy + e, hb.y0, hb.y1, &db.y0, &db.y1))
      db.x0 = db.y0 = 0, db.x1 = db.y1 = -1;
  }
  float most = 0.0f, a[YSG_TILE];
  int h0 = hb.x0 - tx0, h1 = hb.x1 - tx0;
  for (int y = u.y0; y <= u.y1; y++) {
    if (head && y >= hb.y0 && y <= hb.y1) {
      float Y0 = (float)y - d->cy;
      if (glow_only) {
        /* beyond the disc's box ysg_dot_alpha is the glow alone (its coverage term is 0) */
        float py = Y0 + 0.5f;
#pragma omp simd
        for (int x = 0; x < YSG_TILE; x++) {
          float X = (float)(tx0 + x) - d->cx + 0.5f;
          a[x] = X * X + py * py;
        }
        sqrt_row(a); /* ysg_sd_circle's root */
#pragma omp simd
        for (int x = 0; x < YSG_TILE; x++) {
          float g = ysg_dot_glow_profile((a[x] - d->r) * d->inv_glow, d->gi);
          a[x] = ((x >= h0) & (x <= h1)) ? g : 0.0f;
        }
        if (y >= db.y0 && y <= db.y1)
          for (int x = db.x0; x <= db.x1; x++) a[x - tx0] = ysg_dot_alpha(d, (float)x - d->cx, Y0);
      } else if (plain_disc) { /* ysg_dot_alpha's whole work for it, inlined */
        for (int x = 0; x < YSG_TILE; x++) a[x] = 0.0f;
        for (int x = hb.x0; x <= hb.x1; x++)
          a[x - tx0] = ysg_clamp01(ysg_dot_disc(d->r, (float)x - d->cx, Y0));
      } else {
        for (int x = 0; x < YSG_TILE; x++) a[x] = 0.0f;
        for (int x = hb.x0; x <= hb.x1; x++) a[x - tx0] = ysg_dot_alpha(d, (float)x - d->cx, Y0);
      }
    } else {
      for (int x = 0; x < YSG_TILE; x++) a[x] = 0.0f;
    }
    if (nc) {
      const float *t = trail + (y - ty0) * YSG_TILE;
#pragma omp simd
      for (int x = 0; x < YSG_TILE; x++) a[x] += t[x] * (1.0f - a[x]);
    }
    float *row = acc + (size_t)(y - ty0) * YSG_TILE * 4;
#pragma omp simd reduction(max : most)
    for (int x = 0; x < YSG_TILE; x++) {
      float v = a[x] > 0.0f ? a[x] : 0.0f; /* a zero alpha leaves acc as it is */
      ysg_dot_over(d, v, row + 4 * x);
      most = v > most ? v : most;
    }
  }
  return most > 0.0f;
}

/* One tile (ysg_tile_ops.render): each pixel composites its tile's particles over transparent
 * in FP32, in particle order; the tile is stored only if some particle gave it alpha. */
YSG_CPU_CLONES static int particles_tile_render(const ysg_node *n, const ysg_tile *t) {
  const particles_state *st = ysg_node_state(n);
  if (!st->draw) return 0;
  const ysg_bins *b = &st->bins;
  int tile = t->ty * b->tiles_x + t->tx;
  int s = b->start[tile], e = b->start[tile + 1];
  if (s == e) return 0;
  float acc[YSG_TILE * YSG_TILE * 4], trail[YSG_TILE * YSG_TILE];
  int x0 = t->x0, y0 = t->y0;
  int xe = x0 + t->w, ye = y0 + t->h; /* exclusive */
  memset(acc, 0, sizeof acc);
  int any = 0;
  for (int k = s; k < e; k++) {
    const ysg_particle_prim *o = &st->prims[b->items[k]];
    part_box clip;
    clip.x0 = o->x0 > (float)x0 ? (int)o->x0 : x0;
    clip.x1 = o->x1 < (float)(xe - 1) ? (int)o->x1 : xe - 1;
    clip.y0 = o->y0 > (float)y0 ? (int)o->y0 : y0;
    clip.y1 = o->y1 < (float)(ye - 1) ? (int)o->y1 : ye - 1;
    if (clip.x0 > clip.x1 || clip.y0 > clip.y1) continue;
    any |= draw_particle(o, &clip, x0, y0, acc, trail);
  }
  if (!any) return 0;
  for (int y = 0; y < t->h; y++)
    ysg_floats_to_halves(acc + (size_t)y * YSG_TILE * 4, t->px + (size_t)y * t->stride, 4 * t->w);
  return 1;
}

static void particles_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status particles_infer(ysg_node *n) {
  int c;
  ysg_status pst = ysg__path_inputs(n, IN_CURVES, IN_POINTS, IN_EDGES, &c);
  if (pst) return pst;
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  const ysg_value *v = ysg_node_input(n, c ? IN_CURVES : IN_EDGES, 0);
  int cap_curves = v->capacity > 0 ? v->capacity : 0;
  int S = c ? v->samples : 2;
  if (S < 2)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "inputs: 'curves' has %d samples per curve, at least 2 are needed", S);
  int per = ysg_node_int(n, P_COUNT_PER);
  int64_t cap = (int64_t)cap_curves * per;
  if (cap > (int64_t)1 << 24)
    return ysg_node_param_fail(n, P_COUNT_PER, YSG_ERR_LIMIT,
                               "%d curves × %d particles is %lld particles, at most %d are "
                               "supported",
                               cap_curves, per, (long long)cap, 1 << 24);
  int tiles_x = (cv->width + YSG_TILE - 1) / YSG_TILE,
      tiles_y = (cv->height + YSG_TILE - 1) / YSG_TILE;
  particles_destroy(n); /* infer runs again when a pipeline is re-planned */
  particles_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->cap_curves = cap_curves;
  st->samples = S;
  st->per = per;
  st->cap = cap;
  int set = ysg_node_int(n, P_BIN_CAPACITY);
  st->cap_items = set > 0 ? set : (int)ysg_particles_bin_capacity(tiles_x * tiles_y, cap);
  size_t nc = (size_t)(cap_curves > 0 ? cap_curves : 1), np = (size_t)(cap > 0 ? cap : 1);
  st->off_cum = c ? 0 : align64(nc * 4 * sizeof(float));
  st->off_prims = st->off_cum + align64(nc * (size_t)S * sizeof(float));
  st->off_bp = st->off_prims + align64(np * sizeof(ysg_particle_prim));
  st->off_bins = st->off_bp + align64(np * sizeof(ysg_bin_prim));
  size_t bytes = st->off_bins + ysg__bins_bytes(tiles_x, tiles_y, st->cap_items);
  return ysg_node_request_scratch(n, bytes, 0, &st->scratch);
}

/* The frame's settings: the CPU run's, and the CUDA path's parameter block (whose kernels read
 * the curve count from the source's device header, not n_curves). */
static void read_params(const ysg_node *n, const ysg_frame *f, int per, int n_curves,
                        ysg_particles_params *q) {
  memset(q, 0, sizeof *q);
  q->base = f->time * ysg_node_number(n, P_SPEED);
  q->size = (float)ysg_node_number(n, P_SIZE);
  q->jitter = ysg_clamp01((float)ysg_node_number(n, P_JITTER));
  q->trail = (float)ysg_node_number(n, P_TRAIL);
  q->glow = (float)ysg_node_number(n, P_GLOW);
  float straight[4];
  ysg_node_color(n, P_COLOR, straight);
  straight[3] = ysg_clamp01(straight[3]);
  ysg_premultiply(straight, q->color);
  float op = ysg_clamp01((float)ysg_node_number(n, P_OPACITY));
  for (int k = 0; k < 4; k++) q->color[k] *= op;
  q->seed = (uint32_t)ysg_node_int(n, P_SEED);
  q->count = per;
  q->px_unit = ysg_node_enum(n, P_SPEED_UNIT) == 1;
  q->n_curves = n_curves;
}

/* Tile rendering (ysg_tile_ops): prepare measures the curves, places this frame's particles and
 * bins them into tiles (in scratch); particles_tile_render draws one tile. */
static ysg_status particles_tile_prepare(ysg_node *n, const ysg_frame *frame) {
  particles_state *st = ysg_node_state(n);
  const ysg_value *out = ysg_node_output(n, 0);
  const ysg_value *curves = ysg_node_input(n, IN_CURVES, 0);
  const ysg_value *points = curves ? NULL : ysg_node_input(n, IN_POINTS, 0);
  const ysg_value *edges = curves ? NULL : ysg_node_input(n, IN_EDGES, 0);
  const ysg_value *src = curves ? curves : edges;
  int n_curves = src->count < st->cap_curves ? src->count : st->cap_curves;
  if (n_curves < 0) n_curves = 0;
  unsigned char *mem = ysg_node_scratch(n, st->scratch);
  ysg_particles_params q;
  read_params(n, frame, st->per, n_curves, &q);
  particles_job j;
  memset(&j, 0, sizeof j);
  j.q = &q;
  j.S = st->samples;
  j.width = out->width;
  j.height = out->height;
  j.points = points;
  j.edges = edges;
  j.cum = (float *)(mem + st->off_cum);
  j.prims = (ysg_particle_prim *)(mem + st->off_prims);
  j.bp = (ysg_bin_prim *)(mem + st->off_bp);
  st->draw = 0;
  if (curves) {
    j.xy = curves->xy;
  } else {
    j.edge_xy = (float *)mem;
    j.xy = j.edge_xy;
    ysg_node_parallel_for(n, n_curves, 1024, edge_polylines, &j);
  }
  int n_prims = n_curves * st->per;
  ysg_node_parallel_for(n, n_curves, 64, curve_lengths, &j);
  ysg_node_parallel_for(n, n_prims, 256, make_particles, &j);
  ysg__bins_bind(&st->bins, mem + st->off_bins, out->tiles_x, out->tiles_y, st->cap_items);
  int64_t need = ysg__bins_build_par(n, &st->bins, j.bp, n_prims);
  if (need > st->cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "frame %d needs %lld tile references, more than the %d planned; "
                               "raise bin_capacity",
                               frame->index, (long long)need, st->cap_items);
  st->prims = j.prims;
  st->draw = 1;
  return YSG_OK;
}

static const ysg_tile_ops particles_tile = {
    .prepare = particles_tile_prepare,
    .render = particles_tile_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_particles_params (read_params, 56 bytes; its double at offset 0). The
 * curve count comes from the curves' (or edges') device header (ysg__cuda_particles_n). Device
 * scratch: the launcher's work area. Check: the frame's bin references (*work.total, a capturable
 * D2D copy) against cap_items; over it the launcher leaves every tile empty, as the CPU does. */
#ifdef YSG_HAVE_CUDA
static ysg_status particles_device_infer(ysg_node *n) {
  particles_state *st = ysg_node_state(n);
  const ysg_value *out = ysg_node_output(n, 0);
  int edges_form = ysg_node_input_count(n, IN_CURVES) == 0;
  size_t bytes =
      ysg__cuda_particles_work_bytes(st->cap_curves, st->samples, edges_form, (int)st->cap,
                                     out->width, out->height, st->cap_items);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_particles_params))) ||
      (s = ysg_node_request_device_scratch(n, bytes, 0, &st->d_work)) ||
      (s = ysg_node_request_device_check(n, "tile references", st->cap_items, &st->chk_items)))
    return s;
  return YSG_OK;
}

static ysg_status particles_prepare(ysg_node *n, const ysg_frame *f) {
  const particles_state *st = ysg_node_state(n);
  ysg_particles_params *q = ysg_node_param_block(n);
  if (!q) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  read_params(n, f, st->per, st->cap_curves, q);
  return YSG_OK;
}

static ysg_status particles_device_run(ysg_node *n, void *stream) {
  const particles_state *st = ysg_node_state(n);
  int curves = ysg_node_input_count(n, IN_CURVES) > 0;
  const ysg_value *src = ysg_node_input_device(n, curves ? IN_CURVES : IN_EDGES, 0);
  const ysg_value_header *sh = ysg_node_input_header(n, curves ? IN_CURVES : IN_EDGES, 0);
  const ysg_value *pts = curves ? NULL : ysg_node_input_device(n, IN_POINTS, 0);
  const ysg_value_header *ph = curves ? NULL : ysg_node_input_header(n, IN_POINTS, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  void *mem = ysg_node_device_scratch(n, st->d_work);
  int32_t *need = ysg_node_device_check(n, st->chk_items);
  const ysg_particles_params *q = ysg_node_param_block_device(n);
  if (!src || !sh || (!curves && (!pts || !ph)) || !out || !mem || !need || !q)
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "device views of the inputs, output, scratch, parameters or check are "
                         "missing");
  ysg_cuda_particles_work w;
  ysg__cuda_particles_work_bind(&w, mem, st->cap_curves, st->samples, !curves, (int)st->cap,
                                out->width, out->height, st->cap_items);
  char err[512] = "";
  ysg_status s = ysg__cuda_particles_n(
      curves ? src->xy : NULL, curves ? NULL : pts->xy, curves ? NULL : &ph->count,
      curves ? NULL : src->ij, &sh->count, st->cap_curves, st->samples, q, out->px, out->tiles,
      out->width, out->height, &w, stream, err, sizeof err);
  if (!s) s = ysg__cuda_copy(need, w.total, sizeof(int32_t), stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* fused into a merge: particles_device_run with no output image only builds and bins */
static ysg_status particles_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  const particles_state *st = ysg_node_state(n);
  void *mem = ysg_node_device_scratch(n, st->d_work);
  if (!mem) return YSG_ERR_INVALID;
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_cuda_particles_work w;
  ysg__cuda_particles_work_bind(&w, mem, st->cap_curves, st->samples,
                                ysg_node_input_count(n, IN_CURVES) == 0, (int)st->cap, cv->width,
                                cv->height, st->cap_items);
  ysg__cuda_particles_layer(&w, out);
  return YSG_OK;
}

static const struct ysg_device_fused particles_fused = {YSG_FUSED_PARTICLES, particles_device_run,
                                                        particles_fused_layer};

static const ysg_device_ops particles_device = {
    .infer = particles_device_infer,
    .prepare = particles_prepare,
    .run = particles_device_run,
    .fused = &particles_fused,
};
#endif

const ysg_node_type ysg__node_particles = {
    .name = "particles",
    .category = "effect",
    .doc =
        "Particles travelling along `curves` (or straight `edges` between `points`): `count` "
        "per curve, each at arc-length fraction s = frac(phase + t·speed·(1 + jitter·u)) of "
        "its curve (speed_unit px: the speed term divided by the curve's length), phase in "
        "[0, 1) and u in [-1, 1) hashed from (curve, particle, seed) with lowbias32, so frame "
        "f renders the same whether or not earlier frames ran. Each particle is a disc of "
        "radius `size` (the dot node's exact-area coverage and glow) with a trail of `trail` "
        "px following the curve behind it as 8 capsules whose radius tapers from `size` to 0 "
        "and whose alpha fades as 1 − u along it (cut at the curve's start). Particles "
        "composite over each other in order (curve-major). Curves with a non-finite sample "
        "and edges naming a point outside this frame's points carry no particles.",
    .inputs = inputs,
    .n_inputs = 3,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = particles_infer,
    .run = ysg_node_run_tiles,
    .destroy = particles_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &particles_device,
#endif
    .tile = &particles_tile,
};
