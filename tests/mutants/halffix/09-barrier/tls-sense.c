/* Wrong submission for lab 09 (examiner B): a sense-reversing barrier whose
 * "local sense" is one _Thread_local int for the whole program, not one per
 * thread and barrier. Wrong: each barrier_wait() flips the caller's sense
 * whichever barrier it is called on, so a thread that uses two barriers
 * arrives at one with the sense of the other and walks straight through
 * (or waits for a sense that never comes).
 * How the grader shows it: in rounds and serial, each tour's threads meet
 * at barrier A, A, B, A, A, B, ...: within a few rounds threads leave a
 * round early, the counts drift, and the tour hangs (no progress for 1 s)
 * or a thread leaves before its round has all arrived. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    int sense; /* flips at the end of every round */
};

static _Thread_local int my_sense; /* the sense of the round this thread is in */

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    my_sense = !my_sense; /* the sense the barrier will have when this round ends */
    lab_mutex_lock(&b->m);
    if (++b->count == b->parties) { /* the last one in opens the barrier */
        b->count = 0;
        b->sense = my_sense;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->sense != my_sense) /* until the round has ended */
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
