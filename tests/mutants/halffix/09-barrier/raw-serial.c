/* Wrong submission for lab 09 (examiner H): POSIX's pthread_barrier_t
 * (alt-pthread.c's design), but barrier_wait() passes
 * pthread_barrier_wait()'s return straight on. Wrong: the serial thread
 * gets PTHREAD_BARRIER_SERIAL_THREAD, -1 on glibc, not 1. barrier.h:
 * "return in all of them: 1 in exactly one (the "serial" thread, like
 * PTHREAD_BARRIER_SERIAL_THREAD), 0 in the others."
 * How the grader shows it: single expects 1 from every wait of a barrier
 * for one and gets -1; serial counts each return itself, 1 as serial, and
 * fails on any value other than 0 and 1 (it returned -1 in round 1). */
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
    /* "like PTHREAD_BARRIER_SERIAL_THREAD": pass the library's answer on */
    return pthread_barrier_wait(&b->b);
}

void barrier_destroy(barrier_t *b) {
    LAB_PTHREAD(pthread_barrier_destroy(&b->b));
    free(b);
}
