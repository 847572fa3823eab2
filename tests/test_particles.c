/* test_particles.c — the `particles` node: per-frame determinism (no state between frames),
 * particle centres against an independent double-precision reimplementation of the stated
 * formula (hash, s = frac(phase + t·speed·(1 + jitter·u)), arc-length placement), the rendered
 * alpha centroid and peak at those centres, arc-length speed, the monotone trail fade, the edges
 * form against straight curves, count/seed changing the pattern, truthful tiles, error texts, and
 * the CUDA kernel against the CPU node (skipped with the reason when there is no device). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "particles_math.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/particles_api.h"
#endif

/* ---- `tcv`: curves straight from the test ---------------------------------------------------- */
#define CAP 4
#define S 33
static struct {
  int n;
  float xy[CAP * S * 2];
} feed;

static const ysg_port_def tcv_out[] = {{"curves", YSG_CURVES, 0, "the fed curves", NULL, 0}};
static ysg_status tcv_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  v->capacity = CAP;
  v->samples = S;
  return YSG_OK;
}
static ysg_status tcv_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, feed.xy, sizeof(float) * 2 * S * (size_t)feed.n);
  v->count = feed.n;
  return YSG_OK;
}
static const ysg_node_type tcv_type = {.name = "tcv",
                                       .category = "test",
                                       .doc = "Curves from the test.",
                                       .outputs = tcv_out,
                                       .n_outputs = 1,
                                       .infer = tcv_infer,
                                       .run = tcv_run};

/* three curves in separate bands of a 200 × 200 canvas: a straight line at y = 20.5, a half
 * circle around (100, 90) of radius 40 (y 50..90), a zigzag in y 140..180 */
static void feed_scene(void) {
  memset(&feed, 0, sizeof feed);
  feed.n = 3;
  for (int k = 0; k < S; k++) {
    float u = (float)k / (S - 1);
    float *a = feed.xy + 2 * (0 * S + k), *b = feed.xy + 2 * (1 * S + k),
          *c = feed.xy + 2 * (2 * S + k);
    a[0] = 10.0f + 180.0f * u;
    a[1] = 20.5f;
    b[0] = 100.0f - 40.0f * cosf(3.14159265f * u);
    b[1] = 90.0f - 40.0f * sinf(3.14159265f * u);
    c[0] = 10.0f + 180.0f * u;
    c[1] = k % 4 == 0 ? 180.0f : (k % 4 == 2 ? 140.0f : 160.0f);
  }
}

/* ---- the reference: the formula of the node's doc, in double, written out here --------------- */
static uint32_t ref_mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
static uint32_t ref_hash(uint32_t c, uint32_t p, uint32_t seed, uint32_t k) {
  return ref_mix(ref_mix(ref_mix(seed) ^ c) ^ (2u * p + k));
}
static double ref_len(const float *xy) {
  double L = 0;
  for (int k = 1; k < S; k++)
    L += hypot((double)xy[2 * k] - xy[2 * k - 2], (double)xy[2 * k + 1] - xy[2 * k - 1]);
  return L;
}
/* centre of particle p on curve c at time t */
static void ref_pos(const float *xy, int c, int p, uint32_t seed, double t, double speed,
                    int px_unit, double jitter, double *x, double *y) {
  double phase = (ref_hash((uint32_t)c, (uint32_t)p, seed, 0) >> 8) / 16777216.0;
  double u = (ref_hash((uint32_t)c, (uint32_t)p, seed, 1) >> 8) / 8388608.0 - 1.0;
  double L = ref_len(xy), adv = t * speed * (1 + jitter * u);
  if (px_unit) adv /= L;
  double s = phase + adv;
  s -= floor(s);
  double a = s * L;
  for (int k = 1; k < S; k++) {
    double dx = (double)xy[2 * k] - xy[2 * k - 2], dy = (double)xy[2 * k + 1] - xy[2 * k - 1];
    double l = hypot(dx, dy);
    if (a <= l || k == S - 1) {
      double f = l > 0 ? (a < l ? a : l) / l : 0;
      *x = xy[2 * k - 2] + f * dx;
      *y = xy[2 * k - 1] + f * dy;
      return;
    }
    a -= l;
  }
}
static double dist_to_polyline(const float *xy, double x, double y) {
  double best = 1e30;
  for (int k = 1; k < S; k++) {
    double ax = xy[2 * k - 2], ay = xy[2 * k - 1], dx = xy[2 * k] - ax, dy = xy[2 * k + 1] - ay;
    double l2 = dx * dx + dy * dy, h = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
    h = h < 0 ? 0 : (h > 1 ? 1 : h);
    double d = hypot(x - ax - h * dx, y - ay - h * dy);
    best = d < best ? d : best;
  }
  return best;
}

/* ---- running a particles node -----------------------------------------------------------------
 */
typedef struct scene {
  ysg_context *ctx;
  ysg_pipeline *p;
  const ysg_value *img;
} scene;

static ysg_status scene_load(scene *s, const char *args, int threads) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = threads;
  s->p = NULL;
  s->img = NULL;
  cr_assert_eq(ysg_context_create(&o, &s->ctx), YSG_OK);
  cr_assert_eq(ysg_register_node_type(s->ctx, &tcv_type), YSG_OK, "%s", ysg_errmsg(s->ctx));
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=200,height=200,frames=40,fps=10}\nlocal c = tcv{name='c'}\n"
           "particles{curves=c, name='pp', %s}\n",
           args);
  return ysgt_load(s->ctx, src, &s->p);
}
static void scene_frame(scene *s, int f) {
  cr_assert_eq(ysg_pipeline_run_frame(s->p, f), YSG_OK, "%s", ysg_errmsg(s->ctx));
  cr_assert_eq(ysg_pipeline_get_value(s->p, "pp", &s->img), YSG_OK, "%s", ysg_errmsg(s->ctx));
}
static void scene_open(scene *s, const char *args, int threads) {
  cr_assert_eq(scene_load(s, args, threads), YSG_OK, "%s", ysg_errmsg(s->ctx));
}
static void scene_free(scene *s) {
  ysg_pipeline_destroy(s->p);
  ysg_context_destroy(s->ctx);
}
static float chan(const ysg_value *v, int x, int y, int c) {
  if (x < 0 || y < 0 || x >= v->width || y >= v->height) return 0.0f;
  if (!v->tiles[(y / YSG_TILE) * v->tiles_x + x / YSG_TILE]) return 0.0f;
  return ysg_half_to_float(v->px[((size_t)y * (size_t)v->width + (size_t)x) * 4 + (size_t)c]);
}
/* all four channels of every pixel, tiles read as 0 where flagged empty */
static float *image_copy(const ysg_value *v) {
  float *o = malloc(sizeof(float) * 4 * (size_t)v->width * (size_t)v->height);
  cr_assert(o);
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      for (int c = 0; c < 4; c++) o[((size_t)y * v->width + x) * 4 + c] = chan(v, x, y, c);
  return o;
}

/* ---- tests ------------------------------------------------------------------------------------
 */

Test(particles, frame_is_independent_of_earlier_frames) {
  feed_scene();
  const char *args = "count=5, speed=0.3, jitter=0.5, trail=20, size=2, glow=3";
  scene a, b;
  scene_open(&a, args, 2);
  for (int f = 0; f <= 7; f++) scene_frame(&a, f);
  float *pa = image_copy(a.img);
  scene_open(&b, args, 1);
  scene_frame(&b, 7);
  float *pb = image_copy(b.img);
  cr_expect_eq(memcmp(a.img->tiles, b.img->tiles, (size_t)a.img->tiles_x * a.img->tiles_y), 0);
  cr_expect_eq(memcmp(pa, pb, sizeof(float) * 4 * 200 * 200), 0, "frame 7 differs");
  /* and frame 7 is not frame 6: the particles moved */
  scene_frame(&b, 6);
  float *p6 = image_copy(b.img);
  cr_expect_neq(memcmp(p6, pb, sizeof(float) * 4 * 200 * 200), 0);
  free(pa);
  free(pb);
  free(p6);
  scene_free(&a);
  scene_free(&b);
}

/* The centre of each particle: the shared math's value against the reference within 1e-3 px and
 * on its polyline within 1e-3 px; the rendered alpha centroid (a disc of radius 3: exact area,
 * symmetric) within 0.02 px of it (FP16 storage) and the peak alpha in the pixel holding it. */
Test(particles, particles_sit_on_their_curves) {
  feed_scene();
  const double jitter = 0.4, speed = 0.17;
  scene sc;
  scene_open(&sc, "count=1, speed=0.17, jitter=0.4, trail=0, size=3, seed=5", 1);
  ysg_particles_params q;
  memset(&q, 0, sizeof q);
  q.size = 3;
  q.jitter = (float)jitter;
  q.color[0] = q.color[1] = q.color[2] = q.color[3] = 1;
  q.seed = 5;
  q.count = 1;
  for (int f = 0; f < 40; f += 3) {
    double t = f / 10.0;
    scene_frame(&sc, f);
    q.base = t * speed;
    for (int c = 0; c < 3; c++) {
      const float *xy = feed.xy + 2 * S * c;
      double ex, ey;
      ref_pos(xy, c, 0, 5, t, speed, 0, jitter, &ex, &ey);
      cr_expect_leq(dist_to_polyline(xy, ex, ey), 1e-3);
      float cum[S];
      ysg_particle_lengths(xy, S, cum);
      ysg_particle_prim o;
      ysg_bin_prim b;
      cr_assert_eq(ysg_particle_make(&q, xy, cum, S, c, 0, 200, 200, &o, &b), 1);
      cr_expect(fabs(o.dot.cx - ex) <= 1e-3 && fabs(o.dot.cy - ey) <= 1e-3,
                "f %d curve %d: centre (%.5f, %.5f), reference (%.5f, %.5f)", f, c, o.dot.cx,
                o.dot.cy, ex, ey);
      cr_expect_leq(dist_to_polyline(xy, o.dot.cx, o.dot.cy), 1e-3);
      double sw = 0, sx = 0, sy = 0, peak = 0;
      int ix = (int)floor(ex), iy = (int)floor(ey);
      for (int y = iy - 6; y <= iy + 6; y++)
        for (int x = ix - 6; x <= ix + 6; x++) {
          double a = chan(sc.img, x, y, 3);
          sw += a;
          sx += a * (x + 0.5);
          sy += a * (y + 0.5);
          peak = a > peak ? a : peak;
        }
      cr_assert_gt(sw, 20.0, "f %d curve %d: nothing drawn near (%.2f, %.2f)", f, c, ex, ey);
      /* a disc cut by the canvas edge has no symmetric centroid; the scene keeps them inside */
      cr_expect(fabs(sx / sw - ex) <= 0.02 && fabs(sy / sw - ey) <= 0.02,
                "f %d curve %d: centroid (%.4f, %.4f), centre (%.4f, %.4f)", f, c, sx / sw, sy / sw,
                ex, ey);
      cr_expect_float_eq(chan(sc.img, ix, iy, 3), peak, 1e-6, "f %d curve %d", f, c);
      cr_expect_float_eq(sw, 3.14159265 * 9, 0.05, "f %d curve %d: area %.4f", f, c, sw);
    }
  }
  scene_free(&sc);
}

/* px/s along the arc: on the straight curve (length 180) the head advances speed·(1 + jitter·u)
 * px per second, modulo the length; one particle per run (seeds 9..14) so discs never overlap */
Test(particles, speed_is_arc_length_per_second) {
  feed_scene();
  feed.n = 1;
  for (int seed = 9; seed < 15; seed++) {
    char args[160];
    snprintf(args, sizeof args,
             "count=1, speed=30, speed_unit='px', jitter=0.6, trail=0, size=3, seed=%d", seed);
    scene sc;
    scene_open(&sc, args, 1);
    double cx[2];
    int frames[2] = {0, 5};
    for (int k = 0; k < 2; k++) {
      scene_frame(&sc, frames[k]);
      double sw = 0, sx = 0;
      for (int x = 0; x < 200; x++)
        for (int y = 14; y <= 27; y++) {
          double a = chan(sc.img, x, y, 3);
          sw += a;
          sx += a * (x + 0.5);
        }
      cx[k] = sx / sw;
    }
    double u = (ref_hash(0, 0, (uint32_t)seed, 1) >> 8) / 8388608.0 - 1.0;
    double want = 0.5 * 30 * (1 + 0.6 * u), got = cx[1] - cx[0];
    /* a wrap moves the head back by the length (the centroid of a disc cut by the curve's end
     * would not be its centre: such seeds are not in this range) */
    double err = fmod(fabs(got - want), 180.0);
    err = err < 180.0 - err ? err : 180.0 - err;
    cr_expect_leq(err, 0.02, "seed %d: advanced %.4f px, expected %.4f", seed, got, want);
    scene_free(&sc);
  }
}

Test(particles, trail_fades_monotonically_to_its_tail) {
  feed_scene();
  feed.n = 1;
  int seed = 1;
  double phase = 0;
  for (; seed < 1000; seed++) { /* a head far enough along for the whole trail */
    phase = (ref_hash(0, 0, (uint32_t)seed, 0) >> 8) / 16777216.0;
    if (phase > 0.5 && phase < 0.9) break;
  }
  char args[160];
  snprintf(args, sizeof args, "count=1, speed=0, trail=60, size=3, seed=%d", seed);
  scene sc;
  scene_open(&sc, args, 1);
  scene_frame(&sc, 0);
  double hx = 10 + 180 * phase;
  int y = 20; /* pixel centres at 20.5: on the line */
  float prev = chan(sc.img, (int)floor(hx) - 4, y, 3);
  cr_expect_gt(prev, 0.85f);
  for (int x = (int)floor(hx) - 5; x >= 0; x--) {
    float a = chan(sc.img, x, y, 3);
    cr_expect_leq(a, prev + 1e-3f, "x %d: alpha %.4f after %.4f", x, a, prev);
    if (x + 0.5 < hx - 61) cr_expect_eq(a, 0.0f, "x %d beyond the tail: %.4f", x, a);
    prev = a;
  }
  float near_tail = chan(sc.img, (int)floor(hx - 57), y, 3);
  cr_expect_lt(near_tail, 0.1f, "alpha near the tail %.4f", near_tail);
  float mid = chan(sc.img, (int)floor(hx - 30), y, 3); /* u = 0.5: alpha 0.5, radius 1.5 */
  cr_expect_float_eq(mid, 0.5f, 0.02f, "mid-trail alpha %.4f", mid);
  scene_free(&sc);
}

Test(particles, count_and_seed_change_the_pattern) {
  feed_scene();
  const char *variants[] = {"count=3, seed=1", "count=4, seed=1", "count=3, seed=2",
                            "count=3, seed=1, jitter=0.9"};
  float *img[4];
  for (int k = 0; k < 4; k++) {
    scene sc;
    scene_open(&sc, variants[k], 1);
    scene_frame(&sc, 12);
    img[k] = image_copy(sc.img);
    scene_free(&sc);
  }
  for (int k = 1; k < 4; k++)
    cr_expect_neq(memcmp(img[0], img[k], sizeof(float) * 4 * 200 * 200), 0, "%s", variants[k]);
  for (int k = 0; k < 4; k++) free(img[k]);
  scene sc;
  scene_open(&sc, "count=0", 1);
  scene_frame(&sc, 3);
  for (int t = 0; t < sc.img->tiles_x * sc.img->tiles_y; t++)
    cr_expect_eq(sc.img->tiles[t], 0, "tile %d", t);
  scene_free(&sc);
}

/* every flagged tile holds alpha; every unflagged tile's area gets none from any particle */
Test(particles, tiles_are_truthful) {
  feed_scene();
  scene sc;
  scene_open(&sc, "count=6, trail=30, glow=4, size=2", 2);
  scene_frame(&sc, 9);
  int flagged = 0;
  for (int t = 0; t < sc.img->tiles_x * sc.img->tiles_y; t++) {
    if (!sc.img->tiles[t]) continue;
    flagged++;
    int tx = t % sc.img->tiles_x, ty = t / sc.img->tiles_x;
    float most = 0;
    for (int y = ty * YSG_TILE; y < ty * YSG_TILE + YSG_TILE; y++)
      for (int x = tx * YSG_TILE; x < tx * YSG_TILE + YSG_TILE; x++) {
        float a = chan(sc.img, x, y, 3);
        most = a > most ? a : most;
      }
    cr_expect_gt(most, 0.0f, "tile %d flagged but empty", t);
  }
  cr_expect_gt(flagged, 3);
  cr_expect_lt(flagged, sc.img->tiles_x * sc.img->tiles_y / 2);
  scene_free(&sc);
}

/* points + edges draws exactly what straight 2-sample curves over the same edges draw */
Test(particles, edges_form_matches_straight_curves) {
  const char *base =
      "canvas{width=160,height=120,frames=4,fps=10}\n"
      "local s = scatter{count=12, seed=4, name='s'}\n"
      "local g = graph{points=s, mode='knn', k=2, name='g'}\n";
  const char *tails[2] = {
      "particles{points=g.points, edges=g.edges, name='pp', count=3, trail=16, glow=2}\n",
      "local c = curve{points=g.points, edges=g.edges, type='straight', samples=2}\n"
      "particles{curves=c, name='pp', count=3, trail=16, glow=2}\n"};
  float *img[2];
  for (int k = 0; k < 2; k++) {
    char src[1024];
    snprintf(src, sizeof src, "%s%s", base, tails[k]);
    ysg_context *ctx = ysgt_ctx();
    ysg_pipeline *p = NULL;
    cr_assert_eq(ysgt_load(ctx, src, &p), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(p, 2), YSG_OK, "%s", ysg_errmsg(ctx));
    const ysg_value *v;
    cr_assert_eq(ysg_pipeline_get_value(p, "pp", &v), YSG_OK, "%s", ysg_errmsg(ctx));
    img[k] = image_copy(v);
    ysg_pipeline_destroy(p);
    ysg_context_destroy(ctx);
  }
  double sum = 0;
  for (int i = 0; i < 160 * 120; i++) sum += img[0][4 * i + 3];
  cr_expect_gt(sum, 50.0);
  cr_expect_eq(memcmp(img[0], img[1], sizeof(float) * 4 * 160 * 120), 0);
  free(img[0]);
  free(img[1]);
}

Test(particles, inputs_other_than_curves_or_points_with_edges_are_rejected) {
  static const char *const cases[][2] = {
      {"count=2", "nothing"},
      {"points=g.points", "'points' without 'edges'"},
      {"edges=g.edges", "'edges' without 'points'"},
      {"curves=c, points=g.points", "'curves' and 'points'"},
      {"curves=c, edges=g.edges", "'curves' and 'edges'"},
      {"curves=c, points=g.points, edges=g.edges", "'curves', 'points' and 'edges'"},
  };
  for (int k = 0; k < 6; k++) {
    char src[512], msg[512];
    snprintf(src, sizeof src,
             "canvas{width=64,height=32}\nlocal g = graph{points=scatter{count=5}, k=2}\n"
             "local c = curve{points=g.points, edges=g.edges}\nparticles{name='pp', %s}\n",
             cases[k][0]);
    snprintf(msg, sizeof msg,
             "test.lua:4: node 'pp' (particles): inputs: expected either 'curves' or both "
             "'points' and 'edges', got %s",
             cases[k][1]);
    ysgt_expect_load_fail(src, NULL, YSG_ERR_PIPELINE, msg);
  }
}

Test(particles, bin_capacity_error_names_the_parameter) {
  feed_scene();
  scene sc;
  scene_open(&sc, "count=5, bin_capacity=3", 1);
  cr_expect_eq(ysg_pipeline_run_frame(sc.p, 0), YSG_ERR_LIMIT);
  const char *m = ysg_errmsg(sc.ctx);
  const char *head = "test.lua:3: node 'pp' (particles): parameter 'bin_capacity': frame 0 needs ";
  cr_expect_eq(strncmp(m, head, strlen(head)), 0, "%s", m);
  cr_expect(strstr(m, " tile references, more than the 3 planned; raise bin_capacity") != NULL,
            "%s", m);
  scene_free(&sc);
}

/* ---- CUDA --------------------------------------------------------------------------------------
 */
static char reason[512];

Test(particles, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("particles CUDA comparison skipped: %s", reason);
    cr_skip_test("particles CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  char err[1024] = "";
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)
  feed_scene();
  scene sc;
  scene_open(&sc, "count=7, speed=0.3, jitter=0.5, trail=25, size=2.5, glow=4, color='#ffb040'", 1);
  scene_frame(&sc, 11);
  ysg_particles_params q;
  memset(&q, 0, sizeof q);
  q.base = 1.1 * 0.3;
  q.size = 2.5f;
  q.jitter = 0.5f;
  q.trail = 25;
  q.glow = 4;
  float straight[4];
  cr_assert(ysg__parse_color("#ffb040", straight));
  ysg_premultiply(straight, q.color);
  q.seed = 1;
  q.count = 7;
  q.n_curves = feed.n;
  const int W = 200, H = 200;
  size_t n_tiles = (size_t)sc.img->tiles_x * sc.img->tiles_y, px_bytes = (size_t)W * H * 8;
  int cap_items = (int)ysg_particles_bin_capacity((int)n_tiles, CAP * 7);
  void *d_xy, *d_q, *d_px, *d_tiles, *d_work;
  size_t work = ysg__cuda_particles_work_bytes(CAP, S, 0, CAP * 7, W, H, cap_items);
  CK(ysg__cuda_malloc(&d_xy, sizeof feed.xy, err, sizeof err));
  CK(ysg__cuda_malloc(&d_q, sizeof q, err, sizeof err));
  CK(ysg__cuda_malloc(&d_px, px_bytes, err, sizeof err));
  CK(ysg__cuda_malloc(&d_tiles, n_tiles, err, sizeof err));
  CK(ysg__cuda_malloc(&d_work, work, err, sizeof err));
  CK(ysg__cuda_upload(d_xy, feed.xy, sizeof feed.xy, NULL, err, sizeof err));
  CK(ysg__cuda_upload(d_q, &q, sizeof q, NULL, err, sizeof err));
  ysg_cuda_particles_work w;
  ysg__cuda_particles_work_bind(&w, d_work, CAP, S, 0, CAP * 7, W, H, cap_items);
  CK(ysg__cuda_particles(d_xy, NULL, NULL, NULL, CAP, S, d_q, d_px, d_tiles, W, H, &w, NULL, err,
                         sizeof err));
  uint16_t *px = malloc(px_bytes);
  uint8_t *tiles = malloc(n_tiles);
  cr_assert(px && tiles);
  CK(ysg__cuda_download(px, d_px, px_bytes, NULL, err, sizeof err));
  CK(ysg__cuda_download(tiles, d_tiles, n_tiles, NULL, err, sizeof err));
  CK(ysg__cuda_sync(NULL, err, sizeof err));
  int bad = 0;
  double worst = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int t = (y / YSG_TILE) * sc.img->tiles_x + x / YSG_TILE;
      for (int c = 0; c < 4; c++) {
        double g = tiles[t] ? ysg_half_to_float(px[((size_t)y * W + x) * 4 + c]) : 0.0;
        double e = fabs(g - chan(sc.img, x, y, c));
        /* same math; nvcc's FMA contraction moves roundings: 2e-3 */
        if (!(e <= 2e-3) && bad++ < 5)
          cr_log_error("pixel (%d,%d) channel %d: cpu %.5f gpu %.5f", x, y, c,
                       chan(sc.img, x, y, c), g);
        if (e > worst) worst = e;
      }
    }
  cr_log_info("particles CUDA: max error %.3g", worst);
  cr_expect_eq(bad, 0, "%d values differ (max %.3g)", bad, worst);
  free(px);
  free(tiles);
  void *all[] = {d_xy, d_q, d_px, d_tiles, d_work};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ysg__cuda_free(all[i]);
  scene_free(&sc);
#undef CK
#endif
}
