/* fixed.c, but the number is kept in an `int` in the shared page ("a
 * counter is an int"; the functions convert to and from long silently).
 * shmvalue.h: "A value set to `initial`", with create(long initial),
 * add(long delta) and long get(): any value outside 32 bits is cut, and a
 * running total that passes 2^31 wraps to a negative number. Everything
 * that stays small works, in every process and thread. Demonstration: the
 * single check creates a value at 5000000000 and reads it back at once:
 * 705032704 ("a new value made with 5000000000 (a long past 32 bits) ==
 * 5000000000 / got 705032704"); adds past 32 bits and across INT_MAX follow. */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust */
    int value;
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

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    value_lock(v);
    long old = v->value;
    lab_pause();
    long now = fn(old, arg);
    v->value = now; /* the one write: a death before it changes nothing */
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
