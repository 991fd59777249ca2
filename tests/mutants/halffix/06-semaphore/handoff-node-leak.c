/* Wrong: a fair pool with direct hand-off: each user allocates its waiter
 * node (its own condition, so a release wakes exactly the oldest waiter)
 * before taking the pool's mutex, to keep malloc() out of the critical
 * section; a release hands its connection straight to the oldest waiter.
 * But when a connection is free at once, pool_acquire() returns without
 * freeing the node it allocated: every acquire that does not wait leaks
 * one node, so a pool serving requests grows the heap without end (pool.h
 * promises nothing of the kind; pool_destroy() cannot find them).
 * The grader: single counts the implementation's blocks (its allocations
 * less its frees, lab_impl_live_allocs) from after a warm-up pool to after
 * pool_destroy() of pools of 1, 3, 40, 100 and 1000 and some 3000
 * acquires that never wait: here some 4000 nodes are still live, and the
 * check fails every run (at-most counts the same over its crowd of 20
 * users, and fails too). */
#include "pool.h"

#include <stdlib.h>

#include "lab.h"

struct waiter {
    pthread_cond_t cv;
    int conn; /* handed over by a release, -1 until then */
    struct waiter *next;
};

struct pool {
    int size, nfree;
    int *busy;
    pthread_mutex_t m;
    struct waiter *head, *tail; /* oldest first */
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    p->nfree = size;
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    lab_mutex_init(&p->m, NULL);
    return p;
}

int pool_acquire(pool_t *p) {
    struct waiter *w = lab_calloc(1, sizeof *w); /* outside the lock */
    lab_mutex_lock(&p->m);
    if (p->nfree > 0 && p->head == NULL) {
        int conn = -1;
        for (int c = 0; c < p->size && conn < 0; c++)
            if (!p->busy[c]) {
                lab_pause();
                p->busy[c] = 1;
                conn = c;
            }
        p->nfree--;
        lab_mutex_unlock(&p->m);
        return conn;
    }
    lab_cond_init(&w->cv, NULL);
    w->conn = -1;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    while (w->conn < 0)
        lab_cond_wait(&w->cv, &p->m);
    lab_mutex_unlock(&p->m);
    int conn = w->conn;
    lab_cond_destroy(&w->cv);
    free(w);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    struct waiter *w = p->head;
    if (w) { /* hand it to the oldest waiter: it stays busy */
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        w->conn = conn;
        lab_cond_signal(&w->cv);
    } else {
        p->busy[conn] = 0;
        p->nfree++;
    }
    lab_mutex_unlock(&p->m);
}

void pool_destroy(pool_t *p) {
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
