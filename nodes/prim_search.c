/* prim_search.c — the primitives search on the CPU (see prim_search.h): climbs in parallel on
 * the caller's threads, each candidate prepared (prim_raster.h) and scored from the row tables
 * (prim_score.h); the chosen shape is drawn into the current image and the tables of its rows
 * are rebuilt. Also the target's area-average downsampling to the search size. */
#include "prim_search.h"

#include <math.h>
#include <string.h>

#include "color.h"

static size_t al64(size_t x) { return (x + 63) & ~(size_t)63; }

size_t prim_search_bytes(int w, int h, int climbs) {
  size_t px = (size_t)w * (size_t)h;
  return 4 * al64(px * 4 * sizeof(float)) +
         al64((size_t)h * (size_t)(w + 1) * PRIM_PRE * sizeof(float)) +
         al64((size_t)h * sizeof(float)) + al64((size_t)climbs * sizeof(prim_cand)) +
         al64((size_t)climbs * sizeof(int64_t));
}

void prim_search_bind(prim_search *s, void *mem, int w, int h, int climbs) {
  unsigned char *m = mem;
  size_t px = (size_t)w * (size_t)h;
  s->w = w;
  s->h = h;
  s->climbs = climbs;
  s->tgt = (float *)m;
  m += al64(px * 4 * sizeof(float));
  s->cur = (float *)m;
  m += al64(px * 4 * sizeof(float));
  s->cd = (float *)m;
  m += al64(px * 8 * sizeof(float));
  s->pre = (float *)m;
  m += al64((size_t)h * (size_t)(w + 1) * PRIM_PRE * sizeof(float));
  s->row_sse = (float *)m;
  m += al64((size_t)h * sizeof(float));
  s->best = (prim_cand *)m;
  m += al64((size_t)climbs * sizeof(prim_cand));
  s->evals = (int64_t *)m;
  s->sse = 0.0;
}

void prim_space_init(prim_space *sp, int w, int h, uint32_t kinds, uint32_t seed) {
  memset(sp, 0, sizeof *sp);
  sp->w = w;
  sp->h = h;
  sp->scale = (float)(w > h ? w : h) / 256.0f;
  sp->seed = seed;
  sp->kinds = kinds;
  for (int k = 0; k < YSG_PRIM_KIND_COUNT; k++)
    if (kinds & (1u << k)) sp->list[sp->n_kinds++] = k;
}

void prim_search_rows(prim_search *s, int y0, int y1) {
  if (y0 < 0) y0 = 0;
  if (y1 > s->h - 1) y1 = s->h - 1;
  size_t rw = (size_t)s->w * 4, rp = (size_t)(s->w + 1) * PRIM_PRE;
  for (int y = y0; y <= y1; y++)
    s->row_sse[y] = prim_build_row(s->tgt + (size_t)y * rw, s->cur + (size_t)y * rw,
                                   s->cd + (size_t)y * rw * 2, s->pre + (size_t)y * rp, s->w);
  double sse = 0.0;
  for (int y = 0; y < s->h; y++) sse += (double)s->row_sse[y];
  s->sse = sse;
}

void prim_search_begin(prim_search *s, const float bg[4]) {
  size_t px = (size_t)s->w * (size_t)s->h;
  for (size_t i = 0; i < px; i++) memcpy(s->cur + i * 4, bg, 4 * sizeof(float));
  prim_search_rows(s, 0, s->h - 1);
}

static prim_img img_of(const prim_search *s) {
  prim_img im = {s->w, s->h, s->cd, s->pre};
  return im;
}

/* prim_sums with the memory a candidate reads prefetched a block of rows ahead: the spans of up
 * to 32 rows are computed first and the prefix entries and pixels they name are prefetched, then
 * summed in the same order (the same bits as prim_sums; random candidates mostly miss the cache,
 * so this overlaps those misses). */
#define PF_ROWS 32
static void sums_prefetch(const prim_geo *g, const prim_img *im, float *S) {
  float lanes[PRIM_LANES][PRIM_SUMS];
  memset(lanes, 0, sizeof lanes);
  prim_span sp[PF_ROWS][PRIM_MAX_SPANS];
  int ns[PF_ROWS], a, b;
  prim_clip_rows(g, im->h, &a, &b);
  size_t rp = (size_t)(im->w + 1) * PRIM_PRE, rc = (size_t)im->w * 8;
  for (int y0 = a; y0 <= b; y0 += PF_ROWS) {
    int m = b - y0 + 1 < PF_ROWS ? b - y0 + 1 : PF_ROWS;
    for (int i = 0; i < m; i++) {
      int y = y0 + i;
      ns[i] = prim_row(g, y, 0, im->w, sp[i]);
      const char *pre = (const char *)(im->pre + (size_t)y * rp);
      const char *cd = (const char *)(im->cd + (size_t)y * rc);
      for (int k = 0; k < ns[i]; k++) {
        const prim_span *q = &sp[i][k];
        if (q->full) {
          size_t e0 = (size_t)q->x0 * PRIM_PRE * 4, e1 = (size_t)q->x1 * PRIM_PRE * 4;
          __builtin_prefetch(pre + e0);
          __builtin_prefetch(pre + e0 + PRIM_PRE * 4 - 1);
          __builtin_prefetch(pre + e1);
          __builtin_prefetch(pre + e1 + PRIM_PRE * 4 - 1);
        } else {
          for (size_t o = (size_t)q->x0 * 32; o < (size_t)q->x1 * 32; o += 64)
            __builtin_prefetch(cd + o);
          __builtin_prefetch(cd + (size_t)q->x1 * 32 - 1);
        }
      }
    }
    for (int i = 0; i < m; i++)
      prim_spans_sums(g, im, y0 + i, sp[i], ns[i], lanes[(y0 + i - a) & (PRIM_LANES - 1)]);
  }
  prim_lanes_reduce(lanes, S);
}

/* score a candidate in place (de = +BIG when it covers nothing or is degenerate) */
static void score(const prim_img *im, float alpha, prim_cand *c) {
  prim_geo g;
  c->de = PRIM_BIG;
  if (c->kind < 0 || !prim_prepare(c->kind, c->g, &g)) return;
  float S[PRIM_SUMS];
  sums_prefetch(&g, im, S);
  c->de = prim_solve(S, alpha).de;
}

typedef struct climb_job {
  const prim_search *s;
  const prim_opts *o;
  const prim_space *sp;
  int n;
  const prim_cand *warm;
} climb_job;

/* Climb c of shape n: the best of the random candidates, then rounds of PRIM_BATCH mutations. */
static void climb(const climb_job *j, int c) {
  const prim_opts *o = j->o;
  prim_img im = img_of(j->s);
  prim_cand best, t;
  best.kind = -1;
  best.de = PRIM_BIG;
  int64_t evals = 0;
  for (int i = 0; i < o->candidates; i++) {
    if (c == 0 && i == 0 && j->warm)
      t = *j->warm;
    else
      prim_random(j->sp, (uint32_t)j->n, (uint32_t)c, (uint32_t)i, &t);
    score(&im, o->alpha, &t);
    evals++;
    if (t.de < best.de) best = t;
  }
  if (best.kind >= 0) {
    int fails = 0;
    for (int r = 0; r < PRIM_MAX_ROUNDS && fails < o->age; r++) {
      prim_cand top;
      top.de = PRIM_BIG;
      top.kind = -1;
      for (int k = 0; k < PRIM_BATCH; k++) {
        uint32_t step = (uint32_t)o->candidates + (uint32_t)(r * PRIM_BATCH + k);
        if (prim_mutate(j->sp, (uint32_t)j->n, (uint32_t)c, step, &best, &t))
          score(&im, o->alpha, &t);
        else
          t.de = PRIM_BIG;
        evals++;
        if (t.de < top.de) top = t;
      }
      if (top.de < best.de) {
        best = top;
        fails = 0;
      } else {
        fails += PRIM_BATCH;
      }
    }
  }
  j->s->best[c] = best;
  j->s->evals[c] = evals;
}

static void climb_range(void *ud, int a, int b) {
  for (int c = a; c < b; c++) climb(ud, c);
}

int64_t prim_search_step(prim_search *s, const prim_opts *o, const prim_space *sp, int n,
                         const prim_cand *warm, prim_record *out, prim_par_fn par, void *par_ud) {
  prim_cand w;
  const prim_cand *wp = NULL;
  if (warm && warm->kind >= 0 && warm->kind < YSG_PRIM_KIND_COUNT &&
      (sp->kinds & (1u << warm->kind)) && prim_valid(warm->kind, warm->g, sp)) {
    w = *warm;
    wp = &w;
  }
  climb_job j = {s, o, sp, n, wp};
  par(par_ud, s->climbs, 1, climb_range, &j);
  int64_t evals = 0;
  int bi = 0;
  for (int c = 0; c < s->climbs; c++) {
    evals += s->evals[c];
    if (s->best[c].de < s->best[bi].de) bi = c;
  }
  memset(out, 0, sizeof *out);
  out->kind = -1;
  out->error = (float)sqrt(s->sse / ((double)s->w * (double)s->h * 4.0));
  const prim_cand *b = &s->best[bi];
  prim_geo g;
  if (b->kind < 0 || !prim_prepare(b->kind, b->g, &g)) return evals;
  prim_img im = img_of(s);
  float S[PRIM_SUMS];
  sums_prefetch(&g, &im, S);
  prim_fit f = prim_solve(S, o->alpha);
  if (!(f.de < PRIM_BIG)) return evals;
  int y0, y1;
  prim_clip_rows(&g, s->h, &y0, &y1);
  for (int y = y0; y <= y1; y++) prim_draw_row(&g, &f, s->cur + (size_t)y * s->w * 4, y, s->w);
  prim_search_rows(s, y0, y1);
  out->kind = b->kind;
  memcpy(out->g, b->g, sizeof out->g);
  memcpy(out->rgb, f.rgb, sizeof out->rgb);
  out->s = f.s;
  out->de = f.de;
  out->error = (float)sqrt(s->sse / ((double)s->w * (double)s->h * 4.0));
  return evals;
}

/* ---- the target at the search size ---------------------------------------------------------- */

void prim_work_size(int W, int H, int work_size, int *w, int *h, float *f) {
  int lng = W > H ? W : H;
  int tgt = work_size < lng ? work_size : lng;
  *f = (float)lng / (float)tgt;
  *w = (int)lround((double)W / (double)*f);
  *h = (int)lround((double)H / (double)*f);
  if (*w < 1) *w = 1;
  if (*h < 1) *h = 1;
}

/* the canvas pixels [i·f, (i+1)·f) ∩ [0, n) a search pixel covers: first, last and the weights
 * of the two partial ends */
static void cover(int i, float f, int n, int *a, int *b, float *wa, float *wb) {
  double lo = (double)i * f, hi = (double)(i + 1) * f;
  if (hi > n) hi = n;
  *a = (int)floor(lo);
  *b = (int)ceil(hi) - 1;
  if (*b < *a) *b = *a;
  *wa = (float)((double)(*a + 1) - lo);
  *wb = (float)(hi - (double)*b);
  if (*a == *b) *wa = *wb = (float)(hi - lo);
}

void prim_downsample(const uint16_t *px, int W, int H, float f, float *tgt, int w, int h,
                     float mean[4]) {
  double sum[4] = {0, 0, 0, 0};
  for (int j = 0; j < h; j++) {
    int ya, yb;
    float wya, wyb;
    cover(j, f, H, &ya, &yb, &wya, &wyb);
    for (int i = 0; i < w; i++) {
      int xa, xb;
      float wxa, wxb;
      cover(i, f, W, &xa, &xb, &wxa, &wxb);
      double acc[4] = {0, 0, 0, 0}, wsum = 0;
      for (int y = ya; y <= yb && y < H; y++) {
        double wy = y == ya ? wya : (y == yb ? wyb : 1.0);
        for (int x = xa; x <= xb && x < W; x++) {
          double wgt = wy * (x == xa ? wxa : (x == xb ? wxb : 1.0));
          float p[4];
          ysg_load_px(px + ((size_t)y * (size_t)W + (size_t)x) * 4, p);
          for (int q = 0; q < 4; q++) acc[q] += wgt * p[q];
          wsum += wgt;
        }
      }
      float *o = tgt + ((size_t)j * (size_t)w + (size_t)i) * 4;
      for (int q = 0; q < 4; q++) {
        o[q] = wsum > 0 ? (float)(acc[q] / wsum) : 0.0f;
        sum[q] += o[q];
      }
    }
  }
  for (int q = 0; q < 4; q++) mean[q] = (float)(sum[q] / ((double)w * (double)h));
}
