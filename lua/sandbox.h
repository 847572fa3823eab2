/* sandbox.h — the Lua state a pipeline script runs in: an allocator that enforces the memory cap
 * (through the context's allocator), an instruction-count hook that enforces the instruction limit,
 * the sandboxed or unsafe standard libraries, and print/warn routed to the context log
 * (ARCHITECTURE §9). The DSL (lua/dsl.c) builds on this. */
#ifndef YSG_LUA_SANDBOX_H
#define YSG_LUA_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "internal.h"

/* One per lua_State; reachable from any thread of the state through its extra space. */
typedef struct ysg__lua_limits {
  ysg_context *ctx;
  size_t mem_limit, mem_used; /* bytes, as Lua accounts them */
  uint64_t instr_limit;       /* per armed run (script or callback) */
  uint64_t instr_used;
  int mem_hit;    /* an allocation was refused because of the cap */
  int instr_hit;  /* the instruction limit stopped the running code */
  char msg[256];  /* "FILE:LINE: instruction limit of N exceeded (infinite loop?)" */
  char warn[512]; /* a warning being assembled from its pieces */
  size_t warn_len;
  void *owner; /* the DSL's state */
} ysg__lua_limits;

/* A new state whose memory is capped by lim->mem_limit; NULL when even that fails. The count hook
 * is installed; arm it before each run with ysg__lua_arm. */
lua_State *ysg__lua_newstate(ysg__lua_limits *lim);
ysg__lua_limits *ysg__lua_limits_of(lua_State *L);

/* Open the libraries: sandboxed (base, table, string, math, utf8, coroutine; io/os/debug/package/
 * require/dofile/loadfile/string.dump refused with a message; load text-only) or everything.
 * Both route print and warn to the log and make pcall/xpcall/coroutine.resume re-raise a
 * stopped instruction limit, so a script cannot catch it and run on. Runs unprotected: call it
 * through lua_pcall (it may raise a memory error). */
int ysg__lua_open_libs(lua_State *L); /* a lua_CFunction; argument 1: boolean unsafe */

/* Reset the per-run counters before running the script or a callback. */
void ysg__lua_arm(lua_State *L);

/* "FILE: memory limit of N MiB exceeded" / the instruction-limit message into buf when status
 * (of a pcall) came from a limit; returns 1 then, 0 otherwise. chunk names the script (NULL: the
 * memory message has no "FILE: " prefix). */
int ysg__lua_limit_message(lua_State *L, int status, const char *chunk, char *buf, size_t cap);

/* Message handler for lua_pcall: error objects become strings (a __tostring, a number, or
 * "(error object is a table value)"); no traceback, messages stay as Lua wrote them. */
int ysg__lua_msgh(lua_State *L);

/* Read a script file: *buf (free with ysg__free) holds it, *src and *len the text past a UTF-8 BOM
 * and a "#!" line (whose newline stays, so line numbers hold). YSG_ERR_IO "cannot open 'x.lua':
 * ..." */
ysg_status ysg__lua_read_script(ysg_context *ctx, const char *path, char **buf, const char **src,
                                size_t *len);

#endif /* YSG_LUA_SANDBOX_H */
