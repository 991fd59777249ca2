/* Wrong: alt-sharded.c made "faster" by giving every thread a slot of its
 * own, so that an increment needs no read-modify-write: a thread claims one
 * of 64 padded slots on its first increment (a bit in a mask), adds with a
 * plain load and store, and a pthread_key destructor hands the slot back
 * when the thread exits. With more than 64 threads ALIVE at once, the 65th
 * thread's first counter_inc() waits (yielding) for a slot until some
 * thread exits, which in a long-lived pool never happens. That breaks
 * counter.h's "May be called from any number of threads at once" and the
 * README's "no increment is ever lost, any number of threads". The crowd
 * check runs 96 threads that all stay alive until every one has made its
 * increments (a barrier): 64 wait there, the 32 others spin in
 * counter_inc() for ever, and the stall watch fails the check after 5 s of
 * no progress, every run. */
#include "counter.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "lab.h"

#define SLOTS 64
#define CACHE_LINE 64

struct slot {
    _Alignas(CACHE_LINE) atomic_long value;
};

struct counter {
    struct slot slot[SLOTS];
};

static _Atomic uint64_t taken; /* bit i: slot i belongs to a live thread */
static _Thread_local int my_slot = -1;
static pthread_key_t slot_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void give_back(void *unused) {
    (void)unused;
    if (my_slot >= 0)
        atomic_fetch_and_explicit(&taken, ~((uint64_t)1 << my_slot), memory_order_release);
    my_slot = -1;
}

static void make_key(void) { LAB_PTHREAD(pthread_key_create(&slot_key, give_back)); }

static int claim_slot(void) {
    for (;;) {
        uint64_t m = atomic_load_explicit(&taken, memory_order_acquire);
        if (m != UINT64_MAX) {
            int i = __builtin_ctzll(~m);
            if (atomic_compare_exchange_weak_explicit(&taken, &m, m | ((uint64_t)1 << i),
                                                      memory_order_acq_rel, memory_order_acquire)) {
                my_slot = i;
                pthread_setspecific(slot_key, (void *)1); /* give it back at exit */
                return i;
            }
            continue;
        }
        sched_yield(); /* all 64 in use: wait for a thread to exit */
    }
}

counter_t *counter_create(void) {
    pthread_once(&key_once, make_key);
    counter_t *c = lab_aligned_alloc(CACHE_LINE, sizeof *c);
    for (int i = 0; i < SLOTS; i++)
        atomic_init(&c->slot[i].value, 0);
    return c;
}

void counter_inc(counter_t *c) {
    int i = my_slot >= 0 ? my_slot : claim_slot();
    /* my slot: nobody else writes it, so load and store are enough */
    long v = atomic_load_explicit(&c->slot[i].value, memory_order_relaxed);
    lab_pause();
    atomic_store_explicit(&c->slot[i].value, v + 1, memory_order_relaxed);
}

long counter_get(counter_t *c) {
    long sum = 0;
    for (int i = 0; i < SLOTS; i++)
        sum += atomic_load_explicit(&c->slot[i].value, memory_order_relaxed);
    return sum;
}

void counter_destroy(counter_t *c) { free(c); }
