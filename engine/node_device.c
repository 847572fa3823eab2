/* node_device.c — the device half of the node API (include/ysgraph/node.h, "device execution"):
 * requests made in a node's device infer (parameter block, device scratch, capacity checks) and
 * the device views a node's device run uses (inputs, outputs, value headers). The executor that
 * gives these addresses meaning is engine/exec_device.c. */
#include <string.h>

#include "internal.h"

#define PARAM_ALIGN 16

int ysg_node_on_device(const ysg_node *n) { return n->on_device; }

static ysg_status only_in_infer(ysg_node *n, const char *what) {
  if (n->p->finalized || !n->on_device)
    return ysg_node_fail(n, YSG_ERR_INVALID, "%s can only be requested in the device infer", what);
  return YSG_OK;
}

ysg_status ysg_node_request_param_block(ysg_node *n, size_t bytes) {
  ysg_status s = only_in_infer(n, "a parameter block");
  if (s) return s;
  n->param_bytes = (bytes + PARAM_ALIGN - 1) / PARAM_ALIGN * PARAM_ALIGN;
  return YSG_OK;
}

void *ysg_node_param_block(const ysg_node *n) {
  if (!n->param_bytes || !n->p->h_params) return NULL;
  return n->p->h_params + n->param_offset;
}

const void *ysg_node_param_block_device(const ysg_node *n) {
  if (!n->param_bytes || !n->p->d_params) return NULL;
  return n->p->d_params + n->param_offset;
}

ysg_status ysg_node_request_device_scratch(ysg_node *n, size_t bytes, int persistent, int *handle) {
  ysg_status s = only_in_infer(n, "device scratch memory");
  if (s) return s;
  if (n->n_dscratch == n->cap_dscratch) {
    int cap = n->cap_dscratch ? n->cap_dscratch * 2 : 4;
    ysg_scratch *ns = ysg__realloc_array(n->p->ctx, n->dscratch, (size_t)n->cap_dscratch,
                                         (size_t)cap, sizeof *ns);
    if (!ns) return YSG_ERR_NOMEM;
    n->dscratch = ns;
    n->cap_dscratch = cap;
  }
  n->dscratch[n->n_dscratch].bytes = bytes;
  n->dscratch[n->n_dscratch].persistent = persistent;
  n->dscratch[n->n_dscratch].buffer = -1;
  *handle = n->n_dscratch++;
  return YSG_OK;
}

void *ysg_node_device_scratch(const ysg_node *n, int handle) {
  if (handle < 0 || handle >= n->n_dscratch || n->dscratch[handle].buffer < 0 || !n->p->d_arena ||
      !(n->p->buffers[n->dscratch[handle].buffer].where & YSG_WHERE_DEVICE))
    return NULL;
  return n->p->d_arena + n->p->buffers[n->dscratch[handle].buffer].dev_offset;
}

ysg_status ysg_node_request_device_check(ysg_node *n, const char *what, int capacity, int *handle) {
  ysg_status s = only_in_infer(n, "a device check");
  if (s) return s;
  ysg_pipeline *p = n->p;
  if (p->n_checks == p->cap_checks) {
    int cap = p->cap_checks ? p->cap_checks * 2 : 8;
    ysg_check *nc =
        ysg__realloc_array(p->ctx, p->checks, (size_t)p->cap_checks, (size_t)cap, sizeof *nc);
    if (!nc) return YSG_ERR_NOMEM;
    p->checks = nc;
    p->cap_checks = cap;
  }
  ysg_check *c = &p->checks[p->n_checks];
  c->node = n->index;
  c->capacity = capacity;
  c->what = ysg__strdup(p->ctx, what ? what : "elements");
  if (!c->what) return YSG_ERR_NOMEM;
  *handle = p->n_checks++;
  return YSG_OK;
}

int32_t *ysg_node_device_check(const ysg_node *n, int handle) {
  const ysg_pipeline *p = n->p;
  if (handle < 0 || handle >= p->n_checks || p->checks[handle].node != n->index || !p->d_checks)
    return NULL;
  return p->d_checks + handle;
}

static const ysg_link *link_at(const ysg_node *n, int port, int k) {
  if (port < 0 || port >= n->type->n_inputs || k < 0 || k >= n->inputs[port].n_links) return NULL;
  return &n->inputs[port].links[k];
}

const ysg_value *ysg_node_input_device(const ysg_node *n, int port, int k) {
  const ysg_link *l = link_at(n, port, k);
  if (!l) return NULL;
  const ysg_node *from = n->p->nodes[l->from_node];
  return from->outputs_dev ? &from->outputs_dev[l->from_port] : NULL;
}

ysg_value *ysg_node_output_device(ysg_node *n, int port) {
  if (port < 0 || port >= n->type->n_outputs || !n->outputs_dev) return NULL;
  return &n->outputs_dev[port];
}

const ysg_value_header *ysg_node_input_header(const ysg_node *n, int port, int k) {
  const ysg_link *l = link_at(n, port, k);
  if (!l || !n->p->d_headers) return NULL;
  int b = n->p->nodes[l->from_node]->out_buffer[l->from_port];
  return b >= 0 ? n->p->d_headers + b : NULL;
}

ysg_value_header *ysg_node_output_header(ysg_node *n, int port) {
  if (port < 0 || port >= n->type->n_outputs || !n->p->d_headers) return NULL;
  int b = n->out_buffer[port];
  return b >= 0 ? n->p->d_headers + b : NULL;
}
