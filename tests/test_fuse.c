/* test_fuse.c — tile fusion (engine/tiles.c, node.h's ysg_tile_ops): every bundled pipeline and
 * the seed frame render bit-identically fused and with no_fuse, with fused arenas at the lower
 * bound and smaller; random layer stacks over every blend mode, opacity, background and render
 * node, with fusable and unfusable (kept, shared, effect input) layers mixed in one merge; plans
 * and stats name the fused groups; a host-defined tile node fuses with per-thread scratch; moving
 * content leaves no stale tiles; the CLI's plan shows groups and takes --no-fuse.
 * YSG_PRINT_STACKS=1 prints each random stack's source. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "fuse_stacks.h"
#include "internal.h"
#include "util.h"

static ysg_context *ctx2(void) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  return ctx;
}

typedef struct load_spec {
  const char *file, *source; /* one of them */
  const ysg_define *defines;
  int n_defines;
  const char *const *keep;
  int n_keep;
  int no_fuse;
} load_spec;

static ysg_pipeline *load(ysg_context *ctx, const load_spec *ls, const char *outdir) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.defines = ls->defines;
  lo.n_defines = ls->n_defines;
  lo.keep = ls->keep;
  lo.n_keep = ls->n_keep;
  lo.no_fuse = ls->no_fuse;
  lo.output_dir = outdir;
  ysg_pipeline *p = NULL;
  ysg_status s = ls->file ? ysg_pipeline_load_file(ctx, ls->file, &lo, &p)
                          : ysg_pipeline_load_string(ctx, ls->source, "stack.lua", &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s: %s", ls->file ? ls->file : "stack.lua", ysg_errmsg(ctx));
  return p;
}

/* Same occupancy grid, and the same FP16 bits in every tile flagged non-empty. */
static void expect_same_image(const ysg_value *a, const ysg_value *b, const char *what) {
  cr_assert_eq(a->width, b->width, "%s", what);
  cr_assert_eq(a->height, b->height, "%s", what);
  size_t nt = (size_t)a->tiles_x * (size_t)a->tiles_y;
  for (size_t t = 0; t < nt; t++)
    cr_assert_eq(a->tiles[t], b->tiles[t], "%s: occupancy of tile %zu: %d fused, %d unfused", what,
                 t, a->tiles[t], b->tiles[t]);
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      if (!a->tiles[(y / YSG_TILE) * a->tiles_x + x / YSG_TILE]) continue;
      size_t o = ((size_t)y * (size_t)a->width + (size_t)x) * 4;
      for (int c = 0; c < 4; c++)
        cr_assert_eq(a->px[o + c], b->px[o + c],
                     "%s: pixel (%d,%d) channel %d: 0x%04x fused, 0x%04x unfused", what, x, y, c,
                     a->px[o + c], b->px[o + c]);
    }
}

static int n_fused(const ysg_pipeline *p) {
  int k = 0;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, i, &ni);
    k += ni.fused_into >= 0;
  }
  return k;
}

/* Load fused and unfused, check the plans, run `frames` frames on both and compare `ref`.
 * expect_fused < 0: any number of fused layers. smaller > 0: the fused arena must be smaller (tiny
 * canvases may not gain: a fused layer's scratch lives until the merge); smaller < 0: not larger
 * (a pipeline whose peak lies elsewhere, e.g. background_replace's matte stages, gains nothing). */
static void compare_fused(load_spec ls, const char *ref, int frames, int expect_fused, int smaller,
                          const char *what) {
  ysg_context *ctx = ctx2();
  const char *dir = ysgt_tmpdir();
  ls.no_fuse = 0;
  ysg_pipeline *f = load(ctx, &ls, dir);
  ls.no_fuse = 1;
  ysg_pipeline *u = load(ctx, &ls, dir);
  ysg_plan_info pf, pu;
  ysg_pipeline_plan(f, &pf);
  ysg_pipeline_plan(u, &pu);
  cr_assert_eq(pf.arena_bytes, pf.lower_bound_bytes, "%s: fused arena %zu, bound %zu", what,
               pf.arena_bytes, pf.lower_bound_bytes);
  cr_assert_eq(pu.arena_bytes, pu.lower_bound_bytes, "%s", what);
  cr_assert_eq(n_fused(u), 0, "%s", what);
  if (expect_fused >= 0) cr_assert_eq(n_fused(f), expect_fused, "%s: fused layers", what);
  if (smaller > 0) cr_assert_lt(pf.arena_bytes, pu.arena_bytes, "%s", what);
  if (smaller < 0)
    cr_assert_leq(pf.arena_bytes, pu.arena_bytes, "%s: fused arena %zu, unfused %zu", what,
                  pf.arena_bytes, pu.arena_bytes);
  for (int fr = 0; fr < frames; fr++) {
    cr_assert_eq(ysg_pipeline_run_frame(f, fr), YSG_OK, "%s: %s", what, ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(u, fr), YSG_OK, "%s: %s", what, ysg_errmsg(ctx));
    const ysg_value *a, *b;
    cr_assert_eq(ysg_pipeline_get_value(f, ref, &a), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(u, ref, &b), YSG_OK, "%s", ysg_errmsg(ctx));
    char w[256];
    snprintf(w, sizeof w, "%s frame %d", what, fr);
    expect_same_image(a, b, w);
  }
  ysg_pipeline_destroy(f);
  ysg_pipeline_destroy(u);
  ysg_context_destroy(ctx);
}

Test(fuse, bundled_pipelines_bit_exact) {
  glob_t g;
  char pattern[1024];
  snprintf(pattern, sizeof pattern, "%s/pipelines/*.lua", YSG_SOURCE_DIR);
  cr_assert_eq(glob(pattern, 0, NULL, &g), 0);
  cr_assert_geq(g.gl_pathc, 3);
  const char *keep[] = {"frame"};
  for (size_t i = 0; i < g.gl_pathc; i++) {
#ifndef YSG_HAVE_FFMPEG
    if (strstr(g.gl_pathv[i], "video")) continue; /* needs FFmpeg to read the clip */
#endif
    load_spec ls = {.file = g.gl_pathv[i], .keep = keep, .n_keep = 1};
    compare_fused(ls, "frame", 3, -1, -1, g.gl_pathv[i]);
  }
  globfree(&g);
}

Test(fuse, seed_frame_bit_exact) {
  ysg_define d[] = {{"width", "1000"}, {"height", "600"}};
  load_spec ls = {.file = YSG_SOURCE_DIR "/bench/seed_frame.lua", .defines = d, .n_defines = 2};
  /* all five layers are fused; the merge's output is kept (nothing reads it) */
  compare_fused(ls, "frame", 2, 5, 1, "seed_frame");
}

Test(fuse, random_stacks_every_mode_and_opacity) {
  static char src[16384];
  for (uint64_t seed = 1; seed <= 60; seed++) {
    const char *keep[16] = {"frame"};
    int n_keep = 1;
    int fused = ysgt_random_stack(seed * 7919, src, sizeof src, keep, &n_keep);
    if (getenv("YSG_PRINT_STACKS")) {
      fprintf(stderr, "%d fused, keep", fused);
      for (int i = 0; i < n_keep; i++) fprintf(stderr, " %s", keep[i]);
      fprintf(stderr, "\n%s\n", src);
    }
    load_spec ls = {.source = src, .keep = keep, .n_keep = n_keep};
    char what[64];
    snprintf(what, sizeof what, "stack %llu", (unsigned long long)seed);
    compare_fused(ls, "frame", 3, fused, 0, what);
  }
}

/* ---- which layers fuse, and what the plan shows ------------------------------------------------
 */

static const char mixed_src[] =
    "canvas { width = 150, height = 70, frames = 4, fps = 10 }\n"
    "local c = scatter { count = 12, seed = 3, speed = 40, radius = 3, name = 'c' }\n"
    "local k = graph { points = c, mode = 'knn', k = 2, name = 'k' }\n"
    "local halo = line { points = k.points, edges = k.edges, width = 2, name = 'halo' }\n"
    "local soft = blur { image = halo, sigma = 2, name = 'soft' }\n" /* effect output */
    "local sky = gradient { name = 'sky' }\n"                        /* fused */
    "local links = line { points = k.points, edges = k.edges, name = 'links' }\n" /* fused */
    "local boxes = bbox { points = c, w = 10, h = 8, name = 'boxes' }\n"          /* kept below */
    "local dots = dot { points = c, radius = 3, name = 'dots' }\n"                /* read twice */
    "local frame = merge { name = 'frame', layers = { soft, sky, { links, mode = 'add' }, boxes, "
    "dots } }\n"
    "local twice = merge { name = 'twice', layers = { dots } }\n";

static int node_index(const ysg_pipeline *p, const char *name) {
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, i, &ni);
    if (!strcmp(ni.name, name)) return i;
  }
  return -1;
}

static int has_buffer(const ysg_pipeline *p, const char *name) {
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  for (int i = 0; i < pi.n_buffers; i++) {
    ysg_buffer_info b;
    ysg_pipeline_buffer_info(p, i, &b);
    if (!strcmp(b.name, name)) return 1;
  }
  return 0;
}

Test(fuse, only_layers_read_once_and_not_kept_fuse) {
  ysg_context *ctx = ctx2();
  const char *keep[] = {"frame", "twice", "boxes"};
  load_spec ls = {.source = mixed_src, .keep = keep, .n_keep = 3};
  ysg_pipeline *p = load(ctx, &ls, ysgt_tmpdir());
  int frame = node_index(p, "frame");
  struct {
    const char *name;
    int fused;
  } want[] = {{"halo", 0}, {"soft", 0}, {"sky", 1}, {"links", 1}, {"boxes", 0}, {"dots", 0}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, node_index(p, want[i].name), &ni);
    cr_assert_eq(ni.fused_into, want[i].fused ? frame : -1, "%s", want[i].name);
    char buf[64];
    snprintf(buf, sizeof buf, "%s.image", want[i].name);
    cr_assert_eq(has_buffer(p, buf), !want[i].fused, "%s", buf);
  }
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "links", &v), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "'links': this image is never made: its tiles are rendered inside 'frame' "
                   "(tile fusion); list it in ysg_load_options.keep (--dump keeps it)");
  /* a fused layer's scratch lives until the merge's step */
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  ysg_node_info fi;
  ysg_pipeline_node_info(p, frame, &fi);
  int found = 0;
  for (int i = 0; i < pi.n_buffers; i++) {
    ysg_buffer_info b;
    ysg_pipeline_buffer_info(p, i, &b);
    if (strcmp(b.name, "links.scratch0")) continue;
    found = 1;
    cr_assert_eq(b.last_step, fi.step);
  }
  cr_assert(found);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  compare_fused(ls, "frame", 4, 2, 0, "mixed");
  compare_fused(ls, "twice", 4, 2, 0, "mixed, second merge");
}

/* layer 0 is an effect's image: the merge composites in place on it, with fused layers above */
Test(fuse, in_place_over_a_materialised_first_layer) {
  static const char src[] =
      "canvas { width = 100, height = 60, frames = 3, fps = 10 }\n"
      "local c = scatter { count = 9, seed = 5, speed = 40, radius = 3 }\n"
      "local k = graph { points = c, mode = 'knn', k = 2 }\n"
      "local base = glow { image = line { points = k.points, edges = k.edges, width = 3 }, sigma = "
      "3, "
      "name = 'base' }\n"
      "local frame = merge { name = 'frame', layers = { base, { dot { points = c, radius = 4 }, "
      "mode = 'screen', opacity = 0.6 }, bbox { points = c, w = 12, h = 12, stroke = 2 } } }\n";
  const char *keep[] = {"frame"};
  load_spec ls = {.source = src, .keep = keep, .n_keep = 1};
  ysg_context *ctx = ctx2();
  ysg_pipeline *p = load(ctx, &ls, ysgt_tmpdir());
  ysg_node *m = ysg__node_find(p, "frame"), *b = ysg__node_find(p, "base");
  cr_assert_eq(p->buffers[m->out_buffer[0]].offset, p->buffers[b->out_buffer[0]].offset,
               "the merge no longer works in place on its first layer");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  compare_fused(ls, "frame", 3, 2, 0, "in place");
}

/* Dots that move: every frame of a fused pipeline equals a fresh unfused pipeline's same frame
 * (no tile keeps an earlier frame's pixels), and empty tiles are flagged 0 with a transparent
 * background. */
Test(fuse, moving_content_leaves_no_stale_tiles) {
  static const char src[] =
      "canvas { width = 96, height = 64, frames = 6, fps = 4 }\n"
      "local c = scatter { count = 3, seed = 9, speed = 200, radius = 3 }\n"
      "local frame = merge { name = 'frame', layers = { dot { points = c, radius = 5 }, "
      "line { points = c, edges = graph { points = c, mode = 'knn', k = 1 }.edges } } }\n";
  const char *keep[] = {"frame"};
  ysg_context *ctx = ctx2();
  const char *dir = ysgt_tmpdir();
  load_spec ls = {.source = src, .keep = keep, .n_keep = 1};
  ysg_pipeline *f = load(ctx, &ls, dir);
  cr_assert_eq(n_fused(f), 2);
  for (int fr = 0; fr < 6; fr++) {
    ls.no_fuse = 1;
    ysg_pipeline *u = load(ctx, &ls, dir);
    cr_assert_eq(ysg_pipeline_run_frame(f, fr), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(u, fr), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *a, *b;
    ysg_pipeline_get_value(f, "frame", &a);
    ysg_pipeline_get_value(u, "frame", &b);
    expect_same_image(a, b, "moving dots");
    int empty = 0;
    for (int t = 0; t < a->tiles_x * a->tiles_y; t++) empty += !a->tiles[t];
    cr_assert_gt(empty, 0, "frame %d: three dots cover every tile", fr);
    ysg_pipeline_destroy(u);
  }
  ysg_pipeline_destroy(f);
  ysg_context_destroy(ctx);
}

Test(fuse, stats_time_each_fused_layer) {
  ysg_context *ctx = ctx2();
  ysg_define d[] = {{"width", "640"}, {"height", "360"}};
  load_spec ls = {.file = YSG_SOURCE_DIR "/bench/seed_frame.lua", .defines = d, .n_defines = 2};
  ysg_pipeline *p = load(ctx, &ls, ysgt_tmpdir());
  for (int fr = 0; fr < 3; fr++) cr_assert_eq(ysg_pipeline_run_frame(p, fr), YSG_OK);
  int frame = node_index(p, "frame");
  double layers = 0;
  const char *names[] = {"sky", "links", "arc_lines", "boxes", "dots"};
  for (int i = 0; i < 5; i++) {
    ysg_node_info ni;
    ysg_pipeline_node_info(p, node_index(p, names[i]), &ni);
    cr_assert_eq(ni.fused_into, frame, "%s", names[i]);
    cr_assert_eq(ni.runs, 3, "%s", names[i]);
    cr_assert_gt(ni.tile_ms, 0.0, "%s renders tiles (the sky every one)", names[i]);
    cr_assert_geq(ni.total_ms, ni.tile_ms, "%s: prepare + tiles", names[i]);
    layers += ni.tile_ms;
  }
  ysg_node_info mi;
  ysg_pipeline_node_info(p, frame, &mi);
  cr_assert_eq(mi.fused_into, -1);
  cr_assert_geq(mi.total_ms, 0.0, "the merge's own share (compositing) is what remains");
  cr_assert_gt(layers, 0.0);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- a host-defined tile node ------------------------------------------------------------------
 */

static const ysg_port_def checker_out[] = {{"image", YSG_IMAGE, 0, "a checkerboard", NULL, 0}};
static const ysg_param_def checker_params[] = {
    {"level", YSG_PARAM_NUMBER, "0.5", 0, 1, NULL, 0, "grey level of the lit squares"}};
typedef struct checker_state {
  int frame;
  float level;
} checker_state;
static int checker_bad_scratch;

static ysg_status checker_infer(ysg_node *n) {
  ysg_node_output(n, 0)->width = ysg_node_canvas(n)->width;
  ysg_node_output(n, 0)->height = ysg_node_canvas(n)->height;
  if (!ysg_node_state(n)) {
    checker_state *st = ysg_node_alloc(n, sizeof *st);
    if (!st) return YSG_ERR_NOMEM;
    ysg_node_set_state(n, st);
  }
  return YSG_OK;
}
static void checker_destroy(ysg_node *n) { ysg_node_free(n, ysg_node_state(n)); }
static ysg_status checker_prepare(ysg_node *n, const ysg_frame *f) {
  checker_state *st = ysg_node_state(n);
  st->frame = f->index;
  st->level = (float)ysg_node_number(n, 0);
  return YSG_OK;
}
/* every third tile (shifting with the frame) is empty; others get a per-pixel pattern */
static int checker_render(const ysg_node *n, const ysg_tile *t) {
  const checker_state *st = ysg_node_state(n);
  if ((t->tx + t->ty + st->frame) % 3 == 0) return 0;
  unsigned char *scratch = t->scratch;
  if (!scratch || ((uintptr_t)scratch & 63) || ysg_node_thread_index() < 0 ||
      ysg_node_thread_index() >= ysg_node_threads(n))
    checker_bad_scratch = 1;
  else
    memset(scratch, 0xab, 100); /* the per-thread scratch is writable */
  for (int y = 0; y < t->h; y++)
    for (int x = 0; x < t->w; x++) {
      float v = ((t->x0 + x) / 4 + (t->y0 + y) / 4) % 2 ? st->level : 0.0f, a = 0.75f;
      float px[4] = {v * a, v * a * 0.5f, 0.1f * a, a};
      ysg_store_px(t->px + (size_t)y * t->stride + 4 * (size_t)x, px);
    }
  return 1;
}
static const ysg_tile_ops checker_tile = {checker_prepare, checker_render, 100};
static const ysg_node_type checker_type = {.name = "checker",
                                           .category = "render",
                                           .doc = "A checkerboard rendered tile by tile.",
                                           .outputs = checker_out,
                                           .n_outputs = 1,
                                           .params = checker_params,
                                           .n_params = 1,
                                           .infer = checker_infer,
                                           .run = ysg_node_run_tiles,
                                           .destroy = checker_destroy,
                                           .tile = &checker_tile};

Test(fuse, host_defined_tile_node) {
  static const char src[] =
      "canvas { width = 83, height = 45, frames = 3, fps = 10 }\n"
      "local frame = merge { name = 'frame', background = '#203040', layers = { "
      "{ checker { level = function(f, t) return 0.2 + 0.3 * f end, name = 'ch' }, mode = "
      "'screen' }, fill { color = '#ff000040' } } }\n";
  const char *keep[] = {"frame"};
  ysg_context *ctx = ctx2();
  cr_assert_eq(ysg_register_node_type(ctx, &checker_type), YSG_OK);
  const char *dir = ysgt_tmpdir();
  load_spec ls = {.source = src, .keep = keep, .n_keep = 1};
  ysg_pipeline *f = load(ctx, &ls, dir);
  ls.no_fuse = 1;
  ysg_pipeline *u = load(ctx, &ls, dir);
  cr_assert_eq(n_fused(f), 2);
  for (int fr = 0; fr < 3; fr++) {
    cr_assert_eq(ysg_pipeline_run_frame(f, fr), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(u, fr), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *a, *b;
    ysg_pipeline_get_value(f, "frame", &a);
    ysg_pipeline_get_value(u, "frame", &b);
    expect_same_image(a, b, "checker");
  }
  cr_assert_eq(checker_bad_scratch, 0, "render got no aligned per-thread scratch");
  ysg_pipeline_destroy(f);
  ysg_pipeline_destroy(u);
  ysg_context_destroy(ctx);
  /* an inconsistent tile type is refused */
  ctx = ctx2();
  static const ysg_tile_ops half_ops = {checker_prepare, NULL, 0};
  ysg_node_type bad = checker_type;
  bad.name = "bad_tiles";
  bad.tile = &half_ops;
  cr_assert_eq(ysg_register_node_type(ctx, &bad), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "node type 'bad_tiles': tile callbacks need prepare, render and an image "
                   "output 0");
  ysg_context_destroy(ctx);
}

/* ---- the CLI --------------------------------------------------------------------------------- */

Test(fuse, cli_plan_shows_fused_groups) {
  char *out = NULL, *err = NULL, cmd[2048];
  const char *seed = YSG_SOURCE_DIR "/bench/seed_frame.lua";
  snprintf(cmd, sizeof cmd, "%s plan -q --set width=320 --set height=180 %s", YSG_CLI_PATH, seed);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  cr_assert(strstr(out,
                   "fused        frame (merge) <- sky, links, arc_lines, boxes, dots (tiles "
                   "rendered in the pass; images never made)\n"),
            "%s", out);
  cr_assert_null(strstr(out, "sky.image"), "%s", out);
  cr_assert(strstr(out, "arena / bound = 1.000"), "%s", out);
  free(out);
  free(err);
  snprintf(cmd, sizeof cmd, "%s plan -q --no-fuse --set width=320 --set height=180 %s",
           YSG_CLI_PATH, seed);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  cr_assert(strstr(out, "fused        none\n"), "%s", out);
  cr_assert(strstr(out, "sky.image"), "%s", out);
  free(out);
  free(err);
  snprintf(cmd, sizeof cmd, "%s plan -q --json --set width=320 --set height=180 %s", YSG_CLI_PATH,
           seed);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  cr_assert(strstr(out, "{\"name\":\"dots\",\"type\":\"dot\",\"step\":8,\"fused_into\":\"frame\"}"),
            "%s", out);
  cr_assert(strstr(out, "{\"name\":\"frame\",\"type\":\"merge\",\"step\":9}"), "%s", out);
  free(out);
  free(err);
  const char *dir = ysgt_tmpdir();
  snprintf(cmd, sizeof cmd,
           "%s run -q --frames 0:2 --stats %s/stats.json --set width=320 --set height=180 %s",
           YSG_CLI_PATH, dir, seed);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  free(out);
  free(err);
  char path[1024];
  snprintf(path, sizeof path, "%s/stats.json", dir);
  char *stats = ysgt_read(path, NULL);
  cr_assert_not_null(stats);
  cr_assert(strstr(stats, "\"name\":\"arc_lines\",\"type\":\"line\","), "%s", stats);
  const char *arc = strstr(stats, "\"name\":\"arc_lines\"");
  cr_assert(arc && strstr(arc, "\"fused_into\":\"frame\",\"tile_ms_per_frame\":"), "%s", stats);
  free(stats);
  snprintf(cmd, sizeof cmd, "%s check -q --no-fuse --set width=320 --set height=180 %s",
           YSG_CLI_PATH, seed);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0, "%s", err);
  free(out);
  free(err);
}
