/* node_api.c — the functions node implementations call (include/ysgraph/node.h): params, ports,
 * scratch memory, errors with the node's location, logging, parallel loops and the writer. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pool.h"

const char *ysg_node_name(const ysg_node *n) { return n->name; }
const ysg_node_type *ysg_node_get_type(const ysg_node *n) { return n->type; }
const ysg_canvas *ysg_node_canvas(const ysg_node *n) { return &n->p->canvas; }

void ysg_node_suggest_canvas(ysg_node *n, int width, int height, int frames, double fps) {
  ysg_pipeline *p = n->p;
  if (width > 0 && height > 0 && !p->canvas_size_set) {
    p->canvas.width = width;
    p->canvas.height = height;
    p->canvas_size_set = 1;
  }
  if (frames > 0 && !p->canvas_frames_set) {
    p->canvas.frames = frames;
    p->canvas_frames_set = 1;
  }
  if (fps > 0 && !p->canvas_fps_set) {
    p->canvas.fps = fps;
    p->canvas_fps_set = 1;
  }
}
void *ysg_node_state(const ysg_node *n) { return n->state; }
int ysg_node_check_only(const ysg_node *n) { return n->p->check_only; }
unsigned ysg_node_frames_done(const ysg_node *n) { return n->p->frames_done; }
void ysg_node_set_state(ysg_node *n, void *state) { n->state = state; }

void *ysg_node_alloc(ysg_node *n, size_t bytes) {
  void *ptr = ysg__alloc(n->p->ctx, bytes);
  if (!ptr) {
    char pre[512];
    ysg__node_prefix(n, 0, pre, sizeof pre);
    ysg__seterr(n->p->ctx, YSG_ERR_NOMEM, "%sout of memory allocating %zu bytes", pre, bytes);
  }
  return ptr;
}

void ysg_node_free(ysg_node *n, void *ptr) { ysg__free(n->p->ctx, ptr); }

double ysg_node_number(const ysg_node *n, int param) { return n->params[param].num; }
int ysg_node_int(const ysg_node *n, int param) { return (int)n->params[param].num; }
int ysg_node_bool(const ysg_node *n, int param) { return n->params[param].num != 0; }
int ysg_node_enum(const ysg_node *n, int param) { return (int)n->params[param].num; }
int ysg_node_param_is_set(const ysg_node *n, int param) { return n->params[param].is_set; }

int ysg_node_numbers(const ysg_node *n, int param, double *out, int cap) {
  const ysg_param_value *v = &n->params[param];
  if (!v->str) { /* set as a plain number */
    if (cap > 0) out[0] = v->num;
    return 1;
  }
  int k = ysg__numbers_parse(v->str, out, cap);
  return k > 0 ? k : 0;
}

int ysg_node_map_at(const ysg_node *n, int param, int i, char *name, size_t name_cap, char *val,
                    size_t val_cap) {
  return ysg__map_entry(n->params[param].str, i, name, name_cap, val, val_cap);
}

int ysg_node_map_get(const ysg_node *n, int param, const char *name, char *val, size_t val_cap) {
  char key[128];
  for (int i = 0; ysg__map_entry(n->params[param].str, i, key, sizeof key, val, val_cap); i++)
    if (strcmp(key, name) == 0) return 1;
  return 0;
}

const char *ysg_node_string(const ysg_node *n, int param) {
  const ysg_param_value *v = &n->params[param];
  return v->resolved ? v->resolved : (v->str ? v->str : "");
}

void ysg_node_color(const ysg_node *n, int param, float rgba[4]) {
  memcpy(rgba, n->params[param].rgba, sizeof(float) * 4);
}

double ysg_node_link_number(const ysg_node *n, int port, int k, int param) {
  return n->inputs[port].links[k].params[param].num;
}

int ysg_node_link_enum(const ysg_node *n, int port, int k, int param) {
  return (int)n->inputs[port].links[k].params[param].num;
}

int ysg_node_input_count(const ysg_node *n, int port) {
  return port >= 0 && port < n->type->n_inputs ? n->inputs[port].n_links : 0;
}

const ysg_value *ysg_node_input(const ysg_node *n, int port, int k) {
  if (port < 0 || port >= n->type->n_inputs || k < 0 || k >= n->inputs[port].n_links) return NULL;
  const ysg_link *l = &n->inputs[port].links[k];
  return &n->p->nodes[l->from_node]->outputs[l->from_port];
}

ysg_value *ysg_node_output(ysg_node *n, int port) {
  return port >= 0 && port < n->type->n_outputs ? &n->outputs[port] : NULL;
}

unsigned ysg_node_input_seekable(const ysg_node *n, int port, int k) {
  if (port < 0 || port >= n->type->n_inputs || k < 0 || k >= n->inputs[port].n_links) return 0;
  const ysg_node *from = n->p->nodes[n->inputs[port].links[k].from_node];
  return from->type->seek && !from->on_device ? n->p->param_stamp : 0u;
}

ysg_status ysg_node_input_at(ysg_node *n, int port, int k, int frame, ysg_value *out) {
  ysg_pipeline *p = n->p;
  if (!ysg_node_input_seekable(n, port, k))
    return ysg_node_fail(n, YSG_ERR_INVALID, "input %d (link %d) cannot be read at other frames",
                         port, k);
  const void *pos = !out                     ? NULL
                    : out->type == YSG_BOXES ? (const void *)out->xywh
                    : out->type == YSG_EDGES ? (const void *)out->ij
                    : out->type == YSG_IMAGE ? (const void *)out->px
                                             : (const void *)out->xy;
  if (frame < 0 || !pos)
    return ysg_node_fail(n, YSG_ERR_INVALID, "input_at: frame %d%s", frame,
                         frame < 0 ? " is negative" : ": no position array to write");
  const ysg_link *l = &n->inputs[port].links[k];
  ysg_node *from = p->nodes[l->from_node];
  ysg_frame at = p->running;
  at.index = frame;
  at.time = (double)frame / p->canvas.fps;
  ysg_status s = ysg__eval_params(p, from, &at);
  if (!s) s = from->type->seek(from, l->from_port, &at, out);
  ysg_status r = ysg__eval_params(p, from, &p->running); /* back to the frame being run */
  return s ? s : r;
}

ysg_status ysg_node_request_scratch(ysg_node *n, size_t bytes, int persistent, int *handle) {
  ysg_context *ctx = n->p->ctx;
  if (n->p->finalized)
    return ysg_node_fail(n, YSG_ERR_INVALID, "scratch memory can only be requested in infer");
  if (n->n_scratch == n->cap_scratch) {
    int cap = n->cap_scratch ? n->cap_scratch * 2 : 4;
    ysg_scratch *ns =
        ysg__realloc_array(ctx, n->scratch, (size_t)n->cap_scratch, (size_t)cap, sizeof *ns);
    if (!ns) return YSG_ERR_NOMEM;
    n->scratch = ns;
    n->cap_scratch = cap;
  }
  n->scratch[n->n_scratch].bytes = bytes;
  n->scratch[n->n_scratch].persistent = persistent;
  n->scratch[n->n_scratch].buffer = -1;
  *handle = n->n_scratch++;
  return YSG_OK;
}

void *ysg_node_scratch(const ysg_node *n, int handle) {
  if (handle < 0 || handle >= n->n_scratch || n->scratch[handle].buffer < 0 || !n->p->arena ||
      !(n->p->buffers[n->scratch[handle].buffer].where & YSG_WHERE_HOST))
    return NULL;
  return n->p->arena + n->p->buffers[n->scratch[handle].buffer].offset;
}

/* "FILE:LINE: node 'N' (T): " + ("parameter 'P': " when param >= 0) + the message */
static ysg_status vfail(ysg_node *n, int param, ysg_status status, const char *fmt, va_list ap) {
  char pre[512], msg[YSG_ERRMSG_CAP];
  ysg__node_prefix(n, 0, pre, sizeof pre);
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (param < 0) return ysg__seterr(n->p->ctx, status, "%s%s", pre, msg);
  return ysg__seterr(n->p->ctx, status, "%sparameter '%s': %s", pre, n->type->params[param].name,
                     msg);
}

ysg_status ysg_node_fail(ysg_node *n, ysg_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ysg_status s = vfail(n, -1, status, fmt, ap);
  va_end(ap);
  return s;
}

ysg_status ysg_node_param_fail(ysg_node *n, int param, ysg_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ysg_status s = vfail(n, param, status, fmt, ap);
  va_end(ap);
  return s;
}

void ysg_node_log(const ysg_node *n, ysg_log_level level, const char *fmt, ...) {
  ysg_context *ctx = n->p->ctx;
  if (!ctx->log || level < ctx->log_level) return;
  char msg[YSG_ERRMSG_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ysg__log(ctx, level, "%s:%d: node '%s' (%s): %s", n->file, n->line, n->name, n->type->name, msg);
}

void ysg_node_set_info(ysg_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(n->info, sizeof n->info, fmt, ap);
  va_end(ap);
}

int ysg_node_threads(const ysg_node *n) { return n->p->ctx->threads; }

/* the calling worker's index within ysg_node_parallel_for: kept per thread (the pool sets it
 * for its workers; a host's own threads read 0), and whether this thread is inside a loop */
static _Thread_local int worker_index, in_loop;

int ysg_node_thread_index(void) { return worker_index; }

typedef struct loop_job {
  ysg_range_fn fn;
  void *ud;
} loop_job;

static void loop_chunk(void *ud, int worker, int b, int e) {
  const loop_job *j = ud;
  int outer = worker_index, outer_in = in_loop;
  worker_index = worker, in_loop = 1;
  j->fn(j->ud, b, e);
  worker_index = outer, in_loop = outer_in;
}

void ysg_node_parallel_for(const ysg_node *n, int count, int grain, ysg_range_fn fn, void *ud) {
  ysg__parallel_for(n->p->ctx, count, grain, fn, ud);
}

void ysg__parallel_for(const ysg_context *ctx, int count, int grain, ysg_range_fn fn, void *ud) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  int chunks = (int)(((int64_t)count + grain - 1) / grain);
  if (in_loop) { /* nested: on this thread, which keeps its index */
    fn(ud, 0, count);
    return;
  }
  if (ctx->threads > 1 && chunks > 1) {
    void **slot = (void **)&((ysg_context *)ctx)->pool; /* started on first use */
    if (!__atomic_load_n(slot, __ATOMIC_ACQUIRE)) {
      void *fresh = ysg__pool_create(ctx->threads), *none = NULL;
      if (fresh &&
          !__atomic_compare_exchange_n(slot, &none, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ysg__pool_destroy(fresh); /* another thread started one first */
    }
    loop_job j = {fn, ud};
    if (ysg__pool_run(__atomic_load_n(slot, __ATOMIC_ACQUIRE), count, grain, loop_chunk, &j))
      return;
  }
  int outer = worker_index; /* one thread (or the pool is busy with another caller) */
  worker_index = 0, in_loop = 1;
  fn(ud, 0, count);
  worker_index = outer, in_loop = 0;
}

ysg_status ysg_node_write_begin(ysg_node *n, int nslots, int *slot) {
  if (!n->p->writer) return ysg_node_fail(n, YSG_ERR_INVALID, "the writer is not running");
  return ysg__writer_begin(n->p->writer, n, nslots, slot);
}

ysg_status ysg_node_write_submit(ysg_node *n, int slot, ysg_write_fn fn, void *ud) {
  return ysg__writer_submit(n->p->writer, n, slot, fn, ud);
}
