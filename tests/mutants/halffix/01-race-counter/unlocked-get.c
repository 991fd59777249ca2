/* Half-fix: counter_inc() locks, counter_get() does not. The total after the
 * join is right, but a thread reading while others add makes a plain read
 * race with a locked write: undefined behaviour in C11, and the value read
 * has no order with any increment. A reader thread beside two incrementers
 * shows the race to ThreadSanitizer every time. */
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
    c->value++;
    lab_mutex_unlock(&c->lock);
}

long counter_get(counter_t *c) { return c->value; }

void counter_destroy(counter_t *c) {
    lab_mutex_destroy(&c->lock);
    free(c);
}
