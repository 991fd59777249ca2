/* Lab 01, race counter, as a harness workload: every worker increments one
 * shared counter, and the regime picks the implementation, so the course's
 * table can be read off the lab's own code:
 *   gil      broken.c under the global lock: switches happen only between
 *            batches, so the unlocked read-add-write is never interrupted
 *   object   fixed.c (its own mutex)     atomic   alt-atomic.c
 *   sharded  alt-sharded.c               unsafe   broken.c, and the loss
 *   process  broken.c, one private counter per process, summed at the end
 * The build links each implementation with its functions renamed
 * (lab01_fixed__counter_inc, ...), so all of them live in one binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct counter counter_t;
#define COUNTER_API(impl)                                                      \
    counter_t *impl##__counter_create(void);                                   \
    void impl##__counter_inc(counter_t *c);                                    \
    long impl##__counter_get(counter_t *c);                                    \
    void impl##__counter_destroy(counter_t *c);
COUNTER_API(lab01_broken)
COUNTER_API(lab01_fixed)
COUNTER_API(lab01_alt_atomic)
COUNTER_API(lab01_alt_sharded)

typedef struct {
    counter_t *(*create)(void);
    void (*inc)(counter_t *c);
    long (*get)(counter_t *c);
    void (*destroy)(counter_t *c);
} impl_t;

#define IMPL(x) {x##__counter_create, x##__counter_inc, x##__counter_get, x##__counter_destroy}
static const impl_t broken = IMPL(lab01_broken), fixed = IMPL(lab01_fixed), atomic = IMPL(lab01_alt_atomic),
                    sharded = IMPL(lab01_alt_sharded);

typedef struct {
    const impl_t *impl;
    counter_t *c;
    long long merged; /* process: the children's counts */
} state_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    switch (p->regime) {
    case REGIME_OBJECT: s->impl = &fixed; break;
    case REGIME_ATOMIC: s->impl = &atomic; break;
    case REGIME_SHARDED: s->impl = &sharded; break;
    default: s->impl = &broken; break;
    }
    s->c = s->impl->create();
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    s->impl->destroy(s->c);
    free(s);
}

/* The implementation is chosen once per batch; inside it, one direct call
 * per increment through the chosen table is the whole loop. */
static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    void (*inc)(counter_t *) = s->impl->inc;
    for (long i = 0; i < n; i++)
        inc(s->c);
    return n;
}

static void result(wl_worker_t *w, void *out) {
    state_t *s = w->shared;
    long v = w->p->regime == REGIME_PROCESS ? s->impl->get(s->c) : 0;
    memcpy(out, &v, sizeof v);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    long v;
    memcpy(&v, res, sizeof v);
    ((state_t *)p)->merged += v;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    long long want = (long long)params->workers * params->ops;
    long long got = params->regime == REGIME_PROCESS ? s->merged : s->impl->get(s->c);
    if (got == want)
        return 0;
    snprintf(why, len, "counter %lld, expected %lld", got, want);
    return got < want ? (long)(want - got) : -1;
}

static const workload_t counter = {
    .name = "counter",
    .lab = "01-race-counter",
    .about = "lab 01: every worker increments one shared counter (the lab's own implementations)",
    .regimes = (1u << REGIME_COUNT) - 1,
    .slice = 256,
    .default_ops = 1000000,
    .result_size = sizeof(long),
    .setup = setup,
    .teardown = teardown,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(counter)
