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
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static char first_note[160]; /* what first_increments() proved, for the pass line */

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
 * one more thread making counters of its own meanwhile. `then`, if given,
 * runs once the counts are proved, before the check passes. */
static void hammer(const lab_opts_t *o, int dflt_threads, long dflt_iters, int turns, void (*then)(void)) {
    int n = lab_opt_threads(o, dflt_threads);
    long iters = lab_opt_iters(o, dflt_iters);
    int all = n + 1 + (turns != 0);
    run_t r = {.c = counter_create(),
               .iters = iters,
               .turns = turns ? lab_turns_new(all, 0.6) : NULL, /* after busy_reads()' 0.25 */
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
    if (then != NULL)
        then();
    lab_pass("%s%d threads x %ld increments == %ld (and %ld reads in between, none going back%s)%s", first_note,
             n, want / n, want, r.reads, r.creator ? "; other counters made and destroyed meanwhile" : "",
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
 * (its cache of freed small blocks, taken too) is left for those calls, so
 * the first allocation of the first call fails.
 *
 * Memory seldom runs out for every size at once: small blocks often still
 * fit where a large one does not. So other copies leave one hole, a free
 * block of `hole` bytes set aside before the cap and freed once everything
 * else is taken: what fits in what is left of it is handed out, larger
 * blocks fail. With holes of several sizes, an allocation that is not the
 * first of a counter_create() (a 4 KB array of shards after the small
 * struct) is the one that fails, and it must be checked too: a NULL written
 * through dies of SIGSEGV. One more hole is the bytes one counter_create()
 * holds less one 16-byte granule (the first copy measures them and says
 * so through a pipe): every allocation of the call but its last fits, the
 * last fails (a small block after a large one). glibc keeps small freed
 * blocks for their own size only (its per-thread cache, its fast bins): the
 * fast bins are turned off in the copy, and seven blocks of the hole's size
 * are freed before it, which fill that cache, so that the hole goes where
 * any smaller block is cut from it. Before the hole is opened, one
 * counter_create() is made in room of its own: whatever the first call
 * leaves in glibc's cache (the perturbing build's own temporary blocks) is
 * then there, and no later call cuts it from the hole.
 *
 * The copy's output goes nowhere: lab_calloc()'s message is not needed, and
 * its watchdog (armed again: alarms do not survive a fork) must not print a
 * FAIL line of its own. */
#define OOM_MOST_CALLS 100000L
#define OOM_TCACHE_MAX 1032 /* glibc's per-thread cache: blocks up to this size, */
#define OOM_TCACHE_COUNT 7  /* 7 of each */
#define OOM_ROOM 65536      /* for the first counter_create() of the copy */

/* Takes every block malloc() still has. */
static void oom_take_all(void) {
    for (size_t size = 1 << 20; size >= 8;) {
        void *volatile kept = malloc(size); /* volatile: the call must be made */
        if (kept == NULL)
            size /= 2;
    }
    for (size_t size = 24; size <= OOM_TCACHE_MAX; size += 16) /* the cache, every size */
        while (((void *volatile)malloc(size)) != NULL) {
        }
}

static void out_of_memory_copy(size_t hole, int report) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
    lab_watchdog_arm(20, "out of memory copy");
    mallopt(M_MXFAST, 0);
    void *room = malloc(OOM_ROOM), *h = hole > 0 ? malloc(hole) : NULL, *fill[OOM_TCACHE_COUNT] = {0};
    for (int k = 0; k < OOM_TCACHE_COUNT && hole > 0 && hole <= OOM_TCACHE_MAX; k++)
        fill[k] = malloc(hole);
    if (room == NULL || (hole > 0 && h == NULL))
        _exit(5);
    if (lab_cap_address_space() != 0)
        _exit(4);
    oom_take_all();
    free(room);
    counter_create();
    if (report >= 0) {
        long held = lab_impl_live_allocs();
        size_t before = mallinfo2().uordblks;
        counter_create();
        long one[2] = {(long)(mallinfo2().uordblks - before), lab_impl_live_allocs() - held};
        if (write(report, one, sizeof one) != (ssize_t)sizeof one)
            _exit(6);
    }
    oom_take_all();
    for (int k = 0; k < OOM_TCACHE_COUNT; k++)
        free(fill[k]);
    free(h);
    for (long i = 0; i < OOM_MOST_CALLS; i++)
        if (counter_create() == NULL)
            _exit(3);
    _exit(0);
}

/* One copy: with a hole of `hole` bytes (0: none). `one`, when not NULL,
 * gets the bytes and blocks one counter_create() holds (0 where they could
 * not be told). */
static void expect_abort_out_of_memory(size_t hole, long one[2]) {
    char left[96] = "";
    if (hole > 0)
        snprintf(left, sizeof left, " (with one free block of %zu bytes left, blocks that fit in it succeed)", hole);
    int p[2] = {-1, -1};
    if (one != NULL && pipe(p) != 0)
        lab_fail("pipe() works / %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        lab_fail("fork() works / %s", strerror(errno));
    if (pid == 0)
        out_of_memory_copy(hole, p[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        lab_fail("waitpid() works / %s", strerror(errno));
    if (one != NULL) {
        close(p[1]);
        if (read(p[0], one, 2 * sizeof *one) != (ssize_t)(2 * sizeof *one))
            one[0] = one[1] = 0;
        close(p[0]);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
        lab_fail("counter_create() never returns NULL (aborts when out of memory) / it returned NULL "
                 "when out of memory%s", left);
    if (WIFEXITED(st) && WEXITSTATUS(st) >= 4 && WEXITSTATUS(st) <= 6)
        lab_fail("the driver caps the address space of a copy of itself / it could not (step %d)",
                 WEXITSTATUS(st));
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGABRT)
        lab_fail("counter_create() aborts when out of memory (SIGABRT) / the program died of signal "
                 "%d (%s) instead%s: is every allocation checked?", WTERMSIG(st), strsignal(WTERMSIG(st)), left);
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        lab_fail("counter_create() aborts when out of memory / the program exited with status %d "
                 "instead%s", WEXITSTATUS(st), left);
}

/* Out of memory for every size, then with holes of several sizes, then
 * for the last allocation of a counter_create() that makes several. */
static void expect_abort_out_of_memory_all(void) {
    static const size_t holes[] = {64, 256, 1024, 4096, 16384};
    long one[2];
    expect_abort_out_of_memory(0, one);
    for (size_t k = 0; k < sizeof holes / sizeof holes[0]; k++)
        expect_abort_out_of_memory(holes[k], NULL);
    if (one[1] >= 2 && one[0] > 48)
        expect_abort_out_of_memory((size_t)one[0] - 16 - 8, NULL); /* a block that size, less its header */
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
    expect_abort_out_of_memory_all();
    lab_pass("one thread: %ld increments counted exactly, two counters independent, both freed; "
             "out of memory (for every size, or only for blocks larger than a hole, or only for its last block), "
             "counter_create() aborts", n);
}

/* "counter_destroy() frees the counter" also for a counter whose first
 * increments came from several threads at once: a design that sets up part
 * of a counter at its first counter_inc() (shards allocated lazily and
 * published with a compare-and-swap) has two threads allocate at once, and
 * the one that loses must free its block. FIRST_ROUNDS fresh counters, one
 * per round; FIRST_THREADS threads asleep at a gate are woken together on
 * each (woken sleepers are the scheduler's first choice, so a yield or a nap
 * of the perturbing build inside one's window lets another in, also on a
 * loaded machine), each makes one counter_inc(); the last to arrive opens
 * the next round. Every counter must then read FIRST_THREADS, and once all
 * are destroyed the implementation may hold no block it allocated (the
 * driver counts). A lazy design that leaks has its window met by two threads
 * in most rounds, idle or loaded: dozens of leaked blocks a run. */
#define FIRST_ROUNDS 32
#define FIRST_THREADS 3
#define FIRST_MOST_S 1.0 /* idle, 32 rounds take 20 ms; on a loaded machine, each about 60 */

typedef struct {
    counter_t *c[FIRST_ROUNDS];
    pthread_mutex_t lock;
    pthread_cond_t opened;
    int round;   /* the round the threads may play */
    int arrived; /* in this round */
    int last;    /* rounds played: fewer once FIRST_MOST_S have gone */
    double start;
} first_t;

static void first_worker(const lab_worker_t *w) {
    first_t *f = w->arg;
    for (int r = 0;; r++) {
        lab_mutex_lock(&f->lock);
        while (f->round < r)
            lab_cond_wait(&f->opened, &f->lock);
        int play = r < f->last;
        lab_mutex_unlock(&f->lock);
        if (!play)
            return;
        counter_inc(f->c[r]);
        lab_mutex_lock(&f->lock);
        if (++f->arrived == FIRST_THREADS) {
            f->arrived = 0;
            if (r + 1 < f->last && lab_now() - f->start > FIRST_MOST_S)
                f->last = r + 1;
            f->round = r + 1;
            lab_cond_broadcast(&f->opened);
        }
        lab_mutex_unlock(&f->lock);
    }
}

static void first_increments(void) {
    long held = lab_impl_live_allocs();
    first_t *f = lab_calloc(1, sizeof *f);
    for (int r = 0; r < FIRST_ROUNDS; r++)
        f->c[r] = counter_create();
    lab_mutex_init(&f->lock, NULL);
    lab_cond_init(&f->opened, NULL);
    f->last = FIRST_ROUNDS;
    f->start = lab_now();
    lab_threads_run(FIRST_THREADS, first_worker, f);
    int rounds = f->last;
    for (int r = 0; r < FIRST_ROUNDS; r++) {
        long got = counter_get(f->c[r]);
        if (got != (r < rounds ? FIRST_THREADS : 0))
            lab_fail("a fresh counter incremented once by each of %d threads at once reads %d / got %ld",
                     FIRST_THREADS, r < rounds ? FIRST_THREADS : 0, got);
        counter_destroy(f->c[r]);
    }
    char what[160];
    snprintf(what, sizeof what,
             "counter_destroy() of %d counters, each first incremented by %d threads at once,", rounds,
             FIRST_THREADS);
    lab_expect_freed(held, what);
    snprintf(first_note, sizeof first_note, "%d fresh counters first incremented by %d threads at once, all freed; ",
             rounds, FIRST_THREADS);
    lab_mutex_destroy(&f->lock);
    lab_cond_destroy(&f->opened);
    free(f);
}

static void check_lost_updates(const lab_opts_t *o) {
    hammer(o, 4, 1500, 0, first_increments);
}

/* Reads of a busy counter, for the ThreadSanitizer build (lab.h's
 * lab_busy_reads): a counter_get() that reads without the lock when the
 * lock is held (a trylock that gives up) races with the held increment. */
static void busy_inc(void *c) { counter_inc(c); }
static void busy_get(void *c) { counter_get(c); }

static void busy_reads(void) {
    counter_t *c = counter_create();
    long incs = lab_busy_reads(busy_inc, busy_get, c);
    LAB_EXPECT_EQ(incs, counter_get(c), "the busy counter after its incrementer is joined");
    counter_destroy(c);
}

/* Made for the ThreadSanitizer build, which sees a race from the order of
 * accesses, whether or not an update was lost this time. The threads take
 * turns, one call each, so their calls interleave even when the machine is
 * too busy to run them side by side; one of them makes, uses and destroys
 * counters of its own meanwhile (see creator()). */
static void check_race_free(const lab_opts_t *o) {
    busy_reads();
    hammer(o, 4, 300, 1, NULL);
}

/* Oversubscription with two counters at once: far more threads than cores
 * (and than a sharded design has slots), all alive together, each adding
 * to both counters in turn. A design that is only right while every
 * thread has a slot of its own, or while one counter exists, loses counts
 * here; the perturbing build stretches the student's own windows. No
 * thread returns before every one has done its increments: a design whose
 * thread waits for another to exit (a slot handed back at thread exit)
 * waits for ever, and the stall watch says so.
 *
 * Then counters made while those threads are alive: each thread's last
 * calls add to an old counter of its own; once all have, worker 0 destroys
 * the old counters ("no thread may be using it": none is) and makes as many
 * new ones, before any thread exits. Made and freed by one thread with
 * nothing allocated in between, the new counters take the old ones' memory
 * (malloc() hands back what that thread freed last; a few spare counters
 * destroyed first fill the thread's cache of freed blocks, which calloc()
 * does not look in, so that the old ones go where it does). A thread that writes
 * what it still owed an old counter when it exits writes into a new one,
 * which must read 0 after the join. */
#define CROWD_OLD_INCS 5
#define CROWD_SPARES 8

typedef struct {
    counter_t *c[2];
    long iters;
    _Atomic long done;     /* turns, all threads: each adds 1 to both counters */
    _Atomic long progress; /* turns and arrivals, for the stall watch */
    pthread_barrier_t made, counted, remade;
    counter_t **old, **fresh; /* one per thread */
    counter_t *spare[CROWD_SPARES];
    int fresh_bad;            /* 1 + the index of a new counter not at 0 when made, or 0 */
    lab_stall_t *stall;       /* stopped by worker 0 once all are done */
} crowd_t;

static void crowd_barrier(pthread_barrier_t *b) {
    int rc = pthread_barrier_wait(b);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        lab_pthread_die(rc, "pthread_barrier_wait", __FILE__, __LINE__);
}

static void crowd_worker(const lab_worker_t *w) {
    crowd_t *r = w->arg;
    int n = w->count;
    if (w->index == 0) {
        for (int k = 0; k < CROWD_SPARES; k++)
            r->spare[k] = counter_create();
        for (int k = 0; k < n; k++) {
            r->old[k] = counter_create();
            atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
        }
    }
    crowd_barrier(&r->made);
    /* On a machine busy with other work 96 threads can take 100 times as
     * long as idle: they stop when 40% of the check's time is gone; the
     * verdict holds for any number of turns. */
    long i = 0;
    for (; i < r->iters && !(i % 16 == 0 && lab_time_spent(0.4)); i++) {
        counter_inc(r->c[(w->index + i) & 1]);
        counter_inc(r->c[(w->index + i + 1) & 1]);
        atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
    }
    atomic_fetch_add(&r->done, i);
    for (int k = 0; k < CROWD_OLD_INCS; k++)
        counter_inc(r->old[w->index]);
    atomic_fetch_add(&r->progress, 1);
    crowd_barrier(&r->counted); /* every thread alive, every increment made */
    if (w->index == 0) {
        /* Progress too (the stall watch's): under the perturbing build each
         * of these calls may nap, with every other thread asleep. */
        for (int k = 0; k < CROWD_SPARES; k++) {
            counter_destroy(r->spare[k]);
            atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
        }
        for (int k = 0; k < n; k++) {
            counter_destroy(r->old[k]);
            atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
        }
        for (int k = 0; k < n; k++) {
            r->fresh[k] = counter_create();
            atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
        }
        for (int k = 0; k < n && !r->fresh_bad; k++) {
            if (counter_get(r->fresh[k]) != 0)
                r->fresh_bad = k + 1;
            atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
        }
    }
    crowd_barrier(&r->remade);
    /* The watch ends here, every increment made: the threads' exits (a
     * design's exit handlers, napping in the perturbing build while the
     * driver sleeps in its joins) are the check's timeout's business. */
    if (w->index == 0)
        lab_stall_stop(r->stall);
}

static void check_crowd(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 96);
    long iters = lab_opt_iters(o, 150);
    crowd_t r = {.c = {counter_create(), counter_create()},
                 .iters = iters,
                 .old = lab_calloc((size_t)n, sizeof *r.old),
                 .fresh = lab_calloc((size_t)n, sizeof *r.fresh)};
    atomic_init(&r.done, 0);
    atomic_init(&r.progress, 0);
    LAB_PTHREAD(pthread_barrier_init(&r.made, NULL, (unsigned)n));
    LAB_PTHREAD(pthread_barrier_init(&r.counted, NULL, (unsigned)n));
    LAB_PTHREAD(pthread_barrier_init(&r.remade, NULL, (unsigned)n));
    r.stall = lab_stall_watch(&r.progress, 1.0, "every counter_inc() returns while 96 threads are alive at once");
    lab_threads_run(n, crowd_worker, &r);
    long done = atomic_load(&r.done);
    for (int k = 0; k < 2; k++) {
        long got = counter_get(r.c[k]);
        if (got != done)
            lab_fail("%d threads x %ld increments on each of 2 counters == %ld / counter %d got %ld",
                     n, iters, done, k + 1, got);
        counter_destroy(r.c[k]);
    }
    if (r.fresh_bad)
        lab_fail("a new counter is at zero (counter.h) / a counter made after the old ones were destroyed "
                 "read %ld when made", counter_get(r.fresh[r.fresh_bad - 1]));
    for (int k = 0; k < n; k++) {
        long got = counter_get(r.fresh[k]);
        if (got != 0)
            lab_fail("a new counter stays at zero until incremented, and counters are independent / a counter "
                     "made while %d threads that had used (now destroyed) counters were alive read %ld once "
                     "they had exited", n, got);
        counter_destroy(r.fresh[k]);
    }
    LAB_PTHREAD(pthread_barrier_destroy(&r.made));
    LAB_PTHREAD(pthread_barrier_destroy(&r.counted));
    LAB_PTHREAD(pthread_barrier_destroy(&r.remade));
    free(r.old);
    free(r.fresh);
    lab_pass("%d threads alive at once x %ld increments%s on each of 2 counters: none lost; %d counters "
             "made after %d were destroyed, while their users were alive: all at 0 after they exited",
             n, iters, lab_cut_note(done, n * iters), n, n);
}

static const lab_check_t checks[] = {
    {"single", "one thread: exact counts, counters independent", check_single, LAB_PAUSE_OFF},
    {"lost-updates", "threads increment at once with the window stretched: none lost",
     check_lost_updates, LAB_PAUSE_RANDOM},
    {"crowd", "96 threads alive at once add to 2 counters (more threads than cores or slots): none lost; "
     "counters made after others are destroyed, while their users live, start at 0",
     check_crowd, LAB_PAUSE_RANDOM},
    {"race-free", "reads while an increment is held, then a short concurrent run (one thread making other "
     "counters), for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
