/* Wrong submission for lab 09: a generation barrier (right), but "serial"
 * is decided after the wake-up: whoever finds the count still at 0 when it
 * gets the mutex back says it is the serial thread. Wrong: every woken
 * thread that looks before the next round's first arrival says 1, so a
 * round has several serial threads (or none, when one laps in first). */
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
        (void)0; /* decided below */
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->gen == mine) /* until my round has ended, whatever the count says */
            lab_cond_wait(&b->all_here, &b->m);
    }
    if (b->count == 0) /* nobody of the next round here yet: I am the serial one */
        serial = 1;
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
