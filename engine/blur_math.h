/* blur_math.h — the math of the `blur` and `glow` nodes, shared by the CPU nodes (nodes/blur.c,
 * nodes/glow.c) and the CUDA kernels (cuda/blur.cu): Gaussian weights, the 3-box cascade that
 * replaces the Gaussian past YSG_BLUR_BOX_SIGMA, edge-mode index mapping, the kernel support
 * radius used to dilate occupancy tiles, and glow's soft-knee threshold. Pixels are linear-light
 * premultiplied RGBA, so blurring never darkens the edges of transparent layers. */
#ifndef YSG_BLUR_MATH_H
#define YSG_BLUR_MATH_H

#include <math.h>

#include "hd.h"

/* Above this sigma a cascade of 3 running-sum boxes (O(1) per pixel) replaces the exact kernel.
 * Its error against the exact Gaussian (tests/test_blur.c): impulse ≤ 6 % of the 1-D peak
 * (≤ 12 % of the 2-D peak: three boxes are flatter-topped than a Gaussian, the Irwin–Hall
 * density), step response ≤ 1.2 % of the step height. */
#define YSG_BLUR_BOX_SIGMA 8.0f
#define YSG_BLUR_TRUNCATE_MAX 8.0f
/* taps on one side of the exact kernel: ceil(truncate_max · box threshold) */
#define YSG_BLUR_GAUSS_RMAX 64
#define YSG_BLUR_SIGMA_MAX 500.0f

enum { YSG_EDGE_CLAMP, YSG_EDGE_REFLECT, YSG_EDGE_TRANSPARENT };
#define YSG_EDGE_CHOICES "clamp|reflect|transparent"

/* The filter of one frame: either the exact kernel (box == 0: w[0..r], w[0] the centre, weights
 * summing to 1 over -r..r) or three boxes of odd widths 2·h[i]+1. */
typedef struct ysg_blur_kernel {
  int box;
  int r; /* exact kernel: taps per side */
  float w[YSG_BLUR_GAUSS_RMAX + 1];
  int h[3];    /* box half-widths */
  int support; /* pixels on each side an output pixel depends on */
} ysg_blur_kernel;

/* Box widths of the standard n = 3 cascade (Kovesi; Wells 1986): the odd width wl just below
 * sqrt(12σ²/3 + 1) for the first m boxes and wl + 2 for the rest, m chosen so the cascade's
 * variance Σ (w² − 1)/12 is closest to σ². */
YSG_HD void ysg_blur_boxes(float sigma, int h[3]) {
  float ideal = sqrtf(12.0f * sigma * sigma / 3.0f + 1.0f);
  int wl = (int)floorf(ideal);
  if (wl % 2 == 0) wl--;
  if (wl < 1) wl = 1;
  int wu = wl + 2;
  float mi = (12.0f * sigma * sigma - 3.0f * (float)(wl * wl) - 12.0f * (float)wl - 9.0f) /
             (-4.0f * (float)wl - 4.0f);
  int m = (int)floorf(mi + 0.5f);
  for (int i = 0; i < 3; i++) h[i] = ((i < m ? wl : wu) - 1) / 2;
}

/* Sets k for sigma (px) and truncate (kernel radius ceil(truncate·sigma), exact kernel only).
 * sigma ≤ 0 gives the identity (r = 0, w[0] = 1). */
YSG_HD void ysg_blur_kernel_make(float sigma, float truncate, ysg_blur_kernel *k) {
  if (sigma > YSG_BLUR_SIGMA_MAX) sigma = YSG_BLUR_SIGMA_MAX;
  if (truncate > YSG_BLUR_TRUNCATE_MAX) truncate = YSG_BLUR_TRUNCATE_MAX;
  k->box = sigma > YSG_BLUR_BOX_SIGMA;
  k->h[0] = k->h[1] = k->h[2] = 0;
  k->r = 0;
  k->w[0] = 1.0f;
  if (k->box) {
    ysg_blur_boxes(sigma, k->h);
    k->support = k->h[0] + k->h[1] + k->h[2];
    return;
  }
  if (sigma > 0.0f) {
    int r = (int)ceilf(truncate * sigma);
    if (r > YSG_BLUR_GAUSS_RMAX) r = YSG_BLUR_GAUSS_RMAX;
    float sum = 0.0f;
    for (int i = 0; i <= r; i++) {
      k->w[i] = expf(-0.5f * (float)(i * i) / (sigma * sigma));
      sum += i ? 2.0f * k->w[i] : k->w[i];
    }
    for (int i = 0; i <= r; i++) k->w[i] /= sum;
    k->r = r;
  }
  k->support = k->r;
}

/* Where sample i of a line of n samples comes from under the edge mode: an index in [0, n), or
 * -1 for transparent (zero). Reflect mirrors about the pixel edge (d c b a | a b c d | d c b a),
 * repeating when the kernel is wider than the line. */
YSG_HD int ysg_blur_edge_index(int i, int n, int mode) {
  if (i >= 0 && i < n) return i;
  if (mode == YSG_EDGE_TRANSPARENT) return -1;
  if (mode == YSG_EDGE_CLAMP) return i < 0 ? 0 : n - 1;
  int period = 2 * n;
  int m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/* Glow's threshold on a premultiplied pixel: the fraction of it that feeds the glow. Luminance
 * (Rec. 709 weights) of the premultiplied colour is luminance·alpha; with a soft knee of half
 * the threshold it ramps in quadratically instead of cutting off (the usual bloom prefilter).
 * Threshold 0 passes everything, alpha-only pixels included. */
YSG_HD float ysg_glow_feed(const float p[4], float threshold) {
  if (threshold <= 0.0f) return 1.0f;
  float l = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
  if (l <= 0.0f) return 0.0f;
  float knee = 0.5f * threshold;
  float soft = l - threshold + knee;
  soft = soft < 0.0f ? 0.0f : (soft > 2.0f * knee ? 2.0f * knee : soft);
  soft = soft * soft / (4.0f * knee);
  float hard = l - threshold;
  float c = (soft > hard ? soft : hard) / l;
  return c > 1.0f ? 1.0f : c;
}

/* Glow's composite: the layer plus intensity × its blurred feed, added (light adds; the alpha
 * saturates at 1, the colour is left unclamped like any additive light in FP16). */
YSG_HD void ysg_glow_add(const float in[4], const float blurred[4], float intensity, float out[4]) {
  out[0] = in[0] + intensity * blurred[0];
  out[1] = in[1] + intensity * blurred[1];
  out[2] = in[2] + intensity * blurred[2];
  float a = in[3] + intensity * blurred[3];
  out[3] = a > 1.0f ? 1.0f : a;
}

/* One frame's settings. glow: out = in + intensity · blur(feed(in)), see ysg_glow_add. */
typedef struct ysg_blur_op {
  float sigma, truncate;
  int edge; /* YSG_EDGE_* */
  int glow;
  float threshold, intensity;
} ysg_blur_op;

/* ---- the CPU implementation shared by nodes/blur.c and nodes/glow.c ------------------------- */
#if !defined(__CUDACC__)
#include "ysgraph/node.h"

/* Node state: sizes fixed at infer and the scratch handles (FP16 intermediate image, the
 * input/intermediate/output tile grids, a prefix array, per-worker FP32 line buffers). */
typedef struct ysg_blur_buffers {
  int h_img, h_tiles, h_prefix, h_lines;
  int workers, pad, line_floats;
} ysg_blur_buffers;

/* infer of a node with one image input and one image output of the same size: requests the
 * scratch and sets the state; destroy frees the state; apply runs one frame with op. */
ysg_status ysg__blur_infer(ysg_node *n);
void ysg__blur_destroy(ysg_node *n);
void ysg__blur_apply(ysg_node *n, const ysg_blur_op *op);
/* The same on any image of a size the buffers were requested for (other nodes: composite):
 * request in infer, then blur `in` into `out` (same size; may be the same value) in run. */
ysg_status ysg__blur_buffers_request(ysg_node *n, int width, int height, ysg_blur_buffers *bb);
void ysg__blur_image(ysg_node *n, const ysg_blur_buffers *bb, const ysg_value *in, ysg_value *out,
                     const ysg_blur_op *op);
/* this frame's settings of a `blur` or `glow` node (the CUDA tests feed them to the launcher) */
void ysg__blur_op_read(const ysg_node *n, ysg_blur_op *op);
void ysg__glow_op_read(const ysg_node *n, ysg_blur_op *op);
#endif

#endif /* YSG_BLUR_MATH_H */
