/* Wrong submission for lab 09: a sense-reversing barrier keeps each thread's
 * sense in a per-barrier table of 64 slots indexed by a thread number taken
 * from a global counter modulo 64, so the 65th thread a program starts
 * shares a slot with a live one and the two flip one sense (the barrier
 * hangs or lets one through), breaking "nobody leaves a round until all
 * parties have arrived... nobody is left behind" (README task) for programs
 * with more than 64 threads over their life. How the grader shows it: in
 * rounds, 10 groups of 16 new threads, one group after another, meet two
 * guides that stay at one barrier for 18; in each group's first round guide
 * 0 arrives last, once all the others are seen asleep in the barrier. Some
 * 64 newcomers on, one gets a guide's slot (the count of threads modulo 64),
 * the two flip one sense, and one of them walks through its round while
 * guide 0 is still to come: it sees the round incomplete itself and the
 * check fails (were it guide 0, the round would never open and the stall
 * watchdog would say so), every run. */
#include "barrier.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

enum { MAX_THREADS = 64 };

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    int sense;                      /* flips every round */
    unsigned char local[MAX_THREADS]; /* each thread's sense at this barrier */
};

static atomic_int next_thread;
static _Thread_local int my_slot = -1;

static int slot(void) {
    if (my_slot < 0)
        my_slot = atomic_fetch_add(&next_thread, 1) % MAX_THREADS;
    return my_slot;
}

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0, i = slot();
    lab_mutex_lock(&b->m);
    int my_sense = !b->local[i];
    b->local[i] = (unsigned char)my_sense;
    if (++b->count == b->parties) { /* the last one in opens the barrier */
        b->count = 0;
        b->sense = my_sense;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->sense != my_sense) /* until the barrier's sense is mine */
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
