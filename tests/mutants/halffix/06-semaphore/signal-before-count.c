/* Wrong submission for lab 06: a condition-variable pool whose release
 * signals before it counts the connection back, and without the mutex.
 * Wrong: in_use-- races with every acquire (a data race), a waiter woken by
 * the signal can look before the decrement, go back to sleep, and nobody
 * signals again: a user who waits forever for a free connection. */
#include "pool.h"

#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    int in_use;
    pthread_mutex_t m;
    pthread_cond_t room; /* signalled when a connection comes back */
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
    lab_cond_signal(&p->room); /* wake first */
    lab_mutex_lock(&p->m);
    p->busy[conn] = 0;
    lab_mutex_unlock(&p->m);
    p->in_use--; /* no lock: "just a decrement" */
}

void pool_destroy(pool_t *p) {
    lab_cond_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
