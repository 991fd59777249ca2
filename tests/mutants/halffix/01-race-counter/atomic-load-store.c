/* Wrong: an atomic variable, but the increment is an atomic load followed
 * by an atomic store. Each access is atomic, the pair is not: two threads
 * load 41, both store 42. ThreadSanitizer says nothing (atomics never race),
 * but the count comes up short once another thread runs between the two. */
#include "counter.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct counter {
    atomic_long value;
};

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    atomic_init(&c->value, 0);
    return c;
}

void counter_inc(counter_t *c) { atomic_store(&c->value, atomic_load(&c->value) + 1); }

long counter_get(counter_t *c) { return atomic_load(&c->value); }

void counter_destroy(counter_t *c) { free(c); }
