/* scatter.c — the `scatter` source: a seeded, procedurally animated point cloud for demos and
 * benchmarks. Every value is a hash of (seed, point index), never a global RNG, so a frame is the
 * same on any thread count; positions are smooth functions of time (base + two sinusoids per axis,
 * folded back into the margin box), so a small time step moves every point a little. */
#include <math.h>
#include <stdint.h>

#include "internal.h"

enum { P_COUNT, P_SEED, P_SPEED, P_RADIUS, P_MARGIN };

#define TWO_PI 6.283185307179586
#define F_MIN 0.05 /* Hz: slowest and fastest wobble of a point */
#define F_MAX 0.25

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* k-th uniform number in [0, 1) of the stream of point key */
static double unit(uint64_t key, unsigned k) {
  return (double)(splitmix64(key + k * 0x632be59bd9b4e019ull) >> 11) * 0x1.0p-53;
}

/* fold x into [lo, hi] like a ball bouncing between walls: continuous in x */
static double reflect(double x, double lo, double hi) {
  double len = hi - lo;
  if (len <= 0) return lo;
  double period = 2 * len;
  double m = (x - lo) - period * floor((x - lo) / period); /* fmod is several times slower */
  double r = lo + (m <= len ? m : 2 * len - m);
  return r < lo ? lo : (r > hi ? hi : r); /* floor's rounding can step just outside */
}

typedef struct job {
  uint64_t seed;
  double t, speed, lo[2], hi[2];
  float radius;
  float *xy, *rad;
  int32_t *id;
} job;

/* Each axis moves by two sinusoids of amplitude speed / (2 ω): the per-axis speed never exceeds
 * `speed`, and reflection keeps the magnitude of the velocity. */
static void place(void *ud, int begin, int end) {
  const job *j = ud;
  for (int i = begin; i < end; i++) {
    uint64_t key = splitmix64(j->seed ^ splitmix64((uint64_t)i));
    for (int a = 0; a < 2; a++) {
      unsigned k = (unsigned)a * 5;
      double x = j->lo[a] + unit(key, k) * (j->hi[a] - j->lo[a]);
      for (unsigned s = 0; s < 2; s++) {
        double w = TWO_PI * (F_MIN + (F_MAX - F_MIN) * unit(key, k + 1 + 2 * s));
        double phase = TWO_PI * unit(key, k + 2 + 2 * s);
        x += j->speed / (2 * w) * sin(w * j->t + phase);
      }
      j->xy[2 * i + a] = (float)reflect(x, j->lo[a], j->hi[a]);
    }
    if (j->id) j->id[i] = i;
    if (j->rad) j->rad[i] = j->radius;
  }
}

static ysg_status scatter_infer(ysg_node *n) {
  ysg_value *v = ysg_node_output(n, 0);
  int count = ysg_node_int(n, P_COUNT);
  v->capacity = count > 0 ? count : 1;
  v->attrs = YSG_ATTR_ID | YSG_ATTR_RADIUS;
  return YSG_OK;
}

/* The cloud at frame f into v (run: the output; seek: a caller's value, whose NULL arrays are
 * skipped). */
static ysg_status scatter_fill(ysg_node *n, const ysg_frame *f, ysg_value *v) {
  int count = ysg_node_int(n, P_COUNT);
  double margin = ysg_node_number(n, P_MARGIN);
  double size[2] = {f->width, f->height};
  job j;
  j.seed = (uint64_t)(int64_t)ysg_node_number(n, P_SEED);
  j.t = f->time;
  j.speed = ysg_node_number(n, P_SPEED);
  j.radius = (float)ysg_node_number(n, P_RADIUS);
  for (int a = 0; a < 2; a++) {
    double m = margin * 2 <= size[a] ? margin : size[a] / 2; /* a margin wider than the canvas */
    j.lo[a] = m;
    j.hi[a] = size[a] - m;
  }
  j.xy = v->xy;
  j.rad = v->radius;
  j.id = v->id;
  ysg_node_parallel_for(n, count, 4096, place, &j);
  v->count = count;
  v->attrs = (v->id ? YSG_ATTR_ID : 0u) | (v->radius ? YSG_ATTR_RADIUS : 0u);
  return YSG_OK;
}

static ysg_status scatter_run(ysg_node *n, const ysg_frame *f) {
  return scatter_fill(n, f, ysg_node_output(n, 0));
}

static ysg_status scatter_seek(ysg_node *n, int port, const ysg_frame *f, ysg_value *out) {
  (void)port;
  return scatter_fill(n, f, out);
}

static const ysg_param_def params[] = {
    {"count", YSG_PARAM_INT, "200", 0, 1000000, NULL, YSG_PARAM_STATIC, "number of points"},
    {"seed", YSG_PARAM_INT, "1", 0, 0, NULL, YSG_PARAM_STATIC,
     "hash seed: the same seed gives the same cloud"},
    {"speed", YSG_PARAM_NUMBER, "40", 0, 100000, NULL, 0,
     "px/s: the most a point moves per second along each axis"},
    {"radius", YSG_PARAM_NUMBER, "4", 0, 10000, NULL, 0, "px: written into the radius attribute"},
    {"margin", YSG_PARAM_NUMBER, "32", 0, 100000, NULL, 0,
     "px: points stay this far inside the canvas edges"},
};
static const ysg_port_def outputs[] = {
    {"points", YSG_POINTS, 0, "count points with ids 0..count-1 and a radius", NULL, 0},
};

const ysg_node_type ysg__node_scatter = {
    .name = "scatter",
    .category = "source",
    .doc =
        "A seeded procedural point cloud that drifts smoothly: each point has a hashed base "
        "position inside the canvas minus the margin and wobbles along two sinusoids per axis "
        "(hashed frequencies 0.05-0.25 Hz and phases, amplitude scaled by speed), bouncing off "
        "the margin box. Deterministic: the same seed and frame give the same points.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = 5,
    .flags = YSG_NODE_HOST,
    .infer = scatter_infer,
    .run = scatter_run,
    .seek = scatter_seek,
};
