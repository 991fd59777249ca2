/* Lab 01, race counter: per-thread shards, summed on read.
 *
 * A single atomic still makes every core fight over one cache line. Here each
 * thread adds to its own shard, on a cache line of its own, so threads on
 * different cores never touch the same line while counting; counter_get()
 * pays instead, by summing every shard. Threads take shards in turn; with more
 * threads than shards two may share one, which the atomic add keeps correct. */
#include "counter.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

#define SHARDS 64
#define CACHE_LINE 64

struct shard {
    _Alignas(CACHE_LINE) atomic_long value;
};

struct counter {
    struct shard shard[SHARDS];
};

/* A thread's shard index, the same for every counter: handed out in turn. */
static atomic_uint next_shard;
static _Thread_local int my_shard = -1;

static inline int shard_index(void) {
    if (__builtin_expect(my_shard < 0, 0))
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS);
    return my_shard;
}

counter_t *counter_create(void) {
    counter_t *c = lab_aligned_alloc(CACHE_LINE, sizeof *c);
    for (int i = 0; i < SHARDS; i++)
        atomic_init(&c->shard[i].value, 0);
    return c;
}

void counter_inc(counter_t *c) {
    atomic_fetch_add_explicit(&c->shard[shard_index()].value, 1, memory_order_relaxed);
}

long counter_get(counter_t *c) {
    long sum = 0;
    for (int i = 0; i < SHARDS; i++)
        sum += atomic_load_explicit(&c->shard[i].value, memory_order_relaxed);
    return sum;
}

void counter_destroy(counter_t *c) { free(c); }
