/* dsl_internal.h — what the DSL's two halves share: the per-pipeline DSL state, the helpers that
 * raise Lua errors in the DSL's message style (lua/dsl.c), and the node constructors with their
 * node/port handles (lua/construct.c). Private to lua/. */
#ifndef YSG_LUA_DSL_INTERNAL_H
#define YSG_LUA_DSL_INTERNAL_H

#include <stddef.h>

#include <lua.h>

#include "internal.h"
#include "sandbox.h"

#if defined(__GNUC__)
#define YSG__DSL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YSG__DSL_PRINTF(f, a)
#endif

typedef struct ysg__dsl {
  ysg__lua_limits lim;
  ysg_context *ctx;
  ysg_pipeline *p; /* NULL once the pipeline is being destroyed */
  lua_State *L;
  char *chunk; /* script name as shown in messages */
  int loading; /* constructors, canvas and param work only while the script loads */
  int unsafe;
  const ysg_define *defines; /* valid during the load only */
  int n_defines;
  unsigned char *used; /* (n_defines) consumed by a param() call */
  int *counters;       /* (n_types) nodes made per type, for default names */
  ysg_status engine_status;
  char engine_msg[YSG_ERRMSG_CAP]; /* the last engine failure raised through Lua */
} ysg__dsl;

static inline ysg__dsl *ysg__dsl_of(lua_State *L) { return ysg__lua_limits_of(L)->owner; }

/* ---- messages (lua/dsl.c); the raising ones never return ------------------------------------ */
/* the calling Lua code's chunk name (as the user wrote it) and line */
void ysg__dsl_site(lua_State *L, const char **file, int *line);
int ysg__dsl_throwf(lua_State *L, const char *fmt, ...) YSG__DSL_PRINTF(2, 3);
/* "FILE:LINE: " + message, FILE:LINE of the calling Lua code */
int ysg__dsl_throw_here(lua_State *L, const char *fmt, ...) YSG__DSL_PRINTF(2, 3);
/* an engine call failed: its message (already "FILE:LINE: node ...") goes up unchanged */
int ysg__dsl_engine_fail(lua_State *L, ysg_status s);
/* raises "<what>: only available while the pipeline script loads" outside the load */
void ysg__dsl_check_loading(lua_State *L, const char *what);
/* "got -5" for numbers, the type name otherwise */
const char *ysg__dsl_got(lua_State *L, int idx, char *buf, size_t cap);
/* {r,g,b[,a]} in sRGB 0..1 -> rgba; 0, or 1 with the reason in err */
int ysg__dsl_color_table(lua_State *L, int idx, float rgba[4], char *err, size_t cap);
/* NUMBERS and MAP values (a number, or a table) -> the parameter's text syntax; 0, or 1 with
 * the reason in err. Never raises. */
int ysg__dsl_table_text(lua_State *L, int idx, const ysg_param_def *d, char *buf, size_t cap,
                        char *err, size_t errcap);
/* what a parameter of this kind accepts, for "expected ..." */
const char *ysg__dsl_expected(const ysg_param_def *d, char *buf, size_t cap);

/* ---- constructors and handles (lua/construct.c) --------------------------------------------- */
/* The string keys of the table at idx, sorted (so errors do not depend on hash order), in a
 * userdata left on the stack. Other keys raise "<pre>: unexpected positional value [k] ...", except
 * [1] when skip_first (a link entry's producer). */
const char **ysg__dsl_sorted_keys(lua_State *L, int idx, int *count, const char *pre,
                                  int skip_first);
/* The "ysg.node" / "ysg.port" metatables and one constructor global per registered node type;
 * a type whose name is already a global, "canvas" or "param" gets none. */
void ysg__dsl_install_constructors(lua_State *L, ysg_context *ctx);

#endif /* YSG_LUA_DSL_INTERNAL_H */
