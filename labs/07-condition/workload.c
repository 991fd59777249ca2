/* Lab 07, condition, as a harness workload: a two-stage pipeline through the
 * lab's fixed.c bounded queue (capacity 16). Producers make items, consumers
 * use them, and both stages are CPU work of the same size (the sum of the
 * squares of SPAN integers that the item names), so the pipeline can at
 * best run its two stages side by side. With one worker, that worker makes
 * an item, puts it, gets it back and uses it; with n >= 2, n/2 workers
 * produce and the rest consume, and the last producer to finish closes the
 * queue (the course's sentinel), which ends every consumer.
 *   gil      threads, each stage's work done holding the harness's GIL; every
 *            queue call lets go of it, as CPython's queue.Queue does while
 *            it waits on its Condition (a wait that kept the GIL would never
 *            see the other side move)
 *   object   the same threads with no GIL
 * No process regime: a queue in one process's memory carries nothing to
 * another; processes pass items through pipes (lab 15).
 *
 * An operation is one stage of one item (a make or a use, 10 to 30 us of
 * work on a 2-CPU test machine), so a run does 2 x items operations; a
 * producer is given --ops of them, at most MAX_STAGES, and one worker alone
 * does --ops. verify() checks that every item was used exactly once
 * (count and sum of squares against the closed form),
 * that each consumer saw each producer's items in the order they were put
 * (the queue is FIFO), and that the queue ended empty. The build links the
 * implementation with its functions renamed (lab07_fixed__queue_put, ...). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct queue queue_t;
queue_t *lab07_fixed__queue_create(int capacity);
int lab07_fixed__queue_put(queue_t *q, long item);
int lab07_fixed__queue_get(queue_t *q, long *item);
void lab07_fixed__queue_close(queue_t *q);
int lab07_fixed__queue_len(queue_t *q);
void lab07_fixed__queue_destroy(queue_t *q);

enum { CAPACITY = 16, SPAN = 30000, MAX_STAGES = 10000 };

typedef struct {
    queue_t *q;
    atomic_int producers_left;
    /* folded by merge() */
    long long made, used;
    uint64_t made_sum, used_sum;
    long long out_of_order, put_refused;
} state_t;

typedef struct {
    long long made, used, out_of_order, put_refused;
    uint64_t made_sum, used_sum;
} result_t;

typedef struct {
    result_t r;
    long *last; /* consumer: the last item seen from each producer, -1 for none */
    int producers;
} local_t;

static int producers_of(const wl_params_t *p) { return p->workers == 1 ? 1 : p->workers / 2; }

/* Operations a producer is given (a stage is some 20 us: --ops is capped). */
static long stages_of(const wl_params_t *p) { return p->ops < MAX_STAGES ? p->ops : MAX_STAGES; }

static long items_of(const wl_params_t *p) {
    if (p->workers == 1)
        return (stages_of(p) + 1) / 2; /* one worker does both stages of every item */
    return (long)producers_of(p) * stages_of(p);
}

static long worker_ops(const wl_params_t *p, int index) {
    if (p->workers == 1)
        return 2 * items_of(p);
    if (index < producers_of(p))
        return stages_of(p);
    return items_of(p); /* at most: a consumer ends when the queue is closed and empty */
}

/* The work of one stage on item x: the squares of x*SPAN .. x*SPAN+SPAN-1. */
static uint64_t stage_work(long x) {
    uint64_t sum = 0, base = (uint64_t)x * SPAN;
    for (uint64_t v = base; v < base + SPAN; v++) {
        uint64_t y = v;
        __asm__("" : "+r"(y)); /* or the compiler sums the series in closed form */
        sum += y * y;
    }
    return sum;
}

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->q = lab07_fixed__queue_create(CAPACITY);
    atomic_init(&s->producers_left, producers_of(p));
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    lab07_fixed__queue_destroy(s->q);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared, (void)index;
    local_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->producers = producers_of(p);
    l->last = malloc((size_t)l->producers * sizeof *l->last);
    if (l->last == NULL) {
        free(l);
        return NULL;
    }
    for (int j = 0; j < l->producers; j++)
        l->last[j] = -1;
    return l;
}

static void worker_fini(void *local) {
    local_t *l = local;
    if (l != NULL)
        free(l->last);
    free(l);
}

/* Producer j makes items j*s .. j*s+s-1, s its stages (one worker: 0 .. items-1). */
static void make_one(wl_worker_t *w, local_t *l, long x) {
    state_t *s = w->shared;
    l->r.made_sum += stage_work(x);
    l->r.made++;
    w->block_begin(w); /* put may wait for room */
    int rc = lab07_fixed__queue_put(s->q, x);
    w->block_end(w);
    l->r.put_refused += rc != 0;
}

/* 1 with an item used, 0 once the queue is closed and empty. */
static int use_one(wl_worker_t *w, local_t *l) {
    state_t *s = w->shared;
    long x;
    w->block_begin(w); /* get may wait for an item */
    int got = lab07_fixed__queue_get(s->q, &x);
    w->block_end(w);
    if (!got)
        return 0;
    int from = w->p->workers == 1 ? 0 : (int)(x / stages_of(w->p));
    if (from < 0 || from >= l->producers || x <= l->last[from])
        l->r.out_of_order++;
    else
        l->last[from] = x;
    l->r.used_sum += stage_work(x);
    l->r.used++;
    return 1;
}

static void producer_done(wl_worker_t *w) {
    state_t *s = w->shared;
    if (atomic_fetch_sub(&s->producers_left, 1) == 1) {
        w->block_begin(w);
        lab07_fixed__queue_close(s->q);
        w->block_end(w);
    }
}

static long run(wl_worker_t *w, long first, long n) {
    local_t *l = w->local;
    const wl_params_t *p = w->p;
    if (p->workers == 1) { /* even operations make an item, odd ones use it */
        for (long op = first; op < first + n; op++)
            if (op % 2 == 0)
                make_one(w, l, op / 2);
            else if (!use_one(w, l))
                return op - first;
        if (first + n == worker_ops(p, 0))
            producer_done(w);
        return n;
    }
    if (w->index < producers_of(p)) {
        for (long op = first; op < first + n; op++)
            make_one(w, l, (long)w->index * stages_of(p) + op);
        if (first + n == stages_of(p))
            producer_done(w);
        return n;
    }
    for (long i = 0; i < n; i++)
        if (!use_one(w, l))
            return i;
    return n;
}

static void result(wl_worker_t *w, void *out) { memcpy(out, &((local_t *)w->local)->r, sizeof(result_t)); }

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    result_t r;
    memcpy(&r, res, sizeof r);
    s->made += r.made;
    s->used += r.used;
    s->made_sum += r.made_sum;
    s->used_sum += r.used_sum;
    s->out_of_order += r.out_of_order;
    s->put_refused += r.put_refused;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    long long items = items_of(params);
    unsigned __int128 m = (unsigned __int128)items * SPAN; /* sum of v^2 for v < m */
    uint64_t want = m == 0 ? 0 : (uint64_t)((m - 1) * m * (2 * m - 1) / 6);
    int left = lab07_fixed__queue_len(s->q);
    if (s->put_refused != 0) {
        snprintf(why, len, "%lld puts were refused before the last producer closed the queue", s->put_refused);
        return -1;
    }
    if (s->made != items || s->made_sum != want) {
        snprintf(why, len, "%lld items made of %lld", s->made, items);
        return -1;
    }
    if (s->out_of_order != 0) {
        snprintf(why, len, "%lld items came out before an item their producer put earlier", s->out_of_order);
        return -1;
    }
    if (s->used != items || s->used_sum != want || left != 0) {
        snprintf(why, len, "%lld items used of %lld made (%s), %d left in the queue", s->used, items,
                 s->used_sum == want ? "work sums agree" : "work sums differ", left);
        return s->used < items ? (long)(items - s->used) : -1;
    }
    return 0;
}

static const workload_t pipeline = {
    .name = "pipeline",
    .lab = "07-condition",
    .about = "lab 07: producers and consumers, equal CPU work each side, through one queue of 16 "
             "(the lab's fixed.c; at most 10000 a producer)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT),
    .blocking = 1,
    .slice = 1,
    .default_ops = 4000,
    .result_size = sizeof(result_t),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .worker_ops = worker_ops,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(pipeline)
