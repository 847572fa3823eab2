/* sandbox.c — the Lua state pipeline scripts run in: a memory-capped allocator over the context's
 * allocator, the instruction-count and time limits (a count hook, sticky once hit), the sandboxed
 * library set (or all of it with --unsafe), refusals with a clear message for what the sandbox
 * removes, the guarded pcall/xpcall/coroutine functions, and print/warn routed to the log. */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_STEP 1000 /* instructions between hook calls: the limits are exact to this many */
#define CLOCK_BYTES (64 << 10) /* allocations at least this large also look at the clock */
#define SANDBOX_HINT "is not available in sandboxed pipelines (run with --unsafe to allow it)"

ysg__lua_limits *ysg__lua_limits_of(lua_State *L) {
  ysg__lua_limits *lim;
  memcpy(&lim, lua_getextraspace(L), sizeof lim);
  return lim;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int hook_step(const ysg__lua_limits *lim) {
  return lim->instr_limit < HOOK_STEP ? (int)(lim->instr_limit ? lim->instr_limit : 1) : HOOK_STEP;
}

/* "FILE:LINE: " of the innermost function of L with a current line (the chunk name as the user
 * gave it), or "" when no Lua code is on L's stack */
static void where(lua_State *L, char *buf, size_t cap) {
  lua_Debug ar;
  buf[0] = 0;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
    snprintf(buf, cap,
             "%s:%d: ", ar.source[0] == '=' || ar.source[0] == '@' ? ar.source + 1 : ar.short_src,
             ar.currentline);
    return;
  }
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* Lua's allocator contract on top of alloc/free only (the context's hook has no realloc). A shrink
 * keeps the block, so it never fails, which Lua relies on. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  ysg__lua_limits *lim = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    if (ptr) {
      ysg__free(lim->ctx, ptr);
      lim->mem_used -= old;
    }
    return NULL;
  }
  if (nsize <= old) {
    lim->mem_used -= old - nsize;
    return ptr;
  }
  if (lim->mem_used - old + nsize > lim->mem_limit) {
    lim->mem_hit = 1;
#if LUA_VERSION_RELEASE_NUM <= 50404
    /* A memory error calls no message handler, so the line is taken here. Up to 5.4.4 the stack
     * and the call chain are consistent during every allocation (later releases turn stack
     * pointers into offsets while the stack itself is reallocated). */
    if (lim->running) where(lim->running, lim->mem_where, sizeof lim->mem_where);
#endif
    return NULL;
  }
  /* C functions that allocate a lot between two hook calls: past the deadline, the hook is made
   * to fire at the next instruction (lua_sethook may be called at any time) */
  if (nsize - old >= CLOCK_BYTES && lim->running && now_s() > lim->deadline)
    lua_sethook(lim->running, count_hook, LUA_MASKCOUNT, 1);
  void *np = ysg__alloc_aligned(lim->ctx, nsize, 16);
  if (!np) return NULL;
  if (ptr) {
    memcpy(np, ptr, old);
    ysg__free(lim->ctx, ptr);
  }
  lim->mem_used += nsize - old;
  return np;
}

/* Stop the run with "FILE:LINE: what" (kept: every later check raises it again until the next
 * arm) and raise it; what NULL re-raises the stop already recorded. */
static int stop(lua_State *L, ysg__lua_limits *lim, const char *what) {
  if (!lim->stopped && what) {
    lim->stopped = 1;
    where(L, lim->msg, sizeof lim->msg);
    size_t n = strlen(lim->msg);
    snprintf(lim->msg + n, sizeof lim->msg - n, "%s", what);
  }
  lua_pushstring(L, lim->msg);
  return lua_error(L);
}

static void check_limits(lua_State *L, ysg__lua_limits *lim) {
  char what[128];
  if (lim->stopped) stop(L, lim, NULL);
  if (lim->instr_used >= lim->instr_limit) {
    snprintf(what, sizeof what, "instruction limit of %llu exceeded (infinite loop?)",
             (unsigned long long)lim->instr_limit);
    stop(L, lim, what);
  }
  if (now_s() > lim->deadline) {
    snprintf(what, sizeof what, "time limit of %g s exceeded", lim->time_limit);
    stop(L, lim, what);
  }
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  int step = hook_step(lim);
  if (lua_gethookcount(L) != step) /* armed for one instruction by l_alloc */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, step);
  else
    lim->instr_used += (uint64_t)step;
  check_limits(L, lim);
}

void ysg__lua_charge(lua_State *L, uint64_t n) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  lim->instr_used += n;
  check_limits(L, lim);
}

/* Warnings arrive in pieces; a message ends with tocont == 0. Control messages ("@on") ignored. */
static void warnf(void *ud, const char *msg, int tocont) {
  ysg__lua_limits *lim = ud;
  size_t n = strlen(msg), room = sizeof lim->warn - 1 - lim->warn_len;
  if (n > room) n = room;
  memcpy(lim->warn + lim->warn_len, msg, n);
  lim->warn_len += n;
  lim->warn[lim->warn_len] = 0;
  if (tocont) return;
  if (lim->warn[0] != '@') ysg__log(lim->ctx, YSG_LOG_WARN, "lua warning: %s", lim->warn);
  lim->warn_len = 0;
}

lua_State *ysg__lua_newstate(ysg__lua_limits *lim) {
  lua_State *L = lua_newstate(l_alloc, lim);
  if (!L) return NULL;
  memcpy(lua_getextraspace(L), &lim, sizeof lim); /* new threads copy it from the main thread */
  lua_setwarnf(L, warnf, lim);
  ysg__lua_arm(L);
  return L;
}

void ysg__lua_arm(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  lim->instr_used = 0;
  lim->stopped = 0;
  lim->mem_hit = 0;
  lim->mem_where[0] = 0;
  lim->running = L;
  lim->deadline = now_s() + lim->time_limit;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, hook_step(lim)); /* also resets the count */
}

int ysg__lua_limit_message(lua_State *L, int status, const char *chunk, char *buf, size_t cap) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (status == LUA_OK) return 0;
  if (lim->stopped) {
    snprintf(buf, cap, "%s", lim->msg);
    return 1;
  }
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (lim->mem_hit && (status == LUA_ERRMEM || (m && strcmp(m, "not enough memory") == 0))) {
    if (lim->mem_where[0])
      snprintf(buf, cap, "%smemory limit of %g MiB exceeded", lim->mem_where,
               (double)lim->mem_limit / (1024.0 * 1024.0));
    else
      snprintf(buf, cap, "%s%smemory limit of %g MiB exceeded", chunk ? chunk : "",
               chunk ? ": " : "", (double)lim->mem_limit / (1024.0 * 1024.0));
    return 1;
  }
  return 0;
}

/* does m start with a location, "CHUNK:LINE:" (the chunk name holds no ": ")? */
static int has_location(const char *m) {
  for (const char *c = m; *c && *c != '\n'; c++) {
    if (c[0] == ':' && c[1] == ' ') return 0;
    if (c[0] != ':' || c[1] < '0' || c[1] > '9') continue;
    const char *d = c + 1;
    while (*d >= '0' && *d <= '9') d++;
    if (*d == ':') return 1;
  }
  return 0;
}

int ysg__lua_msgh(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (lim->stopped) { /* raised by a limit: the message says where */
    lua_pushstring(L, lim->msg);
    return 1;
  }
  if (lua_type(L, 1) == LUA_TSTRING) {
    lua_pushvalue(L, 1);
  } else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
  } else if (lua_type(L, 1) == LUA_TNUMBER) {
    luaL_tolstring(L, 1, NULL);
  } else {
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  if (!has_location(lua_tostring(L, -1))) { /* error(x, 0), error({}), C stack overflow, ... */
    char at[256];
    where(L, at, sizeof at);
    if (at[0]) {
      lua_pushstring(L, at);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
  }
  return 1;
}

ysg_status ysg__lua_read_script(ysg_context *ctx, const char *path, char **buf, const char **src,
                                size_t *len) {
  *buf = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return ysg__seterr(ctx, YSG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0, r;
  char *b = ysg__alloc(ctx, cap);
  while (b && (r = fread(b + n, 1, cap - n, fp)) > 0) {
    n += r;
    if (n == cap) { /* not seekable in general (pipes), so grow */
      char *nb = ysg__alloc(ctx, cap * 2);
      if (nb) memcpy(nb, b, n);
      ysg__free(ctx, b);
      b = nb;
      cap *= 2;
    }
  }
  int rerr = ferror(fp);
  fclose(fp);
  if (!b) return YSG_ERR_NOMEM;
  if (rerr) {
    ysg__free(ctx, b);
    return ysg__seterr(ctx, YSG_ERR_IO, "cannot read '%s'", path);
  }
  const char *s = b;
  if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, n -= 3;
  if (n > 0 && s[0] == '#')
    while (n > 0 && s[0] != '\n') s++, n--;
  *buf = b;
  *src = s;
  *len = n;
  return YSG_OK;
}

/* ---- print and warn ----------------------------------------------------------------------- */
static int l_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  ysg__log(ysg__lua_limits_of(L)->ctx, YSG_LOG_INFO, "%s", lua_tostring(L, -1));
  return 0;
}

/* ---- calls that catch errors or run code later must not outlive a stopped run ---------------
 * Once a limit stops a run, pcall, xpcall and coroutine.resume re-raise it and refuse to start;
 * xpcall's handler is not called for it (Lua runs a message handler where the error was raised,
 * here inside the hook, with hooks off); a coroutine it stopped is remembered, because its hooks
 * stay off: coroutine.close and wrap never run its __close handlers. */
static const char stopped_threads_key; /* registry: weak set of the coroutines a limit stopped */

static void remember_stopped(lua_State *L, int co) {
  co = lua_absindex(L, co);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &stopped_threads_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &stopped_threads_key);
  }
  lua_pushvalue(L, co);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

static int was_stopped(lua_State *L, int co) {
  co = lua_absindex(L, co);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &stopped_threads_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushvalue(L, co);
  int r = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return r;
}

/* after a call returns to L: L runs again; a stop during the call is raised here */
static int rethrow_k(lua_State *L, int status, lua_KContext k) {
  (void)status;
  (void)k;
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  lim->running = L;
  if (lim->stopped) return stop(L, lim, NULL);
  return lua_gettop(L);
}

/* call upvalue 1 (the original function) with the arguments; a stop is re-raised */
static int call_original(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (lim->stopped) return stop(L, lim, NULL);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, rethrow_k);
  return rethrow_k(L, LUA_OK, 0);
}

static int guarded_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  return call_original(L);
}

/* xpcall's handler, upvalue 1: the script's */
static int guarded_handler(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (lim->stopped) {
    lua_pushstring(L, lim->msg);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

static int guarded_xpcall(lua_State *L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_handler, 1);
  lua_replace(L, 2);
  return call_original(L);
}

/* upvalue 1: the original coroutine.resume */
static int guarded_resume(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "coroutine");
  if (lim->stopped) return stop(L, lim, NULL);
  lua_pushvalue(L, 1); /* kept below the call: co, resume, co, args... */
  lua_insert(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 2);
  lim->running = co;
  lua_call(L, lua_gettop(L) - 2, LUA_MULTRET);
  lim->running = L;
  if (lim->stopped) {
    remember_stopped(L, 1);
    return stop(L, lim, NULL);
  }
  return lua_gettop(L) - 1;
}

/* upvalue 1: the original coroutine.close */
static int guarded_close(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  luaL_argexpected(L, lua_tothread(L, 1), 1, "coroutine");
  if (lim->stopped) return stop(L, lim, NULL);
  if (was_stopped(L, 1)) {
    luaL_pushfail(L);
    lua_pushliteral(L,
                    "a limit stopped this coroutine; its pending to-be-closed variables are "
                    "not closed");
    return 2;
  }
  return call_original(L);
}

/* coroutine.wrap's function; upvalues: the coroutine, the original coroutine.resume */
static int wrapped_call(lua_State *L) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (lim->stopped) return stop(L, lim, NULL);
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 2);
  lim->running = co;
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  lim->running = L;
  if (lim->stopped) {
    lua_pushvalue(L, lua_upvalueindex(1));
    remember_stopped(L, -1);
    return stop(L, lim, NULL);
  }
  if (lua_toboolean(L, 1)) return lua_gettop(L) - 1;
  /* an error: as coroutine.wrap does, close the coroutine's variables and raise it here */
  int st = lua_status(co);
  if (st != LUA_OK && st != LUA_YIELD) {
#if LUA_VERSION_RELEASE_NUM >= 50406
    st = lua_closethread(co, L);
#else
    st = lua_resetthread(co);
#endif
    lua_xmove(co, L, 1);
    if (lim->stopped) return stop(L, lim, NULL);
  }
  if (st != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* upvalue 1: the original coroutine.resume */
static int guarded_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, wrapped_call, 2);
  return 1;
}

/* replace field name of the table at idx by f with the original as upvalue 1 */
static void guard_field(lua_State *L, int idx, const char *name, lua_CFunction f) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, idx, name);
}

/* ---- sandbox refusals ---------------------------------------------------------------------- */
static int refuse(lua_State *L) {
  return luaL_error(L, "'%s' " SANDBOX_HINT, lua_tostring(L, lua_upvalueindex(1)));
}

static void push_refusal(lua_State *L, const char *name) {
  lua_pushstring(L, name);
  lua_pushcclosure(L, refuse, 1);
}

/* a stand-in for a library table: indexing, assigning or calling it raises the refusal */
static void set_blocked_table(lua_State *L, const char *name) {
  lua_newtable(L);
  lua_newtable(L);
  const char *events[] = {"__index", "__newindex", "__call", "__len", "__pairs"};
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    push_refusal(L, name);
    lua_setfield(L, -2, events[i]);
  }
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable"); /* the script cannot take the refusal off */
  lua_setmetatable(L, -2);
  lua_setglobal(L, name);
}

static int is_binary_chunk_msg(lua_State *L, int idx) {
  const char *m = lua_tostring(L, idx);
  return m && strstr(m, "attempt to load a binary chunk") != NULL;
}

/* load(chunk [, chunkname [, mode [, env]]]) in text mode only; upvalue 1: the original load */
static int sandbox_load(lua_State *L) {
  size_t len;
  const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
  if (s && len > 0 && s[0] == LUA_SIGNATURE[0])
    return luaL_error(L, "binary chunks are not allowed in sandboxed pipelines");
  if (lua_gettop(L) < 3) lua_settop(L, 3); /* keeps "env given" (argument 4) as the caller had it */
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  if (lua_isnil(L, 1) && is_binary_chunk_msg(L, 2)) /* a reader function produced one */
    return luaL_error(L, "binary chunks are not allowed in sandboxed pipelines");
  return lua_gettop(L);
}

/* Lua runs finalizers with hooks off, so a __gc could loop past the instruction limit; a table
 * only becomes finalizable through setmetatable with __gc already present, so refusing it here is
 * enough. Otherwise the base library's setmetatable, restated so errors point at the caller. */
static int sandbox_setmetatable(lua_State *L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "'__gc' metamethods " SANDBOX_HINT);
    lua_pop(L, 1);
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

static void open_sandboxed(lua_State *L) {
  static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base},        {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
  };
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    luaL_requiref(L, libs[i].name, libs[i].func, 1);
    lua_pop(L, 1);
  }
  const char *tables[] = {"io", "os", "debug", "package"};
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) set_blocked_table(L, tables[i]);
  const char *funcs[] = {"require", "dofile", "loadfile"};
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
    push_refusal(L, funcs[i]);
    lua_setglobal(L, funcs[i]);
  }
  lua_getglobal(L, LUA_STRLIBNAME);
  push_refusal(L, "string.dump");
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  lua_pushliteral(L, ""); /* the string metatable: its __index is the string library */
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_getglobal(L, "load");
  lua_pushcclosure(L, sandbox_load, 1);
  lua_setglobal(L, "load");
  lua_pushcfunction(L, sandbox_setmetatable);
  lua_setglobal(L, "setmetatable");
}

int ysg__lua_open_libs(lua_State *L) {
  int unsafe = lua_toboolean(L, 1);
  lua_settop(L, 0);
  if (unsafe)
    luaL_openlibs(L);
  else
    open_sandboxed(L);
  lua_pushcfunction(L, l_print);
  lua_setglobal(L, "print");
  lua_pushglobaltable(L);
  guard_field(L, -1, "pcall", guarded_pcall);
  guard_field(L, -1, "xpcall", guarded_xpcall);
  lua_getfield(L, -1, LUA_COLIBNAME);
  lua_getfield(L, -1, "resume");
  lua_pushcclosure(L, guarded_wrap, 1);
  lua_setfield(L, -2, "wrap");
  guard_field(L, -1, "resume", guarded_resume);
  guard_field(L, -1, "close", guarded_close);
  lua_getfield(L, -2, LUA_STRLIBNAME);
  lua_getfield(L, -3, LUA_TABLIBNAME);
  lua_getfield(L, -4, LUA_UTF8LIBNAME);
  ysg__lua_open_budgeted(L, -3, -2, -1);
  lua_pop(L, 5);
  return 0;
}
