/* graph_tri.c — the geometry behind the graph node's delaunay, mst and voronoi modes: Delaunay
 * triangles through Qhull's reentrant library (libqhull_r), the chain fallback for degenerate
 * input, Kruskal's Euclidean minimum spanning tree, and the Voronoi diagram clipped to the canvas.
 * Everything lives in caller scratch (the *_tmp_bytes sizes) except Qhull's own allocations inside
 * qh_new_qhull and the FILE that captures its messages (fmemopen), which cannot be avoided. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bump.h"
#include "graph.h"

#ifdef YSG_HAVE_QHULL
#include <libqhull_r/qhull_ra.h>
#endif

/* ---- scratch layout -------------------------------------------------------------------- */

#define SCRATCH_ALIGN 16 /* bytes: each piece of the scratch (ysg_bump) starts on a multiple */

static size_t al(size_t b) { return (b + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1); }

typedef struct pt {
  float x, y;
  int32_t i;
} pt;

/* A triangle side: key = (a << 32) | b with a < b, the triangle and its vertex opposite. */
typedef struct ent {
  uint64_t key;
  int32_t tri, third;
} ent;

typedef struct proj {
  double t;
  int32_t i;
} proj;

typedef struct wedge {
  double d2;
  int32_t i, j;
} wedge;

/* Stable bottom-up merge sort (insertion-sorted runs of 16 first). Returns whichever of a and b
 * holds the sorted data; both must have room for n items. */
#define MSORT(NAME, T, LESS)                                                        \
  static T *NAME(T *a, T *b, size_t n) {                                            \
    for (size_t lo = 0; lo < n; lo += 16) {                                         \
      size_t hi = lo + 16 < n ? lo + 16 : n;                                        \
      for (size_t i = lo + 1; i < hi; i++) {                                        \
        T v = a[i];                                                                 \
        size_t j = i;                                                               \
        while (j > lo && LESS(&v, &a[j - 1])) {                                     \
          a[j] = a[j - 1];                                                          \
          j--;                                                                      \
        }                                                                           \
        a[j] = v;                                                                   \
      }                                                                             \
    }                                                                               \
    for (size_t w = 16; w < n; w *= 2) {                                            \
      for (size_t lo = 0; lo < n; lo += 2 * w) {                                    \
        size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n; \
        size_t i = lo, j = mid, k = lo;                                             \
        while (i < mid && j < hi) b[k++] = LESS(&a[j], &a[i]) ? a[j++] : a[i++];    \
        while (i < mid) b[k++] = a[i++];                                            \
        while (j < hi) b[k++] = a[j++];                                             \
      }                                                                             \
      T *t = a;                                                                     \
      a = b;                                                                        \
      b = t;                                                                        \
    }                                                                               \
    return a;                                                                       \
  }

#define LESS_U64(a, b) (*(a) < *(b))
#define LESS_PT(a, b) \
  ((a)->x < (b)->x || \
   ((a)->x == (b)->x && ((a)->y < (b)->y || ((a)->y == (b)->y && (a)->i < (b)->i))))
#define LESS_ENT(a, b) ((a)->key < (b)->key || ((a)->key == (b)->key && (a)->tri < (b)->tri))
#define LESS_PROJ(a, b) ((a)->t < (b)->t || ((a)->t == (b)->t && (a)->i < (b)->i))
#define LESS_WEDGE(a, b) \
  ((a)->d2 < (b)->d2 ||  \
   ((a)->d2 == (b)->d2 && ((a)->i < (b)->i || ((a)->i == (b)->i && (a)->j < (b)->j))))

MSORT(sort_u64, uint64_t, LESS_U64)
MSORT(sort_wedge, wedge, LESS_WEDGE)

static uint64_t ekey(int32_t a, int32_t b) {
  return a < b ? ((uint64_t)(uint32_t)a << 32) | (uint32_t)b
               : ((uint64_t)(uint32_t)b << 32) | (uint32_t)a;
}

static void msg(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void msg(char *err, size_t errcap, const char *fmt, ...) {
  if (!err || !errcap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errcap, fmt, ap);
  va_end(ap);
}

/* ---- triangulation workspace ----------------------------------------------------------- */

typedef struct tri_ws {
  void *qh;         /* qhT, kept in scratch so worker threads' stacks stay small */
  pt *pts, *pbuf;   /* (n) points sorted by (x, y, index) to find exact duplicates */
  int32_t *uid;     /* (n) distinct-point id of each input point */
  int32_t *orig;    /* (n) lowest input index of each distinct point */
  int32_t *near;    /* (n) u itself when u is a triangle vertex, else the vertex it joins, or -1 */
  double *dxy;      /* (n, 2) distinct points, Qhull's input */
  int32_t *tri;     /* (tcap, 3) triangles as distinct ids */
  ent *ents, *ebuf; /* (3·tcap + n) sides; also reused as keys and projections */
  int tcap, n_u, n_tri;
} tri_ws;

static int tri_cap(int n) { return 2 * n + 8; }
static size_t ent_cap(int n) { return 3 * (size_t)tri_cap(n) + (size_t)n; }

static size_t tri_layout(int n, void *tmp, tri_ws *ws) {
  if (n < 0) n = 0;
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  tri_ws w;
#ifdef YSG_HAVE_QHULL
  w.qh = ysg__bump_take(&b, sizeof(qhT));
#else
  w.qh = NULL;
#endif
  w.pts = ysg__bump_take(&b, (size_t)n * sizeof(pt));
  w.pbuf = ysg__bump_take(&b, (size_t)n * sizeof(pt));
  w.uid = ysg__bump_take(&b, (size_t)n * sizeof(int32_t));
  w.orig = ysg__bump_take(&b, (size_t)n * sizeof(int32_t));
  w.near = ysg__bump_take(&b, (size_t)n * sizeof(int32_t));
  w.dxy = ysg__bump_take(&b, (size_t)n * 2 * sizeof(double));
  w.tcap = tri_cap(n);
  w.tri = ysg__bump_take(&b, (size_t)w.tcap * 3 * sizeof(int32_t));
  w.ents = ysg__bump_take(&b, ent_cap(n) * sizeof(ent));
  w.ebuf = ysg__bump_take(&b, ent_cap(n) * sizeof(ent));
  w.n_u = w.n_tri = 0;
  if (ws) *ws = w;
  return b.used;
}

size_t ysg__delaunay_tmp_bytes(int n) { return tri_layout(n, NULL, NULL); }

/* ---- Voronoi workspace ----------------------------------------------------------------- */

typedef struct vor_ws {
  tri_ws t;
  double *cc;           /* (tcap, 2) circumcentres; NaN for a zero-area triangle */
  int32_t *uf;          /* (tcap) union-find over triangles whose circumcentres coincide */
  pt *vc, *vbuf;        /* (2·ecap) clipped end points, i = candidate id */
  int32_t *vmap;        /* (2·ecap) candidate id -> output vertex */
  uint64_t *ek, *ekbuf; /* (ecap) output edges as keys */
  int ecap;
} vor_ws;

static size_t vor_layout(int n, void *tmp, vor_ws *ws) {
  if (n < 0) n = 0;
  vor_ws w;
  size_t base = tri_layout(n, tmp, &w.t);
  ysg_bump b = {tmp, base, SCRATCH_ALIGN};
  if (!tmp) b.base = NULL;
  w.ecap = 3 * n + 8;
  w.cc = ysg__bump_take(&b, (size_t)w.t.tcap * 2 * sizeof(double));
  w.uf = ysg__bump_take(&b, (size_t)w.t.tcap * sizeof(int32_t));
  w.vc = ysg__bump_take(&b, (size_t)w.ecap * 2 * sizeof(pt));
  w.vbuf = ysg__bump_take(&b, (size_t)w.ecap * 2 * sizeof(pt));
  w.vmap = ysg__bump_take(&b, (size_t)w.ecap * 2 * sizeof(int32_t));
  w.ek = ysg__bump_take(&b, (size_t)w.ecap * sizeof(uint64_t));
  w.ekbuf = ysg__bump_take(&b, (size_t)w.ecap * sizeof(uint64_t));
  if (ws) *ws = w;
  return b.used;
}

size_t ysg__voronoi_tmp_bytes(int n) { return vor_layout(n, NULL, NULL); }

/* ---- Euclidean minimum spanning tree --------------------------------------------------- */

size_t ysg__mst_tmp_bytes(int n, int n_edges) {
  if (n < 0) n = 0;
  if (n_edges < 0) n_edges = 0;
  return 2 * al((size_t)n * sizeof(int32_t)) + 2 * al((size_t)n_edges * sizeof(wedge));
}

static int32_t find(int32_t *parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]]; /* path halving */
    x = parent[x];
  }
  return x;
}

int ysg__mst(const float *xy, int n, const int32_t *ij, int n_edges, int32_t *out, void *tmp) {
  if (n < 2 || n_edges <= 0) return 0;
  ysg_bump b = {tmp, 0, SCRATCH_ALIGN};
  int32_t *parent = ysg__bump_take(&b, (size_t)n * sizeof(int32_t));
  int32_t *size = ysg__bump_take(&b, (size_t)n * sizeof(int32_t));
  wedge *e = ysg__bump_take(&b, (size_t)n_edges * sizeof(wedge));
  wedge *ebuf = ysg__bump_take(&b, (size_t)n_edges * sizeof(wedge));
  size_t m = 0;
  for (int k = 0; k < n_edges; k++) {
    int32_t i = ij[2 * k], j = ij[2 * k + 1];
    if (i > j) {
      int32_t t = i;
      i = j;
      j = t;
    }
    if (i < 0 || j >= n || i == j) continue;
    double dx = (double)xy[2 * j] - xy[2 * i], dy = (double)xy[2 * j + 1] - xy[2 * i + 1];
    e[m++] = (wedge){dx * dx + dy * dy, i, j};
  }
  wedge *s = sort_wedge(e, ebuf, m);
  for (int i = 0; i < n; i++) parent[i] = i, size[i] = 1;
  /* The chosen edges' keys go to the sort buffer s does not use (room for 2·m keys). */
  uint64_t *keys = (uint64_t *)(s == e ? ebuf : e);
  int cnt = 0;
  for (size_t k = 0; k < m && cnt < n - 1; k++) {
    int32_t a = find(parent, s[k].i), c = find(parent, s[k].j);
    if (a == c) continue;
    if (size[a] < size[c]) {
      int32_t t = a;
      a = c;
      c = t;
    }
    parent[c] = a;
    size[a] += size[c];
    keys[cnt++] = ekey(s[k].i, s[k].j);
  }
  uint64_t *sk = sort_u64(keys, keys + cnt, (size_t)cnt);
  for (int k = 0; k < cnt; k++) {
    out[2 * k] = (int32_t)(sk[k] >> 32);
    out[2 * k + 1] = (int32_t)(sk[k] & 0xffffffffu);
  }
  return cnt;
}

/* ---- Delaunay through Qhull ------------------------------------------------------------ */

#ifdef YSG_HAVE_QHULL

MSORT(sort_pt, pt, LESS_PT)
MSORT(sort_ent, ent, LESS_ENT)
MSORT(sort_proj, proj, LESS_PROJ)

/* Returns the first input index with a non-finite coordinate, or -1. */
static int first_nonfinite(const float *xy, int n) {
  for (int i = 0; i < n; i++)
    if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) return i;
  return -1;
}

/* Groups exact duplicates: distinct ids in (x, y) order, each naming its lowest input index. */
static void dedupe(const float *xy, int n, tri_ws *w) {
  for (int i = 0; i < n; i++) w->pts[i] = (pt){xy[2 * i], xy[2 * i + 1], i};
  pt *s = sort_pt(w->pts, w->pbuf, (size_t)n);
  int u = -1;
  for (int k = 0; k < n; k++) {
    if (k == 0 || s[k].x != s[k - 1].x || s[k].y != s[k - 1].y) {
      u++;
      w->orig[u] = s[k].i;
      w->dxy[2 * u] = s[k].x;
      w->dxy[2 * u + 1] = s[k].y;
    }
    w->uid[s[k].i] = u;
  }
  w->n_u = u + 1;
}

/* True when every distinct point lies within float rounding (2·FLT_EPSILON of the largest
 * coordinate or extent) of the principal line through their mean. Such input is a line that
 * float coordinates could not represent exactly; its exact Delaunay triangulation would be a fan
 * of needle triangles, so it takes the chain like truly collinear points (which Qhull rejects). */
static int collinear(const tri_ws *w) {
  if (w->n_u < 3) return 1;
  const double *p = w->dxy;
  double mx = 0, my = 0, big = 0;
  for (int u = 0; u < w->n_u; u++) {
    mx += p[2 * u], my += p[2 * u + 1];
    big = fmax(big, fmax(fabs(p[2 * u]), fabs(p[2 * u + 1])));
  }
  mx /= w->n_u, my /= w->n_u;
  double sxx = 0, sxy = 0, syy = 0;
  for (int u = 0; u < w->n_u; u++) {
    double dx = p[2 * u] - mx, dy = p[2 * u + 1] - my;
    sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
    big = fmax(big, fmax(fabs(dx), fabs(dy)));
  }
  double ang = 0.5 * atan2(2 * sxy, sxx - syy), cx = cos(ang), cy = sin(ang);
  double tol = 2 * FLT_EPSILON * big;
  for (int u = 0; u < w->n_u; u++)
    if (fabs((p[2 * u] - mx) * cy - (p[2 * u + 1] - my) * cx) > tol) return 0;
  return 1;
}

/* The chain order: input indices sorted by their projection on the principal direction of the
 * points (ties by index). Returns the array (inside ws->ents / ws->ebuf). */
static proj *chain_order(const float *xy, int n, tri_ws *w) {
  double mx = 0, my = 0;
  for (int i = 0; i < n; i++) mx += xy[2 * i], my += xy[2 * i + 1];
  mx /= n > 0 ? n : 1;
  my /= n > 0 ? n : 1;
  double sxx = 0, sxy = 0, syy = 0;
  for (int i = 0; i < n; i++) {
    double dx = xy[2 * i] - mx, dy = xy[2 * i + 1] - my;
    sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
  }
  double ang = 0.5 * atan2(2 * sxy, sxx - syy), cx = cos(ang), cy = sin(ang);
  proj *a = (proj *)w->ents, *b = (proj *)w->ebuf;
  for (int i = 0; i < n; i++) a[i] = (proj){xy[2 * i] * cx + xy[2 * i + 1] * cy, i};
  return sort_proj(a, b, (size_t)n);
}

/* Copies Qhull's first error line ("QH6154 qhull precision error: ...") into err. */
static void qhull_msg(const char *text, int code, char *err, size_t errcap) {
  const char *line = strstr(text, "QH");
  if (!line) line = text;
  while (*line == '\n' || *line == ' ') line++;
  size_t len = strcspn(line, "\n");
  if (len > 300) len = 300;
  if (len)
    msg(err, errcap, "qhull failed (exit code %d): %.*s", code, (int)len, line);
  else
    msg(err, errcap, "qhull failed (exit code %d) without a message", code);
}

/* Runs Qhull's Delaunay triangulation on the distinct points and fills ws->tri and ws->near.
 * Returns YSG_OK, 1 when Qhull finds the input flat (the caller takes the chain), or an error. */
static int run_qhull(tri_ws *w, char *err, size_t errcap) {
  char text[1024];
  memset(text, 0, sizeof text);
  /* Qhull must never print: its messages go to a memory FILE; size - 1 keeps a final NUL. */
  FILE *ferr = fmemopen(text, sizeof text - 1, "w");
  if (!ferr) {
    msg(err, errcap, "cannot open a memory stream for Qhull's messages");
    return YSG_ERR_NOMEM;
  }
  qhT *qh = w->qh;
  char opts[] = "qhull d Qt Qbb Qc Qz";
  qh_zero(qh, ferr);
  int code = qh_new_qhull(qh, 2, w->n_u, w->dxy, False, opts, NULL, ferr);
  int rc = YSG_OK;
  if (code == 0) {
    facetT *facet;
    vertexT *vertex, **vertexp;
    pointT *point, **pointp;
    for (int u = 0; u < w->n_u; u++) w->near[u] = -1;
    w->n_tri = 0;
    FORALLfacets {
      if (facet->upperdelaunay) continue;
      int32_t v[3], k = 0;
      FOREACHvertex_(facet->vertices) {
        int id = qh_pointid(qh, vertex->point);
        if (k < 3) v[k] = id;
        k++;
      }
      if (k != 3) {
        msg(err, errcap, "qhull returned a Delaunay facet with %d vertices (expected 3)", k);
        rc = YSG_ERR_RUNTIME;
        break;
      }
      if (v[0] < 0 || v[0] >= w->n_u || v[1] < 0 || v[1] >= w->n_u || v[2] < 0 || v[2] >= w->n_u)
        continue; /* touches the point at infinity ('Qz'): not a Delaunay triangle */
      if (w->n_tri == w->tcap) {
        msg(err, errcap, "qhull returned more than %d triangles for %d points", w->tcap, w->n_u);
        rc = YSG_ERR_RUNTIME;
        break;
      }
      memcpy(w->tri + 3 * w->n_tri++, v, sizeof v);
      for (int j = 0; j < 3; j++) w->near[v[j]] = v[j];
    }
    /* Points Qhull kept aside as coplanar (near-duplicates) join the nearest vertex of their
     * facet; the distances are computed here so no Qhull routine runs after its error trap. */
    if (rc == YSG_OK) FORALLfacets {
        FOREACHpoint_(facet->coplanarset) {
          int id = qh_pointid(qh, point);
          if (id < 0 || id >= w->n_u || w->near[id] >= 0) continue;
          double best = INFINITY;
          int bi = -1;
          FOREACHvertex_(facet->vertices) {
            int vid = qh_pointid(qh, vertex->point);
            if (vid < 0 || vid >= w->n_u || w->near[vid] != vid) continue;
            double dx = w->dxy[2 * vid] - w->dxy[2 * id],
                   dy = w->dxy[2 * vid + 1] - w->dxy[2 * id + 1];
            double d = dx * dx + dy * dy;
            if (d < best || (d == best && vid < bi)) best = d, bi = vid;
          }
          if (bi >= 0) w->near[id] = bi;
        }
      }
  }
  qh_freeqhull(qh, !qh_ALL);
  int curlong, totlong;
  qh_memfreeshort(qh, &curlong, &totlong);
  fclose(ferr);
  if (code == qh_ERRsingular) return 1;
  if (code == qh_ERRmem) {
    qhull_msg(text, code, err, errcap);
    return YSG_ERR_NOMEM;
  }
  if (code != 0) {
    qhull_msg(text, code, err, errcap);
    return YSG_ERR_RUNTIME;
  }
  if (rc != YSG_OK) return rc;
  if (w->n_tri == 0) return 1;
  /* Any point still missing (Qhull dropped it as inside): join the nearest triangle vertex. */
  for (int u = 0; u < w->n_u; u++) {
    if (w->near[u] >= 0) continue;
    double best = INFINITY;
    int bi = -1;
    for (int v = 0; v < w->n_u; v++) {
      if (w->near[v] != v) continue;
      double dx = w->dxy[2 * v] - w->dxy[2 * u], dy = w->dxy[2 * v + 1] - w->dxy[2 * u + 1];
      double d = dx * dx + dy * dy;
      if (d < best) best = d, bi = v;
    }
    w->near[u] = bi;
  }
  return YSG_OK;
}

/* Dedupe, then Qhull. Returns YSG_OK (triangles ready), 1 (degenerate: use the chain) or an
 * error status with err set. */
static int triangulate(const float *xy, int n, tri_ws *w, char *err, size_t errcap) {
  int bad = first_nonfinite(xy, n);
  if (bad >= 0) {
    msg(err, errcap, "point %d has a non-finite coordinate (%g, %g)", bad, xy[2 * bad],
        xy[2 * bad + 1]);
    return YSG_ERR_DATA;
  }
  dedupe(xy, n, w);
  if (collinear(w)) return 1;
  return run_qhull(w, err, errcap);
}

/* ---- Voronoi diagram ------------------------------------------------------------------- */

/* Liang–Barsky: clips o + t·d, t in [*t0, *t1] (either may be infinite) to [0,w]×[0,h].
 * Returns 0 when nothing is left. */
static int clip(double ox, double oy, double dx, double dy, double w, double h, double *t0,
                double *t1) {
  const double p[4] = {-dx, dx, -dy, dy}, q[4] = {ox, w - ox, oy, h - oy};
  for (int k = 0; k < 4; k++) {
    if (p[k] == 0) {
      if (q[k] < 0) return 0;
      continue;
    }
    double r = q[k] / p[k];
    if (p[k] < 0) {
      if (r > *t0) *t0 = r;
    } else if (r < *t1) {
      *t1 = r;
    }
  }
  return *t0 <= *t1 && isfinite(*t0) && isfinite(*t1);
}

static float clampf(double v, double hi) { return (float)(v < 0 ? 0 : v > hi ? hi : v); }

/* Appends the clipped piece of o + t·d, t in [t0, t1], as a candidate edge. An end the clip
 * did not move keeps the exact given coordinates (a0/a1) so neighbouring edges share it. */
static void add_piece(vor_ws *w, int *nc, double ox, double oy, double dx, double dy, double t0,
                      double t1, const double *a0, const double *a1, double cw, double ch) {
  double s0 = t0, s1 = t1;
  if (!clip(ox, oy, dx, dy, cw, ch, &s0, &s1)) return;
  float x0, y0, x1, y1;
  if (a0 && s0 == t0)
    x0 = (float)a0[0], y0 = (float)a0[1];
  else
    x0 = clampf(ox + s0 * dx, cw), y0 = clampf(oy + s0 * dy, ch);
  if (a1 && s1 == t1)
    x1 = (float)a1[0], y1 = (float)a1[1];
  else
    x1 = clampf(ox + s1 * dx, cw), y1 = clampf(oy + s1 * dy, ch);
  if (x0 == x1 && y0 == y1) return; /* nothing left after rounding to float */
  w->vc[*nc] = (pt){x0, y0, *nc};
  w->vc[*nc + 1] = (pt){x1, y1, *nc + 1};
  *nc += 2;
}

static int32_t uf_find(int32_t *uf, int32_t x) {
  while (uf[x] != x) x = uf[x] = uf[uf[x]];
  return x;
}

/* Circumcentres of the triangles (relative to the first vertex for accuracy). */
static void circumcentres(vor_ws *w) {
  const double *p = w->t.dxy;
  for (int t = 0; t < w->t.n_tri; t++) {
    const int32_t *v = w->t.tri + 3 * t;
    double ax = p[2 * v[0]], ay = p[2 * v[0] + 1];
    double bx = p[2 * v[1]] - ax, by = p[2 * v[1] + 1] - ay;
    double cx = p[2 * v[2]] - ax, cy = p[2 * v[2] + 1] - ay;
    double d = 2 * (bx * cy - by * cx), b2 = bx * bx + by * by, c2 = cx * cx + cy * cy;
    double ux = (cy * b2 - by * c2) / d, uy = (bx * c2 - cx * b2) / d;
    int ok = d != 0 && isfinite(ux) && isfinite(uy);
    w->cc[2 * t] = ok ? ax + ux : NAN;
    w->cc[2 * t + 1] = ok ? ay + uy : NAN;
    w->uf[t] = t;
  }
}

/* Direction perpendicular to side (a, b) pointing away from c (the ray of a hull side). */
static void outward(const double *p, int a, int b, int c, double *dx, double *dy) {
  double ex = p[2 * b] - p[2 * a], ey = p[2 * b + 1] - p[2 * a + 1];
  *dx = -ey, *dy = ex;
  if (*dx * (p[2 * c] - p[2 * a]) + *dy * (p[2 * c + 1] - p[2 * a + 1]) > 0) *dx = ey, *dy = -ex;
}

/* Candidate edges from the triangulation: each side's dual, merged circumcentres collapsed. */
static ysg_status dual_edges(vor_ws *w, double cw, double ch, int *nc, char *err, size_t errcap) {
  tri_ws *t = &w->t;
  size_t ne = 0;
  for (int k = 0; k < t->n_tri; k++)
    for (int e = 0; e < 3; e++) {
      int32_t a = t->tri[3 * k + e], b = t->tri[3 * k + (e + 1) % 3],
              c = t->tri[3 * k + (e + 2) % 3];
      t->ents[ne++] = (ent){ekey(a, b), k, c};
    }
  ent *s = sort_ent(t->ents, t->ebuf, ne);
  circumcentres(w);
  /* The triangles 'Qt' cuts a cocircular polygon into share one circumcentre, but computed from
   * different corners the doubles may differ in the last bits: adjacent ones closer than eps
   * become one Voronoi vertex, so no sliver edge is left between them. (Exactly equal ones
   * would also collapse when rounded to float below.) */
  double scale = cw > ch ? cw : ch;
  for (int u = 0; u < t->n_u; u++) {
    double ax = fabs(t->dxy[2 * u]), ay = fabs(t->dxy[2 * u + 1]);
    if (ax > scale) scale = ax;
    if (ay > scale) scale = ay;
  }
  double eps = 1e-9 * scale;
  for (size_t k = 0; k + 1 < ne; k++) {
    if (s[k].key != s[k + 1].key) continue;
    const double *c1 = w->cc + 2 * s[k].tri, *c2 = w->cc + 2 * s[k + 1].tri;
    if (fabs(c1[0] - c2[0]) <= eps && fabs(c1[1] - c2[1]) <= eps) {
      int32_t r1 = uf_find(w->uf, s[k].tri), r2 = uf_find(w->uf, s[k + 1].tri);
      if (r1 < r2)
        w->uf[r2] = r1;
      else
        w->uf[r1] = r2;
    }
  }
  *nc = 0;
  for (size_t k = 0; k < ne;) {
    size_t g = k + 1;
    while (g < ne && s[g].key == s[k].key) g++;
    if (g - k > 2) {
      msg(err, errcap, "qhull returned a triangulation where one side has %d triangles",
          (int)(g - k));
      return YSG_ERR_RUNTIME;
    }
    if (*nc + 2 > 2 * w->ecap) {
      msg(err, errcap, "qhull returned more triangle sides than %d points can have", t->n_u);
      return YSG_ERR_RUNTIME;
    }
    int32_t a = (int32_t)(s[k].key >> 32), b = (int32_t)(s[k].key & 0xffffffffu);
    int32_t r1 = uf_find(w->uf, s[k].tri);
    const double *c1 = w->cc + 2 * r1;
    double dx, dy;
    if (g - k == 2) {
      int32_t r2 = uf_find(w->uf, s[k + 1].tri);
      const double *c2 = w->cc + 2 * r2;
      int ok1 = !isnan(c1[0]), ok2 = !isnan(c2[0]);
      if (r1 == r2 || (!ok1 && !ok2)) {
        /* collapsed, or between two zero-area triangles: no edge */
      } else if (ok1 && ok2) {
        add_piece(w, nc, c1[0], c1[1], c2[0] - c1[0], c2[1] - c1[1], 0, 1, c1, c2, cw, ch);
      } else {
        /* One side is a zero-area triangle (circumcentre at infinity): a ray from the other
         * circumcentre away from its opposite vertex. */
        size_t kk = ok1 ? k : k + 1;
        const double *c = ok1 ? c1 : c2;
        outward(t->dxy, a, b, s[kk].third, &dx, &dy);
        add_piece(w, nc, c[0], c[1], dx, dy, 0, INFINITY, c, NULL, cw, ch);
      }
    } else if (!isnan(c1[0])) {
      outward(t->dxy, a, b, s[k].third, &dx, &dy);
      add_piece(w, nc, c1[0], c1[1], dx, dy, 0, INFINITY, c1, NULL, cw, ch);
    }
    k = g;
  }
  return YSG_OK;
}

/* Degenerate input: the bisectors between consecutive points of the chain (parallel lines for
 * collinear points: exactly their Voronoi diagram). Exact duplicates have none between them. */
static void chain_bisectors(const float *xy, int n, vor_ws *w, double cw, double ch, int *nc) {
  proj *o = chain_order(xy, n, &w->t);
  *nc = 0;
  for (int k = 0; k + 1 < n; k++) {
    const float *p = xy + 2 * o[k].i, *q = xy + 2 * o[k + 1].i;
    double ex = (double)q[0] - p[0], ey = (double)q[1] - p[1];
    if (ex == 0 && ey == 0) continue;
    double mx = 0.5 * ((double)p[0] + q[0]), my = 0.5 * ((double)p[1] + q[1]);
    add_piece(w, nc, mx, my, -ey, ex, -INFINITY, INFINITY, NULL, NULL, cw, ch);
  }
}

/* ---- Delaunay edges -------------------------------------------------------------------- */

ysg_status ysg__delaunay(const float *xy, int n, int32_t *ij, int cap, int *n_out, int *fallback,
                         void *tmp, char *err, size_t errcap) {
  *n_out = 0;
  *fallback = 0;
  if (n < 0) n = 0;
  tri_ws w;
  tri_layout(n, tmp, &w);
  int rc = triangulate(xy, n, &w, err, errcap);
  if (rc != YSG_OK && rc != 1) return (ysg_status)rc;
  uint64_t *keys = (uint64_t *)w.ents, *kbuf = (uint64_t *)w.ebuf;
  size_t nk = 0;
  if (rc == 1) {
    /* Degenerate: the chain along the principal direction (exactly the Delaunay graph when the
     * points are collinear). Nothing to fall back from with fewer than 2 points. */
    if (n < 2) return YSG_OK;
    *fallback = 1;
    proj *o = chain_order(xy, n, &w);
    if ((void *)o == (void *)keys) { /* the keys go where the projections are not */
      keys = kbuf;
      kbuf = (uint64_t *)w.ents;
    }
    for (int k = 0; k + 1 < n; k++) keys[k] = ekey(o[k].i, o[k + 1].i);
    nk = (size_t)n - 1;
  } else {
    for (int t = 0; t < w.n_tri; t++)
      for (int e = 0; e < 3; e++)
        keys[nk++] = ekey(w.orig[w.tri[3 * t + e]], w.orig[w.tri[3 * t + (e + 1) % 3]]);
    /* Exact duplicates join their lowest-index twin; near-duplicates Qhull set aside join the
     * vertex nearest to them. Either way every input point gets at least one edge. */
    for (int i = 0; i < n; i++)
      if (w.orig[w.uid[i]] != i) keys[nk++] = ekey(w.orig[w.uid[i]], i);
    for (int u = 0; u < w.n_u; u++)
      if (w.near[u] != u) keys[nk++] = ekey(w.orig[u], w.orig[w.near[u]]);
  }
  uint64_t *s = sort_u64(keys, kbuf, nk);
  size_t m = 0;
  for (size_t k = 0; k < nk; k++)
    if (k == 0 || s[k] != s[k - 1]) s[m++] = s[k];
  if (m > (size_t)(cap > 0 ? cap : 0)) {
    msg(err, errcap, "the Delaunay triangulation has %zu edges, more than the capacity of %d", m,
        cap);
    return YSG_ERR_LIMIT;
  }
  for (size_t k = 0; k < m; k++) {
    ij[2 * k] = (int32_t)(s[k] >> 32);
    ij[2 * k + 1] = (int32_t)(s[k] & 0xffffffffu);
  }
  *n_out = (int)m;
  return YSG_OK;
}

ysg_status ysg__voronoi(const float *xy, int n, float w, float h, float *vxy, int cap_v, int *n_v,
                        int32_t *vij, int cap_e, int *n_e, void *tmp, char *err, size_t errcap) {
  *n_v = *n_e = 0;
  if (!(w > 0) || !(h > 0) || !isfinite(w) || !isfinite(h)) {
    msg(err, errcap, "the canvas must have a positive finite size, got %g x %g", w, h);
    return YSG_ERR_INVALID;
  }
  if (n < 0) n = 0;
  vor_ws ws;
  vor_layout(n, tmp, &ws);
  int rc = triangulate(xy, n, &ws.t, err, errcap);
  if (rc != YSG_OK && rc != 1) return (ysg_status)rc;
  int nc = 0;
  if (rc == 1) {
    chain_bisectors(xy, n, &ws, w, h, &nc);
  } else {
    ysg_status st = dual_edges(&ws, w, h, &nc, err, errcap);
    if (st != YSG_OK) return st;
  }
  /* One output vertex per distinct float position, in (x, y) order. */
  pt *s = sort_pt(ws.vc, ws.vbuf, (size_t)nc);
  int nv = 0;
  for (int k = 0; k < nc; k++) {
    if (k > 0 && (s[k].x != s[k - 1].x || s[k].y != s[k - 1].y)) nv++;
    ws.vmap[s[k].i] = nv;
  }
  if (nc > 0) nv++;
  size_t ne = 0;
  for (int k = 0; k < nc; k += 2) ws.ek[ne++] = ekey(ws.vmap[k], ws.vmap[k + 1]);
  uint64_t *ek = sort_u64(ws.ek, ws.ekbuf, ne);
  size_t m = 0;
  for (size_t k = 0; k < ne; k++)
    if (k == 0 || ek[k] != ek[k - 1]) ek[m++] = ek[k];
  if (nv > cap_v) {
    msg(err, errcap, "the Voronoi diagram has %d vertices, more than the capacity of %d", nv,
        cap_v);
    return YSG_ERR_LIMIT;
  }
  if (m > (size_t)(cap_e > 0 ? cap_e : 0)) {
    msg(err, errcap, "the Voronoi diagram has %zu edges, more than the capacity of %d", m, cap_e);
    return YSG_ERR_LIMIT;
  }
  int v = -1;
  for (int k = 0; k < nc; k++)
    if (k == 0 || s[k].x != s[k - 1].x || s[k].y != s[k - 1].y) {
      v++;
      vxy[2 * v] = s[k].x;
      vxy[2 * v + 1] = s[k].y;
    }
  for (size_t k = 0; k < m; k++) {
    vij[2 * k] = (int32_t)(ek[k] >> 32);
    vij[2 * k + 1] = (int32_t)(ek[k] & 0xffffffffu);
  }
  *n_v = nv;
  *n_e = (int)m;
  return YSG_OK;
}

#else /* no Qhull: the geometry modes report that, whatever the input */

static const char no_qhull[] = "this build has no Qhull (install libqhull-dev and rebuild)";

ysg_status ysg__delaunay(const float *xy, int n, int32_t *ij, int cap, int *n_out, int *fallback,
                         void *tmp, char *err, size_t errcap) {
  (void)xy, (void)n, (void)ij, (void)cap, (void)tmp;
  *n_out = 0;
  *fallback = 0;
  msg(err, errcap, "%s", no_qhull);
  return YSG_ERR_UNSUPPORTED;
}

ysg_status ysg__voronoi(const float *xy, int n, float w, float h, float *vxy, int cap_v, int *n_v,
                        int32_t *vij, int cap_e, int *n_e, void *tmp, char *err, size_t errcap) {
  (void)xy, (void)n, (void)w, (void)h, (void)vxy, (void)cap_v, (void)vij, (void)cap_e, (void)tmp;
  *n_v = *n_e = 0;
  msg(err, errcap, "%s", no_qhull);
  return YSG_ERR_UNSUPPORTED;
}

#endif /* YSG_HAVE_QHULL */
