/* Wrong submission for lab 06: fixed.c's semaphore, but the wait gives up:
 * sem_timedwait() with a 2 s deadline, and on ETIMEDOUT pool_acquire()
 * returns -1 ("no connection available"), as many real pools do so that a
 * leaked connection cannot hang the application. pool.h promises a
 * connection number, and "While all are taken, wait (sleeping, not
 * spinning) until one comes back": a caller written to the header uses -1
 * as a connection.
 * How the grader shows it: the check `idle-wait` holds the only connection
 * of a pool of 1 for 2.5 s while 3 users wait; each waiter's timer was set
 * before the driver's 2.5 s began, so it fires first however late timers
 * are, and before giving the connection back the driver finds that
 * pool_acquire() has returned -1. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

#define GIVE_UP_AFTER_S 2

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

int pool_acquire(pool_t *p) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += GIVE_UP_AFTER_S;
    while (sem_timedwait(&p->room, &deadline) != 0) {
        if (errno == ETIMEDOUT)
            return -1; /* nothing came back in time: no connection */
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_timedwait(&p->room)", __FILE__, __LINE__);
    }
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
