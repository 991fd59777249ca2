/* Lab 02, check-then-act: the torture driver. One check per run.
 *
 *   $ build/labs/02-check-then-act/broken/test oversell
 *   FAIL: 8 threads x 50 attempts on 100 seats book exactly 100 / booked 131, 0 seats left (check oversell, seed 9)
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

typedef struct {
    flight_t *f;
    long attempts;
    atomic_long booked;
} race_t;

static void booker(const lab_worker_t *w) {
    race_t *r = w->arg;
    long mine = 0;
    for (long i = 0; i < r->attempts; i++)
        mine += flight_book(r->f);
    atomic_fetch_add(&r->booked, mine);
}

/* threads x attempts bookings on `seats` seats: exactly min(seats, tries). */
static void hammer(int threads, long attempts, int seats) {
    race_t r = {.f = flight_create(seats), .attempts = attempts};
    atomic_init(&r.booked, 0);
    lab_threads_run(threads, booker, &r);
    long tries = threads * attempts, want = tries < seats ? tries : seats;
    long got = atomic_load(&r.booked);
    int left = flight_seats_left(r.f);
    if (got != want || left != seats - want)
        lab_fail("%d threads x %ld attempts on %d seats book exactly %ld and leave %ld / booked %ld, "
                 "%d seats left",
                 threads, attempts, seats, want, seats - want, got, left);
    flight_destroy(r.f);
}

static void check_oversell(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long attempts = lab_opt_iters(o, 50);
    hammer(threads, attempts, 100);
    lab_pass("%d threads x %ld attempts on 100 seats: exactly 100 booked, 0 left", threads, attempts);
}

/* The sharpest case: many threads, one seat, over and over. */
static void check_last_seat(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long rounds = lab_opt_iters(o, 200);
    for (long k = 0; k < rounds; k++) {
        race_t r = {.f = flight_create(1), .attempts = 1};
        atomic_init(&r.booked, 0);
        lab_threads_run(threads, booker, &r);
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
    lab_pass("%d threads booking at once: counts exact", threads);
}

static const lab_check_t checks[] = {
    {"single", "one thread: seats booked until full, then refused", check_single, LAB_PAUSE_OFF},
    {"oversell", "8 threads x 50 attempts on 100 seats: exactly 100 booked", check_oversell,
     LAB_PAUSE_RANDOM},
    {"last-seat", "200 rounds: 8 threads race for 1 seat, exactly one wins", check_last_seat,
     LAB_PAUSE_YIELD},
    {"race-free", "short concurrent run for the ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
