/* Wrong submission for lab 09: barrier_destroy() keeps the last barrier as a
 * spare in an unguarded static pointer and barrier_create() hands it out
 * again (`b = spare; spare = NULL`, two steps), so two threads that create
 * barriers at once can both get the same one, breaking "barriers are
 * independent" (README contract) and barrier_create()'s promise of a new
 * barrier for `parties` threads. How the grader shows it: race-free
 * (ThreadSanitizer) has 4 threads take turns (handed over through relaxed
 * atomics, which order nothing) making, using and destroying barriers of
 * their own: one thread's barrier_destroy() writes `spare` and the next
 * one's barrier_create() reads and clears it with nothing ordering the two,
 * and ThreadSanitizer reports the data race on `spare` every run. (The
 * normal build cannot make two creators meet in the two-step window every
 * run.) */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    unsigned long gen; /* rounds completed */
};

static barrier_t *spare; /* the last barrier destroyed, mutex and condition still set up */

barrier_t *barrier_create(int parties) {
    barrier_t *b = spare;
    if (b != NULL) {
        spare = NULL; /* taken */
    } else {
        b = lab_calloc(1, sizeof *b);
        lab_mutex_init(&b->m, NULL);
        lab_cond_init(&b->all_here, NULL);
    }
    b->parties = parties;
    b->count = 0;
    b->gen = 0;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    lab_mutex_lock(&b->m);
    unsigned long mine = b->gen;
    if (++b->count == b->parties) {
        b->count = 0;
        b->gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->gen == mine)
            lab_cond_wait(&b->all_here, &b->m);
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    if (spare == NULL) { /* keep one for the next create */
        spare = b;
        return;
    }
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
