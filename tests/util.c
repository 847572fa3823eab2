/* util.c — implementation of the shared test helpers (see util.h). */
#define _GNU_SOURCE
#include "util.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *ysgt_tmpdir(void) {
  static char bufs[8][64];
  static int next;
  char *b = bufs[next++ % 8];
  snprintf(b, 64, "/tmp/ysgtest.XXXXXX");
  if (!mkdtemp(b)) return "/tmp";
  return b;
}

const char *ysgt_write(const char *dir, const char *name, const char *text) {
  static char bufs[8][512];
  static int next;
  char *b = bufs[next++ % 8];
  snprintf(b, 512, "%s/%s", dir, name);
  FILE *f = fopen(b, "wb");
  if (!f) return NULL;
  fputs(text, f);
  fclose(f);
  return b;
}

char *ysgt_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n < 2) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

int ysgt_sh(const char *cmd, char **out, char **err) {
  char o[64], e[64];
  snprintf(o, sizeof o, "/tmp/ysgt_out.XXXXXX");
  snprintf(e, sizeof e, "/tmp/ysgt_err.XXXXXX");
  int fo = mkstemp(o), fe = mkstemp(e);
  close(fo);
  close(fe);
  size_t len = strlen(cmd) + 256;
  char *full = malloc(len);
  snprintf(full, len, "( %s ) >%s 2>%s </dev/null", cmd, o, e);
  int rc = system(full);
  free(full);
  if (out) *out = ysgt_read(o, NULL);
  if (err) *err = ysgt_read(e, NULL);
  unlink(o);
  unlink(e);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

ysg_context *ysgt_ctx(void) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 1;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&o, &ctx) != YSG_OK) return NULL;
  return ctx;
}

char ysgt_warning[4096];
int ysgt_n_warnings;

static void keep_warning(void *ud, ysg_log_level level, const char *msg) {
  (void)ud;
  if (level == YSG_LOG_WARN) {
    snprintf(ysgt_warning, sizeof ysgt_warning, "%s", msg);
    ysgt_n_warnings++;
  }
}

ysg_context *ysgt_ctx_warn(int threads) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  o.log = keep_warning;
  o.log_level = YSG_LOG_WARN;
  ysg_context *ctx = NULL;
  if (ysg_context_create(&o, &ctx) != YSG_OK) return NULL;
  ysgt_n_warnings = 0;
  ysgt_warning[0] = 0;
  return ctx;
}

ysg_status ysgt_load(ysg_context *ctx, const char *src, ysg_pipeline **out) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", &lo, &p);
  if (out)
    *out = p;
  else if (p)
    ysg_pipeline_destroy(p);
  return s;
}

void ysgt_expect_load_fail(const char *src, const ysg_load_options *lo, ysg_status status,
                           const char *msg) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  ysg_pipeline *p = (ysg_pipeline *)1;
  ysg_status s = ysg_pipeline_load_string(ctx, src, "test.lua", lo, &p);
  cr_expect_eq(s, status, "status %s for:\n%s\nmessage: %s", ysg_status_name(s), src,
               ysg_errmsg(ctx));
  cr_expect_null(p);
  cr_expect_str_eq(ysg_errmsg(ctx), msg, "for:\n%s\ngot:      %s\nexpected: %s", src,
                   ysg_errmsg(ctx), msg);
  ysg_context_destroy(ctx);
}

/* Every suite's main: Criterion's own, except that a suite whose every test was skipped (no CUDA
 * device, a feature not built in) exits with YSGT_SKIP_CODE, which CTest reports as "Skipped"
 * (SKIP_RETURN_CODE in tests/CMakeLists.txt) rather than "Passed". */
static size_t n_tests_run, n_tests_skipped;

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  n_tests_run = stats->nb_tests;
  n_tests_skipped = stats->tests_skipped;
}

int main(int argc, char *argv[]) {
  struct criterion_test_set *tests = criterion_initialize();
  int failed = 0;
  if (criterion_handle_args(argc, argv, true)) failed = !criterion_run_all_tests(tests);
  criterion_finalize(tests);
  if (failed) return 1;
  return n_tests_run > 0 && n_tests_skipped == n_tests_run ? YSGT_SKIP_CODE : 0;
}
