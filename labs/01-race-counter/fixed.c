/* Lab 01, race counter: the reference fix.
 *
 * One mutex makes read, add and write a single step as far as any other
 * thread can tell: nobody else can read the value between our read and our
 * write, so no increment is lost. counter_get() takes the lock too, both to
 * see the latest value and so that reading is never itself a data race. */
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
    long v = c->value; /* read */
    lab_pause();       /* simulated work: others now wait at the lock */
    c->value = v + 1;  /* write */
    lab_mutex_unlock(&c->lock);
}

long counter_get(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_mutex_unlock(&c->lock);
    return v;
}

void counter_destroy(counter_t *c) {
    lab_mutex_destroy(&c->lock);
    free(c);
}
