/* Lab 02, check-then-act: the benchmarks. Every thread books seats as fast
 * as it can, either on 16 flights of its own (`own-flights`: a travel agent
 * per route, no flight shared) or all on one (`one-flight`); flights never
 * fill up. With flights of its own, a lock per flight lets agents work in
 * parallel, while one global lock still makes them take turns. The same code is built against
 * every implementation, so a lock per flight (fixed.c), one global lock
 * (alt-global.c) and compare-and-swap (alt-cas.c) are timed alike. After
 * the loop, thread 0 counts the seats sold twice: what unsafe speed costs.
 *
 * The floor of both ops (impl=floor, floor=pthread_mutex): the same loop on
 * flights that are a seat count beside a bare pthread mutex, checked and
 * decremented under it; the library's own way to make a check-then-act one
 * step. The table gives each design's ratio to it.
 *
 *   $ build/labs/02-check-then-act/fixed/bench --threads 1,2
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "booking.h"
#include "labbench.h"

enum { BATCH = 256, PER_AGENT = 16, MAX_FLIGHTS = 1024 };

static flight_t *flights[MAX_FLIGHTS];

static void bm_book(gb_state_t *st, void *arg, int shared, const char *op) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    int nflights = shared ? 1 : PER_AGENT * n;
    if (nflights > MAX_FLIGHTS) {
        gb_skip_with_error(st, "too many threads for the flight table");
        return;
    }
    if (t == 0)
        for (int i = 0; i < nflights; i++)
            flights[i] = flight_create(INT_MAX);
    flight_t **mine = shared ? flights : flights + PER_AGENT * t;
    unsigned k = shared ? 0 : PER_AGENT - 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: which of my flights */
            flight_book(mine[x & k]);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    if (t == 0) {
        long long sold = 0;
        for (int i = 0; i < nflights; i++) {
            sold += INT_MAX - (long long)flight_seats_left(flights[i]);
            flight_destroy(flights[i]);
        }
        /* every booking succeeded; seats counted as sold fewer times were sold twice */
        gb_counter_set(st, "lost_updates", (double)(done * gb_thread_count(st) - sold), GB_COUNTER_DEFAULT);
    }
    labbench_thread_end(st, op, done);
}

/* The floor's flight: what a lock per flight costs, with nothing else. */
typedef struct {
    pthread_mutex_t lock;
    int seats;
} floor_flight_t;

static floor_flight_t *floor_flights;

static void bm_floor(gb_state_t *st, int shared, const char *op) {
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    int nflights = shared ? 1 : PER_AGENT * n;
    if (nflights > MAX_FLIGHTS) {
        gb_skip_with_error(st, "too many threads for the flight table");
        return;
    }
    if (t == 0) {
        floor_flights = calloc((size_t)nflights, sizeof *floor_flights);
        if (floor_flights == NULL)
            abort();
        for (int i = 0; i < nflights; i++) {
            pthread_mutex_init(&floor_flights[i].lock, NULL);
            floor_flights[i].seats = INT_MAX;
        }
    }
    floor_flight_t *mine = shared ? floor_flights : floor_flights + PER_AGENT * t;
    unsigned k = shared ? 0 : PER_AGENT - 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            floor_flight_t *f = &mine[x & k];
            pthread_mutex_lock(&f->lock);
            if (f->seats > 0)
                f->seats--;
            pthread_mutex_unlock(&f->lock);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    labbench_thread_end(st, op, done);
    /* the stop barrier has passed: nobody books any more */
    if (t == 0) {
        for (int i = 0; i < nflights; i++)
            pthread_mutex_destroy(&floor_flights[i].lock);
        free(floor_flights);
    }
}

static void bm_floor_own(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 0, "own-flights");
}

static void bm_floor_one(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 1, "one-flight");
}

static void bm_own(gb_state_t *st, void *arg) { bm_book(st, arg, 0, "own-flights"); }
static void bm_one(gb_state_t *st, void *arg) { bm_book(st, arg, 1, "one-flight"); }

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "own-flights", bm_own, NULL);
    labbench_register(lb, "one-flight", bm_one, NULL);
    labbench_register_floor(lb, "own-flights-floor", "pthread_mutex", bm_floor_own, NULL);
    labbench_register_floor(lb, "one-flight-floor", "pthread_mutex", bm_floor_one, NULL);
}
