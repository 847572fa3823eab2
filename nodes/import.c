/* import.c — the options data sources share (see import.h): the coordinate transform from the
 * normalized/scale/offset/from params, and box layouts converted to top-left x,y + w,h. */
#include "import.h"

ysg_status ysg__import_xform(ysg_node *n, const ysg_import_params *ip, ysg_xform *out) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  double sx = 1, sy = 1, ox = 0, oy = 0, v[4];
  int norm = ip->normalized >= 0 && ysg_node_bool(n, ip->normalized);
  int has_scale = ip->scale >= 0 && ysg_node_param_is_set(n, ip->scale);
  int has_from = ip->from >= 0 && ysg_node_param_is_set(n, ip->from);
  if (has_scale && has_from)
    return ysg_node_param_fail(n, ip->from, YSG_ERR_PIPELINE,
                               "give either 'scale' or 'from', not both");
  if (norm && has_from)
    return ysg_node_param_fail(n, ip->from, YSG_ERR_PIPELINE,
                               "normalized coordinates are already relative to the canvas");
  if (has_scale) {
    int k = ysg_node_numbers(n, ip->scale, v, 4);
    if (k > 2)
      return ysg_node_param_fail(n, ip->scale, YSG_ERR_PIPELINE,
                                 "expected one number or {sx, sy}, got %d numbers", k);
    sx = v[0];
    sy = k == 2 ? v[1] : v[0];
  }
  if (has_from) {
    int k = ysg_node_numbers(n, ip->from, v, 4);
    if (k != 2 || !(v[0] > 0) || !(v[1] > 0))
      return ysg_node_param_fail(n, ip->from, YSG_ERR_PIPELINE,
                                 "expected {width, height}, both > 0");
    sx = cv->width / v[0];
    sy = cv->height / v[1];
  }
  if (norm) {
    sx *= cv->width;
    sy *= cv->height;
  }
  if (ip->offset >= 0) {
    int k = ysg_node_numbers(n, ip->offset, v, 4);
    if (k != 2)
      return ysg_node_param_fail(n, ip->offset, YSG_ERR_PIPELINE,
                                 "expected {ox, oy}, got %d number%s", k, k == 1 ? "" : "s");
    ox = v[0];
    oy = v[1];
  }
  out->sx = (float)sx;
  out->sy = (float)sy;
  out->ox = (float)ox;
  out->oy = (float)oy;
  return YSG_OK;
}

void ysg__import_box(int format, const double in[4], float out[4]) {
  double x = in[0], y = in[1], w = in[2], h = in[3];
  if (format == YSG_BOX_XYXY) {
    w = in[2] - in[0];
    h = in[3] - in[1];
  } else if (format == YSG_BOX_CXCYWH) {
    x = in[0] - 0.5 * in[2];
    y = in[1] - 0.5 * in[3];
  }
  out[0] = (float)x;
  out[1] = (float)y;
  out[2] = (float)w;
  out[3] = (float)h;
}
