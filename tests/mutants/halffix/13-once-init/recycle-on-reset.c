/* fixed.c, but config_reset_for_test() does not free the config: it keeps
 * the block as a spare, and the next build reuses it ("saves a malloc and a
 * free per test case"). One block stays allocated for the life of the
 * program, and the count of live blocks never grows from reset to reset,
 * so the builds-once check's count passes. config.h: "forget (and free)
 * the configuration". Demonstration: the single check steps one reset,
 * instruction by instruction, and notes the block of every call of free()
 * in it: the config's block is not among them ("config_reset_for_test()
 * frees the configuration / the block config_get() returned was not
 * passed to free() by the reset"). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long builds;

static _Atomic(config_t *) instance;
static config_t *spare; /* a block kept from the last reset, guarded by the contract of reset */

/* The slow path, kept out of line so that the fast path every call pays
 * stays a load and a test. */
static __attribute__((noinline)) config_t *config_create(void) {
    lab_mutex_lock(&lock);
    config_t *c = atomic_load_explicit(&instance, memory_order_relaxed); /* second check */
    if (c == NULL) {
        atomic_fetch_add(&builds, 1);
        c = spare != NULL ? spare : lab_calloc(1, sizeof *c); /* reuse the last one */
        spare = NULL;
        memset(c, 0, sizeof *c); /* config_fill() wants it zeroed */
        config_fill(c);                                            /* built... */
        atomic_store_explicit(&instance, c, memory_order_release); /* ...then published */
    }
    lab_mutex_unlock(&lock);
    return c;
}

const config_t *config_get(void) {
    config_t *c = atomic_load_explicit(&instance, memory_order_acquire); /* first check */
    if (c == NULL)
        return config_create();
    return c;
}

long config_builds(void) { return atomic_load(&builds); }

void config_reset_for_test(void) {
    /* Keep the block for the next build instead of freeing it: a test
     * suite that resets between cases would otherwise malloc and free the
     * same 96 bytes every time. */
    config_t *c = atomic_exchange(&instance, NULL);
    if (c != NULL)
        spare = c;
    atomic_store(&builds, 0);
}
