/* Wrong submission for lab 06: a fair pool (first come, first served):
 * each user takes a ticket and sleeps on its own condition variable, a
 * ring of 64 indexed by ticket % 64, until its ticket is at the head of
 * the line and a connection is free; a release signals the head's
 * condition. With more than 64 users waiting, tickets t and t + 64 share a
 * condition, and the signal meant for t may wake t + 64, which sleeps
 * again (not its turn) while t sleeps on with a connection free, and so
 * does everyone after. That breaks pool.h's "wait ... until one comes
 * back. Any number of threads may call it at once" and the README's
 * "every request is served (a release lets a waiter in)".
 * How the grader shows it: the check `at-most` lines up 100 users for a
 * full pool of 1, each started once the one before sleeps, then interrupts
 * each once with a no-op signal handler, the last comer first (so glibc's
 * condition variable has the later tickets sleep ahead of the earlier
 * ones), and gives the connection back: nobody is served, and once 1 s
 * has passed with every thread asleep the check fails. */
#include "pool.h"

#include <stdlib.h>

#include "lab.h"

#define RING 64

struct pool {
    int size;
    int in_use;
    pthread_mutex_t m;
    unsigned head, tail; /* next ticket to serve, next ticket to hand out */
    pthread_cond_t turn[RING];
    int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    lab_mutex_init(&p->m, NULL);
    for (int i = 0; i < RING; i++)
        lab_cond_init(&p->turn[i], NULL);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

int pool_acquire(pool_t *p) {
    int conn = -1;
    lab_mutex_lock(&p->m);
    unsigned me = p->tail++;
    while (me != p->head || p->in_use >= p->size)
        lab_cond_wait(&p->turn[me % RING], &p->m);
    p->head++;
    p->in_use++;
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!p->busy[c]) {
            lab_pause();
            p->busy[c] = 1;
            conn = c;
        }
    if (p->in_use < p->size && p->head != p->tail) /* room left: the next in line may come */
        lab_cond_signal(&p->turn[p->head % RING]);
    lab_mutex_unlock(&p->m);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    p->busy[conn] = 0;
    p->in_use--;
    if (p->head != p->tail)
        lab_cond_signal(&p->turn[p->head % RING]); /* the head of the line */
    lab_mutex_unlock(&p->m);
}

void pool_destroy(pool_t *p) {
    for (int i = 0; i < RING; i++)
        lab_cond_destroy(&p->turn[i]);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
