/* text_node.h — what the `text` node's files share (nodes/text.c: schema, lifecycle, device path;
 * nodes/text_frame.c: the work per frame): its parameter indices, the settings of one frame, and
 * the node state — fonts and atlas, template, shaper, and this frame's labels, primitives and
 * tile bins, which prepare fills and render reads. */
#ifndef YSG_TEXT_NODE_H
#define YSG_TEXT_NODE_H

#include "bins.h"
#include "text_font.h"
#include "text_layout.h"
#include "text_math.h"

enum {
  P_TEXT,
  P_X,
  P_Y,
  P_FONT,
  P_FONT_FILE,
  P_SIZE,
  P_COLOR,
  P_OPACITY,
  P_DATA_COLORS,
  P_OUTLINE,
  P_OUTLINE_COLOR,
  P_SHADOW,
  P_SHADOW_BLUR,
  P_SHADOW_COLOR,
  P_PLATE_OPACITY,
  P_PLATE_COLOR,
  P_PADDING,
  P_PLATE_RADIUS,
  P_ANCHOR,
  P_AT,
  P_OFFSET,
  P_ALIGN,
  P_LINE_SPACING,
  P_MAX_WIDTH,
  P_KEEP_INSIDE,
  P_MAX_GLYPHS,
  P_BIN_CAPACITY,
  P_ATLAS_MB,
  P_COUNT
};

enum { YSG__TEXT_DATA_NONE, YSG__TEXT_DATA_TEXT, YSG__TEXT_DATA_PLATE }; /* data_colors */

/* one frame's settings (colours linear, straight alpha) */
typedef struct ysg__text_frame {
  float size, line_spacing, max_width, padding, plate_radius, plate_opacity, opacity;
  float outline, shadow_blur, shadow_dx, shadow_dy, dx, dy;
  int align, anchor, at, keep_inside, shadow, data_colors;
  float color[4], outline_color[4], shadow_color[4], plate_color[4];
} ysg__text_frame;

#define YSG__TEXT_STR_MAX 4096 /* bytes of one formatted label */

typedef struct ysg__text_state {
  int source; /* YSG_TEXT_NONE / POINTS / BOXES */
  int k;      /* atlas texels per pixel */
  int width, height;
  ysg_text_fonts fonts;
  ysg_text_shaper sh;
  ysg_text_cache cache; /* layouts of the strings seen so far */
  ysg_text_tmpl tmpl;
  char tmpl_src[YSG__TEXT_STR_MAX]; /* the text the template was parsed from */
  char str[YSG__TEXT_STR_MAX];      /* one formatted label */
  int cap_labels, cap_prims;
  /* this frame (prepare -> render); host memory, allocated at infer */
  ysg_text_style *styles;  /* (cap_labels) */
  ysg_text_prim *prims;    /* (cap_prims) */
  ysg_bin_prim *bin_prims; /* (cap_prims) */
  void *bins_mem;
  ysg_bins bins;
  int n_labels, n_prims;
  /* CUDA path: device scratch handles, what the device holds of the atlas, and two pinned
   * staging slots the uploads are copied from (each with the event recorded after its copies) */
  int d_work, d_atlas;
  size_t d_atlas_used;
  unsigned char *pin[2];
  void *pin_done[2];
  int pin_busy[2], pin_next;
  size_t pin_bytes;
} ysg__text_state;

ysg_status ysg__text_prepare(ysg_node *n, const ysg_frame *f);
int ysg__text_render(const ysg_node *n, const ysg_tile *t);

#endif /* YSG_TEXT_NODE_H */
