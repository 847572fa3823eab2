/* dot_math.h — the `dot` node's per-point and per-pixel math, YSG_HD so nodes/dot.c and the
 * kernels in cuda/dot.cu run the same code: building a drawable dot from a point and the node's
 * settings (culling rules), the exact pixel coverage of each shape (area of the pixel square the
 * shape covers: separable for squares and plus signs, polygon edge integrals for diamonds and
 * crosses, an analytic disc-rectangle area for small circles and the exact half-plane coverage
 * for large ones) and the glow falloff. Pixels are unit squares [x, x+1) × [y, y+1). */
#ifndef YSG_DOT_MATH_H
#define YSG_DOT_MATH_H

#include <math.h>
#include <stdint.h>

#include "bins.h"
#include "color.h"
#include "hd.h"
#include "sdf.h"
#include "ysgraph/value.h"

#define YSG_DOT_MAX_RADIUS 10000.0f /* radius param's range; data radii are clamped to it */
#define YSG_DOT_MAX_COORD 1e7f      /* points farther out than this are culled (as CSV data) */
#define YSG_DOT_EXACT_DISC 4.0f     /* discs below this radius use the analytic area */
#define YSG_DOT_K 0.70710678f       /* 1/√2 */

/* What a frame's dots share: the node's params, resolved (the CUDA path reads a device copy). */
typedef struct ysg_dot_params {
  float radius;         /* px, used unless per-point radii are present and data_radius is set */
  float stroke;         /* px: outline width (circle/square/diamond) or band/arm thickness */
  float fill_opacity;   /* inside of an outlined circle/square/diamond */
  float opacity;        /* multiplies every dot */
  float glow;           /* px: glow radius outside the shape, 0: no glow */
  float glow_intensity; /* glow alpha at the shape's edge, before the clamp to 1 */
  float color[4];       /* premultiplied linear RGBA, used unless per-point colours apply */
  int32_t shape;        /* YSG_SHAPE_* */
  int32_t data_radius;  /* use the points' radius attribute when present */
  int32_t data_colors;  /* use the points' rgba attribute when present */
  int32_t pad;
} ysg_dot_params;

/* One drawable dot (64 bytes). shape < 0: culled, draws nothing. */
typedef struct ysg_dot_prim {
  float cx, cy;   /* centre, px */
  float r;        /* radius: circle/ring radius, square half side, diamond and cross/plus tip */
  float s;        /* outline width of circle/square/diamond; 0: filled */
  float arm;      /* ring band / cross and plus arm thickness (clamped to fit the radius) */
  float fo;       /* fill opacity inside an outline */
  float glow;     /* glow radius, px (0: none) */
  float inv_glow; /* 1 / glow */
  float gi;       /* glow intensity */
  float ext;      /* half extent of everything drawn, glow included: the pixel box */
  float c[4];     /* premultiplied linear colour × opacity */
  int32_t shape;
  int32_t pad[1];
} ysg_dot_prim;

/* Bin references the node's bins hold: room for every tile listed 16 times over or 64 tiles per
 * dot (a dot whose extent, glow included, is ≤ 55 px touches at most 8 × 8 tiles), whichever is
 * larger. Frames that need more fail with an error naming `bin_capacity`. */
YSG_HD int64_t ysg_dot_bin_capacity(int n_tiles, int cap_points) {
  int64_t a = 16 * (int64_t)n_tiles, b = 64 * (int64_t)cap_points;
  int64_t c = a > b ? a : b;
  return c > 0x7fffffff ? 0x7fffffff : c;
}

YSG_HD float ysg_dot_maxf(float a, float b) { return a > b ? a : b; }
YSG_HD float ysg_dot_minf(float a, float b) { return a < b ? a : b; }

/* the thickness of ring bands and cross/plus arms: `stroke`, or max(1, r/3) when stroke is 0 */
YSG_HD float ysg_dot_arm(int shape, float r, float stroke) {
  float arm = stroke > 0.0f ? stroke : ysg_dot_maxf(1.0f, r * (1.0f / 3.0f));
  float most = shape == YSG_SHAPE_RING ? r : 2.0f * r; /* a band fills the disc at most */
  return arm < most ? arm : most;
}

/* Build dot i from a point. Culling rule (nothing drawn, nothing binned): a non-finite
 * coordinate or one beyond ±1e7 px, a radius that is NaN, infinite or ≤ 0 (finite radii above
 * 10000 are clamped to 10000), a non-finite colour channel, zero alpha after opacity, or a
 * footprint entirely off the width × height canvas. Returns 1 when the dot is drawn. */
YSG_HD int ysg_dot_make(const ysg_dot_params *p, const float *xy, const float *radius,
                        const float *rgba, uint32_t attrs, int i, int width, int height,
                        ysg_dot_prim *d, ysg_bin_prim *b) {
  d->shape = -1;
  b->kind = -1;
  b->ax = b->ay = b->bx = b->by = b->r = 0.0f;
  float x = xy[2 * i], y = xy[2 * i + 1];
  if (!(fabsf(x) <= YSG_DOT_MAX_COORD) || !(fabsf(y) <= YSG_DOT_MAX_COORD)) return 0;
  float r = p->radius;
  if (p->data_radius && radius && (attrs & YSG_ATTR_RADIUS)) r = radius[i];
  if (!(r > 0.0f) || !(r <= 3.4e38f)) return 0; /* NaN, inf, ≤ 0 */
  if (r > YSG_DOT_MAX_RADIUS) r = YSG_DOT_MAX_RADIUS;
  float c[4];
  if (p->data_colors && rgba && (attrs & YSG_ATTR_RGBA)) {
    const float *q = rgba + 4 * (size_t)i;
    for (int k = 0; k < 4; k++)
      if (!(fabsf(q[k]) <= 3.4e38f)) return 0; /* NaN or inf */
    float a = ysg_clamp01(q[3]);
    c[0] = q[0] * a;
    c[1] = q[1] * a;
    c[2] = q[2] * a;
    c[3] = a;
  } else {
    for (int k = 0; k < 4; k++) c[k] = p->color[k];
  }
  float op = ysg_clamp01(p->opacity);
  for (int k = 0; k < 4; k++) c[k] *= op;
  if (!(c[3] > 0.0f)) return 0;
  int shape = p->shape >= YSG_SHAPE_CIRCLE && p->shape <= YSG_SHAPE_PLUS ? p->shape : 0;
  float stroke = p->stroke > 0.0f ? p->stroke : 0.0f;
  int outline =
      shape == YSG_SHAPE_CIRCLE || shape == YSG_SHAPE_SQUARE || shape == YSG_SHAPE_DIAMOND;
  d->cx = x;
  d->cy = y;
  d->r = r;
  d->s = outline ? stroke : 0.0f;
  d->arm = outline ? 0.0f : ysg_dot_arm(shape, r, stroke);
  d->fo = ysg_clamp01(p->fill_opacity);
  d->glow = p->glow > 0.0f ? p->glow : 0.0f;
  d->inv_glow = d->glow > 0.0f ? 1.0f / d->glow : 0.0f;
  d->gi = p->glow_intensity > 0.0f ? p->glow_intensity : 0.0f;
  if (d->gi <= 0.0f) d->glow = d->inv_glow = 0.0f;
  float ext;
  switch (shape) {
    case YSG_SHAPE_DIAMOND:
      ext = r + d->s * YSG_DOT_K;
      break; /* mitred outline tips */
    case YSG_SHAPE_CROSS:
      ext = (r + 0.5f * d->arm) * YSG_DOT_K;
      break;
    case YSG_SHAPE_RING:
    case YSG_SHAPE_PLUS:
      ext = r;
      break;
    default:
      ext = r + 0.5f * d->s;
      break;
  }
  ext += d->glow;
  d->ext = ext;
  for (int k = 0; k < 4; k++) d->c[k] = c[k];
  float m = ext + YSG_AA_MARGIN;
  if (x + m < 0.0f || x - m > (float)width || y + m < 0.0f || y - m > (float)height) return 0;
  d->shape = shape;
  b->kind = YSG_BIN_RECT;
  b->ax = x - ext;
  b->ay = y - ext;
  b->bx = x + ext;
  b->by = y + ext;
  b->r = YSG_AA_MARGIN;
  return 1;
}

/* ---- coverage --------------------------------------------------------------------------- */

/* length of [a0,a1] ∩ [b0,b1] */
YSG_HD float ysg_dot_ov(float a0, float a1, float b0, float b1) {
  return ysg_dot_maxf(0.0f, ysg_dot_minf(a1, b1) - ysg_dot_maxf(a0, b0));
}

/* Area of the centred box |x| ≤ hx, |y| ≤ hy inside the pixel [X0,X0+1]×[Y0,Y0+1] (coordinates
 * relative to the dot's centre): a box filter is separable, so this is exact. */
YSG_HD float ysg_dot_rect(float hx, float hy, float X0, float Y0) {
  if (hx <= 0.0f || hy <= 0.0f) return 0.0f;
  return ysg_dot_ov(X0, X0 + 1.0f, -hx, hx) * ysg_dot_ov(Y0, Y0 + 1.0f, -hy, hy);
}

/* Exact coverage of a pixel by the half-plane whose edge lies `x` px beyond the pixel centre
 * along the outward normal (a, b) (x = minus the signed distance): the distribution of n·q
 * over the pixel is the convolution of two uniforms of widths |a| and |b|. */
YSG_HD float ysg_dot_halfplane(float x, float a, float b) {
  a = fabsf(a);
  b = fabsf(b);
  if (a < b) {
    float t = a;
    a = b;
    b = t;
  }
  float w2 = 0.5f * (a + b), w1 = 0.5f * (a - b);
  if (x <= -w2) return 0.0f;
  if (x >= w2) return 1.0f;
  if (b < 1e-4f) return ysg_clamp01(0.5f + x / a);
  if (x < -w1) {
    float t = x + w2;
    return t * t / (2.0f * a * b);
  }
  if (x <= w1) return 0.5f + x / a;
  float t = w2 - x;
  return 1.0f - t * t / (2.0f * a * b);
}

/* asin on [0, 1] (Cephes' single-precision polynomial, ~1e-7 relative): the same on every
 * compiler and the device, and no libm call per pixel. */
YSG_HD float ysg_dot_asin01(float a) {
  float x = a, z = a * a;
  int big = a > 0.5f;
  if (big) {
    z = 0.5f * (1.0f - a);
    x = sqrtf(z);
  }
  float p =
      ((((4.2163199048e-2f * z + 2.4181311049e-2f) * z + 4.5470025998e-2f) * z + 7.4953002686e-2f) *
           z +
       1.6666752422e-1f) *
          z * x +
      x;
  return big ? 1.5707963268f - 2.0f * p : p;
}

/* ∫0^t sqrt(ρ² − u²) du for 0 ≤ t ≤ ρ */
YSG_HD float ysg_dot_h(float t, float rho) {
  float rr = rho * rho;
  float q = ysg_dot_minf(t / rho, 1.0f);
  return 0.5f * (t * sqrtf(ysg_dot_maxf(rr - t * t, 0.0f)) + rr * ysg_dot_asin01(q));
}

/* Signed area of the disc of radius ρ (centred at 0) within the rectangle spanned by the origin
 * and (x, y); rectangle areas follow by inclusion–exclusion of four corners. */
YSG_HD float ysg_dot_corner(float x, float y, float rho) {
  float ax = ysg_dot_minf(fabsf(x), rho), ay = ysg_dot_minf(fabsf(y), rho);
  float xc = sqrtf(ysg_dot_maxf(rho * rho - ay * ay, 0.0f)); /* where the arc meets height ay */
  float a = ax <= xc ? ax * ay : xc * ay + ysg_dot_h(ax, rho) - ysg_dot_h(xc, rho);
  return (x < 0.0f) != (y < 0.0f) ? -a : a;
}

/* Coverage of the pixel [X0,X0+1]×[Y0,Y0+1] by the disc of radius ρ at the origin: the analytic
 * area below YSG_DOT_EXACT_DISC px (where an edge's curvature inside one pixel matters), above it
 * the exact coverage of the tangent half-plane moved in by the mean sagitta (max error measured
 * against the analytic area: 0.011 at ρ = 4, 0.0056 at 8, falling as 0.045/ρ). */
YSG_HD float ysg_dot_disc(float rho, float X0, float Y0) {
  if (!(rho > 0.0f)) return 0.0f;
  float px = X0 + 0.5f, py = Y0 + 0.5f;
  float q = sqrtf(px * px + py * py);
  if (q >= rho + 0.7072f) return 0.0f;
  if (q <= rho - 0.7072f) return 1.0f;
  if (rho >= YSG_DOT_EXACT_DISC) {
    /* the arc bends inside the tangent by t²/2ρ: move the edge in by that sagitta's mean over
     * the pixel's chord (length ≈ 1/max(|nx|,|ny|)), which halves the error */
    float nx = fabsf(px / q), ny = fabsf(py / q), m = nx > ny ? nx : ny;
    return ysg_dot_halfplane(rho - q - 1.0f / (24.0f * rho * m * m), nx, ny);
  }
  float X1 = X0 + 1.0f, Y1 = Y0 + 1.0f;
  float a = ysg_dot_corner(X1, Y1, rho) - ysg_dot_corner(X0, Y1, rho) -
            ysg_dot_corner(X1, Y0, rho) + ysg_dot_corner(X0, Y0, rho);
  return ysg_clamp01(a);
}

/* antiderivative of clamp(t, 0, 1) */
YSG_HD float ysg_dot_P(float t) { return t <= 0.0f ? 0.0f : (t >= 1.0f ? t - 0.5f : 0.5f * t * t); }

/* Exact coverage of the pixel [X0,X0+1]×[Y0,Y0+1] by a simple polygon (either orientation):
 * each edge adds ±∫ clamp(x_pixel_right − x_edge(y), 0, 1) dy over its part of the pixel's
 * rows, the area of the pixel right of it, and the signs make the sum the inside's area. */
YSG_HD float ysg_dot_poly(const float *vx, const float *vy, int n, float X0, float Y0) {
  float sum = 0.0f;
  for (int i = 0; i < n; i++) {
    int j = i + 1 == n ? 0 : i + 1;
    float xa = vx[i] - X0, ya = vy[i] - Y0, xb = vx[j] - X0, yb = vy[j] - Y0;
    if (ya == yb) continue;
    float sg = 1.0f;
    if (ya > yb) {
      float t = xa;
      xa = xb;
      xb = t;
      t = ya;
      ya = yb;
      yb = t;
      sg = -1.0f;
    }
    float y0 = ysg_dot_maxf(ya, 0.0f), y1 = ysg_dot_minf(yb, 1.0f);
    if (y0 >= y1) continue;
    float k = (xb - xa) / (yb - ya);
    float t0 = 1.0f - (xa + (y0 - ya) * k), t1 = 1.0f - (xa + (y1 - ya) * k);
    float dt = t1 - t0;
    float avg =
        fabsf(dt) > 1e-3f ? (ysg_dot_P(t1) - ysg_dot_P(t0)) / dt : ysg_clamp01(0.5f * (t0 + t1));
    sum += sg * avg * (y1 - y0);
  }
  return ysg_clamp01(fabsf(sum));
}

/* diamond with tips at distance v from the centre along the axes */
YSG_HD float ysg_dot_diamond(float v, float X0, float Y0) {
  if (!(v > 0.0f)) return 0.0f;
  float m = fabsf(X0 + 0.5f) + fabsf(Y0 + 0.5f); /* the pixel spans ±1 around m in L1 */
  if (m >= v + 1.0f) return 0.0f;
  if (m <= v - 1.0f) return 1.0f;
  float vx[4] = {0.0f, -v, 0.0f, v}, vy[4] = {-v, 0.0f, v, 0.0f};
  return ysg_dot_poly(vx, vy, 4, X0, Y0);
}

/* plus sign: arms of half length r and half thickness h ≤ r, exact by inclusion–exclusion */
YSG_HD float ysg_dot_plus(float r, float h, float X0, float Y0) {
  return ysg_dot_rect(r, h, X0, Y0) + ysg_dot_rect(h, r, X0, Y0) - ysg_dot_rect(h, h, X0, Y0);
}

/* the plus sign turned 45°: a 12-sided polygon */
YSG_HD float ysg_dot_cross(float r, float h, float X0, float Y0) {
  const float k = YSG_DOT_K;
  float cu = (X0 + 0.5f + Y0 + 0.5f) * k, cv = (X0 + 0.5f - Y0 - 0.5f) * k;
  float au = fabsf(cu), av = fabsf(cv), e = 0.7072f; /* pixel half-diagonal */
  if ((au <= r - e && av <= h - e) || (au <= h - e && av <= r - e)) return 1.0f;
  if (!(au < r + e && av < h + e) && !(au < h + e && av < r + e)) return 0.0f;
  const float u[12] = {r, h, h, -h, -h, -r, -r, -h, -h, h, h, r};
  const float v[12] = {h, h, r, r, h, h, -h, -h, -r, -r, -h, -h};
  float vx[12], vy[12];
  for (int i = 0; i < 12; i++) {
    vx[i] = (u[i] + v[i]) * k;
    vy[i] = (u[i] - v[i]) * k;
  }
  return ysg_dot_poly(vx, vy, 12, X0, Y0);
}

/* coverage of the solid circle/square/diamond of size g (radius, half side, tip distance) */
YSG_HD float ysg_dot_solid(int shape, float g, float X0, float Y0) {
  switch (shape) {
    case YSG_SHAPE_SQUARE:
      return ysg_dot_rect(g, g, X0, Y0);
    case YSG_SHAPE_DIAMOND:
      return ysg_dot_diamond(g, X0, Y0);
    default:
      return ysg_dot_disc(g, X0, Y0);
  }
}

/* Glow alpha at distance t (in glow radii) outside the shape: intensity · (1 − t²)³, clamped
 * to 1 — a Gaussian-like bump (1 − 3t² + … like exp(−3t²)) that reaches 0 with zero slope at
 * the glow radius (t = 1) and is 0 beyond. */
YSG_HD float ysg_dot_glow_profile(float t, float intensity) {
  if (!(t < 1.0f)) return 0.0f;
  if (t < 0.0f) t = 0.0f;
  float w = 1.0f - t * t;
  return ysg_clamp01(intensity * w * w * w);
}

/* Alpha (0..1) the dot gives the pixel [x0,x0+1)×[y0,y0+1): shape coverage, then the glow under
 * it (alpha = shape + glow · (1 − shape)). X0, Y0: the pixel's corner relative to the centre. */
YSG_HD float ysg_dot_alpha(const ysg_dot_prim *d, float X0, float Y0) {
  float a;
  switch (d->shape) {
    case YSG_SHAPE_RING:
      a = ysg_dot_disc(d->r, X0, Y0) - ysg_dot_disc(d->r - d->arm, X0, Y0);
      break;
    case YSG_SHAPE_CROSS:
      a = ysg_dot_cross(d->r, 0.5f * d->arm, X0, Y0);
      break;
    case YSG_SHAPE_PLUS:
      a = ysg_dot_plus(d->r, 0.5f * d->arm, X0, Y0);
      break;
    default:
      if (d->s > 0.0f) {
        /* outline of width s centred on the edge (mitred), the inside at fill opacity */
        float g = d->shape == YSG_SHAPE_DIAMOND ? d->s * YSG_DOT_K : 0.5f * d->s;
        a = ysg_dot_solid(d->shape, d->r + g, X0, Y0) -
            (1.0f - d->fo) * ysg_dot_solid(d->shape, d->r - g, X0, Y0);
      } else {
        a = ysg_dot_solid(d->shape, d->r, X0, Y0);
      }
      break;
  }
  a = ysg_clamp01(a);
  if (d->glow > 0.0f && a < 1.0f) {
    float px = X0 + 0.5f, py = Y0 + 0.5f, dist;
    if (d->s > 0.0f) /* an outline glows along its band, inside and out */
      dist = fabsf(ysg_sd_shape(d->shape, px, py, d->r, 0.0f)) - 0.5f * d->s;
    else
      dist = ysg_sd_shape(d->shape, px, py, d->r, d->arm);
    a += ysg_dot_glow_profile(dist * d->inv_glow, d->gi) * (1.0f - a);
  }
  return a;
}

/* Premultiplied "over" of the dot onto acc (4 floats) at alpha a. */
YSG_HD void ysg_dot_over(const ysg_dot_prim *d, float a, float *acc) {
  float k = 1.0f - d->c[3] * a;
  acc[0] = d->c[0] * a + acc[0] * k;
  acc[1] = d->c[1] * a + acc[1] * k;
  acc[2] = d->c[2] * a + acc[2] * k;
  acc[3] = d->c[3] * a + acc[3] * k;
}

#endif /* YSG_DOT_MATH_H */
