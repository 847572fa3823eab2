/* text_tile.c — the `text` node's tile render (ysg_tile_ops.render; nodes/text_frame.c prepares
 * the frame): for each label's run of primitives in the tile, in order, the minimum glyph distance
 * over the rows its glyphs reach (text and shadow), then its shading over the accumulator; the
 * tile is stored as FP16. Accumulator rows no label reached are neither cleared nor blended (they
 * are stored as zeros), and a row a label reaches first is written, not blended over zero. */
#include <string.h>

#include "color.h"
#include "text_math.h"
#include "text_node.h"
#include "ysgraph/node.h"

#define T YSG_TILE

/* The tile's working memory: premultiplied RGBA in planes, the label's text and shadow distances,
 * and which accumulator rows hold content (bit y). */
typedef struct text_tile {
  float acc[4][T * T];
  float dt[T * T], ds[T * T];
  uint32_t rows;
} text_tile;

/* The minimum into d (tile-planar) of the glyph's distances over its rectangle [rx0, rx1] ×
 * [ry0, ry1] within the tile, read at phase (ox, oy, fu, fv): a whole tile row at a time (16 lanes,
 * vectorised), masked to the rectangle — the lookups outside it read other atlas texels (the atlas
 * is padded), which the mask discards. */
static void glyph_rows(const ysg_text_prim *p, const int16_t *g0, int x0, int y0, int ye,
                       int32_t ox, int32_t oy, float fu, float fv, int32_t rx0, int32_t ry0,
                       int32_t rx1, int32_t ry1, float *d) {
  int ya = ry0 > y0 ? ry0 : y0, yb = ry1 < ye ? ry1 : ye;
  if (ya > yb) return;
  int a0 = rx0 - x0, a1 = rx1 - x0, k = p->k, w = p->w;
  int j = k * x0 - ox; /* pixel x0's left texel; the streams' offsets are the same on every row */
  int sa = ysg_text_stream_offset(p->hw, k, j), sb = ysg_text_stream_offset(p->hw, k, j + 1);
  float fu_ = fu, fv_ = fv, ik = p->inv_k;
  for (int y = ya; y <= yb; y++) {
    float *restrict q = d + (y - y0) * T;
    const int16_t *r0 = g0 + (k * y - oy) * w, *r1 = r0 + w;
    const int16_t *a0s = r0 + sa, *b0s = r0 + sb, *a1s = r1 + sa, *b1s = r1 + sb;
    for (int i = 0; i < T; i++) {
      float v = ysg_text_texel(a0s, b0s, a1s, b1s, i, fu_, fv_, ik), c = q[i];
      float m = v < c ? v : c;
      q[i] = ((i >= a0) & (i <= a1)) ? m : c;
    }
  }
}

/* Glyphs and outline only (no plate, no shadow): ysg_text_shade reduces to the fill term, which is
 * exactly 0 where no glyph reaches (distance YSG_TEXT_FAR), so whole tile rows are shaded
 * branch-free; a row no earlier label reached takes the label's pixels as they are. Returns 1
 * when some pixel got alpha. */
static int fill_rows(const ysg_text_style *L, int ya, int yb, text_tile *tt) {
  const float f0 = L->fill[0], f1 = L->fill[1], f2 = L->fill[2], f3 = L->fill[3];
  const float o0 = L->outline[0], o1 = L->outline[1], o2 = L->outline[2], o3 = L->outline[3];
  const float ow = L->outline_w;
  int any = 0;
  for (int y = ya; y <= yb; y++) {
    int base = y * T, hit = 0;
    float *restrict a0 = tt->acc[0] + base, *restrict a1 = tt->acc[1] + base;
    float *restrict a2 = tt->acc[2] + base, *restrict a3 = tt->acc[3] + base;
    const float *restrict d = tt->dt + base;
    int fresh = !((tt->rows >> y) & 1u);
    if (ow > 0.0f && fresh) {
      for (int i = 0; i < T; i++) {
        float cf, co;
        ysg_text_fill(ow, d[i], &cf, &co);
        a0[i] = f0 * cf + o0 * co;
        a1[i] = f1 * cf + o1 * co;
        a2[i] = f2 * cf + o2 * co;
        a3[i] = f3 * cf + o3 * co;
        hit |= a3[i] > 0.0f;
      }
    } else if (ow > 0.0f) {
      for (int i = 0; i < T; i++) {
        float cf, co;
        ysg_text_fill(ow, d[i], &cf, &co);
        float t0 = f0 * cf + o0 * co, t1 = f1 * cf + o1 * co;
        float t2 = f2 * cf + o2 * co, t3 = f3 * cf + o3 * co;
        float k = 1.0f - t3;
        a0[i] = t0 + a0[i] * k;
        a1[i] = t1 + a1[i] * k;
        a2[i] = t2 + a2[i] * k;
        a3[i] = t3 + a3[i] * k;
        hit |= t3 > 0.0f;
      }
    } else if (fresh) { /* no outline: the outline term is exactly 0 */
      for (int i = 0; i < T; i++) {
        float cf = ysg_coverage(d[i]);
        a0[i] = f0 * cf;
        a1[i] = f1 * cf;
        a2[i] = f2 * cf;
        a3[i] = f3 * cf;
        hit |= a3[i] > 0.0f;
      }
    } else {
      for (int i = 0; i < T; i++) {
        float cf = ysg_coverage(d[i]);
        float t0 = f0 * cf, t1 = f1 * cf, t2 = f2 * cf, t3 = f3 * cf;
        float k = 1.0f - t3;
        a0[i] = t0 + a0[i] * k;
        a1[i] = t1 + a1[i] * k;
        a2[i] = t2 + a2[i] * k;
        a3[i] = t3 + a3[i] * k;
        hit |= t3 > 0.0f;
      }
    }
    any |= hit;
  }
  return any;
}

/* Shade label L over the tile pixels [r0, r2] × [r1, r3] (canvas coordinates) with shadow and
 * plate: a pixel at a time through ysg_text_shade. Rows no earlier label reached are cleared
 * first. Returns 1 when some pixel got alpha. */
static int shade_rect(const ysg_text_style *L, const int32_t r[4], int x0, int y0, text_tile *tt) {
  int any = 0;
  for (int y = r[1]; y <= r[3]; y++) {
    int row = y - y0;
    if (!((tt->rows >> row) & 1u))
      for (int c = 0; c < 4; c++) memset(tt->acc[c] + row * T, 0, sizeof(float) * T);
    for (int x = r[0]; x <= r[2]; x++) {
      int k = row * T + (x - x0);
      float o[4], a[4];
      ysg_text_shade(L, tt->dt[k], tt->ds[k], (float)x + 0.5f, (float)y + 0.5f, o);
      if (o[3] > 0.0f) {
        for (int c = 0; c < 4; c++) a[c] = tt->acc[c][k];
        ysg_text_over(a, o);
        for (int c = 0; c < 4; c++) tt->acc[c][k] = a[c];
        any = 1;
      }
    }
  }
  return any;
}

#if defined(YSG_F16C_PATH)
/* The tile into a whole image (t->px 16-byte aligned, rows a multiple of 16 bytes apart): its
 * rows are not read again soon, so they are stored past the caches (no read for ownership). */
__attribute__((target("avx,f16c"))) static void store_streaming(const text_tile *tt,
                                                                const ysg_tile *t) {
  __m128i z = _mm_setzero_si128();
  for (int y = 0; y < t->h; y++) {
    uint16_t *dst = t->px + (size_t)y * t->stride;
    if ((tt->rows >> y) & 1u) {
      ysg__f16c_planes_to_halves(tt->acc[0] + y * T, tt->acc[1] + y * T, tt->acc[2] + y * T,
                                 tt->acc[3] + y * T, dst, t->w, 1);
    } else {
      for (int i = 0; i + 2 <= t->w; i += 2) _mm_stream_si128((__m128i *)(void *)(dst + 4 * i), z);
      if (t->w & 1) memset(dst + 4 * (t->w - 1), 0, 8);
    }
  }
  _mm_sfence();
}
#endif

static void rect_union(int32_t a[4], const int32_t b[4]) {
  if (b[0] > b[2] || b[1] > b[3]) return;
  if (a[0] > a[2] || a[1] > a[3]) {
    memcpy(a, b, sizeof(int32_t) * 4);
    return;
  }
  if (b[0] < a[0]) a[0] = b[0];
  if (b[1] < a[1]) a[1] = b[1];
  if (b[2] > a[2]) a[2] = b[2];
  if (b[3] > a[3]) a[3] = b[3];
}

int ysg__text_render(const ysg_node *n, const ysg_tile *t) {
  const ysg__text_state *st = ysg_node_state(n);
  const ysg_bins *b = &st->bins;
  int tile = t->ty * b->tiles_x + t->tx;
  int s = b->start[tile], e = b->start[tile + 1];
  if (s == e) return 0;
  text_tile tt;
  tt.rows = 0;
  int x0 = t->x0, y0 = t->y0, xe = t->x0 + t->w - 1, ye = t->y0 + t->h - 1;
  int any = 0;
  const int16_t *atlas = st->fonts.atlas;
  for (int g = s; g < e;) { /* one label's run of primitives at a time */
    int cur = st->prims[b->items[g]].label, ge = g;
    int32_t rect[4] = {1, 1, 0, 0}; /* the pixels of the tile its primitives touch */
    for (; ge < e && st->prims[b->items[ge]].label == cur; ge++) {
      const ysg_text_prim *p = &st->prims[b->items[ge]];
      int32_t f[4] = {p->fx0 > x0 ? p->fx0 : x0, p->fy0 > y0 ? p->fy0 : y0,
                      p->fx1 < xe ? p->fx1 : xe, p->fy1 < ye ? p->fy1 : ye};
      rect_union(rect, f);
    }
    if (rect[0] > rect[2]) {
      g = ge;
      continue;
    }
    const ysg_text_style *L = &st->styles[cur];
    int shadow = L->has_shadow;
    for (int i = (rect[1] - y0) * T; i < (rect[3] - y0 + 1) * T; i++) {
      tt.dt[i] = YSG_TEXT_FAR;
      if (shadow) tt.ds[i] = YSG_TEXT_FAR;
    }
    for (; g < ge; g++) {
      const ysg_text_prim *p = &st->prims[b->items[g]];
      if (p->kind != YSG_TEXT_GLYPH) continue;
      const int16_t *g0 = atlas + p->offset;
      glyph_rows(p, g0, x0, y0, ye, p->ox, p->oy, p->fu, p->fv, p->tx0, p->ty0, p->tx1, p->ty1,
                 tt.dt);
      glyph_rows(p, g0, x0, y0, ye, p->sox, p->soy, p->sfu, p->sfv, p->sx0, p->sy0, p->sx1, p->sy1,
                 tt.ds);
    }
    if (!shadow && !(L->phx > 0.0f && L->phy > 0.0f))
      any |= fill_rows(L, rect[1] - y0, rect[3] - y0, &tt);
    else
      any |= shade_rect(L, rect, x0, y0, &tt);
    for (int y = rect[1] - y0; y <= rect[3] - y0; y++) tt.rows |= 1u << y;
  }
  if (!any) return 0;
#if defined(YSG_F16C_PATH)
  if (t->stride > 4 * T && !((uintptr_t)t->px & 15) && !(t->stride & 7) && ysg__cpu_has_f16c()) {
    store_streaming(&tt, t);
    return 1;
  }
#endif
  for (int y = 0; y < t->h; y++) {
    uint16_t *dst = t->px + (size_t)y * t->stride;
    if ((tt.rows >> y) & 1u)
      ysg_planes_to_halves(tt.acc[0] + y * T, tt.acc[1] + y * T, tt.acc[2] + y * T,
                           tt.acc[3] + y * T, dst, t->w);
    else
      memset(dst, 0, sizeof(uint16_t) * 4 * (size_t)t->w);
  }
  return 1;
}
