/* Lab 12, LRU cache, as a harness workload: memoised calls of a slow
 * function (about 12 us of arithmetic), the way a decorated Python function
 * is called. Every worker calls it with arguments drawn from 2048 values;
 * the cache holds 4096 entries, so once a value is computed and cached,
 * every later call with that argument is a hit. The regime picks who
 * shares the cache:
 *   gil      broken.c under the global lock: each batch of calls runs
 *            uninterrupted, so the unlocked cache is safe, but the slow
 *            function runs on one CPU at a time
 *   object   fixed.c, one cache for all threads behind its mutex: each value
 *            is computed about once, by whichever thread first missed it,
 *            and the slow calls run in parallel
 *   process  broken.c, a private cache in every process: no lock is needed,
 *            but every process computes all 2048 values itself
 * So a shared cache does less work as workers are added (its hit ratio
 * rises from 1 - 2048/ops towards 1), while private caches each pay the
 * whole warm-up again. There is no `unsafe` regime: broken.c shared by
 * unlocked threads crashes or loops (see the lab's tests). A hit whose
 * value was computed for another argument, or a cache whose map and list
 * disagree at the end, makes the run wrong. The build links each
 * implementation with its functions renamed (lab12_fixed__lru_get, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct lru lru_t;
#define LRU_API(impl)                                                          \
    lru_t *impl##__lru_create(size_t capacity);                                \
    int impl##__lru_get(lru_t *c, uint64_t key, uint64_t *value);              \
    void impl##__lru_put(lru_t *c, uint64_t key, uint64_t value);              \
    int impl##__lru_check(lru_t *c, char *why, size_t len);                    \
    void impl##__lru_destroy(lru_t *c);
LRU_API(lab12_broken)
LRU_API(lab12_fixed)

typedef struct {
    lru_t *(*create)(size_t capacity);
    int (*get)(lru_t *c, uint64_t key, uint64_t *value);
    void (*put)(lru_t *c, uint64_t key, uint64_t value);
    int (*check)(lru_t *c, char *why, size_t len);
    void (*destroy)(lru_t *c);
} impl_t;

#define IMPL(x) {x##__lru_create, x##__lru_get, x##__lru_put, x##__lru_check, x##__lru_destroy}
static const impl_t broken = IMPL(lab12_broken), fixed = IMPL(lab12_fixed);

enum { ARGS = 2048, CAPACITY = 4096, SLOW_STEPS = 4000 };

/* The memoised function: a chain of dependent xorshift steps, which the
 * compiler cannot shorten. The argument rides in the top half of the
 * result, so a hit can be checked against the argument it was for. */
static uint64_t slow(uint64_t arg) {
    uint64_t h = arg | 1;
    for (int i = 0; i < SLOW_STEPS; i++) {
        h ^= h << 13, h ^= h >> 7, h ^= h << 17;
        __asm__("" : "+r"(h));
    }
    return arg << 32 | (h & 0xffffffffu);
}

typedef struct {
    long long calls, computed, wrong;
    long long bad_cache; /* process: 1 if the child's own cache failed lru_check */
} tally_t;

typedef struct {
    const impl_t *impl;
    lru_t *cache;
    tally_t sum; /* every worker's tally, added up in the parent */
} state_t;

typedef struct {
    uint64_t x; /* xorshift state: which argument next */
    tally_t t;
} caller_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->impl = p->regime == REGIME_OBJECT ? &fixed : &broken;
    s->cache = s->impl->create(CAPACITY);
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    s->impl->destroy(s->cache);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared;
    caller_t *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->x = (0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1)) ^ p->seed;
    return c;
}

static void worker_fini(void *local) { free(local); }

static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    caller_t *c = w->local;
    uint64_t x = c->x | 1;
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t arg = ((x >> 32) * ARGS) >> 32, v;
        if (s->impl->get(s->cache, arg, &v)) {
            c->t.wrong += (v >> 32) != arg;
        } else {
            s->impl->put(s->cache, arg, slow(arg));
            c->t.computed++;
        }
    }
    c->x = x;
    c->t.calls += n;
    return n;
}

/* A process also checks its own private cache before it goes. */
static void result(wl_worker_t *w, void *out) {
    caller_t *c = w->local;
    tally_t t = c->t;
    if (w->p->regime == REGIME_PROCESS) {
        state_t *s = w->shared;
        char why[160];
        t.bad_cache = s->impl->check(s->cache, why, sizeof why) != 0;
    }
    memcpy(out, &t, sizeof t);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    tally_t t;
    memcpy(&t, res, sizeof t);
    s->sum.calls += t.calls;
    s->sum.computed += t.computed;
    s->sum.wrong += t.wrong;
    s->sum.bad_cache += t.bad_cache;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    long long want = (long long)params->workers * params->ops;
    if (s->sum.calls != want) {
        snprintf(why, len, "%lld calls counted of %lld made", s->sum.calls, want);
        return -1;
    }
    if (s->sum.wrong > 0) {
        snprintf(why, len, "%lld hits returned a value computed for another argument", s->sum.wrong);
        return -1;
    }
    if (s->sum.bad_cache > 0) {
        snprintf(why, len, "%lld processes' caches failed lru_check", s->sum.bad_cache);
        return -1;
    }
    if (params->regime != REGIME_PROCESS && s->impl->check(s->cache, why, len) != 0)
        return -1;
    /* A shared cache computes each argument at least once (twice when two
     * threads miss it together); there are only ARGS of them. */
    if (s->sum.computed > (long long)params->workers * ARGS) {
        snprintf(why, len, "%lld values computed for %d arguments and %d callers", s->sum.computed, ARGS,
                 params->workers);
        return -1;
    }
    return 0;
}

static const workload_t memo = {
    .name = "memo",
    .lab = "12-lru-cache",
    .about = "lab 12: memoised calls of a 12 us function, 2048 arguments, an LRU cache of 4096 (the lab's own)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 64,
    .default_ops = 20000,
    .result_size = sizeof(tally_t),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(memo)
