/* Wrong submission for lab 05: the hints' first design (owner and depth
 * under an internal mutex, waiters on a condition), but release asks only
 * "am I the owner?" and the owner is left in place when the depth reaches
 * 0. rlock.h promises EPERM to a thread that does not hold the lock, and
 * nothing changed: here the thread that held the lock last can release it
 * again after its final release, gets 0, and the depth goes to -1.
 * How the grader shows it: the check `non-owner` also asks former owners:
 * a thread takes the lock (1 to 4 deep), gives it back as often, and at once
 * releases it again, before any other thread touches it: EPERM expected, 0
 * returned. */
#include "rlock.h"

#include <errno.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    pthread_cond_t free; /* signalled when depth drops to 0 */
    pthread_t owner;     /* the last thread that took it */
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
        l->depth++;
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
    if (!pthread_equal(l->owner, pthread_self()))
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
