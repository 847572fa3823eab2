/* dump.c — ysg_pipeline_dump: write one readable value to a file, atomically. Images become 8-bit
 * sRGB PNGs with straight alpha; points, edges, boxes and curves become CSV with a header row,
 * colours converted back to sRGB 0..1 and numbers printed with %.9g (float round-trip exact);
 * shapes become JSON when the path ends in .json, else CSV (engine/dump_shapes.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "png_io.h"
#include "shapes.h"

typedef struct csv {
  FILE *f;
  int err; /* first errno seen, 0 while all is well */
} csv;

static void put(csv *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(csv *c, const char *fmt, ...) {
  if (c->err) return;
  va_list ap;
  va_start(ap, fmt);
  errno = 0;
  if (vfprintf(c->f, fmt, ap) < 0) c->err = errno ? errno : EIO;
  va_end(ap);
}

static void put_rgba(csv *c, const float *rgba) {
  /* values hold linear straight colours; the CSV speaks sRGB like the DSL does */
  put(c, ",%.9g,%.9g,%.9g,%.9g", (double)ysg_linear_to_srgb(rgba[0]),
      (double)ysg_linear_to_srgb(rgba[1]), (double)ysg_linear_to_srgb(rgba[2]), (double)rgba[3]);
}

static int clamp_count(const ysg_value *v) {
  int n = v->count < v->capacity ? v->count : v->capacity;
  return n > 0 ? n : 0;
}

/* a label as a CSV field: quoted, with quotes doubled (names may hold commas) */
static void put_label(csv *c, const ysg_value *v, int i) {
  int32_t k = v->label[i];
  const char *name = v->labels && k >= 0 && k < v->labels->count ? v->labels->names[k] : "";
  put(c, ",\"");
  for (const char *q = name; *q; q++) put(c, "%s%c", *q == '"' ? "\"" : "", *q);
  put(c, "\"");
}

static void write_points(csv *c, const ysg_value *v) {
  int id = (v->attrs & YSG_ATTR_ID) && v->id, rad = (v->attrs & YSG_ATTR_RADIUS) && v->radius;
  int col = (v->attrs & YSG_ATTR_RGBA) && v->rgba, cf = (v->attrs & YSG_ATTR_CONF) && v->conf;
  int lb = (v->attrs & YSG_ATTR_LABEL) && v->label;
  put(c, "x,y%s%s%s%s%s\n", id ? ",id" : "", rad ? ",radius" : "", col ? ",r,g,b,a" : "",
      cf ? ",conf" : "", lb ? ",label" : "");
  for (int i = 0, n = clamp_count(v); i < n; i++) {
    put(c, "%.9g,%.9g", (double)v->xy[i * 2], (double)v->xy[i * 2 + 1]);
    if (id) put(c, ",%d", (int)v->id[i]);
    if (rad) put(c, ",%.9g", (double)v->radius[i]);
    if (col) put_rgba(c, v->rgba + (size_t)i * 4);
    if (cf) put(c, ",%.9g", (double)v->conf[i]);
    if (lb) put_label(c, v, i);
    put(c, "\n");
  }
}

static void write_edges(csv *c, const ysg_value *v) {
  put(c, "i,j\n");
  for (int e = 0, n = clamp_count(v); e < n; e++)
    put(c, "%d,%d\n", (int)v->ij[e * 2], (int)v->ij[e * 2 + 1]);
}

static void write_boxes(csv *c, const ysg_value *v) {
  int id = (v->attrs & YSG_ATTR_ID) && v->id, col = (v->attrs & YSG_ATTR_RGBA) && v->rgba;
  int cf = (v->attrs & YSG_ATTR_CONF) && v->conf, lb = (v->attrs & YSG_ATTR_LABEL) && v->label;
  put(c, "x,y,w,h%s%s%s%s\n", id ? ",id" : "", col ? ",r,g,b,a" : "", cf ? ",conf" : "",
      lb ? ",label" : "");
  for (int i = 0, n = clamp_count(v); i < n; i++) {
    const float *b = v->xywh + (size_t)i * 4;
    put(c, "%.9g,%.9g,%.9g,%.9g", (double)b[0], (double)b[1], (double)b[2], (double)b[3]);
    if (id) put(c, ",%d", (int)v->id[i]);
    if (col) put_rgba(c, v->rgba + (size_t)i * 4);
    if (cf) put(c, ",%.9g", (double)v->conf[i]);
    if (lb) put_label(c, v, i);
    put(c, "\n");
  }
}

static void write_curves(csv *c, const ysg_value *v) {
  put(c, "curve,sample,x,y\n");
  for (int k = 0, n = clamp_count(v); k < n; k++)
    for (int s = 0; s < v->samples; s++) {
      const float *p = v->xy + ((size_t)k * (size_t)v->samples + (size_t)s) * 2;
      put(c, "%d,%d,%.9g,%.9g\n", k, s, (double)p[0], (double)p[1]);
    }
}

static ysg_status dump_image(ysg_pipeline *p, const char *ref, const ysg_value *v,
                             const char *file) {
  ysg_context *ctx = p->ctx;
  size_t stride = (size_t)v->width * 4;
  size_t bytes = stride * (size_t)v->height;
  uint8_t *buf = ysg__alloc_aligned(ctx, bytes, 64);
  if (!buf) return YSG_ERR_NOMEM;
  ysg_status s = ysg_pipeline_read_image(p, ref, YSG_RGBA8_SRGB, buf, bytes, stride);
  if (s == YSG_OK) {
    char err[YSG_ERRMSG_CAP];
    s = ysg__png_write(file, buf, v->width, v->height, stride, 8, 2, err, sizeof err);
    if (s) ysg__seterr(ctx, s, "%s", err);
  }
  ysg__free(ctx, buf);
  return s;
}

ysg_status ysg_pipeline_dump(ysg_pipeline *p, const char *ref, const char *path, int frame) {
  if (!p) return YSG_ERR_INVALID;
  ysg_context *ctx = p->ctx;
  if (!ref || !path)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "ysg_pipeline_dump: %s is NULL",
                       !ref ? "ref" : "path");
  const ysg_value *v = NULL;
  ysg_status s = ysg_pipeline_get_value(p, ref, &v);
  if (s) return s;

  char file[4096], err[YSG_ERRMSG_CAP - 128];
  s = ysg__format_frame_path(path, frame, file, sizeof file, err, sizeof err);
  if (s) return ysg__seterr(ctx, s, "ysg_pipeline_dump: path '%s': %s", path, err);
  s = ysg__mkdirs_for(file, err, sizeof err);
  if (s) return ysg__seterr(ctx, s, "%s", err);

  if (v->type == YSG_IMAGE) return dump_image(p, ref, v, file);

  ysg_atomic_file af;
  s = ysg__atomic_open(&af, file, err, sizeof err);
  if (s) return ysg__seterr(ctx, s, "%s", err);
  csv c = {af.f, 0};
  switch (v->type) {
    case YSG_POINTS:
      write_points(&c, v);
      break;
    case YSG_EDGES:
      write_edges(&c, v);
      break;
    case YSG_BOXES:
      write_boxes(&c, v);
      break;
    case YSG_CURVES:
      write_curves(&c, v);
      break;
    case YSG_SHAPES: {
      size_t len = strlen(file);
      int json = len >= 5 && strcmp(file + len - 5, ".json") == 0;
      c.err = ysg__write_shapes(c.f, v, p->canvas.width, p->canvas.height, json);
      break;
    }
    default:
      ysg__atomic_abort(&af);
      return ysg__seterr(ctx, YSG_ERR_INVALID, "ysg_pipeline_dump: '%s' has an unknown type %d",
                         ref, (int)v->type);
  }
  if (c.err) {
    char why[128];
    ysg__atomic_abort(&af);
    return ysg__seterr(ctx, YSG_ERR_IO, "cannot write '%s': %s", file,
                       ysg__strerror(c.err, why, sizeof why));
  }
  s = ysg__atomic_commit(&af, err, sizeof err);
  if (s) return ysg__seterr(ctx, s, "%s", err);
  return YSG_OK;
}
