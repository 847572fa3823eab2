/* blur_region_api.h — the plain C face of the `blur_region` node's CUDA path
 * (cuda/blur_region.cu): one launcher that builds the mask regions from device-resident points or
 * boxes (ysg_region_make), bins them on the device (ysg__cuda_bins_build), flags the tiles whose
 * mask is non-zero, and blurs only there, all enqueued on one stream with per-frame values
 * (count, params) read from device memory so a captured CUDA Graph replays without re-capture.
 * Conventions as in cuda_api.h. */
#ifndef YSG_BLUR_REGION_API_H
#define YSG_BLUR_REGION_API_H

#include <stddef.h>
#include <stdint.h>

#include "region_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device scratch of the launcher, carved from one allocation by ysg__cuda_blur_region_work_bind. */
typedef struct ysg_cuda_blur_region_work {
  ysg_region *regions; /* (cap) */
  ysg_bin_prim *bins;  /* (cap) */
  int32_t *start;      /* (n_tiles + 1) */
  int32_t *items;      /* (cap_items) */
  int32_t *total;      /* (1): references the frame needed; > cap_items: nothing was blurred */
  int32_t *radius;     /* (1): the frame's kernel radius */
  float *weights;      /* (YSG_REGION_MAX_R + 1) */
  uint8_t *occ;        /* (n_tiles) 1: the tile is blurred */
  float *h;            /* (height, width, 4) horizontal pass */
  void *temp;          /* the binner's scratch */
  size_t temp_bytes;
  int cap, cap_items, width, height, tiles_x, tiles_y;
} ysg_cuda_blur_region_work;

/* Bytes of device memory ysg__cuda_blur_region_work_bind carves (256-byte aligned pieces). */
size_t ysg__cuda_blur_region_work_bytes(int cap, int width, int height, int cap_items);
void ysg__cuda_blur_region_work_bind(ysg_cuda_blur_region_work *w, void *d_mem, int cap, int width,
                                     int height, int cap_items);

/* Blur d_in (width × height FP16, tile grid d_in_tiles, NULL: all tiles may hold content) inside
 * the masks of the first *d_count (≤ cap) points d_xy (cap, 2) or boxes d_xywh (cap, 4) — the one
 * that *d_params says (boxes) — into d_out / d_out_tiles as the CPU node does. d_out may be d_in
 * and d_out_tiles d_in_tiles (in place). When the frame needs more bin references than
 * w->cap_items, nothing is blurred (the output is the input) and *w->total tells the host. */
ysg_status ysg__cuda_blur_region(const uint16_t *d_in, const uint8_t *d_in_tiles, uint16_t *d_out,
                                 uint8_t *d_out_tiles, int width, int height, const float *d_xy,
                                 const float *d_xywh, const int32_t *d_count, int cap,
                                 const ysg_region_params *d_params,
                                 const ysg_cuda_blur_region_work *w, void *stream, char *err,
                                 size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_BLUR_REGION_API_H */
