/* matte_segment.c — the `segment` node (built with OpenCV's DNN module, YSG_HAVE_OPENCV): runs a
 * user's ONNX person-segmentation or matting model on the CPU and gives its output as a matte.
 * The frame is area-resampled in linear light to the model's input size, sRGB-encoded (and
 * ImageNet-normalised if asked) into a 1×3×H×W blob; one output channel, through an optional
 * sigmoid or softmax, is resized back bilinearly (half-pixel centres). No model is downloaded:
 * the path is the user's. A host node: on the CUDA backend its matte is staged into the device
 * arena like any host value. OpenCV glue: nodes/matte_segment_cv.cpp. */
#ifdef YSG_HAVE_OPENCV
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "color.h"
#include "matte_filter.h"
#include "matte_segment.h"
#include "ysgraph/node.h"

enum { P_MODEL, P_WIDTH, P_HEIGHT, P_CHANNEL, P_ACTIVATION, P_NORMALIZE, P_COUNT };
enum { ACT_NONE, ACT_SIGMOID, ACT_SOFTMAX };

static const ysg_param_def params[P_COUNT] = {
    [P_MODEL] = {"model", YSG_PARAM_PATH, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
                 "the ONNX model (1×3×H×W in, 1×C×h×w out)"},
    [P_WIDTH] = {"width", YSG_PARAM_INT, "0", 0, 16384, NULL, YSG_PARAM_STATIC,
                 "model input width (0: the model's own)"},
    [P_HEIGHT] = {"height", YSG_PARAM_INT, "0", 0, 16384, NULL, YSG_PARAM_STATIC,
                  "model input height (0: the model's own)"},
    [P_CHANNEL] = {"channel", YSG_PARAM_INT, "0", 0, 4096, NULL, YSG_PARAM_STATIC,
                   "the output channel that is the foreground"},
    [P_ACTIVATION] = {"activation", YSG_PARAM_ENUM, "none", 0, 0, "none|sigmoid|softmax",
                      YSG_PARAM_STATIC,
                      "applied to the output: none (it is a probability already), sigmoid, or "
                      "softmax over the channels"},
    [P_NORMALIZE] = {"normalize", YSG_PARAM_ENUM, "unit", 0, 0, "unit|imagenet", YSG_PARAM_STATIC,
                     "input: sRGB code values in 0..1, or ImageNet's (v − mean) / std"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the frame", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"matte", YSG_IMAGE, 0, "the model's matte (m, m, m, m), the frame's size", NULL, 0},
};

/* One axis of an area resampling: output i averages source [i·n/m, (i+1)·n/m), each source
 * sample weighted by its overlap. first[i], count[i] index w. */
typedef struct axis {
  int *first, *count, *at;
  float *w;
} axis;

typedef struct seg_state {
  ysg_seg_model *model;
  ysg_seg_shape shape;
  axis ax, ay;
  int h_rows, h_blob, h_out, h_plane, workers;
} seg_state;

static int axis_make(ysg_node *n, axis *a, int src, int dst) {
  double scale = (double)src / dst;
  size_t cap = (size_t)dst * ((size_t)ceil(scale) + 2);
  a->first = ysg_node_alloc(n, sizeof(int) * (size_t)dst * 3);
  a->w = ysg_node_alloc(n, sizeof(float) * cap);
  if (!a->first || !a->w) return -1;
  a->count = a->first + dst;
  a->at = a->count + dst;
  size_t k = 0;
  for (int i = 0; i < dst; i++) {
    double lo = i * scale, hi = (i + 1) * scale;
    int j0 = (int)floor(lo), j1 = (int)ceil(hi);
    if (j1 > src) j1 = src;
    if (j1 <= j0) j1 = j0 + 1;
    a->first[i] = j0, a->at[i] = (int)k, a->count[i] = j1 - j0;
    for (int j = j0; j < j1; j++) {
      double ov = fmin(hi, j + 1.0) - fmax(lo, (double)j);
      a->w[k++] = ov > 0 ? (float)(ov / scale) : 0.0f;
    }
  }
  return 0;
}

static void seg_destroy(ysg_node *n) {
  seg_state *st = ysg_node_state(n);
  if (!st) return;
  if (st->model) ysg__seg_close(st->model);
  ysg_node_free(n, st->ax.first);
  ysg_node_free(n, st->ax.w);
  ysg_node_free(n, st->ay.first);
  ysg_node_free(n, st->ay.w);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static ysg_status seg_init(ysg_node *n) {
  seg_destroy(n);
  seg_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  const char *path = ysg_node_string(n, P_MODEL);
  char err[1024];
  if (ysg__seg_open(path, base_name(path), ysg_node_int(n, P_WIDTH), ysg_node_int(n, P_HEIGHT),
                    &st->model, &st->shape, err, sizeof err))
    return ysg_node_fail(n, YSG_ERR_DATA, "%s", err);
  if (ysg_node_int(n, P_CHANNEL) >= st->shape.out_c)
    return ysg_node_param_fail(
        n, P_CHANNEL, YSG_ERR_PIPELINE, "model '%s' gives %d output channel%s (0..%d)",
        base_name(path), st->shape.out_c, st->shape.out_c == 1 ? "" : "s", st->shape.out_c - 1);
  ysg_node_set_info(n, "OpenCV %s DNN (CPU): 1×3×%d×%d in, 1×%d×%d×%d out",
                    ysg__seg_opencv_version(), st->shape.in_h, st->shape.in_w, st->shape.out_c,
                    st->shape.out_h, st->shape.out_w);
  return YSG_OK;
}

static ysg_status seg_infer(ysg_node *n) {
  seg_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = in->width;
  out->height = in->height;
  int W = in->width > 0 ? in->width : 1, H = in->height > 0 ? in->height : 1;
  ysg_node_free(n, st->ax.first);
  ysg_node_free(n, st->ax.w);
  ysg_node_free(n, st->ay.first);
  ysg_node_free(n, st->ay.w);
  if (axis_make(n, &st->ax, W, st->shape.in_w) || axis_make(n, &st->ay, H, st->shape.in_h))
    return YSG_ERR_NOMEM;
  int t = ysg_node_threads(n);
  st->workers = t < 1 ? 1 : (t > 64 ? 64 : t);
  const ysg_seg_shape *s = &st->shape;
  size_t blob = (size_t)3 * s->in_h * s->in_w, outn = (size_t)s->out_c * s->out_h * s->out_w;
  ysg_status e;
  if ((e = ysg_node_request_scratch(n, (size_t)st->workers * 8 * (size_t)W * sizeof(float), 0,
                                    &st->h_rows)) ||
      (e = ysg_node_request_scratch(n, blob * sizeof(float), 0, &st->h_blob)) ||
      (e = ysg_node_request_scratch(n, outn * sizeof(float), 0, &st->h_out)) ||
      (e = ysg_node_request_scratch(n, (size_t)s->out_h * s->out_w * sizeof(float), 0,
                                    &st->h_plane)))
    return e;
  return YSG_OK;
}

typedef struct seg_job {
  const seg_state *st;
  const ysg_value *in;
  ysg_value *out;
  float *rows, *blob;
  const float *plane;
  int imagenet;
  atomic_int next;
} seg_job;

/* Model rows, one at a time per worker: area-average the frame (premultiplied linear, i.e. over
 * black) into the row, encode to sRGB, normalise, into the NCHW blob. */
static void blob_rows(void *ud, int w0, int w1) {
  seg_job *j = ud;
  const seg_state *st = j->st;
  int W = j->in->width, mw = st->shape.in_w, mh = st->shape.in_h;
  static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
  for (int wk = w0; wk < w1; wk++) {
    float *acc = j->rows + (size_t)wk * 8 * (size_t)W, *px = acc + 3 * (size_t)W;
    for (;;) {
      int r = atomic_fetch_add(&j->next, 1);
      if (r >= mh) break;
      memset(acc, 0, 3 * (size_t)W * sizeof(float));
      for (int k = 0; k < st->ay.count[r]; k++) {
        float wy = st->ay.w[st->ay.at[r] + k];
        if (wy <= 0.0f) continue;
        ysg__matte_rgba_row(j->in, st->ay.first[r] + k, px);
        for (int x = 0; x < W; x++)
          for (int c = 0; c < 3; c++) acc[3 * x + c] += wy * px[4 * x + c];
      }
      for (int col = 0; col < mw; col++) {
        float v[3] = {0, 0, 0};
        for (int k = 0; k < st->ax.count[col]; k++) {
          float wx = st->ax.w[st->ax.at[col] + k];
          const float *a = acc + 3 * (size_t)(st->ax.first[col] + k);
          for (int c = 0; c < 3; c++) v[c] += wx * a[c];
        }
        for (int c = 0; c < 3; c++) {
          float e = ysg_linear_to_srgb(v[c]);
          if (j->imagenet) e = (e - mean[c]) / sd[c];
          j->blob[((size_t)c * mh + r) * mw + col] = e;
        }
      }
    }
  }
}

/* Frame rows [y0, y1): the model's plane resized bilinearly (half-pixel centres, clamped). */
static void matte_rows(void *ud, int y0, int y1) {
  const seg_job *j = ud;
  int W = j->out->width, H = j->out->height, ow = j->st->shape.out_w, oh = j->st->shape.out_h;
  float row[4 * 64];
  for (int y = y0; y < y1; y++) {
    float sy = ((float)y + 0.5f) * (float)oh / (float)H - 0.5f;
    sy = sy < 0.0f ? 0.0f : (sy > (float)(oh - 1) ? (float)(oh - 1) : sy);
    int i0 = (int)sy, i1 = i0 + 1 < oh ? i0 + 1 : oh - 1;
    float fy = sy - (float)i0;
    const float *r0 = j->plane + (size_t)i0 * ow, *r1 = j->plane + (size_t)i1 * ow;
    float m[64];
    for (int x0 = 0; x0 < W; x0 += 64) {
      int nx = W - x0 < 64 ? W - x0 : 64;
      for (int i = 0; i < nx; i++) {
        float sx = ((float)(x0 + i) + 0.5f) * (float)ow / (float)W - 0.5f;
        sx = sx < 0.0f ? 0.0f : (sx > (float)(ow - 1) ? (float)(ow - 1) : sx);
        int k0 = (int)sx, k1 = k0 + 1 < ow ? k0 + 1 : ow - 1;
        float fx = sx - (float)k0;
        float top = r0[k0] + fx * (r0[k1] - r0[k0]), bot = r1[k0] + fx * (r1[k1] - r1[k0]);
        m[i] = ysg_clamp01(top + fy * (bot - top));
      }
      for (int i = 0; i < nx; i++)
        row[4 * i] = row[4 * i + 1] = row[4 * i + 2] = row[4 * i + 3] = m[i];
      ysg_floats_to_halves(row, j->out->px + ((size_t)y * W + (size_t)x0) * 4, 4 * nx);
    }
  }
}

static ysg_status seg_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  seg_state *st = ysg_node_state(n);
  seg_job j;
  memset(&j, 0, sizeof j);
  atomic_init(&j.next, 0);
  j.st = st;
  j.in = ysg_node_input(n, 0, 0);
  j.out = ysg_node_output(n, 0);
  if (j.in->width <= 0 || j.in->height <= 0) return YSG_OK;
  j.rows = ysg_node_scratch(n, st->h_rows);
  j.blob = ysg_node_scratch(n, st->h_blob);
  j.imagenet = ysg_node_enum(n, P_NORMALIZE) == 1;
  ysg_node_parallel_for(n, st->workers, 1, blob_rows, &j);
  float *out = ysg_node_scratch(n, st->h_out), *plane = ysg_node_scratch(n, st->h_plane);
  char err[1024];
  if (ysg__seg_run(st->model, j.blob, out, err, sizeof err))
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "%s", err);
  /* the foreground channel through the activation */
  const ysg_seg_shape *s = &st->shape;
  size_t np = (size_t)s->out_h * s->out_w;
  int ch = ysg_node_int(n, P_CHANNEL), act = ysg_node_enum(n, P_ACTIVATION);
  for (size_t i = 0; i < np; i++) {
    float v = out[(size_t)ch * np + i];
    if (act == ACT_SIGMOID) {
      v = 1.0f / (1.0f + expf(-v));
    } else if (act == ACT_SOFTMAX) {
      float mx = v;
      for (int c = 0; c < s->out_c; c++) mx = fmaxf(mx, out[(size_t)c * np + i]);
      float sum = 0.0f;
      for (int c = 0; c < s->out_c; c++) sum += expf(out[(size_t)c * np + i] - mx);
      v = expf(v - mx) / sum;
    }
    plane[i] = v;
  }
  j.plane = plane;
  ysg_node_parallel_for(n, j.out->height, 8, matte_rows, &j);
  ysg__matte_tiles_on(j.out);
  return YSG_OK;
}

const ysg_node_type ysg__node_segment = {
    .name = "segment",
    .category = "matte",
    .doc =
        "Runs a user's ONNX segmentation or matting model (1×3×H×W in, 1×C×h×w out) with "
        "OpenCV's DNN module on the CPU: the frame is area-resampled in linear light to the "
        "model's input size and sRGB-encoded (unit, or ImageNet-normalised); one output "
        "channel, through an optional sigmoid or softmax, is resized back bilinearly into a "
        "matte. Errors name the model and the operator OpenCV cannot run.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .flags = YSG_NODE_HOST,
    .init = seg_init,
    .infer = seg_infer,
    .run = seg_run,
    .destroy = seg_destroy,
};
#endif
