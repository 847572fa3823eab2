/* graph.c — building a pipeline graph: nodes, params and links (what the Lua DSL calls), with
 * validation whose messages name file:line, node, port/parameter, what was expected and found.
 * Finalisation (order, shapes, lifetimes, arena) lives in engine/finalize.c. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "paths.h"

#define PATH_BUF 4096

static char *dirname_of(ysg_context *ctx, const char *file) {
  const char *slash = file ? strrchr(file, '/') : NULL;
  if (!slash) return ysg__strdup(ctx, ".");
  size_t n = slash == file ? 1 : (size_t)(slash - file);
  char *d = ysg__alloc(ctx, n + 1);
  if (d) memcpy(d, file, n);
  return d;
}

ysg_status ysg__pipeline_new(ysg_context *ctx, const char *file, const ysg_load_options *opt,
                             ysg_pipeline **out) {
  ysg_load_options def;
  if (!opt) {
    ysg_load_options_init(&def);
    opt = &def;
  }
  *out = NULL;
  ysg_pipeline *p = ysg__alloc(ctx, sizeof *p);
  if (!p) return YSG_ERR_NOMEM;
  p->refs = 1;
  p->ctx = ctx;
  ysg__context_ref(ctx);
  p->file = ysg__strdup(ctx, file ? file : "pipeline");
  p->dir = dirname_of(ctx, file);
  p->out_dir = ysg__strdup(ctx, opt->output_dir && opt->output_dir[0] ? opt->output_dir : ".");
  p->unsafe = opt->unsafe;
  p->no_graphs = opt->no_graphs;
  p->profile = opt->profile;
  p->pipe = opt->pipe ? ysg__strdup(ctx, opt->pipe) : NULL;
  p->no_fuse = opt->no_fuse;
  p->check_only = opt->check_only;
  p->backend = opt->backend;
  p->canvas.width = 1920;
  p->canvas.height = 1080;
  p->canvas.frames = 1;
  p->canvas.fps = 30;
  p->frame = -1;
  p->param_stamp = 1;
  if (!p->file || !p->dir || !p->out_dir || (opt->pipe && !p->pipe)) {
    ysg_pipeline_destroy(p);
    return YSG_ERR_NOMEM;
  }
  if (opt->n_keep > 0) {
    p->keep = ysg__alloc(ctx, sizeof(char *) * (size_t)opt->n_keep);
    if (!p->keep) {
      ysg_pipeline_destroy(p);
      return YSG_ERR_NOMEM;
    }
    for (int i = 0; i < opt->n_keep; i++) {
      p->keep[i] = ysg__strdup(ctx, opt->keep[i]);
      if (!p->keep[i]) {
        ysg_pipeline_destroy(p);
        return YSG_ERR_NOMEM;
      }
      p->n_keep = i + 1;
    }
  }
  *out = p;
  return YSG_OK;
}

int ysg__param_index(const ysg_node_type *t, const char *name) {
  for (int i = 0; i < t->n_params; i++)
    if (strcmp(t->params[i].name, name) == 0) return i;
  return -1;
}

int ysg__port_index(const ysg_port_def *ports, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(ports[i].name, name) == 0) return i;
  return -1;
}

/* ---- the name index: open addressing, load factor at most 1/2 -------------------------------- */
static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

ysg_node *ysg__node_find(const ysg_pipeline *p, const char *name) {
  if (!p->n_name_slots) return NULL;
  uint32_t mask = (uint32_t)p->n_name_slots - 1;
  for (uint32_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
    int k = p->name_slots[i];
    if (!k) return NULL;
    if (strcmp(p->nodes[k - 1]->name, name) == 0) return p->nodes[k - 1];
  }
}

static void index_name(ysg_pipeline *p, int node) {
  uint32_t mask = (uint32_t)p->n_name_slots - 1;
  uint32_t i = name_hash(p->nodes[node]->name) & mask;
  while (p->name_slots[i]) i = (i + 1) & mask;
  p->name_slots[i] = node + 1;
}

/* room for one more name: doubles and re-indexes the named nodes */
static ysg_status grow_name_index(ysg_pipeline *p) {
  if ((p->n_nodes + 1) * 2 <= p->n_name_slots) return YSG_OK;
  int cap = p->n_name_slots ? p->n_name_slots * 2 : 64;
  int *slots = ysg__alloc(p->ctx, sizeof *slots * (size_t)cap);
  if (!slots) return YSG_ERR_NOMEM;
  ysg__free(p->ctx, p->name_slots);
  p->name_slots = slots;
  p->n_name_slots = cap;
  for (int i = 0; i < p->n_nodes; i++)
    if (p->nodes[i] && p->nodes[i]->name) index_name(p, i);
  return YSG_OK;
}

/* defaults of a param table into fresh values */
static ysg_status init_params(ysg_context *ctx, const ysg_param_def *defs, int n,
                              ysg_param_value **out) {
  *out = NULL;
  if (n == 0) return YSG_OK;
  ysg_param_value *v = ysg__alloc(ctx, sizeof *v * (size_t)n);
  if (!v) return YSG_ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!defs[i].def) continue;
    char err[256];
    ysg_status s = ysg__param_parse(ctx, &defs[i], defs[i].def, &v[i], err, sizeof err);
    if (s) {
      for (int j = 0; j <= i; j++) ysg__param_free(ctx, &v[j]);
      ysg__free(ctx, v);
      return ysg__seterr(ctx, s, "parameter '%s': bad default: %s", defs[i].name, err);
    }
  }
  *out = v;
  return YSG_OK;
}

/* optimal string alignment distance (a swap of neighbours costs 1), case-insensitive */
static int edit_distance(const char *a, const char *b) {
  enum { MAX = 64 };
  size_t la = strlen(a), lb = strlen(b);
  if (la >= MAX || lb >= MAX) return MAX;
  int d[MAX][MAX];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *ysg__closest_type(ysg_context *ctx, const char *name) {
  const char *best = NULL;
  int best_d =
      strlen(name) < 4 ? 1 : 2; /* 'point' -> 'points', 'box' -> 'bbox'; not 'foo' -> 'dot' */
  for (int i = 0; i < ysg_node_type_count(ctx); i++) {
    const char *t = ysg_node_type_at(ctx, i)->name;
    int d = edit_distance(name, t);
    if (d <= best_d && (!best || d < edit_distance(name, best))) best = t;
  }
  return best;
}

ysg_status ysg__node_add(ysg_pipeline *p, const char *type, const char *name, const char *file,
                         int line, ysg_node **out) {
  ysg_context *ctx = p->ctx;
  *out = NULL;
  const ysg_node_type *t = ysg_node_type_find(ctx, type);
  const char *close = t ? NULL : ysg__closest_type(ctx, type);
  if (!t)
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%s:%d: unknown node type '%s'%s%s%s", file, line,
                       type, close ? " (did you mean '" : "", close ? close : "",
                       close ? "'?)" : "");
  if (!name || !name[0])
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%s:%d: %s: a node needs a non-empty name", file,
                       line, type);
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    if (*c == '.' || *c == '=' || *c == ' ' || *c < 0x20 || *c == 0x7F)
      return ysg__seterr(ctx, YSG_ERR_PIPELINE,
                         "%s:%d: node name '%s' may not contain '.', '=', spaces or control "
                         "characters",
                         file, line, name);
  ysg_node *prev = ysg__node_find(p, name);
  if (prev)
    return ysg__seterr(ctx, YSG_ERR_PIPELINE,
                       "%s:%d: duplicate node name '%s' (first used at %s:%d)", file, line, name,
                       prev->file, prev->line);
  if (p->n_nodes >= YSG_MAX_NODES)
    return ysg__seterr(ctx, YSG_ERR_LIMIT,
                       "%s:%d: %s: too many nodes (a pipeline holds at most %d)", file, line, type,
                       YSG_MAX_NODES);
  if (grow_name_index(p)) return YSG_ERR_NOMEM;
  if (p->n_nodes == p->cap_nodes) {
    int cap = p->cap_nodes ? p->cap_nodes * 2 : 16;
    ysg_node **nn =
        ysg__realloc_array(ctx, p->nodes, (size_t)p->cap_nodes, (size_t)cap, sizeof *nn);
    if (!nn) return YSG_ERR_NOMEM;
    p->nodes = nn;
    p->cap_nodes = cap;
  }
  ysg_node *n = ysg__alloc(ctx, sizeof *n);
  if (!n) return YSG_ERR_NOMEM;
  n->p = p;
  n->type = t;
  n->index = p->n_nodes;
  n->line = line;
  n->step = -1;
  n->fused_into = -1;
  n->name = ysg__strdup(ctx, name);
  n->file = ysg__strdup(ctx, file);
  n->inputs = t->n_inputs ? ysg__alloc(ctx, sizeof *n->inputs * (size_t)t->n_inputs) : NULL;
  n->outputs = t->n_outputs ? ysg__alloc(ctx, sizeof *n->outputs * (size_t)t->n_outputs) : NULL;
  n->out_buffer = t->n_outputs ? ysg__alloc(ctx, sizeof(int) * (size_t)t->n_outputs) : NULL;
  p->nodes[p->n_nodes++] = n; /* owned by the pipeline from here on, also on failure */
  if (!n->name || !n->file || (t->n_inputs && !n->inputs) ||
      (t->n_outputs && (!n->outputs || !n->out_buffer)))
    return YSG_ERR_NOMEM;
  index_name(p, n->index);
  for (int i = 0; i < t->n_outputs; i++) {
    n->outputs[i].type = t->outputs[i].type;
    n->out_buffer[i] = -1;
  }
  ysg_status s = init_params(ctx, t->params, t->n_params, &n->params);
  if (s) return s;
  *out = n;
  return YSG_OK;
}

static ysg_status param_err(ysg_node *n, const ysg_param_def *d, const char *what, ysg_status s,
                            const char *msg) {
  char pre[512];
  ysg__node_prefix(n, 0, pre, sizeof pre);
  return ysg__seterr(n->p->ctx, s, "%s%s '%s': %s", pre, what, d->name, msg);
}

/* shared by node params and link params */
static ysg_status set_text(ysg_node *n, const ysg_param_def *d, ysg_param_value *v,
                           const char *what, const char *text) {
  char err[512];
  ysg_param_value tmp = *v;
  tmp.str = tmp.resolved = NULL;
  ysg_status s = ysg__param_parse(n->p->ctx, d, text, &tmp, err, sizeof err);
  if (s) {
    ysg__param_free(n->p->ctx, &tmp);
    return param_err(n, d, what, s, err);
  }
  ysg__param_free(n->p->ctx, v);
  *v = tmp;
  v->anim_ref = 0;
  v->is_set = 1;
  return YSG_OK;
}

static ysg_status set_number(ysg_node *n, const ysg_param_def *d, ysg_param_value *v,
                             const char *what, double x) {
  char err[512];
  if (d->kind == YSG_PARAM_ENUM || d->kind == YSG_PARAM_NUMBERS) {
    char text[64]; /* enums: numeric choices such as bits = 16; numbers: a list of one */
    if (d->kind == YSG_PARAM_ENUM)
      ysg__number_text(x, text, sizeof text);
    else
      snprintf(text, sizeof text, "%.17g", x);
    return set_text(n, d, v, what, text);
  }
  ysg_status s = ysg__param_from_number(n->p->ctx, d, x, v, err, sizeof err);
  if (s) return param_err(n, d, what, s, err);
  v->anim_ref = 0;
  v->is_set = 1;
  return YSG_OK;
}

static ysg_status set_anim(ysg_node *n, const ysg_param_def *d, ysg_param_value *v,
                           const char *what, int ref) {
  if (d->flags & YSG_PARAM_STATIC)
    return param_err(n, d, what, YSG_ERR_PIPELINE,
                     "cannot be a function of time (it is fixed when the pipeline loads)");
  if (d->kind == YSG_PARAM_PATH || d->kind == YSG_PARAM_OUTPUT)
    return param_err(n, d, what, YSG_ERR_PIPELINE, "cannot be a function of time");
  v->anim_ref = ref;
  v->is_set = 1;
  return YSG_OK;
}

ysg_status ysg__node_set_param_text(ysg_node *n, int param, const char *text) {
  return set_text(n, &n->type->params[param], &n->params[param], "parameter", text);
}

ysg_status ysg__node_set_param_number(ysg_node *n, int param, double x) {
  return set_number(n, &n->type->params[param], &n->params[param], "parameter", x);
}

ysg_status ysg__node_set_param_color(ysg_node *n, int param, const float srgb[4]) {
  const ysg_param_def *d = &n->type->params[param];
  if (d->kind != YSG_PARAM_COLOR)
    return param_err(n, d, "parameter", YSG_ERR_PIPELINE, "expected a single value, got a table");
  for (int i = 0; i < 4; i++)
    if (!(srgb[i] >= 0.0f && srgb[i] <= 1.0f))
      return param_err(n, d, "parameter", YSG_ERR_PIPELINE,
                       "colour components must be numbers in 0..1");
  ysg__srgb_to_linear_rgba(srgb, n->params[param].rgba);
  n->params[param].anim_ref = 0;
  n->params[param].is_set = 1;
  return YSG_OK;
}

ysg_status ysg__node_set_param_anim(ysg_node *n, int param, int ref) {
  return set_anim(n, &n->type->params[param], &n->params[param], "parameter", ref);
}

ysg_status ysg__node_connect(ysg_node *n, int port, ysg_node *from, int from_port, int line,
                             ysg_link **out) {
  ysg_context *ctx = n->p->ctx;
  const ysg_port_def *pd = &n->type->inputs[port];
  char pre[512];
  ysg__node_prefix(n, line, pre, sizeof pre);
  if (from->p != n->p)
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%sinput '%s': node '%s' belongs to another pipeline",
                       pre, pd->name, from->name);
  if (from_port < 0 || from_port >= from->type->n_outputs)
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%sinput '%s': node '%s' (%s) has no outputs", pre,
                       pd->name, from->name, from->type->name);
  ysg_value_type got = from->type->outputs[from_port].type;
  ysg_input *in = &n->inputs[port];
  if (got != pd->type) {
    if (pd->flags & YSG_PORT_MULTI)
      return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%sinput '%s[%d]' expects %s, got %s from '%s'",
                         pre, pd->name, in->n_links + 1, ysg__value_type_name(pd->type),
                         ysg__value_type_name(got), from->name);
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%sinput '%s' expects %s, got %s from '%s'", pre,
                       pd->name, ysg__value_type_name(pd->type), ysg__value_type_name(got),
                       from->name);
  }
  if (!(pd->flags & YSG_PORT_MULTI) && in->n_links > 0)
    return ysg__seterr(ctx, YSG_ERR_PIPELINE, "%sinput '%s' is already connected (to '%s')", pre,
                       pd->name, n->p->nodes[in->links[0].from_node]->name);
  if (in->n_links == in->cap_links) {
    int cap = in->cap_links ? in->cap_links * 2 : 4;
    ysg_link *nl =
        ysg__realloc_array(ctx, in->links, (size_t)in->cap_links, (size_t)cap, sizeof *nl);
    if (!nl) return YSG_ERR_NOMEM;
    in->links = nl;
    in->cap_links = cap;
  }
  ysg_link *l = &in->links[in->n_links];
  memset(l, 0, sizeof *l);
  l->from_node = from->index;
  l->from_port = from_port;
  l->line = line;
  ysg_status s = init_params(ctx, pd->link_params, pd->n_link_params, &l->params);
  if (s) return s;
  in->n_links++;
  if (out) *out = l;
  return YSG_OK;
}

static char *link_what(const ysg_node *n, int port, const ysg_link *l, char *buf, size_t cap) {
  const ysg_input *in = &n->inputs[port];
  snprintf(buf, cap, "input '%s[%d]' parameter", n->type->inputs[port].name,
           (int)(l - in->links) + 1);
  return buf;
}

ysg_status ysg__link_set_param_text(ysg_node *n, int port, ysg_link *l, int param,
                                    const char *text) {
  char what[128];
  return set_text(n, &n->type->inputs[port].link_params[param], &l->params[param],
                  link_what(n, port, l, what, sizeof what), text);
}

ysg_status ysg__link_set_param_number(ysg_node *n, int port, ysg_link *l, int param, double x) {
  char what[128];
  return set_number(n, &n->type->inputs[port].link_params[param], &l->params[param],
                    link_what(n, port, l, what, sizeof what), x);
}

ysg_status ysg__link_set_param_anim(ysg_node *n, int port, ysg_link *l, int param, int ref) {
  char what[128];
  return set_anim(n, &n->type->inputs[port].link_params[param], &l->params[param],
                  link_what(n, port, l, what, sizeof what), ref);
}

/* Sandboxed pipelines may only reach files under their own directory (inputs) or the output
 * directory (outputs): plain relative file names — no absolute paths, no ".." components, no URL
 * schemes ("file:", "http:", …: FFmpeg would open those as protocols) — whose real location, with
 * symbolic links followed, stays inside that directory. With --unsafe any path is taken, and one
 * that starts with a URL scheme is kept as written for FFmpeg. */
ysg_status ysg__resolve_path(ysg_node *n, int param, int output, const char *path, char **out) {
  ysg_pipeline *p = n->p;
  *out = NULL;
  char scheme[32] = "";
  const int url = ysg__path_url_scheme(path, scheme, sizeof scheme);
  const char *where = output ? "the output directory" : "the pipeline's directory";
  char pre[512], why[PATH_BUF + 256];
  ysg__node_prefix(n, 0, pre, sizeof pre);
  why[0] = 0;
  if (!p->unsafe) {
    if (path[0] == '/')
      snprintf(why, sizeof why, "absolute paths are not allowed in sandboxed pipelines");
    if (!why[0] && url)
      snprintf(why, sizeof why,
               "URLs ('%s:') are not allowed in sandboxed pipelines, only relative file paths",
               scheme);
    for (const char *c = path; !why[0] && *c;) {
      const char *e = strchr(c, '/');
      size_t len = e ? (size_t)(e - c) : strlen(c);
      if (len == 2 && c[0] == '.' && c[1] == '.')
        snprintf(why, sizeof why, "'..' may not leave %s in sandboxed pipelines", where);
      c += len;
      while (*c == '/') c++;
    }
    if (why[0])
      return ysg__seterr(p->ctx, YSG_ERR_PIPELINE,
                         "%sparameter '%s': '%s': %s (run with --unsafe to allow it)", pre,
                         n->type->params[param].name, path, why);
  }
  const char *base = output ? p->out_dir : p->dir;
  if (path[0] == '/' || (base[0] == '.' && base[1] == 0) || url) {
    *out = ysg__strdup(p->ctx, path);
  } else {
    size_t len = strlen(base) + strlen(path) + 2;
    *out = ysg__alloc(p->ctx, len);
    if (*out) snprintf(*out, len, "%s/%s", base, path);
  }
  if (!*out) return YSG_ERR_NOMEM;
  ysg_status s = ysg__node_confine(n, param, output, *out);
  if (s) {
    ysg__free(p->ctx, *out);
    *out = NULL;
  }
  return s;
}

const char *ysg__sandbox_root(const ysg_node *n, int output) {
  if (n->p->unsafe) return NULL;
  return output ? n->p->out_dir : n->p->dir;
}

ysg_status ysg__node_confine(ysg_node *n, int param, int output, const char *file) {
  const char *root = ysg__sandbox_root(n, output);
  char real[PATH_BUF], pre[512];
  if (!root || ysg__path_confine(root, file, real, sizeof real) == YSG_OK) return YSG_OK;
  ysg__node_prefix(n, 0, pre, sizeof pre);
  return ysg__seterr(n->p->ctx, YSG_ERR_PIPELINE,
                     "%sparameter '%s': '%s' leads to '%s' through a symbolic link: sandboxed "
                     "pipelines may not leave %s (run with --unsafe to allow it)",
                     pre, n->type->params[param].name, file, real,
                     output ? "the output directory" : "the pipeline's directory");
}
