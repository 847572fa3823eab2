/* main.c — the `ysgraph` command-line tool: run, check, plan, graph and nodes, built only on the
 * public API (ysgraph.h, ysgraph/node.h). Exit codes are a contract other tools rely on:
 * 0 success, 1 pipeline error, 2 usage error, 3 runtime or I/O error (and interruption).
 * Every error is one line on stderr, `ysgraph: MESSAGE`; main returns the code, nothing exits
 * from deep inside. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli_nodes.h"
#include "ysgraph.h"
#include "ysgraph/node.h"

enum { EXIT_PIPELINE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

static const char usage_text[] =
    "usage: ysgraph COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE      render frames of a pipeline\n"
    "  check FILE    load (validate and plan) a pipeline: FILE: ok (N nodes, arena X bytes)\n"
    "  plan FILE     print the arena plan: buffers, offsets, live steps (--json: one object)\n"
    "  graph FILE    print the pipeline as a Graphviz DOT graph\n"
    "  nodes [NAME]  list node types, or document one (--markdown: the README table)\n"
    "\n"
    "options for run (check, plan and graph take -o, --backend, --set, --unsafe, --quiet,\n"
    "--no-fuse; they print no notes, only warnings and errors):\n"
    "  -o DIR                  output directory for relative output paths (default .)\n"
    "  --backend auto|cpu|cuda execution backend (default auto)\n"
    "  --frames A:B            frames A..B-1; 'A:' to the end, ':B' from 0, 'N' one frame;\n"
    "                          B past the end stops at the last frame\n"
    "  --set NAME=VALUE        set a pipeline param() or a node parameter 'node.param'\n"
    "  --dump NODE[.PORT]=PATH after every frame write a value (images as PNG, shapes as\n"
    "                          JSON if PATH ends in .json, others as CSV) to PATH, relative\n"
    "                          to the current directory; %04d = frame\n"
    "  --stats PATH.json       write timings, memory and per-node statistics as JSON\n"
    "  --threads N             CPU worker threads (default 0: all cores)\n"
    "  --pipe FMT[=NODE[.PORT]] stream frames to standard output: y4m (4:2:0), y4m444 or\n"
    "                          rgba (8-bit sRGB); the image the sinks write unless named\n"
    "  --no-graphs             CUDA: launch every frame node by node instead of replaying\n"
    "                          CUDA Graphs (also YSG_NO_CUDA_GRAPHS=1)\n"
    "  --no-fuse               render every merge layer into its own image instead of tile by\n"
    "                          tile inside the merge (also for check and plan)\n"
    "  --quiet                 no progress bar and no notes, only warnings and errors\n"
    "  --unsafe                lift the Lua sandbox (io, os, require, any path)\n"
    "\n"
    "  -h, --help              this text\n"
    "  --version               version and compiled-in features\n"
    "\n"
    "exit codes: 0 success, 1 pipeline error, 2 usage error, 3 runtime or I/O error\n"
    "(Ctrl-C, SIGTERM or SIGHUP during run stops after the current frame, removes temporaries\n"
    "and exits 3).\n";

/* ---- options --------------------------------------------------------------------------------- */
enum {
  O_OUT = 1 << 0,
  O_BACKEND = 1 << 1,
  O_FRAMES = 1 << 2,
  O_SET = 1 << 3,
  O_DUMP = 1 << 4,
  O_STATS = 1 << 5,
  O_QUIET = 1 << 6,
  O_UNSAFE = 1 << 7,
  O_THREADS = 1 << 8,
  O_JSON = 1 << 9,
  O_MARKDOWN = 1 << 10,
  O_NO_GRAPHS = 1 << 11,
  O_PIPE = 1 << 12,
  O_NO_FUSE = 1 << 13
};
enum { O_LOAD = O_OUT | O_BACKEND | O_SET | O_UNSAFE | O_QUIET | O_NO_FUSE };

typedef struct opt_def {
  const char *name, *alt;
  int bit, has_arg;
} opt_def;

static const opt_def opt_defs[] = {
    {"-o", "--output", O_OUT, 1},        {"--backend", NULL, O_BACKEND, 1},
    {"--frames", NULL, O_FRAMES, 1},     {"--set", NULL, O_SET, 1},
    {"--dump", NULL, O_DUMP, 1},         {"--stats", NULL, O_STATS, 1},
    {"--quiet", "-q", O_QUIET, 0},       {"--unsafe", NULL, O_UNSAFE, 0},
    {"--threads", NULL, O_THREADS, 1},   {"--json", NULL, O_JSON, 0},
    {"--markdown", NULL, O_MARKDOWN, 0}, {"--no-graphs", NULL, O_NO_GRAPHS, 0},
    {"--pipe", NULL, O_PIPE, 1},         {"--no-fuse", NULL, O_NO_FUSE, 0},
};

typedef struct cli {
  const char *cmd, *file, *outdir, *stats, *frames, *pipe;
  ysg_backend backend;
  ysg_define *defines;
  int n_defines;
  const char **keep, **dump_path; /* --dump refs and paths, parallel */
  int n_dump;
  int quiet, unsafe, threads, json, markdown, no_graphs, no_fuse;
  int bar_visible; /* a progress line is on stderr and must be cleared before a message */
} cli;

static void clear_bar(cli *c) {
  if (c->bar_visible) fputs("\r\033[K", stderr);
  c->bar_visible = 0;
}

static int fail(cli *c, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(cli *c, int code, const char *fmt, ...) {
  if (c) clear_bar(c);
  va_list ap;
  va_start(ap, fmt);
  fputs("ysgraph: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

static int status_exit(ysg_status s) {
  if (s == YSG_OK) return 0;
  if (s == YSG_ERR_PIPELINE || s == YSG_ERR_DATA || s == YSG_ERR_LIMIT || s == YSG_ERR_NOT_FOUND ||
      s == YSG_ERR_INVALID)
    return EXIT_PIPELINE;
  return EXIT_RUNTIME; /* I/O, memory, unsupported, CUDA, runtime, cancelled */
}

/* The library's message already starts with FILE:LINE: when it knows them. */
static int fail_status(cli *c, ysg_context *ctx, ysg_status s) {
  const char *m = ctx ? ysg_errmsg(ctx) : NULL;
  return fail(c, status_exit(s), "%s", m && m[0] ? m : ysg_status_string(s));
}

static int parse_int(const char *s, int *out) {
  if (!s || !*s || *s == '-' || *s == '+') return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end || errno || v > INT_MAX) return 0;
  *out = (int)v;
  return 1;
}

/* "A:B", "A:", ":B", ":" or "N"; -1 marks an open end. Returns 0 on bad syntax or A >= B. */
static int parse_frames(const char *s, int *a, int *b) {
  const char *colon = strchr(s, ':');
  char head[32];
  *a = *b = -1;
  if (!colon) {
    if (!parse_int(s, a) || *a == INT_MAX) return 0;
    *b = *a + 1;
    return 1;
  }
  size_t n = (size_t)(colon - s);
  if (n >= sizeof head) return 0;
  memcpy(head, s, n);
  head[n] = 0;
  if (n && !parse_int(head, a)) return 0;
  if (colon[1] && !parse_int(colon + 1, b)) return 0;
  return !(*a >= 0 && *b >= 0 && *a >= *b);
}

static int apply_opt(cli *c, const opt_def *d, const char *arg) {
  static const char *const backends[] = {"auto", "cpu", "cuda"}; /* ysg_backend order */
  const char *eq = arg ? strchr(arg, '=') : NULL;
  int bit = d->bit, a, b;
  if (bit == O_OUT) c->outdir = arg;
  if (bit == O_STATS) c->stats = arg;
  if (bit == O_QUIET) c->quiet = 1;
  if (bit == O_UNSAFE) c->unsafe = 1;
  if (bit == O_JSON) c->json = 1;
  if (bit == O_MARKDOWN) c->markdown = 1;
  if (bit == O_NO_GRAPHS) c->no_graphs = 1;
  if (bit == O_NO_FUSE) c->no_fuse = 1;
  if (bit == O_BACKEND) {
    int k = 0;
    while (k < 3 && strcmp(arg, backends[k])) k++;
    if (k == 3) return fail(c, EXIT_USAGE, "--backend '%s': expected auto, cpu or cuda", arg);
    c->backend = (ysg_backend)k;
  }
  if (bit == O_FRAMES && !parse_frames(arg, &a, &b))
    return fail(c, EXIT_USAGE, "--frames '%s': expected A:B with 0 <= A < B", arg);
  if (bit == O_FRAMES) c->frames = arg;
  if (bit == O_PIPE) {
    size_t n = strcspn(arg, "=");
    if (!((n == 3 && !strncmp(arg, "y4m", 3)) || (n == 6 && !strncmp(arg, "y4m444", 6)) ||
          (n == 4 && !strncmp(arg, "rgba", 4))))
      return fail(c, EXIT_USAGE, "--pipe '%s': expected y4m, y4m444 or rgba[=NODE[.PORT]]", arg);
    if (isatty(STDOUT_FILENO))
      return fail(c, EXIT_USAGE,
                  "--pipe: standard output is a terminal; pipe it into a program (e.g. | ffmpeg "
                  "-i - out.mp4)");
    c->pipe = arg;
  }
  if (bit == O_THREADS && !parse_int(arg, &c->threads))
    return fail(c, EXIT_USAGE, "--threads '%s': expected a number >= 0", arg);
  if (bit == O_SET) {
    if (!eq || eq == arg) return fail(c, EXIT_USAGE, "--set '%s': expected NAME=VALUE", arg);
    char *name = strndup(arg, (size_t)(eq - arg));
    if (!name) return fail(c, EXIT_RUNTIME, "out of memory");
    c->defines[c->n_defines].name = name;
    c->defines[c->n_defines++].value = eq + 1;
  }
  if (bit == O_DUMP) {
    if (!eq || eq == arg || !eq[1])
      return fail(c, EXIT_USAGE, "--dump '%s': expected NODE[.PORT]=PATH", arg);
    char *ref = strndup(arg, (size_t)(eq - arg));
    if (!ref) return fail(c, EXIT_RUNTIME, "out of memory");
    c->keep[c->n_dump] = ref;
    c->dump_path[c->n_dump++] = eq + 1;
  }
  return 0;
}

/* Parses argv[2..]; positional arguments go to c->file (at most max_pos of them). */
static int parse_args(cli *c, int argc, char **argv, int allowed, int max_pos) {
  int n_pos = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || !a[1]) {
      if (n_pos++ >= max_pos)
        return fail(c, EXIT_USAGE, "unexpected argument '%s' (see ysgraph --help)", a);
      c->file = a;
      continue;
    }
    const char *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const opt_def *d = NULL;
    for (size_t k = 0; k < sizeof opt_defs / sizeof opt_defs[0] && !d; k++) {
      const opt_def *o = &opt_defs[k];
      if ((strlen(o->name) == len && !strncmp(o->name, a, len)) ||
          (o->alt && strlen(o->alt) == len && !strncmp(o->alt, a, len)))
        d = o;
    }
    if (!d) return fail(c, EXIT_USAGE, "unknown option '%.*s' (see ysgraph --help)", (int)len, a);
    if (!(d->bit & allowed))
      return fail(c, EXIT_USAGE, "option '%s' does not apply to '%s' (see ysgraph --help)", d->name,
                  c->cmd);
    const char *arg = NULL;
    if (d->has_arg) {
      if (eq)
        arg = eq + 1;
      else if (i + 1 < argc)
        arg = argv[++i];
      else
        return fail(c, EXIT_USAGE, "option '%s' needs a value (see ysgraph --help)", d->name);
    } else if (eq) {
      return fail(c, EXIT_USAGE, "option '%s' takes no value (see ysgraph --help)", d->name);
    }
    int rc = apply_opt(c, d, arg);
    if (rc) return rc;
  }
  if (max_pos && !strcmp(c->cmd, "nodes")) return 0;
  if (!c->file) return fail(c, EXIT_USAGE, "%s: missing FILE (see ysgraph --help)", c->cmd);
  return 0;
}

/* ---- context and loading --------------------------------------------------------------------- */
static void on_log(void *ud, ysg_log_level level, const char *msg) {
  cli *c = ud;
  static const char *const names[] = {"debug", "note", "warning", "error"};
  clear_bar(c);
  fprintf(stderr, "ysgraph: %s: %s\n", names[level <= YSG_LOG_ERROR ? level : YSG_LOG_ERROR], msg);
}

static int make_context(cli *c, ysg_context **ctx) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.log = on_log;
  o.log_ud = c;
  /* notes (backend, encoder, print) are for runs; check, plan, graph and nodes print none */
  o.log_level = c->quiet || strcmp(c->cmd, "run") ? YSG_LOG_WARN : YSG_LOG_INFO;
  o.threads = c->threads;
  ysg_status s = ysg_context_create(&o, ctx);
  if (s) return fail(c, status_exit(s), "cannot create a context: %s", ysg_status_string(s));
  return 0;
}

static ysg_status load(cli *c, ysg_context *ctx, ysg_pipeline **p) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = c->backend;
  lo.output_dir = c->outdir;
  lo.unsafe = c->unsafe;
  lo.no_graphs = c->no_graphs;
  lo.no_fuse = c->no_fuse;
  lo.defines = c->defines;
  lo.n_defines = c->n_defines;
  lo.keep = c->keep;
  lo.n_keep = c->n_dump;
  lo.pipe = c->pipe;
  lo.check_only = strcmp(c->cmd, "run") != 0; /* check, plan, graph: nothing on disk */
  return ysg_pipeline_load_file(ctx, c->file, &lo, p);
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */
/* prefix (e.g. `,"name":`) then s as a JSON string */
static void json_str(FILE *f, const char *prefix, const char *s) {
  fputs(prefix, f);
  fputc('"', f);
  for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++) {
    if (*u == '"' || *u == '\\')
      fprintf(f, "\\%c", *u);
    else if (*u < 0x20)
      fprintf(f, "\\u%04x", *u); /* UTF-8 passes through */
    else
      fputc(*u, f);
  }
  fputc('"', f);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- run ------------------------------------------------------------------------------------ */
/* SIGINT (Ctrl-C), SIGTERM (timeout, systemd, docker, CI) and SIGHUP (a closed terminal) stop a
 * run after the current frame; temporaries are removed and the exit code is 3. SA_RESETHAND: a
 * second signal ends the process the default way. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS ((int)(sizeof stop_signals / sizeof stop_signals[0]))
static volatile sig_atomic_t interrupted; /* the signal received, 0 if none */
static void on_stop_signal(int sig) { interrupted = sig; }

static void catch_stop_signals(struct sigaction old[N_STOP_SIGNALS]) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(stop_signals[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[N_STOP_SIGNALS]) {
  for (int i = 0; i < N_STOP_SIGNALS; i++) sigaction(stop_signals[i], &old[i], NULL);
}

static const char *signal_name(int sig) {
  return sig == SIGINT    ? "SIGINT"
         : sig == SIGTERM ? "SIGTERM"
         : sig == SIGHUP  ? "SIGHUP"
                          : "signal";
}

typedef struct run_state {
  cli *c;
  ysg_pipeline *p;
  ysg_context *ctx;
  int first, total, done, last_frame;
  double t0, last_draw;
  int stop_interrupt; /* cancelled because of a stop signal */
  ysg_status dump_status;
  char dump_msg[2048];
  int show_bar;
} run_state;

static void draw_bar(run_state *r, int final) {
  double t = now_ms();
  if (!final && t - r->last_draw < 100) return;
  r->last_draw = t;
  double el = (t - r->t0) / 1e3, fps = el > 0 ? r->done / el : 0;
  double eta = r->done ? el / r->done * (r->total - r->done) : 0;
  int w = 30, fill = r->total ? (int)((double)w * r->done / r->total) : w;
  char bar[32];
  for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : ' ';
  bar[w] = 0;
  fprintf(stderr, "\r%d/%d [%s] %.1f fps ETA %d:%02d\033[K", r->done, r->total, bar, fps,
          (int)eta / 60, (int)eta % 60);
  r->c->bar_visible = 1;
  if (final) {
    fputc('\n', stderr);
    r->c->bar_visible = 0;
  }
  fflush(stderr);
}

static int on_frame(void *ud, int frame, int done, int total) {
  run_state *r = ud;
  (void)total;
  r->last_frame = frame;
  r->done = done;
  for (int i = 0; i < r->c->n_dump; i++) {
    ysg_status s = ysg_pipeline_dump(r->p, r->c->keep[i], r->c->dump_path[i], frame);
    if (s) {
      r->dump_status = s;
      snprintf(r->dump_msg, sizeof r->dump_msg, "%s", ysg_errmsg(r->ctx));
      return 1;
    }
  }
  if (r->show_bar) draw_bar(r, done == r->total);
  if (interrupted && done < r->total) {
    r->stop_interrupt = 1;
    return 1;
  }
  return 0;
}

static int write_stats(cli *c, run_state *r, double wall_ms) {
  ysg_plan_info plan;
  memset(&plan, 0, sizeof plan);
  ysg_pipeline_plan(r->p, &plan);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  size_t len = strlen(c->stats) + 32;
  char *tmp = malloc(len);
  if (!tmp) return fail(c, EXIT_RUNTIME, "out of memory");
  snprintf(tmp, len, "%s.tmp%ld", c->stats, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    int rc = fail(c, EXIT_RUNTIME, "cannot write '%s': %s", c->stats, strerror(errno));
    free(tmp);
    return rc;
  }
  json_str(f, "{\"file\":", c->file);
  fprintf(f, ",\"frames\":%d,\"first\":%d,\"last\":%d,\"backend\":\"%s\"", r->done, r->first,
          r->done ? r->last_frame : r->first - 1,
          ysg_pipeline_backend(r->p) == YSG_BACKEND_CUDA ? "cuda" : "cpu");
  /* 0 asks the context for all cores */
  long threads = c->threads ? c->threads : sysconf(_SC_NPROCESSORS_ONLN);
  fprintf(f, ",\"threads\":%ld,\"wall_ms\":%.3f,\"fps\":%.3f", threads, wall_ms,
          wall_ms > 0 ? r->done * 1e3 / wall_ms : 0.0);
  fprintf(f, ",\"arena_bytes\":%zu,\"lower_bound_bytes\":%zu,\"peak_rss_bytes\":%lld",
          plan.arena_bytes, plan.lower_bound_bytes, (long long)ru.ru_maxrss * 1024);
  fprintf(f, ",\"interrupted\":%s,\"nodes\":[", r->stop_interrupt ? "true" : "false");
  int n = ysg_pipeline_node_count(r->p);
  for (int i = 0; i < n; i++) {
    ysg_node_info ni;
    if (ysg_pipeline_node_info(r->p, i, &ni)) continue;
    json_str(f, i ? ",{\"name\":" : "{\"name\":", ni.name);
    json_str(f, ",\"type\":", ni.type);
    if (ni.info && ni.info[0]) json_str(f, ",\"info\":", ni.info);
    fprintf(f, ",\"ms_total\":%.4f,\"ms_per_frame\":%.4f,\"runs\":%d,\"device\":%s", ni.total_ms,
            ni.runs ? ni.total_ms / ni.runs : 0.0, ni.runs, ni.on_device ? "true" : "false");
    ysg_node_info into;
    if (ni.fused_into >= 0 && !ysg_pipeline_node_info(r->p, ni.fused_into, &into)) {
      json_str(f, ",\"fused_into\":", into.name);
      fprintf(f, ",\"tile_ms_per_frame\":%.4f", ni.runs ? ni.tile_ms / ni.runs : 0.0);
    }
    fputc('}', f);
  }
  fputc(']', f);
  ysg_device_stats ds;
  if (ysg_pipeline_device_stats(r->p, &ds) == YSG_OK)
    fprintf(f,
            ",\"cuda\":{\"segments\":%d,\"captures\":%d,\"recaptures\":%d,\"graph_updates\":%d,"
            "\"eager_frames\":%d,\"replayed_frames\":%d,\"host_syncs\":%d,\"arena_bytes\":%zu,"
            "\"pinned_bytes\":%zu,\"submit_us_per_frame\":%.3f}",
            ds.segments, ds.captures, ds.recaptures, ds.graph_updates, ds.eager_frames,
            ds.replayed_frames, ds.host_syncs, ds.arena_bytes, ds.pinned_bytes,
            r->done ? ds.submit_ms * 1e3 / r->done : 0.0);
  fputs("}\n", f);
  int bad = ferror(f);
  if (fclose(f) || bad || rename(tmp, c->stats)) {
    int rc = fail(c, EXIT_RUNTIME, "cannot write '%s': %s", c->stats, strerror(errno));
    unlink(tmp);
    free(tmp);
    return rc;
  }
  free(tmp);
  return 0;
}

/* A run whose pipeline has no sink (a node without outputs: png, video_out, ...) and no --dump
 * writes nothing: say so, naming the sinks there are. */
static void warn_if_no_sink(cli *c, ysg_context *ctx, ysg_pipeline *p) {
  if (c->n_dump) return;
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    const ysg_node_type *t;
    if (!ysg_pipeline_node_info(p, i, &ni) && (t = ysg_node_type_find(ctx, ni.type)) &&
        t->n_outputs == 0)
      return;
  }
  char sinks[256] = "";
  for (int i = 0, k = 0; i < ysg_node_type_count(ctx); i++) {
    const ysg_node_type *t = ysg_node_type_at(ctx, i);
    size_t n = strlen(sinks);
    if (t->n_outputs == 0 && n < sizeof sinks)
      snprintf(sinks + n, sizeof sinks - n, "%s%s", k++ ? ", " : "", t->name);
  }
  clear_bar(c);
  fprintf(stderr,
          "ysgraph: warning: %s: the pipeline has no sink (%s) and nothing is dumped: this "
          "run writes nothing\n",
          c->file, sinks);
}

static int cmd_run(cli *c, ysg_context *ctx, ysg_pipeline *p) {
  /* a Python slice of the canvas's frames: B past the end stops at the last frame; a range that
   * starts past it would render nothing, which is an error rather than a silent empty run */
  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  int a = 0, b = cv->frames;
  if (c->frames) {
    int fa, fb;
    parse_frames(c->frames, &fa, &fb);
    if (fa >= 0) a = fa;
    if (fb >= 0 && fb < b) b = fb;
  }
  if (a >= b)
    return fail(c, EXIT_USAGE,
                "--frames '%s': starts past the last frame (the pipeline has %d: 0..%d)",
                c->frames ? c->frames : ":", cv->frames, cv->frames - 1);

  warn_if_no_sink(c, ctx, p);
  /* check --dump refs now rather than failing after the first frame has been written */
  for (int i = 0; i < c->n_dump; i++) {
    const ysg_value *v;
    ysg_status s = ysg_pipeline_get_value(p, c->keep[i], &v);
    if (s) return fail(c, status_exit(s), "--dump %s", ysg_errmsg(ctx));
  }
  run_state r;
  memset(&r, 0, sizeof r);
  r.c = c;
  r.p = p;
  r.ctx = ctx;
  r.first = a;
  r.total = b - a;
  r.last_frame = a - 1;
  r.show_bar = !c->quiet && isatty(STDERR_FILENO);

  /* the stop signals are caught from before the load (dispatch): one that came during it stops
   * the run before its first frame */
  r.t0 = r.last_draw = now_ms();
  ysg_status s = YSG_OK;
  if (interrupted)
    r.stop_interrupt = 1;
  else
    s = ysg_pipeline_run_range(p, a, b - 1, on_frame, &r);
  /* a complete run finalizes its outputs (video trailers); an interrupted one leaves none */
  ysg_status fs = !s && !r.stop_interrupt ? ysg_pipeline_finish(p) : ysg_pipeline_flush(p);
  double wall = now_ms() - r.t0;
  if (r.show_bar && c->bar_visible) draw_bar(&r, 1);

  if (r.dump_status) return fail(c, status_exit(r.dump_status), "%s", r.dump_msg);
  if (s && !(s == YSG_ERR_CANCELLED && r.stop_interrupt)) return fail_status(c, ctx, s);
  if (fs) return fail_status(c, ctx, fs);
  if (c->stats) {
    int rc = write_stats(c, &r, wall);
    if (rc) return rc;
  }
  if (r.stop_interrupt && r.done == 0)
    return fail(c, EXIT_RUNTIME, "interrupted by %s before frame %d", signal_name(interrupted), a);
  if (r.stop_interrupt)
    return fail(c, EXIT_RUNTIME, "interrupted by %s at frame %d", signal_name(interrupted),
                r.last_frame);
  return 0;
}

/* ---- check, plan, graph ---------------------------------------------------------------------- */
static int cmd_check(cli *c, ysg_pipeline *p) {
  ysg_plan_info plan;
  memset(&plan, 0, sizeof plan);
  ysg_pipeline_plan(p, &plan);
  printf("%s: ok (%d nodes, arena %zu bytes)\n", c->file, ysg_pipeline_node_count(p),
         plan.arena_bytes);
  return 0;
}

/* "fused        frame (merge) <- sky, links" per node whose pass renders fused layers */
static void print_fused(ysg_pipeline *p) {
  int n = ysg_pipeline_node_count(p), any = 0;
  putchar('\n');
  for (int i = 0; i < n; i++) {
    ysg_node_info ci, li;
    int first = 1;
    if (ysg_pipeline_node_info(p, i, &ci)) continue;
    for (int k = 0; k < n; k++) {
      if (ysg_pipeline_node_info(p, k, &li) || li.fused_into != i) continue;
      if (first) printf("fused        %s (%s) <- ", ci.name, ci.type);
      printf("%s%s", first ? "" : ", ", li.name);
      first = 0;
      any = 1;
    }
    if (!first) printf(" (tiles rendered in the pass; images never made)\n");
  }
  if (!any) printf("fused        none\n");
}

static int cmd_plan(cli *c, ysg_context *ctx, ysg_pipeline *p) {
  ysg_plan_info plan;
  ysg_status s = ysg_pipeline_plan(p, &plan);
  if (s) return fail_status(c, ctx, s);
  if (c->json) {
    json_str(stdout, "{\"file\":", c->file);
    printf(",\"arena_bytes\":%zu,\"lower_bound_bytes\":%zu", plan.arena_bytes,
           plan.lower_bound_bytes);
    json_str(stdout, ",\"order\":", plan.order);
    printf(",\"steps\":%d,\"buffers\":[", plan.n_steps);
    for (int i = 0; i < plan.n_buffers; i++) {
      ysg_buffer_info b;
      if ((s = ysg_pipeline_buffer_info(p, i, &b))) return fail_status(c, ctx, s);
      json_str(stdout, i ? ",{\"name\":" : "{\"name\":", b.name);
      json_str(stdout, ",\"kind\":", b.kind);
      printf(",\"bytes\":%zu,\"offset\":%zu,\"first\":%d,\"last\":%d}", b.bytes, b.offset,
             b.first_step, b.last_step);
    }
    fputs("],\"nodes\":[", stdout);
    for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
      ysg_node_info ni;
      if ((s = ysg_pipeline_node_info(p, i, &ni))) return fail_status(c, ctx, s);
      json_str(stdout, i ? ",{\"name\":" : "{\"name\":", ni.name);
      json_str(stdout, ",\"type\":", ni.type);
      printf(",\"step\":%d", ni.step);
      ysg_node_info into;
      if (ni.fused_into >= 0 && !ysg_pipeline_node_info(p, ni.fused_into, &into))
        json_str(stdout, ",\"fused_into\":", into.name);
      putchar('}');
    }
    fputs("]}\n", stdout);
    return 0;
  }
  int wn = 6, wk = 4;
  for (int i = 0; i < plan.n_buffers; i++) {
    ysg_buffer_info b;
    if ((s = ysg_pipeline_buffer_info(p, i, &b))) return fail_status(c, ctx, s);
    if ((int)strlen(b.name) > wn) wn = (int)strlen(b.name);
    if ((int)strlen(b.kind) > wk) wk = (int)strlen(b.kind);
  }
  printf("%-*s  %-*s  %12s  %12s  %s\n", wn, "buffer", wk, "kind", "bytes", "offset", "steps");
  for (int i = 0; i < plan.n_buffers; i++) {
    ysg_buffer_info b;
    ysg_pipeline_buffer_info(p, i, &b);
    printf("%-*s  %-*s  %12zu  %12zu  %d..%d\n", wn, b.name, wk, b.kind, b.bytes, b.offset,
           b.first_step, b.last_step);
  }
  print_fused(p);
  double ratio = plan.lower_bound_bytes ? (double)plan.arena_bytes / plan.lower_bound_bytes : 1;
  printf("arena        %zu bytes (%.2f MiB)\n", plan.arena_bytes, plan.arena_bytes / 1048576.0);
  printf("lower bound  %zu bytes (arena / bound = %.3f)\n", plan.lower_bound_bytes, ratio);
  printf("order        %s\nsteps        %d\n", plan.order ? plan.order : "", plan.n_steps);
  return 0;
}

static void dot_str(const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    putchar(*s);
  }
}

static const char *shape_for(const char *category) {
  static const char *const map[][2] = {
      {"source", "ellipse"},      {"input", "invhouse"}, {"output", "house"},
      {"composite", "trapezium"}, {"graph", "hexagon"},  {"effect", "octagon"},
  };
  for (size_t i = 0; category && i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i][0], category)) return map[i][1];
  return "box";
}

static int cmd_graph(cli *c, ysg_context *ctx, ysg_pipeline *p) {
  ysg_status s;
  printf("digraph \"");
  dot_str(c->file);
  printf(
      "\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9];\n");
  for (int i = 0; i < ysg_pipeline_node_count(p); i++) {
    ysg_node_info ni;
    if ((s = ysg_pipeline_node_info(p, i, &ni))) return fail_status(c, ctx, s);
    const ysg_node_type *t = ysg_node_type_find(ctx, ni.type);
    printf("  n%d [label=\"", i);
    dot_str(ni.name);
    printf("\\n");
    dot_str(ni.type);
    printf("\", shape=%s%s];\n", shape_for(t ? t->category : NULL),
           ni.step < 0 ? ", style=dashed" : "");
  }
  for (int i = 0; i < ysg_pipeline_link_count(p); i++) {
    ysg_link_info l;
    if ((s = ysg_pipeline_link_info(p, i, &l))) return fail_status(c, ctx, s);
    printf("  n%d -> n%d [label=\"", l.from_node, l.to_node);
    dot_str(l.from_port);
    printf(" \xe2\x86\x92 ");
    dot_str(l.to_port);
    ysg_node_info ti;
    const ysg_node_type *tt = NULL;
    if (!ysg_pipeline_node_info(p, l.to_node, &ti)) tt = ysg_node_type_find(ctx, ti.type);
    for (int k = 0; tt && k < tt->n_inputs; k++)
      if (!strcmp(tt->inputs[k].name, l.to_port) && (tt->inputs[k].flags & YSG_PORT_MULTI))
        printf("[%d]", l.to_index);
    printf("\"];\n");
  }
  printf("}\n");
  return 0;
}

/* ---- nodes: lua/cli_nodes.c ----------------------------------------------------------------- */
static int cmd_nodes(cli *c) {
  ysg_context *ctx = NULL;
  int rc = make_context(c, &ctx);
  if (rc) return rc;
  rc = ysg_cli_print_nodes(ctx, c->file, c->markdown) ? EXIT_PIPELINE : 0;
  ysg_context_destroy(ctx);
  return rc;
}

/* ---- main ------------------------------------------------------------------------------------ */
static int dispatch(cli *c, int argc, char **argv) {
  static const struct {
    const char *name;
    int allowed, max_pos;
  } cmds[] = {
      {"run", O_LOAD | O_FRAMES | O_DUMP | O_STATS | O_THREADS | O_NO_GRAPHS | O_PIPE, 1},
      {"check", O_LOAD, 1},
      {"plan", O_LOAD | O_JSON, 1},
      {"graph", O_LOAD, 1},
      {"nodes", O_MARKDOWN, 1},
  };
  int k = -1;
  for (int i = 0; i < (int)(sizeof cmds / sizeof cmds[0]); i++)
    if (!strcmp(argv[1], cmds[i].name)) k = i;
  if (k < 0) {
    if (argv[1][0] == '-')
      return fail(c, EXIT_USAGE, "unknown option '%s' (see ysgraph --help)", argv[1]);
    return fail(c, EXIT_USAGE, "unknown command '%s' (see ysgraph --help)", argv[1]);
  }
  c->cmd = cmds[k].name;
  int rc = parse_args(c, argc, argv, cmds[k].allowed, cmds[k].max_pos);
  if (rc) return rc;
  if (!strcmp(c->cmd, "nodes")) return cmd_nodes(c);

  ysg_context *ctx = NULL;
  if ((rc = make_context(c, &ctx))) return rc;
  int run = !strcmp(c->cmd, "run");
  struct sigaction old[N_STOP_SIGNALS];
  if (run) catch_stop_signals(old); /* loading may already create a sink's temporary */
  ysg_pipeline *p = NULL;
  ysg_status s = load(c, ctx, &p);
  if (s)
    rc = fail_status(c, ctx, s);
  else if (run)
    rc = cmd_run(c, ctx, p);
  else if (!strcmp(c->cmd, "check"))
    rc = cmd_check(c, p);
  else if (!strcmp(c->cmd, "plan"))
    rc = cmd_plan(c, ctx, p);
  else
    rc = cmd_graph(c, ctx, p);
  ysg_pipeline_destroy(p); /* removes what an unfinished run left (video temporaries) */
  ysg_context_destroy(ctx);
  if (run) restore_signals(old);
  return rc;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_text, stdout);
      return 0;
    }
  }
  if (argc >= 2 && !strcmp(argv[1], "--version")) {
    const char *f = ysg_features();
    printf("ysgraph %s (features: %s)\n", ysg_version(), f && f[0] ? f : "none");
    return 0;
  }
  if (argc < 2) return fail(NULL, EXIT_USAGE, "no command given (see ysgraph --help)");

  cli c;
  memset(&c, 0, sizeof c);
  c.outdir = ".";
  c.defines = calloc((size_t)argc, sizeof *c.defines);
  c.keep = calloc((size_t)argc, sizeof *c.keep);
  c.dump_path = calloc((size_t)argc, sizeof *c.dump_path);
  int rc;
  if (!c.defines || !c.keep || !c.dump_path)
    rc = fail(&c, EXIT_RUNTIME, "out of memory");
  else
    rc = dispatch(&c, argc, argv);
  for (int i = 0; i < c.n_defines; i++) free((char *)c.defines[i].name);
  for (int i = 0; i < c.n_dump; i++) free((char *)c.keep[i]);
  free(c.defines);
  free((void *)c.keep);
  free((void *)c.dump_path);
  fflush(stdout);
  if (ferror(stdout) && !rc) rc = fail(NULL, EXIT_RUNTIME, "cannot write to standard output");
  return rc;
}
