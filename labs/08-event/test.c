/* Lab 08, event: the torture driver. One check per run. A waiter that
 * never wakes is reported after 1 s with that reason, never waited out.
 *
 *   $ build/labs/08-event/broken/test lost-wakeup
 *   FAIL: waiter never woke: its set() came while it was getting ready to sleep (lost wakeup) / progress stopped at 1283 (check lost-wakeup, seed 8)
 *   $ build/labs/08-event/fixed/test idle
 *   ok: idle: a waiter blocked 0.300 s used 0.000 s of CPU
 */
#include <sched.h>
#include <stdatomic.h>
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
    lab_pass("wait(0.2) on an unset event returned 0 after %.3f s", took);
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

/* Waiters that are surely asleep when the event is set all wake. */
static void *set_later(void *arg) {
    round_t *r = arg;
    sleep_ms(100);
    event_set(r->e);
    return NULL;
}

static void waiter(const lab_worker_t *w) {
    round_t *r = w->arg;
    if (event_wait(r->e, -1) != 1)
        atomic_fetch_add(&r->bad, 1);
    atomic_fetch_add(&r->woke, 1);
}

static void check_many_waiters(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 16);
    round_t r = {.e = event_create(), .waiters = n};
    atomic_init(&r.woke, 0);
    atomic_init(&r.bad, 0);
    pthread_t t;
    lab_thread_create(&t, NULL, set_later, &r);
    lab_stall_t *s = lab_stall_watch(&r.woke, 1.0, "waiter never woke after set()");
    lab_threads_run(n, waiter, &r);
    lab_stall_stop(s);
    lab_thread_join(t, NULL);
    LAB_EXPECT_EQ(0, atomic_load(&r.bad), "waits that returned 0 after set()");
    event_destroy(r.e);
    lab_pass("%d waiters asleep on one event all woke when it was set", n);
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
 * alone would let it pass). The bound is a quarter of the wait. */
static void check_idle(const lab_opts_t *o) {
    (void)o;
    event_t *e = event_create();
    double c0 = lab_thread_cpu(), b0 = lab_thread_busy(), t0 = lab_now();
    int r = event_wait(e, 0.3);
    double busy = lab_thread_busy() - b0, cpu = lab_thread_cpu() - c0, wall = lab_now() - t0;
    LAB_EXPECT_EQ(0, r, "wait(0.3) on an unset event");
    if (busy > 0.25 * wall)
        lab_fail("a waiter sleeps (running or waiting for a CPU < 25%% of the wait) / it was for %.3f s of "
                 "%.3f s (%.3f s of it on a CPU): it spins",
                 busy, wall, cpu);
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

/* For the ThreadSanitizer build: one thread sets while another polls
 * event_is_set() and others wait; meanwhile a second event is cleared and
 * set over and over while the poller reads it. */
static void check_race_free(const lab_opts_t *o) {
    (void)o;
    poll_t p = {.e = event_create(), .blink = event_create()};
    atomic_init(&p.polling, 1);
    lab_threads_run(5, poller_or_setter, &p);
    event_destroy(p.blink);
    event_destroy(p.e);
    lab_pass("set() while others poll and wait, clear() and set() while one polls: no race");
}

static const lab_check_t checks[] = {
    {"single", "one thread: set, clear, waits on set and unset events", check_single, LAB_PAUSE_OFF},
    {"timeout", "wait(0.2) on an unset event returns 0 after about 0.2 s", check_timeout, LAB_PAUSE_OFF},
    {"clock-jump", "wait(0.2) times out after 0.2 s when the wall clock jumps an hour either way",
     check_clock_jump, LAB_PAUSE_OFF},
    {"many-waiters", "16 waiters asleep on one event all wake when it is set", check_many_waiters,
     LAB_PAUSE_OFF},
    {"lost-wakeup", "500 rounds: 4 waiters and a setter released together, nobody sleeps through",
     check_lost_wakeup, LAB_PAUSE_RANDOM},
    {"idle", "a waiter sleeps: running or runnable under a quarter of a 0.3 s wait", check_idle, LAB_PAUSE_OFF},
    {"race-free", "set() while others poll and wait, clear() while one polls, for the ThreadSanitizer build",
     check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
