/* Lab 16, pools: the benchmarks of the pool itself. Every benchmark thread
 * submits to one shared pool, which has as many workers as there are
 * benchmark threads, and every task is empty, so what is timed is the pool:
 *   submit-get  submit a task and wait for its future, then free it: one
 *               round trip through the queue and back (two wake-ups when
 *               the workers are asleep)
 *   map         pool_map() 64 tasks at a time: the cost per task when the
 *               queue has work in it
 * The course's own question (a thread pool under the GIL, a free thread
 * pool and a process pool, on CPU-bound and on I/O-bound jobs) is the lab's
 * harness workloads, pool-cpu and pool-io (workload.c), which
 * harness/lab-bench runs in the same run.
 *
 * The floor of both ops (impl=floor, floor=pthread_create_join): the C
 * library has no thread pool; its own way to run a function on another
 * thread and get the result is pthread_create() and pthread_join(), one
 * thread per task (for `map`, 64 started, then 64 joined). That is the cost
 * a pool exists to save, so a pool is expected well under 1x of it.
 *
 *   $ build/labs/16-pools/fixed/bench --threads 1,2,4
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "labbench.h"
#include "pool.h"

enum { BATCH = 16, MAP = 64 };

static pool_t *shared;
static cpu_set_t all_cpus; /* the process's CPUs, before any pinning */
static int have_all_cpus;

static long nop_task(void *arg) { return (long)(intptr_t)arg; }

/* Thread 0 starts the pool before the timing loop (the others first see it
 * inside the loop, after the start barrier). A thread's CPU mask is
 * inherited by the threads it starts, so the pool is started from an
 * unpinned thread: otherwise all its workers would share thread 0's CPU. */
static void pool_begin(gb_state_t *st) {
    if (gb_thread_index(st) == 0) {
        if (have_all_cpus && sched_setaffinity(0, sizeof all_cpus, &all_cpus) != 0)
            perror("bench: sched_setaffinity");
        shared = pool_create(gb_thread_count(st));
    }
    labbench_thread_begin(st);
}

/* After the loop every thread is past the end barrier and every future has
 * been freed, so the queue is empty when thread 0 shuts the pool down. */
static void pool_end(gb_state_t *st) {
    if (gb_thread_index(st) == 0)
        pool_shutdown(shared, 1);
}

static void bm_submit_get(gb_state_t *st, void *arg) {
    (void)arg;
    pool_begin(st);
    long sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            future_t *f = pool_submit(shared, nop_task, (void *)(intptr_t)i);
            sink += future_get(f);
            future_free(f);
        }
    GB_DO_NOT_OPTIMIZE(sink);
    int64_t done = gb_iterations_done(st);
    pool_end(st);
    labbench_thread_end(st, "submit-get", done);
}

static void bm_map(gb_state_t *st, void *arg) {
    (void)arg;
    pool_begin(st);
    void *args[MAP];
    long results[MAP], sink = 0;
    for (int i = 0; i < MAP; i++)
        args[i] = (void *)(intptr_t)i;
    while (gb_keep_running_batch(st, MAP)) {
        pool_map(shared, nop_task, args, results, MAP);
        sink += results[MAP - 1];
    }
    GB_DO_NOT_OPTIMIZE(sink);
    int64_t done = gb_iterations_done(st);
    pool_end(st);
    labbench_thread_end(st, "map", done);
}

static void *nop_thread(void *arg) { return arg; }

static void bm_floor_submit_get(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    long sink = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            pthread_t t;
            void *r = NULL;
            if (pthread_create(&t, NULL, nop_thread, (void *)(intptr_t)i) != 0 || pthread_join(t, &r) != 0)
                abort();
            sink += (long)(intptr_t)r;
        }
    GB_DO_NOT_OPTIMIZE(sink);
    labbench_thread_end(st, "submit-get", gb_iterations_done(st));
}

static void bm_floor_map(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    long sink = 0;
    pthread_t t[MAP];
    while (gb_keep_running_batch(st, MAP)) {
        for (int i = 0; i < MAP; i++)
            if (pthread_create(&t[i], NULL, nop_thread, (void *)(intptr_t)i) != 0)
                abort();
        for (int i = 0; i < MAP; i++) {
            void *r = NULL;
            if (pthread_join(t[i], &r) != 0)
                abort();
            sink += (long)(intptr_t)r;
        }
    }
    GB_DO_NOT_OPTIMIZE(sink);
    labbench_thread_end(st, "map", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    have_all_cpus = sched_getaffinity(0, sizeof all_cpus, &all_cpus) == 0;
    labbench_register(lb, "submit-get", bm_submit_get, NULL);
    labbench_register(lb, "map", bm_map, NULL);
    labbench_register_floor(lb, "submit-get-floor", "pthread_create_join", bm_floor_submit_get, NULL);
    labbench_register_floor(lb, "map-floor", "pthread_create_join", bm_floor_map, NULL);
}
