/* Wrong: a mutex that protects nothing. counter_inc() declares and
 * initialises its own mutex on the stack, so every call, in every thread,
 * locks a different mutex and nobody ever waits: the read-add-write is as
 * unprotected as in broken.c, and 4 threads lose increments. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    long value;
};

counter_t *counter_create(void) { return lab_calloc(1, sizeof(counter_t)); }

void counter_inc(counter_t *c) {
    pthread_mutex_t lock;
    lab_mutex_init(&lock, NULL);
    lab_mutex_lock(&lock);
    c->value++;
    lab_mutex_unlock(&lock);
    lab_mutex_destroy(&lock);
}

long counter_get(counter_t *c) { return c->value; }

void counter_destroy(counter_t *c) { free(c); }
