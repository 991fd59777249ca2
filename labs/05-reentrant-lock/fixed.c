/* Lab 05, reentrant lock: the reference fix, as Python's RLock is built.
 *
 * A plain mutex, held from the first acquire to the last release, plus an
 * owner and a depth beside it. An acquire first asks "do I hold it
 * already?": if so it only counts one more; if not it takes the mutex,
 * waiting like on any lock, and then writes itself in as the owner at
 * depth 1. A release refuses anyone but the owner with EPERM; the release
 * that brings the depth to zero clears the owner and unlocks the mutex.
 *
 * The owner is read without the mutex, yet safely: it is an atomic, and
 * only the thread that holds the mutex ever writes it, with its own name or
 * with "nobody". So a thread that reads its own name there put it there
 * itself and still holds the lock; every other thread reads some other
 * name or nobody, which is all it needs to know. The depth is touched only
 * by the owner, so the mutex orders it from one owner to the next. The
 * uncontended path costs one mutex lock and unlock, as a plain lock does,
 * and a waiter sleeps in the mutex, woken by the unlock. */
#include "rlock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;           /* held by the owner, from its first acquire to its last release */
    _Atomic(const char *) owner; /* the owner's name, NULL when free; written by the owner only */
    int depth;                   /* the owner's acquires not yet released */
};

/* A thread's name: the address of its own copy of this variable, which no
 * other running thread shares, costs nothing to find, and is never NULL. */
static _Thread_local const char me;

/* Relaxed is enough: a thread reads its own name only after writing it. */
static int held_by_me(rlock_t *l) { return atomic_load_explicit(&l->owner, memory_order_relaxed) == &me; }

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    atomic_init(&l->owner, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    if (held_by_me(l)) {
        l->depth++; /* the owner again: count it */
        return;
    }
    lab_mutex_lock(&l->m); /* another thread's lock, or nobody's: wait as on any mutex */
    atomic_store_explicit(&l->owner, &me, memory_order_relaxed);
    l->depth = 1;
}

int rlock_release(rlock_t *l) {
    if (!held_by_me(l))
        return EPERM; /* not yours to release */
    if (--l->depth == 0) {
        atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
        lab_mutex_unlock(&l->m); /* the last release: the next owner may come in */
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
