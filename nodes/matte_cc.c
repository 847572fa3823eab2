/* matte_cc.c — connected components of a thresholded matte for the `matte` node's islands and
 * holes: foreground (m ≥ 0.5) 8-connected, background 4-connected (the pair that keeps the
 * topology consistent). Two-pass union-find: each band of rows is labelled on its own thread
 * (parents always point to smaller indices, so roots are the smallest index of a component),
 * the band seams are united, one forward pass flattens every parent to its root, areas are
 * counted, and small islands (set to 0) and enclosed holes (set to 1) are rewritten.
 * cuda/matte_refine.cu does the same with atomicMin union-find; results are identical. */
#include <string.h>

#include "matte_filter.h"

#define TOUCHES_BORDER 0x40000000 /* flag in area[root]: the component reaches the image edge */

static int32_t find(int32_t *p, int32_t x) {
  while (p[x] != x) {
    p[x] = p[p[x]]; /* path halving keeps p[i] ≤ i */
    x = p[x];
  }
  return x;
}

static void unite(int32_t *p, int32_t a, int32_t b) {
  a = find(p, a);
  b = find(p, b);
  if (a < b)
    p[b] = a;
  else if (b < a)
    p[a] = b;
}

typedef struct cc_job {
  float *m;
  int32_t *lab, *area;
  int w, h, bands;
  int64_t islands, holes;
} cc_job;

static int band_start(const cc_job *j, int b) { return (int)((int64_t)j->h * b / j->bands); }

/* Unite pixel (x, y) with its already-visited neighbours of the same class; `top` is the first
 * row whose upper neighbours may be used. */
static void link_px(const cc_job *j, int x, int y, int top) {
  int w = j->w;
  int32_t i = (int32_t)((size_t)y * w + x);
  int fg = j->m[i] >= 0.5f;
  if (x > 0 && (j->m[i - 1] >= 0.5f) == fg) unite(j->lab, i, i - 1);
  if (y > top) {
    int32_t u = i - w;
    if ((j->m[u] >= 0.5f) == fg) unite(j->lab, i, u);
    if (fg && x > 0 && j->m[u - 1] >= 0.5f) unite(j->lab, i, u - 1);
    if (fg && x + 1 < w && j->m[u + 1] >= 0.5f) unite(j->lab, i, u + 1);
  }
}

static void cc_bands(void *ud, int b0, int b1) {
  const cc_job *j = ud;
  for (int b = b0; b < b1; b++) {
    int y0 = band_start(j, b), y1 = band_start(j, b + 1);
    for (int y = y0; y < y1; y++) {
      for (int x = 0; x < j->w; x++) {
        size_t i = (size_t)y * j->w + x;
        j->lab[i] = (int32_t)i;
        link_px(j, x, y, y0);
      }
    }
  }
}

static void cc_apply(void *ud, int y0, int y1) {
  const cc_job *j = ud;
  for (size_t i = (size_t)y0 * j->w; i < (size_t)y1 * j->w; i++) {
    int32_t a = j->area[j->lab[i]];
    int64_t size = a & ~TOUCHES_BORDER;
    if (j->m[i] >= 0.5f) {
      if (size < j->islands) j->m[i] = 0.0f;
    } else if (!(a & TOUCHES_BORDER) && size < j->holes) {
      j->m[i] = 1.0f;
    }
  }
}

void ysg__matte_components(const ysg_node *n, float *m, int w, int h, int64_t islands,
                           int64_t holes, int32_t *labels, int32_t *area) {
  if (w <= 0 || h <= 0 || (islands <= 0 && holes <= 0)) return;
  cc_job j;
  j.m = m;
  j.lab = labels;
  j.area = area;
  j.w = w;
  j.h = h;
  j.islands = islands;
  j.holes = holes;
  int t = ysg_node_threads(n);
  j.bands = t < 1 ? 1 : (t > h ? h : t);
  ysg_node_parallel_for(n, j.bands, 1, cc_bands, &j);
  for (int b = 1; b < j.bands; b++) { /* seams: the first row of each band meets the row above */
    int y = band_start(&j, b);
    for (int x = 0; x < w; x++) link_px(&j, x, y, 0);
  }
  size_t npx = (size_t)w * (size_t)h;
  for (size_t i = 0; i < npx; i++) labels[i] = labels[labels[i]]; /* parents precede children */
  memset(area, 0, npx * sizeof(int32_t));
  for (size_t i = 0; i < npx; i++) area[labels[i]]++;
  for (int x = 0; x < w; x++) {
    area[labels[x]] |= TOUCHES_BORDER;
    area[labels[(size_t)(h - 1) * w + x]] |= TOUCHES_BORDER;
  }
  for (int y = 0; y < h; y++) {
    area[labels[(size_t)y * w]] |= TOUCHES_BORDER;
    area[labels[(size_t)y * w + w - 1]] |= TOUCHES_BORDER;
  }
  ysg_node_parallel_for(n, h, 16, cc_apply, &j);
}
