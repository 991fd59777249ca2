/* EOWNERDEAD "repaired" by rolling the value back to a snapshot that
 * update() takes before it calls fn ("fn is the caller's code and may
 * crash half way"); add() takes no snapshot.
 * Wrong because a holder killed inside add() leaves the snapshot of the
 * last update() behind, and the next taker rolls the value back to it:
 * every add made since then is lost. README: "Five processes must not
 * lose a single add"; shmvalue.h: add is "one step". Demonstration: the
 * holder-killed check's last part makes a value 1 with update(+1) and
 * lets a process add 1 in a loop, its window stretched; the driver stops
 * it (SIGSTOP) when it is seen asleep and kills it if it was stopped in
 * the window's sleep, inside add() with the lock held. The first get()
 * after the death must count every add that returned: it finds the 0
 * update() started from, every run. */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust */
    long value;
    long saved; /* the value as update() found it: what a dead holder's update is undone to */
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
    v->saved = initial;
    return v;
}

/* Take the lock, also from a holder that died with it. */
static void value_lock(shm_value_t *v) {
    int rc = pthread_mutex_lock(&v->m);
    if (rc == EOWNERDEAD) {
        /* The holder died inside the lock: its fn may have been half way
         * through. Undo whatever it did: back to the value it started from. */
        v->value = v->saved;
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
    v->saved = old; /* fn is the caller's code: it may crash; keep a way back */
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
