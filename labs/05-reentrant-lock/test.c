/* Lab 05, reentrant lock: the torture driver. One check per run. An owner
 * that blocks on its own lock is a deadlock; the checks that can meet one
 * fail within 1 s with that reason, never wait it out.
 *
 *   $ build/labs/05-reentrant-lock/broken/test nested
 *   FAIL: check finishes within 1 s / deadlock: the owner blocked on its own lock (acquire at depth 2) (check nested, seed 5)
 *   $ build/labs/05-reentrant-lock/fixed/test non-owner
 *   ok: non-owner: 4 strangers' releases got EPERM on a free lock and at every depth 1..4; the owner kept it; former owners got EPERM too, after nests of 1..4 and while another thread held the lock
 *   $ build/labs/05-reentrant-lock/fixed/test several
 *   ok: several: 8 scripts of 2 or 3 locks held at once by one or two threads: every release by an owner 0, by anyone else EPERM, each lock free for others after its own last release and not before
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
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

/* "To any depth": 100 000 deep, past what a count in 8 or 16 bits holds
 * (65 535), and not a multiple of 2^8 or 2^16, so a count that wraps comes
 * back short and one of the owner's releases finds the lock no longer its
 * own. Still milliseconds: the owner's acquires and releases wait for no
 * one. */
static void check_nested(const lab_opts_t *o) {
    int depth = (int)lab_opt_iters(o, 100000);
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

/* Former owners: a thread that gave the lock back as often as it took it
 * holds it no more, and its next release is refused, however deep its nest
 * was, with the lock free or held by another thread. A lock that only asks
 * "was the last owner me?" and leaves the owner in place accepts it. */
static const char *const former_scripts[] = {
    "0A0a",
    "0A0A0a0a",
    "0A0A0A0a0a0a",
    "0A0A0A0A0a0a0a0a",
    "0A0a1A1A1A1a1a1a0A0a", /* T1 asked while T2 holds it 1..3 deep; then T2 once free */
};

enum { SCRIPT_FREED, SCRIPT_REFUSED, SCRIPT_WAITERS };
static void run_script(const char *script, int mode);

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
    for (int d = 1; d <= NON_OWNER_DEPTH; d++) {
        /* The watchdog covers the owner's acquire only: starting and
         * joining the strangers can take longer than HANG_S on a loaded
         * machine. */
        lab_watchdog_arm(HANG_S, SELF_DEADLOCK);
        rlock_acquire(x.l);
        lab_watchdog_disarm();
        int wrong = strangers_refused(x.l, rc);
        for (int i = 0; i < STRANGERS && wrong; i++)
            if (rc[i] != EPERM)
                lab_fail("a release by a thread that does not hold the lock returns EPERM (%d) at any depth / "
                         "%d of %d strangers got %d with the owner at depth %d",
                         EPERM, wrong, STRANGERS, rc[i], d);
    }
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
    int n = (int)(sizeof former_scripts / sizeof former_scripts[0]);
    for (int i = 0; i < n; i++)
        run_script(former_scripts[i], SCRIPT_REFUSED);
    lab_pass("%d strangers' releases got EPERM on a free lock and at every depth 1..%d; the owner kept it; "
             "former owners got EPERM too, after nests of 1..%d and while another thread held the lock",
             STRANGERS, NON_OWNER_DEPTH, NON_OWNER_DEPTH);
}

/* ---- scripts: locks taken and given back by named threads, in order -----
 * A script is a string of steps, two characters each: the thread (0 or 1,
 * an "agent" that does what the driver tells it) and the lock, upper case
 * to acquire it, lower case to release it: "0A0B0b0a" is thread 0 taking A,
 * then B, then giving back B, then A (messages call the threads T1, T2).
 * The driver keeps its own account of who holds which lock at what depth,
 * never asks the lock, and after every step checks what that account says
 * must be so. */
enum { AGENTS = 2, MAX_LOCKS = 3, CMD_NONE = 0, CMD_ACQUIRE, CMD_RELEASE, CMD_QUIT };

typedef struct {
    pthread_t t;
    pthread_mutex_t m;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int cmd, rc, done;
    rlock_t *l;
} agent_t;

static void *agent_main(void *p) {
    agent_t *a = p;
    lab_mutex_lock(&a->m);
    for (;;) {
        while (a->cmd == CMD_NONE)
            lab_cond_wait(&a->cv, &a->m);
        int cmd = a->cmd;
        if (cmd == CMD_QUIT)
            break;
        lab_mutex_unlock(&a->m);
        int rc = 0;
        if (cmd == CMD_ACQUIRE)
            rlock_acquire(a->l);
        else
            rc = rlock_release(a->l);
        lab_mutex_lock(&a->m);
        a->rc = rc;
        a->cmd = CMD_NONE;
        a->done = 1;
        lab_cond_broadcast(&a->cv);
    }
    lab_mutex_unlock(&a->m);
    return NULL;
}

static void agent_start(agent_t *a) {
    pthread_condattr_t ca;
    LAB_PTHREAD(pthread_condattr_init(&ca));
    LAB_PTHREAD(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    lab_mutex_init(&a->m, NULL);
    lab_cond_init(&a->cv, &ca);
    LAB_PTHREAD(pthread_condattr_destroy(&ca));
    a->cmd = CMD_NONE;
    lab_thread_create(&a->t, NULL, agent_main, a);
}

/* The agent does `cmd` on `l`: 1 and its result in *rc when it finished
 * within HANG_S, 0 when it is still blocked. */
static int agent_do(agent_t *a, int cmd, rlock_t *l, int *rc) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)HANG_S;
    lab_mutex_lock(&a->m);
    a->cmd = cmd;
    a->l = l;
    a->done = 0;
    lab_cond_broadcast(&a->cv);
    while (!a->done) {
        int r = pthread_cond_timedwait(&a->cv, &a->m, &until);
        if (r == ETIMEDOUT)
            break;
        if (r != 0)
            lab_pthread_die(r, "pthread_cond_timedwait(&a->cv, &a->m, &until)", __FILE__, __LINE__);
    }
    int done = a->done;
    *rc = a->rc;
    lab_mutex_unlock(&a->m);
    return done;
}

static void agent_stop(agent_t *a) {
    lab_mutex_lock(&a->m);
    a->cmd = CMD_QUIT;
    lab_cond_broadcast(&a->cv);
    lab_mutex_unlock(&a->m);
    lab_thread_join(a->t, NULL);
    lab_cond_destroy(&a->cv);
    lab_mutex_destroy(&a->m);
}

/* Waits up to HANG_S for a taker to get in; `why` fails the check. */
static void expect_in(peer_t *x, const char *why) {
    for (double until = lab_now() + HANG_S; !atomic_load(&x->in);) {
        if (lab_now() > until)
            lab_fail("%s", why);
        sleep_ms(1);
    }
}

/* Another thread (not an agent) takes the lock and gives it back. */
static void must_get(rlock_t *l, const char *why) {
    peer_t x = {.l = l};
    atomic_init(&x.in, 0);
    pthread_t t;
    lab_thread_create(&t, NULL, taker, &x);
    expect_in(&x, why);
    lab_thread_join(t, NULL);
}

/* The first n steps of a script, as words: "T1 acquire A, T1 release A". */
static const char *steps_text(const char *script, int n) {
    static char text[256];
    size_t len = 0;
    text[0] = '\0';
    for (int k = 0; k < n; k++) {
        char lock = script[2 * k + 1];
        int up = lock >= 'A' && lock <= 'Z';
        int w = snprintf(text + len, sizeof text - len, "%sT%d %s %c", k ? ", " : "", script[2 * k] - '0' + 1,
                         up ? "acquire" : "release", up ? lock : lock - 'a' + 'A');
        if (w < 0 || (size_t)w >= sizeof text - len)
            break; /* cut short */
        len += (size_t)w;
    }
    return text;
}

/* Runs one script on fresh locks, in one of three ways:
 *   SCRIPT_FREED   after each step that gives a lock back as often as it was
 *                  taken, a thread that never held it must get it within
 *                  HANG_S; then, after every step, each agent that does not
 *                  hold a lock by the driver's account releases it and must
 *                  get EPERM, and the owner gets 0 from each of its releases;
 *   SCRIPT_REFUSED the same, but the refused releases come first, before
 *                  any other thread touches the lock: a thread that gave it
 *                  back (a former owner) is asked while it was the last to
 *                  hold it;
 *   SCRIPT_WAITERS a thread waits for each lock from its first acquire on,
 *                  and must stay out until the step that gives it back for
 *                  the last time (checked once every thread sleeps, before
 *                  that step), then get in within HANG_S. */
static void run_script(const char *script, int mode) {
    int steps = (int)strlen(script) / 2;
    rlock_t *l[MAX_LOCKS];
    int owner[MAX_LOCKS], depth[MAX_LOCKS], waiting[MAX_LOCKS];
    peer_t wait[MAX_LOCKS];
    pthread_t waiter[MAX_LOCKS];
    for (int k = 0; k < MAX_LOCKS; k++) {
        l[k] = rlock_create();
        owner[k] = -1;
        depth[k] = waiting[k] = 0;
    }
    agent_t a[AGENTS];
    for (int i = 0; i < AGENTS; i++)
        agent_start(&a[i]);
    char why[512];
    for (int s = 0; s < steps; s++) {
        int who = script[2 * s] - '0', up = script[2 * s + 1] >= 'A' && script[2 * s + 1] <= 'Z';
        int k = up ? script[2 * s + 1] - 'A' : script[2 * s + 1] - 'a';
        char name = (char)('A' + k);
        int rc, freed = 0;
        if (up) {
            if (!agent_do(&a[who], CMD_ACQUIRE, l[k], &rc))
                lab_fail("a thread takes a lock that is free or its own within %g s / T%d blocked taking %c, "
                         "after: %s",
                         HANG_S, who + 1, name, steps_text(script, s));
            owner[k] = who;
            depth[k]++;
            if (mode == SCRIPT_WAITERS && !waiting[k]) {
                wait[k] = (peer_t){.l = l[k]};
                atomic_init(&wait[k].in, 0);
                lab_thread_create(&waiter[k], NULL, taker, &wait[k]);
                waiting[k] = 1;
            }
        } else {
            if (mode == SCRIPT_WAITERS && depth[k] == 1) {
                lab_others_asleep(0.1); /* every waiter that could get in, has */
                for (int j = 0; j < MAX_LOCKS; j++)
                    if (waiting[j] && atomic_load(&wait[j].in))
                        lab_fail("another thread waits while a lock is held, each lock on its own / it got %c "
                                 "while T%d held it at depth %d, after: %s",
                                 'A' + j, owner[j] + 1, depth[j], steps_text(script, s));
            }
            if (!agent_do(&a[who], CMD_RELEASE, l[k], &rc))
                lab_fail("a release returns within %g s / T%d's release of %c blocked, after: %s", HANG_S,
                         who + 1, name, steps_text(script, s));
            if (rc != 0)
                lab_fail("each release by the owner returns 0, for every lock it holds / T%d's release of %c "
                         "(held at depth %d) returned %d, after: %s",
                         who + 1, name, depth[k], rc, steps_text(script, s));
            freed = --depth[k] == 0;
            if (freed) {
                owner[k] = -1;
                snprintf(why, sizeof why,
                         "another thread gets %c within %g s of its owner's last release (as many as its "
                         "acquires) / it is still held, after: %s",
                         name, HANG_S, steps_text(script, s + 1));
            }
        }
        if (mode == SCRIPT_WAITERS) {
            if (freed) {
                expect_in(&wait[k], why);
                lab_thread_join(waiter[k], NULL);
                waiting[k] = 0;
            }
            continue;
        }
        if (freed && mode == SCRIPT_FREED)
            must_get(l[k], why);
        /* Every release by a thread that does not hold a lock is refused. */
        for (int j = 0; j < MAX_LOCKS; j++)
            for (int i = 0; i < AGENTS; i++) {
                if (owner[j] == i)
                    continue;
                if (!agent_do(&a[i], CMD_RELEASE, l[j], &rc))
                    lab_fail("a release returns within %g s / T%d's release of %c blocked, after: %s", HANG_S,
                             i + 1, 'A' + j, steps_text(script, s + 1));
                if (rc != EPERM) {
                    char held[64];
                    if (owner[j] < 0)
                        snprintf(held, sizeof held, "nobody held it");
                    else
                        snprintf(held, sizeof held, "T%d held it at depth %d", owner[j] + 1, depth[j]);
                    lab_fail("a release by a thread that does not hold the lock returns EPERM (%d) / T%d's "
                             "release of %c returned %d when %s, after: %s",
                             EPERM, i + 1, 'A' + j, rc, held, steps_text(script, s + 1));
                }
            }
        if (freed && mode == SCRIPT_REFUSED)
            must_get(l[k], why);
    }
    for (int i = 0; i < AGENTS; i++)
        agent_stop(&a[i]);
    for (int k = 0; k < MAX_LOCKS; k++)
        rlock_destroy(l[k]);
}

/* One thread, several locks held at once and nested in different orders,
 * then two threads each holding its own: a depth (or an owner) kept per
 * thread, or in one variable for all locks, instead of in each lock, loses
 * count of one lock while another is taken or given back. */
static const char *const several_scripts[] = {
    "0A0B0b0a",             /* take A, take B, release B, release A */
    "0A0B0a0b",             /* released in the order taken */
    "0A0B0A0a0b0a",         /* A again over B */
    "0A0A0B0B0a0b0a0b",     /* two deep each, interleaved */
    "0A0B0C0B0A0c0a0b0b0a", /* three locks */
    "0C0A0B0C0c0c0A0b0a0a", /* C over A and B, then A again */
    "0A1B0A1B1C0a1b1c1b0a", /* two threads, each nesting its own */
    "0A1B0a1A1b0B1a0b",     /* the two swap locks */
};

/* "Several" has no bound: one thread holds MANY_HELD locks at once, past
 * any small table of held locks a design might keep per thread (8, 16,
 * 32), each taken twice, and the last taken first given back (so a table
 * that fills up, or one that loses track of the earlier entries, shows).
 * A stranger's release of each must get EPERM, the owner's own two of each
 * 0, and then each lock must be got by another thread within 1 s. */
enum { MANY_HELD = 40 };

static void many_held(void) {
    rlock_t *l[MANY_HELD];
    lab_watchdog_arm(HANG_S, "deadlock: one thread taking 40 locks, each twice, blocked on one it holds");
    for (int i = 0; i < MANY_HELD; i++)
        l[i] = rlock_create();
    for (int i = 0; i < MANY_HELD; i++)
        rlock_acquire(l[i]);
    for (int i = 0; i < MANY_HELD; i++)
        rlock_acquire(l[i]);
    lab_watchdog_disarm();
    for (int i = 0; i < MANY_HELD; i++) {
        peer_t x = {.l = l[i]};
        pthread_t t;
        lab_thread_create(&t, NULL, try_release, &x);
        lab_thread_join(t, NULL);
        if (x.rc != EPERM)
            lab_fail("a stranger's release of lock %d of %d held at once by one thread returns EPERM / it "
                     "returned %d",
                     i + 1, MANY_HELD, x.rc);
    }
    for (int i = MANY_HELD - 1; i >= 0; i--)
        for (int k = 0; k < 2; k++)
            if (rlock_release(l[i]) != 0)
                lab_fail("the owner of %d locks, each taken twice, releases each twice with 0 / release %d of "
                         "lock %d returned an error",
                         MANY_HELD, k + 1, i + 1);
    for (int i = 0; i < MANY_HELD; i++) {
        must_get(l[i], "a lock one thread held among 40 at once is free for another after its owner's last "
                       "release / the other thread never got it");
        rlock_destroy(l[i]);
    }
}

static void check_several(const lab_opts_t *o) {
    (void)o;
    int n = (int)(sizeof several_scripts / sizeof several_scripts[0]);
    for (int i = 0; i < n; i++) {
        run_script(several_scripts[i], SCRIPT_FREED);
        run_script(several_scripts[i], SCRIPT_WAITERS);
    }
    many_held();
    lab_pass("%d scripts of 2 or 3 locks held at once by one or two threads: every release by an owner 0, by "
             "anyone else EPERM, each lock free for others after its own last release and not before; one "
             "thread holding %d locks at once, each twice, too",
             n, MANY_HELD);
}

/* The waiter must keep waiting whatever happens to it meanwhile, and the
 * verdict waits until it has done what it was going to (it sleeps again,
 * or it got in and left): a waiter that walked in but had not run yet
 * would go unseen. */
static void expect_still_out(peer_t *x, const char *when) {
    (void)lab_others_asleep(2.0);
    if (atomic_load(&x->in))
        lab_fail("another thread waits while the owner holds the lock / it got in %s", when);
}

/* A waiter is woken by every last release, also one that comes while it is
 * on its way to sleep. WAKE_ROUNDS rounds, with the implementation's own
 * code perturbed: the driver holds the lock, a second thread asks for it,
 * and once it has asked the driver lets go after a short spin of a length
 * drawn from the seed, so that the release falls at every point of the
 * waiter's way in: before it looks, between its look and its sleep (where
 * a wake-up sent without the mutex the waiter looked under reaches nobody,
 * and the perturbing build stretches that gap), and once it sleeps. No
 * other release follows, so a lost wake-up is for good: the round fails
 * once the waiter has slept a whole second after the release (asleep in
 * the kernel and not run once since: /proc/self/task/T/schedstat), not
 * merely once a second has gone by (a waiter that was woken but waits for
 * a CPU on a loaded machine is runnable, not asleep). The driver takes the
 * lock again only once the waiter has given it back, so it never waits for
 * it itself. A wake-up sent without the mutex is lost within a few dozen
 * rounds (15 on average, idle or loaded); each round is 0.1 ms idle, a few
 * ms loaded, and the rounds stop after WAKE_MOST_S. */
#define WAKE_ROUNDS 400
#define WAKE_MOST_S 2.5 /* idle, 400 rounds take 0.05 s; loaded, 1.5 to 2 */
#define WAKE_SPIN 4000

typedef struct {
    rlock_t *l;
    pthread_mutex_t m; /* the driver's own, for the two threads' turns */
    pthread_cond_t cv;
    int round, released, stop, driver_asleep;
    atomic_int asked, got, tid;
} wake_t;

static void *wake_waiter(void *p) {
    wake_t *w = p;
    atomic_store(&w->tid, lab_tid());
    for (int r = 1;; r++) {
        lab_mutex_lock(&w->m);
        while (w->round < r && !w->stop)
            lab_cond_wait(&w->cv, &w->m);
        int go = w->round >= r;
        atomic_store(&w->asked, r);
        if (w->driver_asleep)
            lab_cond_broadcast(&w->cv);
        lab_mutex_unlock(&w->m);
        if (!go)
            return NULL;
        rlock_acquire(w->l);
        atomic_store(&w->got, r);
        int rc = rlock_release(w->l);
        lab_mutex_lock(&w->m);
        w->released = rc == 0 ? r : -r;
        lab_cond_broadcast(&w->cv);
        lab_mutex_unlock(&w->m);
    }
}

/* Times thread `tid` has been put on a CPU (schedstat's third field), -1
 * when it cannot be read. */
static long task_runs(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/schedstat", (long)tid);
    FILE *f = fopen(path, "r");
    unsigned long long on, wait, runs;
    int n = f ? fscanf(f, "%llu %llu %llu", &on, &wait, &runs) : 0;
    if (f)
        fclose(f);
    return n == 3 ? (long)runs : -1;
}

static int wake_rounds(void) {
    wake_t w = {.l = rlock_create()};
    lab_mutex_init(&w.m, NULL);
    lab_cond_init(&w.cv, NULL);
    atomic_init(&w.asked, 0);
    atomic_init(&w.got, 0);
    atomic_init(&w.tid, 0);
    uint64_t rng = lab_seed_for(77);
    int rounds = WAKE_ROUNDS;
    pthread_t t;
    lab_thread_create(&t, NULL, wake_waiter, &w);
    while (atomic_load(&w.tid) == 0)
        sched_yield();
    pid_t tid = atomic_load(&w.tid);
    lab_perturb_on = 1;
    double t0 = lab_now();
    int r = 1;
    for (; r <= rounds && lab_now() - t0 < WAKE_MOST_S; r++) {
        rlock_acquire(w.l);
        lab_mutex_lock(&w.m);
        w.round = r;
        lab_cond_broadcast(&w.cv);
        lab_mutex_unlock(&w.m);
        /* Watched closely, so that the release can come while the waiter is
         * still on its way; on a busy machine, asleep. */
        for (int k = 0; k < 20000 && atomic_load(&w.asked) < r; k++) {
        }
        lab_mutex_lock(&w.m);
        w.driver_asleep = 1;
        while (atomic_load(&w.asked) < r)
            lab_cond_wait(&w.cv, &w.m);
        w.driver_asleep = 0;
        lab_mutex_unlock(&w.m);
        for (volatile unsigned k = 0, n = (unsigned)(lab_rand_next(&rng) % WAKE_SPIN); k < n; k++) {
        }
        if (rlock_release(w.l) != 0)
            lab_fail("the owner's release returns 0 / round %d: it returned an error", r);
        long runs = -1;
        double asleep_since = 0;
        struct timespec ms = {0, 1000000};
        for (int k = 0; k < 200 && atomic_load(&w.got) != r; k++)
            sched_yield(); /* most rounds end here, idle or loaded */
        while (atomic_load(&w.got) != r) {
            char st = lab_task_state(tid);
            long now = task_runs(tid);
            if ((st == 'S' || st == 'D') && now >= 0 && now == runs) {
                if (lab_now() - asleep_since >= HANG_S)
                    lab_fail("a thread waiting for the lock gets it once the owner's last release has made it free / "
                             "round %d of %d: still asleep %.0f s after that release, not woken (a lost wake-up)",
                             r, rounds, HANG_S);
            } else {
                runs = now;
                asleep_since = lab_now();
            }
            nanosleep(&ms, NULL);
        }
        /* The waiter gives it back before the driver takes it again, so the
         * driver never waits for it itself. */
        lab_mutex_lock(&w.m);
        while (w.released != r && w.released != -r)
            lab_cond_wait(&w.cv, &w.m);
        lab_mutex_unlock(&w.m);
        if (w.released != r)
            lab_fail("the waiter's release after it got the lock returns 0 / round %d: it returned an error", r);
    }
    lab_perturb_on = 0;
    lab_mutex_lock(&w.m);
    w.stop = 1;
    lab_cond_broadcast(&w.cv);
    lab_mutex_unlock(&w.m);
    lab_thread_join(t, NULL);
    lab_mutex_destroy(&w.m);
    lab_cond_destroy(&w.cv);
    rlock_destroy(w.l);
    return r - 1;
}

/* A held lock, 3 deep then 1 deep, and a waiter that must stay out until
 * the last release, through three things a lock meets in a real program:
 * - the wall clock stepped while it waits: the implementation sees the
 *   wall clock a day behind (lab_clock_jump) from before the waiter comes,
 *   so a wait that gives up at a deadline on CLOCK_REALTIME, any number of
 *   seconds ahead, finds it long past at once;
 * - signals whose handler was installed without SA_RESTART (sigaction's
 *   default, as a timer or SIGCHLD handler in the program around it): a
 *   sleeping sem_wait() returns EINTR whatever the flags, and a waiter that
 *   ignores it walks in;
 * - a long hold: the owner keeps the lock HOLD_MS (a sleep, which can only
 *   last longer), so a waiter that gives up after less than that on a
 *   clock the jump does not move (CLOCK_MONOTONIC) walks in too. */
#define HOLD_MS 2500
enum { SIGNALS = 3 };

static void check_handoff(const lab_opts_t *o) {
    (void)o;
    int woken = wake_rounds();
    lab_interrupts_install(NULL, NULL); /* no SA_RESTART */
    peer_t x = {.l = rlock_create()};
    atomic_init(&x.in, 0);
    lab_watchdog_arm(HANG_S, SELF_DEADLOCK);
    for (int d = 0; d < 3; d++)
        rlock_acquire(x.l);
    lab_watchdog_disarm();
    lab_clock_jump = -86400;
    pthread_t u;
    lab_thread_create(&u, NULL, taker, &x);
    rlock_release(x.l);
    rlock_release(x.l);
    expect_waiting(&x, "while the owner still held it once (3 acquires, 2 releases)");
    expect_still_out(&x, "while the owner still held it once, the wall clock a day behind as the lock saw it");
    for (int i = 0; i < SIGNALS; i++) {
        LAB_PTHREAD(pthread_kill(u, SIGUSR2));
        expect_still_out(&x, "while the owner still held it, after a signal to the waiter (a handler without "
                             "SA_RESTART): its wait was interrupted");
    }
    sleep_ms(HOLD_MS);
    expect_still_out(&x, "while the owner still held it, 2.5 s after it began to wait: it gave up waiting");
    lab_clock_jump = 0;
    lab_watchdog_arm(HANG_S, "the waiter never got the lock after the owner's last release");
    LAB_EXPECT_EQ(0, rlock_release(x.l), "the owner's third release");
    lab_thread_join(u, NULL);
    lab_watchdog_disarm();
    rlock_destroy(x.l);
    lab_pass("%d rounds of a release as a waiter comes, perturbed: every waiter woken%s; 3 acquires: the lock "
             "stays held after 2 releases, through a stepped wall clock, %d signals to the waiter and %d ms more, "
             "and passes on after the third",
             woken, lab_cut_note(woken, WAKE_ROUNDS), SIGNALS, HOLD_MS);
}

/* Strangers and former owners release while the owner works, for the
 * ThreadSanitizer build: STRANGE_THREADS threads take turns, one call each,
 * through a turnstile TSan does not see (lab.h), so nothing the driver does
 * orders one thread's calls before another's. The lock passes round: in
 * each phase of STRANGE_STEPS turns one thread owns it and nests 1 and 2
 * deep (A A R A R R: it takes it while it is free, so no turn waits),
 * while every other thread releases it on each of its turns; next phase
 * the next thread owns it, so the others are former owners too. A release
 * that looks at the owner or the depth outside what orders them (a quick
 * check before the internal mutex) reads what the owner wrote under that
 * mutex: a race TSan reports, whether or not the read was torn this time.
 * What the releases return is check non-owner's to judge (grade.bats turns
 * off TSan's reports of a mutex unlocked by a thread that does not hold
 * it: a pthread recursive mutex refuses such an unlock with EPERM, which is
 * the right answer). */
#define STRANGE_THREADS 3
#define STRANGE_STEPS 6
#define STRANGE_PHASES 12

typedef struct {
    rlock_t *l;
    lab_turns_t *turns;
} strange_t;

static void strange_worker(const lab_worker_t *w) {
    strange_t *st = w->arg;
    static const char plan[STRANGE_STEPS + 1] = "AARARR";
    int me = w->index, depth = 0;
    for (int i = 0; i < STRANGE_STEPS * STRANGE_PHASES && lab_turn_take(st->turns, me); i++) {
        int owner = (i / STRANGE_STEPS) % STRANGE_THREADS;
        if (owner == me && plan[i % STRANGE_STEPS] == 'A') {
            rlock_acquire(st->l);
            depth++;
        } else {
            (void)rlock_release(st->l);
            depth -= owner == me;
        }
        lab_turn_give(st->turns, me);
    }
    lab_turn_leave(st->turns, me);
    /* The turnstile may end mid-phase (a busy machine): give back what is held. */
    for (; depth > 0; depth--)
        (void)rlock_release(st->l);
}

static long strangers_race_free(void) {
    strange_t st = {.l = rlock_create(), .turns = lab_turns_new(STRANGE_THREADS, 0.6)};
    lab_threads_run(STRANGE_THREADS, strange_worker, &st);
    long turns = lab_turns_taken(st.turns);
    lab_turns_free(st.turns);
    /* Not destroyed: a lock whose releases let a stranger unlock its mutex
     * (broken.c, judged by non-owner) leaves that mutex's count of users
     * wrong, and pthread_mutex_destroy() refuses it. */
    return turns;
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
    long turns = strangers_race_free();
    lab_pass("%d threads through the lock: counter exact; then %d threads passing it round, nesting 1 and 2 "
             "deep, while the others release it, taking turns%s",
             threads, STRANGE_THREADS, lab_cut_note(turns, STRANGE_THREADS * STRANGE_STEPS * STRANGE_PHASES));
}

static const lab_check_t checks[] = {
    {"single", "one thread: acquire/release pairs at depth 1", check_single, LAB_PAUSE_OFF},
    {"nested", "the owner acquires to depth 100 000, then releases 100 000 times", check_nested, LAB_PAUSE_OFF},
    {"exclusion", "4 threads x 2000 sections nested 1-3 deep: one inside at a time", check_exclusion,
     LAB_PAUSE_YIELD},
    {"non-owner", "4 strangers' releases get EPERM on a free lock and at every depth 1..4; former owners too",
     check_non_owner, LAB_PAUSE_OFF},
    {"handoff",
     "400 releases as a waiter comes (perturbed while they run): each wakes it; the lock passes on only after the "
     "owner's last release: through a stepped clock, signals, 2.5 s",
     check_handoff, LAB_PAUSE_OFF},
    {"several", "several locks held at once (40 too), nested in different orders: owner and depth per lock",
     check_several, LAB_PAUSE_OFF},
    {"race-free", "short concurrent run for the ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
