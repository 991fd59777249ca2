/* Half-fix of broken.c's first mistake only: the object is now built in a
 * local variable and published after it is complete, but the pointer is
 * still plain. Nothing orders the builder's field writes before its
 * pointer write for a thread that reads the pointer without the lock: the
 * compiler or a weakly ordered CPU may show the pointer first, and the
 * unlocked read is a data race (undefined behaviour in C11). Demonstration:
 * the race-free check's fast-path readers read `instance` and the fields
 * while the builder writes them under a lock they never take, and
 * ThreadSanitizer reports the race on `instance` every round. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;
static config_t *instance;

const config_t *config_get(void) {
    if (instance == NULL) {
        lab_mutex_lock(&lock);
        if (instance == NULL) {
            atomic_fetch_add(&builds, 1);
            config_t *c = lab_calloc(1, sizeof *c);
            config_fill(c);
            instance = c;
        }
        lab_mutex_unlock(&lock);
    }
    return instance;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(instance);
    instance = NULL;
    atomic_store(&builds, 0);
}
