/* test_sandbox.c — the Lua sandbox of pipeline scripts: every removed facility refused with its
 * message, binary chunks refused, the instruction limit (scripts and per-frame callbacks, not
 * catchable by pcall/coroutines), the memory cap, sandboxed file paths, and --unsafe lifting it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

#define HINT "is not available in sandboxed pipelines (run with --unsafe to allow it)"

static ysg_status load(ysg_context *ctx, const char *src, const ysg_load_options *lo,
                       ysg_pipeline **out) {
  return ysg_pipeline_load_string(ctx, src, "test.lua", lo, out);
}

static void expect_ok(const char *src, const ysg_load_options *lo) {
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  ysg_status s = load(ctx, src, lo, &p);
  cr_expect_eq(s, YSG_OK, "for:\n%s\n%s: %s", src, ysg_status_name(s), ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sandbox, removed_facilities_are_refused) {
  ysgt_expect_load_fail("fill{}\nlocal f = io.open('x')", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: 'io' " HINT);
  ysgt_expect_load_fail("os.execute('true')", NULL, YSG_ERR_PIPELINE, "test.lua:1: 'os' " HINT);
  ysgt_expect_load_fail("local t = os.time()", NULL, YSG_ERR_PIPELINE, "test.lua:1: 'os' " HINT);
  ysgt_expect_load_fail("local i = debug.getinfo(1)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'debug' " HINT);
  ysgt_expect_load_fail("package.path = '/tmp/?.lua'", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'package' " HINT);
  ysgt_expect_load_fail("local x = require 'x'", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'require' " HINT);
  ysgt_expect_load_fail("dofile('x.lua')", NULL, YSG_ERR_PIPELINE, "test.lua:1: 'dofile' " HINT);
  ysgt_expect_load_fail("local f = loadfile('x.lua')", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'loadfile' " HINT);
  ysgt_expect_load_fail("local d = string.dump(print)", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'string.dump' " HINT);
  ysgt_expect_load_fail("local d = ('x'):dump()", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: 'string.dump' " HINT);
  /* the stand-ins cannot be taken apart by the script */
  ysgt_expect_load_fail("assert(getmetatable(io) == false)\nsetmetatable(io, {})", NULL,
                        YSG_ERR_PIPELINE, "test.lua:2: cannot change a protected metatable");
  /* what stays works */
  expect_ok(
      "local t = {3, 1, 2}\ntable.sort(t)\nassert(t[1] == 1)\n"
      "assert(string.format('%d', 7) == '7' and math.floor(2.5) == 2)\n"
      "assert(utf8.char(72) == 'H')\n"
      "local co = coroutine.wrap(function() coroutine.yield(5) end)\nassert(co() == 5)\n"
      "assert(collectgarbage('count') > 0)\n"
      "assert(pcall(error, 'x') == false)\n"
      "fill{}",
      NULL);
}

Test(sandbox, binary_chunks_are_refused) {
  ysgt_expect_load_fail("local f = load('\\27Lua\\84\\0')", NULL, YSG_ERR_PIPELINE,
                        "test.lua:1: binary chunks are not allowed in sandboxed pipelines");
  /* a reader function handing over a binary chunk, and an explicit mode 'b', change nothing */
  ysgt_expect_load_fail(
      "local parts = {'\\27Lua', '\\84\\0'}\nlocal i = 0\n"
      "local f = load(function() i = i + 1 return parts[i] end)",
      NULL, YSG_ERR_PIPELINE, "test.lua:3: binary chunks are not allowed in sandboxed pipelines");
  expect_ok(
      "local f = load('return 1 + 1', 'x', 'b')\nassert(f() == 2)\n"
      "local g = load('return _ENV', 'y', 't', {z = 1})\nassert(g().z == 1)\nfill{}",
      NULL);
  /* a whole script that is a binary chunk */
  ysgt_expect_load_fail("\x1bLua\x54", NULL, YSG_ERR_PIPELINE,
                        "test.lua: binary chunks are not allowed in sandboxed pipelines");
}

Test(sandbox, unsafe_mode_lifts_it) {
  const char *dir = ysgt_tmpdir();
  char path[512], src[2048];
  snprintf(path, sizeof path, "%s/written.txt", dir);
  snprintf(src, sizeof src,
           "local f = assert(io.open('%s', 'w'))\nf:write('from lua')\nf:close()\n"
           "assert(type(os.time()) == 'number')\n"
           "assert(type(debug.getinfo(1)) == 'table')\n"
           "local g = load(string.dump(function() return 7 end))\nassert(g() == 7)\n"
           "fill{}",
           path);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  expect_ok(src, &lo);
  char *text = ysgt_read(path, NULL);
  cr_assert_not_null(text);
  cr_expect_str_eq(text, "from lua");
  free(text);
}

/* ---- instruction limit ----------------------------------------------------------------------- */
Test(sandbox, instruction_limit_stops_scripts) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = 100000;
  ysgt_expect_load_fail("canvas{width=8}\n\n\nwhile true do end", &lo, YSG_ERR_LIMIT,
                        "test.lua:4: instruction limit of 100000 exceeded (infinite loop?)");
  /* neither pcall, xpcall nor a coroutine can catch it and carry on */
  ysgt_expect_load_fail("while true do\n  pcall(function() while true do end end)\nend", &lo,
                        YSG_ERR_LIMIT,
                        "test.lua:2: instruction limit of 100000 exceeded (infinite loop?)");
  ysgt_expect_load_fail(
      "while true do\n  xpcall(function() while true do end end, function(e) return 'x' "
      "end)\nend",
      &lo, YSG_ERR_LIMIT, "test.lua:2: instruction limit of 100000 exceeded (infinite loop?)");
  ysgt_expect_load_fail(
      "local co = coroutine.create(function()\n  while true do end\nend)\n"
      "while true do coroutine.resume(co) end",
      &lo, YSG_ERR_LIMIT, "test.lua:2: instruction limit of 100000 exceeded (infinite loop?)");
  /* a script under the limit runs */
  expect_ok("local s = 0\nfor i = 1, 1000 do s = s + i end\nassert(s == 500500)\nfill{}", &lo);
}

Test(sandbox, instruction_limit_per_callback) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = 100000;
  /* each call costs ~40000 instructions: 5 frames exceed the limit together, never alone */
  ysg_pipeline *p = NULL;
  ysg_status s = load(ctx,
                      "canvas{width=4, height=4, frames=5}\n"
                      "fill{name='f', color=function(f)\n"
                      "  local s = 0\n"
                      "  for i = 1, 10000 do s = s + i end\n"
                      "  return {0, 0, 0, 1}\n"
                      "end}\n"
                      "fill{name='g', color=function(f)\n"
                      "  if f == 4 then while true do end end\n"
                      "  return '#000000'\n"
                      "end}\n",
                      &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  for (int f = 0; f < 4; f++)
    cr_expect_eq(ysg_pipeline_run_frame(p, f), YSG_OK, "frame %d: %s", f, ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 4), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:7: node 'g' (fill): parameter 'color' at frame 4: test.lua:8: "
                   "instruction limit of 100000 exceeded (infinite loop?)");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- memory cap ------------------------------------------------------------------------------ */
Test(sandbox, memory_cap) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_memory_limit = 4u << 20;
  ysgt_expect_load_fail("local t = {}\nfor i = 1, 1e7 do t[i] = i end", &lo, YSG_ERR_LIMIT,
                        "test.lua: memory limit of 4 MiB exceeded");
  ysgt_expect_load_fail("local s = string.rep('x', 1e8)", &lo, YSG_ERR_LIMIT,
                        "test.lua: memory limit of 4 MiB exceeded");
  /* caught and rethrown by the script: still the cap */
  ysgt_expect_load_fail("local ok, e = pcall(string.rep, 'x', 1e8)\nerror(e, 0)", &lo,
                        YSG_ERR_LIMIT, "test.lua: memory limit of 4 MiB exceeded");
  lo.lua_memory_limit = 3u << 19;
  ysgt_expect_load_fail("local t = {}\nfor i = 1, 1e7 do t[#t + 1] = tostring(i) end", &lo,
                        YSG_ERR_LIMIT, "test.lua: memory limit of 1.5 MiB exceeded");
  /* states too small to be created, or to open the libraries */
  lo.lua_memory_limit = 1024;
  ysgt_expect_load_fail("fill{}", &lo, YSG_ERR_LIMIT,
                        "test.lua: memory limit of 0.000976562 MiB exceeded");
  lo.lua_memory_limit = 16384;
  ysgt_expect_load_fail("fill{}", &lo, YSG_ERR_LIMIT,
                        "test.lua: memory limit of 0.015625 MiB exceeded");
  /* the default cap leaves room for real scripts */
  expect_ok("local t = {}\nfor i = 1, 1e5 do t[i] = {i} end\nfill{}", NULL);
}

Test(sandbox, memory_cap_in_callbacks) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_memory_limit = 4u << 20;
  ysg_pipeline *p = NULL;
  ysg_status s = load(ctx,
                      "canvas{width=4, height=4}\n"
                      "fill{name='f', color=function(f)\n"
                      "  local s = string.rep('x', 1e8)\n"
                      "  return '#000000'\n"
                      "end}\n",
                      &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:2: node 'f' (fill): parameter 'color' at frame 0: memory limit of 4 "
                   "MiB exceeded");
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

/* ---- paths ----------------------------------------------------------------------------------- */
Test(sandbox, paths_stay_inside) {
  ysgt_expect_load_fail(
      "points{path='/etc/passwd'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:1: node 'points_1' (points): parameter 'path': '/etc/passwd': absolute "
      "paths are not allowed in sandboxed pipelines (run with --unsafe to allow it)");
  ysgt_expect_load_fail(
      "\npoints{name='pts', path='data/../../x.csv'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'pts' (points): parameter 'path': 'data/../../x.csv': '..' may not "
      "leave the pipeline's directory in sandboxed pipelines (run with --unsafe to allow it)");
  ysgt_expect_load_fail(
      "local f = fill{}\npng{image=f, path='/tmp/out.png'}", NULL, YSG_ERR_PIPELINE,
      "test.lua:2: node 'png_1' (png): parameter 'path': '/tmp/out.png': absolute paths "
      "are not allowed in sandboxed pipelines (run with --unsafe to allow it)");

  /* the same absolute path loads with --unsafe */
  const char *dir = ysgt_tmpdir();
  const char *csv = ysgt_write(dir, "pts.csv", "x,y\n1,2\n3,4\n");
  char src[1024];
  snprintf(src, sizeof src, "canvas{width=8, height=8}\npoints{name='pts', path='%s'}", csv);
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  ysg_context *ctx = ysgt_ctx();
  ysg_pipeline *p = NULL;
  ysg_status s = load(ctx, src, &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(p, 0), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(p, "pts", &v), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(v->count, 2);
  cr_expect_float_eq(v->xy[2], 3.0f, 1e-6f);
  ysg_pipeline_destroy(p);
  s = load(ctx, src, NULL, &p);
  cr_expect_eq(s, YSG_ERR_PIPELINE);
  cr_expect_not_null(strstr(ysg_errmsg(ctx), "parameter 'path'"));
  cr_expect_not_null(strstr(ysg_errmsg(ctx), "absolute paths are not allowed"));
  ysg_context_destroy(ctx);
}

/* ---- finalizers ---------------------------------------------------------------------------- */
Test(sandbox, finalizers) {
  /* Lua runs __gc with hooks off, out of the instruction limit's reach: refused when sandboxed */
  ysgt_expect_load_fail("local t = {}\nsetmetatable(t, {__gc = function() while true do end end})",
                        NULL, YSG_ERR_PIPELINE, "test.lua:2: '__gc' metamethods " HINT);
  expect_ok(
      "local mt = {__index = function() return 1 end}\n"
      "assert(setmetatable({}, mt).x == 1)\nfill{}",
      NULL);
  /* with --unsafe they run; one that touches a node handle after the pipeline's nodes are gone
   * (lua_close runs it inside ysg_pipeline_destroy) fails cleanly instead of reading freed memory
   */
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.unsafe = 1;
  ysg_pipeline *p = NULL;
  ysg_status s =
      load(ctx,
           "local f = fill{}\n"
           "keep = setmetatable({}, {__gc = function() print(tostring(f), f.image) end})\n",
           &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}
