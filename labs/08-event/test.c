/* Lab 08, event: the torture driver. One check per run. A waiter that
 * never wakes is reported after 1 s with that reason, never waited out.
 *
 *   $ build/labs/08-event/broken/test lost-wakeup
 *   FAIL: waiter never woke: its set() came while it was getting ready to sleep (lost wakeup) / progress stopped at 1283 (check lost-wakeup, seed 8)
 *   $ build/labs/08-event/fixed/test idle
 *   ok: idle: a waiter blocked 0.300 s used 0.000 s of CPU
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "lab.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    event_t *e = event_create();
    LAB_EXPECT_EQ(0, event_is_set(e), "a new event is set");
    LAB_EXPECT_EQ(0, event_wait(e, 0), "wait(0) on an unset event");
    event_set(e);
    LAB_EXPECT_EQ(1, event_is_set(e), "set after event_set()");
    double t0 = lab_now();
    LAB_EXPECT_EQ(1, event_wait(e, -1), "wait() on a set event");
    LAB_EXPECT_EQ(1, event_wait(e, 5), "wait(5) on a set event");
    if (lab_now() - t0 > 0.5)
        lab_fail("waits on a set event return at once / they took %.3f s", lab_now() - t0);
    event_set(e);
    LAB_EXPECT_EQ(1, event_is_set(e), "set after setting twice");
    event_clear(e);
    LAB_EXPECT_EQ(0, event_is_set(e), "set after event_clear()");
    LAB_EXPECT_EQ(0, event_wait(e, 0.01), "wait(0.01) on a cleared event");
    event_destroy(e);
    /* Two events at once: each has its own flag. */
    event_t *a = event_create(), *b = event_create();
    event_set(a);
    LAB_EXPECT_EQ(0, event_is_set(b), "an event that was never set, while another one is set");
    LAB_EXPECT_EQ(0, event_wait(b, 0), "wait(0) on an unset event while another one is set");
    event_clear(b);
    LAB_EXPECT_EQ(1, event_is_set(a), "a set event, after another one was cleared");
    event_destroy(b);
    event_destroy(a);
    lab_pass("one thread: set, wait on a set event returns at once, clear, wait(0) on unset is 0; two events "
             "apart");
}

/* A deadline counts from the call, not from the last wake-up: while a
 * wait(0.2) sleeps, the event is set and at once cleared again, every
 * BLINK_MS, with the waiter held still (above) from before the set until
 * after the clear, so it wakes to an unset event every time, whatever the
 * scheduler does. A wait that starts its timeout again on each wake-up
 * never ends while this goes on; one that keeps its deadline returns 0
 * after 0.2 s, after some 8 blinks (or 1, if it takes a blink for a set).
 * The verdict is a count: still waiting after BLINKS blinks (at least
 * BLINKS x BLINK_MS = 1 s, five times the timeout) fails. A round in which
 * the machine left a gap of 0.15 s between blinks (a wait that restarts
 * could have timed out in it), or a hold ran out, proves nothing about a
 * wait that returned: another round is run, up to BLINK_ROUNDS. */
enum { BLINKS = 40, BLINK_MS = 25, BLINK_ROUNDS = 4 };

typedef struct {
    event_t *e;
    atomic_int done, may_end;
    int r;
    double started, took;
} blinked_t;

static void *blinked_waiter(void *arg) {
    blinked_t *w = arg;
    w->started = lab_now();
    w->r = event_wait(w->e, 0.2);
    w->took = lab_now() - w->started;
    atomic_store(&w->done, 1);
    while (!atomic_load(&w->may_end)) /* alive until the driver sends no more signals */
        sleep_ms(1);
    return NULL;
}

/* One round; returns 1 when it proves the deadline was kept (the wait
 * returned with no gap or overrun), 0 when it proves nothing; fails the
 * check when the wait outlasts BLINKS blinks. */
static int blink_round(int round, int *blinks_out, double *took_out) {
    blinked_t w = {.e = event_create()};
    atomic_init(&w.done, 0);
    atomic_init(&w.may_end, 0);
    pthread_t t;
    double t0 = lab_now();
    lab_thread_create(&t, NULL, blinked_waiter, &w);
    double last = t0, gap = 0;
    int blinks = 0, overran = 0;
    while (!atomic_load(&w.done) && blinks < BLINKS) {
        sleep_ms(BLINK_MS);
        if (!lab_others_asleep(0.05) || atomic_load(&w.done))
            continue; /* held only while asleep in the wait */
        lab_hold_thread(t);
        event_set(w.e);
        event_clear(w.e);
        overran |= !lab_hold_release();
        blinks++;
        double now = lab_now();
        if (now - last > gap)
            gap = now - last;
        last = now;
    }
    if (!atomic_load(&w.done))
        lab_fail("wait(0.2) ends 0.2 s after its call, also while the event is set and cleared meanwhile / "
                 "it was still waiting after %d set-and-clear blinks, %.3f s after the call (round %d): its "
                 "timeout starts again on every wake-up",
                 blinks, lab_now() - t0, round);
    atomic_store(&w.may_end, 1);
    lab_thread_join(t, NULL);
    if (lab_now() - last > gap)
        gap = lab_now() - last;
    event_destroy(w.e);
    *blinks_out = blinks;
    *took_out = w.took;
    return gap < 0.15 && !overran;
}

static void check_timeout(const lab_opts_t *o) {
    (void)o;
    event_t *e = event_create();
    double t0 = lab_now();
    int r = event_wait(e, 0.2);
    double took = lab_now() - t0;
    if (r != 0 || took < 0.2 || took > 1.0)
        lab_fail("wait(0.2) on an unset event returns 0 after 0.2 to 1 s / it returned %d after %.3f s", r,
                 took);
    event_destroy(e);
    lab_hold_install(0.5);
    int blinks = 0, rounds = 0, proved = 0;
    double blinked_took = 0;
    while (!proved && rounds < BLINK_ROUNDS)
        proved = blink_round(++rounds, &blinks, &blinked_took);
    lab_pass("wait(0.2) on an unset event returned 0 after %.3f s; one set and cleared every %d ms meanwhile "
             "returned after %.3f s and %d blinks%s",
             took, BLINK_MS, blinked_took, blinks,
             proved ? "" : " (the machine was too busy to keep the blinks 0.15 s apart: not proved)");
}

/* The implementation's wall clock is stepped by an hour each way during a
 * wait(0.2). A deadline on the monotonic clock does not notice; one taken
 * from the wall clock ends at once (clock behind) or an hour late (clock
 * ahead). The lower bound compares times a timer can only exceed; the upper
 * bound is a watchdog of 2 s, ten times the wait, never a close call. */
static void jumped_wait(double jump) {
    event_t *e = event_create();
    lab_clock_jump = jump;
    lab_watchdog_arm(2.0, jump > 0 ? "wait(0.2) still waiting after 2 s with the wall clock an hour ahead: a "
                                     "timed wait must use CLOCK_MONOTONIC (pthread_condattr_setclock)"
                                   : "wait(0.2) still waiting after 2 s with the wall clock an hour behind");
    double t0 = lab_now();
    int r = event_wait(e, 0.2);
    double took = lab_now() - t0;
    lab_watchdog_disarm();
    lab_clock_jump = 0;
    if (r != 0 || took < 0.2)
        lab_fail("wait(0.2) on an unset event returns 0 after 0.2 s, whatever the wall clock does / with the "
                 "wall clock an hour %s it returned %d after %.3f s: a timed wait must use CLOCK_MONOTONIC",
                 jump > 0 ? "ahead" : "behind", r, took);
    event_destroy(e);
}

static void check_clock_jump(const lab_opts_t *o) {
    (void)o;
    jumped_wait(-3600);
    jumped_wait(+3600);
    lab_pass("wait(0.2) timed out after 0.2 s with the wall clock an hour behind and an hour ahead");
}

typedef struct {
    event_t *e;
    int waiters;
    _Atomic long woke;
    atomic_int bad;
} round_t;

static void waiter_or_setter(const lab_worker_t *w) {
    round_t *r = w->arg;
    if (w->index == r->waiters) { /* the last thread sets */
        lab_pause();
        event_set(r->e);
        return;
    }
    if (event_wait(r->e, -1) != 1)
        atomic_fetch_add(&r->bad, 1);
    atomic_fetch_add(&r->woke, 1);
}

/* set() must wake every waiter whatever came before on the same event, so
 * the event first sees waits that time out (wait(0) and wait(0.02), in
 * every thread at once: more of them than there will be waiters), and a
 * design that keeps a count of sleepers and gets it wrong on a timeout
 * then skips the wake-up. The waiters wait with every kind of timeout
 * event.h allows: any negative one means for ever (-1, but also -2, -0.5,
 * -1e-3, -1e9, -INFINITY), and a long one must be cut short by set(), also
 * one whose count of nanoseconds (1e10 s: 1e19 ns) or of microseconds (1e12
 * s) does not fit in 64 bits: a deadline worked out in such a count wraps
 * into the past, and that wait returns 0 before set(). */
static const double forever[] = {-1, -2, -0.5, -1e-3, -1e9, -INFINITY, 30, 3600, 1e10, 1e12};
#define NFOREVER (sizeof forever / sizeof forever[0])

typedef struct {
    event_t *e;
    int waiters;
    atomic_int entered, set_called;
    _Atomic long woke;
} many_t;

static void *set_later(void *arg) {
    many_t *m = arg;
    while (atomic_load(&m->entered) < m->waiters)
        sleep_ms(1);
    lab_others_asleep(1.0); /* every waiter asleep in its wait (only a precondition) */
    sleep_ms(20);
    atomic_store(&m->set_called, 1);
    event_set(m->e);
    return NULL;
}

static void timed_out(const lab_worker_t *w) {
    many_t *m = w->arg;
    LAB_EXPECT_EQ(0, event_wait(m->e, 0), "wait(0) on an unset event");
    LAB_EXPECT_EQ(0, event_wait(m->e, 0.02), "wait(0.02) on an unset event");
}

static void waiter(const lab_worker_t *w) {
    many_t *m = w->arg;
    double timeout = forever[w->index % NFOREVER];
    atomic_fetch_add(&m->entered, 1);
    int r = event_wait(m->e, timeout);
    if (r != 1)
        lab_fail("wait(%g) returns 1 once the event is set (event.h: timeout_s < 0 waits for ever; 0 only if "
                 "timeout_s >= 0 seconds pass first) / it returned %d %s set() was called",
                 timeout, r, atomic_load(&m->set_called) ? "after" : "before");
    atomic_fetch_add(&m->woke, 1);
}

static void check_many_waiters(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 16);
    many_t m = {.e = event_create(), .waiters = n};
    atomic_init(&m.entered, 0);
    atomic_init(&m.set_called, 0);
    atomic_init(&m.woke, 0);
    LAB_EXPECT_EQ(0, event_wait(m.e, 0), "wait(0) on a new event");
    lab_threads_run(n, timed_out, &m);
    pthread_t t;
    lab_thread_create(&t, NULL, set_later, &m);
    lab_stall_t *s = lab_stall_watch(&m.woke, 1.0,
                                     "a waiter never woke after set() (this event had seen waits time out)");
    lab_threads_run(n, waiter, &m);
    lab_stall_stop(s);
    lab_thread_join(t, NULL);
    event_destroy(m.e);
    lab_pass("after %d waits timed out, %d waiters asleep on one event (timeouts -1, -2, -0.5, -1e-3, -1e9, "
             "-inf, 30, 3600, 1e10 and 1e12 s) all woke with 1 when it was set",
             2 * n + 1, n);
}

/* Waiters and a setter released together, round after round: the set lands
 * anywhere, also while a waiter is between looking and sleeping. */
static void check_lost_wakeup(const lab_opts_t *o) {
    int waiters = lab_opt_threads(o, 4);
    long rounds = lab_opt_iters(o, 500);
    _Atomic long woke;
    atomic_init(&woke, 0);
    lab_stall_t *s = lab_stall_watch(
        &woke, 1.0, "waiter never woke: its set() came while it was getting ready to sleep (lost wakeup)");
    for (long k = 0; k < rounds; k++) {
        round_t r = {.e = event_create(), .waiters = waiters};
        atomic_init(&r.woke, 0);
        atomic_init(&r.bad, 0);
        lab_threads_run(waiters + 1, waiter_or_setter, &r);
        LAB_EXPECT_EQ(0, atomic_load(&r.bad), "waits that returned 0 after set()");
        atomic_fetch_add(&woke, atomic_load(&r.woke));
        event_destroy(r.e);
    }
    lab_stall_stop(s);
    lab_pass("%ld rounds of %d waiters racing one set(): every waiter woke", rounds, waiters);
}

/* A waiter on an unset event must sleep. What is judged is the time it
 * spent running or runnable (waiting for a CPU), from the scheduler's
 * account: a sleeping waiter has almost none, a spinning one all of its
 * wait, idle or loaded, with or without sched_yield() in the loop (a
 * yielding spinner on a busy machine gets little CPU time, so CPU time
 * alone would let it pass). The bound is a quarter of the wait. A sleeper
 * on a loaded machine can still wait that long for a CPU once its timeout
 * fires (seen: 0.135 s of a 0.435 s wait, at a load of 11 on 2 CPUs), so
 * the wait is tried up to IDLE_TRIES times and passes if one try stays
 * under the bound; a spinner is runnable all through every try. */
enum { IDLE_TRIES = 3 };

static void check_idle(const lab_opts_t *o) {
    (void)o;
    event_t *e = event_create();
    double busy = 0, cpu = 0, wall = 0;
    for (int i = 0; i < IDLE_TRIES; i++) {
        double c0 = lab_thread_cpu(), b0 = lab_thread_busy(), t0 = lab_now();
        int r = event_wait(e, 0.3);
        busy = lab_thread_busy() - b0, cpu = lab_thread_cpu() - c0, wall = lab_now() - t0;
        LAB_EXPECT_EQ(0, r, "wait(0.3) on an unset event");
        if (busy <= 0.25 * wall)
            break;
        if (i == IDLE_TRIES - 1)
            lab_fail("a waiter sleeps (running or waiting for a CPU < 25%% of the wait) / it was for %.3f s of "
                     "%.3f s (%.3f s of it on a CPU), and as long in each of %d tries: it spins",
                     busy, wall, cpu, IDLE_TRIES);
    }
    event_destroy(e);
    lab_pass("a waiter blocked %.3f s ran or was runnable %.3f s of it (%.3f s of CPU)", wall, busy, cpu);
}

typedef struct {
    event_t *e, *blink; /* blink: cleared and set again and again */
    atomic_int polling;
} poll_t;

static void poller_or_setter(const lab_worker_t *w) {
    poll_t *p = w->arg;
    if (w->index == 0) {
        sleep_ms(20); /* the poller is surely looking by now (a sleep orders nothing for TSan) */
        event_set(p->e);
    } else if (w->index == 1) {
        while (!event_is_set(p->e)) {
            (void)event_is_set(p->blink);
            (void)event_wait(p->blink, 0);
            sched_yield();
        }
        atomic_store(&p->polling, 0);
    } else if (w->index == 2) {
        while (atomic_load(&p->polling)) { /* clear() races with is_set() and wait() too */
            event_clear(p->blink);
            event_set(p->blink);
            sched_yield();
        }
    } else {
        event_wait(p->e, -1);
    }
}

/* set() beside set() and clear() in another thread, on one event, taking
 * turns (lab_turns: handed over through relaxed atomics, which order
 * nothing for ThreadSanitizer): thread 0 sets, thread 1 clears and sets in
 * turn. A set() that looks at the flag before it takes the mutex ("already
 * set: return") reads what the other thread's last clear() or set() wrote
 * with nothing ordering the two, on its first turn after one: a race every
 * run, not only when the scheduler interleaves them. */
enum { TWICE_TURNS = 100 };

static void set_or_clear(const lab_worker_t *w) {
    lab_turns_t *t = ((void **)w->arg)[0];
    event_t *e = ((void **)w->arg)[1];
    for (int i = 0; i < TWICE_TURNS && lab_turn_take(t, w->index); i++) {
        if (w->index == 1 && i % 2 == 0)
            event_clear(e);
        else
            event_set(e);
        lab_turn_give(t, w->index);
    }
    lab_turn_leave(t, w->index);
}

/* For the ThreadSanitizer build: one thread sets while another polls
 * event_is_set() and others wait; meanwhile a second event is cleared and
 * set over and over while the poller reads it; then set() beside set() and
 * clear() (above). */
static void check_race_free(const lab_opts_t *o) {
    (void)o;
    poll_t p = {.e = event_create(), .blink = event_create()};
    atomic_init(&p.polling, 1);
    lab_threads_run(5, poller_or_setter, &p);
    event_destroy(p.blink);
    event_destroy(p.e);
    void *twice[2] = {lab_turns_new(2, 0.5), event_create()};
    lab_threads_run(2, set_or_clear, twice);
    long turns = lab_turns_taken(twice[0]);
    lab_turns_free(twice[0]);
    event_destroy(twice[1]);
    lab_pass("set() while others poll and wait, clear() and set() while one polls, set() beside set() and clear() "
             "(%ld turns): no race",
             turns);
}

static const lab_check_t checks[] = {
    {"single", "one thread: set, clear, waits on set and unset events", check_single, LAB_PAUSE_OFF},
    {"timeout", "wait(0.2) on an unset event returns 0 after about 0.2 s, also while it is set and cleared",
     check_timeout, LAB_PAUSE_OFF},
    {"clock-jump", "wait(0.2) times out after 0.2 s when the wall clock jumps an hour either way",
     check_clock_jump, LAB_PAUSE_OFF},
    {"many-waiters", "16 waiters asleep on one event, timeouts negative or long (up to 1e12 s), all wake when it "
     "is set, after waits that timed out", check_many_waiters, LAB_PAUSE_OFF},
    {"lost-wakeup", "500 rounds: 4 waiters and a setter released together, nobody sleeps through",
     check_lost_wakeup, LAB_PAUSE_RANDOM},
    {"idle", "a waiter sleeps: running or runnable under a quarter of a 0.3 s wait", check_idle, LAB_PAUSE_OFF},
    {"race-free", "set() while others poll and wait, clear() while one polls, set() beside set() and clear(), for "
     "the ThreadSanitizer build",
     check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
