/* Wrong submission for lab 06: an "adaptive" wait, as glibc's adaptive
 * mutex does but with a budget in wall time: a user who finds the pool
 * full first spins on sem_trywait() with sched_yield() for up to 60 ms
 * ("connections come back within microseconds"), and only then sleeps in
 * sem_wait(). pool.h promises "While all are taken, wait (sleeping, not
 * spinning)": every waiter burns (or queues for) a CPU for 60 ms of every
 * wait.
 * How the grader shows it: the check `idle-wait` holds a pool of 1 for
 * 2.5 s while 3 users wait, each started once the ones before sleep, and
 * reads each waiter's time running or runnable (the scheduler's account)
 * just before it gives the connection back, so no wake-up counts: a
 * sleeper has well under a millisecond, this one 60 ms, over the 20 ms
 * bound. */
#include "pool.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

#define SPIN_SECONDS 0.060

struct pool {
    int size;
    sem_t room;
    pthread_mutex_t m;
    int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    lab_mutex_init(&p->m, NULL);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

static void admit(pool_t *p) {
    double start = lab_now();
    while (lab_now() - start < SPIN_SECONDS) { /* a short spin first: no syscall */
        if (sem_trywait(&p->room) == 0)
            return;
        sched_yield();
    }
    while (sem_wait(&p->room) != 0) /* then sleep */
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
}

int pool_acquire(pool_t *p) {
    admit(p);
    int conn = -1;
    lab_mutex_lock(&p->m);
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!p->busy[c]) {
            lab_pause();
            p->busy[c] = 1;
            conn = c;
        }
    lab_mutex_unlock(&p->m);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    p->busy[conn] = 0;
    lab_mutex_unlock(&p->m);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
