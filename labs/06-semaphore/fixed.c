/* Lab 06, semaphore: the reference fix.
 *
 * A counting semaphore that starts at `size` is the admission check and act
 * in one indivisible step: a wait takes one unit, or sleeps until a release
 * gives one back. Waiting users sleep in the kernel, costing no CPU.
 *
 * Once admitted, a user is sure a connection is free, and picking it is
 * check-and-act again, made one step the same way: each connection has a
 * "taken" flag, and an atomic exchange reads the flag and sets it at once,
 * so of two users who reach a free connection together exactly one sees it
 * free. No mutex is needed, and none of the pool's users ever waits for
 * another's bookkeeping: the semaphore is the only place anyone sleeps. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    sem_t room;         /* connections not taken */
    atomic_bool *taken; /* taken[c]: connection c has a user */
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    p->taken = lab_calloc((size_t)size, sizeof *p->taken);
    for (int c = 0; c < size; c++)
        atomic_init(&p->taken[c], 0);
    return p;
}

int pool_acquire(pool_t *p) {
    while (sem_wait(&p->room) != 0) /* sleeps while none is free */
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    /* Admitted, so one is free; but a user admitted after us may claim the
     * one we were about to reach, so go round until we win one. Acquire
     * order: whatever its last user did with the connection is seen. */
    for (int c = 0;; c = (c + 1) % p->size)
        if (!atomic_exchange_explicit(&p->taken[c], 1, memory_order_acquire))
            return c;
}

void pool_release(pool_t *p, int conn) {
    /* Release order: the next user of the connection sees what we did. The
     * flag is cleared before the post, so an admitted user finds it free. */
    atomic_store_explicit(&p->taken[conn], 0, memory_order_release);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    free(p->taken);
    free(p);
}
