/* graph_api.h — the plain C face of the `graph` node's CUDA path (cuda/graph.cu): exact knn and
 * radius graphs on the device with the same uniform-grid search (nodes/graph.h, YSG_HD) as the
 * CPU node, so the edge sets are identical (same distances, same tie rules, sorted (i, j)).
 * Conventions as in cuda_api.h: d_… are device pointers, every per-frame value (point count,
 * radius) is read from device memory, launchers only enqueue work on `stream`. delta_y_cap runs
 * on the device too (ysg__cuda_graph_finish); degree_cap and hysteresis only on the host
 * (nodes/graph.c). Without CUDA the search launchers report YSG_ERR_UNSUPPORTED (graph_grid.c),
 * so benchmarks and tests link either way; the node's device-path helpers exist only with CUDA. */
#ifndef YSG_GRAPH_API_H
#define YSG_GRAPH_API_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* d_status: YSG_GRAPH_STATUS_WORDS int32 values written by each launch. */
#define YSG_GRAPH_STATUS_NEEDED 0 /* edges the frame needs (saturated at INT32_MAX) */
#define YSG_GRAPH_STATUS_BAD 1    /* first point with a non-finite coordinate, or -1 */
#define YSG_GRAPH_STATUS_WORDS 2

/* Device scratch for up to cap_points points (k: knn neighbours, 0 for radius). Asks CUB for
 * its sort's scratch, which needs the CUDA runtime (hence the status). */
ysg_status ysg__cuda_graph_temp_bytes(int cap_points, int k, size_t *bytes, char *err,
                                      size_t errcap);

/* Knn graph (1 <= k <= 64) of the first *d_n_points (clamped to 0..cap_points) points of d_xy
 * into d_ij (cap_edges pairs) and *d_n_edges. When the frame needs more than cap_edges edges,
 * or a point is not finite, *d_n_edges = 0, nothing is written to d_ij and d_status says why. */
ysg_status ysg__cuda_graph_knn(const float *d_xy, const int32_t *d_n_points, int cap_points, int k,
                               int32_t *d_ij, int32_t *d_n_edges, int cap_edges, int32_t *d_status,
                               void *d_temp, size_t temp_bytes, void *stream, char *err,
                               size_t errcap);

/* Radius graph (every pair with d² <= (*d_radius)²), otherwise as ysg__cuda_graph_knn. */
ysg_status ysg__cuda_graph_radius(const float *d_xy, const int32_t *d_n_points, int cap_points,
                                  const float *d_radius, int32_t *d_ij, int32_t *d_n_edges,
                                  int cap_edges, int32_t *d_status, void *d_temp, size_t temp_bytes,
                                  void *stream, char *err, size_t errcap);

/* The end of the graph node's device frame: the edges d_ij[0 .. *d_n_edges) (clamped to
 * 0..cap_edges) whose ends differ by at most *d_delta_y_cap vertically (all of them when it is
 * negative; the CPU's ysg__edges_delta_y rule, order kept) into d_out_ij, and the output value's
 * header (count, attrs 0). d_xy: the points the edges index. From the launcher's d_status: *d_need
 * = the edges the frame needed, *d_bad = 1 when a point was not finite, else 0. d_out_ij/d_out,
 * d_need and d_bad may be NULL (not written). One block: a fixed launch shape for a capacity. */
ysg_status ysg__cuda_graph_finish(const int32_t *d_ij, const int32_t *d_n_edges, const float *d_xy,
                                  const float *d_delta_y_cap, const int32_t *d_status,
                                  int cap_edges, int32_t *d_out_ij, ysg_value_header *d_out,
                                  int32_t *d_need, int32_t *d_bad, void *stream, char *err,
                                  size_t errcap);

/* The first *src_h count (clamped to 0..cap) points of src into dst — xy, and each attribute
 * array whose YSG_ATTR_* bit is set in src_h->attrs — and dst_h = {count, attrs}: the graph
 * node's pass-through of its input points. src and dst hold device addresses. */
ysg_status ysg__cuda_points_copy(const ysg_value *src, const ysg_value_header *src_h, int cap,
                                 const ysg_value *dst, ysg_value_header *dst_h, void *stream,
                                 char *err, size_t errcap);

/* Host-memory convenience for tests and benchmarks (it allocates device memory, so never on a
 * frame path): uploads n points, runs the knn (radius_mode 0) or radius launcher once to warm
 * up and then `reps` times on one stream, downloads the edges into ij (cap_edges pairs) and
 * *n_edges and the status words into status. *ms: mean device time of one run (CUDA events,
 * transfers excluded). */
ysg_status ysg__cuda_graph_host(int radius_mode, const float *xy, int n, int k, float radius,
                                int32_t *ij, int cap_edges, int *n_edges,
                                int32_t status[YSG_GRAPH_STATUS_WORDS], int reps, double *ms,
                                char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_GRAPH_API_H */
