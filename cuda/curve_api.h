/* curve_api.h — the plain C face of the `curve` node's CUDA path (cuda/curve.cu): the edges whose
 * points exist are kept in order (one-block scan, the same order as nodes/curve.c) and one thread
 * per (curve, sample) evaluates engine/curve_math.h, the code the CPU node runs. Conventions as in
 * cuda_api.h: d_… are device pointers, every per-frame value (counts, point attributes, the
 * ysg_curve_params block) is read from device memory, the launcher only enqueues work. */
#ifndef YSG_CURVE_API_H
#define YSG_CURVE_API_H

#include <stddef.h>
#include <stdint.h>

#include "curve_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One frame's inputs in device memory. */
typedef struct ysg_curve_dev_inputs {
  const float *d_points_xy;       /* (cap_points, 2) px */
  const int32_t *d_points_id;     /* (cap_points) track ids, or NULL */
  const uint32_t *d_points_attrs; /* YSG_ATTR_* of the points this frame (ids used when set) */
  const int32_t *d_n_points;      /* points this frame */
  int cap_points;
  const int32_t *d_edges_ij; /* (cap_edges, 2) */
  const int32_t *d_n_edges;  /* edges this frame */
  int cap_edges;
} ysg_curve_dev_inputs;

/* Sample the curves of one frame: d_curves_ij (cap_edges, 2) receives the kept edges in order,
 * d_curves_xy (cap_edges, samples, 2) their samples, from *d_params (ysg_curve_prepare'd on the
 * host; d_params->samples must equal samples). d_status (2 int32, device) receives [0] the
 * curves written (the output's count) and [1] the edges skipped because they name a point
 * outside 0 .. count-1 (the caller warns as the CPU node does). cap_edges · samples must fit an
 * int32, as the CPU node's infer checks. */
ysg_status ysg__cuda_curve(const ysg_curve_dev_inputs *in, const ysg_curve_params *d_params,
                           int samples, float *d_curves_xy, int32_t *d_curves_ij, int32_t *d_status,
                           void *stream, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_CURVE_API_H */
