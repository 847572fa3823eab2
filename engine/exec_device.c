/* exec_device.c — the CUDA executor. At load it allocates one device allocation (the device
 * arena planned like the CPU arena, the parameter block, one header {count, attrs} per value and
 * the capacity-check words) and a pinned, double-buffered staging area (values made by host nodes
 * for device nodes, the parameter block, headers, checks), and splits the execution order into
 * segments of consecutive device nodes. Each frame: animated params are evaluated and device
 * nodes `prepare` their parameter blocks on the host; the block is uploaded; host nodes run
 * between segments (their device inputs downloaded first, their staged outputs uploaded after);
 * a segment runs eagerly on its first frame, is then captured once as a CUDA Graph and replayed.
 * The capture key (canvas, capacities, topology, arena base) decides re-capture:
 * cudaGraphExecUpdate first, re-instantiation if refused. Nothing is allocated per frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/executor_api.h"
#include "../cuda/fused_api.h"

#define SLOTS 2

typedef struct segment {
  int first, last; /* steps, inclusive */
  int warm;        /* ran eagerly once */
  void *exec;      /* instantiated CUDA Graph, NULL before the first capture */
  uint64_t key;    /* capture key of exec */
} segment;

struct ysg_device {
  void *stream;
  unsigned char *d_mem; /* arena | params | headers | checks */
  unsigned char *pin;   /* SLOTS × slot_bytes, pinned */
  size_t slot_bytes, stage_bytes, params_off, hdr_off, checks_off;
  void *slot_done[SLOTS]; /* recorded after the frame that used the slot */
  int slot_frame[SLOTS];  /* frame whose checks the slot holds, -1: none pending */
  int frames;             /* frames launched since load */
  int *seg_of_step;       /* step -> segment index, -1 for host nodes */
  segment *segs;
  int n_segs;
  void **prof;              /* profiling: an event before each step and after the last */
  void *host_in, *host_out; /* events ordering frames with the host's stream (set_cuda_stream) */
  char err[1024];           /* CUDA message of the last failing call */
  ysg_device_stats stats;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static size_t up(size_t x, size_t a) { return (x + a - 1) / a * a; }

static ysg_status cuda_fail(ysg_pipeline *p, ysg_status s, const char *what) {
  return ysg__seterr(p->ctx, s, "%s: %s: %s", p->file, what, p->dev ? p->dev->err : "");
}

static unsigned char *slot_base(const ysg_device *d, int k) { return d->pin + d->slot_bytes * k; }
static ysg_value_header *slot_headers(const ysg_device *d, int k) {
  return (ysg_value_header *)(slot_base(d, k) + d->hdr_off);
}
static int32_t *slot_checks(const ysg_device *d, int k) {
  return (int32_t *)(slot_base(d, k) + d->checks_off);
}

/* Point the host views of staged values (written by host nodes, uploaded) at slot k. */
static void bind_slot(ysg_pipeline *p, int k) {
  ysg_device *d = p->dev;
  p->h_params = slot_base(d, k) + d->params_off;
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    for (int o = 0; o < n->type->n_outputs; o++) {
      int b = n->out_buffer[o];
      if (b < 0 || !(p->buffers[b].where & YSG_WHERE_STAGED)) continue;
      int root = b;
      while (p->buffers[root].alias_of >= 0) root = p->buffers[root].alias_of;
      ysg__value_bind(&n->outputs[o], slot_base(d, k) + p->buffers[root].stage_offset);
    }
  }
}

/* Report the capacity checks of the frame that used slot k (its work has finished). */
static ysg_status check_slot(ysg_pipeline *p, int k) {
  ysg_device *d = p->dev;
  int frame = d->slot_frame[k];
  if (frame < 0) return YSG_OK;
  d->slot_frame[k] = -1;
  const int32_t *c = slot_checks(d, k);
  for (int i = 0; i < p->n_checks; i++)
    if (c[i] > p->checks[i].capacity)
      return ysg_node_fail(p->nodes[p->checks[i].node], YSG_ERR_LIMIT,
                           "frame %d needs %d %s, more than the capacity %d", frame, (int)c[i],
                           p->checks[i].what, p->checks[i].capacity);
  return YSG_OK;
}

/* Wait until slot k's last frame is done with it, then report that frame's checks. */
static ysg_status wait_slot(ysg_pipeline *p, int k) {
  ysg_device *d = p->dev;
  if (d->slot_frame[k] < 0) return YSG_OK;
  if (ysg__cuda_event_sync(d->slot_done[k], d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "waiting for an earlier frame");
  return check_slot(p, k);
}

/* FNV-1a over what a captured graph bakes in: canvas, capacities, topology, addresses. */
static uint64_t capture_key(const ysg_pipeline *p, const segment *sg) {
  uint64_t h = 1469598103934665603ull;
#define MIX(x)                                                                          \
  do {                                                                                  \
    uint64_t v_ = (uint64_t)(x);                                                        \
    for (int b_ = 0; b_ < 8; b_++, v_ >>= 8) h = (h ^ (v_ & 0xffu)) * 1099511628211ull; \
  } while (0)
  MIX(p->canvas.width);
  MIX(p->canvas.height);
  MIX((uintptr_t)p->d_arena);
  MIX((uintptr_t)p->d_params);
  for (int s = sg->first; s <= sg->last; s++) {
    const ysg_node *n = p->nodes[p->order[s]];
    MIX(n->index);
    MIX(n->param_offset);
    for (int o = 0; o < n->type->n_outputs; o++) {
      MIX(n->outputs_dev[o].capacity);
      MIX(n->outputs_dev[o].width);
      MIX(n->outputs_dev[o].height);
      MIX(n->outputs_dev[o].samples);
    }
  }
#undef MIX
  return h;
}

static ysg_status launch_error(ysg_pipeline *p, ysg_node *n) {
  if (ysg__cuda_launch_error(p->dev->err, sizeof p->dev->err))
    return ysg_node_fail(n, YSG_ERR_CUDA, "kernel launch failed: %s", p->dev->err);
  return YSG_OK;
}

/* A layer fused into a merge enqueues only its preparation (build, bin): the merge's one kernel
 * renders its tiles (cuda/fused.cu). */
static ysg_status device_run(ysg_node *n, void *stream) {
  const ysg_device_ops *d = n->type->device;
  if (n->fused_into >= 0) return d->fused->run(n, stream);
  return d->run(n, stream);
}

static ysg_status run_node(ysg_pipeline *p, ysg_node *n) {
  ysg__clearerr(p->ctx);
  ysg_status st = device_run(n, p->dev->stream);
  if (st) {
    if (p->ctx->code != st)
      ysg_node_fail(n, st, "device launch failed (%s)", ysg_status_string(st));
    return st;
  }
  return launch_error(p, n);
}

static ysg_status run_eager(ysg_pipeline *p, segment *sg) {
  ysg_device *d = p->dev;
  for (int s = sg->first; s <= sg->last; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    if (d->prof && ysg__cuda_event_record(d->prof[s], d->stream, d->err, sizeof d->err))
      return cuda_fail(p, YSG_ERR_CUDA, "profiling");
    ysg_status st = run_node(p, n);
    if (st) return st;
    n->runs++;
  }
  if (d->prof && ysg__cuda_event_record(d->prof[sg->last + 1], d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "profiling");
  sg->warm = 1;
  return YSG_OK;
}

/* Capture the segment's launches into a graph and install it in sg->exec. */
static ysg_status capture(ysg_pipeline *p, segment *sg, uint64_t key) {
  ysg_device *d = p->dev;
  if (ysg__cuda_capture_begin(d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "cannot begin a CUDA Graph capture");
  ysg_status st = YSG_OK;
  for (int s = sg->first; s <= sg->last && !st; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    ysg__clearerr(p->ctx);
    st = device_run(n, d->stream);
    /* a call that breaks the capture also fails itself: name the capture, not the symptom */
    if (!ysg__cuda_capture_ok(d->stream, d->err, sizeof d->err)) {
      char ignored[256];
      ysg__cuda_launch_error(ignored, sizeof ignored); /* clear the sticky last error */
      st = ysg_node_fail(n, YSG_ERR_CUDA, "its launch broke the CUDA Graph capture: %s", d->err);
    } else if (st) {
      if (p->ctx->code != st)
        ysg_node_fail(n, st, "device launch failed (%s)", ysg_status_string(st));
    } else {
      st = launch_error(p, n);
    }
  }
  void *graph = NULL;
  char end_err[512];
  ysg_status es = ysg__cuda_capture_end(d->stream, &graph, end_err, sizeof end_err);
  if (st) {
    ysg__cuda_graph_destroy(graph);
    return st;
  }
  if (es) {
    memcpy(d->err, end_err, sizeof end_err);
    return cuda_fail(p, YSG_ERR_CUDA, "cannot end the CUDA Graph capture");
  }
  int updated = 0;
  if (sg->exec) {
    d->stats.recaptures++;
    if (ysg__cuda_graph_update(sg->exec, graph, &updated, d->err, sizeof d->err)) {
      ysg__cuda_graph_destroy(graph);
      return cuda_fail(p, YSG_ERR_CUDA, "cannot update a CUDA Graph");
    }
    if (updated) d->stats.graph_updates++;
  }
  if (!updated) {
    ysg__cuda_graph_exec_destroy(sg->exec);
    sg->exec = NULL;
    if (ysg__cuda_graph_instantiate(&sg->exec, graph, d->err, sizeof d->err)) {
      ysg__cuda_graph_destroy(graph);
      return cuda_fail(p, YSG_ERR_CUDA, "cannot instantiate a CUDA Graph");
    }
  }
  ysg__cuda_graph_destroy(graph);
  sg->key = key;
  d->stats.captures++;
  return YSG_OK;
}

static ysg_status run_segment(ysg_pipeline *p, segment *sg, int *eager) {
  ysg_device *d = p->dev;
  if (!sg->warm || p->no_graphs || p->profile) {
    *eager = 1;
    return run_eager(p, sg);
  }
  uint64_t key = capture_key(p, sg);
  if (!sg->exec || key != sg->key) {
    ysg_status st = capture(p, sg, key);
    if (st) return st;
  }
  if (ysg__cuda_graph_launch(sg->exec, d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "cannot launch a CUDA Graph");
  for (int s = sg->first; s <= sg->last; s++) p->nodes[p->order[s]]->runs++;
  return YSG_OK;
}

/* The producer of input (port, k) of n runs on the device: bring its value to the host. */
static ysg_status download_inputs(ysg_pipeline *p, ysg_node *n, int k_slot) {
  ysg_device *d = p->dev;
  int any = 0;
  for (int port = 0; port < n->type->n_inputs; port++)
    for (int k = 0; k < n->inputs[port].n_links; k++) {
      ysg_link *l = &n->inputs[port].links[k];
      ysg_node *from = p->nodes[l->from_node];
      int b = from->out_buffer[l->from_port];
      if (!from->on_device || b < 0) continue;
      ysg_status s = ysg__device_fetch_async(p, b, k_slot);
      if (s) return s;
      any = 1;
    }
  if (!any) return YSG_OK;
  d->stats.host_syncs++;
  if (ysg__cuda_sync(d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "waiting for the device");
  for (int port = 0; port < n->type->n_inputs; port++)
    for (int k = 0; k < n->inputs[port].n_links; k++) {
      ysg_link *l = &n->inputs[port].links[k];
      ysg_node *from = p->nodes[l->from_node];
      int b = from->out_buffer[l->from_port];
      if (!from->on_device || b < 0) continue;
      from->outputs[l->from_port].count = slot_headers(d, k_slot)[b].count;
      from->outputs[l->from_port].attrs = slot_headers(d, k_slot)[b].attrs;
    }
  return YSG_OK;
}

/* A host node's outputs that device nodes read: header and data from staging to the device. */
static ysg_status upload_outputs(ysg_pipeline *p, ysg_node *n, int k_slot) {
  ysg_device *d = p->dev;
  for (int o = 0; o < n->type->n_outputs; o++) {
    int b = n->out_buffer[o];
    if (b < 0 || !(p->buffers[b].where & YSG_WHERE_STAGED)) continue;
    int root = b;
    while (p->buffers[root].alias_of >= 0) root = p->buffers[root].alias_of;
    ysg_value_header *h = &slot_headers(d, k_slot)[b];
    h->count = n->outputs[o].count;
    h->attrs = n->outputs[o].attrs;
    if (ysg__cuda_upload(p->d_headers + b, h, sizeof *h, d->stream, d->err, sizeof d->err) ||
        ysg__cuda_upload(p->d_arena + p->buffers[b].dev_offset,
                         slot_base(d, k_slot) + p->buffers[root].stage_offset, p->buffers[b].bytes,
                         d->stream, d->err, sizeof d->err))
      return cuda_fail(p, YSG_ERR_CUDA, "uploading a host node's output");
  }
  return YSG_OK;
}

static ysg_status frame_body(ysg_pipeline *p, const ysg_frame *f) {
  ysg_device *d = p->dev;
  int k = d->frames % SLOTS;
  ysg_status st = wait_slot(p, k);
  if (st) return st;
  if (p->host_stream && /* the frame starts after the host's work queued so far */
      (ysg__cuda_event_record(d->host_in, p->host_stream, d->err, sizeof d->err) ||
       ysg__cuda_stream_wait(d->stream, d->host_in, d->err, sizeof d->err)))
    return cuda_fail(p, YSG_ERR_CUDA, "waiting for the host's CUDA stream");
  bind_slot(p, k);
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    if ((st = ysg__eval_params(p, n, f))) return st;
    if (n->on_device && n->type->device->prepare) {
      ysg__clearerr(p->ctx);
      if ((st = n->type->device->prepare(n, f))) {
        if (p->ctx->code != st)
          ysg_node_fail(n, st, "failed at frame %d (%s)", f->index, ysg_status_string(st));
        return st;
      }
    }
  }
  double submit = 0, t0 = now_ms();
  if (p->param_total &&
      ysg__cuda_upload(p->d_params, p->h_params, p->param_total, d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "uploading the parameter block");
  submit += now_ms() - t0;
  int eager = 0;
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    if (!n->on_device) {
      if ((st = download_inputs(p, n, k))) return st;
      double h0 = now_ms();
      ysg__clearerr(p->ctx);
      st = n->type->run(n, f);
      n->total_ms += now_ms() - h0;
      n->runs++;
      if (st) {
        if (p->ctx->code != st)
          ysg_node_fail(n, st, "failed at frame %d (%s)", f->index, ysg_status_string(st));
        return st;
      }
      t0 = now_ms();
      if ((st = upload_outputs(p, n, k))) return st;
      submit += now_ms() - t0;
      continue;
    }
    segment *sg = &d->segs[d->seg_of_step[s]];
    for (int q = sg->first; q <= sg->last; q++) {
      ysg_node *m = p->nodes[p->order[q]];
      if (!m->type->device->stage) continue;
      double h0 = now_ms();
      ysg__clearerr(p->ctx);
      st = m->type->device->stage(m, f, d->stream);
      m->total_ms += now_ms() - h0;
      if (st) {
        if (p->ctx->code != st)
          ysg_node_fail(m, st, "failed at frame %d (%s)", f->index, ysg_status_string(st));
        return st;
      }
    }
    t0 = now_ms();
    if ((st = run_segment(p, sg, &eager))) return st;
    for (int q = sg->first; q <= sg->last; q++) {
      ysg_node *m = p->nodes[p->order[q]];
      if (!m->type->device->after) continue;
      ysg__clearerr(p->ctx);
      if ((st = m->type->device->after(m, f, d->stream))) {
        if (p->ctx->code != st)
          ysg_node_fail(m, st, "failed at frame %d (%s)", f->index, ysg_status_string(st));
        return st;
      }
    }
    double dt = now_ms() - t0;
    submit += dt;
    for (int q = sg->first; q <= sg->last; q++) /* host time of the launches, shared out */
      p->nodes[p->order[q]]->total_ms += dt / (sg->last - sg->first + 1);
    s = sg->last;
  }
  t0 = now_ms();
  if (p->n_checks &&
      ysg__cuda_download(slot_checks(d, k), p->d_checks, sizeof(int32_t) * (size_t)p->n_checks,
                         d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "reading the capacity checks");
  if (ysg__cuda_event_record(d->slot_done[k], d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "recording the end of a frame");
  if (p->host_stream &&
      ysg__cuda_stream_wait(p->host_stream, d->slot_done[k], d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "ordering the host's CUDA stream after the frame");
  submit += now_ms() - t0;
  d->slot_frame[k] = f->index;
  d->frames++;
  d->stats.submit_ms += submit;
  if (eager)
    d->stats.eager_frames++;
  else
    d->stats.replayed_frames++;
  if (d->prof) { /* profiling: wait and attribute device time to each node */
    if (ysg__cuda_event_sync(d->slot_done[k], d->err, sizeof d->err))
      return cuda_fail(p, YSG_ERR_CUDA, "profiling");
    for (int g = 0; g < d->n_segs; g++)
      for (int s = d->segs[g].first; s <= d->segs[g].last; s++) {
        float ms = 0;
        if (!ysg__cuda_event_ms(d->prof[s], d->prof[s + 1], &ms, d->err, sizeof d->err))
          p->nodes[p->order[s]]->dev_ms += ms;
      }
  }
  return YSG_OK;
}

/* A failed frame did not fence its staging slot: wait for what it queued before the slot is
 * written again (the sync's own status is not the error to report). */
ysg_status ysg__device_frame(ysg_pipeline *p, const ysg_frame *f) {
  ysg_status st = frame_body(p, f);
  if (st) {
    char ignored[256];
    ysg__cuda_sync(p->dev->stream, ignored, sizeof ignored);
  }
  return st;
}

/* Enqueue the download of buffer b (header into slot k's headers, data into the host arena). */
ysg_status ysg__device_fetch_async(ysg_pipeline *p, int b, int k) {
  ysg_device *d = p->dev;
  if (ysg__cuda_download(&slot_headers(d, k)[b], p->d_headers + b, sizeof(ysg_value_header),
                         d->stream, d->err, sizeof d->err) ||
      ysg__cuda_download(p->arena + p->buffers[b].offset, p->d_arena + p->buffers[b].dev_offset,
                         p->buffers[b].bytes, d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "downloading a device value");
  return YSG_OK;
}

ysg_status ysg__device_fetch(ysg_pipeline *p, int b) {
  ysg_device *d = p->dev;
  int k = (d->frames + SLOTS - 1) % SLOTS; /* the last frame's slot */
  if (!(p->buffers[b].where & YSG_WHERE_HOST))
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: value '%s' has no host copy", p->file,
                       p->buffers[b].name);
  ysg_status st = ysg__device_fetch_async(p, b, k);
  if (st) return st;
  d->stats.host_syncs++;
  if (ysg__cuda_sync(d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "waiting for the device");
  for (int i = 0; i < SLOTS; i++) { /* a frame that overflowed a capacity is not handed out */
    ysg_status cs = check_slot(p, (d->frames + i) % SLOTS);
    if (cs) return cs;
  }
  const ysg_buffer *buf = &p->buffers[b];
  ysg_value *v = &p->nodes[buf->node]->outputs[buf->port];
  v->count = slot_headers(d, k)[b].count;
  v->attrs = slot_headers(d, k)[b].attrs;
  return YSG_OK;
}

ysg_status ysg__device_sync(ysg_pipeline *p) {
  ysg_device *d = p->dev;
  if (!d) return YSG_OK;
  if (ysg__cuda_sync(d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "waiting for the device");
  ysg_status first = YSG_OK;
  for (int i = 0; i < SLOTS; i++) { /* the older frame first: slot frames % SLOTS is older */
    ysg_status s = check_slot(p, (d->frames + i) % SLOTS);
    if (s && !first) first = s;
  }
  return first;
}

void ysg__device_stats(const ysg_pipeline *p, ysg_device_stats *out) { *out = p->dev->stats; }

void *ysg__device_stream(const ysg_pipeline *p) { return p->dev ? p->dev->stream : NULL; }

ysg_status ysg__device_hand_over(ysg_pipeline *p) {
  ysg_device *d = p->dev;
  if (!p->host_stream) {
    if (ysg__cuda_sync(d->stream, d->err, sizeof d->err))
      return cuda_fail(p, YSG_ERR_CUDA, "waiting for the device");
    return YSG_OK;
  }
  if (ysg__cuda_event_record(d->host_out, d->stream, d->err, sizeof d->err) ||
      ysg__cuda_stream_wait(p->host_stream, d->host_out, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "ordering the host's CUDA stream");
  return YSG_OK;
}

/* ---- creation ------------------------------------------------------------------------------- */

static ysg_status make_segments(ysg_pipeline *p) {
  ysg_device *d = p->dev;
  d->seg_of_step = ysg__alloc(p->ctx, sizeof(int) * (size_t)(p->n_steps ? p->n_steps : 1));
  d->segs = ysg__alloc(p->ctx, sizeof(segment) * (size_t)(p->n_steps ? p->n_steps : 1));
  if (!d->seg_of_step || !d->segs) return YSG_ERR_NOMEM;
  for (int s = 0; s < p->n_steps; s++) {
    d->seg_of_step[s] = -1;
    if (!p->nodes[p->order[s]]->on_device) continue;
    if (s > 0 && d->seg_of_step[s - 1] >= 0) {
      d->segs[d->n_segs - 1].last = s;
    } else {
      d->segs[d->n_segs].first = d->segs[d->n_segs].last = s;
      d->n_segs++;
    }
    d->seg_of_step[s] = d->n_segs - 1;
  }
  d->stats.segments = d->n_segs;
  return YSG_OK;
}

/* device views of every output, bound into the device arena */
static ysg_status bind_device_views(ysg_pipeline *p) {
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    if (n->step < 0 || !n->type->n_outputs) continue;
    /* [0, n): the views nodes use (count = capacity); [n, 2n): copies handed to hosts */
    n->outputs_dev = ysg__alloc(p->ctx, sizeof(ysg_value) * 2 * (size_t)n->type->n_outputs);
    if (!n->outputs_dev) return YSG_ERR_NOMEM;
    for (int o = 0; o < n->type->n_outputs; o++) {
      ysg_value *v = &n->outputs_dev[o];
      *v = n->outputs[o];
      v->xy = v->radius = v->conf = v->rgba = v->xywh = NULL;
      v->ij = v->id = v->label = NULL;
      v->px = NULL;
      v->tiles = NULL;
      v->count = v->capacity; /* the real count is in the device header */
      int b = n->out_buffer[o];
      if (b >= 0 && (p->buffers[b].where & YSG_WHERE_DEVICE))
        ysg__value_bind(v, p->d_arena + p->buffers[b].dev_offset);
    }
  }
  return YSG_OK;
}

/* zero the device memory, images' headers {1, 0} */
static ysg_status init_device_memory(ysg_pipeline *p, size_t total) {
  ysg_device *d = p->dev;
  ysg_value_header *h = slot_headers(d, 0);
  memset(h, 0, sizeof *h * (size_t)p->n_buffers);
  for (int i = 0; i < p->n_nodes; i++) {
    ysg_node *n = p->nodes[i];
    for (int o = 0; o < n->type->n_outputs; o++)
      if (n->out_buffer[o] >= 0 && n->outputs[o].type == YSG_IMAGE) h[n->out_buffer[o]].count = 1;
  }
  if (ysg__cuda_memset(d->d_mem, 0, total, d->stream, d->err, sizeof d->err) ||
      (p->n_buffers && ysg__cuda_upload(p->d_headers, h, sizeof *h * (size_t)p->n_buffers,
                                        d->stream, d->err, sizeof d->err)) ||
      ysg__cuda_sync(d->stream, d->err, sizeof d->err))
    return cuda_fail(p, YSG_ERR_CUDA, "initialising device memory");
  return YSG_OK;
}

ysg_status ysg__device_create(ysg_pipeline *p) {
  ysg_context *ctx = p->ctx;
  ysg_device *d = ysg__alloc(ctx, sizeof *d);
  if (!d) return YSG_ERR_NOMEM;
  p->dev = d;
  const char *env = getenv("YSG_NO_CUDA_GRAPHS");
  if (env && env[0] && strcmp(env, "0") != 0) p->no_graphs = 1;
  for (int k = 0; k < SLOTS; k++) d->slot_frame[k] = -1;
  ysg_status st = YSG_OK;
  /* device memory: arena | parameter block | headers | checks */
  size_t arena = up(p->plan.arena_bytes ? p->plan.arena_bytes : 1, YSG_ALIGN);
  size_t params = up(p->param_total, YSG_ALIGN);
  size_t hdrs = up(sizeof(ysg_value_header) * (size_t)p->n_buffers, YSG_ALIGN);
  size_t checks = up(sizeof(int32_t) * (size_t)p->n_checks, YSG_ALIGN);
  size_t total = arena + params + hdrs + checks;
  if ((st = ysg__cuda_stream_create(&d->stream, d->err, sizeof d->err))) goto cuda_error;
  if ((st = ysg__cuda_malloc_arena((void **)&d->d_mem, total, d->err, sizeof d->err))) {
    ysg__arena_fail(p, YSG_WHERE_DEVICE, st, "device memory", total, d->err);
    goto fail;
  }
  p->d_arena = d->d_mem;
  p->d_params = d->d_mem + arena;
  p->d_headers = (ysg_value_header *)(d->d_mem + arena + params);
  p->d_checks = (int32_t *)(d->d_mem + arena + params + hdrs);
  /* pinned slot: staging | parameter block | headers | checks */
  for (int i = 0; i < p->n_buffers; i++)
    if ((p->buffers[i].where & YSG_WHERE_STAGED) && p->buffers[i].alias_of < 0)
      d->stage_bytes = p->buffers[i].stage_offset + p->buffers[i].bytes > d->stage_bytes
                           ? p->buffers[i].stage_offset + p->buffers[i].bytes
                           : d->stage_bytes;
  d->params_off = up(d->stage_bytes, YSG_ALIGN);
  d->hdr_off = d->params_off + params;
  d->checks_off = d->hdr_off + hdrs;
  d->slot_bytes = d->checks_off + checks;
  if ((st = ysg__cuda_host_alloc((void **)&d->pin, d->slot_bytes * SLOTS, d->err, sizeof d->err)))
    goto cuda_error;
  memset(d->pin, 0, d->slot_bytes * SLOTS);
  for (int k = 0; k < SLOTS; k++)
    if ((st = ysg__cuda_event_create(&d->slot_done[k], 0, d->err, sizeof d->err))) goto cuda_error;
  if ((st = ysg__cuda_event_create(&d->host_in, 0, d->err, sizeof d->err)) ||
      (st = ysg__cuda_event_create(&d->host_out, 0, d->err, sizeof d->err)))
    goto cuda_error;
  if (p->profile) {
    d->prof = ysg__alloc(ctx, sizeof(void *) * (size_t)(p->n_steps + 1));
    if (!d->prof) {
      st = YSG_ERR_NOMEM;
      goto fail;
    }
    for (int s = 0; s <= p->n_steps; s++)
      if ((st = ysg__cuda_event_create(&d->prof[s], 1, d->err, sizeof d->err))) goto cuda_error;
  }
  if ((st = make_segments(p)) || (st = bind_device_views(p)) || (st = init_device_memory(p, total)))
    goto fail;
  bind_slot(p, 0);
  d->stats.arena_bytes = p->plan.arena_bytes;
  d->stats.lower_bound_bytes = p->plan.lower_bound;
  d->stats.pinned_bytes = d->slot_bytes * SLOTS;
  return YSG_OK;
cuda_error:
  ysg__seterr(ctx, st, "%s: cannot set up the CUDA backend: %s", p->file, d->err);
fail:
  ysg__device_destroy(p);
  return st;
}

void ysg__device_destroy(ysg_pipeline *p) {
  ysg_device *d = p->dev;
  if (!d) return;
  if (d->stream) ysg__cuda_sync(d->stream, d->err, sizeof d->err);
  for (int g = 0; g < d->n_segs; g++) ysg__cuda_graph_exec_destroy(d->segs[g].exec);
  if (d->prof)
    for (int s = 0; s <= p->n_steps; s++) ysg__cuda_event_destroy(d->prof[s]);
  for (int k = 0; k < SLOTS; k++) ysg__cuda_event_destroy(d->slot_done[k]);
  ysg__cuda_event_destroy(d->host_in);
  ysg__cuda_event_destroy(d->host_out);
  ysg__cuda_host_free(d->pin);
  ysg__cuda_free(d->d_mem);
  ysg__cuda_stream_destroy(d->stream);
  ysg__free(p->ctx, d->prof);
  ysg__free(p->ctx, d->segs);
  ysg__free(p->ctx, d->seg_of_step);
  ysg__free(p->ctx, d);
  for (int i = 0; i < p->n_nodes; i++) { /* views into freed memory must not survive */
    ysg__free(p->ctx, p->nodes[i]->outputs_dev);
    p->nodes[i]->outputs_dev = NULL;
  }
  p->dev = NULL;
  p->d_arena = p->d_params = p->h_params = NULL;
  p->d_headers = NULL;
  p->d_checks = NULL;
}

#else /* a build without CUDA: the backend is never chosen (finalize.c), so none of this runs */

ysg_status ysg__device_create(ysg_pipeline *p) {
  return ysg__seterr(p->ctx, YSG_ERR_UNSUPPORTED, "%s: this build has no CUDA support", p->file);
}
void ysg__device_destroy(ysg_pipeline *p) { (void)p; }
ysg_status ysg__device_frame(ysg_pipeline *p, const ysg_frame *f) {
  (void)f;
  return ysg__device_create(p);
}
ysg_status ysg__device_sync(ysg_pipeline *p) {
  (void)p;
  return YSG_OK;
}
ysg_status ysg__device_fetch(ysg_pipeline *p, int buffer) {
  (void)buffer;
  return ysg__device_create(p);
}
ysg_status ysg__device_fetch_async(ysg_pipeline *p, int buffer, int slot) {
  (void)slot;
  return ysg__device_fetch(p, buffer);
}
void ysg__device_stats(const ysg_pipeline *p, ysg_device_stats *out) {
  (void)p;
  memset(out, 0, sizeof *out);
}
void *ysg__device_stream(const ysg_pipeline *p) {
  (void)p;
  return NULL;
}
ysg_status ysg__device_hand_over(ysg_pipeline *p) { return ysg__device_create(p); }
#endif
