/* Half-fix of lab 05: reentrant (owner and depth), but release() trusts its
 * caller, as broken.c does. Wrong: a thread that never acquired the lock
 * calls release() and gets 0; the owner's nest is unwound under its feet,
 * and a waiter walks into the owner's critical section. */
#include "rlock.h"

#include <errno.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    pthread_cond_t free; /* signalled when depth drops to 0 */
    pthread_t owner;     /* meaningful while depth > 0 */
    int depth;
};

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->free, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    pthread_t self = pthread_self();
    lab_mutex_lock(&l->m);
    if (l->depth > 0 && pthread_equal(l->owner, self)) {
        l->depth++; /* the owner again: count it */
    } else {
        while (l->depth > 0)
            lab_cond_wait(&l->free, &l->m);
        l->owner = self;
        l->depth = 1;
    }
    lab_mutex_unlock(&l->m);
}

int rlock_release(rlock_t *l) {
    int rc = 0;
    lab_mutex_lock(&l->m);
    if (l->depth == 0) /* whoever calls */
        rc = EPERM; /* not yours to release */
    else if (--l->depth == 0)
        lab_cond_signal(&l->free);
    lab_mutex_unlock(&l->m);
    return rc;
}

void rlock_destroy(rlock_t *l) {
    lab_cond_destroy(&l->free);
    lab_mutex_destroy(&l->m);
    free(l);
}
