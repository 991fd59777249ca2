/* fixed.c, but the build is counted after it is published, outside the lock
 * ("count it once it is really there, and keep the lock short"):
 * config_builds() is bumped after the builder's unlock. Between the
 * release store (or the unlock) and the add, a thread that already has the
 * config asks config_builds() and is told 0. config.h on config_builds():
 * "Exactly 1 after any number of config_get() calls." Demonstration: the
 * builds-once check's stepped build stops the builder after every
 * instruction of its code and lets a caller in a copy of the program call
 * config_get() and then config_builds(): in the copies made after the
 * unlock and before the add, the caller has the config and is told 0
 * ("config_builds() says 0 once config_get() has returned the config,
 * built 1 time(s)"); every racing thread also reads it as soon as it has
 * its config. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;

static _Atomic(config_t *) instance;

/* The slow path, kept out of line so that the fast path every call pays
 * stays a load and a test. */
static __attribute__((noinline)) config_t *config_create(void) {
    int built = 0;
    lab_mutex_lock(&lock);
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed); /* second check */
    if (c == NULL) {
        c = lab_calloc(1, sizeof *c);
        config_fill(c);                                            /* built... */
        atomic_store_explicit(&instance, c, memory_order_release); /* ...then published */
        built = 1;
    }
    lab_mutex_unlock(&lock);
    /* Count the build once it has really happened, outside the lock so the
     * waiters are let in as early as possible. */
    if (built)
        atomic_fetch_add(&builds, 1);
    return c;
}

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire); /* first check */
    if (c == NULL)
        return config_create();
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
