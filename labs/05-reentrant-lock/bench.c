/* Lab 05, reentrant lock: the benchmarks. `lock` has every thread acquire
 * and release one shared lock at depth 1 (1 thread: uncontended; more:
 * contended); `nested` acquires twice and releases twice, the case a
 * reentrant lock exists for. broken.c is a plain mutex, so `lock` times
 * exactly what reentrancy costs on top of one; it cannot nest (its owner
 * would wait for itself), so `nested` is not registered for it. In fixed's
 * binary, `raw-mutex` times a bare pthread_mutex_lock/unlock pair.
 *
 *   $ build/labs/05-reentrant-lock/fixed/bench --threads 1,2
 */
#include <pthread.h>
#include <string.h>

#include "labbench.h"
#include "rlock.h"

enum { BATCH = 256 };

static rlock_t *shared;

static void bm_lock(gb_state_t *st, int depth, const char *op) {
    labbench_thread_begin(st);
    if (gb_thread_index(st) == 0)
        shared = rlock_create();
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            for (int d = 0; d < depth; d++)
                rlock_acquire(shared);
            GB_CLOBBER_MEMORY();
            for (int d = 0; d < depth; d++)
                rlock_release(shared);
        }
    if (gb_thread_index(st) == 0)
        rlock_destroy(shared);
    labbench_thread_end(st, op, gb_iterations_done(st));
}

static void bm_depth1(gb_state_t *st, void *arg) {
    (void)arg;
    bm_lock(st, 1, "lock");
}

static void bm_depth2(gb_state_t *st, void *arg) {
    (void)arg;
    bm_lock(st, 2, "nested");
}

static pthread_mutex_t raw = PTHREAD_MUTEX_INITIALIZER;

static void bm_raw(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            pthread_mutex_lock(&raw);
            GB_CLOBBER_MEMORY();
            pthread_mutex_unlock(&raw);
        }
    labbench_thread_end(st, "raw-mutex", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "lock", bm_depth1, NULL);
    if (strcmp(lb->impl, "broken") != 0)
        labbench_register(lb, "nested", bm_depth2, NULL);
    if (lb->reference)
        labbench_register(lb, "raw-mutex", bm_raw, NULL);
}
