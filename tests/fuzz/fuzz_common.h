/* fuzz_common.h — what the fuzz targets share: a context whose allocator refuses to hold more
 * than a budget (so an input that asks for a huge canvas meets ysgraph's out-of-memory path, not
 * the machine's), and a private working directory (inputs are written there and pipelines write
 * their outputs there). Everything is created once per process: libFuzzer calls the target many
 * times in one process, the corpus driver once per file. */
#ifndef YSG_FUZZ_COMMON_H
#define YSG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph.h"

#define FUZZ_BUDGET ((size_t)384 << 20) /* bytes the context may hold at once */
#define FUZZ_MAX_PIXELS (256 * 256)     /* canvases up to this size run a few frames */

/* The shared context (one thread, no logging); creates the directory on the first call. */
ysg_context *fuzz_context(void);
/* Load source as "fuzz.lua" in the directory, with the sandbox on, small Lua
 * limits and the CPU backend. With YSG_FUZZ_VERBOSE set, prints the status and message. */
ysg_status fuzz_load(const char *source, ysg_pipeline **out);
/* Run frames 0..n-1 of p when its canvas is small; errors are the pipeline's business. */
void fuzz_run_frames(ysg_pipeline *p, int n);
/* Write data to name in the directory. */
void fuzz_write_file(const char *name, const uint8_t *data, size_t size);
/* The full path of name in the directory. */
void fuzz_path(const char *name, char *out, size_t cap);

#endif
