/* Wrong submission for lab 09: the round's count is reset by the last
 * thread to LEAVE, not the last to arrive ("everyone is out, start over").
 * Wrong: the first thread out laps back to the next round while the count
 * still says everyone is here, and walks straight through: it leaves round
 * k+1 before the others have even arrived. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count, left;
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
    if (++b->count == b->parties) {
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    }
    while (b->count < b->parties)
        lab_cond_wait(&b->all_here, &b->m);
    if (++b->left == b->parties) { /* the last one out resets */
        b->count = 0;
        b->left = 0;
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
