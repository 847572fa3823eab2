/* blur.c — the `blur` node and the separable blur both `blur` and `glow` run (ysg__blur_*):
 * a horizontal pass from the image into an FP16 scratch image, then a vertical pass into the
 * output, each a line at a time through FP32 line buffers padded by the edge mode. The exact
 * Gaussian (sigma ≤ YSG_BLUR_BOX_SIGMA) or the 3-box running-sum cascade is engine/blur_math.h,
 * shared with cuda/blur.cu. Occupancy tiles are dilated by the kernel's support: lines and tiles
 * whose neighbourhood is empty are skipped and stay 0. */
#include <stdatomic.h>
#include <string.h>

#include "blur_math.h"
#include "color.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/blur_api.h"
#endif

enum { P_SIGMA, P_TRUNCATE, P_EDGE, P_COUNT };

static const ysg_param_def params[P_COUNT] = {
    [P_SIGMA] = {"sigma", YSG_PARAM_NUMBER, "4", 0, YSG_BLUR_SIGMA_MAX, NULL, 0,
                 "px: Gaussian standard deviation (0: copy; above 8 a 3-box cascade)"},
    [P_TRUNCATE] = {"truncate", YSG_PARAM_NUMBER, "3", 1, YSG_BLUR_TRUNCATE_MAX, NULL, 0,
                    "exact kernel radius = ceil(truncate·sigma) (the box cascade spans ≈ 3·sigma)"},
    [P_EDGE] = {"edge", YSG_PARAM_ENUM, "transparent", 0, 0, YSG_EDGE_CHOICES, 0,
                "outside the image: transparent, clamp (repeat the edge) or reflect (mirror)"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the layer to blur", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the blurred layer, the size of the input", NULL, 0},
};

#define LANES_V (4 * YSG_TILE) /* a vertical line is a 16-pixel column strip: 64 floats a row */

/* ---- one line: padding and the two filters ------------------------------------------------ */

/* Fill the samples of [lo, 0) and [n, hi) of a line (lanes floats each, sample 0 at ext) from
 * [0, n) by the edge mode; the samples they copy are already loaded. */
static void pad_line(float *ext, int n, int lanes, int lo, int hi, int mode) {
  size_t sz = (size_t)lanes * sizeof(float);
  for (int i = lo; i < hi; i++) {
    if (i >= 0 && i < n) continue;
    int s = ysg_blur_edge_index(i, n, mode);
    if (s < 0)
      memset(ext + (ptrdiff_t)i * lanes, 0, sz);
    else
      memcpy(ext + (ptrdiff_t)i * lanes, ext + (ptrdiff_t)s * lanes, sz);
  }
}

/* Sixteen floats as one value: GCC/Clang vector extensions give AVX-512/AVX/SSE code without
 * intrinsics (plain scalar code where there is none). Loads/stores go through memcpy: unaligned. */
/* The helpers are static and inlined, so no call crosses an ABI boundary: gcc's note that a
 * 64-byte vector return changes the ABI without AVX-512 (the portable build) does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16f __attribute__((vector_size(64)));
static inline v16f ld16(const float *p) {
  v16f v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void st16(float *p, v16f v) { memcpy(p, &v, sizeof v); }

/* o[j] = w[0]·c[j] + Σ_{t=1..r} w[t]·(lo[t][j] + hi[t][j]) for j < n, c = lo[0]: the symmetric
 * kernel over rows of floats given by pointer (the horizontal pass: one row at offsets of ±4t;
 * the vertical pass: rows of a ring). Taps are the inner loop so 64 outputs stay in registers
 * across all of them and each output is stored once; GCC in ISO C mode does not fuse the
 * multiply-adds unless told to (Clang does by default). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=fast")))
#endif
static void
conv_rows(const float *const *lo, const float *const *hi, const float *w, int r, float *o, int n) {
  int j = 0;
  for (; j + 64 <= n; j += 64) {
    const float *c = lo[0] + j;
    v16f a0 = w[0] * ld16(c), a1 = w[0] * ld16(c + 16), a2 = w[0] * ld16(c + 32),
         a3 = w[0] * ld16(c + 48);
    for (int t = 1; t <= r; t++) {
      const float *l = lo[t] + j, *h = hi[t] + j;
      float wt = w[t];
      a0 += wt * (ld16(l) + ld16(h));
      a1 += wt * (ld16(l + 16) + ld16(h + 16));
      a2 += wt * (ld16(l + 32) + ld16(h + 32));
      a3 += wt * (ld16(l + 48) + ld16(h + 48));
    }
    st16(o + j, a0);
    st16(o + j + 16, a1);
    st16(o + j + 32, a2);
    st16(o + j + 48, a3);
  }
  for (; j + 16 <= n; j += 16) {
    v16f a0 = w[0] * ld16(lo[0] + j);
    for (int t = 1; t <= r; t++) a0 += w[t] * (ld16(lo[t] + j) + ld16(hi[t] + j));
    st16(o + j, a0);
  }
  for (; j < n; j++) {
    float acc = w[0] * lo[0][j];
    for (int t = 1; t <= r; t++) acc += w[t] * (lo[t][j] + hi[t][j]);
    o[j] = acc;
  }
}

/* dst samples [a, b) = the exact symmetric kernel over src (valid on [a − r, b + r)). */
static void gauss_range(const float *src, float *dst, int a, int b, int lanes,
                        const ysg_blur_kernel *k) {
  const float *lo[YSG_BLUR_GAUSS_RMAX + 1], *hi[YSG_BLUR_GAUSS_RMAX + 1];
  const float *s = src + (ptrdiff_t)a * lanes;
  for (int t = 0; t <= k->r; t++) {
    lo[t] = s - (ptrdiff_t)t * lanes;
    hi[t] = s + (ptrdiff_t)t * lanes;
  }
  conv_rows(lo, hi, k->w, k->r, dst + (ptrdiff_t)a * lanes, (b - a) * lanes);
}

/* dst samples [a, b) = mean of src over ±h (src valid on [a − h, b + h)), by a running sum. */
static void box_range(const float *src, float *dst, int a, int b, int lanes, int h) {
  float acc[LANES_V];
  float inv = 1.0f / (float)(2 * h + 1);
  for (int c = 0; c < lanes; c++) acc[c] = 0.0f;
  for (int t = a - h; t <= a + h; t++) {
    const float *s = src + (ptrdiff_t)t * lanes;
    for (int c = 0; c < lanes; c++) acc[c] += s[c];
  }
  for (int i = a; i < b; i++) {
    if (i > a) {
      const float *in = src + (ptrdiff_t)(i + h) * lanes,
                  *outs = src + (ptrdiff_t)(i - h - 1) * lanes;
      for (int c = 0; c < lanes; c++) acc[c] += in[c] - outs[c];
    }
    float *o = dst + (ptrdiff_t)i * lanes;
    for (int c = 0; c < lanes; c++) o[c] = acc[c] * inv;
  }
}

/* Filter line A (padded by the edge mode over [a − support, b + support)) into B on [a, b);
 * the box cascade uses A as its middle buffer. `runs` (NULL: all of [a, b)) lists the tile
 * spans worth computing for the exact kernel; the running sums need the whole range. */
static void filter_line(float *A, float *B, int a, int b, int lanes, const ysg_blur_kernel *k,
                        const uint8_t *tile_on, int tile_stride) {
  if (k->box) {
    int h0 = k->h[0], h1 = k->h[1], h2 = k->h[2];
    box_range(A, B, a - h1 - h2, b + h1 + h2, lanes, h0);
    box_range(B, A, a - h2, b + h2, lanes, h1);
    box_range(A, B, a, b, lanes, h2);
    return;
  }
  /* exact kernel: only the runs of tiles that are on (a, b are tile-aligned except b at n) */
  int i = a;
  while (i < b) {
    int t = (i - a) / YSG_TILE;
    if (!tile_on[(ptrdiff_t)t * tile_stride]) {
      i += YSG_TILE;
      continue;
    }
    int j = i;
    while (j < b && tile_on[(ptrdiff_t)((j - a) / YSG_TILE) * tile_stride]) j += YSG_TILE;
    gauss_range(A, B, i, j < b ? j : b, lanes, k);
    i = j;
  }
}

/* ---- the two passes ------------------------------------------------------------------------ */

typedef struct blur_job {
  const ysg_blur_buffers *bb;
  const ysg_blur_kernel *k;
  const ysg_blur_op *op;
  const uint16_t *in;
  uint16_t *out, *img;
  const uint8_t *itiles, *stiles, *otiles;
  float *lines;
  int width, height, tiles_x, tiles_y;
  atomic_int next;
} blur_job;

static float *line_a(const blur_job *j, int worker) {
  return j->lines + (size_t)worker * 2 * (size_t)j->bb->line_floats;
}

/* Horizontal: every row whose tile row has a scratch tile on, into the FP16 scratch image. */
YSG_CPU_CLONES static void hpass(void *ud, int w0, int w1) {
  blur_job *j = ud;
  int S = j->k->support, W = j->width, mode = j->op->edge;
  for (int w = w0; w < w1; w++) {
    float *A = line_a(j, w) + (size_t)j->bb->pad * 4, *B = A + j->bb->line_floats;
    for (;;) {
      int y = atomic_fetch_add(&j->next, 1);
      if (y >= j->height) break;
      int ty = y / YSG_TILE;
      const uint8_t *srow = j->stiles + (size_t)ty * j->tiles_x;
      const uint8_t *irow = j->itiles + (size_t)ty * j->tiles_x;
      int t0 = 0, t1 = j->tiles_x - 1;
      while (t0 <= t1 && !srow[t0]) t0++;
      while (t1 >= t0 && !srow[t1]) t1--;
      if (t0 > t1) continue;
      int a = t0 * YSG_TILE, b = (t1 + 1) * YSG_TILE < W ? (t1 + 1) * YSG_TILE : W;
      int lo = a - S > 0 ? a - S : 0, hi = b + S < W ? b + S : W;
      const uint16_t *row = j->in + (size_t)y * W * 4;
      for (int x = lo; x < hi;) {
        int tx = x / YSG_TILE, xe = (tx + 1) * YSG_TILE < hi ? (tx + 1) * YSG_TILE : hi;
        if (irow[tx])
          ysg_halves_to_floats(row + (size_t)x * 4, A + (ptrdiff_t)x * 4, 4 * (xe - x));
        else
          memset(A + (ptrdiff_t)x * 4, 0, (size_t)(xe - x) * 4 * sizeof(float));
        x = xe;
      }
      if (j->op->glow && j->op->threshold > 0.0f)
        for (int x = lo; x < hi; x++) {
          float *p = A + (ptrdiff_t)x * 4, f = ysg_glow_feed(p, j->op->threshold);
          p[0] *= f, p[1] *= f, p[2] *= f, p[3] *= f;
        }
      pad_line(A, W, 4, a - S, b + S, mode);
      filter_line(A, B, a, b, 4, j->k, srow + t0, 1);
      uint16_t *srow_px = j->img + (size_t)y * W * 4;
      for (int tx = t0; tx <= t1; tx++) {
        if (!srow[tx]) continue;
        int x = tx * YSG_TILE, npx = W - x < YSG_TILE ? W - x : YSG_TILE;
        ysg_floats_to_halves(B + (ptrdiff_t)x * 4, srow_px + (size_t)x * 4, 4 * npx);
      }
    }
  }
}

/* Vertical: every 16-pixel column strip with an output tile on, from the scratch image into the
 * output (glow: plus the input). */
YSG_CPU_CLONES static void vpass(void *ud, int w0, int w1) {
  blur_job *j = ud;
  int S = j->k->support, W = j->width, H = j->height, mode = j->op->edge, tx_n = j->tiles_x;
  for (int w = w0; w < w1; w++) {
    float *A = line_a(j, w) + (size_t)j->bb->pad * LANES_V, *B = A + j->bb->line_floats;
    for (;;) {
      int tx = atomic_fetch_add(&j->next, 1);
      if (tx >= tx_n) break;
      int t0 = 0, t1 = j->tiles_y - 1;
      while (t0 <= t1 && !j->otiles[(size_t)t0 * tx_n + tx]) t0++;
      while (t1 >= t0 && !j->otiles[(size_t)t1 * tx_n + tx]) t1--;
      if (t0 > t1) continue;
      int x0 = tx * YSG_TILE, npx = W - x0 < YSG_TILE ? W - x0 : YSG_TILE;
      int a = t0 * YSG_TILE, b = (t1 + 1) * YSG_TILE < H ? (t1 + 1) * YSG_TILE : H;
      int lo = a - S > 0 ? a - S : 0, hi = b + S < H ? b + S : H;
      for (int y = lo; y < hi; y++) {
        float *d = A + (ptrdiff_t)y * LANES_V;
        if (j->stiles[(size_t)(y / YSG_TILE) * tx_n + tx]) {
          ysg_halves_to_floats(j->img + ((size_t)y * W + (size_t)x0) * 4, d, 4 * npx);
          if (npx < YSG_TILE) memset(d + 4 * npx, 0, (size_t)(LANES_V - 4 * npx) * sizeof(float));
        } else {
          memset(d, 0, LANES_V * sizeof(float));
        }
      }
      pad_line(A, H, LANES_V, a - S, b + S, mode);
      filter_line(A, B, a, b, LANES_V, j->k, j->otiles + (size_t)t0 * tx_n + tx, tx_n);
      float inpx[LANES_V];
      for (int ty = t0; ty <= t1; ty++) {
        if (!j->otiles[(size_t)ty * tx_n + tx]) continue;
        int in_on = j->itiles[(size_t)ty * tx_n + tx];
        int ye = (ty + 1) * YSG_TILE < H ? (ty + 1) * YSG_TILE : H;
        for (int y = ty * YSG_TILE; y < ye; y++) {
          float *bl = B + (ptrdiff_t)y * LANES_V;
          uint16_t *o = j->out + ((size_t)y * W + (size_t)x0) * 4;
          if (j->op->glow) {
            if (in_on)
              ysg_halves_to_floats(j->in + ((size_t)y * W + (size_t)x0) * 4, inpx, 4 * npx);
            else
              memset(inpx, 0, sizeof inpx);
            for (int i = 0; i < npx; i++)
              ysg_glow_add(inpx + 4 * i, bl + 4 * i, j->op->intensity, bl + 4 * i);
          }
          ysg_floats_to_halves(bl, o, 4 * npx);
        }
      }
    }
  }
}

/* Vertical, exact kernel: row by row down a strip of STRIP_PX columns, the FP32 rows of the
 * scratch image the kernel spans kept in a ring of 2r + 1 (each scratch row converted once), so
 * every output row is one contiguous pass of conv_rows over the strip. */
#define STRIP_PX 128
YSG_CPU_CLONES static void vpass_exact(void *ud, int w0, int w1) {
  blur_job *j = ud;
  int r = j->k->r, W = j->width, H = j->height, mode = j->op->edge, tx_n = j->tiles_x;
  int ring_n = 2 * r + 1, strips = (W + STRIP_PX - 1) / STRIP_PX, tps = STRIP_PX / YSG_TILE;
  for (int w = w0; w < w1; w++) {
    float *ring = line_a(j, w), *zero = ring + (size_t)ring_n * 4 * STRIP_PX,
          *orow = zero + 4 * STRIP_PX;
    memset(zero, 0, 4 * STRIP_PX * sizeof(float));
    for (;;) {
      int st = atomic_fetch_add(&j->next, 1);
      if (st >= strips) break;
      int x0 = st * STRIP_PX, npx = W - x0 < STRIP_PX ? W - x0 : STRIP_PX, nf = 4 * npx;
      int tx0 = st * tps, tx1 = (x0 + npx + YSG_TILE - 1) / YSG_TILE; /* tiles [tx0, tx1) */
      int loaded = 0; /* rows [.., loaded) of the image are in the ring */
      for (int y = 0; y < H; y++) {
        const uint8_t *orow_t = j->otiles + (size_t)(y / YSG_TILE) * tx_n;
        int on = 0;
        for (int tx = tx0; tx < tx1 && !on; tx++) on = orow_t[tx];
        if (!on) continue;
        int need = y + r + 1 < H ? y + r + 1 : H;
        if (loaded < y - r) loaded = y - r;
        for (; loaded < need; loaded++) {
          float *d = ring + (size_t)(loaded % ring_n) * 4 * STRIP_PX;
          const uint8_t *srow = j->stiles + (size_t)(loaded / YSG_TILE) * tx_n;
          const uint16_t *src = j->img + ((size_t)loaded * W + (size_t)x0) * 4;
          for (int tx = tx0; tx < tx1; tx++) {
            int o = (tx - tx0) * YSG_TILE, n = npx - o < YSG_TILE ? npx - o : YSG_TILE;
            if (srow[tx])
              ysg_halves_to_floats(src + (size_t)o * 4, d + (size_t)o * 4, 4 * n);
            else
              memset(d + (size_t)o * 4, 0, (size_t)n * 4 * sizeof(float));
          }
        }
        const float *lo[YSG_BLUR_GAUSS_RMAX + 1], *hi[YSG_BLUR_GAUSS_RMAX + 1];
        for (int t = 0; t <= r; t++) {
          int a = ysg_blur_edge_index(y - t, H, mode), b = ysg_blur_edge_index(y + t, H, mode);
          lo[t] = a < 0 ? zero : ring + (size_t)(a % ring_n) * 4 * STRIP_PX;
          hi[t] = b < 0 ? zero : ring + (size_t)(b % ring_n) * 4 * STRIP_PX;
        }
        conv_rows(lo, hi, j->k->w, r, orow, nf);
        const uint8_t *irow_t = j->itiles + (size_t)(y / YSG_TILE) * tx_n;
        for (int tx = tx0; tx < tx1; tx++) {
          if (!orow_t[tx]) continue;
          int o = (tx - tx0) * YSG_TILE, n = npx - o < YSG_TILE ? npx - o : YSG_TILE;
          float *bl = orow + (size_t)o * 4;
          size_t off = ((size_t)y * W + (size_t)(x0 + o)) * 4;
          if (j->op->glow && irow_t[tx]) {
            float inpx[4 * YSG_TILE];
            ysg_halves_to_floats(j->in + off, inpx, 4 * n);
            for (int i = 0; i < n; i++)
              ysg_glow_add(inpx + 4 * i, bl + 4 * i, j->op->intensity, bl + 4 * i);
          } else if (j->op->glow) {
            const float zpx[4] = {0, 0, 0, 0};
            for (int i = 0; i < n; i++) ysg_glow_add(zpx, bl + 4 * i, j->op->intensity, bl + 4 * i);
          }
          ysg_floats_to_halves(bl, j->out + off, 4 * n);
        }
      }
    }
  }
}

/* dst[t] = any src[t'] with |t' − t| ≤ d along one axis of the tile grid (n tiles, stride
 * between them, m lines of them), through a prefix count per line. */
static void dilate(const uint8_t *src, uint8_t *dst, int n, int m, ptrdiff_t stride,
                   ptrdiff_t line_stride, int d, int *prefix) {
  for (int l = 0; l < m; l++) {
    const uint8_t *s = src + l * line_stride;
    uint8_t *o = dst + l * line_stride;
    prefix[0] = 0;
    for (int t = 0; t < n; t++) prefix[t + 1] = prefix[t] + (s[t * stride] != 0);
    for (int t = 0; t < n; t++) {
      int lo = t - d < 0 ? 0 : t - d, hi = t + d + 1 > n ? n : t + d + 1;
      o[t * stride] = (uint8_t)(prefix[hi] - prefix[lo] > 0);
    }
  }
}

/* ---- shared entry points (declared in blur_math.h) ----------------------------------------- */

/* The node state of blur and glow: the CPU buffers first (the CPU code reads the state as a
 * ysg_blur_buffers), then the device scratch handle of the CUDA path. */
typedef struct blur_state {
  ysg_blur_buffers bb;
  int d_work;
} blur_state;

void ysg__blur_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

ysg_status ysg__blur_buffers_request(ysg_node *n, int width, int height, ysg_blur_buffers *bb) {
  int W = width > 0 ? width : 1, H = height > 0 ? height : 1;
  int tx = (W + YSG_TILE - 1) / YSG_TILE, ty = (H + YSG_TILE - 1) / YSG_TILE;
  ysg_blur_kernel kmax;
  ysg_blur_kernel_make(YSG_BLUR_SIGMA_MAX, YSG_BLUR_TRUNCATE_MAX, &kmax);
  bb->pad = kmax.support > YSG_BLUR_GAUSS_RMAX ? kmax.support : YSG_BLUR_GAUSS_RMAX;
  size_t hfl = (size_t)(W + 2 * bb->pad) * 4, vfl = (size_t)(H + 2 * bb->pad) * LANES_V;
  bb->line_floats = (int)(hfl > vfl ? hfl : vfl);
  size_t ring = (size_t)(2 * YSG_BLUR_GAUSS_RMAX + 3) * 4 * STRIP_PX; /* vpass_exact */
  if (2 * (size_t)bb->line_floats < ring) bb->line_floats = (int)((ring + 1) / 2);
  int threads = ysg_node_threads(n);
  bb->workers = threads < 1 ? 1 : (threads > 64 ? 64 : threads);
  size_t ntiles = (size_t)tx * (size_t)ty;
  ysg_status s;
  if ((s = ysg_node_request_scratch(n, (size_t)W * H * 8, 0, &bb->h_img)) ||
      (s = ysg_node_request_scratch(n, 3 * ntiles, 0, &bb->h_tiles)) ||
      (s = ysg_node_request_scratch(n, (size_t)(tx > ty ? tx : ty) * 4 + 4, 0, &bb->h_prefix)) ||
      (s = ysg_node_request_scratch(
           n, (size_t)bb->workers * 2 * (size_t)bb->line_floats * sizeof(float), 0, &bb->h_lines)))
    return s;
  return YSG_OK;
}

ysg_status ysg__blur_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = in->width;
  out->height = in->height;
  ysg__blur_destroy(n); /* infer may run again when a pipeline is re-planned */
  blur_state *bs = ysg_node_alloc(n, sizeof *bs);
  if (!bs) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, bs);
  return ysg__blur_buffers_request(n, in->width, in->height, &bs->bb);
}

void ysg__blur_apply(ysg_node *n, const ysg_blur_op *op) {
  ysg__blur_image(n, ysg_node_state(n), ysg_node_input(n, 0, 0), ysg_node_output(n, 0), op);
}

void ysg__blur_image(ysg_node *n, const ysg_blur_buffers *bb, const ysg_value *in, ysg_value *out,
                     const ysg_blur_op *op) {
  int W = in->width, H = in->height;
  int tx_n = (W + YSG_TILE - 1) / YSG_TILE, ty_n = (H + YSG_TILE - 1) / YSG_TILE;
  size_t ntiles = (size_t)tx_n * (size_t)ty_n;
  if (W <= 0 || H <= 0) return;
  uint8_t *itiles = ysg_node_scratch(n, bb->h_tiles), *stiles = itiles + ntiles,
          *otiles = stiles + ntiles;
  memcpy(itiles, in->tiles, ntiles); /* out->tiles may be in->tiles (in place) */
  int any = 0;
  for (size_t t = 0; t < ntiles && !any; t++) any = itiles[t] != 0;
  if (!any) { /* an empty layer blurs (and glows) to an empty layer */
    memset(out->tiles, 0, ntiles);
    return;
  }
  ysg_blur_kernel k;
  ysg_blur_kernel_make(op->sigma, op->truncate, &k);
  if (!op->glow && k.support == 0 && !k.box) { /* sigma 0: a copy of the occupied tiles */
    if (out->px != in->px)
      for (int y = 0; y < H; y++)
        for (int tx = 0; tx < tx_n; tx++)
          if (itiles[(size_t)(y / YSG_TILE) * tx_n + tx]) {
            int x = tx * YSG_TILE, npx = W - x < YSG_TILE ? W - x : YSG_TILE;
            size_t off = ((size_t)y * W + (size_t)x) * 4;
            memcpy(out->px + off, in->px + off, (size_t)npx * 8);
          }
    memcpy(out->tiles, itiles, ntiles);
    return;
  }
  int d = (k.support + YSG_TILE - 1) / YSG_TILE;
  int *prefix = ysg_node_scratch(n, bb->h_prefix);
  dilate(itiles, stiles, tx_n, ty_n, 1, tx_n, d, prefix); /* along x, per tile row */
  dilate(stiles, otiles, ty_n, tx_n, tx_n, 1, d, prefix); /* along y, per tile column */
  blur_job j;
  j.bb = bb;
  j.k = &k;
  j.op = op;
  j.in = in->px;
  j.out = out->px;
  j.img = ysg_node_scratch(n, bb->h_img);
  j.itiles = itiles;
  j.stiles = stiles;
  j.otiles = otiles;
  j.lines = ysg_node_scratch(n, bb->h_lines);
  j.width = W;
  j.height = H;
  j.tiles_x = tx_n;
  j.tiles_y = ty_n;
  atomic_init(&j.next, 0);
  ysg_node_parallel_for(n, bb->workers, 1, hpass, &j);
  atomic_store(&j.next, 0);
  ysg_node_parallel_for(n, bb->workers, 1, k.box ? vpass : vpass_exact, &j);
  memcpy(out->tiles, otiles, ntiles);
}

extern const ysg_node_type ysg__node_blur;

/* ---- the node ------------------------------------------------------------------------------ */

void ysg__blur_op_read(const ysg_node *n, ysg_blur_op *op) {
  if (ysg_node_get_type(n) != &ysg__node_blur) {
    ysg__glow_op_read(n, op);
    return;
  }
  memset(op, 0, sizeof *op);
  op->sigma = (float)ysg_node_number(n, P_SIGMA);
  op->truncate = (float)ysg_node_number(n, P_TRUNCATE);
  op->edge = ysg_node_enum(n, P_EDGE);
}

static ysg_status blur_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  ysg_blur_op op;
  ysg__blur_op_read(n, &op);
  ysg__blur_apply(n, &op);
  return YSG_OK;
}

/* ---- CUDA path (blur and glow) ---------------------------------------------------------------
 * Parameter block: blur_block — the frame's ysg_blur_kernel at offset 0 (284 bytes) and its
 * ysg_blur_op right after (24 bytes; both only need 4-byte alignment); the launcher reads both
 * from device memory, so sigma, threshold and intensity may be animated under graph replay.
 * Device scratch: ysg__cuda_blur_work_bytes. Glow is the same launcher with op.glow = 1: its
 * horizontal pass weights each tap by ysg_glow_feed (the threshold) and its vertical pass adds
 * the input (ysg_glow_add), the math nodes/glow.c runs through ysg__blur_apply. */
#ifdef YSG_HAVE_CUDA
typedef struct blur_block {
  ysg_blur_kernel kernel;
  ysg_blur_op op;
} blur_block;

/* This frame's settings (ysg__blur_op_read, as the CPU run) and the filter made from them
 * (ysg_blur_kernel_make, as ysg__blur_apply does). */
static void blur_block_make(const ysg_node *n, blur_block *b) {
  memset(b, 0, sizeof *b);
  ysg__blur_op_read(n, &b->op);
  ysg_blur_kernel_make(b->op.sigma, b->op.truncate, &b->kernel);
}

static ysg_status blur_device_infer(ysg_node *n) {
  blur_state *bs = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  int W = in->width > 0 ? in->width : 1, H = in->height > 0 ? in->height : 1;
  ysg_status s = ysg_node_request_param_block(n, sizeof(blur_block));
  if (s) return s;
  return ysg_node_request_device_scratch(n, ysg__cuda_blur_work_bytes(W, H), 0, &bs->d_work);
}

static ysg_status blur_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  blur_block *b = ysg_node_param_block(n);
  if (!b) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  blur_block_make(n, b);
  return YSG_OK;
}

static ysg_status blur_device_run(ysg_node *n, void *stream) {
  const blur_state *bs = ysg_node_state(n);
  const ysg_value *in = ysg_node_input_device(n, 0, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  const blur_block *b = ysg_node_param_block_device(n);
  void *work = ysg_node_device_scratch(n, bs->d_work);
  if (!in || !out || !b || !work)
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "device views of the image, scratch or parameters are missing");
  char err[512] = "";
  ysg_status s = ysg__cuda_blur(in->px, in->tiles, out->px, out->tiles, in->width, in->height,
                                &b->kernel, &b->op, work, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* shared with nodes/glow.c */
extern const ysg_device_ops ysg__blur_device_ops;
const ysg_device_ops ysg__blur_device_ops = {
    .infer = blur_device_infer,
    .prepare = blur_prepare,
    .run = blur_device_run,
};
#endif

const ysg_node_type ysg__node_blur = {
    .name = "blur",
    .category = "effect",
    .doc =
        "Gaussian blur of a premultiplied layer (so transparent edges do not darken): "
        "separable, exact up to sigma 8 (kernel radius ceil(truncate·sigma)), a 3-box "
        "running-sum cascade above (same cost for any sigma); empty tiles whose neighbourhood "
        "is empty are skipped.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .flags = YSG_NODE_INPLACE,
    .infer = ysg__blur_infer,
    .run = blur_run,
    .destroy = ysg__blur_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &ysg__blur_device_ops,
#endif
};
