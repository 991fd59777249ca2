/* Lab 01, race counter: the benchmarks.
 *
 * `counter` has every thread increment one shared counter as fast as it can;
 * the same code is built against each implementation, so broken (unsafe),
 * fixed (mutex), alt-atomic, alt-sharded and student.c are timed alike. The
 * loop runs in batches so the call to counter_inc() is the only thing in it
 * (inlined by link-time optimisation, with a compiler barrier after it). After the loop, thread 0 counts how
 * many increments went missing: the price of "fast" for the unsafe one.
 *
 * In fixed's binary, `raw-mutex-pair` times a bare pthread_mutex_lock/unlock
 * pair, the floor any mutex-based counter stands on.
 *
 *   $ build/labs/01-race-counter/fixed/bench --threads 1,2 --benchmark_min_time=0.1
 *   counter/real_time/threads:1   8.9 ns ... items_per_second=112M/s impl=fixed op=counter pin=compact
 */
#include <pthread.h>

#include "counter.h"
#include "labbench.h"

enum { BATCH = 1000 };

static counter_t *shared;

static void bm_counter(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    /* Thread 0 sets up before the loop's start barrier, so every thread sees
     * the counter; it checks and frees it after the stop barrier. */
    if (gb_thread_index(st) == 0)
        shared = counter_create();
    /* The clobber keeps each increment a separate trip to memory, as calls
     * from a real program are: without it the optimiser would keep the
     * unlocked counter in a register across the batch. */
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            counter_inc(shared);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    if (gb_thread_index(st) == 0) {
        long want = (long)done * gb_thread_count(st);
        gb_counter_set(st, "lost_updates", (double)(want - counter_get(shared)), GB_COUNTER_DEFAULT);
        counter_destroy(shared);
    }
    labbench_thread_end(st, "counter", done);
}

static pthread_mutex_t raw_lock = PTHREAD_MUTEX_INITIALIZER;

static void bm_raw_mutex_pair(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            pthread_mutex_lock(&raw_lock);
            pthread_mutex_unlock(&raw_lock);
        }
    labbench_thread_end(st, "raw-mutex-pair", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "counter", bm_counter, NULL);
    if (lb->reference)
        labbench_register(lb, "raw-mutex-pair", bm_raw_mutex_pair, NULL);
}
