/* Wrong submission for lab 05: the hints' first design (owner and depth
 * under an internal mutex, waiters on a condition) with a safety net: a
 * waiter waits at most 2 s (pthread_cond_timedwait() against the wall
 * clock) and then takes the lock over as owner at depth 1, "because an
 * owner that holds a lock for 2 s has hung". A live owner may hold it as
 * long as it likes: the waiter walks into its critical section and the
 * owner's releases are refused with EPERM. That breaks rlock.h's "Take the
 * lock, waiting while another thread holds it" and the README's "one owner
 * at a time, at any depth".
 * How the grader shows it: the check `handoff` shows the implementation
 * the wall clock a day behind (lab_clock_jump) before its waiter comes, so
 * the waiter's deadline is long past when it starts to wait and it takes
 * the lock over at once, while the owner still holds it; the check also
 * holds the lock 2.5 s with the waiter waiting, which a give-up on
 * CLOCK_MONOTONIC after 2 s meets. */
#include "rlock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

#define PATIENCE_S 2

struct rlock {
    pthread_mutex_t m;
    pthread_cond_t freed;
    pthread_t owner;
    int held; /* owner is valid */
    int depth;
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
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PATIENCE_S;
    while (l->held) {
        int rc = pthread_cond_timedwait(&l->freed, &l->m, &until);
        if (rc == ETIMEDOUT)
            break; /* the owner has hung or died: take the lock over */
        if (rc != 0)
            lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
    }
    l->held = 1;
    l->owner = self;
    l->depth = 1;
    lab_mutex_unlock(&l->m);
}

int rlock_release(rlock_t *l) {
    lab_mutex_lock(&l->m);
    if (!l->held || !pthread_equal(l->owner, pthread_self())) {
        lab_mutex_unlock(&l->m);
        return EPERM;
    }
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
