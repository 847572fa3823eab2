/* test_pool.c — the context's CPU worker pool (engine/pool.c) behind ysg_node_parallel_for:
 * every item of a job is visited exactly once for any count and grain, worker indices stay in
 * [0, threads), a job started from inside a job (or while another thread's job runs) is refused
 * (the caller then runs it alone), and many short jobs in a row and repeated create/destroy
 * complete (no lost wake-up, no hang). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "pool.h"

typedef struct visit_job {
  atomic_int *hits;
  atomic_int bad_worker;
  int threads;
  ysg_pool *pool;
  atomic_int nested_refused, nested_ran;
} visit_job;

static void visit(void *ud, int worker, int b, int e) {
  visit_job *j = ud;
  if (worker < 0 || worker >= j->threads) atomic_fetch_add(&j->bad_worker, 1);
  for (int i = b; i < e; i++) atomic_fetch_add(&j->hits[i], 1);
}

Test(pool, every_item_once_for_any_count_and_grain) {
  const int threads = 4;
  ysg_pool *p = ysg__pool_create(threads);
  cr_assert_not_null(p);
  const int counts[] = {1, 2, 3, 7, 64, 1000, 4097};
  const int grains[] = {1, 2, 5, 64, 5000};
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
    for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) {
      int n = counts[c];
      atomic_int *hits = calloc((size_t)n, sizeof *hits);
      visit_job j = {.hits = hits, .threads = threads};
      cr_assert_eq(ysg__pool_run(p, n, grains[g], visit, &j), 1);
      for (int i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&hits[i]), 1, "count %d grain %d: item %d visited %d times", n,
                     grains[g], i, atomic_load(&hits[i]));
      cr_expect_eq(atomic_load(&j.bad_worker), 0);
      free(hits);
    }
  ysg__pool_destroy(p);
}

static void nested(void *ud, int worker, int b, int e) {
  visit_job *j = ud;
  (void)worker;
  /* the pool is busy with this very job: a nested run is refused, never deadlocks */
  if (ysg__pool_run(j->pool, e - b, 1, visit, j))
    atomic_fetch_add(&j->nested_ran, 1);
  else
    atomic_fetch_add(&j->nested_refused, 1);
}

Test(pool, nested_run_is_refused) {
  ysg_pool *p = ysg__pool_create(3);
  cr_assert_not_null(p);
  atomic_int hits[1];
  visit_job j = {.hits = hits, .threads = 3, .pool = p};
  cr_assert_eq(ysg__pool_run(p, 50, 1, nested, &j), 1);
  cr_expect_eq(atomic_load(&j.nested_ran), 0);
  cr_expect_eq(atomic_load(&j.nested_refused), 50);
  ysg__pool_destroy(p);
}

typedef struct racer {
  ysg_pool *p;
  long ran, refused, items;
} racer;

static void count_items(void *ud, int worker, int b, int e) {
  (void)worker;
  atomic_fetch_add((atomic_long *)ud, e - b);
}

static void *race(void *arg) {
  racer *r = arg;
  for (int k = 0; k < 2000; k++) {
    atomic_long items = 0;
    if (ysg__pool_run(r->p, 100, 3, count_items, &items)) {
      r->ran++;
      r->items += atomic_load(&items);
    } else {
      r->refused++;
    }
  }
  return NULL;
}

Test(pool, two_callers_share_it_or_are_refused) {
  ysg_pool *p = ysg__pool_create(2);
  cr_assert_not_null(p);
  racer a = {p, 0, 0, 0}, b = {p, 0, 0, 0};
  pthread_t ta, tb;
  cr_assert_eq(pthread_create(&ta, NULL, race, &a), 0);
  cr_assert_eq(pthread_create(&tb, NULL, race, &b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  cr_expect_eq(a.ran + a.refused, 2000);
  cr_expect_eq(b.ran + b.refused, 2000);
  cr_expect_eq(a.items, a.ran * 100, "every job that ran visited all 100 items");
  cr_expect_eq(b.items, b.ran * 100);
  ysg__pool_destroy(p);
}

Test(pool, short_jobs_in_a_row_and_repeated_lifetimes) {
  for (int life = 0; life < 20; life++) {
    ysg_pool *p = ysg__pool_create(1 + life % 4);
    if (life % 4 == 0) {
      cr_expect_null(p, "one thread needs no pool");
      continue;
    }
    cr_assert_not_null(p);
    for (int k = 0; k < 500; k++) {
      atomic_long items = 0;
      cr_assert_eq(ysg__pool_run(p, 1 + k % 9, 1, count_items, &items), 1);
      cr_assert_eq(atomic_load(&items), 1 + k % 9);
    }
    ysg__pool_destroy(p);
  }
  ysg__pool_destroy(NULL);
  cr_expect_eq(ysg__pool_run(NULL, 10, 1, count_items, NULL), 0);
}
