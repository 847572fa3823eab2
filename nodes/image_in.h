/* image_in.h — the image_in node's state, shared by its CPU path (image_in.c) and its CUDA path
 * (image_in_device.c). */
#ifndef YSG_IMAGE_IN_H
#define YSG_IMAGE_IN_H

#include "inputs.h"
#include "ysgraph/node.h"

typedef struct image_in_state {
  int w, h, tx, ty;
  uint16_t *px;         /* (h, w, 4) FP16 linear premultiplied: the last copied image; NULL: none */
  uint8_t *tiles;       /* (ty, tx) of px: 1 where any pixel is not transparent */
  int *bad;             /* (ty, 3) scratch of the row-parallel decoder: first non-finite value */
  ysg_image_source src; /* a lent image read every frame (has_src) */
  int has_src;
} image_in_state;

/* Convert a whole image (fmt, rows of stride bytes) into px/tiles, row-parallel; the first
 * non-finite value found fails with "<when>: pixel (x, y) channel c is not a finite number". */
ysg_status ysg__image_in_decode(ysg_node *n, image_in_state *st, ysg_pixel_format fmt,
                                const void *src, size_t stride, uint16_t *px, uint8_t *tiles,
                                const char *when);

#ifdef YSG_HAVE_CUDA
extern const ysg_device_ops ysg__image_in_device_ops;
#endif

#endif /* YSG_IMAGE_IN_H */
