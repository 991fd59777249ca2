/* Wrong: update() calls fn outside the lock and then adds the difference fn made (now - old) to
 * whatever the value is by then, which is right only when fn is an add (two update(x3) of 2 at once
 * leave 10, either order gives 18), breaking shmvalue.h: update replaces the value by fn(old) "as
 * one step (no other change comes between reading `old` and storing the result)".
 * The grader: processes makes two processes update one new value of 5 with x -> 2x + 1 at once
 * (the first one's fn held until the second's fn has run, or until the second is seen waiting
 * for the lock): any serial order gives 23, this gives 17, every run.
 */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust */
    long value;
};

shm_value_t *shm_value_create(long initial) {
    /* MAP_SHARED, so that fork() shares the page instead of copying it */
    shm_value_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) {
        perror("shm_value_create: mmap");
        abort();
    }
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
    LAB_PTHREAD(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    LAB_PTHREAD(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    lab_mutex_init(&v->m, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    v->value = initial;
    return v;
}

/* Take the lock, also from a holder that died with it. */
static void value_lock(shm_value_t *v) {
    int rc = pthread_mutex_lock(&v->m);
    if (rc == EOWNERDEAD) {
        /* The value is whole (see the top of the file): nothing to repair,
         * only the lock to mark usable again. Without this, the unlock
         * below would leave it unusable for good (ENOTRECOVERABLE). */
        LAB_PTHREAD(pthread_mutex_consistent(&v->m));
    } else if (rc != 0) {
        lab_pthread_die(rc, "pthread_mutex_lock(&v->m)", __FILE__, __LINE__);
    }
}

void shm_value_add(shm_value_t *v, long delta) {
    value_lock(v);
    long old = v->value;
    lab_pause(); /* the same window: the others wait for the lock */
    v->value = old + delta;
    lab_mutex_unlock(&v->m);
}

/* fn may be slow (it is the caller's code): it runs outside the lock, and
 * the change it made is then applied on top of whatever the others did
 * meanwhile, as one locked add, so that no add is ever overwritten. */
long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    long old = shm_value_get(v);
    lab_pause();
    long now = fn(old, arg);
    value_lock(v);
    v->value += now - old; /* my change, on top of theirs */
    lab_mutex_unlock(&v->m);
    return now;
}

long shm_value_get(shm_value_t *v) {
    value_lock(v);
    long now = v->value;
    lab_mutex_unlock(&v->m);
    return now;
}

void shm_value_destroy(shm_value_t *v) {
    lab_mutex_destroy(&v->m);
    if (munmap(v, sizeof *v) != 0) {
        perror("shm_value_destroy: munmap");
        abort();
    }
}
