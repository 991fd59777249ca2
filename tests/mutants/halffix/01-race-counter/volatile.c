/* Wrong: `volatile` for thread safety. volatile makes every access reach
 * memory but keeps value++ a load, an add and a store: two threads still
 * load the same value and one increment is lost. 4 threads x 1500
 * increments end short of 6000. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    volatile long value;
};

counter_t *counter_create(void) { return lab_calloc(1, sizeof(counter_t)); }

void counter_inc(counter_t *c) { c->value++; }

long counter_get(counter_t *c) { return c->value; }

void counter_destroy(counter_t *c) { free(c); }
