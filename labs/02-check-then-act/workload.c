/* Lab 02, check-then-act, as a harness workload: every worker books seats
 * on 16 flights that all workers share (one booking system, many agents),
 * and the regime picks the implementation:
 *   gil      broken.c under the global lock: the check and the act run in
 *            one batch, which nothing interrupts, so nothing is oversold
 *   object   fixed.c (a lock per flight)    atomic  alt-cas.c
 *   unsafe   broken.c with no lock, and the seats sold twice
 *   process  broken.c, every process with its own private copy of the
 *            flights: nothing is oversold because nothing is shared; a real
 *            booking system would need the seat counts in shared memory
 * Flights hold more seats than the run can sell, so every booking succeeds
 * and a seat count that fell by less than the bookings made shows seats
 * sold twice. The build links each implementation with its functions
 * renamed (lab02_fixed__flight_book, ...), so all of them live in one binary. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct flight flight_t;
#define BOOKING_API(impl)                                                      \
    flight_t *impl##__flight_create(int seats);                                \
    int impl##__flight_book(flight_t *f);                                      \
    int impl##__flight_seats_left(flight_t *f);                                \
    void impl##__flight_destroy(flight_t *f);
BOOKING_API(lab02_broken)
BOOKING_API(lab02_fixed)
BOOKING_API(lab02_alt_cas)

typedef struct {
    flight_t *(*create)(int seats);
    int (*book)(flight_t *f);
    int (*left)(flight_t *f);
    void (*destroy)(flight_t *f);
} impl_t;

#define IMPL(x) {x##__flight_create, x##__flight_book, x##__flight_seats_left, x##__flight_destroy}
static const impl_t broken = IMPL(lab02_broken), fixed = IMPL(lab02_fixed), cas = IMPL(lab02_alt_cas);

enum { FLIGHTS = 16 };

typedef struct {
    const impl_t *impl;
    flight_t *f[FLIGHTS];
    long long booked; /* bookings that said yes: summed in the parent */
    long long sold;   /* process: seats the children's private copies sold */
} state_t;

typedef struct {
    uint64_t x; /* xorshift state: which flight next */
    long long booked;
} agent_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    switch (p->regime) {
    case REGIME_OBJECT: s->impl = &fixed; break;
    case REGIME_ATOMIC: s->impl = &cas; break;
    default: s->impl = &broken; break;
    }
    for (int i = 0; i < FLIGHTS; i++)
        s->f[i] = s->impl->create(INT_MAX);
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    for (int i = 0; i < FLIGHTS; i++)
        s->impl->destroy(s->f[i]);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared;
    agent_t *a = calloc(1, sizeof *a);
    if (a != NULL)
        a->x = 0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1) ^ p->seed;
    return a;
}

static void worker_fini(void *local) { free(local); }

static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    agent_t *a = w->local;
    int (*book)(flight_t *) = s->impl->book;
    uint64_t x = a->x | 1;
    long long yes = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        yes += book(s->f[x % FLIGHTS]);
    }
    a->x = x;
    a->booked += yes;
    return n;
}

static long long seats_sold(state_t *s) {
    long long sold = 0;
    for (int i = 0; i < FLIGHTS; i++)
        sold += INT_MAX - (long long)s->impl->left(s->f[i]);
    return sold;
}

/* Both counts travel: the bookings this worker was told succeeded and, in a
 * process, what its private flights sold. */
static void result(wl_worker_t *w, void *out) {
    agent_t *a = w->local;
    long long v[2] = {a->booked, w->p->regime == REGIME_PROCESS ? seats_sold(w->shared) : 0};
    memcpy(out, v, sizeof v);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    long long v[2];
    memcpy(v, res, sizeof v);
    s->booked += v[0];
    s->sold += v[1];
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    long long want = (long long)params->workers * params->ops;
    long long sold = params->regime == REGIME_PROCESS ? s->sold : seats_sold(s);
    if (s->booked != want) {
        snprintf(why, len, "%lld bookings confirmed of %lld made (flights never fill)", s->booked, want);
        return -1;
    }
    if (sold == want)
        return 0;
    snprintf(why, len, "%lld bookings confirmed, seat counts fell by %lld", want, sold);
    return sold < want ? (long)(want - sold) : -1;
}

static const workload_t booking = {
    .name = "booking",
    .lab = "02-check-then-act",
    .about = "lab 02: workers book seats on 16 shared flights (the lab's own implementations)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS) |
               REGIME_BIT(REGIME_UNSAFE) | REGIME_BIT(REGIME_ATOMIC),
    .slice = 256,
    .default_ops = 1000000,
    .result_size = 2 * sizeof(long long),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(booking)
