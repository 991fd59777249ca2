/* Wrong: a sharded counter that assumes every thread owns its shard. A
 * thread takes the next of 8 slots and, believing nobody else writes there,
 * adds with an atomic load and store instead of a read-modify-write. With
 * more than 8 threads alive two share a slot and lose each other's
 * increments; ThreadSanitizer stays quiet (only atomics), 4 threads pass,
 * 96 threads lose counts. */
#include "counter.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

#define SLOTS 8

struct counter {
    atomic_long slot[SLOTS];
};

static atomic_uint next_slot;
static _Thread_local int my_slot = -1;

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    for (int i = 0; i < SLOTS; i++)
        atomic_init(&c->slot[i], 0);
    return c;
}

void counter_inc(counter_t *c) {
    if (my_slot < 0)
        my_slot = (int)(atomic_fetch_add(&next_slot, 1) % SLOTS);
    atomic_long *s = &c->slot[my_slot];
    atomic_store_explicit(s, atomic_load_explicit(s, memory_order_relaxed) + 1, memory_order_relaxed);
}

long counter_get(counter_t *c) {
    long sum = 0;
    for (int i = 0; i < SLOTS; i++)
        sum += atomic_load_explicit(&c->slot[i], memory_order_relaxed);
    return sum;
}

void counter_destroy(counter_t *c) { free(c); }
