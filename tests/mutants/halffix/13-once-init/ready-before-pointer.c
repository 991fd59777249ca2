/* A separate `ready` flag for the fast path (acquire load), set under the
 * lock with a release store, and the pointer stored after it, relaxed
 * ("the release on ready already orders the build").
 * Wrong because the two stores are in the wrong order: between them a
 * caller on the fast path sees ready == 1 and the pointer still NULL, and
 * config_get() returns NULL, which config.h forbids. The window is one
 * instruction, which racing threads hit in some runs only (builds-once and
 * fully-built varied, 2 of 3). Demonstration: the stepped build of
 * builds-once and fully-built runs the publication one instruction at a
 * time and forks a copy of the program after each, where a new thread
 * calls config_get(): the copy made between the two stores gets NULL,
 * every run. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;
static atomic_int ready;
static _Atomic(config_t *) instance;

const config_t *config_get(void) {
    if (atomic_load_explicit(&ready, memory_order_acquire))
        return atomic_load_explicit(&instance, memory_order_relaxed);
    lab_mutex_lock(&lock);
    if (!atomic_load_explicit(&ready, memory_order_relaxed)) {
        atomic_fetch_add(&builds, 1);
        config_t *c = lab_calloc(1, sizeof *c);
        config_fill(c);
        atomic_store_explicit(&ready, 1, memory_order_release);
        atomic_store_explicit(&instance, c, memory_order_relaxed);
    }
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed);
    lab_mutex_unlock(&lock);
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    atomic_store(&ready, 0);
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
