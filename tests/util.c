/* util.c — implementation of the shared test helpers (see util.h). */
#define _GNU_SOURCE
#include "util.h"

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
