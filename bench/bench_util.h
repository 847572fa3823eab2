/* bench_util.h — what every benchmark program needs the same way: the machine it ran on (CPU model,
 * cores), a monotonic ms clock, median/percentile of timings, a seeded splitmix64 for reproducible
 * geometry, JSON string quoting and a log callback. Header-only (static inline) because each
 * bench_*.c builds into its own executable. */
#ifndef YSG_BENCH_UTIL_H
#define YSG_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ysgraph.h"

static inline double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place (so v[0] is then the best time) and returns its median. */
static inline double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The p-quantile (0..1) of a sorted array, nearest rank. */
static inline double bench_percentile(const double *sorted, int n, double p) {
  return sorted[(int)((n - 1) * p + 0.5)];
}

/* The "model name" line of /proc/cpuinfo, or "unknown CPU". */
static inline void bench_cpu_model(char *out, size_t cap) {
  snprintf(out, cap, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    const char *v = strchr(line, ':');
    if (strncmp(line, "model name", 10) || !v) continue;
    for (v++; *v == ' ' || *v == '\t'; v++) {
    }
    snprintf(out, cap, "%s", v);
    out[strcspn(out, "\n")] = 0;
    break;
  }
  fclose(f);
}

/* Alpha (coverage) of a Cairo ARGB32 surface (argb, stride) against a w×h RGBA8 image with tight
 * rows, over the pixels either drew: mean and largest |Δα| and the share of them above 0.25. */
typedef struct bench_alpha_diff {
  double mean, max, frac_off;
} bench_alpha_diff;

static inline bench_alpha_diff bench_compare_alpha(const unsigned char *argb, int stride,
                                                   const uint8_t *rgba8, int w, int h) {
  double sum = 0, mx = 0;
  long n = 0, off = 0;
  for (int y = 0; y < h; y++) {
    const uint32_t *row = (const uint32_t *)(const void *)(argb + (size_t)y * stride);
    const uint8_t *ys = rgba8 + (size_t)y * w * 4;
    for (int x = 0; x < w; x++) {
      int ca = (int)(row[x] >> 24), ya = ys[4 * x + 3];
      if (!ca && !ya) continue;
      double d = abs(ca - ya) / 255.0;
      sum += d;
      mx = d > mx ? d : mx;
      off += d > 0.25;
      n++;
    }
  }
  bench_alpha_diff r = {n ? sum / n : 0, mx, n ? (double)off / n : 0};
  return r;
}

static inline int bench_cores(void) { return (int)sysconf(_SC_NPROCESSORS_ONLN); }

/* splitmix64's output function; bench_uniform steps a state through it, so a fixed seed gives every
 * run (and every renderer compared) the same geometry. */
static inline uint64_t bench_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline double bench_uniform(uint64_t *state, double lo, double hi) {
  uint64_t z = bench_mix64(*state);
  *state += 0x9e3779b97f4a7c15ull;
  return lo + (hi - lo) * (double)(z >> 11) / 9007199254740992.0;
}

static inline void bench_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
    if (*u == '"' || *u == '\\')
      fprintf(f, "\\%c", *u);
    else if (*u < 0x20)
      fprintf(f, "\\u%04x", *u);
    else
      fputc(*u, f);
  }
  fputc('"', f);
}

/* A ysg_log_fn; set log_ud to the program's name (a const char *). */
static inline void bench_log(void *ud, ysg_log_level level, const char *msg) {
  fprintf(stderr, "%s: %s: %s\n", (const char *)ud, level >= YSG_LOG_WARN ? "warning" : "note",
          msg);
}

/* The instruction set this build was compiled for (-march=native: the CPU code has no runtime
 * dispatch, so this is what it runs) and what the CPU offers, e.g. "build AVX-512 (F BW VL) +
 * F16C; CPU AVX-512". Results differ by about 2x between machines with and without AVX-512. */
static inline void bench_isa(char *out, size_t cap) {
  const char *build =
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
      "AVX-512 (F BW VL)"
#elif defined(__AVX512F__)
      "AVX-512 (F)"
#elif defined(__AVX2__)
      "AVX2"
#elif defined(__AVX__)
      "AVX"
#elif defined(__SSE4_2__)
      "SSE4.2"
#elif defined(__x86_64__)
      "SSE2"
#else
      "not x86"
#endif
      ;
  const char *f16c =
#if defined(__F16C__)
      " + F16C";
#else
      "";
#endif
  const char *cpu = "unknown";
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  cpu = __builtin_cpu_supports("avx512f") ? "AVX-512"
        : __builtin_cpu_supports("avx2")  ? "AVX2"
                                          : "no AVX2";
#endif
  snprintf(out, cap, "build %s%s; CPU %s", build, f16c, cpu);
}

/* "/proc/loadavg"'s first three numbers (the machine is shared: say how busy it was) */
static inline void bench_loadavg(char *out, size_t cap) {
  snprintf(out, cap, "unknown");
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f) return;
  double a, b, c;
  if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3) snprintf(out, cap, "%.2f %.2f %.2f", a, b, c);
  fclose(f);
}

#endif
