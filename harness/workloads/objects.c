/* Workload `objects`: updates to shared objects, with a share fraction.
 * There is one object per worker and one hot object; each operation picks
 * the hot one with probability `share`, else the worker's own, and adds one
 * to it. share 0: every worker has its objects to itself; share 1: every
 * worker hits the one hot object. How the add is protected is the regime's:
 *   gil, process, unsafe  a plain read and write (the GIL or privacy makes
 *                         it safe; unsafe is just that)
 *   object                the object's own mutex
 *   atomic                atomic_fetch_add
 *   sharded               the worker's private counts, summed at the end
 * Every worker also counts, privately, how often it picked the hot object,
 * so the exact final value of every object is known and lost updates are
 * counted, not guessed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct {
    _Alignas(64) pthread_mutex_t lock;
    atomic_long value;
} object_t;

typedef struct {
    int n;             /* workers; object n is the hot one */
    object_t *obj;     /* n + 1 */
    long *hot_picks;   /* per worker, filled by merge */
} objects_state_t;

typedef struct {
    _Alignas(64) uint64_t rng;
    long own, hot; /* private counts: sharded, process */
    long picks;    /* how often the hot object was chosen */
} objects_local_t;

typedef struct {
    long own, hot, picks;
} objects_result_t;

static void *objects_setup(const wl_params_t *p) {
    objects_state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->n = p->workers;
    s->obj = aligned_alloc(64, sizeof(object_t) * (size_t)(p->workers + 1));
    s->hot_picks = calloc((size_t)p->workers, sizeof(long));
    if (s->obj == NULL || s->hot_picks == NULL)
        return NULL;
    for (int i = 0; i <= p->workers; i++) {
        pthread_mutex_init(&s->obj[i].lock, NULL);
        atomic_init(&s->obj[i].value, 0);
    }
    return s;
}

static void objects_teardown(void *p) {
    objects_state_t *s = p;
    for (int i = 0; i <= s->n; i++)
        pthread_mutex_destroy(&s->obj[i].lock);
    free(s->obj);
    free(s->hot_picks);
    free(s);
}

static void *objects_worker_init(void *s, int i, const wl_params_t *p) {
    (void)s;
    objects_local_t *l = aligned_alloc(64, sizeof *l);
    if (l != NULL) {
        memset(l, 0, sizeof *l);
        l->rng = p->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
    }
    return l;
}
static void objects_worker_fini(void *l) { free(l); }

static inline uint64_t next(uint64_t *x) {
    /* xorshift64*: cheap next to the operation it picks for */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dULL;
}

static long objects_run(wl_worker_t *w, long first, long n) {
    (void)first;
    objects_state_t *s = w->shared;
    objects_local_t *l = w->local;
    uint64_t cut = w->p->share >= 1.0 ? UINT64_MAX : (uint64_t)(w->p->share * 18446744073709551616.0);
    object_t *own = &s->obj[w->index], *hot = &s->obj[s->n];
    regime_t r = w->p->regime;
    /* one loop per regime, so each inner loop is only its own update */
    switch (r) {
    case REGIME_OBJECT:
        for (long i = 0; i < n; i++) {
            int is_hot = next(&l->rng) < cut;
            object_t *o = is_hot ? hot : own;
            l->picks += is_hot;
            pthread_mutex_lock(&o->lock);
            atomic_store_explicit(&o->value, atomic_load_explicit(&o->value, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
            pthread_mutex_unlock(&o->lock);
        }
        break;
    case REGIME_ATOMIC:
        for (long i = 0; i < n; i++) {
            int is_hot = next(&l->rng) < cut;
            l->picks += is_hot;
            atomic_fetch_add_explicit(&(is_hot ? hot : own)->value, 1, memory_order_relaxed);
        }
        break;
    case REGIME_SHARDED:
        for (long i = 0; i < n; i++) {
            int is_hot = next(&l->rng) < cut;
            l->picks += is_hot;
            l->hot += is_hot;
            l->own += !is_hot;
        }
        break;
    default: /* gil, process, unsafe: a plain read, then a plain write */
        for (long i = 0; i < n; i++) {
            int is_hot = next(&l->rng) < cut;
            object_t *o = is_hot ? hot : own;
            l->picks += is_hot;
            long v = atomic_load_explicit(&o->value, memory_order_relaxed);
            __asm__ volatile("" ::: "memory"); /* a real read and a real write, every time */
            atomic_store_explicit(&o->value, v + 1, memory_order_relaxed);
        }
        break;
    }
    return n;
}

static void objects_result(wl_worker_t *w, void *out) {
    objects_local_t *l = w->local;
    objects_result_t r = {0, 0, l->picks};
    if (w->p->regime == REGIME_SHARDED) {
        r.own = l->own;
        r.hot = l->hot;
    } else if (w->p->regime == REGIME_PROCESS) {
        /* this process's private copy holds only its own updates */
        objects_state_t *s = w->shared;
        r.own = atomic_load(&s->obj[w->index].value);
        r.hot = atomic_load(&s->obj[s->n].value);
    }
    memcpy(out, &r, sizeof r);
}

static void objects_merge(void *p, int i, const void *res, const wl_params_t *params) {
    objects_state_t *s = p;
    objects_result_t r;
    memcpy(&r, res, sizeof r);
    s->hot_picks[i] = r.picks;
    if (params->regime == REGIME_SHARDED || params->regime == REGIME_PROCESS) {
        atomic_fetch_add(&s->obj[i].value, r.own);
        atomic_fetch_add(&s->obj[s->n].value, r.hot);
    }
}

static long objects_verify(void *p, const wl_params_t *params, char *why, size_t len) {
    objects_state_t *s = p;
    long lost = 0, picks = 0;
    for (int i = 0; i < s->n; i++) {
        long want = params->ops - s->hot_picks[i], got = atomic_load(&s->obj[i].value);
        if (got > want) {
            snprintf(why, len, "object %d has %ld updates, more than the %ld made", i, got, want);
            return -1;
        }
        lost += want - got;
        picks += s->hot_picks[i];
    }
    long hot = atomic_load(&s->obj[s->n].value);
    if (hot > picks) {
        snprintf(why, len, "the hot object has %ld updates, more than the %ld made", hot, picks);
        return -1;
    }
    lost += picks - hot;
    if (lost > 0)
        snprintf(why, len, "%ld of %ld updates lost", lost, params->ops * (long)s->n);
    return lost;
}

static const workload_t objects = {
    .name = "objects",
    .about = "add one to an object: the worker's own, or the hot one with probability --share",
    .regimes = (1u << REGIME_COUNT) - 1,
    .slice = 256,
    .default_ops = 4000000,
    .result_size = sizeof(objects_result_t),
    .setup = objects_setup,
    .teardown = objects_teardown,
    .worker_init = objects_worker_init,
    .worker_fini = objects_worker_fini,
    .run = objects_run,
    .result = objects_result,
    .merge = objects_merge,
    .verify = objects_verify,
};
WORKLOAD_REGISTER(objects)
