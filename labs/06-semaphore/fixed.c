/* Lab 06, semaphore: the reference fix.
 *
 * A counting semaphore that starts at `size` is the admission check and act
 * in one indivisible step: sem_wait() takes one unit, or sleeps until a
 * release gives one back. Once admitted, a user is sure a connection is
 * free, and a mutex makes picking it one step too. Waiting users sleep in
 * the kernel, costing no CPU. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    sem_t room;        /* connections not taken */
    pthread_mutex_t m; /* guards busy[] */
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
    while (sem_wait(&p->room) != 0) /* sleeps while none is free */
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    int conn = -1;
    lab_mutex_lock(&p->m);
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!p->busy[c]) {
            lab_pause(); /* the same window: others wait at the mutex */
            p->busy[c] = 1;
            conn = c;
        }
    lab_mutex_unlock(&p->m);
    return conn; /* admitted, so one was free */
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
