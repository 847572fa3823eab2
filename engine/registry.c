/* registry.c — the per-context table of node types: the built-ins, registered at context creation,
 * and host-defined types added through ysg_register_node_type (duplicates rejected by name). */
#include <string.h>

#include "internal.h"

extern const ysg_node_type ysg__node_points, ysg__node_edges, ysg__node_boxes, ysg__node_scatter,
    ysg__node_points_in, ysg__node_boxes_in, ysg__node_image_in, ysg__node_image, ysg__node_png,
    ysg__node_fill, ysg__node_gradient, ysg__node_merge;
extern const ysg_node_type ysg__node_bbox;
extern const ysg_node_type ysg__node_line;
extern const ysg_node_type ysg__node_dot;
extern const ysg_node_type ysg__node_curve;
extern const ysg_node_type ysg__node_graph;
extern const ysg_node_type ysg__node_blur;
extern const ysg_node_type ysg__node_glow;
extern const ysg_node_type ysg__node_particles;
extern const ysg_node_type ysg__node_blur_region;
extern const ysg_node_type ysg__node_tracks;
extern const ysg_node_type ysg__node_raw;
extern const ysg_node_type ysg__node_text;
extern const ysg_node_type ysg__node_chroma_key, ysg__node_difference_key, ysg__node_matte,
    ysg__node_mask_in, ysg__node_composite;
#ifdef YSG_HAVE_OPENCV
extern const ysg_node_type ysg__node_segment;
#endif
extern const ysg_node_type ysg__node_trail;
extern const ysg_node_type ysg__node_polygon;
#ifdef YSG_HAVE_FFMPEG
extern const ysg_node_type ysg__node_video_out;
extern const ysg_node_type ysg__node_video_in;
#endif
#ifdef YSG_HAVE_OPENEXR
extern const ysg_node_type ysg__node_exr;
#endif
extern const ysg_node_type ysg__node_primitives, ysg__node_svg;

static const ysg_node_type *const builtins[] = {
    &ysg__node_points,      &ysg__node_edges,
    &ysg__node_boxes,       &ysg__node_scatter,
    &ysg__node_points_in,   &ysg__node_boxes_in,
    &ysg__node_image_in,    &ysg__node_image,
    &ysg__node_fill,        &ysg__node_gradient,
    &ysg__node_merge,       &ysg__node_png,
    &ysg__node_line,        &ysg__node_bbox,
    &ysg__node_dot,         &ysg__node_curve,
    &ysg__node_graph,       &ysg__node_blur,
    &ysg__node_glow,        &ysg__node_particles,
    &ysg__node_blur_region, &ysg__node_tracks,
    &ysg__node_raw,         &ysg__node_text,
    &ysg__node_chroma_key,  &ysg__node_difference_key,
    &ysg__node_matte,       &ysg__node_mask_in,
    &ysg__node_composite,   &ysg__node_trail,
    &ysg__node_polygon,
#ifdef YSG_HAVE_FFMPEG
    &ysg__node_video_out,   &ysg__node_video_in,
#endif
#ifdef YSG_HAVE_OPENEXR
    &ysg__node_exr,
#endif
#ifdef YSG_HAVE_OPENCV
    &ysg__node_segment,
#endif
    &ysg__node_primitives,  &ysg__node_svg,
};

static ysg_status check_params(ysg_context *ctx, const char *type, const ysg_param_def *ps, int n) {
  for (int i = 0; i < n; i++) {
    const ysg_param_def *d = &ps[i];
    if (!d->name || !d->name[0])
      return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s': parameter %d has no name", type, i);
    if ((unsigned)d->kind >= YSG_PARAM_KIND_COUNT)
      return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s': parameter '%s' has an unknown kind",
                         type, d->name);
    if (d->kind == YSG_PARAM_ENUM && (!d->choices || !d->choices[0]))
      return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s': enum parameter '%s' has no choices",
                         type, d->name);
    if (!d->def && !(d->flags & YSG_PARAM_REQUIRED))
      return ysg__seterr(ctx, YSG_ERR_INVALID,
                         "node type '%s': parameter '%s' has no default and is not required", type,
                         d->name);
    if (d->def) {
      ysg_param_value v;
      memset(&v, 0, sizeof v);
      char err[256];
      ysg_status s = ysg__param_parse(ctx, d, d->def, &v, err, sizeof err);
      ysg__param_free(ctx, &v);
      if (s != YSG_OK)
        return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s': default of parameter '%s': %s",
                           type, d->name, err);
    }
    for (int j = 0; j < i; j++)
      if (strcmp(ps[j].name, d->name) == 0)
        return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s': parameter '%s' is listed twice",
                           type, d->name);
  }
  return YSG_OK;
}

static ysg_status check_type(ysg_context *ctx, const ysg_node_type *t) {
  if (!t || !t->name || !t->name[0])
    return ysg__seterr(ctx, YSG_ERR_INVALID, "node type without a name");
  if (!t->run)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s' has no run callback", t->name);
  for (const char *c = t->name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
      return ysg__seterr(ctx, YSG_ERR_INVALID,
                         "node type '%s': names use lowercase letters, digits and '_'", t->name);
  if (t->tile && (!t->tile->prepare || !t->tile->render || t->n_outputs < 1 ||
                  t->outputs[0].type != YSG_IMAGE))
    return ysg__seterr(ctx, YSG_ERR_INVALID,
                       "node type '%s': tile callbacks need prepare, render and an image output "
                       "0",
                       t->name);
  ysg_status s = check_params(ctx, t->name, t->params, t->n_params);
  if (s) return s;
  for (int i = 0; i < t->n_inputs; i++) {
    if ((t->inputs[i].flags & YSG_PORT_TILED) && t->inputs[i].type != YSG_IMAGE)
      return ysg__seterr(ctx, YSG_ERR_INVALID,
                         "node type '%s': input '%s' is tiled but not an image", t->name,
                         t->inputs[i].name);
    if (t->inputs[i].flags & YSG_PORT_MULTI) {
      s = check_params(ctx, t->name, t->inputs[i].link_params, t->inputs[i].n_link_params);
      if (s) return s;
    }
    if (ysg__param_index(t, t->inputs[i].name) >= 0)
      return ysg__seterr(ctx, YSG_ERR_INVALID,
                         "node type '%s': '%s' is both a port and a parameter", t->name,
                         t->inputs[i].name);
  }
  return YSG_OK;
}

ysg_status ysg_register_node_type(ysg_context *ctx, const ysg_node_type *t) {
  if (!ctx) return YSG_ERR_INVALID;
  ysg_status s = check_type(ctx, t);
  if (s) return s;
  if (ysg_node_type_find(ctx, t->name))
    return ysg__seterr(ctx, YSG_ERR_INVALID, "node type '%s' is already registered", t->name);
  if (ctx->n_types == ctx->cap_types) {
    int cap = ctx->cap_types ? ctx->cap_types * 2 : 32;
    const ysg_node_type **nt = ysg__realloc_array(ctx, (void *)ctx->types, (size_t)ctx->cap_types,
                                                  (size_t)cap, sizeof *nt);
    if (!nt) return YSG_ERR_NOMEM;
    ctx->types = nt;
    ctx->cap_types = cap;
  }
  ctx->types[ctx->n_types++] = t;
  return YSG_OK;
}

ysg_status ysg__register_builtins(ysg_context *ctx) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
    ysg_status s = ysg_register_node_type(ctx, builtins[i]);
    if (s) return s;
  }
  return YSG_OK;
}

int ysg_node_type_count(const ysg_context *ctx) { return ctx ? ctx->n_types : 0; }

const ysg_node_type *ysg_node_type_at(const ysg_context *ctx, int i) {
  return ctx && i >= 0 && i < ctx->n_types ? ctx->types[i] : NULL;
}

const ysg_node_type *ysg_node_type_find(const ysg_context *ctx, const char *name) {
  if (!ctx || !name) return NULL;
  for (int i = 0; i < ctx->n_types; i++)
    if (strcmp(ctx->types[i]->name, name) == 0) return ctx->types[i];
  return NULL;
}
