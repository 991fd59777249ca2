/* Lab 16, pools: the API of a thread pool with futures (the course's
 * ThreadPoolExecutor) and of a process pool's map (multiprocessing's
 * Pool.map). broken.c, fixed.c, alt-*.c and student.c all include this
 * header, so the compiler checks each of them against one contract.
 *
 * Ownership: the caller owns every future pool_submit() returns and frees
 * it with future_free(), before or after the pool is shut down. A pool is
 * gone once pool_shutdown() returns. */
#ifndef LOCKLAB_POOL_H
#define LOCKLAB_POOL_H

#include <stddef.h>

typedef struct pool pool_t;
typedef struct future future_t;

/* Where a task stands. A task moves PENDING -> RUNNING -> DONE, or
 * PENDING -> CANCELLED (pool_shutdown with wait == 0), and never back. */
typedef enum {
    FUTURE_PENDING,   /* queued: no worker has taken it yet */
    FUTURE_RUNNING,   /* a worker has taken it and is running it */
    FUTURE_DONE,      /* it ran; future_get() returns its value at once */
    FUTURE_CANCELLED, /* it never ran and never will; future_get() returns 0 */
} future_state_t;

/* A pool of `threads` (>= 1) worker threads, all started before it
 * returns. Never returns NULL: when a worker cannot be started, it ends
 * the program with a reason (abort()). */
pool_t *pool_create(int threads);

/* Queue fn(arg) to run on one of the pool's workers, and return its
 * future at once. Tasks start in the order they were submitted. Any number
 * of threads may submit at once, tasks included; nobody may submit once
 * pool_shutdown() has begun. */
future_t *pool_submit(pool_t *p, long (*fn)(void *arg), void *arg);

/* The task's value: waits (sleeping, not spinning) until the task has
 * finished, however long that takes; returns 0 at once for a cancelled
 * task. Any number of threads may wait on one future. */
long future_get(future_t *f);

/* 1 when future_get() would not wait (the task is DONE or CANCELLED), else
 * 0. Never waits. */
int future_done(future_t *f);

/* Where the task stands now. Never waits. */
future_state_t future_state(future_t *f);

/* Free the future. If its task is still queued or running, first waits
 * until it has finished, so a worker never writes into freed memory. */
void future_free(future_t *f);

/* results[i] = fn(args[i]) for i = 0 .. n-1, the calls spread over the
 * pool's workers; returns once every one has finished. */
void pool_map(pool_t *p, long (*fn)(void *arg), void *const *args, long *results, size_t n);

/* Stop the pool, join its workers and free it.
 *   wait == 1: every task queued so far still runs (the queue drains), then
 *              the workers exit. Every future is DONE when this returns.
 *   wait == 0: queued tasks that no worker has taken are CANCELLED at once
 *              (their futures wake with 0) and never run; the tasks already
 *              running finish, and this returns after them.
 * Not from one of the pool's own tasks (a worker cannot join itself). */
void pool_shutdown(pool_t *p, int wait);

/* The process pool: out[i] = fn(in[i]) for i = 0 .. n-1, computed by
 * `procs` (>= 1) forked worker processes, which take indices from a counter
 * in shared memory and send results back over a pipe. Returns 0 once every
 * result is in and every worker has exited, or -1 with errno set (EINVAL
 * for procs < 1 or a NULL array with n > 0; ECHILD when a worker died or a
 * result went missing; what fork/pipe/mmap said when they failed). Like
 * multiprocessing's fork start method, each worker runs fn on its own copy
 * of the caller's memory: whatever fn writes stays in that process. Call it
 * from a process with no other threads: a forked child of a threaded
 * process holds a copy of every lock at the moment of the fork, taken or
 * not. */
int ppool_map(int procs, long (*fn)(long x), const long *in, long *out, size_t n);

#endif
