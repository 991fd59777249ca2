/* fixed.c with two-level locking "so that threads do not pay for the
 * cross-process lock": a caller first takes a process-private mutex (on
 * the heap, reached through a pointer in the shared page: fork() gives each
 * process its own copy of it), then the process-shared robust one.
 * Processes and threads are kept apart, and a dead holder is survived. But
 * fork() copies the private mutex in whatever state it is in: a process
 * forked while one of its threads is inside add(), update() or get() gets
 * a private mutex locked by a thread that does not exist in it, and its
 * first call on the value waits for ever. shmvalue.h: "a process forked
 * after shm_value_create() works on the very same number"; "Everything here
 * may be called from any process or thread that can see the value".
 * Demonstration: the fork check holds a thread of the driver inside
 * update() (its fn waits for the driver's word), forks a child that calls
 * add(10), then lets the update finish: the child sleeps on the copied
 * private mutex for good ("a child forked while a thread of its parent is
 * inside update() uses the value once that update is over ... / no add
 * finished for 1.0 s"). */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust: one process at a time */
    long value;
    pthread_mutex_t *local; /* this process's own: its threads queue here first */
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
    /* The threads of one process queue on a cheap private mutex, so that at
     * most one thread per process contends on the robust shared one (its
     * wake-ups cross processes and cost more). The pointer is the same in
     * every process: each one's copy of the heap has its own mutex there. */
    v->local = lab_calloc(1, sizeof *v->local);
    lab_mutex_init(v->local, NULL);
    v->value = initial;
    return v;
}

/* Take the lock, also from a holder that died with it. */
static void value_lock(shm_value_t *v) {
    lab_mutex_lock(v->local);
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
    lab_mutex_unlock(v->local);
}

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    value_lock(v);
    long old = v->value;
    lab_pause();
    long now = fn(old, arg);
    v->value = now; /* the one write: a death before it changes nothing */
    lab_mutex_unlock(&v->m);
    lab_mutex_unlock(v->local);
    return now;
}

long shm_value_get(shm_value_t *v) {
    value_lock(v);
    long now = v->value;
    lab_mutex_unlock(&v->m);
    lab_mutex_unlock(v->local);
    return now;
}

void shm_value_destroy(shm_value_t *v) {
    lab_mutex_destroy(v->local);
    free(v->local);
    lab_mutex_destroy(&v->m);
    if (munmap(v, sizeof *v) != 0) {
        perror("shm_value_destroy: munmap");
        abort();
    }
}
