/* graph.c — the `graph` node: links between points (knn, radius, Delaunay, Euclidean MST,
 * clipped Voronoi) followed by temporal hysteresis and the delta-y and degree caps. knn/radius
 * run on the uniform grid of graph_grid.c (or FAISS for knn); the geometry modes call Qhull
 * through graph_tri.c. Also: the FAISS-backed knn (through the FAISS C API entry points that
 * graph_faiss.cpp compiles) and the node's device path (knn/radius on the CUDA backend, through
 * cuda/graph.cu; builds without CUDA get the launchers' unsupported path from graph_grid.c). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../cuda/graph_api.h"
#include "bump.h"
#include "graph.h"
#include "internal.h"

#ifdef YSG_HAVE_FAISS
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#endif

enum {
  P_MODE,
  P_K,
  P_RADIUS,
  P_BACKEND,
  P_DELTA_Y_CAP,
  P_DEGREE_CAP,
  P_HYSTERESIS,
  P_MAX_EDGES,
  P_COUNT
};
enum { M_KNN, M_RADIUS, M_DELAUNAY, M_MST, M_VORONOI };
enum { B_GRID, B_FAISS };

static const char *const mode_names[] = {"knn", "radius", "delaunay", "mst", "voronoi"};

#define SCRATCH_ALIGN 256 /* bytes: each piece of the scratch (ysg_bump) starts on a multiple */
#define RADIUS_EDGES_PER_POINT 32 /* automatic capacity of the radius mode */

static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }

typedef struct graph_state {
  int mode, backend, k;
  int cap_in, cap_pts, cap_edges, cap_del; /* points in, points out, edges out, mst candidates */
  int scratch, persist;                    /* handles; persist -1 without hysteresis memory */
  int prev_n;                              /* edges kept from the previous frame */
  int warned;                              /* the Delaunay fallback warning was given */
  /* CUDA backend (knn/radius on the grid): one device scratch buffer and two checks */
  int d_scratch, chk_edges, chk_bad;
  size_t d_temp_bytes, d_off_ij, d_off_n, d_off_status;
} graph_state;

/* The frame's settings: the CPU run's, and (knn/radius) the CUDA path's parameter block, which
 * the kernels read at offsetof(graph_params, radius / delta_y_cap). */
typedef struct graph_params {
  float radius;       /* px: radius mode */
  float delta_y_cap;  /* px; negative (-1): off */
  int32_t degree_cap; /* 0: off (host only) */
  int32_t pad_;
  double hysteresis; /* px; <= 0: off (host only) */
} graph_params;

static void frame_params(const ysg_node *n, graph_params *g) {
  memset(g, 0, sizeof *g);
  g->radius = (float)ysg_node_number(n, P_RADIUS);
  double dy = ysg_node_number(n, P_DELTA_Y_CAP);
  g->delta_y_cap = dy >= 0 ? (float)dy : -1.0f;
  g->degree_cap = ysg_node_int(n, P_DEGREE_CAP);
  g->hysteresis = ysg_node_number(n, P_HYSTERESIS);
}

/* Per-frame scratch (and, with hysteresis, the persistent previous edges). */
typedef struct graph_ws {
  void *search;       /* the mode's search scratch */
  int32_t *del_ij;    /* mst: (cap_del, 2) Delaunay candidates */
  void *mst_tmp;      /* mst: Kruskal's scratch */
  void *cap_tmp;      /* degree cap scratch */
  uint64_t *surv_key; /* (cap_edges) hysteresis survivors as (i << 32 | j) */
  uint32_t *surv_val; /* (cap_edges) their slot in the previous edges */
  int32_t *mrg_ij;    /* (cap_edges, 2) mode edges ∪ survivors */
  float *mrg_ref;     /* (cap_edges) reference length of each */
  uint64_t *id_keys;  /* (cap_in) (id, index) sorted by id */
  void *radix;        /* radix sort scratch for max(cap_edges, cap_in) keys */
  int32_t *pa, *pb;   /* persistent (cap_edges): previous edges as point ids, pa < pb */
  float *pref;        /* persistent (cap_edges): their reference lengths */
} graph_ws;

static size_t search_bytes(const graph_state *st) {
  int n = st->cap_in;
  switch (st->mode) {
    case M_KNN:
      return st->backend == B_FAISS ? ysg__graph_faiss_tmp_bytes(n, st->k)
                                    : ysg__graph_knn_tmp_bytes(n, st->k);
    case M_RADIUS:
      return ysg__graph_radius_tmp_bytes(n);
    case M_DELAUNAY:
    case M_MST:
      return ysg__delaunay_tmp_bytes(n);
    default:
      return ysg__voronoi_tmp_bytes(n);
  }
}

static size_t scratch_layout(const graph_state *st, void *mem, graph_ws *w) {
  ysg_bump b = {mem, 0, SCRATCH_ALIGN};
  int e = st->cap_edges;
  w->search = ysg__bump_take(&b, search_bytes(st));
  w->del_ij =
      st->mode == M_MST ? ysg__bump_take(&b, sizeof(int32_t) * 2 * (size_t)st->cap_del) : NULL;
  w->mst_tmp =
      st->mode == M_MST ? ysg__bump_take(&b, ysg__mst_tmp_bytes(st->cap_in, st->cap_del)) : NULL;
  w->cap_tmp = ysg__bump_take(&b, ysg__degree_cap_tmp_bytes(st->cap_pts, e));
  if (st->persist >= 0) {
    w->surv_key = ysg__bump_take(&b, sizeof(uint64_t) * (size_t)e);
    w->surv_val = ysg__bump_take(&b, sizeof(uint32_t) * (size_t)e);
    w->mrg_ij = ysg__bump_take(&b, sizeof(int32_t) * 2 * (size_t)e);
    w->mrg_ref = ysg__bump_take(&b, sizeof(float) * (size_t)e);
    w->id_keys = ysg__bump_take(&b, sizeof(uint64_t) * (size_t)st->cap_in);
    w->radix = ysg__bump_take(&b, 12 * zmax((size_t)e, (size_t)st->cap_in));
  }
  return b.used;
}

static size_t persist_layout(const graph_state *st, void *mem, graph_ws *w) {
  ysg_bump b = {mem, 0, SCRATCH_ALIGN};
  w->pa = ysg__bump_take(&b, sizeof(int32_t) * (size_t)st->cap_edges);
  w->pb = ysg__bump_take(&b, sizeof(int32_t) * (size_t)st->cap_edges);
  w->pref = ysg__bump_take(&b, sizeof(float) * (size_t)st->cap_edges);
  return b.used;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static void graph_destroy(ysg_node *n) {
  graph_state *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status graph_init(ysg_node *n) {
  int mode = ysg_node_enum(n, P_MODE), backend = ysg_node_enum(n, P_BACKEND);
  if (backend == B_FAISS) {
#ifndef YSG_HAVE_FAISS
    return ysg_node_param_fail(n, P_BACKEND, YSG_ERR_UNSUPPORTED,
                               "this build has no FAISS (install libfaiss-dev and rebuild), so "
                               "backend 'faiss' is not available; use backend 'grid'");
#endif
    if (mode != M_KNN)
      return ysg_node_param_fail(n, P_BACKEND, YSG_ERR_INVALID,
                                 "backend 'faiss' serves mode 'knn' only, not '%s'",
                                 mode_names[mode]);
  }
#ifndef YSG_HAVE_QHULL
  if (mode >= M_DELAUNAY)
    return ysg_node_param_fail(n, P_MODE, YSG_ERR_UNSUPPORTED,
                               "mode '%s' needs Qhull, which this build lacks (install "
                               "libqhull-dev and rebuild)",
                               mode_names[mode]);
#endif
  if (mode == M_VORONOI && !n->params[P_HYSTERESIS].anim_ref &&
      ysg_node_number(n, P_HYSTERESIS) > 0)
    return ysg_node_param_fail(n, P_HYSTERESIS, YSG_ERR_INVALID,
                               "mode 'voronoi' makes new vertices every frame, so there are no "
                               "point ids to match edges by; leave hysteresis at 0");
  graph_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  st->mode = mode;
  st->backend = backend;
  st->k = ysg_node_int(n, P_K);
  st->persist = -1;
  ysg_node_set_state(n, st);
  return YSG_OK;
}

static ysg_status graph_infer(ysg_node *n) {
  graph_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  long np = in && in->capacity > 0 ? in->capacity : 0, cap;
  switch (st->mode) {
    case M_KNN:
      cap = np * st->k;
      break;
    case M_RADIUS:
      cap = np * RADIUS_EDGES_PER_POINT;
      break;
    case M_DELAUNAY:
      cap = 3 * np + 8;
      break;
    case M_MST:
      cap = np;
      break;
    default:
      cap = 3 * np + 8;
      break; /* voronoi pieces, as graph_tri.c bounds them */
  }
  int hyst = ysg_node_param_is_set(n, P_HYSTERESIS);
  if (hyst) cap *= 2; /* room for the previous frame's survivors next to the mode's edges */
  int max_edges = ysg_node_int(n, P_MAX_EDGES);
  if (max_edges > 0) cap = max_edges;
  if (cap < 1) cap = 1;
  if (cap > INT32_MAX / 2)
    return ysg_node_param_fail(n, P_MAX_EDGES, YSG_ERR_LIMIT,
                               "%ld edges do not fit an edge buffer; lower the point capacity or "
                               "set max_edges",
                               cap);
  st->cap_in = (int)np;
  st->cap_edges = (int)cap;
  st->cap_del = (int)(3 * np + 8);
  st->cap_pts = st->mode == M_VORONOI ? (int)(6 * np + 16) : (int)(np > 0 ? np : 1);
  ysg_value *edges = ysg_node_output(n, 0), *pts = ysg_node_output(n, 1);
  edges->capacity = st->cap_edges;
  pts->capacity = st->cap_pts;
  pts->attrs = st->mode == M_VORONOI ? 0u : (in ? in->attrs : 0u);
  pts->labels = st->mode == M_VORONOI || !in ? NULL : in->labels; /* labels pass through */
  graph_ws w;
  ysg_status s;
  if (hyst) {
    s = ysg_node_request_scratch(n, persist_layout(st, NULL, &w), 1, &st->persist);
    if (s) return s;
  }
  return ysg_node_request_scratch(n, scratch_layout(st, NULL, &w), 0, &st->scratch);
}

/* ---- hysteresis ------------------------------------------------------------------------------ */

static int32_t find_id(const uint64_t *keys, int n, int32_t id) {
  uint32_t want = (uint32_t)id ^ 0x80000000u;
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if ((uint32_t)(keys[mid] >> 32) < want)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && (uint32_t)(keys[lo] >> 32) == want ? (int32_t)(uint32_t)keys[lo] : -1;
}

static uint64_t ekey(const int32_t *ij, int e) {
  return (uint64_t)(uint32_t)ij[2 * e] << 32 | (uint32_t)ij[2 * e + 1];
}

/* The mode's edges ij[0..*m) (sorted) ∪ the previous frame's edges whose ends (matched by id)
 * still exist and whose length is within their reference length + h. Leaves the union sorted in
 * ij and w->mrg_ij with the reference lengths in w->mrg_ref: the current length for an edge the
 * mode picked, the stored one for a survivor. */
static ysg_status hysteresis_union(ysg_node *n, graph_state *st, const graph_ws *w,
                                   const ysg_value *pts, int np, float h, int32_t *ij, int *m,
                                   const ysg_frame *f) {
  const float *xy = pts->xy;
  int ids = (pts->attrs & YSG_ATTR_ID) != 0;
  if (ids) {
    for (int i = 0; i < np; i++)
      w->id_keys[i] = (uint64_t)((uint32_t)pts->id[i] ^ 0x80000000u) << 32 | (uint32_t)i;
    ysg__radix_sort_u64(w->id_keys, NULL, np, 64, w->radix);
    for (int i = 1; i < np; i++)
      if (w->id_keys[i] >> 32 == w->id_keys[i - 1] >> 32)
        return ysg_node_fail(n, YSG_ERR_DATA,
                             "points %d and %d share id %d; hysteresis matches edges by id",
                             (int)(uint32_t)w->id_keys[i - 1], (int)(uint32_t)w->id_keys[i],
                             (int)pts->id[(uint32_t)w->id_keys[i]]);
  }
  int ns = 0;
  for (int p = 0; p < st->prev_n; p++) {
    int32_t a = ids ? find_id(w->id_keys, np, w->pa[p]) : (w->pa[p] < np ? w->pa[p] : -1);
    int32_t b = ids ? find_id(w->id_keys, np, w->pb[p]) : (w->pb[p] < np ? w->pb[p] : -1);
    if (a < 0 || b < 0 || a == b) continue;
    if (!(sqrtf(ysg_graph_d2(xy, a, b)) <= w->pref[p] + h)) continue;
    if (a > b) {
      int32_t t = a;
      a = b;
      b = t;
    }
    w->surv_key[ns] = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    w->surv_val[ns] = (uint32_t)p;
    ns++;
  }
  ysg__radix_sort_u64(w->surv_key, w->surv_val, ns, 64, w->radix);
  int i = 0, s = 0, t = 0;
  long need = 0;
  while (i < *m || s < ns) {
    uint64_t km = i < *m ? ekey(ij, i) : UINT64_MAX, ks = s < ns ? w->surv_key[s] : UINT64_MAX;
    int32_t a, b;
    float ref;
    if (km <= ks) {
      a = ij[2 * i];
      b = ij[2 * i + 1];
      ref = sqrtf(ysg_graph_d2(xy, a, b));
      i++;
      if (km == ks) s++;
    } else {
      a = (int32_t)(ks >> 32);
      b = (int32_t)(uint32_t)ks;
      ref = w->pref[w->surv_val[s]];
      s++;
    }
    need++;
    if (t < st->cap_edges) {
      w->mrg_ij[2 * t] = a;
      w->mrg_ij[2 * t + 1] = b;
      w->mrg_ref[t] = ref;
      t++;
    }
  }
  if (need > st->cap_edges)
    return ysg_node_param_fail(n, P_MAX_EDGES, YSG_ERR_LIMIT,
                               "frame %d needs %ld edges with hysteresis, more than the capacity "
                               "of %d; raise max_edges",
                               f->index, need, st->cap_edges);
  memcpy(ij, w->mrg_ij, sizeof(int32_t) * 2 * (size_t)t);
  *m = t;
  return YSG_OK;
}

/* Keep this frame's final edges (a subset of the union, both sorted) for the next frame. */
static void hysteresis_store(graph_state *st, const graph_ws *w, const ysg_value *pts,
                             const int32_t *ij, int m, int merged) {
  int ids = (pts->attrs & YSG_ATTR_ID) != 0, q = 0;
  for (int e = 0; e < m; e++) {
    uint64_t k = ekey(ij, e);
    while (q < merged && ekey(w->mrg_ij, q) < k) q++;
    int32_t a = ij[2 * e], b = ij[2 * e + 1];
    int32_t ia = ids ? pts->id[a] : a, ib = ids ? pts->id[b] : b;
    w->pa[e] = ia < ib ? ia : ib;
    w->pb[e] = ia < ib ? ib : ia;
    w->pref[e] = w->mrg_ref[q];
  }
  st->prev_n = m;
}

/* ---- run ----------------------------------------------------------------------------------------
 */

static void copy_points(ysg_value *dst, const ysg_value *src, int np) {
  size_t c = (size_t)np;
  memcpy(dst->xy, src->xy, c * 2 * sizeof(float));
  if (src->attrs & YSG_ATTR_ID) memcpy(dst->id, src->id, c * sizeof(int32_t));
  if (src->attrs & YSG_ATTR_RADIUS) memcpy(dst->radius, src->radius, c * sizeof(float));
  if (src->attrs & YSG_ATTR_CONF) memcpy(dst->conf, src->conf, c * sizeof(float));
  if (src->attrs & YSG_ATTR_RGBA) memcpy(dst->rgba, src->rgba, c * 4 * sizeof(float));
  if (src->attrs & YSG_ATTR_LABEL) memcpy(dst->label, src->label, c * sizeof(int32_t));
  dst->count = np;
  dst->attrs = src->attrs;
}

static ysg_status limit(ysg_node *n, const graph_state *st, const ysg_frame *f, long need) {
  return ysg_node_param_fail(n, P_MAX_EDGES, YSG_ERR_LIMIT,
                             "frame %d needs %ld %s edges, more than the capacity of %d; raise "
                             "max_edges",
                             f->index, need, mode_names[st->mode], st->cap_edges);
}

/* The mode's edges into e->ij (sorted (i, j)); voronoi also fills the output points. */
static ysg_status mode_edges(ysg_node *n, graph_state *st, const graph_ws *w, const ysg_value *in,
                             int np, ysg_value *e, ysg_value *pts, int *m, const graph_params *g,
                             const ysg_frame *f) {
  char err[512] = "";
  ysg_status s = YSG_OK;
  int fallback = 0, nv = 0;
  long r;
  switch (st->mode) {
    case M_KNN:
      if (st->backend == B_FAISS) {
        s = ysg__graph_faiss_knn(in->xy, np, st->k, e->ij, st->cap_edges, m, w->search, err,
                                 sizeof err);
        if (s == YSG_ERR_LIMIT) return limit(n, st, f, *m);
        if (s) return ysg_node_param_fail(n, P_BACKEND, s, "%s", err);
        return YSG_OK;
      }
      r = ysg__graph_knn(n, in->xy, np, st->k, e->ij, st->cap_edges, w->search);
      if (r < 0) return limit(n, st, f, -r - 1);
      *m = (int)r;
      return YSG_OK;
    case M_RADIUS:
      r = ysg__graph_radius(n, in->xy, np, g->radius, e->ij, st->cap_edges, w->search);
      if (r < 0) return limit(n, st, f, -r - 1);
      *m = (int)r;
      return YSG_OK;
    case M_DELAUNAY:
      s = ysg__delaunay(in->xy, np, e->ij, st->cap_edges, m, &fallback, w->search, err, sizeof err);
      break;
    case M_MST: {
      int nd = 0;
      s = ysg__delaunay(in->xy, np, w->del_ij, st->cap_del, &nd, &fallback, w->search, err,
                        sizeof err);
      if (!s) *m = ysg__mst(in->xy, np, w->del_ij, nd, e->ij, w->mst_tmp);
      break;
    }
    default:
      s = ysg__voronoi(in->xy, np, (float)f->width, (float)f->height, pts->xy, st->cap_pts, &nv,
                       e->ij, st->cap_edges, m, w->search, err, sizeof err);
      pts->count = s ? 0 : nv;
      pts->attrs = 0;
      break;
  }
  if (s == YSG_ERR_LIMIT)
    return ysg_node_param_fail(n, P_MAX_EDGES, s, "frame %d: %s; raise max_edges", f->index, err);
  if (s) return ysg_node_param_fail(n, P_MODE, s, "frame %d: %s", f->index, err);
  if (fallback && !st->warned) {
    st->warned = 1;
    ysg_node_log(n, YSG_LOG_WARN,
                 "frame %d: the %d points are degenerate for a Delaunay triangulation (fewer "
                 "than 3 distinct or all collinear); linking them as a chain in sorted order "
                 "(warned once per run)",
                 f->index, np);
  }
  return YSG_OK;
}

static ysg_status graph_run(ysg_node *n, const ysg_frame *f) {
  graph_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *e = ysg_node_output(n, 0), *pts = ysg_node_output(n, 1);
  int np = in->count < 0 ? 0 : (in->count > st->cap_in ? st->cap_in : in->count);
  e->count = 0;
  pts->count = 0;
  float b[4];
  int bad = ysg__graph_bounds(in->xy, np, b);
  if (bad >= 0)
    return ysg_node_fail(n, YSG_ERR_DATA, "frame %d: point %d has a non-finite coordinate (%g, %g)",
                         f->index, bad, (double)in->xy[2 * bad], (double)in->xy[2 * bad + 1]);
  graph_params g;
  frame_params(n, &g);
  double h = g.hysteresis;
  if (st->mode == M_VORONOI && h > 0)
    return ysg_node_param_fail(n, P_HYSTERESIS, YSG_ERR_INVALID,
                               "mode 'voronoi' makes new vertices every frame, so there are no "
                               "point ids to match edges by; leave hysteresis at 0");
  graph_ws w;
  scratch_layout(st, ysg_node_scratch(n, st->scratch), &w);
  if (st->persist >= 0) persist_layout(st, ysg_node_scratch(n, st->persist), &w);
  if (st->mode != M_VORONOI) copy_points(pts, in, np);
  int m = 0;
  ysg_status s = mode_edges(n, st, &w, in, np, e, pts, &m, &g, f);
  if (s) return s;
  const ysg_value *ep = st->mode == M_VORONOI ? pts : in; /* the points the edges index */
  int hyst = st->persist >= 0 && h > 0;
  if (hyst) {
    s = hysteresis_union(n, st, &w, ep, np, (float)h, e->ij, &m, f);
    if (s) return s;
  }
  int merged = m;
  if (g.delta_y_cap >= 0) m = ysg__edges_delta_y(ep->xy, e->ij, m, g.delta_y_cap);
  if (g.degree_cap > 0)
    m = ysg__edges_degree_cap(ep->xy, pts->count, e->ij, m, g.degree_cap, w.cap_tmp);
  if (hyst)
    hysteresis_store(st, &w, ep, e->ij, m, merged);
  else
    st->prev_n = 0;
  e->count = m;
  e->attrs = 0;
  return YSG_OK;
}

/* ---- FAISS ----------------------------------------------------------------------------------- */

#define FAISS_BATCH 16 /* queries per search: below FAISS's BLAS threshold (20), so exact */

typedef struct faiss_ws {
  int64_t *labels;
  float *dists;
  int32_t *nbr, *rowcnt;
  uint8_t *emit;
} faiss_ws;

static size_t faiss_layout(void *tmp, int n, int k, faiss_ws *w) {
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  size_t kk = (size_t)(k > 0 ? k : 0) + 1, nn = (size_t)(n > 0 ? n : 1);
  w->labels = ysg__bump_take(&b, sizeof(int64_t) * FAISS_BATCH * kk);
  w->dists = ysg__bump_take(&b, sizeof(float) * FAISS_BATCH * kk);
  w->nbr = ysg__bump_take(&b, sizeof(int32_t) * nn * (kk - 1 > 0 ? kk - 1 : 1));
  w->rowcnt = ysg__bump_take(&b, sizeof(int32_t) * (nn + 1));
  w->emit = ysg__bump_take(&b, nn * (kk - 1 > 0 ? kk - 1 : 1));
  return b.used;
}

size_t ysg__graph_faiss_tmp_bytes(int n, int k) {
  faiss_ws w;
  return faiss_layout(NULL, n, k, &w);
}

size_t ysg__graph_faiss_radius_tmp_bytes(int cap) { return ysg__edges_sort_tmp_bytes(cap); }

#ifdef YSG_HAVE_FAISS
ysg_status ysg__graph_faiss_knn(const float *xy, int n, int k, int32_t *ij, int cap, int *n_out,
                                void *tmp, char *err, size_t errcap) {
  *n_out = 0;
  if (n <= 1 || k <= 0) return YSG_OK;
  faiss_ws w;
  faiss_layout(tmp, n, k, &w);
  FaissIndexFlatL2 *index = NULL;
  const char *what = "faiss_IndexFlatL2_new_with";
  int rc = faiss_IndexFlatL2_new_with(&index, 2);
  if (!rc) {
    what = "faiss_Index_add";
    rc = faiss_Index_add((FaissIndex *)index, n, xy);
  }
  idx_t kk = k + 1 < n ? k + 1 : n; /* the point itself comes back too */
  for (int q0 = 0; q0 < n && !rc; q0 += FAISS_BATCH) {
    int nq = n - q0 < FAISS_BATCH ? n - q0 : FAISS_BATCH;
    what = "faiss_Index_search";
    rc = faiss_Index_search((FaissIndex *)index, nq, xy + 2 * (size_t)q0, kk, w.dists, w.labels);
    for (int q = 0; q < nq && !rc; q++) {
      int i = q0 + q, t = 0;
      int32_t *row = w.nbr + (size_t)i * k;
      for (idx_t r = 0; r < kk; r++) {
        int64_t lab = w.labels[(size_t)q * kk + r];
        if (lab >= 0 && lab != i && t < k) row[t++] = (int32_t)lab;
      }
      while (t < k) row[t++] = -1;
    }
  }
  if (rc) {
    const char *why = faiss_get_last_error();
    snprintf(err, errcap, "%s failed (%d): %s", what, rc, why ? why : "no message");
  }
  if (index) faiss_Index_free((FaissIndex *)index);
  if (rc) return YSG_ERR_RUNTIME;
  long m = ysg__knn_edges_from_nbr(NULL, w.nbr, NULL, n, k, ij, cap, w.rowcnt, w.emit);
  if (m < 0) {
    *n_out = (int)(-m - 1);
    snprintf(err, errcap, "the knn graph has %d edges, more than the capacity of %d", *n_out, cap);
    return YSG_ERR_LIMIT;
  }
  *n_out = (int)m;
  return YSG_OK;
}

ysg_status ysg__graph_faiss_radius(const float *xy, int n, float radius, int32_t *ij, int cap,
                                   long *n_out, void *tmp, char *err, size_t errcap) {
  *n_out = 0;
  if (n <= 1 || !(radius >= 0)) return YSG_OK;
  float lim = nextafterf(radius * radius, INFINITY);
  FaissIndexFlatL2 *index = NULL;
  FaissRangeSearchResult *res = NULL;
  const char *what = "faiss_IndexFlatL2_new_with";
  int rc = faiss_IndexFlatL2_new_with(&index, 2);
  if (!rc) {
    what = "faiss_Index_add";
    rc = faiss_Index_add((FaissIndex *)index, n, xy);
  }
  long m = 0;
  for (int q0 = 0; q0 < n && !rc; q0 += FAISS_BATCH) {
    int nq = n - q0 < FAISS_BATCH ? n - q0 : FAISS_BATCH;
    what = "faiss_RangeSearchResult_new";
    rc = faiss_RangeSearchResult_new(&res, nq);
    if (!rc) {
      what = "faiss_Index_range_search";
      rc = faiss_Index_range_search((FaissIndex *)index, nq, xy + 2 * (size_t)q0, lim, res);
    }
    if (!rc) {
      size_t *lims;
      idx_t *labels;
      float *dists;
      faiss_RangeSearchResult_lims(res, &lims);
      faiss_RangeSearchResult_labels(res, &labels, &dists);
      for (int q = 0; q < nq; q++)
        for (size_t t = lims[q]; t < lims[q + 1]; t++) {
          if (labels[t] <= q0 + q) continue;
          if (m < cap) {
            ij[2 * m] = q0 + q;
            ij[2 * m + 1] = (int32_t)labels[t];
          }
          m++;
        }
    }
    if (res) faiss_RangeSearchResult_free(res);
    res = NULL;
  }
  if (rc) {
    const char *why = faiss_get_last_error();
    snprintf(err, errcap, "%s failed (%d): %s", what, rc, why ? why : "no message");
  }
  if (index) faiss_Index_free((FaissIndex *)index);
  if (rc) return YSG_ERR_RUNTIME;
  *n_out = m;
  if (m > cap) {
    snprintf(err, errcap, "the radius graph has %ld edges, more than the capacity of %d", m, cap);
    return YSG_ERR_LIMIT;
  }
  *n_out = ysg__edges_sort_unique(ij, (int)m, tmp); /* FAISS lists a query's hits unordered */
  return YSG_OK;
}
#else
ysg_status ysg__graph_faiss_radius(const float *xy, int n, float radius, int32_t *ij, int cap,
                                   long *n_out, void *tmp, char *err, size_t errcap) {
  (void)xy, (void)n, (void)radius, (void)ij, (void)cap, (void)tmp;
  *n_out = 0;
  snprintf(err, errcap, "this build has no FAISS (install libfaiss-dev and rebuild)");
  return YSG_ERR_UNSUPPORTED;
}

ysg_status ysg__graph_faiss_knn(const float *xy, int n, int k, int32_t *ij, int cap, int *n_out,
                                void *tmp, char *err, size_t errcap) {
  (void)xy, (void)n, (void)k, (void)ij, (void)cap, (void)tmp;
  *n_out = 0;
  snprintf(err, errcap, "this build has no FAISS (install libfaiss-dev and rebuild)");
  return YSG_ERR_UNSUPPORTED;
}
#endif

/* ---- CUDA path (knn and radius on the grid) ----------------------------------------------------
 */

/* Parameter block: graph_params (frame_params; 24 bytes, the launchers read radius at offset 0
 * and delta_y_cap at offset 4). Device scratch, one non-persistent buffer: the search's scratch
 * (ysg__cuda_graph_temp_bytes), the searched edges (cap_edges, 2), their count, the status words.
 * ysg__cuda_graph_finish applies delta_y_cap into the output, writes its header and the checks;
 * ysg__cuda_points_copy passes the points through. degree_cap and hysteresis (sequential over
 * the edges, and hysteresis keeps state by id) have no kernels: such instances run on the host. */
#ifdef YSG_HAVE_CUDA
static size_t al256(size_t b) { return (b + 255) & ~(size_t)255; }

/* 1 when param p is at its default (off) or set to a constant that turns its step off; an
 * animated value may turn it on at any frame. */
static int step_off(const ysg_node *n, int p) {
  if (!ysg_node_param_is_set(n, p)) return 1;
  if (n->params[p].anim_ref) return 0;
  return !(ysg_node_number(n, p) > 0);
}

static int graph_supported(const ysg_node *n) {
  int mode = ysg_node_enum(n, P_MODE);
  return (mode == M_KNN || mode == M_RADIUS) && ysg_node_enum(n, P_BACKEND) == B_GRID &&
         step_off(n, P_DEGREE_CAP) && step_off(n, P_HYSTERESIS);
}

static ysg_status graph_device_infer(ysg_node *n) {
  graph_state *st = ysg_node_state(n);
  char err[512] = "";
  size_t temp = 0;
  ysg_status s =
      ysg__cuda_graph_temp_bytes(st->cap_in, st->mode == M_KNN ? st->k : 0, &temp, err, sizeof err);
  if (s) return ysg_node_fail(n, s, "%s", err);
  st->d_temp_bytes = temp;
  st->d_off_ij = al256(temp);
  st->d_off_n = st->d_off_ij + al256(sizeof(int32_t) * 2 * (size_t)st->cap_edges);
  st->d_off_status = st->d_off_n + al256(sizeof(int32_t));
  size_t bytes = st->d_off_status + al256(sizeof(int32_t) * YSG_GRAPH_STATUS_WORDS);
  if ((s = ysg_node_request_param_block(n, sizeof(graph_params))) ||
      (s = ysg_node_request_device_scratch(n, bytes, 0, &st->d_scratch)) ||
      (s = ysg_node_request_device_check(n, st->mode == M_KNN ? "knn edges" : "radius edges",
                                         st->cap_edges, &st->chk_edges)) ||
      (s = ysg_node_request_device_check(n, "points with a non-finite coordinate", 0,
                                         &st->chk_bad)))
    return s;
  return YSG_OK;
}

static ysg_status graph_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  graph_params *g = ysg_node_param_block(n);
  if (!g) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  frame_params(n, g);
  return YSG_OK;
}

static ysg_status graph_device_run(ysg_node *n, void *stream) {
  const graph_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input_device(n, 0, 0);
  const ysg_value_header *ih = ysg_node_input_header(n, 0, 0);
  ysg_value *e = ysg_node_output_device(n, 0), *pts = ysg_node_output_device(n, 1);
  ysg_value_header *eh = ysg_node_output_header(n, 0), *ph = ysg_node_output_header(n, 1);
  char *mem = ysg_node_device_scratch(n, st->d_scratch);
  const char *blk = ysg_node_param_block_device(n);
  int32_t *need = ysg_node_device_check(n, st->chk_edges),
          *bad = ysg_node_device_check(n, st->chk_bad);
  if (!in || !ih || !mem || !blk || !need || !bad)
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "device views of the input, scratch, parameters or checks are missing");
  int32_t *ij = (int32_t *)(void *)(mem + st->d_off_ij),
          *ne = (int32_t *)(void *)(mem + st->d_off_n);
  int32_t *status = (int32_t *)(void *)(mem + st->d_off_status);
  const float *radius = (const float *)(const void *)(blk + offsetof(graph_params, radius));
  const float *dy = (const float *)(const void *)(blk + offsetof(graph_params, delta_y_cap));
  char err[512] = "";
  ysg_status s;
  if (st->mode == M_KNN)
    s = ysg__cuda_graph_knn(in->xy, &ih->count, st->cap_in, st->k, ij, ne, st->cap_edges, status,
                            mem, st->d_temp_bytes, stream, err, sizeof err);
  else
    s = ysg__cuda_graph_radius(in->xy, &ih->count, st->cap_in, radius, ij, ne, st->cap_edges,
                               status, mem, st->d_temp_bytes, stream, err, sizeof err);
  if (!s)
    s = ysg__cuda_graph_finish(ij, ne, in->xy, dy, status, st->cap_edges, eh && e ? e->ij : NULL,
                               eh && e ? eh : NULL, need, bad, stream, err, sizeof err);
  if (!s && ph && pts) /* NULL header: the points output is not used */
    s = ysg__cuda_points_copy(in, ih, st->cap_in, pts, ph, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops graph_device = {
    .supported = graph_supported,
    .infer = graph_device_infer,
    .prepare = graph_prepare,
    .run = graph_device_run,
};
#endif

/* ---- schema -------------------------------------------------------------------------------------
 */

static const ysg_param_def params[P_COUNT] = {
    [P_MODE] = {"mode", YSG_PARAM_ENUM, "knn", 0, 0, "knn|radius|delaunay|mst|voronoi",
                YSG_PARAM_STATIC,
                "knn: k nearest; radius: all pairs within radius; delaunay; mst: Euclidean "
                "minimum spanning tree; voronoi: cell edges clipped to the canvas"},
    [P_K] = {"k", YSG_PARAM_INT, "5", 1, 64, NULL, YSG_PARAM_STATIC,
             "knn: neighbours each point links to (ties by lower index)"},
    [P_RADIUS] = {"radius", YSG_PARAM_NUMBER, "80", 0, 1e9, NULL, 0,
                  "px: radius mode links every pair at most this far apart"},
    [P_BACKEND] = {"backend", YSG_PARAM_ENUM, "grid", 0, 0, "grid|faiss", YSG_PARAM_STATIC,
                   "knn search: exact uniform grid, or FAISS's exact flat L2 index (builds with "
                   "FAISS only)"},
    [P_DELTA_Y_CAP] = {"delta_y_cap", YSG_PARAM_NUMBER, "-1", -1, 1e9, NULL, 0,
                       "px: drop edges whose ends differ by more than this vertically; -1: off"},
    [P_DEGREE_CAP] = {"degree_cap", YSG_PARAM_INT, "0", 0, 1e6, NULL, 0,
                      "most edges a point keeps, shortest first (ties by (i, j)); 0: off"},
    [P_HYSTERESIS] = {"hysteresis", YSG_PARAM_NUMBER, "0", 0, 1e9, NULL, 0,
                      "px: last frame's edges (matched by point id) stay while no longer than "
                      "their reference length plus this; 0: off"},
    [P_MAX_EDGES] = {"max_edges", YSG_PARAM_INT, "0", 0, 1e9, NULL, YSG_PARAM_STATIC,
                     "edge capacity; 0: automatic (knn N*k, radius 32*N, delaunay/voronoi 3*N+8, "
                     "mst N; doubled with hysteresis)"},
};

static const ysg_port_def inputs[] = {
    {"points", YSG_POINTS, 0, "the points to link (ids used by hysteresis)", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"edges", YSG_EDGES, 0, "undirected links i < j, deduplicated, sorted by (i, j)", NULL, 0},
    {"points", YSG_POINTS, 0,
     "the input points passed through; voronoi: the diagram's vertices the edges index", NULL, 0},
};

const ysg_node_type ysg__node_graph = {
    .name = "graph",
    .category = "graph",
    .doc =
        "Links points. knn (each point to its k nearest others, the union of those links) and "
        "radius (every pair within radius) are exact: squared float distances, ties by lower "
        "index, searched on a uniform grid whose cell side comes from the point density (and "
        "the radius), so N = 100 000 takes milliseconds; backend 'faiss' runs knn through "
        "FAISS's exact flat index instead. delaunay (Qhull), mst (Euclidean minimum spanning "
        "tree from the Delaunay edges, Kruskal with ties by (length, i, j)) and voronoi (cell "
        "edges clipped to the canvas; the points output holds its vertices) run on the host. "
        "Degenerate input is fine: 0-2 points, duplicates; collinear points make delaunay/mst "
        "link them as a chain (a warning, once per run); a NaN/inf coordinate is an error "
        "naming the point. Then, in this order: hysteresis (an edge of the last frame whose "
        "ends, matched by the points' ids or else by index, still exist survives while its "
        "length stays within its reference length - its length when the mode last picked it - "
        "plus hysteresis; the result is the mode's edges plus the survivors), delta_y_cap, and "
        "degree_cap (edges visited by ascending (squared length, i, j), each kept only while "
        "both ends are below the cap). Qhull and FAISS allocate inside their own calls; "
        "everything else lives in the arena.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 2,
    .params = params,
    .n_params = P_COUNT,
    .flags = 0,
    .init = graph_init,
    .infer = graph_infer,
    .run = graph_run,
    .destroy = graph_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &graph_device,
#endif
};
