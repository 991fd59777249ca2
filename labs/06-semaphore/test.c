/* Lab 06, semaphore: the torture driver. One check per run: 10 users share
 * a pool of 3 connections, as in the course.
 *
 *   $ build/labs/06-semaphore/broken/test at-most
 *   FAIL: at most 3 of 10 users hold a connection at once / 5 did (check at-most, seed 31)
 *   $ build/labs/06-semaphore/fixed/test idle-wait
 *   ok: idle-wait: 3 users waited 2.5 s for a busy pool of 1, each then got it; the busiest ran or was runnable 0.1 ms of its wait
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "pool.h"

#define STALL_S 1.0
#define STALL_REASON "a user never got a connection in 1 s"

enum { SIZE = 3, USERS = 10 };

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One user takes `n` connections of a pool of `size`: each must be in
 * 0..size-1 and not held already (held[], the driver's own account). */
static void take(pool_t *p, int size, int n, int *conn, char *held, const char *when) {
    for (int i = 0; i < n; i++) {
        conn[i] = pool_acquire(p);
        if (conn[i] < 0 || conn[i] >= size || held[conn[i]])
            lab_fail("%d acquires on a pool of %d give distinct connections 0..%d (%s) / acquire %d gave %d", n,
                     size, size - 1, when, i + 1, conn[i]);
        held[conn[i]] = 1;
    }
}

static void give(pool_t *p, int conn, char *held) {
    held[conn] = 0;
    pool_release(p, conn);
}

/* Pools past 32 and past 64 connections too: a pool that keeps its busy
 * connections as the bits of one word has no bit for connection 32 (or
 * 64), and hands out a wrong number or none once the lower ones are taken;
 * and past 256 (1000): one that keeps connection numbers in a byte hands
 * out 256 as 0, twice, and never 256..999.
 * Every size is filled, emptied and filled again, then refilled where
 * chosen holes were made, so every number, the highest too, is given back
 * and taken again. */
static const int single_sizes[] = {1, SIZE, 40, 100, 1000};
enum { SINGLE_MAX = 1000, LAST_PAIRS = 100 };

static void fill_and_refill(int size) {
    pool_t *p = pool_create(size);
    int conn[SINGLE_MAX], again[SINGLE_MAX];
    char held[SINGLE_MAX] = {0};
    take(p, size, size, conn, held, "a new pool");
    for (int i = size - 1; i >= 0; i--)
        give(p, conn[i], held);
    take(p, size, size, conn, held, "every connection given back");
    /* Holes at the odd numbers: exactly those must come back. */
    int odd = 0;
    for (int c = 1; c < size; c += 2, odd++)
        give(p, c, held);
    take(p, size, odd, again, held, "the odd-numbered ones given back");
    /* The highest alone, many times. */
    give(p, size - 1, held);
    for (int i = 0; i < LAST_PAIRS; i++) {
        int c = pool_acquire(p);
        if (c != size - 1)
            lab_fail("with connections 0..%d held, an acquire on a pool of %d gives %d, the one given back / "
                     "acquire %d gave %d",
                     size - 2, size, size - 1, i + 1, c);
        pool_release(p, c);
    }
    for (int c = 0; c < size - 1; c++)
        give(p, c, held);
    pool_destroy(p);
}

/* Memory: the driver counts the implementation's allocations less its
 * frees (lab_impl_live_allocs). A pool of 1 is made, used once and
 * destroyed first, so that whatever a design keeps per thread for good (a
 * waiter node cached for this thread) is counted before; every block
 * allocated after that, by pool_create() or by any of the some 3000
 * acquires and releases below (none of which waits), must be freed again
 * once every pool is destroyed: an acquire that leaves a block behind
 * (a waiter node allocated for a wait that did not happen) leaves
 * thousands. */
static void check_single(const lab_opts_t *o) {
    (void)o;
    pool_t *warm = pool_create(1);
    pool_release(warm, pool_acquire(warm));
    pool_destroy(warm);
    long live = lab_impl_live_allocs();
    for (size_t k = 0; k < sizeof single_sizes / sizeof single_sizes[0]; k++)
        fill_and_refill(single_sizes[k]);
    pool_t *p = pool_create(SIZE);
    for (int round = 0; round < 1000; round++) {
        int c = pool_acquire(p);
        if (c < 0 || c >= SIZE)
            lab_fail("a connection numbered 0..%d / got %d", SIZE - 1, c);
        pool_release(p, c);
    }
    pool_destroy(p);
    lab_expect_freed(live, "pools of 1, 3, 40, 100 and 1000, some 3000 acquires and releases by one user (none "
                           "waits), then pool_destroy() of each,");
    lab_pass("one user, pools of 1, %d, 40, 100 and 1000: every connection once, given back and taken again; "
             "1000 pairs on a pool of %d; every block allocated freed once the pools were destroyed",
             SIZE, SIZE);
}

/* Two pools of SIZE are used at once, half the users on each: a pool
 * that keeps its count or its free list in a static variable mixes them
 * up. Holders and hand-outs are counted per pool by the driver, while the
 * users are inside, never taken from the pool's word. */
enum { POOLS = 2 };

typedef struct {
    pool_t *p[POOLS];
    long rounds;
    atomic_int holders[POOLS], most[POOLS];
    atomic_int held[POOLS][SIZE]; /* who holds each connection */
    _Atomic long served;
    atomic_int bad_conn, twice; /* out-of-range numbers; double hand-outs */
    long queries[POOLS][SIZE];  /* each connection's own state: plain, so only the pool orders its users */
} room_t;

static void user(const lab_worker_t *w) {
    room_t *r = w->arg;
    int k = w->index % POOLS;
    for (long i = 0; i < r->rounds; i++) {
        int c = pool_acquire(r->p[k]);
        int now = atomic_fetch_add(&r->holders[k], 1) + 1;
        for (int m = atomic_load(&r->most[k]); now > m && !atomic_compare_exchange_weak(&r->most[k], &m, now);)
            ;
        if (c < 0 || c >= SIZE) {
            atomic_store(&r->bad_conn, c == 0 ? -1 : c); /* never 0: 0 means none seen */
            atomic_fetch_sub(&r->holders[k], 1);
            atomic_fetch_add(&r->served, 1);
            continue;
        }
        if (atomic_exchange(&r->held[k][c], 1) != 0)
            atomic_fetch_add(&r->twice, 1);
        lab_pause(); /* the query */
        atomic_store(&r->held[k][c], 0);
        atomic_fetch_sub(&r->holders[k], 1);
        /* After the driver's own atomics, so that nothing but the pool makes
         * the previous user's write happen before ours: a pool that hands a
         * connection on without ordering the two (a relaxed flag) is a data
         * race here, which the ThreadSanitizer build reports. */
        r->queries[k][c]++;
        pool_release(r->p[k], c);
        atomic_fetch_add_explicit(&r->served, 1, memory_order_relaxed);
    }
}

static void crowd(room_t *r, int users, long rounds) {
    for (int k = 0; k < POOLS; k++) {
        r->p[k] = pool_create(SIZE);
        atomic_init(&r->holders[k], 0);
        atomic_init(&r->most[k], 0);
        for (int c = 0; c < SIZE; c++)
            atomic_init(&r->held[k][c], 0);
    }
    memset(r->queries, 0, sizeof r->queries);
    r->rounds = rounds;
    atomic_init(&r->served, 0);
    atomic_init(&r->bad_conn, 0);
    atomic_init(&r->twice, 0);
    lab_stall_t *s = lab_stall_watch(&r->served, STALL_S, STALL_REASON);
    lab_threads_run(users, user, r);
    lab_stall_stop(s);
    if (atomic_load(&r->bad_conn) != 0)
        lab_fail("connection numbers 0..%d / got %d", SIZE - 1, atomic_load(&r->bad_conn));
    if (atomic_load(&r->served) != users * rounds)
        lab_fail("%ld requests served / %ld", users * rounds, (long)atomic_load(&r->served));
}

static int crowd_most(room_t *r) {
    int most = 0;
    for (int k = 0; k < POOLS; k++)
        if (atomic_load(&r->most[k]) > most)
            most = atomic_load(&r->most[k]);
    return most;
}

static void crowd_end(room_t *r) {
    for (int k = 0; k < POOLS; k++)
        pool_destroy(r->p[k]);
}

static void two_releases(void);

/* Users who line up for a full pool in a known order: each is started once
 * the one before it sleeps in its wait (its state in /proc, unperturbed),
 * so a pool that serves by ticket gives them tickets in that order, and a
 * condition variable's sleepers are queued in that order. */
#define LINE_MOST_S 2.0 /* the most a precondition waits for a sleeper */

typedef struct {
    pool_t *p;
    int size;
    atomic_int tid, got, done; /* got: pool_acquire()'s answer, -2 until it returns */
    _Atomic long *served;
} liner_t;

static void *liner(void *arg) {
    liner_t *l = arg;
    atomic_store(&l->tid, (int)syscall(SYS_gettid));
    int c = pool_acquire(l->p);
    atomic_store(&l->got, c);
    if (c >= 0 && c < l->size)
        pool_release(l->p, c);
    atomic_store(&l->done, 1);
    atomic_fetch_add(l->served, 1);
    return NULL;
}

/* Waits until the liner sleeps (state S in /proc/self/task/TID/stat) in 3
 * samples in a row, 50 us apart, or has returned, for at most `most`
 * seconds. A precondition only, as lab_others_asleep(), for one thread of
 * many, which that one would take too long to read for 100. With the
 * perturbation off, the one place a liner sleeps is the pool's wait (a
 * thread woken by a signal is runnable until it sleeps there again). */
static void liner_asleep(liner_t *l, double most) {
    double until = lab_now() + most;
    for (int row = 0; row < 3 && lab_now() < until && !atomic_load(&l->done);) {
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", atomic_load(&l->tid));
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = 0;
        const char *paren = strrchr(buf, ')');
        row = paren && paren[1] == ' ' && paren[2] == 'S' ? row + 1 : 0;
        nanosleep(&(struct timespec){0, 50000}, NULL);
    }
}

static void liner_start(liner_t *l, pthread_t *t, pool_t *p, int size, _Atomic long *served) {
    l->p = p;
    l->size = size;
    l->served = served;
    atomic_init(&l->tid, 0);
    atomic_init(&l->got, -2);
    atomic_init(&l->done, 0);
    lab_thread_create(t, NULL, liner, l);
    while (atomic_load(&l->tid) == 0)
        sched_yield();
    liner_asleep(l, LINE_MOST_S);
}

/* Waits until `want` of the liners are done; a waiter left asleep stays
 * asleep, so once no one has been served for 1 s and every thread sleeps,
 * the rest were forgotten. Reading 100 threads' state takes a while on a
 * loaded machine: each look may take up to 0.5 s. */
static void liners_served(_Atomic long *served, long want, const char *what) {
    long last = -1;
    for (double since = lab_now();; sleep_ms(1)) {
        long now = atomic_load(served);
        if (now >= want)
            return;
        if (now != last) {
            last = now;
            since = lab_now();
        } else if (lab_now() > since + STALL_S && lab_others_asleep(0.5)) {
            lab_fail("%s / %ld of %ld served, the rest still asleep %g s later with a connection free",
                     what, now, want, STALL_S);
        }
    }
}

/* Two pools, full, with users of both waiting at once: B0, B1, then A's,
 * then B2, B3, each once the ones before sleep. A connection given back to
 * A must let A's user in, however the pools' waits are shared out: a pool
 * that sleeps on one condition for all pools and signals it wakes B0 (the
 * first sleeper) or B3 (the last), who find B full and sleep again, and
 * A's user sleeps on with A's connection free. Then B's connection comes
 * back and its four users take it in turn. */
enum { LINE_B = 4 };

static void two_pools_waiting(void) {
    pool_t *a = pool_create(1), *b = pool_create(1);
    int ca = pool_acquire(a), cb = pool_acquire(b);
    _Atomic long served_a, served_b;
    atomic_init(&served_a, 0);
    atomic_init(&served_b, 0);
    liner_t la, lb[LINE_B];
    pthread_t ta, tb[LINE_B];
    for (int i = 0; i < LINE_B / 2; i++)
        liner_start(&lb[i], &tb[i], b, 1, &served_b);
    liner_start(&la, &ta, a, 1, &served_a);
    for (int i = LINE_B / 2; i < LINE_B; i++)
        liner_start(&lb[i], &tb[i], b, 1, &served_b);
    pool_release(a, ca);
    liners_served(&served_a, 1,
                  "a user waiting for pool A gets the connection given back to A, while 4 users wait for a full "
                  "pool B, 2 of them since before it");
    if (atomic_load(&la.got) != 0)
        lab_fail("the user of a pool of 1 gets connection 0 / it got %d", atomic_load(&la.got));
    pool_release(b, cb);
    liners_served(&served_b, LINE_B, "4 users waiting for a pool of 1 are all served once its connection comes back");
    lab_thread_join(ta, NULL);
    for (int i = 0; i < LINE_B; i++)
        lab_thread_join(tb[i], NULL);
    pool_destroy(a);
    pool_destroy(b);
}

/* "Any number of threads may call it at once": LONG_LINE users line up for
 * a full pool of 1, more than a pool may keep places for (a ring of 64
 * conditions by ticket), then each is interrupted once by a signal (a
 * no-op handler, as a timer or SIGCHLD handler in the program would),
 * the last comer first, each once the one before sleeps again: a
 * condition variable promises its sleepers no order, and glibc's then
 * wakes them in the order they went back to sleep, so users whose tickets
 * share a condition now sleep in reverse. The connection is given back:
 * every user must be served in turn. A ring that wakes the later ticket
 * (it sleeps again, not its turn) leaves the earlier asleep, and all. */
enum { LONG_LINE = 100 };

static void long_line(void) {
    lab_interrupts_install(NULL, NULL); /* sigaction's default: no SA_RESTART */
    pool_t *p = pool_create(1);
    int c = pool_acquire(p);
    _Atomic long served;
    atomic_init(&served, 0);
    static liner_t l[LONG_LINE];
    static pthread_t t[LONG_LINE];
    for (int i = 0; i < LONG_LINE; i++)
        liner_start(&l[i], &t[i], p, 1, &served);
    for (int i = LONG_LINE - 1; i >= 0; i--) {
        LAB_PTHREAD(pthread_kill(t[i], SIGUSR2));
        liner_asleep(&l[i], LINE_MOST_S);
    }
    pool_release(p, c);
    liners_served(&served, LONG_LINE, "100 users lined up for a full pool of 1 (each interrupted once by a signal "
                                      "while it waited) are all served once its connection comes back");
    for (int i = 0; i < LONG_LINE; i++)
        lab_thread_join(t[i], NULL);
    pool_destroy(p);
}

static void check_at_most(const lab_opts_t *o) {
    int users = lab_opt_threads(o, 2 * USERS);
    room_t r;
    /* The users are threads that end before crowd() returns, so whatever a
     * design keeps per thread is theirs to free at their exit: every block
     * allocated meanwhile, by an acquire that waited or not, must be freed
     * once both pools are destroyed. */
    long live = lab_impl_live_allocs();
    crowd(&r, users, lab_opt_iters(o, 200));
    if (crowd_most(&r) > SIZE)
        lab_fail("at most %d of %d users hold a connection of one pool at once / %d did", SIZE, users / POOLS,
                 crowd_most(&r));
    crowd_end(&r);
    char what[160];
    snprintf(what, sizeof what,
             "2 pools of %d, %d users (threads that then ended) x %ld acquires and releases, many of which waited, "
             "then pool_destroy() of both,",
             SIZE, users, r.rounds);
    lab_expect_freed(live, what);
    two_releases();
    /* The lines are made by the order of sleepers: the perturbing build's
     * naps on the way into a wait would look like one. */
    int perturb = lab_perturb_on;
    lab_perturb_on = 0;
    two_pools_waiting();
    long_line();
    lab_perturb_on = perturb;
    lab_pass("2 pools, %d users each x %ld requests on %d connections: never more than %d at once, all served; "
             "2 users held still in their wait while a full pool gives back 2: both served; a release in one "
             "pool lets its user in while another's users wait; %d users in line, each interrupted, all served",
             users / POOLS, r.rounds, SIZE, SIZE, LONG_LINE);
}

static void check_no_double(const lab_opts_t *o) {
    int users = lab_opt_threads(o, 2 * USERS);
    room_t r;
    crowd(&r, users, lab_opt_iters(o, 200));
    if (atomic_load(&r.twice) != 0)
        lab_fail("no connection held by two users at once / it happened %d times", atomic_load(&r.twice));
    crowd_end(&r);
    lab_pass("2 pools, %d users each x %ld requests: no connection ever held twice, all served", users / POOLS,
             r.rounds);
}

/* Seconds the thread `tid` of this process has spent on a CPU or waiting
 * for one, from the scheduler's account of it (as lab_thread_busy() for
 * the calling thread), readable by another thread too; -1 if unreadable. */
static double busy_of(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    FILE *f = fopen(path, "r");
    unsigned long long on_cpu = 0, waiting = 0;
    int got = f ? fscanf(f, "%llu %llu", &on_cpu, &waiting) : 0;
    if (f)
        fclose(f);
    return got == 2 ? (double)(on_cpu + waiting) * 1e-9 : -1;
}

enum { IDLE_USERS = 3 };
#define IDLE_HOLD_S 2.5 /* longer than a wait that gives up after 2 s */
#define IDLE_BUSY_S 0.020

typedef struct {
    pool_t *p;
    atomic_int tid[IDLE_USERS];
    double busy0[IDLE_USERS];
    atomic_int got[IDLE_USERS], back[IDLE_USERS]; /* pool_acquire()'s answer; it returned */
    atomic_int go;                                /* the driver has looked: give it back */
    _Atomic long served;
} idle_t;

typedef struct {
    idle_t *x;
    int index;
} idle_arg_t;

static void *idle_waiter(void *arg) {
    idle_arg_t *a = arg;
    idle_t *x = a->x;
    int i = a->index;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    x->busy0[i] = busy_of(tid);
    atomic_store(&x->tid[i], (int)tid);
    int c = pool_acquire(x->p);
    atomic_store(&x->got[i], c);
    atomic_store(&x->back[i], 1);
    if (c != 0) /* no connection of a pool of 1: nothing to give back */
        return NULL;
    while (!atomic_load(&x->go))
        sleep_ms(1);
    pool_release(x->p, c);
    atomic_fetch_add(&x->served, 1);
    return NULL;
}

/* A wait sleeps however long it lasts, not only until some deadline of its
 * own: a design that waits in slices (sem_timedwait() with a deadline, to
 * warn "no connection for 5 s" and wait on) must set a new deadline for
 * the next slice; one that waits on with the deadline that has passed gets
 * ETIMEDOUT at once from then on, and spins for the rest of the wait. The
 * slice can be any length, and the check cannot wait it out: it makes the
 * first deadline pass at once instead. The implementation's clocks, wall
 * and steady, read an hour behind (the steady ones at most back to 1 s
 * after boot, where they start) while a user starts its wait for a full
 * pool of 1, as if the clock were stepped an hour forward just after it
 * looked; they are put right once the user has read one and then run 2 ms
 * on a CPU (so that the reading was surely shifted: the count of readings
 * goes up just before the shift), or is seen asleep (it read none, or
 * read one and slept). A deadline from that reading passed an hour ago: a
 * wait that keeps it spins; one that takes a new one from a clock that
 * reads true again sleeps. The user is given 1 s to fall asleep again,
 * then its time running or runnable over STEP_HOLD_S must stay under
 * IDLE_BUSY_S, as above. */
#define STEP_S 3600.0
#define STEP_HOLD_S 0.5
#define STEP_CPU_S 0.002
#define STEP_MOST_S 5.0 /* a user not yet run on a busy machine: its reading is still to come */

typedef struct {
    pool_t *p;
    atomic_int tid, got, back, go;
} stepper_t;

static void *step_waiter(void *arg) {
    stepper_t *w = arg;
    atomic_store(&w->tid, (int)lab_tid());
    int c = pool_acquire(w->p);
    atomic_store(&w->got, c);
    atomic_store(&w->back, 1);
    if (c != 0)
        return NULL;
    while (!atomic_load(&w->go))
        sleep_ms(1);
    pool_release(w->p, c);
    return NULL;
}

/* Seconds thread `tid` has run on a CPU (the first field of its
 * schedstat), or -1. */
static double cpu_of(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    FILE *f = fopen(path, "r");
    unsigned long long on_cpu = 0;
    int got = f ? fscanf(f, "%llu", &on_cpu) : 0;
    if (f)
        fclose(f);
    return got == 1 ? (double)on_cpu * 1e-9 : -1;
}

/* Returns the user's time running or runnable over the hold, or -1 where
 * the implementation's clock readings are not counted (nothing to shift:
 * the ThreadSanitizer build). */
static double clock_step_wait(void) {
    long reads = lab_impl_clock_reads();
    if (reads < 0)
        return -1;
    pool_t *p = pool_create(1);
    int held = pool_acquire(p);
    stepper_t w = {.p = p};
    atomic_init(&w.tid, 0);
    atomic_init(&w.got, -2);
    atomic_init(&w.back, 0);
    atomic_init(&w.go, 0);
    /* The steady clocks count from boot: never shifted below 1 s, where a
     * reading would be no valid time. */
    double steady = lab_now() - 1 < STEP_S ? lab_now() - 1 : STEP_S;
    lab_clock_jump = -STEP_S;
    lab_steady_jump = steady > 0 ? -(double)(long)steady : 0;
    pthread_t t;
    lab_thread_create(&t, NULL, step_waiter, &w);
    while (atomic_load(&w.tid) == 0)
        sched_yield();
    pid_t tid = (pid_t)atomic_load(&w.tid);
    double cpu0 = -1;
    int asleep = 0;
    for (double until = lab_now() + STEP_MOST_S; lab_now() < until && asleep < 25 && !atomic_load(&w.back);) {
        if (cpu0 < 0 && lab_impl_clock_reads() > reads)
            cpu0 = cpu_of(tid);
        if (cpu0 >= 0 && cpu_of(tid) - cpu0 >= STEP_CPU_S)
            break;
        char st = lab_task_state(tid);
        asleep = st == 'S' || st == 'D' ? asleep + 1 : 0;
        nanosleep(&(struct timespec){0, 200000}, NULL);
    }
    lab_clocks_shift(0);
    (void)lab_others_asleep(STALL_S); /* a wait that took a new deadline sleeps again by now */
    double b0 = busy_of(tid);
    struct timespec ts = {0, (long)(STEP_HOLD_S * 1e9)};
    nanosleep(&ts, NULL);
    double b1 = busy_of(tid);
    if (atomic_load(&w.back))
        lab_fail("a user waiting for a full pool waits until the connection comes back, whatever the clocks do / "
                 "pool_acquire() returned %d while the driver held the only connection of a pool of 1 (the "
                 "implementation's clocks read an hour behind as the wait began, then true again)",
                 atomic_load(&w.got));
    if (b0 < 0 || b1 < 0)
        lab_fail("/proc/self/task/TID/schedstat readable / it is not: the sleep check cannot measure");
    if (b1 - b0 > IDLE_BUSY_S)
        lab_fail("a user waiting for a full pool sleeps however long it waits (running or waiting for a CPU < %.0f "
                 "ms of %.1f s) / it was for %.0f ms of them, after its clocks read an hour behind as the wait "
                 "began, then true again: a deadline that passed is waited on again (a new one is due), so the "
                 "wait spins",
                 IDLE_BUSY_S * 1e3, STEP_HOLD_S, (b1 - b0) * 1e3);
    atomic_store(&w.go, 1);
    pool_release(p, held);
    for (double since = lab_now(); !atomic_load(&w.back); sleep_ms(1))
        if (lab_now() > since + STALL_S && lab_others_asleep(0.05) && !atomic_load(&w.back))
            lab_fail("a waiting user gets the connection given back / it still waited %g s later, asleep (its "
                     "clocks had read an hour behind as its wait began)",
                     STALL_S);
    lab_thread_join(t, NULL);
    if (atomic_load(&w.got) != 0)
        lab_fail("the user of a pool of 1 gets connection 0 once it comes back / it got %d", atomic_load(&w.got));
    pool_destroy(p);
    return b1 - b0;
}

/* A pool of 1 held by the driver for 2.5 s while 3 users wait: waiting
 * must sleep, until the connection comes back however long that takes.
 * Each user is started once the ones before it sleep, so no two meet in
 * the pool's own lock on the way in. What is judged is each waiter's time
 * running or runnable (waiting for a CPU), from the scheduler's account,
 * between its call and the release, read by the driver just before it
 * gives the connection back, so the wake-up (a few ms, or many on a busy
 * machine) is not counted: a sleeping waiter has a few microseconds of it,
 * a waiter that spins has all the time it spins, idle or loaded, with or
 * without sched_yield() in the loop (a yielding spinner on a busy machine
 * gets little CPU time, so CPU time alone would let it pass); one that
 * spins 60 ms before it sleeps has 60 ms, three times the bound. A wait
 * that gives up after 2 s has returned by then: its timer was set before
 * the driver's 2.5 s began, so it fires first however late timers are. */
static void check_idle_wait(const lab_opts_t *o) {
    (void)o;
    idle_t x = {.p = pool_create(1)};
    idle_arg_t args[IDLE_USERS];
    pthread_t t[IDLE_USERS];
    atomic_init(&x.served, 0);
    atomic_init(&x.go, 0);
    int held = pool_acquire(x.p);
    if (held != 0)
        lab_fail("a new pool of 1 gives connection 0 / got %d", held);
    for (int i = 0; i < IDLE_USERS; i++) {
        atomic_init(&x.tid[i], 0);
        atomic_init(&x.got[i], -2);
        atomic_init(&x.back[i], 0);
        args[i] = (idle_arg_t){&x, i};
        lab_thread_create(&t[i], NULL, idle_waiter, &args[i]);
        while (atomic_load(&x.tid[i]) == 0) /* it has read its account */
            sched_yield();
        (void)lab_others_asleep(STALL_S); /* in its wait, or done spinning */
    }
    struct timespec ts = {(time_t)IDLE_HOLD_S, (long)((IDLE_HOLD_S - (time_t)IDLE_HOLD_S) * 1e9)};
    nanosleep(&ts, NULL);
    (void)lab_others_asleep(STALL_S); /* a waiter whose timer fired has run */
    double worst = -1;
    int worst_i = 0;
    for (int i = 0; i < IDLE_USERS; i++) {
        if (atomic_load(&x.back[i]))
            lab_fail("a user waiting for a full pool waits until the connection comes back / pool_acquire() "
                     "returned %d while the driver had held the only connection of a pool of 1 for %.1f s",
                     atomic_load(&x.got[i]), IDLE_HOLD_S);
        double b = busy_of((pid_t)atomic_load(&x.tid[i]));
        if (b < 0 || x.busy0[i] < 0)
            lab_fail("/proc/self/task/TID/schedstat readable / it is not: the sleep check cannot measure");
        if (b - x.busy0[i] > worst)
            worst = b - x.busy0[i], worst_i = i;
    }
    if (worst > IDLE_BUSY_S)
        lab_fail("a user waiting %.1f s for a full pool sleeps (running or waiting for a CPU < %.0f ms of the "
                 "wait) / user %d of %d was for %.0f ms: it spins",
                 IDLE_HOLD_S, IDLE_BUSY_S * 1e3, worst_i + 1, IDLE_USERS, worst * 1e3);
    lab_stall_t *s = lab_stall_watch(&x.served, STALL_S, STALL_REASON);
    atomic_store(&x.go, 1);
    pool_release(x.p, held);
    for (int i = 0; i < IDLE_USERS; i++)
        lab_thread_join(t[i], NULL);
    lab_stall_stop(s);
    for (int i = 0; i < IDLE_USERS; i++)
        if (atomic_load(&x.got[i]) != 0)
            lab_fail("each user of a pool of 1 gets connection 0 once it comes back / user %d got %d", i + 1,
                     atomic_load(&x.got[i]));
    pool_destroy(x.p);
    double stepped = clock_step_wait();
    char step_note[160] = "";
    if (stepped >= 0)
        snprintf(step_note, sizeof step_note,
                 "; one that began its wait with the clocks an hour behind, %.1f ms of %.1f s once they were right",
                 stepped * 1e3, STEP_HOLD_S);
    lab_pass("%d users waited %.1f s for a busy pool of 1, each then got it; the busiest ran or was runnable "
             "%.1f ms of its wait%s",
             IDLE_USERS, IDLE_HOLD_S, worst * 1e3, step_note);
}

/* A user waiting for a full pool is interrupted by signals. A handler
 * installed without SA_RESTART (sigaction's default) makes a sleeping
 * sem_wait() return -1 with EINTR, and a pool that takes that for "you are
 * in" lets the user go without a unit: it returns no connection, or one
 * that the semaphore never gave it. The waiter must stay waiting through
 * every signal and come back only with the connection given back. Each
 * signal is sent once the waiter sleeps (lab_others_asleep), so that it
 * lands in the wait itself every run, and the handler counts them. Two
 * rounds: the second proves the interrupted waits of the first left the
 * pool's count as it was. */
enum { SIGNALS = 5 };

static atomic_int signals_seen;

static void count_signal(int sig) {
    (void)sig;
    atomic_fetch_add(&signals_seen, 1); /* lock-free: safe in a handler */
}

typedef struct {
    pool_t *p;
    atomic_int got, back, go; /* its connection (-2: none yet); pool_acquire() returned; release it */
} sig_waiter_t;

static void *wait_through_signals(void *arg) {
    sig_waiter_t *w = arg;
    atomic_store(&w->got, pool_acquire(w->p));
    atomic_store(&w->back, 1);
    while (!atomic_load(&w->go))
        sleep_ms(1);
    int c = atomic_load(&w->got);
    if (c >= 0 && c < SIZE)
        pool_release(w->p, c);
    return NULL;
}

/* Two connections given back in a row while two users wait for a full
 * pool: each release must let a waiter in. A waiter is not gone the moment
 * it is woken, so a pool that wakes only on a release from full ("else no
 * one can be waiting") wakes one, and the other sleeps on with a connection
 * free, for ever once no one else comes. Both waiters are held still
 * (lab_hold_thread: napping in a signal handler, their wait then going on)
 * while the driver gives back both, so neither is back in the pool between
 * the two releases, whatever the scheduler does. */
#define NAP_MOST_S 2.0

static void two_releases(void) {
    lab_hold_install(NAP_MOST_S);
    enum { N = 2 };
    pool_t *p = pool_create(N);
    int conn[N];
    char held[N] = {0};
    take(p, N, N, conn, held, "a new pool");
    sig_waiter_t w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i].p = p;
        atomic_init(&w[i].got, -2);
        atomic_init(&w[i].back, 0);
        atomic_init(&w[i].go, 0);
        lab_thread_create(&t[i], NULL, wait_through_signals, &w[i]);
    }
    (void)lab_others_asleep(STALL_S); /* both in their wait */
    for (int i = 0; i < N; i++)
        lab_hold_thread(t[i]);
    give(p, conn[0], held);
    give(p, conn[1], held);
    if (!lab_hold_release())
        lab_fail("the driver gives back 2 connections within %g s / it did not (a machine too busy to judge)",
                 NAP_MOST_S);
    /* A waiter left asleep stays asleep: the verdict waits for 1 s and for
     * every thread to sleep, so a woken waiter merely waiting for a CPU is
     * not taken for a lost one. */
    double since = lab_now();
    for (int back = 0; back < N;) {
        int late = lab_now() > since + STALL_S && lab_others_asleep(0.05);
        back = 0;
        for (int i = 0; i < N; i++)
            back += atomic_load(&w[i].back);
        if (late && back < N)
            lab_fail("2 users waiting for a full pool of 2 both get a connection when the driver gives back 2 in "
                     "a row (the users held still meanwhile) / %d still waited %g s later, asleep with a "
                     "connection free: a release woke no one",
                     N - back, STALL_S);
        sleep_ms(1);
    }
    int a = atomic_load(&w[0].got), b = atomic_load(&w[1].got);
    if (a < 0 || a >= N || b < 0 || b >= N || a == b)
        lab_fail("2 users waiting for a pool of 2 get its 2 connections, one each / they got %d and %d", a, b);
    for (int i = 0; i < N; i++) {
        atomic_store(&w[i].go, 1);
        lab_thread_join(t[i], NULL);
    }
    pool_destroy(p);
}

static int interrupted_round(pool_t *p, int round) {
    int conn[SIZE];
    char held[SIZE] = {0};
    /* A pool that lost a unit in an interrupted wait cannot give all SIZE. */
    lab_watchdog_arm(STALL_S, "the driver takes every connection of a pool nobody else holds / an acquire "
                              "still waited (a unit lost in an earlier interrupted wait?)");
    take(p, SIZE, SIZE, conn, held, round == 1 ? "a new pool" : "after the interrupted waits");
    lab_watchdog_disarm();
    sig_waiter_t w = {.p = p};
    atomic_init(&w.got, -2);
    atomic_init(&w.back, 0);
    atomic_init(&w.go, 0);
    pthread_t t;
    lab_thread_create(&t, NULL, wait_through_signals, &w);
    /* Asleep in the wait before the first signal. A spinner never is
     * (idle-wait's business): once seen, it gets its signals 20 ms apart. */
    static int spins;
    int asleep = !spins && lab_others_asleep(STALL_S);
    spins = !asleep;
    int before = atomic_load(&signals_seen);
    for (int i = 1; i <= SIGNALS; i++) {
        int seen = atomic_load(&signals_seen);
        LAB_PTHREAD(pthread_kill(t, SIGUSR1));
        for (double until = lab_now() + STALL_S; atomic_load(&signals_seen) == seen && lab_now() < until;)
            sleep_ms(1);
        if (asleep)
            lab_others_asleep(STALL_S); /* handled, and back asleep in the wait, or returned */
        else
            sleep_ms(20);
        if (atomic_load(&w.back))
            lab_fail("a user waiting for a full pool waits until a connection is given back, signals or not / "
                     "after signal %d (a handler without SA_RESTART), pool_acquire() returned %d while the "
                     "driver held all %d connections (round %d)",
                     i, atomic_load(&w.got), SIZE, round);
    }
    int freed = conn[round % SIZE], also = -1;
    give(p, freed, held);
    /* A release that loses its wake-up (at-most's business, caught there
     * every run) would leave the user asleep here only when the timing
     * falls that way: once every thread sleeps and the user has not come
     * back, a second connection is given back, so this check's verdict is
     * about signals alone. */
    for (double until = lab_now() + STALL_S; !atomic_load(&w.back);) {
        if (also < 0 && lab_others_asleep(0.05) && !atomic_load(&w.back)) {
            also = conn[(round + 1) % SIZE];
            give(p, also, held);
        }
        if (lab_now() > until)
            lab_fail("a waiting user gets the connection given back within %g s / it was still waiting (round "
                     "%d, after %d signals%s)",
                     STALL_S, round, SIGNALS, also >= 0 ? ", and a second connection given back" : "");
        sleep_ms(1);
    }
    int got = atomic_load(&w.got);
    if (got != freed && got != also)
        lab_fail("a user interrupted by signals while it waited gets a connection given back (%d) / it got %d "
                 "(round %d)",
                 freed, got, round);
    atomic_store(&w.go, 1);
    lab_thread_join(t, NULL);
    for (int i = 0; i < SIZE; i++)
        if (held[conn[i]])
            give(p, conn[i], held);
    return atomic_load(&signals_seen) - before;
}

static void check_interrupted(const lab_opts_t *o) {
    (void)o;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a sleeping sem_wait() returns EINTR */
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        lab_pthread_die(errno, "sigaction(SIGUSR1)", __FILE__, __LINE__);
    atomic_init(&signals_seen, 0);
    pool_t *p = pool_create(SIZE);
    int delivered = interrupted_round(p, 1);
    delivered += interrupted_round(p, 2);
    pool_destroy(p);
    lab_pass("a user waited for a full pool of %d through %d signals in each of 2 rounds (%d handled), and got "
             "the connection given back",
             SIZE, SIGNALS, delivered);
}

/* A big pool, nearly all of it held by the driver: two users share the
 * two connections left, and a user that looks for a free one passes the
 * 998 held ones first. A pool that picks lock-free is then still looking
 * long after its sem_wait() returned, and finds the connection the other
 * user gives back meanwhile, before that user's sem_post(): only the pick
 * itself (its flag, its lock) can order the two users' writes through the
 * connection, and ThreadSanitizer sees it when it does not. Idle, a relaxed
 * flag is reported within some 100 requests; 2000 leave a wide margin. */
enum { BIG = 1000, LEFT = 2, BIG_USERS = 2, BIG_ROUNDS = 2000 };

typedef struct {
    pool_t *p;
    long rounds;
    atomic_int held[BIG];
    long queries[BIG]; /* plain, as in room_t */
    _Atomic long served;
    atomic_int bad_conn, twice;
} big_t;

static void big_user(const lab_worker_t *w) {
    big_t *b = w->arg;
    /* On a loaded machine every hand-over waits for a CPU: the requests
     * stop when 40% of the check's time is gone, and the verdict (a race
     * report) holds for any number of them. */
    for (long i = 0; i < b->rounds && !(i % 64 == 0 && lab_time_spent(0.4)); i++) {
        int c = pool_acquire(b->p);
        if (c < 0 || c >= BIG) {
            atomic_store(&b->bad_conn, c == 0 ? -1 : c);
            return;
        }
        if (atomic_exchange(&b->held[c], 1) != 0)
            atomic_fetch_add(&b->twice, 1);
        atomic_store(&b->held[c], 0);
        b->queries[c]++; /* after the driver's atomics: only the pool orders it */
        pool_release(b->p, c);
        atomic_fetch_add_explicit(&b->served, 1, memory_order_relaxed);
    }
}

/* Returns the requests served. */
static long big_pool(void) {
    static big_t b; /* 12 kB: off the stack */
    memset(&b, 0, sizeof b);
    b.p = pool_create(BIG);
    b.rounds = BIG_ROUNDS;
    int mine[BIG - LEFT];
    char held[BIG] = {0};
    take(b.p, BIG, BIG - LEFT, mine, held, "a new pool");
    for (int i = 0; i < BIG - LEFT; i++)
        atomic_store(&b.held[mine[i]], 1);
    lab_stall_t *s = lab_stall_watch(&b.served, STALL_S, STALL_REASON);
    lab_threads_run(BIG_USERS, big_user, &b);
    lab_stall_stop(s);
    if (atomic_load(&b.bad_conn) != 0)
        lab_fail("connection numbers 0..%d / got %d", BIG - 1, atomic_load(&b.bad_conn));
    if (atomic_load(&b.twice) != 0)
        lab_fail("no connection held by two users at once (%d of a pool of %d held by the driver) / it "
                 "happened %d times",
                 BIG - LEFT, BIG, atomic_load(&b.twice));
    for (int i = 0; i < BIG - LEFT; i++)
        pool_release(b.p, mine[i]);
    pool_destroy(b.p);
    return atomic_load(&b.served);
}

/* Unpaused, for the ThreadSanitizer build: the big pool first (it has the
 * check's time to itself), then the two pools of 3. */
static void check_race_free(const lab_opts_t *o) {
    long served = big_pool();
    room_t r;
    int users = lab_opt_threads(o, 8);
    crowd(&r, users, lab_opt_iters(o, 2000));
    crowd_end(&r);
    lab_pass("%d users x %d requests%s on the 2 free connections of a pool of %d, then %d users x %ld on 2 "
             "pools of %d: all served",
             BIG_USERS, BIG_ROUNDS, lab_cut_note(served, (long)BIG_USERS * BIG_ROUNDS), BIG, users, r.rounds,
             SIZE);
}

static const lab_check_t checks[] = {
    {"single", "one user, pools of 1, 3, 40, 100 and 1000: distinct connections, taken and given back",
     check_single, LAB_PAUSE_OFF},
    {"at-most", "2 pools of 3, 10 users x 200 requests on each: at most 3 inside a pool; then lines of waiters "
     "(unperturbed): 2 pools' at once, 100 on one", check_at_most, LAB_PAUSE_RANDOM},
    {"no-double", "2 pools of 3, 10 users x 200 requests on each: no connection held twice", check_no_double,
     LAB_PAUSE_RANDOM},
    {"idle-wait", "users waiting 2.5 s for a full pool sleep instead of spinning, and get it", check_idle_wait,
     LAB_PAUSE_OFF},
    {"interrupted", "a user waiting for a full pool keeps waiting through signals (no SA_RESTART)",
     check_interrupted, LAB_PAUSE_OFF},
    {"race-free", "for the ThreadSanitizer build: a pool of 1000 with 998 held, then 2 pools of 3",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
