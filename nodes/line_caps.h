/* line_caps.h — the `line` node's ends and taper (YSG_HD: nodes/line_prims.c and cuda/line.cu run
 * the same code): building the segment slots of edges and polylines with round, butt or arrow
 * ends and a width/opacity taper, arrow heads as slots of their own (a triangle whose tip is the
 * end point, pointing along the last segment), and, for such "shaped" strokes, the per-pixel
 * signed distance that picks the slot a pixel takes its coverage from (one union shape: heads,
 * flat and narrowing ends included) and that coverage: band areas at the local width, slices
 * across butt and round ends, the exact pixel-triangle area for heads. */
#ifndef YSG_LINE_CAPS_H
#define YSG_LINE_CAPS_H

#include "line_math.h"

/* ---- building ---------------------------------------------------------------------------- */

/* A taper factor (width or opacity) at fraction t of an edge or of a curve's samples: `start`
 * at the start, 1 at the end. */
YSG_HD float ysg_line_taper(float start, float t) { return start + t * (1.0f - start); }

/* caps bits of a stroke end (0: start, 1: end) of cap kind k; arrows leave a butt end under the
 * head */
YSG_HD uint32_t ysg_line_end_bits(int end, int k) {
  uint32_t b = end ? (YSG_LINE_END1 | YSG_LINE_BUTT1) : (YSG_LINE_END0 | YSG_LINE_BUTT0);
  return k == YSG_CAP_ROUND ? (end ? YSG_LINE_END1 : YSG_LINE_END0) : b;
}

/* The cap kind where a curve is broken by a non-finite sample: butt when that end's cap is
 * butt, else round (no heads at breaks). */
YSG_HD int ysg_line_break_kind(const ysg_line_frame *f, int end) {
  return f->cap[end] == YSG_CAP_BUTT ? YSG_CAP_BUTT : YSG_CAP_ROUND;
}

/* How far the stroke reaches into a head of length l from its base: half of the stretch where
 * the head is wider than the stroke (half width h), so the stroke's flat end stays inside, and
 * at least 1 px (at most l/2) so that no seam runs across the base. */
YSG_HD double ysg_line_head_overlap(const ysg_line_frame *f, double l, float h) {
  double k = f->head_half > 0.0f ? 1.0 - (double)h / (double)f->head_half : 0.0;
  double ov = k > 0.0 ? 0.5 * l * k : 0.0, least = l < 2.0 ? 0.5 * l : 1.0;
  return ov > least ? ov : least;
}

/* An arrow-head slot: tip t, pointing along the unit direction d, length l; colour col
 * (premultiplied × opacity) when cols is non-NULL, opacity factor op. */
YSG_HD void ysg_line_head(const ysg_line_frame *f, double tx, double ty, double dx, double dy,
                          double l, float op, const float *col, ysg_line_seg *seg,
                          ysg_bin_prim *prim, float *cols) {
  double bx = tx - l * dx, by = ty - l * dy, m = (double)f->head_half + (double)f->clip;
  int out = (tx < -m && bx < -m) || (ty < -m && by < -m) ||
            (tx > f->width + m && bx > f->width + m) || (ty > f->height + m && by > f->height + m);
  if (!(l > 0.0) || out || !isfinite(bx) || !isfinite(by)) {
    ysg_line_cull(seg, prim);
    return;
  }
  seg->ax = (float)tx;
  seg->ay = (float)ty;
  seg->ux = (float)-dx;
  seg->uy = (float)-dy;
  seg->len = (float)l;
  seg->pa = 0.0f;
  seg->caps = YSG_LINE_HEAD;
  seg->h0 = seg->h1 = f->head_half;
  seg->o0 = seg->o1 = op;
  prim->ax = (float)tx;
  prim->ay = (float)ty;
  prim->bx = (float)bx;
  prim->by = (float)by;
  prim->r = f->head_half + YSG_AA_MARGIN;
  prim->kind = YSG_BIN_CAPSULE;
  if (cols)
    for (int c = 0; c < 8; c++) cols[c] = col[c % 4];
}

/* Head lengths at both ends of a stroke of length total (0 where that end is no arrow or the
 * stroke has no length), shortened in proportion when together longer than 4/5 of the stroke:
 * a piece of stroke always joins them, so two heads never meet base to base. */
YSG_HD void ysg_line_head_lengths(const ysg_line_frame *f, double total, double l[2]) {
  for (int e = 0; e < 2; e++)
    l[e] = f->heads && f->cap[e] == YSG_CAP_ARROW && total > 0.0 ? (double)f->head_len : 0.0;
  if (l[0] + l[1] > 0.8 * total && l[0] + l[1] > 0.0) {
    double k = 0.8 * total / (l[0] + l[1]);
    l[0] *= k;
    l[1] *= k;
  }
}

/* Edge (i, j) between points xy (n points) -> its slots: one segment, then (f->heads) the heads
 * at i and at j. Returns 1 when an index lies outside 0..n-1 (the edge is skipped and counted),
 * else 0. Non-finite ends: skipped. The stroke runs between the heads' bases (reaching into them
 * by ysg_line_head_overlap); a zero-length edge draws a dot only when both ends are round. */
YSG_HD int ysg_line_build_edge(const ysg_line_frame *f, const float *xy, const float *rgba, int n,
                               int i, int j, ysg_line_seg *seg, ysg_bin_prim *prim, float *cols) {
  int slots = f->heads ? 3 : 1;
  int bad = i < 0 || j < 0 || i >= n || j >= n;
  float ax = bad ? 0.0f : xy[2 * i], ay = bad ? 0.0f : xy[2 * i + 1];
  float bx = bad ? 0.0f : xy[2 * j], by = bad ? 0.0f : xy[2 * j + 1];
  if (bad || !ysg_line_finite2(ax, ay) || !ysg_line_finite2(bx, by)) {
    for (int k = 0; k < slots; k++) ysg_line_cull(&seg[k], &prim[k]);
    return bad;
  }
  float ci[4], cj[4];
  const float *c0 = f->color, *c1 = f->color2;
  if (cols && f->point_colors && rgba) {
    ysg_line_point_color(f, rgba, i, ci);
    ysg_line_point_color(f, rgba, j, cj);
    c0 = ci;
    c1 = cj;
  }
  double len = ysg_line_len(ax, ay, bx, by);
  if (!f->shaped) {
    ysg_line_piece(f, ax, ay, bx, by, len, 0.0, c0, c1, 0.0f, 1.0f, 3, NULL, seg, prim, cols);
    return 0;
  }
  double hl[2], dx = len > 0.0 ? ((double)bx - ax) / len : 1.0,
                dy = len > 0.0 ? ((double)by - ay) / len : 0.0;
  ysg_line_head_lengths(f, len, hl);
  float hs = f->half * f->taper_w, he = f->half;
  double s0 = hl[0] > 0.0 ? hl[0] - ysg_line_head_overlap(f, hl[0], hs) : 0.0;
  double s1 = hl[1] > 0.0 ? len - (hl[1] - ysg_line_head_overlap(f, hl[1], he)) : len;
  uint32_t caps = ysg_line_end_bits(0, f->cap[0]) | ysg_line_end_bits(1, f->cap[1]);
  int dot_ok = f->cap[0] == YSG_CAP_ROUND && f->cap[1] == YSG_CAP_ROUND;
  if ((len > 0.0 && s1 > s0) || (len == 0.0 && dot_ok)) {
    float t0 = len > 0.0 ? (float)(s0 / len) : 0.0f, t1 = len > 0.0 ? (float)(s1 / len) : 0.0f;
    float ho[4] = {f->half * ysg_line_taper(f->taper_w, t0),
                   f->half * ysg_line_taper(f->taper_w, t1), ysg_line_taper(f->taper_o, t0),
                   ysg_line_taper(f->taper_o, t1)};
    ysg_line_piece(f, (float)(ax + s0 * dx), (float)(ay + s0 * dy), (float)(ax + s1 * dx),
                   (float)(ay + s1 * dy), s1 - s0, s0, c0, c1, t0, t1, caps, ho, seg, prim, cols);
  } else {
    ysg_line_cull(seg, prim);
  }
  if (!f->heads) return 0;
  if (hl[0] > 0.0)
    ysg_line_head(f, ax, ay, -dx, -dy, hl[0], f->taper_o, c0, &seg[1], &prim[1],
                  cols ? cols + 8 : NULL);
  else
    ysg_line_cull(&seg[1], &prim[1]);
  if (hl[1] > 0.0)
    ysg_line_head(f, bx, by, dx, dy, hl[1], 1.0f, c1, &seg[2], &prim[2], cols ? cols + 16 : NULL);
  else
    ysg_line_cull(&seg[2], &prim[2]);
  return 0;
}

/* State of polyline segment k of xy: -1 an end is not finite, 0 zero length, 1 a stroke. */
YSG_HD int ysg_line_seg_kind(const float *xy, int k) {
  float ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
  if (!ysg_line_finite2(ax, ay) || !ysg_line_finite2(bx, by)) return -1;
  return ax != bx || ay != by;
}

/* Round caps, no taper: S-1 slots. Arc length accumulates over the segments with finite ends
 * only; zero-length segments are left out, except that a polyline whose finite segments all have
 * length 0 draws one dot (in slot 0) at the first of them. A segment's end is a cap unless a
 * drawn segment continues the polyline from it (a joint). */
YSG_HD void ysg_line_build_curve_round(const ysg_line_frame *f, const float *xy, int S,
                                       ysg_line_seg *segs, ysg_bin_prim *prims, float *cols) {
  double total = 0.0; /* finite arc length: gradient positions are fractions of it */
  int first = -1, strokes = 0;
  for (int k = 0; k + 1 < S; k++) {
    int kind = ysg_line_seg_kind(xy, k);
    if (kind < 0) continue;
    if (first < 0) first = k;
    strokes += kind;
    if (kind && cols) total += ysg_line_len(xy[2 * k], xy[2 * k + 1], xy[2 * k + 2], xy[2 * k + 3]);
  }
  double s = 0.0, inv = total > 0.0 ? 1.0 / total : 0.0;
  int joined = 0; /* the previous drawn segment ends where this one starts */
  for (int k = 0; k + 1 < S; k++) {
    float *ck = cols ? cols + 8 * k : NULL;
    int kind = ysg_line_seg_kind(xy, k);
    float ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
    if (kind > 0) {
      int end_cap = 1, q = k + 1, kq = 0;
      while (q + 1 < S && (kq = ysg_line_seg_kind(xy, q)) == 0) q++;
      if (q + 1 < S && kq > 0) end_cap = 0;
      double l = ysg_line_len(ax, ay, bx, by);
      ysg_line_piece(f, ax, ay, bx, by, l, s, f->color, f->color2, (float)(s * inv),
                     (float)((s + l) * inv), (joined ? 0 : 1) | (end_cap ? 2 : 0), NULL, &segs[k],
                     &prims[k], ck);
      s += l;
      joined = 1;
    } else if (kind == 0 && strokes == 0 && k == first) {
      ysg_line_piece(f, ax, ay, ax, ay, 0.0, 0.0, f->color, f->color2, 0.0f, 0.0f, 3, NULL,
                     &segs[k], &prims[k], ck);
    } else {
      if (kind < 0) joined = 0;
      ysg_line_cull(&segs[k], &prims[k]);
    }
  }
}

/* Shaped strokes (f->shaped): as ysg_line_build_curve_round, with the curve's first and last
 * drawn points capped as f->cap says (breaks at non-finite samples: ysg_line_break_kind), the
 * width and opacity tapering by sample index (sample k of S: factor at k / (S-1)), and arrow
 * heads in slots S-1 (start) and S (end) when f->heads: each points along its end segment, and
 * the stroke is cut by arc length where the head begins (plus ysg_line_head_overlap). */
YSG_HD void ysg_line_build_curve_shaped(const ysg_line_frame *f, const float *xy, int S,
                                        ysg_line_seg *segs, ysg_bin_prim *prims, float *cols) {
  double total = 0.0;
  int first = -1, kf = -1, kl = -1, strokes = 0;
  for (int k = 0; k + 1 < S; k++) {
    int kind = ysg_line_seg_kind(xy, k);
    if (kind < 0) continue;
    if (first < 0) first = k;
    strokes += kind;
    if (kind) {
      total += ysg_line_len(xy[2 * k], xy[2 * k + 1], xy[2 * k + 2], xy[2 * k + 3]);
      if (kf < 0) kf = k;
      kl = k;
    }
  }
  double hl[2];
  ysg_line_head_lengths(f, total, hl);
  float inv_s = S > 1 ? 1.0f / (float)(S - 1) : 0.0f;
  float w_first = kf >= 0 ? ysg_line_taper(f->taper_w, (float)kf * inv_s) : 1.0f;
  float w_last = kl >= 0 ? ysg_line_taper(f->taper_w, (float)(kl + 1) * inv_s) : 1.0f;
  double s0 = hl[0] > 0.0 ? hl[0] - ysg_line_head_overlap(f, hl[0], f->half * w_first) : 0.0;
  double s1 =
      hl[1] > 0.0 ? total - (hl[1] - ysg_line_head_overlap(f, hl[1], f->half * w_last)) : total;
  double s = 0.0, inv = total > 0.0 ? 1.0 / total : 0.0;
  int joined = 0;
  for (int k = 0; k + 1 < S; k++) {
    float *ck = cols ? cols + 8 * k : NULL;
    int kind = ysg_line_seg_kind(xy, k);
    float ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
    if (kind > 0) {
      double l = ysg_line_len(ax, ay, bx, by), lo = s > s0 ? s : s0, hi = s + l < s1 ? s + l : s1;
      int q = k + 1, kq = 0;
      while (q + 1 < S && (kq = ysg_line_seg_kind(xy, q)) == 0) q++;
      int next = q + 1 < S && kq > 0;
      if (lo < hi) {
        uint32_t caps = 0;
        if (hl[0] > 0.0 && lo <= s0)
          caps |= ysg_line_end_bits(0, YSG_CAP_BUTT); /* under the start head */
        else if (!joined)
          caps |= ysg_line_end_bits(0, k == kf ? f->cap[0] : ysg_line_break_kind(f, 0));
        if (hl[1] > 0.0 && hi >= s1)
          caps |= ysg_line_end_bits(1, YSG_CAP_BUTT); /* under the end head */
        else if (!next)
          caps |= ysg_line_end_bits(1, k == kl ? f->cap[1] : ysg_line_break_kind(f, 1));
        float ta = (float)((lo - s) / l), tb = (float)((hi - s) / l);
        float wa = ysg_line_taper(f->taper_w, ((float)k + ta) * inv_s);
        float wb = ysg_line_taper(f->taper_w, ((float)k + tb) * inv_s);
        float ho[4] = {f->half * wa, f->half * wb,
                       ysg_line_taper(f->taper_o, ((float)k + ta) * inv_s),
                       ysg_line_taper(f->taper_o, ((float)k + tb) * inv_s)};
        double ex = (double)bx - ax, ey = (double)by - ay;
        ysg_line_piece(f, (float)(ax + ex * ta), (float)(ay + ey * ta), (float)(ax + ex * tb),
                       (float)(ay + ey * tb), hi - lo, lo, f->color, f->color2, (float)(lo * inv),
                       (float)(hi * inv), caps, ho, &segs[k], &prims[k], ck);
      } else {
        ysg_line_cull(&segs[k], &prims[k]);
      }
      s += l;
      joined = 1;
    } else if (kind == 0 && strokes == 0 && k == first && f->cap[0] == YSG_CAP_ROUND &&
               f->cap[1] == YSG_CAP_ROUND) {
      float w = ysg_line_taper(f->taper_w, (float)k * inv_s),
            o = ysg_line_taper(f->taper_o, (float)k * inv_s);
      float ho[4] = {f->half * w, f->half * w, o, o};
      ysg_line_piece(f, ax, ay, ax, ay, 0.0, 0.0, f->color, f->color2, 0.0f, 0.0f, 3, ho, &segs[k],
                     &prims[k], ck);
    } else {
      if (kind < 0) joined = 0;
      ysg_line_cull(&segs[k], &prims[k]);
    }
  }
  if (!f->heads) return;
  for (int e = 0; e < 2; e++) {
    int slot = S - 1 + e, k = e ? kl : kf;
    float *ck = cols ? cols + 8 * (size_t)slot : NULL;
    if (!(hl[e] > 0.0) || k < 0) {
      ysg_line_cull(&segs[slot], &prims[slot]);
      continue;
    }
    double ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
    double l = ysg_line_len(xy[2 * k], xy[2 * k + 1], xy[2 * k + 2], xy[2 * k + 3]);
    double dx = (bx - ax) / l, dy = (by - ay) / l;
    float op = ysg_line_taper(f->taper_o, e ? 1.0f : (float)kf * inv_s);
    if (e)
      ysg_line_head(f, bx, by, dx, dy, hl[1], op, f->color2, &segs[slot], &prims[slot], ck);
    else
      ysg_line_head(f, ax, ay, -dx, -dy, hl[0], op, f->color, &segs[slot], &prims[slot], ck);
  }
}

/* Polyline of S samples (xy: S × 2) -> its slots: S-1 segments, then (f->heads) 2 heads. */
YSG_HD void ysg_line_build_curve(const ysg_line_frame *f, const float *xy, int S,
                                 ysg_line_seg *segs, ysg_bin_prim *prims, float *cols) {
  if (f->shaped)
    ysg_line_build_curve_shaped(f, xy, S, segs, prims, cols);
  else
    ysg_line_build_curve_round(f, xy, S, segs, prims, cols);
}

/* Slots per edge or per curve of S samples. */
YSG_HD int ysg_line_edge_slots(int heads) { return heads ? 3 : 1; }
YSG_HD int ysg_line_curve_slots(int heads, int S) { return S > 1 ? S - 1 + (heads ? 2 : 0) : 0; }

/* ---- per pixel (shaped strokes) ------------------------------------------------------------ */

/* half width along the slot at arc position x (clamped to the slot): h0 + x·(h1 - h0)/len */
YSG_HD float ysg_line_h_slope(const ysg_line_seg *s) {
  return s->len > 0.0f ? (s->h1 - s->h0) / s->len : 0.0f;
}
YSG_HD float ysg_line_h_at(const ysg_line_seg *s, float x) {
  return s->h0 + ysg_clampf(x, 0.0f, s->len) * ysg_line_h_slope(s);
}

YSG_HD float ysg_line_o_at(const ysg_line_seg *s, float x) {
  float t = s->len > 0.0f ? ysg_clampf(x / s->len, 0.0f, 1.0f) : 0.0f;
  return s->o0 + t * (s->o1 - s->o0);
}

/* Signed distance from (px, py) to an arrow head: an isosceles triangle with its tip at the
 * origin of the slot, its base centre len along u, half base h0 (Inigo Quilez's formulation). */
YSG_HD float ysg_line_head_sd(const ysg_line_seg *s, float px, float py) {
  float qx = px - s->ax, qy = py - s->ay;
  float y = qx * s->ux + qy * s->uy, x = fabsf(qx * s->uy - qy * s->ux);
  float hb = s->h0 > 1.0e-6f ? s->h0 : 1.0e-6f, L = s->len;
  float t = ysg_clampf((x * hb + y * L) / (hb * hb + L * L), 0.0f, 1.0f);
  float ax = x - hb * t, ay = y - L * t;
  float tb = ysg_clampf(x / hb, 0.0f, 1.0f), bx = x - hb * tb, by = y - L;
  float da = ax * ax + ay * ay, db = bx * bx + by * by, d = da < db ? da : db;
  float sa = y * hb - x * L, sb = L - y, sg = sa < sb ? sa : sb;
  return sg < 0.0f ? sqrtf(d) : -sqrtf(d);
}

/* Area of a pixel inside the half-plane whose boundary passes at signed distance d from its
 * centre (positive: the centre is outside), (nx, ny) its unit normal: exact (ysg_line_tail). */
YSG_HD float ysg_line_halfplane(float d, float nx, float ny) {
  float a = 0.5f * fabsf(nx), b = 0.5f * fabsf(ny);
  float lo = a < b ? a : b, hi = a < b ? b : a, i2, i8 = 0.0f;
  if (lo < 1.0e-4f) {
    i2 = 0.5f / hi;
  } else {
    float inv = 1.0f / (lo * hi);
    i2 = 0.5f * lo * inv;
    i8 = 0.125f * inv;
  }
  float t = ysg_line_tail(fabsf(d), lo, hi, i2, i8);
  return d >= 0.0f ? t : 1.0f - t;
}

/* Exact area of the pixel centred at (px, py) inside an arrow head: where only one side of the
 * triangle passes within reach, that side's half-plane area; otherwise the pixel square clipped
 * by the three sides (Sutherland–Hodgman), then the shoelace formula. */
YSG_HD float ysg_line_head_area(const ysg_line_seg *s, float px, float py) {
  {
    /* the sides' outward normals in the slot's frame (u from the tip to the base, n across) */
    float qx = px - s->ax, qy = py - s->ay, L = s->len, hb = s->h0;
    float al = qx * s->ux + qy * s->uy, ac = qx * s->uy - qy * s->ux;
    float inv = 1.0f / sqrtf(L * L + hb * hb);
    float d[3], nx[3], ny[3];
    d[0] = al - L; /* the base */
    nx[0] = s->ux;
    ny[0] = s->uy;
    for (int k = 1; k < 3; k++) { /* the sides through the tip: normal (-hb, ±L) / |.| */
      float sg = k == 1 ? 1.0f : -1.0f, ca = -hb * inv, cc = sg * L * inv;
      d[k] = ca * al + cc * ac;
      nx[k] = ca * s->ux + cc * s->uy;
      ny[k] = ca * s->uy - cc * s->ux;
    }
    int near = -1, n_near = 0;
    for (int k = 0; k < 3; k++)
      if (d[k] > -YSG_LINE_REACH) {
        near = k;
        n_near++;
      }
    if (n_near == 0) return 1.0f;
    if (n_near == 1) return ysg_line_halfplane(d[near], nx[near], ny[near]);
  }
  float nx = s->uy, ny = -s->ux, L = s->len, hb = s->h0;
  /* vertices relative to the pixel centre, counter-clockwise */
  float tx[3], ty[3];
  tx[0] = s->ax - px;
  ty[0] = s->ay - py;
  tx[1] = tx[0] + L * s->ux + hb * nx;
  ty[1] = ty[0] + L * s->uy + hb * ny;
  tx[2] = tx[0] + L * s->ux - hb * nx;
  ty[2] = ty[0] + L * s->uy - hb * ny;
  float orient = (tx[1] - tx[0]) * (ty[2] - ty[0]) - (ty[1] - ty[0]) * (tx[2] - tx[0]);
  float sg = orient < 0.0f ? -1.0f : 1.0f;
  float ax[8] = {-0.5f, 0.5f, 0.5f, -0.5f}, ay[8] = {-0.5f, -0.5f, 0.5f, 0.5f}, bx[8], by[8];
  int n = 4;
  for (int e = 0; e < 3 && n > 0; e++) {
    float p0x = tx[e], p0y = ty[e], ex = tx[(e + 1) % 3] - p0x, ey = ty[(e + 1) % 3] - p0y;
    int m = 0;
    for (int i = 0; i < n; i++) {
      int j = (i + 1) % n;
      float di = sg * (ex * (ay[i] - p0y) - ey * (ax[i] - p0x));
      float dj = sg * (ex * (ay[j] - p0y) - ey * (ax[j] - p0x));
      if (di >= 0.0f && m < 8) {
        bx[m] = ax[i];
        by[m++] = ay[i];
      }
      if ((di >= 0.0f) != (dj >= 0.0f) && m < 8) {
        float t = di / (di - dj);
        bx[m] = ax[i] + t * (ax[j] - ax[i]);
        by[m++] = ay[i] + t * (ay[j] - ay[i]);
      }
    }
    n = m;
    for (int i = 0; i < n; i++) {
      ax[i] = bx[i];
      ay[i] = by[i];
    }
  }
  float a = 0.0f;
  for (int i = 0; i < n; i++) {
    int j = (i + 1) % n;
    a += ax[i] * ay[j] - ax[j] * ay[i];
  }
  return ysg_clampf(0.5f * fabsf(a), 0.0f, 1.0f);
}

/* The caps of the on-piece [p0, p1] of seg that ysg_line_on_piece found: solid pieces keep the
 * segment's bits; dash pieces are round at their own ends, and take the segment's kind where
 * they end at one of its capped ends. */
YSG_HD uint32_t ysg_line_piece_caps(const ysg_line_frame *f, const ysg_line_seg *s, float p0,
                                    float p1) {
  if (f->n_on == 0) return s->caps;
  uint32_t c = YSG_LINE_END0 | YSG_LINE_END1;
  if (p0 <= 0.0f && (s->caps & YSG_LINE_END0)) c |= s->caps & YSG_LINE_BUTT0;
  if (p1 >= s->len && (s->caps & YSG_LINE_END1)) c |= s->caps & YSG_LINE_BUTT1;
  return c;
}

/* The signed distance of (px, py) to a segment slot's on-piece (3e38 when the pattern leaves it
 * off): across the band at the local half width (tilted by the taper), flat beyond butt ends,
 * round beyond round ends and joints. */
YSG_HD float ysg_line_seg_sd(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py) {
  float qx = px - s->ax, qy = py - s->ay;
  float u = qx * s->ux + qy * s->uy, v = qx * s->uy - qy * s->ux;
  float uc = u < 0.0f ? 0.0f : (u > s->len ? s->len : u);
  float p0 = 0.0f, p1 = s->len, v0, v1;
  uint32_t caps = s->caps;
  if (f->n_on) {
    int c;
    if (!ysg_line_on_piece(f, s, uc, &p0, &p1, &v0, &v1, &c)) return 3.0e38f;
    caps = ysg_line_piece_caps(f, s, p0, p1);
  }
  float uon = uc < p0 ? p0 : (uc > p1 ? p1 : uc), a = u - uon, av = fabsf(v);
  float h = ysg_line_h_at(s, uon);
  /* round ends and joints: the distance to the nearest on-point less the half width there (a
   * taper's tilt of the sides is left out: slopes are small) */
  if (!(caps & (YSG_LINE_BUTT0 | YSG_LINE_BUTT1))) return sqrtf(a * a + v * v) - h;
  if (a == 0.0f) {
    float sd = av - h;
    if ((caps & YSG_LINE_END0) && (caps & YSG_LINE_BUTT0) && -(uon - p0) > sd) sd = -(uon - p0);
    if ((caps & YSG_LINE_END1) && (caps & YSG_LINE_BUTT1) && -(p1 - uon) > sd) sd = -(p1 - uon);
    return sd;
  }
  uint32_t end = a > 0.0f ? YSG_LINE_END1 : YSG_LINE_END0;
  uint32_t butt = a > 0.0f ? YSG_LINE_BUTT1 : YSG_LINE_BUTT0;
  if ((caps & end) && (caps & butt)) {
    float da = fabsf(a), dv = av - h;
    return dv > 0.0f ? sqrtf(da * da + dv * dv) : da;
  }
  return sqrtf(a * a + v * v) - h;
}

/* Signed distance of (px, py) to a slot of a shaped stroke: what pixels compare to pick their
 * slot (the union shape's distance is the least over slots). */
YSG_HD float ysg_line_sd(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py) {
  return (s->caps & YSG_LINE_HEAD) ? ysg_line_head_sd(s, px, py) : ysg_line_seg_sd(f, s, px, py);
}

/* Area of the pixel (centre at arc position u, offset v across seg) covered by the piece
 * [p0, p1] with caps as bits say: each of YSG_LINE_CAP_STEPS slices across the segment meets the
 * stroke's cross-section — the local width inside (with a round end's disc where it is wider),
 * a round cap's chord or nothing (butt) beyond a capped end, the end's width beyond a joint. */
YSG_HD float ysg_line_slices_shaped(const ysg_line_seg *s, float u, float v, float p0, float p1,
                                    uint32_t caps) {
  float ux = s->ux, uy = s->uy;
  float P = 0.5f * (fabsf(ux) + fabsf(uy)), dt = 2.0f * P / (float)YSG_LINE_CAP_STEPS;
  float h0 = ysg_line_h_at(s, p0), h1 = ysg_line_h_at(s, p1);
  int round0 = (caps & YSG_LINE_END0) && !(caps & YSG_LINE_BUTT0);
  int round1 = (caps & YSG_LINE_END1) && !(caps & YSG_LINE_BUTT1);
  /* butt ends cut slices: the part of a slice inside counts, its span taken at that part's
   * middle */
  float cut0 = (caps & YSG_LINE_END0) && !round0 ? p0 : -3.0e38f;
  float cut1 = (caps & YSG_LINE_END1) && !round1 ? p1 : 3.0e38f;
  float sum = 0.0f;
  for (int k = 0; k < YSG_LINE_CAP_STEPS; k++) {
    float xa = u - P + (float)k * dt, xb = xa + dt;
    float ia = xa > cut0 ? xa : cut0, ib = xb < cut1 ? xb : cut1;
    if (!(ib > ia)) continue;
    float frac = (ib - ia) / dt, x = 0.5f * (ia + ib), t = x - u, lo, hi;
    ysg_line_slice_span(ux, uy, t, &lo, &hi);
    float hw;
    if (x < p0) {
      float dd = p0 - x;
      hw = !(caps & YSG_LINE_END0) ? h0 : (round0 && dd < h0 ? sqrtf(h0 * h0 - dd * dd) : 0.0f);
    } else if (x > p1) {
      float dd = x - p1;
      hw = !(caps & YSG_LINE_END1) ? h1 : (round1 && dd < h1 ? sqrtf(h1 * h1 - dd * dd) : 0.0f);
    } else {
      hw = ysg_line_h_at(s, x);
      float d0 = x - p0, d1 = p1 - x;
      if (round0 && d0 < h0) hw = fmaxf(hw, sqrtf(h0 * h0 - d0 * d0));
      if (round1 && d1 < h1) hw = fmaxf(hw, sqrtf(h1 * h1 - d1 * d1));
    }
    float y0 = v + lo, y1 = v + hi;
    float c = (y1 < hw ? y1 : hw) - (y0 > -hw ? y0 : -hw);
    sum += c > 0.0f ? c * frac : 0.0f;
  }
  float c = sum * dt;
  return c < 1.0f ? c : 1.0f;
}

/* Coverage × opacity factor of pixel (px, py) by a slot of a shaped stroke whose signed distance
 * from it is sd (ysg_line_sd, what the pixel picked the slot by), and (*t) the fraction along
 * the slot of the nearest on-point (gradient colours). Further than YSG_LINE_REACH outside the
 * band and slice areas are 0 anyway. */
YSG_HD float ysg_line_cover_shaped(const ysg_line_frame *f, const ysg_line_seg *s, float px,
                                   float py, float sd, float *t) {
  *t = 0.0f;
  if (s->caps & YSG_LINE_HEAD) {
    if (!(sd < YSG_LINE_REACH)) return 0.0f;
    return (sd <= -YSG_LINE_REACH ? 1.0f : ysg_line_head_area(s, px, py)) * s->o0;
  }
  float qx = px - s->ax, qy = py - s->ay;
  float u = qx * s->ux + qy * s->uy, v = qx * s->uy - qy * s->ux;
  float uc = u < 0.0f ? 0.0f : (u > s->len ? s->len : u);
  float p0 = 0.0f, p1 = s->len, v0 = 0.0f, v1 = s->len;
  int c;
  if (!ysg_line_on_piece(f, s, uc, &p0, &p1, &v0, &v1, &c)) return 0.0f;
  uint32_t caps = ysg_line_piece_caps(f, s, p0, p1);
  float uon = uc < p0 ? p0 : (uc > p1 ? p1 : uc);
  if (f->gradient) *t = s->len > 0.0f ? uon / s->len : 0.0f;
  float op = ysg_line_o_at(s, uon), reach = 0.5f * (fabsf(s->ux) + fabsf(s->uy));
  if (sd <= -YSG_LINE_REACH) return op; /* the whole pixel lies inside */
  if (((caps & YSG_LINE_END0) && u - v0 < reach) || ((caps & YSG_LINE_END1) && v1 - u < reach))
    return ysg_line_slices_shaped(s, u, v, v0, v1, caps) * op;
  float a = u - uon;
  return ysg_line_band_at(s, a, v, a * a + v * v, ysg_line_h_at(s, uon)) * op;
}

/* ---- per pixel (every stroke): what the renderers call ------------------------------------- */

/* The key a pixel minimises over the slots of its tile: the squared distance to the centre line
 * for round, untapered strokes; the signed distance to the slot's shape for shaped ones. */
YSG_HD float ysg_line_key(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py) {
  return f->shaped ? ysg_line_sd(f, s, px, py) : ysg_line_d2(f, s, px, py);
}

/* Keys at or above this cannot cover the pixel. */
YSG_HD float ysg_line_key_limit(const ysg_line_frame *f) {
  return f->shaped ? YSG_LINE_REACH : f->cutoff * f->cutoff;
}

/* How far from a slot's axis (a -> a + len·u) a pixel centre may lie and still be covered. */
YSG_HD float ysg_line_slot_reach(const ysg_line_frame *f, const ysg_line_seg *s) {
  if (!f->shaped) return f->cutoff;
  return (s->h0 > s->h1 ? s->h0 : s->h1) + YSG_LINE_REACH;
}

/* Coverage (× the opacity taper) of pixel (px, py) by the slot it picked with the given key
 * (ysg_line_key); *t as ysg_line_cover. */
YSG_HD float ysg_line_coverage(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py,
                               float key, float *t) {
  return f->shaped ? ysg_line_cover_shaped(f, s, px, py, key, t) : ysg_line_cover(f, s, px, py, t);
}

#endif /* YSG_LINE_CAPS_H */
