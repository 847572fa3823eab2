/* test_sandbox.c — the Lua sandbox of pipeline scripts: every removed facility refused with its
 * message, binary chunks refused, the instruction limit (scripts and per-frame callbacks, not
 * catchable by pcall/coroutines), the memory cap, sandboxed file paths, and --unsafe lifting it. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "internal.h"
#include "sandbox.h"
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
/* The line of a refused allocation is read in the allocator, which Lua up to 5.4.4 allows (later
 * releases move the stack during some allocations: the message then names the file only). */
#if LUA_VERSION_RELEASE_NUM <= 50404
#define AT(line) "test.lua:" #line ": "
#define CB_AT(line) AT(line)
#else
#define AT(line) "test.lua: "
#define CB_AT(line) ""
#endif

Test(sandbox, memory_cap) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_memory_limit = 4u << 20;
  /* the message names the line whose allocation the cap refused */
  ysgt_expect_load_fail("local t = {}\nfor i = 1, 1e7 do t[i] = i end", &lo, YSG_ERR_LIMIT,
                        AT(2) "memory limit of 4 MiB exceeded");
  ysgt_expect_load_fail("local s = string.rep('x', 1e8)", &lo, YSG_ERR_LIMIT,
                        AT(1) "memory limit of 4 MiB exceeded");
  ysgt_expect_load_fail("local function f()\n  return {string.rep('x', 1e8)}\nend\n\nf()", &lo,
                        YSG_ERR_LIMIT, AT(2) "memory limit of 4 MiB exceeded");
  ysgt_expect_load_fail(
      "local co = coroutine.wrap(function()\n  local s = ('x'):rep(1e8)\nend)\nco()", &lo,
      YSG_ERR_LIMIT, AT(2) "memory limit of 4 MiB exceeded");
  /* caught and rethrown by the script: still the cap */
  ysgt_expect_load_fail("local ok, e = pcall(string.rep, 'x', 1e8)\nerror(e, 0)", &lo,
                        YSG_ERR_LIMIT, AT(1) "memory limit of 4 MiB exceeded");
  lo.lua_memory_limit = 3u << 19;
  ysgt_expect_load_fail("local t = {}\nfor i = 1, 1e7 do t[#t + 1] = tostring(i) end", &lo,
                        YSG_ERR_LIMIT, AT(2) "memory limit of 1.5 MiB exceeded");
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
                   "test.lua:2: node 'f' (fill): parameter 'color' at frame 0: " CB_AT(
                       3) "memory limit of 4 MiB exceeded");
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

/* ---- the limit cannot be bypassed ------------------------------------------------------------ */
Test(sandbox, metatables_a_script_reaches_are_protected) {
  /* a __gc added to the node handles' metatable would run with hooks off, forever */
  ysgt_expect_load_fail(
      "canvas{width=8, height=8}\nlocal n = fill{}\n"
      "getmetatable(n).__gc = function() while true do end end\nlocal m = fill{}",
      NULL, YSG_ERR_PIPELINE, "test.lua:3: attempt to index a boolean value");
  expect_ok(
      "local n = fill{}\nassert(getmetatable(n) == false)\n"
      "assert(getmetatable(n.image) == false)\nassert(getmetatable('') == false)\n"
      "assert(('abc'):upper() == 'ABC')",
      NULL);
  ysgt_expect_load_fail("local n = fill{}\nsetmetatable(n, {})", NULL, YSG_ERR_PIPELINE,
                        "test.lua:2: bad argument #1 to 'setmetatable' (table expected, got "
                        "ysg.node)");
}

Test(sandbox, instruction_limit_sticks_once_hit) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = 100000;
  const char *limit = "instruction limit of 100000 exceeded (infinite loop?)";
  char want[256];
  /* xpcall's handler runs where the error was raised: not after the limit */
  snprintf(want, sizeof want, "test.lua:1: %s", limit);
  ysgt_expect_load_fail(
      "xpcall(function() while true do end end, function() while true do end "
      "end)",
      &lo, YSG_ERR_LIMIT, want);
  snprintf(want, sizeof want, "test.lua:2: %s", limit);
  ysgt_expect_load_fail("xpcall(function() error('x') end,\n  function() while true do end end)",
                        &lo, YSG_ERR_LIMIT, want);
  /* a coroutine the limit stopped never runs its __close handlers (its hooks are off) */
  snprintf(want, sizeof want, "test.lua:3: %s", limit);
  ysgt_expect_load_fail(
      "local f = coroutine.wrap(function()\n"
      "  local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
      "  while true do end\nend)\nf()",
      &lo, YSG_ERR_LIMIT, want);
  /* __close handlers of the script's own frames run with the hook: stopped again */
  snprintf(want, sizeof want, "test.lua:3: %s", limit);
  ysgt_expect_load_fail(
      "do\n  local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
      "  while true do end\nend",
      &lo, YSG_ERR_LIMIT, want);
  /* an error handler that errors forever, and a coroutine.wrap that is not stopped, still work */
  expect_ok(
      "local ok, e = xpcall(function() error('x', 0) end, function(m) return m .. '!' end)\n"
      "assert(not ok and e == 'x!')\n"
      "local f = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) error(b, 0) end)\n"
      "assert(f(1) == 2)\nlocal ok2, e2 = pcall(f, 'boom')\nassert(not ok2 and e2 == 'boom')\n"
      "fill{}",
      &lo);
}

Test(sandbox, stopped_coroutines_stay_stopped_in_later_runs) {
  ysg_context *ctx = ysgt_ctx();
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = 100000;
  ysg_pipeline *p = NULL;
  ysg_status s = load(ctx,
                      "canvas{width=4, height=4, frames=2}\n"
                      "local co = coroutine.create(function()\n"
                      "  local x <close> = setmetatable({}, {__close = function() while true do "
                      "end end})\n"
                      "  while true do end\n"
                      "end)\n"
                      "fill{name='f', color=function(f)\n"
                      "  if f == 0 then coroutine.resume(co) end\n"
                      "  local ok, e = coroutine.close(co)\n"
                      "  assert(not ok and e:find('a limit stopped this coroutine', 1, true))\n"
                      "  return '#000000'\n"
                      "end}\n",
                      &lo, &p);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_expect_eq(ysg_pipeline_run_frame(p, 0), YSG_ERR_LIMIT);
  cr_expect_str_eq(ysg_errmsg(ctx),
                   "test.lua:6: node 'f' (fill): parameter 'color' at frame 0: test.lua:4: "
                   "instruction limit of 100000 exceeded (infinite loop?)");
  cr_expect_eq(ysg_pipeline_run_frame(p, 1), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
}

Test(sandbox, work_inside_library_calls_is_charged) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = 1000000;
  const char *limit = "instruction limit of 1000000 exceeded (infinite loop?)";
  char want[256];
  const char *one_call[] = {
      /* backtracking patterns: one call, ~3000^6 steps in Lua's own matcher */
      "local n = string.find(string.rep('a', 3000), '.-.-.-.-.-.-b')",
      "local n = ('a'):rep(3000):match('.-.-.-.-.-.-b')",
      "local n = select(2, string.gsub(string.rep('a', 3000), '.-.-.-.-.-.-b', ''))",
      "for m in string.gmatch(string.rep('a', 3000), '(.-)(.-)(.-)b') do end",
      "local n = string.find(string.rep('(', 3000), '%b()%b()%b()x')",
      /* one call moving 2^40 slots */
      "local t = table.move({}, 1, 1 << 40, 2)",
      "local t = setmetatable({}, {__len = function() return 1 << 40 end})\n"
      "table.insert(t, 1, 'x')",
      "local t = setmetatable({}, {__len = function() return 1 << 40 end})\n"
      "table.remove(t, 1)",
  };
  for (size_t i = 0; i < sizeof one_call / sizeof *one_call; i++) {
    snprintf(want, sizeof want, "test.lua:%d: %s", strchr(one_call[i], '\n') ? 2 : 1, limit);
    ysgt_expect_load_fail(one_call[i], &lo, YSG_ERR_LIMIT, want);
  }
  /* ordinary use costs what it does */
  expect_ok(
      "local s = ('key=value; '):rep(1000)\nlocal n = 0\n"
      "for k, v in s:gmatch('(%w+)=(%w+)') do n = n + 1 end\nassert(n == 1000)\n"
      "local t = {}\nfor i = 1, 1000 do table.insert(t, 1, i) end\n"
      "assert(table.remove(t) == 1 and #t == 999)\nfill{}",
      &lo);
}

Test(sandbox, time_limit_stops_long_library_calls) {
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.lua_instruction_limit = (uint64_t)1 << 60;
  lo.lua_time_limit = 0.25;
  /* each sort takes milliseconds and a handful of instructions: only the clock stops it */
  ysgt_expect_load_fail(
      "local t = {}\nfor i = 1, 200000 do t[i] = (i * 7919) % 200000 end\n"
      "while true do table.sort(t, nil) end",
      &lo, YSG_ERR_LIMIT, "test.lua:3: time limit of 0.25 s exceeded");
  ysgt_expect_load_fail("while true do end", &lo, YSG_ERR_LIMIT,
                        "test.lua:1: time limit of 0.25 s exceeded");
}

/* The budgeted string and table functions against Lua's own on the same calls: fixed cases and
 * seeded random patterns, results and error messages compared as text. */
static const char differential_src[] =
    "local out = {}\n"
    "local function ser(...)\n"
    "  local t = {}\n"
    "  for i = 1, select('#', ...) do local v = select(i, ...)\n"
    "    if type(v) == 'table' then\n"
    "      local e = {}\n"
    "      for k = 1, 6 do e[k] = tostring(rawget(v, k)) end\n"
    "      v = table.concat(e, ',')\n"
    "    end\n"
    "    t[#t + 1] = type(v) .. ':' .. tostring(v)\n"
    "  end\n"
    "  return table.concat(t, ' ')\n"
    "end\n"
    "local function run(f, ...) out[#out + 1] = ser(pcall(f, ...)) end\n"
    "local function gm(s, p, i)\n"
    "  local t = {}\n"
    "  for a, b in string.gmatch(s, p, i) do\n"
    "    t[#t + 1] = tostring(a) .. '|' .. tostring(b); if #t > 40 then break end end\n"
    "  return table.concat(t, ';')\n"
    "end\n"
    "local function all(s, p)\n"
    "  run(string.find, s, p); run(string.find, s, p, 3); run(string.find, s, p, -2)\n"
    "  run(string.find, s, p, 1, true); run(string.find, s, p, 40)\n"
    "  run(string.match, s, p); run(string.match, s, p, -4); run(gm, s, p); run(gm, s, p, 2)\n"
    "  run(string.gsub, s, p, '<%0>'); run(string.gsub, s, p, '%1-%%'); run(string.gsub, s, p, "
    "'%2')\n"
    "  run(string.gsub, s, p, '%z'); run(string.gsub, s, p, 7, 2)\n"
    "  run(string.gsub, s, p, function(...) return select('#', ...) .. tostring((...)) end)\n"
    "  run(string.gsub, s, p, function() return false end)\n"
    "  run(string.gsub, s, p, function() return {} end)\n"
    "  run(string.gsub, s, p, {a = 'A', b = 1, ab = true})\n"
    "end\n"
    "local fixed = {\n"
    "  {'hello world', 'o'}, {'hello world', 'l+'}, {'hello world', '(h)(e)'},\n"
    "  {'hello world', '()ll()'}, {' a b ', '%s*(%w*)'}, {'key = val', '(%w+)%s*=%s*(%w+)'},\n"
    "  {'f(a(b)c)d', '%b()'}, {'THE (quick) fox', '%f[%a]%a+'}, {'aaa', 'a-b'}, {'aaa', '^a'},\n"
    "  {'aaa', 'a$'}, {'a$b', '$b'}, {'abc', '[a-b]+'}, {'a]b', '[]]'}, {'a-b', '[a%-]+'},\n"
    "  {'x=1, y=22', '(%a)=(%d+)'}, {'abab', '(ab)%1'}, {'', ''}, {'abc', ''}, {'abc', '.-'},\n"
    "  {'abc', '[^'}, {'abc', '%'}, {'abc', '(()'}, {'abc', ')'}, {'abc', '%1'}, {'abc', '%b'},\n"
    "  {'abc', '%fa'}, {'a.b', '.', }, {'a\\0b', '%z'}, {'a\\0b', '\\0'}, {'A1 b2', '%u%d'},\n"
    "  {'A1 b2', '%W+'}, {'(((', '%b()'}, {'x', string.rep('(', 33) .. 'x' .. string.rep(')', "
    "33)},\n"
    "  {string.rep('a', 300), string.rep('a?', 250)},\n"
    "}\n"
    "for _, c in ipairs(fixed) do all(c[1], c[2]) end\n"
    "local toks = {'a', 'b', '.', '%a', '%d', '%s', '[ab]', '[^a]', '[a-c]', '(', ')', '()',\n"
    "  '*', '+', '-', '?', '^', '$', '%b()', '%f[%w]', '%1', '%%', '[%]]', 'x', '%', '['}\n"
    "local chars = {'a', 'b', '(', ')', 'c', ' ', '1', 'x', '%', ']'}\n"
    "math.randomseed(20240611)\n"
    "for i = 1, 1500 do\n"
    "  local p, q = {}, 0\n"
    "  for k = 1, math.random(1, 7) do\n"
    "    local t = toks[math.random(#toks)]\n"
    "    if t == '*' or t == '+' or t == '-' or t == '?' then q = q + 1 end\n"
    "    if q <= 3 then p[#p + 1] = t end\n"
    "  end\n"
    "  local s = {}\n"
    "  for k = 1, math.random(0, 10) do s[#s + 1] = chars[math.random(#chars)] end\n"
    "  all(table.concat(s), table.concat(p))\n"
    "end\n"
    "local function tab(f, t, ...) local ok, e = pcall(f, t, ...) return ser(ok, e, t) end\n"
    "for _, args in ipairs({{1, 'x'}, {4, 'x'}, {5, 'x'}, {0, 'x'}, {'x'}, {1, 'x', 3}}) do\n"
    "  out[#out + 1] = tab(table.insert, {1, 2, 3}, table.unpack(args))\n"
    "end\n"
    "for _, args in ipairs({{}, {1}, {3}, {4}, {5}, {0}}) do\n"
    "  out[#out + 1] = tab(table.remove, {1, 2, 3}, table.unpack(args))\n"
    "  out[#out + 1] = tab(table.remove, {}, table.unpack(args))\n"
    "end\n"
    "for _, args in ipairs({{1, 3, 2}, {2, 3, 1}, {1, 3, 1, {}}, {3, 1, 1}, {0, 2, 1},\n"
    "    {math.mininteger, -1, 1}, {1, math.maxinteger, 2}, {1, 2, math.maxinteger}}) do\n"
    "  out[#out + 1] = tab(table.move, {1, 2, 3}, table.unpack(args))\n"
    "end\n"
    "out[#out + 1] = ser(pcall(table.insert, 5, 1)) .. ser(pcall(table.move, {}, 'a', 1, 1))\n"
    "local proxy = setmetatable({}, {__index = function(_, k) return k * 10 end,\n"
    "  __newindex = function(t, k, v) rawset(t, k, v) end, __len = function() return 3 end})\n"
    "out[#out + 1] = tab(table.remove, proxy, 1) .. tab(table.insert, proxy, 2, 'y')\n"
    "return table.concat(out, '\\n')\n";

static char *run_differential(lua_State *L) {
  if (luaL_loadstring(L, differential_src) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    cr_log_error("%s", lua_tostring(L, -1));
    return NULL;
  }
  size_t len;
  const char *r = lua_tolstring(L, -1, &len);
  char *copy = malloc(len + 1);
  for (size_t i = 0; i < len; i++) copy[i] = r[i] ? r[i] : '@'; /* '\0's would end the text */
  copy[len] = 0;
  return copy;
}

Test(sandbox, budgeted_library_behaves_like_lua) {
  lua_State *ref = luaL_newstate();
  luaL_openlibs(ref);
  char *want = run_differential(ref);
  lua_close(ref);
  cr_assert(want);

  ysg_context *ctx = ysgt_ctx();
  ysg__lua_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.ctx = ctx;
  lim.mem_limit = (size_t)1 << 30;
  lim.instr_limit = (uint64_t)1 << 40;
  lim.time_limit = 600;
  lua_State *L = ysg__lua_newstate(&lim);
  cr_assert(L);
  lua_pushcfunction(L, ysg__lua_open_libs);
  lua_pushboolean(L, 0);
  cr_assert_eq(lua_pcall(L, 1, 0, 0), LUA_OK);
  ysg__lua_arm(L);
  char *got = run_differential(L);
  lua_close(L);
  ysg_context_destroy(ctx);
  cr_assert(got);
  /* compare line by line so a difference is shown with its neighbours */
  const char *a = want, *b = got;
  int line = 1;
  while (*a && *b) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    cr_assert(la == lb && !memcmp(a, b, la), "line %d:\n lua:     %.*s\n sandbox: %.*s", line,
              (int)la, a, (int)lb, b);
    a += la + (a[la] == '\n');
    b += lb + (b[lb] == '\n');
    line++;
  }
  cr_assert(!*a && !*b, "lengths differ after line %d", line);
  cr_assert_gt(line, 20000, "only %d results compared", line);
  cr_log_info("%d results compared, all identical", line - 1);
  free(want);
  free(got);
}
