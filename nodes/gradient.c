/* gradient.c — the `gradient` node: a canvas-sized linear or radial two-colour gradient,
 * interpolated in linear light or in sRGB, rendered tile by tile (ysg_tile_ops: fusable into a
 * merge). The per-pixel math is ysg_gradient_px (engine/blend.h), shared with the CUDA kernel;
 * here only the iteration is chosen. The settings (with the sRGB table) are computed again only
 * when a parameter changes, for both backends. */
#include <stddef.h>
#include <string.h>

#include "blend.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#endif

enum { P_FROM, P_TO, P_TYPE, P_ANGLE, P_SPACE, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_FROM] = {"from", YSG_PARAM_COLOR, "#0b1030", 0, 0, NULL, 0, "colour at the start (t = 0)"},
    [P_TO] = {"to", YSG_PARAM_COLOR, "#1f3a73", 0, 0, NULL, 0, "colour at the end (t = 1)"},
    [P_TYPE] = {"type", YSG_PARAM_ENUM, "linear", 0, 0, "linear|radial", 0,
                "linear along angle, or radial from the centre to the farthest corner"},
    [P_ANGLE] = {"angle", YSG_PARAM_NUMBER, "90", 0, 0, NULL, 0,
                 "direction in degrees (0: left to right, 90: top to bottom)"},
    [P_SPACE] = {"space", YSG_PARAM_ENUM, "linear", 0, 0, "linear|srgb", 0,
                 "interpolate in linear light or in sRGB-encoded values"},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "canvas-sized gradient", NULL, 0},
};

/* What ysg_gradient_setup was last called with, and its result (node state). */
typedef struct grad_key {
  float from[4], to[4];
  double angle;
  int radial, srgb, width, height;
} grad_key;

typedef struct grad_state {
  int valid;
  grad_key key;
  ysg_gradient_params g;
} grad_state;

static void grad_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status grad_infer(ysg_node *n) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  grad_destroy(n); /* infer may run again when a pipeline is re-planned */
  grad_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  return YSG_OK;
}

/* This frame's settings for a width × height image (both backends draw with them). Setting up
 * an sRGB gradient evaluates its 513-entry table, so the result is kept until a param changes. */
static const ysg_gradient_params *grad_params(const ysg_node *n, int width, int height) {
  grad_state *st = ysg_node_state(n);
  grad_key k;
  memset(&k, 0, sizeof k); /* padding too: keys are compared with memcmp */
  ysg_node_color(n, P_FROM, k.from);
  ysg_node_color(n, P_TO, k.to);
  k.angle = ysg_node_number(n, P_ANGLE);
  k.radial = ysg_node_enum(n, P_TYPE) == 1;
  k.srgb = ysg_node_enum(n, P_SPACE) == 1;
  k.width = width;
  k.height = height;
  if (!st->valid || memcmp(&k, &st->key, sizeof k) != 0) {
    ysg_gradient_setup(&st->g, k.from, k.to, k.radial, k.angle, k.srgb, width, height);
    st->key = k;
    st->valid = 1;
  }
  return &st->g;
}

/* Tile rendering (ysg_tile_ops): prepare brings the settings up to date; a tile is evaluated
 * row by row — once per row when t is constant along rows, one row copied down when constant
 * along columns, else every pixel in FP32 and converted to FP16 a row at a time. */
static ysg_status grad_tile_prepare(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  const ysg_canvas *cv = ysg_node_canvas(n);
  grad_params(n, cv->width, cv->height);
  return YSG_OK;
}

/* A row of a linear gradient interpolated in linear light: t for every pixel first, then the
 * colours, in the expressions (and so the bits) of ysg_gradient_px, laid out so both loops
 * vectorise. */
static void grad_row_linear(const ysg_gradient_params *g, int x0, int y, int w, float *c) {
  float py = (float)y + 0.5f - g->cy, dx = g->dx, dy = g->dy, cx = g->cx, t[YSG_TILE];
  float from[4] = {g->from[0], g->from[1], g->from[2], g->from[3]};
  float to[4] = {g->to[0], g->to[1], g->to[2], g->to[3]};
  for (int x = 0; x < w; x++) {
    float px = (float)(x0 + x) + 0.5f - cx;
    t[x] = ysg_clamp01(px * dx + py * dy + 0.5f);
  }
  for (int x = 0; x < w; x++)
    for (int k = 0; k < 4; k++) c[4 * x + k] = (1.0f - t[x]) * from[k] + t[x] * to[k];
}

YSG_CPU_CLONES static int grad_tile_render(const ysg_node *n, const ysg_tile *t) {
  const ysg_gradient_params *g = &((const grad_state *)ysg_node_state(n))->g;
  if (!ysg_gradient_nonzero(g)) return 0;
  for (int y = 0; y < t->h; y++) {
    uint16_t *row = t->px + (size_t)y * t->stride;
    float c[4 * YSG_TILE];
    if (!g->radial && g->dx == 0.0f) { /* t is constant along the row: evaluate once */
      uint16_t h[4];
      ysg_gradient_px(g, 0, t->y0 + y, c);
      ysg_store_px(h, c);
      for (int x = 0; x < t->w; x++) memcpy(row + 4 * x, h, sizeof h);
    } else if (!g->radial && g->dy == 0.0f && y > 0) { /* constant along columns */
      memcpy(row, row - t->stride, sizeof *row * 4 * (size_t)t->w);
    } else {
      if (!g->radial && !g->srgb)
        grad_row_linear(g, t->x0, t->y0 + y, t->w, c);
      else
        for (int x = 0; x < t->w; x++) ysg_gradient_px(g, t->x0 + x, t->y0 + y, c + 4 * x);
      ysg_floats_to_halves(c, row, 4 * t->w);
    }
  }
  return 1;
}

static const ysg_tile_ops grad_tile = {
    .prepare = grad_tile_prepare,
    .render = grad_tile_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_gradient_params (grad_params; 8268 bytes, all 4-byte fields); the
 * sRGB table at its end is copied only when space is srgb (the kernel reads it only then). No
 * scratch; the image header is the engine's. */
#ifdef YSG_HAVE_CUDA
static ysg_status grad_device_infer(ysg_node *n) {
  return ysg_node_request_param_block(n, sizeof(ysg_gradient_params));
}

static ysg_status grad_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_gradient_params *block = ysg_node_param_block(n);
  const ysg_value *out = ysg_node_output_device(n, 0);
  if (!block || !out) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  const ysg_gradient_params *g = grad_params(n, out->width, out->height);
  memcpy(block, g, g->srgb ? sizeof *g : offsetof(ysg_gradient_params, lut));
  return YSG_OK;
}

static ysg_status grad_device_run(ysg_node *n, void *stream) {
  ysg_value *out = ysg_node_output_device(n, 0);
  const ysg_gradient_params *g = ysg_node_param_block_device(n);
  if (!out || !g)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the output are missing");
  char err[512] = "";
  ysg_status s =
      ysg__cuda_gradient(out->px, out->tiles, out->width, out->height, g, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* fused into a merge: nothing to enqueue, the merge's kernel reads the settings */
static ysg_status grad_fused_run(ysg_node *n, void *stream) {
  (void)n, (void)stream;
  return YSG_OK;
}

static ysg_status grad_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  out->kind = YSG_FUSED_GRADIENT;
  out->params = ysg_node_param_block_device(n);
  return out->params ? YSG_OK : YSG_ERR_INVALID;
}

static const struct ysg_device_fused grad_fused = {YSG_FUSED_GRADIENT, grad_fused_run,
                                                   grad_fused_layer};

static const ysg_device_ops grad_device = {
    .infer = grad_device_infer,
    .prepare = grad_prepare,
    .run = grad_device_run,
    .fused = &grad_fused,
};
#endif

const ysg_node_type ysg__node_gradient = {
    .name = "gradient",
    .category = "source",
    .doc =
        "A canvas-sized two-colour gradient, linear at an angle or radial from the centre, "
        "interpolated (premultiplied) in linear light or in sRGB; a typical background layer.",
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = grad_infer,
    .run = ysg_node_run_tiles,
    .destroy = grad_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &grad_device,
#endif
    .tile = &grad_tile,
};
