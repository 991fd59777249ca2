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

/* The monotonic clock now, as seconds and the fraction of its second. */
static double mono_now(long *ns) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *ns = ts.tv_nsec;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleeps until the monotonic clock's fraction of a second is in [lo, hi)
 * (in ns); returns the time then. A sleep that overshoots the span tries
 * for the next second, for up to 5 s (a machine that busy gets a call
 * outside the span, which the caller's verdict allows for). */
static double at_fraction(long lo, long hi, long *ns) {
    double until = lab_now() + 5.0;
    for (;;) {
        double now = mono_now(ns);
        if ((*ns >= lo && *ns < hi) || now > until)
            return now;
        long to = (lo - *ns + 1000000000L) % 1000000000L;
        struct timespec ts = {0, to};
        nanosleep(&ts, NULL);
    }
}

/* wait(0.2) started when the monotonic clock's nanoseconds plus 0.2 s
 * reach the next second, so that the deadline's tv_nsec carries into
 * tv_sec, every run: a deadline without the carry is no valid time, and a
 * wait that takes pthread_cond_timedwait()'s EINVAL for "time is up"
 * returns at once. The call starts at .81 to .99 of a second; the
 * implementation reads its clock before that second ends unless its thread
 * ran or waited for a CPU that long (the rest of the second), which the
 * scheduler's account shows: such a try proves nothing and is made again
 * (up to CARRY_TRIES). */
enum { CARRY_TRIES = 3 };

static double carried_wait(void) {
    double took = 0;
    for (int i = 0; i < CARRY_TRIES; i++) {
        event_t *e = event_create();
        long ns;
        double b0 = lab_thread_busy();
        double t0 = at_fraction(810000000L, 990000000L, &ns);
        int r = event_wait(e, 0.2);
        took = lab_now() - t0;
        double busy = lab_thread_busy() - b0;
        event_destroy(e);
        if (r != 0 || took < 0.2 || took > 1.0)
            lab_fail("wait(0.2) on an unset event returns 0 after 0.2 to 1 s / it returned %d after %.3f s%s", r,
                     took,
                     took < 0.1 ? " (called at .81 to .99 of a second of the monotonic clock, so that the deadline's "
                                  "nanoseconds carry into its seconds: one that loses the carry is no valid time)"
                     : took < 0.2 ? " (early by a few ms: is the deadline taken from a clock that lags, such as "
                                    "CLOCK_MONOTONIC_COARSE?)"
                                  : "");
        if (ns >= 800000000L && busy < (1e9 - (double)ns) * 1e-9)
            break;
    }
    return took;
}

/* Waits must not end early by a tick of a coarse clock: a deadline taken
 * from CLOCK_MONOTONIC_COARSE (the monotonic clock as of the last timer
 * tick, up to a tick behind: 4 ms here) ends up to a tick before the
 * timeout has passed. TICK_TRIES waits of TICK_WAIT_S, each started when
 * the coarse clock is 1 to 3 ms behind the monotonic one (read just before
 * the call; the coarse clock ticks in steps, so the wait's own read most
 * likely finds the same lag), each judged against the monotonic time
 * since the driver's read: a timer that fires later than the lag (this
 * VM's can) hides it in that try, not in all of them. A correct wait can
 * never end before its time, whatever the machine does. */
enum { TICK_TRIES = 20 };
#define TICK_WAIT_S 0.01

static void tick_waits(void) {
    event_t *e = event_create();
    for (int i = 0; i < TICK_TRIES; i++) {
        double t0 = 0, lag = 0;
        for (int spins = 0; spins < 100000 && !(lag >= 1e-3 && lag < 3e-3); spins++) {
            struct timespec c, m;
            clock_gettime(CLOCK_MONOTONIC_COARSE, &c);
            clock_gettime(CLOCK_MONOTONIC, &m);
            t0 = (double)m.tv_sec + (double)m.tv_nsec * 1e-9;
            lag = t0 - ((double)c.tv_sec + (double)c.tv_nsec * 1e-9);
        }
        int r = event_wait(e, TICK_WAIT_S);
        double took = lab_now() - t0;
        if (r != 0 || took < TICK_WAIT_S)
            lab_fail("wait(%g) on an unset event returns 0 once %g s have passed on the monotonic clock, no sooner "
                     "/ it returned %d after %.4f s (try %d; the coarse clock was %.1f ms behind at the call: is "
                     "the deadline taken from a clock that lags, such as CLOCK_MONOTONIC_COARSE?)",
                     TICK_WAIT_S, TICK_WAIT_S, r, took, i + 1, lag * 1e3);
    }
    event_destroy(e);
}

static void check_timeout(const lab_opts_t *o) {
    (void)o;
    double took = carried_wait();
    tick_waits();
    lab_hold_install(0.5);
    int blinks = 0, rounds = 0, proved = 0;
    double blinked_took = 0;
    while (!proved && rounds < BLINK_ROUNDS)
        proved = blink_round(++rounds, &blinks, &blinked_took);
    lab_pass("wait(0.2) on an unset event, its deadline's nanoseconds carried, returned 0 after %.3f s; %d waits "
             "of %g s started a tick of the coarse clock late ended no sooner; one set and cleared every %d ms "
             "meanwhile returned after %.3f s and %d blinks%s",
             took, TICK_TRIES, TICK_WAIT_S, BLINK_MS, blinked_took, blinks,
             proved ? "" : " (the machine was too busy to keep the blinks 0.15 s apart: not proved)");
}

/* The implementation's wall clock is stepped by an hour each way during a
 * wait(0.2). A deadline on the monotonic clock does not notice; one taken
 * from the wall clock ends at once (clock behind) or an hour late (clock
 * ahead). What is judged is the jump's doing: ending at once (before 0.1 s,
 * half the timeout), or not within 2 s (a watchdog, ten times the wait,
 * never a close call). A deadline early by a few ms whatever the clock
 * does is the check timeout's to find. The call starts at .05 to .55 of a
 * second of the monotonic clock, so that its deadline's nanoseconds do not
 * carry into its seconds (a deadline that loses the carry is timeout's to
 * find too); a wait that ended at once after that second's .8 proves
 * nothing and is made again. One that ended at once is then tried without
 * the jump: the failure names the wall clock only if that one waited. */
static double jumped_once(event_t *e, double jump, long *ns, double *end_ns) {
    lab_clock_jump = jump;
    lab_watchdog_arm(2.0, jump > 0 ? "wait(0.2) still waiting after 2 s with the wall clock an hour ahead: a "
                                     "timed wait must use CLOCK_MONOTONIC (pthread_condattr_setclock)"
                                   : "wait(0.2) still waiting after 2 s with the wall clock an hour behind");
    double t0 = at_fraction(50000000L, 550000000L, ns);
    int r = event_wait(e, 0.2);
    long end;
    double took = mono_now(&end) - t0;
    lab_watchdog_disarm();
    lab_clock_jump = 0;
    *end_ns = (double)*ns * 1e-9 + took; /* past 1: the next second */
    return r != 0 ? -1 : took;
}

static void jumped_wait(double jump) {
    event_t *e = event_create();
    long ns;
    double end, took = 0;
    for (int i = 0; i < CARRY_TRIES; i++) {
        took = jumped_once(e, jump, &ns, &end);
        if (took < 0 || took >= 0.1 || end < 0.8)
            break;
    }
    if (took < 0)
        lab_fail("wait(0.2) on an unset event returns 0, whatever the wall clock does / with the wall clock an "
                 "hour %s it returned 1",
                 jump > 0 ? "ahead" : "behind");
    if (took < 0.1) {
        double t0 = at_fraction(50000000L, 550000000L, &ns);
        int r = event_wait(e, 0.2);
        double plain = lab_now() - t0;
        lab_fail("wait(0.2) on an unset event returns 0 after 0.2 s, whatever the wall clock does / with the "
                 "wall clock an hour %s it returned after %.3f s%s",
                 jump > 0 ? "ahead" : "behind", took,
                 r == 0 && plain >= 0.2 ? ", and after 0.2 s with the clock left alone: a timed wait must use "
                                          "CLOCK_MONOTONIC (pthread_condattr_setclock)"
                                        : ", and as early with the clock left alone: see the check timeout");
    }
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

/* set() wakes every waiter also after a set() whose wake-up found the
 * event cleared again: BLINKED waiters (wait(-1), wait(3600)) are seen
 * asleep, then held still (lab_hold_thread: a signal whose handler naps
 * until the driver lets go; their waits then go on with the wake-ups that
 * came meanwhile) while the event is set and at once cleared, so each
 * wakes to an unset event, every run, and sleeps again (a wait that
 * returns then is not judged here: 1, taking the blink for its set, is
 * allowed, and a wait(-1) that returns 0 on a wake-up that finds the event
 * unset is lost-wakeup's to catch, where spurious wake-ups do the same);
 * once they are seen asleep again the event is set for good, and every
 * one still waiting must wake, with 1. A set() that broadcasts only while
 * it counts sleepers, counting each wait once before its first sleep and
 * zeroing the count as it wakes them ("all awake now"), finds none counted
 * the second time: no waiter woke in 1 s fails. */
enum { BLINKED = 2 };

typedef struct {
    event_t *e;
    double timeout;
    atomic_int done;
    int r;
    _Atomic long *woke;
} blink_waiter_t;

static void *blink_waiter(void *arg) {
    blink_waiter_t *w = arg;
    w->r = event_wait(w->e, w->timeout);
    atomic_store(&w->done, 1);
    atomic_fetch_add(w->woke, 1);
    return NULL;
}

static void blink_then_set(void) {
    static const double timeouts[BLINKED] = {-1, 3600};
    lab_hold_install(0.5);
    event_t *e = event_create();
    _Atomic long woke;
    atomic_init(&woke, 0);
    blink_waiter_t w[BLINKED];
    pthread_t t[BLINKED];
    for (int i = 0; i < BLINKED; i++) {
        w[i] = (blink_waiter_t){.e = e, .timeout = timeouts[i], .woke = &woke};
        atomic_init(&w[i].done, 0);
        lab_thread_create(&t[i], NULL, blink_waiter, &w[i]);
    }
    lab_others_asleep(1.0); /* asleep in their waits (only a precondition) */
    for (int i = 0; i < BLINKED; i++)
        lab_hold_thread(t[i]);
    event_set(e);
    event_clear(e);
    (void)lab_hold_release(); /* 0 only where a set and a clear took 0.5 s: proves less, fails nothing correct */
    lab_others_asleep(1.0); /* back asleep, or returned */
    int returned[BLINKED];
    for (int i = 0; i < BLINKED; i++)
        returned[i] = atomic_load(&w[i].done);
    lab_stall_t *s = lab_stall_watch(&woke, 1.0,
                                     "a waiter woken by a set() that found the event cleared again, asleep once "
                                     "more, never woke when it was set again: set() must wake every waiter, "
                                     "also those that slept through an earlier set()");
    event_set(e);
    for (int i = 0; i < BLINKED; i++)
        lab_thread_join(t[i], NULL);
    lab_stall_stop(s);
    for (int i = 0; i < BLINKED; i++)
        if (!returned[i] && w[i].r != 1)
            lab_fail("wait(%g) returns 1 once the event is set / it returned %d", timeouts[i], w[i].r);
    event_destroy(e);
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
    blink_then_set();
    lab_pass("after %d waits timed out, %d waiters asleep on one event (timeouts -1, -2, -0.5, -1e-3, -1e9, "
             "-inf, 30, 3600, 1e10 and 1e12 s) all woke with 1 when it was set; then %d waiters held still "
             "while an event was set and cleared at once: those still waiting woke when it was set again",
             2 * n + 1, n, BLINKED);
}

/* A set() is never lost either: once set() has returned, the event is set
 * until someone clears it, however many other set() calls were under way.
 * SETTERS threads released together, SET_ROUNDS rounds on one event that
 * the driver clears between rounds (and only then), each call set() and
 * then is_set(), with random pauses and perturbation in the event's code:
 * every is_set() must say 1. A set() that returns at once when it finds
 * another set() under way ("that one will do it") returns before that one
 * has set the flag, whenever the other is held up on its way to the
 * mutex, and its caller's is_set() reads 0. */
enum { SETTERS = 3, SET_ROUNDS = 100 };

typedef struct {
    event_t *e;
    atomic_int unset; /* is_set() == 0 right after the caller's own set() */
} setters_t;

static void setter(const lab_worker_t *w) {
    setters_t *st = w->arg;
    event_set(st->e);
    if (event_is_set(st->e) != 1)
        atomic_fetch_add(&st->unset, 1);
}

static void racing_setters(void) {
    setters_t st = {.e = event_create()};
    atomic_init(&st.unset, 0);
    for (int k = 0; k < SET_ROUNDS; k++) {
        lab_threads_run(SETTERS, setter, &st);
        if (atomic_load(&st.unset) != 0)
            lab_fail("once set() has returned, is_set() says 1 until someone clears the event / right after its own "
                     "set(), with %d threads setting at once and nobody clearing, is_set() said 0 (round %d): a "
                     "set() returned before the event was set (or is_set() said 0 while others held the mutex)",
                     SETTERS, k + 1);
        event_clear(st.e);
    }
    event_destroy(st.e);
}

/* is_set() answers for the event, whoever else is using it: an event set
 * once and never cleared, POLLERS threads calling is_set() POLLS times each
 * while USERS threads set it again and wait on it (wait(0), wait(-1) and
 * wait(1), each returning at once), so its mutex is often held when a
 * poller asks (perturbation holds threads up inside the event's code, too):
 * every answer must be 1. An is_set() that only tries the mutex and
 * answers 0 when it is busy ("being changed: not set yet") answers 0 here
 * hundreds of times. */
enum { POLLERS = 2, USERS = 2, POLLS = 1000 };

typedef struct {
    event_t *e;
    atomic_int polling;
    _Atomic long zeros, polls;
    atomic_int bad_wait;
} pollers_t;

static void poll_or_use(const lab_worker_t *w) {
    pollers_t *p = w->arg;
    if (w->index < POLLERS) {
        long zeros = 0, i = 0;
        for (; i < POLLS && !(i % 256 == 0 && lab_time_spent(0.6)); i++)
            zeros += event_is_set(p->e) != 1;
        atomic_fetch_add(&p->zeros, zeros);
        atomic_fetch_add(&p->polls, i);
        atomic_fetch_sub(&p->polling, 1);
        return;
    }
    while (atomic_load_explicit(&p->polling, memory_order_relaxed) > 0) {
        event_set(p->e);
        if (event_wait(p->e, 0) != 1 || event_wait(p->e, -1) != 1 || event_wait(p->e, 1) != 1)
            atomic_store(&p->bad_wait, 1);
    }
}

static long polled_while_used(void) {
    pollers_t p = {.e = event_create()};
    atomic_init(&p.polling, POLLERS);
    atomic_init(&p.zeros, 0);
    atomic_init(&p.polls, 0);
    atomic_init(&p.bad_wait, 0);
    event_set(p.e);
    lab_threads_run(POLLERS + USERS, poll_or_use, &p);
    if (atomic_load(&p.bad_wait))
        lab_fail("a wait on a set event returns 1 at once / one returned 0 while others set the event and polled it");
    if (atomic_load(&p.zeros) != 0)
        lab_fail("is_set() on an event that is set and never cleared says 1 / it said 0 %ld times in %ld calls, "
                 "while %d other threads set the event again and waited on it (its mutex busy)",
                 (long)atomic_load(&p.zeros), (long)atomic_load(&p.polls), USERS);
    event_destroy(p.e);
    return atomic_load(&p.polls);
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
    long polls = polled_while_used();
    racing_setters();
    lab_pass("%ld rounds of %d waiters racing one set(): every waiter woke; %ld is_set() calls on a set event "
             "while %d threads set it and waited on it: all 1; %d rounds of %d set()s at once: each setter's "
             "is_set() then said 1",
             rounds, waiters, polls, USERS, SET_ROUNDS, SETTERS);
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

/* Then many at once: IDLE_WAITERS threads each wait(IDLE_WAIT_S) on one
 * unset event, and their CPU time together (each thread's own CPU clock
 * around its wait) must stay under IDLE_CPU_MOST_S. A sleeping wait costs
 * tens of microseconds of CPU, on any machine; a wait that spins first (an
 * "adaptive" spin of a few ms before it sleeps) costs CPU for as long as
 * it spins, and sixteen spinners take the CPUs from whatever else runs, so
 * they get them however loaded the machine is: 16 spins of 20 ms on 2 CPUs
 * run some 40 ms of CPU together. */
enum { IDLE_WAITERS = 16 };
#define IDLE_WAIT_S 0.1
#define IDLE_CPU_MOST_S 0.01

typedef struct {
    event_t *e;
    _Atomic long cpu_ns;
} idlers_t;

static void idler(const lab_worker_t *w) {
    idlers_t *d = w->arg;
    double c0 = lab_thread_cpu();
    LAB_EXPECT_EQ(0, event_wait(d->e, IDLE_WAIT_S), "wait(0.1) on an unset event");
    atomic_fetch_add(&d->cpu_ns, (long)((lab_thread_cpu() - c0) * 1e9));
}

static double idle_together(void) {
    idlers_t d = {.e = event_create()};
    atomic_init(&d.cpu_ns, 0);
    lab_threads_run(IDLE_WAITERS, idler, &d);
    event_destroy(d.e);
    double cpu = (double)atomic_load(&d.cpu_ns) * 1e-9;
    if (cpu >= IDLE_CPU_MOST_S)
        lab_fail("a waiter sleeps, it does not spin: %d waits of %g s at once use under %.0f ms of CPU together / "
                 "they used %.1f ms (%.2f ms each): the waits spin before they sleep",
                 IDLE_WAITERS, IDLE_WAIT_S, IDLE_CPU_MOST_S * 1e3, cpu * 1e3, cpu * 1e3 / IDLE_WAITERS);
    return cpu;
}

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
    double together = idle_together();
    lab_pass("a waiter blocked %.3f s ran or was runnable %.3f s of it (%.3f s of CPU); %d waiting %g s at once used "
             "%.2f ms of CPU together",
             wall, busy, cpu, IDLE_WAITERS, IDLE_WAIT_S, together * 1e3);
}

/* What the setter wrote before set() is handed to whoever then sees the
 * event set (the course's use: the flight has landed, so board): a thread
 * whose is_set() returns 1, or whose wait() does, reads it, plain. Only
 * set() and is_set() or wait() may order the two, and ThreadSanitizer
 * reports the read where they do not: an is_set() or a wait() that returns 1
 * on a relaxed load of the flag, without the mutex, orders nothing. The
 * late waiter learns that set() returned through a relaxed flag (which
 * orders nothing either), so its wait() finds the event set, every run. */
typedef struct {
    event_t *e, *blink; /* blink: cleared and set again and again */
    atomic_int polling, set_returned;
    long cargo; /* plain: written before set(), read after is_set() or wait() returns 1 */
    atomic_int wrong;
} poll_t;

static void check_cargo(poll_t *p) {
    if (p->cargo != 42)
        atomic_fetch_add(&p->wrong, 1);
}

static void poller_or_setter(const lab_worker_t *w) {
    poll_t *p = w->arg;
    if (w->index == 0) {
        sleep_ms(20); /* the poller is surely looking by now (a sleep orders nothing for TSan) */
        p->cargo = 42;
        event_set(p->e);
        atomic_store_explicit(&p->set_returned, 1, memory_order_relaxed);
    } else if (w->index == 1) {
        while (!event_is_set(p->e)) {
            (void)event_is_set(p->blink);
            (void)event_wait(p->blink, 0);
            sched_yield();
        }
        check_cargo(p);
        atomic_store(&p->polling, 0);
    } else if (w->index == 2) {
        while (atomic_load(&p->polling)) { /* clear() races with is_set() and wait() too */
            event_clear(p->blink);
            event_set(p->blink);
            sched_yield();
        }
    } else if (w->index == 3) {
        while (!atomic_load_explicit(&p->set_returned, memory_order_relaxed))
            sched_yield();
        LAB_EXPECT_EQ(1, event_wait(p->e, 0), "wait(0) on a set event");
        check_cargo(p);
    } else {
        if (event_wait(p->e, -1) == 1)
            check_cargo(p);
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
    atomic_init(&p.set_returned, 0);
    atomic_init(&p.wrong, 0);
    lab_threads_run(5, poller_or_setter, &p);
    LAB_EXPECT_EQ(0, atomic_load(&p.wrong), "reads after is_set() or wait() returned 1 that missed what was "
                                            "written before set()");
    event_destroy(p.blink);
    event_destroy(p.e);
    void *twice[2] = {lab_turns_new(2, 0.5), event_create()};
    lab_threads_run(2, set_or_clear, twice);
    long turns = lab_turns_taken(twice[0]);
    lab_turns_free(twice[0]);
    event_destroy(twice[1]);
    lab_pass("set() while others poll and wait, what was written before it read by those that saw it set, "
             "clear() and set() while one polls, set() beside set() and clear() (%ld turns): no race",
             turns);
}

static const lab_check_t checks[] = {
    {"single", "one thread: set, clear, waits on set and unset events", check_single, LAB_PAUSE_OFF},
    {"timeout", "wait(0.2) on an unset event returns 0 after about 0.2 s, also when its deadline carries into the "
     "next second, or a coarse clock lags, or it is set and cleared meanwhile",
     check_timeout, LAB_PAUSE_OFF},
    {"clock-jump", "wait(0.2) times out after 0.2 s when the wall clock jumps an hour either way",
     check_clock_jump, LAB_PAUSE_OFF},
    {"many-waiters", "16 waiters asleep on one event, timeouts negative or long (up to 1e12 s), all wake when it "
     "is set, after waits that timed out; 2 waiters woken into a cleared event wake when it is set again",
     check_many_waiters, LAB_PAUSE_OFF},
    {"lost-wakeup", "500 rounds: 4 waiters and a setter released together, nobody sleeps through; is_set() on a "
     "set event says 1 while others use it; 100 rounds of 3 setters at once, each one's is_set() then 1",
     check_lost_wakeup, LAB_PAUSE_RANDOM},
    {"idle", "a waiter sleeps: running or runnable under a quarter of a 0.3 s wait; 16 waiting at once use under "
     "10 ms of CPU together", check_idle, LAB_PAUSE_OFF},
    {"race-free", "set() while others poll and wait, clear() while one polls, set() beside set() and clear(), for "
     "the ThreadSanitizer build",
     check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
