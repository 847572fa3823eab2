/* cli_nodes.c — `ysgraph nodes`: the node types' documentation printed from their schema tables
 * (one line per type, one type in full, or the README's Markdown table). Part of the CLI only. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli_nodes.h"
#include "ysgraph/node.h"

static const char *value_name(ysg_value_type t) {
  static const char *const n[] = {"points", "edges", "curves", "boxes", "image", "shapes"};
  return (unsigned)t < YSG_VALUE_TYPE_COUNT ? n[t] : "?";
}

static const char *kind_name(ysg_param_kind k) {
  static const char *const n[] = {"number", "int",  "bool",   "string",  "enum",
                                  "color",  "path", "output", "numbers", "map"};
  return (unsigned)k < YSG_PARAM_KIND_COUNT ? n[k] : "?";
}

/* Length of the first sentence of doc: up to and including the first ". " or the end. */
static int first_sentence(const char *doc) {
  if (!doc) return 0;
  const char *e = strstr(doc, ". ");
  return e ? (int)(e - doc + 1) : (int)strlen(doc);
}

static void wrap(const char *text, int indent, int width) {
  int col = indent;
  printf("%*s", indent, "");
  for (const char *s = text ? text : ""; *s;) {
    while (*s == ' ') s++;
    int n = (int)strcspn(s, " ");
    if (!n) break;
    if (col > indent && col + 1 + n > width) {
      printf("\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      putchar(' ');
      col++;
    }
    printf("%.*s", n, s);
    col += n;
    s += n;
  }
  putchar('\n');
}

static void print_params(const ysg_param_def *ps, int n, int indent) {
  int w[4] = {4, 4, 7, 5};
  char range[256];
  for (int i = 0; i < n; i++) {
    const ysg_param_def *d = &ps[i];
    int l0 = (int)strlen(d->name), l1 = (int)strlen(kind_name(d->kind));
    int l2 = d->def ? (int)strlen(d->def) + (d->def[0] ? 0 : 2) : 1;
    int l3 = d->kind == YSG_PARAM_ENUM ? (int)strlen(d->choices)
             : d->min != d->max ? snprintf(range, sizeof range, "%.10g..%.10g", d->min, d->max)
                                : 0;
    if (l0 > w[0]) w[0] = l0;
    if (l1 > w[1]) w[1] = l1;
    if (l2 > w[2]) w[2] = l2;
    if (l3 > w[3]) w[3] = l3;
  }
  printf("%*s%-*s  %-*s  %-*s  %-*s  %-15s  %s\n", indent, "", w[0], "name", w[1], "kind", w[2],
         "default", w[3], "range", "flags", "doc");
  for (int i = 0; i < n; i++) {
    const ysg_param_def *d = &ps[i];
    char def[256];
    snprintf(def, sizeof def, "%s", !d->def ? "-" : d->def[0] ? d->def : "\"\"");
    range[0] = 0;
    if (d->kind == YSG_PARAM_ENUM)
      snprintf(range, sizeof range, "%s", d->choices);
    else if (d->min != d->max)
      snprintf(range, sizeof range, "%.10g..%.10g", d->min, d->max);
    char flags[32];
    snprintf(flags, sizeof flags, "%s%s%s", d->flags & YSG_PARAM_STATIC ? "static" : "",
             (d->flags & YSG_PARAM_STATIC) && (d->flags & YSG_PARAM_REQUIRED) ? "," : "",
             d->flags & YSG_PARAM_REQUIRED ? "required" : "");
    printf("%*s%-*s  %-*s  %-*s  %-*s  %-15s  %s\n", indent, "", w[0], d->name, w[1],
           kind_name(d->kind), w[2], def, w[3], range, flags, d->doc ? d->doc : "");
  }
}

static void print_ports(const char *title, const ysg_port_def *ps, int n) {
  printf("\n%s:\n", title);
  if (!n) printf("  (none)\n");
  int w = 4;
  for (int i = 0; i < n; i++)
    if ((int)strlen(ps[i].name) > w) w = (int)strlen(ps[i].name);
  for (int i = 0; i < n; i++) {
    const ysg_port_def *d = &ps[i];
    char flags[32];
    snprintf(flags, sizeof flags, "%s%s%s", d->flags & YSG_PORT_OPTIONAL ? "optional" : "",
             (d->flags & YSG_PORT_OPTIONAL) && (d->flags & YSG_PORT_MULTI) ? "," : "",
             d->flags & YSG_PORT_MULTI ? "multi" : "");
    printf("  %-*s  %-6s  %-14s  %s\n", w, d->name, value_name(d->type), flags,
           d->doc ? d->doc : "");
    if (d->n_link_params) {
      printf("  %*s  link params:\n", w, "");
      print_params(d->link_params, d->n_link_params, w + 6);
    }
  }
}

static void md_cell(const char *s, int n) {
  for (int i = 0; i < n && s[i]; i++) {
    if (s[i] == '|') putchar('\\');
    putchar(s[i] == '\n' ? ' ' : s[i]);
  }
}

static void md_ports(const ysg_port_def *ps, int n) {
  if (!n) fputs("—", stdout);
  for (int i = 0; i < n; i++) {
    printf("%s`%s` (%s", i ? ", " : "", ps[i].name, value_name(ps[i].type));
    if (ps[i].flags & YSG_PORT_OPTIONAL) fputs(", optional", stdout);
    if (ps[i].flags & YSG_PORT_MULTI) fputs(", multi", stdout);
    putchar(')');
  }
}

static void md_row(const ysg_node_type *t) {
  printf("| `%s` | ", t->name);
  md_ports(t->inputs, t->n_inputs);
  fputs(" | ", stdout);
  md_ports(t->outputs, t->n_outputs);
  fputs(" | ", stdout);
  if (!t->n_params) fputs("—", stdout);
  for (int i = 0; i < t->n_params; i++) {
    const ysg_param_def *d = &t->params[i];
    printf("%s`", i ? ", " : "");
    md_cell(d->name, INT_MAX);
    if (d->def) {
      putchar('=');
      md_cell(d->def[0] ? d->def : "\"\"", INT_MAX);
      putchar('`');
    } else {
      fputs("` (required)", stdout);
    }
  }
  fputs(" | ", stdout);
  md_cell(t->doc ? t->doc : "", first_sentence(t->doc));
  fputs(" |\n", stdout);
}

int ysg_cli_print_nodes(ysg_context *ctx, const char *name, int markdown) {
  int rc = 0;
  int n = ysg_node_type_count(ctx);
  const ysg_node_type *one = name ? ysg_node_type_find(ctx, name) : NULL;
  if (name && !one) {
    fprintf(stderr, "ysgraph: unknown node type '%s' (known: ", name);
    for (int i = 0; i < n; i++)
      fprintf(stderr, "%s%s", i ? ", " : "", ysg_node_type_at(ctx, i)->name);
    fputs(")\n", stderr);
    rc = 1;
  } else if (markdown) {
    printf("| node | inputs | outputs | parameters (name=default) | description |\n");
    printf("|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++)
      if (!one || ysg_node_type_at(ctx, i) == one) md_row(ysg_node_type_at(ctx, i));
  } else if (one) {
    printf("%s (%s)\n\n", one->name, one->category ? one->category : "");
    wrap(one->doc, 2, 98);
    print_ports("inputs", one->inputs, one->n_inputs);
    print_ports("outputs", one->outputs, one->n_outputs);
    printf("\nparams:\n");
    if (!one->n_params)
      printf("  (none)\n");
    else
      print_params(one->params, one->n_params, 2);
  } else {
    int wn = 4, wc = 8;
    for (int i = 0; i < n; i++) {
      const ysg_node_type *t = ysg_node_type_at(ctx, i);
      if ((int)strlen(t->name) > wn) wn = (int)strlen(t->name);
      if (t->category && (int)strlen(t->category) > wc) wc = (int)strlen(t->category);
    }
    for (int i = 0; i < n; i++) {
      const ysg_node_type *t = ysg_node_type_at(ctx, i);
      printf("%-*s  %-*s  %.*s\n", wn, t->name, wc, t->category ? t->category : "",
             first_sentence(t->doc), t->doc ? t->doc : "");
    }
  }
  return rc;
}
