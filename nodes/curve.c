/* curve.c — the `curve` node: turns each edge between two points into a polyline of S samples
 * (straight, Bézier, Catmull-Rom, logarithmic spiral, elastic, Fourier, field line, catenary,
 * wave, electric noise). The per-sample math is engine/curve_math.h, shared with cuda/curve.cu;
 * this file reads the parameters, keeps the valid edges in order and runs the curves on the CPU
 * threads. Every curve starts and ends exactly on its edge's points. */
#include <stdint.h>
#include <string.h>

#include "curve_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/curve_api.h"
#endif

enum { IN_POINTS, IN_EDGES };
enum {
  P_TYPE,
  P_SAMPLES,
  P_OVERSHOOT,
  P_CONTROL_OFFSET,
  P_TENSION,
  P_TURNS,
  P_STIFFNESS,
  P_HARMONICS,
  P_AMPLITUDE,
  P_FREQUENCY,
  P_STRENGTH,
  P_GRAVITY,
  P_SEED,
  P_SPEED,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_TYPE] = {"type", YSG_PARAM_ENUM, "cubic_bezier", 0, 0, YSG_CURVE_CHOICES, 0,
                "curve family drawn along each edge"},
    [P_SAMPLES] = {"samples", YSG_PARAM_INT, "32", 2, 1024, NULL, YSG_PARAM_STATIC,
                   "points per curve, both ends included"},
    [P_OVERSHOOT] = {"overshoot", YSG_PARAM_NUMBER, "0.25", -4, 4, NULL, 0,
                     "quadratic/cubic: control points' offset to the left of i->j (on screen), "
                     "as a fraction of the edge length (negative: to the right)"},
    [P_CONTROL_OFFSET] = {"control_offset", YSG_PARAM_NUMBER, "0.33", -1, 2, NULL, 0,
                          "cubic: control points at this fraction of the edge from each end"},
    [P_TENSION] = {"tension", YSG_PARAM_NUMBER, "0.5", -1, 1, NULL, 0,
                   "catmull_rom: cardinal tension; phantom neighbours one edge length beyond "
                   "each end, lifted one length to the right: 0 Catmull-Rom (bulge L/8 left), "
                   "1 straight"},
    [P_TURNS] = {"turns", YSG_PARAM_NUMBER, "0.5", -20, 20, NULL, 0,
                 "logarithmic_spiral: turns around point i before ending exactly on j "
                 "(positive clockwise on screen); golden-spiral growth"},
    [P_STIFFNESS] = {"stiffness", YSG_PARAM_NUMBER, "0.5", 0, 1, NULL, 0,
                     "elastic: stiffer springs wiggle faster (1 to 4 waves), damp sooner and "
                     "swing less (L/4 to L/8)"},
    [P_HARMONICS] = {"harmonics", YSG_PARAM_NUMBER, "3", 0, YSG_CURVE_MAX_HARMONICS, NULL, 0,
                     "fourier_series: odd harmonics of a one-period square wave across the edge; "
                     "fractions fade the last one in"},
    [P_AMPLITUDE] = {"amplitude", YSG_PARAM_NUMBER, "12", -10000, 10000, NULL, 0,
                     "fourier_series/wave/electric: px of sideways displacement (square-wave "
                     "level, sine peak, noise peak)"},
    [P_FREQUENCY] = {"frequency", YSG_PARAM_NUMBER, "1", 0, 100, NULL, 0,
                     "wave: cycles per 100 px along the edge, faded in and out over half a "
                     "cycle"},
    [P_STRENGTH] = {"strength", YSG_PARAM_NUMBER, "0.5", -1.5, 1.5, NULL, 0,
                    "field_lines: launch angle at i in quarter turns: the dipole (+i, -j) field "
                    "line leaving at strength·90° (0 straight, negative to the right)"},
    [P_GRAVITY] = {"gravity", YSG_PARAM_NUMBER, "0.3", -2, 2, NULL, 0,
                   "gravitational: hanging-chain catenary with a = horizontal span / "
                   "(8·gravity): level ends sag by ~gravity·span (negative: arches up)"},
    [P_SEED] = {"seed", YSG_PARAM_INT, "1", -2147483648.0, 2147483647.0, NULL, 0,
                "electric: noise seed (with the endpoints' ids, or indices without ids)"},
    [P_SPEED] =
        {"speed", YSG_PARAM_NUMBER, "1", -1000, 1000, NULL, 0,
         "electric: how fast the noise changes, in cells of its time axis per second (0: frozen)"},
};

static const ysg_port_def inputs[] = {
    [IN_POINTS] = {"points", YSG_POINTS, 0, "the points the edges index", NULL, 0},
    [IN_EDGES] = {"edges", YSG_EDGES, 0, "pairs (i, j) of point indices", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"curves", YSG_CURVES, 0,
     "one polyline per valid edge, in edge order; ij holds the edge's points", NULL, 0},
};

typedef struct curve_state {
  int warned;   /* the out-of-range edge warning was given */
  int d_status; /* device scratch: the launcher's 2 status words (CUDA backend) */
} curve_state;

typedef struct curve_job {
  ysg_curve_params p;
  const float *pxy;  /* (points, 2) */
  const int32_t *id; /* (points) or NULL: keys from indices */
  const int32_t *ij; /* (curves, 2) the kept edges */
  float *xy;         /* (curves, S, 2) */
} curve_job;

YSG_CPU_CLONES static void curve_range(void *ud, int begin, int end) {
  const curve_job *j = ud;
  int S = j->p.samples;
  for (int c = begin; c < end; c++) {
    int32_t i = j->ij[2 * c], k = j->ij[2 * c + 1];
    uint32_t key = ysg_curve_key(j->p.seed, j->id ? j->id[i] : i, j->id ? j->id[k] : k);
    ysg_curve_edge e;
    ysg_curve_edge_setup(&j->p, j->pxy[2 * i], j->pxy[2 * i + 1], j->pxy[2 * k], j->pxy[2 * k + 1],
                         key, &e);
    float *o = j->xy + (size_t)c * (size_t)S * 2;
    for (int s = 0; s < S; s++) ysg_curve_sample(&j->p, &e, s, o + 2 * s);
  }
}

static void curve_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status curve_infer(ysg_node *n) {
  const ysg_value *edges = ysg_node_input(n, IN_EDGES, 0);
  ysg_value *out = ysg_node_output(n, 0);
  int S = ysg_node_int(n, P_SAMPLES);
  int cap = edges && edges->capacity > 0 ? edges->capacity : 1;
  /* kernels index samples with int: keep capacity·S within it */
  if ((int64_t)cap * S > INT32_MAX)
    return ysg_node_param_fail(n, P_SAMPLES, YSG_ERR_LIMIT,
                               "%d edges (the edges' capacity) × %d samples exceed %d samples in "
                               "all; lower samples or the edge capacity",
                               cap, S, INT32_MAX);
  out->capacity = cap;
  out->samples = S;
  if (!ysg_node_state(n)) {
    curve_state *st = ysg_node_alloc(n, sizeof *st);
    if (!st) return YSG_ERR_NOMEM;
    ysg_node_set_state(n, st);
  }
  return YSG_OK;
}

/* The frame's parameters: the CPU run's, and the CUDA path's parameter block (prepare). */
static void read_params(ysg_node *n, const ysg_frame *f, ysg_curve_params *p) {
  memset(p, 0, sizeof *p);
  int type = ysg_node_enum(n, P_TYPE);
  p->type = type >= 0 && type < YSG_CURVE_TYPE_COUNT ? type : YSG_CURVE_STRAIGHT;
  p->samples = ysg_node_output(n, 0)->samples;
  p->seed = (uint32_t)(int64_t)ysg_node_number(n, P_SEED);
  p->overshoot = ysg_node_number(n, P_OVERSHOOT);
  p->control_offset = ysg_node_number(n, P_CONTROL_OFFSET);
  p->tension = ysg_node_number(n, P_TENSION);
  p->turns = ysg_node_number(n, P_TURNS);
  p->stiffness = ysg_node_number(n, P_STIFFNESS);
  p->harmonics = ysg_node_number(n, P_HARMONICS);
  p->amplitude = ysg_node_number(n, P_AMPLITUDE);
  p->frequency = ysg_node_number(n, P_FREQUENCY);
  p->strength = ysg_node_number(n, P_STRENGTH);
  p->gravity = ysg_node_number(n, P_GRAVITY);
  p->speed = ysg_node_number(n, P_SPEED);
  p->time = f->time;
  ysg_curve_prepare(p);
}

static ysg_status curve_run(ysg_node *n, const ysg_frame *f) {
  const ysg_value *pts = ysg_node_input(n, IN_POINTS, 0);
  const ysg_value *edges = ysg_node_input(n, IN_EDGES, 0);
  ysg_value *out = ysg_node_output(n, 0);
  curve_job j;
  read_params(n, f, &j.p);
  int np = pts->count < 0 ? 0 : (pts->count > pts->capacity ? pts->capacity : pts->count);
  int ne = edges->count < 0 ? 0 : edges->count;
  if (ne > edges->capacity) ne = edges->capacity;
  if (ne > out->capacity) ne = out->capacity;
  /* keep the edges whose points exist this frame, in order (a serial pass: cheap, and the
   * order is the same on any thread count) */
  int nc = 0, skipped = 0;
  for (int k = 0; k < ne; k++) {
    int32_t a = edges->ij[2 * k], b = edges->ij[2 * k + 1];
    if (a < 0 || b < 0 || a >= np || b >= np) {
      skipped++;
      continue;
    }
    out->ij[2 * nc] = a;
    out->ij[2 * nc + 1] = b;
    nc++;
  }
  j.pxy = pts->xy;
  j.id = (pts->attrs & YSG_ATTR_ID) ? pts->id : NULL;
  j.ij = out->ij;
  j.xy = out->xy;
  ysg_node_parallel_for(n, nc, 64, curve_range, &j);
  out->count = nc;
  curve_state *st = ysg_node_state(n);
  if (skipped && st && !st->warned) {
    st->warned = 1;
    ysg_node_log(n, YSG_LOG_WARN,
                 "frame %d: %d of %d edges name a point outside 0..%d (the points of this "
                 "frame); such edges get no curve, and this is reported once",
                 f->index, skipped, ne, np - 1);
  }
  return YSG_OK;
}

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_curve_params (read_params, 216 bytes, doubles: 8-byte aligned at the
 * block's 16-byte aligned start). Device scratch: the launcher's 2 status words. The output
 * header: count = status[0] (a capturable D2D copy), attrs = 0 (a memset), every frame. The
 * skipped-edge warning of the CPU path has no device counterpart (status[1] is not read back). */
#ifdef YSG_HAVE_CUDA
static ysg_status curve_device_infer(ysg_node *n) {
  curve_state *st = ysg_node_state(n);
  ysg_status s = ysg_node_request_param_block(n, sizeof(ysg_curve_params));
  if (s) return s;
  return ysg_node_request_device_scratch(n, 2 * sizeof(int32_t), 0, &st->d_status);
}

static ysg_status curve_prepare(ysg_node *n, const ysg_frame *f) {
  ysg_curve_params *p = ysg_node_param_block(n);
  if (!p) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  read_params(n, f, p);
  return YSG_OK;
}

static ysg_status curve_device_run(ysg_node *n, void *stream) {
  const curve_state *st = ysg_node_state(n);
  const ysg_value *pts = ysg_node_input_device(n, IN_POINTS, 0);
  const ysg_value *edges = ysg_node_input_device(n, IN_EDGES, 0);
  const ysg_value_header *ph = ysg_node_input_header(n, IN_POINTS, 0);
  const ysg_value_header *eh = ysg_node_input_header(n, IN_EDGES, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  ysg_value_header *oh = ysg_node_output_header(n, 0);
  int32_t *status = ysg_node_device_scratch(n, st->d_status);
  if (!pts || !edges || !ph || !eh || !out || !oh || !status)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the inputs or output are missing");
  int cap_e = edges->capacity < out->capacity ? edges->capacity : out->capacity;
  ysg_curve_dev_inputs in = {pts->xy,       pts->id,   &ph->attrs, &ph->count,
                             pts->capacity, edges->ij, &eh->count, cap_e};
  char err[512] = "";
  ysg_status s;
  if ((s = ysg__cuda_curve(&in, ysg_node_param_block_device(n), out->samples, out->xy, out->ij,
                           status, stream, err, sizeof err)) ||
      (s = ysg__cuda_copy(&oh->count, status, sizeof(int32_t), stream, err, sizeof err)) ||
      (s = ysg__cuda_memset(&oh->attrs, 0, sizeof oh->attrs, stream, err, sizeof err)))
    return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

static const ysg_device_ops curve_device = {
    .infer = curve_device_infer,
    .prepare = curve_prepare,
    .run = curve_device_run,
};
#endif

const ysg_node_type ysg__node_curve = {
    .name = "curve",
    .category = "graph",
    .doc =
        "Samples a curve along every edge (i, j): S points from point i exactly to point j. "
        "Families: straight; quadratic_bezier and cubic_bezier (controls bent sideways by "
        "overshoot); catmull_rom (cardinal spline through phantom neighbours, tension); "
        "logarithmic_spiral (winds `turns` around i, ends on j); elastic (damped sine, "
        "stiffness); fourier_series (square-wave partial sums, harmonics, amplitude); "
        "field_lines (dipole field line, strength); gravitational (hanging chain, gravity); "
        "wave (sine along the edge, amplitude, frequency); electric (seeded gradient noise "
        "moving in time, amplitude, seed, speed). Sideways means to the left of i->j on screen "
        "for positive values. Edges naming a point beyond this frame's points are skipped (the "
        "output keeps the rest, in order) and reported once as a warning; a zero-length edge "
        "gives S copies of its point; non-finite points give non-finite samples.",
    .inputs = inputs,
    .n_inputs = 2,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = curve_infer,
    .run = curve_run,
    .destroy = curve_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &curve_device,
#endif
};
