/* corpus_driver.c — runs a fuzz target over its seed corpus without libFuzzer, so the normal test
 * suite (any compiler, with or without sanitizers) replays every seed: each argument is a file or
 * a directory of files, each file is handed to LLVMFuzzerTestOneInput once. Prints the count;
 * a crash or a sanitizer report fails the test. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "corpus_driver: cannot open %s\n", path);
    return 1;
  }
  size_t cap = 1 << 16, n = 0, r;
  uint8_t *buf = malloc(cap);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0)
    if ((n += r) == cap) buf = realloc(buf, cap *= 2);
  fclose(f);
  if (!buf) return 1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  int files = 0, bad = 0;
  /* the targets change the working directory: take every path as absolute first */
  for (int i = 1; i < argc; i++) {
    char *abs = realpath(argv[i], NULL);
    if (!abs) {
      fprintf(stderr, "corpus_driver: no %s\n", argv[i]);
      return 1;
    }
    argv[i] = abs;
  }
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "corpus_driver: no %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      bad |= run_file(argv[i]);
      files++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) return 1;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      names = realloc(names, sizeof *names * (n + 1));
      names[n] = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
      sprintf(names[n++], "%s/%s", argv[i], e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names); /* the same order every run */
    for (size_t k = 0; k < n; k++) {
      bad |= run_file(names[k]);
      files++;
      free(names[k]);
    }
    free(names);
  }
  printf("corpus_driver: %d inputs\n", files);
  return bad || files == 0;
}
