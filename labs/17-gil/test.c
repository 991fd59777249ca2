/* Lab 17, the GIL: the torture driver. One check per run.
 *
 * The two fairness checks count time in checkpoints, not in seconds: the
 * CPU-bound threads do chunks of about 1 ms of CPU work between two calls of
 * gil_check(), and the switch interval is 5 ms, so a fair GIL hands over
 * after about five chunks. A waiting thread's wait is measured as the chunks
 * the holder got through meanwhile, and a chunk counts only if the waiter
 * spent it waiting for the GIL rather than for a CPU (the check asks the
 * kernel, through /proc, whether the waiter was asleep): on a loaded machine
 * the scheduler may keep a thread off every CPU for many milliseconds, and
 * that is no lock's fault. The two threads are pinned to two different CPUs,
 * the case where a lock that is released and retaken at once starves its
 * waiters (on one CPU, the scheduler's own hand-over hides the bug).
 *
 *   $ build/labs/17-gil/broken/test fairness
 *   FAIL: a waiting thread gets the GIL before the holder has done 20 chunks of work (4 switch intervals) / thread 1 slept while thread 0 did 20 chunks (1 ms each) and kept the GIL (check fairness, seed 165327139)
 *   $ build/labs/17-gil/fixed/test io-latency
 *   ok: io-latency: 30 requests: the I/O thread slept through at most 6 chunks of the CPU-bound thread; its wait: median 7.1 ms, max 17.2 ms (interval 5 ms)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gil.h"
#include "lab.h"

enum {
    INTERVAL_US = 5000, /* CPython's default switch interval */
    CHUNK_US = 1000,    /* CPU work between two checkpoints */
    /* A fair GIL hands over after INTERVAL_US / CHUNK_US = 5 chunks (one
     * more if the request lands mid-chunk); four intervals is the bound. */
    BOUND_CHUNKS = 4 * INTERVAL_US / CHUNK_US,
};
#define STALL_S 2.0

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Interpreter work between two checkpoints: a chain of dependent multiply-
 * adds the compiler cannot fold away. */
static uint64_t work(unsigned n) {
    uint64_t x = n;
    for (unsigned i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__("" : "+r"(x));
    }
    return x;
}

/* Iterations of work() that take about `us` microseconds of CPU time, timed
 * in CPU time so that a loaded machine does not skew it. */
static unsigned calibrate(long us) {
    const unsigned probe = 200000;
    double best = 1e9;
    for (int k = 0; k < 3; k++) {
        double c0 = lab_thread_cpu();
        __asm__ volatile("" : : "r"(work(probe)));
        double c = lab_thread_cpu() - c0;
        if (c > 0 && c < best)
            best = c;
    }
    double n = (double)probe * (double)us * 1e-6 / best;
    return n < 1000 ? 1000 : n > 1e9 ? 1000000000u : (unsigned)n;
}

/* ---- two threads on two different CPUs ---------------------------------- */
static int cpu_ids[2] = {-1, -1};

/* The first two CPUs this process may use; none (no pinning) on one CPU. */
static void cpus_pick(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    int k = 0;
    for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &set))
            cpu_ids[k++] = c;
    if (k < 2)
        cpu_ids[0] = cpu_ids[1] = -1;
}

static void cpus_pin_self(int slot) {
    if (cpu_ids[slot] < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_ids[slot], &set);
    LAB_PTHREAD(pthread_setaffinity_np(pthread_self(), sizeof set, &set));
}

/* ---- a timer on each CPU ---------------------------------------------
 * A waiter asleep in a fair GIL wakes when its interval's timer fires. On
 * this kind of virtual machine a CPU can stop serving timers for tens of
 * milliseconds (the host runs something else on it): a 5 ms wait then ends
 * 10-20 ms late while the holder, on another CPU, keeps working. That is no
 * lock's fault, so a ticker thread pinned to each CPU sleeps 0.5 ms at a
 * time and counts its wake-ups: while it counts none, no timer on its CPU
 * fired and let its thread run, the waiter's own included. */
enum { TICK_US = 500 };
typedef struct {
    int slot;
    atomic_int stop;
    _Atomic long ticks;
    pthread_t thread;
} ticker_t;

static void *ticker_main(void *arg) {
    ticker_t *t = arg;
    cpus_pin_self(t->slot);
    while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
        sleep_us(TICK_US);
        atomic_fetch_add_explicit(&t->ticks, 1, memory_order_relaxed);
    }
    return NULL;
}

static void ticker_start(ticker_t *t, int slot) {
    t->slot = slot;
    atomic_init(&t->stop, 0);
    atomic_init(&t->ticks, 0);
    lab_thread_create(&t->thread, NULL, ticker_main, t);
}

static void ticker_stop(ticker_t *t) {
    atomic_store(&t->stop, 1);
    lab_thread_join(t->thread, NULL);
}

/* ---- is a thread waiting for the GIL, or for a CPU? ---------------------
 * A thread opens its own /proc entries; the holder then reads them between
 * chunks. A waiter that got onto a CPU since the last look and still has no
 * GIL waits for the GIL (woken for nothing, or spinning). One that is
 * runnable (R) and has not run since the last look waits for a CPU: the
 * scheduler's doing, not the lock's. One that is asleep and has not run
 * waits for the GIL only if the ticker on its CPU ticked meanwhile: a timer
 * there fired and its thread ran, so the waiter's timer, had it been due,
 * would have fired too. Without /proc, every chunk counts. */
typedef struct {
    int stat_fd, sched_fd;
    double cpu;             /* CPU seconds at the last look */
    const ticker_t *ticker; /* the ticker on the peeked thread's CPU */
    long ticks;             /* its count at the last look */
} peek_t;

static void peek_open(peek_t *p, const ticker_t *ticker) {
    p->stat_fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
    p->sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    p->cpu = lab_thread_cpu();
    p->ticker = ticker;
    p->ticks = atomic_load(&ticker->ticks);
}

static void peek_close(peek_t *p) {
    if (p->stat_fd >= 0)
        close(p->stat_fd);
    if (p->sched_fd >= 0)
        close(p->sched_fd);
}

/* The state letter of a thread's stat file ("tid (name) S ..."), or 0. */
static char stat_state(int fd) {
    char buf[512];
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the name may hold spaces */
    return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

/* Whether the peeked thread spent the time since the last look waiting for
 * the GIL (1) or for a CPU or a timer that its CPU did not serve (0). Only
 * the holder calls it, so the GIL orders it. */
static int peek_waits_for_gil(peek_t *p) {
    char buf[512];
    long ticks = atomic_load_explicit(&p->ticker->ticks, memory_order_relaxed);
    int ticked = ticks != p->ticks;
    p->ticks = ticks;
    if (p->stat_fd < 0 || p->sched_fd < 0)
        return 1;
    ssize_t n = pread(p->sched_fd, buf, sizeof buf - 1, 0); /* "cpu_ns runq_ns slices" */
    double cpu = p->cpu;
    if (n > 0) {
        buf[n] = '\0';
        cpu = (double)strtoull(buf, NULL, 10) * 1e-9;
    }
    double used = cpu - p->cpu;
    p->cpu = cpu;
    if (used > 0)
        return 1;
    char state = stat_state(p->stat_fd);
    if (state == 0)
        return 1;
    return state != 'R' && ticked;
}

/* gil.h: gil_check() is "cheap when nobody asked"; the README: it "costs
 * next to nothing" then (one relaxed load of an atomic flag, in fixed.c). A
 * checkpoint that takes the GIL's mutex to look at a plain flag pays a lock
 * round trip at every checkpoint of the eval loop, and makes the holder
 * contend with the waiters for that mutex. No clock tells that apart
 * reliably on a shared machine, but a count does: the grader's build counts
 * every lock call the implementation makes (lab_impl_lock_calls(), read
 * around the calls judged; nothing counts in the ThreadSanitizer build). */
static long locks_taken(void) {
    long n = lab_impl_lock_calls();
    return n < 0 ? 0 : n;
}
static double check_timeout = 10; /* the check's own timeout (--timeout), for re-arming the watchdog */

/* ---- one thread ------------------------------------------------------- */
typedef struct {
    gil_t *g;
    atomic_int got;
    atomic_int stat_fd; /* the waiter's /proc/thread-self/stat, -1 before */
    atomic_int begun;   /* 1 once t_begin is set, just before gil_acquire() */
    double phase;       /* >= 0: begin when the monotonic clock's fraction of a second is here */
    double t_begin, t_got; /* lab_now() before gil_acquire() and after it returned */
    double busy;           /* lab_thread_busy() over the gil_acquire() */
} handover_t;

static void handover_init(handover_t *h, gil_t *g, double phase) {
    h->g = g;
    atomic_init(&h->got, 0);
    atomic_init(&h->stat_fd, -1);
    atomic_init(&h->begun, 0);
    h->phase = phase;
    h->t_begin = h->t_got = h->busy = 0;
}

static void *take_and_give_back(void *arg) {
    handover_t *h = arg;
    atomic_store(&h->stat_fd, open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC));
    if (h->phase >= 0) {
        struct timespec now, at;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double frac = (double)now.tv_nsec * 1e-9;
        at.tv_sec = now.tv_sec + (frac < h->phase ? 0 : 1);
        at.tv_nsec = (long)(h->phase * 1e9);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0)
            ;
    }
    double b0 = lab_thread_busy();
    h->t_begin = lab_now();
    atomic_store(&h->begun, 1);
    gil_acquire(h->g);
    h->t_got = lab_now();
    h->busy = lab_thread_busy() - b0;
    atomic_store(&h->got, 1);
    gil_release(h->g);
    return NULL;
}

static void handover_done(handover_t *h, pthread_t t) {
    lab_thread_join(t, NULL);
    if (atomic_load(&h->stat_fd) >= 0)
        close(atomic_load(&h->stat_fd));
    LAB_EXPECT_EQ(1, atomic_load(&h->got), "the waiter got the GIL after the release");
}

/* The holder keeps the GIL, without a checkpoint, for `hold` seconds after
 * a second thread began to wait for it, reading the stats every ms: a drop
 * request seen less than one interval after the waiter began is early,
 * whatever the machine's load (a timer fires late, never early; the
 * request came before it was seen). Then the holder releases, and the
 * waiter must get in; it measured itself over its wait (lab_thread_busy:
 * on a CPU or runnable), and a waiter busy for most of it spins. */
static void hold_without_checks(gil_t *g, long interval_us, double phase, double hold, const char *when) {
    double interval = (double)interval_us * 1e-6;
    handover_t h;
    handover_init(&h, g, phase);
    gil_acquire(g);
    gil_stats_t st, st0;
    gil_stats(g, &st0);
    pthread_t t;
    lab_thread_create(&t, NULL, take_and_give_back, &h);
    while (!atomic_load(&h.begun))
        sleep_us(1000);
    double asked = -1;
    while (lab_now() < h.t_begin + hold) {
        gil_stats(g, &st);
        if (asked < 0 && st.drop_requests > st0.drop_requests)
            asked = lab_now() - h.t_begin;
        sleep_us(1000);
    }
    if (asked >= 0 && asked < interval)
        lab_fail("a waiter asks for a drop only after its interval (%.3f s; %s) / it had asked by %.3f s after "
                 "it began to wait: its timed wait ended early (a deadline whose tv_nsec reaches 1e9, the "
                 "nanoseconds not carried into the seconds, makes pthread_cond_timedwait() return EINVAL at "
                 "once, which is no timeout)",
                 interval, when, asked);
    if (atomic_load(&h.got))
        lab_fail("a second thread waits while the GIL is held (%s) / it got the GIL too", when);
    lab_watchdog_arm(2.0, "a thread waiting in gil_acquire() never got the GIL after gil_release()");
    gil_release(g);
    handover_done(&h, t);
    lab_watchdog_arm(check_timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    double wait = h.t_got - h.t_begin;
    if (h.busy > 0.5 * wait)
        lab_fail("a thread waiting for the GIL sleeps between its intervals (%s) / it was on a CPU or runnable "
                 "for %.3f s of its %.3f s wait: it spins (a deadline worked out once, before the loop, is "
                 "past after the first interval, and every timed wait after it returns at once)",
                 when, h.busy, wait);
}

/* ---- forced switches, one at a time -------------------------------------
 * The holder sits at checkpoints (gil_check() in a loop, reading the stats
 * between them) while a second thread waits in gil_acquire(): the only way
 * the waiter gets in is a forced drop, and a drop needs a request, which
 * the waiter makes after one interval of its wait. Each round the waiter
 * notes when it began to wait and when it got the GIL; the holder notes
 * when it first saw the request. Two bounds follow without trusting any
 * timer to be punctual:
 *   - a lower one: a request (seen, or answered by a forced drop) within
 *     one interval of the waiter's start came early, however late timers
 *     fire (they are never early);
 *   - a hand-over cost: a drop that wakes the waiter lets it in at once; one
 *     that does not leaves it asleep until its next timed wait ends, which
 *     began after its request and so runs a whole further interval: at least
 *     2 intervals from its start, every round. The best round is judged, so
 *     a machine that holds up some rounds cannot fail a GIL that hands over.
 * The grader's spurious wake-ups are off here: one would let a waiter that
 * nobody told in early. */
typedef struct {
    gil_t *g;
    atomic_int begun, got;
    double t_begin, t_got;
} switcher_t;

static void *switch_waiter(void *arg) {
    switcher_t *s = arg;
    s->t_begin = lab_now();
    atomic_store(&s->begun, 1);
    gil_acquire(s->g);
    s->t_got = lab_now();
    atomic_store(&s->got, 1);
    gil_release(s->g);
    return NULL;
}

typedef struct {
    int rounds;
    double first_min; /* the earliest sign of a request (seen, or a forced drop), from the waiter's start */
    double got_min;   /* the waiter's shortest wait */
} switches_t;

/* Up to `rounds` forced switches with a fresh GIL of interval_us; stops
 * early once a waiter got in within `enough` seconds (0: never stops). */
static switches_t forced_switches(long interval_us, int rounds, double enough) {
    int perturb = lab_perturb_on;
    lab_perturb_on = 0;
    switches_t r = {0, 1e9, 1e9};
    gil_t *g = gil_create(interval_us);
    for (int k = 0; k < rounds; k++) {
        switcher_t s = {.g = g};
        atomic_init(&s.begun, 0);
        atomic_init(&s.got, 0);
        gil_acquire(g);
        gil_stats_t st0, st;
        gil_stats(g, &st0);
        pthread_t t;
        lab_thread_create(&t, NULL, switch_waiter, &s);
        while (!atomic_load(&s.begun)) {
        }
        double seen = -1;
        while (!atomic_load(&s.got)) {
            gil_stats(g, &st);
            if (seen < 0 && st.drop_requests > st0.drop_requests)
                seen = lab_now();
            gil_check(g); /* hands over once asked, and takes the GIL back */
        }
        gil_stats(g, &st);
        gil_release(g);
        lab_thread_join(t, NULL);
        /* A forced drop (counted by the GIL itself) answers a request, so
         * one made before the waiter got in; a switch at a checkpoint nobody
         * asked at (a release and retake) is no request. */
        double got = s.t_got - s.t_begin, first = seen >= 0 ? seen - s.t_begin : 1e9;
        if (st.forced_drops > st0.forced_drops && got < first)
            first = got;
        r.got_min = got < r.got_min ? got : r.got_min;
        r.first_min = first < r.first_min ? first : r.first_min;
        r.rounds = k + 1;
        if (enough > 0 && got < enough)
            break;
    }
    gil_destroy(g);
    lab_perturb_on = perturb;
    return r;
}

/* ---- a request answered by a release ---------------------------------------
 * A waiter asks for the GIL once its interval is over; the holder may then
 * let go with gil_release() (around a blocking call) before it reaches a
 * checkpoint. That request was made: gil_stats() counts it ("times a
 * waiter, tired of waiting, asked", exact once nobody uses the GIL); and
 * it was answered: the waiter got the GIL, so no later checkpoint may drop
 * the GIL for it ("no forced drop without a waiter"). The driver does not
 * take the stats' word that the waiter asked: with perturbation (and so
 * the grader's spurious wake-ups) off and the GIL held with no checkpoint,
 * nothing but its interval's timer can wake the waiter. So once the holder
 * has seen it asleep, with its CPU clock still, at a moment past its
 * interval, and then seen that clock move and the waiter asleep again,
 * the waiter has woken from its timed wait after the interval with the
 * GIL still held, and asked ("waits at most one switch interval before it
 * asks"). However late the timer fires, only the wait grows. */
typedef struct {
    gil_t *g;
    atomic_int stat_fd, sched_fd; /* the waiter's /proc/thread-self files, -1 before (or without /proc) */
    atomic_int begun, got;
    double t_begin;
} asker_t;

static void *asker_main(void *arg) {
    asker_t *a = arg;
    atomic_store(&a->sched_fd, open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC));
    atomic_store(&a->stat_fd, open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC));
    a->t_begin = lab_now();
    atomic_store(&a->begun, 1);
    gil_acquire(a->g);
    atomic_store(&a->got, 1);
    gil_release(a->g);
    return NULL;
}

/* The CPU nanoseconds a thread has run (its schedstat's first field), or -1. */
static long long sched_ns(int fd) {
    char buf[128];
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strtoll(buf, NULL, 10);
}

/* A look at the waiter that finds it asleep, its CPU clock still across the
 * look: that clock, or -1. */
static long long asker_asleep(const asker_t *a) {
    int sched = atomic_load(&a->sched_fd), stat = atomic_load(&a->stat_fd);
    long long c0 = sched_ns(sched);
    char state = stat_state(stat);
    long long c1 = sched_ns(sched);
    return c0 >= 0 && c0 == c1 && state == 'S' ? c1 : -1;
}

/* Starts a waiter for g, which the caller holds with no checkpoint, and
 * returns once the waiter has provably asked (1), or when it cannot be told
 * within `most` seconds (0: no /proc, or the waiter never woke; the caller
 * then judges nothing that rests on the request). The caller has turned
 * perturbation off. */
static int asker_start(asker_t *a, pthread_t *t, gil_t *g, long interval_us, double most) {
    *a = (asker_t){.g = g};
    atomic_init(&a->stat_fd, -1);
    atomic_init(&a->sched_fd, -1);
    atomic_init(&a->begun, 0);
    atomic_init(&a->got, 0);
    lab_thread_create(t, NULL, asker_main, a);
    while (!atomic_load(&a->begun))
        sleep_us(1000);
    double until = lab_now() + most, due = a->t_begin + (double)interval_us * 1e-6;
    long long asleep = -1;
    while (asleep < 0 && lab_now() < until) { /* asleep past its interval */
        sleep_us(1000);
        if (lab_now() > due)
            asleep = asker_asleep(a);
    }
    while (asleep >= 0 && lab_now() < until) { /* woken since, and asleep again */
        sleep_us(1000);
        long long now = asker_asleep(a);
        if (now > asleep)
            return 1;
    }
    return 0;
}

/* The holder has let go: the waiter gets in and leaves. */
static void asker_end(asker_t *a, pthread_t t) {
    lab_watchdog_arm(2.0, "a thread waiting in gil_acquire() never got the GIL after gil_release()");
    lab_thread_join(t, NULL);
    lab_watchdog_arm(check_timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    if (atomic_load(&a->stat_fd) >= 0)
        close(atomic_load(&a->stat_fd));
    if (atomic_load(&a->sched_fd) >= 0)
        close(atomic_load(&a->sched_fd));
    LAB_EXPECT_EQ(1, atomic_load(&a->got), "the waiter got the GIL after the release");
}

static void check_single(const lab_opts_t *o) {
    check_timeout = o->timeout;
    gil_t *g = gil_create(INTERVAL_US);
    lab_watchdog_arm(2.0, "a thread alone blocked in the GIL: acquire, check or release never returned");
    for (int i = 0; i < 100; i++) {
        gil_acquire(g);
        for (int k = 0; k < 100; k++)
            gil_check(g);
        gil_release(g);
    }
    gil_stats_t st;
    gil_stats(g, &st);
    if (st.acquires < 100)
        lab_fail("acquires counted >= 100 after 100 gil_acquire() / got %lu", st.acquires);
    LAB_EXPECT_EQ(0, st.drop_requests, "drop requests with nobody waiting");
    LAB_EXPECT_EQ(0, st.forced_drops, "forced drops with nobody waiting");
    gil_destroy(g);

    /* A second thread blocks while the GIL is held and gets in once it is
     * released. It must sleep meanwhile: the interval is 1 s and the holder
     * keeps the GIL for 0.1 s without a checkpoint, so a waiter has no
     * reason to wake up at all, and one seen runnable in most looks is
     * spinning (a loop around a wait that returns at once, a yield loop).
     * Sleeping or runnable does not depend on how loaded the machine is. */
    const long long_interval = 1000000;
    g = gil_create(long_interval);
    handover_t h;
    handover_init(&h, g, -1);
    gil_acquire(g);
    pthread_t t;
    lab_thread_create(&t, NULL, take_and_give_back, &h);
    while (atomic_load(&h.stat_fd) == -1 || !atomic_load(&h.begun))
        sleep_us(1000);
    sleep_us(5000); /* well inside gil_acquire() by now */
    int looks = 0, runnable = 0;
    double asked = -1;
    for (double end = lab_now() + 0.1; lab_now() < end; sleep_us(1000)) {
        char state = stat_state(atomic_load(&h.stat_fd));
        if (state != 0) {
            looks++;
            runnable += state == 'R';
        }
        gil_stats(g, &st);
        if (asked < 0 && st.drop_requests != 0)
            asked = lab_now() - h.t_begin;
    }
    /* A timer fires late on a busy machine, never early, so a request seen
     * within 0.1 s of a 1 s interval means a timed wait that ended at once
     * (a deadline on one clock, a condition on another). */
    gil_stats(g, &st);
    if (asked < 0 && st.drop_requests != 0)
        asked = lab_now() - h.t_begin;
    if (asked >= 0 && asked < (double)long_interval * 1e-6)
        lab_fail("a waiter asks for a drop only after the interval (1 s; the holder kept the GIL 0.1 s) / it "
                 "asked %.3f s after it began to wait: its timed wait ended early (is the condition variable on "
                 "the clock its deadline is read from?)",
                 asked);
    if (atomic_load(&h.got))
        lab_fail("a second thread waits while the GIL is held / it got the GIL too");
    if (looks > 0 && 2 * runnable > looks)
        lab_fail("a thread waiting for the GIL sleeps (the interval is 1 s, the holder keeps it 0.1 s) / it "
                 "was runnable in %d of %d looks: it spins instead of waiting on a condition",
                 runnable, looks);
    lab_watchdog_arm(2.0, "a thread waiting in gil_acquire() never got the GIL after gil_release()");
    gil_release(g);
    handover_done(&h, t);
    gil_acquire(g); /* taken back after the other thread is gone */
    gil_release(g);
    lab_watchdog_arm(o->timeout, "timed out: a deadlock, a lost wakeup or an endless loop");
    gil_destroy(g);

    /* A sub-second interval, with the waiter beginning at two points of the
     * monotonic clock's second (a timed condition wait runs on that clock or
     * on the wall clock, and the fairness checks catch the wall clock): a
     * deadline built as now + interval without carrying the nanoseconds into
     * the seconds is invalid when it begins 0.3 s or more into a second, and
     * a waiter that takes the EINVAL for a timeout asks at once, then spins
     * until the second ends (and so holds up the holder's look at the
     * stats until then: 0.45 s and 0.1 s here, inside the interval; a start
     * the machine delays past the end of the second proves nothing, but
     * not both). The holder keeps the GIL 0.3 s, well inside the interval. */
    g = gil_create(700000);
    hold_without_checks(g, 700000, 0.55, 0.3, "interval 0.7 s, the waiter beginning 0.55 s into a second");
    hold_without_checks(g, 700000, 0.9, 0.3, "interval 0.7 s, the waiter beginning 0.9 s into a second");
    gil_destroy(g);

    /* Any interval, seconds included (sys.setswitchinterval(3) is legal):
     * with 3 s, a deadline that adds the whole interval to tv_nsec and
     * carries one second at most is still 2e9 ns or more, invalid, and
     * pthread_cond_timedwait() says EINVAL on every wait, whenever it
     * begins. The holder keeps the GIL 0.1 s, then releases. */
    g = gil_create(3000000);
    hold_without_checks(g, 3000000, -1, 0.1, "interval 3 s, the holder keeps the GIL 0.1 s");
    gil_destroy(g);

    /* A sub-millisecond interval (sys.setswitchinterval(0.0009)): 100
     * forced switches, the holder at checkpoints. An interval kept in whole
     * milliseconds is 0 here, and the waiter asks the moment it arrives. */
    switches_t sw = forced_switches(900, 100, 0);
    if (sw.first_min < 900e-6)
        lab_fail("a waiter asks for a drop only after its interval (900 us; %d forced switches, the holder at "
                 "checkpoints) / in one it had asked, or got the GIL by a forced drop, %.0f us after it began to "
                 "wait: its timed wait ended early (an interval kept in whole milliseconds is 0 here)",
                 sw.rounds, sw.first_min * 1e6);

    /* Many intervals without a checkpoint (a long piece of work): the
     * waiter asks after the first, and then waits on, one interval at a
     * time, asleep. */
    g = gil_create(50000);
    hold_without_checks(g, 50000, -1, 0.5, "interval 50 ms, the holder keeps the GIL 0.5 s without a checkpoint");
    gil_destroy(g);

    /* A request answered by a release (above: asker_start), beside a
     * second GIL held by the same thread that nobody waits for. The
     * request is one GIL's: the other's holder gives nothing up at its
     * checkpoints meanwhile. It is counted. And it is gone once the
     * waiter has the GIL: the holder, alone again, is asked by nobody. */
    int perturb = lab_perturb_on;
    lab_perturb_on = 0; /* no wake-up but the waiter's timer (asker_start) */
    g = gil_create(20000);
    gil_t *other = gil_create(20000);
    gil_acquire(other);
    gil_acquire(g);
    asker_t a;
    pthread_t at;
    int proved = asker_start(&a, &at, g, 20000, 2.0);
    gil_stats_t so;
    if (proved) {
        for (int k = 0; k < 10; k++)
            gil_check(other);
        gil_stats(other, &so);
        if (so.forced_drops != 0 || so.drop_requests != 0)
            lab_fail("a drop request is for the GIL the waiter waits on: the holder of another GIL, which nobody "
                     "waits for, gives nothing up at its checkpoints (no forced drop without a waiter) / while a "
                     "thread had asked for GIL A, 10 gil_check() calls on GIL B counted %lu forced drops and %lu "
                     "drop requests in B's stats (is the drop request one flag for every GIL?)",
                     so.forced_drops, so.drop_requests);
    }
    gil_release(g); /* no checkpoint: the release answers the request */
    asker_end(&a, at);
    gil_acquire(g);
    for (int k = 0; k < 10; k++)
        gil_check(g);
    gil_release(g);
    gil_release(other);
    lab_perturb_on = perturb;
    gil_stats(g, &st);
    gil_destroy(other);
    gil_destroy(g);
    if (proved && st.drop_requests < 1)
        lab_fail("gil_stats() counts every drop request, also one the holder answered with gil_release() before "
                 "its next checkpoint (\"times a waiter, tired of waiting, asked\"; exact once nobody uses the "
                 "GIL) / a waiter (20 ms interval) woke from its timed wait after its interval while the GIL was "
                 "held with no checkpoint, so it asked; then the holder released it: drop_requests is %lu (counted "
                 "where a checkpoint serves a request, not where the waiter asks?)",
                 st.drop_requests);
    if (st.forced_drops != 0)
        lab_fail("a request is gone once the GIL has changed hands: no forced drop without a waiter / a waiter "
                 "%sasked, the holder answered with gil_release() (no checkpoint), the waiter got the GIL and "
                 "left; then the holder, alone, made 10 checkpoints: %lu forced drops (is the request cleared "
                 "only by the checkpoint that serves it, not by the thread that takes the GIL?)",
                 proved ? "" : "may have ", st.forced_drops);
    lab_pass("one thread: 100 x (acquire, 100 checks, release), no drop requests; a waiter slept through a "
             "0.1 s hold (runnable in %d of %d looks) and got in after the release; with 0.7 s intervals it "
             "asked no drop within 0.3 s, and with a 3 s interval within 0.1 s; with a 900 us interval no request "
             "came before %.0f us in %d forced switches; through 10 intervals of 50 ms it slept; %s",
             runnable, looks, sw.first_min * 1e6, sw.rounds,
             proved ? "a request answered by a release was counted, then gone, and dropped no other GIL"
                   : "(no waiter was seen woken by its timer past its interval within 2 s, or /proc could not "
                     "tell: the counting of a request answered by a release not judged)");
}

/* ---- a checkpoint nobody asked for costs next to nothing -------------------
 * Counted, not timed: the lock calls (above) made inside gil_check() while
 * nobody has asked for the GIL must be none. First 10000 checks of a thread
 * alone; then 1000 while a second thread waits within its 1 s interval (it
 * cannot have asked yet: only the checks that ended within 0.9 s of its
 * start are judged, and a request seen earlier is the single check's
 * business). */
static void check_cheap(const lab_opts_t *o) {
    gil_t *g = gil_create(INTERVAL_US);
    lab_watchdog_arm(2.0, "a thread alone blocked in the GIL: acquire, check or release never returned");
    long alone = 0;
    for (int i = 0; i < 100; i++) {
        gil_acquire(g);
        for (int k = 0; k < 100; k++) {
            long l0 = locks_taken();
            gil_check(g);
            alone += locks_taken() - l0;
        }
        gil_release(g);
    }
    if (alone != 0)
        lab_fail("gil_check() costs next to nothing when nobody asked: it takes no lock (the README; fixed.c "
                 "reads one atomic flag) / 10000 checks with nobody waiting took %ld locks (mutex, rwlock, spin "
                 "lock or semaphore calls, counted by the driver)",
                 alone);
    gil_destroy(g);
    lab_watchdog_arm(o->timeout, "timed out: a deadlock, a lost wakeup or an endless loop");

    const double interval = 1.0;
    g = gil_create((long)(interval * 1e6));
    handover_t h;
    handover_init(&h, g, -1);
    gil_acquire(g);
    pthread_t t;
    lab_thread_create(&t, NULL, take_and_give_back, &h);
    while (!atomic_load(&h.begun))
        sleep_us(1000);
    sleep_us(5000); /* well inside gil_acquire() by now */
    long beside = 0;
    int judged = 0;
    gil_stats_t st;
    for (int round = 0; round < 100; round++) {
        gil_stats(g, &st);
        if (st.drop_requests != 0)
            break; /* asked (early: the single check says so): a check now hands over */
        for (int k = 0; k < 10; k++) {
            long l0 = locks_taken();
            gil_check(g);
            if (lab_now() - h.t_begin < 0.9 * interval) {
                beside += locks_taken() - l0;
                judged++;
            }
        }
        sleep_us(1000);
    }
    lab_watchdog_arm(2.0, "a thread waiting in gil_acquire() never got the GIL after gil_release()");
    gil_release(g);
    handover_done(&h, t);
    gil_destroy(g);
    if (beside != 0)
        lab_fail("gil_check() takes no lock when nobody asked, also while a thread waits within its interval "
                 "(1 s) / %d such checks took %ld locks (counted by the driver)",
                 judged, beside);
    lab_pass("10000 checks alone and %d beside a thread waiting within its interval: no lock taken", judged);
}

/* ---- never two holders -------------------------------------------------- */
typedef struct {
    gil_t *g;
    long iters;
    atomic_int holders, max_holders;
    long plain; /* a plain counter, touched only under the GIL */
    int owner;  /* under the GIL: the thread whose acquire or check returned last */
    long handed; /* under the GIL: checks during which another thread held the GIL */
    _Atomic long progress;
    _Atomic long turns; /* taken by all threads: fewer than asked when time ran short */
} excl_t;

/* A gil_acquire() or gil_check() of thread `me` has returned: the GIL is
 * its. A check is a hand-over when another thread's call returned in the
 * meantime, that is, when another thread held the GIL. */
static void excl_mine(excl_t *x, int me, int from_check) {
    if (from_check && x->owner != me)
        x->handed++;
    x->owner = me;
}

static void excl_worker(const lab_worker_t *w) {
    excl_t *x = w->arg;
    uint64_t rng = lab_seed_for(w->index);
    gil_acquire(x->g);
    excl_mine(x, w->index, 0);
    long i = 0;
    /* Every hand-over waits for a CPU: on a machine busy with other work
     * the turns can take 100 times as long as idle, so they stop when 40%
     * of the check's time is gone. Every verdict below holds for any
     * number of turns. */
    for (; i < x->iters && !(i % 64 == 0 && lab_time_spent(0.4)); i++) {
        int in = atomic_fetch_add(&x->holders, 1) + 1;
        int m = atomic_load(&x->max_holders);
        while (in > m && !atomic_compare_exchange_weak(&x->max_holders, &m, in))
            ;
        long v = x->plain;
        lab_pause(); /* the interpreter is in the middle of something */
        x->plain = v + 1;
        atomic_fetch_sub(&x->holders, 1);
        atomic_fetch_add_explicit(&x->progress, 1, memory_order_relaxed);
        if (lab_rand_next(&rng) % 8 == 0) { /* a blocking call, the GIL let go around it */
            gil_release(x->g);
            lab_pause();
            gil_acquire(x->g);
            excl_mine(x, w->index, 0);
        } else {
            gil_check(x->g);
            excl_mine(x, w->index, 1);
        }
    }
    gil_release(x->g);
    atomic_fetch_add(&x->turns, i);
}

static void check_exclusion(const lab_opts_t *o) {
    check_timeout = o->timeout;
    int n = lab_opt_threads(o, 4);
    excl_t x = {.g = gil_create(100), .iters = lab_opt_iters(o, 3000)};
    atomic_init(&x.holders, 0);
    atomic_init(&x.max_holders, 0);
    atomic_init(&x.progress, 0);
    atomic_init(&x.turns, 0);
    lab_stall_t *s =
        lab_stall_watch(&x.progress, STALL_S, "deadlock: no thread got through the GIL in 2 s");
    lab_threads_run(n, excl_worker, &x);
    lab_stall_stop(s);
    /* Then a request answered by a release, made sure of (asker_start):
     * the waiter gets the GIL and leaves, and the driver, alone with the
     * GIL, makes 10 checkpoints. A request still up then (cleared only by
     * the checkpoint that serves it) makes one of them drop the GIL with
     * nobody to hand it to: a forced drop that handed nothing over. The
     * turns above make that only when a stale request meets a holder with
     * no waiter, by chance. */
    int perturb = lab_perturb_on;
    lab_perturb_on = 0; /* no wake-up but the waiter's timer */
    gil_acquire(x.g);
    excl_mine(&x, n, 0);
    asker_t a;
    pthread_t at;
    int asked = asker_start(&a, &at, x.g, 100, 2.0);
    gil_release(x.g); /* no checkpoint: the release answers the request */
    asker_end(&a, at);
    x.owner = n + 1; /* the waiter held it */
    gil_acquire(x.g);
    excl_mine(&x, n, 0);
    for (int k = 0; k < 10; k++) {
        gil_check(x.g);
        excl_mine(&x, n, 1);
    }
    gil_release(x.g);
    lab_perturb_on = perturb;
    gil_stats_t st;
    gil_stats(x.g, &st);
    if (atomic_load(&x.max_holders) != 1)
        lab_fail("never two holders / %d threads held the GIL at once", atomic_load(&x.max_holders));
    long turns = atomic_load(&x.turns);
    LAB_EXPECT_EQ(turns, x.plain, "a counter bumped only under the GIL, once a turn");
    /* gil.h: a check that finds a request hands the GIL over. A holder that
     * drops it and takes it straight back (say, woken spuriously before
     * anyone took it) counts a forced drop that nobody else profited from. */
    if ((unsigned long)x.handed < st.forced_drops)
        lab_fail("every forced drop hands the GIL to another thread / %lu forced drops, but another thread held "
                 "the GIL during only %ld of the checks: a holder that gave the GIL up on request took it back "
                 "before a waiter got it (a wait on the hand-over under `if` instead of `while`?), or it dropped "
                 "the GIL with nobody waiting (a request answered by a release%s still up afterwards?)",
                 st.forced_drops, x.handed, asked ? ", made sure of at the end," : "");
    gil_destroy(x.g);
    lab_pass("%d threads x %ld turns%s with pauses inside, a 100 us interval: never two holders, no update "
             "lost, every forced drop handed over (%lu acquires, %lu forced drops, %ld checks that handed over)%s",
             n, x.iters, lab_cut_note(turns, (long)n * x.iters), st.acquires, st.forced_drops, x.handed,
             asked ? "; a request answered by a release left no forced drop behind" : "");
}

/* ---- two CPU-bound threads ---------------------------------------------- */
typedef struct {
    gil_t *g;
    unsigned chunk;
    long total;
    atomic_int stop;
    _Atomic long done; /* chunks by both */
    _Alignas(64) _Atomic long progress[2];
    _Alignas(64) atomic_int started[2];
    peek_t peek[2];
    ticker_t ticker[2]; /* one on each thread's CPU */
    /* under the GIL */
    long max_wait[2]; /* chunks the other ran while this one slept, at most */
    int last;
    long handovers;
    int starved; /* -1, or the thread that waited too long */
} fair_t;

static void fair_worker(const lab_worker_t *w) {
    fair_t *f = w->arg;
    int me = w->index, other = 1 - me;
    cpus_pin_self(me);
    peek_open(&f->peek[me], &f->ticker[me]);
    atomic_store(&f->started[me], 1);
    gil_acquire(f->g);
    long seen = -1, streak = 0;
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        __asm__ volatile("" : : "r"(work(f->chunk)));
        atomic_fetch_add_explicit(&f->progress[me], 1, memory_order_relaxed);
        if (f->last != me) {
            f->last = me;
            f->handovers++;
        }
        /* The other thread made no progress since my last chunk: it waited
         * through this one, for the GIL or for a CPU. */
        long theirs = atomic_load_explicit(&f->progress[other], memory_order_relaxed);
        int for_gil = atomic_load(&f->started[other]) && peek_waits_for_gil(&f->peek[other]);
        if (theirs != seen) {
            seen = theirs;
            streak = 0;
        } else if (for_gil) {
            streak++;
        }
        if (streak > f->max_wait[other])
            f->max_wait[other] = streak;
        if (streak >= BOUND_CHUNKS) {
            f->starved = other;
            atomic_store(&f->stop, 1);
        }
        if (atomic_fetch_add(&f->done, 1) + 1 >= f->total)
            atomic_store(&f->stop, 1);
        gil_check(f->g);
    }
    gil_release(f->g);
}

static void check_fairness(const lab_opts_t *o) {
    /* First the hand-over itself: a forced drop wakes the waiter that
     * asked. With a 100 ms interval, a drop that does not leaves the GIL
     * idle until the waiter's next timed wait ends, 2 intervals or more
     * after it began to wait, every round; one that does lets it in after
     * about 1 interval. The best of up to 5 rounds is judged. */
    const long handover_us = 100000;
    switches_t sw = forced_switches(handover_us, 5, 2 * handover_us * 1e-6);
    if (sw.got_min >= 2 * handover_us * 1e-6)
        lab_fail("a forced drop hands the GIL over: the waiter that asked gets it at once, not after a further "
                 "interval (100 ms; the holder at checkpoints) / in the best of %d rounds it got the GIL %.3f s "
                 "after it began to wait, 2 intervals or more: the GIL sat idle, the waiter asleep on its timer "
                 "(does the drop signal the condition the waiter sleeps on?)",
                 sw.rounds, sw.got_min);
    cpus_pick();
    fair_t *f = lab_calloc(1, sizeof *f);
    f->g = gil_create(INTERVAL_US);
    f->chunk = calibrate(CHUNK_US);
    /* The wall clock the GIL sees is an hour ahead: an interval timed on it
     * never ends, and nobody asks. The interval is monotonic time. */
    lab_clock_jump = 3600;
    f->total = lab_opt_iters(o, 120);
    f->last = -1;
    f->starved = -1;
    lab_stall_t *s =
        lab_stall_watch(&f->done, STALL_S, "deadlock: neither CPU-bound thread got through the GIL in 2 s");
    ticker_start(&f->ticker[0], 0);
    ticker_start(&f->ticker[1], 1);
    double t0 = lab_now();
    lab_threads_run(2, fair_worker, f);
    double wall = lab_now() - t0;
    lab_stall_stop(s);
    ticker_stop(&f->ticker[0]);
    ticker_stop(&f->ticker[1]);
    peek_close(&f->peek[0]);
    peek_close(&f->peek[1]);
    long a = atomic_load(&f->progress[0]), b = atomic_load(&f->progress[1]);
    if (f->starved >= 0)
        lab_fail("a waiting thread gets the GIL before the holder has done %d chunks of work (4 switch "
                 "intervals) / thread %d slept while thread %d did %d chunks (%d ms each) and kept the GIL",
                 BOUND_CHUNKS, f->starved, 1 - f->starved, BOUND_CHUNKS, CHUNK_US / 1000);
    if (a == 0 || b == 0)
        lab_fail("both CPU-bound threads make progress / chunks done: %ld and %ld", a, b);
    gil_destroy(f->g);
    long worst = f->max_wait[0] > f->max_wait[1] ? f->max_wait[0] : f->max_wait[1];
    lab_pass("two CPU-bound threads on two CPUs: %ld and %ld chunks of 1 ms done in %.2f s, %ld hand-overs; "
             "a waiter slept through at most %ld of the other's chunks (interval 5 ms); a forced drop let the "
             "waiter in %.3f s after it began to wait (interval 0.1 s)",
             a, b, wall, f->handovers - 1, worst, sw.got_min);
    free(f);
}

/* ---- an I/O thread beside a CPU-bound one -------------------------------- */
enum { MAXROUNDS = 1000, IO_US = 1000 };
typedef struct {
    gil_t *g;
    unsigned chunk;
    int rounds;
    atomic_int done;
    _Atomic long cpu_chunks; /* chunks the CPU-bound thread has done */
    atomic_int waiting;      /* the I/O thread is in gil_acquire() */
    atomic_int cpu_gone;     /* the CPU-bound thread stopped (after a convoy) */
    int rounds_done;
    _Atomic long waits_begun;
    _Atomic long progress;   /* by both, for the stall watchdog */
    peek_t peek;
    ticker_t ticker; /* on the I/O thread's CPU */
    atomic_int peek_ready;
    /* under the GIL */
    long max_chunks;  /* CPU-bound chunks during one wait, at most */
    int convoy_round; /* -1, or the round whose wait went past the bound */
    double waits[MAXROUNDS];
} io_t;

static void io_thread(io_t *s) {
    peek_open(&s->peek, &s->ticker);
    atomic_store(&s->peek_ready, 1);
    long seen = 0;
    for (int k = 0; k < s->rounds; k++) {
        sleep_us(IO_US); /* the blocking call, without the GIL */
        /* Every round must find the CPU-bound thread at work with the GIL:
         * on a loaded machine it may not have got a CPU back yet, and a
         * request that finds the GIL free proves nothing. */
        while (atomic_load(&s->cpu_chunks) == seen && !atomic_load(&s->cpu_gone))
            sleep_us(100);
        if (atomic_load(&s->cpu_gone))
            break;
        double t0 = lab_now();
        atomic_fetch_add(&s->waits_begun, 1);
        atomic_store(&s->waiting, 1);
        gil_acquire(s->g);
        atomic_store(&s->waiting, 0);
        s->waits[k] = lab_now() - t0;
        s->rounds_done = k + 1;
        atomic_fetch_add_explicit(&s->progress, 1, memory_order_relaxed);
        seen = atomic_load(&s->cpu_chunks);
        gil_release(s->g);
    }
    atomic_store(&s->done, 1);
}

static void cpu_thread(io_t *s) {
    gil_acquire(s->g);
    long seen = -1, chunks = 0;
    while (!atomic_load_explicit(&s->done, memory_order_relaxed)) {
        __asm__ volatile("" : : "r"(work(s->chunk)));
        atomic_fetch_add_explicit(&s->progress, 1, memory_order_relaxed);
        atomic_fetch_add(&s->cpu_chunks, 1);
        long begun = atomic_load(&s->waits_begun);
        int for_gil = !atomic_load(&s->peek_ready) || peek_waits_for_gil(&s->peek);
        if (atomic_load(&s->waiting) && for_gil) {
            if (begun != seen) {
                seen = begun;
                chunks = 0;
            }
            if (++chunks > s->max_chunks)
                s->max_chunks = chunks;
            if (chunks >= BOUND_CHUNKS) { /* a convoy: stop, so that the check ends now */
                s->convoy_round = (int)begun;
                break;
            }
        }
        gil_check(s->g);
    }
    gil_release(s->g);
    atomic_store(&s->cpu_gone, 1);
}

static void io_worker(const lab_worker_t *w) {
    io_t *s = w->arg;
    cpus_pin_self(w->index);
    if (w->index == 1)
        io_thread(s);
    else
        cpu_thread(s);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check_io_latency(const lab_opts_t *o) {
    cpus_pick();
    io_t *s = lab_calloc(1, sizeof *s);
    s->g = gil_create(INTERVAL_US);
    s->chunk = calibrate(CHUNK_US);
    lab_clock_jump = 3600; /* as in fairness: the interval is monotonic time */
    long rounds = lab_opt_iters(o, 30);
    s->rounds = (int)(rounds < MAXROUNDS ? rounds : MAXROUNDS);
    s->convoy_round = -1;
    lab_stall_t *st =
        lab_stall_watch(&s->progress, STALL_S, "deadlock: neither thread got through the GIL in 2 s");
    ticker_start(&s->ticker, 1);
    lab_threads_run(2, io_worker, s);
    lab_stall_stop(st);
    ticker_stop(&s->ticker);
    peek_close(&s->peek);
    if (s->convoy_round >= 0)
        lab_fail("the I/O thread gets the GIL back before the CPU-bound thread has done %d chunks of work (4 "
                 "switch intervals) / in request %d it slept while the CPU-bound thread did %d chunks (%d ms "
                 "each) and kept the GIL",
                 BOUND_CHUNKS, s->convoy_round, BOUND_CHUNKS, CHUNK_US / 1000);
    int n = s->rounds_done;
    if (n != s->rounds)
        lab_fail("%d requests served / %d", s->rounds, n);
    qsort(s->waits, (size_t)n, sizeof s->waits[0], cmp_double);
    double p50 = s->waits[n / 2], max = s->waits[n - 1];
    gil_destroy(s->g);
    lab_pass("%d requests: the I/O thread slept through at most %ld chunks of the CPU-bound thread; its "
             "wait: median %.1f ms, max %.1f ms (interval 5 ms)",
             n, s->max_chunks, p50 * 1e3, max * 1e3);
    free(s);
}

/* ---- for the ThreadSanitizer build -------------------------------------- */
typedef struct {
    gil_t *g;
    unsigned chunk;
    atomic_int stop;
    _Atomic long progress;
    /* the "interpreter's" state: plain memory, touched only under the GIL */
    long objects[8];
    long turns;
} interp_t;

static void interp_worker(const lab_worker_t *w) {
    interp_t *x = w->arg;
    uint64_t rng = lab_seed_for(w->index);
    gil_acquire(x->g);
    while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
        if (w->index == 0) { /* the I/O thread */
            gil_release(x->g);
            gil_stats_t st; /* the stats may be read while others use the GIL */
            gil_stats(x->g, &st);
            sleep_us(200);
            gil_acquire(x->g);
        } else {
            __asm__ volatile("" : : "r"(work(x->chunk)));
        }
        x->objects[lab_rand_next(&rng) % 8]++;
        if (++x->turns >= 400)
            atomic_store(&x->stop, 1);
        atomic_fetch_add_explicit(&x->progress, 1, memory_order_relaxed);
        gil_check(x->g);
    }
    gil_release(x->g);
}

/* The GIL must order the memory it guards: the threads share plain,
 * unsynchronised state and touch it only while they hold the GIL, so
 * ThreadSanitizer reports a race if acquire and release do not form a
 * happens-before chain (a flag read without a barrier, say). */
static void check_race_free(const lab_opts_t *o) {
    (void)o;
    interp_t *x = lab_calloc(1, sizeof *x);
    x->g = gil_create(500);
    x->chunk = calibrate(100);
    lab_stall_t *s = lab_stall_watch(&x->progress, STALL_S, "deadlock: no thread got through the GIL in 2 s");
    lab_threads_run(3, interp_worker, x);
    lab_stall_stop(s);
    long sum = 0;
    for (int i = 0; i < 8; i++)
        sum += x->objects[i];
    LAB_EXPECT_EQ(x->turns, sum, "updates of the shared objects");
    gil_stats_t st;
    gil_stats(x->g, &st);
    gil_destroy(x->g);
    lab_pass("two CPU-bound threads and an I/O thread share plain state under the GIL: %ld turns, no race "
             "(%lu acquires, %lu forced drops)",
             x->turns, st.acquires, st.forced_drops);
    free(x);
}

static const lab_check_t checks[] = {
    {"single", "one thread: acquire, check, release; a waiter sleeps, a release lets it in, its request counted, then gone",
     check_single, LAB_PAUSE_OFF},
    {"cheap-check", "gil_check() takes no lock when nobody asked: alone, and beside a waiter within its interval",
     check_cheap, LAB_PAUSE_OFF},
    {"exclusion", "4 threads take turns with pauses inside: never two holders", check_exclusion,
     LAB_PAUSE_RANDOM},
    {"fairness", "two CPU-bound threads on two CPUs: a waiter gets in within 4 intervals", check_fairness,
     LAB_PAUSE_OFF},
    {"io-latency", "an I/O thread gets the GIL back within 4 intervals of a CPU-bound thread's work",
     check_io_latency, LAB_PAUSE_OFF},
    {"race-free", "for the ThreadSanitizer build: state shared under the GIL is race-free", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
