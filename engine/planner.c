/* planner.c — the arena lifetime planner: given buffers with byte sizes and inclusive live step
 * ranges, assign 256-aligned offsets so that buffers alive at the same step never share memory.
 * Greedy best-fit placement, run over several item orders (size, size×duration, start, duration,
 * end, 24 fixed-seed shuffles), then over the same orders again aiming at the lower bound; the
 * smallest arena wins (the first tried on ties). Best fit is quadratic in the item count, so
 * plans of more than EXACT_MAX_ITEMS buffers take one linear-scan pass instead (blocks reused by
 * exact size, O(n log n)). Also the live-bytes lower bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define N_RANDOM_ORDERS 24
#define EXACT_MAX_ITEMS 2048 /* above: linear_scan */

/* sizes are rounded up so every end — and so every best-fit offset — stays a multiple of 256 */
static size_t round_up(size_t bytes) { return (bytes + (YSG_ALIGN - 1)) / YSG_ALIGN * YSG_ALIGN; }
static size_t sat_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
static size_t rounded_sat(size_t bytes) {
  return bytes > SIZE_MAX - (YSG_ALIGN - 1) ? SIZE_MAX : round_up(bytes);
}

static size_t live_sum(const ysg_plan_item *items, int n, int s) {
  size_t sum = 0;
  for (int j = 0; j < n; j++)
    if (items[j].first <= s && s <= items[j].last) sum = sat_add(sum, rounded_sat(items[j].bytes));
  return sum;
}

/* Sizes are rounded up to YSG_ALIGN like the planner does, so arena == bound is reachable. Needs
 * no memory: the maximum is reached at some item's first step, so with fewer steps than items we
 * scan every step, otherwise only the (clamped) first steps. */
size_t ysg__plan_lower_bound(const ysg_plan_item *items, int n, int n_steps) {
  size_t best = 0;
  if (!items || n <= 0 || n_steps <= 0) return 0;
  if (n_steps <= n) {
    for (int s = 0; s < n_steps; s++) {
      size_t sum = live_sum(items, n, s);
      if (sum > best) best = sum;
    }
  } else {
    for (int i = 0; i < n; i++) {
      int s = items[i].first < 0 ? 0 : items[i].first;
      if (s >= n_steps) continue;
      size_t sum = live_sum(items, n, s);
      if (sum > best) best = sum;
    }
  }
  return best;
}

/* ---- orders -------------------------------------------------------------------------------- */

typedef struct key {
  size_t bytes; /* rounded */
  int first, last, idx;
} key;

/* each comparator ends on idx, so qsort (not stable) still yields one deterministic order */
#define CMP_DESC(a, b) \
  if ((a) != (b)) return (a) > (b) ? -1 : 1
#define CMP_ASC(a, b) \
  if ((a) != (b)) return (a) < (b) ? -1 : 1

static int cmp_size(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  CMP_DESC(a->bytes, b->bytes);
  CMP_ASC(a->first, b->first);
  CMP_ASC(a->idx, b->idx);
  return 0;
}

/* bytes × duration as a 128-bit (hi, lo) pair: the product can exceed 64 bits */
static void area128(const key *k, uint64_t *hi, uint64_t *lo) {
  uint64_t a = (uint64_t)k->bytes, d = (uint64_t)(uint32_t)(k->last - k->first + 1);
  uint64_t p0 = (a & 0xffffffffu) * d, p1 = (a >> 32) * d;
  *lo = p0 + (p1 << 32);
  *hi = (p1 >> 32) + (*lo < p0);
}

static int cmp_area(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  uint64_t ahi, alo, bhi, blo;
  area128(a, &ahi, &alo);
  area128(b, &bhi, &blo);
  CMP_DESC(ahi, bhi);
  CMP_DESC(alo, blo);
  return cmp_size(pa, pb);
}

static int cmp_start(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  CMP_ASC(a->first, b->first);
  CMP_DESC(a->bytes, b->bytes);
  CMP_ASC(a->idx, b->idx);
  return 0;
}

static int cmp_duration(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  CMP_DESC(a->last - a->first, b->last - b->first);
  return cmp_size(pa, pb);
}

static int cmp_end(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  CMP_DESC(a->last, b->last);
  CMP_DESC(a->bytes, b->bytes);
  CMP_ASC(a->idx, b->idx);
  return 0;
}

static int (*const sorted_cmp[])(const void *, const void *) = {cmp_size, cmp_area, cmp_start,
                                                                cmp_duration, cmp_end};
#define N_SORTED_ORDERS ((int)(sizeof sorted_cmp / sizeof sorted_cmp[0]))
#define N_ORDERS (N_SORTED_ORDERS + N_RANDOM_ORDERS)
_Static_assert(N_SORTED_ORDERS == 5, "order_names lists five sorted orders");

/* result names by pass: plain best fit, then the same orders with the ceiling (see place_all) */
static const char *const order_names[2][5 + N_RANDOM_ORDERS] = {
    {
        "size",      "size*duration", "start",     "duration",  "end",       "random#1",
        "random#2",  "random#3",      "random#4",  "random#5",  "random#6",  "random#7",
        "random#8",  "random#9",      "random#10", "random#11", "random#12", "random#13",
        "random#14", "random#15",     "random#16", "random#17", "random#18", "random#19",
        "random#20", "random#21",     "random#22", "random#23", "random#24",
    },
    {
        "size+ceiling",      "size*duration+ceiling", "start+ceiling",     "duration+ceiling",
        "end+ceiling",       "random#1+ceiling",      "random#2+ceiling",  "random#3+ceiling",
        "random#4+ceiling",  "random#5+ceiling",      "random#6+ceiling",  "random#7+ceiling",
        "random#8+ceiling",  "random#9+ceiling",      "random#10+ceiling", "random#11+ceiling",
        "random#12+ceiling", "random#13+ceiling",     "random#14+ceiling", "random#15+ceiling",
        "random#16+ceiling", "random#17+ceiling",     "random#18+ceiling", "random#19+ceiling",
        "random#20+ceiling", "random#21+ceiling",     "random#22+ceiling", "random#23+ceiling",
        "random#24+ceiling",
    },
};

/* splitmix64: fixed seeds keep plans identical across runs and platforms */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void shuffle(int *perm, int n, int which) {
  uint64_t state = 0x5953475241504844ull ^ ((uint64_t)(which + 1) * 0xD1B54A32D192ED03ull);
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(splitmix64(&state) % (uint64_t)(i + 1));
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/* ---- placement ----------------------------------------------------------------------------- */

/* a placed item, kept in an array sorted by offset; copied there so the scan is sequential */
typedef struct slot {
  size_t off, end;
  int first, last;
} slot;

typedef struct plan_work {
  const ysg_plan_item *items;
  const size_t *size; /* rounded */
  int n;
  int *perm;      /* the order being tried */
  slot *placed;   /* placed items, ascending offset */
  size_t *off;    /* offsets of the order being tried */
  size_t ceiling; /* 0, or the arena size aimed at (see place_all) */
} plan_work;

/* Greedy best fit in w->perm order: the smallest gap between time-overlapping placed items that
 * fits, lowest on ties, else on top of them. With a ceiling (the lower bound), the top gap ends at
 * the ceiling and an item put there goes flush under it rather than on the items below; so
 * neighbours alternate bottom/top, which is what makes chains (a -> b -> c ...) reach the bound —
 * plain best fit stacks them and misses it about 7% of the time. An item that fits nowhere
 * below the ceiling still goes on top. Returns the arena size, or SIZE_MAX as soon as the arena
 * reaches limit (such an order can no longer win: ties go to the order tried first). */
static size_t place_all(plan_work *w, size_t limit) {
  const ysg_plan_item *it = w->items;
  slot *placed = w->placed;
  int n_placed = 0;
  size_t arena = 0;
  for (int k = 0; k < w->n; k++) {
    int i = w->perm[k];
    size_t s = w->size[i];
    w->off[i] = 0;
    if (s == 0) continue; /* conflicts with nothing */
    int first = it[i].first, last = it[i].last;
    size_t top = 0, best = SIZE_MAX, best_gap = SIZE_MAX;
    /* placed items may overlap each other in memory (when disjoint in time), so gaps are
     * measured from the highest end seen so far, not from the previous item's end */
    for (int j = 0; j < n_placed; j++) {
      const slot *p = &placed[j];
      if (p->last < first || p->first > last) continue;
      if (p->off > top) {
        size_t gap = p->off - top;
        if (gap >= s && gap < best_gap) {
          best_gap = gap;
          best = top;
          if (gap == s) break; /* exact fit: nothing later can be smaller or lower */
        }
      }
      if (p->end > top) top = p->end;
    }
    if (w->ceiling && top <= w->ceiling && w->ceiling - top >= s && w->ceiling - top < best_gap)
      best = w->ceiling - s;
    if (best == SIZE_MAX) best = top;
    w->off[i] = best;
    if (best + s > arena) arena = best + s;
    if (arena >= limit) return SIZE_MAX;
    /* insert after equal offsets: keeps the list order deterministic */
    int lo = 0, hi = n_placed;
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      if (placed[mid].off <= best)
        lo = mid + 1;
      else
        hi = mid;
    }
    memmove(placed + lo + 1, placed + lo, sizeof *placed * (size_t)(n_placed - lo));
    placed[lo] = (slot){best, best + s, first, last};
    n_placed++;
  }
  return arena;
}

static ysg_status validate(ysg_context *ctx, const ysg_plan_item *items, int n, int n_steps) {
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    const ysg_plan_item *it = &items[i];
    if (it->first < 0 || it->first > it->last || it->last >= n_steps)
      return ysg__seterr(ctx, YSG_ERR_INVALID,
                         "planner: item %d has live range [%d, %d], expected 0 <= first <= last "
                         "< %d (the step count)",
                         i, it->first, it->last, n_steps);
    if (it->bytes > SIZE_MAX - (YSG_ALIGN - 1))
      return ysg__seterr(ctx, YSG_ERR_LIMIT, "planner: item %d has size %zu bytes, too large", i,
                         it->bytes);
    size_t s = round_up(it->bytes);
    /* every end is at most the sum of the sizes placed so far; keeping the total below
     * SIZE_MAX rules out overflow anywhere in placement (and SIZE_MAX stays a sentinel) */
    if (s >= SIZE_MAX - total)
      return ysg__seterr(ctx, YSG_ERR_LIMIT,
                         "planner: the total size of %d items overflows the address space", n);
    total += s;
  }
  return YSG_OK;
}

/* Tries every order, plain then with the ceiling, until one reaches the lower bound; the best
 * offsets end up in best_off. */
static void try_orders(plan_work *w, key *keys, size_t *best_off, size_t lower,
                       ysg_plan_result *res) {
  int n = w->n;
  size_t best = SIZE_MAX;
  const char *best_name = order_names[0][0];
  for (int k = 0; k < 2 * N_ORDERS && best != lower; k++) {
    int pass = k / N_ORDERS, o = k % N_ORDERS;
    w->ceiling = pass ? lower : 0;
    if (o < N_SORTED_ORDERS) {
      for (int i = 0; i < n; i++)
        keys[i] = (key){w->size[i], w->items[i].first, w->items[i].last, i};
      qsort(keys, (size_t)n, sizeof *keys, sorted_cmp[o]);
      for (int i = 0; i < n; i++) w->perm[i] = keys[i].idx;
    } else {
      shuffle(w->perm, n, o - N_SORTED_ORDERS);
    }
    size_t arena = place_all(w, best);
    if (arena < best) {
      best = arena;
      best_name = order_names[pass][o];
      memcpy(best_off, w->off, sizeof *best_off * (size_t)n);
    }
  }
  res->arena_bytes = best;
  res->lower_bound = lower;
  res->order = best_name;
}

/* ---- large plans: O(n log n) ------------------------------------------------------------------
 */
typedef struct event {
  int step, add; /* removals (add 0) sort before additions at the same step */
  size_t bytes;
} event;

static int cmp_event(const void *pa, const void *pb) {
  const event *a = pa, *b = pb;
  CMP_ASC(a->step, b->step);
  CMP_ASC(a->add, b->add);
  return 0;
}

/* the lower bound by a sweep over sorted events; items are validated (no clamping, no overflow) */
static ysg_status lower_bound_sweep(ysg_context *ctx, const ysg_plan_item *items,
                                    const size_t *size, int n, size_t *out) {
  event *ev = ysg__alloc(ctx, sizeof *ev * 2 * (size_t)n);
  if (!ev) return YSG_ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    ev[2 * i] = (event){items[i].first, 1, size[i]};
    ev[2 * i + 1] = (event){items[i].last + 1, 0, size[i]};
  }
  qsort(ev, 2 * (size_t)n, sizeof *ev, cmp_event);
  size_t live = 0, best = 0;
  for (int i = 0; i < 2 * n; i++) {
    live = ev[i].add ? live + ev[i].bytes : live - ev[i].bytes;
    if (live > best) best = live;
  }
  ysg__free(ctx, ev);
  *out = best;
  return YSG_OK;
}

/* min-heap of item indices by (last, index): the live items, the one ending first on top */
static int ends_before(const ysg_plan_item *it, int a, int b) {
  return it[a].last != it[b].last ? it[a].last < it[b].last : a < b;
}

static void live_push(const ysg_plan_item *it, int *h, int *n, int v) {
  int i = (*n)++;
  while (i > 0 && ends_before(it, v, h[(i - 1) / 2])) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = v;
}

static int live_pop(const ysg_plan_item *it, int *h, int *n) {
  int top = h[0], v = h[--*n], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && ends_before(it, h[c + 1], h[c])) c++;
    if (!ends_before(it, h[c], v)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = v;
  return top;
}

static int cmp_size_t(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  return a < b ? -1 : a > b;
}

/* Items in start order; a block whose item has ended goes back to a free list of its exact size;
 * an item takes a free block of its size, else new space on top. */
static ysg_status linear_scan(ysg_context *ctx, ysg_plan_item *items, const size_t *size, int n,
                              key *keys, int *order, ysg_plan_result *res) {
  size_t un = (size_t)n, *sizes = ysg__alloc(ctx, sizeof *sizes * un), arena = 0;
  int *head = ysg__alloc(ctx, sizeof *head * un), *next = ysg__alloc(ctx, sizeof *next * un);
  int *live = ysg__alloc(ctx, sizeof *live * un), n_live = 0, n_sizes = 0;
  ysg_status st = sizes && head && next && live ? YSG_OK : YSG_ERR_NOMEM;
  if (!st) {
    memcpy(sizes, size, sizeof *sizes * un);
    qsort(sizes, un, sizeof *sizes, cmp_size_t);
    for (int i = 0; i < n; i++)
      if (!n_sizes || sizes[n_sizes - 1] != sizes[i]) sizes[n_sizes++] = sizes[i];
    for (int i = 0; i < n_sizes; i++) head[i] = -1;
    for (int i = 0; i < n; i++) keys[i] = (key){size[i], items[i].first, items[i].last, i};
    qsort(keys, un, sizeof *keys, cmp_start);
    for (int i = 0; i < n; i++) order[i] = keys[i].idx;
    for (int k = 0; k < n; k++) {
      int i = order[k];
      while (n_live && items[live[0]].last < items[i].first) {
        int j = live_pop(items, live, &n_live);
        int c =
            (int)((size_t *)bsearch(&size[j], sizes, (size_t)n_sizes, sizeof *sizes, cmp_size_t) -
                  sizes);
        next[j] = head[c];
        head[c] = j;
      }
      items[i].offset = 0;
      if (size[i] == 0) continue; /* conflicts with nothing */
      int c = (int)((size_t *)bsearch(&size[i], sizes, (size_t)n_sizes, sizeof *sizes, cmp_size_t) -
                    sizes);
      if (head[c] >= 0) {
        items[i].offset = items[head[c]].offset;
        head[c] = next[head[c]];
      } else {
        items[i].offset = arena;
        arena += size[i];
      }
      live_push(items, live, &n_live, i);
    }
    res->arena_bytes = arena;
    res->order = "linear-scan";
  }
  ysg__free(ctx, sizes);
  ysg__free(ctx, head);
  ysg__free(ctx, next);
  ysg__free(ctx, live);
  return st;
}

ysg_status ysg__plan(ysg_context *ctx, ysg_plan_item *items, int n, int n_steps,
                     ysg_plan_result *out) {
  if (!ctx) return YSG_ERR_INVALID;
  if (!out || n < 0 || (n > 0 && !items))
    return ysg__seterr(ctx, YSG_ERR_INVALID, "planner: expected items, a count >= 0 and a result");
  ysg_status st = validate(ctx, items, n, n_steps);
  if (st != YSG_OK) return st;
  size_t lower = n > EXACT_MAX_ITEMS ? 0 : ysg__plan_lower_bound(items, n, n_steps);
  if (n == 0) {
    *out = (ysg_plan_result){0, lower, order_names[0][0]};
    return YSG_OK;
  }

  size_t un = (size_t)n;
  size_t *size = ysg__alloc(ctx, sizeof *size * un);
  size_t *off = ysg__alloc(ctx, sizeof *off * un);
  size_t *best_off = ysg__alloc(ctx, sizeof *best_off * un);
  int *perm = ysg__alloc(ctx, sizeof *perm * un);
  slot *placed = ysg__alloc(ctx, sizeof *placed * un);
  key *keys = ysg__alloc(ctx, sizeof *keys * un);
  if (size && off && best_off && perm && placed && keys) {
    for (int i = 0; i < n; i++) size[i] = round_up(items[i].bytes);
    if (n > EXACT_MAX_ITEMS) {
      st = lower_bound_sweep(ctx, items, size, n, &out->lower_bound);
      if (!st) st = linear_scan(ctx, items, size, n, keys, perm, out);
    } else {
      plan_work w = {items, size, n, perm, placed, off, 0};
      try_orders(&w, keys, best_off, lower, out);
      for (int i = 0; i < n; i++) items[i].offset = best_off[i];
    }
  } else {
    st = YSG_ERR_NOMEM; /* ysg__alloc set the message */
  }
  ysg__free(ctx, size);
  ysg__free(ctx, off);
  ysg__free(ctx, best_off);
  ysg__free(ctx, perm);
  ysg__free(ctx, placed);
  ysg__free(ctx, keys);
  return st;
}
