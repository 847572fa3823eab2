/* line_math.h — the `line` node's single-source math (YSG_HD: nodes/line.c and cuda/line.cu run
 * the same code): edges and polylines become clipped segments that carry the arc-length position
 * of their start in the dash pattern and their gradient colours; a pixel's distance to the part
 * of a segment the pattern leaves "on" (solid, dashes, dots) is exact; and coverage is the exact
 * box-filter area of the stroke's band beside its straight parts, and the band's area summed
 * over slices of the pixel where a round cap is within reach. */
#ifndef YSG_LINE_MATH_H
#define YSG_LINE_MATH_H

#include <math.h>
#include <stdint.h>

#include "bins.h"
#include "color.h"
#include "hd.h"
#include "sdf.h"

/* the `style` choices, in order */
enum { YSG_LINE_SOLID, YSG_LINE_DASHED, YSG_LINE_DOTTED, YSG_LINE_DASH_DOT, YSG_LINE_GRADIENT };
#define YSG_LINE_STYLE_CHOICES "solid|dashed|dotted|dash_dot|gradient"

/* the `cap`, `cap_start` and `cap_end` choices, in order */
enum { YSG_CAP_ROUND, YSG_CAP_BUTT, YSG_CAP_ARROW };
#define YSG_LINE_CAP_CHOICES "round|butt|arrow"

/* ysg_line_seg.caps bits */
#define YSG_LINE_END0 1u  /* the start is an end of the stroke (a cap), not a joint */
#define YSG_LINE_END1 2u  /* the end is */
#define YSG_LINE_BUTT0 4u /* that start cap is butt (flat), else round */
#define YSG_LINE_BUTT1 8u
#define YSG_LINE_HEAD 16u /* the slot is an arrow head (a triangle), not a stroke segment */

/* Half the diagonal of a pixel: no pixel's box reaches further from its centre, so a pixel
 * whose centre is further than half the width plus this from every on-point has coverage 0
 * (plus a hair for float rounding). The binning radius half + YSG_AA_MARGIN is larger. */
#define YSG_LINE_REACH 0.7081f

/* What every segment of one frame shares (the CUDA path reads it from device memory). */
typedef struct ysg_line_frame {
  float half;            /* half the stroke width, px */
  float cutoff;          /* half + YSG_LINE_REACH: beyond it coverage is 0 */
  float bin_r;           /* half + YSG_AA_MARGIN: the binning footprint */
  float clip;            /* segments are clipped to the canvas grown by this many px */
  float period;          /* dash pattern period along the arc; 0: solid, every point on */
  float on_start[2];     /* on-intervals [start, start + len) within a period; len 0: a dot */
  float on_len[2];       /* (a dot is the single point `start`) */
  int32_t n_on;          /* on-intervals per period: 1 or 2 (0 when period is 0) */
  float phase;           /* added to the arc length before the pattern is looked up (mod period) */
  float color[4];        /* premultiplied linear × opacity: solid colour / gradient start */
  float color2[4];       /* premultiplied linear × opacity: gradient end */
  float opacity;         /* already in color/color2; scales point colours */
  int32_t gradient;      /* 1: segments carry colours (cols) */
  int32_t point_colors;  /* 1: gradient from point i's rgba to point j's (edges input) */
  int32_t width, height; /* canvas, px */
  int32_t visible;       /* ysg__line_visible: 0 draws (and bins) nothing */
  /* caps and taper (nodes/line_caps.h). shaped: some end is butt or arrow, or the stroke tapers;
   * pixels then keep the slot of least signed distance to its shape (ysg_line_sd) instead of the
   * nearest centre line, so heads and flat or narrowing ends stay one union shape. */
  int32_t shaped;
  int32_t cap[2];  /* YSG_CAP_* at each curve's first/last point, each edge's point i/j */
  int32_t heads;   /* 1: 2 arrow-head slots follow each edge's or curve's segment slots */
  float head_len;  /* arrow head length, px (tip to base) */
  float head_half; /* half the arrow head's base width, px */
  float taper_w;   /* width factor at each curve's first sample / edge's point i (1 at the end) */
  float taper_o;   /* opacity factor, the same way */
} ysg_line_frame;

/* One straight piece of an edge or polyline after clipping: the segment a -> a + len·u. */
typedef struct ysg_line_seg {
  float ax, ay;  /* start, px */
  float ux, uy;  /* unit direction; (1, 0) for a zero-length piece (a dot) */
  float len;     /* px */
  float pa;      /* (arc length of a + phase) mod period, in [0, period); 0 when solid */
  uint32_t caps; /* YSG_LINE_* bits: which ends are caps (not polyline joints), butt, head */
  float h0, h1;  /* half width at a and at the end (taper; half otherwise); heads: half base */
  float o0, o1;  /* opacity factor at a and at the end (1 without taper) */
} ysg_line_seg;
/* An arrow-head slot: a = the tip, u = unit direction from the tip to the base centre, len =
 * head length, h0 = h1 = half the base width, o0 = o1 = its opacity factor. */

/* ---- building ---------------------------------------------------------------------------- */

YSG_HD int ysg_line_finite2(float x, float y) { return isfinite(x) && isfinite(y); }

YSG_HD void ysg_line_cull(ysg_line_seg *s, ysg_bin_prim *p) {
  s->ax = s->ay = s->len = s->pa = s->h0 = s->h1 = 0.0f;
  s->o0 = s->o1 = 0.0f;
  s->caps = 0;
  s->ux = 1.0f;
  s->uy = 0.0f;
  p->ax = p->ay = p->bx = p->by = p->r = 0.0f;
  p->kind = -1;
}

/* Liang–Barsky clipping of a -> b to [x0, x1] × [y0, y1]: the clipped ends into c (sx, sy, ex,
 * ey); 0 if nothing is inside. In double, and a clipped end is computed on its boundary line
 * (x = X: y from the slope), not as a + t·(b - a): a segment from -1e30 to 1e30 keeps the
 * canvas-sized part of its line exactly where it is. Returns 1 when a -> b lies inside as it is,
 * 2 when an end was moved. */
YSG_HD int ysg_line_clip(double ax, double ay, double bx, double by, double x0, double y0,
                         double x1, double y1, double c[4]) {
  double dx = bx - ax, dy = by - ay, lo = 0.0, hi = 1.0;
  double pq[4][2] = {{-dx, ax - x0}, {dx, x1 - ax}, {-dy, ay - y0}, {dy, y1 - ay}};
  int klo = -1, khi = -1;
  for (int k = 0; k < 4; k++) {
    double p = pq[k][0], q = pq[k][1];
    if (p == 0.0) {
      if (q < 0.0) return 0;
      continue;
    }
    double r = q / p;
    if (p < 0.0) {
      if (r > lo) {
        lo = r;
        klo = k;
      }
    } else if (r < hi) {
      hi = r;
      khi = k;
    }
  }
  if (!(lo <= hi)) return 0;
  double bound[4] = {x0, x1, y0, y1};
  for (int e = 0; e < 2; e++) {
    int k = e ? khi : klo;
    double *o = c + 2 * e;
    if (k < 0) {
      o[0] = e ? bx : ax;
      o[1] = e ? by : ay;
    } else if (k < 2) {
      o[0] = bound[k];
      o[1] = ay + (bound[k] - ax) * (dy / dx);
    } else {
      o[0] = ax + (bound[k] - ay) * (dx / dy);
      o[1] = bound[k];
    }
  }
  return klo < 0 && khi < 0 ? 1 : 2;
}

/* Position of arc length x in the pattern, in [0, period). */
YSG_HD float ysg_line_pattern_pos(const ysg_line_frame *f, double x) {
  if (!(f->period > 0.0f)) return 0.0f;
  double p = (double)f->period;
  double m = x - p * floor(x / p);
  float r = (float)m;
  return r >= 0.0f && r < f->period ? r : 0.0f;
}

/* Length of a -> b, in double (finite for any finite floats). */
YSG_HD double ysg_line_len(float ax, float ay, float bx, float by) {
  double dx = (double)bx - (double)ax, dy = (double)by - (double)ay;
  return sqrt(dx * dx + dy * dy);
}

/* The straight piece a -> b (length len) whose start lies at arc length s of its edge or
 * curve; its colours (gradient) run from c0 at arc fraction fa to c1 at fb; caps as in
 * ysg_line_seg. ho: half widths and opacity factors at a and b {h_a, h_b, o_a, o_b} (NULL: the
 * frame's half width and 1). Writes the clipped segment, its binning footprint and (cols
 * non-NULL) the premultiplied colours at both clipped ends. */
YSG_HD void ysg_line_piece(const ysg_line_frame *f, float ax, float ay, float bx, float by,
                           double len, double s, const float c0[4], const float c1[4], float fa,
                           float fb, uint32_t caps, const float *ho, ysg_line_seg *seg,
                           ysg_bin_prim *prim, float *cols) {
  double dx = (double)bx - (double)ax, dy = (double)by - (double)ay;
  double m = (double)f->clip, ce[4];
  int in = ysg_line_clip(ax, ay, bx, by, -m, -m, (double)f->width + m, (double)f->height + m, ce);
  if (!in) {
    ysg_line_cull(seg, prim);
    return;
  }
  /* distances from a of the clipped ends (arc length and gradient position), and the length
   * and direction of what is left */
  double d0 = 0.0, d1 = len, cx = dx, cy = dy, cl = len;
  if (in == 2) {
    d0 = sqrt((ce[0] - ax) * (ce[0] - ax) + (ce[1] - ay) * (ce[1] - ay));
    d1 = sqrt((ce[2] - ax) * (ce[2] - ax) + (ce[3] - ay) * (ce[3] - ay));
    cx = ce[2] - ce[0];
    cy = ce[3] - ce[1];
    cl = sqrt(cx * cx + cy * cy);
  }
  seg->ax = (float)ce[0];
  seg->ay = (float)ce[1];
  seg->ux = cl > 0.0 ? (float)(cx / cl) : (len > 0.0 ? (float)(dx / len) : 1.0f);
  seg->uy = cl > 0.0 ? (float)(cy / cl) : (len > 0.0 ? (float)(dy / len) : 0.0f);
  seg->len = (float)cl;
  seg->pa = ysg_line_pattern_pos(f, s + d0 + (double)f->phase);
  seg->caps = caps;
  float t0 = len > 0.0 ? (float)(d0 / len) : 0.0f, t1 = len > 0.0 ? (float)(d1 / len) : 0.0f;
  if (ho) {
    seg->h0 = ho[0] + t0 * (ho[1] - ho[0]);
    seg->h1 = ho[0] + t1 * (ho[1] - ho[0]);
    seg->o0 = ho[2] + t0 * (ho[3] - ho[2]);
    seg->o1 = ho[2] + t1 * (ho[3] - ho[2]);
  } else {
    seg->h0 = seg->h1 = f->half;
    seg->o0 = seg->o1 = 1.0f;
  }
  prim->ax = (float)ce[0];
  prim->ay = (float)ce[1];
  prim->bx = (float)ce[2];
  prim->by = (float)ce[3];
  prim->r = f->bin_r;
  prim->kind = YSG_BIN_CAPSULE;
  if (cols) {
    float ga = fa + t0 * (fb - fa), gb = fa + t1 * (fb - fa);
    for (int c = 0; c < 4; c++) {
      cols[c] = c0[c] + ga * (c1[c] - c0[c]);
      cols[4 + c] = c0[c] + gb * (c1[c] - c0[c]);
    }
  }
}

/* Point k's colour for gradients: its rgba (linear straight) premultiplied × opacity. */
YSG_HD void ysg_line_point_color(const ysg_line_frame *f, const float *rgba, int k, float out[4]) {
  float a = ysg_clamp01(rgba[4 * k + 3]);
  for (int c = 0; c < 3; c++) out[c] = rgba[4 * k + c] * a * f->opacity;
  out[3] = a * f->opacity;
}

/* ---- per pixel --------------------------------------------------------------------------- */

/* The on-piece of seg nearest to arc position uc (in [0, len]). [*p0, *p1] is its extent within
 * the segment (what distances are measured to). [*v0, *v1] is where its ends really are: a dash
 * cut at a polyline joint goes on into the neighbouring segment, so the cut end is moved to
 * the dash's true end along this segment's line (exact for straight joints, close for the
 * gentle bends of sampled curves); an end cut at a segment end that is no joint stays.
 * *caps says which of v0 (bit 0) and v1 (bit 1) are round caps rather than a stroke that goes
 * on: every dash end is one; solid pieces take the segment's own flags. On-intervals are
 * half-open [start, start + len) (a dash ending exactly at a segment's start does not reach
 * into it); dots are single points. Returns 0 when the pattern leaves the segment off. */
YSG_HD int ysg_line_on_piece(const ysg_line_frame *f, const ysg_line_seg *s, float uc, float *p0,
                             float *p1, float *v0, float *v1, int *caps) {
  if (f->n_on == 0) {
    *p0 = *v0 = 0.0f;
    *p1 = *v1 = s->len;
    *caps = s->caps;
    return 1;
  }
  float P = f->period, len = s->len, best = 3.0e38f, b0 = 0.0f, b1 = 0.0f;
  for (int j = 0; j < f->n_on; j++) {
    float m = s->pa + uc - f->on_start[j];
    m -= P * floorf(m / P);
    float l = f->on_len[j];
    if (m < l) {
      best = 0.0f;
      b0 = uc - m;
      b1 = b0 + l;
      break;
    }
    float prev = uc - (m - l), next = uc + (P - m);
    if ((l > 0.0f ? prev > 0.0f : prev >= 0.0f) && uc - prev < best) {
      best = uc - prev;
      b0 = prev - l;
      b1 = prev;
    }
    if (next <= len && next - uc < best) {
      best = next - uc;
      b0 = next;
      b1 = next + l;
    }
  }
  if (!(best < 3.0e38f)) return 0;
  *p0 = b0 > 0.0f ? b0 : 0.0f;
  *p1 = b1 < len ? b1 : len;
  *v0 = b0 < 0.0f && !(s->caps & 1) ? b0 : *p0;
  *v1 = b1 > len && !(s->caps & 2) ? b1 : *p1;
  *caps = 3;
  return 1;
}

/* Squared distance from pixel centre (px, py) to the on-part of seg (3e38 when none). The solid
 * case is the capsule distance. */
YSG_HD float ysg_line_d2(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py) {
  float qx = px - s->ax, qy = py - s->ay;
  float u = qx * s->ux + qy * s->uy, v = qx * s->uy - qy * s->ux;
  float uc = u < 0.0f ? 0.0f : (u > s->len ? s->len : u);
  if (f->n_on) {
    float p0, p1, v0, v1;
    int caps;
    if (!ysg_line_on_piece(f, s, uc, &p0, &p1, &v0, &v1, &caps)) return 3.0e38f;
    uc = uc < p0 ? p0 : (uc > p1 ? p1 : uc);
  }
  float a = u - uc;
  return a * a + v * v;
}

/* The mass of a pixel's box beyond x >= 0 when projected onto a unit normal whose components
 * have magnitudes 2·lo and 2·hi (lo <= hi): the projection is U(-lo,lo) + U(-hi,hi), a
 * trapezoid, so its tail is quadratic then linear. i2 = 1 / (2·hi), i8 = 1 / (8·lo·hi). */
YSG_HD float ysg_line_tail(float x, float lo, float hi, float i2, float i8) {
  float p = lo + hi;
  if (x >= p) return 0.0f;
  if (lo < 1.0e-4f) return ysg_clampf(0.5f - x * i2, 0.0f, 0.5f);
  if (x > hi - lo) {
    float r = p - x;
    return r * r * i8;
  }
  return 0.5f - x * i2;
}

/* Exact area of a pixel covered by a straight band of half width h whose centre line passes at
 * distance d >= 0 from the pixel centre, the band's normal being (nx, ny). */
YSG_HD float ysg_line_band_coverage(float d, float h, float nx, float ny) {
  float a = 0.5f * fabsf(nx), b = 0.5f * fabsf(ny);
  float lo = a < b ? a : b, hi = a < b ? b : a, i2, i8 = 0.0f;
  if (lo < 1.0e-4f) {
    i2 = 0.5f / hi;
  } else { /* one division for both */
    float inv = 1.0f / (lo * hi);
    i2 = 0.5f * lo * inv;
    i8 = 0.125f * inv;
  }
  float x = h - d, tx = ysg_line_tail(fabsf(x), lo, hi, i2, i8);
  float c = (x >= 0.0f ? 1.0f - tx : tx) - ysg_line_tail(h + d, lo, hi, i2, i8);
  return c > 0.0f ? c : 0.0f;
}

/* Coverage of a pixel whose offsets from seg's nearest on-point are a along and v across
 * (d2 = a² + v²) where no round cap is in reach: beside the piece (a = 0) the band runs along
 * the segment; past an open end (a joint) across the direction from the end. */
YSG_HD float ysg_line_band_at(const ysg_line_seg *s, float a, float v, float d2, float h) {
  if (a == 0.0f) return ysg_line_band_coverage(fabsf(v), h, s->uy, -s->ux);
  float d = sqrtf(d2), inv = 1.0f / d; /* d > 0: a != 0 */
  return ysg_line_band_coverage(d, h, (a * s->ux + v * s->uy) * inv, (a * s->uy - v * s->ux) * inv);
}

#define YSG_LINE_CAP_STEPS 16 /* midpoint-rule slices across a pixel near a cap */

/* The slice of a pixel's box at along-offset t from its centre, for a segment of unit direction
 * (ux, uy): the across-offsets y with |ux·t + uy·y| <= 1/2 and |uy·t - ux·y| <= 1/2. */
YSG_HD void ysg_line_slice_span(float ux, float uy, float t, float *lo_out, float *hi_out) {
  float lo = -1.0e30f, hi = 1.0e30f;
  if (fabsf(uy) > 1.0e-6f) {
    float a = (-0.5f - ux * t) / uy, b = (0.5f - ux * t) / uy;
    lo = a < b ? a : b;
    hi = a < b ? b : a;
  }
  if (fabsf(ux) > 1.0e-6f) {
    float a = (uy * t - 0.5f) / ux, b = (uy * t + 0.5f) / ux;
    float l2 = a < b ? a : b, h2 = a < b ? b : a;
    lo = lo > l2 ? lo : l2;
    hi = hi < h2 ? hi : h2;
  }
  *lo_out = lo;
  *hi_out = hi;
}

/* Area of the pixel (centre at arc position u, signed offset v across seg) covered by the
 * piece [p0, p1] (along seg's line) of half width h with round caps where caps says, and open (a
 * joint: the stroke goes on) elsewhere. The pixel is sliced across the segment; each slice's
 * overlap with the stroke's cross-section (2·h, or a cap's chord) is exact, the slices are summed
 * by the midpoint rule. */
YSG_HD float ysg_line_cap_coverage(const ysg_line_seg *s, float u, float v, float p0, float p1,
                                   int caps, float h) {
  float ux = s->ux, uy = s->uy;
  float P = 0.5f * (fabsf(ux) + fabsf(uy)), dt = 2.0f * P / (float)YSG_LINE_CAP_STEPS;
  float sum = 0.0f;
  for (int k = 0; k < YSG_LINE_CAP_STEPS; k++) {
    float t = -P + ((float)k + 0.5f) * dt, x = u + t, lo, hi;
    ysg_line_slice_span(ux, uy, t, &lo, &hi);
    float hw = h, dd = x < p0 ? p0 - x : (x > p1 ? x - p1 : 0.0f);
    if (dd > 0.0f && (caps & (x < p0 ? 1 : 2))) hw = dd < h ? sqrtf(h * h - dd * dd) : 0.0f;
    float y0 = v + lo, y1 = v + hi;
    float c = (y1 < hw ? y1 : hw) - (y0 > -hw ? y0 : -hw);
    sum += c > 0.0f ? c : 0.0f;
  }
  float c = sum * dt;
  return c < 1.0f ? c : 1.0f;
}

/* Coverage of pixel (px, py) by the stroke around seg's nearest on-piece, and (*t) the
 * fraction 0..1 along seg of the nearest on-point (gradient only, else 0). Beside the straight
 * part of a piece (and at joints) it is the exact band area across the direction from the
 * nearest point; a pixel whose box reaches past a round cap (ysg_line_on_piece's v0/v1) is
 * integrated slice by slice. */
YSG_HD float ysg_line_cover(const ysg_line_frame *f, const ysg_line_seg *s, float px, float py,
                            float *t) {
  float qx = px - s->ax, qy = py - s->ay;
  float u = qx * s->ux + qy * s->uy, v = qx * s->uy - qy * s->ux;
  float uc = u < 0.0f ? 0.0f : (u > s->len ? s->len : u);
  float p0, p1, v0, v1;
  int caps;
  *t = 0.0f;
  if (!ysg_line_on_piece(f, s, uc, &p0, &p1, &v0, &v1, &caps)) return 0.0f;
  float uon = uc < p0 ? p0 : (uc > p1 ? p1 : uc);
  if (f->gradient) *t = s->len > 0.0f ? uon / s->len : 0.0f;
  float a = u - uon, d2 = a * a + v * v;
  if (!(d2 < f->cutoff * f->cutoff)) return 0.0f;
  float reach = 0.5f * (fabsf(s->ux) + fabsf(s->uy));
  if (((caps & 1) && u - v0 < reach) || ((caps & 2) && v1 - u < reach))
    return ysg_line_cap_coverage(s, u, v, v0, v1, caps, f->half);
  return ysg_line_band_at(s, a, v, d2, f->half);
}

/* Pixel value from coverage: colour (premultiplied, opacity already in) × coverage; gradient
 * colours interpolate the nearest segment's end colours (cols: 8 floats) at t. */
YSG_HD void ysg_line_shade(const ysg_line_frame *f, const float *cols, float cov, float t,
                           float out[4]) {
  if (f->gradient && cols) {
    for (int c = 0; c < 4; c++) out[c] = (cols[c] + t * (cols[4 + c] - cols[c])) * cov;
  } else {
    for (int c = 0; c < 4; c++) out[c] = f->color[c] * cov;
  }
}

#endif /* YSG_LINE_MATH_H */
