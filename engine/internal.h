/* internal.h — the engine's private structures: context, pipeline, node instances, links,
 * buffers and the graph-building calls the Lua DSL (and tests) use. Nothing here is public API;
 * internal non-static symbols are prefixed ysg__. */
#ifndef YSG_INTERNAL_H
#define YSG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pixels.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

#ifdef __cplusplus
extern "C" {
#endif

#define YSG_ALIGN 256 /* arena alignment of every buffer */
#define YSG_MAX_SLOTS 8
#define YSG_ERRMSG_CAP 2048
#define YSG_MAX_NODES 100000 /* nodes in one pipeline (README "Reliability") */

struct ysg_context {
  int refs; /* the host's handle + one per pipeline not yet freed (atomic: __atomic builtins) */
  ysg_allocator alloc;
  ysg_log_fn log;
  void *log_ud;
  ysg_log_level log_level;
  int threads;
  void *pool; /* ysg_pool (engine/pool.h) behind ysg_node_parallel_for, started on first use */
  ysg_status code;
  char msg[YSG_ERRMSG_CAP];
  const ysg_node_type **types; /* registry, in registration order */
  int n_types, cap_types;
};

/* a parameter's current value (all kinds share one struct; kind decides which field is read) */
typedef struct ysg_param_value {
  double num;     /* NUMBER, INT, BOOL (0/1), ENUM (index) */
  char *str;      /* STRING, ENUM (choice text), PATH/OUTPUT (as written) */
  char *resolved; /* PATH/OUTPUT: resolved path */
  float rgba[4];  /* COLOR: linear, straight alpha */
  int anim_ref;   /* non-zero: a function of (frame, t) evaluated each frame by the DSL */
  int is_set;     /* set by the pipeline (not the default) */
} ysg_param_value;

typedef struct ysg_link {
  int from_node, from_port; /* producer */
  ysg_param_value *params;  /* MULTI inputs: the port's link params */
  int line;                 /* where the link was made (0: the node's line) */
} ysg_link;

typedef struct ysg_input {
  ysg_link *links;
  int n_links, cap_links;
} ysg_input;

typedef struct ysg_scratch {
  size_t bytes;
  int persistent;
  int buffer; /* index into pipeline buffers */
} ysg_scratch;

struct ysg_node {
  ysg_pipeline *p;
  const ysg_node_type *type;
  int index;
  char *name;
  char *file;
  int line;
  ysg_param_value *params; /* type->n_params */
  ysg_input *inputs;       /* type->n_inputs */
  ysg_value *outputs;      /* type->n_outputs */
  int *out_buffer;         /* type->n_outputs: buffer index, -1 if pruned */
  ysg_scratch *scratch;
  int n_scratch, cap_scratch;
  void *state;
  int step; /* position in order, -1 if pruned (feeds nothing that matters) */
  int live; /* reaches a sink or a kept value */
  double total_ms;
  int runs;
  /* CUDA backend (engine/exec_device.c) */
  int on_device;         /* runs on the device (decided before infer) */
  size_t param_bytes;    /* per-frame parameter block, 16-byte aligned */
  size_t param_offset;   /* its place in the pipeline's block */
  ysg_scratch *dscratch; /* device scratch (buffer index into pipeline buffers) */
  int n_dscratch, cap_dscratch;
  ysg_value *outputs_dev; /* 2 × type->n_outputs: device views, then the host-facing copies */
  double dev_ms;          /* device time measured with events (profiling) */
  int slot_busy[YSG_MAX_SLOTS]; /* background-writer slots; guarded by the writer lock */
  int n_slots;
  char info[512]; /* ysg_node_set_info: a note for --stats ("" if none) */
  /* tile fusion (engine/tiles.c) */
  int fused_into;              /* output 0 is rendered tile by tile inside this node's pass, -1 */
  double tile_ms;              /* fused: time spent rendering its tiles (share of the passes) */
  double fused_share_ms;       /* a pass's consumer: this frame's tile_ms of its fused inputs */
  unsigned char *tile_scratch; /* producer: threads × tile scratch (ysg_tile_ops.scratch_bytes) */
  unsigned char *tile_mem;     /* consumer of fused links: per-thread tile buffers and clocks */
  size_t tile_mem_stride;      /* bytes of tile_mem per thread */
};

typedef struct ysg_buffer {
  char *name;
  const char *kind; /* "value", "kept", "scratch", "state" */
  size_t bytes;     /* rounded up to YSG_ALIGN */
  size_t offset;
  int first, last;     /* live steps, inclusive */
  int alias_of;        /* -1, or the buffer whose memory this one shares (in-place) */
  int node, port;      /* owner (port -1 for scratch) */
  unsigned where;      /* YSG_WHERE_* bits: which memories hold it */
  size_t dev_offset;   /* in the device arena (YSG_WHERE_DEVICE) */
  size_t stage_offset; /* in each pinned staging slot (YSG_WHERE_STAGED) */
} ysg_buffer;

/* where a buffer lives (CPU backend: always HOST) */
#define YSG_WHERE_HOST 1u   /* the host arena */
#define YSG_WHERE_DEVICE 2u /* the device arena */
#define YSG_WHERE_STAGED                                                  \
  4u /* pinned, double-buffered staging: written by a host node, uploaded \
      */

/* a capacity check of a device node (ysg_node_request_device_check) */
typedef struct ysg_check {
  int node;
  char *what;
  int capacity;
} ysg_check;

typedef struct ysg_device ysg_device; /* the CUDA executor's state (engine/exec_device.c) */

/* the planner's input and output (engine/planner.c) */
typedef struct ysg_plan_item {
  size_t bytes;
  int first, last; /* inclusive live steps */
  size_t offset;   /* out */
} ysg_plan_item;

typedef struct ysg_plan_result {
  size_t arena_bytes;
  size_t lower_bound;
  const char *order; /* name of the winning order */
} ysg_plan_result;

/* Assign offsets so that no two items live at the same step overlap in memory; tries several
 * orders and keeps the smallest. n_steps bounds first/last. Uses ctx's allocator for temporaries.
 */
ysg_status ysg__plan(ysg_context *ctx, ysg_plan_item *items, int n, int n_steps,
                     ysg_plan_result *out);
size_t ysg__plan_lower_bound(const ysg_plan_item *items, int n, int n_steps);

/* per-frame parameter evaluation, supplied by the DSL (lua/dsl.c) */
typedef struct ysg_param_source {
  /* evaluate anim_ref for node/param (link params: port >= 0, k) into v; message into ctx */
  ysg_status (*eval)(void *ud, ysg_node *n, int port, int k, int param, const ysg_param_def *def,
                     ysg_param_value *v, const ysg_frame *f);
  void (*destroy)(void *ud);
  void *ud;
} ysg_param_source;

typedef struct ysg_writer ysg_writer;

struct ysg_pipeline {
  /* the host's handle + one per exported tensor (DLPack) still alive; the arenas and this struct
   * are freed when the last goes (ysg_pipeline_destroy releases everything else at once) */
  int refs;
  int closed; /* ysg_pipeline_destroy was called: only exported tensors hold it */
  ysg_context *ctx;
  char *file;    /* pipeline file, or chunk name */
  char *dir;     /* its directory (input paths resolve here) */
  char *out_dir; /* output paths resolve here */
  int unsafe;
  ysg_backend backend;
  ysg_canvas canvas;
  int canvas_size_set;   /* width/height given by the pipeline (or suggested by a source) */
  int canvas_fps_set;    /* fps given by the pipeline (or suggested by a source) */
  int canvas_frames_set; /* frames given by the pipeline (or suggested by a source) */
  ysg_node **nodes;
  int n_nodes, cap_nodes;
  int *name_slots; /* open-addressing index of node names: node index + 1, 0 empty */
  int n_name_slots;
  int *order; /* node indices in execution order (live nodes only) */
  int n_steps;
  ysg_buffer *buffers;
  int n_buffers, cap_buffers;
  ysg_plan_result plan;
  unsigned char *arena;
  size_t arena_bytes;
  ysg_param_source params;
  ysg_writer *writer;
  char **keep; /* "node" / "node.port" */
  int n_keep;
  int finalized;
  int frame;            /* last frame run, -1 before the first */
  ysg_frame running;    /* the frame being run (ysg__exec_frame), for ysg_node_input_at */
  unsigned param_stamp; /* changes when the host sets a param (ysg_node_input_seekable) */
  unsigned frames_done; /* frames run to success (ysg_node_frames_done) */
  /* CUDA backend */
  int no_graphs, profile;    /* load options (or YSG_NO_CUDA_GRAPHS=1) */
  char *pipe;                /* load option: attach a raw sink to standard output (raw_pipe.c) */
  int no_fuse;               /* load option: no tile-fused merges */
  int n_fused;               /* links fused (ysg__fuse_links) */
  int check_only;            /* load option: planned, not allocated; nothing created on disk */
  ysg_plan_result host_plan; /* the host arena's plan (p->plan is the backend's main arena) */
  size_t host_arena_bytes;
  size_t param_total; /* bytes of the per-frame parameter block */
  ysg_check *checks;
  int n_checks, cap_checks;
  ysg_device *dev;             /* NULL on the CPU backend */
  unsigned char *d_arena;      /* device arena base */
  unsigned char *d_params;     /* device parameter block */
  unsigned char *h_params;     /* this frame's pinned staging of the parameter block */
  ysg_value_header *d_headers; /* one per buffer */
  int32_t *d_checks;           /* one per check */
  /* host-facing reads (engine/image_api.c) */
  ysg_pixel_luts luts; /* conversion tables, built on first use */
  uint8_t **clean;     /* (n_buffers) per kept image: tiles whose memory is known to be zero */
  void *host_stream;   /* CUDA: the host's stream frames are ordered with (NULL: none) */
};

/* ---- context helpers (engine/context.c) ------------------------------------------------------ */
ysg_status ysg__seterr(ysg_context *ctx, ysg_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
ysg_status ysg__vseterr(ysg_context *ctx, ysg_status s, const char *fmt, va_list ap);
/* src into dst (cap bytes, always terminated) as one safe line: control characters (C0 but tab,
 * DEL, C1), line separators and bidirectional overrides escaped (\n, \r, \xHH per byte), bytes that
 * are not UTF-8 as \xHH; the rest, valid UTF-8 included, unchanged. Every message and log line
 * goes through it (ysg__vseterr, ysg__log), so bytes from data files and names reach no terminal
 * raw. */
void ysg__escape(char *dst, size_t cap, const char *src);
void ysg__clearerr(ysg_context *ctx);
void ysg__log(ysg_context *ctx, ysg_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* ysg_node_parallel_for on the context's threads (host calls: conversions of reads and sets) */
void ysg__parallel_for(const ysg_context *ctx, int count, int grain, ysg_range_fn fn, void *ud);
void *ysg__alloc(ysg_context *ctx, size_t bytes); /* zeroed; NULL + error set */
void *ysg__alloc_aligned(ysg_context *ctx, size_t bytes, size_t align); /* not zeroed */
void *ysg__realloc_array(ysg_context *ctx, void *ptr, size_t old_n, size_t new_n, size_t elem);
void ysg__free(ysg_context *ctx, void *ptr);
char *ysg__strdup(ysg_context *ctx, const char *s);
/* "FILE:LINE: node 'NAME' (TYPE): " into buf */
void ysg__node_prefix(const ysg_node *n, int line, char *buf, size_t cap);

/* ---- registry (engine/registry.c) ---------------------------------------------------------- */
ysg_status ysg__register_builtins(ysg_context *ctx);

/* ---- params (engine/params.c) -------------------------------------------------------------- */
/* Parse text as the def's kind into v (range-checked); message without location in err. */
ysg_status ysg__param_parse(ysg_context *ctx, const ysg_param_def *def, const char *text,
                            ysg_param_value *v, char *err, size_t errcap);
ysg_status ysg__param_check_number(const ysg_param_def *def, double x, char *err, size_t errcap);
/* A number as the def's kind into v: numbers range-checked, an ENUM takes a number that is one
 * of its choices ("%.14g": bits = 16 is "16"); colours and strings refuse it. */
ysg_status ysg__param_from_number(ysg_context *ctx, const ysg_param_def *def, double x,
                                  ysg_param_value *v, char *err, size_t errcap);
/* x as an ENUM choice's text ("%.14g": 16.0 is "16"), in buf */
const char *ysg__number_text(double x, char *buf, size_t cap);
/* "#rrggbb" / "#rrggbbaa" -> linear straight RGBA. */
int ysg__parse_color(const char *text, float rgba[4]);
void ysg__srgb_to_linear_rgba(const float srgb[4], float lin[4]);
const char *ysg__param_kind_name(ysg_param_kind k);
const char *ysg__value_type_name(ysg_value_type t);
/* index of choice in "a|b|c", -1 if absent */
int ysg__enum_index(const char *choices, const char *s);
void ysg__param_free(ysg_context *ctx, ysg_param_value *v);
#define YSG_NUMBERS_MAX 4 /* values a NUMBERS parameter holds at most */
/* "a,b,..." -> up to cap values into out; returns how many there are, -1 if malformed */
int ysg__numbers_parse(const char *text, double *out, int cap);
/* entry i of a MAP text "name=text,...": copies into name/val, 0 when there is none */
int ysg__map_entry(const char *text, int i, char *name, size_t name_cap, char *val, size_t val_cap);
ysg_status ysg__param_set_string(ysg_context *ctx, ysg_param_value *v, const char *s);

/* ---- lifetimes (engine/api.c, engine/context.c) -------------------------------------------- */
void ysg__pipeline_ref(ysg_pipeline *p);
void ysg__pipeline_unref(ysg_pipeline *p); /* the last reference frees the arenas and p */
void ysg__context_ref(ysg_context *ctx);

/* ---- options (engine/api.c) ----------------------------------------------------------------- */
/* opt (NULL: defaults) into out, reading only the struct_size bytes the host's header had */
ysg_status ysg__load_options_copy(ysg_context *ctx, const ysg_load_options *opt,
                                  ysg_load_options *out);

/* ---- graph building (engine/graph.c): used by the DSL and tests ------------------------------ */
ysg_status ysg__pipeline_new(ysg_context *ctx, const char *file, const ysg_load_options *opt,
                             ysg_pipeline **out);
ysg_status ysg__node_add(ysg_pipeline *p, const char *type, const char *name, const char *file,
                         int line, ysg_node **out);
int ysg__param_index(const ysg_node_type *t, const char *name);
int ysg__port_index(const ysg_port_def *ports, int n, const char *name);
/* set a param from text / a number / a colour; range and kind checked, errors name file:line */
ysg_status ysg__node_set_param_text(ysg_node *n, int param, const char *text);
ysg_status ysg__node_set_param_number(ysg_node *n, int param, double x);
ysg_status ysg__node_set_param_color(ysg_node *n, int param, const float srgb[4]);
ysg_status ysg__node_set_param_anim(ysg_node *n, int param, int ref);
/* connect producer (from, from_port) to input port of n; returns the link for link params */
ysg_status ysg__node_connect(ysg_node *n, int port, ysg_node *from, int from_port, int line,
                             ysg_link **out);
ysg_status ysg__link_set_param_text(ysg_node *n, int port, ysg_link *l, int param,
                                    const char *text);
ysg_status ysg__link_set_param_number(ysg_node *n, int port, ysg_link *l, int param, double x);
ysg_status ysg__link_set_param_anim(ysg_node *n, int port, ysg_link *l, int param, int ref);
ysg_node *ysg__node_find(const ysg_pipeline *p, const char *name);
/* the registered node type closest to name (edit distance at most 2, case ignored), or NULL */
const char *ysg__closest_type(ysg_context *ctx, const char *name);
/* validate, init, infer, plan, allocate the arena */
ysg_status ysg__pipeline_finalize(ysg_pipeline *p);
/* nodes/raw_pipe.c: the `raw` sink `--pipe` attaches before planning */
ysg_status ysg__pipe_attach(ysg_pipeline *p, const char *spec);
/* "FILE:LINE: node 'N' (T): cannot allocate the <what> of B bytes (X GiB), its largest buffer
 * being 'N.port' (Y GiB)[: detail]", located at the node owning the largest buffer in `where` */
ysg_status ysg__arena_fail(ysg_pipeline *p, unsigned where, ysg_status st, const char *what,
                           size_t bytes, const char *detail);
/* resolve a path param relative to the pipeline dir (input) or output dir; sandbox rules */
ysg_status ysg__resolve_path(ysg_node *n, int param, int output, const char *path, char **out);
/* The directory a sandboxed node's files must stay in (its pipeline's directory for inputs, the
 * output directory for outputs); NULL with --unsafe. */
const char *ysg__sandbox_root(const ysg_node *n, int output);
/* A file the node opens (e.g. one file of a sequence) against the sandbox's symbolic-link rule
 * (paths.h, ysg__path_confine): YSG_OK, or YSG_ERR_PIPELINE with the message on the context
 * naming the node and param. Always YSG_OK with --unsafe. */
ysg_status ysg__node_confine(ysg_node *n, int param, int output, const char *file);
/* bytes of a value with the given shape (sub-arrays aligned) and the views into memory */
size_t ysg__value_bytes(const ysg_value *shape);
void ysg__value_bind(ysg_value *v, unsigned char *mem);

/* ---- tile fusion (engine/tiles.c) ------------------------------------------------------------ */
/* Decide which links are fused (before infer; sets fused_into), and after the arena is planned
 * allocate the per-thread tile memory of producers and consumers. */
ysg_status ysg__fuse_links(ysg_pipeline *p);
ysg_status ysg__tiles_alloc(ysg_pipeline *p);
void ysg__tiles_free(ysg_pipeline *p);
/* the step at which node n's output (and what it reads) is last used by n: its own step, or the
 * step of the pass it is fused into */
int ysg__use_step(const ysg_pipeline *p, const ysg_node *n);
int ysg__is_kept(const ysg_pipeline *p, const ysg_node *n, int port);

/* ---- reading values (engine/api.c, engine/image_api.c) -------------------------------------- */
/* A kept value by reference ("node" or "node.port") and its buffer; device values are fetched
 * (*fetched = 1), unless fetched is NULL. Image pixels of empty tiles are left as they are. */
ysg_status ysg__get_value(ysg_pipeline *p, const char *ref, ysg_value **out, int *buffer,
                          int *fetched);
/* Zero the pixels of the empty tiles of image value v (buffer b) on the host. */
ysg_status ysg__image_zero_empty(ysg_pipeline *p, int b, ysg_value *v, int fetched);
void ysg__image_api_free(ysg_pipeline *p);

/* ---- execution (engine/exec.c) and writer (engine/writer.c) -------------------------------- */
ysg_status ysg__exec_frame(ysg_pipeline *p, int frame);
ysg_status ysg__eval_params(ysg_pipeline *p, ysg_node *n, const ysg_frame *f);

/* ---- CUDA executor (engine/exec_device.c) -----------------------------------------------------
 */
/* Allocate the device arena, staging, parameter block and streams; bind device views. On
 * failure the pipeline is left on no device and the message says why. */
ysg_status ysg__device_create(ysg_pipeline *p);
void ysg__device_destroy(ysg_pipeline *p);
ysg_status ysg__device_frame(ysg_pipeline *p, const ysg_frame *f);
/* wait for all device work; report capacity checks still pending */
ysg_status ysg__device_sync(ysg_pipeline *p);
/* make a device-produced kept value readable on the host (sync + download) */
ysg_status ysg__device_fetch(ysg_pipeline *p, int buffer);
/* enqueue the download of buffer's header (into staging slot) and data (into the host arena) */
ysg_status ysg__device_fetch_async(ysg_pipeline *p, int buffer, int slot);
void ysg__device_stats(const ysg_pipeline *p, ysg_device_stats *out);
void *ysg__device_stream(const ysg_pipeline *p); /* the pipeline's cudaStream_t (NULL: none) */
/* the work queued on the pipeline's stream is done (no host stream: waits) or ordered before
 * the host stream's next work (ysg_pipeline_set_cuda_stream) */
ysg_status ysg__device_hand_over(ysg_pipeline *p);
ysg_status ysg__writer_create(ysg_context *ctx, ysg_writer **out);
void ysg__writer_destroy(ysg_writer *w);
ysg_status ysg__writer_begin(ysg_writer *w, ysg_node *n, int nslots, int *slot);
ysg_status ysg__writer_submit(ysg_writer *w, ysg_node *n, int slot, ysg_write_fn fn, void *ud);
ysg_status ysg__writer_flush(ysg_writer *w); /* waits; returns the first failure since last flush */

/* ---- CUDA probe (cuda/device.cu when built with CUDA) -------------------------------------- */
/* 1 when a usable device exists; otherwise 0 and why in msg */
int ysg__cuda_probe(char *msg, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_INTERNAL_H */
