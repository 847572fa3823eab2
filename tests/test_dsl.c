/* test_dsl.c — the Lua pipeline DSL: canvas{}, param() and --set defines, node constructors and
 * handles, multi-input lists with link parameters, animated parameters evaluated per frame, default
 * node names, loading files, and the exact text of every error the DSL writes. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "color.h"
#include "internal.h"
#include "util.h"

static ysg_status load_with(ysg_context *ctx, const char *src, const ysg_load_options *lo,
                            ysg_pipeline **out) {
  return ysg_pipeline_load_string(ctx, src, "test.lua", lo, out);
}

static ysg_pipeline *must_load(ysg_context *ctx, const char *src, const ysg_load_options *lo) {
  ysg_pipeline *p = NULL;
  ysg_status s = load_with(ctx, src, lo, &p);
  cr_assert_eq(s, YSG_OK, "%s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_assert_not_null(p);
  return p;
}

/* first pixel of an image value, as floats */
static void pixel(ysg_pipeline *p, const char *ref, float out[4]) {
  const ysg_value *v = NULL;
  ysg_status s = ysg_pipeline_get_value(p, ref, &v);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(p->ctx));
  cr_assert_eq(v->type, YSG_IMAGE);
  ysg_load_px(v->px, out);
}

static void expect_px(const float got[4], float r, float g, float b, float a, const char *what) {
  const float want[4] = {r, g, b, a};
  for (int i = 0; i < 4; i++)
    cr_expect_float_eq(got[i], want[i], 2e-3f, "%s: channel %d is %g, expected %g", what, i, got[i],
                       want[i]);
}

/* ---- canvas ---------------------------------------------------------------------------------- */
Test(dsl, canvas_sets_every_field) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p =
      must_load(ctx, "canvas{width=64, height=32, frames=5, fps=25, background='#ff000080'}", NULL);
  const ysg_canvas *c = ysg_pipeline_canvas(p);
  cr_expect_eq(c->width, 64);
  cr_expect_eq(c->height, 32);
  cr_expect_eq(c->frames, 5);
  cr_expect_float_eq(c->fps, 25.0, 1e-12);
  float a = 128.0f / 255.0f; /* linear premultiplied: red 1.0 scaled by alpha */
  cr_expect_float_eq(c->background[0], a, 1e-6f);
  cr_expect_float_eq(c->background[1], 0.0f, 1e-6f);
  cr_expect_float_eq(c->background[3], a, 1e-6f);
  cr_expect_eq(p->canvas_size_set, 1);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dsl, canvas_table_background_and_overrides) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(
      ctx, "canvas{width=10, background={0.5, 1, 0, 0.5}}\ncanvas{height=20}\ncanvas{width=30}",
      NULL);
  const ysg_canvas *c = ysg_pipeline_canvas(p);
  cr_expect_eq(c->width, 30);
  cr_expect_eq(c->height, 20);
  cr_expect_eq(c->frames, 1); /* untouched default */
  cr_expect_float_eq(c->background[0], ysg_srgb_to_linear(0.5f) * 0.5f, 1e-6f);
  cr_expect_float_eq(c->background[1], 0.5f, 1e-6f);
  cr_expect_float_eq(c->background[3], 0.5f, 1e-6f);
  ysg_pipeline_destroy(p);
  p = must_load(ctx, "canvas{frames=3}", NULL);
  cr_expect_eq(p->canvas_size_set, 0);
  cr_expect_eq(ysg_pipeline_canvas(p)->width, 1920);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dsl, canvas_errors) {
  ysgt_expect_load_fail("canvas{width=-5}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: 'width' expects an integer in 1..32768, got -5");
  ysgt_expect_load_fail("canvas{width=8}\ncanvas{height=40000}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: canvas: 'height' expects an integer in 1..32768, got 40000");
  ysgt_expect_load_fail("canvas{frames=2.5}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: 'frames' expects an integer in 1..10000000, got 2.5");
  ysgt_expect_load_fail("canvas{width='wide'}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: 'width' expects an integer in 1..32768, got string");
  ysgt_expect_load_fail("canvas{fps=0}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: 'fps' expects a number > 0, got 0");
  ysgt_expect_load_fail(
      "canvas{widht=5}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: canvas: unknown key 'widht' (known: width, height, frames, fps, "
      "background)");
  /* the smallest unknown key is named, whatever the hash order */
  ysgt_expect_load_fail("canvas{zz=1, aa=2, width=4}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: unknown key 'aa' (known: width, height, frames, fps, "
                        "background)");
  ysgt_expect_load_fail(
      "canvas{background=true}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: canvas: 'background' expects a colour (\"#rrggbb[aa]\" or {r,g,b[,a]}), "
      "got boolean");
  ysgt_expect_load_fail(
      "canvas{background='#12345'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: canvas: 'background' expects a colour (\"#rrggbb[aa]\" or {r,g,b[,a]}), "
      "got '#12345'");
  ysgt_expect_load_fail(
      "canvas{background={1, 0}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: canvas: 'background': expected {r,g,b[,a]} with 3 or 4 numbers, got 2 "
      "entries");
  ysgt_expect_load_fail(
      "canvas{background={1, 2, 0}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: canvas: 'background': colour entry 2 is 2, expected a number in 0..1");
  ysgt_expect_load_fail("canvas(5)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: canvas: expected a table, got number");
}

/* ---- param() and --set ----------------------------------------------------------------------- */
static const char *param_src =
    "local w = param('w', 8)\n"
    "local tall = param('tall', false)\n"
    "local name = param('name', 'bg')\n"
    "canvas{width = w, height = tall and 64 or 16}\n"
    "fill{name = name}\n";

Test(dsl, param_defaults_and_defines) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx, param_src, NULL);
  cr_expect_eq(ysg_pipeline_canvas(p)->width, 8);
  cr_expect_eq(ysg_pipeline_canvas(p)->height, 16);
  cr_expect_not_null(ysg__node_find(p, "bg"));
  ysg_pipeline_destroy(p);

  ysg_define defs[] = {{"w", "0x20"}, {"tall", "1"}, {"name", "back"}};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.defines = defs;
  lo.n_defines = 3;
  p = must_load(ctx, param_src, &lo);
  cr_expect_eq(ysg_pipeline_canvas(p)->width, 32);
  cr_expect_eq(ysg_pipeline_canvas(p)->height, 64);
  cr_expect_not_null(ysg__node_find(p, "back"));
  ysg_pipeline_destroy(p);

  defs[1].value = "false";
  p = must_load(ctx, param_src, &lo);
  cr_expect_eq(ysg_pipeline_canvas(p)->height, 16);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dsl, param_define_errors) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysg_define d = {"w", "abc"};
  lo.defines = &d;
  lo.n_defines = 1;
  ysgt_expect_load_fail(param_src, &lo, YSG_ERR_PIPELINE,
                        "test.lua:1: --set w=abc: expected a number");
  d.value = "12px";
  ysgt_expect_load_fail(param_src, &lo, YSG_ERR_PIPELINE,
                        "test.lua:1: --set w=12px: expected a number");
  d = (ysg_define){"tall", "maybe"};
  ysgt_expect_load_fail(param_src, &lo, YSG_ERR_PIPELINE,
                        "test.lua:2: --set tall=maybe: expected a boolean (true, false, 1 or 0)");
  d = (ysg_define){"speed", "3"};
  ysgt_expect_load_fail(param_src, &lo, YSG_ERR_PIPELINE,
                        "--set speed: the pipeline has no param 'speed'");
  ysgt_expect_load_fail("param(1, 2)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: param: expected a name (string), got 1");
  ysgt_expect_load_fail(
      "param('x')", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: param 'x': the default must be a number, a boolean or a string, got no value");
}

Test(dsl, node_param_defines) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  ysg_define d = {"bg.color", "#ffffff"};
  lo.defines = &d;
  lo.n_defines = 1;
  const char *src = "canvas{width=4, height=4}\nfill{name='bg', color='#000000'}\n";
  ysg_pipeline *p = must_load(ctx, src, &lo);
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  float px[4];
  pixel(p, "bg", px);
  expect_px(px, 1, 1, 1, 1, "--set bg.color");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);

  d = (ysg_define){"foo.bar", "1"};
  ysgt_expect_load_fail(src, &lo, YSG_ERR_PIPELINE, "--set foo.bar=1: no node named 'foo'");
  d = (ysg_define){"bg.colr", "1"};
  ysgt_expect_load_fail(src, &lo, YSG_ERR_PIPELINE,
                        "--set bg.colr=1: node 'bg' (fill) has no parameter 'colr'");
  d = (ysg_define){"bg.color", "zz"}; /* the engine's message, unchanged */
  ysgt_expect_load_fail(
      src, &lo, YSG_ERR_PIPELINE,
      "test.lua:2: node 'bg' (fill): parameter 'color': expected a colour \"#rrggbb\" or "
      "\"#rrggbbaa\", got 'zz'");
}

/* ---- constructors, handles, names ------------------------------------------------------------ */
Test(dsl, default_names_files_and_lines) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "canvas{width=4, height=4}\n"
                              "local a = fill{}\n"
                              "local b = fill{name='top'}\n"
                              "local c = fill{}\n"
                              "local m = merge{layers={a, b, c}}\n"
                              "assert(tostring(a) == 'ysg.node(fill_1)', tostring(a))\n"
                              "assert(c:name() == 'fill_3', c:name())\n"
                              "assert(tostring(m.image) == 'ysg.port(merge_1.image)')\n",
                              NULL);
  cr_assert_eq(ysg_pipeline_node_count(p), 4);
  const char *names[] = {"fill_1", "top", "fill_3", "merge_1"};
  const char *types[] = {"fill", "fill", "fill", "merge"};
  for (int i = 0; i < 4; i++) {
    ysg_node_info info;
    cr_assert_eq(ysg_pipeline_node_info(p, i, &info), YSG_OK);
    cr_expect_str_eq(info.name, names[i]);
    cr_expect_str_eq(info.type, types[i]);
    cr_expect_str_eq(info.file, "test.lua");
    cr_expect_eq(info.line, i + 2);
  }
  ysg_pipeline_destroy(p);
  /* a default name steps over one the script took */
  p = must_load(ctx, "fill{name='fill_1'}\nfill{}\n", NULL);
  cr_expect_not_null(ysg__node_find(p, "fill_2"));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(dsl, constructor_errors) {
  ysgt_expect_load_fail("fill{}\nmerge(5)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: merge: expected a table of parameters, got number");
  ysgt_expect_load_fail("merge()", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: merge: expected a table of parameters, got no value");
  ysgt_expect_load_fail("merge({}, {})", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: merge: expected a table of parameters, got 2 arguments");
  ysgt_expect_load_fail("fill{}\nmerge{opacty=1}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: node 'merge_1' (merge): unknown key 'opacty' (inputs: layers; "
                        "parameters: background)");
  ysgt_expect_load_fail("fill{name=3}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: fill: 'name' expects a string, got 3");
  ysgt_expect_load_fail(
      "fill{'#ffffff'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'fill_1' (fill): unexpected positional value [1] (give parameters "
      "as key = value)");
  /* keys are processed sorted: 'bogus' before 'colr', 'layers' before 'zzz' */
  ysgt_expect_load_fail(
      "fill{colr=1, bogus=2}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'fill_1' (fill): unknown key 'bogus' (parameters: color)");
  ysgt_expect_load_fail(
      "merge{zzz=1, layers=5}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'merge_1' (merge): input 'layers': expected a node, a port or a "
      "list of them, got 5");
  ysgt_expect_load_fail("local a = fill{name='a'}\nlocal b = fill{name='a'}", NULL,
                        YSG_ERR_PIPELINE,
                        "test.lua:2: duplicate node name 'a' (first used at test.lua:1)");
}

Test(dsl, param_value_errors) {
  ysgt_expect_load_fail(
      "\n\nfill{name='f', color=true}", NULL, YSG_ERR_PIPELINE,
      "test.lua:3: node 'f' (fill): parameter 'color': expected a colour (\"#rrggbb[aa]\" "
      "or {r,g,b[,a]}), got boolean");
  ysgt_expect_load_fail(
      "fill{color={1, 0, 0, 2}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'fill_1' (fill): parameter 'color': colour entry 4 is 2, expected "
      "a number in 0..1");
  ysgt_expect_load_fail(
      "scatter{count='many'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'scatter_1' (scatter): parameter 'count': expected an integer, got "
      "string");
  /* from the engine: ranges, integrality, static parameters */
  ysgt_expect_load_fail(
      "scatter{count=2.5}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'scatter_1' (scatter): parameter 'count': expected an integer, got "
      "2.5");
  ysgt_expect_load_fail(
      "scatter{count=-1}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'scatter_1' (scatter): parameter 'count': expected an integer in "
      "0..1000000, got -1");
  ysgt_expect_load_fail(
      "scatter{count=function() return 3 end}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'scatter_1' (scatter): parameter 'count': cannot be a function of "
      "time (it is fixed when the pipeline loads)");
}

Test(dsl, ports_and_inputs) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "canvas{width=4, height=4}\n"
                              "local f = fill{color='#ffffff'}\n"
                              "png{name='out', image=f.image, path='o.png'}\n",
                              NULL);
  ysg_node *out = ysg__node_find(p, "out");
  cr_assert_not_null(out);
  cr_expect_eq(out->inputs[0].n_links, 1);
  cr_expect_eq(out->inputs[0].links[0].from_port, 0);
  cr_expect_eq(out->inputs[0].links[0].from_node, ysg__node_find(p, "fill_1")->index);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);

  ysgt_expect_load_fail("local pts = scatter{name='pts'}\n\n\n\nlocal e = pts.edgez", NULL,
                        YSG_ERR_PIPELINE,
                        "test.lua:5: node 'pts' (scatter) has no output 'edgez' (outputs: points)");
  ysgt_expect_load_fail(
      "local f = fill{}\nf.color = 1", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'fill_1' (fill): handles are read-only; set parameters in the "
      "constructor");
  ysgt_expect_load_fail(
      "local f = fill{}\npng{image={f}, path='o.png'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'png_1' (png): input 'image': expected a node or a port, got table");
  /* type mismatches are the engine's */
  ysgt_expect_load_fail(
      "local s = scatter{}\nmerge{layers={s}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers[1]' expects image, got points "
      "from 'scatter_1'");
}

/* ---- multi inputs and link params --------------------------------------------------------------
 */
Test(dsl, multi_input_link_params) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "canvas{width=4, height=4}\n"
                              "local red = fill{color='#ff0000'}\n"
                              "local blue = fill{color={0, 0, 1}}\n"
                              "merge{name='m', layers={red, {blue, opacity=0.5, mode='normal'}}}\n"
                              "merge{name='a', layers={red, {blue.image, mode='add'}}}\n",
                              NULL);
  ysg_node *m = ysg__node_find(p, "m");
  cr_assert_eq(m->inputs[0].n_links, 2);
  cr_expect_float_eq(m->inputs[0].links[1].params[1].num, 0.5, 1e-12);
  cr_expect_float_eq(m->inputs[0].links[0].params[1].num, 1.0, 1e-12);
  ysg_node *a = ysg__node_find(p, "a");
  const ysg_param_def *mode = &a->type->inputs[0].link_params[0];
  cr_expect_eq((int)a->inputs[0].links[1].params[0].num, ysg__enum_index(mode->choices, "add"));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  float px[4];
  pixel(p, "m", px); /* blue at half opacity over red, premultiplied linear */
  expect_px(px, 0.5f, 0, 0.5f, 1, "normal 0.5");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);

  ysgt_expect_load_fail(
      "local a = fill{}\nmerge{layers={{a, opacty=1}}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers[1]': unknown key 'opacty' (link "
      "parameters: mode, opacity)");
  ysgt_expect_load_fail(
      "local a = fill{}\nmerge{layers={a, mode='add'}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers': unexpected key 'mode' in the "
      "list (link parameters go per entry: {node, param = value})");
  ysgt_expect_load_fail(
      "local a = fill{}\nmerge{layers={a, {mode='add'}}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers[2]': expected a node, a port or "
      "{node, param = value, ...}, got a table without a node at [1]");
  ysgt_expect_load_fail(
      "local a = fill{}\nmerge{layers={{a, opacity='half'}}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers[1]' parameter 'opacity': "
      "expected a number, got string");
  ysgt_expect_load_fail(
      "local a = fill{}\nmerge{layers={{a, mode='glow'}}}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'merge_1' (merge): input 'layers[1]' parameter 'mode': expected "
      "one of normal|add|multiply|screen|overlay|lighten|darken|difference|max|min, got 'glow'");
}

Test(dsl, animated_link_param) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "canvas{width=4, height=4, frames=3}\n"
                              "local red = fill{color='#ff0000'}\n"
                              "local blue = fill{color='#0000ff'}\n"
                              "merge{name='m', layers={red, {blue, opacity=function(f) return f / "
                              "2 end}}}\n",
                              NULL);
  for (int f = 0; f <= 2; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    float px[4], o = (float)f / 2.0f;
    pixel(p, "m", px);
    expect_px(px, 1 - o, 0, o, 1, "animated opacity");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- animated node params ------------------------------------------------------------------- */
Test(dsl, animated_param_per_frame) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "canvas{width=4, height=4, frames=3, fps=10}\n"
                              "fill{name='f', color=function(f, t) return {f / 4, t, 0, 1} end}\n"
                              "fill{name='g', color=function(f) return f == 1 and '#ffffff' or "
                              "'#000000' end}\n",
                              NULL);
  for (int f = 0; f <= 2; f++) {
    cr_assert_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "%s", ysg_errmsg(ctx));
    float px[4];
    pixel(p, "f", px);
    expect_px(px, ysg_srgb_to_linear((float)f / 4.0f), ysg_srgb_to_linear((float)f / 10.0f), 0, 1,
              "fill f");
    pixel(p, "g", px);
    float w = f == 1 ? 1.0f : 0.0f;
    expect_px(px, w, w, w, 1, "fill g");
  }
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

static void expect_frame_fail(const char *src, int frame, ysg_status status, const char *msg) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx, src, NULL);
  ysg_status s = YSG_OK;
  for (int f = 0; f <= frame && s == YSG_OK; f++) s = ysg_pipeline_run_frame(p, f);
  cr_expect_eq(s, status, "%s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  cr_expect_str_eq(ysg_errmsg(ctx), msg);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* a per-frame function that errors or returns the wrong type is a pipeline error, as one that
 * returns a value out of range is (exit code 1) */
Test(dsl, animated_param_errors) {
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "fill{name='f', color=function(f)\n"
      "  if f == 3 then return nil end\n"
      "  return '#ff0000'\n"
      "end}\n",
      3, YSG_ERR_PIPELINE,
      "test.lua:2: node 'f' (fill): parameter 'color' at frame 3: function returned "
      "nil, expected a colour (\"#rrggbb[aa]\" or {r,g,b[,a]})");
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "fill{name='f', color=function(f)\n"
      "  error('boom')\n"
      "end}\n",
      0, YSG_ERR_PIPELINE,
      "test.lua:2: node 'f' (fill): parameter 'color' at frame 0: test.lua:3: boom");
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "local f = fill{color='#ff0000'}\n"
      "merge{layers={{f, opacity=function(i) return i + 2 end}}}\n",
      0, YSG_ERR_PIPELINE,
      "test.lua:3: node 'merge_1' (merge): input 'layers[1]' parameter 'opacity' at "
      "frame 0: expected a number in 0..1, got 2");
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "local f = fill{color='#ff0000'}\n"
      "merge{layers={{f, mode=function() return 'glow' end}}}\n",
      0, YSG_ERR_PIPELINE,
      "test.lua:3: node 'merge_1' (merge): input 'layers[1]' parameter 'mode' at "
      "frame 0: expected one of "
      "normal|add|multiply|screen|overlay|lighten|darken|difference|max|min, got "
      "'glow'");
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "fill{color=function() return {1, 0} end}\n",
      0, YSG_ERR_PIPELINE,
      "test.lua:2: node 'fill_1' (fill): parameter 'color' at frame 0: function "
      "returned a bad colour: expected {r,g,b[,a]} with 3 or 4 numbers, got 2 "
      "entries");
  /* nodes are made while the script loads, not from callbacks */
  expect_frame_fail(
      "canvas{width=4, height=4}\n"
      "fill{color=function() fill{} return '#000000' end}\n",
      0, YSG_ERR_PIPELINE,
      "test.lua:2: node 'fill_1' (fill): parameter 'color' at frame 0: test.lua:2: "
      "fill: only available while the pipeline script loads");
}

/* ---- Lua errors ------------------------------------------------------------------------------ */
Test(dsl, lua_errors_as_lua_gives_them) {
  ysgt_expect_load_fail("canvas{width=8}\n\nlocal x = @", NULL, YSG_ERR_PIPELINE,
                        "test.lua:3: unexpected symbol near '@'");
  ysgt_expect_load_fail("local x\nx.y = 1", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: attempt to index a nil value (local 'x')");
  ysgt_expect_load_fail("error('plain')", NULL, YSG_ERR_PIPELINE, "test.lua:1: plain");
  /* messages without a location get the line of the code that raised them */
  ysgt_expect_load_fail("error({})", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: (error object is a table value)");
  ysgt_expect_load_fail("\nerror(nil)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: (error object is a nil value)");
  ysgt_expect_load_fail("error()", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: (error object is a nil value)");
  ysgt_expect_load_fail("error('no line', 0)", NULL, YSG_ERR_PIPELINE, "test.lua:1: no line");
  ysgt_expect_load_fail("error(setmetatable({}, {__tostring = function() return 'custom' end}))",
                        NULL, YSG_ERR_PIPELINE, "test.lua:1: custom");
  ysgt_expect_load_fail("local function f() return (string.gsub('a', 'a', f)) end\n\nf()", NULL,
                        YSG_ERR_PIPELINE, "test.lua:1: C stack overflow");
  /* an engine error caught by the script and raised again keeps its status and text */
  ysgt_expect_load_fail("fill{name='a'}\nlocal ok, e = pcall(fill, {name='a'})\nerror(e, 0)", NULL,
                        YSG_ERR_PIPELINE,
                        "test.lua:2: duplicate node name 'a' (first used at test.lua:1)");
}

Test(dsl, chunkname_default_and_null_options) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_expect_eq(ysg_pipeline_load_string(ctx, "local x = @", NULL, NULL, &p), YSG_ERR_PIPELINE);
  cr_expect_null(p);
  cr_expect_str_eq(ysg_errmsg(ctx), "pipeline:1: unexpected symbol near '@'");
  cr_expect_eq(ysg_pipeline_load_string(ctx, "fill{}", NULL, NULL, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_expect_str_eq(ysg_pipeline_file(p), "pipeline");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- files ----------------------------------------------------------------------------------- */
Test(dsl, load_file) {
  ysg_context *ctx = ysgt_ctx();
  const char *dir = ysgt_tmpdir();
  char path[600];
  snprintf(
      path, sizeof path, "%s",
      ysgt_write(dir, "ok.lua", "#!/usr/bin/env ysgraph\ncanvas{width=4, height=4}\nfill{}\n"));
  ysg_pipeline *p = NULL;
  cr_assert_eq(ysg_pipeline_load_file(ctx, path, NULL, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_node_info info;
  cr_assert_eq(ysg_pipeline_node_info(p, 0, &info), YSG_OK);
  cr_expect_str_eq(info.file, path);
  cr_expect_eq(info.line, 3); /* the #! line still counts */
  cr_expect_str_eq(ysg_pipeline_file(p), path);
  cr_expect_str_eq(p->dir, dir);
  ysg_pipeline_destroy(p);

  snprintf(path, sizeof path, "%s", ysgt_write(dir, "bad.lua", "canvas{}\nlocal = 1\n"));
  char want[800];
  snprintf(want, sizeof want, "%s:2: <name> expected near '='", path);
  cr_expect_eq(ysg_pipeline_load_file(ctx, path, NULL, &p), YSG_ERR_PIPELINE);
  cr_expect_null(p);
  cr_expect_str_eq(ysg_errmsg(ctx), want);

  /* longer than the first read buffer, with a UTF-8 BOM */
  size_t big = 200000;
  char *text = malloc(big + 64);
  memcpy(text, "\xEF\xBB\xBF", 3);
  memset(text + 3, '\n', big);
  snprintf(text + 3 + big, 64, "fill{name='last'}\n");
  snprintf(path, sizeof path, "%s", ysgt_write(dir, "big.lua", text));
  free(text);
  cr_assert_eq(ysg_pipeline_load_file(ctx, path, NULL, &p), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_node_info(p, 0, &info), YSG_OK);
  cr_expect_str_eq(info.name, "last");
  cr_expect_eq(info.line, (int)big + 1);
  ysg_pipeline_destroy(p);

  /* a string's chunk name is not a place: its paths resolve from "." */
  cr_assert_eq(ysg_pipeline_load_string(ctx, "fill{}", "some/dir/x.lua", NULL, &p), YSG_OK);
  cr_expect_str_eq(p->dir, ".");
  cr_expect_str_eq(ysg_pipeline_file(p), "some/dir/x.lua");
  ysg_pipeline_destroy(p);

  cr_expect_eq(ysg_pipeline_load_file(ctx, "missing/x.lua", NULL, &p), YSG_ERR_IO);
  cr_expect_null(p);
  cr_expect_str_eq(ysg_errmsg(ctx), "cannot open 'missing/x.lua': No such file or directory");
  ysg_context_destroy(ctx);
}

/* ---- print goes to the log ------------------------------------------------------------------- */
typedef struct log_rec {
  char text[256];
  ysg_log_level level;
  int n;
} log_rec;

static void record(void *ud, ysg_log_level level, const char *msg) {
  log_rec *r = ud;
  if (strncmp(msg, "hello", 5) != 0 && strncmp(msg, "lua warning", 11) != 0) return;
  snprintf(r->text, sizeof r->text, "%s", msg);
  r->level = level;
  r->n++;
}

Test(dsl, print_and_warn_go_to_the_log) {
  log_rec rec = {{0}, YSG_LOG_ERROR, 0};
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 1;
  o.log = record;
  o.log_ud = &rec;
  o.log_level = YSG_LOG_DEBUG;
  ysg_context *ctx = NULL;
  cr_assert_eq(ysg_context_create(&o, &ctx), YSG_OK);
  ysg_pipeline *p = must_load(ctx, "print('hello', 42, true)\nfill{}", NULL);
  cr_expect_eq(rec.n, 1);
  cr_expect_str_eq(rec.text, "hello\t42\ttrue");
  cr_expect_eq(rec.level, YSG_LOG_INFO);
  ysg_pipeline_destroy(p);
  p = must_load(ctx, "warn('careful', ' now')\nfill{}", NULL);
  cr_expect_eq(rec.n, 2);
  cr_expect_str_eq(rec.text, "lua warning: careful now");
  cr_expect_eq(rec.level, YSG_LOG_WARN);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- size: loading is linear in the node count, which is capped ---------------------------- */
/* n nodes: every third a fill, the rest merges of the previous node and one of the 50 before it,
 * so buffers live for short and longer stretches (the planner takes its linear-scan path) */
static double load_seconds(int n, ysg_status *status, char *msg, size_t cap) {
  char src[512];
  snprintf(
      src, sizeof src,
      "canvas{width=1, height=1}\nlocal nodes = {}\nfor i = 1, %d do\n"
      "  if i <= 2 or i %% 3 == 0 then nodes[i] = fill{}\n"
      "  else nodes[i] = merge{layers={nodes[i-1], nodes[i-1-(i*7919) %% math.min(i-1, 50)]}}\n"
      "  end\n"
      "end\n",
      n);
  ysg_context *ctx = ysgt_ctx();
  struct timespec t0, t1; /* this thread's CPU time: other processes on the machine do not count */
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  ysg_pipeline *p = NULL;
  *status = load_with(ctx, src, NULL, &p);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  if (msg) snprintf(msg, cap, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

Test(dsl, load_time_is_linear_in_the_node_count) {
  ysg_status s;
  char msg[512];
  double small = 1e9, big = 1e9;
  /* a first large load grows the heap, so both sizes then run on memory already mapped; the
   * least disturbed of several runs of each */
  load_seconds(50000, &s, msg, sizeof msg);
  cr_assert_eq(s, YSG_OK, "%s", msg);
  for (int k = 0; k < 6; k++) {
    double t = load_seconds(k < 4 ? 5000 : 50000, &s, msg, sizeof msg);
    cr_assert_eq(s, YSG_OK, "%s", msg);
    if (k < 4 && t < small) small = t;
    if (k >= 4 && t < big) big = t;
  }
  cr_log_info("load: 5000 nodes %.3f s, 50000 nodes %.3f s (x%.1f)", small, big, big / small);
  /* linear work is x10 (x12 for n log n), plus the memory hierarchy: 5000 nodes' 10 MB stay in
   * the caches, 50000 nodes' 100 MB do not (x17-24 measured in CPU time on the 2-core VM, quiet
   * or loaded); quadratic, as the buffer list and fusion planning once were, is x100 */
  cr_expect_leq(big, 40 * small, "50000 nodes took %.3f s, %.1f times 5000 nodes' %.3f s", big,
                big / small, small);
}

Test(dsl, node_count_is_capped) {
  ysg_status s;
  char msg[512];
  load_seconds(YSG_MAX_NODES + 1, &s, msg, sizeof msg);
  cr_expect_eq(s, YSG_ERR_LIMIT, "%s", msg);
  cr_expect_str_eq(msg, "test.lua:5: merge: too many nodes (a pipeline holds at most 100000)");
}

/* ---- messages are one line: what comes from scripts, names and data files is escaped -------- */
Test(dsl, messages_escape_control_characters) {
  ysgt_expect_load_fail("fill{name='a\\nb'}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: node name 'a\\nb' may not contain '.', '=', spaces or control "
                        "characters");
  ysgt_expect_load_fail("error('one\\ntwo\\27[31m\\tred\\r')", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: one\\ntwo\\x1b[31m\tred\\r");
  /* UTF-8 stays readable; bytes that are not UTF-8, C1 controls and bidi overrides do not pass */
  ysgt_expect_load_fail("error('caf\\195\\169 \\255 \\194\\155 \\226\\128\\174 \\127', 0)", NULL,
                        YSG_ERR_PIPELINE,
                        "test.lua:1: caf\xc3\xa9 \\xff \\xc2\\x9b \\xe2\\x80\\xae \\x7f");
  const char *dir = ysgt_tmpdir();
  ysgt_write(dir, "p.csv", "x,y\n1,\x1b]0;title\x07\n");
  char src[512];
  snprintf(src, sizeof src, "points{path='%s/p.csv', name='pts'}", dir);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  cr_assert_eq(load_with(ctx, src, &lo, &p), YSG_ERR_DATA);
  char want[1024];
  snprintf(want, sizeof want,
           "%s/p.csv:2: column 'y': expected a number, found '\\x1b]0;title\\x07' (node 'pts' "
           "(points) at test.lua:1)",
           dir);
  cr_expect_str_eq(ysg_errmsg(ctx), want);
  ysg_context_destroy(ctx);
  /* log lines too (warn, print) */
  ctx = ysgt_ctx_warn(1);
  cr_assert_eq(load_with(ctx, "warn('bell\\7 and\\nnewline')\nfill{}", NULL, &p), YSG_OK, "%s",
               ysg_errmsg(ctx));
  cr_expect_str_eq(ysgt_warning, "lua warning: bell\\x07 and\\nnewline");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- ENUM parameters whose choices are numbers take numbers ------------------------------- */
static const ysg_param_def step_params[] = {
    {"step", YSG_PARAM_ENUM, "1", 0, 0, "1|2|4", 0, "an animatable choice written as numbers"}};
static const ysg_port_def step_out[] = {{"image", YSG_IMAGE, 0, "blank", NULL, 0}};
static int step_seen[8];
static ysg_status step_run(ysg_node *n, const ysg_frame *f) {
  step_seen[f->index] = atoi(ysg_node_string(n, 0));
  memset(ysg_node_output(n, 0)->tiles, 0, 1);
  return YSG_OK;
}
static const ysg_node_type step_type = {.name = "stepper",
                                        .category = "test",
                                        .doc = "Records its step.",
                                        .outputs = step_out,
                                        .n_outputs = 1,
                                        .params = step_params,
                                        .n_params = 1,
                                        .run = step_run};

Test(dsl, numeric_enum_choices_take_numbers) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = must_load(ctx,
                              "png{image=fill{}, path='x.png', bits=16, name='a'}\n"
                              "png{image=fill{}, path='y.png', bits=8.0, name='b'}",
                              NULL);
  cr_expect_eq(ysg_node_enum(ysg__node_find(p, "a"), 1), 1);
  cr_expect_str_eq(ysg_node_string(ysg__node_find(p, "a"), 1), "16");
  cr_expect_eq(ysg_node_enum(ysg__node_find(p, "b"), 1), 0);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  ysgt_expect_load_fail("png{image=fill{}, path='x.png', bits=12}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: node 'png_1' (png): parameter 'bits': expected one of 8|16, "
                        "got '12'");
  /* per-frame functions too */
  ctx = ysgt_ctx();
  cr_assert_eq(ysg_register_node_type(ctx, &step_type), YSG_OK);
  p = must_load(ctx,
                "canvas{width=4, height=4, frames=3}\n"
                "stepper{name='s', step=function(f) return f == 2 and 3 or 2 ^ f end}\n",
                NULL);
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 1), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(step_seen[0], 1);
  cr_expect_eq(step_seen[1], 2);
  cr_expect_eq(ysg_pipeline_run_frame(p, 2), YSG_ERR_PIPELINE);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 's' (stepper): parameter 'step' at frame 2: expected one of "
                   "1|2|4, got '3'");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- a misspelt constructor says which node type was meant ---------------------------------- */
Test(dsl, misspelt_node_type_did_you_mean) {
  ysgt_expect_load_fail("canvas{width=8, height=8}\npoint{path='x.csv'}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: unknown node type 'point' (did you mean 'points'?)");
  ysgt_expect_load_fail("local f = Fill{}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: unknown node type 'Fill' (did you mean 'fill'?)");
  ysgt_expect_load_fail("local m = mrege{layers={}}", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: unknown node type 'mrege' (did you mean 'merge'?)");
  /* nothing close: Lua's own words; reading an unset global is no error */
  ysgt_expect_load_fail("foo()", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: attempt to call a nil value (global 'foo')");
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p =
      must_load(ctx, "local x = point\nassert(x == nil and fil == nil)\nfill{}", NULL);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
