/* Wrong submission for lab 05: the release that brings the depth to zero
 * forgets to wake a waiter. Wrong: a thread that found the lock held sleeps
 * on the condition and nobody signals it, so it sleeps forever once the
 * owner is gone (a hang that only shows when two threads contend). */
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
    if (l->depth == 0 || !pthread_equal(l->owner, pthread_self()))
        rc = EPERM; /* not yours to release */
    else
        --l->depth; /* and nobody is told */
    lab_mutex_unlock(&l->m);
    return rc;
}

void rlock_destroy(rlock_t *l) {
    lab_cond_destroy(&l->free);
    lab_mutex_destroy(&l->m);
    free(l);
}
