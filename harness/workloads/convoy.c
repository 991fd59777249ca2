/* Workload `convoy`: one I/O-bound worker beside CPU-bound ones, the effect
 * behind bpo-7946. Worker 0 serves `ops` requests: each waits 2 ms for its
 * data (a blocking poll, the GIL released), then must get back in to answer.
 * Its response latency is how late the answer is: the time from when the
 * data was due to when the worker runs again with the lock. The other
 * workers spin on CPU work, checking the GIL between chunks, until worker 0
 * is done. Under the GIL the latency is about one switch interval; without
 * it, only the scheduler's wake-up time. */
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

enum { WAIT_MS = 2, SPAN = 1000 };

typedef struct {
    atomic_int stop;
    long served;
    int fds[2];
} convoy_state_t;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *convoy_setup(const wl_params_t *p) {
    (void)p;
    convoy_state_t *s = calloc(1, sizeof *s);
    if (s != NULL && pipe(s->fds) != 0) {
        perror("convoy: pipe");
        exit(1);
    }
    return s;
}

static void convoy_teardown(void *p) {
    convoy_state_t *s = p;
    close(s->fds[0]);
    close(s->fds[1]);
    free(s);
}

static long convoy_run(wl_worker_t *w, long first, long n) {
    convoy_state_t *s = w->shared;
    (void)first;
    if (w->index == 0) {
        for (long i = 0; i < n; i++) {
            struct pollfd pfd = {.fd = s->fds[0], .events = POLLIN};
            double due = now() + WAIT_MS * 1e-3;
            w->block_begin(w);
            poll(&pfd, 1, WAIT_MS);
            w->block_end(w);
            double late = now() - due;
            wl_latency_add(w, late > 0 ? late : 0);
            s->served++;
        }
        if (first + n >= w->p->ops)
            atomic_store(&s->stop, 1);
        return n;
    }
    if (atomic_load_explicit(&s->stop, memory_order_relaxed))
        return 0;
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        for (uint64_t x = 0; x < SPAN; x++) {
            uint64_t y = x;
            __asm__("" : "+r"(y));
            sum += y * y;
        }
    __asm__ volatile("" : : "r"(sum));
    return n;
}

/* Worker 0 serves ops requests; the others work until it is done. */
static long convoy_worker_ops(const wl_params_t *p, int index) { return index == 0 ? p->ops : LONG_MAX; }

static void convoy_result(wl_worker_t *w, void *out) { (void)w, (void)out; }
static void convoy_merge(void *s, int i, const void *res, const wl_params_t *p) {
    (void)s, (void)i, (void)res, (void)p;
}

static long convoy_verify(void *p, const wl_params_t *params, char *why, size_t len) {
    convoy_state_t *s = p;
    if (s->served == params->ops && atomic_load(&s->stop))
        return 0;
    snprintf(why, len, "%ld of %ld requests served", s->served, params->ops);
    return -1;
}

static const workload_t convoy = {
    .name = "convoy",
    .about = "worker 0 serves 2 ms I/O requests beside CPU-bound workers: its response latency",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT),
    .blocking = 1,
    .slice = 1,
    .default_ops = 100,
    .result_size = 1,
    .setup = convoy_setup,
    .teardown = convoy_teardown,
    .worker_ops = convoy_worker_ops,
    .run = convoy_run,
    .result = convoy_result,
    .merge = convoy_merge,
    .verify = convoy_verify,
};
WORKLOAD_REGISTER(convoy)
