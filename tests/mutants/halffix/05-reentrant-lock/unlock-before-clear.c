/* Wrong submission for lab 05: fixed.c's design, but the last release
 * unlocks the mutex first and clears the owner after ("let the waiter in
 * as early as possible"). rlock.h promises "The thread that holds it may
 * take it again: each acquire needs its own release" and release "0, or
 * EPERM when the calling thread does not hold the lock": in between, a
 * waiter takes the mutex and writes itself in as owner, and the old
 * owner's late store of NULL wipes it out, so the new owner's next nested
 * acquire waits for the mutex it holds itself, or its release is refused.
 * How the grader shows it: the check `exclusion` runs 4 threads x 2000
 * sections nested 1-3 deep, perturbed in the lock's own code: an owner
 * waits for itself and no section finishes for 1 s (or a release returns
 * EPERM). */
#include "rlock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    _Atomic(const char *) owner;
    int depth;
};

static _Thread_local const char me;

static int held_by_me(rlock_t *l) { return atomic_load_explicit(&l->owner, memory_order_relaxed) == &me; }

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    atomic_init(&l->owner, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    if (held_by_me(l)) {
        l->depth++;
        return;
    }
    lab_mutex_lock(&l->m);
    atomic_store_explicit(&l->owner, &me, memory_order_relaxed);
    l->depth = 1;
}

int rlock_release(rlock_t *l) {
    if (!held_by_me(l))
        return EPERM;
    if (--l->depth == 0) {
        lab_mutex_unlock(&l->m); /* let the next one in at once */
        atomic_store_explicit(&l->owner, NULL, memory_order_relaxed); /* then say nobody holds it */
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
