/* prim_search.h — the primitives node's greedy shape search on the CPU (nodes/prim_search.c),
 * also driven directly by tests and bench/bench_primitives.c. For each new shape, `climbs`
 * independent climbs (threads take whole climbs) each take the best of `candidates` random
 * shapes, then hill-climb it in rounds of PRIM_BATCH mutations — the best of a round replaces the
 * climb's shape when it lowers the error; a climb ends after `age` failed mutations in a row. The
 * best climb (ties: the lowest index) is drawn into the current image and its rows' tables are
 * rebuilt. cuda/prim.cu runs the same steps with the same math and gets the same shapes. */
#ifndef YSG_PRIM_SEARCH_H
#define YSG_PRIM_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "prim_gen.h"
#include "prim_score.h"
#include "ysgraph/node.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PRIM_BATCH 16        /* mutations per hill-climb round (a CUDA block's warps) */
#define PRIM_MAX_ROUNDS 4096 /* a climb's rounds at most (it ends far sooner in practice) */
#define PRIM_MAX_CLIMBS 1024
#define PRIM_MAX_CANDIDATES 100000

typedef struct prim_opts {
  int32_t count;      /* shapes to add */
  int32_t candidates; /* random shapes per climb */
  int32_t climbs;     /* independent climbs per shape */
  int32_t age;        /* failed mutations in a row that end a climb */
  float alpha;        /* fixed opacity in (0, 1], or 0: solved per shape */
} prim_opts;

/* One shape found by the search, in search pixels. */
typedef struct prim_record {
  int32_t kind;
  float g[8];
  float rgb[3]; /* straight linear colour */
  float s;      /* opacity */
  float de;     /* change of the summed squared error when it was added */
  float error;  /* RMSE of the approximation after it (linear premultiplied RGBA) */
} prim_record;

/* The search's memory: the work images, their row tables, and the climbs' results. */
typedef struct prim_search {
  int32_t w, h, climbs;
  float *tgt, *cur; /* (h, w, 4) */
  float *cd;        /* (h, w, 8): cur and tgt − cur side by side (what scoring reads) */
  float *pre;       /* (h, w + 1, PRIM_PRE) */
  float *row_sse;   /* (h) Σ|t − c|² of each row */
  prim_cand *best;  /* (climbs) */
  int64_t *evals;   /* (climbs) evaluations of each climb in the last step */
  double sse;       /* Σ row_sse, summed in row order */
} prim_search;

/* Runs fn over [0, count) (the node: ysg_node_parallel_for; tests and benches: their own). */
typedef void (*prim_par_fn)(void *par, int count, int grain, ysg_range_fn fn, void *ud);

size_t prim_search_bytes(int w, int h, int climbs);
void prim_search_bind(prim_search *s, void *mem, int w, int h, int climbs);

/* The search space of a w × h search: enabled kinds (bit k = kind k), seed. */
void prim_space_init(prim_space *sp, int w, int h, uint32_t kinds, uint32_t seed);

/* Start from `bg` (premultiplied RGBA) over the whole image: cur = bg, tables, sse. s->tgt must
 * hold the target. */
void prim_search_begin(prim_search *s, const float bg[4]);
/* Rebuild the tables of rows [y0, y1] from tgt and cur and re-add sse. */
void prim_search_rows(prim_search *s, int y0, int y1);
/* Find shape n (0-based), draw it into cur and return it; warm (may be NULL) is a shape tried
 * as climb 0's first candidate (the previous frame's shape n). Returns evaluations made. */
int64_t prim_search_step(prim_search *s, const prim_opts *o, const prim_space *sp, int n,
                         const prim_cand *warm, prim_record *out, prim_par_fn par, void *par_ud);

/* Area-average the FP16 (premultiplied) canvas image `px` (W × H, occupancy grid `tiles` or
 * NULL) into the w × h float target (f canvas pixels per search pixel). Returns the target's
 * mean premultiplied colour in mean. */
void prim_downsample(const uint16_t *px, const uint8_t *tiles, int W, int H, float f, float *tgt,
                     int w, int h, float mean[4]);

/* The search size for a W × H canvas and a work_size long side (never larger than the canvas). */
void prim_work_size(int W, int H, int work_size, int *w, int *h, float *f);

#ifdef __cplusplus
}
#endif
#endif /* YSG_PRIM_SEARCH_H */
