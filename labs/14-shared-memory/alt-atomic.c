/* Lab 14, shared memory: another correct design, an atomic in the shared
 * page and no lock at all.
 *
 * An add is one atomic read-modify-write (lock xadd on x86), which has no
 * window to widen and no holder to die: a process killed at any moment has
 * either added or not. A multi-step update reads the value, computes the
 * new one and installs it with compare-and-swap only if nobody changed the
 * value meanwhile, else tries again with what it found; a process that dies
 * halfway has installed nothing. This is only sound across processes if the
 * atomic is lock-free: a "lock-based" atomic (libatomic's fallback) keeps
 * its locks in each process's private memory, so create() refuses that. */
#include "shmvalue.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    _Atomic long value;
};

shm_value_t *shm_value_create(long initial) {
    /* MAP_SHARED, so that fork() shares the page instead of copying it */
    shm_value_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) {
        perror("shm_value_create: mmap");
        abort();
    }
    if (!atomic_is_lock_free(&v->value)) {
        fprintf(stderr, "shm_value_create: atomic long is not lock-free here: unsafe between processes\n");
        abort();
    }
    atomic_init(&v->value, initial);
    return v;
}

void shm_value_add(shm_value_t *v, long delta) { atomic_fetch_add(&v->value, delta); }

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    long old = atomic_load(&v->value), now;
    do {
        lab_pause(); /* a change here makes the swap fail, and we retry */
        now = fn(old, arg);
    } while (!atomic_compare_exchange_weak(&v->value, &old, now));
    return now;
}

long shm_value_get(shm_value_t *v) { return atomic_load(&v->value); }

void shm_value_destroy(shm_value_t *v) {
    if (munmap(v, sizeof *v) != 0) {
        perror("shm_value_destroy: munmap");
        abort();
    }
}
