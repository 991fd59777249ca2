/* Lab 09, barrier: the API of a reusable meeting point for a fixed number
 * of threads. broken.c, fixed.c, alt-*.c and student.c all include it. */
#ifndef LOCKLAB_BARRIER_H
#define LOCKLAB_BARRIER_H

typedef struct barrier barrier_t;

/* A barrier for `parties` (>= 1) threads. Never returns NULL. */
barrier_t *barrier_create(int parties);

/* Wait until `parties` threads have called barrier_wait() in this round,
 * then return in all of them: 1 in exactly one (the "serial" thread, like
 * PTHREAD_BARRIER_SERIAL_THREAD), 0 in the others. The barrier is then
 * ready for the next round, at once: a thread may call it again while
 * others are still returning from this one. */
int barrier_wait(barrier_t *b);

void barrier_destroy(barrier_t *b);

#endif
