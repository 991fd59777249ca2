/* Wrong submission for lab 05: fixed.c's design with a binary semaphore
 * in place of the mutex (owner and depth beside it, sem_wait() to take the
 * lock, sem_post() on the last release), the result of sem_wait() not
 * looked at. A signal whose handler was installed without SA_RESTART
 * (sigaction's default) makes a waiting sem_wait() return -1/EINTR, and
 * the waiter writes itself in as owner and walks into the critical section
 * while the real owner is still inside (whose releases are then refused
 * with EPERM). That breaks rlock.h's "Take the lock, waiting while another
 * thread holds it" and the README's "one owner at a time, at any depth".
 * How the grader shows it: the check `handoff` holds the lock while a
 * waiter sleeps, and sends the waiter SIGUSR2 (a no-op handler, no
 * SA_RESTART) 3 times, each once it sleeps, checking after each, once it
 * has slept again or finished, that it is still out: it got in after the
 * first signal. */
#include "rlock.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct rlock {
    sem_t s;                     /* 1 when free */
    _Atomic(const char *) owner; /* the owner's name, NULL when free */
    int depth;
};

static _Thread_local const char me;

static int held_by_me(rlock_t *l) { return atomic_load_explicit(&l->owner, memory_order_relaxed) == &me; }

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    if (sem_init(&l->s, 0, 1) != 0)
        lab_pthread_die(errno, "sem_init", __FILE__, __LINE__);
    atomic_init(&l->owner, NULL);
    return l;
}

void rlock_acquire(rlock_t *l) {
    if (held_by_me(l)) {
        l->depth++;
        return;
    }
    sem_wait(&l->s); /* wait for the owner's last release */
    atomic_store_explicit(&l->owner, &me, memory_order_relaxed);
    l->depth = 1;
}

int rlock_release(rlock_t *l) {
    if (!held_by_me(l))
        return EPERM;
    if (--l->depth == 0) {
        atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
        sem_post(&l->s);
    }
    return 0;
}

void rlock_destroy(rlock_t *l) {
    sem_destroy(&l->s);
    free(l);
}
