/* fuzz_common.c — the fuzz targets' shared context, budgeted allocator and working directory
 * (see fuzz_common.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#define _GNU_SOURCE
#include "fuzz_common.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

/* Each block carries its size in a header of `align` bytes (at least 16) before the pointer. */
static size_t held;

static void *budget_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  if (align < 16) align = 16;
  if (size > FUZZ_BUDGET || held + size > FUZZ_BUDGET) return NULL;
  size_t total = size + align;
  unsigned char *raw = NULL;
  if (posix_memalign((void **)&raw, align, total) != 0) return NULL;
  memcpy(raw + align - sizeof(size_t) * 2, &size, sizeof size);
  memcpy(raw + align - sizeof(size_t), &align, sizeof align);
  held += size;
  return raw + align;
}

static void budget_free(void *ud, void *ptr) {
  (void)ud;
  if (!ptr) return;
  unsigned char *p = ptr;
  size_t size, align;
  memcpy(&size, p - sizeof(size_t) * 2, sizeof size);
  memcpy(&align, p - sizeof(size_t), sizeof align);
  held -= size;
  free(p - align);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_dir(void) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

ysg_context *fuzz_context(void) {
  static ysg_context *ctx;
  if (ctx) return ctx;
  snprintf(dir, sizeof dir, "/tmp/ysgfuzz.XXXXXX");
  if (!mkdtemp(dir) || chdir(dir) != 0) abort(); /* pipelines from strings resolve in "." */
  atexit(remove_dir);
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 1;
  o.allocator.alloc = budget_alloc;
  o.allocator.free = budget_free;
  if (ysg_context_create(&o, &ctx) != YSG_OK) abort();
  return ctx;
}

ysg_status fuzz_load(const char *source, ysg_pipeline **out) {
  ysg_context *ctx = fuzz_context();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.unsafe = 0;
  lo.lua_memory_limit = (size_t)16 << 20;
  lo.lua_instruction_limit = 2000000;
  lo.output_dir = "out";
  ysg_status s = ysg_pipeline_load_string(ctx, source, "fuzz.lua", &lo, out);
  if (getenv("YSG_FUZZ_VERBOSE")) /* to see what a corpus reaches */
    fprintf(stderr, "load: %s %s\n", ysg_status_name(s), s ? ysg_errmsg(ctx) : "");
  return s;
}

void fuzz_run_frames(ysg_pipeline *p, int n) {
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  if ((long long)cv->width * cv->height > FUZZ_MAX_PIXELS) return;
  for (int f = 0; f < n && f < cv->frames; f++)
    if (ysg_pipeline_run_frame(p, f) != YSG_OK) break;
  ysg_pipeline_finish(p);
}

void fuzz_write_file(const char *name, const uint8_t *data, size_t size) {
  char path[256];
  fuzz_context();
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
}

void fuzz_path(const char *name, char *out, size_t cap) {
  fuzz_context();
  snprintf(out, cap, "%s/%s", dir, name);
}
