/* polygon.cu — the `polygon` node on the device (nodes/polygon.c is the reference): vertices are
 * grouped into polygons by a block-wide scan of id changes, each polygon's tiles and colours are
 * found (one thread per polygon) and offset by a second scan, edges are clipped (one thread per
 * vertex), their row covers deposited into the carries with integer atomics and prefix-summed
 * along tile rows, edges and polygons binned, and one 16×16 block renders each tile: per
 * polygon, fill (carry + its edges' cell areas, by the rule) then stroke (nearest edge), "over"
 * in polygon order. The math is nodes/polygon_math.h and nodes/line_math.h, as on the CPU; this
 * file is built with -fmad=false, so the same float operations give the same results. */
#include <cub/block/block_scan.cuh>
#include <stdint.h>

#include "bins_api.h"
#include "common.cuh"
#include "polygon_api.h"

#define SCAN_BLOCK 1024
#define BUILD_BLOCK 256

static size_t up256(size_t x) { return (x + 255) / 256 * 256; }

/* scratch layout, in this order */
typedef struct poly_layout {
  size_t edges, segs, eprims, poly_of, pstart, info, pprims, counts, meta, estart, eitems, pbstart,
      pbitems, carry, temp, total;
} poly_layout;

static poly_layout layout(int cap, int n_tiles, int cap_items, int cap_tiles, size_t temp_bytes) {
  size_t c = (size_t)(cap > 0 ? cap : 1);
  poly_layout l;
  l.edges = 0;
  l.segs = l.edges + up256(c * sizeof(ysg_poly_edge));
  l.eprims = l.segs + up256(c * sizeof(ysg_line_seg));
  l.poly_of = l.eprims + up256(c * sizeof(ysg_bin_prim));
  l.pstart = l.poly_of + up256(c * sizeof(int32_t));
  l.info = l.pstart + up256((c + 1) * sizeof(int32_t));
  l.pprims = l.info + up256(c * sizeof(ysg_poly_info));
  l.counts = l.pprims + up256(c * sizeof(ysg_bin_prim));
  l.meta = l.counts + up256(c * sizeof(int32_t));
  l.estart = l.meta + 256;
  l.eitems = l.estart + up256(((size_t)n_tiles + 1) * sizeof(int32_t));
  l.pbstart = l.eitems + up256((size_t)(cap_items > 0 ? cap_items : 1) * sizeof(int32_t));
  l.pbitems = l.pbstart + up256(((size_t)n_tiles + 1) * sizeof(int32_t));
  l.carry = l.pbitems + up256((size_t)(cap_tiles > 0 ? cap_tiles : 1) * sizeof(int32_t));
  l.temp = l.carry + up256((size_t)(cap_tiles > 0 ? cap_tiles : 1) * YSG_TILE * sizeof(int32_t));
  l.total = l.temp + up256(temp_bytes);
  return l;
}

/* meta: [0] vertices, [1] polygons, [2] carries fit (1) or not (0), [3] carry entries, [4] the
 * polygon bins' references */
enum { M_VERTS, M_POLYS, M_OK, M_ENTRIES, M_PBINS };

/* Polygon of each vertex: runs of equal ids (all one polygon without ids), by one block scanning
 * the "a polygon starts here" flags chunk by chunk. */
__global__ void poly_group_kernel(const ysg_poly_frame *f, const int32_t *id,
                                  const uint32_t *d_attrs, const int32_t *d_count, int cap,
                                  int32_t *poly_of, int32_t *pstart, int32_t *meta) {
  typedef cub::BlockScan<int, SCAN_BLOCK> scan_t;
  __shared__ typename scan_t::TempStorage tmp;
  __shared__ int base_poly;
  int n = *d_count < 0 ? 0 : (*d_count > cap ? cap : *d_count);
  if (!f->do_fill && !f->do_stroke) n = 0;
  const int32_t *ids = (*d_attrs & YSG_ATTR_ID) ? id : NULL;
  if (threadIdx.x == 0) base_poly = 0;
  __syncthreads();
  for (int base = 0; base < n; base += SCAN_BLOCK) {
    int i = base + (int)threadIdx.x;
    int start = i < n && (i == 0 || (ids && ids[i] != ids[i - 1]));
    int excl, total;
    scan_t(tmp).ExclusiveSum(start, excl, total);
    int b = base_poly;
    if (i < n) {
      int p = b + excl + start - 1;
      poly_of[i] = p;
      if (start) pstart[p] = i;
    }
    __syncthreads();
    if (threadIdx.x == 0) base_poly = b + total;
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    meta[M_VERTS] = n;
    meta[M_POLYS] = base_poly;
    pstart[base_poly] = n;
  }
}

/* per polygon: validity, colours, tiles, binning rectangle, tile count */
__global__ void poly_info_kernel(const ysg_poly_frame *f, const float *xy, const int32_t *id,
                                 const float *rgba, const uint32_t *d_attrs, const int32_t *pstart,
                                 const int32_t *meta, ysg_poly_info *info, ysg_bin_prim *pprims,
                                 int32_t *counts, int32_t *status) {
  int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= meta[M_POLYS]) return;
  uint32_t attrs = *d_attrs;
  ysg_poly_info *q = &info[p];
  q->v0 = pstart[p];
  q->v1 = pstart[p + 1];
  q->id = (attrs & YSG_ATTR_ID) ? id[q->v0] : 0;
  q->carry = 0;
  int valid = q->v1 - q->v0 >= 3;
  for (int k = q->v0; k < q->v1 && valid; k++) valid = ysg_line_finite2(xy[2 * k], xy[2 * k + 1]);
  ysg_poly_colors(f, (attrs & YSG_ATTR_RGBA) ? rgba : NULL, q->v0, q->fill, q->stroke);
  if (valid) {
    ysg_poly_tiles(f, xy, q);
  } else {
    q->tx0 = q->ty0 = q->bw = q->bh = 0;
    atomicAdd(&status[2], 1);
  }
  ysg_poly_bin_prim(q, &pprims[p]);
  counts[p] = q->bw * q->bh;
}

/* carry offsets: an exclusive scan of the tile counts; whether they fit */
__global__ void poly_offsets_kernel(const int32_t *counts, int cap_tiles, int32_t *meta,
                                    ysg_poly_info *info, int32_t *status) {
  typedef cub::BlockScan<long long, SCAN_BLOCK> scan_t;
  __shared__ typename scan_t::TempStorage tmp;
  __shared__ long long base;
  int np = meta[M_POLYS];
  if (threadIdx.x == 0) base = 0;
  __syncthreads();
  for (int b0 = 0; b0 < np; b0 += SCAN_BLOCK) {
    int p = b0 + (int)threadIdx.x;
    long long c = p < np ? (long long)counts[p] : 0, excl, total;
    scan_t(tmp).ExclusiveSum(c, excl, total);
    long long b = base;
    if (p < np) {
      long long off = b + excl;
      info[p].carry = (int32_t)(off < cap_tiles ? off : cap_tiles);
    }
    __syncthreads();
    if (threadIdx.x == 0) base = b + total;
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    int32_t t = (int32_t)(base < 2147483647LL ? base : 2147483647LL);
    meta[M_ENTRIES] = t;
    meta[M_OK] = base <= cap_tiles;
    status[1] = t;
  }
}

/* per vertex: its edge (to the next vertex of its polygon), stroke segment and footprint */
__global__ void poly_edges_kernel(const ysg_poly_frame *f, const float *xy, const int32_t *poly_of,
                                  const ysg_poly_info *info, const int32_t *meta,
                                  ysg_poly_edge *edges, ysg_line_seg *segs, ysg_bin_prim *eprims) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= meta[M_VERTS]) return;
  int p = poly_of[k];
  const ysg_poly_info *q = &info[p];
  ysg_poly_edge *e = &edges[k];
  if (!meta[M_OK] || !q->bw) {
    e->poly = -1;
    e->inside = 0;
    e->x0 = e->y0 = e->x1 = e->y1 = e->ly0 = e->ly1 = 0.0f;
    ysg_line_cull(&segs[k], &eprims[k]);
    return;
  }
  int nx = k + 1 < q->v1 ? k + 1 : q->v0;
  float ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * nx], by = xy[2 * nx + 1];
  ysg_poly_edge_build(f, ax, ay, bx, by, p, e);
  ysg_line_piece(&f->line, ax, ay, bx, by, ysg_line_len(ax, ay, bx, by), 0.0, f->stroke, f->stroke,
                 0.0f, 1.0f, 0, NULL, &segs[k], &eprims[k], NULL);
}

__global__ void poly_carry_zero_kernel(const int32_t *meta, int32_t *carry) {
  size_t n = meta[M_OK] ? (size_t)meta[M_ENTRIES] * YSG_TILE : 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    carry[i] = 0;
}

/* per vertex: its edge's row covers into the carries (deltas) */
__global__ void poly_deposit_kernel(const ysg_poly_frame *f, const ysg_poly_edge *edges,
                                    const ysg_poly_info *info, const int32_t *meta,
                                    int32_t *carry) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= meta[M_VERTS] || !meta[M_OK] || !f->do_fill) return;
  const ysg_poly_edge *e = &edges[k];
  if (e->poly < 0) return;
  const ysg_poly_info *q = &info[e->poly];
  if (!q->bw) return;
  float m = f->margin;
  if (e->inside) ysg_poly_deposit(f, q, e->x0, e->y0, e->x1, e->y1, carry, 1);
  if (e->ly0 != e->ly1) ysg_poly_deposit(f, q, -m, e->ly0, -m, e->ly1, carry, 1);
}

/* per polygon (blockIdx.y, strided) and (tile row, pixel row) of its tiles: the running sum of
 * the deltas along the tile row */
__global__ void poly_prefix_kernel(const ysg_poly_frame *f, const ysg_poly_info *info,
                                   const int32_t *meta, int32_t *carry) {
  if (!meta[M_OK] || !f->do_fill) return;
  for (int p = blockIdx.y; p < meta[M_POLYS]; p += gridDim.y) {
    const ysg_poly_info *q = &info[p];
    int rows = q->bh * YSG_TILE;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < rows; e += gridDim.x * blockDim.x) {
      int ty = e / YSG_TILE, r = e % YSG_TILE;
      int32_t *c = carry + ((size_t)q->carry + (size_t)ty * (size_t)q->bw) * YSG_TILE + r;
      int32_t run = 0;
      for (int tx = 0; tx < q->bw; tx++) {
        run += c[(size_t)tx * YSG_TILE];
        c[(size_t)tx * YSG_TILE] = run;
      }
    }
  }
}

__global__ void poly_render_kernel(uint16_t *px, uint8_t *tiles, int width, int height,
                                   const ysg_poly_frame *frame, const ysg_poly_info *info,
                                   const ysg_poly_edge *edges, const ysg_line_seg *segs,
                                   const int32_t *carry, const int32_t *estart,
                                   const int32_t *eitems, const int32_t *pbstart,
                                   const int32_t *pbitems, const int32_t *d_need_items,
                                   int cap_items) {
  __shared__ ysg_poly_frame f;
  int tid = threadIdx.y * YSG_TILE + threadIdx.x;
  int tile = blockIdx.y * gridDim.x + blockIdx.x;
  if (tid == 0) f = *frame;
  int pb = pbstart[tile], pe = pbstart[tile + 1];
  if (*d_need_items > cap_items) pe = pb; /* over capacity: nothing is drawn, as on the CPU */
  if (pb == pe) {                         /* uniform over the block */
    if (tid == 0) tiles[tile] = 0;
    return;
  }
  __syncthreads();
  int tx = blockIdx.x, ty = blockIdx.y, x0 = tx * YSG_TILE;
  int x = x0 + threadIdx.x, y = ty * YSG_TILE + threadIdx.y;
  int inside = x < width && y < height;
  float xc = (float)x + 0.5f, yc = (float)y + 0.5f;
  float o[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int eb = estart[tile], ee = estart[tile + 1];
  for (int it = pb; it < pe; it++) {
    const ysg_poly_info *q = &info[pbitems[it]];
    while (eb < ee && eitems[eb] < q->v0) eb++;
    int e0 = eb;
    while (eb < ee && eitems[eb] < q->v1) eb++;
    int e1 = eb;
    if (!inside) continue;
    if (f.do_fill) {
      const int32_t *c = carry + ((size_t)q->carry + (size_t)(ty - q->ty0) * (size_t)q->bw +
                                  (size_t)(tx - q->tx0)) *
                                     YSG_TILE;
      float acc = (float)c[threadIdx.y] * (1.0f / YSG_POLY_ONE);
      for (int k = e0; k < e1; k++) {
        const ysg_poly_edge *e = &edges[eitems[k]];
        float xa, ya, xb, yb;
        if (!e->inside ||
            !ysg_poly_row_part(e->x0, e->y0, e->x1, e->y1, (float)y, &xa, &ya, &xb, &yb))
          continue;
        if ((xa > xb ? xa : xb) <= (float)x0) continue;
        acc += ysg_poly_cell_area(xa, ya, xb, yb, (float)x);
      }
      float cov = ysg_poly_rule(&f, acc);
      if (cov > 0.0f) ysg_poly_over(o, q->fill, cov);
    }
    if (f.do_stroke && e1 > e0) {
      float best = f.line.cutoff * f.line.cutoff, t;
      int bi = -1;
      for (int k = e0; k < e1; k++) {
        float d = ysg_line_d2(&f.line, &segs[eitems[k]], xc, yc);
        if (d < best) {
          best = d;
          bi = eitems[k];
        }
      }
      if (bi >= 0) {
        float cov = ysg_line_cover(&f.line, &segs[bi], xc, yc, &t);
        if (cov > 0.0f) ysg_poly_over(o, q->stroke, cov);
      }
    }
  }
  int any = o[0] != 0.0f || o[1] != 0.0f || o[2] != 0.0f || o[3] != 0.0f;
  int flag = __syncthreads_or(any);
  if (tid == 0) tiles[tile] = (uint8_t)(flag != 0);
  if (flag && inside) ysg_store_px(px + ((size_t)y * (size_t)width + (size_t)x) * 4, o);
}

extern "C" size_t ysg__cuda_polygon_scratch_bytes(int cap, int tiles_x, int tiles_y, int cap_items,
                                                  int cap_tiles) {
  return layout(cap, tiles_x * tiles_y, cap_items, cap_tiles,
                ysg__cuda_bins_temp_bytes(cap, tiles_x, tiles_y))
      .total;
}

extern "C" ysg_status ysg__cuda_polygon(uint16_t *d_px, uint8_t *d_tiles, int width, int height,
                                        const ysg_poly_dev_inputs *in,
                                        const ysg_poly_frame *d_frame, int cap_items, int cap_tiles,
                                        void *d_scratch, size_t scratch_bytes, int32_t *d_status,
                                        void *stream, char *err, size_t errcap) {
  if (width <= 0 || height <= 0) return YSG_OK;
  int tiles_x = (width + YSG_TILE - 1) / YSG_TILE, tiles_y = (height + YSG_TILE - 1) / YSG_TILE;
  int cap = in->cap > 0 ? in->cap : 1;
  size_t temp_bytes = ysg__cuda_bins_temp_bytes(cap, tiles_x, tiles_y);
  poly_layout l = layout(cap, tiles_x * tiles_y, cap_items, cap_tiles, temp_bytes);
  if (scratch_bytes < l.total) {
    if (err && errcap)
      snprintf(err, errcap, "ysg__cuda_polygon: scratch holds %zu bytes, %zu needed", scratch_bytes,
               l.total);
    return YSG_ERR_INVALID;
  }
  char *m = (char *)d_scratch;
  ysg_poly_edge *edges = (ysg_poly_edge *)(m + l.edges);
  ysg_line_seg *segs = (ysg_line_seg *)(m + l.segs);
  ysg_bin_prim *eprims = (ysg_bin_prim *)(m + l.eprims);
  int32_t *poly_of = (int32_t *)(m + l.poly_of), *pstart = (int32_t *)(m + l.pstart);
  ysg_poly_info *info = (ysg_poly_info *)(m + l.info);
  ysg_bin_prim *pprims = (ysg_bin_prim *)(m + l.pprims);
  int32_t *counts = (int32_t *)(m + l.counts), *meta = (int32_t *)(m + l.meta);
  int32_t *estart = (int32_t *)(m + l.estart), *eitems = (int32_t *)(m + l.eitems);
  int32_t *pbstart = (int32_t *)(m + l.pbstart), *pbitems = (int32_t *)(m + l.pbitems);
  int32_t *carry = (int32_t *)(m + l.carry);
  cudaStream_t st = (cudaStream_t)stream;
  unsigned vb = ysg_cuda_blocks((size_t)cap, BUILD_BLOCK);
  YSG_CUDA_CHECK(cudaMemsetAsync(d_status, 0, 3 * sizeof(int32_t), st));
  poly_group_kernel<<<1, SCAN_BLOCK, 0, st>>>(d_frame, in->d_id, in->d_attrs, in->d_count, cap,
                                              poly_of, pstart, meta);
  poly_info_kernel<<<vb, BUILD_BLOCK, 0, st>>>(d_frame, in->d_xy, in->d_id, in->d_rgba, in->d_attrs,
                                               pstart, meta, info, pprims, counts, d_status);
  poly_offsets_kernel<<<1, SCAN_BLOCK, 0, st>>>(counts, cap_tiles, meta, info, d_status);
  poly_edges_kernel<<<vb, BUILD_BLOCK, 0, st>>>(d_frame, in->d_xy, poly_of, info, meta, edges, segs,
                                                eprims);
  poly_carry_zero_kernel<<<256, 256, 0, st>>>(meta, carry);
  poly_deposit_kernel<<<vb, BUILD_BLOCK, 0, st>>>(d_frame, edges, info, meta, carry);
  poly_prefix_kernel<<<dim3(1, (unsigned)(cap < 65535 ? cap : 65535)), 256, 0, st>>>(d_frame, info,
                                                                                     meta, carry);
  YSG_CUDA_CHECK(cudaGetLastError());
  ysg_status s =
      ysg__cuda_bins_build(eprims, &meta[M_VERTS], cap, tiles_x, tiles_y, estart, eitems, cap_items,
                           &d_status[0], m + l.temp, temp_bytes, stream, err, errcap);
  if (s) return s;
  s = ysg__cuda_bins_build(pprims, &meta[M_POLYS], cap, tiles_x, tiles_y, pbstart, pbitems,
                           cap_tiles, &meta[M_PBINS], m + l.temp, temp_bytes, stream, err, errcap);
  if (s) return s;
  poly_render_kernel<<<ysg_cuda_tile_grid(width, height), ysg_cuda_tile_block(), 0, st>>>(
      d_px, d_tiles, width, height, d_frame, info, edges, segs, carry, estart, eitems, pbstart,
      pbitems, &d_status[0], cap_items);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}
