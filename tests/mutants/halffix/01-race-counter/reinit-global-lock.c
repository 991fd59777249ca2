/* Wrong: one file-scope mutex for every counter, but counter_create() still
 * calls lab_mutex_init() on it, as fixed.c does on its own member. Every new
 * counter resets the lock every other counter is using, also while a thread
 * holds it inside counter_inc(): a second incrementer walks in and an
 * increment is lost, or a waiter is never woken. That breaks "counters are
 * independent" (README) and "no increment may ever be lost" (counter.h).
 * The race-free check's ThreadSanitizer run has one thread create, use and
 * destroy counters of its own, one per turn, while 4 others increment and
 * one reads: the lock's re-initialisation is a write no synchronisation
 * orders against the others' lock calls, reported on the creator's first
 * turn, every run. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock; /* shared by all counters */

struct counter {
    long value;
};

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    lab_mutex_init(&lock, NULL); /* "make sure the lock is ready" */
    return c;
}

void counter_inc(counter_t *c) {
    lab_mutex_lock(&lock);
    long v = c->value;
    lab_pause();
    c->value = v + 1;
    lab_mutex_unlock(&lock);
}

long counter_get(counter_t *c) {
    lab_mutex_lock(&lock);
    long v = c->value;
    lab_mutex_unlock(&lock);
    return v;
}

void counter_destroy(counter_t *c) { free(c); }
