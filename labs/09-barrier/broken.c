/* Lab 09, barrier: the classic mistake, a barrier that breaks when reused.
 *
 * The last thread to arrive resets the count to 0 and wakes the others,
 * who wait "until the count is back to 0". That works once. But the thread
 * that reset the count returns at once and, in a loop, arrives at the next
 * round and counts itself: the count is 1 again before the slower threads,
 * just woken, get the mutex back to look at it. They see 1, decide the
 * barrier is still closed and go back to sleep, now one round behind: the
 * next round never fills up, and everyone waits forever. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    unsigned long gen; /* rounds completed */
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
    if (++b->count == b->parties) { /* the last one in opens the barrier */
        b->count = 0;
        b->gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->count != 0) /* "until it is reset": the next round may be counting already */
            lab_cond_wait(&b->all_here, &b->m);
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
