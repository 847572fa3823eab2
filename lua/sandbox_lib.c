/* sandbox_lib.c — the pipeline state's string.find/match/gmatch/gsub and table.insert/remove/move.
 * They behave as Lua 5.4's do (same patterns, results and messages), but every step of their C
 * loops is charged to the run's instruction budget (ysg__lua_charge), so a backtracking pattern
 * such as ".-.-.-.-b" or table.move over 2^40 slots stops at the instruction or time limit like a
 * Lua loop: Lua's own versions run inside one C call that the count hook cannot interrupt.
 * table.sort, utf8.len and utf8.offset check the limits when they return. */
#define _GNU_SOURCE /* memmem: a linear-time plain search */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "sandbox.h"

#define MAX_CAPTURES 32   /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200     /* recursion of the matcher (Lua's MAXCCALLS) */
#define CHARGE_EVERY 4096 /* steps between charges to the budget */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define SPECIALS "^$*+?.([%-"

/* ---- the matcher ------------------------------------------------------------------------------
 */
typedef struct mstate {
  const char *src_init, *src_end, *p_end;
  lua_State *L;
  int depth, level;
  uint32_t steps; /* done since the last charge */
  struct {
    const char *init;
    ptrdiff_t len;
  } cap[MAX_CAPTURES];
} mstate;

static void step(mstate *ms, uint32_t n) {
  ms->steps += n;
  if (ms->steps >= CHARGE_EVERY) {
    uint32_t s = ms->steps;
    ms->steps = 0;
    ysg__lua_charge(ms->L, s);
  }
}

static void prep(mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  ms->L = L;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
  ms->steps = 0;
}

static void reprep(mstate *ms) {
  ms->level = 0;
  ms->depth = MAX_DEPTH;
}

static const char *match(mstate *ms, const char *s, const char *p);

static int class_end_error(mstate *ms, const char *what) {
  return luaL_error(ms->L, "malformed pattern (%s)", what);
}

/* the end of the single-character class that starts at p */
static const char *class_end(mstate *ms, const char *p) {
  char c = *p++;
  if (c == '%') {
    if (p == ms->p_end) class_end_error(ms, "ends with '%'");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^') p++;
    do { /* look for the closing ']' (a first ']' is a member) */
      if (p == ms->p_end) class_end_error(ms, "missing ']'");
      if (*(p++) == '%' && p < ms->p_end) p++;
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

static int match_class(int c, int cl) {
  int r;
  switch (tolower(cl)) {
    case 'a':
      r = isalpha(c);
      break;
    case 'c':
      r = iscntrl(c);
      break;
    case 'd':
      r = isdigit(c);
      break;
    case 'g':
      r = isgraph(c);
      break;
    case 'l':
      r = islower(c);
      break;
    case 'p':
      r = ispunct(c);
      break;
    case 's':
      r = isspace(c);
      break;
    case 'u':
      r = isupper(c);
      break;
    case 'w':
      r = isalnum(c);
      break;
    case 'x':
      r = isxdigit(c);
      break;
    case 'z':
      r = c == 0;
      break; /* deprecated in Lua, still accepted */
    default:
      return cl == c;
  }
  if (isupper(cl)) r = !r;
  return r != 0;
}

/* c against the set [p .. ec], p at '[' and ec at ']' */
static int match_set(int c, const char *p, const char *ec) {
  int yes = 1;
  if (*(p + 1) == '^') {
    yes = 0;
    p++;
  }
  while (++p < ec) {
    if (*p == '%') {
      p++;
      if (match_class(c, (unsigned char)*p)) return yes;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return yes;
    } else if ((unsigned char)*p == c) {
      return yes;
    }
  }
  return !yes;
}

static int single(mstate *ms, const char *s, const char *p, const char *ep) {
  if (s >= ms->src_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
    case '.':
      return 1;
    case '%':
      return match_class(c, (unsigned char)*(p + 1));
    case '[':
      return match_set(c, p, ep - 1);
    default:
      return (unsigned char)*p == c;
  }
}

static const char *match_balance(mstate *ms, const char *s, const char *p) {
  if (p >= ms->p_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (*s != *p) return NULL; /* s may be src_end: Lua strings end in a '\0' */
  int b = *p, e = *(p + 1), open = 1;
  while (++s < ms->src_end) {
    step(ms, 1);
    if (*s == e) {
      if (--open == 0) return s + 1;
    } else if (*s == b) {
      open++;
    }
  }
  return NULL;
}

static const char *max_expand(mstate *ms, const char *s, const char *p, const char *ep) {
  ptrdiff_t i = 0;
  while (single(ms, s + i, p, ep)) {
    i++;
    step(ms, 1);
  }
  for (; i >= 0; i--) { /* try the longest first */
    const char *r = match(ms, s + i, ep + 1);
    if (r) return r;
  }
  return NULL;
}

static const char *min_expand(mstate *ms, const char *s, const char *p, const char *ep) {
  for (;;) {
    const char *r = match(ms, s, ep + 1);
    if (r) return r;
    if (!single(ms, s, p, ep)) return NULL;
    s++;
  }
}

static const char *start_capture(mstate *ms, const char *s, const char *p, ptrdiff_t what) {
  if (ms->level >= MAX_CAPTURES) luaL_error(ms->L, "too many captures");
  ms->cap[ms->level].init = s;
  ms->cap[ms->level].len = what;
  ms->level++;
  const char *r = match(ms, s, p);
  if (!r) ms->level--; /* undo */
  return r;
}

static const char *end_capture(mstate *ms, const char *s, const char *p) {
  int l = -1;
  for (int k = ms->level - 1; k >= 0 && l < 0; k--)
    if (ms->cap[k].len == CAP_UNFINISHED) l = k;
  if (l < 0) luaL_error(ms->L, "invalid pattern capture");
  ms->cap[l].len = s - ms->cap[l].init;
  const char *r = match(ms, s, p);
  if (!r) ms->cap[l].len = CAP_UNFINISHED;
  return r;
}

static int check_capture(mstate *ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
    return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}

static const char *match_capture(mstate *ms, const char *s, int l) {
  l = check_capture(ms, l);
  size_t len = (size_t)ms->cap[l].len;
  step(ms, (uint32_t)(len / 16));
  if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0) return s + len;
  return NULL;
}

static const char *match(mstate *ms, const char *s, const char *p) {
  if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex");
  step(ms, 1);
  for (;;) {
    if (p == ms->p_end) break;
    const char *ep;
    switch (*p) {
      case '(':
        s = p[1] == ')' ? start_capture(ms, s, p + 2, CAP_POSITION)
                        : start_capture(ms, s, p + 1, CAP_UNFINISHED);
        goto done;
      case ')':
        s = end_capture(ms, s, p + 1);
        goto done;
      case '$':
        if (p + 1 != ms->p_end) goto single_char;
        s = s == ms->src_end ? s : NULL;
        goto done;
      case '%':
        switch (p[1]) {
          case 'b':
            s = match_balance(ms, s, p + 2);
            if (!s) goto done;
            p += 4;
            continue;
          case 'f': {
            p += 2;
            if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            ep = class_end(ms, p);
            int prev = s == ms->src_init ? 0 : (unsigned char)*(s - 1);
            if (!match_set(prev, p, ep - 1) && match_set((unsigned char)*s, p, ep - 1)) {
              p = ep;
              continue;
            }
            s = NULL;
            goto done;
          }
          case '0':
          case '1':
          case '2':
          case '3':
          case '4':
          case '5':
          case '6':
          case '7':
          case '8':
          case '9':
            s = match_capture(ms, s, (unsigned char)p[1]);
            if (!s) goto done;
            p += 2;
            continue;
          default:
            goto single_char;
        }
      default:
      single_char:
        ep = class_end(ms, p);
        if (!single(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') { /* accepts an empty match */
            p = ep + 1;
            continue;
          }
          s = NULL;
          goto done;
        }
        switch (*ep) {
          case '?': {
            const char *r = match(ms, s + 1, ep + 1);
            if (r) {
              s = r;
              goto done;
            }
            p = ep + 1;
            continue;
          }
          case '+':
            s = max_expand(ms, s + 1, p, ep);
            goto done;
          case '*':
            s = max_expand(ms, s, p, ep);
            goto done;
          case '-':
            s = min_expand(ms, s, p, ep);
            goto done;
          default:
            s++;
            p = ep;
            continue;
        }
    }
  }
done:
  ms->depth++;
  return s;
}

/* ---- captures ---------------------------------------------------------------------------------
 */
/* capture l (the whole match s..e when there are none) into *cap; its length, or CAP_POSITION with
 * the position pushed */
static ptrdiff_t get_capture(mstate *ms, int l, const char *s, const char *e, const char **cap) {
  if (l >= ms->level) {
    if (l != 0) luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    *cap = s;
    return e - s;
  }
  ptrdiff_t len = ms->cap[l].len;
  *cap = ms->cap[l].init;
  if (len == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
  if (len == CAP_POSITION) lua_pushinteger(ms->L, (ms->cap[l].init - ms->src_init) + 1);
  return len;
}

static void push_capture(mstate *ms, int l, const char *s, const char *e) {
  const char *cap;
  ptrdiff_t len = get_capture(ms, l, s, e, &cap);
  if (len != CAP_POSITION) lua_pushlstring(ms->L, cap, (size_t)len);
}

static int push_captures(mstate *ms, const char *s, const char *e) {
  int n = ms->level == 0 && s ? 1 : ms->level;
  luaL_checkstack(ms->L, n, "too many captures");
  for (int i = 0; i < n; i++) push_capture(ms, i, s, e);
  return n;
}

/* ---- string.find / string.match -----------------------------------------------------------------
 */
static size_t posrelat(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0 || pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t lp) {
  size_t upto = 0;
  do { /* the pattern may hold '\0's */
    if (strpbrk(p + upto, SPECIALS)) return 0;
    upto += strlen(p + upto) + 1;
  } while (upto <= lp);
  return 1;
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
    ysg__lua_charge(L, (ls - init) / 64); /* memmem is linear (two-way) */
    const char *f = memmem(s + init, ls - init, p, lp);
    if (f) {
      lua_pushinteger(L, (f - s) + 1);
      lua_pushinteger(L, (lua_Integer)((size_t)(f - s) + lp));
      return 2;
    }
  } else {
    mstate ms;
    const char *s1 = s + init;
    int anchor = *p == '^';
    if (anchor) p++, lp--;
    prep(&ms, L, s, ls, p, lp);
    do {
      reprep(&ms);
      const char *e = match(&ms, s1, p);
      if (e) {
        ysg__lua_charge(L, ms.steps);
        if (!find) return push_captures(&ms, s1, e);
        lua_pushinteger(L, (s1 - s) + 1);
        lua_pushinteger(L, e - s);
        return push_captures(&ms, NULL, 0) + 2;
      }
    } while (s1++ < ms.src_end && !anchor);
    ysg__lua_charge(L, ms.steps);
  }
  luaL_pushfail(L);
  return 1;
}

static int str_find(lua_State *L) { return find_aux(L, 1); }
static int str_match(lua_State *L) { return find_aux(L, 0); }

/* ---- string.gmatch ------------------------------------------------------------------------------
 */
typedef struct gmatch_state {
  const char *src, *p, *lastmatch;
  mstate ms;
} gmatch_state;

/* upvalues: the string, the pattern (kept alive) and the state */
static int gmatch_next(lua_State *L) {
  gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
  g->ms.L = L;
  g->ms.steps = 0;
  for (const char *src = g->src; src <= g->ms.src_end; src++) {
    reprep(&g->ms);
    const char *e = match(&g->ms, src, g->p);
    if (e && e != g->lastmatch) {
      g->src = g->lastmatch = e;
      ysg__lua_charge(L, g->ms.steps);
      return push_captures(&g->ms, src, e);
    }
  }
  ysg__lua_charge(L, g->ms.steps);
  return 0;
}

static int str_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2);
  gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
  if (init > ls) init = ls + 1; /* past the end: no match, and no overflow */
  prep(&g->ms, L, s, ls, p, lp);
  g->src = s + init;
  g->p = p;
  g->lastmatch = NULL;
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

/* ---- string.gsub --------------------------------------------------------------------------------
 */
static void add_string(mstate *ms, luaL_Buffer *b, const char *s, const char *e) {
  lua_State *L = ms->L;
  size_t l;
  const char *r = lua_tolstring(L, 3, &l), *q;
  while ((q = memchr(r, '%', l)) != NULL) {
    luaL_addlstring(b, r, (size_t)(q - r));
    q++;
    if (*q == '%') {
      luaL_addchar(b, *q);
    } else if (*q == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit((unsigned char)*q)) {
      const char *cap;
      ptrdiff_t len = get_capture(ms, *q - '1', s, e, &cap);
      if (len == CAP_POSITION)
        luaL_addvalue(b);
      else
        luaL_addlstring(b, cap, (size_t)len);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", '%');
    }
    l -= (size_t)(q + 1 - r);
    r = q + 1;
  }
  luaL_addlstring(b, r, l);
}

/* the replacement of the match s..e into b; 1 if it changed the text */
static int add_value(mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = ms->L;
  if (tr == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    int n = push_captures(ms, s, e);
    lua_call(L, n, 1);
  } else if (tr == LUA_TTABLE) {
    push_capture(ms, 0, s, e);
    lua_gettable(L, 3);
  } else {
    add_string(ms, b, s, e);
    return 1;
  }
  if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1))
    return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int str_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  int anchor = *p == '^', changed = 0;
  lua_Integer n = 0;
  luaL_argexpected(
      L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
      "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) p++, lp--;
  mstate ms;
  prep(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    reprep(&ms);
    const char *e = match(&ms, src, p);
    if (e && e != lastmatch) {
      n++;
      changed = add_value(&ms, &b, src, e, tr) | changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  ysg__lua_charge(L, ms.steps);
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

/* ---- table.insert / table.remove / table.move ----------------------------------------------- */
#define TAB_R 1
#define TAB_W 2
#define TAB_L 4

static int has_field(lua_State *L, const char *key, int n) {
  lua_pushstring(L, key);
  return lua_rawget(L, -n) != LUA_TNIL;
}

/* a table, or a value whose metatable gives the access asked for */
static void check_tab(lua_State *L, int arg, int what) {
  if (lua_type(L, arg) == LUA_TTABLE) return;
  int n = 1;
  if (lua_getmetatable(L, arg) && (!(what & TAB_R) || has_field(L, "__index", ++n)) &&
      (!(what & TAB_W) || has_field(L, "__newindex", ++n)) &&
      (!(what & TAB_L) || has_field(L, "__len", ++n)))
    lua_pop(L, n);
  else
    luaL_checktype(L, arg, LUA_TTABLE); /* raises the usual message */
}

static lua_Integer tab_len(lua_State *L, int arg, int what) {
  check_tab(L, arg, what | TAB_L);
  return luaL_len(L, arg);
}

/* t[to] = t[from] for one element, charged */
static void move_one(lua_State *L, int from_t, lua_Integer from, int to_t, lua_Integer to,
                     uint32_t *pending) {
  lua_geti(L, from_t, from);
  lua_seti(L, to_t, to);
  if (++*pending == CHARGE_EVERY) {
    *pending = 0;
    ysg__lua_charge(L, CHARGE_EVERY);
  }
}

static int tab_insert(lua_State *L) {
  lua_Integer e = tab_len(L, 1, TAB_R | TAB_W);
  e = (lua_Integer)((lua_Unsigned)e + 1u); /* the first empty slot */
  lua_Integer pos;
  uint32_t pending = 0;
  switch (lua_gettop(L)) {
    case 2:
      pos = e;
      break;
    case 3:
      pos = luaL_checkinteger(L, 2);
      luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
      for (lua_Integer i = e; i > pos; i--) move_one(L, 1, i - 1, 1, i, &pending);
      break;
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  ysg__lua_charge(L, pending);
  lua_seti(L, 1, pos);
  return 0;
}

static int tab_remove(lua_State *L) {
  lua_Integer size = tab_len(L, 1, TAB_R | TAB_W);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  uint32_t pending = 0;
  if (pos != size) /* a given position may be size + 1 (Lua 5.4 names argument 1 here) */
    luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) move_one(L, 1, pos + 1, 1, pos, &pending);
  ysg__lua_charge(L, pending);
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

static int tab_move(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
  lua_Integer t = luaL_checkinteger(L, 4);
  int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  uint32_t pending = 0;
  check_tab(L, 1, TAB_R);
  check_tab(L, tt, TAB_W);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    if (t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ))) {
      for (lua_Integer i = 0; i < n; i++) move_one(L, 1, f + i, tt, t + i, &pending);
    } else { /* overlapping, forwards: copy from the end */
      for (lua_Integer i = n - 1; i >= 0; i--) move_one(L, 1, f + i, tt, t + i, &pending);
    }
    ysg__lua_charge(L, pending);
  }
  lua_pushvalue(L, tt);
  return 1;
}

/* ---- table.sort, utf8.len, utf8.offset: no allocation, no hook inside --------------------------
 * Called as they are; afterwards a sort is charged n log2 n and the limits are checked, so a loop
 * of long sorts stops at the first one past the deadline, not a thousand instructions later.
 * upvalue 1: the original function */
static int checked_after(lua_State *L) {
  uint64_t n = lua_type(L, 1) == LUA_TTABLE ? (uint64_t)lua_rawlen(L, 1) : 0, cost = 0;
  if (lua_toboolean(L, lua_upvalueindex(2)))
    for (uint64_t k = n; k > 1; k >>= 1) cost += n;
  int top = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, top, LUA_MULTRET);
  ysg__lua_charge(L, cost);
  return lua_gettop(L);
}

static void check_after(lua_State *L, int lib, const char *name, int sort) {
  lua_getfield(L, lib, name);
  lua_pushboolean(L, sort);
  lua_pushcclosure(L, checked_after, 2);
  lua_setfield(L, lib, name);
}

void ysg__lua_open_budgeted(lua_State *L, int string_lib, int table_lib, int utf8_lib) {
  static const luaL_Reg str[] = {{"find", str_find},
                                 {"match", str_match},
                                 {"gmatch", str_gmatch},
                                 {"gsub", str_gsub},
                                 {NULL, NULL}};
  static const luaL_Reg tab[] = {
      {"insert", tab_insert}, {"remove", tab_remove}, {"move", tab_move}, {NULL, NULL}};
  string_lib = lua_absindex(L, string_lib);
  table_lib = lua_absindex(L, table_lib);
  utf8_lib = lua_absindex(L, utf8_lib);
  lua_pushvalue(L, string_lib);
  luaL_setfuncs(L, str, 0);
  lua_pop(L, 1);
  lua_pushvalue(L, table_lib);
  luaL_setfuncs(L, tab, 0);
  lua_pop(L, 1);
  check_after(L, table_lib, "sort", 1);
  check_after(L, utf8_lib, "len", 0);
  check_after(L, utf8_lib, "offset", 0);
}
