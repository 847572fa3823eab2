/* util.h — helpers shared by the Criterion tests: temporary directories, files, running the CLI,
 * contexts (plain, or keeping warnings), and loading a pipeline from a string with a fresh
 * context, expecting success or an exact error. util.c also holds every suite's main. */
#ifndef YSG_TEST_UTIL_H
#define YSG_TEST_UTIL_H

#include <stddef.h>

#include "ysgraph.h"

/* The exit code of a suite whose every test was skipped (util.c's main; CTest's SKIP_RETURN_CODE)
 */
#define YSGT_SKIP_CODE 77

/* A fresh directory under /tmp; the path stays valid until the process ends. */
const char *ysgt_tmpdir(void);
/* Write text to dir/name; returns the full path (static storage, rotating among 8 buffers). */
const char *ysgt_write(const char *dir, const char *name, const char *text);
/* Read a whole file (malloc'ed, NUL-terminated) or NULL; *len set when non-NULL. */
char *ysgt_read(const char *path, size_t *len);
/* Run a shell command; captures stdout and stderr (malloc'ed) and returns the exit code. */
int ysgt_sh(const char *cmd, char **out, char **err);
/* Context with one thread and no logging. */
ysg_context *ysgt_ctx(void);
/* Context with `threads` threads that keeps the last warning it logs in ysgt_warning and counts
 * them in ysgt_n_warnings (both reset here); NULL when it cannot be created. */
ysg_context *ysgt_ctx_warn(int threads);
extern char ysgt_warning[4096];
extern int ysgt_n_warnings;
/* Load a pipeline from source (chunkname "test.lua"), returning the status; *out may be NULL. */
ysg_status ysgt_load(ysg_context *ctx, const char *src, ysg_pipeline **out);

/* Loading src with lo (NULL: defaults) must fail with status and exactly msg and leave no
 * pipeline; a Criterion expectation, so a mismatch fails the calling test. */
void ysgt_expect_load_fail(const char *src, const ysg_load_options *lo, ysg_status status,
                           const char *msg);

#endif
