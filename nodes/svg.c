/* svg.c — the `svg` sink: writes shapes (the primitives node's), points (circles), boxes
 * (outlined rectangles) and curves (polylines) as one SVG file per frame, atomically (temporary
 * name + rename, so a failure leaves nothing). Colours leave linear light as sRGB hex with the
 * opacity as fill-/stroke-opacity; a "%04d"-style pattern in path numbers the files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "png_io.h"
#include "shapes.h"

enum { P_PATH, P_START, P_RADIUS, P_STROKE, P_COLOR, N_PARAMS };
enum { IN_SHAPES, IN_POINTS, IN_BOXES, IN_CURVES, N_INPUTS };

static const ysg_param_def params[N_PARAMS] = {
    [P_PATH] = {"path", YSG_PARAM_OUTPUT, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
                "output file; one %d-style pattern (\"svg/%04d.svg\") numbers the frames"},
    [P_START] = {"start", YSG_PARAM_INT, "0", 0, 100000000, NULL, YSG_PARAM_STATIC,
                 "the number frame 0's file gets"},
    [P_RADIUS] = {"radius", YSG_PARAM_NUMBER, "3", 0, 10000, NULL, 0,
                  "px: circle radius of points without a radius attribute"},
    [P_STROKE] = {"stroke", YSG_PARAM_NUMBER, "2", 0, 10000, NULL, 0,
                  "px: stroke width of boxes and curves"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#ffffff", 0, 0, NULL, 0,
                 "colour of points and boxes without an rgba attribute, and of curves"},
};

static const ysg_port_def inputs[N_INPUTS] = {
    {"shapes", YSG_SHAPES, YSG_PORT_OPTIONAL, "shapes, drawn first, in order", NULL, 0},
    {"points", YSG_POINTS, YSG_PORT_OPTIONAL, "points, as filled circles", NULL, 0},
    {"boxes", YSG_BOXES, YSG_PORT_OPTIONAL, "boxes, as outlined rectangles", NULL, 0},
    {"curves", YSG_CURVES, YSG_PORT_OPTIONAL, "curves, as polylines", NULL, 0},
};

typedef struct svg_out {
  FILE *f;
  int err;
} svg_out;

static void put(svg_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(svg_out *o, const char *fmt, ...) {
  if (o->err) return;
  va_list ap;
  va_start(ap, fmt);
  errno = 0;
  if (vfprintf(o->f, fmt, ap) < 0) o->err = errno ? errno : EIO;
  va_end(ap);
}

static int byte(float linear) {
  int v = (int)(ysg_linear_to_srgb(linear) * 255.0f + 0.5f);
  return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* ` fill="#rrggbb" fill-opacity="a"` (what = "fill" or "stroke") from a straight linear colour */
static void paint(svg_out *o, const char *what, const float *rgba, float opacity) {
  float a = ysg_clamp01(opacity);
  put(o, " %s=\"#%02x%02x%02x\"", what, byte(rgba[0]), byte(rgba[1]), byte(rgba[2]));
  if (a < 1.0f) put(o, " %s-opacity=\"%.4g\"", what, (double)a);
}

static void write_shape(svg_out *o, int kind, const float *g, const float *rgba) {
  switch (kind) {
    case YSG_PRIM_TRIANGLE:
    case YSG_PRIM_POLYGON:
      put(o, "<polygon points=\"%g,%g %g,%g %g,%g", (double)g[0], (double)g[1], (double)g[2],
          (double)g[3], (double)g[4], (double)g[5]);
      if (kind == YSG_PRIM_POLYGON) put(o, " %g,%g", (double)g[6], (double)g[7]);
      put(o, "\"");
      break;
    case YSG_PRIM_RECTANGLE:
      put(o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"", (double)g[0], (double)g[1],
          (double)(g[2] - g[0]), (double)(g[3] - g[1]));
      break;
    case YSG_PRIM_ROTATED_RECTANGLE:
      put(o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" transform=\"rotate(%g %g %g)\"",
          (double)(g[0] - 0.5f * g[2]), (double)(g[1] - 0.5f * g[3]), (double)g[2], (double)g[3],
          (double)g[4], (double)g[0], (double)g[1]);
      break;
    case YSG_PRIM_ELLIPSE:
    case YSG_PRIM_ROTATED_ELLIPSE:
      put(o, "<ellipse cx=\"%g\" cy=\"%g\" rx=\"%g\" ry=\"%g\"", (double)g[0], (double)g[1],
          (double)g[2], (double)g[3]);
      if (kind == YSG_PRIM_ROTATED_ELLIPSE)
        put(o, " transform=\"rotate(%g %g %g)\"", (double)g[4], (double)g[0], (double)g[1]);
      break;
    case YSG_PRIM_CIRCLE:
      put(o, "<circle cx=\"%g\" cy=\"%g\" r=\"%g\"", (double)g[0], (double)g[1], (double)g[2]);
      break;
    case YSG_PRIM_LINE:
      put(o, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke-width=\"%g\"", (double)g[0],
          (double)g[1], (double)g[2], (double)g[3], (double)g[4]);
      break;
    case YSG_PRIM_QUADRATIC:
      put(o, "<path d=\"M%g %g Q%g %g %g %g\" stroke-width=\"%g\"", (double)g[0], (double)g[1],
          (double)g[2], (double)g[3], (double)g[4], (double)g[5], (double)g[6]);
      break;
    default:
      return;
  }
  int stroked = kind == YSG_PRIM_LINE || kind == YSG_PRIM_QUADRATIC;
  if (stroked) put(o, " fill=\"none\" stroke-linecap=\"round\"");
  paint(o, stroked ? "stroke" : "fill", rgba, rgba[3]);
  put(o, "/>\n");
}

static int count_of(const ysg_value *v) {
  int n = v->count < v->capacity ? v->count : v->capacity;
  return n > 0 ? n : 0;
}

static void write_svg(ysg_node *n, svg_out *o, int width, int height) {
  put(o,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
      "%d\">\n",
      width, height, width, height);
  const ysg_value *v = ysg_node_input(n, IN_SHAPES, 0);
  for (int i = 0, m = v ? count_of(v) : 0; i < m; i++)
    write_shape(o, v->kind[i], v->geom + (size_t)i * 8, v->rgba + (size_t)i * 4);
  float col[4];
  ysg_node_color(n, P_COLOR, col);
  float r = (float)ysg_node_number(n, P_RADIUS), sw = (float)ysg_node_number(n, P_STROKE);
  if ((v = ysg_node_input(n, IN_POINTS, 0))) {
    int rad = (v->attrs & YSG_ATTR_RADIUS) && v->radius,
        rgb = (v->attrs & YSG_ATTR_RGBA) && v->rgba;
    for (int i = 0, m = count_of(v); i < m; i++) {
      const float *c = rgb ? v->rgba + (size_t)i * 4 : col;
      put(o, "<circle cx=\"%g\" cy=\"%g\" r=\"%g\"", (double)v->xy[2 * i], (double)v->xy[2 * i + 1],
          (double)(rad ? v->radius[i] : r));
      paint(o, "fill", c, c[3]);
      put(o, "/>\n");
    }
  }
  if ((v = ysg_node_input(n, IN_BOXES, 0))) {
    int rgb = (v->attrs & YSG_ATTR_RGBA) && v->rgba;
    for (int i = 0, m = count_of(v); i < m; i++) {
      const float *b = v->xywh + (size_t)i * 4, *c = rgb ? v->rgba + (size_t)i * 4 : col;
      put(o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke-width=\"%g\"",
          (double)b[0], (double)b[1], (double)b[2], (double)b[3], (double)sw);
      paint(o, "stroke", c, c[3]);
      put(o, "/>\n");
    }
  }
  if ((v = ysg_node_input(n, IN_CURVES, 0))) {
    for (int i = 0, m = count_of(v); i < m; i++) {
      put(o, "<polyline points=\"");
      for (int k = 0; k < v->samples; k++) {
        const float *p = v->xy + ((size_t)i * (size_t)v->samples + (size_t)k) * 2;
        put(o, "%s%g,%g", k ? " " : "", (double)p[0], (double)p[1]);
      }
      put(o,
          "\" fill=\"none\" stroke-width=\"%g\" stroke-linecap=\"round\" "
          "stroke-linejoin=\"round\"",
          (double)sw);
      paint(o, "stroke", col, col[3]);
      put(o, "/>\n");
    }
  }
  put(o, "</svg>\n");
}

static ysg_status svg_init(ysg_node *n) {
  int any = 0;
  for (int k = 0; k < N_INPUTS; k++) any += ysg_node_input_count(n, k) > 0;
  if (!any)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "nothing to write: connect at least one of shapes, points, boxes, curves");
  char first[4096], err[512];
  ysg_status s = ysg__format_frame_path(ysg_node_string(n, P_PATH), ysg_node_int(n, P_START), first,
                                        sizeof first, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  return YSG_OK;
}

static ysg_status svg_infer(ysg_node *n) { return YSG_OK; }

static ysg_status svg_run(ysg_node *n, const ysg_frame *frame) {
  char file[4096], err[1024];
  ysg_status s =
      ysg__format_frame_path(ysg_node_string(n, P_PATH), ysg_node_int(n, P_START) + frame->index,
                             file, sizeof file, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  if ((s = ysg__mkdirs_for(file, err, sizeof err))) return ysg_node_fail(n, s, "%s", err);
  ysg_atomic_file af;
  if ((s = ysg__atomic_open(&af, file, err, sizeof err))) return ysg_node_fail(n, s, "%s", err);
  svg_out o = {af.f, 0};
  write_svg(n, &o, frame->width, frame->height);
  if (o.err) {
    char why[128];
    ysg__atomic_abort(&af);
    return ysg_node_fail(n, YSG_ERR_IO, "cannot write '%s': %s", file,
                         ysg__strerror(o.err, why, sizeof why));
  }
  if ((s = ysg__atomic_commit(&af, err, sizeof err))) return ysg_node_fail(n, s, "%s", err);
  return YSG_OK;
}

const ysg_node_type ysg__node_svg = {
    .name = "svg",
    .category = "output",
    .doc =
        "Writes an SVG file every frame: shapes (such as the primitives node's, each as a "
        "polygon, rect, ellipse, circle, line or quadratic path with its colour and opacity), "
        "then points as circles, boxes as outlined rectangles and curves as polylines; sRGB "
        "colours, canvas-sized. Files are written to a temporary name and renamed, so a "
        "failed write leaves nothing. SVG viewers blend translucent shapes in sRGB, the "
        "engine in linear light: expect slightly different mixes where shapes overlap.",
    .inputs = inputs,
    .n_inputs = N_INPUTS,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_SINK,
    .init = svg_init,
    .infer = svg_infer,
    .run = svg_run,
};
