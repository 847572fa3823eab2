/* test_cli.c — black-box tests of the `ysgraph` command-line tool (YSG_CLI_PATH): exit codes and
 * exact messages for each error class, help/version, nodes, check, plan --json, graph, run with
 * --frames/--set/--dump/--stats, Ctrl-C, the README node table and every bundled pipeline's plan.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h" /* ysg__cuda_probe */
#include "util.h"
#include "ysgraph/node.h"

/* Run the CLI with printf-formatted arguments, in dir when non-NULL; returns the exit code. */
static int cli(const char *dir, char **out, char **err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int cli(const char *dir, char **out, char **err, const char *fmt, ...) {
  char args[4096], cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  if (dir)
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s", dir, YSG_CLI_PATH, args);
  else
    snprintf(cmd, sizeof cmd, "'%s' %s", YSG_CLI_PATH, args);
  return ysgt_sh(cmd, out, err);
}

static int exists(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

/* The integer after "key": in a JSON text (asserts the key is there). */
static long long jnum(const char *json, const char *key) {
  char k[128];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(json, k);
  cr_assert(p, "key \"%s\" missing in %s", key, json);
  return strtoll(p + strlen(k), NULL, 10);
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* A 64x32, 4-frame pipeline: a scatter (count from param n), two fills merged with 'add' at half
 * opacity, and a PNG sink. */
static const char small_src[] =
    "canvas{width=64, height=32, frames=4, fps=24, background='#102030'}\n"
    "local n = param('n', 5)\n"
    "local pts = scatter{count=n, seed=3, name='pts'}\n"
    "local bg = fill{color='#203040', name='bg'}\n"
    "local tint = fill{color='#ff0000', name='tint'}\n"
    "local out = merge{layers={bg, {tint, mode='add', opacity=0.5}}, name='out'}\n"
    "png{image=out, path='f%04d.png', name='sink'}\n";

/* A fresh directory holding p.lua = small_src; *path (optional) gets the pipeline's full path. */
static const char *small(const char **path) {
  const char *dir = ysgt_tmpdir();
  const char *p = ysgt_write(dir, "p.lua", small_src);
  if (path) *path = p;
  return dir;
}

/* ---- help, version, usage errors ---------------------------------------------------------- */
Test(cli, help_and_version) {
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "--help"), 0);
  cr_assert(strstr(out, "usage: ysgraph COMMAND"), "%s", out);
  cr_assert(strstr(out, "--frames A:B"), "%s", out);
  cr_assert_str_eq(err, "");
  free(out), free(err);
  cr_assert_eq(cli(NULL, &out, &err, "run -h"), 0);
  cr_assert(strstr(out, "usage: ysgraph COMMAND"));
  free(out), free(err);

  cr_assert_eq(cli(NULL, &out, &err, "--version"), 0);
  char want[512];
  const char *f = ysg_features();
  snprintf(want, sizeof want, "ysgraph %s (features: %s)\n", ysg_version(), f[0] ? f : "none");
  cr_assert_str_eq(out, want);
  cr_assert(!strncmp(out, "ysgraph 0.2.0 (features: ", 25));
  free(out), free(err);
}

static void usage_case(const char *args, const char *want) {
  char *out, *err;
  int rc = cli(NULL, &out, &err, "%s", args);
  cr_assert_eq(rc, 2, "ysgraph %s: exit %d, stderr %s", args, rc, err);
  cr_assert_str_eq(err, want, "ysgraph %s", args);
  cr_assert_str_eq(out, "");
  free(out), free(err);
}

Test(cli, usage_errors) {
  usage_case("", "ysgraph: no command given (see ysgraph --help)\n");
  usage_case("frobnicate", "ysgraph: unknown command 'frobnicate' (see ysgraph --help)\n");
  usage_case("--fast", "ysgraph: unknown option '--fast' (see ysgraph --help)\n");
  usage_case("run p.lua --fast", "ysgraph: unknown option '--fast' (see ysgraph --help)\n");
  usage_case("run p.lua --fast=1", "ysgraph: unknown option '--fast' (see ysgraph --help)\n");
  usage_case("run p.lua -o", "ysgraph: option '-o' needs a value (see ysgraph --help)\n");
  usage_case("run p.lua --quiet=yes",
             "ysgraph: option '--quiet' takes no value (see ysgraph --help)\n");
  usage_case("run", "ysgraph: run: missing FILE (see ysgraph --help)\n");
  usage_case("check a.lua b.lua", "ysgraph: unexpected argument 'b.lua' (see ysgraph --help)\n");
  usage_case("plan p.lua --frames 1:2",
             "ysgraph: option '--frames' does not apply to 'plan' (see ysgraph --help)\n");
  usage_case("run p.lua --frames 5:2", "ysgraph: --frames '5:2': expected A:B with 0 <= A < B\n");
  usage_case("run p.lua --frames 3:3", "ysgraph: --frames '3:3': expected A:B with 0 <= A < B\n");
  usage_case("run p.lua --frames=x", "ysgraph: --frames 'x': expected A:B with 0 <= A < B\n");
  usage_case("run p.lua --frames -1:2", "ysgraph: --frames '-1:2': expected A:B with 0 <= A < B\n");
  usage_case("run p.lua --frames 1:2:3",
             "ysgraph: --frames '1:2:3': expected A:B with 0 <= A < B\n");
  usage_case("run p.lua --set speed", "ysgraph: --set 'speed': expected NAME=VALUE\n");
  usage_case("run p.lua --dump pts", "ysgraph: --dump 'pts': expected NODE[.PORT]=PATH\n");
  usage_case("run p.lua --backend gpu", "ysgraph: --backend 'gpu': expected auto, cpu or cuda\n");
  usage_case("run p.lua --threads -2", "ysgraph: --threads '-2': expected a number >= 0\n");
}

/* the names under dir, recursively, sorted, one per line */
static char *tree(const char *dir) {
  char cmd[1024], *out, *err;
  snprintf(cmd, sizeof cmd, "cd '%s' && find . | LC_ALL=C sort", dir);
  cr_assert_eq(ysgt_sh(cmd, &out, &err), 0);
  free(err);
  return out;
}

/* --frames is a slice of the canvas's frames: its end is clamped; a start past the last frame is
 * a usage error rather than an empty run */
Test(cli, frames_are_clamped_to_the_canvas) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua",
             "canvas{width=8, height=8, frames=3}\npng{image=fill{}, path='f%04d.png'}\n");
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "run p.lua --frames 0:1000000000 --quiet"), 0, "%s", err);
  cr_assert_str_eq(err, "");
  free(out), free(err);
  char *t = tree(dir);
  cr_assert_str_eq(t, ".\n./f0000.png\n./f0001.png\n./f0002.png\n./p.lua\n");
  free(t);
  cr_assert_eq(cli(dir, &out, &err, "run p.lua --frames 2: --stats s.json --quiet"), 0, "%s", err);
  free(out), free(err);
  char spath[700];
  snprintf(spath, sizeof spath, "%s/s.json", dir);
  char *js = ysgt_read(spath, NULL);
  cr_assert(js);
  cr_assert_eq(jnum(js, "frames"), 1);
  cr_assert_eq(jnum(js, "first"), 2);
  free(js);
  const char *past[] = {"3:", "3:9", "7"};
  for (size_t i = 0; i < sizeof past / sizeof *past; i++) {
    char want[256];
    snprintf(want, sizeof want,
             "ysgraph: --frames '%s': starts past the last frame (the pipeline has 3: 0..2)\n",
             past[i]);
    cr_assert_eq(cli(dir, &out, &err, "run p.lua --frames %s --quiet", past[i]), 2, "%s", err);
    cr_assert_str_eq(err, want);
    free(out), free(err);
  }
}

/* ---- pipeline errors (exit 1) and runtime errors (exit 3) ----------------------------------- */
Test(cli, syntax_error_names_file_and_line) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua", "canvas{width=64, height=32, frames=4}\nlocal x = = 3\n");
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "check p.lua"), 1, "%s", err);
  cr_assert_str_eq(err, "ysgraph: p.lua:2: unexpected symbol near '='\n");
  cr_assert_str_eq(out, "");
  free(out), free(err);
  cr_assert_eq(cli(dir, &out, &err, "run p.lua -o ."), 1);
  cr_assert_str_eq(err, "ysgraph: p.lua:2: unexpected symbol near '='\n");
  free(out), free(err);
}

static void error_case(const char *src, const char *args, int code, const char *want) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua", src);
  char *out, *err;
  int rc = cli(dir, &out, &err, "%s", args);
  cr_assert_eq(rc, code, "%s: exit %d: %s", args, rc, err);
  cr_assert_str_eq(err, want, "%s:\n got  %s want %s", args, err, want);
  free(out), free(err);
}

Test(cli, pipeline_errors_are_exit_1_with_location) {
  const char *canvas = "canvas{width=64, height=32, frames=4}\n";
  char src[512];
  snprintf(src, sizeof src, "%slocal pts = scatter{count=-3, name='pts'}\n", canvas);
  error_case(src, "check p.lua --quiet", 1,
             "ysgraph: p.lua:2: node 'pts' (scatter): parameter 'count': expected an integer in "
             "0..1000000, got -3\n");
  snprintf(src, sizeof src, "%sfill{color='#ffffff'}\npng{image=fill{}, path='/abs.png'}\n",
           canvas);
  error_case(src, "run p.lua --quiet", 1,
             "ysgraph: p.lua:3: node 'png_1' (png): parameter 'path': '/abs.png': absolute paths "
             "are not allowed in sandboxed pipelines (run with --unsafe to allow it)\n");
  error_case(small_src, "check p.lua --set pts.count=-3", 1,
             "ysgraph: p.lua:3: node 'pts' (scatter): parameter 'count': expected an integer in "
             "0..1000000, got -3\n");
  error_case(small_src, "check p.lua --set nope=3", 1,
             "ysgraph: --set nope: the pipeline has no param 'nope'\n");
  snprintf(src, sizeof src, "%serror('boom')\n", canvas);
  error_case(src, "plan p.lua", 1, "ysgraph: p.lua:2: boom\n");
}

/* The three ways around the instruction limit that once ran forever under `check`: a __gc on the
 * node handles' metatable, an xpcall handler after the limit, a backtracking pattern in C. */
Test(cli, check_stops_scripts_that_dodge_the_limits) {
  error_case(
      "canvas{width=16, height=16}\nlocal n = fill{}\n"
      "getmetatable(n).__gc = function() while true do end end\nlocal m = fill{}\n",
      "check p.lua", 1, "ysgraph: p.lua:3: attempt to index a boolean value\n");
  error_case("xpcall(function() while true do end end, function() while true do end end)\n",
             "check p.lua", 1,
             "ysgraph: p.lua:1: instruction limit of 200000000 exceeded (infinite loop?)\n");
  error_case("string.find(string.rep('a', 3000), '.-.-.-.-.-.-b')\n", "check p.lua", 1,
             "ysgraph: p.lua:1: instruction limit of 200000000 exceeded (infinite loop?)\n");
}

/* README "Exit codes", row 1: whatever the pipeline's code or data gets wrong is 1, at load or on
 * a frame: a per-frame function that errors, returns the wrong type or NaN, bad bytes in a file */
Test(cli, pipeline_and_data_errors_are_exit_1_at_any_frame) {
  const char *head = "canvas{width=8, height=8, frames=3}\nlocal f = fill{color='#ff0000'}\n";
  const char *sink = "png{image=out, path='o%d.png'}\n";
  const struct {
    const char *node, *want;
  } cases[] = {
      {"local out = merge{layers={{f, opacity=function(i) if i == 2 then error('boom') end "
       "return 1 end}}}\n",
       "ysgraph: p.lua:3: node 'merge_1' (merge): input 'layers[1]' parameter 'opacity' at frame "
       "2: p.lua:3: boom\n"},
      {"local out = merge{layers={{f, opacity=function(i) return i == 2 and 'x' or 1 end}}}\n",
       "ysgraph: p.lua:3: node 'merge_1' (merge): input 'layers[1]' parameter 'opacity' at frame "
       "2: function returned string, expected a number\n"},
      {"local out = merge{layers={{f, opacity=function(i) return i == 2 and 0/0 or 1 end}}}\n",
       "ysgraph: p.lua:3: node 'merge_1' (merge): input 'layers[1]' parameter 'opacity' at frame "
       "2: expected a finite number, got NaN\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char src[1024];
    snprintf(src, sizeof src, "%s%s%s", head, cases[i].node, sink);
    error_case(src, "run p.lua --quiet", 1, cases[i].want);
  }
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "bad.png", "\x89PNG\r\n\x1a\nnot a png at all");
  ysgt_write(dir, "bad.csv", "x,y\n1,2\n3,zz\n");
  ysgt_write(dir, "p.lua", "canvas{width=8, height=8}\nimage{path='bad.png'}\n");
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "check p.lua --quiet"), 1, "%s", err);
  cr_assert(!strncmp(err, "ysgraph: p.lua:2: node 'image_1' (image): parameter 'path': ", 60), "%s",
            err);
  free(out), free(err);
  ysgt_write(dir, "p.lua", "canvas{width=8, height=8}\npoints{path='bad.csv'}\n");
  cr_assert_eq(cli(dir, &out, &err, "check p.lua --quiet"), 1, "%s", err);
  cr_assert_str_eq(err,
                   "ysgraph: bad.csv:3: column 'y': expected a number, found 'zz' (node "
                   "'points_1' (points) at p.lua:2)\n");
  free(out), free(err);
}

/* row 3: the machine, not the pipeline: here, a CUDA backend asked for where there is none */
Test(cli, unavailable_backend_is_exit_3) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.backend = YSG_BACKEND_CUDA;
  ysg_pipeline *p = NULL;
  ysg_status s =
      ysg_pipeline_load_string(ctx, "canvas{width=8, height=8}\nfill{}", "p.lua", &lo, &p);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  if (s == YSG_OK) cr_skip_test("this machine has a usable CUDA device");
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua", "canvas{width=8, height=8}\nfill{}\n");
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "check p.lua --backend cuda"), 3, "%s", err);
  cr_assert(!strncmp(err, "ysgraph: p.lua: backend 'cuda' is unavailable: ", 47), "%s", err);
  free(out), free(err);
}

/* no raw control character from a data file, a node name or a script reaches the terminal */
static void expect_one_clean_line(const char *err) {
  size_t n = strlen(err);
  cr_assert(n > 0 && err[n - 1] == '\n', "%s", err);
  for (size_t i = 0; i + 1 < n; i++)
    cr_assert((unsigned char)err[i] >= 0x20 && err[i] != 0x7f, "byte %zu is 0x%02x in: %s", i,
              (unsigned char)err[i], err);
}

Test(cli, errors_are_one_line_without_control_characters) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.csv", "x,y\n1,\x1b[2J\x1b]0;owned\x07\n");
  const char *srcs[] = {
      "points{path='p.csv'}\n",
      "fill{name='two\\nlines\\27[31m'}\n",
      "error('multi\\nline\\rmessage\\8')\n",
      "error(setmetatable({}, {__tostring = function() return 'a\\nb' end}))\n",
  };
  for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
    ysgt_write(dir, "p.lua", srcs[i]);
    char *out, *err;
    cr_assert_eq(cli(dir, &out, &err, "check p.lua --quiet"), 1, "%s", err);
    expect_one_clean_line(err);
    free(out), free(err);
  }
  ysgt_write(dir, "p.lua", "print('\\27]0;title\\7')\nwarn('x\\ny')\nfill{}\n");
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "run p.lua"), 0, "%s", err);
  const char *want = "ysgraph: note: \\x1b]0;title\\x07\nysgraph: warning: lua warning: x\\ny\n";
  cr_assert(!strncmp(err, want, strlen(want)), "%s", err);
  for (char *line = err; *line;) { /* the backend's note too, if there is one */
    char *end = strchr(line, '\n'), keep = end[1];
    end[1] = 0;
    expect_one_clean_line(line);
    end[1] = keep;
    line = end + 1;
  }
  free(out), free(err);
}

/* a run gets one short note when auto falls back to the CPU; check, plan and graph none */
Test(cli, notes_only_for_runs) {
  char why[512];
  if (ysg__cuda_probe(why, sizeof why)) cr_skip_test("a CUDA device is usable: %s", why);
  const char *dir = small(NULL);
  char *out, *err;
  const char *quiet_cmds[] = {"check p.lua", "plan p.lua", "graph p.lua", "nodes merge"};
  for (size_t i = 0; i < sizeof quiet_cmds / sizeof *quiet_cmds; i++) {
    cr_assert_eq(cli(dir, &out, &err, "%s", quiet_cmds[i]), 0, "%s", err);
    cr_assert_str_eq(err, "", "%s", quiet_cmds[i]);
    free(out), free(err);
  }
  cr_assert_eq(cli(dir, &out, &err, "run p.lua --frames 0"), 0, "%s", err);
  char want[600];
  snprintf(want, sizeof want, "ysgraph: note: using the CPU backend (%s)\n", why);
  cr_assert_str_eq(err, want);
  free(out), free(err);
}

Test(cli, missing_data_file_is_exit_3) {
  error_case(
      "canvas{width=64, height=32, frames=4}\n"
      "local pts = points{path='missing.csv', name='pts'}\n",
      "check p.lua", 3,
      "ysgraph: p.lua:2: node 'pts' (points): parameter 'path': cannot open 'missing.csv': "
      "No such file or directory\n");
}

Test(cli, unwritable_output_dir_is_exit_3) {
  const char *p, *dir = small(&p);
  ysgt_write(dir, "plainfile", "x");
  char *out, *err;
  int rc = cli(dir, &out, &err, "run %s -o %s/plainfile/sub --quiet", p, dir);
  cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
  cr_assert(!strncmp(err, "ysgraph: ", 9), "%s", err);
  cr_assert_eq(count_lines(err), 1, "%s", err);
  free(out), free(err);
}

Test(cli, missing_pipeline_file_is_exit_3) {
  const char *dir = ysgt_tmpdir();
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "check nothere.lua"), 3, "%s", err);
  cr_assert_str_eq(err, "ysgraph: cannot open 'nothere.lua': No such file or directory\n");
  free(out), free(err);
}

/* ---- nodes -------------------------------------------------------------------------------- */
Test(cli, nodes_lists_every_type) {
  ysg_context *ctx = ysgt_ctx();
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "nodes"), 0, "%s", err);
  int n = ysg_node_type_count(ctx);
  cr_assert_gt(n, 0);
  cr_assert_eq(count_lines(out), n, "%s", out);
  for (int i = 0; i < n; i++) {
    const ysg_node_type *t = ysg_node_type_at(ctx, i);
    char want[128];
    snprintf(want, sizeof want, "%s ", t->name);
    cr_assert(strstr(out, want), "'%s' not listed:\n%s", t->name, out);
  }
  cr_assert(strstr(out, "merge") && strstr(out, "composite"), "%s", out);
  free(out), free(err);
  ysg_context_destroy(ctx);
}

Test(cli, nodes_merge_documents_ports_and_params) {
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "nodes merge"), 0, "%s", err);
  cr_assert(!strncmp(out, "merge (composite)\n", 18), "%s", out);
  const char *in = strstr(out, "\ninputs:\n"), *outs = strstr(out, "\noutputs:\n"),
             *pars = strstr(out, "\nparams:\n");
  cr_assert(in && outs && pars && in < outs && outs < pars, "%s", out);
  cr_assert(strstr(in, "layers") && strstr(in, "image") && strstr(in, "multi"), "%s", out);
  cr_assert(strstr(in, "link params:") && strstr(in, "opacity") && strstr(in, "0..1"), "%s", out);
  cr_assert(strstr(in, "mode") && strstr(in, "normal|"), "%s", out);
  cr_assert(strstr(pars, "background") && strstr(pars, "color"), "%s", out);
  free(out), free(err);
}

Test(cli, nodes_unknown_type) {
  ysg_context *ctx = ysgt_ctx();
  char want[2048] = "ysgraph: unknown node type 'foo' (known: ";
  for (int i = 0; i < ysg_node_type_count(ctx); i++) {
    if (i) strcat(want, ", ");
    strcat(want, ysg_node_type_at(ctx, i)->name);
  }
  strcat(want, ")\n");
  ysg_context_destroy(ctx);
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "nodes foo"), 1);
  cr_assert_str_eq(err, want);
  cr_assert(!strncmp(err, "ysgraph: unknown node type 'foo' (known: points, edges, ", 56));
  free(out), free(err);
}

Test(cli, nodes_markdown_table) {
  ysg_context *ctx = ysgt_ctx();
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "nodes --markdown"), 0, "%s", err);
  cr_assert(!strncmp(out,
                     "| node | inputs | outputs | parameters (name=default) | description |\n"
                     "|---|---|---|---|---|\n",
                     92),
            "%s", out);
  cr_assert_eq(count_lines(out), 2 + ysg_node_type_count(ctx));
  cr_assert(strstr(out,
                   "\n| `merge` | `layers` (image, multi) | `image` (image) | "
                   "`background=#00000000` | "),
            "%s", out);
  free(out), free(err);
  ysg_context_destroy(ctx);
}

Test(cli, readme_node_table_is_current) {
  char *md, *err;
  cr_assert_eq(cli(NULL, &md, &err, "nodes --markdown"), 0);
  char *readme = ysgt_read(YSG_SOURCE_DIR "/README.md", NULL);
  const char *b = readme ? strstr(readme, "<!-- nodes:begin -->") : NULL;
  const char *e = b ? strstr(b, "<!-- nodes:end -->") : NULL;
  cr_assert(b && e,
            "README.md has no <!-- nodes:begin --> ... <!-- nodes:end --> markers: paste the "
            "output of `ysgraph nodes --markdown` between them");
  b += strlen("<!-- nodes:begin -->");
  while (*b == '\n') b++;
  while (e > b && e[-1] == '\n') e--;
  size_t n = strlen(md);
  while (n && md[n - 1] == '\n') n--;
  cr_assert((size_t)(e - b) == n && !strncmp(b, md, n),
            "README.md's node table is stale: paste the output of `ysgraph nodes --markdown` "
            "between <!-- nodes:begin --> and <!-- nodes:end -->.\ncurrent output:\n%s",
            md);
  free(readme), free(md), free(err);
}

/* ---- check, plan, graph ------------------------------------------------------------------- */
Test(cli, check_reports_nodes_and_arena) {
  const char *p;
  small(&p);
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysg_pipeline *pl = NULL;
  cr_assert_eq(ysg_pipeline_load_file(ctx, p, &lo, &pl), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_plan_info plan;
  cr_assert_eq(ysg_pipeline_plan(pl, &plan), YSG_OK);
  char want[1024];
  snprintf(want, sizeof want, "%s: ok (%d nodes, arena %zu bytes)\n", p,
           ysg_pipeline_node_count(pl), plan.arena_bytes);
  cr_assert_eq(ysg_pipeline_node_count(pl), 5);
  ysg_pipeline_destroy(pl);
  ysg_context_destroy(ctx);
  char *out, *err;
  cr_assert_eq(cli(NULL, &out, &err, "check %s", p), 0, "%s", err);
  cr_assert_str_eq(out, want);
  free(out), free(err);
}

/* check, plan and graph leave the disk as they found it: no output directory, no frame or video
 * directory, no temporary */
Test(cli, check_plan_graph_create_nothing) {
  const char *dir = ysgt_tmpdir();
  int video = strstr(ysg_features(), "ffmpeg") != NULL;
  ysg_context *ctx = ysgt_ctx();
  int exr = ysg_node_type_find(ctx, "exr") != NULL, raw = ysg_node_type_find(ctx, "raw") != NULL;
  ysg_context_destroy(ctx);
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=16, height=16, frames=2}\nlocal f = fill{color='#336699'}\n"
           "png{image=f, path='frames/sub/f%%04d.png'}\n%s%s%s",
           video ? "video_out{image=f, path='vid/clip.mp4'}\n" : "",
           exr ? "exr{image=f, path='exr/e%04d.exr'}\n" : "",
           raw ? "raw{image=f, path='raw/out.y4m'}\n" : "");
  ysgt_write(dir, "p.lua", src);
  char *before = tree(dir);
  const char *cmds[] = {"check p.lua", "check p.lua -o out/deeper", "plan p.lua -o out",
                        "plan p.lua --json", "graph p.lua -o out"};
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    char *out, *err;
    cr_assert_eq(cli(dir, &out, &err, "%s", cmds[i]), 0, "%s: %s", cmds[i], err);
    char *after = tree(dir);
    cr_assert_str_eq(after, before, "%s changed the directory", cmds[i]);
    free(after), free(out), free(err);
  }
  char *out, *err; /* what run creates, for contrast */
  cr_assert_eq(cli(dir, &out, &err, "run p.lua -o out --quiet"), 0, "%s", err);
  cr_assert(exists(dir, "out/frames/sub/f0001.png"));
  free(before), free(out), free(err);
}

Test(cli, plan_json_and_table) {
  const char *dir = small(NULL);
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "plan p.lua --json"), 0, "%s", err);
  cr_assert(!strncmp(out, "{\"file\":\"p.lua\",\"arena_bytes\":", 30), "%s", out);
  long long arena = jnum(out, "arena_bytes"), lower = jnum(out, "lower_bound_bytes");
  cr_assert_gt(arena, 0);
  cr_assert_eq(arena, lower, "arena %lld != lower bound %lld", arena, lower);
  cr_assert_eq(jnum(out, "steps"), 5, "%s", out); /* pts feeds nothing but its output is kept */
  const char *keys[] = {"\"order\":\"", "\"buffers\":[{\"name\":\"",
                        "\"kind\":\"",  "\"offset\":",
                        "\"first\":",   "\"last\":",
                        "\"nodes\":[",  "\"step\":"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    cr_assert(strstr(out, keys[i]), "%s missing: %s", keys[i], out);
  cr_assert(strstr(out, "{\"name\":\"out\",\"type\":\"merge\",\"step\":"), "%s", out);
  cr_assert_eq(count_lines(out), 1);
  free(out), free(err);

  cr_assert_eq(cli(dir, &out, &err, "plan p.lua"), 0, "%s", err);
  char line[128];
  snprintf(line, sizeof line, "\narena        %lld bytes", arena);
  cr_assert(strstr(out, line), "%s", out);
  snprintf(line, sizeof line, "\nlower bound  %lld bytes (arena / bound = 1.000)", lower);
  cr_assert(strstr(out, line), "%s", out);
  cr_assert(!strncmp(out, "buffer", 6) && strstr(out, "\norder        "), "%s", out);
  free(out), free(err);
}

Test(cli, graph_is_dot_with_edges) {
  const char *dir = small(NULL);
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "graph p.lua"), 0, "%s", err);
  cr_assert(!strncmp(out, "digraph \"p.lua\" {\n", 18), "%s", out);
  cr_assert(strstr(out, "[label=\"pts\\nscatter\""), "%s", out);
  cr_assert(strstr(out, "[label=\"out\\nmerge\", shape=trapezium]"), "%s", out);
  /* nodes are numbered in creation order: bg n1, tint n2, out n3, sink n4 */
  cr_assert(strstr(out, "n1 -> n3 [label=\"image \xe2\x86\x92 layers[0]\"]"), "%s", out);
  cr_assert(strstr(out, "n2 -> n3 [label=\"image \xe2\x86\x92 layers[1]\"]"), "%s", out);
  cr_assert(strstr(out, "n3 -> n4 [label=\"image \xe2\x86\x92 image\"]"), "%s", out);
  cr_assert(out[strlen(out) - 2] == '}');
  free(out), free(err);
}

/* ---- run ---------------------------------------------------------------------------------- */
static double lin(double s) { return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4); }
static double srgb(double l) {
  return l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1 / 2.4) - 0.055;
}

static void check_png(const char *path, int w, int h, const int rgba[4]) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  cr_assert(png_image_begin_read_from_file(&img, path), "%s: %s", path, img.message);
  img.format = PNG_FORMAT_RGBA;
  cr_assert_eq((int)img.width, w);
  cr_assert_eq((int)img.height, h);
  unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
  cr_assert(png_image_finish_read(&img, NULL, px, 0, NULL), "%s", img.message);
  for (int i = 0; i < w * h; i += 97)
    for (int c = 0; c < 4; c++)
      cr_assert(abs(px[i * 4 + c] - rgba[c]) <= 1, "%s pixel %d channel %d: %d, expected %d", path,
                i, c, px[i * 4 + c], rgba[c]);
  free(px);
}

static int csv_rows(const char *path, char *header, size_t cap) {
  char *t = ysgt_read(path, NULL);
  cr_assert(t, "%s missing", path);
  size_t hl = strcspn(t, "\n");
  snprintf(header, cap, "%.*s", (int)hl, t);
  int n = count_lines(t) - 1;
  free(t);
  return n;
}

Test(cli, run_frames_set_dump_stats) {
  const char *dir = small(NULL);
  char *out, *err;
  int rc = cli(dir, &out, &err,
               "run p.lua -o out --frames 1:3 --set n=7 --dump pts=pts_%%04d.csv "
               "--dump out.image=img_%%04d.png --stats s.json --quiet");
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_str_eq(err, "");
  cr_assert_str_eq(out, "");
  char sub[600];
  snprintf(sub, sizeof sub, "%s/out", dir);
  cr_assert(!exists(sub, "f0000.png") && exists(sub, "f0001.png") && exists(sub, "f0002.png") &&
            !exists(sub, "f0003.png"));
  cr_assert(!exists(dir, "pts_0000.csv") && !exists(dir, "pts_0003.csv"));
  int r = (int)lround(255 * srgb(lin(0x20 / 255.0) + 0.5));
  const int want[4] = {r, 0x30, 0x40, 255};
  for (int f = 1; f <= 2; f++) {
    char path[700], header[256];
    snprintf(path, sizeof path, "%s/pts_%04d.csv", dir, f);
    cr_assert_eq(csv_rows(path, header, sizeof header), 7, "%s", path);
    cr_assert(!strncmp(header, "x,y", 3), "header %s", header);
    snprintf(path, sizeof path, "%s/img_%04d.png", dir, f);
    check_png(path, 64, 32, want);
    snprintf(path, sizeof path, "%s/out/f%04d.png", dir, f);
    check_png(path, 64, 32, want);
  }
  char spath[700];
  snprintf(spath, sizeof spath, "%s/s.json", dir);
  char *js = ysgt_read(spath, NULL);
  cr_assert(js, "no stats file");
  cr_assert_eq(jnum(js, "frames"), 2);
  cr_assert_eq(jnum(js, "first"), 1);
  cr_assert_eq(jnum(js, "last"), 2);
  cr_assert(strstr(js, "\"backend\":\"cpu\""), "%s", js);
  cr_assert_eq(jnum(js, "arena_bytes"), jnum(js, "lower_bound_bytes"));
  cr_assert_gt(jnum(js, "peak_rss_bytes"), 1 << 20);
  const char *keys[] = {"\"wall_ms\":", "\"fps\":", "\"nodes\":[{\"name\":\"",
                        "\"ms_total\":", "\"ms_per_frame\":"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    cr_assert(strstr(js, keys[i]), "%s missing: %s", keys[i], js);
  cr_assert(strstr(js, "{\"name\":\"out\",\"type\":\"merge\",\"ms_total\":"), "%s", js);
  const char *o = strstr(js, "{\"name\":\"out\"");
  cr_assert_eq(jnum(o, "runs"), 2, "%s", js);
  free(js), free(out), free(err);
}

Test(cli, run_frame_ranges_and_node_param_set) {
  const char *dir = small(NULL);
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "run p.lua -o a --quiet"), 0, "%s", err);
  free(out), free(err);
  char sub[600];
  snprintf(sub, sizeof sub, "%s/a", dir);
  for (int f = 0; f < 4; f++) {
    char name[32];
    snprintf(name, sizeof name, "f%04d.png", f);
    cr_assert(exists(sub, name), "%s/%s", sub, name);
  }
  cr_assert(!exists(sub, "f0004.png"));

  const struct {
    const char *frames, *set;
    int first, last, rows; /* inclusive */
  } cases[] = {{"2:", "pts.count=9", 2, 3, 9}, {":2", "n=3", 0, 1, 3}, {"2", "n=1", 2, 2, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const char *d = ysgt_tmpdir();
    ysgt_write(d, "p.lua", small_src);
    int rc = cli(d, &out, &err, "run p.lua --frames %s --set %s --dump 'pts=d%%d.csv' --quiet",
                 cases[c].frames, cases[c].set);
    cr_assert_eq(rc, 0, "%s", err);
    for (int f = 0; f < 4; f++) {
      char name[32], path[700], header[256];
      snprintf(name, sizeof name, "f%04d.png", f);
      int in = f >= cases[c].first && f <= cases[c].last;
      cr_assert_eq(exists(d, name), in, "--frames %s: %s", cases[c].frames, name);
      snprintf(name, sizeof name, "d%d.csv", f);
      cr_assert_eq(exists(d, name), in, "--frames %s: %s", cases[c].frames, name);
      snprintf(path, sizeof path, "%s/%s", d, name);
      if (in) cr_assert_eq(csv_rows(path, header, sizeof header), cases[c].rows);
    }
    free(out), free(err);
  }
}

/* a run that writes nothing says so, once; dumping or a sink silences it */
Test(cli, run_without_a_sink_warns) {
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.lua", "canvas{width=8, height=8, frames=2}\nfill{name='f'}\n");
  char sinks[256] = "", want[512];
  ysg_context *ctx = ysgt_ctx();
  for (int i = 0, k = 0; i < ysg_node_type_count(ctx); i++)
    if (ysg_node_type_at(ctx, i)->n_outputs == 0)
      snprintf(sinks + strlen(sinks), sizeof sinks - strlen(sinks), "%s%s", k++ ? ", " : "",
               ysg_node_type_at(ctx, i)->name);
  ysg_context_destroy(ctx);
  cr_assert(!strncmp(sinks, "png, ", 5), "%s", sinks);
  snprintf(want, sizeof want,
           "ysgraph: warning: p.lua: the pipeline has no sink (%s) and nothing is dumped: this run "
           "writes nothing\n",
           sinks);
  char *out, *err;
  cr_assert_eq(cli(dir, &out, &err, "run p.lua --quiet"), 0, "%s", err);
  cr_assert_str_eq(err, want);
  free(out), free(err);
  cr_assert_eq(cli(dir, &out, &err, "run p.lua --quiet --dump f=f%%d.png"), 0, "%s", err);
  cr_assert_str_eq(err, "");
  free(out), free(err);
  cr_assert_eq(cli(dir, &out, &err, "check p.lua"), 0, "%s", err);
  cr_assert_str_eq(err, "");
  free(out), free(err);
}

Test(cli, dump_of_unknown_value_is_exit_1_before_any_frame) {
  const char *dir = small(NULL);
  char *out, *err;
  int rc = cli(dir, &out, &err, "run p.lua --dump nope=x.csv --quiet");
  cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
  cr_assert_str_eq(err, "ysgraph: --dump 'nope': no node named 'nope'\n");
  cr_assert(!exists(dir, "f0000.png"));
  free(out), free(err);
  rc = cli(dir, &out, &err, "run p.lua --dump out.nope=x.csv --quiet");
  cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
  cr_assert_str_eq(err, "ysgraph: --dump 'out.nope': node 'out' (merge) has no output 'nope'\n");
  free(out), free(err);
}

/* One stop signal sent to a long run once its first frame is out: it stops after the current
 * frame, exits 3 naming the signal and the frame, writes its stats, and leaves no temporaries (a
 * video sink's ".NAME.part-PID" included, when FFmpeg is built in). */
static void stop_signal_case(const char *sig) {
  int video = strstr(ysg_features(), "ffmpeg") != NULL;
  const char *dir = ysgt_tmpdir();
  char src[512];
  snprintf(
      src, sizeof src,
      "canvas{width=64, height=32, frames=1000000}\n"
      "local pts = scatter{count=4, seed=1, name='pts'}\n%s",
      video ? "video_out{image=fill{color='#336699'}, path='v.mp4', preset='ultrafast'}\n" : "");
  ysgt_write(dir, "long.lua", src);
  char *out, *err;
  /* wait for the first dumped frame (so the handler is installed), then send one signal */
  char cmd[4096];
  snprintf(
      cmd, sizeof cmd,
      "cd '%s' && { '%s' run long.lua --quiet --dump pts=d%%07d.csv --stats s.json & pid=$!; i=0; "
      "while [ ! -e d0000000.csv ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; "
      "kill -%s $pid; wait $pid; echo \"rc=$?\"; }",
      dir, YSG_CLI_PATH, sig);
  int rc = ysgt_sh(cmd, &out, &err);
  cr_assert_eq(rc, 0);
  cr_assert_str_eq(out, "rc=3\n", "SIG%s: stderr: %s", sig, err);
  int frame = -1;
  char want[64], got[64] = "";
  snprintf(want, sizeof want, "SIG%s", sig);
  cr_assert_eq(sscanf(err, "ysgraph: interrupted by %63s at frame %d\n", got, &frame), 2, "%s",
               err);
  cr_assert_str_eq(got, want);
  cr_assert_geq(frame, 0);
  char name[32];
  snprintf(name, sizeof name, "d%07d.csv", frame);
  cr_assert(exists(dir, name), "%s", name);
  snprintf(name, sizeof name, "d%07d.csv", frame + 1);
  cr_assert(!exists(dir, name), "SIG%s: %s written after the signal", sig, name);
  char spath[700];
  snprintf(spath, sizeof spath, "%s/s.json", dir);
  char *js = ysgt_read(spath, NULL);
  cr_assert(js && strstr(js, "\"interrupted\":true"), "%s", js ? js : "no stats");
  cr_assert_eq(jnum(js, "last"), frame);
  cr_assert_eq(jnum(js, "frames"), frame + 1);
  /* nothing but the pipeline, the dumps and the stats */
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    const char *n = e->d_name;
    int known = !strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "long.lua") ||
                !strcmp(n, "s.json") || (n[0] == 'd' && strstr(n, ".csv"));
    cr_assert(known, "SIG%s: '%s' left in the directory", sig, n);
  }
  if (d) closedir(d);
  free(js), free(out), free(err);
}

Test(cli, sigint_stops_after_the_current_frame) { stop_signal_case("INT"); }
Test(cli, sigterm_stops_after_the_current_frame) { stop_signal_case("TERM"); }
Test(cli, sighup_stops_after_the_current_frame) { stop_signal_case("HUP"); }

/* ---- bundled pipelines ------------------------------------------------------------------- */
Test(cli, bundled_pipelines_plan_at_the_lower_bound) {
  DIR *d = opendir(YSG_SOURCE_DIR "/pipelines");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".lua")) continue;
    n++;
    char *out, *err;
    int rc = cli(YSG_SOURCE_DIR "/pipelines", &out, &err, "plan '%s' --json", e->d_name);
    cr_assert_eq(rc, 0, "%s: %s", e->d_name, err);
    long long arena = jnum(out, "arena_bytes"), lower = jnum(out, "lower_bound_bytes");
    cr_expect_eq(arena, lower, "%s: arena %lld bytes, lower bound %lld", e->d_name, arena, lower);
    free(out), free(err);
  }
  if (d) closedir(d);
  if (!n) cr_skip_test("no pipelines in " YSG_SOURCE_DIR "/pipelines yet");
}
