/* Wrong submission for lab 05: fixed.c's design, but the depth is an
 * `unsigned char` ("nobody nests a lock 255 deep"). The README promises
 * "the owner may acquire it again (to any depth), each acquire needs its
 * own release" and rlock.h "The lock is free for others once its owner has
 * released it as many times as it acquired it": the 256th nested acquire
 * wraps the depth to 0, so the count comes back 256 short, the lock is
 * freed while its owner is still deep inside, and the owner's later
 * releases are refused with EPERM.
 * How the grader shows it: the check `nested` acquires 100 000 deep (past
 * what 8 or 16 bits hold, no multiple of either) and releases as often:
 * release 161 returns EPERM. */
#include "rlock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
    _Atomic(const char *) owner;
    unsigned char depth; /* small: nobody nests 255 deep */
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
        atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
        lab_mutex_unlock(&l->m);
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
