/* Wrong submission for lab 09 (examiner E): fixed.c's generation barrier
 * with the party count and the arrival count in unsigned char fields ("a
 * team of threads is small"). Wrong: barrier_create(parties) takes any int
 * >= 1; a barrier for 300 keeps 44 and opens when 44 have arrived, one for
 * 257 keeps 1 and opens at every call. barrier.h: "Wait until `parties`
 * threads have called barrier_wait() in this round".
 * How the grader shows it: rounds ends with 3 threads at a barrier for 257
 * parties (then 3 at one for 65537); once all are seen asleep (or have
 * spun 20 ms of CPU time), none may have returned, and they have, so the
 * check fails, every run. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    unsigned char parties, count; /* a team fits in a byte */
    unsigned long gen; /* rounds completed */
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    b->parties = (unsigned char)parties;
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
