/* Lab 02, check-then-act: the torture driver. One check per run.
 *
 *   $ build/labs/02-check-then-act/broken/test oversell
 *   FAIL: 8 threads x 50 attempts on each of 2 flights of 100 seats book exactly 100 and leave 0 / flight 1: booked 131, 0 seats left (check oversell, seed 9)
 *   $ build/labs/02-check-then-act/fixed/test last-seat
 *   ok: last-seat: 200 rounds of 8 threads racing for 1 seat: one winner every round
 */
#include <stdatomic.h>

#include "booking.h"
#include "lab.h"

static void check_single(const lab_opts_t *o) {
    (void)o;
    flight_t *f = flight_create(10), *g = flight_create(3), *empty = flight_create(0);
    for (int i = 0; i < 10; i++)
        LAB_EXPECT_EQ(1, flight_book(f), "booking one of 10 free seats");
    LAB_EXPECT_EQ(0, flight_seats_left(f), "seats left after 10 bookings of 10");
    for (int i = 0; i < 5; i++)
        LAB_EXPECT_EQ(0, flight_book(f), "booking on a full flight");
    LAB_EXPECT_EQ(0, flight_seats_left(f), "seats left after refused bookings");
    LAB_EXPECT_EQ(3, flight_seats_left(g), "a second flight, untouched");
    LAB_EXPECT_EQ(0, flight_book(empty), "booking on a flight created with 0 seats");
    flight_destroy(f);
    flight_destroy(g);
    flight_destroy(empty);
    lab_pass("one thread: 10 of 10 seats booked, 5 refusals, flights independent");
}

/* Two flights booked at once, so a design that is right for one flight
 * only (state shared between flights) shows; readers poll both flights while
 * the bookers run, so a count that dips below zero for a moment, or reads
 * without the lock (ThreadSanitizer), shows too, not only the total after
 * the join. */
enum { READERS = 2 };

typedef struct {
    flight_t *f[2];
    int seats;
    long attempts;
    atomic_long booked[2];
    atomic_int bookers_left;
    long reads, bad_read;
    int bad_flight;
} race_t;

static void booker(const lab_worker_t *w) {
    race_t *r = w->arg;
    if (w->index < READERS) {
        long reads = 0;
        while (atomic_load(&r->bookers_left) > 0) {
            for (int k = 0; k < 2; k++) {
                int v = flight_seats_left(r->f[k]);
                reads++;
                if ((v < 0 || v > r->seats) && r->bad_flight == 0) {
                    r->bad_flight = k + 1;
                    r->bad_read = v;
                }
            }
        }
        if (w->index == 0)
            r->reads = reads;
        return;
    }
    long mine[2] = {0, 0};
    for (long i = 0; i < r->attempts; i++) {
        int k = (int)((w->index + i) & 1);
        mine[k] += flight_book(r->f[k]);
        mine[!k] += flight_book(r->f[!k]);
    }
    atomic_fetch_add(&r->booked[0], mine[0]);
    atomic_fetch_add(&r->booked[1], mine[1]);
    atomic_fetch_sub(&r->bookers_left, 1);
}

/* threads x attempts bookings on each of two flights of `seats` seats:
 * exactly min(seats, tries) each, and 0 <= seats left at every read. */
static void hammer(int threads, long attempts, int seats) {
    race_t r = {.f = {flight_create(seats), flight_create(seats)}, .seats = seats, .attempts = attempts};
    atomic_init(&r.booked[0], 0);
    atomic_init(&r.booked[1], 0);
    atomic_init(&r.bookers_left, threads);
    lab_threads_run(threads + READERS, booker, &r);
    if (r.bad_flight)
        lab_fail("seats left stays within 0..%d while %d threads book / a reader got %ld on flight %d",
                 seats, threads, r.bad_read, r.bad_flight);
    long tries = threads * attempts, want = tries < seats ? tries : seats;
    for (int k = 0; k < 2; k++) {
        long got = atomic_load(&r.booked[k]);
        int left = flight_seats_left(r.f[k]);
        if (got != want || left != seats - want)
            lab_fail("%d threads x %ld attempts on each of 2 flights of %d seats book exactly %ld and "
                     "leave %ld / flight %d: booked %ld, %d seats left",
                     threads, attempts, seats, want, seats - want, k + 1, got, left);
        flight_destroy(r.f[k]);
    }
}

static void check_oversell(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long attempts = lab_opt_iters(o, 50);
    hammer(threads, attempts, 100);
    lab_pass("%d threads x %ld attempts on each of 2 flights of 100 seats, 2 readers: exactly 100 booked "
             "on each, never below 0",
             threads, attempts);
}

typedef struct {
    flight_t *f;
    atomic_long booked;
} seat_t;

static void last_seat_booker(const lab_worker_t *w) {
    seat_t *r = w->arg;
    atomic_fetch_add(&r->booked, flight_book(r->f));
}

/* The sharpest case: many threads, one seat, over and over. */
static void check_last_seat(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long rounds = lab_opt_iters(o, 200);
    for (long k = 0; k < rounds; k++) {
        seat_t r = {.f = flight_create(1)};
        atomic_init(&r.booked, 0);
        lab_threads_run(threads, last_seat_booker, &r);
        long got = atomic_load(&r.booked);
        int left = flight_seats_left(r.f);
        if (got != 1 || left != 0)
            lab_fail("exactly 1 of %d threads gets the last seat, leaving 0 / round %ld: %ld got it, "
                     "%d seats left",
                     threads, k + 1, got, left);
        flight_destroy(r.f);
    }
    lab_pass("%ld rounds of %d threads racing for 1 seat: one winner every round", rounds, threads);
}

/* Short and unpaused, for the ThreadSanitizer build. */
static void check_race_free(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    hammer(threads, lab_opt_iters(o, 300), 1000);
    lab_pass("%d threads booking on 2 flights while 2 read: counts exact", threads);
}

static const lab_check_t checks[] = {
    {"single", "one thread: seats booked until full, then refused", check_single, LAB_PAUSE_OFF},
    {"oversell", "8 threads x 50 attempts on 2 flights of 100 seats, 2 readers: exactly 100 each",
     check_oversell, LAB_PAUSE_RANDOM},
    {"last-seat", "200 rounds: 8 threads race for 1 seat, exactly one wins", check_last_seat,
     LAB_PAUSE_YIELD},
    {"race-free", "4 threads book on 2 flights while 2 read, for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
