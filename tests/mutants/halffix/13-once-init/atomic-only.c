/* Half-fix of broken.c's second mistake only: the pointer is atomic, stored
 * with release and loaded with acquire, but it is still published before
 * the object is built (calloc, store, then fill). The ordering is right
 * and useless: what is released is an empty object. Demonstration: the
 * fully-built check's threads that arrive while the builder is inside
 * config_fill() take the fast path and find version or name still zero. */
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
        atomic_store_explicit(&instance, c, memory_order_release);
        config_fill(c);
    }
    lab_mutex_unlock(&lock);
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
