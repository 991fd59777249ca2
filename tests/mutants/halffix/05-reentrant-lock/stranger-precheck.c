/* Wrong: the hints' first design (owner as a pthread_t and depth under an
 * internal mutex, waiters on a condition), but rlock_release() refuses a
 * non-owner with a quick look at `held` and `owner` BEFORE taking the mutex
 * ("a stranger should not have to queue for the mutex just to be told
 * EPERM"). A stranger's or former owner's release then reads owner and held
 * while the real owner writes them under the mutex: a data race (README: "any
 * number of threads may use the lock at once: no data race in it"; hints: a
 * pthread_t owner is read "only under the internal mutex"), and a torn or
 * reordered view lets it into the owner's count. The grader catches it in
 * race-free (ThreadSanitizer): three threads pass the lock round in turns
 * TSan does not see, each nesting 1 and 2 deep while the others release it,
 * and the stranger's unlocked read of held is reported as a race with the
 * owner's write under the mutex, every run. */
#include "rlock.h"

#include <errno.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    pthread_cond_t freed;
    pthread_t owner;
    int held;
    long depth;
};

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->freed, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    pthread_t self = pthread_self();
    lab_mutex_lock(&l->m);
    if (l->held && pthread_equal(l->owner, self)) {
        l->depth++;
        lab_mutex_unlock(&l->m);
        return;
    }
    while (l->held)
        lab_cond_wait(&l->freed, &l->m);
    l->owner = self;
    l->held = 1;
    l->depth = 1;
    lab_mutex_unlock(&l->m);
}

int rlock_release(rlock_t *l) {
    /* not yours: refuse at once, without queueing for the mutex */
    if (!l->held || !pthread_equal(l->owner, pthread_self()))
        return EPERM;
    lab_mutex_lock(&l->m);
    if (--l->depth == 0) {
        l->held = 0;
        lab_cond_signal(&l->freed);
    }
    lab_mutex_unlock(&l->m);
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_cond_destroy(&l->freed);
    lab_mutex_destroy(&l->m);
    free(l);
}
