/* Lab 05, reentrant lock: the classic mistake.
 *
 * A plain mutex used where a reentrant lock is needed. It works as long as
 * no function that holds it calls another that takes it: the first nested
 * acquire waits for the lock to be free, but the only thread that could
 * free it is the one waiting. It also trusts whoever calls release: a
 * default pthread mutex does not check its owner, so a thread that never
 * acquired the lock can open it under the real owner's feet. */
#include "rlock.h"

#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
};

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) { lab_mutex_lock(&l->m); /* the owner waits for itself */ }

int rlock_release(rlock_t *l) { return pthread_mutex_unlock(&l->m); /* anyone may */ }

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
