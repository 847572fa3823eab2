/* matte_composite.c — the `composite` node: a foreground over a background through a matte,
 * premultiplied in linear light, with light wrap (the background's blurred light mixed into the
 * foreground's edge) and a background blur (portrait mode: pass the frame itself as bg). A node
 * of its own rather than options of merge: a matte input and blurs of one layer do not fit
 * merge's per-link blend settings (nor its fused tile groups), and blur_region masks come from
 * geometry. The background blurs reuse the `blur` node's code (nodes/blur.c / cuda/blur.cu);
 * the matte's blur and the pixel math are the matte family's (matte_filter.c, matte_math.h). */
#include <string.h>

#include "blur_math.h"
#include "matte_filter.h"
#include "matte_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/blur_api.h"
#include "../cuda/matte_api.h"
#endif

enum { P_WRAP, P_WRAP_SIGMA, P_BG_BLUR, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_WRAP] = {"light_wrap", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                "how much of the blurred background mixes into the foreground's edge (0: off)"},
    [P_WRAP_SIGMA] = {"wrap_sigma", YSG_PARAM_NUMBER, "8", 0, YSG_MATTE_SIGMA_MAX, NULL, 0,
                      "px: blur of the background light and of the edge it wraps over"},
    [P_BG_BLUR] = {"bg_blur", YSG_PARAM_NUMBER, "0", 0, YSG_MATTE_BG_SIGMA_MAX, NULL, 0,
                   "px: Gaussian blur of the background first (portrait mode; 0: none)"},
};

static const ysg_port_def inputs[] = {
    {"fg", YSG_IMAGE, 0, "the foreground (premultiplied; a keyer's image)", NULL, 0},
    {"bg", YSG_IMAGE, 0, "the new background, the foreground's size", NULL, 0},
    {"matte", YSG_IMAGE, YSG_PORT_OPTIONAL,
     "its alpha scales the foreground (a refined matte over a keyer's premultiply=false image); "
     "unconnected: the foreground's own alpha",
     NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the composite", NULL, 0},
};

typedef struct comp_state {
  int bg_blur, wrap, has_matte; /* configured */
  int workers;
  ysg_blur_buffers bb;
  int h_s1, h_s1t, h_s2, h_s2t, h_a, h_mw, h_tmp, h_lines;
  int d_work;
} comp_state;

static void comp_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status comp_infer(ysg_node *n) {
  const ysg_value *fg = ysg_node_input(n, 0, 0), *bg = ysg_node_input(n, 1, 0),
                  *m = ysg_node_input(n, 2, 0);
  if (bg->width != fg->width || bg->height != fg->height)
    return ysg_node_fail(n, YSG_ERR_PIPELINE, "bg is %d×%d, expected %d×%d like fg", bg->width,
                         bg->height, fg->width, fg->height);
  if (m && (m->width != fg->width || m->height != fg->height))
    return ysg_node_fail(n, YSG_ERR_PIPELINE, "matte is %d×%d, expected %d×%d like fg", m->width,
                         m->height, fg->width, fg->height);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = fg->width;
  out->height = fg->height;
  comp_destroy(n);
  comp_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->bg_blur = ysg_node_param_is_set(n, P_BG_BLUR);
  st->wrap = ysg_node_param_is_set(n, P_WRAP);
  st->has_matte = m != NULL;
  int t = ysg_node_threads(n);
  st->workers = t < 1 ? 1 : (t > 64 ? 64 : t);
  int W = fg->width > 0 ? fg->width : 1, H = fg->height > 0 ? fg->height : 1;
  size_t img = (size_t)W * H * 8, tiles = (size_t)((W + 15) / 16) * (size_t)((H + 15) / 16);
  size_t plane = (size_t)W * H * sizeof(float);
  ysg_status s = YSG_OK;
  if ((st->bg_blur || st->wrap) && (s = ysg__blur_buffers_request(n, W, H, &st->bb))) return s;
  if (st->bg_blur && ((s = ysg_node_request_scratch(n, img, 0, &st->h_s1)) ||
                      (s = ysg_node_request_scratch(n, tiles, 0, &st->h_s1t))))
    return s;
  if (st->wrap && ((s = ysg_node_request_scratch(n, img, 0, &st->h_s2)) ||
                   (s = ysg_node_request_scratch(n, tiles, 0, &st->h_s2t)) ||
                   (s = ysg_node_request_scratch(n, plane, 0, &st->h_a)) ||
                   (s = ysg_node_request_scratch(n, plane, 0, &st->h_mw)) ||
                   (s = ysg_node_request_scratch(n, plane, 0, &st->h_tmp)) ||
                   (s = ysg_node_request_scratch(
                        n, (size_t)st->workers * ysg__matte_blur_line_floats(W, H) * sizeof(float),
                        0, &st->h_lines))))
    return s;
  return YSG_OK;
}

/* This frame's settings (both backends). */
static void comp_op_make(const ysg_node *n, int has_matte, ysg_composite_op *op) {
  memset(op, 0, sizeof *op);
  float bg = (float)ysg_node_number(n, P_BG_BLUR), ws = (float)ysg_node_number(n, P_WRAP_SIGMA);
  op->bg_op.sigma = bg;
  op->bg_op.truncate = 3.0f;
  op->bg_op.edge = YSG_EDGE_CLAMP;
  op->wrap_op = op->bg_op;
  op->wrap_op.sigma = ws;
  ysg_blur_kernel_make(bg, 3.0f, &op->bg_k);
  ysg_blur_kernel_make(ws, 3.0f, &op->wrap_k);
  op->wrap = (float)ysg_node_number(n, P_WRAP);
  op->has_matte = has_matte;
}

static ysg_value scratch_image(const ysg_node *n, int h_px, int h_tiles, int w, int h) {
  ysg_value v;
  memset(&v, 0, sizeof v);
  v.type = YSG_IMAGE;
  v.count = v.capacity = 1;
  v.width = w;
  v.height = h;
  v.tiles_x = (w + YSG_TILE - 1) / YSG_TILE;
  v.tiles_y = (h + YSG_TILE - 1) / YSG_TILE;
  v.px = ysg_node_scratch(n, h_px);
  v.tiles = ysg_node_scratch(n, h_tiles);
  return v;
}

#define CHUNK 256

typedef struct comp_job {
  const ysg_composite_op *op;
  const ysg_value *fg, *bg, *matte, *bgw;
  ysg_value *out;
  float *a;        /* wrap: fg alpha × matte, to blur */
  const float *mw; /* wrap: its blur */
} comp_job;

static void alpha_rows(void *ud, int y0, int y1) {
  const comp_job *j = ud;
  float m[CHUNK];
  int W = j->fg->width;
  for (int y = y0; y < y1; y++)
    for (int x0 = 0; x0 < W; x0 += CHUNK) {
      int n = W - x0 < CHUNK ? W - x0 : CHUNK;
      float *a = j->a + (size_t)y * W + x0;
      ysg__matte_load_alpha(j->fg, y, x0, n, a);
      if (j->matte) {
        ysg__matte_load_alpha(j->matte, y, x0, n, m);
        for (int i = 0; i < n; i++) a[i] *= ysg_clamp01(m[i]);
      }
    }
}

/* One span through planes (see matte_key.c's chroma_span: interleaved RGBA costs 3× in lane
 * shuffles): F (the foreground; gets the result), B, BW (RGB) planes, m and mw. */
static void comp_span(float (*restrict F)[CHUNK], const float *restrict m,
                      const float (*restrict B)[CHUNK], const float (*restrict BW)[CHUNK],
                      const float *restrict mw, float wrap, int n) {
  float *restrict F0 = F[0], *restrict F1 = F[1], *restrict F2 = F[2], *restrict F3 = F[3];
  for (int i = 0; i < n; i++) {
    float fp[4] = {F0[i], F1[i], F2[i], F3[i]}, bp[4] = {B[0][i], B[1][i], B[2][i], B[3][i]};
    float wp[4] = {BW[0][i], BW[1][i], BW[2][i], 0.0f}, op[4];
    ysg_matte_composite_px(fp, m[i], bp, wp, mw[i], wrap, op);
    F0[i] = op[0], F1[i] = op[1], F2[i] = op[2], F3[i] = op[3];
  }
}

static void comp_rows(void *ud, int y0, int y1) {
  const comp_job *j = ud;
  float F[4][CHUNK], B[4][CHUNK], BW[4][CHUNK], mm[CHUNK], mwv[CHUNK];
  int W = j->fg->width;
  float wrap = j->bgw ? j->op->wrap : 0.0f;
  for (int y = y0; y < y1; y++)
    for (int x0 = 0; x0 < W; x0 += CHUNK) {
      int n = W - x0 < CHUNK ? W - x0 : CHUNK;
      ysg__matte_load_planes(j->fg, y, x0, n, F[0], F[1], F[2], F[3]);
      ysg__matte_load_planes(j->bg, y, x0, n, B[0], B[1], B[2], B[3]);
      if (j->bgw) ysg__matte_load_planes(j->bgw, y, x0, n, BW[0], BW[1], BW[2], BW[3]);
      if (j->matte) {
        ysg__matte_load_alpha(j->matte, y, x0, n, mm);
        for (int i = 0; i < n; i++) mm[i] = ysg_clamp01(mm[i]);
      } else {
        for (int i = 0; i < n; i++) mm[i] = 1.0f;
      }
      for (int i = 0; i < n; i++) mwv[i] = j->bgw ? j->mw[(size_t)y * W + x0 + i] : 1.0f;
      comp_span(F, mm, B, j->bgw ? BW : B, mwv, wrap, n);
      ysg__matte_store_planes(j->out->px + ((size_t)y * W + x0) * 4, F[0], F[1], F[2], F[3], n);
    }
}

static ysg_status comp_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  comp_state *st = ysg_node_state(n);
  comp_job j;
  memset(&j, 0, sizeof j);
  ysg_composite_op op;
  comp_op_make(n, st->has_matte, &op);
  j.op = &op;
  j.fg = ysg_node_input(n, 0, 0);
  j.bg = ysg_node_input(n, 1, 0);
  j.matte = ysg_node_input(n, 2, 0);
  j.out = ysg_node_output(n, 0);
  int W = j.fg->width, H = j.fg->height;
  if (W <= 0 || H <= 0) return YSG_OK;
  ysg_value s1, s2;
  if (st->bg_blur && op.bg_op.sigma > 0.0f) {
    s1 = scratch_image(n, st->h_s1, st->h_s1t, W, H);
    ysg__blur_image(n, &st->bb, j.bg, &s1, &op.bg_op);
    j.bg = &s1;
  }
  if (st->wrap && op.wrap > 0.0f) {
    s2 = scratch_image(n, st->h_s2, st->h_s2t, W, H);
    ysg__blur_image(n, &st->bb, j.bg, &s2, &op.wrap_op);
    j.bgw = &s2;
    j.a = ysg_node_scratch(n, st->h_a);
    float *mw = ysg_node_scratch(n, st->h_mw);
    ysg_node_parallel_for(n, H, 4, alpha_rows, &j);
    ysg__matte_blur(n, j.a, mw, ysg_node_scratch(n, st->h_tmp), W, H, &op.wrap_k,
                    ysg_node_scratch(n, st->h_lines), st->workers);
    j.mw = mw;
  }
  ysg_node_parallel_for(n, H, 4, comp_rows, &j);
  ysg__matte_tiles_on(j.out);
  return YSG_OK;
}

/* ---- CUDA path ---------------------------------------------------------------------------------
 * Parameter block: ysg_composite_op (comp_op_make); its kernels and blur settings are read by
 * cuda/blur.cu and cuda/matte_composite.cu from there. Device scratch: the launcher's work for
 * the configured options. */
#ifdef YSG_HAVE_CUDA
static void comp_cfg(const comp_state *st, ysg_composite_cfg *cfg) {
  cfg->bg_blur = st->bg_blur;
  cfg->wrap = st->wrap;
  cfg->has_matte = st->has_matte;
}

static ysg_status comp_device_infer(ysg_node *n) {
  comp_state *st = ysg_node_state(n);
  const ysg_value *fg = ysg_node_input(n, 0, 0);
  int W = fg->width > 0 ? fg->width : 1, H = fg->height > 0 ? fg->height : 1;
  ysg_composite_cfg cfg;
  comp_cfg(st, &cfg);
  ysg_status s = ysg_node_request_param_block(n, sizeof(ysg_composite_op));
  if (!s)
    s = ysg_node_request_device_scratch(n, ysg__cuda_composite_work_bytes(W, H, &cfg), 0,
                                        &st->d_work);
  return s;
}

static ysg_status comp_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  const comp_state *st = ysg_node_state(n);
  ysg_composite_op *op = ysg_node_param_block(n);
  if (!op || !st) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  comp_op_make(n, st->has_matte, op);
  return YSG_OK;
}

static ysg_status comp_device_run(ysg_node *n, void *stream) {
  const comp_state *st = ysg_node_state(n);
  const ysg_value *fg = ysg_node_input_device(n, 0, 0), *bg = ysg_node_input_device(n, 1, 0),
                  *m = ysg_node_input_device(n, 2, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  const ysg_composite_op *op = ysg_node_param_block_device(n);
  void *work = ysg_node_device_scratch(n, st->d_work);
  if (!fg || !bg || !out || !op || !work)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the images are missing");
  ysg_composite_cfg cfg;
  comp_cfg(st, &cfg);
  char err[512] = "";
  ysg_status s = ysg__cuda_composite(fg->px, fg->tiles, bg->px, bg->tiles, m ? m->px : NULL,
                                     m ? m->tiles : NULL, fg->width, fg->height, out->px,
                                     out->tiles, op, &cfg, work, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops comp_device = {
    .infer = comp_device_infer,
    .prepare = comp_prepare,
    .run = comp_device_run,
};
#endif

const ysg_node_type ysg__node_composite = {
    .name = "composite",
    .category = "matte",
    .doc =
        "Composites fg over bg through a matte (fg × matte alpha, or fg's own alpha), "
        "premultiplied in linear light: out = F + B·(1 − αF). light_wrap mixes the "
        "background blurred by wrap_sigma into the foreground where its blurred alpha falls "
        "off (its edge); bg_blur blurs the background first (portrait mode: give the frame "
        "itself as bg).",
    .inputs = inputs,
    .n_inputs = 3,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = comp_infer,
    .run = comp_run,
    .destroy = comp_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &comp_device,
#endif
};
