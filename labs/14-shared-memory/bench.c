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
 * The floor of both ops (impl=floor, floor=pthread_mutex_pshared_robust):
 * the library's own lock for memory shared between processes, a pthread
 * mutex made PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST, in a
 * MAP_SHARED page beside the value, locked around a plain add.
 *
 *   $ build/labs/14-shared-memory/fixed/bench --threads 1,2 --benchmark_min_time=0.1
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

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

typedef struct {
    pthread_mutex_t m;
    long value;
} floor_value_t;

static floor_value_t *floor_values[MAXT];

static floor_value_t *floor_value_create(void) {
    floor_value_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    if (v == MAP_FAILED || pthread_mutexattr_init(&a) || pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) || pthread_mutex_init(&v->m, &a) ||
        pthread_mutexattr_destroy(&a))
        abort();
    v->value = 0;
    return v;
}

static void bm_floor(gb_state_t *st, int shared, const char *op) {
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    if (n > MAXT) {
        gb_skip_with_error(st, "too many threads");
        return;
    }
    if (t == 0)
        for (int i = 0; i < (shared ? 1 : n); i++)
            floor_values[i] = floor_value_create();
    floor_value_t *v = NULL;
    while (gb_keep_running_batch(st, BATCH)) {
        if (v == NULL)
            v = floor_values[shared ? 0 : t];
        for (int i = 0; i < BATCH; i++) {
            if (pthread_mutex_lock(&v->m) == EOWNERDEAD) /* no holder dies here, but a robust lock says so */
                pthread_mutex_consistent(&v->m);
            v->value++;
            pthread_mutex_unlock(&v->m);
            GB_CLOBBER_MEMORY();
        }
    }
    int64_t done = gb_iterations_done(st);
    if (t == 0) {
        long lost = (long)done * n;
        for (int i = 0; i < (shared ? 1 : n); i++) {
            lost -= floor_values[i]->value;
            pthread_mutex_destroy(&floor_values[i]->m);
            munmap(floor_values[i], sizeof *floor_values[i]);
        }
        gb_counter_set(st, "lost_updates", (double)lost, GB_COUNTER_DEFAULT);
    }
    labbench_thread_end(st, op, done);
}

static void bm_floor_one(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 1, "one-value");
}

static void bm_floor_own(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 0, "own-value");
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register_floor(lb, "one-value-floor", "pthread_mutex_pshared_robust", bm_floor_one, NULL);
    labbench_register_floor(lb, "own-value-floor", "pthread_mutex_pshared_robust", bm_floor_own, NULL);
    labbench_register(lb, "one-value", bm_one_value, NULL);
    labbench_register(lb, "own-value", bm_own_value, NULL);
}
