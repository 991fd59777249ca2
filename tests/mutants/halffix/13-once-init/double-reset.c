/* pthread_once() with a static once-control and a static pointer; the
 * reset frees the config and rearms the once-control, but leaves the
 * pointer dangling ("the next build overwrites it anyway"). Called twice
 * with no config_get() between (one test's teardown, then the next one's
 * setup), the second reset frees the same block again: a double free.
 * config.h asks of a reset only that no thread be inside config_get() or
 * still use the old object, and promises it will "forget (and free) the
 * configuration, so that the next config_get() builds it again".
 * Demonstration: the single check calls the reset a second time right
 * after the first, in a forked copy of the driver: glibc ends the copy with
 * SIGABRT ("free(): double free detected"), and the driver's own count of
 * live blocks would drop below what it was ("config_reset_for_test() may
 * be called again before any config_get() ... / a second reset right after
 * the first: the copy was killed by signal 6"). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static config_t *config; /* written inside pthread_once */
static atomic_long builds;

static void build(void) {
    atomic_fetch_add(&builds, 1);
    config_t *c = lab_calloc(1, sizeof *c);
    config_fill(c);
    config = c;
}

const config_t *config_get(void) {
    LAB_PTHREAD(pthread_once(&once, build));
    return config;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(config); /* the next build overwrites the pointer */
    pthread_once_t fresh = PTHREAD_ONCE_INIT;
    memcpy(&once, &fresh, sizeof once);
    atomic_store(&builds, 0);
}
