/* gradient.c — the `gradient` node: a canvas-sized linear or radial two-colour gradient,
 * interpolated in linear light or in sRGB. The per-pixel math is ysg_gradient_px (engine/blend.h),
 * shared with the CUDA kernel; here only the iteration is chosen. */
#include <string.h>

#include "blend.h"
#include "ysgraph/node.h"

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

#define SPAN 64 /* pixels per conversion batch */

typedef struct grad_job {
  const ysg_gradient_params *g;
  uint16_t *px;
  int width;
} grad_job;

static void grad_rows(void *ud, int y0, int y1) {
  const grad_job *j = ud;
  const ysg_gradient_params *g = j->g;
  size_t row_halves = (size_t)j->width * 4;
  for (int y = y0; y < y1; y++) {
    uint16_t *row = j->px + (size_t)y * row_halves;
    float c[4];
    if (!g->radial && g->dx == 0.0f) { /* t is constant along the row: evaluate once */
      uint16_t h[4];
      ysg_gradient_px(g, 0, y, c);
      ysg_store_px(h, c);
      for (int x = 0; x < j->width; x++) memcpy(row + 4 * x, h, sizeof h);
    } else if (!g->radial && g->dy == 0.0f && y > y0) { /* constant along columns */
      memcpy(row, row - row_halves, row_halves * sizeof *row);
    } else { /* general case: spans of pixels in FP32, converted to FP16 a span at a time */
      float buf[4 * SPAN];
      for (int x0 = 0; x0 < j->width; x0 += SPAN) {
        int npx = j->width - x0 < SPAN ? j->width - x0 : SPAN;
        for (int i = 0; i < npx; i++) ysg_gradient_px(g, x0 + i, y, buf + 4 * i);
        ysg_floats_to_halves(buf, row + 4 * (size_t)x0, 4 * npx);
      }
    }
  }
}

static ysg_status grad_infer(ysg_node *n) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  return YSG_OK;
}

static ysg_status grad_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  ysg_value *out = ysg_node_output(n, 0);
  float from[4], to[4];
  ysg_node_color(n, P_FROM, from);
  ysg_node_color(n, P_TO, to);
  ysg_gradient_params g;
  ysg_gradient_setup(&g, from, to, ysg_node_enum(n, P_TYPE) == 1, ysg_node_number(n, P_ANGLE),
                     ysg_node_enum(n, P_SPACE) == 1, out->width, out->height);
  grad_job j = {&g, out->px, out->width};
  ysg_node_parallel_for(n, out->height, 16, grad_rows, &j);
  if (out->tiles)
    memset(out->tiles, ysg_gradient_nonzero(&g), (size_t)out->tiles_x * (size_t)out->tiles_y);
  return YSG_OK;
}

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
    .run = grad_run,
};
