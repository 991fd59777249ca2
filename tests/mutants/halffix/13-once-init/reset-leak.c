/* fixed.c's config_get(), with a reset that forgets the object without
 * freeing it ("it is only for tests"). The header promises the reset frees
 * it; a test suite that resets a singleton between cases then leaks one
 * config per case. Demonstration: the builds-once check counts the
 * implementation's live allocations after every reset, and they grow by
 * one a round. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;
static _Atomic(config_t *) instance;

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire);
    if (c != NULL)
        return c;
    lab_mutex_lock(&lock);
    c = atomic_load_explicit(&instance, memory_order_relaxed);
    if (c == NULL) {
        atomic_fetch_add(&builds, 1);
        c = lab_calloc(1, sizeof *c);
        config_fill(c);
        atomic_store_explicit(&instance, c, memory_order_release);
    }
    lab_mutex_unlock(&lock);
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    atomic_store(&instance, NULL);
    atomic_store(&builds, 0);
}
