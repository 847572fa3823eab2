/* matte_composite.cu — the CUDA launcher of `composite` (nodes/matte_composite.c is the
 * reference): the background blur and the light-wrap blur of the background run through the
 * blur node's launcher (cuda/blur.cu) with their settings in this node's parameter block, the
 * foreground's alpha is blurred by the matte family's single-channel blur, then one thread per
 * pixel composites (ysg_matte_composite_px, engine/matte_math.h). Configured options launch every
 * frame; a 0 this frame makes the blur a copy and the wrap weight 0, as on the CPU. */
#include <stdint.h>

#include "blur_api.h"
#include "common.cuh"
#include "matte_api.h"

static size_t up256(size_t b) { return (b + 255) & ~(size_t)255; }

__device__ static void load_tiled(const uint16_t *px, const uint8_t *tiles, int w, int x, int y,
                                  float p[4]) {
  int tx_n = (w + YSG_TILE - 1) / YSG_TILE;
  if (tiles[(y / YSG_TILE) * tx_n + x / YSG_TILE]) {
    ysg_load_px(px + ((size_t)y * w + x) * 4, p);
  } else {
    p[0] = p[1] = p[2] = p[3] = 0.0f;
  }
}

__global__ void comp_alpha_kernel(const uint16_t *fg, const uint8_t *fg_tiles, const uint16_t *m,
                                  const uint8_t *m_tiles, int w, int h, float *a) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (x >= w || y >= h) return;
  float f[4], q[4] = {0, 0, 0, 1};
  load_tiled(fg, fg_tiles, w, x, y, f);
  if (m) load_tiled(m, m_tiles, w, x, y, q);
  a[(size_t)y * w + x] = f[3] * (m ? ysg_clamp01(q[3]) : 1.0f);
}

__global__ void comp_kernel(const uint16_t *fg, const uint8_t *fg_tiles, const uint16_t *bg,
                            const uint8_t *bg_tiles, const uint16_t *m, const uint8_t *m_tiles,
                            const uint16_t *bgw, const uint8_t *bgw_tiles, const float *mw, int w,
                            int h, uint16_t *out, uint8_t *out_tiles, const ysg_composite_op *op) {
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  if (threadIdx.x == 0 && threadIdx.y == 0) out_tiles[blockIdx.y * gridDim.x + blockIdx.x] = 1;
  if (x >= w || y >= h) return;
  float f[4], b[4], q[4] = {0, 0, 0, 1}, bw[4], o[4];
  load_tiled(fg, fg_tiles, w, x, y, f);
  load_tiled(bg, bg_tiles, w, x, y, b);
  if (m) load_tiled(m, m_tiles, w, x, y, q);
  float wrap = 0.0f, mwv = 1.0f;
  if (bgw && op->wrap > 0.0f) {
    load_tiled(bgw, bgw_tiles, w, x, y, bw);
    wrap = op->wrap;
    mwv = mw[(size_t)y * w + x];
  } else {
    bw[0] = b[0], bw[1] = b[1], bw[2] = b[2], bw[3] = b[3];
  }
  ysg_matte_composite_px(f, m ? ysg_clamp01(q[3]) : 1.0f, b, bw, mwv, wrap, o);
  ysg_store_px(out + ((size_t)y * w + x) * 4, o);
}

typedef struct comp_bufs {
  void *blur_work;
  uint16_t *s1, *s2;
  uint8_t *s1t, *s2t;
  float *a, *mw, *tmp, *wts;
} comp_bufs;

static size_t carve(char *base, int w, int h, const ysg_composite_cfg *cfg, comp_bufs *b) {
  size_t img = up256((size_t)w * h * 8), tiles = up256((size_t)((w + 15) / 16) * ((h + 15) / 16));
  size_t plane = up256((size_t)w * h * sizeof(float)), off = 0;
#define TAKE(field, type, bytes)                          \
  do {                                                    \
    if (b) b->field = base ? (type *)(base + off) : NULL; \
    off += (bytes);                                       \
  } while (0)
  if (cfg->bg_blur || cfg->wrap) TAKE(blur_work, void, up256(ysg__cuda_blur_work_bytes(w, h)));
  if (cfg->bg_blur) {
    TAKE(s1, uint16_t, img);
    TAKE(s1t, uint8_t, tiles);
  }
  if (cfg->wrap) {
    TAKE(s2, uint16_t, img);
    TAKE(s2t, uint8_t, tiles);
    TAKE(a, float, plane);
    TAKE(mw, float, plane);
    TAKE(tmp, float, plane);
    TAKE(wts, float, up256(YSG_MATTE_TAPS * sizeof(float)));
  }
#undef TAKE
  return off;
}

extern "C" size_t ysg__cuda_composite_work_bytes(int w, int h, const ysg_composite_cfg *cfg) {
  size_t b = carve(NULL, w, h, cfg, NULL);
  return b ? b : 256;
}

extern "C" ysg_status ysg__cuda_composite(const uint16_t *d_fg, const uint8_t *d_fg_tiles,
                                          const uint16_t *d_bg, const uint8_t *d_bg_tiles,
                                          const uint16_t *d_matte, const uint8_t *d_matte_tiles,
                                          int w, int h, uint16_t *d_out, uint8_t *d_out_tiles,
                                          const ysg_composite_op *d_op,
                                          const ysg_composite_cfg *cfg, void *d_work, void *stream,
                                          char *err, size_t errcap) {
  if (w <= 0 || h <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  comp_bufs b = {0};
  carve((char *)d_work, w, h, cfg, &b);
  dim3 tg = ysg_cuda_tile_grid(w, h), tb = ysg_cuda_tile_block();
  const uint16_t *bg = d_bg;
  const uint8_t *bg_tiles = d_bg_tiles;
  const uint16_t *matte = cfg->has_matte ? d_matte : NULL;
  ysg_status s;
  if (cfg->bg_blur) {
    s = ysg__cuda_blur(d_bg, d_bg_tiles, b.s1, b.s1t, w, h, &d_op->bg_k, &d_op->bg_op, b.blur_work,
                       stream, err, errcap);
    if (s) return s;
    bg = b.s1, bg_tiles = b.s1t;
  }
  if (cfg->wrap) {
    s = ysg__cuda_blur(bg, bg_tiles, b.s2, b.s2t, w, h, &d_op->wrap_k, &d_op->wrap_op, b.blur_work,
                       stream, err, errcap);
    if (s) return s;
    comp_alpha_kernel<<<tg, tb, 0, st>>>(d_fg, d_fg_tiles, matte, d_matte_tiles, w, h, b.a);
    YSG_CUDA_CHECK(cudaGetLastError());
    s = ysg__cuda_matte_blur(b.a, b.mw, b.tmp, b.wts, w, h, &d_op->wrap_k, stream, err, errcap);
    if (s) return s;
  }
  comp_kernel<<<tg, tb, 0, st>>>(d_fg, d_fg_tiles, bg, bg_tiles, matte, d_matte_tiles,
                                 cfg->wrap ? b.s2 : NULL, b.s2t, b.mw, w, h, d_out, d_out_tiles,
                                 d_op);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
