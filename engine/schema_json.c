/* schema_json.c — ysg_node_types_json: every registered node type's schema (ports, params with
 * kind, default, range, choices, flags, docs) as one JSON array, the one source the Python and
 * ComfyUI bindings build their node lists and inputs from (as `ysgraph nodes` and the README
 * table are built from the same tables). Written into a caller's buffer of a stated size. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct sink {
  char *dst;
  size_t cap, len; /* len counts every byte, written or not */
} sink;

static void put_raw(sink *s, const char *text, size_t n) {
  if (s->dst && s->len + n < s->cap) memcpy(s->dst + s->len, text, n);
  s->len += n;
}

static void put(sink *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(sink *s, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) put_raw(s, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void put_str(sink *s, const char *text) {
  if (!text) {
    put_raw(s, "null", 4);
    return;
  }
  put_raw(s, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
    if (*c == '"' || *c == '\\') {
      char e[2] = {'\\', (char)*c};
      put_raw(s, e, 2);
    } else if (*c < 0x20) {
      put(s, "\\u%04x", *c);
    } else {
      put_raw(s, (const char *)c, 1);
    }
  }
  put_raw(s, "\"", 1);
}

static void put_key(sink *s, const char *key) {
  put_str(s, key);
  put_raw(s, ":", 1);
}

static void put_params(sink *s, const ysg_param_def *defs, int n) {
  put_raw(s, "[", 1);
  for (int i = 0; i < n; i++) {
    const ysg_param_def *d = &defs[i];
    put(s, "%s{", i ? "," : "");
    put_key(s, "name"), put_str(s, d->name);
    put(s, ","), put_key(s, "kind"), put_str(s, ysg__param_kind_name(d->kind));
    put(s, ","), put_key(s, "default"), put_str(s, d->def);
    if (d->min != d->max) {
      put(s, ","), put_key(s, "min"), put(s, "%.17g", d->min);
      put(s, ","), put_key(s, "max"), put(s, "%.17g", d->max);
    } else {
      put(s, ",\"min\":null,\"max\":null");
    }
    put(s, ","), put_key(s, "choices");
    if (d->kind == YSG_PARAM_ENUM && d->choices) {
      put_raw(s, "[", 1);
      const char *c = d->choices;
      for (int k = 0; *c; k++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        char one[128];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), c);
        if (k) put_raw(s, ",", 1);
        put_str(s, one);
        c += len + (bar ? 1 : 0);
      }
      put_raw(s, "]", 1);
    } else {
      put_raw(s, "null", 4);
    }
    put(s, ",\"static\":%s,\"required\":%s,", (d->flags & YSG_PARAM_STATIC) ? "true" : "false",
        (d->flags & YSG_PARAM_REQUIRED) ? "true" : "false");
    put_key(s, "doc"), put_str(s, d->doc);
    put_raw(s, "}", 1);
  }
  put_raw(s, "]", 1);
}

static void put_ports(sink *s, const ysg_port_def *ports, int n, int inputs) {
  put_raw(s, "[", 1);
  for (int i = 0; i < n; i++) {
    const ysg_port_def *d = &ports[i];
    put(s, "%s{", i ? "," : "");
    put_key(s, "name"), put_str(s, d->name);
    put(s, ","), put_key(s, "type"), put_str(s, ysg__value_type_name(d->type));
    if (inputs) {
      put(s, ",\"optional\":%s,\"multi\":%s,", (d->flags & YSG_PORT_OPTIONAL) ? "true" : "false",
          (d->flags & YSG_PORT_MULTI) ? "true" : "false");
      put_key(s, "link_params"), put_params(s, d->link_params, d->n_link_params);
    }
    put(s, ","), put_key(s, "doc"), put_str(s, d->doc);
    put_raw(s, "}", 1);
  }
  put_raw(s, "]", 1);
}

ysg_status ysg_node_types_json(ysg_context *ctx, char *dst, size_t dst_bytes, size_t *needed) {
  if (!ctx) return YSG_ERR_INVALID;
  sink s = {dst, dst ? dst_bytes : 0, 0};
  put_raw(&s, "[", 1);
  for (int i = 0; i < ctx->n_types; i++) {
    const ysg_node_type *t = ctx->types[i];
    put(&s, "%s{", i ? "," : "");
    put_key(&s, "name"), put_str(&s, t->name);
    put(&s, ","), put_key(&s, "category"), put_str(&s, t->category);
    put(&s, ","), put_key(&s, "doc"), put_str(&s, t->doc);
    put(&s, ",\"flags\":[");
    static const struct {
      unsigned bit;
      const char *name;
    } flags[] = {{YSG_NODE_SINK, "sink"},
                 {YSG_NODE_INPUT, "input"},
                 {YSG_NODE_INPLACE, "inplace"},
                 {YSG_NODE_HOST, "host"}};
    int first = 1;
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
      if (t->flags & flags[f].bit) {
        if (!first) put_raw(&s, ",", 1);
        put_str(&s, flags[f].name);
        first = 0;
      }
    put(&s, "],\"cuda\":%s,", t->device ? "true" : "false");
    put_key(&s, "inputs"), put_ports(&s, t->inputs, t->n_inputs, 1);
    put(&s, ","), put_key(&s, "outputs"), put_ports(&s, t->outputs, t->n_outputs, 0);
    put(&s, ","), put_key(&s, "params"), put_params(&s, t->params, t->n_params);
    put_raw(&s, "}", 1);
  }
  put_raw(&s, "]", 1);
  if (needed) *needed = s.len + 1;
  if (!dst || dst_bytes < s.len + 1)
    return ysg__seterr(ctx, YSG_ERR_INVALID,
                       "ysg_node_types_json: the destination holds %zu bytes, the schemas need %zu",
                       dst ? dst_bytes : (size_t)0, s.len + 1);
  dst[s.len] = 0;
  return YSG_OK;
}
