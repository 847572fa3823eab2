/* writer.c — the background writer: sinks (png, video) fill one of their ring slots on the render
 * thread and queue an encode job; one writer thread runs jobs in order, so rendering the next frame
 * overlaps encoding this one. The thread starts with the first job; errors surface at the next
 * write_begin or flush, on the caller's thread. No allocation after creation. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define QUEUE_CAP 64

typedef struct job {
  ysg_write_fn fn;
  void *ud;
  ysg_node *node;
  int slot;
} job;

struct ysg_writer {
  ysg_context *ctx;
  pthread_mutex_t mu;
  pthread_cond_t cv_work; /* queue non-empty or stopping */
  pthread_cond_t cv_done; /* a job finished (slot freed, queue shrank) */
  job queue[QUEUE_CAP];
  int head, count;
  int running_job; /* a job is being executed */
  int started, stop;
  pthread_t thread;
  ysg_status err;
  char errmsg[YSG_ERRMSG_CAP];
};

static void *writer_main(void *arg) {
  ysg_writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->count == 0 && !w->stop) pthread_cond_wait(&w->cv_work, &w->mu);
    if (w->count == 0 && w->stop) break;
    job j = w->queue[w->head];
    w->head = (w->head + 1) % QUEUE_CAP;
    w->count--;
    w->running_job = 1;
    pthread_mutex_unlock(&w->mu);
    char err[YSG_ERRMSG_CAP];
    err[0] = 0;
    ysg_status s = j.fn(j.ud, j.slot, err, sizeof err);
    pthread_mutex_lock(&w->mu);
    if (s != YSG_OK && w->err == YSG_OK) {
      w->err = s;
      snprintf(w->errmsg, sizeof w->errmsg, "%s:%d: node '%s' (%s): %s", j.node->file, j.node->line,
               j.node->name, j.node->type->name, err[0] ? err : ysg_status_string(s));
    }
    j.node->slot_busy[j.slot] = 0;
    w->running_job = 0;
    pthread_cond_broadcast(&w->cv_done);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

ysg_status ysg__writer_create(ysg_context *ctx, ysg_writer **out) {
  ysg_writer *w = ysg__alloc(ctx, sizeof *w);
  if (!w) return YSG_ERR_NOMEM;
  w->ctx = ctx;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv_work, NULL);
  pthread_cond_init(&w->cv_done, NULL);
  *out = w;
  return YSG_OK;
}

/* called with the lock held: move a pending error to the context */
static ysg_status take_error(ysg_writer *w) {
  if (w->err == YSG_OK) return YSG_OK;
  ysg_status s = ysg__seterr(w->ctx, w->err, "%s", w->errmsg);
  w->err = YSG_OK;
  return s;
}

ysg_status ysg__writer_flush(ysg_writer *w) {
  if (!w) return YSG_OK;
  pthread_mutex_lock(&w->mu);
  while (w->count > 0 || w->running_job) pthread_cond_wait(&w->cv_done, &w->mu);
  ysg_status s = take_error(w);
  pthread_mutex_unlock(&w->mu);
  return s;
}

void ysg__writer_destroy(ysg_writer *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_broadcast(&w->cv_work);
  int started = w->started;
  pthread_mutex_unlock(&w->mu);
  if (started) pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv_work);
  pthread_cond_destroy(&w->cv_done);
  ysg__free(w->ctx, w);
}

ysg_status ysg__writer_begin(ysg_writer *w, ysg_node *n, int nslots, int *slot) {
  if (nslots < 1 || nslots > YSG_MAX_SLOTS)
    return ysg_node_fail(n, YSG_ERR_INVALID, "a sink may use 1..%d writer slots, asked for %d",
                         YSG_MAX_SLOTS, nslots);
  pthread_mutex_lock(&w->mu);
  n->n_slots = nslots;
  int pick = -1;
  for (;;) {
    ysg_status s = take_error(w);
    if (s) {
      pthread_mutex_unlock(&w->mu);
      return s;
    }
    for (int i = 0; i < nslots; i++)
      if (!n->slot_busy[i]) {
        pick = i;
        break;
      }
    if (pick >= 0) break;
    pthread_cond_wait(&w->cv_done, &w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  *slot = pick;
  return YSG_OK;
}

ysg_status ysg__writer_submit(ysg_writer *w, ysg_node *n, int slot, ysg_write_fn fn, void *ud) {
  if (slot < 0 || slot >= n->n_slots)
    return ysg_node_fail(n, YSG_ERR_INVALID, "writer slot %d was not handed out by write_begin",
                         slot);
  pthread_mutex_lock(&w->mu);
  if (!w->started) {
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
      pthread_mutex_unlock(&w->mu);
      return ysg_node_fail(n, YSG_ERR_RUNTIME, "cannot start the writer thread");
    }
    w->started = 1;
  }
  while (w->count == QUEUE_CAP) pthread_cond_wait(&w->cv_done, &w->mu);
  job *j = &w->queue[(w->head + w->count) % QUEUE_CAP];
  j->fn = fn;
  j->ud = ud;
  j->node = n;
  j->slot = slot;
  n->slot_busy[slot] = 1;
  w->count++;
  pthread_cond_signal(&w->cv_work);
  pthread_mutex_unlock(&w->mu);
  return YSG_OK;
}
