/* matte_refine.c — the `matte` node: refines a matte (any image's alpha) in a fixed order —
 * threshold, islands/holes (connected components), grow/shrink (disc), feather (outward, inward
 * or centred), blur, temporal smoothing (an exponential moving average kept in a persistent
 * buffer: its state; running a frame other than the one after the last restarts it, logged),
 * guided filter (snaps the matte to the edges of the `image` input). Stages whose parameter the
 * pipeline never sets get no buffers (and no kernels on the device). On the CPU the stages run
 * as one streaming pass over rows (nodes/matte_stream.c, matte_guided.c); islands/holes, a
 * large grow and box-cascade blurs first run on whole planes (matte_filter.c, matte_cc.c).
 * CUDA: cuda/matte_refine.cu. */
#include <string.h>

#include "matte_filter.h"
#include "matte_math.h"
#include "matte_stream.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/matte_api.h"
#endif

enum {
  P_THRESHOLD,
  P_SOFTNESS,
  P_ISLANDS,
  P_HOLES,
  P_GROW,
  P_FEATHER,
  P_FEATHER_MODE,
  P_BLUR,
  P_TEMPORAL,
  P_MOTION,
  P_DEADBAND,
  P_GUIDED,
  P_EPS,
  P_COUNT
};

static const ysg_param_def params[P_COUNT] = {
    [P_THRESHOLD] = {"threshold", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                     "1. alpha at or above it becomes 1, below it 0 (0: off)"},
    [P_SOFTNESS] = {"softness", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                    "width of the threshold's linear ramp, centred on it (0: hard)"},
    [P_ISLANDS] = {"islands", YSG_PARAM_INT, "0", 0, 1e9, NULL, 0,
                   "2. px: remove foreground regions (alpha ≥ 0.5, 8-connected) smaller than this"},
    [P_HOLES] = {"holes", YSG_PARAM_INT, "0", 0, 1e9, NULL, 0,
                 "2. px: fill enclosed background regions (4-connected) smaller than this"},
    [P_GROW] = {"grow", YSG_PARAM_NUMBER, "0", -YSG_MATTE_RADIUS_MAX, YSG_MATTE_RADIUS_MAX, NULL, 0,
                "3. px: dilate by a disc of this radius (negative: erode)"},
    [P_FEATHER] = {"feather", YSG_PARAM_NUMBER, "0", 0, YSG_MATTE_SIGMA_MAX, NULL, 0,
                   "4. px: Gaussian sigma of the feathered edge"},
    [P_FEATHER_MODE] = {"feather_mode", YSG_PARAM_ENUM, "outward", 0, 0, YSG_FEATHER_CHOICES, 0,
                        "outward keeps the inside opaque, inward keeps the outside clear, "
                        "centered blurs across the edge"},
    [P_BLUR] = {"blur", YSG_PARAM_NUMBER, "0", 0, YSG_MATTE_SIGMA_MAX, NULL, 0,
                "5. px: Gaussian blur sigma"},
    [P_TEMPORAL] = {"temporal", YSG_PARAM_NUMBER, "0", 0, 0.99, NULL, 0,
                    "6. weight of the previous frames in an exponential moving average"},
    [P_MOTION] = {"temporal_motion", YSG_PARAM_NUMBER, "0.25", 0, 1, NULL, 0,
                  "alpha change at which a pixel follows at once instead of averaging (0: never)"},
    [P_DEADBAND] = {"temporal_deadband", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                    "alpha changes up to this are noise and ignored (a static matte settles)"},
    [P_GUIDED] = {"guided", YSG_PARAM_INT, "0", 0, YSG_MATTE_RADIUS_MAX, NULL, 0,
                  "7. px: guided-filter window radius (needs `image`, the guide)"},
    [P_EPS] = {"guided_eps", YSG_PARAM_NUMBER, "0.0001", 1e-8, 1, NULL, 0,
               "guided-filter regulariser (smaller: follows the guide's edges more closely)"},
};

static const ysg_port_def inputs[] = {
    {"matte", YSG_IMAGE, 0, "the matte to refine (its alpha)", NULL, 0},
    {"image", YSG_IMAGE, YSG_PORT_OPTIONAL, "the guide of the guided filter: the keyed frame", NULL,
     0},
};

static const ysg_port_def outputs[] = {
    {"matte", YSG_IMAGE, 0, "the refined matte (m, m, m, m)", NULL, 0},
};

/* Node state: which stages are configured, the scratch handles, the temporal bookkeeping. */
typedef struct refine_state {
  int cc, grow, feather, blur, temporal, guided; /* configured (parameter set by the pipeline) */
  int workers;
  int h_a, h_b, h_c, h_blur_lines, h_grow_lines, h_labels, h_area;
  int h_state[2]; /* temporal: the average, read from one and written to the other */
  int h_stream;
  size_t stream_floats; /* per worker */
  /* temporal: the committed average (after frame last_frame, -1: none yet) is in plane flip of
   * h_state (on the device: of d_state); a frame reads it and writes the other plane, which
   * becomes the average only once that frame has succeeded as a whole (refine_frame_begin) */
  int flip, last_frame;
  int pending;           /* the frame whose average waits in plane !flip (-1: none) */
  unsigned pending_done; /* ysg_node_frames_done when it started */
  int d_work, d_state;
} refine_state;

static void refine_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status refine_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0), *guide = ysg_node_input(n, 1, 0);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = in->width;
  out->height = in->height;
  if (ysg_node_param_is_set(n, P_GUIDED) && !guide)
    return ysg_node_param_fail(n, P_GUIDED, YSG_ERR_PIPELINE,
                               "the guided filter needs the 'image' input (the guide)");
  if (guide && (guide->width != in->width || guide->height != in->height))
    return ysg_node_fail(n, YSG_ERR_PIPELINE, "image is %d×%d, expected %d×%d like the matte",
                         guide->width, guide->height, in->width, in->height);
  refine_destroy(n);
  refine_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->cc = ysg_node_param_is_set(n, P_ISLANDS) || ysg_node_param_is_set(n, P_HOLES);
  st->grow = ysg_node_param_is_set(n, P_GROW);
  st->feather = ysg_node_param_is_set(n, P_FEATHER);
  st->blur = ysg_node_param_is_set(n, P_BLUR);
  st->temporal = ysg_node_param_is_set(n, P_TEMPORAL);
  st->guided = ysg_node_param_is_set(n, P_GUIDED);
  st->last_frame = st->pending = -1;
  int t = ysg_node_threads(n);
  st->workers = t < 1 ? 1 : (t > 64 ? 64 : t);
  st->h_a = st->h_b = st->h_c = st->h_blur_lines = st->h_grow_lines = st->h_labels = -1;
  st->h_area = st->h_state[0] = st->h_state[1] = -1;
  int W = in->width > 0 ? in->width : 1, H = in->height > 0 ? in->height : 1;
  size_t plane = (size_t)W * (size_t)H * sizeof(float), w = (size_t)st->workers;
  ysg_status s;
  /* planes for the stages that may need them whole (refine_run) */
  if ((st->cc || st->grow || st->feather || st->blur) &&
      (s = ysg_node_request_scratch(n, plane, 0, &st->h_a)))
    return s;
  if ((st->grow || st->feather || st->blur) &&
      ((s = ysg_node_request_scratch(n, plane, 0, &st->h_b)) ||
       (s = ysg_node_request_scratch(n, plane, 0, &st->h_c))))
    return s;
  if ((st->feather || st->blur) &&
      (s = ysg_node_request_scratch(n, w * ysg__matte_blur_line_floats(W, H) * sizeof(float), 0,
                                    &st->h_blur_lines)))
    return s;
  if (st->grow && (s = ysg_node_request_scratch(n, w * ysg__matte_grow_line_floats(W) * 4, 0,
                                                &st->h_grow_lines)))
    return s;
  if (st->cc && ((s = ysg_node_request_scratch(n, (size_t)W * H * 4, 0, &st->h_labels)) ||
                 (s = ysg_node_request_scratch(n, (size_t)W * H * 4, 0, &st->h_area))))
    return s;
  if (st->temporal && ((s = ysg_node_request_scratch(n, plane, 1, &st->h_state[0])) ||
                       (s = ysg_node_request_scratch(n, plane, 1, &st->h_state[1]))))
    return s;
  ysg_matte_stream cfg = {.grow = st->grow,
                          .feather = st->feather,
                          .blur = st->blur,
                          .temporal = st->temporal,
                          .guided = st->guided};
  st->stream_floats = ysg__matte_stream_floats(&cfg, W, H);
  return ysg_node_request_scratch(n, w * st->stream_floats * sizeof(float), 0, &st->h_stream);
}

/* This frame's settings (both backends); temporal_reset is decided by refine_frame_begin. */
static void refine_op_make(const ysg_node *n, ysg_matte_refine_op *op) {
  memset(op, 0, sizeof *op);
  op->threshold = (float)ysg_node_number(n, P_THRESHOLD);
  op->softness = (float)ysg_node_number(n, P_SOFTNESS);
  op->islands = ysg_node_int(n, P_ISLANDS);
  op->holes = ysg_node_int(n, P_HOLES);
  op->grow = (float)ysg_node_number(n, P_GROW);
  float feather = (float)ysg_node_number(n, P_FEATHER), blur = (float)ysg_node_number(n, P_BLUR);
  op->feather_on = feather > 0.0f;
  op->blur_on = blur > 0.0f;
  op->feather_mode = ysg_node_enum(n, P_FEATHER_MODE);
  ysg_blur_kernel_make(feather, 3.0f, &op->feather_k);
  ysg_blur_kernel_make(blur, 3.0f, &op->blur_k);
  op->temporal = (float)ysg_node_number(n, P_TEMPORAL);
  op->motion = (float)ysg_node_number(n, P_MOTION);
  op->deadband = (float)ysg_node_number(n, P_DEADBAND);
  op->guided = ysg_node_int(n, P_GUIDED);
  op->eps = (float)ysg_node_number(n, P_EPS);
}

/* The temporal average continues only from the frame before; anything else (the first frame,
 * a seek, a frame run twice) restarts it, and a restart after the first frame is logged. The
 * previous frame's average is committed here, once the pipeline counts that frame as done: a
 * frame that failed or was interrupted after this node ran leaves the average as it was, so
 * running it again (or the next one) gives what it would have without the failure. */
static int refine_frame_begin(ysg_node *n, refine_state *st, int frame) {
  if (!st->temporal) return 0;
  if (st->pending >= 0 && ysg_node_frames_done(n) == st->pending_done + 1u)
    st->last_frame = st->pending, st->flip = !st->flip;
  st->pending = frame;
  st->pending_done = ysg_node_frames_done(n);
  int reset = st->last_frame < 0 || frame != st->last_frame + 1;
  if (reset && st->last_frame >= 0)
    ysg_node_log(n, YSG_LOG_INFO,
                 "temporal smoothing restarts at frame %d (the previous frame run was %d)", frame,
                 st->last_frame);
  return reset;
}

typedef struct refine_job {
  const ysg_matte_refine_op *op;
  const ysg_value *in;
  float *a, *b; /* distinct planes */
  int w;
} refine_job;

static void load_rows(void *ud, int y0, int y1) {
  const refine_job *j = ud;
  const float t = j->op->threshold, soft = j->op->softness;
  for (int y = y0; y < y1; y++) {
    float *a = j->a + (size_t)y * j->w;
    ysg__matte_load_alpha(j->in, y, 0, j->w, a);
    for (int x = 0; x < j->w; x++) a[x] = ysg_matte_threshold(ysg_clamp01(a[x]), t, soft);
  }
}

static void feather_rows(void *ud, int y0, int y1) {
  const refine_job *j = ud;
  const float *restrict b = j->b; /* the blurred plane */
  float *restrict a = j->a;
  const int mode = j->op->feather_mode;
  for (size_t i = (size_t)y0 * j->w; i < (size_t)y1 * j->w; i++)
    a[i] = ysg_matte_feather(mode, a[i], b[i]);
}

/* The stages up to `last` (2 islands/holes, 3 grow, 4 feather, 5 blur) on whole planes; returns
 * the plane holding the result. */
static float *plane_stages(ysg_node *n, refine_state *st, const ysg_matte_refine_op *op,
                           const ysg_value *in, int last) {
  int W = in->width, H = in->height;
  float *a = ysg_node_scratch(n, st->h_a);
  float *b = st->h_b >= 0 ? ysg_node_scratch(n, st->h_b) : NULL;
  float *c = st->h_c >= 0 ? ysg_node_scratch(n, st->h_c) : NULL;
  refine_job j = {op, in, a, NULL, W};
  ysg_node_parallel_for(n, H, 4, load_rows, &j);
  if (st->cc && (op->islands > 0 || op->holes > 0))
    ysg__matte_components(n, a, W, H, op->islands, op->holes, ysg_node_scratch(n, st->h_labels),
                          ysg_node_scratch(n, st->h_area));
  if (last >= 3 && st->grow && op->grow != 0.0f) {
    ysg__matte_grow(n, a, b, c, ysg_node_scratch(n, st->h_grow_lines), W, H, op->grow, st->workers);
    float *t = a;
    a = b, b = t;
  }
  float *lines = st->h_blur_lines >= 0 ? ysg_node_scratch(n, st->h_blur_lines) : NULL;
  if (last >= 4 && st->feather && op->feather_on) {
    ysg__matte_blur(n, a, b, c, W, H, &op->feather_k, lines, st->workers);
    j.a = a, j.b = b;
    ysg_node_parallel_for(n, H, 8, feather_rows, &j);
  }
  if (last >= 5 && st->blur && op->blur_on)
    ysg__matte_blur(n, a, a, c, W, H, &op->blur_k, lines, st->workers);
  return a;
}

static ysg_status refine_run(ysg_node *n, const ysg_frame *frame) {
  refine_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *out = ysg_node_output(n, 0);
  ysg_matte_refine_op op;
  refine_op_make(n, &op);
  op.temporal_reset = refine_frame_begin(n, st, frame->index);
  if (in->width <= 0 || in->height <= 0) return YSG_OK;
  int cc_on = st->cc && (op.islands > 0 || op.holes > 0);
  int grow_on = st->grow && op.grow != 0.0f;
  int feather_on = st->feather && op.feather_on, blur_on = st->blur && op.blur_on;
  /* the last stage that needs whole planes; the stages after it stream */
  int last = blur_on && op.blur_k.box                         ? 5
             : feather_on && op.feather_k.box                 ? 4
             : grow_on && !ysg__matte_grow_is_direct(op.grow) ? 3
             : cc_on                                          ? 2
                                                              : 0;
  ysg_matte_stream s = {
      .op = &op,
      .in = in,
      .plane = last ? plane_stages(n, st, &op, in, last) : NULL,
      .grow = grow_on && last < 3,
      .feather = feather_on && last < 4,
      .blur = blur_on && last < 5,
      .temporal = st->temporal,
      .guided = st->guided && op.guided > 0,
      .guide = ysg_node_input(n, 1, 0),
      .out = out,
      .mem = ysg_node_scratch(n, st->h_stream),
      .worker_floats = st->stream_floats,
      .workers = st->workers,
  };
  if (st->temporal) {
    s.t_prev = ysg_node_scratch(n, st->h_state[st->flip]);
    s.t_next = ysg_node_scratch(n, st->h_state[!st->flip]);
  }
  ysg__matte_stream(n, &s);
  ysg__matte_tiles_on(out);
  return YSG_OK;
}

/* ---- CUDA path ---------------------------------------------------------------------------------
 * Parameter block: ysg_matte_refine_op (refine_op_make + the reset refine_frame_begin decided on
 * the host). Device scratch: the launcher's work (ysg__cuda_matte_refine_work_bytes for the
 * configured stages) and, with temporal smoothing, the persistent average. */
#ifdef YSG_HAVE_CUDA
static void refine_cfg(const refine_state *st, ysg_matte_refine_cfg *cfg) {
  cfg->components = st->cc;
  cfg->grow = st->grow;
  cfg->feather = st->feather;
  cfg->blur = st->blur;
  cfg->temporal = st->temporal;
  cfg->guided = st->guided;
}

static ysg_status refine_device_infer(ysg_node *n) {
  refine_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  int W = in->width > 0 ? in->width : 1, H = in->height > 0 ? in->height : 1;
  ysg_matte_refine_cfg cfg;
  refine_cfg(st, &cfg);
  st->d_state = -1;
  ysg_status s = ysg_node_request_param_block(n, sizeof(ysg_matte_refine_op));
  if (!s)
    s = ysg_node_request_device_scratch(n, ysg__cuda_matte_refine_work_bytes(W, H, &cfg), 0,
                                        &st->d_work);
  if (!s && st->temporal)
    s = ysg_node_request_device_scratch(n, 2 * (size_t)W * H * sizeof(float), 1, &st->d_state);
  return s;
}

static ysg_status refine_prepare(ysg_node *n, const ysg_frame *f) {
  refine_state *st = ysg_node_state(n);
  ysg_matte_refine_op *op = ysg_node_param_block(n);
  if (!op || !st) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  refine_op_make(n, op);
  op->temporal_reset = refine_frame_begin(n, st, f->index);
  op->temporal_src = st->flip;
  return YSG_OK;
}

static ysg_status refine_device_run(ysg_node *n, void *stream) {
  refine_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input_device(n, 0, 0), *guide = ysg_node_input_device(n, 1, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  const ysg_matte_refine_op *op = ysg_node_param_block_device(n);
  void *work = ysg_node_device_scratch(n, st->d_work);
  float *state = st->d_state >= 0 ? ysg_node_device_scratch(n, st->d_state) : NULL;
  if (!in || !out || !op || !work)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the images are missing");
  ysg_matte_refine_cfg cfg;
  refine_cfg(st, &cfg);
  char err[512] = "";
  ysg_status s = ysg__cuda_matte_refine(in->px, in->tiles, guide ? guide->px : NULL,
                                        guide ? guide->tiles : NULL, in->width, in->height, out->px,
                                        out->tiles, op, &cfg, state, work, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops refine_device = {
    .infer = refine_device_infer,
    .prepare = refine_prepare,
    .run = refine_device_run,
};
#endif

const ysg_node_type ysg__node_matte = {
    .name = "matte",
    .category = "matte",
    .doc =
        "Refines a matte (the alpha of any image) in this order: 1 threshold (hard or a soft "
        "ramp), 2 remove islands / fill holes below an area (connected components), 3 grow or "
        "shrink by a disc, 4 feather outward (the subject stays whole), inward or centred, "
        "5 blur, 6 temporal smoothing (an exponential moving average with a dead band and fast "
        "follow on motion; running any frame but "
        "the next restarts it, with a log line), 7 guided filter (He et al., colour guide "
        "`image`, O(1) per pixel in the radius). Gives (m, m, m, m).",
    .inputs = inputs,
    .n_inputs = 2,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = refine_infer,
    .run = refine_run,
    .destroy = refine_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &refine_device,
#endif
};
