/* Check-then-create with no lock at all, the other classic: an atomic
 * pointer published with release after a complete build, so every object
 * handed out is whole, but two threads that both see NULL both build.
 * Demonstration: in the builds-once check eight threads arrive together
 * at the first call while the build pauses; several build, the later
 * store wins, and the driver counts more than one config_fill(). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static atomic_long builds;
static _Atomic(config_t *) instance;

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire);
    if (c == NULL) {
        atomic_fetch_add(&builds, 1);
        c = lab_calloc(1, sizeof *c);
        config_fill(c);
        atomic_store_explicit(&instance, c, memory_order_release);
    }
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
