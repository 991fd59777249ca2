/* Wrong submission for lab 06: fixed.c with the result of sem_wait()
 * ignored. pool.h promises acquire waits while all connections are taken,
 * and returns one no other user holds. sem_wait() returns -1 with EINTR
 * when a handler installed without SA_RESTART (sigaction's default) runs
 * while it sleeps, and this user then goes on as if admitted, though it
 * took no unit: it finds every connection busy and returns -1 (had another
 * user been giving one back, it would have taken a connection the
 * semaphore never gave it: size + 1 users inside).
 * How the grader shows it: the check `interrupted` holds all 3 connections,
 * lets a user wait, and sends it SIGUSR1 (a no-op handler, no SA_RESTART)
 * once it sleeps: pool_acquire() returns -1 after the first signal. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

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
    sem_wait(&p->room); /* sleeps while none is free */
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
