/* tiles.cuh — the render nodes' per-tile device functions: what one 16×16 block computes for its
 * tile of a layer, each thread its pixel. A node's own render kernel calls its function and
 * stores the result; the fused merge (cuda/fused.cu) calls them in layer order and composites
 * without storing the layers. Each returns whether the tile has content (the same answer in every
 * thread) and leaves the thread's premultiplied RGBA in o (before FP16 rounding). Every thread of
 * the block must call (they contain barriers); shared memory comes from one ysg_tile_smem the
 * caller owns, free again when a function returns (its last read of it precedes its last
 * barrier). The per-pixel math is the CPU's: line_math.h, bbox_math.h, dot_math.h,
 * particles_math.h, text_math.h, blend.h. */
#ifndef YSG_CUDA_TILES_CUH
#define YSG_CUDA_TILES_CUH

#include <stdint.h>

#include "bbox_math.h"
#include "blend.h"
#include "color.h"
#include "dot_math.h"
#include "line_caps.h"
#include "particles_math.h"
#include "text_math.h"

#define YSG_TILE_THREADS (YSG_TILE * YSG_TILE)
#define YSG_BBOX_BATCH 64     /* boxes staged in shared memory at a time */
#define YSG_DOT_CHUNK 64      /* dots staged at a time (4 KiB) */
#define YSG_PARTICLE_CHUNK 32 /* particles staged at a time (~7 KiB) */
#define YSG_TEXT_CHUNK 48     /* text primitives staged at a time (~4.6 KiB) */

typedef union ysg_tile_smem {
  struct {
    ysg_line_frame f;
    ysg_line_seg seg[YSG_TILE_THREADS]; /* one staged segment per thread */
    int32_t idx[YSG_TILE_THREADS];
  } line;
  ysg_bbox_prim bbox[YSG_BBOX_BATCH];
  ysg_dot_prim dot[YSG_DOT_CHUNK];
  ysg_particle_prim particles[YSG_PARTICLE_CHUNK];
  ysg_text_prim text[YSG_TEXT_CHUNK];
} ysg_tile_smem;

__device__ static inline int ysg_tile_tid(void) { return threadIdx.y * YSG_TILE + threadIdx.x; }

__device__ static inline void ysg_tile_zero(float o[4]) { o[0] = o[1] = o[2] = o[3] = 0.0f; }

/* fill: the colour everywhere; empty when fully transparent */
__device__ static inline int ysg_fill_tile(const float *color, float o[4]) {
  for (int c = 0; c < 4; c++) o[c] = color[c];
  return o[3] > 0.0f;
}

/* gradient: ysg_gradient_px at the pixel (read through the pointer: the table is 8 KiB) */
__device__ static inline int ysg_gradient_tile(const ysg_gradient_params *g, int x, int y,
                                               int inside, float o[4]) {
  ysg_tile_zero(o);
  if (inside) ysg_gradient_px(g, x, y, o);
  return ysg_gradient_nonzero(g);
}

/* line: the block stages its tile's segments, each thread keeps its pixel's nearest on-segment
 * (least signed distance for shaped strokes, line_caps.h), then computes coverage and colour
 * exactly as the CPU's final pass does */
__device__ static inline int ysg_line_tile(const ysg_line_frame *frame, const ysg_line_seg *segs,
                                           const float *cols, const int32_t *start,
                                           const int32_t *items, ysg_tile_smem *sm, int tile, int x,
                                           int y, int inside, float o[4]) {
  int tid = ysg_tile_tid();
  ysg_tile_zero(o);
  int b = start[tile], e = start[tile + 1];
  if (b == e) return 0; /* uniform over the block: no barrier is skipped by some threads only */
  if (tid == 0) sm->line.f = *frame;
  __syncthreads();
  const ysg_line_frame *f = &sm->line.f;
  float pxc = (float)x + 0.5f, pyc = (float)y + 0.5f;
  float best = ysg_line_key_limit(f); /* squared distance, or signed distance when shaped */
  int idx = -1;
  for (int base = b; base < e; base += YSG_TILE_THREADS) {
    int n = e - base < YSG_TILE_THREADS ? e - base : YSG_TILE_THREADS;
    if (tid < n) {
      sm->line.idx[tid] = items[base + tid];
      sm->line.seg[tid] = segs[sm->line.idx[tid]];
    }
    __syncthreads();
    for (int k = 0; k < n; k++) {
      float d = ysg_line_key(f, &sm->line.seg[k], pxc, pyc);
      if (d < best) {
        best = d;
        idx = sm->line.idx[k];
      }
    }
    __syncthreads();
  }
  if (inside && idx >= 0) {
    float t, cov = ysg_line_coverage(f, &segs[idx], pxc, pyc, best, &t);
    if (cov > 0.0f) ysg_line_shade(f, f->gradient ? cols + 8 * (size_t)idx : NULL, cov, t, o);
  }
  int any = o[0] != 0.0f || o[1] != 0.0f || o[2] != 0.0f || o[3] != 0.0f;
  return __syncthreads_or(any) != 0;
}

/* bbox: every thread composites the tile's boxes in list order, then the layer's opacity; the
 * tile has content when any stored half is non-zero (the CPU's rule) */
__device__ static inline int ysg_bbox_tile(const ysg_bbox_params *P, const ysg_bbox_prim *prims,
                                           const int32_t *start, const int32_t *items,
                                           ysg_tile_smem *sm, int tile, int x, int y, int inside,
                                           float o[4]) {
  int tid = ysg_tile_tid();
  ysg_tile_zero(o);
  int s = start[tile], e = start[tile + 1];
  if (s == e) return 0; /* the whole block takes this branch */
  float fx = (float)x + 0.5f, fy = (float)y + 0.5f;
  for (int base = s; base < e; base += YSG_BBOX_BATCH) {
    int m = e - base < YSG_BBOX_BATCH ? e - base : YSG_BBOX_BATCH;
    if (tid < m) sm->bbox[tid] = prims[items[base + tid]];
    __syncthreads();
    for (int k = 0; k < m; k++) {
      float c[4];
      if (ysg_bbox_eval(&sm->bbox[k], fx, fy, c)) ysg_bbox_over(o, c);
    }
    __syncthreads();
  }
  int nonzero = 0;
  if (inside) {
    float op = ysg_clamp01(P->opacity);
    if (op != 1.0f)
      for (int c = 0; c < 4; c++) o[c] *= op;
    for (int c = 0; c < 4; c++) nonzero |= (ysg_float_to_half(o[c]) & 0x7fffu) != 0;
  }
  return __syncthreads_or(nonzero) != 0;
}

/* dot: each thread composites the tile's dots in point order (staged in chunks) */
__device__ static inline int ysg_dot_tile(const ysg_dot_prim *prims, const int32_t *start,
                                          const int32_t *items, ysg_tile_smem *sm, int tile, int x,
                                          int y, int inside, float o[4]) {
  int tid = ysg_tile_tid();
  ysg_tile_zero(o);
  int s = start[tile], e = start[tile + 1];
  if (s == e) return 0; /* uniform across the block */
  int hit = 0;
  for (int k0 = s; k0 < e; k0 += YSG_DOT_CHUNK) {
    int m = e - k0 < YSG_DOT_CHUNK ? e - k0 : YSG_DOT_CHUNK;
    if (tid < m) sm->dot[tid] = prims[items[k0 + tid]];
    __syncthreads();
    if (inside)
      for (int k = 0; k < m; k++) {
        const ysg_dot_prim *d = &sm->dot[k];
        /* the pixel box the CPU node iterates over */
        if ((float)x < floorf(d->cx - d->ext - 1.0f) || (float)x > floorf(d->cx + d->ext + 1.0f) ||
            (float)y < floorf(d->cy - d->ext - 1.0f) || (float)y > floorf(d->cy + d->ext + 1.0f))
          continue;
        float a = ysg_dot_alpha(d, (float)x - d->cx, (float)y - d->cy);
        if (a > 0.0f) {
          ysg_dot_over(d, a, o);
          hit = 1;
        }
      }
    __syncthreads();
  }
  return __syncthreads_or(hit) != 0;
}

/* particles: each thread composites the tile's particles in order (staged in chunks) */
__device__ static inline int ysg_particles_tile(const ysg_particle_prim *prims,
                                                const int32_t *start, const int32_t *items,
                                                ysg_tile_smem *sm, int tile, int x, int y,
                                                int inside, float o[4]) {
  int tid = ysg_tile_tid();
  ysg_tile_zero(o);
  int s = start[tile], e = start[tile + 1];
  if (s == e) return 0; /* uniform across the block */
  int hit = 0;
  for (int k0 = s; k0 < e; k0 += YSG_PARTICLE_CHUNK) {
    int m = e - k0 < YSG_PARTICLE_CHUNK ? e - k0 : YSG_PARTICLE_CHUNK;
    if (tid < m) sm->particles[tid] = prims[items[k0 + tid]];
    __syncthreads();
    if (inside)
      for (int k = 0; k < m; k++) {
        const ysg_particle_prim *p = &sm->particles[k];
        /* the pixel box the CPU node iterates over */
        if ((float)x < p->x0 || (float)x > p->x1 || (float)y < p->y0 || (float)y > p->y1) continue;
        float a = ysg_particle_alpha(p, x, y);
        if (a > 0.0f) {
          ysg_dot_over(&p->dot, a, o);
          hit = 1;
        }
      }
    __syncthreads();
  }
  return __syncthreads_or(hit) != 0;
}

/* text: the block stages its tile's primitives (in the order the host binned them: a label's
 * plate, then its glyphs); each thread keeps its pixel's minimum text and shadow distance over
 * the current label's glyphs and, when the next label starts, shades the finished one
 * (ysg_text_shade) and composites it — nodes/text_tile.c's order and math */
__device__ static inline void ysg_text_flush(const ysg_text_style *styles, int cur, int in,
                                             float dt, float ds, int x, int y, float o[4],
                                             int *hit) {
  if (cur < 0 || !in) return;
  float c[4];
  ysg_text_shade(&styles[cur], dt, ds, (float)x + 0.5f, (float)y + 0.5f, c);
  if (c[3] > 0.0f) {
    ysg_text_over(o, c);
    *hit = 1;
  }
}

__device__ static inline float ysg_text_glyph_d(const ysg_text_prim *p, const int16_t *g0, int x,
                                                int y, int32_t ox, int32_t oy, float fu, float fv) {
  const int16_t *r0 = g0 + (p->k * y - oy) * p->w, *r1 = r0 + p->w;
  int j = p->k * x - ox;
  return ysg_text_texel(ysg_text_stream(r0, p->hw, p->k, j),
                        ysg_text_stream(r0, p->hw, p->k, j + 1),
                        ysg_text_stream(r1, p->hw, p->k, j),
                        ysg_text_stream(r1, p->hw, p->k, j + 1), 0, fu, fv, p->inv_k);
}

__device__ static inline int ysg_text_tile(const ysg_text_prim *prims, const ysg_text_style *styles,
                                           const int32_t *start, const int32_t *items,
                                           const int16_t *atlas, ysg_tile_smem *sm, int tile, int x,
                                           int y, int inside, float o[4]) {
  int tid = ysg_tile_tid();
  ysg_tile_zero(o);
  int s = start[tile], e = start[tile + 1];
  if (s == e) return 0; /* uniform across the block */
  float dt = YSG_TEXT_FAR, ds = YSG_TEXT_FAR;
  int cur = -1, in = 0, hit = 0;
  for (int k0 = s; k0 < e; k0 += YSG_TEXT_CHUNK) {
    int m = e - k0 < YSG_TEXT_CHUNK ? e - k0 : YSG_TEXT_CHUNK;
    if (tid < m) sm->text[tid] = prims[items[k0 + tid]];
    __syncthreads();
    if (inside)
      for (int k = 0; k < m; k++) {
        const ysg_text_prim *p = &sm->text[k];
        if (p->label != cur) {
          ysg_text_flush(styles, cur, in, dt, ds, x, y, o, &hit);
          cur = p->label;
          dt = ds = YSG_TEXT_FAR;
          in = 0;
        }
        in |= ysg_text_in(p->fx0, p->fy0, p->fx1, p->fy1, x, y);
        if (p->kind != YSG_TEXT_GLYPH) continue;
        const int16_t *g0 = atlas + p->offset;
        if (ysg_text_in(p->tx0, p->ty0, p->tx1, p->ty1, x, y)) {
          float d = ysg_text_glyph_d(p, g0, x, y, p->ox, p->oy, p->fu, p->fv);
          dt = d < dt ? d : dt;
        }
        if (ysg_text_in(p->sx0, p->sy0, p->sx1, p->sy1, x, y)) {
          float d = ysg_text_glyph_d(p, g0, x, y, p->sox, p->soy, p->sfu, p->sfv);
          ds = d < ds ? d : ds;
        }
      }
    __syncthreads();
  }
  if (inside) ysg_text_flush(styles, cur, in, dt, ds, x, y, o, &hit);
  return __syncthreads_or(hit) != 0;
}

#endif /* YSG_CUDA_TILES_CUH */
