/* fill.c — the `fill` node: a canvas-sized image of one colour (animatable), the simplest
 * background, rendered tile by tile (ysg_tile_ops, so a merge can fuse it). Every tile is marked
 * occupied unless the colour is fully transparent. On the CUDA backend the colour goes through
 * the node's parameter block to cuda/composite.cu's fill. */
#include <string.h>

#include "blend.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#endif

enum { P_COLOR, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#000000", 0, 0, NULL, 0,
                 "colour (sRGB \"#rrggbb[aa]\" or {r,g,b[,a]})"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "canvas-sized image of the colour", NULL, 0},
};

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

/* Tile rendering (ysg_tile_ops): prepare stores this frame's colour as FP16 in the node state;
 * every tile is that colour, or empty when it is fully transparent. */
typedef struct fill_state {
  uint16_t half[4]; /* the premultiplied colour, FP16 */
  int empty;        /* alpha 0: every pixel is 0 */
} fill_state;

static void fill_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status fill_init(ysg_node *n) {
  fill_destroy(n);
  fill_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  return YSG_OK;
}

static ysg_status fill_tile_prepare(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  fill_state *st = ysg_node_state(n);
  float c[4];
  fill_color(n, c);
  ysg_store_px(st->half, c);
  st->empty = !(c[3] > 0.0f);
  return YSG_OK;
}

static int fill_tile_render(const ysg_node *n, const ysg_tile *t) {
  const fill_state *st = ysg_node_state(n);
  if (st->empty) return 0;
  for (int y = 0; y < t->h; y++) {
    uint16_t *row = t->px + (size_t)y * t->stride;
    for (int x = 0; x < t->w; x++) memcpy(row + 4 * x, st->half, sizeof st->half);
  }
  return 1;
}

static const ysg_tile_ops fill_tile = {
    .prepare = fill_tile_prepare,
    .render = fill_tile_render,
};

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

/* fused into a merge: nothing to enqueue, the merge's kernel reads the colour */
static ysg_status fill_fused_run(ysg_node *n, void *stream) {
  (void)n, (void)stream;
  return YSG_OK;
}

static ysg_status fill_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  out->kind = YSG_FUSED_FILL;
  out->params = ysg_node_param_block_device(n);
  return out->params ? YSG_OK : YSG_ERR_INVALID;
}

static const struct ysg_device_fused fill_fused = {YSG_FUSED_FILL, fill_fused_run,
                                                   fill_fused_layer};

static const ysg_device_ops fill_device = {
    .infer = fill_device_infer,
    .prepare = fill_prepare,
    .run = fill_device_run,
    .fused = &fill_fused,
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
    .init = fill_init,
    .infer = fill_infer,
    .run = ysg_node_run_tiles,
    .destroy = fill_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &fill_device,
#endif
    .tile = &fill_tile,
};
