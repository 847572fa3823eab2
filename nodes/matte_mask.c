/* matte_mask.c — the `mask_in` node: a matte from any image value — its alpha, or its luma or
 * one colour channel (a matte made elsewhere: a matting network's output, a rotoscoped PNG
 * sequence, a matte video) — so external mattes drive matte/composite like a keyer's. Colour
 * channels are read as sRGB code values by default, which is how matte files store them.
 * Math: ysg_mask_px (engine/matte_math.h); CUDA: cuda/matte_key.cu. */
#include <string.h>

#include "matte_filter.h"
#include "matte_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/matte_api.h"
#endif

enum { P_SOURCE, P_TRANSFER, P_INVERT, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_SOURCE] = {"source", YSG_PARAM_ENUM, "alpha", 0, 0, YSG_MASK_SOURCES, YSG_PARAM_STATIC,
                  "what holds the matte: alpha, luma (BT.709) or one colour channel"},
    [P_TRANSFER] = {"transfer", YSG_PARAM_ENUM, "srgb", 0, 0, "srgb|linear", YSG_PARAM_STATIC,
                    "luma/colour: srgb reads code values (matte files), linear the light itself"},
    [P_INVERT] = {"invert", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC,
                  "1 − the matte (a matte that is white on the background)"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "any image: a PNG (sequence), a video, a host's image", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"matte", YSG_IMAGE, 0, "the matte (m, m, m, m)", NULL, 0},
};

static ysg_status mask_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = in->width;
  out->height = in->height;
  return YSG_OK;
}

typedef struct mask_job {
  const ysg_value *in;
  ysg_value *out;
  int source, srgb, invert;
} mask_job;

static void mask_rows(void *ud, int y0, int y1) {
  const mask_job *j = ud;
  int W = j->in->width;
  float px[4 * YSG_TILE], m[YSG_TILE];
  for (int y = y0; y < y1; y++) {
    const uint8_t *trow = j->in->tiles + (size_t)(y / YSG_TILE) * (size_t)j->in->tiles_x;
    float row_m[4 * YSG_TILE];
    for (int x0 = 0; x0 < W; x0 += YSG_TILE) {
      int n = W - x0 < YSG_TILE ? W - x0 : YSG_TILE;
      size_t off = ((size_t)y * W + (size_t)x0) * 4;
      if (trow[x0 / YSG_TILE])
        ysg_halves_to_floats(j->in->px + off, px, 4 * n);
      else
        memset(px, 0, sizeof px);
      for (int i = 0; i < n; i++) m[i] = ysg_mask_px(px + 4 * i, j->source, j->srgb, j->invert);
      for (int i = 0; i < n; i++)
        row_m[4 * i] = row_m[4 * i + 1] = row_m[4 * i + 2] = row_m[4 * i + 3] = m[i];
      ysg_floats_to_halves(row_m, j->out->px + off, 4 * n);
    }
  }
}

static ysg_status mask_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  mask_job j = {ysg_node_input(n, 0, 0), ysg_node_output(n, 0), ysg_node_enum(n, P_SOURCE),
                ysg_node_enum(n, P_TRANSFER) == 0, ysg_node_bool(n, P_INVERT)};
  ysg_node_parallel_for(n, j.in->height, 8, mask_rows, &j);
  ysg__matte_tiles_on(j.out);
  return YSG_OK;
}

/* ---- CUDA path: no parameter block (every parameter is static) ------------------------------ */
#ifdef YSG_HAVE_CUDA
static ysg_status mask_device_run(ysg_node *n, void *stream) {
  const ysg_value *in = ysg_node_input_device(n, 0, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  if (!in || !out)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the images are missing");
  char err[512] = "";
  ysg_status s = ysg__cuda_mask_in(in->px, in->tiles, in->width, in->height, out->px, out->tiles,
                                   ysg_node_enum(n, P_SOURCE), ysg_node_enum(n, P_TRANSFER) == 0,
                                   ysg_node_bool(n, P_INVERT), stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops mask_device = {.run = mask_device_run};
#endif

const ysg_node_type ysg__node_mask_in = {
    .name = "mask_in",
    .category = "matte",
    .doc =
        "A matte from any image value: its alpha, or its BT.709 luma or one colour channel "
        "(premultiplied, i.e. over black; as sRGB code values unless transfer=linear), "
        "optionally inverted, so mattes made by other tools (a matting network run elsewhere, "
        "a rotoscoped PNG sequence, a matte video) drive matte and composite.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .infer = mask_infer,
    .run = mask_run,
#ifdef YSG_HAVE_CUDA
    .device = &mask_device,
#endif
};
