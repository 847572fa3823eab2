/* trail.c — the `trail` node: each track id's positions over the last `length` frames as one
 * polyline (a `curves` value, sample j = frame f - length + 1 + j, so a sample's age is
 * length - 1 - j frames), for `line` to draw with `taper`/`taper_opacity`. History is a ring of
 * the last `length` frames' points, each kept sorted by id. Inputs that can be read at any frame
 * (ysg_node_input_seekable: CSV points, tracks, scatter) fill missing frames by seeking, so frame
 * f is the same whether or not earlier frames ran; other inputs (points_in) keep what the frames
 * that ran saw. Frames without an id are gaps: bridged linearly up to `max_gap` frames, else
 * left non-finite, which breaks the polyline. */
#include <math.h>
#include <string.h>

#include "ysgraph/node.h"

enum { P_LENGTH, P_MAX_GAP, P_CAPACITY, N_PARAMS };

#define MAX_ENTRIES ((int64_t)1 << 27) /* length × points capacity the history may hold */

typedef struct trail_state {
  int L;        /* frames of history (samples per trail) */
  int cap_pts;  /* points capacity of the input */
  int cap;      /* trails a frame may hold */
  int hist;     /* persistent scratch: the ring's positions and ids */
  int work;     /* per-frame scratch */
  int32_t *tag; /* (L) frame + 1 each ring slot holds; 0: none */
  int32_t *n;   /* (L) points in each slot */
  unsigned stamp;
  int warned_dup;
} trail_state;

/* per-frame scratch layout */
typedef struct trail_work {
  float *xy;        /* (cap_pts, 2) a seeked frame */
  int32_t *id;      /* (cap_pts) */
  int64_t *keys;    /* (cap_pts) (id, index) sort keys */
  int32_t *u0, *u1; /* (cap) union of ids (ping-pong) */
  uint8_t *keep;    /* (cap) */
  int32_t *cur;     /* (cap_pts) this frame's point index per slot entry */
} trail_work;

static size_t al64(size_t x) { return (x + 63) / 64 * 64; }

static size_t work_bytes(const trail_state *st) {
  size_t p = (size_t)st->cap_pts, c = (size_t)st->cap;
  return al64(p * 8) + al64(p * 4) + al64(p * 8) + 2 * al64(c * 4) + al64(c) + al64(p * 4);
}

static trail_work work_bind(const trail_state *st, unsigned char *m) {
  size_t p = (size_t)st->cap_pts, c = (size_t)st->cap;
  trail_work w;
  w.xy = (float *)m;
  m += al64(p * 8);
  w.id = (int32_t *)m;
  m += al64(p * 4);
  w.keys = (int64_t *)m;
  m += al64(p * 8);
  w.u0 = (int32_t *)m;
  m += al64(c * 4);
  w.u1 = (int32_t *)m;
  m += al64(c * 4);
  w.keep = m;
  m += al64(c);
  w.cur = (int32_t *)m;
  return w;
}

/* ring slot s: positions (cap_pts, 2) then ids (cap_pts) */
static float *slot_xy(const trail_state *st, unsigned char *hist, int s) {
  return (float *)(hist + (size_t)s * (size_t)st->cap_pts * 12);
}
static int32_t *slot_id(const trail_state *st, unsigned char *hist, int s) {
  return (int32_t *)(hist + (size_t)s * (size_t)st->cap_pts * 12 + (size_t)st->cap_pts * 8);
}

static void trail_destroy(ysg_node *n) {
  trail_state *st = ysg_node_state(n);
  if (!st) return;
  if (st->tag) ysg_node_free(n, st->tag);
  if (st->n) ysg_node_free(n, st->n);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status trail_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  int L = ysg_node_int(n, P_LENGTH), cap_pts = in->capacity > 0 ? in->capacity : 1;
  if ((int64_t)L * cap_pts > MAX_ENTRIES)
    return ysg_node_param_fail(n, P_LENGTH, YSG_ERR_LIMIT,
                               "%d frames of %d points (the input's capacity) is more history "
                               "than the %lld points a trail node keeps",
                               L, cap_pts, (long long)MAX_ENTRIES);
  int64_t cap = ysg_node_int(n, P_CAPACITY);
  if (cap <= 0) cap = 2 * (int64_t)cap_pts;
  if (cap > 10000000) cap = 10000000;
  trail_destroy(n); /* infer may run again when a pipeline is re-planned */
  trail_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->L = L;
  st->cap_pts = cap_pts;
  st->cap = (int)cap;
  st->tag = ysg_node_alloc(n, sizeof(int32_t) * (size_t)L);
  st->n = ysg_node_alloc(n, sizeof(int32_t) * (size_t)L);
  if (!st->tag || !st->n) return YSG_ERR_NOMEM;
  ysg_value *out = ysg_node_output(n, 0);
  out->capacity = st->cap;
  out->samples = L;
  ysg_status s = ysg_node_request_scratch(n, (size_t)L * (size_t)cap_pts * 12, 1, &st->hist);
  return s ? s : ysg_node_request_scratch(n, work_bytes(st), 0, &st->work);
}

/* heapsort of unique keys: no allocation on the frame path */
static void sift(int64_t *a, size_t i, size_t n) {
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) return;
    if (c + 1 < n && a[c + 1] > a[c]) c++;
    if (a[i] >= a[c]) return;
    int64_t t = a[i];
    a[i] = a[c];
    a[c] = t;
    i = c;
  }
}
static void sort_keys(int64_t *a, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift(a, i, n);
  for (size_t e = n; e > 1; e--) {
    int64_t t = a[0];
    a[0] = a[e - 1];
    a[e - 1] = t;
    sift(a, 0, e - 1);
  }
}

/* Store points (count of them, ids) into ring slot s sorted by id, the first of a repeated id
 * kept; cur (optional) gets each kept entry's index in the input. Returns the repeats dropped. */
static int store(trail_state *st, unsigned char *hist, const trail_work *w, int s, const float *xy,
                 const int32_t *id, int count, int32_t *cur) {
  for (int i = 0; i < count; i++)
    w->keys[i] = (int64_t)id[i] * ((int64_t)1 << 32) + (int64_t)i; /* id major, then input order */
  sort_keys(w->keys, (size_t)count);
  float *sx = slot_xy(st, hist, s);
  int32_t *sid = slot_id(st, hist, s);
  int m = 0, dup = 0;
  for (int k = 0; k < count; k++) {
    int64_t key = w->keys[k];
    int32_t i = (int32_t)(key & 0xffffffff), v = (int32_t)(key >> 32);
    if (m > 0 && sid[m - 1] == v) {
      dup++;
      continue;
    }
    sid[m] = v;
    sx[2 * m] = xy[2 * i];
    sx[2 * m + 1] = xy[2 * i + 1];
    if (cur) cur[m] = i;
    m++;
  }
  st->n[s] = m;
  return dup;
}

static ysg_status no_ids(ysg_node *n, int frame) {
  return ysg_node_fail(n, YSG_ERR_DATA,
                       "frame %d: the points carry no ids; a trail follows each id over time",
                       frame);
}

/* Make ring slot k % L hold frame k: seek it when the input allows (and it is not there yet). */
static ysg_status fill_frame(ysg_node *n, trail_state *st, unsigned char *hist, const trail_work *w,
                             int k, int *dup) {
  int s = k % st->L;
  if (st->tag[s] == k + 1) return YSG_OK;
  ysg_value v;
  memset(&v, 0, sizeof v);
  v.type = YSG_POINTS;
  v.capacity = st->cap_pts;
  v.xy = w->xy;
  v.id = w->id;
  ysg_status r = ysg_node_input_at(n, 0, 0, k, &v);
  if (r) return r;
  if (v.count > st->cap_pts || v.count < 0)
    return ysg_node_fail(n, YSG_ERR_LIMIT,
                         "frame %d of the input holds %d points, more than its "
                         "capacity %d",
                         k, v.count, st->cap_pts);
  if (v.count > 0 && !(v.attrs & YSG_ATTR_ID)) return no_ids(n, k);
  *dup += store(st, hist, w, s, v.xy, v.id, v.count, NULL);
  st->tag[s] = k + 1;
  return YSG_OK;
}

/* the ids of slot s merged into the sorted union a (na) -> b; returns the new size, or -1 when
 * it would exceed cap */
static int merge_ids(const int32_t *a, int na, const int32_t *ids, int m, int32_t *b, int cap) {
  int i = 0, j = 0, o = 0;
  while (i < na || j < m) {
    int32_t v;
    if (j >= m || (i < na && a[i] < ids[j]))
      v = a[i++];
    else if (i >= na || ids[j] < a[i])
      v = ids[j++];
    else {
      v = a[i++];
      j++;
    }
    if (o == cap) return -1;
    b[o++] = v;
  }
  return o;
}

typedef struct fill_job {
  const trail_state *st;
  unsigned char *hist;
  const int32_t *ids; /* (U) the trails' ids, ascending */
  int U, f, max_gap;
  const int32_t *slot; /* (L) ring slot of sample j, -1: no data for that frame */
  float *xy;           /* output (cap, L, 2) */
  uint8_t *keep;
} fill_job;

/* sample column j of every trail: a merge walk of the union and the slot's sorted ids */
static void fill_samples(void *ud, int b, int e) {
  const fill_job *j = ud;
  int L = j->st->L;
  for (int col = b; col < e; col++) {
    int s = j->slot[col], m = s >= 0 ? j->st->n[s] : 0, q = 0;
    const int32_t *sid = s >= 0 ? slot_id(j->st, j->hist, s) : NULL;
    const float *sx = s >= 0 ? slot_xy(j->st, j->hist, s) : NULL;
    for (int c = 0; c < j->U; c++) {
      float *o = j->xy + ((size_t)c * (size_t)L + (size_t)col) * 2;
      while (q < m && sid[q] < j->ids[c]) q++;
      if (q < m && sid[q] == j->ids[c]) {
        o[0] = sx[2 * q];
        o[1] = sx[2 * q + 1];
      } else {
        o[0] = o[1] = NAN;
      }
    }
  }
}

/* bridge gaps of at most max_gap samples linearly; keep a trail with two adjacent samples */
static void fix_gaps(void *ud, int b, int e) {
  const fill_job *j = ud;
  int L = j->st->L;
  for (int c = b; c < e; c++) {
    float *p = j->xy + (size_t)c * (size_t)L * 2;
    int last = -1, pairs = 0;
    for (int k = 0; k < L; k++) {
      if (!isfinite(p[2 * k])) continue;
      int gap = last >= 0 ? k - last - 1 : 0;
      if (gap > 0 && gap <= j->max_gap)
        for (int q = last + 1; q < k; q++) {
          float t = (float)(q - last) / (float)(k - last);
          p[2 * q] = p[2 * last] + t * (p[2 * k] - p[2 * last]);
          p[2 * q + 1] = p[2 * last + 1] + t * (p[2 * k + 1] - p[2 * last + 1]);
        }
      pairs += last >= 0 && gap <= j->max_gap;
      last = k;
    }
    j->keep[c] = pairs > 0;
  }
}

static ysg_status trail_run(ysg_node *n, const ysg_frame *frame) {
  trail_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  ysg_value *out = ysg_node_output(n, 0);
  unsigned char *hist = ysg_node_scratch(n, st->hist);
  trail_work w = work_bind(st, ysg_node_scratch(n, st->work));
  int f = frame->index, L = st->L, dup = 0;
  out->count = 0;
  out->attrs = 0;
  if (in->count > 0 && !(in->attrs & YSG_ATTR_ID)) return no_ids(n, f);
  unsigned stamp = ysg_node_input_seekable(n, 0, 0);
  if (stamp != st->stamp) { /* a new parameter set: what was read of the input may differ now */
    memset(st->tag, 0, sizeof(int32_t) * (size_t)L);
    st->stamp = stamp;
  }
  int cur_slot = f % L, count = in->count < st->cap_pts ? in->count : st->cap_pts;
  dup += store(st, hist, &w, cur_slot, in->xy, in->id, count > 0 ? count : 0, w.cur);
  st->tag[cur_slot] = f + 1;
  int32_t slot[1000];
  for (int col = 0; col < L; col++) {
    int k = f - (L - 1) + col, s = k >= 0 ? k % L : -1;
    if (k >= 0 && stamp) {
      ysg_status r = fill_frame(n, st, hist, &w, k, &dup);
      if (r) return r;
    }
    slot[col] = s >= 0 && st->tag[s] == k + 1 ? s : -1;
  }
  if (dup && !st->warned_dup) {
    st->warned_dup = 1;
    ysg_node_log(n, YSG_LOG_WARN,
                 "frame %d: %d points repeat an id of the same frame; the trail follows the "
                 "first of each id, and this is reported once",
                 f, dup);
  }
  /* the trails: every id seen in the window, ascending */
  int U = 0;
  int32_t *ua = w.u0, *ub = w.u1;
  for (int col = 0; col < L; col++) {
    if (slot[col] < 0) continue;
    int m = merge_ids(ua, U, slot_id(st, hist, slot[col]), st->n[slot[col]], ub, st->cap);
    if (m < 0)
      return ysg_node_param_fail(n, P_CAPACITY, YSG_ERR_LIMIT,
                                 "frame %d has more than %d ids in its last %d frames; raise "
                                 "capacity",
                                 f, st->cap, L);
    U = m;
    int32_t *t = ua;
    ua = ub;
    ub = t;
  }
  fill_job j = {st, hist, ua, U, f, ysg_node_int(n, P_MAX_GAP), slot, out->xy, w.keep};
  /* chunks of ~64k samples: a frame of a thousand trails runs on the calling thread */
  ysg_node_parallel_for(n, L, 65536 / (U > 0 ? U : 1) + 1, fill_samples, &j);
  ysg_node_parallel_for(n, U, 65536 / L + 1, fix_gaps, &j);
  /* compact the kept trails; ij = (id, the id's index in this frame's points or -1) */
  const int32_t *cid = slot_id(st, hist, cur_slot);
  int cn = st->n[cur_slot], q = 0, kept = 0;
  for (int c = 0; c < U; c++) {
    while (q < cn && cid[q] < ua[c]) q++;
    if (!w.keep[c]) continue;
    if (kept != c)
      memmove(out->xy + (size_t)kept * (size_t)L * 2, out->xy + (size_t)c * (size_t)L * 2,
              sizeof(float) * 2 * (size_t)L);
    out->ij[2 * kept] = ua[c];
    out->ij[2 * kept + 1] = q < cn && cid[q] == ua[c] ? w.cur[q] : -1;
    kept++;
  }
  out->count = kept;
  return YSG_OK;
}

static const ysg_param_def params[N_PARAMS] = {
    [P_LENGTH] = {"length", YSG_PARAM_INT, "30", 2, 1000, NULL, YSG_PARAM_STATIC,
                  "frames of history: samples per trail, the newest last"},
    [P_MAX_GAP] = {"max_gap", YSG_PARAM_INT, "0", 0, 1000, NULL, 0,
                   "frames an id may be missing and still be bridged by a straight line; longer "
                   "gaps break the trail (0: every gap does)"},
    [P_CAPACITY] = {"capacity", YSG_PARAM_INT, "0", 0, 10000000, NULL, YSG_PARAM_STATIC,
                    "most trails (ids seen in the last `length` frames) a frame may hold; 0: "
                    "twice the points' capacity"},
};
static const ysg_port_def inputs[] = {
    {"points", YSG_POINTS, 0, "points with ids (tracks, a CSV with id and frame, points_in)", NULL,
     0},
};
static const ysg_port_def outputs[] = {
    {"curves", YSG_CURVES, 0,
     "one polyline of `length` samples per id, ascending by id: sample j is frame f - length + "
     "1 + j (non-finite where the id is missing); ij = (id, its point's index this frame or -1)",
     NULL, 0},
};

const ysg_node_type ysg__node_trail = {
    .name = "trail",
    .category = "annotate",
    .doc =
        "Each track id's positions over the last `length` frames as a polyline (`curves`, the "
        "newest sample last: a sample's age in frames is length - 1 - its index), for `line` "
        "to draw — with `taper` and `taper_opacity` the trail thins and fades with age. Inputs "
        "that can be read at any frame (points and tracks from files, scatter) are read at the "
        "past frames themselves, so a frame renders the same whether or not earlier frames ran. "
        "Other inputs (points_in) are remembered: the node keeps the points of the frames that "
        "ran, keyed by frame number — a frame that did not run is a gap, running a frame again "
        "replaces what it saw, and history newer than the frame being run is ignored. Gaps (an "
        "id missing for some frames) are bridged by a straight line up to `max_gap` frames, "
        "longer ones break the trail; an id seen only at isolated frames has no trail. A "
        "repeated id within one frame: the first point counts (reported once).",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = N_PARAMS,
    .flags = YSG_NODE_HOST,
    .infer = trail_infer,
    .run = trail_run,
    .destroy = trail_destroy,
};
