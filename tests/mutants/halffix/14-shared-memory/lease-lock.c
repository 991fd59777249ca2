/* A lock with a lease instead of a robust mutex: the lock word in the
 * shared page holds the time until which its holder may keep it, and a
 * waiter that finds the lease run out (100 ms) takes the lock, "the holder
 * must be dead".
 * Wrong because a holder that is only slow (preempted, stopped, or inside
 * an update() whose fn takes a while) loses the lock while still inside:
 * two holders, and the slow one's store wipes out the other's adds.
 * shmvalue.h: add is "one step, as if nothing else ran meanwhile", and
 * update: "no other change comes between reading `old` and storing the
 * result". Demonstration: the processes check ends with a slow holder:
 * one process's update(+1) keeps its fn running (where the lock is held)
 * until the driver lets it go, while another process makes 100 adds.
 * The driver lets it go once an add has finished or once the adder waits
 * asleep with no time limit: here the adder's sleep has one, and after
 * 100 ms it takes the lock and its adds finish; the slow update's store
 * then undoes them: 100 lost, every run. */
#include "shmvalue.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "lab.h"

#define LEASE_NS 100000000L /* 100 ms */

struct shm_value {
    _Atomic long lease; /* 0: free; else when the holder's lease ends (ns, CLOCK_MONOTONIC) */
    long value;
};

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

shm_value_t *shm_value_create(long initial) {
    /* MAP_SHARED, so that fork() shares the page instead of copying it */
    shm_value_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) {
        perror("shm_value_create: mmap");
        abort();
    }
    if (!atomic_is_lock_free(&v->lease)) {
        fprintf(stderr, "shm_value_create: atomic long is not lock-free here\n");
        abort();
    }
    atomic_init(&v->lease, 0);
    v->value = initial;
    return v;
}

/* Take the lock; a lease that ran out belonged to a dead holder. */
static void value_lock(shm_value_t *v) {
    for (;;) {
        long cur = atomic_load_explicit(&v->lease, memory_order_relaxed);
        long t = now_ns();
        if ((cur == 0 || cur < t) &&
            atomic_compare_exchange_weak_explicit(&v->lease, &cur, t + LEASE_NS, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        nanosleep(&(struct timespec){0, 20000}, NULL); /* sleep, do not spin */
    }
}

static void value_unlock(shm_value_t *v) { atomic_store_explicit(&v->lease, 0, memory_order_release); }

void shm_value_add(shm_value_t *v, long delta) {
    value_lock(v);
    long old = v->value;
    lab_pause();
    v->value = old + delta;
    value_unlock(v);
}

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    value_lock(v);
    long old = v->value;
    lab_pause();
    long now = fn(old, arg);
    v->value = now;
    value_unlock(v);
    return now;
}

long shm_value_get(shm_value_t *v) {
    value_lock(v);
    long now = v->value;
    value_unlock(v);
    return now;
}

void shm_value_destroy(shm_value_t *v) {
    if (munmap(v, sizeof *v) != 0) {
        perror("shm_value_destroy: munmap");
        abort();
    }
}
