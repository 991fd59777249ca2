/* Wrong submission for lab 06: alt-condvar.c's design with a "saving":
 * pool_release() signals only when the pool was full before it ("if some
 * were free, no one can be waiting"). pool.h promises "While all are
 * taken, wait ... until one comes back", the README "every request is
 * served (a release lets a waiter in)": a waiter is not gone the moment it
 * is signalled, so two releases in a row on a full pool with two waiters
 * signal once; one waiter gets in, the other sleeps on with a connection
 * free, for ever once the pool is never full again.
 * How the grader shows it: the check `at-most`, after its crowd, lets 2
 * users wait for a full pool of 2, holds both still in a signal handler
 * (SA_RESTART) and gives both connections back in a row: once everyone
 * sleeps, one user is still waiting. */
#include "pool.h"

#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    int in_use;
    pthread_mutex_t m;
    pthread_cond_t room;
    int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    lab_mutex_init(&p->m, NULL);
    lab_cond_init(&p->room, NULL);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

int pool_acquire(pool_t *p) {
    int conn = -1;
    lab_mutex_lock(&p->m);
    while (p->in_use >= p->size)
        lab_cond_wait(&p->room, &p->m);
    p->in_use++;
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
    int was_full = p->in_use == p->size;
    p->busy[conn] = 0;
    p->in_use--;
    if (was_full) /* only a full pool can have waiters */
        lab_cond_signal(&p->room);
    lab_mutex_unlock(&p->m);
}

void pool_destroy(pool_t *p) {
    lab_cond_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
