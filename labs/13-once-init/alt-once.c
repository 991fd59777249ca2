/* Lab 13, once-init: another correct design, pthread_once().
 *
 * pthread_once(&once, build) is the library's own "run this exactly once":
 * every caller returns only after build() has finished (in whichever
 * thread ran it), and everything build() wrote is visible to it. It is
 * double-checked locking written once, by the people who know the memory
 * model of their platform, and its fast path is a single check of the
 * once-control.
 *
 * A pthread_once_t cannot be rearmed, which config_reset_for_test() needs;
 * so the once-control lives in a small record with the object it guards,
 * and a reset starts a fresh record. `current` changes only in a reset,
 * which by contract happens before the threads that call config_get()
 * next are started, so reading it needs no lock. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

typedef struct {
    pthread_once_t once;
    config_t *config; /* written by build_current(), inside pthread_once */
} once_slot_t;

static atomic_long builds;

static once_slot_t first = {PTHREAD_ONCE_INIT, NULL};
static once_slot_t *current = &first;

static void build_current(void) {
    atomic_fetch_add(&builds, 1);
    config_t *c = lab_calloc(1, sizeof *c);
    config_fill(c);
    current->config = c;
}

const config_t *config_get(void) {
    once_slot_t *s = current;
    LAB_PTHREAD(pthread_once(&s->once, build_current));
    return s->config;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    once_slot_t *old = current, *s = lab_calloc(1, sizeof *s);
    *s = (once_slot_t){PTHREAD_ONCE_INIT, NULL};
    current = s;
    free(old->config);
    if (old != &first)
        free(old);
    atomic_store(&builds, 0);
}
