/* bbox.cu — CUDA kernels and launcher of the `bbox` node (nodes/bbox.c is the reference): the
 * track-age update of `from_age` (one block, the same table and rules as the CPU's), one thread
 * per element building boxes with ysg_bbox_make, tile binning (cuda/bins.cu), and one 16×16
 * block per tile compositing its box list in order with ysg_bbox_eval — the CPU's math
 * (ysg_bbox_tile, cuda/tiles.cuh, also called by the fused merge). */
#include <stdint.h>

#include "bbox_api.h"
#include "bbox_math.h"
#include "bins_api.h"
#include "color.h"
#include "common.cuh"
#include "fused_api.h"
#include "tiles.cuh"

#define AGE_THREADS 1024
#define PRIM_THREADS 256

static size_t align256(size_t b) { return (b + 255) & ~(size_t)255; }

/* d_temp carved into these, in this order */
typedef struct bbox_temp {
  ysg_bbox_prim *prims;    /* (cap) */
  ysg_bin_prim *bin_prims; /* (cap) */
  int32_t *start;          /* (n_tiles + 1) */
  int32_t *items;          /* (cap_items) */
  int32_t *n;              /* 1: the count clamped to the capacity */
  int32_t *ages;           /* (cap) */
  int32_t *slot_of;        /* (cap) the age slot of each point */
  ysg_bbox_age_slot *tmp;  /* (cap) compaction survivors */
  void *bins_temp;
  size_t bins_temp_bytes;
  size_t total;
} bbox_temp;

static bbox_temp carve(unsigned char *base, int cap, int tiles_x, int tiles_y, int cap_items) {
  bbox_temp t;
  size_t c = (size_t)(cap > 0 ? cap : 1), off = 0;
#define TAKE(field, bytes)                              \
  t.field = (decltype(t.field))(base ? base + off : 0); \
  off += align256(bytes)
  TAKE(prims, c * sizeof(ysg_bbox_prim));
  TAKE(bin_prims, c * sizeof(ysg_bin_prim));
  TAKE(start, ((size_t)tiles_x * (size_t)tiles_y + 1) * sizeof(int32_t));
  TAKE(items, (size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
  TAKE(n, sizeof(int32_t));
  TAKE(ages, c * sizeof(int32_t));
  TAKE(slot_of, c * sizeof(int32_t));
  TAKE(tmp, ysg_bbox_age_tmp_bytes(cap));
#undef TAKE
  t.bins_temp_bytes = ysg__cuda_bins_temp_bytes((int)c, tiles_x, tiles_y);
  t.bins_temp = base ? base + off : 0;
  off += align256(t.bins_temp_bytes);
  t.total = off;
  return t;
}

__device__ static int clamp_count(const int32_t *count, int cap) {
  int n = *count;
  return n < 0 ? 0 : (n > cap ? cap : n);
}

/* Lock-free find-or-insert with linear probing; the inserting thread owns `first`. */
__device__ static int32_t age_slot(ysg_bbox_age_slot *slots, int32_t mask, uint64_t key,
                                   int32_t first, int *inserted) {
  uint32_t i = ysg_bbox_age_hash(key) & (uint32_t)mask;
  for (;; i = (i + 1) & (uint32_t)mask) {
    unsigned long long *k = (unsigned long long *)&slots[i].key;
    unsigned long long cur = *(volatile unsigned long long *)k;
    if (cur == 0ull) cur = atomicCAS(k, 0ull, (unsigned long long)key);
    if (cur == 0ull) { /* ours */
      slots[i].first = first;
      *inserted = 1;
      return (int32_t)i;
    }
    if (cur == (unsigned long long)key) {
      *inserted = 0;
      return (int32_t)i;
    }
  }
}

/* One block. Phases as the CPU's age_update: decide (one thread), clear or compact, insert this
 * frame's ids (slots may land elsewhere than on the CPU; ages do not depend on where), then
 * read ages and stamp `last` after every insert is done. */
__global__ void bbox_age_kernel(ysg_bbox_age_head *hd, int32_t nslots, ysg_bbox_age_slot *tmp,
                                const int32_t *ids, const int32_t *count, const uint32_t *attrs,
                                int cap, const ysg_bbox_params *P, int32_t *ages,
                                int32_t *slot_of) {
  ysg_bbox_age_slot *slots = (ysg_bbox_age_slot *)(hd + 1);
  int32_t mask = nslots - 1;
  __shared__ int n_s, kept, added;
  if (threadIdx.x == 0) {
    n_s = clamp_count(count, cap);
    ysg_bbox_age_begin(hd, nslots, P->frame, n_s);
    kept = 0;
    added = 0;
  }
  __syncthreads();
  int n = n_s;
  int32_t frame = P->frame;
  int use_ids = ((attrs ? *attrs : P->attrs) & YSG_ATTR_ID) && ids;
  if (hd->reset)
    for (int32_t s = threadIdx.x; s < nslots; s += blockDim.x) slots[s].key = 0;
  if (hd->compact) {
    for (int32_t s = threadIdx.x; s < nslots; s += blockDim.x)
      if (slots[s].key && slots[s].last >= hd->keep) tmp[atomicAdd(&kept, 1)] = slots[s];
    __syncthreads();
    for (int32_t s = threadIdx.x; s < nslots; s += blockDim.x) slots[s].key = 0;
    __syncthreads();
    for (int k = threadIdx.x; k < kept; k += blockDim.x) {
      int ins;
      int32_t at = age_slot(slots, mask, tmp[k].key, tmp[k].first, &ins);
      slots[at].last = tmp[k].last;
    }
    if (threadIdx.x == 0) hd->count = kept;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    int ins;
    slot_of[i] = age_slot(slots, mask, ysg_bbox_age_key(use_ids ? ids[i] : i), frame, &ins);
    if (ins) atomicAdd(&added, 1);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    int32_t s = slot_of[i];
    ages[i] = frame - slots[s].first;
    slots[s].last = frame;
  }
  if (threadIdx.x == 0) hd->count += added;
}

__global__ void bbox_prims_kernel(ysg_bbox_dev_input in, const ysg_bbox_params *P,
                                  const int32_t *ages, ysg_bbox_prim *prims,
                                  ysg_bin_prim *bin_prims, int32_t *n_out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int n = clamp_count(in.count, in.capacity);
  if (i == 0) *n_out = n;
  if (i >= n) return;
  ysg_bbox_params p = *P;
  if (in.attrs) p.attrs = *in.attrs;
  const float *rgba = (p.attrs & YSG_ATTR_RGBA) ? in.rgba : 0;
  const float *radius = (p.attrs & YSG_ATTR_RADIUS) ? in.radius : 0;
  ysg_bbox_make(&p, in.xywh, in.xy, radius, ages, rgba, i, &prims[i], &bin_prims[i]);
}

/* One block per tile (ysg_bbox_tile, which the fused merge calls too): every thread owns a pixel
 * and composites the tile's boxes in order; the tile is marked when any stored half is non-zero
 * (the CPU's rule). */
__global__ void bbox_render_kernel(const ysg_bbox_prim *prims, const int32_t *start,
                                   const int32_t *items, uint16_t *px, uint8_t *tiles, int width,
                                   int height, const ysg_bbox_params *P) {
  __shared__ ysg_tile_smem sm;
  int tile = blockIdx.y * gridDim.x + blockIdx.x;
  int x = blockIdx.x * YSG_TILE + threadIdx.x, y = blockIdx.y * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float o[4];
  int any = ysg_bbox_tile(P, prims, start, items, &sm, tile, x, y, inside, o);
  if (ysg_tile_tid() == 0) tiles[tile] = (uint8_t)any;
  if (any && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, o);
}

extern "C" size_t ysg__cuda_bbox_temp_bytes(int capacity, int tiles_x, int tiles_y, int cap_items) {
  return carve(0, capacity, tiles_x, tiles_y, cap_items).total;
}

extern "C" ysg_status ysg__cuda_bbox(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                     const ysg_bbox_dev_input *in, int size_mode,
                                     const ysg_bbox_params *d_params, void *d_age_state,
                                     int cap_items, void *d_temp, size_t temp_bytes,
                                     int32_t *d_total, void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  cudaStream_t st = (cudaStream_t)stream;
  int tiles_x = (width + YSG_TILE - 1) / YSG_TILE, tiles_y = (height + YSG_TILE - 1) / YSG_TILE;
  int cap = in->capacity > 0 ? in->capacity : 0;
  bbox_temp t = carve((unsigned char *)d_temp, cap, tiles_x, tiles_y, cap_items);
  if (temp_bytes < t.total) {
    if (err && errcap)
      snprintf(err, errcap, "bbox: the scratch holds %zu bytes, %zu needed", temp_bytes, t.total);
    return YSG_ERR_INVALID;
  }
  const int32_t *ages = 0;
  if (size_mode == YSG_BBOX_FROM_AGE && in->xy && cap > 0) {
    bbox_age_kernel<<<1, AGE_THREADS, 0, st>>>((ysg_bbox_age_head *)d_age_state,
                                               ysg_bbox_age_slots(cap), t.tmp, in->id, in->count,
                                               in->attrs, cap, d_params, t.ages, t.slot_of);
    YSG_CUDA_CHECK(cudaGetLastError());
    ages = t.ages;
  }
  if (cap > 0) {
    bbox_prims_kernel<<<ysg_cuda_blocks((size_t)cap, PRIM_THREADS), PRIM_THREADS, 0, st>>>(
        *in, d_params, ages, t.prims, t.bin_prims, t.n);
    YSG_CUDA_CHECK(cudaGetLastError());
  } else {
    YSG_CUDA_CHECK(cudaMemsetAsync(t.n, 0, sizeof(int32_t), st));
  }
  ysg_status s =
      ysg__cuda_bins_build(t.bin_prims, t.n, cap > 0 ? cap : 1, tiles_x, tiles_y, t.start, t.items,
                           cap_items, d_total, t.bins_temp, t.bins_temp_bytes, stream, err, errcap);
  if (s != YSG_OK || !d_px) return s; /* no image: a fused merge renders (ysg__cuda_bbox_layer) */
  bbox_render_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      t.prims, t.start, t.items, d_px, d_tiles, width, height, d_params);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" void ysg__cuda_bbox_layer(int capacity, int tiles_x, int tiles_y, int cap_items,
                                     void *d_temp, const ysg_bbox_params *d_params,
                                     ysg_fused_layer *out) {
  bbox_temp t = carve((unsigned char *)d_temp, capacity, tiles_x, tiles_y, cap_items);
  out->kind = YSG_FUSED_BBOX;
  out->params = d_params;
  out->prims = t.prims;
  out->start = t.start;
  out->items = t.items;
}
