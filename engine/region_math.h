/* region_math.h — the `blur_region` node's math, YSG_HD so nodes/blur_region.c and the kernels in
 * cuda/blur_region.cu run the same code: building a mask region (circle around a point or rounded
 * box) with its binning footprint, the soft mask (SDF from engine/sdf.h, smoothstep over the
 * falloff), a per-tile rejection test, the truncated Gaussian's weights and the final blend.
 * Pixel centres sit at integer + 0.5. */
#ifndef YSG_REGION_MATH_H
#define YSG_REGION_MATH_H

#include <math.h>
#include <stdint.h>

#include "bins.h"
#include "hd.h"
#include "sdf.h"

#define YSG_REGION_MAX_COORD 1e7f /* regions farther out than this are ignored (as CSV data) */
#define YSG_REGION_MAX_SIGMA 100.0
#define YSG_REGION_MAX_TRUNCATE 8.0
/* the largest kernel radius the parameters allow: floor(8 · 100 + 0.5) */
#define YSG_REGION_MAX_R 800

enum { YSG_REGION_CIRCLE = 0, YSG_REGION_BOX = 1 };

/* What a frame's regions share: the node's params, resolved (the CUDA path reads a device copy). */
typedef struct ysg_region_params {
  float radius;   /* px: circle radius around each point */
  float corner;   /* px: corner radius of box masks */
  float falloff;  /* px: soft edge width outside the shape */
  float sigma;    /* px: Gaussian standard deviation */
  float opacity;  /* 0..1: blend weight of the blurred picture at mask 1 */
  float truncate; /* kernel radius in sigmas */
  int32_t boxes;  /* 1: regions are boxes, 0: circles around points */
  int32_t pad;
} ysg_region_params;

/* One mask region. kind < 0: ignored. */
typedef struct ysg_region {
  float cx, cy; /* centre, px */
  float hx, hy; /* circle: radius in hx; box: half sizes */
  float corner; /* box corner radius */
  int32_t kind; /* YSG_REGION_* or -1 */
} ysg_region;

/* Kernel radius in pixels of a Gaussian of sigma truncated at `truncate` sigmas (scipy's rule:
 * floor(truncate · sigma + 0.5)); 0 for sigma ≤ 0 (no blur). Clamped to YSG_REGION_MAX_R. */
YSG_HD int ysg_region_kernel_radius(float sigma, float truncate) {
  if (!(sigma > 0.0f) || !(truncate > 0.0f)) return 0;
  float r = floorf(truncate * sigma + 0.5f);
  return r > (float)YSG_REGION_MAX_R ? YSG_REGION_MAX_R : (int)r;
}

/* w[0..R]: the one-sided weights exp(−k²/2σ²), normalised so w[0] + 2·Σ w[k] = 1. */
YSG_HD void ysg_region_weights(float sigma, int R, float *w) {
  if (R <= 0) {
    w[0] = 1.0f;
    return;
  }
  float inv = 1.0f / (2.0f * sigma * sigma), sum = 0.0f;
  for (int k = 0; k <= R; k++) {
    w[k] = expf(-(float)(k * k) * inv);
    sum += k == 0 ? w[k] : 2.0f * w[k];
  }
  for (int k = 0; k <= R; k++) w[k] /= sum;
}

YSG_HD int ysg_region_clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Build region i from points (xy, (cap, 2)) or boxes (xywh, (cap, 4)). Ignored (nothing binned):
 * a non-finite coordinate or size, one beyond ±1e7 px, a box with width or height ≤ 0, or a soft
 * mask entirely off the width × height canvas. Returns 1 when the region masks something. */
YSG_HD int ysg_region_make(const ysg_region_params *p, const float *xy, const float *xywh, int i,
                           int width, int height, ysg_region *r, ysg_bin_prim *b) {
  r->kind = -1;
  b->kind = -1;
  b->ax = b->ay = b->bx = b->by = b->r = 0.0f;
  float cx, cy, hx, hy;
  if (p->boxes) {
    const float *q = xywh + 4 * (size_t)i;
    for (int k = 0; k < 4; k++)
      if (!(fabsf(q[k]) <= YSG_REGION_MAX_COORD)) return 0; /* NaN, inf, far away */
    if (!(q[2] > 0.0f) || !(q[3] > 0.0f)) return 0;
    hx = 0.5f * q[2];
    hy = 0.5f * q[3];
    cx = q[0] + hx;
    cy = q[1] + hy;
  } else {
    cx = xy[2 * (size_t)i];
    cy = xy[2 * (size_t)i + 1];
    if (!(fabsf(cx) <= YSG_REGION_MAX_COORD) || !(fabsf(cy) <= YSG_REGION_MAX_COORD)) return 0;
    hx = hy = p->radius > 0.0f ? p->radius : 0.0f;
  }
  float fo = p->falloff > 0.0f ? p->falloff : 0.0f;
  /* the mask is 0 from `falloff` px outside the shape on; one pixel more is the binning margin */
  float ex = hx + fo + 1.0f, ey = hy + fo + 1.0f;
  if (cx + ex < 0.0f || cx - ex > (float)width || cy + ey < 0.0f || cy - ey > (float)height)
    return 0;
  r->cx = cx;
  r->cy = cy;
  r->hx = hx;
  r->hy = hy;
  r->corner = p->corner > 0.0f ? p->corner : 0.0f;
  r->kind = p->boxes ? YSG_REGION_BOX : YSG_REGION_CIRCLE;
  b->kind = YSG_BIN_RECT;
  b->ax = cx - hx;
  b->ay = cy - hy;
  b->bx = cx + hx;
  b->by = cy + hy;
  b->r = fo + 1.0f;
  return 1;
}

/* signed distance (px, negative inside) from (x, y) to the region's shape */
YSG_HD float ysg_region_sd(const ysg_region *r, float x, float y) {
  if (r->kind == YSG_REGION_BOX)
    return ysg_sd_round_box(x - r->cx, y - r->cy, r->hx, r->hy, r->corner);
  return ysg_sd_circle(x - r->cx, y - r->cy, r->hx);
}

/* Soft mask from a signed distance: 1 inside, 1 − smoothstep(d / falloff) across the falloff,
 * 0 beyond; a hard edge (1 where d ≤ 0) when falloff is 0. */
YSG_HD float ysg_region_soft(float d, float falloff) {
  float t = falloff > 0.0f ? d / falloff : (d > 0.0f ? 1.0f : 0.0f);
  t = ysg_clampf(t, 0.0f, 1.0f);
  return 1.0f - t * t * (3.0f - 2.0f * t);
}

/* 1 when the region's mask is certainly 0 at every pixel centre of the rectangle [x0,x1]×[y0,y1]
 * (centres): its distance to the shape's bounding circle or box is ≥ falloff (and > 0). The
 * shape lies inside that bound, so its SDF can only be larger. */
YSG_HD int ysg_region_rejects(const ysg_region *r, float falloff, float x0, float y0, float x1,
                              float y1) {
  float dx = ysg_clampf(r->cx, x0, x1) - r->cx, dy = ysg_clampf(r->cy, y0, y1) - r->cy, lb;
  if (r->kind == YSG_REGION_BOX) {
    float gx = fabsf(dx) - r->hx, gy = fabsf(dy) - r->hy;
    gx = gx > 0.0f ? gx : 0.0f;
    gy = gy > 0.0f ? gy : 0.0f;
    lb = sqrtf(gx * gx + gy * gy);
  } else {
    lb = sqrtf(dx * dx + dy * dy) - r->hx;
  }
  return lb > 0.0f && lb >= falloff;
}

/* Mask of one region at the pixel centre (x, y). The mask of a pixel is the maximum over the
 * regions of its tile that ysg_region_rejects keeps: max is order-free, so the CPU (region by
 * region over a tile) and the device (pixel by pixel over the regions) give the same bits. */
YSG_HD float ysg_region_mask(const ysg_region *r, float falloff, float x, float y) {
  return ysg_region_soft(ysg_region_sd(r, x, y), falloff);
}

/* Blend of one channel: the original where a = 0, the blurred value where a = 1. */
YSG_HD float ysg_region_lerp(float orig, float blurred, float a) {
  return orig * (1.0f - a) + blurred * a;
}

#endif /* YSG_REGION_MATH_H */
