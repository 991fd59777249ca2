/* Lab 01, race counter: the API every implementation of the shared counter
 * provides. broken.c, fixed.c, alt-*.c and student.c all include this header,
 * so the compiler holds each of them to the same contract.
 *
 * The counter is opaque: each implementation decides what it needs inside
 * (a lock, an atomic, one slot per thread) without changing its callers. */
#ifndef LOCKLAB_COUNTER_H
#define LOCKLAB_COUNTER_H

typedef struct counter counter_t;

/* A new counter at zero. Never returns NULL (aborts when out of memory). */
counter_t *counter_create(void);

/* Add one. May be called from any number of threads at once: no increment
 * may ever be lost. */
void counter_inc(counter_t *c);

/* The current total. Once every thread that incremented has been joined,
 * it is exactly the number of counter_inc() calls made. */
long counter_get(counter_t *c);

/* Free the counter; no thread may be using it. */
void counter_destroy(counter_t *c);

#endif
