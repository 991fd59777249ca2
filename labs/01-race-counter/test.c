/* Lab 01, race counter: the torture driver. One binary per implementation;
 * each run executes one named check and says ok or FAIL in one line.
 *
 *   $ build/labs/01-race-counter/broken/test lost-updates
 *   FAIL: 4 threads x 1500 increments == 6000 / got 2331: 3669 lost (check lost-updates, seed 48213)
 *   $ build/labs/01-race-counter/fixed/test lost-updates --seed 48213
 *   ok: lost-updates: 4 threads x 1500 increments == 6000
 */
#include <stdatomic.h>

#include "counter.h"
#include "lab.h"

typedef struct {
    counter_t *c;
    long iters;
    atomic_int writers_left;
    long reads, last_read, went_back_from, went_back_to, too_high;
} run_t;

static void incrementer(run_t *r) {
    for (long i = 0; i < r->iters; i++)
        counter_inc(r->c);
    atomic_fetch_sub(&r->writers_left, 1);
}

/* Worker 0 only reads while the others add: every value it sees must be at
 * least the one before (nobody ever subtracts) and at most the final total. */
static void reader(run_t *r, long max) {
    long prev = 0;
    while (atomic_load(&r->writers_left) > 0) {
        long v = counter_get(r->c);
        r->reads++;
        if (v < prev && r->went_back_from == 0) {
            r->went_back_from = prev;
            r->went_back_to = v;
        }
        if (v > max && r->too_high == 0)
            r->too_high = v;
        prev = v;
    }
    r->last_read = prev;
}

static long max_total;

static void worker(const lab_worker_t *w) {
    run_t *r = w->arg;
    if (w->index == 0)
        reader(r, max_total);
    else
        incrementer(r);
}

/* n incrementing threads plus one reading thread, all released together. */
static void hammer(const lab_opts_t *o, int dflt_threads, long dflt_iters) {
    int n = lab_opt_threads(o, dflt_threads);
    long iters = lab_opt_iters(o, dflt_iters);
    run_t r = {.c = counter_create(), .iters = iters};
    atomic_init(&r.writers_left, n);
    max_total = n * iters;
    lab_threads_run(n + 1, worker, &r);

    long got = counter_get(r.c);
    if (got != max_total)
        lab_fail("%d threads x %ld increments == %ld / got %ld: %ld %s", n, iters, max_total, got,
                 max_total > got ? max_total - got : got - max_total, got < max_total ? "lost" : "too many");
    if (r.went_back_from != 0)
        lab_fail("counter_get() never goes down while others add / read %ld, then %ld",
                 r.went_back_from, r.went_back_to);
    if (r.too_high != 0)
        lab_fail("counter_get() <= %ld while others add / read %ld", max_total, r.too_high);
    counter_destroy(r.c);
    lab_pass("%d threads x %ld increments == %ld (and %ld reads in between, none going back)", n,
             iters, max_total, r.reads);
}

static void check_single(const lab_opts_t *o) {
    long n = lab_opt_iters(o, 100000);
    counter_t *a = counter_create();
    counter_t *b = counter_create();
    LAB_EXPECT_EQ(0, counter_get(a), "a new counter's value");
    for (long i = 0; i < n; i++)
        counter_inc(a);
    LAB_EXPECT_EQ(n, counter_get(a), "value after that many counter_inc() calls");
    LAB_EXPECT_EQ(n, counter_get(a), "value on a second counter_get() (reading changes nothing)");
    LAB_EXPECT_EQ(0, counter_get(b), "a second counter, untouched while the first counted");
    counter_inc(b);
    LAB_EXPECT_EQ(1, counter_get(b), "the second counter after one counter_inc()");
    LAB_EXPECT_EQ(n, counter_get(a), "the first counter, after the second one moved");
    counter_destroy(a);
    counter_destroy(b);
    lab_pass("one thread: %ld increments counted exactly, two counters independent", n);
}

static void check_lost_updates(const lab_opts_t *o) { hammer(o, 4, 1500); }

/* Short and unpaused: made for the ThreadSanitizer build, which sees a race
 * from the order of accesses, whether or not an update was lost this time. */
static void check_race_free(const lab_opts_t *o) { hammer(o, 4, 2000); }

/* Oversubscription with two counters at once: far more threads than cores
 * (and than a sharded design has slots), each alive for a short while and
 * adding to both counters in turn. A design that is only right while every
 * thread has a slot of its own, or while one counter exists, loses counts
 * here; the perturbing build stretches the student's own windows. */
typedef struct {
    counter_t *c[2];
    long iters;
    _Atomic long done; /* turns, all threads: each adds 1 to both counters */
} crowd_t;

static void crowd_worker(const lab_worker_t *w) {
    crowd_t *r = w->arg;
    /* On a machine busy with other work 96 threads can take 100 times as
     * long as idle: they stop when 40% of the check's time is gone; the
     * verdict holds for any number of turns. */
    long i = 0;
    for (; i < r->iters && !(i % 16 == 0 && lab_time_spent(0.4)); i++) {
        counter_inc(r->c[(w->index + i) & 1]);
        counter_inc(r->c[(w->index + i + 1) & 1]);
    }
    atomic_fetch_add(&r->done, i);
}

static void check_crowd(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 96);
    long iters = lab_opt_iters(o, 150);
    crowd_t r = {.c = {counter_create(), counter_create()}, .iters = iters};
    atomic_init(&r.done, 0);
    lab_threads_run(n, crowd_worker, &r);
    long done = atomic_load(&r.done);
    for (int k = 0; k < 2; k++) {
        long got = counter_get(r.c[k]);
        if (got != done)
            lab_fail("%d threads x %ld increments on each of 2 counters == %ld / counter %d got %ld",
                     n, iters, done, k + 1, got);
        counter_destroy(r.c[k]);
    }
    lab_pass("%d threads x %ld increments%s on each of 2 counters: none lost", n, iters,
             lab_cut_note(done, n * iters));
}

static const lab_check_t checks[] = {
    {"single", "one thread: exact counts, counters independent", check_single, LAB_PAUSE_OFF},
    {"lost-updates", "threads increment at once with the window stretched: none lost",
     check_lost_updates, LAB_PAUSE_RANDOM},
    {"crowd", "96 threads add to 2 counters at once (more threads than cores or slots): none lost",
     check_crowd, LAB_PAUSE_RANDOM},
    {"race-free", "short concurrent run for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
