/* Wrong submission for lab 09 (examiner E): a generation barrier without a
 * mutex: arrivals count themselves with an atomic add, the last one resets
 * the count and bumps the generation, and the others yield until the
 * generation moves; every atomic operation is memory_order_relaxed ("x86
 * orders stores anyway"). Wrong: relaxed atomics order nothing else: a
 * thread that sees the new generation is not guaranteed to see what the
 * other parties wrote before they arrived (and the compiler may move those
 * writes past the barrier). README contract: "writes before the barrier are
 * seen after it by every party: no data race". The counting itself is
 * right.
 * How the grader shows it: race-free (ThreadSanitizer build) has each
 * thread write its slot, wait, and read every slot: with nothing but
 * relaxed atomics between them, TSan reports the write and the read as a
 * race, every run. */
#include "barrier.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct barrier {
    atomic_int count;
    atomic_ulong gen; /* rounds completed */
    int parties;
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    atomic_init(&b->count, 0);
    atomic_init(&b->gen, 0);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    unsigned long mine = atomic_load_explicit(&b->gen, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_relaxed) + 1 == b->parties) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_store_explicit(&b->gen, mine + 1, memory_order_relaxed);
        return 1;
    }
    while (atomic_load_explicit(&b->gen, memory_order_relaxed) == mine)
        sched_yield();
    return 0;
}

void barrier_destroy(barrier_t *b) { free(b); }
