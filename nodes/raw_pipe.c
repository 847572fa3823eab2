/* raw_pipe.c — `ysgraph run --pipe FORMAT[=NODE[.PORT]]` (ysg_load_options.pipe): before the
 * pipeline is planned, a `raw` sink named "pipe" writing to standard output is attached to an
 * image — the one named, else the image the pipeline's sinks write (when they all write one),
 * else its only image that nothing consumes. FORMAT: y4m (4:2:0), y4m444 or rgba. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* the image (node, port) the pipeline's image sinks write, or its only unconsumed image */
static ysg_status pick_image(ysg_pipeline *p, ysg_node **out, int *out_port) {
  char list[512] = "";
  int found = 0;
  for (int pass = 0; pass < 2 && !found; pass++) {
    for (int i = 0; i < p->n_nodes; i++) {
      ysg_node *n = p->nodes[i];
      if (pass == 0) { /* producers feeding image sinks */
        if (!(n->type->flags & YSG_NODE_SINK) || n->type->n_inputs < 1 ||
            n->type->inputs[0].type != YSG_IMAGE || n->inputs[0].n_links < 1)
          continue;
        ysg_link *l = &n->inputs[0].links[0];
        ysg_node *src = p->nodes[l->from_node];
        if (found && *out == src && *out_port == l->from_port) continue;
        if (!found++) *out = src, *out_port = l->from_port;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", found > 1 ? ", " : "",
                 src->name);
        continue;
      }
      for (int o = 0; o < n->type->n_outputs; o++) { /* images nothing reads */
        if (n->type->outputs[o].type != YSG_IMAGE) continue;
        int used = 0;
        for (int j = 0; j < p->n_nodes && !used; j++)
          for (int port = 0; port < p->nodes[j]->type->n_inputs && !used; port++)
            for (int k = 0; k < p->nodes[j]->inputs[port].n_links; k++) {
              const ysg_link *l = &p->nodes[j]->inputs[port].links[k];
              if (l->from_node == n->index && l->from_port == o) used = 1;
            }
        if (used) continue;
        if (!found++) *out = n, *out_port = o;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", found > 1 ? ", " : "",
                 n->name);
      }
    }
    if (found > 1)
      return ysg__seterr(p->ctx, YSG_ERR_PIPELINE,
                         "%s: --pipe: %s images could be streamed (%s): name one, e.g. --pipe "
                         "y4m=%s",
                         p->file, pass == 0 ? "the sinks write different" : "several", list,
                         (*out)->name);
  }
  if (!found)
    return ysg__seterr(p->ctx, YSG_ERR_PIPELINE, "%s: --pipe: the pipeline makes no image",
                       p->file);
  return YSG_OK;
}

ysg_status ysg__pipe_attach(ysg_pipeline *p, const char *spec) {
  static const char *const formats[][3] = {
      {"y4m", "y4m", "420"}, {"y4m444", "y4m", "444"}, {"rgba", "rgba", "420"}};
  const char *eq = strchr(spec, '=');
  size_t flen = eq ? (size_t)(eq - spec) : strlen(spec);
  int f = -1;
  for (int i = 0; i < 3; i++)
    if (strlen(formats[i][0]) == flen && !strncmp(spec, formats[i][0], flen)) f = i;
  if (f < 0)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "--pipe '%s': expected y4m, y4m444 or rgba", spec);
  ysg_node *src = NULL;
  int port = 0;
  if (eq) {
    char ref[256];
    snprintf(ref, sizeof ref, "%s", eq + 1);
    char *dot = strchr(ref, '.');
    if (dot) *dot = 0;
    src = ysg__node_find(p, ref);
    if (!src)
      return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "%s: --pipe: no node named '%s'", p->file, ref);
    port = dot ? ysg__port_index(src->type->outputs, src->type->n_outputs, dot + 1) : 0;
    if (port < 0 || port >= src->type->n_outputs)
      return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "%s: --pipe: node '%s' (%s) has no output '%s'",
                         p->file, ref, src->type->name, dot ? dot + 1 : "");
    if (src->type->outputs[port].type != YSG_IMAGE)
      return ysg__seterr(p->ctx, YSG_ERR_PIPELINE,
                         "%s: --pipe: '%s' is not an image (node '%s' is a %s)", p->file, eq + 1,
                         ref, src->type->name);
  } else {
    ysg_status s = pick_image(p, &src, &port);
    if (s) return s;
  }
  char name[64] = "pipe";
  for (int k = 2; ysg__node_find(p, name); k++) snprintf(name, sizeof name, "pipe_%d", k);
  ysg_node *n = NULL;
  ysg_status s = ysg__node_add(p, "raw", name, src->file, src->line, &n);
  if (!s) s = ysg__node_connect(n, 0, src, port, src->line, NULL);
  if (!s) s = ysg__node_set_param_text(n, ysg__param_index(n->type, "format"), formats[f][1]);
  if (!s) s = ysg__node_set_param_text(n, ysg__param_index(n->type, "chroma"), formats[f][2]);
  return s;
}
