/* Wrong submission for lab 09: the waiters peek at the generation without
 * the mutex and sleep only when it has not moved ("saves a lock per spin").
 * Wrong: the peek races with the last arrival's write (a data race, which
 * ThreadSanitizer reports), and a spinning waiter burns a CPU. */
#include "barrier.h"

#include <sched.h>
#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    unsigned long gen; /* rounds completed; peeked at without the mutex */
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    lab_mutex_lock(&b->m);
    unsigned long mine = b->gen;    /* the round I arrived in */
    if (++b->count == b->parties) { /* the last one in opens the barrier */
        b->count = 0;
        b->gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        lab_mutex_unlock(&b->m);
        while (b->gen == mine) /* peek, no lock */
            sched_yield();
        lab_mutex_lock(&b->m);
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
