/* Lab 02, check-then-act: the torture driver. One check per run.
 *
 *   $ build/labs/02-check-then-act/broken/test oversell
 *   FAIL: 8 threads x 50 attempts on a flight of 100 seats book exactly 100 and leave 0 / flight 1: booked 131, 0 seats left (check oversell, seed 9)
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
    int seats[2];
    long attempts;
    atomic_long booked[2];
    atomic_int bookers_left;
    atomic_long tried;  /* attempts made on each flight, all bookers */
    lab_turns_t *turns; /* the ThreadSanitizer run: one step per turn, round robin */
    long reads, bad_read;
    int bad_flight;
    int creator;    /* the worker making other flights meanwhile, or 0 */
    int other_step; /* a step where one of those went wrong (1, 2, 3), or 0 */
    long other_got; /* what that step returned */
} race_t;

/* Whether thread `who` may take its i-th step: a reader while bookers are
 * left (or, taking turns, as many steps as a booker: an atomic read of
 * bookers_left would order the bookers' work before its reads for
 * ThreadSanitizer), a booker for its attempts. */
static int step(race_t *r, int who, long i) {
    if (r->turns)
        return i < r->attempts && lab_turn_take(r->turns, who);
    return who < READERS ? atomic_load(&r->bookers_left) > 0 : i < r->attempts;
}

static void step_done(race_t *r, int who) {
    if (r->turns)
        lab_turn_give(r->turns, who);
}

/* In the ThreadSanitizer run, one more thread creates, books and destroys
 * flights of its own, one per turn, while the others use theirs: "flights
 * are independent" also while they are in use. A lock shared by all flights
 * but initialised again by every flight_create() (re-initialised under its
 * holder's feet) is a write to the lock the others are using that no
 * synchronisation orders: TSan sees it on the creator's first turn. */
static void creator(race_t *r, int who) {
    for (long i = 0; step(r, who, i); i++) {
        flight_t *f = flight_create(1);
        long got[3] = {flight_book(f), flight_seats_left(f), flight_book(f)};
        flight_destroy(f);
        step_done(r, who);
        static const long want[3] = {1, 0, 0};
        for (int k = 0; k < 3 && r->other_step == 0; k++)
            if (got[k] != want[k]) {
                r->other_step = k + 1;
                r->other_got = got[k];
            }
    }
    lab_turn_leave(r->turns, who);
}

static void booker(const lab_worker_t *w) {
    race_t *r = w->arg;
    int who = w->index;
    if (r->creator != 0 && who == r->creator) {
        creator(r, who);
        return;
    }
    if (who < READERS) {
        long reads = 0;
        for (long i = 0; step(r, who, i); i++) {
            for (int k = 0; k < 2; k++) {
                int v = flight_seats_left(r->f[k]);
                reads++;
                if ((v < 0 || v > r->seats[k]) && r->bad_flight == 0) {
                    r->bad_flight = k + 1;
                    r->bad_read = v;
                }
            }
            step_done(r, who);
        }
        if (r->turns)
            lab_turn_leave(r->turns, who);
        if (who == 0)
            r->reads = reads;
        return;
    }
    long mine[2] = {0, 0}, i = 0;
    for (; step(r, who, i); i++) {
        int k = (int)((who + i) & 1);
        mine[k] += flight_book(r->f[k]);
        mine[!k] += flight_book(r->f[!k]);
        step_done(r, who);
    }
    if (r->turns)
        lab_turn_leave(r->turns, who);
    atomic_fetch_add(&r->tried, i);
    atomic_fetch_add(&r->booked[0], mine[0]);
    atomic_fetch_add(&r->booked[1], mine[1]);
    atomic_fetch_sub(&r->bookers_left, 1);
}

/* threads x attempts bookings on each of two flights of seats[0] and
 * seats[1] seats: exactly min(seats, tries) each, and 0 <= seats left <=
 * seats at every read. With `turns`, every thread takes one step per turn
 * (the ThreadSanitizer run); it returns the attempts made per flight. */
static long hammer(int threads, long attempts, const int seats[2], int turns) {
    race_t r = {.f = {flight_create(seats[0]), flight_create(seats[1])},
                .seats = {seats[0], seats[1]},
                .attempts = attempts};
    atomic_init(&r.booked[0], 0);
    atomic_init(&r.booked[1], 0);
    atomic_init(&r.bookers_left, threads);
    atomic_init(&r.tried, 0);
    /* Outside the ThreadSanitizer run the driver looks at both flights
     * before the race: a flight's first use racing with itself (a lock made
     * lazily) is for last-seat (every round a fresh flight) and race-free
     * to show every run; here it would show only now and then. */
    for (int k = 0; k < 2 && !turns; k++)
        LAB_EXPECT_EQ(seats[k], flight_seats_left(r.f[k]), "seats left on a new flight");
    int all = threads + READERS;
    if (turns) {
        r.creator = all++;
        r.turns = lab_turns_new(all, 0.4);
    }
    lab_threads_run(all, booker, &r);
    if (r.turns)
        lab_turns_free(r.turns);
    if (r.other_step != 0) {
        static const char *const what[3] = {"the first booking of a 1-seat flight succeeds",
                                            "then 0 seats are left", "then a second booking is refused"};
        lab_fail("a flight made while others are booked: %s / got %ld", what[r.other_step - 1],
                 r.other_got);
    }
    if (r.bad_flight)
        lab_fail("seats left stays within 0..%d while %d threads book / a reader got %ld on flight %d",
                 seats[r.bad_flight - 1], threads, r.bad_read, r.bad_flight);
    long tries = atomic_load(&r.tried);
    for (int k = 0; k < 2; k++) {
        long want = tries < seats[k] ? tries : seats[k], got = atomic_load(&r.booked[k]);
        int left = flight_seats_left(r.f[k]);
        if (got != want || left != seats[k] - want)
            lab_fail("%d threads x %ld attempts on a flight of %d seats book exactly %ld and leave %ld / "
                     "flight %d: booked %ld, %d seats left",
                     threads, tries / threads, seats[k], want, seats[k] - want, k + 1, got, left);
        flight_destroy(r.f[k]);
    }
    return tries;
}

typedef struct {
    flight_t *f;
    atomic_long booked;
} seat_t;

static void last_seat_booker(const lab_worker_t *w) {
    seat_t *r = w->arg;
    atomic_fetch_add(&r->booked, flight_book(r->f));
}

/* `threads` threads released together on a flight of `seats`: exactly
 * min(seats, threads) of them win, and nothing is left but the rest. With
 * `look_first`, the driver reads the seats left before the race, so that
 * what the flight sets up on its first use is set up by then (see
 * hammer()). */
static void race_for_seats(int threads, int seats, long round, int look_first) {
    seat_t r = {.f = flight_create(seats)};
    atomic_init(&r.booked, 0);
    if (look_first)
        LAB_EXPECT_EQ(seats, flight_seats_left(r.f), "seats left on a new flight");
    lab_threads_run(threads, last_seat_booker, &r);
    long got = atomic_load(&r.booked), want = threads < seats ? threads : seats;
    int left = flight_seats_left(r.f);
    if (got != want || left != seats - want)
        lab_fail("exactly %ld of %d threads get a seat of %d, leaving %ld / round %ld: %ld got one, "
                 "%d seats left",
                 want, threads, seats, seats - want, round, got, left);
    flight_destroy(r.f);
}

/* The sharpest case: many threads, one seat, over and over. */
static void check_last_seat(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long rounds = lab_opt_iters(o, 200);
    for (long k = 0; k < rounds; k++)
        race_for_seats(threads, 1, k + 1, 0);
    lab_pass("%ld rounds of %d threads racing for 1 seat: one winner every round", rounds, threads);
}

/* After the 8 bookers, a crowd: many more threads than seats, and more
 * seats than a few racing bookers could take at once ("any number of
 * threads may book at once"). A design that books without the lock while
 * "plenty" of seats are left (a bet on how many threads race) sells more
 * seats than the flight has once enough threads see "plenty" together. The
 * pause hook yields in every window for these rounds, not at random: each
 * thread that has looked lets the next one look, so most of the 64 look
 * before the first takes a seat, every round. The driver looks at each
 * flight first, as hammer() does. */
#define CROWD_THREADS 64
#define CROWD_SEATS 40
#define CROWD_ROUNDS 10

static void check_oversell(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long attempts = lab_opt_iters(o, 50);
    hammer(threads, attempts, (const int[2]){100, 100}, 0);
    lab_pause_mode_t was = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_YIELD;
    for (long k = 0; k < CROWD_ROUNDS; k++)
        race_for_seats(CROWD_THREADS, CROWD_SEATS, k + 1, 1);
    lab_pause_mode = was;
    lab_pass("%d threads x %ld attempts on each of 2 flights of 100 seats, 2 readers: exactly 100 booked "
             "on each, never below 0; %d rounds of %d threads racing for %d seats: %d winners every round",
             threads, attempts, CROWD_ROUNDS, CROWD_THREADS, CROWD_SEATS, CROWD_SEATS);
}

/* For the ThreadSanitizer build: bookers and readers take turns, one step
 * each, so their calls interleave even when the machine is too busy to run
 * them side by side. Flight 1 sells out within the first eighth of the
 * turns and the bookers keep trying it to the end, so every path of a full
 * flight (the booking that takes the last seat, every refusal after it,
 * the reads of an empty flight) runs beside the others: a "sold out" flag
 * or count peeked at without the lock is a race TSan sees. Flight 2 has a
 * seat for every attempt, so the paths of an open flight run to the end
 * too. A further thread makes, books and destroys flights of its own
 * meanwhile (see creator()). */
static void check_race_free(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    long attempts = lab_opt_iters(o, 200);
    /* each booker books each flight once per turn */
    int full = (int)(threads * attempts / 8 > 0 ? threads * attempts / 8 : 1);
    long tried = hammer(threads, attempts, (const int[2]){full, (int)(threads * attempts)}, 1);
    lab_pass("%d threads booking on 2 flights while 2 read and 1 makes other flights, flight 1 %s after "
             "%d seats: counts exact%s",
             threads, tried > full ? "full and still booked" : "NOT sold out (the machine is busy)", full,
             lab_cut_note(tried, threads * attempts));
}

static const lab_check_t checks[] = {
    {"single", "one thread: seats booked until full, then refused", check_single, LAB_PAUSE_OFF},
    {"oversell", "8 threads x 50 attempts on 2 flights of 100 seats, 2 readers: exactly 100 each; then 64 "
     "threads race for 40 seats",
     check_oversell, LAB_PAUSE_RANDOM},
    {"last-seat", "200 rounds: 8 threads race for 1 seat, exactly one wins", check_last_seat,
     LAB_PAUSE_YIELD},
    {"race-free",
     "4 threads book on 2 flights (one sells out) while 2 read and 1 makes other flights, for the "
     "ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
