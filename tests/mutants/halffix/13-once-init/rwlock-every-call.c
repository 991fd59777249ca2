/* A read lock on every call: the fast path takes pthread_rwlock_rdlock(),
 * reads the pointer and unlocks ("readers never block each other, so it
 * costs nothing"); the build takes the write lock.
 * Wrong because the task says: after the first call, no lock. Every call
 * still writes the rwlock's shared word, so readers take turns as with
 * one mutex (the bench's locked-get). It is otherwise correct: one build,
 * a complete object, no data race. Demonstration: the single check counts
 * the implementation's lock calls (the driver's own definitions of the
 * pthread lock functions count and forward them) in the 1000 calls after
 * the first: 1000 rdlocks, where there must be none. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static atomic_long builds;
static config_t *instance; /* guarded by rw */

const config_t *config_get(void) {
    /* fast path: a shared lock, so readers never wait for each other */
    LAB_PTHREAD(pthread_rwlock_rdlock(&rw));
    config_t *c = instance;
    LAB_PTHREAD(pthread_rwlock_unlock(&rw));
    if (c != NULL)
        return c;
    LAB_PTHREAD(pthread_rwlock_wrlock(&rw));
    if (instance == NULL) {
        atomic_fetch_add(&builds, 1);
        config_t *n = lab_calloc(1, sizeof *n);
        config_fill(n);
        instance = n;
    }
    c = instance;
    LAB_PTHREAD(pthread_rwlock_unlock(&rw));
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    LAB_PTHREAD(pthread_rwlock_wrlock(&rw));
    free(instance);
    instance = NULL;
    atomic_store(&builds, 0);
    LAB_PTHREAD(pthread_rwlock_unlock(&rw));
}
