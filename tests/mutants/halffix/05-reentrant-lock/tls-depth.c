/* Wrong submission for lab 05: fixed.c's design, but the depth is kept in
 * a _Thread_local ("the depth belongs to the thread that holds the lock")
 * instead of in the lock. rlock.h promises each acquire needs its own
 * release and the lock is free once its owner released it as often as it
 * acquired it, for every lock. One thread holding two locks shares one
 * depth between them: take A, take B (the depth is reset to 1), give back
 * B (0: B freed), give back A (-1: A never unlocked, yet 0 is returned), and
 * A is held for ever by a thread that believes it let go.
 * How the grader shows it: the check `several` runs scripts over 2 or 3
 * locks; after "T1 acquire A, T1 acquire B, T1 release B, T1 release A",
 * another thread must get A within 1 s, and is still waiting. */
#include "rlock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    _Atomic(const char *) owner;
};

static _Thread_local const char me;
static _Thread_local int depth; /* the owner's acquires not yet released */

static int held_by_me(rlock_t *l) { return atomic_load_explicit(&l->owner, memory_order_relaxed) == &me; }

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    atomic_init(&l->owner, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    if (held_by_me(l)) {
        depth++;
        return;
    }
    lab_mutex_lock(&l->m);
    atomic_store_explicit(&l->owner, &me, memory_order_relaxed);
    depth = 1;
}

int rlock_release(rlock_t *l) {
    if (!held_by_me(l))
        return EPERM;
    if (--depth == 0) {
        atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
        lab_mutex_unlock(&l->m);
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
