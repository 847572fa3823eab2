/* cuda_off.c — the CUDA probe of a build without CUDA: there is never a device, and the reason
 * says how to get one. With YSG_HAVE_CUDA the real probe is cuda/device.cu and this file is
 * empty. */
#ifndef YSG_HAVE_CUDA
#include <stdio.h>

#include "internal.h"

int ysg__cuda_probe(char *msg, size_t cap) {
  if (msg && cap)
    snprintf(msg, cap, "this build has no CUDA support: YSG_WITH_CUDA=OFF or no nvcc");
  return 0;
}
#else
typedef int ysg__cuda_off_unused; /* ISO C forbids an empty translation unit */
#endif
