/* Lab 01, race counter: a lock-free alternative.
 *
 * The hardware can do read-add-write as one indivisible instruction (a locked
 * add on x86). C11's atomic_fetch_add asks for exactly that, so there is no
 * window to protect. Relaxed ordering is enough: the counter publishes no
 * other data, and thread join already orders the final read after every add. */
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

void counter_inc(counter_t *c) { atomic_fetch_add_explicit(&c->value, 1, memory_order_relaxed); }

long counter_get(counter_t *c) { return atomic_load_explicit(&c->value, memory_order_relaxed); }

void counter_destroy(counter_t *c) { free(c); }
