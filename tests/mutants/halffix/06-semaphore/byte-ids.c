/* Wrong submission for lab 06: fixed.c's semaphore, with the free
 * connections kept as a stack of numbers in an unsigned char array ("no
 * pool has more than a few dozen"). pool.h promises "A pool of `size`
 * (>= 1) connections, numbered 0 .. size-1" and an acquire gives "its
 * number, never one that another user holds": in a pool of more than 256,
 * connection 256 is stored as 0, 257 as 1, ..., so 256..size-1 are never
 * handed out and 0..size-257 are handed out twice.
 * How the grader shows it: the check `single` also fills a pool of 1000,
 * one user: acquire 257 gives 0, which the user already holds. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    sem_t room;           /* connections not taken */
    pthread_mutex_t m;    /* guards the free stack */
    unsigned char *free;  /* free connection numbers; top of stack last */
    int nfree;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    lab_mutex_init(&p->m, NULL);
    p->free = lab_calloc((size_t)size, 1);
    for (int i = 0; i < size; i++)
        p->free[i] = (unsigned char)(size - 1 - i); /* 0 on top */
    p->nfree = size;
    return p;
}

int pool_acquire(pool_t *p) {
    while (sem_wait(&p->room) != 0)
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    lab_mutex_lock(&p->m);
    lab_pause();
    int conn = p->free[--p->nfree];
    lab_mutex_unlock(&p->m);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    p->free[p->nfree++] = (unsigned char)conn;
    lab_mutex_unlock(&p->m);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->free);
    free(p);
}
