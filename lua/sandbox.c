/* sandbox.c — the Lua state pipeline scripts run in: a memory-capped allocator over the context's
 * allocator, the instruction-count hook, the sandboxed library set (or all of it with --unsafe),
 * refusals with a clear message for what the sandbox removes, and print/warn routed to the log. */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_STEP 10000 /* instructions between hook calls: the limit is exact to this many */
#define SANDBOX_HINT "is not available in sandboxed pipelines (run with --unsafe to allow it)"

ysg__lua_limits *ysg__lua_limits_of(lua_State *L) {
  ysg__lua_limits *lim;
  memcpy(&lim, lua_getextraspace(L), sizeof lim);
  return lim;
}

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
    return NULL;
  }
  void *np = ysg__alloc_aligned(lim->ctx, nsize, 16);
  if (!np) return NULL;
  if (ptr) {
    memcpy(np, ptr, old);
    ysg__free(lim->ctx, ptr);
  }
  lim->mem_used += nsize - old;
  return np;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  uint64_t step = lim->instr_limit < HOOK_STEP ? lim->instr_limit : HOOK_STEP;
  lim->instr_used += step;
  if (lim->instr_used < lim->instr_limit) return;
  if (!lim->instr_hit) {
    lim->instr_hit = 1;
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) /* the chunk name as the user gave it */
      snprintf(lim->msg, sizeof lim->msg, "%s:%d: ",
               ar->source[0] == '=' || ar->source[0] == '@' ? ar->source + 1 : ar->short_src,
               ar->currentline);
    else
      lim->msg[0] = 0;
    size_t n = strlen(lim->msg);
    snprintf(lim->msg + n, sizeof lim->msg - n,
             "instruction limit of %llu exceeded (infinite loop?)",
             (unsigned long long)lim->instr_limit);
  }
  lua_pushstring(L, lim->msg);
  lua_error(L);
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
  lim->instr_hit = 0;
  lim->mem_hit = 0;
  uint64_t step = lim->instr_limit < HOOK_STEP ? lim->instr_limit : HOOK_STEP;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, (int)(step ? step : 1)); /* also resets the count */
}

int ysg__lua_limit_message(lua_State *L, int status, const char *chunk, char *buf, size_t cap) {
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (status == LUA_OK) return 0;
  if (lim->instr_hit) {
    snprintf(buf, cap, "%s", lim->msg);
    return 1;
  }
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (lim->mem_hit && (status == LUA_ERRMEM || (m && strcmp(m, "not enough memory") == 0))) {
    snprintf(buf, cap, "%s%smemory limit of %g MiB exceeded", chunk ? chunk : "", chunk ? ": " : "",
             (double)lim->mem_limit / (1024.0 * 1024.0));
    return 1;
  }
  return 0;
}

int ysg__lua_msgh(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING) return 1;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
  if (lua_type(L, 1) == LUA_TNUMBER) {
    luaL_tolstring(L, 1, NULL);
    return 1;
  }
  lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
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

/* ---- calls that catch errors must not catch a stopped instruction limit -------------------- */
static int rethrow_k(lua_State *L, int status, lua_KContext k) {
  (void)status;
  (void)k;
  ysg__lua_limits *lim = ysg__lua_limits_of(L);
  if (lim->instr_hit) {
    lua_pushstring(L, lim->msg);
    return lua_error(L);
  }
  return lua_gettop(L);
}

/* upvalue 1: the original pcall / xpcall / coroutine.resume */
static int guarded(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, rethrow_k);
  return rethrow_k(L, LUA_OK, 0);
}

/* wrap field name of the table at idx with guarded */
static void guard_field(lua_State *L, int idx, const char *name) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, name);
  lua_pushcclosure(L, guarded, 1);
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
  guard_field(L, -1, "pcall");
  guard_field(L, -1, "xpcall");
  lua_getfield(L, -1, LUA_COLIBNAME);
  guard_field(L, -1, "resume");
  lua_pop(L, 2);
  return 0;
}
