/* line_prims.c — the `line` node's CPU passes: building one segment slot per edge or polyline
 * segment (in parallel; line_math.h holds the per-element math the CUDA kernel shares), and
 * rendering one binned tile (ysg__line_tile, the node's tile render). A tile keeps each pixel's
 * nearest on-segment: every segment listed in the tile visits only the pixels of the rows its
 * capsule crosses, within the x-span the capsule can reach in that row, so most of a tile is never
 * evaluated for most segments. */
#include <string.h>

#include "line.h"

/* ---- building ---------------------------------------------------------------------------- */

typedef struct build_job {
  const ysg_line_frame *f;
  const ysg_value *curves, *points, *edges;
  ysg_line_seg *segs;
  ysg_bin_prim *prims;
  float *cols;
} build_job;

static void build_edges(void *ud, int b, int e) {
  const build_job *j = ud;
  const ysg_value *p = j->points;
  const float *rgba = (p->attrs & YSG_ATTR_RGBA) ? p->rgba : NULL;
  size_t per = (size_t)ysg_line_edge_slots(j->f->heads);
  for (int k = b; k < e; k++)
    ysg_line_build_edge(j->f, p->xy, rgba, p->count, j->edges->ij[2 * k], j->edges->ij[2 * k + 1],
                        &j->segs[per * k], &j->prims[per * k],
                        j->cols ? j->cols + 8 * per * (size_t)k : NULL);
}

static void build_curves(void *ud, int b, int e) {
  const build_job *j = ud;
  int S = j->curves->samples;
  size_t per = (size_t)ysg_line_curve_slots(j->f->heads, S);
  for (int c = b; c < e; c++) {
    size_t slot = (size_t)c * per;
    ysg_line_build_curve(j->f, j->curves->xy + (size_t)c * (size_t)S * 2, S, j->segs + slot,
                         j->prims + slot, j->cols ? j->cols + 8 * slot : NULL);
  }
}

int ysg__line_build(const ysg_node *n, const ysg_line_frame *f, const ysg_value *curves,
                    const ysg_value *points, const ysg_value *edges, ysg_line_seg *segs,
                    ysg_bin_prim *prims, float *cols, int *n_slots) {
  build_job j = {f, curves, points, edges, segs, prims, f->gradient ? cols : NULL};
  int skipped = 0;
  if (curves) {
    int count = curves->count < curves->capacity ? curves->count : curves->capacity;
    if (count < 0 || curves->samples < 2) count = 0;
    *n_slots = count * ysg_line_curve_slots(f->heads, curves->samples);
    ysg_node_parallel_for(n, count, 64, build_curves, &j);
  } else {
    int count = edges->count < edges->capacity ? edges->count : edges->capacity;
    if (count < 0) count = 0;
    *n_slots = count * ysg_line_edge_slots(f->heads);
    ysg_node_parallel_for(n, count, 1024, build_edges, &j);
    for (int k = 0; k < count; k++) {
      int32_t a = edges->ij[2 * k], b = edges->ij[2 * k + 1];
      skipped += a < 0 || b < 0 || a >= points->count || b >= points->count;
    }
  }
  return skipped;
}

/* ---- rendering --------------------------------------------------------------------------- */

/* Pixel columns [*xa, *xb] of a tile row (centre yc; tile starts at x0, nx wide) that may lie
 * within R of the segment: the part of the segment within R of the row vertically, widened by
 * R. 0 if none. */
YSG_CPU_CLONES static int row_span(const ysg_line_seg *s, float bx, float yc, float R, int x0,
                                   int nx, int *xa, int *xb) {
  float xl, xr;
  if (fabsf(s->uy) < 1.0e-6f) {
    if (fabsf(s->ay - yc) > R) return 0;
    xl = (s->ax < bx ? s->ax : bx) - R;
    xr = (s->ax < bx ? bx : s->ax) + R;
  } else {
    float inv = 1.0f / s->uy;
    float t1 = (yc - R - s->ay) * inv, t2 = (yc + R - s->ay) * inv;
    if (t1 > t2) {
      float tmp = t1;
      t1 = t2;
      t2 = tmp;
    }
    t1 = t1 < 0.0f ? 0.0f : t1;
    t2 = t2 > s->len ? s->len : t2;
    if (t1 > t2) return 0;
    float p1 = s->ax + t1 * s->ux, p2 = s->ax + t2 * s->ux;
    xl = (p1 < p2 ? p1 : p2) - R;
    xr = (p1 < p2 ? p2 : p1) + R;
  }
  float fa = ceilf(xl - 0.5f - (float)x0), fb = floorf(xr - 0.5f - (float)x0);
  *xa = fa < 0.0f ? 0 : (int)fa;
  *xb = fb > (float)(nx - 1) ? nx - 1 : (int)fb;
  return *xa <= *xb;
}

/* Solid strokes: the nearest segment per pixel over whole tile rows. A row is 16 lanes with a
 * fixed trip count, one or two SIMD operations per step, cheaper than working out which of
 * them the capsule reaches; this is ysg_line_d2 without the pattern, written out. */
YSG_CPU_CLONES static void visit_rows_solid(const ysg_line_seg *s, int i, int x0, int y0, int ya,
                                            int yb, float *d2, int32_t *idx) {
  float ax = s->ax, ay = s->ay, ux = s->ux, uy = s->uy, len = s->len;
  float qx[YSG_TILE];
  for (int x = 0; x < YSG_TILE; x++) qx[x] = (float)(x0 + x) + 0.5f - ax;
  for (int ry = ya; ry <= yb; ry++) {
    float qy = (float)(y0 + ry) + 0.5f - ay;
    float *rd = d2 + ry * YSG_TILE;
    int32_t *ri = idx + ry * YSG_TILE;
    for (int x = 0; x < YSG_TILE; x++) {
      float u = qx[x] * ux + qy * uy, v = qx[x] * uy - qy * ux;
      float uc = u < 0.0f ? 0.0f : (u > len ? len : u);
      float a = u - uc, d = a * a + v * v;
      int m = d < rd[x];
      rd[x] = m ? d : rd[x];
      ri[x] = m ? i : ri[x];
    }
  }
}

/* Patterned strokes: the pattern lookup does not vectorise, so only the pixels of each row that
 * the capsule can reach are visited. */
YSG_CPU_CLONES static void visit_rows_pattern(const ysg_line_frame *f, const ysg_line_seg *s, int i,
                                              int x0, int y0, int nx, int ya, int yb, float *d2,
                                              int32_t *idx) {
  float bx = s->ax + s->len * s->ux;
  for (int ry = ya; ry <= yb; ry++) {
    float y = (float)(y0 + ry) + 0.5f;
    int xa, xb;
    if (!row_span(s, bx, y, f->cutoff, x0, nx, &xa, &xb)) continue;
    for (int x = xa; x <= xb; x++) {
      float d = ysg_line_d2(f, s, (float)(x0 + x) + 0.5f, y);
      if (d < d2[ry * YSG_TILE + x]) {
        d2[ry * YSG_TILE + x] = d;
        idx[ry * YSG_TILE + x] = i;
      }
    }
  }
}

/* Shaped solid strokes (no pattern): the least signed distance per pixel over whole tile rows,
 * 16 lanes with a fixed trip count as in visit_rows_solid: ysg_line_sd written out for the
 * slot's kind — a head, ends all round (or joints), or some end butt. */
YSG_CPU_CLONES static void visit_rows_shaped_solid(const ysg_line_seg *s, int i, int x0, int y0,
                                                   int ya, int yb, float *key, int32_t *idx) {
  float ax = s->ax, ay = s->ay, ux = s->ux, uy = s->uy, len = s->len;
  float qx[YSG_TILE], d[YSG_TILE];
  for (int x = 0; x < YSG_TILE; x++) qx[x] = (float)(x0 + x) + 0.5f - ax;
  uint32_t caps = s->caps;
  float h0 = s->h0, k = ysg_line_h_slope(s);
  int butt0 = (caps & YSG_LINE_END0) && (caps & YSG_LINE_BUTT0);
  int butt1 = (caps & YSG_LINE_END1) && (caps & YSG_LINE_BUTT1);
  float hb = h0 > 1.0e-6f ? h0 : 1.0e-6f, den = hb * hb + len * len;
  /* square roots go through ysg__sqrt_row so that the lane loops vectorise */
  float r1[YSG_TILE], r2[YSG_TILE], sub[YSG_TILE], alt[YSG_TILE], qa_[YSG_TILE], dv_[YSG_TILE];
  uint8_t sel[YSG_TILE];
  for (int ry = ya; ry <= yb; ry++) {
    float qy = (float)(y0 + ry) + 0.5f - ay;
    if (caps & YSG_LINE_HEAD) {
      for (int x = 0; x < YSG_TILE; x++) { /* ysg_line_head_sd */
        float yy = qx[x] * ux + qy * uy, xx = fabsf(qx[x] * uy - qy * ux);
        float t = ysg_clampf((xx * hb + yy * len) / den, 0.0f, 1.0f);
        float pa = xx - hb * t, pb = yy - len * t;
        float tb = ysg_clampf(xx / hb, 0.0f, 1.0f), qa = xx - hb * tb, qb = yy - len;
        float da = pa * pa + pb * pb, db = qa * qa + qb * qb;
        float sa = yy * hb - xx * len, sb = len - yy;
        r1[x] = da < db ? da : db;
        sel[x] = (sa < sb ? sa : sb) < 0.0f;
      }
      ysg__sqrt_row(r1);
      for (int x = 0; x < YSG_TILE; x++) d[x] = sel[x] ? r1[x] : -r1[x];
    } else if (!butt0 && !butt1) {
      for (int x = 0; x < YSG_TILE; x++) { /* ysg_line_seg_sd, round ends and joints */
        float u = qx[x] * ux + qy * uy, v = qx[x] * uy - qy * ux;
        float uc = u < 0.0f ? 0.0f : (u > len ? len : u), a = u - uc;
        r1[x] = a * a + v * v;
        sub[x] = h0 + uc * k;
      }
      ysg__sqrt_row(r1);
      for (int x = 0; x < YSG_TILE; x++) d[x] = r1[x] - sub[x];
    } else {
      /* ysg_line_seg_sd with butt ends, as selects so that the lanes vectorise */
      float c0 = butt0 ? 1.0f : 0.0f, c1 = butt1 ? 1.0f : 0.0f;
      for (int x = 0; x < YSG_TILE; x++) {
        float u = qx[x] * ux + qy * uy, v = qx[x] * uy - qy * ux;
        float uc = u < 0.0f ? 0.0f : (u > len ? len : u), a = u - uc, av = fabsf(v);
        float h = h0 + uc * k, dv = av - h, in = dv;
        float e0 = c0 != 0.0f ? -uc : -3.0e38f, e1 = c1 != 0.0f ? -(len - uc) : -3.0e38f;
        in = e0 > in ? e0 : in;
        in = e1 > in ? e1 : in;
        r1[x] = a * a + v * v;   /* round: sqrt(r1) - h */
        r2[x] = a * a + dv * dv; /* flat, outside the band: sqrt(r2) */
        sub[x] = h;
        alt[x] = in;
        qa_[x] = a;
        dv_[x] = dv;
      }
      ysg__sqrt_row(r1);
      ysg__sqrt_row(r2);
      for (int x = 0; x < YSG_TILE; x++) {
        float a = qa_[x], flat = (a > 0.0f ? c1 : c0) != 0.0f;
        float beyond = flat != 0.0f ? (dv_[x] > 0.0f ? r2[x] : fabsf(a)) : r1[x] - sub[x];
        d[x] = a == 0.0f ? alt[x] : beyond;
      }
    }
    float *rk = key + ry * YSG_TILE;
    int32_t *ri = idx + ry * YSG_TILE;
    for (int x = 0; x < YSG_TILE; x++) {
      int m = d[x] < rk[x];
      rk[x] = m ? d[x] : rk[x];
      ri[x] = m ? i : ri[x];
    }
  }
}

/* Shaped strokes: the least signed distance per pixel, over the pixels of each row that the
 * slot (its own reach: local width or head) can cover. */
YSG_CPU_CLONES static void visit_rows_shaped(const ysg_line_frame *f, const ysg_line_seg *s, int i,
                                             int x0, int y0, int nx, int ya, int yb, float *key,
                                             int32_t *idx) {
  float bx = s->ax + s->len * s->ux, R = ysg_line_slot_reach(f, s);
  for (int ry = ya; ry <= yb; ry++) {
    float y = (float)(y0 + ry) + 0.5f;
    int xa, xb;
    if (!row_span(s, bx, y, R, x0, nx, &xa, &xb)) continue;
    for (int x = xa; x <= xb; x++) {
      float d = ysg_line_sd(f, s, (float)(x0 + x) + 0.5f, y);
      if (d < key[ry * YSG_TILE + x]) {
        key[ry * YSG_TILE + x] = d;
        idx[ry * YSG_TILE + x] = i;
      }
    }
  }
}

YSG_CPU_CLONES static int line_tile(const ysg_line_frame *f, const ysg_line_seg *segs,
                                    const float *cols, const ysg_bins *bins, const ysg_tile *t) {
  int tile = t->ty * bins->tiles_x + t->tx;
  int b = bins->start[tile], e = bins->start[tile + 1];
  if (b == e) return 0;
  int x0 = t->x0, y0 = t->y0, nx = t->w, ny = t->h;
  float d2[YSG_TILE * YSG_TILE];
  int32_t idx[YSG_TILE * YSG_TILE];
  float limit = ysg_line_key_limit(f);
  for (int k = 0; k < YSG_TILE * YSG_TILE; k++) {
    d2[k] = limit; /* the key: squared distance, or signed distance when f->shaped */
    idx[k] = -1;
  }
  for (int it = b; it < e; it++) {
    int i = bins->items[it];
    const ysg_line_seg *s = &segs[i];
    float by = s->ay + s->len * s->uy, R = ysg_line_slot_reach(f, s);
    float ylo = (s->ay < by ? s->ay : by) - R, yhi = (s->ay < by ? by : s->ay) + R;
    float fa = ceilf(ylo - 0.5f - (float)y0), fb = floorf(yhi - 0.5f - (float)y0);
    int ya = fa < 0.0f ? 0 : (int)fa, yb = fb > (float)(ny - 1) ? ny - 1 : (int)fb;
    if (f->shaped && f->n_on == 0)
      visit_rows_shaped_solid(s, i, x0, y0, ya, yb, d2, idx);
    else if (f->shaped)
      visit_rows_shaped(f, s, i, x0, y0, nx, ya, yb, d2, idx);
    else if (f->n_on == 0)
      visit_rows_solid(s, i, x0, y0, ya, yb, d2, idx);
    else
      visit_rows_pattern(f, s, i, x0, y0, nx, ya, yb, d2, idx);
  }
  float rgba[YSG_TILE * YSG_TILE * 4];
  int any = 0;
  for (int ry = 0; ry < ny; ry++) {
    const int32_t *ri = idx + ry * YSG_TILE;
    float *o = rgba + 4 * ry * YSG_TILE, yc = (float)(y0 + ry) + 0.5f;
    int hit = 0;
    for (int rx = 0; rx < YSG_TILE; rx++) hit |= ri[rx] >= 0;
    if (!hit) {
      memset(o, 0, sizeof(float) * 4 * YSG_TILE);
      continue;
    }
    for (int rx = 0; rx < nx; rx++) {
      float *p = o + 4 * rx;
      p[0] = p[1] = p[2] = p[3] = 0.0f;
      if (ri[rx] < 0) continue;
      float tt, cov = ysg_line_coverage(f, &segs[ri[rx]], (float)(x0 + rx) + 0.5f, yc,
                                        d2[ry * YSG_TILE + rx], &tt);
      if (!(cov > 0.0f)) continue;
      ysg_line_shade(f, cols ? cols + 8 * (size_t)ri[rx] : NULL, cov, tt, p);
      any |= p[0] != 0.0f || p[1] != 0.0f || p[2] != 0.0f || p[3] != 0.0f;
    }
  }
  if (!any) return 0;
  for (int ry = 0; ry < ny; ry++)
    ysg_floats_to_halves(rgba + 4 * ry * YSG_TILE, t->px + (size_t)ry * t->stride, 4 * nx);
  return 1;
}

/* the cloned tile renderer is static: an extern clone's dispatcher would leave the library */
int ysg__line_tile(const ysg_line_frame *f, const ysg_line_seg *segs, const float *cols,
                   const ysg_bins *bins, const ysg_tile *t) {
  return line_tile(f, segs, cols, bins, t);
}
