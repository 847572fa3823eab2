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
  uint64_t instr_used;        /* instructions, pattern-matching steps and table moves so far */
  double time_limit;          /* seconds of wall-clock time per armed run */
  double deadline;            /* CLOCK_MONOTONIC seconds at which the armed run stops */
  lua_State *running;         /* the thread running Lua code now (NULL between runs) */
  int mem_hit;                /* an allocation was refused because of the cap */
  int stopped;   /* the instruction or time limit stopped the run; sticky until the next arm */
  char msg[256]; /* "FILE:LINE: instruction limit of N exceeded (infinite loop?)" */
  char mem_where[256]; /* "FILE:LINE: " of the first refused allocation, or "" */
  char warn[512];      /* a warning being assembled from its pieces */
  size_t warn_len;
  void *owner; /* the DSL's state */
} ysg__lua_limits;

/* A new state whose memory is capped by lim->mem_limit; NULL when even that fails. The count hook
 * is installed; arm it before each run with ysg__lua_arm. */
lua_State *ysg__lua_newstate(ysg__lua_limits *lim);
ysg__lua_limits *ysg__lua_limits_of(lua_State *L);

/* Open the libraries: sandboxed (base, table, string, math, utf8, coroutine; io/os/debug/package/
 * require/dofile/loadfile/string.dump refused with a message; load text-only; the string
 * metatable protected) or everything. Both route print and warn to the log, make pcall/xpcall/
 * coroutine.resume/wrap/close re-raise a stopped run (so a script cannot catch the limit and run
 * on, and no message handler or __close runs without the hook), and replace string.find/match/
 * gmatch/gsub and table.insert/remove/move with versions whose C loops charge the instruction
 * budget (lua/sandbox_lib.c). Runs unprotected: call it through lua_pcall (it may raise a memory
 * error). */
int ysg__lua_open_libs(lua_State *L); /* a lua_CFunction; argument 1: boolean unsafe */

/* Reset the per-run counters and the deadline before running the script or a callback on L. */
void ysg__lua_arm(lua_State *L);

/* Charge n units of work done inside a C function to the instruction budget; raises the limit
 * error (instruction or time) when the run is over either. */
void ysg__lua_charge(lua_State *L, uint64_t n);

/* The budgeted library functions (lua/sandbox_lib.c): replaces string.find/match/gmatch/gsub in
 * the string library and insert/remove/move in the table library with versions that charge their
 * loops to the budget; table.sort, utf8.len and utf8.offset check the limits when they return. */
void ysg__lua_open_budgeted(lua_State *L, int string_lib, int table_lib, int utf8_lib);

/* "FILE: memory limit of N MiB exceeded" / the instruction-limit message into buf when status
 * (of a pcall) came from a limit; returns 1 then, 0 otherwise. chunk names the script (NULL: the
 * memory message has no "FILE: " prefix). */
int ysg__lua_limit_message(lua_State *L, int status, const char *chunk, char *buf, size_t cap);

/* Message handler for lua_pcall: error objects become one-line strings with the FILE:LINE of the
 * Lua code that raised them when they lack one (a __tostring, a number, or "(error object is a
 * table value)"); no traceback. */
int ysg__lua_msgh(lua_State *L);

/* Read a script file: *buf (free with ysg__free) holds it, *src and *len the text past a UTF-8 BOM
 * and a "#!" line (whose newline stays, so line numbers hold). YSG_ERR_IO "cannot open 'x.lua':
 * ..." */
ysg_status ysg__lua_read_script(ysg_context *ctx, const char *path, char **buf, const char **src,
                                size_t *len);

#endif /* YSG_LUA_SANDBOX_H */
