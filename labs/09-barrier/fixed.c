/* Lab 09, barrier: the reference fix, a generation barrier.
 *
 * A waiter must not ask "is the count back to 0?", a question the next
 * round can answer wrongly before it gets to look. It asks "has my round
 * ended?": each round has a number (its generation), a thread remembers the
 * number of the round it arrived in, and the last arrival starts the next
 * generation. A fast thread that laps into the next round changes the count
 * but can never take the generation back. */
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
    unsigned long mine = b->gen;    /* the round I arrived in */
    if (++b->count == b->parties) { /* the last one in opens the barrier */
        b->count = 0;
        b->gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->gen == mine) /* until my round has ended, whatever the count says */
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
