/* Lab 09, barrier: another correct design, the library's own.
 *
 * POSIX has a reusable barrier, pthread_barrier_t, whose wait returns
 * PTHREAD_BARRIER_SERIAL_THREAD in exactly one thread per round. The bench
 * compares the hand-built generation barrier with it. */
#include "barrier.h"

#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_barrier_t b;
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    LAB_PTHREAD(pthread_barrier_init(&b->b, NULL, (unsigned)parties));
    return b;
}

int barrier_wait(barrier_t *b) {
    int rc = pthread_barrier_wait(&b->b);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        return 1;
    if (rc != 0)
        lab_pthread_die(rc, "pthread_barrier_wait(&b->b)", __FILE__, __LINE__);
    return 0;
}

void barrier_destroy(barrier_t *b) {
    LAB_PTHREAD(pthread_barrier_destroy(&b->b));
    free(b);
}
