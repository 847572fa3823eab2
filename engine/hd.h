/* hd.h — the host+device marker for single-source math (ARCHITECTURE §4).
 * Every per-pixel/per-element function lives in a header as `YSG_HD static inline`, compiled by
 * the C compiler for the CPU nodes and by nvcc for the CUDA kernels. */
#ifndef YSG_HD_H
#define YSG_HD_H

#if defined(__CUDACC__)
#define YSG_HD __host__ __device__ static inline
#else
#define YSG_HD static inline
#endif

#endif /* YSG_HD_H */
