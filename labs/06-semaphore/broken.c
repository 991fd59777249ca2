/* Lab 06, semaphore: the classic mistake.
 *
 * "If fewer than size are in use, take one" is a check and an act, and
 * nothing holds them together: every user that checks before the others
 * act gets in, so more than `size` users hold connections at once. Picking
 * the connection has the same flaw: two users can both see connection 2
 * free and both take it. And while the pool is full the waiting users spin,
 * burning a CPU each to learn, again and again, that nothing changed. */
#include "pool.h"

#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    volatile int in_use; /* volatile: re-read on every turn of the spin; atomic it is not */
    int *busy; /* busy[c]: connection c is taken */
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

int pool_acquire(pool_t *p) {
    for (;;) {
        while (p->in_use >= p->size) /* wait for room... by spinning */
            ;
        lab_pause();  /* others pass the same check here */
        p->in_use++;  /* act on a check that may no longer hold */
        for (int c = 0; c < p->size; c++)
            if (!p->busy[c]) {
                lab_pause();    /* and the same connection looks free to two */
                p->busy[c] = 1;
                return c;
            }
        p->in_use--; /* none free after all: wait again */
    }
}

void pool_release(pool_t *p, int conn) {
    p->busy[conn] = 0;
    p->in_use--;
}

void pool_destroy(pool_t *p) {
    free(p->busy);
    free(p);
}
