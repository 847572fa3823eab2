/* fill.c — the `fill` node: a canvas-sized image of one colour (animatable), the simplest
 * background. Every tile is marked occupied unless the colour is fully transparent. On the CUDA
 * backend the colour goes through the node's parameter block to cuda/composite.cu's fill. */
#include <string.h>

#include "blend.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#endif

enum { P_COLOR, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#000000", 0, 0, NULL, 0,
                 "colour (sRGB \"#rrggbb[aa]\" or {r,g,b[,a]})"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "canvas-sized image of the colour", NULL, 0},
};

typedef struct fill_job {
  uint16_t *px;
  int width;
  uint16_t half[4]; /* the premultiplied colour, already FP16 */
} fill_job;

static void fill_rows(void *ud, int y0, int y1) {
  const fill_job *j = ud;
  for (int y = y0; y < y1; y++) {
    uint16_t *row = j->px + (size_t)y * (size_t)j->width * 4;
    for (int x = 0; x < j->width; x++) memcpy(row + 4 * x, j->half, sizeof j->half);
  }
}

static ysg_status fill_infer(ysg_node *n) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  return YSG_OK;
}

/* This frame's colour, premultiplied linear (what both backends fill with). */
static void fill_color(const ysg_node *n, float c[4]) {
  float straight[4];
  ysg_node_color(n, P_COLOR, straight);
  straight[3] = ysg_clamp01(straight[3]);
  ysg_premultiply(straight, c);
}

static ysg_status fill_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  ysg_value *out = ysg_node_output(n, 0);
  float c[4];
  fill_color(n, c);
  fill_job j = {out->px, out->width, {0}};
  ysg_store_px(j.half, c);
  ysg_node_parallel_for(n, out->height, 16, fill_rows, &j);
  if (out->tiles)
    memset(out->tiles, c[3] > 0.0f ? 1 : 0, (size_t)out->tiles_x * (size_t)out->tiles_y);
  return YSG_OK;
}

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: float[4], the premultiplied colour (fill_color). No scratch; the image header
 * is the engine's. */
#ifdef YSG_HAVE_CUDA
static ysg_status fill_device_infer(ysg_node *n) {
  return ysg_node_request_param_block(n, 4 * sizeof(float));
}

static ysg_status fill_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  float *c = ysg_node_param_block(n);
  if (!c) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  fill_color(n, c);
  return YSG_OK;
}

static ysg_status fill_device_run(ysg_node *n, void *stream) {
  ysg_value *out = ysg_node_output_device(n, 0);
  const float *c = ysg_node_param_block_device(n);
  if (!out || !c)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the output are missing");
  char err[512] = "";
  ysg_status s =
      ysg__cuda_fill(out->px, out->tiles, out->width, out->height, c, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops fill_device = {
    .infer = fill_device_infer,
    .prepare = fill_prepare,
    .run = fill_device_run,
};
#endif

const ysg_node_type ysg__node_fill = {
    .name = "fill",
    .category = "source",
    .doc = "A canvas-sized image filled with one colour; use it as a background layer of merge.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = fill_infer,
    .run = fill_run,
#ifdef YSG_HAVE_CUDA
    .device = &fill_device,
#endif
};
