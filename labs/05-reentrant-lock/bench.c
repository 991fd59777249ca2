/* Lab 05, reentrant lock: the benchmarks. `lock` has every thread acquire
 * and release one shared lock at depth 1 (1 thread: uncontended; more:
 * contended); `nested` acquires twice and releases twice, the case a
 * reentrant lock exists for. broken.c is a plain mutex, so `lock` times
 * exactly what reentrancy costs on top of one; it cannot nest (its owner
 * would wait for itself), so `nested` is not registered for it. In fixed's
 * binary, `raw-mutex` times a bare pthread_mutex_lock/unlock pair, and the
 * floors of `lock` and `nested` (impl=floor) the library's recursive mutex.
 *
 *   $ build/labs/05-reentrant-lock/fixed/bench --threads 1,2
 */
#include <pthread.h>
#include <stdlib.h>
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

/* The floors: the C library's own reentrant lock, a PTHREAD_MUTEX_RECURSIVE
 * mutex, timed by the same loop at depth 1 (`lock`) and 2 (`nested`). */
static pthread_mutex_t recursive;

static void bm_recursive(gb_state_t *st, int depth, const char *op) {
    labbench_thread_begin(st);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            for (int d = 0; d < depth; d++)
                pthread_mutex_lock(&recursive);
            GB_CLOBBER_MEMORY();
            for (int d = 0; d < depth; d++)
                pthread_mutex_unlock(&recursive);
        }
    labbench_thread_end(st, op, gb_iterations_done(st));
}

static void bm_floor1(gb_state_t *st, void *arg) {
    (void)arg;
    bm_recursive(st, 1, "lock");
}

static void bm_floor2(gb_state_t *st, void *arg) {
    (void)arg;
    bm_recursive(st, 2, "nested");
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "lock", bm_depth1, NULL);
    if (strcmp(lb->impl, "broken") != 0)
        labbench_register(lb, "nested", bm_depth2, NULL);
    if (lb->reference)
        labbench_register(lb, "raw-mutex", bm_raw, NULL);
    if (lb->floors) {
        pthread_mutexattr_t a;
        if (pthread_mutexattr_init(&a) || pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
            pthread_mutex_init(&recursive, &a) || pthread_mutexattr_destroy(&a))
            abort();
        labbench_register_floor(lb, "lock-floor", "pthread_mutex_recursive", bm_floor1, NULL);
        labbench_register_floor(lb, "nested-floor", "pthread_mutex_recursive", bm_floor2, NULL);
    }
}
