/* Lab 02, check-then-act: the torture driver. One check per run.
 *
 *   $ build/labs/02-check-then-act/broken/test oversell
 *   FAIL: 8 threads x 50 attempts on a flight of 100 seats book exactly 100 and leave 0 / flight 1: booked 131, 0 seats left (check oversell, seed 9)
 *   $ build/labs/02-check-then-act/fixed/test last-seat
 *   ok: last-seat: 200 rounds of 8 threads racing for 1 seat: one winner every round
 */
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "booking.h"
#include "lab.h"

#define BIG_SEATS 100000

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
    /* booking.h takes any int: a flight past 65 535 seats (a stadium, a
     * train over a week) must not wrap in a narrower count. */
    flight_t *big = flight_create(BIG_SEATS);
    LAB_EXPECT_EQ(BIG_SEATS, flight_seats_left(big), "seats left on a new flight of 100000 seats");
    for (int i = 0; i < BIG_SEATS; i++)
        if (flight_book(big) != 1)
            lab_fail("every booking of a flight of %d seats succeeds while seats are free / booking %d "
                     "was refused, %d seats left",
                     BIG_SEATS, i + 1, flight_seats_left(big));
    LAB_EXPECT_EQ(0, flight_seats_left(big), "seats left after 100000 bookings of 100000");
    LAB_EXPECT_EQ(0, flight_book(big), "booking on the full flight of 100000 seats");
    flight_destroy(big);
    lab_pass("one thread: 10 of 10 seats booked, 5 refusals, flights independent; 100000 of 100000 "
             "booked on a big flight");
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
/* A booking on a flight with seats free is served however long the flight
 * stays busy, and any number of bookings may wait at once. One thread books
 * in a loop; the driver holds it still (lab_hold_thread) at whatever point
 * it has reached, often inside its booking's critical section, and
 * meanwhile a second thread books on the same flight, which has seats for
 * every booking the check makes. When the holder was held outside its
 * critical section, the booking is answered at once; when inside, it
 * waits, and once it has waited BUSY_WAIT_S (so the holder is surely
 * inside) a crowd of BUSY_CROWD more threads books too, all of them
 * waiting at once behind the held one, before the driver lets it go. Every
 * booking must be paid (a lock that gives up after a while and calls the
 * flight full is refused in the first such round) and every seat sold once
 * (a queue lock with fewer slots than waiters lets two walk in together,
 * or loses a hand-over and never lets anyone in again: the stall watch
 * says so). BUSY_WAITS rounds that waited are enough. A design that never
 * waits (lock-free) is answered at once every round; its crowd books after
 * the rounds, unheld. */
#define BUSY_SEATS 2000000000 /* more than the looping booker can take in the time the check gives it */
#define BUSY_WAIT_S 0.3
#define BUSY_WAITS 2
#define BUSY_MOST_ROUNDS 300
#define BUSY_CROWD 200
#define BUSY_SETTLE_MS 30

typedef struct {
    flight_t *f;
    atomic_int stop;
    atomic_long held_booked;    /* the looping thread's seats */
    atomic_int asked, calling, answered; /* rounds asked of the second booker, begun, answered */
    atomic_int paid;                     /* its last answer */
    atomic_int tid;                      /* the second booker's, for lab_await_answer() */
    pthread_mutex_t crowd_lock; /* the driver's own: the crowd sleeps until let go */
    pthread_cond_t crowd_cond;
    int crowd_go;
    atomic_int crowd_started;
    atomic_int crowd_refused;
    _Atomic long progress; /* bookings answered, all threads: for the stall watch */
} busy_t;

static void *busy_looper(void *arg) {
    busy_t *b = arg;
    while (!atomic_load(&b->stop))
    {
        atomic_fetch_add(&b->held_booked, flight_book(b->f));
        atomic_fetch_add(&b->progress, 1);
    }
    return NULL;
}

static void *busy_asked(void *arg) {
    busy_t *b = arg;
    atomic_store(&b->tid, lab_tid());
    for (int round = 1;; round++) {
        int asked;
        while ((asked = atomic_load(&b->asked)) < round && !atomic_load(&b->stop))
            sched_yield();
        if (asked < round)
            return NULL;
        atomic_store(&b->calling, round);
        atomic_store(&b->paid, flight_book(b->f));
        atomic_fetch_add(&b->progress, 1);
        atomic_store(&b->answered, round);
    }
}

static void *busy_crowd(void *arg) {
    busy_t *b = arg;
    lab_mutex_lock(&b->crowd_lock);
    while (!b->crowd_go)
        lab_cond_wait(&b->crowd_cond, &b->crowd_lock);
    lab_mutex_unlock(&b->crowd_lock);
    atomic_fetch_add(&b->crowd_started, 1);
    if (flight_book(b->f) != 1)
        atomic_fetch_add(&b->crowd_refused, 1);
    atomic_fetch_add(&b->progress, 1);
    return NULL;
}

static void nap_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Lets the crowd go; with `held`, waits until every one of them has
 * started its booking, and a little more, so they all wait together. */
static void crowd_go(busy_t *b, int held) {
    lab_mutex_lock(&b->crowd_lock);
    b->crowd_go = 1;
    lab_cond_broadcast(&b->crowd_cond);
    lab_mutex_unlock(&b->crowd_lock);
    if (!held)
        return;
    /* The driver's own steps move the stall watch's counter while it holds
     * the booker on purpose; a queue that loses someone stops it after. */
    while (atomic_load(&b->crowd_started) < BUSY_CROWD && !lab_time_spent(0.4)) {
        nap_ms(1);
        atomic_fetch_add(&b->progress, 1);
    }
    nap_ms(BUSY_SETTLE_MS);
    atomic_fetch_add(&b->progress, 1);
}

static void busy_flight(void) {
    busy_t b = {.f = flight_create(BUSY_SEATS)};
    atomic_init(&b.stop, 0);
    atomic_init(&b.held_booked, 0);
    atomic_init(&b.asked, 0);
    atomic_init(&b.calling, 0);
    atomic_init(&b.answered, 0);
    atomic_init(&b.paid, 0);
    atomic_init(&b.tid, 0);
    atomic_init(&b.crowd_started, 0);
    atomic_init(&b.crowd_refused, 0);
    atomic_init(&b.progress, 0);
    lab_mutex_init(&b.crowd_lock, NULL);
    lab_cond_init(&b.crowd_cond, NULL);
    /* The implementation's clocks, wall and steady, are a day behind while
     * this runs: a timed lock whose deadline comes from either has expired
     * before it starts, so a design that gives up after a timeout gives up
     * at the first held lock, however long its timeout; and in each round
     * that waits, they jump two days ahead before the holder is let go, so
     * one that gives up once it has waited long enough by a clock it reads
     * gives up too (lab.h: lab_clocks_ahead_while). One that waits is
     * untouched. */
    lab_clocks_shift(-86400);
    lab_hold_install(2.0);
    pthread_t loop, asked, crowd[BUSY_CROWD];
    for (int i = 0; i < BUSY_CROWD; i++)
        lab_thread_create(&crowd[i], NULL, busy_crowd, &b);
    lab_thread_create(&loop, NULL, busy_looper, &b);
    lab_thread_create(&asked, NULL, busy_asked, &b);
    /* A hold pauses every booking for a while (BUSY_WAIT_S and the crowd's
     * start): longer than that with every thread asleep, or five times
     * that spinning, and the queue has lost someone. */
    lab_stall_t *stall = lab_stall_watch(&b.progress, 1.5,
                                         "bookings waiting behind a held one (201 at once) are all served");
    while (atomic_load(&b.tid) == 0)
        sched_yield();
    int waits = 0, rounds = 0, paid = 0, crowd_held = 0;
    while (waits < BUSY_WAITS && rounds < BUSY_MOST_ROUNDS && !lab_time_spent(0.3)) {
        nap_ms(1); /* the looping booker runs on */
        lab_hold_thread(loop);
        double start = lab_now();
        atomic_store(&b.asked, ++rounds);
        /* A booking that has not run yet is never taken for one that
         * waited (lab.h); the crowd's start has the rest of the hold's 2 s. */
        int answer = lab_await_answer(atomic_load(&b.tid), &b.calling, &b.answered, rounds, BUSY_WAIT_S, 1.0);
        atomic_fetch_add(&b.progress, 1); /* a hold of ours, not a stall (crowd_go()) */
        double waited = lab_now() - start;
        int answered_held = answer == 1;
        if (answer == 0 && !b.crowd_go) {
            crowd_go(&b, 1);
            crowd_held = 1;
        }
        /* Still held: a wait that gives up by a clock gives up now. */
        if (answer == 0)
            lab_clocks_ahead_while(atomic_load(&b.tid), 0.1, 0.3);
        int held_all_along = lab_hold_release();
        while (atomic_load(&b.answered) < rounds)
            sched_yield();
        if (!atomic_load(&b.paid))
            lab_fail("a booking succeeds while seats are free (booking.h: 0 only when the flight is full) / "
                     "a booking on a flight with over %d seats free was refused after %.0f ms%s",
                     BUSY_SEATS / 2, waited * 1000,
                     answered_held ? " while a booking of it was held still (inside its critical section)"
                                   : "");
        paid++;
        waits += answer == 0 && held_all_along;
    }
    if (!b.crowd_go)
        crowd_go(&b, 0);
    for (int i = 0; i < BUSY_CROWD; i++)
        lab_thread_join(crowd[i], NULL);
    atomic_store(&b.stop, 1);
    lab_thread_join(loop, NULL);
    lab_thread_join(asked, NULL);
    lab_clocks_shift(0);
    lab_stall_stop(stall);
    if (atomic_load(&b.crowd_refused))
        lab_fail("a booking succeeds while seats are free / %d of %d bookings waiting at once%s were refused",
                 atomic_load(&b.crowd_refused), BUSY_CROWD, crowd_held ? " behind a held one" : "");
    long sold = atomic_load(&b.held_booked) + paid + BUSY_CROWD;
    LAB_EXPECT_EQ(BUSY_SEATS - sold, flight_seats_left(b.f),
                  "seats left on the busy flight after the driver's count of bookings");
    flight_destroy(b.f);
    LAB_PTHREAD(pthread_cond_destroy(&b.crowd_cond));
    LAB_PTHREAD(pthread_mutex_destroy(&b.crowd_lock));
}

#define CROWD_THREADS 64
#define CROWD_SEATS 40
#define CROWD_ROUNDS 10

static void check_oversell(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long attempts = lab_opt_iters(o, 50);
    busy_flight();
    hammer(threads, attempts, (const int[2]){100, 100}, 0);
    lab_pause_mode_t was = lab_pause_mode;
    lab_pause_mode = LAB_PAUSE_YIELD;
    for (long k = 0; k < CROWD_ROUNDS; k++)
        race_for_seats(CROWD_THREADS, CROWD_SEATS, k + 1, 1);
    lab_pause_mode = was;
    lab_pass("%d threads x %ld attempts on each of 2 flights of 100 seats, 2 readers: exactly 100 booked "
             "on each, never below 0; %d rounds of %d threads racing for %d seats: %d winners every round; "
             "bookings waiting behind a held one (%d at once) all served, each seat sold once",
             threads, attempts, CROWD_ROUNDS, CROWD_THREADS, CROWD_SEATS, CROWD_SEATS, BUSY_CROWD + 1);
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
    {"single", "one thread: seats booked until full, then refused; a flight of 100000 seats", check_single,
     LAB_PAUSE_OFF},
    {"oversell", "bookings behind a held one (201 at once) all served; 8 threads x 50 attempts on 2 flights "
     "of 100 seats, 2 readers: exactly 100 each; then 64 threads race for 40 seats",
     check_oversell, LAB_PAUSE_RANDOM},
    {"last-seat", "200 rounds: 8 threads race for 1 seat, exactly one wins", check_last_seat,
     LAB_PAUSE_YIELD},
    {"race-free",
     "4 threads book on 2 flights (one sells out) while 2 read and 1 makes other flights, for the "
     "ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
