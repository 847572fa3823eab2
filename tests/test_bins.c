/* test_bins.c — tile binning (engine/bins.h, cuda/bins.cu): the CPU builder against a brute-force
 * reference on random rectangles and capsules (NaN, infinities, off-canvas, huge coordinates,
 * zero-length capsules): every tile lists exactly the primitives whose shape grown by r meets
 * the tile (a superset of those, at worst by float rounding), in ascending order; the capacity
 * rule (nothing listed, the total reported); the parallel builder list for list; and the CUDA
 * binner against the CPU one, list for list (skipped with the reason when there is no device). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bins.h"
#include "internal.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/bins_api.h"
#include "../cuda/cuda_api.h"
#endif

/* ---- brute-force reference (double precision, independent of sdf.h) ------------------------- */
static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static double point_rect_dist(double px, double py, double x0, double y0, double x1, double y1) {
  double dx = px - clampd(px, x0, x1), dy = py - clampd(py, y0, y1);
  return sqrt(dx * dx + dy * dy);
}

static double point_seg_dist(double px, double py, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? clampd(((px - ax) * dx + (py - ay) * dy) / l2, 0, 1) : 0;
  double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
  return sqrt(ex * ex + ey * ey);
}

/* does segment ab meet the closed rectangle? (Liang–Barsky) */
static int seg_meets_rect(double ax, double ay, double bx, double by, double x0, double y0,
                          double x1, double y1) {
  double t0 = 0, t1 = 1, d[2] = {bx - ax, by - ay}, a[2] = {ax, ay}, lo[2] = {x0, y0},
         hi[2] = {x1, y1};
  for (int k = 0; k < 2; k++) {
    if (d[k] == 0) {
      if (a[k] < lo[k] || a[k] > hi[k]) return 0;
      continue;
    }
    double ta = (lo[k] - a[k]) / d[k], tb = (hi[k] - a[k]) / d[k];
    if (ta > tb) {
      double s = ta;
      ta = tb;
      tb = s;
    }
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
    if (t0 > t1) return 0;
  }
  return 1;
}

/* Distance from the primitive's core (rect or segment) to the closed tile. NAN when a value is
 * NaN (never listed). For rects, infinities and huge values are geometry (a box reaching that
 * far). -1 (either answer accepted) for a capsule with a value beyond ±1e7 or infinite: in float
 * its direction is lost (the render nodes cull such coordinates before binning), and for a
 * negative r. */
static double prim_tile_dist(const ysg_bin_prim *p, int tx, int ty) {
  double x0 = tx * YSG_TILE, y0 = ty * YSG_TILE, x1 = x0 + YSG_TILE, y1 = y0 + YSG_TILE;
  double v[5] = {p->ax, p->ay, p->bx, p->by, p->r};
  for (int k = 0; k < 5; k++) {
    if (isnan(v[k])) return NAN;
    if (!(fabs(v[k]) <= 1e7) && p->kind == YSG_BIN_CAPSULE) return -1;
  }
  if (p->r < 0) return -1; /* a shrunk shape: meaningless input, only safety matters */
  if (p->kind == YSG_BIN_RECT) {
    double rx0 = fmin(p->ax, p->bx), rx1 = fmax(p->ax, p->bx);
    double ry0 = fmin(p->ay, p->by), ry1 = fmax(p->ay, p->by);
    /* a grown rect is a box grown by r on every side: Chebyshev distance */
    double dx = fmax(0, fmax(rx0 - x1, x0 - rx1)), dy = fmax(0, fmax(ry0 - y1, y0 - ry1));
    return fmax(dx, dy);
  }
  if (p->kind != YSG_BIN_CAPSULE) return NAN;
  if (seg_meets_rect(p->ax, p->ay, p->bx, p->by, x0, y0, x1, y1)) return 0;
  double d = fmin(point_rect_dist(p->ax, p->ay, x0, y0, x1, y1),
                  point_rect_dist(p->bx, p->by, x0, y0, x1, y1));
  double cx[4] = {x0, x1, x0, x1}, cy[4] = {y0, y0, y1, y1};
  for (int k = 0; k < 4; k++) d = fmin(d, point_seg_dist(cx[k], cy[k], p->ax, p->ay, p->bx, p->by));
  return d;
}

/* does the core (r = 0) meet the tile's half-open box? (shrunk by 1e-3 px on the far sides) */
static int core_meets_interior(const ysg_bin_prim *p, int tx, int ty) {
  double x0 = tx * YSG_TILE, y0 = ty * YSG_TILE, x1 = x0 + YSG_TILE - 1e-3,
         y1 = y0 + YSG_TILE - 1e-3;
  if (p->kind == YSG_BIN_RECT)
    return fmax(p->ax, p->bx) >= x0 && fmin(p->ax, p->bx) <= x1 && fmax(p->ay, p->by) >= y0 &&
           fmin(p->ay, p->by) <= y1;
  return seg_meets_rect(p->ax, p->ay, p->bx, p->by, x0, y0, x1, y1);
}

/* ---- random primitives -------------------------------------------------------------------- */
static uint64_t rng = 88172645463325252ull;
static double urand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}
static float coord(double lo, double hi) { return (float)(lo + (hi - lo) * urand()); }

#define TX 13
#define TY 9
#define W (TX * YSG_TILE)
#define H (TY * YSG_TILE)

static void random_prims(ysg_bin_prim *p, int n) {
  const float odd[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 3e9f, -3e9f, 1e20f};
  for (int i = 0; i < n; i++) {
    ysg_bin_prim *q = &p[i];
    q->kind = urand() < 0.5 ? YSG_BIN_RECT : YSG_BIN_CAPSULE;
    q->ax = coord(-60, W + 60);
    q->ay = coord(-60, H + 60);
    double len = urand() < 0.5 ? 30 : 400;
    q->bx = q->ax + coord(-len, len);
    q->by = q->ay + coord(-len, len);
    q->r = urand() < 0.2 ? 0.0f : coord(0, 25);
    double u = urand();
    if (u < 0.08) { /* zero length */
      q->bx = q->ax;
      q->by = q->ay;
    } else if (u < 0.12) { /* exactly on tile edges */
      q->ax = (float)(YSG_TILE * (int)(urand() * TX));
      q->bx = q->ax;
      q->ay = (float)(YSG_TILE * (int)(urand() * TY));
    } else if (u < 0.30) { /* an odd value somewhere */
      float *f[5] = {&q->ax, &q->ay, &q->bx, &q->by, &q->r};
      *f[(int)(urand() * 5)] = odd[(int)(urand() * 8)];
    } else if (u < 0.35) { /* far off the canvas */
      q->ax += 5000;
      q->bx += 5000;
    } else if (u < 0.38) {
      q->kind = -1; /* culled: never listed */
    }
  }
}

/* ---- checks -------------------------------------------------------------------------------- */
/* Every tile: ascending, in range; every primitive whose grown shape meets the tile is listed;
 * a listed one lies within its reach (r for rects, r·√2 for capsules, plus float rounding);
 * NaN primitives are never listed. */
static void check_bins(const ysg_bins *b, const ysg_bin_prim *p, int n, int64_t total) {
  cr_assert_eq(b->start[0], 0);
  cr_assert_eq(b->start[b->n_tiles], (int32_t)total);
  cr_assert_eq(b->n_items, (int32_t)total);
  int missing = 0, extra = 0;
  for (int t = 0; t < b->n_tiles; t++) {
    int tx = t % b->tiles_x, ty = t / b->tiles_x;
    int s = b->start[t], e = b->start[t + 1];
    cr_assert(s <= e);
    for (int k = s; k < e; k++) {
      cr_assert(b->items[k] >= 0 && b->items[k] < n);
      if (k > s) cr_assert(b->items[k] > b->items[k - 1], "tile %d not ascending at %d", t, k);
    }
    int k = s;
    for (int i = 0; i < n; i++) {
      int listed = k < e && b->items[k] == i;
      if (listed) k++;
      double d = p[i].kind < 0 ? NAN : prim_tile_dist(&p[i], tx, ty);
      if (d < 0) continue; /* undefined: either is fine */
      /* capsules are binned by the box of the segment's part in the tile row's slab grown by
       * r, so a listed tile may lie up to r·√2 away; rects are exact */
      double reach = p[i].kind == YSG_BIN_CAPSULE ? p[i].r * 1.41422 : p[i].r;
      double slack = 1e-4 * (16 + fabs(p[i].r));
      /* tiles own [x0, x0+16): a zero-width shape on the boundary belongs to the next one */
      int meets = d < p[i].r || (d == 0 && core_meets_interior(&p[i], tx, ty));
      if (meets && !listed && missing++ < 8)
        cr_log_error("tile (%d,%d) misses prim %d (kind %d, %g,%g-%g,%g r %g): distance %g", tx, ty,
                     i, p[i].kind, p[i].ax, p[i].ay, p[i].bx, p[i].by, p[i].r, d);
      if (listed && !(d <= reach + slack) && extra++ < 8)
        cr_log_error("tile (%d,%d) lists prim %d (kind %d, %g,%g-%g,%g r %g): distance %g", tx, ty,
                     i, p[i].kind, p[i].ax, p[i].ay, p[i].bx, p[i].by, p[i].r, d);
    }
  }
  cr_expect_eq(missing, 0, "%d (tile, primitive) pairs that meet are not listed", missing);
  cr_expect_eq(extra, 0, "%d listed pairs do not meet", extra);
}

#define N 600
static ysg_bin_prim prims[N];
#define N_PAR 5000 /* above the parallel builder's threshold */
static ysg_bin_prim prims_par[N_PAR];

static void *bins_new(ysg_bins *b, int cap_items) {
  void *mem = malloc(ysg__bins_bytes(TX, TY, cap_items));
  cr_assert_not_null(mem);
  ysg__bins_bind(b, mem, TX, TY, cap_items);
  return mem;
}

Test(bins, cpu_lists_match_brute_force) {
  for (int round = 0; round < 20; round++) {
    random_prims(prims, N);
    ysg_bins b;
    void *mem = bins_new(&b, 200000);
    int64_t total = ysg__bins_build(&b, prims, N);
    cr_assert(total > 0 && total <= 200000);
    check_bins(&b, prims, N, total);
    /* deterministic: the same lists again */
    ysg_bins b2;
    void *mem2 = bins_new(&b2, 200000);
    cr_assert_eq(ysg__bins_build(&b2, prims, N), total);
    cr_assert_eq(memcmp(b.start, b2.start, sizeof(int32_t) * (TX * TY + 1)), 0);
    cr_assert_eq(memcmp(b.items, b2.items, sizeof(int32_t) * (size_t)total), 0);
    free(mem);
    free(mem2);
  }
}

/* Primitives spanning the canvas from huge coordinates are listed everywhere they reach. */
Test(bins, huge_coordinates_cover_the_canvas) {
  ysg_bin_prim p[4] = {
      {-1e30f, 20, 1e30f, 20, 1, YSG_BIN_CAPSULE}, /* a line through row 1 */
      {-3e9f, -3e9f, 3e9f, 3e9f, 0, YSG_BIN_RECT}, /* the whole plane */
      {40, -1e20f, 40, 1e20f, 2, YSG_BIN_CAPSULE}, /* a column */
      {NAN, 0, 10, 10, 1, YSG_BIN_RECT},           /* never */
  };
  ysg_bins b;
  void *mem = bins_new(&b, 10000);
  int64_t total = ysg__bins_build(&b, p, 4);
  check_bins(&b, p, 4, total);
  cr_expect_eq(total, TX + TX * TY + TY, "total %lld", (long long)total);
  free(mem);
}

Test(bins, capacity_overflow_lists_nothing) {
  random_prims(prims, N);
  ysg_bins b;
  void *mem = bins_new(&b, 200000);
  int64_t total = ysg__bins_build(&b, prims, N);
  free(mem);
  mem = bins_new(&b, (int)total - 1);
  cr_assert_eq(ysg__bins_build(&b, prims, N), total, "the total is reported when it overflows");
  cr_expect_eq(b.n_items, 0);
  for (int t = 0; t <= b.n_tiles; t++) cr_expect_eq(b.start[t], 0, "tile %d", t);
  free(mem);
  mem = bins_new(&b, (int)total); /* exactly enough */
  cr_assert_eq(ysg__bins_build(&b, prims, N), total);
  check_bins(&b, prims, N, total);
  free(mem);
}

Test(bins, empty_and_culled_input) {
  ysg_bins b;
  void *mem = bins_new(&b, 16);
  cr_assert_eq(ysg__bins_build(&b, prims, 0), 0);
  for (int t = 0; t <= b.n_tiles; t++) cr_expect_eq(b.start[t], 0);
  ysg_bin_prim off[2] = {{-100, -100, -50, -50, 10, YSG_BIN_RECT},
                         {W + 40, 0, W + 90, H, 30, YSG_BIN_CAPSULE}};
  cr_assert_eq(ysg__bins_build(&b, off, 2), 0);
  free(mem);
}

/* The parallel builder (bands of tile rows on a node's 2 threads) lists exactly what the serial
 * one does, and reports overflow the same way. */
Test(bins, parallel_build_equals_serial) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  ysg_pipeline *p = NULL;
  ysg_node *n = NULL;
  cr_assert_eq(ysg__pipeline_new(ctx, "bins.lua", NULL, &p), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "fill", "f", "bins.lua", 1, &n), YSG_OK);
  for (int round = 0; round < 10; round++) {
    random_prims(prims_par, N_PAR);
    ysg_bins a, b;
    void *ma = bins_new(&a, 2000000), *mb = bins_new(&b, 2000000);
    int64_t total = ysg__bins_build(&a, prims_par, N_PAR);
    cr_assert_eq(ysg__bins_build_par(n, &b, prims_par, N_PAR), total);
    cr_assert_eq(b.n_items, a.n_items);
    cr_assert_eq(memcmp(a.start, b.start, sizeof(int32_t) * (TX * TY + 1)), 0, "round %d", round);
    cr_assert_eq(memcmp(a.items, b.items, sizeof(int32_t) * (size_t)total), 0, "round %d", round);
    free(mb);
    mb = bins_new(&b, (int)total - 1);
    cr_assert_eq(ysg__bins_build_par(n, &b, prims_par, N_PAR), total);
    cr_expect_eq(b.n_items, 0);
    for (int t = 0; t <= b.n_tiles; t++) cr_expect_eq(b.start[t], 0, "tile %d", t);
    free(ma);
    free(mb);
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- CUDA ------------------------------------------------------------------------------------ */
static char reason[512];

Test(bins, cuda_matches_cpu) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("bins CUDA comparison skipped: %s", reason);
    cr_skip_test("bins CUDA comparison skipped: %s", reason);
  }
#ifdef YSG_HAVE_CUDA
  char err[1024] = "";
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)
  const int cap_items = 200000, nt = TX * TY;
  size_t temp = ysg__cuda_bins_temp_bytes(N, TX, TY);
  void *d_prims, *d_n, *d_start, *d_items, *d_total, *d_temp;
  CK(ysg__cuda_malloc(&d_prims, sizeof prims, err, sizeof err));
  CK(ysg__cuda_malloc(&d_n, sizeof(int32_t), err, sizeof err));
  CK(ysg__cuda_malloc(&d_start, sizeof(int32_t) * (nt + 1), err, sizeof err));
  CK(ysg__cuda_malloc(&d_items, sizeof(int32_t) * cap_items, err, sizeof err));
  CK(ysg__cuda_malloc(&d_total, sizeof(int32_t), err, sizeof err));
  CK(ysg__cuda_malloc(&d_temp, temp, err, sizeof err));
  int32_t *start = malloc(sizeof(int32_t) * (nt + 1)), *items = malloc(sizeof(int32_t) * cap_items);
  cr_assert(start && items);
  for (int round = 0; round < 12; round++) {
    random_prims(prims, N);
    /* a few rounds with one primitive covering everything: long lists (the in-place sort) */
    if (round % 4 == 3)
      for (int i = 0; i < N; i += 2) prims[i] = (ysg_bin_prim){0, 0, W, H, 1, YSG_BIN_RECT};
    int32_t n = round == 5 ? N + 50 : N - round; /* counts past the capacity are clamped */
    int cap = round == 7 ? 100 : cap_items;      /* round 7 overflows */
    ysg_bins b;
    void *mem = bins_new(&b, cap);
    int64_t want = ysg__bins_build(&b, prims, n > N ? N : n);
    CK(ysg__cuda_upload(d_prims, prims, sizeof prims, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_n, &n, sizeof n, NULL, err, sizeof err));
    CK(ysg__cuda_bins_build(d_prims, d_n, N, TX, TY, d_start, d_items, cap, d_total, d_temp, temp,
                            NULL, err, sizeof err));
    int32_t total = -1;
    CK(ysg__cuda_download(&total, d_total, sizeof total, NULL, err, sizeof err));
    CK(ysg__cuda_download(start, d_start, sizeof(int32_t) * (nt + 1), NULL, err, sizeof err));
    CK(ysg__cuda_download(items, d_items, sizeof(int32_t) * cap_items, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    cr_expect_eq(total, (int32_t)want, "round %d: total %d, cpu %lld", round, total,
                 (long long)want);
    cr_expect_eq(memcmp(start, b.start, sizeof(int32_t) * (nt + 1)), 0, "round %d: starts", round);
    if (want <= cap)
      cr_expect_eq(memcmp(items, b.items, sizeof(int32_t) * (size_t)want), 0, "round %d: items",
                   round);
    free(mem);
  }
  free(start);
  free(items);
  void *all[] = {d_prims, d_n, d_start, d_items, d_total, d_temp};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ysg__cuda_free(all[i]);
#undef CK
#endif
}
