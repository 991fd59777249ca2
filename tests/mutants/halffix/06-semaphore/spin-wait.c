/* Half-fix of lab 06: the check and the act are one step under a mutex,
 * and the pick too, but a user who finds the pool full spins (unlock,
 * yield, lock, look again), broken.c's third mistake. Wrong: pool.h says a
 * waiting user sleeps; each one burns a CPU while the pool stays full. */
#include "pool.h"

#include <sched.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size, in_use;
    pthread_mutex_t m;
    int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    lab_mutex_init(&p->m, NULL);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

int pool_acquire(pool_t *p) {
    lab_mutex_lock(&p->m);
    while (p->in_use >= p->size) { /* full: look again and again */
        lab_mutex_unlock(&p->m);
        sched_yield();
        lab_mutex_lock(&p->m);
    }
    p->in_use++;
    int conn = -1;
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!p->busy[c]) {
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
    lab_mutex_unlock(&p->m);
}

void pool_destroy(pool_t *p) {
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
