/* common.cuh — what every ysgraph .cu file shares: YSG_CUDA_CHECK, which turns a failing CUDA
 * call into YSG_ERR_CUDA with "CALL failed at FILE:LINE: REASON" in the caller's message buffer
 * (the library never prints or aborts), and launch-geometry helpers. Images are launched one
 * 16×16 block per occupancy tile (YSG_TILE) so a block can own its tile's flag. */
#ifndef YSG_CUDA_COMMON_CUH
#define YSG_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdio.h>

#include "ysgraph.h"

static inline void ysg_cuda_errfmt(char *buf, size_t cap, const char *call, const char *file,
                                   int line, cudaError_t e) {
  if (buf && cap)
    snprintf(buf, cap, "%s failed at %s:%d: %s", call, file, line, cudaGetErrorString(e));
}

/* Check a CUDA call; on failure write the message into (buf, cap) and return YSG_ERR_CUDA from
 * the enclosing function. */
#define YSG_CUDA_CHECK_MSG(call, buf, cap)                              \
  do {                                                                  \
    cudaError_t ysg_e_ = (call);                                        \
    if (ysg_e_ != cudaSuccess) {                                        \
      ysg_cuda_errfmt((buf), (cap), #call, __FILE__, __LINE__, ysg_e_); \
      return YSG_ERR_CUDA;                                              \
    }                                                                   \
  } while (0)

/* The usual form, inside functions that take (char *err, size_t errcap) like every launcher. */
#define YSG_CUDA_CHECK(call) YSG_CUDA_CHECK_MSG(call, err, errcap)

/* Blocks needed to cover n items with `block` threads each. */
static inline unsigned ysg_cuda_blocks(size_t n, unsigned block) {
  return (unsigned)((n + block - 1) / block);
}

/* One YSG_TILE × YSG_TILE block per occupancy tile of a width × height image. */
static inline dim3 ysg_cuda_tile_grid(int width, int height) {
  return dim3(ysg_cuda_blocks((size_t)width, YSG_TILE), ysg_cuda_blocks((size_t)height, YSG_TILE),
              1);
}
static inline dim3 ysg_cuda_tile_block(void) { return dim3(YSG_TILE, YSG_TILE, 1); }

#endif /* YSG_CUDA_COMMON_CUH */
