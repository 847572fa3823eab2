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

/* ---- scoring with the memory prefetched ahead ------------------------------------------------
 * Random candidates mostly miss the cache (and at 1024² the tables live in DRAM), so scoring is
 * software-pipelined: while candidate i is summed, candidate i + 1 is prepared, the spans of its
 * first rows are computed and the prefix entries and pixels they name are prefetched; taller
 * shapes prefetch the rest a block of rows ahead. The sums are prim_spans_sums over the same
 * rows in the same lanes and order as prim_sums: the same bits. */
#define PF_ROWS 32

typedef struct staged {
  prim_cand *c;
  prim_geo g;
  int ok, a, b, m; /* rows [a, b]; the first m have their spans below */
  int ns[PF_ROWS];
  prim_span sp[PF_ROWS][PRIM_MAX_SPANS];
} staged;

/* spans of rows [y0, y0 + m) into sp/ns, their memory prefetched */
static void spans_ahead(const prim_geo *g, const prim_img *im, int y0, int m,
                        prim_span (*sp)[PRIM_MAX_SPANS], int *ns) {
  size_t rp = (size_t)(im->w + 1) * PRIM_PRE, rc = (size_t)im->w * 8;
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
}

static void stage(const prim_img *im, prim_cand *c, staged *st) {
  st->c = c;
  st->ok = c->kind >= 0 && prim_prepare(c->kind, c->g, &st->g);
  if (!st->ok) return;
  prim_clip_rows(&st->g, im->h, &st->a, &st->b);
  st->m = st->b - st->a + 1 < PF_ROWS ? st->b - st->a + 1 : PF_ROWS;
  if (st->m > 0) spans_ahead(&st->g, im, st->a, st->m, st->sp, st->ns);
}

static void finish(const prim_img *im, float alpha, staged *st) {
  prim_cand *c = st->c;
  c->de = PRIM_BIG;
  if (!st->ok) return;
  float lanes[PRIM_LANES][PRIM_SUMS], S[PRIM_SUMS];
  memset(lanes, 0, sizeof lanes);
  int a = st->a;
  for (int y0 = a; y0 <= st->b; y0 += PF_ROWS) {
    int m = st->b - y0 + 1 < PF_ROWS ? st->b - y0 + 1 : PF_ROWS;
    if (y0 != a) spans_ahead(&st->g, im, y0, m, st->sp, st->ns);
    for (int i = 0; i < m; i++)
      prim_spans_sums(&st->g, im, y0 + i, st->sp[i], st->ns[i],
                      lanes[(y0 + i - a) & (PRIM_LANES - 1)]);
  }
  prim_lanes_reduce(lanes, S);
  c->de = prim_solve(S, alpha).de;
}

/* score n candidates in place (de = +BIG when one covers nothing or is degenerate) */
static void score_batch(const prim_img *im, float alpha, prim_cand *c, int n) {
  staged st[2];
  if (n <= 0) return;
  stage(im, &c[0], &st[0]);
  for (int i = 0; i < n; i++) {
    if (i + 1 < n) stage(im, &c[i + 1], &st[(i + 1) & 1]);
    finish(im, alpha, &st[i & 1]);
  }
}

typedef struct climb_job {
  const prim_search *s;
  const prim_opts *o;
  const prim_space *sp;
  int n;
  const prim_cand *warm;
} climb_job;

/* Climb c of shape n: the best of the random candidates (the first one strictly lower wins),
 * then rounds of PRIM_BATCH mutations of the climb's shape, the round's best replacing it when
 * lower, until `age` mutations in a row failed. */
static void climb(const climb_job *j, int c) {
  const prim_opts *o = j->o;
  prim_img im = img_of(j->s);
  prim_cand best, t[PRIM_BATCH];
  best.kind = -1;
  best.de = PRIM_BIG;
  int64_t evals = 0;
  for (int i0 = 0; i0 < o->candidates; i0 += PRIM_BATCH) {
    int m = o->candidates - i0 < PRIM_BATCH ? o->candidates - i0 : PRIM_BATCH;
    for (int k = 0; k < m; k++) {
      int i = i0 + k;
      if (c == 0 && i == 0 && j->warm)
        t[k] = *j->warm;
      else
        prim_random(j->sp, (uint32_t)j->n, (uint32_t)c, (uint32_t)i, &t[k]);
    }
    score_batch(&im, o->alpha, t, m);
    evals += m;
    for (int k = 0; k < m; k++)
      if (t[k].de < best.de) best = t[k];
  }
  if (best.kind >= 0) {
    int fails = 0;
    for (int r = 0; r < PRIM_MAX_ROUNDS && fails < o->age; r++) {
      for (int k = 0; k < PRIM_BATCH; k++) {
        uint32_t step = (uint32_t)o->candidates + (uint32_t)(r * PRIM_BATCH + k);
        if (!prim_mutate(j->sp, (uint32_t)j->n, (uint32_t)c, step, &best, &t[k]))
          t[k].kind = -1; /* no valid mutation: scored +BIG */
      }
      score_batch(&im, o->alpha, t, PRIM_BATCH);
      evals += PRIM_BATCH;
      prim_cand top;
      top.de = PRIM_BIG;
      top.kind = -1;
      for (int k = 0; k < PRIM_BATCH; k++)
        if (t[k].de < top.de) top = t[k];
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
  prim_sums(&g, &im, S);
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

void prim_downsample(const uint16_t *px, const uint8_t *tiles, int W, int H, float f, float *tgt,
                     int w, int h, float mean[4]) {
  int tiles_x = (W + YSG_TILE - 1) / YSG_TILE;
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
          float p[4] = {0, 0, 0, 0}; /* pixels of tiles flagged empty are not written: 0 */
          if (!tiles || tiles[(y / YSG_TILE) * tiles_x + x / YSG_TILE])
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
