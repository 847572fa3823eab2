/* glow.c — the `glow` node: the bloom look for lines and dots. The parts of a layer brighter than
 * `threshold` (soft knee) are blurred and added back `intensity` times, premultiplied, so light
 * adds and alpha saturates at 1. The blur is the `blur` node's code (nodes/blur.c, ysg__blur_*);
 * the threshold and the add are engine/blur_math.h, shared with cuda/blur.cu, and on the CUDA
 * backend glow runs blur's device path (the blur launcher with op.glow = 1). */
#include "blur_math.h"
#include "ysgraph/node.h"

enum { P_SIGMA, P_INTENSITY, P_THRESHOLD, P_TRUNCATE, P_EDGE, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_SIGMA] = {"sigma", YSG_PARAM_NUMBER, "8", 0, YSG_BLUR_SIGMA_MAX, NULL, 0,
                 "px: spread of the glow (the Gaussian's standard deviation)"},
    [P_INTENSITY] = {"intensity", YSG_PARAM_NUMBER, "1", 0, 16, NULL, 0,
                     "how many times the blurred copy is added"},
    [P_THRESHOLD] = {"threshold", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                     "only luminance·alpha above this glows (soft knee of half the threshold)"},
    [P_TRUNCATE] = {"truncate", YSG_PARAM_NUMBER, "3", 1, YSG_BLUR_TRUNCATE_MAX, NULL, 0,
                    "exact kernel radius = ceil(truncate·sigma), as in blur"},
    [P_EDGE] = {"edge", YSG_PARAM_ENUM, "transparent", 0, 0, YSG_EDGE_CHOICES, 0,
                "outside the image, as in blur"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the layer that glows", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the layer with its glow added, the size of the input", NULL, 0},
};

void ysg__glow_op_read(const ysg_node *n, ysg_blur_op *op) {
  op->sigma = (float)ysg_node_number(n, P_SIGMA);
  op->truncate = (float)ysg_node_number(n, P_TRUNCATE);
  op->edge = ysg_node_enum(n, P_EDGE);
  op->glow = 1;
  op->threshold = (float)ysg_node_number(n, P_THRESHOLD);
  op->intensity = (float)ysg_node_number(n, P_INTENSITY);
}

#ifdef YSG_HAVE_CUDA
/* nodes/blur.c: the blur launcher with op.glow = 1 (threshold in its horizontal pass, the add in
 * its vertical pass), parameter block and scratch as for blur */
extern const ysg_device_ops ysg__blur_device_ops;
#endif

static ysg_status glow_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  ysg_blur_op op;
  ysg__glow_op_read(n, &op);
  ysg__blur_apply(n, &op);
  return YSG_OK;
}

const ysg_node_type ysg__node_glow = {
    .name = "glow",
    .category = "effect",
    .doc =
        "Bloom: adds intensity × a Gaussian blur of the layer's parts brighter than threshold "
        "(soft knee) back onto the layer, premultiplied (alpha saturates at 1).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .flags = YSG_NODE_INPLACE,
    .infer = ysg__blur_infer,
    .run = glow_run,
    .destroy = ysg__blur_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &ysg__blur_device_ops,
#endif
};
