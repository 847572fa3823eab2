/* ysgraph.h — the public C API of ysgraph, a node-graph engine for motion-graphics overlays.
 * One context per thread (or your own lock around a shared one); no hidden globals. Every fallible
 * call returns a ysg_status; the message of the last failure is kept on the context (ysg_errmsg).
 * The library never prints, exits or aborts. Node authoring (host-defined nodes) lives in
 * <ysgraph/node.h>; the layouts of the values that flow between nodes in <ysgraph/value.h>. */
#ifndef YSGRAPH_H
#define YSGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ysgraph/value.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(YSG_BUILDING) && defined(__GNUC__)
#define YSG_API __attribute__((visibility("default")))
#else
#define YSG_API
#endif

/* ---- status codes: one X-macro gives the enum, the names and the strings ------------------ */
#define YSG_STATUS_MAP(X)                                              \
  X(OK, "ok")                                                          \
  X(ERR_INVALID, "invalid argument")                                   \
  X(ERR_PIPELINE, "pipeline error")                                    \
  X(ERR_DATA, "bad input data")                                        \
  X(ERR_LIMIT, "limit exceeded")                                       \
  X(ERR_NOT_FOUND, "not found")                                        \
  X(ERR_IO, "input/output error")                                      \
  X(ERR_NOMEM, "out of memory")                                        \
  X(ERR_UNSUPPORTED, "not available in this build or on this machine") \
  X(ERR_CUDA, "CUDA error")                                            \
  X(ERR_RUNTIME, "runtime error")                                      \
  X(ERR_CANCELLED, "cancelled")

typedef enum ysg_status {
#define YSG__STATUS_ENUM(name, str) YSG_##name,
  YSG_STATUS_MAP(YSG__STATUS_ENUM)
#undef YSG__STATUS_ENUM
      YSG_STATUS_COUNT
} ysg_status;

YSG_API const char *ysg_status_name(ysg_status s);   /* "YSG_ERR_IO" */
YSG_API const char *ysg_status_string(ysg_status s); /* "input/output error" */
YSG_API const char *ysg_version(void);               /* "0.2.0" */
YSG_API const char *ysg_features(void);              /* "cuda qhull ffmpeg …" compiled in */

/* ---- context ---------------------------------------------------------------------------- */
typedef struct ysg_context ysg_context;
typedef struct ysg_pipeline ysg_pipeline;

typedef struct ysg_allocator {
  void *(*alloc)(void *ud, size_t size, size_t align); /* NULL on failure; align is a power of 2 */
  void (*free)(void *ud, void *ptr);
  void *ud;
} ysg_allocator;

typedef enum ysg_log_level {
  YSG_LOG_DEBUG,
  YSG_LOG_INFO,
  YSG_LOG_WARN,
  YSG_LOG_ERROR
} ysg_log_level;
typedef void (*ysg_log_fn)(void *ud, ysg_log_level level, const char *msg);

/* Option structs start with their own size: fields are only ever appended, and the library reads
 * just the fields the host's header had (the rest keep their defaults). Always start from the
 * _init call (inline: it fills the struct of the header the host was built with); a struct_size
 * of 0 (a struct not initialised) is refused with YSG_ERR_INVALID. */
typedef struct ysg_context_options {
  size_t struct_size;      /* sizeof(ysg_context_options), set by ysg_context_options_init */
  ysg_allocator allocator; /* all zero: the C library's aligned_alloc/free */
  ysg_log_fn log;          /* NULL: messages are dropped */
  void *log_ud;
  ysg_log_level log_level; /* messages below it are not formatted */
  int threads;             /* CPU worker threads; 0: all cores */
} ysg_context_options;

/* Inline, so a host fills the struct of the header it was built with (a library call would clear
 * the library's, possibly larger, struct over the host's). */
static inline void ysg_context_options_init(ysg_context_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->struct_size = sizeof *opt;
  opt->log_level = YSG_LOG_INFO;
}
YSG_API ysg_status ysg_context_create(const ysg_context_options *opt, ysg_context **out);
YSG_API void ysg_context_destroy(ysg_context *ctx);
YSG_API const char *ysg_errmsg(const ysg_context *ctx); /* message of the last failure */
YSG_API ysg_status ysg_errcode(const ysg_context *ctx); /* status of the last failure */

/* ---- loading a pipeline ----------------------------------------------------------------- */
typedef enum ysg_backend { YSG_BACKEND_AUTO, YSG_BACKEND_CPU, YSG_BACKEND_CUDA } ysg_backend;

typedef struct ysg_define {
  const char *name; /* "NAME" (a param() of the pipeline) or "node.param" */
  const char *value;
} ysg_define;

typedef struct ysg_load_options {
  size_t
      struct_size; /* sizeof(ysg_load_options), set by ysg_load_options_init; new fields go last */
  ysg_backend backend;
  const char *output_dir;         /* relative output paths resolve here; NULL: "." */
  int unsafe;                     /* 1: lift the Lua sandbox (io/os/require, any path) */
  size_t lua_memory_limit;        /* bytes; 0: 256 MiB */
  uint64_t lua_instruction_limit; /* per script run or callback; 0: 200 million */
  const ysg_define *defines;      /* --set NAME=VALUE, applied at load */
  int n_defines;
  const char *const *keep; /* "node" or "node.port" values kept readable after a frame */
  int n_keep;
  int no_graphs; /* CUDA: launch every frame eagerly, no CUDA Graphs (or YSG_NO_CUDA_GRAPHS=1) */
  int profile;   /* CUDA: time each node on the device with events (runs eagerly) */
  /* stream an image to standard output as raw frames (a `raw` sink named "pipe"):
   * "y4m" | "y4m444" | "rgba", optionally "=NODE[.PORT]" (default: the image the sinks write) */
  const char *pipe;
  int no_fuse; /* 1: render every layer into its own image (no tile-fused merges; --no-fuse) */
  double lua_time_limit; /* seconds of wall-clock time per script run or callback; 0: 60 */
  int check_only; /* 1: load, validate and plan, touching no file (sinks create no directories
                     or files) and allocating no arena: for ysgraph check/plan/graph; such a
                     pipeline runs no frames (YSG_ERR_INVALID) */
} ysg_load_options;

/* Inline for the same reason as ysg_context_options_init. */
static inline void ysg_load_options_init(ysg_load_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->struct_size = sizeof *opt;
  opt->backend = YSG_BACKEND_AUTO;
}
YSG_API ysg_status ysg_pipeline_load_file(ysg_context *ctx, const char *path,
                                          const ysg_load_options *opt, ysg_pipeline **out);
YSG_API ysg_status ysg_pipeline_load_string(ysg_context *ctx, const char *source,
                                            const char *chunkname, const ysg_load_options *opt,
                                            ysg_pipeline **out);
YSG_API void ysg_pipeline_destroy(ysg_pipeline *p); /* flushes pending writes first */

typedef struct ysg_canvas {
  int width, height; /* pixels */
  int frames;        /* frames in the default range 0..frames-1 */
  double fps;
  float background[4]; /* linear-light, premultiplied RGBA */
} ysg_canvas;

YSG_API const ysg_canvas *ysg_pipeline_canvas(const ysg_pipeline *p);
YSG_API ysg_backend ysg_pipeline_backend(const ysg_pipeline *p);
YSG_API const char *ysg_pipeline_file(const ysg_pipeline *p); /* path or chunk name */

/* ---- parameters and per-frame inputs ---------------------------------------------------- */
/* name is "node.param"; value is parsed as the parameter's kind (number, int, bool, enum,
 * colour "#rrggbb[aa]", string). Replaces an animated value with a constant. */
YSG_API ysg_status ysg_pipeline_set_param(ysg_pipeline *p, const char *name, const char *value);
YSG_API ysg_status ysg_pipeline_set_param_number(ysg_pipeline *p, const char *name, double value);

typedef struct ysg_points_desc {
  int count;
  const float *xy;                /* (count, 2) pixels, required */
  const int32_t *id;              /* (count) or NULL */
  const float *radius;            /* (count) or NULL */
  const float *rgba;              /* (count, 4) sRGB straight alpha in 0..1, or NULL */
  const float *conf;              /* (count) detection confidence, or NULL */
  const int32_t *label;           /* (count) class: index into label_names (-1: none), or NULL */
  const char *const *label_names; /* (n_label_names) class names, UTF-8; copied */
  int n_label_names;
} ysg_points_desc;

typedef struct ysg_boxes_desc {
  int count;
  const float *xywh;              /* (count, 4) top-left x, y, width, height in pixels, required */
  const int32_t *id;              /* (count) or NULL */
  const float *rgba;              /* (count, 4) sRGB straight alpha in 0..1, or NULL */
  const float *conf;              /* (count) detection confidence, or NULL */
  const int32_t *label;           /* (count) class: index into label_names (-1: none), or NULL */
  const char *const *label_names; /* (n_label_names) class names, UTF-8; copied */
  int n_label_names;
} ysg_boxes_desc;

/* Pixel layouts for images going in (ysg_pipeline_set_image) and out (ysg_pipeline_read_image).
 * Formats without alpha read as opaque on the way in; on the way out they hold the straight
 * colour (transparent pixels read as black). Float sRGB values are 0..1. */
typedef enum ysg_pixel_format {
  YSG_RGBA8_SRGB,     /* uint8 (H, W, 4) sRGB, straight alpha (what PNG holds) */
  YSG_RGBA16_SRGB,    /* uint16 (H, W, 4) sRGB, straight alpha, host byte order */
  YSG_RGBA16F_LINEAR, /* FP16 (H, W, 4) linear-light, premultiplied (the engine's own) */
  YSG_RGBA32F_LINEAR, /* float32 (H, W, 4) linear-light, premultiplied */
  YSG_RGB8_SRGB,      /* uint8 (H, W, 3) sRGB, opaque */
  YSG_RGB16_SRGB,     /* uint16 (H, W, 3) sRGB, opaque */
  YSG_RGB32F_SRGB,    /* float32 (H, W, 3) sRGB 0..1 (ComfyUI's IMAGE) */
  YSG_RGBA32F_SRGB,   /* float32 (H, W, 4) sRGB 0..1, straight alpha */
  YSG_A32F,           /* float32 (H, W) alpha 0..1 (ComfyUI's MASK); in: a white matte */
  YSG_PIXEL_FORMAT_COUNT
} ysg_pixel_format;

YSG_API const char *ysg_pixel_format_name(ysg_pixel_format f); /* "rgba8", …; NULL: unknown */
YSG_API int ysg_pixel_format_channels(ysg_pixel_format f);     /* 4, 3 or 1; 0: unknown */
YSG_API size_t ysg_pixel_format_size(ysg_pixel_format f);      /* bytes per pixel; 0: unknown */

typedef struct ysg_image_desc {
  int width, height;
  ysg_pixel_format format;
  const void *pixels;
  size_t stride; /* bytes per row; 0: tightly packed */
} ysg_image_desc;

/* node names a points_in / boxes_in / image_in node of the pipeline. The data is copied. The
 * DLPack variants (zero-copy image input, CUDA tensors) are in <ysgraph/dlpack.h>. */
YSG_API ysg_status ysg_pipeline_set_points(ysg_pipeline *p, const char *node,
                                           const ysg_points_desc *d);
YSG_API ysg_status ysg_pipeline_set_boxes(ysg_pipeline *p, const char *node,
                                          const ysg_boxes_desc *d);
YSG_API ysg_status ysg_pipeline_set_image(ysg_pipeline *p, const char *node,
                                          const ysg_image_desc *d);

/* ---- running ------------------------------------------------------------------------------ */
/* Called after each frame; return non-zero to stop the range (YSG_ERR_CANCELLED). */
typedef int (*ysg_progress_fn)(void *ud, int frame, int done, int total);

YSG_API ysg_status ysg_pipeline_run_frame(ysg_pipeline *p, int frame);
YSG_API ysg_status ysg_pipeline_run_range(ysg_pipeline *p, int first, int last, ysg_progress_fn fn,
                                          void *ud); /* frames first..last inclusive, then flush */
YSG_API ysg_status ysg_pipeline_flush(ysg_pipeline *p); /* wait for background writes to finish */
/* The run is complete: flush, then let sinks finalize their outputs (a video's trailer is written
 * and the file renamed from its temporary name). Without it, destroy discards unfinished videos. */
YSG_API ysg_status ysg_pipeline_finish(ysg_pipeline *p);

/* ---- reading outputs ---------------------------------------------------------------------- */
/* ref is "node" (its first output) or "node.port". The view stays valid until the next frame.
 * Only kept values (unconsumed outputs, and those named in ysg_load_options.keep) can be read.
 * Images: the pixels of tiles left empty this frame (tiles[t] == 0) are zeroed before the view is
 * handed out, so px reads whole as this frame's image (transparent where nothing was drawn). */
YSG_API ysg_status ysg_pipeline_get_value(ysg_pipeline *p, const char *ref, const ysg_value **out);
/* An image value converted to format into dst: height rows of stride bytes (0: width × pixel
 * size), dst_bytes the buffer's size. Tiles left empty this frame read as transparent (0) in
 * every format. A buffer smaller than (height-1)·stride + a row fails with YSG_ERR_INVALID,
 * naming the bytes needed, before anything is written. */
YSG_API ysg_status ysg_pipeline_read_image(ysg_pipeline *p, const char *ref,
                                           ysg_pixel_format format, void *dst, size_t dst_bytes,
                                           size_t stride);

/* Write a value to a file: points/edges/boxes/curves as CSV, shapes as JSON when path ends in
 * ".json" and CSV otherwise, images as 8-bit sRGB PNG with straight alpha. A printf-style frame
 * pattern in path ("%04d") is replaced by frame. The file is written to a temporary name and
 * renamed, so a failure never leaves a partial file. */
YSG_API ysg_status ysg_pipeline_dump(ysg_pipeline *p, const char *ref, const char *path, int frame);

/* ---- introspection (what `ysgraph plan`, `graph`, `nodes` and `--stats` print) -----------------
 */
typedef struct ysg_node_info {
  const char *name, *type, *file;
  int line;
  int step;        /* position in the execution order */
  double total_ms; /* time spent in run() over all frames so far (host) */
  int runs;
  int on_device;    /* runs on the CUDA device */
  double device_ms; /* device time over profiled frames (ysg_load_options.profile) */
  const char *info; /* a note for --stats (e.g. the encoder a video sink uses); "" if none */
  /* tile fusion: index of the node (a merge) whose pass renders this node's tiles — its image is
   * never materialised — or -1. total_ms is then prepare time + tile_ms. */
  int fused_into;
  double tile_ms; /* fused: time rendering its tiles inside the pass (its share of the pass's
                     wall time, from per-thread cycle counts); a node with fused inputs leaves
                     these shares out of its own total_ms, so total_ms adds up over nodes */
} ysg_node_info;

typedef struct ysg_link_info {
  int from_node, to_node; /* indices as in ysg_pipeline_node_info */
  const char *from_port, *to_port;
  int to_index; /* position within a multi-input port */
} ysg_link_info;

typedef struct ysg_buffer_info {
  const char *name; /* "node.port", or "node.scratch0" / "node.state0" */
  const char *kind; /* "value", "kept", "scratch", "state" */
  size_t bytes, offset;
  int first_step, last_step; /* live range in the execution order (inclusive) */
} ysg_buffer_info;

typedef struct ysg_plan_info {
  size_t arena_bytes;       /* the one arena allocated at load */
  size_t lower_bound_bytes; /* max over steps of live bytes */
  int n_buffers, n_steps;
  const char *order; /* the planner's winning placement order */
} ysg_plan_info;

YSG_API int ysg_pipeline_node_count(const ysg_pipeline *p);
YSG_API ysg_status ysg_pipeline_node_info(const ysg_pipeline *p, int i, ysg_node_info *out);
YSG_API int ysg_pipeline_link_count(const ysg_pipeline *p);
YSG_API ysg_status ysg_pipeline_link_info(const ysg_pipeline *p, int i, ysg_link_info *out);
YSG_API ysg_status ysg_pipeline_plan(const ysg_pipeline *p, ysg_plan_info *out);
YSG_API ysg_status ysg_pipeline_buffer_info(const ysg_pipeline *p, int i, ysg_buffer_info *out);

/* CUDA backend figures (`--stats`); YSG_ERR_UNSUPPORTED on the CPU backend. */
typedef struct ysg_device_stats {
  int segments;        /* runs of consecutive device nodes, one CUDA Graph each */
  int captures;        /* graph captures so far (the first capture of each segment included) */
  int recaptures;      /* captures forced by a changed capture key */
  int graph_updates;   /* re-captures applied with cudaGraphExecUpdate */
  int eager_frames;    /* frames launched node by node (warm-up, --no-graphs, profiling) */
  int replayed_frames; /* frames launched as CUDA Graph replays */
  int host_syncs;      /* waits for the device before a host node read device data */
  size_t arena_bytes;  /* the device arena */
  size_t lower_bound_bytes;
  size_t pinned_bytes; /* staging + parameter blocks */
  double submit_ms;    /* host time spent launching device work, all frames */
} ysg_device_stats;
YSG_API ysg_status ysg_pipeline_device_stats(const ysg_pipeline *p, ysg_device_stats *out);
/* CUDA backend: order the pipeline's device work with a host stream (a cudaStream_t). Each
 * following frame starts on the device after the work queued on `stream` before the run call,
 * and work queued on `stream` after the call (or after a DLPack read/export) starts after that
 * frame (or read) — waits between streams on the device, no host synchronisation. Without a host
 * stream (NULL, the default) the pipeline works on its own stream and the calls that hand device
 * memory to the host (get_value_device, the DLPack exports and reads) wait on the host until the
 * frame is done; a tensor lent with ysg_pipeline_set_image_dlpack must then be ready before the
 * run call (synchronise your stream first). YSG_ERR_UNSUPPORTED on the CPU backend. */
YSG_API ysg_status ysg_pipeline_set_cuda_stream(ysg_pipeline *p, void *stream);
/* A kept value with device addresses (CUDA hosts); waits for the frame. YSG_ERR_UNSUPPORTED on
 * the CPU backend. The count and attrs fields are those of the finished frame. Images: pixels of
 * empty tiles are not cleared on the device (read them as 0 where tiles[t] is 0; the DLPack
 * export, ysg_pipeline_get_value_dlpack, clears them). */
YSG_API ysg_status ysg_pipeline_get_value_device(ysg_pipeline *p, const char *ref,
                                                 const ysg_value **out);

/* ---- node types --------------------------------------------------------------------------- */
struct ysg_node_type; /* <ysgraph/node.h> */
/* Every registered node type's schema as one JSON array (the `ysgraph nodes` content, for
 * bindings): [{"name", "category", "doc", "flags": [...], "inputs": [{"name", "type", "optional",
 * "multi", "doc", "link_params": [...]}], "outputs": [...], "params": [{"name", "kind",
 * "default" (null when required), "min", "max" (null when unbounded), "choices" ([...] for
 * enums), "static", "required", "doc"}]}]. Writes a NUL-terminated string into dst when it fits
 * in dst_bytes and sets *needed (if not NULL) to the bytes it takes, NUL included; too small a
 * buffer fails with YSG_ERR_INVALID naming that size (dst may be NULL with dst_bytes 0). */
YSG_API ysg_status ysg_node_types_json(ysg_context *ctx, char *dst, size_t dst_bytes,
                                       size_t *needed);
YSG_API int ysg_node_type_count(const ysg_context *ctx);
YSG_API const struct ysg_node_type *ysg_node_type_at(const ysg_context *ctx, int i);
YSG_API const struct ysg_node_type *ysg_node_type_find(const ysg_context *ctx, const char *name);
/* Register a host-defined node type; the struct and its tables must outlive the context.
 * Fails with YSG_ERR_INVALID for a duplicate name or an inconsistent schema. */
YSG_API ysg_status ysg_register_node_type(ysg_context *ctx, const struct ysg_node_type *type);

#ifdef __cplusplus
}
#endif
#endif /* YSGRAPH_H */
