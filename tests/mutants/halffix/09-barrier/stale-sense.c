/* Wrong submission for lab 09 (examiner H): a sense-reversing barrier
 * whose local sense is kept per thread and per barrier, in a thread-local
 * table keyed by the barrier's address. Wrong: barrier_destroy() cannot
 * clear other threads' tables, so an entry outlives its barrier; the next
 * barrier_create() often gets the same address from malloc, and a thread
 * whose old sense is 1 (an odd number of rounds) flips it to 0, finds the
 * new barrier's sense 0 already, and walks through its first round
 * without waiting. barrier.h: barrier_wait() returns once `parties`
 * threads have called it in this round.
 * How the grader shows it: rounds runs 12 phases in which the same 3
 * threads make a barrier (thread 0 makes each just after destroying the
 * last, so malloc soon gives the old address back), meet at it for 3
 * rounds and destroy it. In each first round thread 0 arrives alone and the
 * others only once it is seen asleep in the barrier (or has spun 20 ms of
 * CPU, or left): at the first reused address thread 0 walks out alone and
 * fails "one left round 1 of phase 9 of 12 early". */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    int sense; /* flips when a round completes */
};

enum { SLOTS = 16 };
static _Thread_local struct {
    barrier_t *b;
    int sense;
} mine[SLOTS]; /* this thread's sense at each barrier it uses */
static _Thread_local int next_slot;

static int *my_sense(barrier_t *b) {
    for (int i = 0; i < SLOTS; i++)
        if (mine[i].b == b)
            return &mine[i].sense;
    int i = next_slot++ % SLOTS; /* a new barrier for this thread */
    mine[i].b = b;
    mine[i].sense = 0; /* a new barrier starts with sense 0 */
    return &mine[i].sense;
}

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int *s = my_sense(b);
    int local = *s = !*s; /* the sense this round will end with */
    int serial = 0;
    lab_mutex_lock(&b->m);
    if (++b->count == b->parties) {
        b->count = 0;
        b->sense = local;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->sense != local)
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
