/* bump.h — the scratch layout helper of the graph node's files (graph.c, graph_grid.c,
 * graph_tri.c): hands out consecutive aligned pieces of one scratch block; with base == NULL it
 * only counts, so one layout function gives both the pointers and the *_tmp_bytes sizes. */
#ifndef YSG_BUMP_H
#define YSG_BUMP_H

#include <stddef.h>

typedef struct ysg_bump {
  char *base;   /* NULL: count only */
  size_t used;  /* bytes handed out so far, each piece rounded up to align */
  size_t align; /* a power of two */
} ysg_bump;

static inline void *ysg__bump_take(ysg_bump *b, size_t bytes) {
  void *r = b->base ? b->base + b->used : NULL;
  b->used += (bytes + b->align - 1) & ~(b->align - 1);
  return r;
}

#endif /* YSG_BUMP_H */
