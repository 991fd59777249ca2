/* Lab 14, shared memory: the benchmarks, with threads (Google Benchmark's
 * own; the processes are in workload.c, under the harness's regimes).
 * `one-value` has every thread add 1 to one shared value as fast as it
 * can: the lock (or the atomic line) bounces between the cores. `own-value`
 * gives each thread a value of its own, each in its own shared page: the
 * price of the process-shared robust lock (or the atomic) when nobody
 * contends for it. The same code is built against every implementation, so
 * broken (no lock), fixed (robust process-shared mutex), alt-atomic and
 * student.c are timed alike. After the loop, thread 0 counts the adds the
 * shared value lost: the price of unlocked speed.
 *
 *   $ build/labs/14-shared-memory/fixed/bench --threads 1,2 --benchmark_min_time=0.1
 */
#include "labbench.h"
#include "shmvalue.h"

enum { BATCH = 1000, MAXT = 256 };

static shm_value_t *values[MAXT];

static void bm_add(gb_state_t *st, int shared, const char *op) {
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    if (n > MAXT) {
        gb_skip_with_error(st, "too many threads");
        return;
    }
    /* Thread 0 makes the values before the loop's start barrier, so every
     * thread finds them there; it checks and frees them after the stop
     * barrier. */
    if (t == 0)
        for (int i = 0; i < (shared ? 1 : n); i++)
            values[i] = shm_value_create(0);
    shm_value_t *v = NULL;
    while (gb_keep_running_batch(st, BATCH)) {
        if (v == NULL)
            v = values[shared ? 0 : t];
        for (int i = 0; i < BATCH; i++) {
            shm_value_add(v, 1);
            GB_CLOBBER_MEMORY(); /* each add a separate trip to memory */
        }
    }
    int64_t done = gb_iterations_done(st);
    if (t == 0) {
        long lost = 0;
        for (int i = 0; i < (shared ? 1 : n); i++) {
            lost -= shm_value_get(values[i]);
            shm_value_destroy(values[i]);
        }
        lost += (long)done * n;
        gb_counter_set(st, "lost_updates", (double)lost, GB_COUNTER_DEFAULT);
    }
    labbench_thread_end(st, op, done);
}

static void bm_one_value(gb_state_t *st, void *arg) {
    (void)arg;
    bm_add(st, 1, "one-value");
}

static void bm_own_value(gb_state_t *st, void *arg) {
    (void)arg;
    bm_add(st, 0, "own-value");
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "one-value", bm_one_value, NULL);
    labbench_register(lb, "own-value", bm_own_value, NULL);
}
