/* particles.cu — the `particles` node's CUDA kernels and launcher (particles_api.h): one thread
 * per edge builds its 2-sample polyline (edges form), one per curve measures its arc length, one
 * per particle builds it (ysg_particle_make, the CPU node's code), the device binner lists them
 * per 16×16 tile, and one block per tile renders: each thread owns a pixel and composites the
 * tile's particles in order (ysg_particle_alpha / ysg_dot_over), staged through shared memory
 * in chunks (ysg_particles_tile, cuda/tiles.cuh, also called by the fused merge). Empty tiles
 * write only their flag. nodes/particles.c is the reference. */
#include <math.h>
#include <stdint.h>

#include "bins_api.h"
#include "common.cuh"
#include "fused_api.h"
#include "particles_api.h"
#include "particles_math.h"
#include "tiles.cuh"

#define PRIM_BLOCK 256

static size_t al256(size_t x) { return (x + 255) / 256 * 256; }

/* the frame's curves: *d_n (a source value's device header) when given, else q->n_curves */
__device__ static int curves_of(const ysg_particles_params *q, const int32_t *d_n, int cap) {
  int n = d_n ? *d_n : q->n_curves;
  n = n < cap ? n : cap;
  return n < 0 ? 0 : n;
}

__global__ void particles_edges_kernel(const float *pxy, const int32_t *d_np, const int32_t *ij,
                                       const ysg_particles_params *q, const int32_t *d_n, int cap,
                                       float *out) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= curves_of(q, d_n, cap)) return;
  int32_t a = ij[2 * k], b = ij[2 * k + 1], np = *d_np;
  float *o = out + 4 * (size_t)k;
  if (a < 0 || b < 0 || a >= np || b >= np) {
    o[0] = o[1] = o[2] = o[3] = NAN;
    return;
  }
  o[0] = pxy[2 * a];
  o[1] = pxy[2 * a + 1];
  o[2] = pxy[2 * b];
  o[3] = pxy[2 * b + 1];
}

__global__ void particles_lengths_kernel(const float *xy, int S, const ysg_particles_params *q,
                                         const int32_t *d_n, int cap, float *cum,
                                         int32_t *n_prims) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  int n = curves_of(q, d_n, cap);
  if (c == 0) *n_prims = n * q->count;
  if (c >= n) return;
  ysg_particle_lengths(xy + 2 * (size_t)c * S, S, cum + (size_t)c * S);
}

__global__ void particles_make_kernel(const float *xy, const float *cum, int S,
                                      const ysg_particles_params *params, const int32_t *n_prims,
                                      int cap, int width, int height, ysg_particle_prim *prims,
                                      ysg_bin_prim *bins) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= cap || i >= *n_prims) return;
  ysg_particles_params q = *params;
  int c = i / q.count, p = i % q.count;
  ysg_particle_make(&q, xy + 2 * (size_t)c * S, cum + (size_t)c * S, S, c, p, width, height,
                    &prims[i], &bins[i]);
}

__global__ void particles_kernel(const ysg_particle_prim *prims, const int32_t *start,
                                 const int32_t *items, uint16_t *px, uint8_t *tiles, int width,
                                 int height) {
  __shared__ ysg_tile_smem sm;
  int t = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float o[4];
  int any = ysg_particles_tile(prims, start, items, &sm, t, x, y, inside, o);
  if (ysg_tile_tid() == 0) tiles[t] = (uint8_t)any;
  if (any && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, o);
}

/* the pieces of the work area, in order; bind and bytes share this walk */
static size_t carve(ysg_cuda_particles_work *w, char *p, int cap_curves, int samples,
                    int edges_form, int cap_particles, int width, int height, int cap_items) {
  size_t nc = (size_t)(cap_curves > 0 ? cap_curves : 1);
  size_t np = (size_t)(cap_particles > 0 ? cap_particles : 1);
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  size_t n_tiles = (size_t)(tx > 0 ? tx : 1) * (size_t)(ty > 0 ? ty : 1);
  size_t sizes[9] = {edges_form ? nc * 4 * sizeof(float) : 0,
                     nc * (size_t)(samples > 1 ? samples : 2) * sizeof(float),
                     np * sizeof(ysg_particle_prim),
                     np * sizeof(ysg_bin_prim),
                     (n_tiles + 1) * sizeof(int32_t),
                     (size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t),
                     sizeof(int32_t),
                     sizeof(int32_t),
                     ysg__cuda_bins_temp_bytes(cap_particles, tx, ty)};
  void *at[9];
  size_t off = 0;
  for (int k = 0; k < 9; k++) {
    at[k] = p ? p + off : NULL;
    off += al256(sizes[k]);
  }
  if (w) {
    w->edge_xy = edges_form ? (float *)at[0] : NULL;
    w->cum = (float *)at[1];
    w->prims = (ysg_particle_prim *)at[2];
    w->bins = (ysg_bin_prim *)at[3];
    w->start = (int32_t *)at[4];
    w->items = (int32_t *)at[5];
    w->total = (int32_t *)at[6];
    w->n_prims = (int32_t *)at[7];
    w->temp = at[8];
    w->temp_bytes = al256(sizes[8]);
    w->cap_curves = cap_curves;
    w->samples = samples;
    w->edges_form = edges_form;
    w->cap_particles = cap_particles;
    w->cap_items = cap_items;
    w->tiles_x = tx;
    w->tiles_y = ty;
  }
  return off;
}

extern "C" size_t ysg__cuda_particles_work_bytes(int cap_curves, int samples, int edges_form,
                                                 int cap_particles, int width, int height,
                                                 int cap_items) {
  return carve(NULL, NULL, cap_curves, samples, edges_form, cap_particles, width, height,
               cap_items);
}

extern "C" void ysg__cuda_particles_work_bind(ysg_cuda_particles_work *w, void *d_mem,
                                              int cap_curves, int samples, int edges_form,
                                              int cap_particles, int width, int height,
                                              int cap_items) {
  carve(w, (char *)d_mem, cap_curves, samples, edges_form, cap_particles, width, height, cap_items);
}

extern "C" ysg_status ysg__cuda_particles(const float *d_curves_xy, const float *d_points_xy,
                                          const int32_t *d_points_count, const int32_t *d_edges_ij,
                                          int cap_curves, int samples,
                                          const ysg_particles_params *d_params, uint16_t *d_px,
                                          uint8_t *d_tiles, int width, int height,
                                          const ysg_cuda_particles_work *w, void *stream, char *err,
                                          size_t errcap) {
  return ysg__cuda_particles_n(d_curves_xy, d_points_xy, d_points_count, d_edges_ij, NULL,
                               cap_curves, samples, d_params, d_px, d_tiles, width, height, w,
                               stream, err, errcap);
}

extern "C" ysg_status ysg__cuda_particles_n(
    const float *d_curves_xy, const float *d_points_xy, const int32_t *d_points_count,
    const int32_t *d_edges_ij, const int32_t *d_n_curves, int cap_curves, int samples,
    const ysg_particles_params *d_params, uint16_t *d_px, uint8_t *d_tiles, int width, int height,
    const ysg_cuda_particles_work *w, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  int tx = (width + YSG_TILE - 1) / YSG_TILE, ty = (height + YSG_TILE - 1) / YSG_TILE;
  int edges_form = d_curves_xy == NULL;
  if (w->tiles_x != tx || w->tiles_y != ty || w->cap_curves < cap_curves || w->samples != samples ||
      w->edges_form != edges_form ||
      (edges_form && (!d_points_xy || !d_points_count || !d_edges_ij || samples != 2))) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_particles: the work area was bound for %d %s of %d samples and %d x %d "
               "tiles, the call has %d %s of %d samples and %d x %d tiles",
               w->cap_curves, w->edges_form ? "edges" : "curves", w->samples, w->tiles_x,
               w->tiles_y, cap_curves, edges_form ? "edges" : "curves", samples, tx, ty);
    return YSG_ERR_INVALID;
  }
  const float *xy = d_curves_xy;
  unsigned blocks = ysg_cuda_blocks(cap_curves > 0 ? (size_t)cap_curves : 1, PRIM_BLOCK);
  if (edges_form) {
    particles_edges_kernel<<<blocks, PRIM_BLOCK, 0, st>>>(
        d_points_xy, d_points_count, d_edges_ij, d_params, d_n_curves, cap_curves, w->edge_xy);
    YSG_CUDA_CHECK(cudaGetLastError());
    xy = w->edge_xy;
  }
  /* at least one block: thread 0 also writes the frame's particle count */
  particles_lengths_kernel<<<blocks, PRIM_BLOCK, 0, st>>>(xy, samples, d_params, d_n_curves,
                                                          cap_curves, w->cum, w->n_prims);
  YSG_CUDA_CHECK(cudaGetLastError());
  unsigned pblocks =
      ysg_cuda_blocks((size_t)(w->cap_particles > 0 ? w->cap_particles : 0), PRIM_BLOCK);
  if (pblocks) {
    particles_make_kernel<<<pblocks, PRIM_BLOCK, 0, st>>>(xy, w->cum, samples, d_params, w->n_prims,
                                                          w->cap_particles, width, height, w->prims,
                                                          w->bins);
    YSG_CUDA_CHECK(cudaGetLastError());
  }
  ysg_status s =
      ysg__cuda_bins_build(w->bins, w->n_prims, w->cap_particles, tx, ty, w->start, w->items,
                           w->cap_items, w->total, w->temp, w->temp_bytes, stream, err, errcap);
  if (s != YSG_OK || !d_px) return s; /* no image: a fused merge renders the tiles */
  particles_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      w->prims, w->start, w->items, d_px, d_tiles, width, height);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" void ysg__cuda_particles_layer(const ysg_cuda_particles_work *w, ysg_fused_layer *out) {
  out->kind = YSG_FUSED_PARTICLES;
  out->prims = w->prims;
  out->start = w->start;
  out->items = w->items;
}
