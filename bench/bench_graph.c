/* bench_graph.c — the graph node's exact neighbour searches side by side: knn (k = 5) and radius
 * (radius scaled with the density to ~10 neighbours a point) over N = 1 000, 10 000, 100 000
 * uniform random points on a 1920 × 1080 canvas, by the uniform grid (1 thread, direct call; and
 * the node in a 2-thread pipeline), FAISS's exact flat L2 index (1 thread), brute force, and the
 * CUDA kernels when a device exists. Every method's edges are checked against the grid's first
 * (llm.c-style: validate, then time). Prints the machine, a table and one JSON line.
 * Then the Qhull-based modes at the same sizes: Delaunay, the MST over its edges, clipped Voronoi.
 * Usage: bench_graph [--quick] (--quick: no O(N²) methods at N = 100 000). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cuda/graph_api.h"
#include "../nodes/graph.h"
#include "bench_util.h"
#include "internal.h"

/* ---- brute force ------------------------------------------------------------------------------
 */
static float d2(const float *xy, int i, int j) {
  float dx = xy[2 * j] - xy[2 * i], dy = xy[2 * j + 1] - xy[2 * i + 1];
  return dx * dx + dy * dy;
}

/* every point against every other, top k by (distance, index); the union as the grid builds it */
static long brute_knn(const float *xy, int n, int k, int32_t *ij, int cap, int32_t *nbr,
                      int32_t *rowcnt, uint8_t *emit) {
  float bd[64];
  int32_t bj[64];
  for (int i = 0; i < n; i++) {
    int m = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) continue;
      float d = d2(xy, i, j);
      if (m == k && !(d < bd[k - 1])) continue;
      int p = m < k ? m++ : k - 1;
      for (; p > 0 && d < bd[p - 1]; p--) {
        bd[p] = bd[p - 1];
        bj[p] = bj[p - 1];
      }
      bd[p] = d;
      bj[p] = j;
    }
    for (int t = 0; t < k; t++) nbr[(size_t)i * k + t] = t < m ? bj[t] : -1;
  }
  return ysg__knn_edges_from_nbr(NULL, nbr, NULL, n, k, ij, cap, rowcnt, emit);
}

static long brute_radius(const float *xy, int n, float r, int32_t *ij, int cap) {
  float r2 = r * r;
  long m = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (d2(xy, i, j) <= r2) {
        if (m < cap) {
          ij[2 * m] = i;
          ij[2 * m + 1] = j;
        }
        m++;
      }
  return m <= cap ? m : -m - 1;
}

/* ---- the node in a pipeline
 * ---------------------------------------------------------------------- */
static const float *P_xy;
static int P_n;
static const ysg_port_def src_out[] = {
    {"points", YSG_POINTS, 0, "the benchmark's points", NULL, 0}};
static ysg_status src_infer(ysg_node *n) {
  ysg_node_output(n, 0)->capacity = P_n > 0 ? P_n : 1;
  return YSG_OK;
}
static ysg_status src_run(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_value *v = ysg_node_output(n, 0);
  memcpy(v->xy, P_xy, sizeof(float) * 2 * (size_t)P_n);
  v->count = P_n;
  v->attrs = 0;
  return YSG_OK;
}
static const ysg_node_type src_type = {.name = "bpts",
                                       .category = "bench",
                                       .doc = "points",
                                       .outputs = src_out,
                                       .n_outputs = 1,
                                       .infer = src_infer,
                                       .run = src_run};

/* Median ms of the graph node (2 threads) over reps frames; its edges copied into ij. */
static double node_ms(int radius_mode, float r, int reps, int32_t *ij, long *m, char *why,
                      size_t whycap) {
  ysg_context_options o;
  ysg_context_options_init(&o);
  o.threads = 2;
  ysg_context *ctx = NULL;
  ysg_pipeline *p = NULL;
  double res = -1;
  if (ysg_context_create(&o, &ctx) || ysg_register_node_type(ctx, &src_type)) goto done;
  char args[128], src[512];
  if (radius_mode)
    snprintf(args, sizeof args, "mode='radius', max_edges=4000000, radius=%.9g", r);
  else
    snprintf(args, sizeof args, "mode='knn', k=5");
  snprintf(src, sizeof src,
           "canvas{width=1920,height=1080,frames=1000}\n"
           "graph{points=bpts{name='p'}, name='g', %s}\n",
           args);
  static const char *const keep[] = {"g.edges"};
  ysg_load_options lo;
  ysg_load_options_init(&lo);
  lo.keep = keep;
  lo.n_keep = 1;
  if (ysg_pipeline_load_string(ctx, src, "bench.lua", &lo, &p)) goto done;
  double *t = malloc(sizeof(double) * (size_t)reps);
  for (int f = 0; f < reps; f++) {
    double t0 = bench_now_ms();
    if (ysg_pipeline_run_frame(p, f)) {
      free(t);
      goto done;
    }
    t[f] = bench_now_ms() - t0;
  }
  res = bench_median(t, reps);
  free(t);
  const ysg_value *v = NULL;
  if (ysg_pipeline_get_value(p, "g.edges", &v)) {
    res = -1;
    goto done;
  }
  memcpy(ij, v->ij, sizeof(int32_t) * 2 * (size_t)v->count);
  *m = v->count;
done:
  if (res < 0) snprintf(why, whycap, "%s", ctx ? ysg_errmsg(ctx) : "no context");
  if (p) ysg_pipeline_destroy(p);
  if (ctx) ysg_context_destroy(ctx);
  return res;
}

/* ---- one row -----------------------------------------------------------------------------------
 */
enum { C_GRID, C_NODE, C_FAISS, C_BRUTE, C_CUDA, N_COLS };
static const char *const col_names[N_COLS] = {"grid 1T", "node 2T", "faiss flat 1T", "brute 1T",
                                              "cuda"};
static const char *const col_keys[N_COLS] = {"grid_ms", "node_2t_ms", "faiss_ms", "brute_ms",
                                             "cuda_ms"};

typedef struct row {
  int n, radius_mode;
  float r;
  long edges;
  double ms[N_COLS]; /* < 0: not run */
  char note[N_COLS][160];
  int ok[N_COLS]; /* edges equal the grid's */
} row;

static int same(const int32_t *a, long na, const int32_t *b, long nb) {
  return na == nb && memcmp(a, b, sizeof(int32_t) * 2 * (size_t)na) == 0;
}

static void run_row(row *rw, int quick, int have_cuda, const char *cuda_why) {
  int n = rw->n, k = 5, cap = rw->radius_mode ? 4000000 : n * k;
  float *xy = malloc(sizeof(float) * 2 * (size_t)n);
  for (int i = 0; i < n; i++) {
    xy[2 * i] = (float)((bench_mix64(2 * (uint64_t)i) >> 11) * 0x1.0p-53 * 1920);
    xy[2 * i + 1] = (float)((bench_mix64(2 * (uint64_t)i + 1) >> 11) * 0x1.0p-53 * 1080);
  }
  int32_t *ref = malloc(sizeof(int32_t) * 2 * (size_t)cap),
          *got = malloc(sizeof(int32_t) * 2 * (size_t)cap);
  size_t tb = rw->radius_mode ? ysg__graph_radius_tmp_bytes(n) : ysg__graph_knn_tmp_bytes(n, k);
  size_t fb =
      rw->radius_mode ? ysg__graph_faiss_radius_tmp_bytes(cap) : ysg__graph_faiss_tmp_bytes(n, k);
  void *tmp = malloc(tb > fb ? tb : fb);
  int reps = n <= 1000 ? 50 : (n <= 10000 ? 20 : 7);
  int slow_reps = n <= 1000 ? 5 : 1, skip_slow = quick && n >= 100000;
  double *t = malloc(sizeof(double) * 64);
  for (int c = 0; c < N_COLS; c++) rw->ms[c] = -1, rw->note[c][0] = 0, rw->ok[c] = 0;

  /* grid, 1 thread: the reference for the others */
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now_ms();
    rw->edges = rw->radius_mode ? ysg__graph_radius(NULL, xy, n, rw->r, ref, cap, tmp)
                                : ysg__graph_knn(NULL, xy, n, k, ref, cap, tmp);
    t[r] = bench_now_ms() - t0;
  }
  rw->ms[C_GRID] = bench_median(t, reps);
  rw->ok[C_GRID] = rw->edges >= 0;

  long m = 0;
  P_xy = xy;
  P_n = n;
  rw->ms[C_NODE] =
      node_ms(rw->radius_mode, rw->r, reps, got, &m, rw->note[C_NODE], sizeof rw->note[0]);
  rw->ok[C_NODE] = rw->ms[C_NODE] >= 0 && same(got, m, ref, rw->edges);

  char err[256] = "";
  for (int r = 0; r < slow_reps && !skip_slow; r++) {
    double t0 = bench_now_ms();
    ysg_status s;
    if (rw->radius_mode) {
      s = ysg__graph_faiss_radius(xy, n, rw->r, got, cap, &m, tmp, err, sizeof err);
    } else {
      int mi = 0;
      s = ysg__graph_faiss_knn(xy, n, k, got, cap, &mi, tmp, err, sizeof err);
      m = mi;
    }
    t[r] = bench_now_ms() - t0;
    if (s) {
      snprintf(rw->note[C_FAISS], sizeof rw->note[0], "%s", err);
      break;
    }
    if (r == slow_reps - 1) {
      rw->ms[C_FAISS] = bench_median(t, slow_reps);
      rw->ok[C_FAISS] = same(got, m, ref, rw->edges);
    }
  }
  if (skip_slow) snprintf(rw->note[C_FAISS], sizeof rw->note[0], "skipped (--quick)");

  int32_t *nbr = malloc(sizeof(int32_t) * (size_t)n * k + 4),
          *rowcnt = malloc(sizeof(int32_t) * ((size_t)n + 1));
  uint8_t *emit = malloc((size_t)n * k + 4);
  for (int r = 0; r < slow_reps && !skip_slow; r++) {
    double t0 = bench_now_ms();
    m = rw->radius_mode ? brute_radius(xy, n, rw->r, got, cap)
                        : brute_knn(xy, n, k, got, cap, nbr, rowcnt, emit);
    t[r] = bench_now_ms() - t0;
  }
  if (!skip_slow) {
    rw->ms[C_BRUTE] = bench_median(t, slow_reps);
    rw->ok[C_BRUTE] = same(got, m, ref, rw->edges);
  } else {
    snprintf(rw->note[C_BRUTE], sizeof rw->note[0], "skipped (--quick)");
  }

  if (have_cuda) {
    int ne = 0;
    int32_t st[YSG_GRAPH_STATUS_WORDS];
    double ms = 0;
    if (ysg__cuda_graph_host(rw->radius_mode, xy, n, k, rw->r, got, cap, &ne, st, reps, &ms, err,
                             sizeof err) == YSG_OK) {
      rw->ms[C_CUDA] = ms;
      rw->ok[C_CUDA] = same(got, ne, ref, rw->edges);
    } else {
      snprintf(rw->note[C_CUDA], sizeof rw->note[0], "%s", err);
    }
  } else {
    snprintf(rw->note[C_CUDA], sizeof rw->note[0], "%s", cuda_why);
  }
  free(nbr);
  free(rowcnt);
  free(emit);
  free(t);
  free(tmp);
  free(ref);
  free(got);
  free(xy);
}

/* Delaunay (Qhull), MST (Kruskal over the Delaunay edges) and clipped Voronoi at N points:
 * median ms of reps runs each; prints one table row and returns its JSON object. */
static void geometry_row(int n, int reps, char *json, size_t cap) {
  float *xy = malloc(sizeof(float) * 2 * (size_t)n);
  for (int i = 0; i < n; i++) {
    xy[2 * i] = (float)(bench_mix64(2 * (uint64_t)i + 777) % 1920000) / 1000.0f;
    xy[2 * i + 1] = (float)(bench_mix64(2 * (uint64_t)i + 778) % 1080000) / 1000.0f;
  }
  int cap_e = 3 * n + 8, cap_v = 6 * n + 16;
  int32_t *ij = malloc(sizeof(int32_t) * 2 * (size_t)cap_e),
          *mst = malloc(sizeof(int32_t) * 2 * (size_t)n);
  int32_t *vij = malloc(sizeof(int32_t) * 2 * (size_t)cap_e);
  float *vxy = malloc(sizeof(float) * 2 * (size_t)cap_v);
  size_t tb = ysg__delaunay_tmp_bytes(n);
  if (ysg__mst_tmp_bytes(n, cap_e) > tb) tb = ysg__mst_tmp_bytes(n, cap_e);
  if (ysg__voronoi_tmp_bytes(n) > tb) tb = ysg__voronoi_tmp_bytes(n);
  void *tmp = malloc(tb);
  double *t[3];
  for (int k = 0; k < 3; k++) t[k] = malloc(sizeof(double) * (size_t)reps);
  int ne = 0, nm = 0, nv = 0, nve = 0, fb = 0;
  char err[256] = "";
  ysg_status st = YSG_OK;
  for (int r = 0; r < reps && st == YSG_OK; r++) {
    double t0 = bench_now_ms();
    st = ysg__delaunay(xy, n, ij, cap_e, &ne, &fb, tmp, err, sizeof err);
    double t1 = bench_now_ms();
    nm = ysg__mst(xy, n, ij, ne, mst, tmp);
    double t2 = bench_now_ms();
    if (st == YSG_OK)
      st = ysg__voronoi(xy, n, 1920, 1080, vxy, cap_v, &nv, vij, cap_e, &nve, tmp, err, sizeof err);
    double t3 = bench_now_ms();
    t[0][r] = t1 - t0;
    t[1][r] = t2 - t1;
    t[2][r] = t3 - t2;
  }
  double med[3] = {-1, -1, -1};
  if (st == YSG_OK)
    for (int k = 0; k < 3; k++) med[k] = bench_median(t[k], reps);
  if (st == YSG_OK)
    printf("| %d | %d | %.3f | %d | %.3f | %d | %.3f |\n", n, ne, med[0], nm, med[1], nve, med[2]);
  else
    printf("| %d | n/a: %s |\n", n, err);
  snprintf(json, cap,
           "{\"n\":%d,\"delaunay_edges\":%d,\"delaunay_ms\":%.4f,\"mst_edges\":%d,\"mst_ms\":%.4f,"
           "\"voronoi_edges\":%d,\"voronoi_ms\":%.4f}",
           n, ne, med[0], nm, med[1], nve, med[2]);
  for (int k = 0; k < 3; k++) free(t[k]);
  free(tmp);
  free(vxy);
  free(vij);
  free(mst);
  free(ij);
  free(xy);
}

int main(int argc, char **argv) {
  int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  /* FAISS on one thread like the other single-thread columns: its search opens an OpenMP
   * region per 16-query batch, and on a shared 2-core machine those barriers dominated (and
   * varied 20×); the node column sets its own 2 threads. OMP_NUM_THREADS set by the caller wins. */
  setenv("OMP_NUM_THREADS", "1", 0);
  char cpu[256], why[256] = "";
  bench_cpu_model(cpu, sizeof cpu);
  int have_cuda = ysg__cuda_probe(why, sizeof why);
  int cores = bench_cores();
  printf("machine: %s, %d cores; CUDA: %s\n", cpu, cores, have_cuda ? "device present" : why);
  printf(
      "times: median ms per graph (cuda: device time, transfers excluded); ok = edges equal "
      "the grid's\n\n");
  const int sizes[] = {1000, 10000, 100000};
  row rows[6];
  int nr = 0;
  for (int z = 0; z < 3; z++)
    for (int mode = 0; mode < 2; mode++) {
      row *rw = &rows[nr++];
      rw->n = sizes[z];
      rw->radius_mode = mode;
      /* ~10 neighbours a point: π r² · N / (1920 · 1080) = 10 */
      rw->r = mode ? (float)sqrt(10.0 * 1920 * 1080 / (3.141592653589793 * sizes[z])) : 0;
      run_row(rw, quick, have_cuda, why);
    }
  printf("| mode | N | edges |");
  for (int c = 0; c < N_COLS; c++) printf(" %s ms |", col_names[c]);
  printf("\n|---|---|---|");
  for (int c = 0; c < N_COLS; c++) printf("---|");
  printf("\n");
  for (int i = 0; i < nr; i++) {
    const row *rw = &rows[i];
    char mode[32];
    if (rw->radius_mode)
      snprintf(mode, sizeof mode, "radius %.1f", rw->r);
    else
      snprintf(mode, sizeof mode, "knn k=5");
    printf("| %s | %d | %ld |", mode, rw->n, rw->edges);
    for (int c = 0; c < N_COLS; c++) {
      if (rw->ms[c] >= 0)
        printf(" %.3f%s |", rw->ms[c], rw->ok[c] ? "" : " MISMATCH");
      else
        printf(" n/a |");
    }
    printf("\n");
  }
  for (int i = 0; i < nr; i++)
    for (int c = 0; c < N_COLS; c++)
      if (rows[i].ms[c] < 0 && rows[i].note[c][0] && (c != C_CUDA || i == 0))
        printf("note: %s N=%d %s: %s\n", rows[i].radius_mode ? "radius" : "knn", rows[i].n,
               col_names[c], rows[i].note[c]);
  printf("\n{\"bench\":\"graph\",\"machine\":");
  bench_json_str(stdout, cpu);
  printf(",\"cores\":%d,\"cuda\":%s,\"results\":[", cores, have_cuda ? "true" : "false");
  int bad = 0;
  for (int i = 0; i < nr; i++) {
    const row *rw = &rows[i];
    printf("%s{\"mode\":\"%s\",\"n\":%d,\"k\":5,\"radius\":%.3f,\"edges\":%ld", i ? "," : "",
           rw->radius_mode ? "radius" : "knn", rw->n, rw->radius_mode ? rw->r : 0.0, rw->edges);
    for (int c = 0; c < N_COLS; c++) {
      if (rw->ms[c] >= 0)
        printf(",\"%s\":%.4f", col_keys[c], rw->ms[c]);
      else
        printf(",\"%s\":null", col_keys[c]);
      if (rw->ms[c] >= 0 && !rw->ok[c]) bad++;
    }
    printf("}");
  }
  printf("],\"mismatches\":%d}\n", bad);

  printf("\nQhull modes, uniform points on 1920 x 1080 (median ms):\n");
  printf(
      "| N | delaunay edges | delaunay ms | mst edges | mst ms | voronoi edges | voronoi ms |\n");
  printf("|---|---|---|---|---|---|---|\n");
  char js[3][256];
  for (int z = 0; z < 3; z++) geometry_row(sizes[z], z == 2 ? 3 : 9, js[z], sizeof js[z]);
  printf("\n{\"bench\":\"graph_geometry\",\"machine\":");
  bench_json_str(stdout, cpu);
  printf(",\"results\":[%s,%s,%s]}\n", js[0], js[1], js[2]);
  return bad ? 1 : 0;
}
