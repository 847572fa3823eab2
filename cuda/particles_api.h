/* particles_api.h — the plain C face of the `particles` node's CUDA path (cuda/particles.cu):
 * one launcher that turns edges into 2-sample polylines (edges form), measures every curve's arc
 * length, builds the particles (ysg_particle_make), bins them on the device and renders every
 * tile (ysg_particle_alpha), all enqueued on one stream with per-frame values (time, counts,
 * colour) read from device memory, so a captured CUDA Graph replays without re-capture.
 * Conventions as in cuda_api.h. */
#ifndef YSG_PARTICLES_API_H
#define YSG_PARTICLES_API_H

#include <stddef.h>
#include <stdint.h>

#include "particles_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device scratch of the launcher, carved from one allocation by ysg__cuda_particles_work_bind. */
typedef struct ysg_cuda_particles_work {
  float *edge_xy;           /* (cap_curves, 2, 2): edges form only, else NULL */
  float *cum;               /* (cap_curves, samples) cumulative arc lengths */
  ysg_particle_prim *prims; /* (cap_particles) */
  ysg_bin_prim *bins;       /* (cap_particles) */
  int32_t *start;           /* (n_tiles + 1) */
  int32_t *items;           /* (cap_items) */
  int32_t *total;           /* (1): references needed; > cap_items: nothing was drawn */
  int32_t *n_prims;         /* (1): particles this frame */
  void *temp;               /* the binner's scratch */
  size_t temp_bytes;
  int cap_curves, samples, edges_form, cap_particles, cap_items, tiles_x, tiles_y;
} ysg_cuda_particles_work;

/* Bytes of device memory ysg__cuda_particles_work_bind carves (256-byte aligned pieces).
 * edges_form: the launcher will be given points + edges (samples must then be 2). */
size_t ysg__cuda_particles_work_bytes(int cap_curves, int samples, int edges_form,
                                      int cap_particles, int width, int height, int cap_items);
void ysg__cuda_particles_work_bind(ysg_cuda_particles_work *w, void *d_mem, int cap_curves,
                                   int samples, int edges_form, int cap_particles, int width,
                                   int height, int cap_items);

/* Draw d_params->count particles on each of the first d_params->n_curves (≤ cap_curves) curves
 * into the width × height FP16 image d_px / tile grid d_tiles, as the CPU `particles` node does.
 * Curves form: d_curves_xy (cap_curves, samples, 2), the points arguments NULL. Edges form:
 * d_curves_xy NULL, d_points_xy (N, 2) with *d_points_count points and d_edges_ij (cap_curves,
 * 2); edges naming a point outside 0..count-1 carry no particles. When the frame needs more bin
 * references than w->cap_items every tile is left empty and *w->total tells the host. */
ysg_status ysg__cuda_particles(const float *d_curves_xy, const float *d_points_xy,
                               const int32_t *d_points_count, const int32_t *d_edges_ij,
                               int cap_curves, int samples, const ysg_particles_params *d_params,
                               uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                               const ysg_cuda_particles_work *w, void *stream, char *err,
                               size_t errcap);

/* As ysg__cuda_particles, but the frame's curve count is *d_n_curves (clamped to 0..cap_curves;
 * the curves' or edges' device value header, so a captured graph replays with new counts)
 * instead of d_params->n_curves; d_n_curves NULL: d_params->n_curves. d_px NULL: no render (a
 * fused merge renders the tiles from ysg__cuda_particles_layer's descriptor). */
ysg_status ysg__cuda_particles_n(const float *d_curves_xy, const float *d_points_xy,
                                 const int32_t *d_points_count, const int32_t *d_edges_ij,
                                 const int32_t *d_n_curves, int cap_curves, int samples,
                                 const ysg_particles_params *d_params, uint16_t *d_px,
                                 uint8_t *d_tiles, int width, int height,
                                 const ysg_cuda_particles_work *w, void *stream, char *err,
                                 size_t errcap);

/* The fused merge's descriptor of a particles layer (its particles and bins in w). */
struct ysg_fused_layer;
void ysg__cuda_particles_layer(const ysg_cuda_particles_work *w, struct ysg_fused_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* YSG_PARTICLES_API_H */
