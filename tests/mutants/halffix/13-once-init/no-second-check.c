/* The lock is taken on the slow path, but the pointer is not looked at
 * again under it: every thread that saw NULL before the first build was
 * published waits its turn and then builds again, replacing (and leaking)
 * the object the others may already hold. Demonstration: in the
 * builds-once check threads queue on the lock during the slow build; each
 * builds in turn, the driver counts several config_fill() calls, and
 * threads hold different objects. */
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
    atomic_fetch_add(&builds, 1);
    c = lab_calloc(1, sizeof *c);
    config_fill(c);
    atomic_store_explicit(&instance, c, memory_order_release);
    lab_mutex_unlock(&lock);
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
