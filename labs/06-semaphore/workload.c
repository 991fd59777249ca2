/* Lab 06, semaphore, as a harness workload: the course's pool of three
 * database connections, shared by the workers. Every operation is one
 * query: take a connection from the lab's fixed.c pool (size 3), hold it
 * through a 1 ms blocking wait (the database answering: poll() on a pipe
 * nobody writes), give it back. The regime decides who shares the pool:
 *   gil      threads on one pool, holding the harness's GIL except while
 *            they block, as CPython releases it in Semaphore.acquire() and
 *            around a socket read. A wait for a connection that kept the
 *            GIL would deadlock here: the holder could never get the GIL
 *            back to return its connection.
 *   object   threads on one pool, no GIL.
 *   process  forked workers, each with its own copy of the pool: the limit
 *            of 3 holds inside every process, and nothing holds it across
 *            them (that takes a semaphore in shared memory, lab 14's
 *            ground). verify() checks the per-process bound, which is all
 *            a private pool promises.
 * Threads should scale up to the pool's size, GIL or not, and no further;
 * processes go past it because each one has a pool of its own.
 *
 * An observer beside the pool (not part of it) counts the users holding a
 * connection and who holds which, so verify() can say the pool never let
 * more than 3 in and never gave one connection to two. Each worker also
 * records how long it waited for a connection (the latency columns).
 * A millisecond is a millisecond on any machine, so a run has at most
 * MAX_QUERIES queries per worker, whatever --ops asks. The build links the
 * implementation with its functions renamed (lab06_fixed__pool_acquire). */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

typedef struct pool pool_t;
pool_t *lab06_fixed__pool_create(int size);
int lab06_fixed__pool_acquire(pool_t *p);
void lab06_fixed__pool_release(pool_t *p, int conn);
void lab06_fixed__pool_destroy(pool_t *p);

enum { POOL_SIZE = 3, MAX_QUERIES = 400 };

typedef struct {
    pool_t *pool;
    /* the observer: users inside now, the most ever, and who holds each */
    atomic_int inside, peak;
    atomic_int holder[POOL_SIZE]; /* worker index + 1, 0 when free */
    atomic_long twice;            /* a connection found held by another */
    atomic_long bad_conn;         /* a connection number outside 0..size-1 */
    int quiet[2];                 /* a pipe nobody writes: the database's latency */
    /* process: what the children's private pools saw, folded by merge() */
    long long served;
    int merged_peak;
    long long merged_twice, merged_bad;
} state_t;

typedef struct {
    long long served, twice, bad;
    int peak;
} result_t;

static long queries(const wl_params_t *p, int index) {
    (void)index;
    return p->ops < MAX_QUERIES ? p->ops : MAX_QUERIES;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *setup(const wl_params_t *p) {
    (void)p;
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (pipe(s->quiet) != 0) {
        perror("semaphore workload: pipe");
        free(s);
        return NULL;
    }
    s->pool = lab06_fixed__pool_create(POOL_SIZE);
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    lab06_fixed__pool_destroy(s->pool);
    close(s->quiet[0]);
    close(s->quiet[1]);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared, (void)index, (void)p;
    return calloc(1, sizeof(long long)); /* queries this worker had answered */
}

static void worker_fini(void *local) { free(local); }

static void observe_enter(state_t *s, int who, int conn) {
    if (conn < 0 || conn >= POOL_SIZE) {
        atomic_fetch_add(&s->bad_conn, 1);
        return;
    }
    if (atomic_exchange(&s->holder[conn], who + 1) != 0)
        atomic_fetch_add(&s->twice, 1);
    int in = atomic_fetch_add(&s->inside, 1) + 1, peak = atomic_load(&s->peak);
    while (in > peak && !atomic_compare_exchange_weak(&s->peak, &peak, in)) {
    }
}

static void observe_leave(state_t *s, int who, int conn) {
    if (conn < 0 || conn >= POOL_SIZE)
        return;
    atomic_fetch_sub(&s->inside, 1);
    int me = who + 1;
    if (!atomic_compare_exchange_strong(&s->holder[conn], &me, 0))
        atomic_fetch_add(&s->twice, 1); /* someone took it over while we held it */
}

static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    long long *served = w->local;
    for (long i = 0; i < n; i++) {
        double t0 = now();
        w->block_begin(w); /* waiting for a connection is a blocking call */
        int conn = lab06_fixed__pool_acquire(s->pool);
        w->block_end(w);
        wl_latency_add(w, now() - t0);
        observe_enter(s, w->index, conn);

        struct pollfd pfd = {.fd = s->quiet[0], .events = POLLIN};
        w->block_begin(w); /* the query: the database takes 1 ms to answer */
        int rc = poll(&pfd, 1, 1);
        w->block_end(w);

        observe_leave(s, w->index, conn);
        if (conn >= 0 && conn < POOL_SIZE)
            lab06_fixed__pool_release(s->pool, conn);
        if (rc == 0) /* the wait ran its full course, as an answer would */
            ++*served;
    }
    return n;
}

static void result(wl_worker_t *w, void *out) {
    state_t *s = w->shared;
    result_t r = {.served = *(long long *)w->local};
    if (w->p->regime == REGIME_PROCESS) { /* this child's private pool */
        r.peak = atomic_load(&s->peak);
        r.twice = atomic_load(&s->twice);
        r.bad = atomic_load(&s->bad_conn);
    }
    memcpy(out, &r, sizeof r);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    result_t r;
    memcpy(&r, res, sizeof r);
    s->served += r.served;
    s->merged_twice += r.twice;
    s->merged_bad += r.bad;
    if (r.peak > s->merged_peak)
        s->merged_peak = r.peak;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    int proc = params->regime == REGIME_PROCESS;
    long long want = 0;
    for (int i = 0; i < params->workers; i++)
        want += queries(params, i);
    int peak = proc ? s->merged_peak : atomic_load(&s->peak);
    long long twice = proc ? s->merged_twice : atomic_load(&s->twice);
    long long bad = proc ? s->merged_bad : atomic_load(&s->bad_conn);
    /* in a process the pool has one user, so its bound is 1, not 3 */
    int bound = proc ? 1 : (params->workers < POOL_SIZE ? params->workers : POOL_SIZE);
    if (bad != 0) {
        snprintf(why, len, "the pool handed out %lld connection numbers outside 0..%d", bad, POOL_SIZE - 1);
        return -1;
    }
    if (peak > bound || twice != 0) {
        snprintf(why, len, "%d users held a connection at once%s (at most %d can), and a connection was "
                 "found held by another user %lld times", peak, proc ? " in one process" : "", bound, twice);
        return -1;
    }
    if (s->served != want) {
        snprintf(why, len, "%lld of %lld queries were answered", s->served, want);
        return -1;
    }
    return 0;
}

static const workload_t connections = {
    .name = "connections",
    .lab = "06-semaphore",
    .about = "lab 06: 1 ms queries through a pool of 3 connections (the lab's fixed.c; at most 400 a worker)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .blocking = 1,
    .slice = 1,
    .default_ops = 200,
    .result_size = sizeof(result_t),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .worker_ops = queries,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(connections)
