/* dsl.c — the Lua pipeline DSL: loading a script into a pipeline (ysg_pipeline_load_file/_string),
 * canvas{}, param() and --set defines, one constructor global per node type, node and port handles
 * ("ysg.node" / "ysg.port" userdata), and the param source that calls animated parameters' Lua
 * functions once per frame under the instruction limit. Engine errors raised through Lua keep the
 * engine's message and status. */
#include "dsl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "color.h"
#include "sandbox.h"

#define NODE_MT "ysg.node"
#define PORT_MT "ysg.port"
#define DEFAULT_MEMORY ((size_t)256 << 20)
#define DEFAULT_INSTRUCTIONS 200000000ull
#define COLOR_SYNTAX "a colour (\"#rrggbb[aa]\" or {r,g,b[,a]})"

typedef struct dsl {
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
} dsl;

typedef struct port_handle {
  ysg_node *n;
  int port;
} port_handle;

static dsl *dsl_of(lua_State *L) { return ysg__lua_limits_of(L)->owner; }

/* ---- messages ----------------------------------------------------------------------------- */
/* the calling Lua code's chunk name (as the user wrote it) and line */
static void site(lua_State *L, const char **file, int *line) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      *file = (ar.source[0] == '=' || ar.source[0] == '@') ? ar.source + 1 : ar.short_src;
      *line = ar.currentline;
      return;
    }
  }
  *file = dsl_of(L)->chunk;
  *line = 0;
}

static int throwf(lua_State *L, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  lua_pushstring(L, buf);
  return lua_error(L);
}

/* "FILE:LINE: " + message, FILE:LINE of the calling Lua code */
static int throw_here(lua_State *L, const char *fmt, ...) {
  const char *file;
  int line;
  site(L, &file, &line);
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
static int engine_fail(lua_State *L, ysg_status s) {
  dsl *S = dsl_of(L);
  S->engine_status = s;
  snprintf(S->engine_msg, sizeof S->engine_msg, "%s", ysg_errmsg(S->ctx));
  lua_pushstring(L, S->engine_msg);
  return lua_error(L);
}

static void check_loading(lua_State *L, const char *what) {
  dsl *S = dsl_of(L);
  if (!S->p || !S->loading)
    throw_here(L, "%s: only available while the pipeline script loads", what);
}

/* "got -5" for numbers, the type name otherwise */
static const char *got(lua_State *L, int idx, char *buf, size_t cap) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (lua_isinteger(L, idx))
      snprintf(buf, cap, "%lld", (long long)lua_tointeger(L, idx));
    else
      snprintf(buf, cap, "%.14g", lua_tonumber(L, idx));
    return buf;
  }
  return luaL_typename(L, idx);
}

static void append(char *buf, size_t cap, const char *s) {
  size_t n = strlen(buf);
  if (n < cap) snprintf(buf + n, cap - n, "%s", s);
}

/* {r,g,b[,a]} in sRGB 0..1 -> rgba; 0, or 1 with the reason in err */
static int color_table(lua_State *L, int idx, float rgba[4], char *err, size_t cap) {
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
               got(L, -1, g, sizeof g));
      lua_pop(L, 1);
      return 1;
    }
    rgba[i] = (float)x;
    lua_pop(L, 1);
  }
  return 0;
}

/* what a parameter of this kind accepts, for "expected ..." */
static const char *expected(const ysg_param_def *d, char *buf, size_t cap) {
  static const char *const what[YSG_PARAM_KIND_COUNT] = {"a number",
                                                         "an integer",
                                                         "a boolean",
                                                         "a string",
                                                         NULL,
                                                         COLOR_SYNTAX,
                                                         "a file path (string)",
                                                         "an output file path (string)"};
  if ((unsigned)d->kind < YSG_PARAM_KIND_COUNT && what[d->kind]) return what[d->kind];
  snprintf(buf, cap, "one of %s", d->choices); /* ENUM, as the engine's parser says it */
  return buf;
}

/* ---- setting a parameter of a node (port < 0) or of a link ---------------------------------- */
typedef struct target {
  ysg_node *n;
  int port; /* -1: node parameter */
  ysg_link *link;
  int param;
  const ysg_param_def *def;
} target;

static void set_value(lua_State *L, const target *t, int idx, const char *pre) {
  const ysg_param_def *d = t->def;
  int type = lua_type(L, idx);
  ysg_status s = YSG_OK;
  int num = d->kind == YSG_PARAM_NUMBER || d->kind == YSG_PARAM_INT;
  int ok = type == LUA_TFUNCTION || (num && type == LUA_TNUMBER) ||
           (d->kind == YSG_PARAM_BOOL && type == LUA_TBOOLEAN) ||
           (d->kind == YSG_PARAM_COLOR && type == LUA_TTABLE) ||
           (!num && d->kind != YSG_PARAM_BOOL && type == LUA_TSTRING);
  char eb[256], gb[64];
  if (!ok)
    throwf(L, "%s: expected %s, got %s", pre, expected(d, eb, sizeof eb),
           got(L, idx, gb, sizeof gb));
  if (type == LUA_TFUNCTION) {
    lua_pushvalue(L, idx);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s = t->port < 0 ? ysg__node_set_param_anim(t->n, t->param, ref)
                    : ysg__link_set_param_anim(t->n, t->port, t->link, t->param, ref);
    if (s) luaL_unref(L, LUA_REGISTRYINDEX, ref);
  } else if (type == LUA_TNUMBER) {
    double x = lua_tonumber(L, idx);
    s = t->port < 0 ? ysg__node_set_param_number(t->n, t->param, x)
                    : ysg__link_set_param_number(t->n, t->port, t->link, t->param, x);
  } else if (type == LUA_TTABLE) {
    float c[4];
    if (color_table(L, idx, c, eb, sizeof eb)) throwf(L, "%s: %s", pre, eb);
    if (t->port < 0) {
      s = ysg__node_set_param_color(t->n, t->param, c);
    } else { /* links take colours only as text, 8 bits per channel */
      char hex[16];
      snprintf(hex, sizeof hex, "#%02x%02x%02x%02x", (unsigned)lrintf(c[0] * 255.0f),
               (unsigned)lrintf(c[1] * 255.0f), (unsigned)lrintf(c[2] * 255.0f),
               (unsigned)lrintf(c[3] * 255.0f));
      s = ysg__link_set_param_text(t->n, t->port, t->link, t->param, hex);
    }
  } else {
    const char *text =
        type == LUA_TBOOLEAN ? (lua_toboolean(L, idx) ? "true" : "false") : lua_tostring(L, idx);
    s = t->port < 0 ? ysg__node_set_param_text(t->n, t->param, text)
                    : ysg__link_set_param_text(t->n, t->port, t->link, t->param, text);
  }
  if (s) engine_fail(L, s);
}

/* ---- handles ------------------------------------------------------------------------------ */
static void push_node(lua_State *L, ysg_node *n) {
  ysg_node **u = lua_newuserdatauv(L, sizeof *u, 0);
  *u = n;
  luaL_setmetatable(L, NODE_MT);
}

static ysg_node *check_node(lua_State *L, int idx) {
  ysg_node **u = luaL_checkudata(L, idx, NODE_MT);
  if (!dsl_of(L)->p) throw_here(L, "the pipeline is being destroyed");
  return *u;
}

/* a node (its first output) or a port handle at idx -> producer; 0 if it is neither */
static int producer(lua_State *L, int idx, ysg_node **n, int *port) {
  ysg_node **u = luaL_testudata(L, idx, NODE_MT);
  if (u) {
    *n = *u;
    *port = 0;
    return 1;
  }
  port_handle *ph = luaL_testudata(L, idx, PORT_MT);
  if (ph) {
    *n = ph->n;
    *port = ph->port;
    return 1;
  }
  return 0;
}

static int node_name(lua_State *L) {
  lua_pushstring(L, ysg_node_name(check_node(L, 1)));
  return 1;
}

static int node_index(lua_State *L) {
  ysg_node *n = check_node(L, 1);
  const ysg_node_type *t = ysg_node_get_type(n);
  const char *key = lua_tostring(L, 2);
  int port =
      key && lua_type(L, 2) == LUA_TSTRING ? ysg__port_index(t->outputs, t->n_outputs, key) : -1;
  if (port >= 0) {
    port_handle *ph = lua_newuserdatauv(L, sizeof *ph, 0);
    ph->n = n;
    ph->port = port;
    luaL_setmetatable(L, PORT_MT);
    return 1;
  }
  if (key && strcmp(key, "name") == 0) {
    lua_pushcfunction(L, node_name);
    return 1;
  }
  char list[512] = "";
  for (int i = 0; i < t->n_outputs; i++) {
    if (i) append(list, sizeof list, ", ");
    append(list, sizeof list, t->outputs[i].name);
  }
  return throw_here(L, "node '%s' (%s) has no output '%s' (outputs: %s)", ysg_node_name(n), t->name,
                    luaL_tolstring(L, 2, NULL), t->n_outputs ? list : "none");
}

static int node_newindex(lua_State *L) {
  ysg_node *n = check_node(L, 1);
  return throw_here(L, "node '%s' (%s): handles are read-only; set parameters in the constructor",
                    ysg_node_name(n), ysg_node_get_type(n)->name);
}

static int node_tostring(lua_State *L) {
  lua_pushfstring(L, "ysg.node(%s)", ysg_node_name(check_node(L, 1)));
  return 1;
}

static int port_tostring(lua_State *L) {
  port_handle *ph = luaL_checkudata(L, 1, PORT_MT);
  if (!dsl_of(L)->p) throw_here(L, "the pipeline is being destroyed");
  lua_pushfstring(L, "ysg.port(%s.%s)", ysg_node_name(ph->n),
                  ysg_node_get_type(ph->n)->outputs[ph->port].name);
  return 1;
}

/* ---- constructors ------------------------------------------------------------------------- */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The string keys of the table at idx, sorted (so errors do not depend on hash order), in a
 * userdata left on the stack. Other keys raise "<pre>: unexpected positional value [k] ...", except
 * [1] when skip_first (a link entry's producer). */
static const char **sorted_keys(lua_State *L, int idx, int *count, const char *pre,
                                int skip_first) {
  idx = lua_absindex(L, idx);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
  }
  const char **keys = lua_newuserdatauv(L, sizeof *keys * (size_t)(n ? n : 1), 0);
  int k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      keys[k++] = lua_tostring(L, -1); /* anchored by the table, which we do not modify */
      continue;
    }
    if (skip_first && lua_isinteger(L, -1) && lua_tointeger(L, -1) == 1) continue;
    const char *ks = luaL_tolstring(L, -1, NULL);
    throwf(L, "%s: unexpected positional value [%s] (give parameters as key = value)", pre, ks);
  }
  qsort(keys, (size_t)k, sizeof *keys, cmp_str);
  *count = k;
  return keys;
}

static void connect_one(lua_State *L, ysg_node *n, int port, int idx, int k, int line,
                        const char *pre) {
  const ysg_port_def *pd = &ysg_node_get_type(n)->inputs[port];
  char where[640], gb[64];
  snprintf(where, sizeof where, "%s: input '%s[%d]'", pre, pd->name, k + 1);
  int entry = lua_absindex(L, idx);
  int is_table = lua_type(L, entry) == LUA_TTABLE;
  ysg_node *from = NULL;
  int from_port = 0;
  if (is_table) lua_rawgeti(L, entry, 1);
  if (!producer(L, is_table ? -1 : entry, &from, &from_port))
    throwf(L, "%s: expected a node, a port or {node, param = value, ...}, got %s", where,
           is_table ? "a table without a node at [1]" : got(L, entry, gb, sizeof gb));
  if (is_table) lua_pop(L, 1);
  ysg_link *link = NULL;
  ysg_status s = ysg__node_connect(n, port, from, from_port, line, &link);
  if (s) engine_fail(L, s);
  if (!is_table) return;
  int nk;
  const char **keys = sorted_keys(L, entry, &nk, where, 1);
  for (int i = 0; i < nk; i++) {
    int lp = -1;
    for (int j = 0; j < pd->n_link_params; j++)
      if (strcmp(pd->link_params[j].name, keys[i]) == 0) lp = j;
    if (lp < 0) {
      char list[512] = "";
      for (int j = 0; j < pd->n_link_params; j++) {
        if (j) append(list, sizeof list, ", ");
        append(list, sizeof list, pd->link_params[j].name);
      }
      throwf(L, "%s: unknown key '%s' (link parameters: %s)", where, keys[i],
             pd->n_link_params ? list : "none");
    }
    char what[768];
    snprintf(what, sizeof what, "%s parameter '%s'", where, keys[i]);
    target t = {n, port, link, lp, &pd->link_params[lp]};
    lua_getfield(L, entry, keys[i]);
    set_value(L, &t, -1, what);
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* keys */
}

static void connect_input(lua_State *L, ysg_node *n, int port, int idx, int line, const char *pre) {
  const ysg_port_def *pd = &ysg_node_get_type(n)->inputs[port];
  char gb[64];
  ysg_node *from;
  int from_port;
  if (producer(L, idx, &from, &from_port)) {
    ysg_status s = ysg__node_connect(n, port, from, from_port, line, NULL);
    if (s) engine_fail(L, s);
    return;
  }
  if (!(pd->flags & YSG_PORT_MULTI))
    throwf(L, "%s: input '%s': expected a node or a port, got %s", pre, pd->name,
           got(L, idx, gb, sizeof gb));
  if (lua_type(L, idx) != LUA_TTABLE)
    throwf(L, "%s: input '%s': expected a node, a port or a list of them, got %s", pre, pd->name,
           got(L, idx, gb, sizeof gb));
  lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
      throwf(L,
             "%s: input '%s': unexpected key '%s' in the list (link parameters go per entry: "
             "{node, param = value})",
             pre, pd->name, luaL_tolstring(L, -1, NULL));
  }
  for (lua_Integer k = 1; k <= len; k++) {
    lua_rawgeti(L, idx, k);
    connect_one(L, n, port, -1, (int)k - 1, line, pre);
    lua_pop(L, 1);
  }
}

static void unknown_key(lua_State *L, const ysg_node_type *t, const char *key, const char *pre) {
  char list[1024] = "";
  if (t->n_inputs) {
    append(list, sizeof list, "inputs: ");
    for (int i = 0; i < t->n_inputs; i++) {
      if (i) append(list, sizeof list, ", ");
      append(list, sizeof list, t->inputs[i].name);
    }
  }
  if (t->n_params) {
    append(list, sizeof list, t->n_inputs ? "; parameters: " : "parameters: ");
    for (int i = 0; i < t->n_params; i++) {
      if (i) append(list, sizeof list, ", ");
      append(list, sizeof list, t->params[i].name);
    }
  }
  throwf(L, "%s: unknown key '%s' (%s)", pre, key, list[0] ? list : "it takes no keys but name");
}

/* upvalues: the type (light userdata) and its index in the registry */
static int l_construct(lua_State *L) {
  dsl *S = dsl_of(L);
  const ysg_node_type *t = lua_touserdata(L, lua_upvalueindex(1));
  int ti = (int)lua_tointeger(L, lua_upvalueindex(2));
  check_loading(L, t->name);
  char gb[64];
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE) {
    if (lua_gettop(L) > 1) snprintf(gb, sizeof gb, "%d arguments", lua_gettop(L));
    return throw_here(L, "%s: expected a table of parameters, got %s", t->name,
                      lua_gettop(L) > 1 ? gb : luaL_typename(L, 1));
  }
  const char *file;
  int line;
  site(L, &file, &line);
  char def_name[128];
  const char *name = def_name;
  lua_getfield(L, 1, "name"); /* stays on the stack while name points into it */
  if (lua_isnil(L, -1)) {
    do snprintf(def_name, sizeof def_name, "%s_%d", t->name, ++S->counters[ti]);
    while (ysg__node_find(S->p, def_name));
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    S->counters[ti]++;
    name = lua_tostring(L, -1);
  } else {
    return throw_here(L, "%s: 'name' expects a string, got %s", t->name, got(L, -1, gb, sizeof gb));
  }
  ysg_node *n = NULL;
  ysg_status s = ysg__node_add(S->p, t->name, name, file, line, &n);
  if (s) return engine_fail(L, s);
  lua_pop(L, 1);
  char pre[512];
  snprintf(pre, sizeof pre, "%s:%d: node '%s' (%s)", file, line, ysg_node_name(n), t->name);
  int nk;
  const char **keys = sorted_keys(L, 1, &nk, pre, 0);
  for (int i = 0; i < nk; i++) {
    if (strcmp(keys[i], "name") == 0) continue;
    lua_getfield(L, 1, keys[i]);
    int port = ysg__port_index(t->inputs, t->n_inputs, keys[i]);
    int param = port < 0 ? ysg__param_index(t, keys[i]) : -1;
    if (port >= 0) {
      connect_input(L, n, port, lua_gettop(L), line, pre);
    } else if (param >= 0) {
      char what[640];
      snprintf(what, sizeof what, "%s: parameter '%s'", pre, keys[i]);
      target tg = {n, -1, NULL, param, &t->params[param]};
      set_value(L, &tg, -1, what);
    } else {
      unknown_key(L, t, keys[i], pre);
    }
    lua_pop(L, 1);
  }
  push_node(L, n);
  return 1;
}

/* ---- canvas{} ----------------------------------------------------------------------------- */
static int int_in(lua_State *L, int idx, int lo, int hi, const char *key) {
  char gb[64];
  double x = lua_tonumber(L, idx);
  if (lua_type(L, idx) != LUA_TNUMBER || x != floor(x) || x < lo || x > hi)
    throw_here(L, "canvas: '%s' expects an integer in %d..%d, got %s", key, lo, hi,
               got(L, idx, gb, sizeof gb));
  return (int)x;
}

static const char *const canvas_keys[] = {"width", "height", "frames", "fps", "background"};

static int l_canvas(lua_State *L) {
  dsl *S = dsl_of(L);
  check_loading(L, "canvas");
  char gb[64], err[256];
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE)
    return throw_here(L, "canvas: expected a table, got %s", luaL_typename(L, 1));
  char pre[512];
  const char *file;
  int line, nk;
  site(L, &file, &line);
  snprintf(pre, sizeof pre, "%s:%d: canvas", file, line);
  const char **keys = sorted_keys(L, 1, &nk, pre, 0);
  for (int i = 0; i < nk; i++) {
    int known = 0;
    for (size_t j = 0; j < sizeof canvas_keys / sizeof *canvas_keys; j++)
      known |= strcmp(keys[i], canvas_keys[j]) == 0;
    if (!known)
      return throwf(L, "%s: unknown key '%s' (known: width, height, frames, fps, background)", pre,
                    keys[i]);
  }
  lua_settop(L, 1);
  ysg_canvas *c = &S->p->canvas;
  if (lua_getfield(L, 1, "background") != LUA_TNIL) {
    float srgb[4], lin[4];
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE) {
      if (color_table(L, lua_gettop(L), srgb, err, sizeof err))
        return throwf(L, "%s: 'background': %s", pre, err);
      ysg__srgb_to_linear_rgba(srgb, lin);
    } else if (t != LUA_TSTRING || !ysg__parse_color(lua_tostring(L, -1), lin)) {
      return throwf(L, "%s: 'background' expects " COLOR_SYNTAX ", got %s", pre,
                    t == LUA_TSTRING ? lua_pushfstring(L, "'%s'", lua_tostring(L, -1))
                                     : got(L, -1, gb, sizeof gb));
    }
    ysg_premultiply(lin, c->background);
  }
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "fps") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0) ||
        !isfinite(lua_tonumber(L, -1)))
      return throw_here(L, "canvas: 'fps' expects a number > 0, got %s", got(L, -1, gb, sizeof gb));
    c->fps = lua_tonumber(L, -1);
  }
  if (lua_getfield(L, 1, "frames") != LUA_TNIL) c->frames = int_in(L, -1, 1, 10000000, "frames");
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
  dsl *S = dsl_of(L);
  check_loading(L, "param");
  char gb[64];
  if (lua_type(L, 1) != LUA_TSTRING)
    return throw_here(L, "param: expected a name (string), got %s", got(L, 1, gb, sizeof gb));
  const char *name = lua_tostring(L, 1);
  if (strchr(name, '.') || !name[0])
    return throw_here(L, "param: '%s' is not a valid name (no '.', not empty)", name);
  int type = lua_type(L, 2);
  if (type != LUA_TNUMBER && type != LUA_TBOOLEAN && type != LUA_TSTRING)
    return throw_here(L, "param '%s': the default must be a number, a boolean or a string, got %s",
                      name, got(L, 2, gb, sizeof gb));
  const char *value = NULL;
  for (int i = 0; i < S->n_defines; i++) {
    if (!S->defines[i].name || strcmp(S->defines[i].name, name) != 0) continue;
    S->used[i] = 1;
    value = S->defines[i].value ? S->defines[i].value : "";
  }
  lua_settop(L, 2);
  if (!value) return 1;
  if (type == LUA_TNUMBER) {
    if (!lua_stringtonumber(L, value)) throwf(L, "--set %s=%s: expected a number", name, value);
  } else if (type == LUA_TBOOLEAN) {
    int b = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
    if (!b && strcmp(value, "false") != 0 && strcmp(value, "0") != 0)
      throwf(L, "--set %s=%s: expected a boolean (true, false, 1 or 0)", name, value);
    lua_pushboolean(L, b);
  } else {
    lua_pushstring(L, value);
  }
  return 1;
}

/* after the script: "node.param" defines set node parameters; plain ones must have been used */
static void apply_defines(lua_State *L, dsl *S) {
  for (int i = 0; i < S->n_defines; i++) {
    const ysg_define *d = &S->defines[i];
    if (!d->name) continue;
    const char *v = d->value ? d->value : "";
    const char *dot = strrchr(d->name, '.');
    if (!dot) {
      if (!S->used[i]) throwf(L, "--set %s: the pipeline has no param '%s'", d->name, d->name);
      continue;
    }
    char node[256];
    snprintf(node, sizeof node, "%.*s", (int)(dot - d->name), d->name);
    ysg_node *n = ysg__node_find(S->p, node);
    if (!n) throwf(L, "--set %s=%s: no node named '%s'", d->name, v, node);
    const ysg_node_type *t = ysg_node_get_type(n);
    int param = ysg__param_index(t, dot + 1);
    if (param < 0)
      throwf(L, "--set %s=%s: node '%s' (%s) has no parameter '%s'", d->name, v, node, t->name,
             dot + 1);
    ysg_status s = ysg__node_set_param_text(n, param, v);
    if (s) engine_fail(L, s);
  }
}

/* ---- loading ------------------------------------------------------------------------------ */
static void install_dsl(lua_State *L, dsl *S) {
  static const luaL_Reg node_mt[] = {{"__index", node_index},
                                     {"__newindex", node_newindex},
                                     {"__tostring", node_tostring},
                                     {NULL, NULL}};
  luaL_newmetatable(L, NODE_MT);
  luaL_setfuncs(L, node_mt, 0);
  luaL_newmetatable(L, PORT_MT);
  lua_pushcfunction(L, port_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 2);
  /* constructors never shadow Lua's own globals or the DSL's */
  for (int i = 0; i < ysg_node_type_count(S->ctx); i++) {
    const ysg_node_type *t = ysg_node_type_at(S->ctx, i);
    if (lua_getglobal(L, t->name) != LUA_TNIL || strcmp(t->name, "canvas") == 0 ||
        strcmp(t->name, "param") == 0) {
      lua_pop(L, 1);
      continue;
    }
    lua_pop(L, 1);
    lua_pushlightuserdata(L, (void *)t);
    lua_pushinteger(L, i);
    lua_pushcclosure(L, l_construct, 2);
    lua_setglobal(L, t->name);
  }
  lua_pushcfunction(L, l_canvas);
  lua_setglobal(L, "canvas");
  lua_pushcfunction(L, l_param);
  lua_setglobal(L, "param");
}

/* runs protected: libraries, DSL, the chunk, then the defines. arg 1: source (light), 2: length */
static int boot(lua_State *L) {
  dsl *S = dsl_of(L);
  const char *src = lua_touserdata(L, 1);
  size_t len = (size_t)lua_tointeger(L, 2);
  lua_settop(L, 0);
  lua_pushcfunction(L, ysg__lua_open_libs);
  lua_pushboolean(L, S->unsafe);
  lua_call(L, 1, 0);
  install_dsl(L, S);
  if (!S->unsafe && len > 0 && src[0] == LUA_SIGNATURE[0])
    throwf(L, "%s: binary chunks are not allowed in sandboxed pipelines", S->chunk);
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
  dsl *S = ud;
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

/* the failed pcall's status and message -> the context */
static ysg_status lua_failure(dsl *S, int st) {
  lua_State *L = S->L;
  char buf[YSG_ERRMSG_CAP];
  if (ysg__lua_limit_message(L, st, S->chunk, buf, sizeof buf))
    return ysg__seterr(S->ctx, YSG_ERR_LIMIT, "%s", buf);
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error";
  if (S->engine_status && strcmp(m, S->engine_msg) == 0)
    return ysg__seterr(S->ctx, S->engine_status, "%s", m);
  if (st == LUA_ERRMEM) return ysg__seterr(S->ctx, YSG_ERR_NOMEM, "%s: %s", S->chunk, m);
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
  dsl *S = p->dir ? ysg__alloc(ctx, sizeof *S) : NULL;
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
static ysg_status eval_fail(dsl *S, ysg_node *n, int port, int k, const ysg_param_def *def, int ref,
                            const ysg_frame *f, ysg_status s, const char *fmt, ...) {
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
  dsl *S = ud;
  lua_State *L = S->L;
  int base = lua_gettop(L);
  int ref = v->anim_ref;
  char err[256], gb[64], eb[256];
  ysg_status s = YSG_OK;
  if (!lua_checkstack(L, 8))
    return eval_fail(S, n, port, k, def, ref, f, YSG_ERR_NOMEM, "Lua stack overflow");
  lua_pushcfunction(L, ysg__lua_msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_pushinteger(L, f->index);
  lua_pushnumber(L, f->time);
  ysg__lua_arm(L);
  int st = lua_pcall(L, 2, 1, base + 1);
  if (st != LUA_OK) {
    s = ysg__lua_limit_message(L, st, NULL, err, sizeof err) ? YSG_ERR_LIMIT : YSG_ERR_RUNTIME;
    if (s == YSG_ERR_RUNTIME)
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
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_RUNTIME,
                      "function returned %s, expected %s", got(L, r, gb, sizeof gb),
                      expected(def, eb, sizeof eb));
        break;
      }
      s = ysg__param_check_number(def, x, err, sizeof err);
      if (s)
        s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
      else
        v->num = x;
      break;
    }
    case YSG_PARAM_COLOR:
      if (type == LUA_TTABLE) {
        float srgb[4];
        if (color_table(L, r, srgb, err, sizeof err))
          s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_RUNTIME,
                        "function returned a bad colour: %s", err);
        else
          ysg__srgb_to_linear_rgba(srgb, v->rgba);
        break;
      }
      if (type == LUA_TSTRING && !ysg__parse_color(lua_tostring(L, r), v->rgba))
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_RUNTIME,
                      "function returned '%s', expected " COLOR_SYNTAX, lua_tostring(L, r));
      if (type == LUA_TSTRING) break;
      /* fall through - to the type error */
    default:
      if (type != LUA_TSTRING) {
        s = eval_fail(S, n, port, k, def, ref, f, YSG_ERR_RUNTIME,
                      "function returned %s, expected %s", got(L, r, gb, sizeof gb),
                      expected(def, eb, sizeof eb));
        break;
      }
      /* unchanged text needs no parse (and no allocation) */
      if (v->str && strcmp(v->str, lua_tostring(L, r)) == 0) break;
      s = ysg__param_parse(S->ctx, def, lua_tostring(L, r), v, err, sizeof err);
      if (s) s = eval_fail(S, n, port, k, def, ref, f, s, "%s", err);
      break;
  }
  lua_settop(L, base);
  return s;
}

/* ---- public entry points ------------------------------------------------------------------ */
static void resolve_options(const ysg_load_options *opt, ysg_load_options *lo) {
  if (opt)
    *lo = *opt;
  else
    ysg_load_options_init(lo);
  if (!lo->lua_memory_limit) lo->lua_memory_limit = DEFAULT_MEMORY;
  if (!lo->lua_instruction_limit) lo->lua_instruction_limit = DEFAULT_INSTRUCTIONS;
}

ysg_status ysg_pipeline_load_string(ysg_context *ctx, const char *source, const char *chunkname,
                                    const ysg_load_options *opt, ysg_pipeline **out) {
  if (out) *out = NULL;
  if (!ctx) return YSG_ERR_INVALID;
  if (!source || !out)
    return ysg__seterr(ctx, YSG_ERR_INVALID,
                       "ysg_pipeline_load_string: source and out are required");
  ysg_load_options lo;
  resolve_options(opt, &lo);
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
  resolve_options(opt, &lo);
  s = ysg__dsl_load(ctx, src, len, path, 1, &lo, out);
  ysg__free(ctx, buf);
  return s;
}
