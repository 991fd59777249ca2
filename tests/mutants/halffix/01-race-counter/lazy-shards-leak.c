/* Wrong: a sharded counter whose 4 KB of shards are allocated lazily by the
 * first counter_inc() ("counters never incremented stay small"), published
 * with a compare-and-swap; but a thread that loses that CAS to another first
 * incrementer forgets to free the block it allocated. Every counter first
 * incremented by two threads at once leaks 4 KB, against counter.h's
 * "counter_destroy(): Free the counter" (README: "destroy frees"). The grader
 * catches it in lost-updates: 32 fresh counters, each first incremented by 3
 * threads woken together from a gate (the perturbing build's yields inside
 * one's first counter_inc() let the others into the same window), then
 * destroyed; the driver counts the implementation's blocks
 * (lab_expect_freed): about two leaked per counter, every run. */
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
    _Atomic(struct shard *) shards; /* NULL until the first increment */
};

static atomic_uint next_shard;
static _Thread_local int my_shard = -1;

static int shard_index(void) {
    if (my_shard < 0)
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS);
    return my_shard;
}

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c);
    atomic_init(&c->shards, NULL);
    return c;
}

static struct shard *shards_of(counter_t *c) {
    struct shard *s = atomic_load_explicit(&c->shards, memory_order_acquire);
    if (s != NULL)
        return s;
    struct shard *fresh = lab_aligned_alloc(CACHE_LINE, SHARDS * sizeof *fresh);
    for (int i = 0; i < SHARDS; i++)
        atomic_init(&fresh[i].value, 0);
    struct shard *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&c->shards, &expected, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    return expected; /* another thread was first: use its shards */
}

void counter_inc(counter_t *c) {
    atomic_fetch_add_explicit(&shards_of(c)[shard_index()].value, 1, memory_order_relaxed);
}

long counter_get(counter_t *c) {
    struct shard *s = atomic_load_explicit(&c->shards, memory_order_acquire);
    long sum = 0;
    if (s != NULL)
        for (int i = 0; i < SHARDS; i++)
            sum += atomic_load_explicit(&s[i].value, memory_order_relaxed);
    return sum;
}

void counter_destroy(counter_t *c) {
    free(atomic_load_explicit(&c->shards, memory_order_relaxed));
    free(c);
}
