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

/* Hot CPU loops (the per-tile and per-row workers of the render, merge and effect nodes) are built
 * for several x86-64 levels and the loader picks one for the CPU it runs on (GCC/Clang
 * target_clones, an ifunc): a portable build (YSG_NATIVE off) keeps the AVX2/FMA and AVX-512 code
 * of a -march=native one. Empty where the compiler already targets AVX2 or cannot clone (or when
 * built with -DYSG_CPU_CLONES= , to measure without). */
#if !defined(YSG_CPU_CLONES) && !defined(__CUDACC__) && defined(__x86_64__) && \
    defined(__GNUC__) && !defined(__AVX2__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define YSG_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef YSG_CPU_CLONES
#define YSG_CPU_CLONES
#endif

#endif /* YSG_HD_H */
