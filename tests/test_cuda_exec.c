/* test_cuda_exec.c — the CUDA executor end to end (issue 5): bundled pipelines (showcase, looks,
 * the seed frame) on CUDA against the CPU backend frame by frame; eager launches (no_graphs) and
 * CUDA Graph replay bitwise identical; two CUDA loads bitwise identical; animated parameters and a
 * changing point count reach replayed graphs without any re-capture; 1000 frames leave device
 * memory (cudaMemGetInfo) and RSS flat; a node whose launch breaks the capture is named; the CLI's
 * --no-graphs and YSG_NO_CUDA_GRAPHS turn replay off. Every GPU test skips with the probe's reason
 * without a usable device. Two run without one: `--backend cuda` fails with the probe's reason
 * (only there), and bench/seed_frame.lua loads, plans at the lower bound and renders on the CPU.
 * YSG_TEST_LONG_FRAMES lowers the 1000 frames (scripts/gpu-check.sh does under compute-sanitizer).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_compare.h"
#include "color.h"
#include "internal.h"
#include "util.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/executor_api.h"
#endif

/* CPU vs CUDA over whole pipelines, in linear premultiplied units, relative above 1 (where one
 * FP16 step is already ~1e-3): each node's kernel is within 1e-3 of its CPU node (the *_cuda
 * tests), a merge carries a layer's colour error plus its alpha error times what lies below it
 * (≤ 1 here), and the result is rounded once more to FP16 (half a step, ≤ 5e-4 below 1): 3e-3. */
#define PIPE_TOL 3e-3

#define SEED YSG_SOURCE_DIR "/bench/seed_frame.lua"
#define SHOWCASE YSG_SOURCE_DIR "/pipelines/showcase.lua"
#define LOOKS YSG_SOURCE_DIR "/pipelines/looks_pulse_electric.lua"

typedef struct spec {
  const char *path;    /* pipeline file, or NULL: src */
  const char *src;     /* pipeline source (chunk name "test.lua") */
  const char *keep[3]; /* kept values to compare */
  int n_keep;
  ysg_define defs[4]; /* --set */
  int n_defs;
} spec;

/* the seed frame at 320×180 (1000 points, 100 boxes: the full workload on a small canvas) */
static const spec seed_small = {
    SEED, NULL, {"frame", "knn.edges"}, 2, {{"width", "320"}, {"height", "180"}}, 2};
static const spec showcase = {SHOWCASE, NULL, {"frame", "knn.edges"}, 2, {{0}}, 0};
static const spec looks = {LOOKS, NULL, {"frame"}, 1, {{0}}, 0};

static ysg_pipeline *load(ysg_context *ctx, const spec *s, ysg_backend backend, int no_graphs,
                          const ysg_define *extra, int n_extra) {
  ysg_define defs[8];
  int n = 0;
  for (int i = 0; i < s->n_defs; i++) defs[n++] = s->defs[i];
  for (int i = 0; i < n_extra && n < 8; i++) defs[n++] = extra[i];
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = backend;
  lo.keep = s->keep;
  lo.n_keep = s->n_keep;
  lo.defines = defs;
  lo.n_defines = n;
  lo.no_graphs = no_graphs;
  lo.output_dir = ysgt_tmpdir();
  ysg_pipeline *p = NULL;
  ysg_status st = s->path ? ysg_pipeline_load_file(ctx, s->path, &lo, &p)
                          : ysg_pipeline_load_string(ctx, s->src, "test.lua", &lo, &p);
  cr_assert_eq(st, YSG_OK, "%s: %s", s->path ? s->path : "test.lua", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_backend(p), backend);
  return p;
}

static const ysg_value *get(ysg_pipeline *p, const char *ref) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, ref, &v), YSG_OK, "%s: %s", ref, ysg_errmsg(p->ctx));
  return v;
}

static ysg_device_stats dstats(ysg_pipeline *p) {
  ysg_device_stats ds;
  cr_assert_eq(ysg_pipeline_device_stats(p, &ds), YSG_OK, "%s", ysg_errmsg(p->ctx));
  return ds;
}

/* An image pixel's FP16 bits as a reader sees them: 0 under an empty tile (its pixels are stale).
 */
static uint16_t bits_at(const ysg_value *v, size_t px, int c) {
  int x = (int)(px % (size_t)v->width), y = (int)(px / (size_t)v->width);
  if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) return 0;
  return v->px[px * 4 + (size_t)c];
}

/* Bitwise equality of two values as readers see them; describes the first difference in why. */
static int same_bits(const ysg_value *a, const ysg_value *b, char *why, size_t cap) {
  if (a->type != b->type || a->count != b->count) {
    snprintf(why, cap, "type %d/%d, count %d/%d", a->type, b->type, a->count, b->count);
    return 0;
  }
  if (a->type == YSG_IMAGE) {
    if (a->width != b->width || a->height != b->height) {
      snprintf(why, cap, "size %dx%d / %dx%d", a->width, a->height, b->width, b->height);
      return 0;
    }
    size_t n = (size_t)a->width * (size_t)a->height;
    for (size_t i = 0; i < n; i++)
      for (int c = 0; c < 4; c++)
        if (bits_at(a, i, c) != bits_at(b, i, c)) {
          snprintf(why, cap, "pixel (%zu, %zu) channel %d: bits %04x / %04x", i % (size_t)a->width,
                   i / (size_t)a->width, c, bits_at(a, i, c), bits_at(b, i, c));
          return 0;
        }
    return 1;
  }
  size_t k = (size_t)a->count, nbytes = 0;
  const void *pa = NULL, *pb = NULL;
  switch (a->type) {
    case YSG_POINTS:
      pa = a->xy, pb = b->xy, nbytes = k * 8;
      break;
    case YSG_EDGES:
      pa = a->ij, pb = b->ij, nbytes = k * 8;
      break;
    case YSG_CURVES:
      pa = a->xy, pb = b->xy, nbytes = k * (size_t)a->samples * 8;
      break;
    case YSG_BOXES:
      pa = a->xywh, pb = b->xywh, nbytes = k * 16;
      break;
    default:
      break;
  }
  if (nbytes && memcmp(pa, pb, nbytes) != 0) {
    snprintf(why, cap, "the arrays of %zu elements differ", k);
    return 0;
  }
  return 1;
}

/* CPU (reference) vs CUDA: images within PIPE_TOL relative above 1, other values exactly equal.
 * Returns the largest image error. */
static double compare_cpu(const char *what, int frame, const ysg_value *cpu, const ysg_value *gpu) {
  char why[256];
  if (cpu->type != YSG_IMAGE) {
    cr_expect(same_bits(cpu, gpu, why, sizeof why), "%s frame %d: CPU and CUDA differ: %s", what,
              frame, why);
    return 0;
  }
  cr_assert(cpu->width == gpu->width && cpu->height == gpu->height);
  double worst = 0;
  int bad = 0;
  for (int y = 0; y < cpu->height; y++)
    for (int x = 0; x < cpu->width; x++)
      for (int c = 0; c < 4; c++) {
        double a = ysgt_px_at(cpu, x, y, c), b = ysgt_px_at(gpu, x, y, c);
        double e = fabs(a - b) / (fabs(a) > 1.0 ? fabs(a) : 1.0);
        if (!(e <= PIPE_TOL)) {
          if (bad++ < 5)
            cr_log_error("%s frame %d: pixel (%d, %d) channel %d: cpu %.6f cuda %.6f", what, frame,
                         x, y, c, a, b);
          e = isnan(e) ? INFINITY : e;
        }
        if (e > worst) worst = e;
      }
  cr_expect_eq(bad, 0, "%s frame %d: %d values differ by more than %g (max %.3g)", what, frame, bad,
               PIPE_TOL, worst);
  return worst;
}

/* ---- bundled pipelines: CPU vs CUDA ------------------------------------------------------------
 */
static void pipeline_matches_cpu(const spec *s, int frames) {
  ysgt_require_cuda();
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *pc = load(ctx, s, YSG_BACKEND_CPU, 0, NULL, 0);
  ysg_pipeline *pg = load(ctx, s, YSG_BACKEND_CUDA, 0, NULL, 0);
  double worst = 0;
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < s->n_keep; i++) {
      double e = compare_cpu(s->keep[i], f, get(pc, s->keep[i]), get(pg, s->keep[i]));
      if (e > worst) worst = e;
    }
  }
  cr_assert_eq(ysg_pipeline_flush(pg), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_device_stats ds = dstats(pg);
  cr_log_info("%s: %d frames, max image error %.3g; %d segments, %d captures, %d replayed", s->path,
              frames, worst, ds.segments, ds.captures, ds.replayed_frames);
  cr_expect_eq(ds.captures, ds.segments);
  cr_expect_eq(ds.recaptures, 0);
  cr_expect_eq(ds.eager_frames, 1);
  cr_expect_eq(ds.replayed_frames, frames - 1);
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
}

Test(cuda_exec, seed_frame_matches_cpu) {
  unsetenv("YSG_NO_CUDA_GRAPHS");
  pipeline_matches_cpu(&seed_small, 6);
}

Test(cuda_exec, showcase_matches_cpu) {
  unsetenv("YSG_NO_CUDA_GRAPHS");
  pipeline_matches_cpu(&showcase, 6);
}

Test(cuda_exec, looks_matches_cpu) {
  unsetenv("YSG_NO_CUDA_GRAPHS");
  pipeline_matches_cpu(&looks, 6);
}

/* ---- eager vs replay, and determinism
 * ------------------------------------------------------------
 */
/* Two CUDA loads of s (the first eager when a_eager, the second eager when b_eager) run the same
 * frames; every kept value must be bitwise identical each frame. */
static void cuda_pair_identical(const spec *s, int a_eager, int b_eager, int frames) {
  ysgt_require_cuda();
  unsetenv("YSG_NO_CUDA_GRAPHS");
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *pa = load(ctx, s, YSG_BACKEND_CUDA, a_eager, NULL, 0);
  ysg_pipeline *pb = load(ctx, s, YSG_BACKEND_CUDA, b_eager, NULL, 0);
  char why[256];
  for (int f = 0; f < frames; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(pa, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pb, f), YSG_OK, "%s", ysg_errmsg(ctx));
    for (int i = 0; i < s->n_keep; i++)
      cr_expect(same_bits(get(pa, s->keep[i]), get(pb, s->keep[i]), why, sizeof why),
                "%s frame %d, %s: %s", s->path, f, s->keep[i], why);
  }
  cr_assert_eq(ysg_pipeline_flush(pa), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_flush(pb), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline *both[2] = {pa, pb};
  int eager[2] = {a_eager, b_eager};
  for (int k = 0; k < 2; k++) {
    ysg_device_stats ds = dstats(both[k]);
    cr_expect_eq(ds.eager_frames, eager[k] ? frames : 1, "%s: eager frames", s->path);
    cr_expect_eq(ds.replayed_frames, eager[k] ? 0 : frames - 1, "%s: replayed frames", s->path);
    cr_expect_eq(ds.captures, eager[k] ? 0 : ds.segments, "%s: captures", s->path);
  }
  ysg_pipeline_destroy(pa);
  ysg_pipeline_destroy(pb);
  ysg_context_destroy(ctx);
}

Test(cuda_exec, eager_and_replay_bitwise_identical) {
  cuda_pair_identical(&seed_small, 1, 0, 5);
  cuda_pair_identical(&looks, 1, 0, 5);
  cuda_pair_identical(&showcase, 1, 0, 5);
}

Test(cuda_exec, two_cuda_runs_bitwise_identical) {
  cuda_pair_identical(&seed_small, 0, 0, 5);
  cuda_pair_identical(&looks, 0, 0, 5);
  cuda_pair_identical(&showcase, 0, 0, 5);
}

/* ---- animated parameter and changing point count under replay ------------------------------- */
static const char anim_src[] =
    "canvas{width=97, height=61, frames=40}\n"
    "local pin = points_in{capacity=64, name='pin'}\n"
    "local d = dot{points=pin, data_radius=false, color='#ffd60a', name='dots',\n"
    "              radius=function(f, t) return 1.5 + (f % 5) end}\n"
    "local bg = fill{color='#102040', name='bg'}\n"
    "merge{layers={bg, d}, name='frame'}\n";

/* frame f's points: (7 f) mod 41 of them (never the same count twice in a row; 0 at frame 0),
 * positions hashed from (f, i) inside the canvas */
static int frame_points(int f, float *xy) {
  int n = (7 * f) % 41;
  for (int i = 0; i < n; i++) {
    uint32_t h = (uint32_t)(f * 2654435761u) ^ (uint32_t)(i * 40503u + 17u);
    h = (h ^ (h >> 15)) * 2246822519u;
    h ^= h >> 13;
    xy[2 * i] = 2.0f + (float)(h % 9300u) / 100.0f;
    xy[2 * i + 1] = 2.0f + (float)((h >> 16) % 5700u) / 100.0f;
  }
  return n;
}

Test(cuda_exec, animated_param_and_count_replay_without_recapture) {
  ysgt_require_cuda();
  unsetenv("YSG_NO_CUDA_GRAPHS");
  const int frames = 30;
  spec s = {NULL, anim_src, {"frame"}, 1, {{0}}, 0};
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *pc = load(ctx, &s, YSG_BACKEND_CPU, 0, NULL, 0);
  ysg_pipeline *pg = load(ctx, &s, YSG_BACKEND_CUDA, 0, NULL, 0);
  size_t npx = 97 * 61;
  uint16_t *prev = calloc(npx * 4, sizeof *prev), *cur = calloc(npx * 4, sizeof *cur);
  cr_assert(prev && cur);
  float xy[128];
  int prev_n = 0;
  for (int f = 0; f < frames; f++) {
    ysg_points_desc d = {0};
    d.count = frame_points(f, xy);
    d.xy = xy;
    cr_assert_eq(ysg_pipeline_set_points(pc, "pin", &d), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_set_points(pg, "pin", &d), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pc, f), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pg, f), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *g = get(pg, "frame");
    compare_cpu("frame", f, get(pc, "frame"), g);
    for (size_t i = 0; i < npx; i++)
      for (int c = 0; c < 4; c++) cur[i * 4 + (size_t)c] = bits_at(g, i, c);
    if (f > 0)
      cr_expect(memcmp(prev, cur, npx * 8) != 0,
                "frame %d (%d points) renders the same as frame %d (%d points) on CUDA", f, d.count,
                f - 1, prev_n);
    prev_n = d.count;
    uint16_t *t = prev;
    prev = cur;
    cur = t;
  }
  cr_assert_eq(ysg_pipeline_flush(pg), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_device_stats ds = dstats(pg);
  cr_expect_eq(ds.segments, 1); /* points_in runs on the host, dot, fill and merge on the device */
  cr_expect_eq(ds.captures, ds.segments, "re-captured: %d captures of %d segments", ds.captures,
               ds.segments);
  cr_expect_eq(ds.recaptures, 0);
  cr_expect_eq(ds.graph_updates, 0);
  cr_expect_eq(ds.eager_frames, 1);
  cr_expect_eq(ds.replayed_frames, frames - 1);
  free(prev);
  free(cur);
  ysg_pipeline_destroy(pc);
  ysg_pipeline_destroy(pg);
  ysg_context_destroy(ctx);
}

/* ---- 1000 frames: device memory and RSS flat ------------------------------------------------ */
#ifdef YSG_HAVE_CUDA
static long long rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long long size = 0, resident = -1;
  if (f) {
    if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = -1;
    fclose(f);
  }
  cr_assert_geq(resident, 0, "cannot read /proc/self/statm");
  return resident * (long long)sysconf(_SC_PAGESIZE);
}

static int long_frames(void) {
  const char *e = getenv("YSG_TEST_LONG_FRAMES");
  int n = e ? atoi(e) : 0;
  return n > 0 ? n : 1000;
}
#endif

/* The seed frame at 640×360, replayed 1000 times after a warm-up (first eager frame, capture,
 * first replays: the graph's own device memory is allocated by then). The executor allocates
 * nothing per frame, so cudaMemGetInfo's free bytes must be exactly equal, and RSS may only move
 * by page-level noise (allocator arenas, lazily touched pages): a leak of 1 KiB per frame would
 * already show as 1 MiB over 1000 frames, the bound. */
Test(cuda_exec, memory_flat_over_1000_frames) {
  ysgt_require_cuda();
#ifdef YSG_HAVE_CUDA
  unsetenv("YSG_NO_CUDA_GRAPHS");
  const ysg_define size[] = {{"width", "640"}, {"height", "360"}};
  spec s = {SEED, NULL, {"frame"}, 1, {{0}}, 0};
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = load(ctx, &s, YSG_BACKEND_CUDA, 0, size, 2);
  const int warm = 8, frames = long_frames();
  for (int f = 0; f < warm; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  char err[512] = "";
  size_t free0 = 0, free1 = 0, total = 0;
  cr_assert_eq(ysg__cuda_mem_info(&free0, &total, err, sizeof err), YSG_OK, "%s", err);
  long long rss0 = rss_bytes();
  for (int f = warm; f < warm + frames; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg__cuda_mem_info(&free1, &total, err, sizeof err), YSG_OK, "%s", err);
  long long rss1 = rss_bytes();
  ysg_device_stats ds = dstats(p);
  cr_log_info("%d frames: device free %zu -> %zu of %zu bytes, RSS %lld -> %lld bytes", frames,
              free0, free1, total, rss0, rss1);
  cr_expect_eq(free1, free0, "device memory moved by %lld bytes over %d frames",
               (long long)free0 - (long long)free1, frames);
  cr_expect_lt(rss1 - rss0, 1 << 20, "RSS grew by %lld bytes over %d frames", rss1 - rss0, frames);
  cr_expect_eq(ds.captures, ds.segments);
  cr_expect_eq(ds.replayed_frames, warm + frames - 1);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
#endif
}

/* ---- a node whose launch breaks the capture ----------------------------------------------------
 */
#ifdef YSG_HAVE_CUDA
static const ysg_port_def bad_out[] = {{"image", YSG_IMAGE, 0, "zeros", NULL, 0}};

static ysg_status bad_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *o = ysg_node_output(n, 0);
  memset(o->tiles, 0, (size_t)o->tiles_x * (size_t)o->tiles_y);
  return YSG_OK;
}

/* Clears its tiles, then waits for the stream — allowed eagerly, illegal while capturing. Like a
 * careless node it ignores the wait's status: the executor must notice the broken capture. */
static ysg_status bad_device_run(ysg_node *n, void *stream) {
  ysg_value *o = ysg_node_output_device(n, 0);
  char err[512];
  if (ysg__cuda_memset(o->tiles, 0, (size_t)o->tiles_x * (size_t)o->tiles_y, stream, err,
                       sizeof err))
    return ysg_node_fail(n, YSG_ERR_CUDA, "%s", err);
  (void)ysg__cuda_sync(stream, err, sizeof err);
  return YSG_OK;
}

static const ysg_device_ops bad_device = {.run = bad_device_run};
static const ysg_node_type bad_type = {.name = "bad_sync",
                                       .category = "test",
                                       .doc = "Waits for its stream inside its device launch.",
                                       .outputs = bad_out,
                                       .n_outputs = 1,
                                       .run = bad_run,
                                       .device = &bad_device};
#endif

Test(cuda_exec, capture_breaking_launch_is_named) {
  ysgt_require_cuda();
#ifdef YSG_HAVE_CUDA
  unsetenv("YSG_NO_CUDA_GRAPHS");
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &bad_type), YSG_OK, "%s", ysg_errmsg(ctx));
  spec s = {NULL,
            "canvas{width=40, height=24, frames=3}\n"
            "bad_sync{name='bad'}\n",
            {"bad"},
            1,
            {{0}},
            0};
  ysg_pipeline *p = load(ctx, &s, YSG_BACKEND_CUDA, 0, NULL, 0);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "the eager frame: %s", ysg_errmsg(ctx));
  const ysg_value *v = get(p, "bad");
  for (int t = 0; t < v->tiles_x * v->tiles_y; t++) cr_assert_eq(v->tiles[t], 0);
  cr_assert_eq(ysg_pipeline_run_frame(p, 1), YSG_ERR_CUDA, "the capture did not fail");
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'bad' (bad_sync): its launch broke the CUDA Graph capture: "
                   "the stream capture was invalidated (a call that cannot be captured)");
  /* eager launches still work after the failed capture */
  ysg_pipeline_destroy(p);
  p = load(ctx, &s, YSG_BACKEND_CUDA, 1, NULL, 0);
  for (int f = 0; f < 3; f++)
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "no_graphs frame %d: %s", f,
                 ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
#endif
}

/* ---- the CLI: --no-graphs and YSG_NO_CUDA_GRAPHS -------------------------------------------- */
/* The integer after "key": in JSON text (asserts the key is there). */
static long long jnum(const char *json, const char *key) {
  char k[128];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(json, k);
  cr_assert(p, "key \"%s\" missing in %s", key, json);
  return strtoll(p + strlen(k), NULL, 10);
}

/* Run the seed frame at 160×90 for 4 frames through the CLI on CUDA (env and options prepended /
 * appended) and return its --stats JSON (malloc'ed). */
static char *cli_stats(const char *env, const char *opts) {
  const char *dir = ysgt_tmpdir();
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "env -u YSG_NO_CUDA_GRAPHS %s '%s' run '%s' -o '%s' --backend cuda --quiet --frames 0:4 "
           "--set width=160 --set height=90 --stats '%s/s.json' %s",
           env, YSG_CLI_PATH, SEED, dir, dir, opts);
  char *out = NULL, *err = NULL;
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0, "%s\nexit %d: %s", cmd, rc, err ? err : "");
  free(out);
  free(err);
  char path[256];
  snprintf(path, sizeof path, "%s/s.json", dir);
  char *js = ysgt_read(path, NULL);
  cr_assert(js, "no stats file %s", path);
  cr_assert(strstr(js, "\"backend\":\"cuda\""), "%s", js);
  cr_assert(strstr(js, "{\"name\":\"frame\",\"type\":\"merge\","), "%s", js);
  const char *merge = strstr(js, "{\"name\":\"frame\",\"type\":\"merge\",");
  cr_assert(strstr(merge, "\"device\":true"), "%s", js);
  return js;
}

Test(cuda_exec, cli_no_graphs_option_and_env) {
  ysgt_require_cuda();
  char *js = cli_stats("", "");
  const char *c = strstr(js, "\"cuda\":{");
  cr_assert(c, "no cuda object: %s", js);
  cr_expect_eq(jnum(c, "eager_frames"), 1, "%s", js);
  cr_expect_eq(jnum(c, "replayed_frames"), 3, "%s", js);
  cr_expect_eq(jnum(c, "captures"), jnum(c, "segments"), "%s", js);
  cr_expect_eq(jnum(c, "recaptures"), 0, "%s", js);
  free(js);
  const char *env[2] = {"", "YSG_NO_CUDA_GRAPHS=1"}, *opt[2] = {"--no-graphs", ""};
  for (int k = 0; k < 2; k++) {
    js = cli_stats(env[k], opt[k]);
    c = strstr(js, "\"cuda\":{");
    cr_assert(c, "no cuda object: %s", js);
    cr_expect_eq(jnum(c, "replayed_frames"), 0, "%s %s: %s", env[k], opt[k], js);
    cr_expect_eq(jnum(c, "eager_frames"), 4, "%s %s: %s", env[k], opt[k], js);
    cr_expect_eq(jnum(c, "captures"), 0, "%s %s: %s", env[k], opt[k], js);
    free(js);
  }
}

/* ---- `--backend cuda` without a device (runs where there is none) ---------------------------- */
Test(cuda_exec, cli_backend_cuda_unavailable) {
  char why[512];
  if (ysg__cuda_probe(why, sizeof why)) cr_skip_test("a CUDA device is usable: %s", why);
  const char *dir = ysgt_tmpdir();
  cr_assert_not_null(ysgt_write(dir, "p.lua", "canvas{width=8, height=8}\nfill{}\n"));
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run p.lua --backend cuda -o out", dir, YSG_CLI_PATH);
  char *out = NULL, *err = NULL;
  int rc = ysgt_sh(cmd, &out, &err);
  char want[1024];
  snprintf(want, sizeof want, "ysgraph: p.lua: backend 'cuda' is unavailable: %s\n", why);
  cr_expect_eq(rc, 3, "exit %d (README: 3 for runtime errors)", rc);
  cr_expect_str_eq(err, want);
  cr_expect_str_eq(out, "");
  char path[600];
  snprintf(path, sizeof path, "%s/out", dir);
  cr_expect_neq(access(path, F_OK), 0, "the failed run created its output directory");
  free(out);
  free(err);
}

/* ---- the seed frame pipeline itself (runs everywhere) --------------------------------------- */
/* bench/seed_frame.lua loads, plans its arena at the lower bound, renders, and its png param adds
 * the sink: 10 nodes (two scatters, gradient, graph, curve, two lines, bbox, dot, merge) + png. */
Test(cuda_exec, seed_frame_pipeline_on_cpu) {
  ysg_context *ctx = ysgt_ctx();
  const ysg_define png[] = {{"png", "true"}};
  spec s = seed_small;
  s.keep[s.n_keep++] = "pts";
  for (int with_png = 0; with_png < 2; with_png++) {
    ysg_pipeline *p = load(ctx, &s, YSG_BACKEND_CPU, 0, png, with_png);
    cr_expect_eq(ysg_pipeline_node_count(p), 10 + with_png);
    ysg_plan_info plan;
    cr_assert_eq(ysg_pipeline_plan(p, &plan), YSG_OK);
    cr_expect_eq(plan.arena_bytes, plan.lower_bound_bytes);
    const ysg_canvas *cv = ysg_pipeline_canvas(p);
    cr_expect(cv->width == 320 && cv->height == 180, "canvas %dx%d", cv->width, cv->height);
    cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_flush(p), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *pts = get(p, "pts"), *edges = get(p, "knn.edges");
    cr_expect_eq(pts->count, 1000);
    cr_expect(edges->count >= 2500 && edges->count <= 5000, "%d KNN edges for 1000 points, k=5",
              edges->count); /* each point links its 5 nearest: 2500..5000 undirected edges */
    const ysg_value *img = get(p, "frame");
    int occupied = 0;
    for (int t = 0; t < img->tiles_x * img->tiles_y; t++) occupied += img->tiles[t] != 0;
    cr_expect_eq(occupied, img->tiles_x * img->tiles_y, "the gradient covers every tile");
    ysg_pipeline_destroy(p);
  }
  ysg_context_destroy(ctx);
}
