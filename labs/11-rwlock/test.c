/* Lab 11, reader-writer lock: the torture driver. One check per run. A
 * writer that readers keep out is reported after 1 s with that reason,
 * never waited out.
 *
 *   $ build/labs/11-rwlock/broken/test --seed 42 starvation
 *   FAIL: every writer gets in within 1 s while 4 readers take turns / writer 1 of 3 starved: not in after 1 s while readers kept the lock (2022 read sections began after it asked; 0 of 9 write requests served) (check starvation, seed 42)
 *   $ build/labs/11-rwlock/fixed/test --seed 42 starvation
 *   ok: starvation: 3 writers x 3 requests each got in within 0.107 s of asking, while 4 readers took turns (readers that left alone after 0.1 s: 5)
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "lab.h"
#include "rwlock.h"

#define STALL_S 1.0
#define STALL_REASON "no thread got the lock in 1 s while others waited (an unlock that woke nobody?)"
#define OVERLAP_S 1.0    /* how long a reader waits for the others to join it */
#define STARVE_S 1.0     /* the writer's bound under the reader flood */
#define HANDOVER_S 0.1   /* how long a flood reader waits for company */

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The driver's own condition variables run on CLOCK_MONOTONIC, the clock of
 * lab_now(), so a deadline is simply lab_now() + seconds. */
static void cond_init_mono(pthread_cond_t *c) {
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_cond_init(c, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
}

/* One wait, until `deadline` (lab_now() seconds) at the latest: 0 if woken
 * (maybe spuriously), ETIMEDOUT once the deadline has passed. */
static int cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, double deadline) {
    struct timespec ts = {(time_t)deadline, (long)((deadline - (double)(time_t)deadline) * 1e9)};
    int rc = pthread_cond_timedwait(c, m, &ts);
    if (rc != 0 && rc != ETIMEDOUT)
        lab_pthread_die(rc, "pthread_cond_timedwait(c, m, &ts)", __FILE__, __LINE__);
    return rc;
}

/* ---- single: one thread --------------------------------------------------- */

static void check_single(const lab_opts_t *o) {
    long rounds = lab_opt_iters(o, 1000);
    rwlock_t *l = rwlock_create();
    lab_watchdog_arm(2.0, "one thread blocked on a lock nobody held: an unlock did not undo its lock");
    int value = 0;
    for (long i = 0; i < rounds; i++) {
        rwlock_rdlock(l);
        int seen = value;
        rwlock_rdunlock(l);
        rwlock_wrlock(l);
        value = seen + 1;
        rwlock_wrunlock(l);
        rwlock_wrlock(l); /* a write after a write */
        rwlock_wrunlock(l);
        rwlock_rdlock(l); /* and a read after a read */
        rwlock_rdunlock(l);
    }
    lab_watchdog_disarm();
    LAB_EXPECT_EQ(rounds, value, "writes seen by the next read");
    rwlock_destroy(l);
    lab_pass("one thread: read, write, write, read, %ld times, nothing blocked", rounds);
}

/* ---- overlap: readers share the lock -------------------------------------- */

typedef struct {
    rwlock_t *l;
    pthread_mutex_t m;
    pthread_cond_t c;
    int inside, most;
} room_t;

/* Each reader holds the read lock until all the others have joined it, or
 * OVERLAP_S has passed: a lock that lets one reader in at a time fails here. */
static void overlap_reader(const lab_worker_t *w) {
    room_t *r = w->arg;
    rwlock_rdlock(r->l);
    lab_mutex_lock(&r->m);
    if (++r->inside > r->most)
        r->most = r->inside;
    lab_cond_broadcast(&r->c);
    double deadline = lab_now() + OVERLAP_S;
    while (r->most < w->count)
        if (cond_wait_until(&r->c, &r->m, deadline) == ETIMEDOUT)
            break;
    int most = r->most;
    r->inside--;
    lab_mutex_unlock(&r->m);
    rwlock_rdunlock(r->l);
    if (most < w->count)
        lab_fail("%d readers inside at once / at most %d got in while one held the read lock for %g s",
                 w->count, most, OVERLAP_S);
}

/* ---- who is woken when a lock comes free ----------------------------------
 * An actor is a thread that takes one lock in one mode, says it is in, and
 * holds the lock, asleep on the driver's condition, until the driver lets it
 * go. Whether it was woken is judged by what happened, not by a clock: once
 * the lock it waits for is free, the actor must get in, and the driver fails
 * the check if it finds every other thread of the process asleep (five
 * samples 1 ms apart, lab_others_asleep) while an actor is still not in: it
 * sleeps in the lock with nothing left to wake it. A correct actor that was
 * woken is runnable until it is in (or waits for the lock's own mutex,
 * held by a thread that runs), so it is never seen asleep there. */
typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c; /* broadcast on every change below */
} stage_t;

typedef struct {
    stage_t *st;
    rwlock_t *l;
    int write;
    int quiet; /* says it is in by `in` alone, without waking the stage */
    pthread_t t;
    atomic_int asked, in, out; /* about to lock, locked, unlocked */
    atomic_int tid;            /* its kernel thread id */
    int release;               /* under st->m: the driver lets it go */
} actor_t;

static void *actor_main(void *p) {
    actor_t *a = p;
    atomic_store(&a->tid, (int)lab_tid());
    atomic_store(&a->asked, 1);
    if (a->write)
        rwlock_wrlock(a->l);
    else
        rwlock_rdlock(a->l);
    atomic_store(&a->in, 1);
    lab_mutex_lock(&a->st->m);
    if (!a->quiet)
        lab_cond_broadcast(&a->st->c);
    while (!a->release)
        lab_cond_wait(&a->st->c, &a->st->m);
    lab_mutex_unlock(&a->st->m);
    if (a->write)
        rwlock_wrunlock(a->l);
    else
        rwlock_rdunlock(a->l);
    atomic_store(&a->out, 1);
    return NULL;
}

static void actor_start(actor_t *a, stage_t *st, rwlock_t *l, int write) {
    *a = (actor_t){.st = st, .l = l, .write = write};
    atomic_init(&a->asked, 0);
    atomic_init(&a->in, 0);
    atomic_init(&a->out, 0);
    lab_thread_create(&a->t, NULL, actor_main, a);
}

/* Lets the actor go and joins it: it unlocks on its way out. */
static void actor_finish(actor_t *a) {
    lab_mutex_lock(&a->st->m);
    a->release = 1;
    lab_cond_broadcast(&a->st->c);
    lab_mutex_unlock(&a->st->m);
    lab_thread_join(a->t, NULL);
}

/* The actors have asked and, as far as can be seen, sleep in the lock: the
 * precondition of a hand-over, so that a lock that forgets to wake them is
 * caught every time rather than only when they were quick to sleep. */
static void actors_blocked(actor_t *a, int n) {
    for (int i = 0; i < n; i++)
        while (!atomic_load(&a[i].asked))
            sched_yield();
    (void)lab_others_asleep(1.0);
}

#define WOKEN_S 10.0 /* a bound for a lock that lets them in only after a long while, far beyond any wake-up */

/* Every one of the n actors gets in, which they may now: fails if all the
 * process's other threads are seen asleep while one of them is not in
 * (nothing left to wake it), or, failing that, after WOKEN_S. */
static void actors_get_in(actor_t *a, int n, const char *expected, const char *situation) {
    double deadline = lab_now() + WOKEN_S;
    for (;;) {
        int in = 0;
        for (int i = 0; i < n; i++)
            in += atomic_load(&a[i].in);
        if (in == n)
            return;
        int asleep = lab_others_asleep(0.25);
        in = 0;
        for (int i = 0; i < n; i++)
            in += atomic_load(&a[i].in);
        if (in == n)
            return;
        if (asleep)
            lab_fail("%s / %d of %d still asleep in the lock %s, and no thread left awake to wake them", expected,
                     n - in, n, situation);
        if (lab_now() > deadline)
            lab_fail("%s / %d of %d still not in %g s %s", expected, n - in, n, WOKEN_S, situation);
    }
}

/* Readers asleep behind a writer are woken when it leaves, every one of
 * them, each time. A lock whose leaving writer wakes nobody and lets readers
 * look again on a timer of their own is seen here with its readers asleep on
 * a free lock. For the length of this part the implementation's wall clock
 * (lab_clock_jump) is an hour ahead: a timer computed from it on
 * CLOCK_REALTIME never runs out, so such readers stay asleep for good and
 * are caught in every round; a correct lock wakes them and reads no clock. */
enum { HANDOVERS = 8 };

static void check_handover(int n) {
    stage_t st;
    lab_mutex_init(&st.m, NULL);
    lab_cond_init(&st.c, NULL);
    rwlock_t *l = rwlock_create();
    actor_t a[16];
    lab_clock_jump = 3600;
    for (int round = 0; round < HANDOVERS; round++) {
        rwlock_wrlock(l);
        for (int i = 0; i < n; i++)
            actor_start(&a[i], &st, l, 0);
        actors_blocked(a, n);
        for (int i = 0; i < n; i++)
            if (atomic_load(&a[i].in))
                lab_fail("no reader with a writer / a reader got in while the driver held the write lock");
        rwlock_wrunlock(l);
        char when[96];
        snprintf(when, sizeof when, "after the writer left, in hand-over %d of %d", round + 1, HANDOVERS);
        actors_get_in(a, n, "readers asleep behind a writer all get in when it leaves (woken by its unlock)", when);
        for (int i = 0; i < n; i++)
            actor_finish(&a[i]);
    }
    lab_clock_jump = 0;
    rwlock_destroy(l);
    lab_cond_destroy(&st.c);
    lab_mutex_destroy(&st.m);
}

/* Two locks are two locks: while a writer waits for lock A (held by a
 * reader), lock B serves its readers and writers as if A did not exist,
 * and a writer leaving B wakes B's readers. A lock that keeps part of its
 * state in one place for every lock (a static count of waiting writers,
 * say) holds B's callers back for A's writer, and nothing on B wakes them. */
static void check_two_locks(void) {
    stage_t st;
    lab_mutex_init(&st.m, NULL);
    lab_cond_init(&st.c, NULL);
    rwlock_t *A = rwlock_create(), *B = rwlock_create();
    actor_t w, r1, x, r2;
    const char *why = "while a writer waits for another lock A";
    rwlock_rdlock(A);
    actor_start(&w, &st, A, 1); /* waits: the driver reads A */
    actors_blocked(&w, 1);
    if (atomic_load(&w.in))
        lab_fail("no writer with a reader / a writer got lock A while the driver held it for reading");
    actor_start(&r1, &st, B, 0);
    actors_get_in(&r1, 1, "a reader of a free lock B gets in at once", why);
    actor_finish(&r1);
    actor_start(&x, &st, B, 1);
    actors_get_in(&x, 1, "a writer of a free lock B gets in at once", why);
    actor_start(&r2, &st, B, 0); /* waits behind B's writer */
    actors_blocked(&r2, 1);
    if (atomic_load(&r2.in))
        lab_fail("no reader with a writer / a reader got lock B while a writer held it");
    actor_finish(&x);
    actors_get_in(&r2, 1, "a reader asleep behind B's writer gets in when it leaves", why);
    actor_finish(&r2);
    /* And a writer asleep behind B's reader is woken when that reader
     * leaves, while A's writer, asleep longer, still waits: a wake-up that
     * goes to "one waiter of any lock" (a condition shared by every lock
     * and signalled) wakes A's writer, which sleeps again, and B's writer
     * sleeps on beside a free lock. */
    actor_t r3, y;
    actor_start(&r3, &st, B, 0);
    actors_get_in(&r3, 1, "a reader of a free lock B gets in at once", why);
    actor_start(&y, &st, B, 1); /* waits behind B's reader */
    actors_blocked(&y, 1);
    if (atomic_load(&y.in))
        lab_fail("no writer with a reader / a writer got lock B while a reader held it");
    actor_finish(&r3);
    actors_get_in(&y, 1, "a writer asleep behind B's reader gets in when that reader leaves", why);
    actor_finish(&y);
    if (atomic_load(&w.in))
        lab_fail("no writer with a reader / a writer got lock A while the driver held it for reading");
    rwlock_rdunlock(A);
    actors_get_in(&w, 1, "the writer waiting for A gets in when A's last reader leaves", "after it left");
    actor_finish(&w);
    rwlock_destroy(B);
    rwlock_destroy(A);
    lab_cond_destroy(&st.c);
    lab_mutex_destroy(&st.m);
}

/* Every lock is a lock of its own, however many a program makes: while the
 * driver holds lock A for writing, it creates MANY_LOCKS more (all still
 * alive), and then a writer asks for A. It must stay out until the driver
 * lets go. Locks handed out from a fixed pool that wraps around (or any
 * state shared between locks) give a later create A's slot, initialised
 * anew under its holder: A is then "free" and the writer walks in. */
enum { MANY_LOCKS = 256 };

static void check_many_locks(void) {
    stage_t st;
    lab_mutex_init(&st.m, NULL);
    lab_cond_init(&st.c, NULL);
    rwlock_t *A = rwlock_create();
    static rwlock_t *more[MANY_LOCKS];
    rwlock_wrlock(A);
    for (int i = 0; i < MANY_LOCKS; i++)
        more[i] = rwlock_create();
    actor_t w;
    actor_start(&w, &st, A, 1); /* waits: the driver holds A */
    actors_blocked(&w, 1);
    if (atomic_load(&w.in))
        lab_fail("each lock is a lock of its own, a new one a lock nobody holds / a writer got lock A while the "
                 "driver held it for writing, after %d more locks were created",
                 MANY_LOCKS);
    rwlock_wrunlock(A);
    actors_get_in(&w, 1, "the writer waiting for A gets in when A's writer leaves", "after it left");
    actor_finish(&w);
    for (int i = 0; i < MANY_LOCKS; i++)
        rwlock_destroy(more[i]);
    rwlock_destroy(A);
    lab_cond_destroy(&st.c);
    lab_mutex_destroy(&st.m);
}

/* Any number of readers share the lock, not a few: MANY_READERS readers of
 * a free lock each ask and hold it until the driver lets them go, so all of
 * them must be inside at once (counted by the driver from what each actor
 * says). A lock that lets in at most so many readers (permits, a fixed
 * array of reader slots) keeps the rest asleep while those inside sleep
 * too, which the driver sees: every other thread asleep, some readers not
 * in. Then WRAP_READERS readers go in, and a writer asks and must stay out:
 * a count of readers kept in 8 bits has wrapped round to 0; a writer that
 * gives up waiting after a while by some clock and goes in has given up (the
 * clocks move: see check_many_readers). The readers
 * have small stacks (CROWD_STACK): hundreds of threads fit in the sandbox's
 * address space. */
enum { MANY_READERS = 300, WRAP_READERS = 256, CROWD_STACK = 64 * 1024 };

/* n readers of l, each in and holding it, asleep on st until released. */
static void crowd_in(actor_t *a, int n, stage_t *st, rwlock_t *l) {
    pthread_attr_t small;
    LAB_PTHREAD(pthread_attr_init(&small));
    LAB_PTHREAD(pthread_attr_setstacksize(&small, CROWD_STACK));
    for (int i = 0; i < n; i++) {
        a[i] = (actor_t){.st = st, .l = l, .quiet = 1};
        lab_thread_create(&a[i].t, &small, actor_main, &a[i]);
    }
    LAB_PTHREAD(pthread_attr_destroy(&small));
    char expected[120];
    snprintf(expected, sizeof expected,
             "any number of readers hold the read lock at once: %d readers of a free lock all inside", n);
    actors_get_in(a, n, expected, "while the others held it and waited");
}

/* Lets the n readers go, all at once, and joins them. */
static void crowd_out(actor_t *a, int n, stage_t *st) {
    lab_mutex_lock(&st->m);
    for (int i = 0; i < n; i++)
        a[i].release = 1;
    lab_cond_broadcast(&st->c);
    lab_mutex_unlock(&st->m);
    for (int i = 0; i < n; i++)
        lab_thread_join(a[i].t, NULL);
}

static void check_many_readers(void) {
    stage_t st;
    lab_mutex_init(&st.m, NULL);
    lab_cond_init(&st.c, NULL);
    rwlock_t *l = rwlock_create();
    static actor_t a[MANY_READERS];
    crowd_in(a, MANY_READERS, &st, l);
    crowd_out(a, MANY_READERS, &st);
    crowd_in(a, WRAP_READERS, &st, l);
    /* The writer's clocks are a day behind, and jump two days ahead while
     * it waits (lab.h: lab_clocks_shift, lab_clocks_ahead_while): a writer
     * that waits only so long by any clock, then goes in, goes in here. */
    lab_clocks_shift(-86400);
    actor_t w;
    actor_start(&w, &st, l, 1); /* waits: 256 readers are inside */
    actors_blocked(&w, 1);
    int read_clock = atomic_load(&w.in) ? 0 : lab_clocks_ahead_while(atomic_load(&w.tid), 0.1, 0.3);
    lab_clocks_shift(0);
    if (atomic_load(&w.in))
        lab_fail("never a writer with a reader / a writer got in while %d readers held the lock (%s)", WRAP_READERS,
                 read_clock == 1 ? "it read a clock while it waited, and the clocks had jumped two days ahead: "
                                   "does a writer wait only so long, then go in?"
                                 : "a count of readers kept in 8 bits is 0 again at 256, or a writer that waits "
                                   "only until a deadline, and the clocks read a day behind");
    crowd_out(a, WRAP_READERS, &st);
    actors_get_in(&w, 1, "a writer waiting for 256 readers gets in when the last one leaves", "after they left");
    actor_finish(&w);
    rwlock_destroy(l);
    lab_cond_destroy(&st.c);
    lab_mutex_destroy(&st.m);
}

static void check_overlap(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    if (n < 2 || n > 16)
        lab_fail("--threads for overlap is 2 to 16 / got %d", n);
    room_t r = {.l = rwlock_create()};
    lab_mutex_init(&r.m, NULL);
    cond_init_mono(&r.c);
    lab_threads_run(n, overlap_reader, &r);
    lab_cond_destroy(&r.c);
    lab_mutex_destroy(&r.m);
    rwlock_destroy(r.l);
    check_many_readers();
    check_handover(n);
    check_two_locks();
    check_many_locks();
    lab_pass("%d readers, then %d, held the read lock at the same time; %d times %d readers asleep behind a writer "
             "all got in when it left; a writer waiting for one lock held back nobody on another; a lock held for writing "
             "kept a writer out after %d more locks were created",
             n, MANY_READERS, HANDOVERS, n, MANY_LOCKS);
}

/* ---- exclusion: never a reader with a writer, never two writers ----------- */

typedef struct {
    rwlock_t *l;
    long ops;
    atomic_int readers, writers; /* inside, by the driver's own count */
    atomic_int most_readers;
    _Atomic long progress;
    long a, b;                   /* a writer bumps both; a reader must see them equal */
    _Atomic long writes;
} excl_t;

static void excl_worker(const lab_worker_t *w) {
    excl_t *x = w->arg;
    uint64_t rng = lab_seed_for(w->index);
    for (long i = 0; i < x->ops; i++) {
        if (lab_rand_next(&rng) % 4 == 0) {
            rwlock_wrlock(x->l);
            int wn = atomic_fetch_add(&x->writers, 1) + 1;
            int rn = atomic_load(&x->readers);
            if (wn != 1)
                lab_fail("never two writers inside / %d writers were inside at once", wn);
            if (rn != 0)
                lab_fail("never a reader with a writer / a writer went in with %d readers inside", rn);
            long a = x->a;
            lab_pause(); /* the write takes a while: anyone who gets in now sees it half done */
            x->a = a + 1;
            x->b++;
            rn = atomic_load(&x->readers);
            if (rn != 0)
                lab_fail("never a reader with a writer / %d readers came in while a writer was inside", rn);
            atomic_fetch_sub(&x->writers, 1);
            rwlock_wrunlock(x->l);
            atomic_fetch_add_explicit(&x->writes, 1, memory_order_relaxed);
        } else {
            rwlock_rdlock(x->l);
            int rn = atomic_fetch_add(&x->readers, 1) + 1;
            for (int m = atomic_load(&x->most_readers);
                 rn > m && !atomic_compare_exchange_weak(&x->most_readers, &m, rn);)
                ;
            int wn = atomic_load(&x->writers);
            if (wn != 0)
                lab_fail("never a reader with a writer / a reader went in with a writer inside");
            long a = x->a;
            lab_pause(); /* the read takes a while: a writer who gets in now tears it */
            long b = x->b;
            if (a != b || atomic_load(&x->writers) != 0)
                lab_fail("never a reader with a writer / a writer came in while a reader was inside");
            atomic_fetch_sub(&x->readers, 1);
            rwlock_rdunlock(x->l);
        }
        atomic_fetch_add_explicit(&x->progress, 1, memory_order_relaxed);
    }
}

static void check_exclusion(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 6);
    excl_t x = {.l = rwlock_create(), .ops = lab_opt_iters(o, 1000)};
    atomic_init(&x.readers, 0);
    atomic_init(&x.writers, 0);
    atomic_init(&x.most_readers, 0);
    atomic_init(&x.progress, 0);
    atomic_init(&x.writes, 0);
    lab_stall_t *s = lab_stall_watch(&x.progress, STALL_S, STALL_REASON);
    lab_threads_run(n, excl_worker, &x);
    lab_stall_stop(s);
    LAB_EXPECT_EQ(atomic_load(&x.writes), x.a, "writes made == the count they left");
    rwlock_destroy(x.l);
    lab_pass("%d threads x %ld sections (1 in 4 a write): never a reader with a writer, never two "
             "writers; up to %d readers at once",
             n, x.ops, atomic_load(&x.most_readers));
}

/* ---- starvation: a writer under a reader flood ----------------------------
 * The readers pass the lock on like relay runners: each holds it for about
 * a millisecond, then leaves only once another reader has come in, so the
 * number of readers inside never falls to zero, however the scheduler runs
 * them (short of keeping every other reader off the CPUs for HANDOVER_S).
 * Only a lock that holds new readers back once a writer waits breaks the
 * relay: the last reader then finds nobody coming, leaves after HANDOVER_S
 * alone, and the writer goes in. A reader-preferring lock lets every new
 * reader in, the relay goes on, and the writer starves. */

enum { MAXW = 16 };

typedef struct {
    rwlock_t *l;
    int readers, writers, asks; /* asks: write requests per writer */
    pthread_mutex_t m;
    pthread_cond_t c;
    int inside;             /* readers inside, by the driver's own count */
    long entries;           /* read sections begun */
    _Atomic long progress;  /* the same, and the writers' entries, for the stall watchdog */
    long lonely;            /* readers that left alone, after HANDOVER_S */
    double t_ask[MAXW];     /* when each writer asked, 0 while it is not asking */
    long entries_at_ask[MAXW];
    int asked_once;         /* some writer has asked: the judge starts */
    int done;               /* write requests served */
    int stop;               /* the judge ends the flood */
    double worst;           /* the longest a served request waited */
    int inside_with_writer; /* readers the driver counted inside with a writer (the most) */
    int writers_inside, writers_inside_max;
} flood_t;

static void flood_reader(flood_t *f) {
    lab_mutex_lock(&f->m);
    while (!f->stop) {
        lab_mutex_unlock(&f->m);
        rwlock_rdlock(f->l);
        lab_mutex_lock(&f->m);
        f->inside++;
        f->entries++;
        atomic_fetch_add_explicit(&f->progress, 1, memory_order_relaxed);
        lab_cond_broadcast(&f->c);
        lab_mutex_unlock(&f->m);
        sleep_s(0.001); /* the read section: it sleeps, so readers overlap even on one CPU */
        lab_mutex_lock(&f->m);
        double deadline = lab_now() + HANDOVER_S;
        while (f->inside < 2 && !f->stop)
            if (cond_wait_until(&f->c, &f->m, deadline) == ETIMEDOUT)
                break;
        if (f->inside < 2 && !f->stop)
            f->lonely++;
        f->inside--;
        lab_mutex_unlock(&f->m);
        rwlock_rdunlock(f->l);
        lab_mutex_lock(&f->m);
    }
    lab_mutex_unlock(&f->m);
}

/* Each writer asks `asks` times, each time once the flood is under way
 * again, so the writers' requests overlap: the first waves start together,
 * and a writer that is in holds the lock for a moment while the others
 * wait. A lock that holds readers back for only one waiting writer (a flag
 * instead of a count, cleared by the first writer in) lets the relay start
 * again behind the first and starves the rest. */
static void flood_writer(flood_t *f, int me) {
    long resume_at = 4L * f->readers;
    for (int k = 0; k < f->asks; k++) {
        lab_mutex_lock(&f->m);
        while (f->entries < resume_at && !f->stop) /* the flood is under way */
            lab_cond_wait(&f->c, &f->m);
        if (f->stop) {
            lab_mutex_unlock(&f->m);
            return;
        }
        f->t_ask[me] = lab_now();
        f->entries_at_ask[me] = f->entries;
        f->asked_once = 1;
        lab_cond_broadcast(&f->c);
        lab_mutex_unlock(&f->m);

        rwlock_wrlock(f->l);
        lab_mutex_lock(&f->m);
        double waited = lab_now() - f->t_ask[me];
        if (waited > f->worst)
            f->worst = waited;
        if (f->inside > f->inside_with_writer)
            f->inside_with_writer = f->inside;
        if (++f->writers_inside > f->writers_inside_max)
            f->writers_inside_max = f->writers_inside;
        atomic_fetch_add_explicit(&f->progress, 1, memory_order_relaxed);
        lab_mutex_unlock(&f->m);
        sleep_s(0.002); /* the write section: long enough for the other writers to queue */
        lab_mutex_lock(&f->m);
        f->writers_inside--;
        lab_mutex_unlock(&f->m);
        rwlock_wrunlock(f->l);

        lab_mutex_lock(&f->m);
        f->t_ask[me] = 0;
        f->done++;
        resume_at = f->entries + f->readers;
        lab_cond_broadcast(&f->c);
        lab_mutex_unlock(&f->m);
    }
}

/* The judge: every write request must be served within STARVE_S of being
 * made; it ends the flood when all are, or fails the check with the reason
 * at the first one that is not. */
static void flood_judge(flood_t *f) {
    int total = f->writers * f->asks;
    lab_mutex_lock(&f->m);
    while (!f->asked_once)
        lab_cond_wait(&f->c, &f->m);
    while (f->done < total) {
        int oldest = -1;
        for (int w = 0; w < f->writers; w++)
            if (f->t_ask[w] > 0 && (oldest < 0 || f->t_ask[w] < f->t_ask[oldest]))
                oldest = w;
        if (oldest < 0) { /* between requests: wait for the next */
            lab_cond_wait(&f->c, &f->m);
            continue;
        }
        double asked = f->t_ask[oldest];
        if (cond_wait_until(&f->c, &f->m, asked + STARVE_S) == ETIMEDOUT && f->t_ask[oldest] == asked)
            lab_fail("every writer gets in within %g s while %d readers take turns / writer %d of %d starved: not "
                     "in after %g s while readers kept the lock (%ld read sections began after it asked; %d of "
                     "%d write requests served)",
                     STARVE_S, f->readers, oldest + 1, f->writers, STARVE_S, f->entries - f->entries_at_ask[oldest],
                     f->done, total);
    }
    f->stop = 1;
    lab_cond_broadcast(&f->c);
    lab_mutex_unlock(&f->m);
}

static void flood_worker(const lab_worker_t *w) {
    flood_t *f = w->arg;
    if (w->index < f->readers)
        flood_reader(f);
    else if (w->index < f->readers + f->writers)
        flood_writer(f, w->index - f->readers);
    else
        flood_judge(f);
}

static void check_starvation(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    if (n < 2)
        lab_fail("--threads for starvation is 2 or more (readers) / got %d", n);
    flood_t f = {.l = rwlock_create(), .readers = n, .writers = 3, .asks = (int)lab_opt_iters(o, 3)};
    if (f.asks < 1)
        lab_fail("--iters for starvation is 1 or more (requests per writer) / got %d", f.asks);
    lab_mutex_init(&f.m, NULL);
    cond_init_mono(&f.c);
    atomic_init(&f.progress, 0);
    /* A lock that wakes too few readers when a writer leaves hangs the
     * end of the flood: that is named, not left to the check's timeout. */
    lab_stall_t *s = lab_stall_watch(&f.progress, STALL_S, STALL_REASON);
    lab_threads_run(n + f.writers + 1, flood_worker, &f);
    lab_stall_stop(s);
    if (f.inside_with_writer != 0)
        lab_fail("never a reader with a writer / a writer went in with %d readers inside", f.inside_with_writer);
    if (f.writers_inside_max > 1)
        lab_fail("never two writers / %d writers were inside at once", f.writers_inside_max);
    lab_cond_destroy(&f.c);
    lab_mutex_destroy(&f.m);
    rwlock_destroy(f.l);
    lab_pass("%d writers x %d requests each got in within %.3f s of asking, while %d readers took turns "
             "(readers that left alone after %g s: %ld)",
             f.writers, f.asks, f.worst, n, HANDOVER_S, f.lonely);
}

/* ---- race-free: for the ThreadSanitizer build ----------------------------- */

enum { TABLE = 16 };

typedef struct {
    rwlock_t *l;
    long ops;
    int table[TABLE]; /* a writer bumps every entry; a reader must see them all equal */
    _Atomic long writes;
    atomic_int torn;
} mixed_t;

static void mixed_worker(const lab_worker_t *w) {
    mixed_t *x = w->arg;
    uint64_t rng = lab_seed_for(w->index);
    for (long i = 0; i < x->ops; i++) {
        if (lab_rand_next(&rng) % 8 == 0) {
            rwlock_wrlock(x->l);
            for (int k = 0; k < TABLE; k++)
                x->table[k]++;
            rwlock_wrunlock(x->l);
            atomic_fetch_add(&x->writes, 1);
        } else {
            rwlock_rdlock(x->l);
            for (int k = 1; k < TABLE; k++)
                if (x->table[k] != x->table[0])
                    atomic_store(&x->torn, 1);
            rwlock_rdunlock(x->l);
        }
    }
}

static void check_race_free(const lab_opts_t *o) {
    int n = lab_opt_threads(o, 4);
    mixed_t x = {.l = rwlock_create(), .ops = lab_opt_iters(o, 2000)};
    atomic_init(&x.writes, 0);
    atomic_init(&x.torn, 0);
    lab_threads_run(n, mixed_worker, &x);
    LAB_EXPECT_EQ(0, atomic_load(&x.torn), "reads that saw a write half done");
    LAB_EXPECT_EQ(atomic_load(&x.writes), x.table[0], "writes made == the count they left");
    rwlock_destroy(x.l);
    lab_pass("%d threads x %ld reads and writes (1 in 8 a write) of a shared table: no race", n, x.ops);
}

static const lab_check_t checks[] = {
    {"single", "one thread: read, write, write, read, 1000 times", check_single, LAB_PAUSE_OFF},
    {"overlap",
     "4 readers, then 300, hold the read lock at once, and a writer stays out of 256; readers behind a writer are "
     "woken when it leaves (the "
     "implementation's wall clock an hour ahead meanwhile); two locks are independent; a held lock stays held while "
     "256 more are created",
     check_overlap, LAB_PAUSE_OFF},
    {"exclusion", "6 threads x 1000 sections, 1 in 4 a write: never a reader with a writer, never two writers",
     check_exclusion, LAB_PAUSE_RANDOM},
    {"starvation", "3 writers x 3 requests each get in within 1 s while 4 readers keep the read lock in turns",
     check_starvation, LAB_PAUSE_OFF},
    {"race-free", "reads and writes of a shared table, for the ThreadSanitizer build", check_race_free,
     LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
