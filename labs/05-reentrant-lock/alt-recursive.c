/* Lab 05, reentrant lock: another correct design, the library's own.
 *
 * POSIX has reentrant locks built in: a mutex of type
 * PTHREAD_MUTEX_RECURSIVE keeps an owner and a count itself, and its
 * unlock returns EPERM to a thread that does not own it. One call per
 * operation, no condition variable: the bench compares it with fixed.c. */
#include "rlock.h"

#include <stdlib.h>

#include "lab.h"

struct rlock {
    pthread_mutex_t m;
};

rlock_t *rlock_create(void) {
    rlock_t *l = lab_calloc(1, sizeof *l);
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
    LAB_PTHREAD(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    lab_mutex_init(&l->m, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    return l;
}

void rlock_acquire(rlock_t *l) { lab_mutex_lock(&l->m); }

int rlock_release(rlock_t *l) { return pthread_mutex_unlock(&l->m); /* EPERM if not the owner */ }

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
