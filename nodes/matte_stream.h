/* matte_stream.h — row streaming for the `matte` node on the CPU: its stages run as a chain in
 * which each stage computes one row at a time from the few rows of the stage before it that it
 * needs, kept in small rings (cache-resident), so a frame is read once and written once instead
 * of every stage making a full-frame pass over FP32 planes. Each worker runs the chain over bands
 * of output rows, recomputing the few rows above a band its stages look back on. Stages:
 * nodes/matte_stream.c (source, grow, blur, feather, temporal) and matte_guided.c. */
#ifndef YSG_MATTE_STREAM_H
#define YSG_MATTE_STREAM_H

#include <stddef.h>

#include "matte_math.h"
#include "ysgraph/node.h"

#define YSG_RS_MAX 8 /* stages in a chain */

typedef struct ysg_rs_chain ysg_rs_chain;

typedef struct ysg_rs_stage {
  /* Row y of stage i into out (`floats` floats). Reads its input through ysg_rs_get(c, i - 1,
   * …) within [y − lo, y + hi] ∩ [0, H); rows are asked for in increasing order. */
  void (*row)(ysg_rs_chain *c, int i, int y, float *out);
  /* At a band start, before row `first` (the first this stage computes): reset running state. */
  void (*begin)(ysg_rs_chain *c, int i, int first);
  int lo, hi;         /* input rows row y reads: [y − lo, y + hi] */
  int in_ring;        /* rows of the input the stage reads while it moves on (ring size) */
  int floats;         /* floats per row of this stage's output */
  const float *plane; /* a source stage whose rows are a W×H plane (no ring, no row function) */
  void *state;        /* the stage's per-worker state */
  /* set per band */
  float *ring;
  int nring, next;
} ysg_rs_stage;

struct ysg_rs_chain {
  ysg_rs_stage st[YSG_RS_MAX];
  int n, w, h;
  int y0, y1; /* the band whose rows this worker owns */
  const void *ud;
};

/* Row y of stage i (computing the rows up to it). */
static inline const float *ysg_rs_get(ysg_rs_chain *c, int i, int y) {
  ysg_rs_stage *s = &c->st[i];
  if (s->plane) return s->plane + (size_t)y * (size_t)c->w;
  while (s->next <= y) {
    s->row(c, i, s->next, s->ring + (size_t)(s->next % s->nring) * (size_t)s->floats);
    s->next++;
  }
  return s->ring + (size_t)(y % s->nring) * (size_t)s->floats;
}

/* ---- the guided filter as a stage (matte_guided.c) ------------------------------------------
 * Rows of the guide's code values and of the coefficients (a, b) are kept in rings, the window
 * sums are running sums down the rows (double) and prefix sums along each row (double): O(1)
 * per pixel in the radius. Per worker it needs ysg__matte_guided_floats(w, r) floats. */
typedef struct ysg_guided_op {
  const ysg_value *guide;
  int r;
  float eps;
} ysg_guided_op;
size_t ysg__matte_guided_floats(int w, int r);
/* Make stage st the guided filter of the stage before it; mem: its per-worker floats. */
void ysg__matte_guided_stage(ysg_rs_stage *st, const ysg_guided_op *op, float *mem, int w);

/* ---- the `matte` node's stream (matte_stream.c) ---------------------------------------------- */

typedef struct ysg_matte_stream {
  const ysg_matte_refine_op *op;
  const ysg_value *in; /* the matte image: its alpha through the threshold is the source … */
  const float *plane;  /* … unless the stages before the stream ran on a W×H plane */
  int grow;            /* stream grow/shrink (a small disc: ysg__matte_grow_is_direct) */
  int feather, blur;   /* stream them (exact kernels) */
  int temporal;        /* temporal smoothing: reads t_prev, writes t_next (W×H each) */
  const float *t_prev;
  float *t_next;
  int guided; /* the guided filter with this guide (op->guided > 0) */
  const ysg_value *guide;
  ysg_value *out;
  float *mem; /* workers × worker_floats */
  size_t worker_floats;
  int workers;
} ysg_matte_stream;

/* 1 when grow/shrink by r runs as the direct disc (also in the stream). */
int ysg__matte_grow_is_direct(float r);
/* Floats per worker for the stages s configures (largest radii; op, plane ignored). */
size_t ysg__matte_stream_floats(const ysg_matte_stream *s, int w, int h);
/* Run the stream over the whole frame into s->out. */
void ysg__matte_stream(const ysg_node *n, const ysg_matte_stream *s);

#endif /* YSG_MATTE_STREAM_H */
