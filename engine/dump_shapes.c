/* dump_shapes.c — a shapes value as JSON or CSV (ysg__write_shapes): what `--dump
 * node.shapes=PATH` and ysg_pipeline_dump write, chosen by PATH's extension in dump.c. Colours
 * leave the engine as sRGB (straight), geometry in canvas pixels as the value holds it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "color.h"
#include "shapes.h"

typedef struct out {
  FILE *f;
  int err;
} out;

static void put(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(out *o, const char *fmt, ...) {
  if (o->err) return;
  va_list ap;
  va_start(ap, fmt);
  errno = 0;
  if (vfprintf(o->f, fmt, ap) < 0) o->err = errno ? errno : EIO;
  va_end(ap);
}

static void srgb(const float *rgba, double c[3]) {
  for (int k = 0; k < 3; k++) c[k] = (double)ysg_linear_to_srgb(rgba[k]);
}

static int hex8(double c) {
  long v = (long)(c * 255.0 + 0.5);
  return v < 0 ? 0 : (v > 255 ? 255 : (int)v);
}

static void write_json(out *o, const ysg_value *v, int n, int width, int height) {
  put(o, "{\"width\": %d, \"height\": %d, \"shapes\": [", width, height);
  for (int i = 0; i < n; i++) {
    int kind = v->kind[i];
    const char *name = ysg__prim_kind_name(kind);
    const float *g = v->geom + (size_t)i * YSG_PRIM_GEOM, *rgba = v->rgba + (size_t)i * 4;
    put(o, "%s\n  {\"kind\": \"%s\"", i ? "," : "", name ? name : "unknown");
    const char *names = ysg__prim_geom_names(kind);
    for (int k = 0, m = ysg__prim_geom_count(kind); k < m; k++) {
      while (*names == ' ') names++;
      int len = 0;
      while (names[len] && names[len] != ' ') len++;
      put(o, ", \"%.*s\": %.9g", len, names, (double)g[k]);
      names += len;
    }
    double c[3];
    srgb(rgba, c);
    put(o,
        ", \"color\": \"#%02x%02x%02x\", \"rgb\": [%.9g, %.9g, %.9g], \"opacity\": %.9g, "
        "\"error\": %.9g}",
        hex8(c[0]), hex8(c[1]), hex8(c[2]), c[0], c[1], c[2], (double)rgba[3], (double)v->error[i]);
  }
  put(o, "\n]}\n");
}

static void write_csv(out *o, const ysg_value *v, int n) {
  put(o, "index,kind,p0,p1,p2,p3,p4,p5,p6,p7,r,g,b,opacity,error\n");
  for (int i = 0; i < n; i++) {
    int kind = v->kind[i];
    const char *name = ysg__prim_kind_name(kind);
    const float *g = v->geom + (size_t)i * YSG_PRIM_GEOM, *rgba = v->rgba + (size_t)i * 4;
    put(o, "%d,%s", i, name ? name : "unknown");
    int m = ysg__prim_geom_count(kind);
    for (int k = 0; k < YSG_PRIM_GEOM; k++)
      if (k < m)
        put(o, ",%.9g", (double)g[k]);
      else
        put(o, ",");
    double c[3];
    srgb(rgba, c);
    put(o, ",%.9g,%.9g,%.9g,%.9g,%.9g\n", c[0], c[1], c[2], (double)rgba[3], (double)v->error[i]);
  }
}

int ysg__write_shapes(FILE *f, const ysg_value *v, int width, int height, int json) {
  out o = {f, 0};
  int n = v->count < v->capacity ? v->count : v->capacity;
  if (n < 0) n = 0;
  if (json)
    write_json(&o, v, n, width, height);
  else
    write_csv(&o, v, n);
  return o.err;
}
