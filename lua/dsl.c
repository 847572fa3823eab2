/* dsl.c — the Lua pipeline DSL: loading a script into a pipeline (ysg_pipeline_load_file/_string),
 * canvas{}, param() and --set defines, the DSL's error helpers, and the param source that calls
 * animated parameters' Lua functions once per frame under the instruction limit. Engine errors
 * raised through Lua keep the engine's message and status. Node constructors and handles are in
 * lua/construct.c. */
#include "dsl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "color.h"
#include "dsl_internal.h"

#define DEFAULT_MEMORY ((size_t)256 << 20)
#define DEFAULT_INSTRUCTIONS 200000000ull
#define DEFAULT_SECONDS 60.0
#define COLOR_SYNTAX "a colour (\"#rrggbb[aa]\" or {r,g,b[,a]})"

/* ---- messages ----------------------------------------------------------------------------- */
/* the calling Lua code's chunk name (as the user wrote it) and line */
void ysg__dsl_site(lua_State *L, const char **file, int *line) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      *file = (ar.source[0] == '=' || ar.source[0] == '@') ? ar.source + 1 : ar.short_src;
      *line = ar.currentline;
      return;
    }
  }
  *file = ysg__dsl_of(L)->chunk;
  *line = 0;
}

int ysg__dsl_throwf(lua_State *L, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  lua_pushstring(L, buf);
  return lua_error(L);
}

/* "FILE:LINE: " + message, FILE:LINE of the calling Lua code */
int ysg__dsl_throw_here(lua_State *L, const char *fmt, ...) {
  const char *file;
  int line;
  ysg__dsl_site(L, &file, &line);
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "%s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
  va_end(ap);
  lua_pushstring(L, buf);
  return lua_error(L);
}

/* an engine call failed: its message (already "FILE:LINE: node ...") goes up unchanged */
int ysg__dsl_engine_fail(lua_State *L, ysg_status s) {
  ysg__dsl *S = ysg__dsl_of(L);
  S->engine_status = s;
  snprintf(S->engine_msg, sizeof S->engine_msg, "%s", ysg_errmsg(S->ctx));
  lua_pushstring(L, S->engine_msg);
  return lua_error(L);
}

void ysg__dsl_check_loading(lua_State *L, const char *what) {
  ysg__dsl *S = ysg__dsl_of(L);
  if (!S->p || !S->loading)
    ysg__dsl_throw_here(L, "%s: only available while the pipeline script loads", what);
}

/* "got -5" for numbers, the type name otherwise */
const char *ysg__dsl_got(lua_State *L, int idx, char *buf, size_t cap) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (lua_isinteger(L, idx))
      snprintf(buf, cap, "%lld", (long long)lua_tointeger(L, idx));
    else
      snprintf(buf, cap, "%.14g", lua_tonumber(L, idx));
    return buf;
  }
  return luaL_typename(L, idx);
}

/* {r,g,b[,a]} in sRGB 0..1 -> rgba; 0, or 1 with the reason in err */
int ysg__dsl_color_table(lua_State *L, int idx, float rgba[4], char *err, size_t cap) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  if (n != 3 && n != 4) {
    snprintf(err, cap, "expected {r,g,b[,a]} with 3 or 4 numbers, got %lld entries", (long long)n);
    return 1;
  }
  rgba[3] = 1.0f;
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, idx, i + 1);
    int isnum = lua_type(L, -1) == LUA_TNUMBER;
    double x = lua_tonumber(L, -1);
    char g[64];
    if (!isnum || !(x >= 0.0 && x <= 1.0)) {
      snprintf(err, cap, "colour entry %d is %s, expected a number in 0..1", i + 1,
               ysg__dsl_got(L, -1, g, sizeof g));
      lua_pop(L, 1);
      return 1;
    }
    rgba[i] = (float)x;
    lua_pop(L, 1);
  }
  return 0;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the string keys of the table at idx, sorted, in a userdata left on the stack; NULL (nothing
 * left on the stack) when a key is not a string. Never raises. */
static const char **sorted_string_keys(lua_State *L, int idx, int *count) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      return NULL;
    }
    n++;
  }
  const char **keys = lua_newuserdatauv(L, sizeof *keys * (size_t)(n ? n : 1), 0);
  int k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    keys[k++] = lua_tostring(L, -1); /* anchored by the table */
  }
  qsort(keys, (size_t)k, sizeof *keys, cmp_key);
  *count = k;
  return keys;
}

/* NUMBERS and MAP values (a number, or a table) -> the parameter's text syntax; 0, or 1 with
 * the reason in err */
int ysg__dsl_table_text(lua_State *L, int idx, const ysg_param_def *d, char *buf, size_t cap,
                        char *err, size_t errcap) {
  char gb[64];
  size_t len = 0;
  buf[0] = 0;
  idx = lua_absindex(L, idx);
  if (d->kind == YSG_PARAM_NUMBERS) {
    if (lua_type(L, idx) == LUA_TNUMBER) {
      snprintf(buf, cap, "%.17g", lua_tonumber(L, idx));
      return 0;
    }
    if (lua_type(L, idx) != LUA_TTABLE) {
      snprintf(err, errcap, "expected a number or a list of numbers, got %s",
               ysg__dsl_got(L, idx, gb, sizeof gb));
      return 1;
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      count++;
    }
    if (n < 1 || n > YSG_NUMBERS_MAX || count != n) {
      snprintf(err, errcap, "expected a number or a list of 1 to %d numbers", YSG_NUMBERS_MAX);
      return 1;
    }
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      if (lua_type(L, -1) != LUA_TNUMBER) {
        snprintf(err, errcap, "entry %lld is %s, expected a number", (long long)i,
                 ysg__dsl_got(L, -1, gb, sizeof gb));
        lua_pop(L, 1);
        return 1;
      }
      if (len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.17g", i > 1 ? "," : "",
                                lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
    return 0;
  }
  int nk;
  if (lua_type(L, idx) != LUA_TTABLE) {
    snprintf(err, errcap, "expected a table of name = \"text\" pairs, got %s",
             ysg__dsl_got(L, idx, gb, sizeof gb));
    return 1;
  }
  const char **keys = sorted_string_keys(L, idx, &nk);
  if (!keys) {
    snprintf(err, errcap, "expected a table of name = \"text\" pairs, got a list entry");
    return 1;
  }
  for (int i = 0; i < nk; i++) {
    lua_getfield(L, idx, keys[i]);
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!v || !v[0] || strpbrk(v, ",=")) {
      snprintf(
          err, errcap, "'%s' is %s, expected a non-empty string without ',' or '='", keys[i],
          v ? (v[0] ? "a string with ',' or '='" : "empty") : ysg__dsl_got(L, -1, gb, sizeof gb));
      lua_pop(L, 2);
      return 1;
    }
    if (len < cap)
      len += (size_t)snprintf(buf + len, cap - len, "%s%s=%s", i ? "," : "", keys[i], v);
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* keys */
  return 0;
}

/* what a parameter of this kind accepts, for "expected ..." */
const char *ysg__dsl_expected(const ysg_param_def *d, char *buf, size_t cap) {
  static const char *const what[YSG_PARAM_KIND_COUNT] = {"a number",
                                                         "an integer",
                                                         "a boolean",
                                                         "a string",
                                                         NULL,
                                                         COLOR_SYNTAX,
                                                         "a file path (string)",
                                                         "an output file path (string)",
                                                         "a number or a list of numbers",
                                                         "a table of name = \"text\" pairs"};
  if ((unsigned)d->kind < YSG_PARAM_KIND_COUNT && what[d->kind]) return what[d->kind];
  snprintf(buf, cap, "one of %s", d->choices); /* ENUM, as the engine's parser says it */
  return buf;
}

/* ---- canvas{} ----------------------------------------------------------------------------- */
static int int_in(lua_State *L, int idx, int lo, int hi, const char *key) {
  char gb[64];
  double x = lua_tonumber(L, idx);
  if (lua_type(L, idx) != LUA_TNUMBER || x != floor(x) || x < lo || x > hi)
    ysg__dsl_throw_here(L, "canvas: '%s' expects an integer in %d..%d, got %s", key, lo, hi,
                        ysg__dsl_got(L, idx, gb, sizeof gb));
  return (int)x;
}

static const char *const canvas_keys[] = {"width", "height", "frames", "fps", "background"};

static int l_canvas(lua_State *L) {
  ysg__dsl *S = ysg__dsl_of(L);
  ysg__dsl_check_loading(L, "canvas");
  char gb[64], err[256];
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE)
    return ysg__dsl_throw_here(L, "canvas: expected a table, got %s", luaL_typename(L, 1));
  char pre[512];
  const char *file;
  int line, nk;
  ysg__dsl_site(L, &file, &line);
  snprintf(pre, sizeof pre, "%s:%d: canvas", file, line);
  const char **keys = ysg__dsl_sorted_keys(L, 1, &nk, pre, 0);
  for (int i = 0; i < nk; i++) {
    int known = 0;
    for (size_t j = 0; j < sizeof canvas_keys / sizeof *canvas_keys; j++)
      known |= strcmp(keys[i], canvas_keys[j]) == 0;
    if (!known)
      return ysg__dsl_throwf(
          L, "%s: unknown key '%s' (known: width, height, frames, fps, background)", pre, keys[i]);
  }
  lua_settop(L, 1);
  ysg_canvas *c = &S->p->canvas;
  if (lua_getfield(L, 1, "background") != LUA_TNIL) {
    float srgb[4], lin[4];
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE) {
      if (ysg__dsl_color_table(L, lua_gettop(L), srgb, err, sizeof err))
        return ysg__dsl_throwf(L, "%s: 'background': %s", pre, err);
      ysg__srgb_to_linear_rgba(srgb, lin);
    } else if (t != LUA_TSTRING || !ysg__parse_color(lua_tostring(L, -1), lin)) {
      return ysg__dsl_throwf(L, "%s: 'background' expects " COLOR_SYNTAX ", got %s", pre,
                             t == LUA_TSTRING ? lua_pushfstring(L, "'%s'", lua_tostring(L, -1))
                                              : ysg__dsl_got(L, -1, gb, sizeof gb));
    }
    ysg_premultiply(lin, c->background);
  }
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "fps") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0) ||
        !isfinite(lua_tonumber(L, -1)))
      return ysg__dsl_throw_here(L, "canvas: 'fps' expects a number > 0, got %s",
                                 ysg__dsl_got(L, -1, gb, sizeof gb));
    c->fps = lua_tonumber(L, -1);
    S->p->canvas_fps_set = 1;
  }
  if (lua_getfield(L, 1, "frames") != LUA_TNIL) {
    c->frames = int_in(L, -1, 1, 10000000, "frames");
    S->p->canvas_frames_set = 1;
  }
  if (lua_getfield(L, 1, "height") != LUA_TNIL) {
    c->height = int_in(L, -1, 1, 32768, "height");
    S->p->canvas_size_set = 1;
  }
  if (lua_getfield(L, 1, "width") != LUA_TNIL) {
    c->width = int_in(L, -1, 1, 32768, "width");
    S->p->canvas_size_set = 1;
  }
  return 0;
}

/* ---- param() and --set defines ------------------------------------------------------------ */
static int l_param(lua_State *L) {
  ysg__dsl *S = ysg__dsl_of(L);
  ysg__dsl_check_loading(L, "param");
  char gb[64];
  if (lua_type(L, 1) != LUA_TSTRING)
    return ysg__dsl_throw_here(L, "param: expected a name (string), got %s",
                               ysg__dsl_got(L, 1, gb, sizeof gb));
  const char *name = lua_tostring(L, 1);
  if (strchr(name, '.') || !name[0])
    return ysg__dsl_throw_here(L, "param: '%s' is not a valid name (no '.', not empty)", name);
  int type = lua_type(L, 2);
  if (type != LUA_TNUMBER && type != LUA_TBOOLEAN && type != LUA_TSTRING)
    return ysg__dsl_throw_here(
        L, "param '%s': the default must be a number, a boolean or a string, got %s", name,
        ysg__dsl_got(L, 2, gb, sizeof gb));
  const char *value = NULL;
  for (int i = 0; i < S->n_defines; i++) {
    if (!S->defines[i].name || strcmp(S->defines[i].name, name) != 0) continue;
    S->used[i] = 1;
    value = S->defines[i].value ? S->defines[i].value : "";
  }
  lua_settop(L, 2);
  if (!value) return 1;
  if (type == LUA_TNUMBER) {
    if (!lua_stringtonumber(L, value))
      ysg__dsl_throwf(L, "--set %s=%s: expected a number", name, value);
  } else if (type == LUA_TBOOLEAN) {
    int b = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
    if (!b && strcmp(value, "false") != 0 && strcmp(value, "0") != 0)
      ysg__dsl_throwf(L, "--set %s=%s: expected a boolean (true, false, 1 or 0)", name, value);
    lua_pushboolean(L, b);
  } else {
    lua_pushstring(L, value);
  }
  return 1;
}

/* after the script: "node.param" defines set node parameters; plain ones must have been used */
static void apply_defines(lua_State *L, ysg__dsl *S) {
  for (int i = 0; i < S->n_defines; i++) {
    const ysg_define *d = &S->defines[i];
    if (!d->name) continue;
    const char *v = d->value ? d->value : "";
    const char *dot = strrchr(d->name, '.');
    if (!dot) {
      if (!S->used[i])
        ysg__dsl_throwf(L, "--set %s: the pipeline has no param '%s'", d->name, d->name);
      continue;
    }
    char node[256];
    snprintf(node, sizeof node, "%.*s", (int)(dot - d->name), d->name);
    ysg_node *n = ysg__node_find(S->p, node);
    if (!n) ysg__dsl_throwf(L, "--set %s=%s: no node named '%s'", d->name, v, node);
    const ysg_node_type *t = ysg_node_get_type(n);
    int param = ysg__param_index(t, dot + 1);
    if (param < 0)
      ysg__dsl_throwf(L, "--set %s=%s: node '%s' (%s) has no parameter '%s'", d->name, v, node,
                      t->name, dot + 1);
    ysg_status s = ysg__node_set_param_text(n, param, v);
    if (s) ysg__dsl_engine_fail(L, s);
  }
}

/* ---- loading ------------------------------------------------------------------------------ */
static void install_dsl(lua_State *L, ysg__dsl *S) {
  ysg__dsl_install_constructors(L, S->ctx);
  lua_pushcfunction(L, l_canvas);
  lua_setglobal(L, "canvas");
  lua_pushcfunction(L, l_param);
  lua_setglobal(L, "param");
}

/* runs protected: libraries, DSL, the chunk, then the defines. arg 1: source (light), 2: length */
static int boot(lua_State *L) {
  ysg__dsl *S = ysg__dsl_of(L);
  const char *src = lua_touserdata(L, 1);
  size_t len = (size_t)lua_tointeger(L, 2);
  lua_settop(L, 0);
  lua_pushcfunction(L, ysg__lua_open_libs);
  lua_pushboolean(L, S->unsafe);
  lua_call(L, 1, 0);
  install_dsl(L, S);
  if (!S->unsafe && len > 0 && src[0] == LUA_SIGNATURE[0])
    ysg__dsl_throwf(L, "%s: binary chunks are not allowed in sandboxed pipelines", S->chunk);
  lua_pushfstring(L, "=%s", S->chunk);
  if (luaL_loadbufferx(L, src, len, lua_tostring(L, -1), S->unsafe ? "bt" : "t") != LUA_OK)
    return lua_error(L);
  lua_call(L, 0, 0);
  S->loading = 0;
  apply_defines(L, S);
  return 0;
}

static ysg_status eval(void *ud, ysg_node *n, int port, int k, int param, const ysg_param_def *def,
                       ysg_param_value *v, const ysg_frame *f);

static void dsl_destroy(void *ud) {
  ysg__dsl *S = ud;
  ysg_context *ctx = S->ctx;
  S->p = NULL; /* finalizers that run during lua_close must not reach freed nodes */
  if (S->L) {
    ysg__lua_arm(S->L);
    lua_close(S->L);
  }
  ysg__free(ctx, S->used);
  ysg__free(ctx, S->counters);
  ysg__free(ctx, S->chunk);
  ysg__free(ctx, S);
}

/* "FILE:LINE: attempt to call a nil value (global 'point')" -> "FILE:LINE: unknown node type
 * 'point' (did you mean 'points'?)" when a node type is that close; NULL otherwise. Only calls of
 * a global say this: reading an unset global stays nil, as in Lua. */
static const char *misspelt_type(ysg__dsl *S, const char *m, char *buf, size_t cap) {
  static const char pat[] = "attempt to call a nil value (global '";
  const char *at = strstr(m, pat);
  if (!at) return NULL;
  const char *name = at + sizeof pat - 1, *end = strchr(name, '\'');
  char type[128];
  if (!end || strcmp(end, "')") != 0 || (size_t)(end - name) >= sizeof type) return NULL;
  memcpy(type, name, (size_t)(end - name));
  type[end - name] = 0;
  const char *close = ysg__closest_type(S->ctx, type);
  if (!close) return NULL;
  snprintf(buf, cap, "%.*sunknown node type '%s' (did you mean '%s'?)", (int)(at - m), m, type,
           close);
  return buf;
}

/* the failed pcall's status and message -> the context */
static ysg_status lua_failure(ysg__dsl *S, int st) {
  lua_State *L = S->L;
  char buf[YSG_ERRMSG_CAP];
  if (ysg__lua_limit_message(L, st, S->chunk, buf, sizeof buf))
    return ysg__seterr(S->ctx, YSG_ERR_LIMIT, "%s", buf);
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error";
  size_t lm = strlen(m), le = strlen(S->engine_msg); /* the handler may have put a line first */
  if (S->engine_status && le && lm >= le && strcmp(m + lm - le, S->engine_msg) == 0)
    return ysg__seterr(S->ctx, S->engine_status, "%s", m);
  if (st == LUA_ERRMEM || st == LUA_ERRERR) /* no message handler ran: no line */
    return ysg__seterr(S->ctx, st == LUA_ERRMEM ? YSG_ERR_NOMEM : YSG_ERR_PIPELINE, "%s: %s",
                       S->chunk, m);
  if (misspelt_type(S, m, buf, sizeof buf)) m = buf;
  return ysg__seterr(S->ctx, YSG_ERR_PIPELINE, "%s", m);
}

ysg_status ysg__dsl_load(ysg_context *ctx, const char *source, size_t len, const char *chunk,
                         int from_file, const ysg_load_options *opt, ysg_pipeline **out) {
  *out = NULL;
  ysg_pipeline *p = NULL;
  ysg_status s = ysg__pipeline_new(ctx, chunk, opt, &p);
  if (s) return s;
  if (!from_file) { /* a chunk name is no location: input paths resolve from "." */
    ysg__free(ctx, p->dir);
    p->dir = ysg__strdup(ctx, ".");
  }
  ysg__dsl *S = p->dir ? ysg__alloc(ctx, sizeof *S) : NULL;
  if (!S) {
    ysg_pipeline_destroy(p);
    return YSG_ERR_NOMEM;
  }
  S->ctx = ctx;
  S->p = p;
  S->unsafe = opt->unsafe;
  S->lim.ctx = ctx;
  S->lim.owner = S;
  S->lim.mem_limit = opt->lua_memory_limit;
  S->lim.instr_limit = opt->lua_instruction_limit;
  S->lim.time_limit = opt->lua_time_limit;
  p->params.eval = eval;
  p->params.destroy = dsl_destroy;
  p->params.ud = S;
  S->defines = opt->defines;
  S->n_defines = opt->defines ? opt->n_defines : 0;
  S->chunk = ysg__strdup(ctx, chunk);
  S->used = ysg__alloc(ctx, (size_t)S->n_defines + 1);
  S->counters = ysg__alloc(ctx, sizeof(int) * ((size_t)ysg_node_type_count(ctx) + 1));
  if (!S->chunk || !S->used || !S->counters) goto fail;
  S->L = ysg__lua_newstate(&S->lim);
  if (!S->L) {
    if (S->lim.mem_hit)
      ysg__seterr(ctx, YSG_ERR_LIMIT, "%s: memory limit of %g MiB exceeded", chunk,
                  (double)opt->lua_memory_limit / (1024.0 * 1024.0));
    else
      ysg__seterr(ctx, YSG_ERR_NOMEM, "%s: cannot create a Lua state", chunk);
    goto fail;
  }
  S->loading = 1;
  lua_State *L = S->L;
  /* nothing that allocates runs outside lua_pcall: a memory error there would have no handler */
  lua_pushcfunction(L, ysg__lua_msgh);
  lua_pushcfunction(L, boot);
  lua_pushlightuserdata(L, (void *)source);
  lua_pushinteger(L, (lua_Integer)len);
  ysg__lua_arm(L);
  int st = lua_pcall(L, 2, 0, 1);
  S->loading = 0;
  S->defines = NULL;
  if (st != LUA_OK) {
    lua_failure(S, st);
    goto fail;
  }
  lua_settop(L, 0);
  s = ysg__pipeline_finalize(p);
  if (s) {
    ysg_pipeline_destroy(p);
    return s;
  }
  *out = p;
  return YSG_OK;
fail:
  s = ysg_errcode(ctx);
  ysg_pipeline_destroy(p);
  return s ? s : YSG_ERR_NOMEM;
}

/* ---- the param source: animated parameters each frame ------------------------------------- */
static ysg_status eval_fail(ysg__dsl *S, ysg_node *n, int port, int k, const ysg_param_def *def,
                            int ref, const ysg_frame *f, ysg_status s, const char *fmt, ...) {
  lua_State *L = S->L;
  lua_Debug ar;
  const char *file = S->chunk;
  int line = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (lua_getinfo(L, ">S", &ar)) { /* the function stays alive in the registry */
    file = (ar.source[0] == '=' || ar.source[0] == '@') ? ar.source + 1 : ar.short_src;
    line = ar.linedefined;
  }
  const ysg_node_type *t = ysg_node_get_type(n);
  char what[512], msg[1024];
  if (port < 0)
    snprintf(what, sizeof what, "parameter '%s'", def->name);
  else
    snprintf(what, sizeof what, "input '%s[%d]' parameter '%s'", t->inputs[port].name, k + 1,
             def->name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ysg__seterr(S->ctx, s, "%s:%d: node '%s' (%s): %s at frame %d: %s", file, line,
                     ysg_node_name(n), t->name, what, f->index, msg);
}

static ysg_status eval(void *ud, ysg_node *n, int port, int k, int param, const ysg_param_def *def,
                       ysg_param_value *v, const ysg_frame *f) {
  (void)param;
  ysg__dsl *S = ud;
  lua_State *L = S->L;
  int base = lua_gettop(L);
  int ref = v->anim_ref;
  char err[1024], gb[64], eb[256];
  ysg_status s = YSG_OK;
  if (!lua_checkstack(L, 8))
    return eval_fail(S, n, port, k, def, ref, f, YSG_ERR_NOMEM, "Lua stack overflow");
  lua_pushcfunction(L, ysg__lua_msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_pushinteger(L, f->index);
  lua_pushnumber(L, f->time);
  ysg__lua_arm(L);
  int st = lua_pcall(L, 2, 1, base + 1);
  if (st != LUA_OK) { /* the pipeline's code failed: a pipeline error, as a bad value is */
    s = ysg__lua_limit_message(L, st, NULL, err, sizeof err) ? YSG_ERR_LIMIT
        : st == LUA_ERRMEM                                   ? YSG_ERR_NOMEM
                                                             : YSG_ERR_PIPELINE;
    if (s != YSG_ERR_LIMIT)
      snprintf(err, sizeof err, "%s",
               lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error");
    s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
    lua_settop(L, base);
    return s;
  }
  int r = base + 2, type = lua_type(L, r);
  switch (def->kind) {
    case YSG_PARAM_NUMBER:
    case YSG_PARAM_INT:
    case YSG_PARAM_BOOL: {
      double x;
      if (def->kind == YSG_PARAM_BOOL && type == LUA_TBOOLEAN) {
        x = lua_toboolean(L, r);
      } else if (def->kind != YSG_PARAM_BOOL && type == LUA_TNUMBER &&
                 (def->kind == YSG_PARAM_NUMBER ||
                  lua_tonumber(L, r) == floor(lua_tonumber(L, r)))) {
        x = lua_tonumber(L, r);
      } else {
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_PIPELINE,
                      "function returned %s, expected %s", ysg__dsl_got(L, r, gb, sizeof gb),
                      ysg__dsl_expected(def, eb, sizeof eb));
        break;
      }
      s = ysg__param_check_number(def, x, err, sizeof err);
      if (s)
        s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
      else
        v->num = x;
      break;
    }
    case YSG_PARAM_NUMBERS:
    case YSG_PARAM_MAP: {
      char text[1024];
      if (ysg__dsl_table_text(L, r, def, text, sizeof text, err, sizeof err)) {
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_RUNTIME, "function returned %s", err);
        break;
      }
      if (v->str && strcmp(v->str, text) == 0) break;
      s = ysg__param_parse(S->ctx, def, text, v, err, sizeof err);
      if (s) s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
      break;
    }
    case YSG_PARAM_COLOR:
      if (type == LUA_TTABLE) {
        float srgb[4];
        if (ysg__dsl_color_table(L, r, srgb, err, sizeof err))
          s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_PIPELINE,
                        "function returned a bad colour: %s", err);
        else
          ysg__srgb_to_linear_rgba(srgb, v->rgba);
        break;
      }
      if (type == LUA_TSTRING && !ysg__parse_color(lua_tostring(L, r), v->rgba))
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_PIPELINE,
                      "function returned '%s', expected " COLOR_SYNTAX, lua_tostring(L, r));
      if (type == LUA_TSTRING) break;
      /* fall through - to the type error */
    default: {
      char num[64]; /* an ENUM with numeric choices takes a number (bits = 16) */
      const char *text = type == LUA_TSTRING ? lua_tostring(L, r)
                         : type == LUA_TNUMBER && def->kind == YSG_PARAM_ENUM
                             ? ysg__number_text(lua_tonumber(L, r), num, sizeof num)
                             : NULL;
      if (!text) {
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_PIPELINE,
                      "function returned %s, expected %s", ysg__dsl_got(L, r, gb, sizeof gb),
                      ysg__dsl_expected(def, eb, sizeof eb));
        break;
      }
      /* unchanged text needs no parse (and no allocation) */
      if (v->str && strcmp(v->str, text) == 0) break;
      s = ysg__param_parse(S->ctx, def, text, v, err, sizeof err);
      if (s) s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
      break;
    }
  }
  lua_settop(L, base);
  return s;
}

/* ---- public entry points ------------------------------------------------------------------ */
static ysg_status resolve_options(ysg_context *ctx, const ysg_load_options *opt,
                                  ysg_load_options *lo) {
  ysg_status s = ysg__load_options_copy(ctx, opt, lo);
  if (!lo->lua_memory_limit) lo->lua_memory_limit = DEFAULT_MEMORY;
  if (!lo->lua_instruction_limit) lo->lua_instruction_limit = DEFAULT_INSTRUCTIONS;
  if (!(lo->lua_time_limit > 0)) lo->lua_time_limit = DEFAULT_SECONDS;
  return s;
}

ysg_status ysg_pipeline_load_string(ysg_context *ctx, const char *source, const char *chunkname,
                                    const ysg_load_options *opt, ysg_pipeline **out) {
  if (out) *out = NULL;
  if (!ctx) return YSG_ERR_INVALID;
  if (!source || !out)
    return ysg__seterr(ctx, YSG_ERR_INVALID,
                       "ysg_pipeline_load_string: source and out are required");
  ysg_load_options lo;
  ysg_status s = resolve_options(ctx, opt, &lo);
  if (s) return s;
  const char *name = chunkname ? chunkname : "pipeline";
  return ysg__dsl_load(ctx, source, strlen(source), name, 0, &lo, out);
}

ysg_status ysg_pipeline_load_file(ysg_context *ctx, const char *path, const ysg_load_options *opt,
                                  ysg_pipeline **out) {
  if (out) *out = NULL;
  if (!ctx) return YSG_ERR_INVALID;
  if (!path || !out)
    return ysg__seterr(ctx, YSG_ERR_INVALID, "ysg_pipeline_load_file: path and out are required");
  char *buf;
  const char *src;
  size_t len;
  ysg_status s = ysg__lua_read_script(ctx, path, &buf, &src, &len);
  if (s) return s;
  ysg_load_options lo;
  if ((s = resolve_options(ctx, opt, &lo))) {
    ysg__free(ctx, buf);
    return s;
  }
  s = ysg__dsl_load(ctx, src, len, path, 1, &lo, out);
  ysg__free(ctx, buf);
  return s;
}
