/* Lab 01, race counter: the benchmarks.
 *
 * `counter` has every thread increment one shared counter as fast as it can;
 * the same code is built against each implementation, so broken (unsafe),
 * fixed (mutex), alt-atomic, alt-sharded and student.c are timed alike. The
 * loop runs in batches so the call to counter_inc() is the only thing in it
 * (inlined by link-time optimisation, with a compiler barrier after it). After the loop, thread 0 counts how
 * many increments went missing: the price of "fast" for the unsafe one.
 *
 * In fixed's binary, the floor of `counter` (impl=floor, floor=pthread_mutex)
 * times a bare pthread_mutex_lock/unlock pair around ++: the cost any
 * mutex-based counter stands on; the table gives each design's ratio to it.
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

/* The floor of `counter`: the same loop around the C library's own way to
 * make ++ safe in a mutex-based counter, a pthread mutex locked and unlocked
 * around a plain increment. (An atomic fetch_add is alt-atomic's design, a
 * different lesson: the table shows it beside this floor.) */
static struct {
    pthread_mutex_t lock;
    long n;
} floor_counter = {PTHREAD_MUTEX_INITIALIZER, 0};

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0)
        floor_counter.n = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            pthread_mutex_lock(&floor_counter.lock);
            floor_counter.n++;
            pthread_mutex_unlock(&floor_counter.lock);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    if (gb_thread_index(st) == 0) /* the floor is counted like the rest */
        gb_counter_set(st, "lost_updates", (double)(done * gb_thread_count(st) - floor_counter.n),
                       GB_COUNTER_DEFAULT);
    labbench_thread_end(st, "counter", done);
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "counter", bm_counter, NULL);
    labbench_register_floor(lb, "counter-floor", "pthread_mutex", bm_floor, NULL);
}
