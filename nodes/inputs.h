/* inputs.h — host-fed input nodes (points_in, boxes_in, image_in): the calls behind the public
 * ysg_pipeline_set_points/boxes/image, which check the node's type before calling these. Data is
 * validated, converted to the engine's conventions (linear-light colour, FP16 premultiplied
 * pixels) and copied into node state; the next frames read it until the next set call. */
#ifndef YSG_INPUTS_H
#define YSG_INPUTS_H

#include "ysgraph/node.h"

extern const ysg_node_type ysg__node_points_in, ysg__node_boxes_in, ysg__node_image_in;

ysg_status ysg__input_set_points(ysg_node *n, const ysg_points_desc *d);
ysg_status ysg__input_set_boxes(ysg_node *n, const ysg_boxes_desc *d);
ysg_status ysg__input_set_image(ysg_node *n, const ysg_image_desc *d);

/* An image the node reads at every frame instead of a copy (DLPack tensors): pixels stay the
 * lender's until release(ud) is called — when a later set replaces it or the node is destroyed. */
typedef struct ysg_image_source {
  int width, height;
  ysg_pixel_format format;
  const void *pixels;
  size_t stride; /* bytes per row; 0: packed */
  int device;    /* 1: CUDA device memory (the node must run on the device) */
  void (*release)(void *ud);
  void *ud;
} ysg_image_source;
/* On failure the source stays the caller's (release is not called). */
ysg_status ysg__input_set_image_source(ysg_node *n, const ysg_image_source *src);

#endif /* YSG_INPUTS_H */
