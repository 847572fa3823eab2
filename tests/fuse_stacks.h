/* fuse_stacks.h — random merge stacks for the tile-fusion tests (test_fuse.c on the CPU,
 * test_fuse_cuda.c on the device): a Lua source with a canvas of random odd size and background,
 * a point cloud, its KNN links and curves, then 1-7 layers of every render node (fill, gradient,
 * line in each style, bbox, dot shapes, particles) and effect outputs (glow), each blended with a
 * random mode and opacity (0, 0.37 or 1) into `frame`, some kept or read twice so they cannot
 * fuse. Seeded: the same seed gives the same stack. */
#ifndef YSG_TEST_FUSE_STACKS_H
#define YSG_TEST_FUSE_STACKS_H

#include <stdint.h>
#include <stdio.h>

static inline uint64_t ysgt_stack_rng(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline int ysgt_stack_below(uint64_t *s, int n) {
  return (int)(ysgt_stack_rng(s) % (uint64_t)n);
}

static inline void ysgt_stack_color(uint64_t *s, char *out, int alpha) {
  snprintf(out, 10, "#%02x%02x%02x%02x", ysgt_stack_below(s, 256), ysgt_stack_below(s, 256),
           ysgt_stack_below(s, 256), alpha ? ysgt_stack_below(s, 256) : 255);
}

static const char *const ysgt_stack_modes[] = {"normal",  "add",     "multiply", "screen",
                                               "overlay", "lighten", "darken",   "difference",
                                               "max",     "min"};

/* One layer's constructor call; *fusable is 0 for layers that cannot be fused (effects). */
static inline int ysgt_stack_layer(uint64_t *s, int i, char *out, size_t cap, int *fusable) {
  char c1[10], c2[10];
  ysgt_stack_color(s, c1, 1);
  ysgt_stack_color(s, c2, 1);
  *fusable = 1;
  switch (ysgt_stack_below(s, 8)) {
    case 0:
      return snprintf(out, cap, "fill { color = '%s', name = 'L%d' }", c1, i);
    case 1:
      return snprintf(out, cap,
                      "gradient { from = '%s', to = '%s', type = '%s', angle = %d, space = '%s', "
                      "name = 'L%d' }",
                      c1, c2, ysgt_stack_below(s, 2) ? "radial" : "linear",
                      ysgt_stack_below(s, 4) * 45 + ysgt_stack_below(s, 2),
                      ysgt_stack_below(s, 2) ? "srgb" : "linear", i);
    case 2: {
      static const char *const st[] = {"solid", "dashed", "dotted", "gradient", "dash_dot"};
      return snprintf(out, cap,
                      "line { %s, width = %.2f, color = '%s', color2 = '%s', style = '%s', "
                      "opacity = %.2f, name = 'L%d' }",
                      ysgt_stack_below(s, 2) ? "curves = cv" : "points = k.points, edges = k.edges",
                      0.5 + ysgt_stack_below(s, 60) / 10.0, c1, c2, st[ysgt_stack_below(s, 5)],
                      ysgt_stack_below(s, 11) / 10.0, i);
    }
    case 3:
      return snprintf(out, cap,
                      "bbox { points = c, w = %d, h = %d, stroke = %.1f, radius = %d, "
                      "fill_opacity = %.1f, style = '%s', color = '%s', name = 'L%d' }",
                      4 + ysgt_stack_below(s, 40), 4 + ysgt_stack_below(s, 30),
                      ysgt_stack_below(s, 40) / 10.0, ysgt_stack_below(s, 8),
                      ysgt_stack_below(s, 11) / 10.0, ysgt_stack_below(s, 2) ? "corners" : "full",
                      c1, i);
    case 4: {
      static const char *const sh[] = {"circle", "ring", "square", "diamond", "cross", "plus"};
      return snprintf(out, cap,
                      "dot { points = c, radius = %.1f, shape = '%s', glow = %d, color = '%s', "
                      "data_radius = %s, name = 'L%d' }",
                      1 + ysgt_stack_below(s, 80) / 10.0, sh[ysgt_stack_below(s, 6)],
                      ysgt_stack_below(s, 3) * 3, c1, ysgt_stack_below(s, 2) ? "true" : "false", i);
    }
    case 5:
      return snprintf(out, cap,
                      "particles { curves = cv, count = %d, size = %.1f, trail = %d, glow = %d, "
                      "color = '%s', name = 'L%d' }",
                      1 + ysgt_stack_below(s, 3), 1 + ysgt_stack_below(s, 30) / 10.0,
                      ysgt_stack_below(s, 3) * 10, ysgt_stack_below(s, 2) * 3, c1, i);
    case 6:
      *fusable = 0; /* an effect's output: materialised */
      return snprintf(out, cap,
                      "glow { image = line { curves = cv, width = 1.5, color = '%s' }, sigma = 2, "
                      "name = 'L%d' }",
                      c1, i);
    default:
      return snprintf(out, cap, "dot { points = c, radius = 3, color = '%s', name = 'L%d' }", c1,
                      i);
  }
}

/* A random stack; some fusable layers are made unfusable by keeping them (a --dump), or by
 * reading them twice (a second merge). Returns the number of layers expected fused. */
static inline int ysgt_random_stack(uint64_t seed, char *src, size_t cap, const char **keep,
                                    int *n_keep) {
  uint64_t s = seed;
  int w = 17 + ysgt_stack_below(&s, 160), h = 9 + ysgt_stack_below(&s, 120),
      nl = 1 + ysgt_stack_below(&s, 7), len = 0, fused = 0;
  char bg[10], mbg[10];
  ysgt_stack_color(&s, bg, 1);
  ysgt_stack_color(&s, mbg, 1);
  len += snprintf(src + len, cap - (size_t)len,
                  "canvas { width = %d, height = %d, frames = 3, fps = 10, background = '%s' }\n"
                  "local c = scatter { count = %d, seed = %d, speed = 40, radius = 3 }\n"
                  "local k = graph { points = c, mode = 'knn', k = 2 }\n"
                  "local cv = curve { points = k.points, edges = k.edges, type = 'cubic_bezier', "
                  "samples = 8 }\n",
                  w, h, ysgt_stack_below(&s, 3) ? "#00000000" : bg, 2 + ysgt_stack_below(&s, 30),
                  ysgt_stack_below(&s, 1000));
  static char names[8][8];
  char layers[2048] = "";
  int ll = 0, shared = -1;
  *n_keep = 1;
  for (int i = 0; i < nl; i++) {
    int fusable;
    len += snprintf(src + len, cap - (size_t)len, "local L%d = ", i);
    len += ysgt_stack_layer(&s, i, src + len, cap - (size_t)len, &fusable);
    len += snprintf(src + len, cap - (size_t)len, "\n");
    int how = ysgt_stack_below(&s, 6);
    if (fusable && how == 0) { /* kept: needed whole */
      snprintf(names[i], sizeof names[i], "L%d", i);
      keep[(*n_keep)++] = names[i];
      fusable = 0;
    } else if (fusable && how == 1 && shared < 0) { /* read by a second merge too */
      shared = i;
      fusable = 0;
    }
    fused += fusable;
    ll += snprintf(layers + ll, sizeof layers - (size_t)ll, "%s{ L%d, mode = '%s', opacity = %s }",
                   i ? ", " : "", i, ysgt_stack_modes[ysgt_stack_below(&s, 10)],
                   ysgt_stack_below(&s, 3) ? "1" : (ysgt_stack_below(&s, 2) ? "0" : "0.37"));
  }
  char mbg_param[32] = ""; /* the merge's own background, or the canvas's */
  if (ysgt_stack_below(&s, 2)) snprintf(mbg_param, sizeof mbg_param, ", background = '%s'", mbg);
  len += snprintf(src + len, cap - (size_t)len,
                  "local frame = merge { name = 'frame', layers = { %s }%s }\n", layers, mbg_param);
  if (shared >= 0) {
    len += snprintf(src + len, cap - (size_t)len,
                    "local other = merge { name = 'other', layers = { L%d } }\n", shared);
    keep[(*n_keep)++] = "other";
  }
  return fused;
}

#endif
