/* finalize.c — turning a built graph into a runnable pipeline: required params/inputs, cycle
 * detection (naming the cycle), a deterministic topological order, node init and shape inference,
 * tile fusion (engine/tiles.c: a fused image gets no buffer; what its producer reads lives until
 * the consumer's pass), buffer lifetimes (+ in-place aliasing), the arena plan and the one arena
 * allocation. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define SUB_ALIGN 64 /* alignment of the arrays inside one value */

static size_t up(size_t x, size_t a) { return (x + a - 1) / a * a; }

size_t ysg__value_bytes(const ysg_value *v) {
  size_t cap = (size_t)(v->capacity > 0 ? v->capacity : 0);
  switch (v->type) {
    case YSG_POINTS: /* xy, id, radius, conf, rgba, label */
      return up(cap * 8, SUB_ALIGN) + 4 * up(cap * 4, SUB_ALIGN) + up(cap * 16, SUB_ALIGN);
    case YSG_EDGES:
      return up(cap * 8, SUB_ALIGN);
    case YSG_CURVES: /* xy, ij */
      return up(cap * (size_t)(v->samples > 0 ? v->samples : 0) * 8, SUB_ALIGN) +
             up(cap * 8, SUB_ALIGN);
    case YSG_BOXES: /* xywh, id, rgba, conf, label */
      return up(cap * 16, SUB_ALIGN) + 3 * up(cap * 4, SUB_ALIGN) + up(cap * 16, SUB_ALIGN);
    case YSG_IMAGE:
      return up((size_t)v->width * (size_t)v->height * 8, SUB_ALIGN) +
             up((size_t)v->tiles_x * (size_t)v->tiles_y, SUB_ALIGN);
    case YSG_SHAPES: /* kind, geom, rgba, error */
      return up(cap * 4, SUB_ALIGN) + up(cap * 32, SUB_ALIGN) + up(cap * 16, SUB_ALIGN) +
             up(cap * 4, SUB_ALIGN);
    default:
      return 0;
  }
}

void ysg__value_bind(ysg_value *v, unsigned char *m) {
  size_t cap = (size_t)(v->capacity > 0 ? v->capacity : 0);
#define TAKE(field, type, bytes) \
  do {                           \
    v->field = (type *)m;        \
    m += up((bytes), SUB_ALIGN); \
  } while (0)
  switch (v->type) {
    case YSG_POINTS:
      TAKE(xy, float, cap * 8);
      TAKE(id, int32_t, cap * 4);
      TAKE(radius, float, cap * 4);
      TAKE(conf, float, cap * 4);
      TAKE(rgba, float, cap * 16);
      TAKE(label, int32_t, cap * 4);
      break;
    case YSG_EDGES:
      TAKE(ij, int32_t, cap * 8);
      break;
    case YSG_CURVES:
      TAKE(xy, float, cap *(size_t)v->samples * 8);
      TAKE(ij, int32_t, cap * 8);
      break;
    case YSG_BOXES:
      TAKE(xywh, float, cap * 16);
      TAKE(id, int32_t, cap * 4);
      TAKE(rgba, float, cap * 16);
      TAKE(conf, float, cap * 4);
      TAKE(label, int32_t, cap * 4);
      break;
    case YSG_IMAGE:
      TAKE(px, uint16_t, (size_t)v->width * (size_t)v->height * 8);
      TAKE(tiles, uint8_t, (size_t)v->tiles_x * (size_t)v->tiles_y);
      break;
    case YSG_SHAPES:
      TAKE(kind, int32_t, cap * 4);
      TAKE(geom, float, cap * 32);
      TAKE(rgba, float, cap * 16);
      TAKE(error, float, cap * 4);
      break;
    default:
      break;
  }
#undef TAKE
}

static ysg_status fail(ysg_node *n, int line, ysg_status s, const char *fmt, const char *a,
                       const char *b) {
  char pre[512];
  ysg__node_prefix(n, line, pre, sizeof pre);
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, a, b);
  return ysg__seterr(n->p->ctx, s, "%s%s", pre, msg);
}

static ysg_status check_required(ysg_pipeline *p) {
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    const ysg_node_type *t = n->type;
    for (int k = 0; k < t->n_params; k++)
      if ((t->params[k].flags & YSG_PARAM_REQUIRED) && !n->params[k].is_set)
        return fail(n, 0, YSG_ERR_PIPELINE, "parameter '%s' is required (expected %s)",
                    t->params[k].name, ysg__param_kind_name(t->params[k].kind));
    for (int k = 0; k < t->n_inputs; k++)
      if (!(t->inputs[k].flags & YSG_PORT_OPTIONAL) && n->inputs[k].n_links == 0)
        return fail(n, 0, YSG_ERR_PIPELINE, "input '%s' is not connected (expected %s)",
                    t->inputs[k].name, ysg__value_type_name(t->inputs[k].type));
  }
  return YSG_OK;
}

/* DFS colouring; on a back edge, report the cycle as "a -> b -> c -> a" */
static ysg_status find_cycle(ysg_pipeline *p) {
  ysg_context *ctx = p->ctx;
  int n = p->n_nodes;
  if (n == 0) return YSG_OK;
  int *color = ysg__alloc(ctx, sizeof(int) * (size_t)n);
  int *parent = ysg__alloc(ctx, sizeof(int) * (size_t)n);
  int *stack = ysg__alloc(ctx, sizeof(int) * (size_t)n * 2);
  if (!color || !parent || !stack) {
    ysg__free(ctx, color);
    ysg__free(ctx, parent);
    ysg__free(ctx, stack);
    return YSG_ERR_NOMEM;
  }
  ysg_status st = YSG_OK;
  /* edges go consumer -> producer (inputs); a cycle either way is a cycle */
  for (int root = 0; root < n && !st; root++) {
    if (color[root]) continue;
    int sp = 0;
    stack[sp++] = root;
    stack[sp++] = 0; /* next (port, link) cursor flattened */
    color[root] = 1;
    parent[root] = -1;
    while (sp && !st) {
      int v = stack[sp - 2];
      int cur = stack[sp - 1];
      ysg_node *nv = p->nodes[v];
      int idx = 0, next = -1;
      for (int port = 0; port < nv->type->n_inputs && next < 0; port++)
        for (int k = 0; k < nv->inputs[port].n_links; k++, idx++)
          if (idx == cur) {
            next = nv->inputs[port].links[k].from_node;
            break;
          }
      if (next < 0) {
        color[v] = 2;
        sp -= 2;
        continue;
      }
      stack[sp - 1] = cur + 1;
      if (color[next] == 1) {
        /* the path v, parent(v), ..., next is in data-flow order (each feeds the next one);
         * print it starting from the node created first, so the message is stable */
        int cyc[64] = {0}, nc = 0;
        for (int u = v; u >= 0 && nc < 64; u = parent[u]) {
          cyc[nc++] = u;
          if (u == next) break;
        }
        int first = 0;
        for (int i = 1; i < nc; i++)
          if (cyc[i] < cyc[first]) first = i;
        char buf[1024];
        size_t len = 0;
        for (int i = 0; i <= nc && len < sizeof buf - 64; i++)
          len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " -> " : "",
                                  p->nodes[cyc[(first + i) % nc]]->name);
        ysg_node *head = p->nodes[cyc[first]];
        st = ysg__seterr(ctx, YSG_ERR_PIPELINE, "%s:%d: the graph has a cycle: %s", head->file,
                         head->line, buf);
      } else if (color[next] == 0) {
        color[next] = 1;
        parent[next] = v;
        stack[sp++] = next;
        stack[sp++] = 0;
      }
    }
  }
  ysg__free(ctx, color);
  ysg__free(ctx, parent);
  ysg__free(ctx, stack);
  return st;
}

/* consumers of each node, as CSR: for producer v, cons[start[v] .. start[v + 1]) are the nodes
 * reading it, once per link (a node reading v twice appears twice) */
typedef struct consumers {
  int *start, *cons;
} consumers;

static void consumers_free(ysg_context *ctx, consumers *c) {
  ysg__free(ctx, c->start);
  ysg__free(ctx, c->cons);
}

static ysg_status consumers_build(ysg_pipeline *p, consumers *c) {
  int n = p->n_nodes;
  size_t links = 0;
  c->start = ysg__alloc(p->ctx, sizeof(int) * ((size_t)n + 1));
  for (int i = 0; c->start && i < n; i++)
    for (int port = 0; port < p->nodes[i]->type->n_inputs; port++) {
      const ysg_input *in = &p->nodes[i]->inputs[port];
      for (int k = 0; k < in->n_links; k++) c->start[in->links[k].from_node + 1]++;
      links += (size_t)in->n_links;
    }
  c->cons = ysg__alloc(p->ctx, sizeof(int) * (links ? links : 1));
  if (!c->start || !c->cons) return YSG_ERR_NOMEM;
  for (int v = 0; v < n; v++) c->start[v + 1] += c->start[v];
  int *fill = ysg__alloc(p->ctx, sizeof(int) * (size_t)(n ? n : 1));
  if (!fill) return YSG_ERR_NOMEM;
  for (int i = 0; i < n; i++)
    for (int port = 0; port < p->nodes[i]->type->n_inputs; port++) {
      const ysg_input *in = &p->nodes[i]->inputs[port];
      for (int k = 0; k < in->n_links; k++) {
        int v = in->links[k].from_node;
        c->cons[c->start[v] + fill[v]++] = i;
      }
    }
  ysg__free(p->ctx, fill);
  return YSG_OK;
}

/* a binary min-heap of node indices */
static void heap_push(int *h, int *n, int v) {
  int i = (*n)++;
  while (i > 0 && h[(i - 1) / 2] > v) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = v;
}

static int heap_pop(int *h, int *n) {
  int top = h[0], v = h[--*n], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (h[c] >= v) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = v;
  return top;
}

/* Kahn's algorithm, always taking the ready node created first: deterministic; O(E log N) */
static ysg_status topo_order(ysg_pipeline *p) {
  ysg_context *ctx = p->ctx;
  int n = p->n_nodes;
  consumers c = {0};
  p->order = ysg__alloc(ctx, sizeof(int) * (size_t)(n ? n : 1));
  int *indeg = ysg__alloc(ctx, sizeof(int) * (size_t)(n ? n : 1));
  int *ready = ysg__alloc(ctx, sizeof(int) * (size_t)(n ? n : 1));
  ysg_status st = p->order && indeg && ready ? consumers_build(p, &c) : YSG_ERR_NOMEM;
  int done = 0, n_ready = 0;
  if (!st) {
    for (int i = 0; i < n; i++) {
      ysg_node *v = p->nodes[i];
      for (int port = 0; port < v->type->n_inputs; port++) indeg[i] += v->inputs[port].n_links;
      if (indeg[i] == 0) heap_push(ready, &n_ready, i);
    }
    while (n_ready) {
      int pick = heap_pop(ready, &n_ready);
      p->nodes[pick]->step = done;
      p->order[done++] = pick;
      for (int e = c.start[pick]; e < c.start[pick + 1]; e++)
        if (--indeg[c.cons[e]] == 0) heap_push(ready, &n_ready, c.cons[e]);
    }
  }
  consumers_free(ctx, &c);
  ysg__free(ctx, indeg);
  ysg__free(ctx, ready);
  if (st) return st;
  p->n_steps = done;
  return done == n ? YSG_OK : find_cycle(p); /* the rest lies on or behind a cycle */
}

int ysg__is_kept(const ysg_pipeline *p, const ysg_node *n, int port) {
  for (int i = 0; i < p->n_keep; i++) {
    const char *k = p->keep[i];
    size_t len = strlen(n->name);
    if (strncmp(k, n->name, len) != 0) continue;
    if (k[len] == 0 && port == 0) return 1;
    if (k[len] == '.' && strcmp(k + len + 1, n->type->outputs[port].name) == 0) return 1;
  }
  return 0;
}

static ysg_status resolve_paths(ysg_pipeline *p) {
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    for (int k = 0; k < n->type->n_params; k++) {
      ysg_param_kind kind = n->type->params[k].kind;
      ysg_param_value *v = &n->params[k];
      if ((kind != YSG_PARAM_PATH && kind != YSG_PARAM_OUTPUT) || !v->str) continue;
      ysg__free(p->ctx, v->resolved);
      v->resolved = NULL;
      ysg_status s = ysg__resolve_path(n, k, kind == YSG_PARAM_OUTPUT, v->str, &v->resolved);
      if (s) return s;
    }
  }
  return YSG_OK;
}

static ysg_status add_buffer(ysg_pipeline *p, ysg_buffer *b) {
  if (p->n_buffers == p->cap_buffers) { /* geometric: loading stays linear in the node count */
    int cap = p->cap_buffers ? p->cap_buffers * 2 : 64;
    ysg_buffer *nb =
        ysg__realloc_array(p->ctx, p->buffers, (size_t)p->n_buffers, (size_t)cap, sizeof *nb);
    if (!nb) {
      ysg__free(p->ctx, b->name);
      return YSG_ERR_NOMEM;
    }
    p->buffers = nb;
    p->cap_buffers = cap;
  }
  p->buffers[p->n_buffers++] = *b;
  return YSG_OK;
}

/* every init before any infer (sources may set the canvas) and before the backend is chosen
 * (a node's device support may depend on what init found, e.g. whether NVDEC opened) */
static ysg_status init_all(ysg_pipeline *p) {
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    if (n->type->init) {
      ysg_status st = n->type->init(n);
      if (st) return st;
    }
  }
  return YSG_OK;
}

static ysg_status infer_all(ysg_pipeline *p) {
  ysg_context *ctx = p->ctx;
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    if (n->type->infer) {
      ysg_status st = n->type->infer(n);
      if (st) return st;
    }
    if (n->on_device && n->type->device->infer) {
      ysg_status st = n->type->device->infer(n);
      if (st) return st;
    }
    for (int o = 0; o < n->type->n_outputs; o++) {
      ysg_value *v = &n->outputs[o];
      v->type = n->type->outputs[o].type;
      if (v->type == YSG_IMAGE) {
        if (v->width <= 0) v->width = p->canvas.width;
        if (v->height <= 0) v->height = p->canvas.height;
        v->tiles_x = (v->width + YSG_TILE - 1) / YSG_TILE;
        v->tiles_y = (v->height + YSG_TILE - 1) / YSG_TILE;
        v->capacity = v->count = 1;
      } else {
        if (v->capacity <= 0) v->capacity = 1;
        if (v->type == YSG_CURVES && v->samples < 2)
          return fail(n, 0, YSG_ERR_PIPELINE, "output '%s': curves need at least 2 samples%s",
                      n->type->outputs[o].name, "");
      }
    }
  }
  (void)ctx;
  return YSG_OK;
}

/* What the consumers of one output do with it, gathered in one pass over the links. */
typedef struct output_use {
  int last;                  /* step of the last consumer, -1 if none */
  int host_reads, dev_reads; /* read by a host node / a device node */
} output_use;

/* uses[first_output[v] + port] for every node v's outputs */
static ysg_status gather_uses(ysg_pipeline *p, int **first_output, output_use **uses) {
  int n = p->n_nodes, total = 0;
  *first_output = ysg__alloc(p->ctx, sizeof(int) * ((size_t)n + 1));
  if (!*first_output) return YSG_ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    (*first_output)[i] = total;
    total += p->nodes[i]->type->n_outputs;
  }
  (*first_output)[n] = total;
  *uses = ysg__alloc(p->ctx, sizeof **uses * (size_t)(total ? total : 1));
  if (!*uses) return YSG_ERR_NOMEM;
  for (int i = 0; i < total; i++) (*uses)[i].last = -1;
  for (int i = 0; i < n; i++) {
    const ysg_node *c = p->nodes[i];
    for (int q = 0; q < c->type->n_inputs; q++)
      for (int k = 0; k < c->inputs[q].n_links; k++) {
        const ysg_link *l = &c->inputs[q].links[k];
        output_use *u = &(*uses)[(*first_output)[l->from_node] + l->from_port];
        if (ysg__use_step(p, c) > u->last) u->last = ysg__use_step(p, c); /* fused: its pass */
        if (c->step < 0) continue;
        if (c->on_device)
          u->dev_reads = 1;
        else
          u->host_reads = 1;
      }
  }
  return YSG_OK;
}

/* Which memories a node's output needs. CPU backend: the host arena. CUDA backend: a device
 * node's output lives on the device (and in the host arena too when a host node reads it or it is
 * kept: downloaded); a host node's output lives in the host arena, or in pinned double-buffered
 * staging when a device node reads it (uploaded). */
static unsigned output_where(const ysg_pipeline *p, const ysg_node *n, const output_use *u,
                             int kept) {
  if (p->backend != YSG_BACKEND_CUDA) return YSG_WHERE_HOST;
  if (n->on_device) return YSG_WHERE_DEVICE | (u->host_reads || kept ? YSG_WHERE_HOST : 0u);
  return u->dev_reads ? YSG_WHERE_STAGED | YSG_WHERE_DEVICE : YSG_WHERE_HOST;
}

static ysg_status add_scratch(ysg_pipeline *p, ysg_node *n, int s, ysg_scratch *sc, int device,
                              int k) {
  int last_step = p->n_steps > 0 ? p->n_steps - 1 : 0;
  char name[512];
  snprintf(name, sizeof name, "%s.%s%s%d", n->name, device ? "device_" : "",
           sc->persistent ? "state" : "scratch", k);
  ysg_buffer b = {0};
  b.name = ysg__strdup(p->ctx, name);
  b.kind = sc->persistent ? "state" : "scratch";
  b.bytes = up(sc->bytes ? sc->bytes : 1, YSG_ALIGN);
  b.first = sc->persistent ? 0 : s;
  b.last = sc->persistent ? last_step : ysg__use_step(p, n); /* fused: until its tiles are made */
  b.alias_of = -1;
  b.node = n->index;
  b.port = -1;
  /* a node's host scratch is only needed where it runs on the host, and vice versa */
  b.where = device ? (n->on_device ? YSG_WHERE_DEVICE : 0u) : (n->on_device ? 0u : YSG_WHERE_HOST);
  if (!b.name) return YSG_ERR_NOMEM;
  sc->buffer = p->n_buffers;
  return add_buffer(p, &b);
}

static void free_buffers(ysg_pipeline *p) {
  for (int i = 0; i < p->n_buffers; i++) ysg__free(p->ctx, p->buffers[i].name);
  ysg__free(p->ctx, p->buffers);
  p->buffers = NULL;
  p->n_buffers = p->cap_buffers = 0;
}

static ysg_status make_buffers_with(ysg_pipeline *p, const int *first_output,
                                    const output_use *uses);

static ysg_status make_buffers(ysg_pipeline *p) {
  int *first_output = NULL;
  output_use *uses = NULL;
  ysg_status st = gather_uses(p, &first_output, &uses);
  if (!st) st = make_buffers_with(p, first_output, uses);
  ysg__free(p->ctx, first_output);
  ysg__free(p->ctx, uses);
  return st;
}

static ysg_status make_buffers_with(ysg_pipeline *p, const int *first_output,
                                    const output_use *uses) {
  ysg_context *ctx = p->ctx;
  int last_step = p->n_steps > 0 ? p->n_steps - 1 : 0;
  free_buffers(p);
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    for (int o = 0; o < n->type->n_outputs; o++) {
      const output_use *u = &uses[first_output[n->index] + o];
      int last = u->last;
      if (o == 0 && n->fused_into >= 0) { /* rendered tile by tile in its consumer's pass */
        n->out_buffer[o] = -1;
        continue;
      }
      int kept = last < 0 || ysg__is_kept(p, n, o);
      char name[512];
      snprintf(name, sizeof name, "%s.%s", n->name, n->type->outputs[o].name);
      ysg_buffer b = {0};
      b.name = ysg__strdup(ctx, name);
      b.kind = kept ? "kept" : "value";
      b.bytes = up(ysg__value_bytes(&n->outputs[o]), YSG_ALIGN);
      b.first = s;
      b.last = kept ? last_step : last;
      b.alias_of = -1;
      b.node = n->index;
      b.port = o;
      b.where = output_where(p, n, u, kept);
      if (!b.name) return YSG_ERR_NOMEM;
      /* in place: output 0 takes over the first link of input 0 when that value dies here (on
       * the CUDA backend only between values made and used on the same side, never staging) */
      if (o == 0 && (n->type->flags & YSG_NODE_INPLACE) && n->type->n_inputs > 0 &&
          n->inputs[0].n_links > 0) {
        ysg_link *l = &n->inputs[0].links[0];
        int src = p->nodes[l->from_node]->out_buffer[l->from_port];
        int root = src;
        while (root >= 0 && p->buffers[root].alias_of >= 0) root = p->buffers[root].alias_of;
        int same_side = root >= 0 && p->nodes[p->buffers[root].node]->on_device == n->on_device &&
                        !(p->buffers[root].where & YSG_WHERE_STAGED);
        if (src >= 0 && same_side && p->buffers[src].last == s &&
            strcmp(p->buffers[root].kind, "value") == 0 && p->buffers[root].bytes == b.bytes) {
          int used_twice = 0; /* the same value feeding two links of this node must stay intact */
          for (int port = 0; port < n->type->n_inputs; port++)
            for (int k = 0; k < n->inputs[port].n_links; k++)
              if ((port || k) && n->inputs[port].links[k].from_node == l->from_node &&
                  n->inputs[port].links[k].from_port == l->from_port)
                used_twice = 1;
          if (!used_twice) {
            b.alias_of = root;
            p->buffers[root].last = b.last;
            p->buffers[root].where |= b.where;
            if (kept) p->buffers[root].kind = "kept";
          }
        }
      }
      n->out_buffer[o] = p->n_buffers;
      ysg_status st = add_buffer(p, &b);
      if (st) return st;
    }
    for (int k = 0; k < n->n_scratch; k++) {
      ysg_status st = add_scratch(p, n, s, &n->scratch[k], 0, k);
      if (st) return st;
    }
    for (int k = 0; k < n->n_dscratch; k++) {
      ysg_status st = add_scratch(p, n, s, &n->dscratch[k], 1, k);
      if (st) return st;
    }
  }
  for (int i = 0; i < p->n_buffers; i++) { /* aliases share their root's memories */
    int root = i;
    while (p->buffers[root].alias_of >= 0) root = p->buffers[root].alias_of;
    p->buffers[i].where = p->buffers[root].where;
  }
  return YSG_OK;
}

/* Place the buffers that live in `where` (HOST or DEVICE): offset (host) or dev_offset. */
static ysg_status plan_one(ysg_pipeline *p, unsigned where, int device, ysg_plan_result *out) {
  ysg_context *ctx = p->ctx;
  int nb = p->n_buffers;
  ysg_plan_item *items = ysg__alloc(ctx, sizeof *items * (size_t)(nb ? nb : 1));
  int *map = ysg__alloc(ctx, sizeof(int) * (size_t)(nb ? nb : 1));
  if (!items || !map) {
    ysg__free(ctx, items);
    ysg__free(ctx, map);
    return YSG_ERR_NOMEM;
  }
  int ni = 0;
  for (int i = 0; i < nb; i++) {
    if (p->buffers[i].alias_of >= 0 || !(p->buffers[i].where & where)) continue;
    items[ni].bytes = p->buffers[i].bytes;
    items[ni].first = p->buffers[i].first;
    items[ni].last = p->buffers[i].last;
    map[ni++] = i;
  }
  ysg_status st = ysg__plan(ctx, items, ni, p->n_steps > 0 ? p->n_steps : 1, out);
  if (st == YSG_OK) {
    for (int i = 0; i < ni; i++) {
      if (device)
        p->buffers[map[i]].dev_offset = items[i].offset;
      else
        p->buffers[map[i]].offset = items[i].offset;
    }
    for (int i = 0; i < nb; i++) {
      int root = i;
      while (p->buffers[root].alias_of >= 0) root = p->buffers[root].alias_of;
      if (device)
        p->buffers[i].dev_offset = p->buffers[root].dev_offset;
      else
        p->buffers[i].offset = p->buffers[root].offset;
    }
  }
  ysg__free(ctx, items);
  ysg__free(ctx, map);
  return st;
}

static ysg_status plan_arena(ysg_pipeline *p) {
  ysg_status st = plan_one(p, YSG_WHERE_HOST, 0, &p->host_plan);
  if (st) return st;
  p->plan = p->host_plan;
  if (p->backend != YSG_BACKEND_CUDA) return YSG_OK;
  /* staging holds every staged value side by side (no reuse: both slots stay valid a frame) */
  size_t stage = 0;
  for (int i = 0; i < p->n_buffers; i++)
    if ((p->buffers[i].where & YSG_WHERE_STAGED) && p->buffers[i].alias_of < 0) {
      p->buffers[i].stage_offset = stage;
      stage += p->buffers[i].bytes;
    }
  size_t params = 0;
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    n->param_offset = params;
    params += n->param_bytes;
  }
  p->param_total = params;
  return plan_one(p, YSG_WHERE_DEVICE, 1, &p->plan); /* the device arena is the main one */
}

ysg_status ysg__arena_fail(ysg_pipeline *p, unsigned where, ysg_status st, const char *what,
                           size_t bytes, const char *detail) {
  int big = -1;
  for (int i = 0; i < p->n_buffers; i++)
    if ((p->buffers[i].where & where) && p->buffers[i].alias_of < 0 &&
        (big < 0 || p->buffers[i].bytes > p->buffers[big].bytes))
      big = i;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (big < 0)
    return ysg__seterr(p->ctx, st, "%s: cannot allocate the %s of %zu bytes%s%s", p->file, what,
                       bytes, detail ? ": " : "", detail ? detail : "");
  char pre[512];
  ysg__node_prefix(p->nodes[p->buffers[big].node], 0, pre, sizeof pre);
  return ysg__seterr(p->ctx, st,
                     "%scannot allocate the %s of %zu bytes (%.3g GiB), its largest buffer being "
                     "'%s' (%.3g GiB)%s%s",
                     pre, what, bytes, (double)bytes / gib, p->buffers[big].name,
                     (double)p->buffers[big].bytes / gib, detail ? ": " : "", detail ? detail : "");
}

static ysg_status allocate_and_bind(ysg_pipeline *p) {
  p->host_arena_bytes = p->host_plan.arena_bytes;
  p->arena_bytes = p->plan.arena_bytes;
  ysg__free(p->ctx, p->arena);
  p->arena =
      ysg__alloc_aligned(p->ctx, p->host_arena_bytes ? p->host_arena_bytes : YSG_ALIGN, 4096);
  if (!p->arena)
    return ysg__arena_fail(p, YSG_WHERE_HOST, YSG_ERR_NOMEM, "arena", p->host_arena_bytes, NULL);
  memset(p->arena, 0, p->host_arena_bytes);
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    for (int o = 0; o < n->type->n_outputs; o++)
      if (n->out_buffer[o] >= 0 && (p->buffers[n->out_buffer[o]].where & YSG_WHERE_HOST))
        ysg__value_bind(&n->outputs[o], p->arena + p->buffers[n->out_buffer[o]].offset);
  }
  return YSG_OK;
}

/* Decide the backend before shapes are inferred (device nodes request device memory in their
 * device infer); a CUDA request without a usable device fails, auto falls back with a notice. */
static ysg_status choose_backend(ysg_pipeline *p, char *why, size_t cap) {
  int have = p->backend == YSG_BACKEND_CPU ? 0 : ysg__cuda_probe(why, cap);
  if (p->backend == YSG_BACKEND_CUDA && !have)
    return ysg__seterr(p->ctx, YSG_ERR_UNSUPPORTED, "%s: backend 'cuda' is unavailable: %s",
                       p->file, why);
  p->backend = have ? YSG_BACKEND_CUDA : YSG_BACKEND_CPU;
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    const ysg_device_ops *d = n->type->device;
    n->on_device = have && d && d->run && (!d->supported || d->supported(n));
  }
  return YSG_OK;
}

/* Out of device memory at load with backend auto: run on the CPU instead (same plan rules). */
static ysg_status fall_back_to_cpu(ysg_pipeline *p) {
  ysg__log(p->ctx, YSG_LOG_INFO, "using the CPU backend (%s)", p->ctx->msg);
  ysg__clearerr(p->ctx);
  p->backend = YSG_BACKEND_CPU;
  for (int i = 0; i < p->n_nodes; i++) p->nodes[i]->on_device = 0;
  ysg_status st;
  if ((st = ysg__fuse_links(p)) || (st = make_buffers(p)) || (st = plan_arena(p)) ||
      (st = allocate_and_bind(p)) || (st = ysg__tiles_alloc(p)))
    return st;
  return YSG_OK;
}

ysg_status ysg__pipeline_finalize(ysg_pipeline *p) {
  if (p->finalized) return YSG_OK;
  ysg_backend asked = p->backend;
  char why[512] = "";
  ysg_status st;
  if (p->pipe && (st = ysg__pipe_attach(p, p->pipe))) return st;
  if ((st = check_required(p)) || (st = topo_order(p)) || (st = resolve_paths(p)) ||
      (st = init_all(p)) || (st = choose_backend(p, why, sizeof why)) ||
      (st = ysg__fuse_links(p)) || (st = infer_all(p)) || (st = make_buffers(p)) ||
      (st = plan_arena(p)))
    return st;
  if (p->check_only) { /* planned: enough for check, plan and graph; no memory, no note */
    p->host_arena_bytes = p->host_plan.arena_bytes;
    p->arena_bytes = p->plan.arena_bytes;
    p->finalized = 1;
    return YSG_OK;
  }
  if ((st = allocate_and_bind(p)) || (st = ysg__tiles_alloc(p))) return st;
  if (p->backend == YSG_BACKEND_CUDA && (st = ysg__device_create(p))) {
    if (asked != YSG_BACKEND_AUTO || st != YSG_ERR_NOMEM) return st;
    if ((st = fall_back_to_cpu(p))) return st;
    why[0] = 0; /* fall_back_to_cpu said why */
  }
  if ((st = ysg__writer_create(p->ctx, &p->writer))) return st;
  if (asked == YSG_BACKEND_AUTO && p->backend == YSG_BACKEND_CPU && why[0])
    ysg__log(p->ctx, YSG_LOG_INFO, "using the CPU backend (%s)", why);
  p->finalized = 1;
  return YSG_OK;
}
