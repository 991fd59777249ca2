/* The right shape with the wrong memory order: an atomic pointer, built
 * first and published after, a second check under the lock, but the
 * publishing store and the fast path's load are relaxed. Relaxed orders
 * nothing else: a thread on the fast path may read the new pointer and
 * still see the fields as they were before the build (the compiler may
 * also move the field writes after the store). x86 hides it; ARM and the
 * C11 model do not. Demonstration: in the race-free check, readers on the
 * fast path read the fields with no happens-before edge to the builder's
 * writes, and ThreadSanitizer reports the race every round. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;
static _Atomic(config_t *) instance;

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed);
    if (c != NULL)
        return c;
    lab_mutex_lock(&lock);
    c = atomic_load_explicit(&instance, memory_order_relaxed);
    if (c == NULL) {
        atomic_fetch_add(&builds, 1);
        c = lab_calloc(1, sizeof *c);
        config_fill(c);
        atomic_store_explicit(&instance, c, memory_order_relaxed);
    }
    lab_mutex_unlock(&lock);
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
