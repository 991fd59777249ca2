/* Half-fix of lab 05: the owner check is there, but the lock is not
 * reentrant: an error-checking mutex refuses a stranger's unlock with EPERM,
 * and refuses the owner's second lock with EDEADLK, which this ignores.
 * Wrong: the nest is not counted, so the owner's first release opens the
 * lock while it still thinks it holds it twice, and its second release is
 * refused. */
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
    LAB_PTHREAD(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    lab_mutex_init(&l->m, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    return l;
}

void rlock_acquire(rlock_t *l) { (void)pthread_mutex_lock(&l->m); /* EDEADLK for the owner: "already mine" */ }

int rlock_release(rlock_t *l) { return pthread_mutex_unlock(&l->m); }

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
