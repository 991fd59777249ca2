/* Wrong submission for lab 09: count and generation are static ("the tour
 * has one meeting point"); each barrier keeps only its mutex and condition.
 * Wrong: barrier.h hands out separate barriers; with two in use, threads of
 * both add to one count, a round "fills up" with travellers of two tours,
 * and the two tours' threads touch the count under different mutexes. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

static int g_count; /* one count and generation for every barrier */
static unsigned long g_gen;

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties;
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
    unsigned long mine = g_gen;    /* the round I arrived in */
    if (++g_count == b->parties) { /* the last one in opens the barrier */
        g_count = 0;
        g_gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (g_gen == mine) /* until my round has ended, whatever the count says */
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
