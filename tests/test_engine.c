/* test_engine.c — the engine core through its C interfaces: graph validation messages, cycle
 * detection, deterministic order, in-place aliasing and kept values in the plan, host-defined node
 * types, the log callback, and allocation-failure injection (every failing allocation is reported
 * cleanly, never a crash). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "util.h"

/* a host-defined node: image in, image out (copy), with one animatable gain */
static const ysg_port_def copy_in[] = {
    {"src", YSG_IMAGE, YSG_PORT_OPTIONAL, "image to copy", NULL, 0}};
static const ysg_port_def copy_out[] = {{"image", YSG_IMAGE, 0, "the copy", NULL, 0}};
static const ysg_param_def copy_params[] = {
    {"gain", YSG_PARAM_NUMBER, "1", 0, 10, NULL, 0, "multiplies alpha-premultiplied values"}};
static int copy_runs;
static ysg_status copy_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  copy_runs++;
  ysg_value *o = ysg_node_output(n, 0);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  size_t len = (size_t)o->width * (size_t)o->height * 4;
  if (in)
    memcpy(o->px, in->px, len * 2);
  else
    memset(o->px, 0, len * 2);
  memset(o->tiles, 1, (size_t)o->tiles_x * (size_t)o->tiles_y);
  return YSG_OK;
}
static const ysg_node_type copy_type = {.name = "copy",
                                        .category = "test",
                                        .doc = "Copies its input.",
                                        .inputs = copy_in,
                                        .n_inputs = 1,
                                        .outputs = copy_out,
                                        .n_outputs = 1,
                                        .params = copy_params,
                                        .n_params = 1,
                                        .run = copy_run};

static ysg_pipeline *new_pipeline(ysg_context *ctx) {
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg__pipeline_new(ctx, "g.lua", NULL, &p), YSG_OK);
  p->canvas.width = 40;
  p->canvas.height = 20;
  return p;
}

Test(engine, status_names) {
  cr_assert_str_eq(ysg_status_name(YSG_ERR_IO), "YSG_ERR_IO");
  cr_assert_str_eq(ysg_status_string(YSG_ERR_DATA), "bad input data");
  cr_assert_str_eq(ysg_status_name((ysg_status)999), "YSG_UNKNOWN");
}

Test(engine, register_rejects_duplicates_and_bad_schemas) {
  ysg_context *ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &copy_type), YSG_OK);
  cr_assert_eq(ysg_register_node_type(ctx, &copy_type), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "node type 'copy' is already registered");
  ysg_node_type bad = copy_type;
  bad.name = "Bad Name";
  cr_assert_eq(ysg_register_node_type(ctx, &bad), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "node type 'Bad Name': names use lowercase letters, digits and '_'");
  static const ysg_param_def bad_default[] = {{"k", YSG_PARAM_INT, "2.5", 0, 0, NULL, 0, "x"}};
  bad = copy_type;
  bad.name = "bad_default";
  bad.params = bad_default;
  cr_assert_eq(ysg_register_node_type(ctx, &bad), YSG_ERR_INVALID);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "node type 'bad_default': default of parameter 'k': expected an integer, got 2.5");
  ysg_context_destroy(ctx);
}

Test(engine, cycle_is_named) {
  ysg_context *ctx = ysgt_ctx();
  ysg_register_node_type(ctx, &copy_type);
  ysg_pipeline *p = new_pipeline(ctx);
  ysg_node *a, *b, *c;
  cr_assert_eq(ysg__node_add(p, "copy", "a", "g.lua", 1, &a), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "copy", "b", "g.lua", 2, &b), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "copy", "c", "g.lua", 3, &c), YSG_OK);
  cr_assert_eq(ysg__node_connect(b, 0, a, 0, 0, NULL), YSG_OK);
  cr_assert_eq(ysg__node_connect(c, 0, b, 0, 0, NULL), YSG_OK);
  cr_assert_eq(ysg__node_connect(a, 0, c, 0, 0, NULL), YSG_OK);
  cr_assert_eq(ysg__pipeline_finalize(p), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx), "g.lua:1: the graph has a cycle: a -> b -> c -> a");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(engine, validation_messages) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = new_pipeline(ctx);
  ysg_node *n, *m;
  cr_assert_eq(ysg__node_add(p, "nosuch", "x", "g.lua", 4, &n), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx), "g.lua:4: unknown node type 'nosuch'");
  cr_assert_eq(ysg__node_add(p, "scatter", "pts", "g.lua", 5, &n), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "scatter", "pts", "g.lua", 6, &m), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx), "g.lua:6: duplicate node name 'pts' (first used at g.lua:5)");
  cr_assert_eq(ysg__node_add(p, "merge", "mix", "g.lua", 7, &m), YSG_OK);
  cr_assert_eq(ysg__node_connect(m, 0, n, 0, 9, NULL), YSG_ERR_PIPELINE);
  cr_assert_str_eq(
      ysg_errmsg(ctx),
      "g.lua:9: node 'mix' (merge): input 'layers[1]' expects image, got points from 'pts'");
  cr_assert_eq(ysg__node_set_param_number(n, ysg__param_index(n->type, "count"), -3),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "g.lua:5: node 'pts' (scatter): parameter 'count': expected an integer in "
                   "0..1000000, got -3");
  cr_assert_eq(ysg__node_set_param_anim(n, ysg__param_index(n->type, "count"), 1),
               YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "g.lua:5: node 'pts' (scatter): parameter 'count': cannot be a "
                   "function of time (it is fixed when the pipeline loads)");
  cr_assert_eq(ysg__pipeline_finalize(p), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "g.lua:7: node 'mix' (merge): input 'layers' is not connected (expected image)");
  ysg_pipeline_destroy(p);

  p = new_pipeline(ctx);
  cr_assert_eq(ysg__node_add(p, "png", "out", "g.lua", 2, &n), YSG_OK);
  cr_assert_eq(ysg__pipeline_finalize(p), YSG_ERR_PIPELINE);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "g.lua:2: node 'out' (png): parameter 'path' is required (expected output)");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(engine, inplace_merge_and_kept_values) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = new_pipeline(ctx);
  p->no_fuse = 1; /* materialised layers (tests/test_fuse.c covers the fused merge) */
  ysg_node *a, *b, *m;
  ysg_link *l;
  cr_assert_eq(ysg__node_add(p, "fill", "a", "g.lua", 1, &a), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "fill", "b", "g.lua", 2, &b), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "merge", "m", "g.lua", 3, &m), YSG_OK);
  cr_assert_eq(ysg__node_connect(m, 0, a, 0, 0, &l), YSG_OK);
  cr_assert_eq(ysg__node_connect(m, 0, b, 0, 0, &l), YSG_OK);
  cr_assert_eq(ysg__pipeline_finalize(p), YSG_OK);
  ysg_plan_info pi;
  ysg_pipeline_plan(p, &pi);
  /* a's image becomes m's output in place: two images live at once, not three */
  size_t img = ((size_t)40 * 20 * 8 + 63) / 64 * 64 + 64;
  img = (img + 255) / 256 * 256;
  cr_assert_eq(pi.lower_bound_bytes, 2 * img);
  cr_assert_eq(pi.arena_bytes, pi.lower_bound_bytes);
  cr_assert_eq(p->buffers[m->out_buffer[0]].offset, p->buffers[a->out_buffer[0]].offset);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "m", &v), YSG_OK);
  cr_assert_eq(ysg_pipeline_get_value(p, "b", &v), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "'b': this value is not kept after the frame (its memory is "
                   "reused); list it in ysg_load_options.keep (--dump keeps it)");
  cr_assert_eq(ysg_pipeline_get_value(p, "m.nope", &v), YSG_ERR_NOT_FOUND);
  cr_assert_str_eq(ysg_errmsg(ctx), "'m.nope': node 'm' (merge) has no output 'nope'");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(engine, host_node_runs_in_order) {
  ysg_context *ctx = ysgt_ctx();
  ysg_register_node_type(ctx, &copy_type);
  ysg_pipeline *p = new_pipeline(ctx);
  ysg_node *f, *c;
  cr_assert_eq(ysg__node_add(p, "copy", "c", "g.lua", 2, &c), YSG_OK);
  cr_assert_eq(ysg__node_add(p, "fill", "f", "g.lua", 1, &f), YSG_OK);
  cr_assert_eq(ysg__node_set_param_text(f, 0, "#ffffff"), YSG_OK);
  cr_assert_eq(ysg__node_connect(c, 0, f, 0, 0, NULL), YSG_OK);
  cr_assert_eq(ysg__pipeline_finalize(p), YSG_OK);
  cr_assert_eq(f->step, 0); /* the producer runs first although created second */
  cr_assert_eq(c->step, 1);
  copy_runs = 0;
  cr_assert_eq(ysg_pipeline_run_range(p, 0, 2, NULL, NULL), YSG_OK);
  cr_assert_eq(copy_runs, 3);
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "c", &v), YSG_OK);
  cr_assert_float_eq(ysg_half_to_float(v->px[3]), 1.0f, 1e-6);
  uint8_t rgba[40 * 20 * 4];
  cr_assert_eq(ysg_pipeline_read_image(p, "c", YSG_RGBA8_SRGB, rgba, sizeof rgba, 0), YSG_OK);
  cr_assert_eq(rgba[0], 255);
  cr_assert_eq(rgba[40 * 20 * 4 - 1], 255);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static void collect_log(void *ud, ysg_log_level level, const char *msg) {
  (void)level;
  strncat((char *)ud, msg, 1023 - strlen((char *)ud));
}

Test(engine, backend_auto_logs_cpu_fallback) {
  char why[512];
  if (ysg__cuda_probe(why, sizeof why)) cr_skip_test("a CUDA device is usable: %s", why);
  char logbuf[1024] = "";
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.log = collect_log;
  o.log_ud = logbuf;
  ysg_context *ctx;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  ysg_pipeline *p;
  cr_assert_eq(ysgt_load(ctx, "canvas{width=8,height=8}\nfill{color='#000000'}", &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_backend(p), YSG_BACKEND_CPU);
  cr_assert(strstr(logbuf, "using the CPU backend (") == logbuf, "log was: %s", logbuf);
  ysg_pipeline_destroy(p);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CUDA;
  cr_assert_eq(ysg_pipeline_load_string(ctx, "fill{}", "b.lua", &lo, &p), YSG_ERR_UNSUPPORTED);
  cr_assert(strncmp(ysg_errmsg(ctx), "b.lua: backend 'cuda' is unavailable: ", 38) == 0, "%s",
            ysg_errmsg(ctx));
  cr_assert_null(p);
  ysg_context_destroy(ctx);
}

/* fault injection: fail the k-th allocation for every k until loading and running succeed */
static int alloc_budget;
static void *failing_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  if (alloc_budget-- == 0) return NULL;
  void *ptr = NULL;
  if (posix_memalign(&ptr, align < sizeof(void *) ? sizeof(void *) : align, size) != 0) return NULL;
  return ptr;
}
static void plain_free(void *ud, void *ptr) {
  (void)ud;
  free(ptr);
}

Test(engine, allocation_failures_are_clean) {
  const char *src =
      "canvas{width=24,height=16,frames=2}\n"
      "local a = gradient{from='#000000', to='#ffffff'}\n"
      "local b = fill{color=function(f,t) return {1,0,0,0.5} end}\n"
      "merge{layers={a, {b, mode='add'}}, name='out'}\n";
  int succeeded = 0;
  for (int k = 0; k < 5000 && !succeeded; k++) {
    ysg_context_options o;
    ysg_context_options_init(&o);
    o.allocator.alloc = failing_alloc;
    o.allocator.free = plain_free;
    o.threads = 1;
    alloc_budget = 1 << 30; /* the context itself must exist */
    ysg_context *ctx;
    cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
    alloc_budget = k;
    ysg_pipeline *p = NULL;
    ysg_status s = ysgt_load(ctx, src, &p);
    if (s == YSG_OK) {
      s = ysg_pipeline_run_range(p, 0, 1, NULL, NULL);
      cr_assert_eq(s, YSG_OK, "run failed after a successful load: %s", ysg_errmsg(ctx));
      succeeded = 1;
      ysg_pipeline_destroy(p);
    } else {
      cr_assert_null(p);
      cr_assert(s == YSG_ERR_NOMEM || s == YSG_ERR_LIMIT || s == YSG_ERR_PIPELINE,
                "allocation %d: unexpected %s: %s", k, ysg_status_name(s), ysg_errmsg(ctx));
      cr_assert(ysg_errmsg(ctx)[0] != 0, "allocation %d failed without a message", k);
    }
    alloc_budget = 1 << 30;
    ysg_context_destroy(ctx);
  }
  cr_assert(succeeded, "never loaded within 5000 allocations");
}

/* the CUDA executor's load options reach the pipeline (the executor reads them from there) */
Test(engine, cuda_load_options_reach_the_pipeline) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CPU;
  lo.no_graphs = 1;
  lo.profile = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx, "fill{}", "o.lua", &lo, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_expect_eq(p->no_graphs, 1);
  cr_expect_eq(p->profile, 1);
  ysg_device_stats ds;
  cr_expect_eq(ysg_pipeline_device_stats(p, &ds), YSG_ERR_UNSUPPORTED);
  cr_expect_str_eq(ysg_errmsg(ctx), "o.lua: the pipeline runs on the CPU backend");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* an arena the allocator refuses: the message names the node owning the largest buffer */
static void *small_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  if (size > ((size_t)48 << 20)) return NULL;
  void *ptr = NULL;
  if (posix_memalign(&ptr, align < sizeof(void *) ? sizeof(void *) : align, size) != 0) return NULL;
  return ptr;
}

Test(engine, arena_failure_names_the_largest_buffer) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.allocator.alloc = small_alloc;
  o.allocator.free = plain_free;
  o.threads = 1;
  ysg_context *ctx;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  ysg_pipeline *p = NULL;
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.no_fuse = 1; /* every layer an image of its own in the arena */
  ysg_status s = ysg_pipeline_load_string(ctx,
                                          "canvas{width=2048, height=2048}\n"
                                          "local dots = dot{points=scatter{count=9}, name='dots'}\n"
                                          "local bg = fill{name='bg'}\n"
                                          "merge{layers={bg, dots}, name='out'}\n",
                                          "test.lua", &lo, &p);
  cr_assert_eq(s, YSG_ERR_NOMEM, "%s", ysg_errmsg(ctx));
  cr_assert_null(p);
  const char *m = ysg_errmsg(ctx);
  cr_assert(!strncmp(m, "test.lua:2: node 'dots' (dot): cannot allocate the arena of ", 60), "%s",
            m);
  cr_assert(strstr(m, " bytes (0.0"), "%s", m);
  cr_assert(strstr(m, " GiB), its largest buffer being 'dots.image' (0.0313 GiB)"), "%s", m);
  ysg_context_destroy(ctx);
}

/* a check_only load plans everything and runs nothing */
Test(engine, check_only_plans_without_memory) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.check_only = 1;
  const char *keep[] = {"out"};
  lo.keep = keep;
  lo.n_keep = 1;
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_string(ctx,
                                        "canvas{width=64, height=64}\nlocal a = fill{}\n"
                                        "merge{layers={a, fill{}}, name='out'}",
                                        "c.lua", &lo, &p),
               YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_plan_info plan;
  cr_assert_eq(ysg_pipeline_plan(p, &plan), YSG_OK);
  cr_assert_gt(plan.arena_bytes, 64 * 64 * 8);
  cr_assert_eq(plan.arena_bytes, plan.lower_bound_bytes);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "c.lua: loaded with check_only: it runs no frames");
  const ysg_value *v;
  cr_assert_eq(ysg_pipeline_get_value(p, "out", &v), YSG_ERR_INVALID);
  cr_assert_str_eq(ysg_errmsg(ctx), "'out': loaded with check_only: values have no memory");
  cr_assert_eq(ysg_pipeline_finish(p), YSG_ERR_INVALID);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
