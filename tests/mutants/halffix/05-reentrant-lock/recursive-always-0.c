/* Wrong submission for lab 05: a recursive mutex (right), but release()
 * reports success whatever the unlock said. Wrong: a stranger's release is
 * refused by the mutex and nothing changes, yet the caller is told 0; the
 * header promises EPERM, so a caller cannot tell it never held the lock. */
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

int rlock_release(rlock_t *l) {
    (void)pthread_mutex_unlock(&l->m);
    return 0;
}

void rlock_destroy(rlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
