/* Wrong: a caller waits at most 1 s (CLOCK_REALTIME) for the builder's lock, then builds a config
 * itself ("the builder must have died"), so a build that merely takes longer than 1 s (a slow file
 * read, a clock step) runs once per waiting thread, breaking config.h: built "by one thread,
 * however many call at once", config_builds() "Exactly 1".
 * The builds-once check holds one build inside config_fill() while three
 * more callers wait, their clocks a day behind (and two days ahead while
 * one waits): the 1 s deadline has passed at once, and each waiter builds
 * its own config, every run. */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;

static _Atomic(config_t *) instance;

enum { PATIENCE_S = 1 }; /* how long a caller waits for another's build */

/* Builds a config and installs it unless another is there already; returns
 * the one installed. */
static config_t *build_and_install(void) {
    atomic_fetch_add(&builds, 1);
    config_t *c = lab_calloc(1, sizeof *c);
    config_fill(c);
    config_t *none = NULL;
    if (!atomic_compare_exchange_strong_explicit(&instance, &none, c, memory_order_acq_rel, memory_order_acquire)) {
        free(c); /* someone else's is in: use that one */
        return none;
    }
    return c;
}

static __attribute__((noinline)) config_t *config_create(void) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += PATIENCE_S;
    int rc = pthread_mutex_timedlock(&lock, &deadline);
    if (rc == ETIMEDOUT) { /* the builder is stuck: do not hang with it */
        config_t *c = atomic_load_explicit(&instance, memory_order_acquire);
        return c != NULL ? c : build_and_install();
    }
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_timedlock(&lock, &deadline)", __FILE__, __LINE__);
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire); /* second check */
    if (c == NULL)
        c = build_and_install();
    lab_mutex_unlock(&lock);
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
