/* pool.c — the worker threads of a context (pool.h). A job is published under the mutex with a
 * new generation number; a worker joins it under the mutex while it is open, copies it, and
 * takes chunks from an atomic counter; the caller takes chunks too, then closes the job and
 * waits only for the workers that joined. Waits spin briefly (a burst of short parallel loops
 * keeps the workers awake) and then sleep on a condition variable. */
#include "pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* pauses before sleeping: tens of microseconds, where GOMP spins for milliseconds */
#define SPINS 2000

typedef struct worker {
  ysg_pool *p;
  int index;
} worker;

struct ysg_pool {
  int n; /* workers started */
  pthread_t *threads;
  worker *args;
  pthread_mutex_t mu;
  pthread_cond_t wake; /* workers: a new job, or quit */
  pthread_cond_t idle; /* the caller: the last joined worker left */
  atomic_int busy;     /* a caller owns the pool */
  atomic_uint gen;     /* job number, moved under mu */
  atomic_int next;     /* the job's next chunk */
  atomic_int joined;   /* workers inside the job */
  /* the job: written under mu before gen moves, read under mu by workers joining */
  ysg_pool_fn fn;
  void *ud;
  int count, grain, chunks;
  int open;        /* workers may still join */
  atomic_int quit; /* set under mu */
};

static void take_chunks(ysg_pool *p, ysg_pool_fn fn, void *ud, int count, int grain, int chunks,
                        int index) {
  for (;;) {
    int c = atomic_fetch_add(&p->next, 1);
    if (c >= chunks) return;
    int64_t b = (int64_t)c * grain, e = b + grain < count ? b + grain : count;
    fn(ud, index, (int)b, (int)e);
  }
}

static void *worker_main(void *arg) {
  const worker *w = arg;
  ysg_pool *p = w->p;
  unsigned seen = 0;
  for (;;) {
    for (int i = 0; i < SPINS && atomic_load(&p->gen) == seen && !atomic_load(&p->quit); i++)
      CPU_RELAX();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
      pthread_cond_wait(&p->wake, &p->mu);
    if (atomic_load(&p->quit)) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    seen = atomic_load(&p->gen);
    if (!p->open) { /* the caller already finished it */
      pthread_mutex_unlock(&p->mu);
      continue;
    }
    atomic_fetch_add(&p->joined, 1);
    ysg_pool_fn fn = p->fn;
    void *ud = p->ud;
    int count = p->count, grain = p->grain, chunks = p->chunks;
    pthread_mutex_unlock(&p->mu);
    take_chunks(p, fn, ud, count, grain, chunks, w->index);
    pthread_mutex_lock(&p->mu);
    if (atomic_fetch_sub(&p->joined, 1) == 1 && !p->open) pthread_cond_signal(&p->idle);
    pthread_mutex_unlock(&p->mu);
  }
}

ysg_pool *ysg__pool_create(int threads) {
  if (threads < 2) return NULL;
  ysg_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->threads = calloc((size_t)threads - 1, sizeof *p->threads);
  p->args = calloc((size_t)threads - 1, sizeof *p->args);
  if (!p->threads || !p->args || pthread_mutex_init(&p->mu, NULL)) goto fail;
  if (pthread_cond_init(&p->wake, NULL)) goto fail_mu;
  if (pthread_cond_init(&p->idle, NULL)) goto fail_wake;
  atomic_init(&p->busy, 0);
  atomic_init(&p->gen, 0);
  atomic_init(&p->next, 0);
  atomic_init(&p->joined, 0);
  atomic_init(&p->quit, 0);
  /* workers take no signals: the host's (and the CLI's) handlers run on its own threads */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  for (int i = 0; i < threads - 1; i++) {
    p->args[i] = (worker){p, i + 1};
    if (pthread_create(&p->threads[i], NULL, worker_main, &p->args[i])) break;
    p->n++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (p->n > 0) return p;
  pthread_cond_destroy(&p->idle);
fail_wake:
  pthread_cond_destroy(&p->wake);
fail_mu:
  pthread_mutex_destroy(&p->mu);
fail:
  free(p->threads);
  free(p->args);
  free(p);
  return NULL;
}

void ysg__pool_destroy(ysg_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->quit, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
  pthread_cond_destroy(&p->idle);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->mu);
  free(p->threads);
  free(p->args);
  free(p);
}

int ysg__pool_run(ysg_pool *p, int count, int grain, ysg_pool_fn fn, void *ud) {
  int expected = 0;
  if (!p || count <= 0 || !atomic_compare_exchange_strong(&p->busy, &expected, 1)) return 0;
  if (grain < 1) grain = 1;
  int chunks = (int)(((int64_t)count + grain - 1) / grain);
  pthread_mutex_lock(&p->mu);
  p->fn = fn, p->ud = ud, p->count = count, p->grain = grain, p->chunks = chunks;
  atomic_store(&p->next, 0);
  p->open = 1;
  atomic_fetch_add(&p->gen, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  take_chunks(p, fn, ud, count, grain, chunks, 0);
  /* every chunk is taken: close the job, then wait for the workers inside it */
  pthread_mutex_lock(&p->mu);
  p->open = 0;
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < SPINS && atomic_load(&p->joined) > 0; i++) CPU_RELAX();
  if (atomic_load(&p->joined) > 0) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->joined) > 0) pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
  atomic_store(&p->busy, 0);
  return 1;
}
