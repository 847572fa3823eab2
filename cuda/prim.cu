/* prim.cu — the primitives search on the GPU (prim_api.h). Per shape, five kernels read the shape
 * index from device memory: score every climb's random candidates (a warp per candidate, rows
 * striped over the lanes as prim_sums does, a butterfly of __shfl_xor_sync), pick each climb's
 * best (ties: the lowest index), hill-climb every climb in one block (a warp per mutation of a
 * round of PRIM_BATCH; the rounds loop inside the kernel until `age` mutations in a row fail),
 * choose the best climb and fit it, then draw it into the current image and rebuild its rows'
 * tables (a thread per row) and sum the error. The five are captured once as a CUDA Graph and the
 * graph is launched `count` times. All math is nodes/prim_*.h, compiled without fused
 * multiply-add (CMakeLists.txt), so the shapes equal nodes/prim_search.c's bit for bit. */
#include <stdint.h>
#include <string.h>

#include "common.cuh"
#include "prim_api.h"

#define WARPS_PER_BLOCK 8

struct ysg_cuda_prim {
  int w, h, count, climbs, candidates;
  float *d_tgt, *d_cur, *d_cd, *d_pre, *d_row_sse;
  prim_cand *d_cands; /* (climbs × candidates) */
  prim_cand *d_best;  /* (climbs) */
  int32_t *d_climb_evals;
  prim_record *d_rec; /* (count) */
  prim_cand *d_warm;  /* (count) */
  int32_t *d_step;    /* the shape being searched */
  double *d_sse;
  long long *d_evals;
  prim_fit *d_fit; /* the chosen shape's fit, and whether it is drawn */
  int32_t *d_drawn;
  cudaStream_t stream;
};

/* ---- a warp scores one candidate --------------------------------------------------------------
 */
__device__ static void warp_sums(const prim_geo *g, const prim_img *im, float *S) {
  int lane = threadIdx.x & 31;
  for (int q = 0; q < PRIM_SUMS; q++) S[q] = 0.0f;
  int a, b;
  prim_clip_rows(g, im->h, &a, &b);
  for (int y = a + lane; y <= b; y += PRIM_LANES) prim_row_sums(g, im, y, S);
  for (int off = PRIM_LANES / 2; off >= 1; off /= 2)
    for (int q = 0; q < PRIM_SUMS; q++) S[q] = S[q] + __shfl_xor_sync(0xffffffffu, S[q], off);
}

__device__ static float warp_score(const prim_cand *c, const prim_img *im, float alpha) {
  prim_geo g;
  if (c->kind < 0 || !prim_prepare(c->kind, c->g, &g)) return PRIM_BIG;
  float S[PRIM_SUMS];
  warp_sums(&g, im, S);
  return prim_solve(S, alpha).de;
}

__device__ static int warm_ok(const prim_cand *w, const prim_space *sp) {
  return w->kind >= 0 && w->kind < YSG_PRIM_KIND_COUNT && (sp->kinds & (1u << w->kind)) &&
         prim_valid(w->kind, w->g, sp);
}

__global__ void prim_random_kernel(prim_img im, prim_opts o, prim_space sp, const int32_t *d_step,
                                   const prim_cand *warm, prim_cand *cands) {
  int q = (int)((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  if (q >= o.climbs * o.candidates) return; /* whole warps */
  int n = *d_step, c = q / o.candidates, i = q % o.candidates;
  prim_cand t;
  if (c == 0 && i == 0 && warm && warm_ok(&warm[n], &sp))
    t = warm[n];
  else
    prim_random(&sp, (uint32_t)n, (uint32_t)c, (uint32_t)i, &t);
  t.de = warp_score(&t, &im, o.alpha);
  if ((threadIdx.x & 31) == 0) cands[q] = t;
}

/* the better of two (score, index) pairs: the lower score, then the lower index */
__device__ static void better(float *de, int *idx, float de2, int idx2) {
  if (de2 < *de || (de2 == *de && idx2 < *idx)) {
    *de = de2;
    *idx = idx2;
  }
}

__global__ void prim_pick_kernel(prim_opts o, const prim_cand *cands, prim_cand *best) {
  __shared__ float s_de[256];
  __shared__ int s_idx[256];
  int c = blockIdx.x;
  const prim_cand *mine = cands + (size_t)c * o.candidates;
  float de = PRIM_BIG;
  int idx = 0x7fffffff;
  for (int i = threadIdx.x; i < o.candidates; i += blockDim.x) better(&de, &idx, mine[i].de, i);
  s_de[threadIdx.x] = de;
  s_idx[threadIdx.x] = idx;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if ((int)threadIdx.x < s)
      better(&s_de[threadIdx.x], &s_idx[threadIdx.x], s_de[threadIdx.x + s],
             s_idx[threadIdx.x + s]);
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    prim_cand b;
    if (s_de[0] < PRIM_BIG) { /* as the CPU: only a candidate that scored counts */
      b = mine[s_idx[0]];
    } else {
      memset(&b, 0, sizeof b);
      b.kind = -1;
      b.de = PRIM_BIG;
    }
    best[c] = b;
  }
}

/* one block per climb, one warp per mutation of a round */
__global__ void prim_climb_kernel(prim_img im, prim_opts o, prim_space sp, const int32_t *d_step,
                                  prim_cand *best, int32_t *climb_evals) {
  __shared__ prim_cand s_cur;
  __shared__ prim_cand s_mut[PRIM_BATCH];
  __shared__ int s_fails, s_rounds;
  int c = blockIdx.x, k = (int)(threadIdx.x >> 5), lane = (int)(threadIdx.x & 31);
  int n = *d_step;
  if (threadIdx.x == 0) {
    s_cur = best[c];
    s_fails = 0;
    s_rounds = 0;
  }
  __syncthreads();
  if (s_cur.kind < 0) {
    if (threadIdx.x == 0) climb_evals[c] = o.candidates;
    return;
  }
  for (int r = 0; r < PRIM_MAX_ROUNDS && s_fails < o.age; r++) {
    prim_cand m;
    uint32_t step = (uint32_t)o.candidates + (uint32_t)(r * PRIM_BATCH + k);
    if (prim_mutate(&sp, (uint32_t)n, (uint32_t)c, step, &s_cur, &m))
      m.de = warp_score(&m, &im, o.alpha);
    else
      m.de = PRIM_BIG;
    if (lane == 0) s_mut[k] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
      int top = -1;
      float de = PRIM_BIG;
      for (int j = 0; j < PRIM_BATCH; j++)
        if (s_mut[j].de < de) de = s_mut[j].de, top = j;
      if (top >= 0 && de < s_cur.de) {
        s_cur = s_mut[top];
        s_fails = 0;
      } else {
        s_fails += PRIM_BATCH;
      }
      s_rounds = r + 1;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    best[c] = s_cur;
    climb_evals[c] = o.candidates + s_rounds * PRIM_BATCH;
  }
}

/* one warp: the best climb (ties: the lowest), fitted again; the record without its error */
__global__ void prim_choose_kernel(prim_img im, prim_opts o, const int32_t *d_step,
                                   const prim_cand *best, prim_record *rec, prim_fit *fit,
                                   int32_t *drawn) {
  int n = *d_step, bi = 0;
  for (int c = 0; c < o.climbs; c++)
    if (best[c].de < best[bi].de) bi = c;
  prim_cand b = best[bi];
  prim_geo g;
  int ok = b.kind >= 0 && prim_prepare(b.kind, b.g, &g);
  prim_fit f;
  f.de = PRIM_BIG;
  if (ok) {
    float S[PRIM_SUMS];
    warp_sums(&g, &im, S);
    f = prim_solve(S, o.alpha);
  }
  ok = ok && f.de < PRIM_BIG;
  if (threadIdx.x == 0) {
    prim_record r;
    memset(&r, 0, sizeof r);
    r.kind = -1;
    if (ok) {
      r.kind = b.kind;
      for (int q = 0; q < 8; q++) r.g[q] = b.g[q];
      for (int q = 0; q < 3; q++) r.rgb[q] = f.rgb[q];
      r.s = f.s;
      r.de = f.de;
    }
    rec[n] = r;
    *fit = f;
    *drawn = ok;
  }
}

/* a thread per row: draw the chosen shape into it, rebuild its pixel pairs, prefix and error */
__global__ void prim_rows_kernel(float *tgt, float *cur, float *cd, float *pre, float *row_sse,
                                 int w, int h, const int32_t *d_step, const prim_record *rec,
                                 const prim_fit *fit, const int32_t *drawn) {
  int y = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  if (y >= h || !*drawn) return;
  const prim_record *r = &rec[*d_step];
  prim_geo g;
  if (!prim_prepare(r->kind, r->g, &g)) return;
  int a, b;
  prim_clip_rows(&g, h, &a, &b);
  if (y < a || y > b) return;
  prim_fit f = *fit;
  size_t rw = (size_t)w * 4;
  prim_draw_row(&g, &f, cur + (size_t)y * rw, y, w);
  row_sse[y] = prim_build_row(tgt + (size_t)y * rw, cur + (size_t)y * rw, cd + (size_t)y * rw * 2,
                              pre + (size_t)y * (size_t)(w + 1) * PRIM_PRE, w);
}

/* one thread: the total error in row order (as the CPU), the record's RMSE, the next shape */
__global__ void prim_finish_kernel(const float *row_sse, int w, int h, int climbs,
                                   const int32_t *climb_evals, int32_t *d_step, prim_record *rec,
                                   double *d_sse, long long *d_evals) {
  double sse = 0.0;
  for (int y = 0; y < h; y++) sse += (double)row_sse[y];
  *d_sse = sse;
  int n = *d_step;
  rec[n].error = (float)sqrt(sse / ((double)w * (double)h * 4.0));
  long long e = 0;
  for (int c = 0; c < climbs; c++) e += climb_evals[c];
  *d_evals += e;
  *d_step = n + 1;
}

/* ---- host side ----------------------------------------------------------------------------- */

extern "C" void ysg__cuda_prim_destroy(ysg_cuda_prim *p) {
  if (!p) return;
  void *bufs[] = {p->d_tgt,   p->d_cur,  p->d_cd,          p->d_pre, p->d_row_sse,
                  p->d_cands, p->d_best, p->d_climb_evals, p->d_rec, p->d_warm,
                  p->d_step,  p->d_sse,  p->d_evals,       p->d_fit, p->d_drawn};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    if (bufs[i]) cudaFree(bufs[i]);
  if (p->stream) cudaStreamDestroy(p->stream);
  free(p);
}

extern "C" ysg_status ysg__cuda_prim_create(int w, int h, int count, int climbs, int candidates,
                                            ysg_cuda_prim **out, char *err, size_t errcap) {
  *out = NULL;
  ysg_cuda_prim *p = (ysg_cuda_prim *)calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errcap, "out of host memory");
    return YSG_ERR_NOMEM;
  }
  p->w = w, p->h = h, p->count = count, p->climbs = climbs, p->candidates = candidates;
  size_t px = (size_t)w * (size_t)h;
#define ALLOC(ptr, bytes)                                                    \
  do {                                                                       \
    cudaError_t e_ = cudaMalloc((void **)&(ptr), (bytes));                   \
    if (e_ != cudaSuccess) {                                                 \
      ysg_cuda_errfmt(err, errcap, "cudaMalloc", __FILE__, __LINE__, e_);    \
      ysg__cuda_prim_destroy(p);                                             \
      return e_ == cudaErrorMemoryAllocation ? YSG_ERR_NOMEM : YSG_ERR_CUDA; \
    }                                                                        \
  } while (0)
  ALLOC(p->d_tgt, px * 4 * sizeof(float));
  ALLOC(p->d_cur, px * 4 * sizeof(float));
  ALLOC(p->d_cd, px * 8 * sizeof(float));
  ALLOC(p->d_pre, (size_t)h * (size_t)(w + 1) * PRIM_PRE * sizeof(float));
  ALLOC(p->d_row_sse, (size_t)h * sizeof(float));
  ALLOC(p->d_cands, (size_t)climbs * (size_t)candidates * sizeof(prim_cand));
  ALLOC(p->d_best, (size_t)climbs * sizeof(prim_cand));
  ALLOC(p->d_climb_evals, (size_t)climbs * sizeof(int32_t));
  ALLOC(p->d_rec, (size_t)count * sizeof(prim_record));
  ALLOC(p->d_warm, (size_t)count * sizeof(prim_cand));
  ALLOC(p->d_step, sizeof(int32_t));
  ALLOC(p->d_sse, sizeof(double));
  ALLOC(p->d_evals, sizeof(long long));
  ALLOC(p->d_fit, sizeof(prim_fit));
  ALLOC(p->d_drawn, sizeof(int32_t));
#undef ALLOC
  cudaError_t e = cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    ysg_cuda_errfmt(err, errcap, "cudaStreamCreateWithFlags", __FILE__, __LINE__, e);
    ysg__cuda_prim_destroy(p);
    return YSG_ERR_CUDA;
  }
  *out = p;
  return YSG_OK;
}

/* the five kernels of one shape, enqueued on the search's stream */
static ysg_status enqueue_step(ysg_cuda_prim *p, const prim_opts *o, const prim_space *sp,
                               const prim_cand *d_warm, char *err, size_t errcap) {
  prim_img im = {p->w, p->h, p->d_cd, p->d_pre};
  int warps = o->climbs * o->candidates;
  unsigned blocks = ysg_cuda_blocks((size_t)warps, WARPS_PER_BLOCK);
  prim_random_kernel<<<blocks, WARPS_PER_BLOCK * 32, 0, p->stream>>>(im, *o, *sp, p->d_step, d_warm,
                                                                     p->d_cands);
  YSG_CUDA_CHECK(cudaGetLastError());
  prim_pick_kernel<<<o->climbs, 256, 0, p->stream>>>(*o, p->d_cands, p->d_best);
  YSG_CUDA_CHECK(cudaGetLastError());
  prim_climb_kernel<<<o->climbs, PRIM_BATCH * 32, 0, p->stream>>>(im, *o, *sp, p->d_step, p->d_best,
                                                                  p->d_climb_evals);
  YSG_CUDA_CHECK(cudaGetLastError());
  prim_choose_kernel<<<1, 32, 0, p->stream>>>(im, *o, p->d_step, p->d_best, p->d_rec, p->d_fit,
                                              p->d_drawn);
  YSG_CUDA_CHECK(cudaGetLastError());
  prim_rows_kernel<<<ysg_cuda_blocks((size_t)p->h, 128), 128, 0, p->stream>>>(
      p->d_tgt, p->d_cur, p->d_cd, p->d_pre, p->d_row_sse, p->w, p->h, p->d_step, p->d_rec,
      p->d_fit, p->d_drawn);
  YSG_CUDA_CHECK(cudaGetLastError());
  prim_finish_kernel<<<1, 1, 0, p->stream>>>(p->d_row_sse, p->w, p->h, o->climbs, p->d_climb_evals,
                                             p->d_step, p->d_rec, p->d_sse, p->d_evals);
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_prim_search(ysg_cuda_prim *p, const prim_search *s,
                                            const prim_opts *o, const prim_space *sp,
                                            const prim_cand *warm, prim_record *out, int64_t *evals,
                                            char *err, size_t errcap) {
  if (s->w != p->w || s->h != p->h || o->count > p->count || o->climbs > p->climbs ||
      o->candidates > p->candidates) {
    snprintf(err, errcap,
             "the search (%dx%d, %d shapes, %d x %d candidates) does not fit the "
             "device buffers (%dx%d, %d, %d x %d)",
             s->w, s->h, o->count, o->climbs, o->candidates, p->w, p->h, p->count, p->climbs,
             p->candidates);
    return YSG_ERR_INVALID;
  }
  size_t px = (size_t)s->w * (size_t)s->h;
  cudaStream_t st = p->stream;
  YSG_CUDA_CHECK(
      cudaMemcpyAsync(p->d_tgt, s->tgt, px * 4 * sizeof(float), cudaMemcpyHostToDevice, st));
  YSG_CUDA_CHECK(
      cudaMemcpyAsync(p->d_cur, s->cur, px * 4 * sizeof(float), cudaMemcpyHostToDevice, st));
  YSG_CUDA_CHECK(
      cudaMemcpyAsync(p->d_cd, s->cd, px * 8 * sizeof(float), cudaMemcpyHostToDevice, st));
  YSG_CUDA_CHECK(cudaMemcpyAsync(p->d_pre, s->pre,
                                 (size_t)s->h * (size_t)(s->w + 1) * PRIM_PRE * sizeof(float),
                                 cudaMemcpyHostToDevice, st));
  YSG_CUDA_CHECK(cudaMemcpyAsync(p->d_row_sse, s->row_sse, (size_t)s->h * sizeof(float),
                                 cudaMemcpyHostToDevice, st));
  if (warm)
    YSG_CUDA_CHECK(cudaMemcpyAsync(p->d_warm, warm, (size_t)o->count * sizeof(prim_cand),
                                   cudaMemcpyHostToDevice, st));
  YSG_CUDA_CHECK(cudaMemsetAsync(p->d_step, 0, sizeof(int32_t), st));
  YSG_CUDA_CHECK(cudaMemsetAsync(p->d_evals, 0, sizeof(long long), st));
  /* capture one shape's kernels, replay them count times */
  cudaGraph_t graph = NULL;
  cudaGraphExec_t exec = NULL;
  YSG_CUDA_CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
  ysg_status e = enqueue_step(p, o, sp, warm ? p->d_warm : NULL, err, errcap);
  cudaError_t ce = cudaStreamEndCapture(st, &graph);
  if (e) {
    if (graph) cudaGraphDestroy(graph);
    return e;
  }
  YSG_CUDA_CHECK(ce);
  ce = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  YSG_CUDA_CHECK(ce);
  for (int i = 0; i < o->count && ce == cudaSuccess; i++) ce = cudaGraphLaunch(exec, st);
  if (ce == cudaSuccess)
    ce = cudaMemcpyAsync(out, p->d_rec, (size_t)o->count * sizeof(prim_record),
                         cudaMemcpyDeviceToHost, st);
  long long ev = 0;
  if (ce == cudaSuccess)
    ce = cudaMemcpyAsync(&ev, p->d_evals, sizeof ev, cudaMemcpyDeviceToHost, st);
  if (ce == cudaSuccess) ce = cudaStreamSynchronize(st);
  cudaGraphExecDestroy(exec);
  YSG_CUDA_CHECK(ce);
  *evals = (int64_t)ev;
  return YSG_OK;
}
