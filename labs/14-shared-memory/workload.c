/* Lab 14, shared memory, as harness workloads: five processes adding to
 * one number, set against threads doing the same and against workers that
 * each count on their own and are summed at the end.
 *
 * `shm-value`: every worker adds 1 to one value, made by setup() in the
 * harness's parent before any worker starts; the regime picks who the
 * workers are and which implementation they use:
 *   process  forked workers and fixed.c: the value's page is MAP_SHARED, so
 *            the children add to the parent's very number through its
 *            robust process-shared lock (multiprocessing.Value)
 *   object   threads and fixed.c: the same value and lock
 *   gil      threads and fixed.c under the global lock, as Python threads
 *            would take the Value's lock while also holding the GIL
 *   atomic   threads and alt-atomic.c     unsafe  threads and broken.c
 * `shm-tally`: every worker counts in memory of its own and hands its count
 * over once, at the end, where the parent sums them (what a Pool.map whose
 * tasks return counts does):
 *   process  forked workers, each count in the child's private copy, sent
 *            back through the harness's pipe
 *   sharded  threads, each count in a cache line of its own
 * The build links each implementation with its functions renamed
 * (lab14_fixed__shm_value_add, ...), so all of them live in one binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct shm_value shm_value_t;
#define SHM_API(impl)                                                          \
    shm_value_t *impl##__shm_value_create(long initial);                       \
    void impl##__shm_value_add(shm_value_t *v, long delta);                    \
    long impl##__shm_value_get(shm_value_t *v);                                \
    void impl##__shm_value_destroy(shm_value_t *v);
SHM_API(lab14_broken)
SHM_API(lab14_fixed)
SHM_API(lab14_alt_atomic)

typedef enum { IMPL_BROKEN, IMPL_FIXED, IMPL_ATOMIC } impl_t;

typedef struct {
    impl_t impl;
    shm_value_t *v;
} value_state_t;

static void *value_setup(const wl_params_t *p) {
    value_state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    switch (p->regime) {
    case REGIME_UNSAFE:
        s->impl = IMPL_BROKEN;
        s->v = lab14_broken__shm_value_create(0);
        break;
    case REGIME_ATOMIC:
        s->impl = IMPL_ATOMIC;
        s->v = lab14_alt_atomic__shm_value_create(0);
        break;
    default:
        s->impl = IMPL_FIXED;
        s->v = lab14_fixed__shm_value_create(0);
        break;
    }
    return s;
}

static long value_get(const value_state_t *s) {
    switch (s->impl) {
    case IMPL_BROKEN: return lab14_broken__shm_value_get(s->v);
    case IMPL_ATOMIC: return lab14_alt_atomic__shm_value_get(s->v);
    default: return lab14_fixed__shm_value_get(s->v);
    }
}

static void value_teardown(void *p) {
    value_state_t *s = p;
    switch (s->impl) {
    case IMPL_BROKEN: lab14_broken__shm_value_destroy(s->v); break;
    case IMPL_ATOMIC: lab14_alt_atomic__shm_value_destroy(s->v); break;
    default: lab14_fixed__shm_value_destroy(s->v); break;
    }
    free(s);
}

/* The implementation is chosen once per batch; inside it, a direct call
 * per add is the whole loop. */
static long value_run(wl_worker_t *w, long first, long n) {
    (void)first;
    value_state_t *s = w->shared;
    shm_value_t *v = s->v;
    switch (s->impl) {
    case IMPL_BROKEN:
        for (long i = 0; i < n; i++)
            lab14_broken__shm_value_add(v, 1);
        break;
    case IMPL_ATOMIC:
        for (long i = 0; i < n; i++)
            lab14_alt_atomic__shm_value_add(v, 1);
        break;
    default:
        for (long i = 0; i < n; i++)
            lab14_fixed__shm_value_add(v, 1);
        break;
    }
    return n;
}

/* Nothing to send: every add is already in the shared value. */
static void value_result(wl_worker_t *w, void *out) {
    (void)w;
    memset(out, 0, sizeof(long));
}

static void value_merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)p, (void)i, (void)res, (void)params;
}

static long value_verify(void *p, const wl_params_t *params, char *why, size_t len) {
    long long want = (long long)params->workers * params->ops, got = value_get(p);
    if (got == want)
        return 0;
    snprintf(why, len, "value %lld, expected %lld", got, want);
    return got < want ? (long)(want - got) : -1;
}

static const workload_t shm_value = {
    .name = "shm-value",
    .lab = "14-shared-memory",
    .about = "lab 14: every worker adds 1 to one value in shared memory (process: forked workers, the parent's value)",
    .regimes = REGIME_BIT(REGIME_PROCESS) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_GIL) |
               REGIME_BIT(REGIME_ATOMIC) | REGIME_BIT(REGIME_UNSAFE),
    .slice = 256,
    .default_ops = 1000000,
    .result_size = sizeof(long),
    .setup = value_setup,
    .teardown = value_teardown,
    .run = value_run,
    .result = value_result,
    .merge = value_merge,
    .verify = value_verify,
};
WORKLOAD_REGISTER(shm_value)

/* ---- shm-tally: private counts, summed once at the end ------------------------ */
typedef struct {
    long long sum; /* the workers' counts, folded in by merge() */
} tally_state_t;

enum { LINE = 64 };
typedef struct {
    long count;
} tally_local_t;

static void *tally_setup(const wl_params_t *p) {
    (void)p;
    return calloc(1, sizeof(tally_state_t));
}

static void tally_teardown(void *p) { free(p); }

/* A cache line per worker, so threads counting side by side do not share
 * one (under `process` each child has its own copy anyway). */
static void *tally_worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared, (void)index, (void)p;
    tally_local_t *t = aligned_alloc(LINE, LINE);
    if (t != NULL)
        memset(t, 0, LINE);
    return t;
}

static void tally_worker_fini(void *local) { free(local); }

static long tally_run(wl_worker_t *w, long first, long n) {
    (void)first;
    tally_local_t *t = w->local;
    for (long i = 0; i < n; i++) {
        t->count++;
        __asm__ volatile("" ::: "memory"); /* one count at a time, as a program makes them */
    }
    return n;
}

static void tally_result(wl_worker_t *w, void *out) {
    tally_local_t *t = w->local;
    memcpy(out, &t->count, sizeof t->count);
}

static void tally_merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    long c;
    memcpy(&c, res, sizeof c);
    ((tally_state_t *)p)->sum += c;
}

static long tally_verify(void *p, const wl_params_t *params, char *why, size_t len) {
    long long want = (long long)params->workers * params->ops, got = ((tally_state_t *)p)->sum;
    if (got == want)
        return 0;
    snprintf(why, len, "counts summed to %lld, expected %lld", got, want);
    return got < want ? (long)(want - got) : -1;
}

static const workload_t shm_tally = {
    .name = "shm-tally",
    .lab = "14-shared-memory",
    .about = "lab 14: every worker counts privately; the parent sums the counts at the end",
    .regimes = REGIME_BIT(REGIME_PROCESS) | REGIME_BIT(REGIME_SHARDED),
    .slice = 256,
    .default_ops = 1000000,
    .result_size = sizeof(long),
    .setup = tally_setup,
    .teardown = tally_teardown,
    .worker_init = tally_worker_init,
    .worker_fini = tally_worker_fini,
    .run = tally_run,
    .result = tally_result,
    .merge = tally_merge,
    .verify = tally_verify,
};
WORKLOAD_REGISTER(shm_tally)
