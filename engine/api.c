/* api.c — the public pipeline calls: options, destroy, backend choice, params by name, host inputs,
 * running frames and ranges, reading kept values, and the introspection behind `ysgraph plan`,
 * `graph` and `--stats`. Loading (Lua) lives in lua/dsl.c. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "inputs.h"
#include "internal.h"

ysg_status ysg__load_options_copy(ysg_context *ctx, const ysg_load_options *opt,
                                  ysg_load_options *out) {
  ysg_load_options_init(out);
  if (!opt) return YSG_OK;
  if (opt->struct_size < offsetof(ysg_load_options, backend) + sizeof opt->backend)
    return ysg__seterr(ctx, YSG_ERR_INVALID,
                       "ysg_load_options.struct_size is %zu: initialise the options with "
                       "ysg_load_options_init",
                       opt->struct_size);
  /* a host built against an older header passes a shorter struct: its fields, our defaults */
  memcpy(out, opt, opt->struct_size < sizeof *out ? opt->struct_size : sizeof *out);
  out->struct_size = sizeof *out;
  return YSG_OK;
}

static void free_params(ysg_context *ctx, ysg_param_value *v, int n) {
  if (!v) return;
  for (int i = 0; i < n; i++) ysg__param_free(ctx, &v[i]);
  ysg__free(ctx, v);
}

void ysg__pipeline_ref(ysg_pipeline *p) { __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED); }

void ysg__pipeline_unref(ysg_pipeline *p) {
  if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  ysg_context *ctx = p->ctx;
  ysg__device_destroy(p); /* the nodes are gone: only memory, streams and events are left */
  ysg__free(ctx, p->arena);
  ysg__free(ctx, p);
  ysg_context_destroy(ctx); /* the pipeline's reference */
}

/* Everything but the arenas goes now; exported tensors (DLPack) keep those until released. */
void ysg_pipeline_destroy(ysg_pipeline *p) {
  if (!p || p->closed) return;
  ysg_context *ctx = p->ctx;
  ysg_status code = ctx->code; /* keep the caller's message: destroy is often the error path */
  char msg[YSG_ERRMSG_CAP];
  memcpy(msg, ctx->msg, sizeof msg);
  if (p->writer) {
    ysg__writer_flush(p->writer);
    ysg__writer_destroy(p->writer);
    p->writer = NULL;
  }
  ysg__device_sync(p); /* before nodes free what device copies may target */
  ysg__tiles_free(p);
  ctx->code = code;
  memcpy(ctx->msg, msg, sizeof msg);
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    if (!n) continue;
    if (n->type->destroy) n->type->destroy(n);
    ysg__free(ctx, n->dscratch);
    ysg__free(ctx, n->outputs_dev);
    free_params(ctx, n->params, n->type->n_params);
    for (int port = 0; port < n->type->n_inputs && n->inputs; port++) {
      ysg_input *in = &n->inputs[port];
      for (int k = 0; k < in->n_links; k++)
        free_params(ctx, in->links[k].params, n->type->inputs[port].n_link_params);
      ysg__free(ctx, in->links);
    }
    ysg__free(ctx, n->inputs);
    ysg__free(ctx, n->outputs);
    ysg__free(ctx, n->out_buffer);
    ysg__free(ctx, n->scratch);
    ysg__free(ctx, n->name);
    ysg__free(ctx, n->file);
    ysg__free(ctx, n);
  }
  if (p->params.destroy) p->params.destroy(p->params.ud);
  for (int i = 0; i < p->n_buffers; i++) ysg__free(ctx, p->buffers[i].name);
  for (int i = 0; i < p->n_checks; i++) ysg__free(ctx, p->checks[i].what);
  ysg__free(ctx, p->checks);
  for (int i = 0; i < p->n_keep; i++) ysg__free(ctx, p->keep[i]);
  ysg__free(ctx, p->keep);
  ysg__image_api_free(p);
  ysg__free(ctx, p->buffers);
  ysg__free(ctx, p->nodes);
  ysg__free(ctx, p->name_slots);
  ysg__free(ctx, p->order);
  ysg__free(ctx, p->file);
  ysg__free(ctx, p->dir);
  ysg__free(ctx, p->out_dir);
  ysg__free(ctx, p->pipe);
  p->buffers = NULL;
  p->nodes = NULL;
  p->order = NULL;
  p->n_nodes = p->n_buffers = 0;
  p->file = p->dir = p->out_dir = NULL;
  p->pipe = NULL;
  p->closed = 1;
  ysg__pipeline_unref(p);
}

const ysg_canvas *ysg_pipeline_canvas(const ysg_pipeline *p) { return &p->canvas; }
ysg_backend ysg_pipeline_backend(const ysg_pipeline *p) { return p->backend; }
const char *ysg_pipeline_file(const ysg_pipeline *p) { return p->file; }

/* "node.param" -> node + param index, with messages naming what is missing */
static ysg_status find_param(ysg_pipeline *p, const char *name, ysg_node **out_n, int *out_k) {
  const char *dot = strchr(name, '.');
  char node[256];
  if (!dot || (size_t)(dot - name) >= sizeof node)
    return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': expected NODE.PARAM", name);
  memcpy(node, name, (size_t)(dot - name));
  node[dot - name] = 0;
  ysg_node *n = ysg__node_find(p, node);
  if (!n) return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': no node named '%s'", name, node);
  int k = ysg__param_index(n->type, dot + 1);
  if (k < 0)
    return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': node '%s' (%s) has no parameter '%s'",
                       name, n->name, n->type->name, dot + 1);
  if (n->type->params[k].flags & YSG_PARAM_STATIC)
    return ysg__seterr(
        p->ctx, YSG_ERR_INVALID,
        "'%s': parameter '%s' of node '%s' is fixed at load (set it with --set at load)", name,
        dot + 1, n->name);
  *out_n = n;
  *out_k = k;
  return YSG_OK;
}

ysg_status ysg_pipeline_set_param(ysg_pipeline *p, const char *name, const char *value) {
  ysg_node *n = NULL;
  int k;
  ysg_status s = find_param(p, name, &n, &k);
  if (!s) p->param_stamp = p->param_stamp == 0xffffffffu ? 1u : p->param_stamp + 1u;
  return s ? s : ysg__node_set_param_text(n, k, value);
}

ysg_status ysg_pipeline_set_param_number(ysg_pipeline *p, const char *name, double value) {
  ysg_node *n = NULL;
  int k;
  ysg_status s = find_param(p, name, &n, &k);
  if (!s) p->param_stamp = p->param_stamp == 0xffffffffu ? 1u : p->param_stamp + 1u;
  return s ? s : ysg__node_set_param_number(n, k, value);
}

static ysg_status find_input(ysg_pipeline *p, const char *name, const char *type, ysg_node **out) {
  ysg_node *n = ysg__node_find(p, name ? name : "");
  if (!n) return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "%s: no node named '%s'", p->file, name);
  if (strcmp(n->type->name, type) != 0)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: node '%s' is a %s node, expected %s", p->file,
                       name, n->type->name, type);
  *out = n;
  return YSG_OK;
}

ysg_status ysg_pipeline_set_points(ysg_pipeline *p, const char *node, const ysg_points_desc *d) {
  ysg_node *n = NULL;
  ysg_status s = find_input(p, node, "points_in", &n);
  return s ? s : ysg__input_set_points(n, d);
}

ysg_status ysg_pipeline_set_boxes(ysg_pipeline *p, const char *node, const ysg_boxes_desc *d) {
  ysg_node *n = NULL;
  ysg_status s = find_input(p, node, "boxes_in", &n);
  return s ? s : ysg__input_set_boxes(n, d);
}

ysg_status ysg_pipeline_set_image(ysg_pipeline *p, const char *node, const ysg_image_desc *d) {
  ysg_node *n = NULL;
  ysg_status s = find_input(p, node, "image_in", &n);
  return s ? s : ysg__input_set_image(n, d);
}

ysg_status ysg_pipeline_run_frame(ysg_pipeline *p, int frame) { return ysg__exec_frame(p, frame); }

/* wait for the device (reporting its capacity checks), then for the background writer */
static ysg_status drain(ysg_pipeline *p) {
  ysg_status s = p->dev ? ysg__device_sync(p) : YSG_OK;
  ysg_status w = ysg__writer_flush(p->writer);
  return s ? s : w;
}

ysg_status ysg_pipeline_flush(ysg_pipeline *p) { return drain(p); }

ysg_status ysg_pipeline_finish(ysg_pipeline *p) {
  if (!p->finalized || p->check_only)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: the pipeline is not loaded%s", p->file,
                       p->check_only ? " to run (check_only)" : "");
  ysg_status s = drain(p);
  if (s) return s; /* a failed write: outputs stay unfinished and destroy discards them */
  for (int k = 0; k < p->n_steps && !s; k++) {
    ysg_node *n = p->nodes[p->order[k]];
    if (!n->type->finish) continue;
    ysg__clearerr(p->ctx);
    s = n->type->finish(n);
    if (s && p->ctx->code != s) ysg_node_fail(n, s, "cannot finish (%s)", ysg_status_string(s));
  }
  return s;
}

ysg_status ysg_pipeline_run_range(ysg_pipeline *p, int first, int last, ysg_progress_fn fn,
                                  void *ud) {
  if (first < 0 || last < first)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: bad frame range %d..%d", p->file, first, last);
  ysg_status s = YSG_OK;
  int total = last - first + 1;
  for (int f = first; f <= last && !s; f++) {
    s = ysg__exec_frame(p, f);
    if (!s && fn && fn(ud, f, f - first + 1, total))
      s = ysg__seterr(p->ctx, YSG_ERR_CANCELLED, "%s: cancelled after frame %d", p->file, f);
  }
  if (s) {
    ysg_status code = p->ctx->code;
    char msg[YSG_ERRMSG_CAP];
    memcpy(msg, p->ctx->msg, sizeof msg);
    drain(p); /* finish what was queued; the first error wins */
    p->ctx->code = code;
    memcpy(p->ctx->msg, msg, sizeof msg);
    return s;
  }
  return drain(p);
}

ysg_status ysg_pipeline_get_value(ysg_pipeline *p, const char *ref, const ysg_value **out) {
  if (!out)
    return p ? ysg__seterr(p->ctx, YSG_ERR_INVALID, "ysg_pipeline_get_value: out is NULL")
             : YSG_ERR_INVALID;
  *out = NULL;
  ysg_value *v;
  int b, fetched;
  ysg_status s = ysg__get_value(p, ref, &v, &b, &fetched);
  if (!s && v->type == YSG_IMAGE) s = ysg__image_zero_empty(p, b, v, fetched);
  if (!s) *out = v;
  return s;
}

ysg_status ysg__get_value(ysg_pipeline *p, const char *ref, ysg_value **out, int *buffer,
                          int *fetched) {
  *out = NULL;
  if (fetched) *fetched = 0;
  if (!p) return YSG_ERR_INVALID;
  if (!ref) return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: the value's name is NULL", p->file);
  if (!p->finalized)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: the pipeline is not loaded", p->file);
  char node[256];
  const char *dot = strchr(ref, '.');
  size_t len = dot ? (size_t)(dot - ref) : strlen(ref);
  if (len >= sizeof node) return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "no value '%s'", ref);
  memcpy(node, ref, len);
  node[len] = 0;
  ysg_node *n = ysg__node_find(p, node);
  if (!n) return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': no node named '%s'", ref, node);
  int port = 0;
  if (dot) {
    port = ysg__port_index(n->type->outputs, n->type->n_outputs, dot + 1);
    if (port < 0)
      return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': node '%s' (%s) has no output '%s'", ref,
                         n->name, n->type->name, dot + 1);
  } else if (n->type->n_outputs == 0) {
    return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': node '%s' (%s) has no outputs", ref,
                       n->name, n->type->name);
  }
  int b = n->out_buffer[port];
  if (port == 0 && n->fused_into >= 0)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "'%s': this image is never made: its tiles are rendered inside '%s' "
                       "(tile fusion); list it in ysg_load_options.keep (--dump keeps it)",
                       ref, p->nodes[n->fused_into]->name);
  if (p->check_only)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "'%s': loaded with check_only: values have no memory", ref);
  if (b < 0 || strcmp(p->buffers[b].kind, "kept") != 0)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "'%s': this value is not kept after the frame (its memory is reused); list "
                       "it in ysg_load_options.keep (--dump keeps it)",
                       ref);
  if (fetched && p->dev && (p->buffers[b].where & YSG_WHERE_DEVICE) &&
      p->nodes[p->buffers[b].node]->on_device) {
    ysg_status fs = ysg__device_fetch(p, b);
    if (fs) return fs;
    *fetched = 1;
  }
  *out = &n->outputs[port];
  *buffer = b;
  return YSG_OK;
}

int ysg_pipeline_node_count(const ysg_pipeline *p) { return p->n_nodes; }

ysg_status ysg_pipeline_node_info(const ysg_pipeline *p, int i, ysg_node_info *out) {
  if (i < 0 || i >= p->n_nodes) return YSG_ERR_INVALID;
  const ysg_node *n = p->nodes[i];
  out->name = n->name;
  out->type = n->type->name;
  out->file = n->file;
  out->line = n->line;
  out->step = n->step;
  out->total_ms = n->total_ms;
  out->runs = n->runs;
  out->on_device = n->on_device;
  out->device_ms = n->dev_ms;
  out->info = n->info;
  out->fused_into = n->fused_into;
  out->tile_ms = n->tile_ms;
  return YSG_OK;
}

int ysg_pipeline_link_count(const ysg_pipeline *p) {
  int c = 0;
  for (int i = 0; i < p->n_nodes; i++)
    for (int port = 0; port < p->nodes[i]->type->n_inputs; port++)
      c += p->nodes[i]->inputs[port].n_links;
  return c;
}

ysg_status ysg_pipeline_link_info(const ysg_pipeline *p, int idx, ysg_link_info *out) {
  int c = 0;
  for (int i = 0; i < p->n_nodes; i++) {
    const ysg_node *n = p->nodes[i];
    for (int port = 0; port < n->type->n_inputs; port++)
      for (int k = 0; k < n->inputs[port].n_links; k++, c++) {
        if (c != idx) continue;
        const ysg_link *l = &n->inputs[port].links[k];
        out->from_node = l->from_node;
        out->to_node = i;
        out->from_port = p->nodes[l->from_node]->type->outputs[l->from_port].name;
        out->to_port = n->type->inputs[port].name;
        out->to_index = k;
        return YSG_OK;
      }
  }
  return YSG_ERR_INVALID;
}

ysg_status ysg_pipeline_plan(const ysg_pipeline *p, ysg_plan_info *out) {
  out->arena_bytes = p->arena_bytes;
  out->lower_bound_bytes = p->plan.lower_bound;
  out->n_buffers = p->n_buffers;
  out->n_steps = p->n_steps;
  out->order = p->plan.order ? p->plan.order : "none";
  return YSG_OK;
}

ysg_status ysg_pipeline_buffer_info(const ysg_pipeline *p, int i, ysg_buffer_info *out) {
  if (i < 0 || i >= p->n_buffers) return YSG_ERR_INVALID;
  const ysg_buffer *b = &p->buffers[i];
  out->name = b->name;
  out->kind = b->kind;
  out->bytes = b->bytes;
  out->offset = b->offset;
  out->first_step = b->first;
  out->last_step = b->last;
  return YSG_OK;
}

ysg_status ysg_pipeline_device_stats(const ysg_pipeline *p, ysg_device_stats *out) {
  memset(out, 0, sizeof *out);
  if (!p->dev)
    return ysg__seterr(p->ctx, YSG_ERR_UNSUPPORTED, "%s: the pipeline runs on the CPU backend",
                       p->file);
  ysg__device_stats(p, out);
  return YSG_OK;
}

ysg_status ysg_pipeline_get_value_device(ysg_pipeline *p, const char *ref, const ysg_value **out) {
  *out = NULL;
  if (!p->dev)
    return ysg__seterr(p->ctx, YSG_ERR_UNSUPPORTED, "'%s': the pipeline runs on the CPU backend",
                       ref);
  ysg_value *host;
  int b, fetched;
  ysg_status s = ysg__get_value(p, ref, &host, &b, &fetched); /* checks the name, waits */
  if (s) return s;
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    for (int o = 0; o < n->type->n_outputs; o++) {
      if (&n->outputs[o] != host) continue;
      if (!n->outputs_dev || !(p->buffers[n->out_buffer[o]].where & YSG_WHERE_DEVICE))
        return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                           "'%s': this value is made on the host and never uploaded", ref);
      ysg_value *v = &n->outputs_dev[n->type->n_outputs + o]; /* not the view nodes launch with */
      *v = n->outputs_dev[o];
      v->count = host->count;
      v->attrs = host->attrs;
      *out = v;
      return YSG_OK;
    }
  }
  return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "'%s': not found", ref);
}
