/* overlay.c — ysgraph from C: load a pipeline, feed tracked points every frame, render, read the
 * frame back as 8-bit RGBA. Build against an installed ysgraph:
 *   cc overlay.c $(pkg-config --cflags --libs ysgraph) -lm -o overlay   (or CMake: find_package) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <ysgraph.h>

static const char *PIPELINE =
    "canvas { width = 320, height = 180 }\n"
    "local pts   = points_in { name = 'tracks', capacity = 64 }\n"
    "local knn   = graph { points = pts, mode = 'knn', k = 2 }\n"
    "local links = line { points = knn.points, edges = knn.edges, width = 2, color = '#22d3ee' }\n"
    "local dots  = dot { points = pts, radius = 4, color = '#ffd60a' }\n"
    "merge { name = 'out', layers = { links, dots } }\n";

static int check(ysg_context *ctx, ysg_status s, const char *what) {
  if (s == YSG_OK) return 0;
  fprintf(stderr, "%s: %s: %s\n", what, ysg_status_name(s), ysg_errmsg(ctx));
  return 1;
}

int main(void) {
  ysg_context *ctx;
  if (ysg_context_create(NULL, &ctx) != YSG_OK) return 1;
  ysg_load_options lo;
  ysg_load_options_init(&lo); /* always start from _init: the struct carries its own size */
  ysg_pipeline *p = NULL;
  if (check(ctx, ysg_pipeline_load_string(ctx, PIPELINE, "overlay.lua", &lo, &p), "load")) return 1;

  const ysg_canvas *cv = ysg_pipeline_canvas(p);
  size_t bytes = (size_t)cv->width * (size_t)cv->height * 4;
  unsigned char *rgba = malloc(bytes);
  float xy[8 * 2];
  for (int frame = 0; frame < 3; frame++) {
    for (int i = 0; i < 8; i++) { /* eight points on a circle, turning */
      double a = i * 0.785398 + frame * 0.1;
      xy[2 * i] = (float)(160 + 60 * cos(a));
      xy[2 * i + 1] = (float)(90 + 60 * sin(a));
    }
    ysg_points_desc pts = {.count = 8, .xy = xy};
    if (check(ctx, ysg_pipeline_set_points(p, "tracks", &pts), "set_points") ||
        check(ctx, ysg_pipeline_run_frame(p, frame), "run") ||
        check(ctx, ysg_pipeline_read_image(p, "out", YSG_RGBA8_SRGB, rgba, bytes, 0), "read"))
      return 1;
    long covered = 0;
    for (size_t i = 3; i < bytes; i += 4) covered += rgba[i] > 0;
    const unsigned char *c = rgba + ((size_t)90 * cv->width + 220) * 4; /* point 0 at frame 0 */
    printf("frame %d: %ld pixels drawn, pixel (220, 90) = %d %d %d %d\n", frame, covered, c[0],
           c[1], c[2], c[3]);
  }
  free(rgba);
  ysg_pipeline_destroy(p);
  ysg_context_destroy(ctx);
  return 0;
}
