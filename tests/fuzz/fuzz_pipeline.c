/* fuzz_pipeline.c — fuzz target: any bytes as a pipeline file, loaded with the sandbox on and
 * small Lua limits (memory, instructions) and a budgeted allocator; a pipeline that loads and has
 * a small canvas runs its first frames. Whatever the input, ysgraph must return a status: no
 * crash, no sanitizer report, no leak. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1 << 16)) return 0;
  char *src = malloc(size + 1);
  if (!src) return 0;
  memcpy(src, data, size);
  src[size] = 0;
  ysg_pipeline *p = NULL;
  if (fuzz_load(src, &p) == YSG_OK) {
    fuzz_run_frames(p, 2);
    ysg_pipeline_destroy(p);
  }
  free(src);
  return 0;
}
