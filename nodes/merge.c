/* merge.c — the `merge` node: composites any number of image layers, in order, over a
 * background, each with a blend mode and an opacity, in one pass over the output tiles. Tiles
 * where a layer is empty skip that layer; the output's occupancy is the OR of the layers'. Layers
 * from render nodes that nothing else reads are fused (ysg_node_input_tiles renders their tiles
 * into cache-resident buffers during the pass; their images are never made). The output may
 * share memory with the first layer (YSG_NODE_INPLACE). Blend math: engine/blend.h. On the CUDA
 * backend cuda/composite.cu's merge reads the layers' addresses, modes and opacities from the
 * node's parameter block. */
#include <string.h>

#include "blend.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#endif

enum { P_BACKGROUND, P_COUNT };
enum { LP_MODE, LP_OPACITY, LP_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_BACKGROUND] = {"background", YSG_PARAM_COLOR, "#00000000", 0, 0, NULL, 0,
                      "colour under the first layer (default: the canvas background)"},
};

static const ysg_param_def link_params[LP_COUNT] = {
    [LP_MODE] = {"mode", YSG_PARAM_ENUM, "normal", 0, 0, YSG_BLEND_CHOICES, 0,
                 "blend mode of this layer onto what lies below it"},
    [LP_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                    "scales the layer (premultiplied) before blending"},
};

static const ysg_port_def inputs[] = {
    {"layers", YSG_IMAGE, YSG_PORT_MULTI | YSG_PORT_TILED,
     "images composited bottom to top, all the same size", link_params, LP_COUNT},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the composite, the size of the layers", NULL, 0},
};

/* Per-layer arrays sized in infer and refreshed every frame (no per-frame allocation). */
typedef struct merge_state {
  int n;
  ysg_blend_layer *layers; /* (n) */
  uint8_t *want;           /* (n) the layer is visible (opacity > 0): read or render it */
} merge_state;

typedef struct merge_job {
  const merge_state *st;
  float bg[4]; /* premultiplied linear */
  uint16_t bg_half[4];
  int bg_zero; /* all four background channels are 0 */
  uint8_t *out_tiles;
  int tiles_x;
} merge_job;

/* Blend npx pixels of one layer onto acc. The switch sits outside the loop so each case inlines
 * ysg_blend_px with a constant mode: the same math as the kernel, without a branch per channel. */
static void blend_span(int mode, const float *src, float opacity, float *acc, int npx) {
  switch (mode) {
#define SPAN(M)                                                                       \
  case M:                                                                             \
    for (int i = 0; i < npx; i++) ysg_blend_px(M, src + 4 * i, opacity, acc + 4 * i); \
    break;
    SPAN(YSG_BLEND_ADD)
    SPAN(YSG_BLEND_MULTIPLY)
    SPAN(YSG_BLEND_SCREEN)
    SPAN(YSG_BLEND_OVERLAY)
    SPAN(YSG_BLEND_LIGHTEN)
    SPAN(YSG_BLEND_DARKEN)
    SPAN(YSG_BLEND_DIFFERENCE)
    SPAN(YSG_BLEND_MAX)
    SPAN(YSG_BLEND_MIN)
    SPAN(YSG_BLEND_NORMAL)
#undef SPAN
    default:
      for (int i = 0; i < npx; i++)
        ysg_blend_px(YSG_BLEND_NORMAL, src + 4 * i, opacity, acc + 4 * i);
      break;
  }
}

/* One output tile (ysg_node_input_tiles hands over each layer's tile: materialised or rendered
 * just now by a fused layer): the tile starts as the background and each layer active on it is
 * blended in order, exactly as ysg_composite_px does per pixel on the GPU. A layer's tile is
 * converted whole before it is blended, and blended whole before the next: the FP32 rows are
 * then read long after they were stored (a 64-byte load right behind the two 32-byte stores that
 * wrote it stalls the store forwarding). Every layer is read before the tile is stored, so the
 * output may be layer 0 (in place). */
YSG_CPU_CLONES static void merge_tile(void *ud, const ysg_tile *o, const ysg_tile_src *src) {
  const merge_job *j = ud;
  const merge_state *st = j->st;
  float acc[YSG_TILE * 4 * YSG_TILE], px[YSG_TILE * 4 * YSG_TILE]; /* rows of 4·YSG_TILE */
  int first = -1, count = 0, w = o->w, h = o->h;
  for (int k = 0; k < st->n; k++)
    if (src[k].active) {
      if (first < 0) first = k;
      count++;
    }
  int tile = o->ty * j->tiles_x + o->tx;
  if (j->out_tiles) j->out_tiles[tile] = (uint8_t)(count > 0 || !j->bg_zero);
  if (count == 0) {
    for (int y = 0; y < h; y++)
      for (int i = 0; i < w; i++) memcpy(o->px + (size_t)y * o->stride + 4 * i, j->bg_half, 8);
    return;
  }
  /* one opaque-blended layer over nothing is the layer itself (s·1 + 0 = s exactly): copy it,
   * or leave it where it is when merging in place (an untouched background layer) */
  if (count == 1 && j->bg_zero && st->layers[first].mode == YSG_BLEND_NORMAL &&
      st->layers[first].opacity == 1.0f) {
    for (int y = 0; y < h; y++) {
      const uint16_t *s = src[first].px + (size_t)y * src[first].stride;
      uint16_t *row = o->px + (size_t)y * o->stride;
      if (s != row) memcpy(row, s, 8 * (size_t)w);
    }
    return;
  }
  for (int y = 0; y < h; y++)
    for (int i = 0; i < w; i++)
      for (int c = 0; c < 4; c++) acc[y * 4 * YSG_TILE + 4 * i + c] = j->bg[c];
  for (int k = first; k < st->n; k++) {
    if (!src[k].active) continue;
    for (int y = 0; y < h; y++)
      ysg_halves_to_floats(src[k].px + (size_t)y * src[k].stride, px + y * 4 * YSG_TILE, 4 * w);
    for (int y = 0; y < h; y++)
      blend_span(st->layers[k].mode, px + y * 4 * YSG_TILE, st->layers[k].opacity,
                 acc + y * 4 * YSG_TILE, w);
  }
  for (int y = 0; y < h; y++)
    ysg_floats_to_halves(acc + y * 4 * YSG_TILE, o->px + (size_t)y * o->stride, 4 * w);
}

static void merge_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status merge_infer(ysg_node *n) {
  int nl = ysg_node_input_count(n, 0);
  ysg_value *out = ysg_node_output(n, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  out->width = cv->width;
  out->height = cv->height;
  if (nl > 0) {
    const ysg_value *first = ysg_node_input(n, 0, 0);
    for (int k = 1; k < nl; k++) {
      const ysg_value *v = ysg_node_input(n, 0, k);
      if (v->width != first->width || v->height != first->height)
        return ysg_node_fail(n, YSG_ERR_PIPELINE, "layer %d is %d×%d, expected %d×%d like layer 1",
                             k + 1, v->width, v->height, first->width, first->height);
    }
    out->width = first->width;
    out->height = first->height;
  }
  merge_destroy(n); /* infer may run again when a pipeline is re-planned */
  size_t n_ = (size_t)(nl > 0 ? nl : 1);
  size_t bytes = sizeof(merge_state) + n_ * (sizeof(ysg_blend_layer) + 1);
  unsigned char *mem = ysg_node_alloc(n, bytes);
  if (!mem) return YSG_ERR_NOMEM;
  merge_state *st = (merge_state *)mem;
  st->n = nl;
  st->layers = (ysg_blend_layer *)(mem + sizeof *st);
  st->want = mem + sizeof *st + n_ * sizeof(ysg_blend_layer);
  ysg_node_set_state(n, st);
  return YSG_OK;
}

/* This frame's background (premultiplied linear) and each layer's mode and opacity: what both
 * backends composite with. */
static void merge_params(const ysg_node *n, int n_layers, float bg[4], ysg_blend_layer *layers) {
  for (int k = 0; k < n_layers; k++) {
    int mode = ysg_node_link_enum(n, 0, k, LP_MODE);
    layers[k].mode = mode >= 0 && mode < YSG_BLEND_COUNT ? mode : YSG_BLEND_NORMAL;
    layers[k].opacity = ysg_clamp01((float)ysg_node_link_number(n, 0, k, LP_OPACITY));
  }
  if (ysg_node_param_is_set(n, P_BACKGROUND)) {
    float straight[4];
    ysg_node_color(n, P_BACKGROUND, straight);
    straight[3] = ysg_clamp01(straight[3]);
    ysg_premultiply(straight, bg);
  } else {
    memcpy(bg, ysg_node_canvas(n)->background, 4 * sizeof(float));
  }
}

static ysg_status merge_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  merge_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output(n, 0);
  merge_job j;
  j.st = st;
  merge_params(n, st->n, j.bg, st->layers);
  for (int k = 0; k < st->n; k++) st->want[k] = st->layers[k].opacity > 0.0f;
  ysg_store_px(j.bg_half, j.bg);
  j.bg_zero = j.bg[0] == 0.0f && j.bg[1] == 0.0f && j.bg[2] == 0.0f && j.bg[3] == 0.0f;
  j.out_tiles = out->tiles;
  j.tiles_x = out->tiles_x;
  ysg_node_input_tiles(n, 0, st->want, merge_tile, &j);
  return YSG_OK;
}

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block for L layers (each piece 16-byte aligned):
 *   0:         float bg[4]                    premultiplied linear background
 *   16:        ysg_blend_layer layers[L]      mode, opacity (8 bytes each)
 *   off_px:    const uint16_t *px[L]          the layers' device pixel arrays
 *   off_tiles: const uint8_t *tiles[L]        their device tile grids
 * The addresses are fixed for the pipeline but are written every frame with the rest, since the
 * staging block is this frame's. No scratch; the image header is the engine's. */
#ifdef YSG_HAVE_CUDA
static size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }

static size_t off_layers(void) { return align16(4 * sizeof(float)); }
static size_t off_px(int L) {
  return off_layers() + align16((size_t)(L > 0 ? L : 1) * sizeof(ysg_blend_layer));
}
static size_t off_tiles(int L) {
  return off_px(L) + align16((size_t)(L > 0 ? L : 1) * sizeof(void *));
}

/* With fused layers the block is instead: float bg[4], then ysg_fused_layer layers[L] (each
 * layer's kind, mode, opacity and addresses: cuda/fused.cu's one kernel renders and composites). */
static int any_fused(const ysg_node *n) {
  for (int k = 0; k < ysg_node_input_count(n, 0); k++)
    if (ysg_node_input_fused(n, 0, k)) return 1;
  return 0;
}

static ysg_status merge_device_infer(ysg_node *n) {
  int L = ysg_node_input_count(n, 0);
  if (any_fused(n))
    return ysg_node_request_param_block(
        n, 4 * sizeof(float) + (size_t)(L > 0 ? L : 1) * sizeof(ysg_fused_layer));
  return ysg_node_request_param_block(n, off_tiles(L) + (size_t)(L > 0 ? L : 1) * sizeof(void *));
}

static ysg_status merge_prepare_fused(ysg_node *n, unsigned char *b) {
  int L = ysg_node_input_count(n, 0);
  ysg_fused_layer *d = (ysg_fused_layer *)(void *)(b + 4 * sizeof(float));
  merge_state *st = ysg_node_state(n);
  merge_params(n, L, (float *)(void *)b, st->layers);
  for (int k = 0; k < L; k++) {
    memset(&d[k], 0, sizeof d[k]);
    if (ysg_node_input_fused(n, 0, k)) {
      ysg_status s = ysg__node_input_fused_layer(n, 0, k, &d[k]);
      if (s) return s;
    } else {
      const ysg_value *v = ysg_node_input_device(n, 0, k);
      if (!v) return ysg_node_fail(n, YSG_ERR_INVALID, "layer %d has no device view", k + 1);
      d[k].kind = YSG_FUSED_IMAGE;
      d[k].px = v->px;
      d[k].tiles = v->tiles;
    }
    d[k].mode = st->layers[k].mode;
    d[k].opacity = st->layers[k].opacity;
  }
  return YSG_OK;
}

static ysg_status merge_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  unsigned char *b = ysg_node_param_block(n);
  if (!b) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  if (any_fused(n)) return merge_prepare_fused(n, b);
  int L = ysg_node_input_count(n, 0);
  const uint16_t **px = (const uint16_t **)(void *)(b + off_px(L));
  const uint8_t **tiles = (const uint8_t **)(void *)(b + off_tiles(L));
  for (int k = 0; k < L; k++) {
    const ysg_value *v = ysg_node_input_device(n, 0, k);
    if (!v) return ysg_node_fail(n, YSG_ERR_INVALID, "layer %d has no device view", k + 1);
    px[k] = v->px;
    tiles[k] = v->tiles;
  }
  merge_params(n, L, (float *)(void *)b, (ysg_blend_layer *)(void *)(b + off_layers()));
  return YSG_OK;
}

static ysg_status merge_device_run(ysg_node *n, void *stream) {
  ysg_value *out = ysg_node_output_device(n, 0);
  const unsigned char *b = ysg_node_param_block_device(n);
  if (!out || !b)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the output are missing");
  int L = ysg_node_input_count(n, 0);
  char err[512] = "";
  if (any_fused(n)) {
    ysg_status s = ysg__cuda_merge_fused(
        out->px, out->tiles, (const ysg_fused_layer *)(const void *)(b + 4 * sizeof(float)),
        (const float *)(const void *)b, L, out->width, out->height, stream, err, sizeof err);
    return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
  }
  ysg_status s = ysg__cuda_merge(
      out->px, out->tiles, (const uint16_t *const *)(const void *)(b + off_px(L)),
      (const uint8_t *const *)(const void *)(b + off_tiles(L)),
      (const ysg_blend_layer *)(const void *)(b + off_layers()), (const float *)(const void *)b, L,
      out->width, out->height, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops merge_device = {
    .infer = merge_device_infer,
    .prepare = merge_prepare,
    .run = merge_device_run,
};
#endif

const ysg_node_type ysg__node_merge = {
    .name = "merge",
    .category = "composite",
    .doc =
        "Composites image layers bottom to top over a background, each with a blend mode "
        "(normal, add, multiply, screen, overlay, lighten, darken, difference; max = lighten, "
        "min = darken) and an opacity, in linear light, in one pass over the pixels.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .flags = YSG_NODE_INPLACE,
    .infer = merge_infer,
    .run = merge_run,
    .destroy = merge_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &merge_device,
#endif
};
