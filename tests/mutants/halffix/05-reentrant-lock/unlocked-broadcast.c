/* Wrong: a lock-free fast path (compare-and-swap on an atomic owner) with
 * sleeping waiters: a thread that finds the lock taken counts itself in
 * `waiters` and sleeps on a condition until the owner is gone; the last
 * release clears the owner and, if anyone is counted, broadcasts WITHOUT the
 * condition's mutex ("signalling needs no mutex"). A waiter that has just
 * seen the owner under the mutex but is not yet asleep misses that broadcast
 * and sleeps on with the lock free (a lost wakeup): rlock.h's "Take the lock,
 * waiting while another thread holds it" becomes waiting for ever once no
 * other release comes. The grader catches it in handoff: 400 rounds,
 * perturbed, of a release just as a waiter comes; within a few dozen rounds
 * the broadcast falls between the waiter's look and its sleep, and the waiter
 * is seen asleep, not run once, a second after the release (a lost wake-up),
 * every run. */
#include "rlock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    _Atomic(const char *) owner; /* NULL when free */
    long depth;                  /* the owner's only */
    atomic_int waiters;          /* threads asleep (or going to sleep) on freed */
    pthread_mutex_t m;
    pthread_cond_t freed;
};

static _Thread_local const char me;

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    atomic_init(&l->owner, NULL);
    atomic_init(&l->waiters, 0);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->freed, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    if (atomic_load_explicit(&l->owner, memory_order_relaxed) == &me) {
        l->depth++;
        return;
    }
    for (;;) {
        const char *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(&l->owner, &expected, &me, memory_order_acquire,
                                                    memory_order_relaxed)) {
            l->depth = 1;
            return;
        }
        lab_mutex_lock(&l->m);
        atomic_fetch_add(&l->waiters, 1);
        while (atomic_load(&l->owner) != NULL)
            lab_cond_wait(&l->freed, &l->m);
        atomic_fetch_sub(&l->waiters, 1);
        lab_mutex_unlock(&l->m);
    }
}

int rlock_release(rlock_t *l) {
    if (atomic_load_explicit(&l->owner, memory_order_relaxed) != &me)
        return EPERM;
    if (--l->depth == 0) {
        atomic_store_explicit(&l->owner, NULL, memory_order_release);
        if (atomic_load(&l->waiters) > 0)
            lab_cond_broadcast(&l->freed); /* no need to hold the mutex to signal */
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_cond_destroy(&l->freed);
    lab_mutex_destroy(&l->m);
    free(l);
}
