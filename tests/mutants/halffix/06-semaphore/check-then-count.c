/* Half-fix of lab 06: a mutex and a condition (waiters sleep), but the
 * admission check and the count are two critical sections: the user waits
 * until in_use < size, lets go of the mutex, and counts itself in later,
 * broken.c's first mistake in new clothes. Wrong: several users pass the
 * check before any of them counts, so more than size hold connections and
 * one of them finds none free (-1). */
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
    lab_mutex_unlock(&p->m); /* checked: now act */
    lab_mutex_lock(&p->m);
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
    p->busy[conn] = 0;
    p->in_use--;
    lab_cond_signal(&p->room);
    lab_mutex_unlock(&p->m);
}

void pool_destroy(pool_t *p) {
    lab_cond_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
