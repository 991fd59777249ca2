/* Lab 05, reentrant lock: the torture driver. One check per run. An owner
 * that blocks on its own lock is a deadlock; the checks that can meet one
 * fail within 1 s with that reason, never wait it out.
 *
 *   $ build/labs/05-reentrant-lock/broken/test nested
 *   FAIL: check finishes within 1 s / deadlock: the owner blocked on its own lock (acquire at depth 2) (check nested, seed 5)
 *   $ build/labs/05-reentrant-lock/fixed/test non-owner
 *   ok: non-owner: 4 strangers' releases got EPERM on a free lock and at every depth 1..4; the owner kept it
 */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "lab.h"
#include "rlock.h"

#define HANG_S 1.0
#define SELF_DEADLOCK "deadlock: the owner blocked on its own lock (acquire at depth 2)"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    rlock_t *l = rlock_create();
    for (int i = 0; i < 1000; i++) {
        rlock_acquire(l);
        LAB_EXPECT_EQ(0, rlock_release(l), "release after one acquire");
    }
    rlock_destroy(l);
    lab_pass("one thread: 1000 acquire/release pairs at depth 1");
}

static void check_nested(const lab_opts_t *o) {
    int depth = (int)lab_opt_iters(o, 100);
    rlock_t *l = rlock_create();
    lab_watchdog_arm(HANG_S, SELF_DEADLOCK);
    for (int d = 0; d < depth; d++)
        rlock_acquire(l);
    for (int d = depth; d > 0; d--)
        if (rlock_release(l) != 0)
            lab_fail("%d releases after %d acquires return 0 / release %d returned an error", depth, depth,
                     depth - d + 1);
    rlock_acquire(l); /* free again after the last release */
    LAB_EXPECT_EQ(0, rlock_release(l), "release after the nest was unwound");
    lab_watchdog_disarm();
    rlock_destroy(l);
    lab_pass("acquired to depth %d by its owner, released as many times, free again", depth);
}

typedef struct {
    rlock_t *l;
    long rounds;
    int max_depth;      /* sections nest 1 .. max_depth deep */
    long counter;       /* plain: only the lock protects it */
    atomic_int inside;  /* threads between acquire and release */
    atomic_int overlap; /* times two were inside at once */
    _Atomic long progress;
    _Atomic long done; /* sections, all threads: fewer than asked when time ran short */
} excl_t;

static void nester(const lab_worker_t *w) {
    excl_t *e = w->arg;
    /* On a machine busy with other work the hand-overs can take 100 times
     * as long as idle: the sections stop when 40% of the check's time is
     * gone, and the verdict holds for any number of them. */
    long i = 0;
    for (; i < e->rounds && !(i % 16 == 0 && lab_time_spent(0.4)); i++) {
        int depth = 1 + (int)((i + w->index) % e->max_depth);
        for (int d = 0; d < depth; d++)
            rlock_acquire(e->l);
        if (atomic_fetch_add(&e->inside, 1) != 0)
            atomic_fetch_add(&e->overlap, 1);
        long v = e->counter;
        lab_pause();
        e->counter = v + 1;
        atomic_fetch_sub(&e->inside, 1);
        for (int d = 0; d < depth; d++)
            rlock_release(e->l);
        atomic_fetch_add_explicit(&e->progress, 1, memory_order_relaxed);
    }
    atomic_fetch_add(&e->done, i);
}

static void check_exclusion(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    excl_t e = {.l = rlock_create(), .rounds = lab_opt_iters(o, 2000), .max_depth = 3};
    atomic_init(&e.inside, 0);
    atomic_init(&e.overlap, 0);
    atomic_init(&e.progress, 0);
    atomic_init(&e.done, 0);
    lab_stall_t *s = lab_stall_watch(&e.progress, HANG_S, "deadlock: no thread got through the lock in 1 s");
    lab_threads_run(threads, nester, &e);
    lab_stall_stop(s);
    long want = atomic_load(&e.done);
    if (e.counter != want || atomic_load(&e.overlap) != 0)
        lab_fail("%d threads x %ld nested sections: counter %ld, never two inside / counter %ld, two inside "
                 "%d times",
                 threads, e.rounds, want, e.counter, atomic_load(&e.overlap));
    rlock_destroy(e.l);
    lab_pass("%d threads x %ld sections%s nested 1-3 deep: one inside at a time, counter exact", threads,
             e.rounds, lab_cut_note(want, threads * e.rounds));
}

typedef struct {
    rlock_t *l;
    int rc;
    atomic_int in; /* the waiter got the lock */
} peer_t;

static void *try_release(void *p) {
    peer_t *x = p;
    x->rc = rlock_release(x->l);
    return NULL;
}

static void *taker(void *p) {
    peer_t *x = p;
    rlock_acquire(x->l);
    atomic_store(&x->in, 1);
    rlock_release(x->l);
    return NULL;
}

/* The waiter must still be outside after 100 ms, and inside within 1 s of the
 * last release. */
static void expect_waiting(peer_t *x, const char *when) {
    sleep_ms(100);
    if (atomic_load(&x->in))
        lab_fail("another thread waits while the owner holds the lock / it got in %s", when);
}

/* Strangers (threads that never acquired the lock) try to release it, all
 * at once; each must get EPERM. Returns how many did not. */
enum { STRANGERS = 4, NON_OWNER_DEPTH = 4 };

static int strangers_refused(rlock_t *l, int rc[STRANGERS]) {
    peer_t x[STRANGERS];
    pthread_t t[STRANGERS];
    for (int i = 0; i < STRANGERS; i++) {
        x[i] = (peer_t){.l = l, .rc = -1};
        lab_thread_create(&t[i], NULL, try_release, &x[i]);
    }
    int wrong = 0;
    for (int i = 0; i < STRANGERS; i++) {
        lab_thread_join(t[i], NULL);
        rc[i] = x[i].rc;
        wrong += rc[i] != EPERM;
    }
    return wrong;
}

/* A refused release changes nothing, at whatever depth the owner holds the
 * lock: a lock that checks its owner only on the last release (or not at
 * all) lets a stranger unwind the owner's nest, and the owner's own releases
 * then come out one short. Judged by return codes, not by timing. */
static void check_non_owner(const lab_opts_t *o) {
    (void)o;
    peer_t x = {.l = rlock_create()};
    atomic_init(&x.in, 0);
    int rc[STRANGERS];
    if (strangers_refused(x.l, rc))
        lab_fail("a release of a lock nobody holds returns EPERM (%d) / it returned %d", EPERM, rc[0]);
    lab_watchdog_arm(HANG_S, SELF_DEADLOCK);
    for (int d = 1; d <= NON_OWNER_DEPTH; d++) {
        rlock_acquire(x.l);
        int wrong = strangers_refused(x.l, rc);
        for (int i = 0; i < STRANGERS && wrong; i++)
            if (rc[i] != EPERM)
                lab_fail("a release by a thread that does not hold the lock returns EPERM (%d) at any depth / "
                         "%d of %d strangers got %d with the owner at depth %d",
                         EPERM, wrong, STRANGERS, rc[i], d);
    }
    lab_watchdog_disarm();
    pthread_t u;
    lab_thread_create(&u, NULL, taker, &x);
    for (int d = NON_OWNER_DEPTH; d > 1; d--) {
        LAB_EXPECT_EQ(0, rlock_release(x.l), "the owner's release after strangers were refused");
        if (strangers_refused(x.l, rc))
            lab_fail("a release by a thread that does not hold the lock returns EPERM (%d) at any depth / a "
                     "stranger got %d with the owner at depth %d",
                     EPERM, rc[0] != EPERM ? rc[0] : rc[STRANGERS - 1], d - 1);
    }
    if (atomic_load(&x.in))
        lab_fail("another thread waits while the owner holds the lock / it got in after strangers' releases");
    lab_watchdog_arm(HANG_S, "the waiter never got the lock after the owner released it");
    LAB_EXPECT_EQ(0, rlock_release(x.l), "the owner's last release");
    lab_thread_join(u, NULL);
    lab_watchdog_disarm();
    rlock_destroy(x.l);
    lab_pass("%d strangers' releases got EPERM on a free lock and at every depth 1..%d; the owner kept it",
             STRANGERS, NON_OWNER_DEPTH);
}

static void check_handoff(const lab_opts_t *o) {
    (void)o;
    peer_t x = {.l = rlock_create()};
    atomic_init(&x.in, 0);
    lab_watchdog_arm(HANG_S, SELF_DEADLOCK);
    for (int d = 0; d < 3; d++)
        rlock_acquire(x.l);
    lab_watchdog_disarm();
    pthread_t u;
    lab_thread_create(&u, NULL, taker, &x);
    rlock_release(x.l);
    rlock_release(x.l);
    expect_waiting(&x, "while the owner still held it once (3 acquires, 2 releases)");
    lab_watchdog_arm(HANG_S, "the waiter never got the lock after the owner's last release");
    LAB_EXPECT_EQ(0, rlock_release(x.l), "the owner's third release");
    lab_thread_join(u, NULL);
    lab_watchdog_disarm();
    rlock_destroy(x.l);
    lab_pass("3 acquires: the lock stays held after 2 releases and passes on after the third");
}

/* Short, unpaused, depth 1, for the ThreadSanitizer build. */
static void check_race_free(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    excl_t e = {.l = rlock_create(), .rounds = lab_opt_iters(o, 500), .max_depth = 1};
    atomic_init(&e.inside, 0);
    atomic_init(&e.overlap, 0);
    atomic_init(&e.progress, 0);
    lab_threads_run(threads, nester, &e);
    LAB_EXPECT_EQ(threads * e.rounds, e.counter, "sections completed");
    rlock_destroy(e.l);
    lab_pass("%d threads through the lock: counter exact", threads);
}

static const lab_check_t checks[] = {
    {"single", "one thread: acquire/release pairs at depth 1", check_single, LAB_PAUSE_OFF},
    {"nested", "the owner acquires to depth 100, then releases 100 times", check_nested, LAB_PAUSE_OFF},
    {"exclusion", "4 threads x 2000 sections nested 1-3 deep: one inside at a time", check_exclusion,
     LAB_PAUSE_YIELD},
    {"non-owner", "4 strangers' releases get EPERM on a free lock and at every depth 1..4", check_non_owner,
     LAB_PAUSE_OFF},
    {"handoff", "the lock passes on only after the owner's last release", check_handoff, LAB_PAUSE_OFF},
    {"race-free", "short concurrent run for the ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
