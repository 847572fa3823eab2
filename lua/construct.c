/* construct.c — the DSL's node constructors: one global per node type that builds a node from a
 * Lua table (name, inputs given as nodes, ports or lists of {node, link params...}, parameters as
 * values or per-frame functions), and the "ysg.node" / "ysg.port" handle userdata they return.
 * Loading, canvas{}, param() and per-frame evaluation are in lua/dsl.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "dsl_internal.h"

#define NODE_MT "ysg.node"
#define PORT_MT "ysg.port"

typedef struct port_handle {
  ysg_node *n;
  int port;
} port_handle;

static void append(char *buf, size_t cap, const char *s) {
  size_t n = strlen(buf);
  if (n < cap) snprintf(buf + n, cap - n, "%s", s);
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
  int list = d->kind == YSG_PARAM_NUMBERS || d->kind == YSG_PARAM_MAP;
  int ok =
      type == LUA_TFUNCTION || ((num || d->kind == YSG_PARAM_ENUM) && type == LUA_TNUMBER) ||
      (d->kind == YSG_PARAM_BOOL && type == LUA_TBOOLEAN) ||
      (d->kind == YSG_PARAM_COLOR && type == LUA_TTABLE) ||
      (list && (type == LUA_TTABLE || (d->kind == YSG_PARAM_NUMBERS && type == LUA_TNUMBER))) ||
      (!num && d->kind != YSG_PARAM_BOOL && type == LUA_TSTRING);
  char eb[256], gb[64];
  if (list && type != LUA_TFUNCTION && type != LUA_TSTRING) { /* a number or a table -> text */
    char text[1024];
    if (ysg__dsl_table_text(L, idx, d, text, sizeof text, eb, sizeof eb))
      ysg__dsl_throwf(L, "%s: %s", pre, eb);
    s = t->port < 0 ? ysg__node_set_param_text(t->n, t->param, text)
                    : ysg__link_set_param_text(t->n, t->port, t->link, t->param, text);
    if (s) ysg__dsl_engine_fail(L, s);
    return;
  }
  ysg_node **named = d->kind == YSG_PARAM_STRING ? luaL_testudata(L, idx, NODE_MT) : NULL;
  if (named) { /* a node given to a string parameter stands for its name (audio = video) */
    s = t->port < 0
            ? ysg__node_set_param_text(t->n, t->param, ysg_node_name(*named))
            : ysg__link_set_param_text(t->n, t->port, t->link, t->param, ysg_node_name(*named));
    if (s) ysg__dsl_engine_fail(L, s);
    return;
  }
  if (!ok)
    ysg__dsl_throwf(L, "%s: expected %s, got %s", pre, ysg__dsl_expected(d, eb, sizeof eb),
                    ysg__dsl_got(L, idx, gb, sizeof gb));
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
    if (ysg__dsl_color_table(L, idx, c, eb, sizeof eb)) ysg__dsl_throwf(L, "%s: %s", pre, eb);
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
  if (s) ysg__dsl_engine_fail(L, s);
}

/* ---- handles ------------------------------------------------------------------------------ */
static void push_node(lua_State *L, ysg_node *n) {
  ysg_node **u = lua_newuserdatauv(L, sizeof *u, 0);
  *u = n;
  luaL_setmetatable(L, NODE_MT);
}

static ysg_node *check_node(lua_State *L, int idx) {
  ysg_node **u = luaL_checkudata(L, idx, NODE_MT);
  if (!ysg__dsl_of(L)->p) ysg__dsl_throw_here(L, "the pipeline is being destroyed");
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
  return ysg__dsl_throw_here(L, "node '%s' (%s) has no output '%s' (outputs: %s)", ysg_node_name(n),
                             t->name, luaL_tolstring(L, 2, NULL), t->n_outputs ? list : "none");
}

static int node_newindex(lua_State *L) {
  ysg_node *n = check_node(L, 1);
  return ysg__dsl_throw_here(
      L, "node '%s' (%s): handles are read-only; set parameters in the constructor",
      ysg_node_name(n), ysg_node_get_type(n)->name);
}

static int node_tostring(lua_State *L) {
  lua_pushfstring(L, "ysg.node(%s)", ysg_node_name(check_node(L, 1)));
  return 1;
}

static int port_tostring(lua_State *L) {
  port_handle *ph = luaL_checkudata(L, 1, PORT_MT);
  if (!ysg__dsl_of(L)->p) ysg__dsl_throw_here(L, "the pipeline is being destroyed");
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
const char **ysg__dsl_sorted_keys(lua_State *L, int idx, int *count, const char *pre,
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
    ysg__dsl_throwf(L, "%s: unexpected positional value [%s] (give parameters as key = value)", pre,
                    ks);
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
    ysg__dsl_throwf(
        L, "%s: expected a node, a port or {node, param = value, ...}, got %s", where,
        is_table ? "a table without a node at [1]" : ysg__dsl_got(L, entry, gb, sizeof gb));
  if (is_table) lua_pop(L, 1);
  ysg_link *link = NULL;
  ysg_status s = ysg__node_connect(n, port, from, from_port, line, &link);
  if (s) ysg__dsl_engine_fail(L, s);
  if (!is_table) return;
  int nk;
  const char **keys = ysg__dsl_sorted_keys(L, entry, &nk, where, 1);
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
      ysg__dsl_throwf(L, "%s: unknown key '%s' (link parameters: %s)", where, keys[i],
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
    if (s) ysg__dsl_engine_fail(L, s);
    return;
  }
  if (!(pd->flags & YSG_PORT_MULTI))
    ysg__dsl_throwf(L, "%s: input '%s': expected a node or a port, got %s", pre, pd->name,
                    ysg__dsl_got(L, idx, gb, sizeof gb));
  if (lua_type(L, idx) != LUA_TTABLE)
    ysg__dsl_throwf(L, "%s: input '%s': expected a node, a port or a list of them, got %s", pre,
                    pd->name, ysg__dsl_got(L, idx, gb, sizeof gb));
  lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
      ysg__dsl_throwf(
          L,
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
  ysg__dsl_throwf(L, "%s: unknown key '%s' (%s)", pre, key,
                  list[0] ? list : "it takes no keys but name");
}

/* upvalues: the type (light userdata) and its index in the registry */
static int l_construct(lua_State *L) {
  ysg__dsl *S = ysg__dsl_of(L);
  const ysg_node_type *t = lua_touserdata(L, lua_upvalueindex(1));
  int ti = (int)lua_tointeger(L, lua_upvalueindex(2));
  ysg__dsl_check_loading(L, t->name);
  char gb[64];
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE) {
    if (lua_gettop(L) > 1) snprintf(gb, sizeof gb, "%d arguments", lua_gettop(L));
    return ysg__dsl_throw_here(L, "%s: expected a table of parameters, got %s", t->name,
                               lua_gettop(L) > 1 ? gb : luaL_typename(L, 1));
  }
  const char *file;
  int line;
  ysg__dsl_site(L, &file, &line);
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
    return ysg__dsl_throw_here(L, "%s: 'name' expects a string, got %s", t->name,
                               ysg__dsl_got(L, -1, gb, sizeof gb));
  }
  ysg_node *n = NULL;
  ysg_status s = ysg__node_add(S->p, t->name, name, file, line, &n);
  if (s) return ysg__dsl_engine_fail(L, s);
  lua_pop(L, 1);
  char pre[512];
  snprintf(pre, sizeof pre, "%s:%d: node '%s' (%s)", file, line, ysg_node_name(n), t->name);
  int nk;
  const char **keys = ysg__dsl_sorted_keys(L, 1, &nk, pre, 0);
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

void ysg__dsl_install_constructors(lua_State *L, ysg_context *ctx) {
  static const luaL_Reg node_mt[] = {{"__index", node_index},
                                     {"__newindex", node_newindex},
                                     {"__tostring", node_tostring},
                                     {NULL, NULL}};
  /* __metatable: getmetatable(handle) returns false, so a script cannot add a __gc (Lua runs
   * finalizers with hooks off, out of the instruction limit's reach) or change the handles */
  luaL_newmetatable(L, NODE_MT);
  luaL_setfuncs(L, node_mt, 0);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  luaL_newmetatable(L, PORT_MT);
  lua_pushcfunction(L, port_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  /* constructors never shadow Lua's own globals or the DSL's */
  for (int i = 0; i < ysg_node_type_count(ctx); i++) {
    const ysg_node_type *t = ysg_node_type_at(ctx, i);
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
}
