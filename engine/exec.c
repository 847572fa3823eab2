/* exec.c — the CPU executor and frame loop: per-frame evaluation of animated parameters (through
 * the DSL's param source), then each node's run() in topological order with its time recorded.
 * Nodes fused into a consumer's tile pass (engine/tiles.c) only prepare at their step. Nothing is
 * allocated here; nodes parallelise inside run() over rows/tiles. The CUDA backend's frame is
 * engine/exec_device.c. */
#include <time.h>

#include "internal.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

ysg_status ysg__eval_params(ysg_pipeline *p, ysg_node *n, const ysg_frame *f) {
  const ysg_node_type *t = n->type;
  for (int k = 0; k < t->n_params; k++) {
    if (!n->params[k].anim_ref) continue;
    if (!p->params.eval)
      return ysg_node_param_fail(n, k, YSG_ERR_RUNTIME,
                                 "animated, but the pipeline has no evaluator");
    ysg_status s = p->params.eval(p->params.ud, n, -1, 0, k, &t->params[k], &n->params[k], f);
    if (s) return s;
  }
  for (int port = 0; port < t->n_inputs; port++) {
    const ysg_port_def *pd = &t->inputs[port];
    for (int l = 0; l < n->inputs[port].n_links; l++) {
      ysg_link *link = &n->inputs[port].links[l];
      for (int k = 0; k < pd->n_link_params; k++) {
        if (!link->params[k].anim_ref) continue;
        ysg_status s =
            p->params.eval(p->params.ud, n, port, l, k, &pd->link_params[k], &link->params[k], f);
        if (s) return s;
      }
    }
  }
  return YSG_OK;
}

ysg_status ysg__exec_frame(ysg_pipeline *p, int frame) {
  ysg_context *ctx = p->ctx;
  if (!p->finalized)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "%s: the pipeline is not loaded", p->file);
  if (p->check_only)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "%s: loaded with check_only: it runs no frames",
                       p->file);
  if (frame < 0)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "%s: frame %d is negative", p->file, frame);
  ysg_frame f;
  f.index = frame;
  f.fps = p->canvas.fps;
  f.time = (double)frame / p->canvas.fps;
  f.width = p->canvas.width;
  f.height = p->canvas.height;
  p->running = f;
  if (p->dev) { /* the CUDA backend: engine/exec_device.c */
    ysg_status st = ysg__device_frame(p, &f);
    if (!st) p->frame = frame, p->frames_done++;
    return st;
  }
  for (int s = 0; s < p->n_steps; s++) {
    ysg_node *n = p->nodes[p->order[s]];
    ysg_status st = ysg__eval_params(p, n, &f);
    if (st) return st;
    double t0 = now_ms();
    ysg__clearerr(ctx);
    n->fused_share_ms = 0;
    /* a fused node only prepares here; its tiles are rendered in its consumer's pass */
    st = n->fused_into >= 0 ? n->type->tile->prepare(n, &f) : n->type->run(n, &f);
    n->total_ms += now_ms() - t0 - n->fused_share_ms; /* the pass's fused shares went there */
    n->runs++;
    if (st) {
      if (ctx->code != st)
        ysg_node_fail(n, st, "failed at frame %d (%s)", frame, ysg_status_string(st));
      return st;
    }
  }
  p->frame = frame;
  p->frames_done++;
  return YSG_OK;
}
