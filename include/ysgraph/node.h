/* ysgraph/node.h — writing node types: the schema (ports, params) and the callbacks.
 * Built-in nodes and host-defined nodes use this one interface. A node type's schema table is
 * written once and drives validation, the Lua constructor, `ysgraph nodes` and the README table.
 * Lifecycle: params set → init (static params, read files) → infer (output shapes from input
 * shapes) → the planner places every buffer in the arena → run, once per frame. */
#ifndef YSGRAPH_NODE_H
#define YSGRAPH_NODE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ysg_param_kind {
  YSG_PARAM_NUMBER, /* double */
  YSG_PARAM_INT,    /* integer-valued double */
  YSG_PARAM_BOOL,
  YSG_PARAM_STRING,
  YSG_PARAM_ENUM,    /* one of choices ("a|b|c"); read as its index */
  YSG_PARAM_COLOR,   /* "#rrggbb[aa]" or {r,g,b[,a]} in sRGB; read as linear straight RGBA */
  YSG_PARAM_PATH,    /* an input file, resolved relative to the pipeline file */
  YSG_PARAM_OUTPUT,  /* an output file, resolved relative to the output directory */
  YSG_PARAM_NUMBERS, /* one number or a list {a, b, ...} (at most 4; text "a,b"); min/max apply
                        to each */
  YSG_PARAM_MAP,     /* a table of name = "text" pairs (text "name=text,name=text"; names are
                        letters, digits and _, texts hold no ',' or '=') */
  YSG_PARAM_KIND_COUNT
} ysg_param_kind;

/* param flags */
#define YSG_PARAM_STATIC 1u   /* fixed at load (shapes, files): may not be a function of time */
#define YSG_PARAM_REQUIRED 2u /* no default: the pipeline must set it */

typedef struct ysg_param_def {
  const char *name;
  ysg_param_kind kind;
  const char *def;     /* default, as text in the kind's syntax; NULL when required */
  double min, max;     /* inclusive range for numbers; min == max: unbounded */
  const char *choices; /* ENUM: "a|b|c" */
  unsigned flags;      /* YSG_PARAM_* */
  const char *doc;     /* one line */
} ysg_param_def;

/* port flags */
#define YSG_PORT_OPTIONAL 1u /* input may be left unconnected */
#define YSG_PORT_MULTI \
  2u /* input takes a list of links (e.g. merge layers), each with link params */
/* image input whose links may be fused (see ysg_tile_ops): the consumer reads it only through
 * ysg_node_input_tiles, one tile at a time, and never as a whole image */
#define YSG_PORT_TILED 4u

typedef struct ysg_port_def {
  const char *name;
  ysg_value_type type;
  unsigned flags; /* YSG_PORT_* */
  const char *doc;
  const ysg_param_def
      *link_params; /* MULTI inputs: params given per link, e.g. {img, mode="add"} */
  int n_link_params;
} ysg_port_def;

/* node-type flags */
#define YSG_NODE_SINK 1u    /* runs for its side effects (writes files); never pruned */
#define YSG_NODE_INPUT 2u   /* fed by the host through ysg_pipeline_set_points/boxes/image */
#define YSG_NODE_INPLACE 4u /* output 0 may share memory with the first link of input 0 */
#define YSG_NODE_HOST                                                        \
  8u /* host-only (reads files, CPU libraries): runs between device segments \
      */

typedef struct ysg_node ysg_node;

typedef struct ysg_frame {
  int index;   /* frame number */
  double time; /* seconds: index / fps */
  double fps;
  int width, height; /* canvas */
} ysg_frame;

/* Device execution (CUDA backend). A node type that can run on the device points
 * ysg_node_type.device at these callbacks. Consecutive device nodes form a segment that is run
 * eagerly on the first frame, then captured once as a CUDA Graph and replayed every frame: `run`
 * is therefore NOT called every frame, and everything that changes per frame must be read by the
 * kernels from device memory — the node's parameter block (written by `prepare`), the value
 * headers (counts, attrs) and the data. Streams are `void *` (cudaStream_t). */
typedef struct ysg_device_ops {
  /* optional, asked after init (state is set): 0 when this instance must run on the host (e.g. a
   * mode without a kernel) */
  int (*supported)(const ysg_node *n);
  /* optional, after the node's infer: request device scratch, a parameter block, checks */
  ysg_status (*infer)(ysg_node *n);
  /* optional, every frame on the host, before the node's segment is launched: write this frame's
   * values into ysg_node_param_block(n) (animated params are already evaluated). */
  ysg_status (*prepare)(ysg_node *n, const ysg_frame *frame);
  /* optional, every frame on the host right before the node's segment is launched: enqueue
   * uncaptured work on stream that the captured kernels then read from fixed addresses (e.g. copy
   * a decoder's surface, whose address changes per frame, into the node's device scratch). */
  ysg_status (*stage)(ysg_node *n, const ysg_frame *frame, void *stream);
  /* required: enqueue the kernels on stream — no host synchronisation, no allocation, no reading
   * of device data on the host, no per-frame values as kernel arguments. */
  ysg_status (*run)(ysg_node *n, void *stream);
  /* optional, every frame on the host after the node's segment was launched (sinks): enqueue
   * copies into pinned host memory and hand work to the background writer. */
  ysg_status (*after)(ysg_node *n, const ysg_frame *frame, void *stream);
  /* built-in render nodes only (NULL otherwise): how the fused CUDA merge renders this node's
   * tiles in its own kernel (engine-internal layout) */
  const struct ysg_device_fused *fused;
} ysg_device_ops;

/* ---- tile rendering (tile fusion, ARCHITECTURE §6) -------------------------------------------
 * A render node whose image output 0 is the canvas can produce it one YSG_TILE × YSG_TILE tile at
 * a time: it points ysg_node_type.tile at these callbacks and sets ysg_node_type.run to
 * ysg_node_run_tiles (prepare, then render every tile of the output in parallel: one piece of
 * code for both paths). When such a node's image has one consumer, a merge (a YSG_PORT_TILED
 * port), and is not kept or dumped, the planner fuses it: the image is never materialised (no
 * arena buffer; ysg_node_output(n, 0)->px and ->tiles are NULL), prepare runs at the node's own
 * step, and the merge's single pass over the output calls render for each tile into a small
 * cache-resident buffer and composites it at once.
 *
 * prepare (required): once per frame on the calling thread, in the node's place in the
 *   execution order — everything run() does before its pixel loop: evaluate animated params
 *   (already in the params), build and bin primitives, report capacity errors (its status fails
 *   the frame). What render needs goes into the node state or node scratch. The node's scratch
 *   (ysg_node_request_scratch, also non-persistent) and its inputs stay valid and unchanged from
 *   prepare until the last render of the frame, also when that happens later in a fused pass.
 * render (required): write the tile's pixels, or say it is empty. Called for every tile of the
 *   frame, concurrently from the context's worker threads for different tiles, in no particular
 *   order, after prepare returned YSG_OK. It must be reentrant: read the node's state, scratch,
 *   inputs and params, write only t->px and t->scratch, keep working memory on the stack (a few
 *   KiB: a tile of FP32 RGBA is 4 KiB) or in t->scratch, and neither allocate, log, fail nor
 *   call ysg_node_parallel_for. The same tile of the same frame must give the same answer and
 *   bits whichever thread renders it and whether the node is fused or not.
 *   Returns 1: the tile may hold content and every one of its t->w × t->h pixels was written;
 *   0: the tile is fully transparent — every pixel is 0 — and t->px holds nothing to read (it may
 *   have been partly written). Pixels are FP16 (ysg_float_to_half's rounding: round to nearest
 *   even) linear-light premultiplied RGBA, 4 halves per pixel.
 * scratch_bytes: per-thread working memory render receives in t->scratch (64-byte aligned, not
 *   cleared, contents undefined between calls), 0 for none.
 *
 * On the CUDA backend fused layers run inside one kernel with the merge, for built-in node types
 * only (ysg_device_ops.fused); a host-defined type with tile ops is still fused on the CPU. */
typedef struct ysg_tile {
  int tx, ty;    /* tile column and row: pixels x0 = tx·YSG_TILE, y0 = ty·YSG_TILE */
  int x0, y0;    /* the tile's top-left pixel in the image */
  int w, h;      /* its pixels inside the image: YSG_TILE, less in the last column / row */
  uint16_t *px;  /* pixel (x0, y0) of the destination; pixel (x, y) of the tile is at
                    px + y·stride + 4·x (x < w, y < h); nothing outside w × h may be written */
  size_t stride; /* halves between rows of px (≥ 4·w) */
  void *scratch; /* this thread's ysg_tile_ops.scratch_bytes, or NULL */
} ysg_tile;

typedef struct ysg_tile_ops {
  ysg_status (*prepare)(ysg_node *n, const ysg_frame *frame);
  int (*render)(const ysg_node *n, const ysg_tile *t);
  size_t scratch_bytes;
} ysg_tile_ops;

struct ysg_device_fused; /* built-in nodes' fused CUDA path (engine-internal) */

typedef struct ysg_node_type {
  const char *name;     /* Lua constructor name, e.g. "merge" */
  const char *category; /* "source", "render", "composite", "output", … */
  const char *doc;      /* one paragraph */
  const ysg_port_def *inputs;
  int n_inputs;
  const ysg_port_def *outputs;
  int n_outputs;
  const ysg_param_def *params;
  int n_params;
  unsigned flags;                                         /* YSG_NODE_* */
  ysg_status (*init)(ysg_node *n);                        /* optional */
  ysg_status (*infer)(ysg_node *n);                       /* sets each output's shape */
  ysg_status (*run)(ysg_node *n, const ysg_frame *frame); /* required */
  void (*destroy)(ysg_node *n);                           /* optional: free ysg_node_state */
  void *userdata;                                         /* for host-defined types */
  /* optional, sinks: the run is complete (ysg_pipeline_finish) — write trailers, rename temporary
   * files into place. A pipeline destroyed without finish must leave no partial output under the
   * final name (destroy removes temporary files). The next frame after finish starts anew. */
  ysg_status (*finish)(ysg_node *n);
  const ysg_device_ops *device; /* optional: the CUDA path (NULL: runs on the host) */
  const ysg_tile_ops *tile;     /* optional: renders its image output 0 tile by tile (fusable) */
  /* optional, sources whose outputs are a function of the frame and the params alone (no state
   * carried between frames): write output `port` as it is at `frame` into out — a value of the
   * port's type whose arrays the caller owns, sized for the output's capacity; arrays left NULL
   * are not written (nor announced in out->attrs). Host nodes only. This is what
   * ysg_node_input_at calls; animated params are already evaluated at that frame. */
  ysg_status (*seek)(ysg_node *n, int port, const ysg_frame *frame, ysg_value *out);
} ysg_node_type;

/* ---- identity and state ----------------------------------------------------------------- */
YSG_API const char *ysg_node_name(const ysg_node *n);
YSG_API const ysg_node_type *ysg_node_get_type(const ysg_node *n);
YSG_API const ysg_canvas *ysg_node_canvas(const ysg_node *n);
/* In init: a source (video, image sequence) proposes the canvas from its file. Each field (size,
 * frames, fps; 0 = leave alone) is taken only when neither the pipeline's canvas{} nor an earlier
 * source in execution order set it. Every node's init runs before any node's infer. */
YSG_API void ysg_node_suggest_canvas(ysg_node *n, int width, int height, int frames, double fps);
YSG_API void *ysg_node_state(const ysg_node *n);
/* 1 when the pipeline is loaded with check_only (ysgraph check/plan/graph): init and infer must
 * then leave the disk as it is (no output directories, files or temporaries) */
YSG_API int ysg_node_check_only(const ysg_node *n);
/* How many frames of the pipeline have run to success so far (it does not move on a failed or
 * interrupted frame): a node keeping state across frames compares it at its next frame to commit
 * what the previous one computed only when that frame as a whole succeeded. */
YSG_API unsigned ysg_node_frames_done(const ysg_node *n);
YSG_API void ysg_node_set_state(ysg_node *n, void *state);
YSG_API void *ysg_node_alloc(ysg_node *n,
                             size_t bytes); /* zeroed, context allocator; NULL + error */
YSG_API void ysg_node_free(ysg_node *n, void *ptr);

/* ---- params (index = position in the schema's params table) ------------------------------ */
YSG_API double ysg_node_number(const ysg_node *n, int param);
YSG_API int ysg_node_int(const ysg_node *n, int param);
YSG_API int ysg_node_bool(const ysg_node *n, int param);
YSG_API int ysg_node_enum(const ysg_node *n, int param);           /* index into choices */
YSG_API const char *ysg_node_string(const ysg_node *n, int param); /* PATH/OUTPUT: resolved */
YSG_API void ysg_node_color(const ysg_node *n, int param, float rgba[4]); /* linear, straight */
YSG_API int ysg_node_param_is_set(const ysg_node *n, int param);          /* set by the pipeline */
/* NUMBERS: up to cap values into out; returns how many the parameter holds (1..4) */
YSG_API int ysg_node_numbers(const ysg_node *n, int param, double *out, int cap);
/* MAP: entry i's name and text (NUL-terminated copies, cut to the caps); 0 when i is past the
 * last entry. ysg_node_map_get: the text for name into val, 1 if the name is present. */
YSG_API int ysg_node_map_at(const ysg_node *n, int param, int i, char *name, size_t name_cap,
                            char *val, size_t val_cap);
YSG_API int ysg_node_map_get(const ysg_node *n, int param, const char *name, char *val,
                             size_t val_cap);
/* link params of the k-th link of a MULTI input port */
YSG_API double ysg_node_link_number(const ysg_node *n, int port, int k, int param);
YSG_API int ysg_node_link_enum(const ysg_node *n, int port, int k, int param);

/* ---- ports -------------------------------------------------------------------------------- */
YSG_API int ysg_node_input_count(const ysg_node *n, int port); /* links on the port */
/* k-th link's value (NULL if unconnected). In infer, shape fields are set and arrays are NULL. */
YSG_API const ysg_value *ysg_node_input(const ysg_node *n, int port, int k);
/* In infer: set type-specific shape fields (capacity, samples, width/height). In run: write data
 * and count. Arrays of images default to the canvas size when infer leaves width/height at 0. */
YSG_API ysg_value *ysg_node_output(ysg_node *n, int port);

/* Random access to an input at other frames (e.g. `trail` reading a track's past). 0 when the
 * producer of link k of input `port` has no seek callback (host-fed or stateful: only its
 * current value exists); otherwise a positive stamp: what ysg_node_input_at returns for a given
 * frame stays the same while the stamp does (it changes when the host sets a parameter with
 * ysg_pipeline_set_param*), so callers may cache results per frame until it changes. */
YSG_API unsigned ysg_node_input_seekable(const ysg_node *n, int port, int k);
/* Write the producer's output, as it is at frame `frame` (>= 0), into out: out->type set, arrays
 * owned by the caller and sized for the input's capacity; the positions (xy; boxes: xywh; edges:
 * ij) are required, other NULL arrays are skipped (see ysg_node_type.seek). The
 * producer's animated params are evaluated at that frame for the call, then at the frame being
 * run again. Only from run(); YSG_ERR_INVALID when the input is not seekable. */
YSG_API ysg_status ysg_node_input_at(ysg_node *n, int port, int k, int frame, ysg_value *out);

/* Arena memory a node needs besides its outputs. Scratch lives only while the node runs;
 * persistent memory keeps its contents across frames (node state). Request in infer. */
YSG_API ysg_status ysg_node_request_scratch(ysg_node *n, size_t bytes, int persistent, int *handle);
YSG_API void *ysg_node_scratch(const ysg_node *n, int handle);

/* ---- device execution (CUDA backend; see ysg_device_ops) ----------------------------------- */
/* From infer on: 1 when this node runs on the device (CUDA backend and its device ops apply). */
YSG_API int ysg_node_on_device(const ysg_node *n);
/* In device infer: bytes of the per-frame parameter block (written by prepare on the host into
 * ysg_node_param_block, uploaded with every frame, read by kernels at ysg_node_param_block_device;
 * 16-byte aligned). */
YSG_API ysg_status ysg_node_request_param_block(ysg_node *n, size_t bytes);
YSG_API void *ysg_node_param_block(const ysg_node *n);              /* host staging, this frame */
YSG_API const void *ysg_node_param_block_device(const ysg_node *n); /* device address */
/* In device infer: device arena memory (persistent: kept across frames). */
YSG_API ysg_status ysg_node_request_device_scratch(ysg_node *n, size_t bytes, int persistent,
                                                   int *handle);
YSG_API void *ysg_node_device_scratch(const ysg_node *n, int handle); /* device address */
/* In device infer: a capacity check. Kernels store into ysg_node_device_check(n, handle) (one
 * device int32) what the frame needed; after the frame the engine fails with "frame F needs N
 * <what>, more than the capacity C" when N > capacity. Write it every frame. */
YSG_API ysg_status ysg_node_request_device_check(ysg_node *n, const char *what, int capacity,
                                                 int *handle);
YSG_API int32_t *ysg_node_device_check(const ysg_node *n, int handle);
/* Device views of inputs/outputs: same shape fields as ysg_node_input/output, arrays are device
 * addresses; count and attrs are only valid in the device header. */
YSG_API const ysg_value *ysg_node_input_device(const ysg_node *n, int port, int k);
YSG_API ysg_value *ysg_node_output_device(ysg_node *n, int port);
YSG_API const ysg_value_header *ysg_node_input_header(const ysg_node *n, int port, int k);
YSG_API ysg_value_header *ysg_node_output_header(ysg_node *n, int port);

/* ---- errors and logging ------------------------------------------------------------------- */
/* Record "FILE:LINE: node 'NAME' (TYPE): <message>" on the context and return status. */
YSG_API ysg_status ysg_node_fail(ysg_node *n, ysg_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Same, naming a parameter: "…: parameter 'NAME': <message>". */
YSG_API ysg_status ysg_node_param_fail(ysg_node *n, int param, ysg_status status, const char *fmt,
                                       ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
YSG_API void ysg_node_log(const ysg_node *n, ysg_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A short note on how the node runs (e.g. "encoder libx264 (…)"), shown by ysg_pipeline_node_info
 * and `--stats`; replaces the previous note. Call it from init/infer (not from writer jobs). */
YSG_API void ysg_node_set_info(ysg_node *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- execution helpers ---------------------------------------------------------------------- */
/* CPU worker threads of the context (≥ 1): size per-thread scratch with it. */
YSG_API int ysg_node_threads(const ysg_node *n);
/* Run fn over [0, count) in chunks on the context's CPU threads. */
typedef void (*ysg_range_fn)(void *ud, int begin, int end);
YSG_API void ysg_node_parallel_for(const ysg_node *n, int count, int grain, ysg_range_fn fn,
                                   void *ud);

/* Which of the context's worker threads is calling, in [0, ysg_node_threads(n)), inside a
 * ysg_node_parallel_for callback or a tile render (0 elsewhere): index per-thread scratch with
 * it. */
YSG_API int ysg_node_thread_index(void);

/* ---- tiles (see ysg_tile_ops) ------------------------------------------------------------------
 */
/* The run() of a node with tile ops: prepare, then render every tile of output 0 in parallel into
 * the image, setting its occupancy grid from render's answers. */
YSG_API ysg_status ysg_node_run_tiles(ysg_node *n, const ysg_frame *frame);
/* 1 when link k of an input port is fused: its producer renders tiles on demand inside this
 * node's ysg_node_input_tiles pass and its value has no pixels (px, tiles NULL). */
YSG_API int ysg_node_input_fused(const ysg_node *n, int port, int k);

/* One tile of one link of a YSG_PORT_TILED port, as ysg_node_input_tiles hands it over. */
typedef struct ysg_tile_src {
  const uint16_t *px; /* the link's pixel (x0, y0) of this tile; read w × h pixels */
  size_t stride;      /* halves between rows */
  int active;         /* 0: the tile is fully transparent, px is not to be read */
} ysg_tile_src;
/* Called once per tile of output 0: out describes the tile in the output image (px, stride,
 * scratch NULL), src[k] the same tile of each link k of the port (active 0 for links not in
 * `want`). Runs concurrently for different tiles, like a tile render. */
typedef void (*ysg_tiles_fn)(void *ud, const ysg_tile *out, const ysg_tile_src *src);
/* The single pass over the output of a node with a YSG_PORT_TILED port: every tile of output 0,
 * in parallel; for each link k with want[k] != 0 (want NULL: every link) a fused link's tile is
 * rendered into a per-thread buffer, a materialised link's tile is read where it lies (its
 * occupancy grid gives active). Everything fn reads of src[k] is this tile of link k. */
YSG_API void ysg_node_input_tiles(ysg_node *n, int port, const uint8_t *want, ysg_tiles_fn fn,
                                  void *ud);

/* Background writing for sinks: a node owns nslots buffers (≤ 8); write_begin blocks until slot
 * *slot is free (the writer finished with it), the node fills it, write_submit queues fn, which
 * runs on the writer thread. fn's failure is reported by the next write_begin or the flush. */
typedef ysg_status (*ysg_write_fn)(void *ud, int slot, char *err, size_t errcap);
YSG_API ysg_status ysg_node_write_begin(ysg_node *n, int nslots, int *slot);
YSG_API ysg_status ysg_node_write_submit(ysg_node *n, int slot, ysg_write_fn fn, void *ud);

#ifdef __cplusplus
}
#endif
#endif /* YSGRAPH_NODE_H */
