/* Wrong because counter.h says counter_destroy() must "Free the counter",
 * but this one only destroys the mutex and never frees the memory (the
 * student thought pthread_mutex_destroy() was the cleanup). A program that
 * creates and destroys counters, one per request say, grows without end.
 * Created and destroyed 1 000 000 times, counters leave about 48 MB
 * allocated (mallinfo2 before and after). The grader shows it: single
 * counts the implementation's allocations and frees around create and
 * destroy (lab_expect_freed), every run. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    pthread_mutex_t lock;
    long value;
};

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    lab_mutex_init(&c->lock, NULL);
    return c;
}

void counter_inc(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_pause();
    c->value = v + 1;
    lab_mutex_unlock(&c->lock);
}

long counter_get(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_mutex_unlock(&c->lock);
    return v;
}

void counter_destroy(counter_t *c) {
    lab_mutex_destroy(&c->lock); /* cleaned up */
}
