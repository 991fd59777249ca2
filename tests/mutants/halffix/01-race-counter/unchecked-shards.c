/* Wrong: alt-sharded.c's design, but the padded shard array is a second
 * allocation made with aligned_alloc() and never checked: when memory runs
 * out for the 4 KB array (while the small struct still fits),
 * counter_create() writes through the NULL it got and the program dies of
 * SIGSEGV, where counter.h promises "Never returns NULL (aborts when out of
 * memory)" (README: "must die of SIGABRT"). The grader catches it in single:
 * copies of the driver that have run out of memory but for one free block (a
 * hole of 64 B to 16 KB, glibc's fast bins off and its cache of that size
 * full) call counter_create(): the struct fits in the hole, the 4 KB array
 * does not, and the copy dies of SIGSEGV where SIGABRT is due, every run. */
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
    struct shard *shard;
};

static atomic_uint next_shard;
static _Thread_local int my_shard = -1;

static int shard_index(void) {
    if (my_shard < 0)
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS);
    return my_shard;
}

counter_t *counter_create(void) {
    counter_t *c = lab_calloc(1, sizeof *c); /* aborts when out of memory */
    c->shard = aligned_alloc(CACHE_LINE, SHARDS * sizeof *c->shard);
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

void counter_destroy(counter_t *c) {
    free(c->shard);
    free(c);
}
