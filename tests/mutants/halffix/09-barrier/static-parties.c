/* Wrong submission for lab 09 (examiner B): the number of parties is kept
 * in one file-scope variable, set by every barrier_create(), while the
 * count and the generation are per barrier. Wrong: barrier_create(parties)
 * makes a barrier for that many threads; once a barrier of another size is
 * made, the first one opens at the new size, too early or never.
 * How the grader shows it: rounds and serial run tours of 3, 5 and 2
 * threads at once (created in that order): the 3- and 5-tours open at 2,
 * so there are more openings than rounds (a round with two serial
 * threads, threads leaving early) and a tour hangs at its end (no progress
 * for 1 s), every run. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

static int parties; /* the size of the team */

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int count;
    unsigned long gen; /* rounds completed */
};

barrier_t *barrier_create(int n) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    parties = n;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    lab_mutex_lock(&b->m);
    unsigned long mine = b->gen;
    if (++b->count >= parties) {
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
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
