/* Lab 01, race counter: the torture driver. One binary per implementation;
 * each run executes one named check and says ok or FAIL in one line.
 *
 *   $ build/labs/01-race-counter/broken/test lost-updates
 *   FAIL: 4 threads x 1500 increments == 6000 / got 2331: 3669 lost (check lost-updates, seed 48213)
 *   $ build/labs/01-race-counter/fixed/test lost-updates --seed 48213
 *   ok: lost-updates: 4 threads x 1500 increments == 6000
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counter.h"
#include "lab.h"

typedef struct {
    counter_t *c;
    long iters;
    atomic_int writers_left;
    _Atomic long added;  /* increments made, all threads */
    lab_turns_t *turns;  /* the ThreadSanitizer run: one call per turn, round robin */
    long reads, last_read, went_back_from, went_back_to, too_high;
    int creator;         /* the worker making other counters meanwhile, or 0 */
    int other_wrong;     /* one of those did not read 0, then 1: */
    long other_before, other_after; /* what it read */
} run_t;

/* Whether thread `who` may make its next call: always, or on its turn. */
static int my_turn(run_t *r, int who) { return r->turns == NULL || lab_turn_take(r->turns, who); }

static void turn_over(run_t *r, int who) {
    if (r->turns)
        lab_turn_give(r->turns, who);
}

static void incrementer(run_t *r, int who) {
    long i = 0;
    for (; i < r->iters && my_turn(r, who); i++) {
        counter_inc(r->c);
        turn_over(r, who);
    }
    if (r->turns)
        lab_turn_leave(r->turns, who);
    atomic_fetch_add(&r->added, i);
    atomic_fetch_sub(&r->writers_left, 1);
}

/* Worker 0 only reads while the others add: every value it sees must be at
 * least the one before (nobody ever subtracts) and at most the final total.
 * Taking turns, it reads as often as each adder adds, and never looks at
 * writers_left (an atomic read of it would order the adders' work before
 * its reads for ThreadSanitizer). */
static int reading(run_t *r, long i) {
    if (r->turns)
        return i < r->iters && lab_turn_take(r->turns, 0);
    return atomic_load(&r->writers_left) > 0;
}

static void reader(run_t *r, long max) {
    long prev = 0;
    for (long i = 0; reading(r, i); i++) {
        long v = counter_get(r->c);
        turn_over(r, 0);
        r->reads++;
        if (v < prev && r->went_back_from == 0) {
            r->went_back_from = prev;
            r->went_back_to = v;
        }
        if (v > max && r->too_high == 0)
            r->too_high = v;
        prev = v;
    }
    if (r->turns)
        lab_turn_leave(r->turns, 0);
    r->last_read = prev;
}

/* The last worker of the ThreadSanitizer run creates, uses and destroys
 * counters of its own while the others use theirs: "counters are
 * independent" also while they are in use. A lock shared by all counters but
 * initialised again by each counter_create() (re-initialised under its
 * holder's feet) is a write to the lock the others are using, which no
 * synchronisation orders: a data race, seen on the first turn it takes. */
static void creator(run_t *r, int who) {
    for (long i = 0; i < r->iters && my_turn(r, who); i++) {
        counter_t *b = counter_create();
        long before = counter_get(b);
        counter_inc(b);
        long after = counter_get(b);
        counter_destroy(b);
        turn_over(r, who);
        if ((before != 0 || after != 1) && !r->other_wrong) {
            r->other_wrong = 1;
            r->other_before = before;
            r->other_after = after;
        }
    }
    if (r->turns)
        lab_turn_leave(r->turns, who);
}

static long max_total;

static void worker(const lab_worker_t *w) {
    run_t *r = w->arg;
    if (w->index == 0)
        reader(r, max_total);
    else if (w->index == r->creator)
        creator(r, w->index);
    else
        incrementer(r, w->index);
}

/* n incrementing threads plus one reading thread, all released together;
 * with `turns`, taking turns one call each (the ThreadSanitizer run), and
 * one more thread making counters of its own meanwhile. */
static void hammer(const lab_opts_t *o, int dflt_threads, long dflt_iters, int turns) {
    int n = lab_opt_threads(o, dflt_threads);
    long iters = lab_opt_iters(o, dflt_iters);
    int all = n + 1 + (turns != 0);
    run_t r = {.c = counter_create(),
               .iters = iters,
               .turns = turns ? lab_turns_new(all, 0.4) : NULL,
               .creator = turns ? n + 1 : 0};
    atomic_init(&r.writers_left, n);
    atomic_init(&r.added, 0);
    max_total = n * iters;
    lab_threads_run(all, worker, &r);

    long got = counter_get(r.c), want = atomic_load(&r.added);
    if (got != want)
        lab_fail("%d threads x %ld increments == %ld / got %ld: %ld %s", n, want / n, want, got,
                 want > got ? want - got : got - want, got < want ? "lost" : "too many");
    if (r.went_back_from != 0)
        lab_fail("counter_get() never goes down while others add / read %ld, then %ld",
                 r.went_back_from, r.went_back_to);
    if (r.too_high != 0)
        lab_fail("counter_get() <= %ld while others add / read %ld", max_total, r.too_high);
    if (r.other_wrong)
        lab_fail("a counter made while others are in use reads 0, then 1 after one counter_inc() / "
                 "read %ld, then %ld", r.other_before, r.other_after);
    counter_destroy(r.c);
    lab_pass("%d threads x %ld increments == %ld (and %ld reads in between, none going back%s)%s", n,
             want / n, want, r.reads, r.creator ? "; other counters made and destroyed meanwhile" : "",
             lab_cut_note(want, max_total));
    if (r.turns)
        lab_turns_free(r.turns);
}

/* "Never returns NULL (aborts when out of memory)": a copy of this process
 * (forked while it has one thread) runs out of memory for real: its address
 * space capped at what it uses now, it takes every block malloc() still has,
 * biggest first, then calls counter_create() until one does not return. It
 * must die of SIGABRT. Exit 3: a NULL came back; exit 0: memory never ran
 * out in that many calls (nothing to judge). Only what malloc() kept aside
 * (its caches of freed blocks) is left for those calls, so few of them
 * succeed. The copy's output goes nowhere: lab_calloc()'s message is not
 * needed, and its watchdog (armed again: alarms do not survive a fork) must
 * not print a FAIL line of its own. */
#define OOM_MOST_CALLS 100000L

static void touch_stack(void) {
    /* The stack grows into the address space too: grow it now, so that the
     * abort's message and handler do not meet a cap meant for the heap. */
    volatile char room[256 * 1024];
    for (size_t i = 0; i < sizeof room; i += 4096)
        room[i] = 1;
}

static void out_of_memory_copy(void) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
    lab_watchdog_arm(20, "out of memory copy");
    touch_stack();
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld", &pages) != 1)
        _exit(4);
    fclose(f);
    rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0)
        _exit(4);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cap)
        rl.rlim_cur = cap;
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        _exit(4);
    for (size_t size = 1 << 20; size >= 8;) {
        void *volatile kept = malloc(size); /* volatile: the call must be made */
        if (kept == NULL)
            size /= 2;
    }
    for (long i = 0; i < OOM_MOST_CALLS; i++)
        if (counter_create() == NULL)
            _exit(3);
    _exit(0);
}

static void expect_abort_out_of_memory(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("fork() works / %s", strerror(errno));
    if (pid == 0)
        out_of_memory_copy();
    int st;
    if (waitpid(pid, &st, 0) != pid)
        lab_fail("waitpid() works / %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
        lab_fail("counter_create() never returns NULL (aborts when out of memory) / it returned NULL "
                 "when out of memory");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 4)
        lab_fail("the driver caps the address space of a copy of itself / it could not");
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGABRT)
        lab_fail("counter_create() aborts when out of memory (SIGABRT) / the program died of signal "
                 "%d (%s) instead", WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        lab_fail("counter_create() aborts when out of memory / the program exited with status %d "
                 "instead", WEXITSTATUS(st));
}

static void check_single(const lab_opts_t *o) {
    long n = lab_opt_iters(o, 100000);
    long held = lab_impl_live_allocs();
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
    lab_expect_freed(held, "counter_destroy() of both counters");
    expect_abort_out_of_memory();
    lab_pass("one thread: %ld increments counted exactly, two counters independent, both freed; "
             "out of memory, counter_create() aborts", n);
}

static void check_lost_updates(const lab_opts_t *o) { hammer(o, 4, 1500, 0); }

/* Made for the ThreadSanitizer build, which sees a race from the order of
 * accesses, whether or not an update was lost this time. The threads take
 * turns, one call each, so their calls interleave even when the machine is
 * too busy to run them side by side; one of them makes, uses and destroys
 * counters of its own meanwhile (see creator()). */
static void check_race_free(const lab_opts_t *o) { hammer(o, 4, 300, 1); }

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
    {"race-free", "short concurrent run (one thread making other counters) for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
