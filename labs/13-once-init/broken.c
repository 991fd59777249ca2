/* Lab 13, once-init: the classic mistake, double-checked locking on a
 * plain pointer.
 *
 * The idea is sound: look at the pointer without the lock (the fast path,
 * taken by every call but the first few), and only if it is NULL take the
 * lock, look again and build. The lock does make the build run once. What
 * breaks is the unlocked look: with a plain pointer nothing orders the
 * builder's stores, so the pointer may become visible before the fields it
 * points to. In C the compiler may store the pointer first and fill the
 * object after (no other thread may look, as far as it is told), and a
 * weakly ordered CPU may make the stores visible in any order; this file
 * writes the stores in that order, publishing the object before building
 * it, so the effect shows on any machine. A thread arriving in that window
 * skips the lock and reads a half-built configuration. The unlocked read
 * is also a data race, which ThreadSanitizer reports. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;

static config_t *instance; /* a plain pointer: the bug */

/* The slow path, kept out of line so that the fast path every call pays
 * stays a load and a test. */
static __attribute__((noinline)) config_t *config_create(void) {
    lab_mutex_lock(&lock);
    if (instance == NULL) { /* second check, under the lock */
        atomic_fetch_add(&builds, 1);
        instance = lab_calloc(1, sizeof *instance); /* published... */
        config_fill(instance);                      /* ...before it is built */
    }
    lab_mutex_unlock(&lock);
    return instance;
}

const config_t *config_get(void) {
    if (instance == NULL) /* first check, no lock */
        return config_create();
    return instance;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(instance);
    instance = NULL;
    atomic_store(&builds, 0);
}
