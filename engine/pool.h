/* pool.h — the context's CPU worker threads behind ysg_node_parallel_for: threads − 1 workers
 * (started on first use) and the calling thread share a job's chunks. Idle workers spin only
 * briefly and then sleep, and a caller never waits for a worker that has not joined its job:
 * on a machine whose cores other work also uses, OpenMP's default spinning at every barrier
 * (GOMP's spin count of 300,000) burned as much CPU time as the nodes' own work. */
#ifndef YSG_POOL_H
#define YSG_POOL_H

typedef struct ysg_pool ysg_pool;

/* fn(ud, worker, begin, end): worker is 0 for the caller, 1 … threads − 1 for the workers. */
typedef void (*ysg_pool_fn)(void *ud, int worker, int begin, int end);

/* A pool of threads − 1 workers; NULL when threads < 2 or memory or threads are short (then
 * jobs run on the caller alone). */
ysg_pool *ysg__pool_create(int threads);
void ysg__pool_destroy(ysg_pool *p);

/* Run fn over [0, count) in chunks of grain items on the workers and the caller. Returns 0
 * without running anything when the pool is busy with another caller's job (nested calls, or
 * a second thread): the caller then runs the job itself. */
int ysg__pool_run(ysg_pool *p, int count, int grain, ysg_pool_fn fn, void *ud);

#endif /* YSG_POOL_H */
