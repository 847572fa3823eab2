/* curve.cu — the `curve` node on the device (nodes/curve.c is the reference): a one-block kernel
 * keeps the edges whose points exist, in edge order (per-thread chunks and a block scan, so the
 * order is the CPU node's), then one thread per (curve, sample) sets up its edge and evaluates
 * the sample with engine/curve_math.h. Counts and parameters come from device memory, so a
 * captured graph replays with new points, edges and animated parameters. */
#include <stdint.h>

#include "common.cuh"
#include "curve_api.h"

#define COMPACT_BLOCK 1024 /* the single block of the compaction */
#define SAMPLE_BLOCK 256

__device__ static int clamp_count(const int32_t *d_n, int cap) {
  int n = *d_n;
  return n < 0 ? 0 : (n > cap ? cap : n);
}

__global__ void curve_compact_kernel(const int32_t *ij, const int32_t *d_ne, int cap_edges,
                                     const int32_t *d_np, int cap_points, int32_t *out_ij,
                                     int32_t *status) {
  __shared__ int32_t sums[COMPACT_BLOCK];
  int k = threadIdx.x;
  int ne = clamp_count(d_ne, cap_edges), np = clamp_count(d_np, cap_points);
  int chunk = (ne + COMPACT_BLOCK - 1) / COMPACT_BLOCK;
  int c0 = k * chunk, c1 = c0 + chunk < ne ? c0 + chunk : ne;
  int local = 0;
  for (int e = c0; e < c1; e++) {
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    local += a >= 0 && b >= 0 && a < np && b < np;
  }
  sums[k] = local;
  __syncthreads();
  for (int d = 1; d < COMPACT_BLOCK; d <<= 1) { /* inclusive Hillis–Steele */
    int32_t v = k >= d ? sums[k - d] : 0;
    __syncthreads();
    sums[k] += v;
    __syncthreads();
  }
  int at = sums[k] - local;
  for (int e = c0; e < c1; e++) {
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    if (a >= 0 && b >= 0 && a < np && b < np) {
      out_ij[2 * at] = a;
      out_ij[2 * at + 1] = b;
      at++;
    }
  }
  if (k == 0) {
    status[0] = sums[COMPACT_BLOCK - 1];
    status[1] = ne - sums[COMPACT_BLOCK - 1];
  }
}

__global__ void curve_sample_kernel(const ysg_curve_params *params, const float *pxy,
                                    const int32_t *pid, const uint32_t *d_attrs, const int32_t *ij,
                                    const int32_t *status, int S, float *out) {
  __shared__ ysg_curve_params p;
  if (threadIdx.x == 0) p = *params;
  __syncthreads();
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  int c = (int)(idx / (size_t)S), s = (int)(idx - (size_t)c * (size_t)S);
  if (c >= status[0]) return;
  int32_t i = ij[2 * c], k = ij[2 * c + 1];
  int ids = pid && (*d_attrs & YSG_ATTR_ID);
  uint32_t key = ysg_curve_key(p.seed, ids ? pid[i] : i, ids ? pid[k] : k);
  ysg_curve_edge e;
  ysg_curve_edge_setup(&p, pxy[2 * i], pxy[2 * i + 1], pxy[2 * k], pxy[2 * k + 1], key, &e);
  float o[2];
  ysg_curve_sample(&p, &e, s, o);
  out[2 * idx] = o[0];
  out[2 * idx + 1] = o[1];
}

extern "C" ysg_status ysg__cuda_curve(const ysg_curve_dev_inputs *in,
                                      const ysg_curve_params *d_params, int samples,
                                      float *d_curves_xy, int32_t *d_curves_ij, int32_t *d_status,
                                      void *stream, char *err, size_t errcap) {
  if (samples < 2 || in->cap_edges < 0 ||
      (long long)in->cap_edges * samples > (long long)INT32_MAX) {
    if (err && errcap)
      snprintf(err, errcap,
               "ysg__cuda_curve: %d edges × %d samples: expected 2 or more samples "
               "and at most %d in all",
               in->cap_edges, samples, INT32_MAX);
    return YSG_ERR_INVALID;
  }
  cudaStream_t st = (cudaStream_t)stream;
  curve_compact_kernel<<<1, COMPACT_BLOCK, 0, st>>>(in->d_edges_ij, in->d_n_edges, in->cap_edges,
                                                    in->d_n_points, in->cap_points, d_curves_ij,
                                                    d_status);
  YSG_CUDA_CHECK(cudaGetLastError());
  size_t threads = (size_t)(in->cap_edges > 0 ? in->cap_edges : 1) * (size_t)samples;
  curve_sample_kernel<<<ysg_cuda_blocks(threads, SAMPLE_BLOCK), SAMPLE_BLOCK, 0, st>>>(
      d_params, in->d_points_xy, in->d_points_id, in->d_points_attrs, d_curves_ij, d_status,
      samples, d_curves_xy);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
