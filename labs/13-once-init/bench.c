/* Lab 13, once-init: the benchmark. `get` is the cost of config_get()
 * once the config exists, the only cost that matters in a program that
 * asks for it all the time: every thread calls it once before timing (the
 * first of those builds it), then calls it in a loop and reads a field of
 * what it got. fixed.c's fast path is one acquire load, alt-once.c's a call
 * into pthread_once(). broken.c's is a plain load and a test for NULL: as
 * fast as fixed.c on x86, and wrong.
 *
 * In fixed's binary, two baselines: `plain-read` times the lower bound, a field
 * read through a global pointer to a ready object with no check at all;
 * `locked-get` the design double-checked locking exists to avoid, a lock
 * and an unlock of one mutex, shared by all threads, around every call.
 * The floor of `get` (impl=floor, floor=pthread_once): the library's own
 * once-init, pthread_once() on a ready once-control, then the same read.
 *
 *   $ build/labs/13-once-init/fixed/bench --threads 1,2
 */
#include <pthread.h>

#include "config.h"
#include "labbench.h"

enum { BATCH = 256 };

/* The compiler barrier makes every call a real one, as separate calls in a
 * program are: without it the optimiser could keep the pointer in a
 * register and time nothing. */
static void bm_get(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    unsigned sum = (unsigned)config_get()->workers;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            sum += (unsigned)config_get()->workers;
            GB_CLOBBER_MEMORY();
        }
    GB_DO_NOT_OPTIMIZE(sum);
    labbench_thread_end(st, "get", gb_iterations_done(st));
}

static config_t ready;
static const config_t *plain;

static void bm_plain(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    unsigned sum = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            sum += (unsigned)plain->workers;
            GB_CLOBBER_MEMORY();
        }
    GB_DO_NOT_OPTIMIZE(sum);
    labbench_thread_end(st, "plain-read", gb_iterations_done(st));
}

/* The simplest correct once-init: the pointer is only ever read and
 * written with the mutex held. */
static pthread_mutex_t locked_lock = PTHREAD_MUTEX_INITIALIZER;
static const config_t *locked_instance;

static const config_t *locked_get(void) {
    lab_mutex_lock(&locked_lock);
    if (locked_instance == NULL)
        locked_instance = &ready; /* filled at registration: the build is not what is timed */
    const config_t *c = locked_instance;
    lab_mutex_unlock(&locked_lock);
    return c;
}

static void bm_locked(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    unsigned sum = 0;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            sum += (unsigned)locked_get()->workers;
            GB_CLOBBER_MEMORY();
        }
    GB_DO_NOT_OPTIMIZE(sum);
    labbench_thread_end(st, "locked-get", gb_iterations_done(st));
}

static pthread_once_t floor_once = PTHREAD_ONCE_INIT;
static const config_t *floor_instance;

static void floor_build(void) { floor_instance = &ready; }

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    pthread_once(&floor_once, floor_build); /* built before timing, as `get` is */
    unsigned sum = (unsigned)floor_instance->workers;
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            pthread_once(&floor_once, floor_build);
            sum += (unsigned)floor_instance->workers;
            GB_CLOBBER_MEMORY();
        }
    GB_DO_NOT_OPTIMIZE(sum);
    labbench_thread_end(st, "get", gb_iterations_done(st));
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "get", bm_get, NULL);
    if (lb->reference) {
        config_fill(&ready); /* before any thread starts */
        plain = &ready;
        labbench_register(lb, "plain-read", bm_plain, NULL);
        labbench_register(lb, "locked-get", bm_locked, NULL);
    }
    if (lb->floors) {
        config_fill(&ready);
        labbench_register_floor(lb, "get-floor", "pthread_once", bm_floor, NULL);
    }
}
