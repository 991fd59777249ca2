/* Lab 09, barrier: the benchmarks. Every thread meets the others at one
 * shared barrier, round after round, as fast as it can: ns per operation is
 * the cost of one round trip through the barrier (with one thread, the cost
 * of a barrier nobody waits at). The generation barrier (fixed.c) and
 * pthread_barrier_t (alt-pthread.c) are timed alike; broken.c breaks on
 * reuse and hangs, which the harness reports as a run that did not finish.
 *
 * The floor of `round` (impl=floor, floor=pthread_barrier_t): the library's
 * own barrier, timed by the same loop (alt-pthread.c wraps the same
 * primitive behind the lab's API, so the two should sit together).
 *
 *   $ build/labs/09-barrier/fixed/bench --threads 1,2,4
 */
#include <pthread.h>
#include <stdlib.h>

#include "barrier.h"
#include "labbench.h"

enum { BATCH = 16 };

static barrier_t *shared;

static void bm_round(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0)
        shared = barrier_create(gb_thread_count(st));
    barrier_t *b = NULL;
    while (gb_keep_running_batch(st, BATCH)) {
        if (b == NULL) /* read after the start barrier, once thread 0 has made it */
            b = shared;
        for (int i = 0; i < BATCH; i++)
            barrier_wait(b);
    }
    if (gb_thread_index(st) == 0)
        barrier_destroy(shared); /* every thread has left its last round: GB's stop barrier */
    labbench_thread_end(st, "round", gb_iterations_done(st));
}

static pthread_barrier_t floor_barrier;

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0 &&
        pthread_barrier_init(&floor_barrier, NULL, (unsigned)gb_thread_count(st)) != 0)
        abort();
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++)
            pthread_barrier_wait(&floor_barrier);
    if (gb_thread_index(st) == 0)
        pthread_barrier_destroy(&floor_barrier); /* every thread has left its last round */
    labbench_thread_end(st, "round", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "round", bm_round, NULL);
    labbench_register_floor(lb, "round-floor", "pthread_barrier_t", bm_floor, NULL);
}
