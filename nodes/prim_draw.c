/* prim_draw.c — the primitives node's canvas drawing (prim_draw.h): shapes prepared at canvas
 * scale with the search's rasteriser, each tile blending the shapes whose box meets it in order
 * over the background. */
#include "prim_draw.h"

#include "color.h"
#include "prim_score.h"

void prim_draw_prepare(prim_draw *d, const int32_t *kind, const float *geom, const float *rgba,
                       int n, const float bg[4], int width, int height) {
  d->n = n < d->cap ? n : d->cap;
  for (int q = 0; q < 4; q++) d->bg[q] = bg[q];
  for (int i = 0; i < d->n; i++) {
    prim_geo *g = &d->geo[i];
    int32_t *b = d->box[i];
    for (int q = 0; q < 4; q++) d->col[i][q] = rgba[(size_t)i * 4 + q];
    b[0] = 1;
    b[2] = 0; /* empty */
    b[1] = 0;
    b[3] = -1;
    if (!prim_prepare(kind[i], geom + (size_t)i * 8, g) || !(d->col[i][3] > 0.0f)) continue;
    float x0 = prim_clampf(floorf(g->bx0 - 1.0f), -1.0f, (float)width);
    float x1 = prim_clampf(ceilf(g->bx1 + 1.0f), -1.0f, (float)width);
    b[0] = (int32_t)x0 < 0 ? 0 : (int32_t)x0;
    b[2] = (int32_t)x1 > width - 1 ? width - 1 : (int32_t)x1;
    b[1] = g->y0 < 0 ? 0 : g->y0;
    b[3] = g->y1 > height - 1 ? height - 1 : g->y1;
  }
}

int prim_draw_tile(const prim_draw *d, int x0, int y0, int w, int h, uint16_t *px, size_t stride) {
  float acc[YSG_TILE * YSG_TILE * 4];
  for (int i = 0; i < w * h; i++)
    for (int q = 0; q < 4; q++) acc[i * 4 + q] = d->bg[q];
  int x1 = x0 + w - 1, y1 = y0 + h - 1;
  prim_span sp[PRIM_MAX_SPANS];
  for (int i = 0; i < d->n; i++) {
    const int32_t *b = d->box[i];
    if (b[0] > x1 || b[2] < x0 || b[1] > y1 || b[3] < y0) continue;
    const prim_geo *g = &d->geo[i];
    const float C[4] = {d->col[i][0], d->col[i][1], d->col[i][2], 1.0f};
    float s = d->col[i][3];
    int ya = b[1] > y0 ? b[1] : y0, yb = b[3] < y1 ? b[3] : y1;
    for (int y = ya; y <= yb; y++) {
      int ns = prim_row(g, y, x0, x0 + w, sp);
      float yc = (float)y + 0.5f;
      float *row = acc + (size_t)(y - y0) * (size_t)w * 4;
      for (int k = 0; k < ns; k++)
        for (int x = sp[k].x0; x < sp[k].x1; x++) {
          float cov = sp[k].full ? 1.0f : prim_cov(g, (float)x + 0.5f, yc);
          if (!(cov > 0.0f)) continue;
          float a = cov * s;
          float *c = row + (size_t)(x - x0) * 4;
          for (int q = 0; q < 4; q++) c[q] = c[q] + a * (C[q] - c[q]);
        }
    }
  }
  int any = 0;
  for (int i = 0; i < w * h && !any; i++) any = acc[i * 4 + 3] > 0.0f;
  if (!any) return 0;
  for (int y = 0; y < h; y++)
    ysg_floats_to_halves(acc + (size_t)y * (size_t)w * 4, px + (size_t)y * stride, 4 * w);
  return 1;
}
