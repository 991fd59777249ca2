/* fixed.c, but every call looks at the pointer under a test-and-set spin
 * lock of its own, an atomic_flag ("a spin lock is cheap, and it is not a
 * pthread lock"), which the driver's count of lock calls does not see.
 * Every call writes the flag's cache line, and a caller preempted while it
 * holds the flag holds up every other caller. README: "Keep the fast path
 * fast: after the first call, no lock." Demonstration: the single check
 * steps one call after the first, instruction by instruction, and after
 * each instruction of its code forks a copy of the program where a second
 * caller calls config_get(): in the copies made while the first holds the
 * flag, the second spins and never returns ("no lock after the first call:
 * no caller waits for another on the fast path / ... held up a second
 * caller: it spun"). */
#include <sched.h>
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;

static _Atomic(config_t *) instance;

/* The slow path, kept out of line so that the fast path every call pays
 * stays a load and a test. */
static __attribute__((noinline)) config_t *config_create(void) {
    lab_mutex_lock(&lock);
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed); /* second check */
    if (c == NULL) {
        atomic_fetch_add(&builds, 1);
        c = lab_calloc(1, sizeof *c);
        config_fill(c);                                            /* built... */
        atomic_store_explicit(&instance, c, memory_order_release); /* ...then published */
    }
    lab_mutex_unlock(&lock);
    return c;
}

/* Every call looks at the pointer under a tiny spin lock of our own: no
 * pthread lock on the fast path, and no unlocked read of the pointer. */
static atomic_flag spin = ATOMIC_FLAG_INIT;

const config_t *config_get(void) {
    while (atomic_flag_test_and_set_explicit(&spin, memory_order_acquire))
        sched_yield();
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire);
    atomic_flag_clear_explicit(&spin, memory_order_release);
    if (c == NULL)
        return config_create();
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    free(atomic_exchange(&instance, NULL));
    atomic_store(&builds, 0);
}
