/* test_trail.c — the `trail` node: random access equals sequential rendering for inputs read at
 * any frame (scatter, a CSV with a frame column, tracks) — the trails and the drawn strokes bit
 * for bit; a host parameter change refreshes what was read; gaps break or are bridged up to
 * max_gap (exact linear positions); ids seen at isolated frames have no trail; ij holds (id,
 * index this frame); the host-fed history of points_in (frames not run are gaps, a rerun frame
 * replaces its entry, a jump back ignores newer entries); repeated ids (a warning once), points
 * without ids, the trail capacity and the history limit as exact error texts; and the engine's
 * ysg_node_input_at on a seekable and on a host-fed input. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ysgraph/node.h"

#include "dir_fixture.h"

TestSuite(trail, .init = setup, .fini = teardown);

static ysg_pipeline *load_keep(ysg_context *c, const char *src) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  static const char *const keep[] = {"t", "out"};
  lo.keep = keep;
  lo.n_keep = 2;
  lo.backend = YSG_BACKEND_CPU;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg_pipeline_load_string(c, src, "test.lua", &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(c));
  return p;
}

static const ysg_value *get(ysg_pipeline *p, const char *ref) {
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

static void run(ysg_pipeline *p, int f) {
  cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
}

/* bitwise equality of two curves values (count, ij, every sample; NaN equals NaN bit for bit) */
static void expect_same_curves(const ysg_value *a, const ysg_value *b, const char *what) {
  cr_assert_eq(a->count, b->count, "%s: %d trails vs %d", what, a->count, b->count);
  cr_assert_eq(a->samples, b->samples);
  cr_expect(memcmp(a->ij, b->ij, sizeof(int32_t) * 2 * (size_t)a->count) == 0, "%s: ij differ",
            what);
  cr_expect(memcmp(a->xy, b->xy, sizeof(float) * 2 * (size_t)a->count * a->samples) == 0,
            "%s: samples differ", what);
}

static void expect_same_image(const ysg_value *a, const ysg_value *b, const char *what) {
  int nt = a->tiles_x * a->tiles_y, diff = 0;
  cr_assert(memcmp(a->tiles, b->tiles, (size_t)nt) == 0, "%s: tile flags differ", what);
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      if (a->tiles[(y / 16) * a->tiles_x + x / 16])
        diff += memcmp(a->px + ((size_t)y * a->width + x) * 4,
                       b->px + ((size_t)y * a->width + x) * 4, 8) != 0;
  cr_expect_eq(diff, 0, "%s: %d pixels differ", what, diff);
}

/* frame `last` run directly in a fresh pipeline equals running 0..last in order (and a third
 * pipeline that runs every third frame) */
static void random_equals_sequential(const char *src, int last, int min_trails) {
  ysg_pipeline *seq = load_keep(ctx, src), *jump = load_keep(ctx, src),
               *sparse = load_keep(ctx, src);
  for (int f = 0; f <= last; f++) run(seq, f);
  for (int f = 0; f <= last; f += 3) run(sparse, f);
  run(sparse, last);
  run(jump, last);
  const ysg_value *a = get(seq, "t");
  cr_expect(a->count >= min_trails, "%d trails, expected at least %d", a->count, min_trails);
  expect_same_curves(a, get(jump, "t"), "sequential vs direct");
  expect_same_curves(a, get(sparse, "t"), "sequential vs every third frame");
  expect_same_image(get(seq, "out"), get(jump, "out"), "sequential vs direct, drawn");
  ysg_pipeline_destroy(seq);
  ysg_pipeline_destroy(jump);
  ysg_pipeline_destroy(sparse);
}

Test(trail, random_access_equals_sequential_for_scatter) {
  random_equals_sequential(
      "canvas{width=160,height=96,frames=40}\n"
      "local s = scatter{count=25, speed=90, seed=5}\n"
      "t = trail{name='t', points=s, length=12}\n"
      "out = line{name='out', curves=t, width=3, taper=0.1, taper_opacity=0.2}\n",
      30, 25);
}

/* tracks from a CSV whose ids come and go, with gaps bridged */
Test(trail, random_access_equals_sequential_for_tracks) {
  FILE *f = fopen("tr.csv", "w");
  cr_assert_not_null(f);
  fprintf(f, "frame,id,x,y\n");
  for (int fr = 0; fr < 30; fr++)
    for (int id = 1; id <= 8; id++) {
      if ((fr + id) % 7 == 0 || (id == 3 && fr > 12 && fr < 17)) continue; /* gaps */
      fprintf(f, "%d,%d,%.2f,%.2f\n", fr, id, 10 + 4.5 * fr + id, 8 + 9.25 * id + 3 * sin(fr + id));
    }
  fclose(f);
  random_equals_sequential(
      "canvas{width=160,height=96}\n"
      "local tr = tracks{path='tr.csv'}\n"
      "t = trail{name='t', points=tr.points, length=10, max_gap=2}\n"
      "out = line{name='out', curves=t, width=2, taper=0.3, cap_end='arrow'}\n",
      25, 8);
}

/* A host parameter change (scatter's speed) refreshes the frames read before it: frame 11 after
 * the change equals frame 11 of a pipeline loaded with that speed. */
Test(trail, a_parameter_change_refreshes_the_history) {
  const char *src =
      "canvas{width=160,height=96,frames=40}\n"
      "local s = scatter{count=10, speed=%s, seed=2, name='s'}\n"
      "t = trail{name='t', points=s, length=8}\n"
      "out = line{name='out', curves=t, width=2}\n";
  char a[512], b[512];
  snprintf(a, sizeof a, src, "60");
  snprintf(b, sizeof b, src, "150");
  ysg_pipeline *p = load_keep(ctx, a), *q = load_keep(ctx, b);
  for (int f = 0; f <= 10; f++) run(p, f);
  cr_assert_eq(ysg_pipeline_set_param_number(p, "s.speed", 150), YSG_OK, "%s", ysg_errmsg(ctx));
  run(p, 11);
  run(q, 11);
  expect_same_curves(get(p, "t"), get(q, "t"), "after set_param vs loaded so");
  ysg_pipeline_destroy(p);
  ysg_pipeline_destroy(q);
}

/* ---- gaps ------------------------------------------------------------------------------------ */
/* id 7 moves along x = 10 + 3·frame at y = 20 over frames 0..9 but is missing at frames 3 and 4;
 * id 2 appears only at frames 1, 5 and 8 (never two frames in a row); id 9 only at frame 9. */
static void write_gappy(void) {
  FILE *f = fopen("gap.csv", "w");
  cr_assert_not_null(f);
  fprintf(f, "id,frame,x,y\n");
  for (int fr = 0; fr < 10; fr++) {
    if (fr == 1 || fr == 5 || fr == 8) fprintf(f, "2,%d,50,%d\n", fr, fr);
    if (fr != 3 && fr != 4) fprintf(f, "7,%d,%d,20\n", fr, 10 + 3 * fr);
    if (fr == 9) fprintf(f, "9,%d,70,70\n", fr);
  }
  fclose(f);
}

static const ysg_value *gappy_trail(int max_gap) {
  write_gappy();
  char src[256];
  snprintf(src, sizeof src,
           "canvas{width=96,height=96,frames=10}\n"
           "t = trail{name='t', points=points{path='gap.csv'}, length=10, max_gap=%d}\n"
           "out = line{name='out', curves=t}\n",
           max_gap);
  pl = load_keep(ctx, src);
  run(pl, 9);
  return get(pl, "t");
}

Test(trail, gaps_break_the_trail) {
  for (int max_gap = 0; max_gap <= 1; max_gap++) {
    if (pl) ysg_pipeline_destroy(pl);
    const ysg_value *t = gappy_trail(max_gap);
    cr_assert_eq(t->count, 1, "max_gap %d: %d trails (only id 7 has adjacent samples)", max_gap,
                 t->count);
    cr_expect_eq(t->ij[0], 7);
    cr_expect_eq(t->ij[1], 0, "id 7 is point 0 of frame 9 (file order: 7, 9)");
    for (int k = 0; k < 10; k++) {
      float x = t->xy[2 * k], y = t->xy[2 * k + 1];
      if (k == 3 || k == 4)
        cr_expect(isnan(x) && isnan(y), "max_gap %d: sample %d (%g, %g) should be a break", max_gap,
                  k, x, y);
      else
        cr_expect(x == 10 + 3 * k && y == 20, "max_gap %d: sample %d is (%g, %g)", max_gap, k, x,
                  y);
    }
  }
}

/* max_gap 2 bridges id 7's gap (frames 3, 4) and id 2's from frame 5 to 8, not its gap of 3
 * frames from 1 to 5 */
Test(trail, gaps_up_to_max_gap_are_bridged) {
  const ysg_value *t = gappy_trail(2);
  cr_assert_eq(t->count, 2);
  cr_expect(t->ij[0] == 2 && t->ij[1] == -1 && t->ij[2] == 7 && t->ij[3] == 0);
  const float *a = t->xy, *b = t->xy + 20;
  for (int k = 0; k < 10; k++) {
    cr_expect(fabsf(b[2 * k] - (10 + 3 * k)) < 1e-5f && b[2 * k + 1] == 20,
              "id 7 sample %d is (%g, %g), expected (%d, 20)", k, b[2 * k], b[2 * k + 1],
              10 + 3 * k);
    int bridged = k >= 5 && k <= 8, seen = k == 1 || bridged;
    if (seen)
      cr_expect(a[2 * k] == 50 && fabsf(a[2 * k + 1] - k) < 1e-5f, "id 2 sample %d is (%g, %g)", k,
                a[2 * k], a[2 * k + 1]);
    else
      cr_expect(isnan(a[2 * k]), "id 2 sample %d is (%g, %g), expected a break", k, a[2 * k],
                a[2 * k + 1]);
  }
}

/* a trail that ended (id 7 last seen at frame 9) stays while it is in the window, its newest
 * samples non-finite; ij[1] is -1 then */
Test(trail, trails_of_ids_that_left_age_out) {
  write_gappy();
  pl = load_keep(ctx,
                 "canvas{width=96,height=96,frames=20}\n"
                 "t = trail{name='t', points=points{path='gap.csv'}, length=4}\n"
                 "out = line{name='out', curves=t}\n");
  run(pl, 11);
  const ysg_value *t = get(pl, "t");
  cr_assert_eq(t->count, 1);
  cr_expect_eq(t->ij[1], -1);
  cr_expect(t->xy[0] == 34 && t->xy[2] == 37 && isnan(t->xy[4]) && isnan(t->xy[6]));
  run(pl, 13);
  cr_expect_eq(get(pl, "t")->count, 0, "the trail has aged out");
}

/* ---- host-fed history -------------------------------------------------------------------------
 */
static void set_two(ysg_pipeline *p, float x7, float x8) {
  float xy[4] = {x7, 10, x8, 30};
  int32_t id[2] = {7, 8};
  ysg_points_desc d = {.count = 2, .xy = xy, .id = id};
  cr_assert_eq(ysg_pipeline_set_points(p, "in", &d), YSG_OK, "%s", ysg_errmsg(ctx));
}

Test(trail, host_fed_points_keep_a_history_of_the_frames_run) {
  pl = load_keep(ctx,
                 "canvas{width=96,height=64,frames=100}\n"
                 "t = trail{name='t', points=points_in{name='in'}, length=4}\n"
                 "out = line{name='out', curves=t}\n");
  for (int f = 0; f <= 5; f++) {
    set_two(pl, (float)f, 50 + (float)f);
    run(pl, f);
  }
  const ysg_value *t = get(pl, "t");
  cr_assert_eq(t->count, 2);
  for (int k = 0; k < 4; k++) cr_expect(t->xy[2 * k] == 2 + k && t->xy[8 + 2 * k] == 52 + k);
  /* frame 6 is not run: a gap at frame 7 */
  set_two(pl, 70, 80);
  run(pl, 7);
  cr_expect(t->xy[0] == 4 && t->xy[2] == 5 && isnan(t->xy[4]) && t->xy[6] == 70,
            "frames 4, 5, (6), 7: %g %g %g %g", t->xy[0], t->xy[2], t->xy[4], t->xy[6]);
  /* running frame 7 again replaces what it saw */
  set_two(pl, 71, 81);
  run(pl, 7);
  cr_expect(t->xy[6] == 71 && t->xy[14] == 81);
  /* back to frame 5: its window is frames 2..5; the ring's slot of frame 3 now holds frame 7
   * (newer: ignored, a gap), frames 2 and 4 are still there (frame 6 never ran) */
  set_two(pl, 55, 65);
  run(pl, 5);
  cr_expect(t->xy[0] == 2 && isnan(t->xy[2]) && t->xy[4] == 4 && t->xy[6] == 55,
            "frames 2..5 after the jump back: %g %g %g %g", t->xy[0], t->xy[2], t->xy[4], t->xy[6]);
}

/* ---- errors ---------------------------------------------------------------------------------- */
Test(trail, repeated_ids_are_reported_once) {
  ysg_context *c = ysgt_ctx_warn(1);
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysgt_load(c,
                         "canvas{width=96,height=64,frames=10}\n"
                         "t = trail{name='t', points=points_in{name='in'}, length=4}\n"
                         "png{image=line{curves=t}, path='x_%d.png'}\n",
                         &p),
               YSG_OK, "%s", ysg_errmsg(c));
  float xy[6] = {1, 1, 2, 2, 3, 3};
  int32_t id[3] = {4, 4, 5};
  ysg_points_desc d = {.count = 3, .xy = xy, .id = id};
  for (int f = 0; f < 3; f++) {
    cr_assert_eq(ysg_pipeline_set_points(p, "in", &d), YSG_OK);
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(c));
  }
  cr_expect_eq(ysgt_n_warnings, 1);
  cr_expect_str_eq(ysgt_warning,
                   "test.lua:2: node 't' (trail): frame 0: 1 points repeat "
                   "an id of the same frame; the trail follows the first of each "
                   "id, and this is reported once");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(c);
}

Test(trail, points_without_ids_are_an_error) {
  pl = load_keep(ctx,
                 "canvas{width=96,height=64,frames=10}\n"
                 "t = trail{name='t', points=points_in{name='in'}}\n"
                 "out = line{name='out', curves=t}\n");
  float xy[2] = {1, 1};
  ysg_points_desc d = {.count = 1, .xy = xy};
  cr_assert_eq(ysg_pipeline_set_points(pl, "in", &d), YSG_OK);
  cr_expect_eq(ysg_pipeline_run_frame(pl, 0), YSG_ERR_DATA);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 't' (trail): frame 0: the points "
                   "carry no ids; a trail follows each id over time");
}

Test(trail, capacity_and_history_limits) {
  pl = load_keep(ctx,
                 "canvas{width=96,height=64,frames=10}\n"
                 "t = trail{name='t', points=scatter{count=20}, capacity=15}\n"
                 "out = line{name='out', curves=t}\n");
  cr_expect_eq(ysg_pipeline_run_frame(pl, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 't' (trail): parameter 'capacity': "
                   "frame 0 has more than 15 ids in its last 30 frames; raise "
                   "capacity");
  ysgt_expect_load_fail(
      "canvas{width=96,height=64}\n"
      "t = trail{name='t', points=points_in{capacity=1000000}, length=1000}\n"
      "png{image=line{curves=t}, path='x.png'}\n",
      NULL, YSG_ERR_LIMIT,
      "test.lua:2: node 't' (trail): parameter 'length': 1000 frames of "
      "1000000 points (the input's capacity) is more history than the "
      "134217728 points a trail node keeps");
}

/* ---- the engine's random access ------------------------------------------------------------- */
/* A host-defined node that reads its input at frame 3 through ysg_node_input_at: a seekable
 * source gives frame 3's points; points_in (no seek callback) is refused with a clear error. */
static ysg_status peek_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  float xy[2 * 64];
  int32_t id[64];
  ysg_value v;
  memset(&v, 0, sizeof v);
  v.type = YSG_POINTS;
  v.capacity = 64;
  v.xy = xy;
  v.id = id;
  ysg_status s = ysg_node_input_at(n, 0, 0, 3, &v);
  if (s) return s;
  ysg_value *o = ysg_node_output(n, 0);
  memcpy(o->xy, xy, sizeof(float) * 2 * (size_t)v.count);
  o->count = v.count;
  o->attrs = 0;
  return YSG_OK;
}
static ysg_status peek_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = 64;
  return YSG_OK;
}
static const ysg_port_def peek_in[] = {{"points", YSG_POINTS, 0, "read at frame 3", NULL, 0}};
static const ysg_port_def peek_out[] = {{"points", YSG_POINTS, 0, "frame 3's points", NULL, 0}};
static const ysg_node_type peek_type = {.name = "tpeek",
                                        .category = "test",
                                        .doc = "Its input as it is at frame 3.",
                                        .inputs = peek_in,
                                        .n_inputs = 1,
                                        .outputs = peek_out,
                                        .n_outputs = 1,
                                        .flags = YSG_NODE_HOST,
                                        .infer = peek_infer,
                                        .run = peek_run};

Test(trail, input_at_reads_seekable_sources_and_refuses_others) {
  write_gappy();
  cr_assert_eq(ysg_register_node_type(ctx, &peek_type), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  static const char *const keep[] = {"pk"};
  lo.keep = keep;
  lo.n_keep = 1;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "canvas{width=96,height=96,frames=10}\n"
                                        "tpeek{name='pk', points=points{path='gap.csv'}}\n",
                                        "test.lua", &lo, &pl),
               YSG_OK, "%s", ysg_errmsg(ctx));
  run(pl, 8);
  const ysg_value *v = get(pl, "pk");
  cr_expect(v->count == 0, "frame 3 of gap.csv has no points (id 7 is missing there): %d",
            v->count);
  ysg_pipeline_destroy(pl);
  pl = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "canvas{width=96,height=96,frames=10}\n"
                                        "tpeek{name='pk', points=points_in{}}\n",
                                        "test.lua", &lo, &pl),
               YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(pl, 0), YSG_ERR_INVALID);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'pk' (tpeek): input 0 (link 0) cannot be "
                   "read at other frames");
}
