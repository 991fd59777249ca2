/* Wrong: the build count is a plain `long`, bumped under the lock
 * ("it only changes under the mutex") and read by config_builds() with no
 * lock and no atomic. The config pointer is done right (release/acquire),
 * and a thread that has its config reads the count ordered after the bump
 * (through the acquire that gave it the config, or the mutex). But
 * config_builds() may be called by any thread at any time ("How many times
 * a configuration has been built since the program started"): a thread
 * that asks while another is building (a monitor, a health check, a test
 * polling for the first build) reads `builds` while the builder writes it:
 * a data race, undefined behaviour in C11 (the compiler may keep the value
 * in a register, tear it, or read it once for a whole loop: a poll
 * `while (config_builds() == 0)` may never end). README: "The unlocked
 * read is a data race, undefined behaviour whatever it happens to do on one
 * machine." The grader's ThreadSanitizer check has a watcher thread ask
 * config_builds() through every round, while the first config_get() builds:
 * the read races with the build's write, reported every run. */
/* Lab 13, once-init: the reference fix, double-checked locking done right.
 *
 * The same shape as broken.c, with two changes. The object is built in a
 * local variable and published only once it is complete. And the pointer
 * is atomic: the builder publishes it with a release store, which makes
 * every write before it (the whole build) visible to any thread whose
 * acquire load reads the new pointer. So a thread on the fast path sees
 * either NULL (and takes the lock) or a fully built object, never anything
 * in between. On x86 both orderings are plain moves: the fast path costs
 * what broken.c's does. Under the lock the second look can be relaxed:
 * the mutex already orders it after the build of whoever held it before. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long builds; /* under the lock */

static _Atomic(config_t *) instance;

/* The slow path, kept out of line so that the fast path every call pays
 * stays a load and a test. */
static __attribute__((noinline)) config_t *config_create(void) {
    lab_mutex_lock(&lock);
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed); /* second check */
    if (c == NULL) {
        builds++;
        c = lab_calloc(1, sizeof *c);
        config_fill(c);                                            /* built... */
        atomic_store_explicit(&instance, c, memory_order_release); /* ...then published */
    }
    lab_mutex_unlock(&lock);
    return c;
}

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire); /* first check */
    if (c == NULL)
        return config_create();
    return c;
}

long config_builds(void) { return builds; }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    builds = 0;
}
