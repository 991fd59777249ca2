/* Wrong submission for lab 06: admission by a semaphore (right), then a
 * lock-free pick, an acquire compare-and-swap on each connection's flag,
 * but pool_release() clears the flag with a RELAXED store ("it's only a
 * flag") before posting. The README promises a connection passes from user
 * to user in order: what one user did with it happens before the next
 * user's use. A user admitted earlier that is still looking for a free
 * connection can find the flag already clear and take the connection: no
 * release store pairs with its acquire, and the previous user's sem_post()
 * came after its own sem_wait(), so nothing orders the previous user's
 * writes through the connection before its own.
 * How the grader shows it: the ThreadSanitizer check `race-free` also runs
 * 2 users x 2000 requests on a pool of 1000 whose other 998 connections the
 * driver holds, so every search passes 998 busy flags first and the other
 * user gives its connection back meanwhile: ThreadSanitizer reports the
 * race on the driver's plain per-connection field, every run. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    sem_t room;
    atomic_int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    for (int c = 0; c < size; c++)
        atomic_init(&p->busy[c], 0);
    return p;
}

int pool_acquire(pool_t *p) {
    while (sem_wait(&p->room) != 0)
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    for (;;) { /* admitted: one is free, or about to be */
        for (int c = 0; c < p->size; c++) {
            int expect = 0;
            if (atomic_compare_exchange_strong_explicit(&p->busy[c], &expect, 1, memory_order_acquire,
                                                        memory_order_relaxed))
                return c;
        }
    }
}

void pool_release(pool_t *p, int conn) {
    atomic_store_explicit(&p->busy[conn], 0, memory_order_relaxed); /* just a flag */
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    free(p->busy);
    free(p);
}
