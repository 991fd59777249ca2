/* Lab 09, barrier: the torture driver. One check per run: tours of
 * travellers (3, 5 and 2 threads) meet at their barriers round after
 * round. A barrier that never opens again is reported after 1 s with that
 * reason.
 *
 *   $ build/labs/09-barrier/broken/test rounds
 *   FAIL: barrier never opened: no thread passed it in 1 s / progress stopped at 7 (check rounds, seed 3)
 *   $ build/labs/09-barrier/fixed/test serial
 *   ok: serial: 3 tours of 3, 5 and 2 threads x 2000 rounds, each at 2 barriers: exactly one serial thread every round
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "lab.h"

#define STALL_S 1.0
#define STALL_REASON "barrier never opened: no thread passed it in 1 s"

/* Then barriers made and destroyed one after another, MANY_BARRIERS of
 * them, as a program that makes one per phase or per request does: each
 * must be made and work however many came before. A barrier that takes a
 * process-wide resource and never gives it back (a pthread key, of which
 * a process has PTHREAD_KEYS_MAX, 1024 on glibc) runs out of it before the
 * last one. */
enum { MANY_BARRIERS = 1100 };

static void check_single(const lab_opts_t *o) {
    (void)o;
    barrier_t *b = barrier_create(1);
    for (int i = 0; i < 1000; i++)
        LAB_EXPECT_EQ(1, barrier_wait(b), "barrier_wait() with one party (it is always the serial thread)");
    barrier_destroy(b);
    for (int i = 0; i < MANY_BARRIERS; i++) {
        b = barrier_create(1);
        if (b == NULL)
            lab_fail("barrier_create() never returns NULL / it did, after %d barriers made and destroyed", i);
        LAB_EXPECT_EQ(1, barrier_wait(b), "barrier_wait() with one party, on a barrier made after others were "
                                          "destroyed");
        barrier_destroy(b);
    }
    lab_pass("a barrier for one: 1000 waits, none blocked, each serial; then %d barriers made, used and destroyed "
             "one after another",
             MANY_BARRIERS);
}

typedef struct {
    barrier_t *b[2]; /* the tour's two meeting points, used in turn */
    int parties;
    long rounds;
    atomic_int *arrived; /* arrived[k]: threads that reached round k's barrier */
    atomic_int *serials; /* serials[k]: waits of round k that returned 1 */
    atomic_int early; /* leaves before the whole round had arrived */
    atomic_long early_round;
    atomic_int odd; /* returns other than 0 and 1 */
    atomic_int odd_value;
    atomic_long odd_round;
} tour_t;

/* Three tours at once, of 3, 5 and 2 threads, each with its own threads: a
 * barrier that keeps its count, generation or size in a static variable
 * mixes them up (a size kept by the last create opens the bigger tours
 * early: more openings than rounds, so some round has two serial threads;
 * one kept by the first hangs the smaller). Each tour meets at two
 * barriers, A, A, B, A, A, B, ...: a thread waits at both, and state kept
 * per thread rather than per barrier (a thread-local sense) goes wrong at
 * the one it did not use last; a reused barrier still meets the same
 * threads twice in a row, where a fast one laps the others. Progress is
 * shared, so a stall of any is seen. */
enum { TOURS = 3 };

static int tour_size(int i, int parties) { return i == 1 ? parties : i == 0 ? 3 : 2; }

typedef struct {
    tour_t t[TOURS];
    _Atomic long passed;
} tours_t;

static barrier_t *meeting_point(const tour_t *t, long k) { return t->b[k % 3 == 2]; }

static void traveller(const lab_worker_t *w) {
    tours_t *all = w->arg;
    int i = 0, first = 0;
    while (w->index >= first + all->t[i].parties)
        first += all->t[i++].parties;
    tour_t *t = &all->t[i];
    for (long k = 0; k < t->rounds; k++) {
        atomic_fetch_add(&t->arrived[k], 1);
        lab_pause(); /* some take longer to walk to the meeting point */
        int r = barrier_wait(meeting_point(t, k));
        if (r == 1)
            atomic_fetch_add(&t->serials[k], 1);
        else if (r != 0 && atomic_fetch_add(&t->odd, 1) == 0) { /* exactly 1 or 0, not "non-zero" */
            atomic_store(&t->odd_value, r);
            atomic_store(&t->odd_round, k);
        }
        if (atomic_load(&t->arrived[k]) != t->parties && atomic_fetch_add(&t->early, 1) == 0)
            atomic_store(&t->early_round, k);
        atomic_fetch_add_explicit(&all->passed, 1, memory_order_relaxed);
    }
}

static void tour(tours_t *all, int parties, long rounds) {
    int threads = 0;
    for (int i = 0; i < TOURS; i++) {
        tour_t *t = &all->t[i];
        int n = tour_size(i, parties);
        *t = (tour_t){.b = {barrier_create(n), barrier_create(n)}, .parties = n, .rounds = rounds};
        t->arrived = lab_calloc((size_t)rounds, sizeof *t->arrived);
        t->serials = lab_calloc((size_t)rounds, sizeof *t->serials);
        atomic_init(&t->early, 0);
        atomic_init(&t->early_round, 0);
        atomic_init(&t->odd, 0);
        atomic_init(&t->odd_value, 0);
        atomic_init(&t->odd_round, 0);
        threads += n;
    }
    atomic_init(&all->passed, 0);
    lab_stall_t *s = lab_stall_watch(&all->passed, STALL_S, STALL_REASON);
    lab_threads_run(threads, traveller, all);
    lab_stall_stop(s);
}

static void tour_end(tours_t *all) {
    for (int i = 0; i < TOURS; i++) {
        free(all->t[i].arrived);
        free(all->t[i].serials);
        barrier_destroy(all->t[i].b[0]);
        barrier_destroy(all->t[i].b[1]);
    }
}

/* One round in which a party comes LATE_S late, while the others sleep in
 * the barrier: nobody may leave before it comes. A waiter that gives up
 * after a while (a timed wait "so that nothing hangs for ever") leaves
 * early; LATE_S is a sleep, which can only last longer. Meanwhile, every
 * 100 ms that the others are seen asleep, the late party sends each of
 * them a signal whose handler (it does nothing) is installed without
 * SA_RESTART, as an application's timer or SIGCHLD handler may be: a wait
 * that takes the EINTR of sem_wait() or a similar call for "my turn"
 * walks out of the barrier. The late party keeps the progress counter
 * moving while it dawdles, so the stall watchdog still catches a barrier
 * that never opens. */
#define LATE_S 1.6
enum { LATE_PARTIES = 3 };

typedef struct {
    barrier_t *b;
    atomic_int late_arrived;
    _Atomic long progress;
    double t0;
    pthread_t tid[LATE_PARTIES];
    atomic_int named; /* parties whose tid is filled in */
    atomic_int signalled; /* rounds of signals sent */
    atomic_int failing;
} late_t;

static void late_round_party(const lab_worker_t *w) {
    late_t *l = w->arg;
    l->tid[w->index] = pthread_self();
    atomic_fetch_add(&l->named, 1);
    if (w->index == LATE_PARTIES - 1) {
        /* the others asleep in the barrier (only a precondition); if they
         * were, they sleep on until this party comes, and it comes only
         * after one round of signals reached them asleep (waiting up to 3 s
         * more for that, so that a design seen asleep once and never again
         * cannot hang the check). Looked for in slices of 0.1 s that move
         * the progress counter: waiters that spin, which barrier.h allows,
         * are never seen asleep, and the watchdog must not take that look
         * for a stall */
        int asleep = 0;
        for (int i = 0; i < 10 && !asleep; i++) {
            asleep = lab_others_asleep(0.1);
            atomic_fetch_add(&l->progress, 1);
        }
        double until = lab_now() + LATE_S;
        while (lab_now() < until || (asleep && atomic_load(&l->signalled) == 0 && lab_now() < until + 3.0)) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (atomic_load(&l->named) == LATE_PARTIES && lab_others_asleep(0.05)) {
                for (int i = 0; i < LATE_PARTIES - 1; i++)
                    LAB_PTHREAD(pthread_kill(l->tid[i], SIGUSR2));
                atomic_fetch_add(&l->signalled, 1);
            }
            atomic_fetch_add(&l->progress, 1);
        }
        atomic_store(&l->late_arrived, 1);
    }
    barrier_wait(l->b);
    if (!atomic_load(&l->late_arrived)) {
        if (atomic_exchange(&l->failing, 1)) /* one FAIL line: the first to leave early reports */
            for (;;)
                pause();
        lab_fail("nobody leaves a round before all %d have arrived, however late the last one is / a party left "
                 "after %.2f s while the last was still on its way (%.1f s late, %d rounds of signals sent to the "
                 "waiters): a waiter must not give up, nor take an interrupted wait (EINTR) for its turn",
                 LATE_PARTIES, lab_now() - l->t0, LATE_S, atomic_load(&l->signalled));
    }
    atomic_fetch_add(&l->progress, 1);
}

static void late_round(void) {
    lab_interrupts_install(NULL, NULL); /* no SA_RESTART: an interrupted wait fails with EINTR */
    late_t l = {.b = barrier_create(LATE_PARTIES), .t0 = lab_now()};
    atomic_init(&l.late_arrived, 0);
    atomic_init(&l.progress, 0);
    atomic_init(&l.named, 0);
    atomic_init(&l.failing, 0);
    atomic_init(&l.signalled, 0);
    lab_stall_t *s = lab_stall_watch(&l.progress, STALL_S, STALL_REASON);
    lab_threads_run(LATE_PARTIES, late_round_party, &l);
    lab_stall_stop(s);
    barrier_destroy(l.b);
}

/* Phases: the same PHASE_PARTIES threads make a barrier, meet at it for
 * PHASE_ROUNDS rounds, destroy it and make the next one, PHASES times, as
 * a program that makes a barrier per phase of its work does. One thread
 * destroys each barrier and makes the next, so the allocator soon hands the
 * new barrier the address of the one just freed (glibc: once the thread's
 * cache of freed blocks of that size is full, after 7). State a thread keeps
 * about a barrier, keyed by its address, outlives it: a thread-local sense
 * left at 1 by an odd number of rounds makes its owner walk through the new
 * barrier's first round. That round is made to show it every time: thread
 * 0 arrives alone, and the others only once it is seen asleep in the
 * barrier, or has run PHASE_SPIN_S of CPU time in it (a barrier that
 * spins), or has left it, early, which it sees itself at once. The phases
 * are handed over by the driver's own pthread barriers. */
enum { PHASES = 12, PHASE_ROUNDS = 3, PHASE_PARTIES = 3 };
#define PHASE_SPIN_S 0.02

typedef struct {
    pthread_barrier_t step;  /* the driver's: "the new barrier is made", "all are done with it" */
    pthread_barrier_t later; /* the driver's: threads 1 and 2 arrive after thread 0 */
    barrier_t *b;
    pthread_t first;
    double first_cpu; /* thread 0's CPU time as it arrived */
    atomic_int arrived[PHASE_ROUNDS];
    atomic_int first_in, first_out, early, reused;
    _Atomic long progress;
} phases_t;

/* Thread 0 asleep in the round's barrier, or PHASE_SPIN_S of CPU time into
 * it, or out of it. */
static void first_settled(phases_t *p) {
    while (!atomic_load(&p->first_in))
        sched_yield();
    clockid_t cid;
    LAB_PTHREAD(pthread_getcpuclockid(p->first, &cid));
    for (;;) {
        struct timespec ts;
        if (atomic_load(&p->first_out) || clock_gettime(cid, &ts) != 0)
            return;
        if ((double)ts.tv_sec + ts.tv_nsec / 1e9 - p->first_cpu >= PHASE_SPIN_S || lab_others_asleep(0.01))
            return;
        atomic_fetch_add_explicit(&p->progress, 1, memory_order_relaxed); /* looking is not a stall */
    }
}

static void phase_party(const lab_worker_t *w) {
    phases_t *p = w->arg;
    void *last = NULL;
    for (int ph = 0; ph < PHASES; ph++) {
        if (w->index == 0) {
            p->b = barrier_create(PHASE_PARTIES);
            atomic_fetch_add(&p->reused, (void *)p->b == last);
            last = p->b;
            for (int k = 0; k < PHASE_ROUNDS; k++)
                atomic_store(&p->arrived[k], 0);
        }
        pthread_barrier_wait(&p->step);
        for (int k = 0; k < PHASE_ROUNDS; k++) {
            if (k == 0 && w->index == 0) {
                p->first = pthread_self();
                p->first_cpu = lab_thread_cpu();
                atomic_store(&p->first_in, 1);
            } else if (k == 0) {
                if (w->index == 1) /* thread 2 sleeps meanwhile, so that "all others asleep" means thread 0 */
                    first_settled(p);
                pthread_barrier_wait(&p->later);
            }
            atomic_fetch_add(&p->arrived[k], 1);
            barrier_wait(p->b);
            if (k == 0 && w->index == 0)
                atomic_store(&p->first_out, 1);
            if (atomic_load(&p->arrived[k]) != PHASE_PARTIES) {
                if (atomic_fetch_add(&p->early, 1) != 0) /* one FAIL line: the first to leave early reports */
                    for (;;)
                        pause();
                lab_fail("nobody leaves a round before all %d have arrived, also at a barrier made after another "
                         "was destroyed (by the same threads, maybe at the same address) / one left round %d of "
                         "phase %d of %d early (%d barriers so far had the address of the one before): does "
                         "state kept per barrier outlive barrier_destroy()?",
                         PHASE_PARTIES, k + 1, ph + 1, PHASES, atomic_load(&p->reused));
            }
            atomic_fetch_add_explicit(&p->progress, 1, memory_order_relaxed);
        }
        if (w->index == 0) {
            atomic_store(&p->first_in, 0);
            atomic_store(&p->first_out, 0);
        }
        pthread_barrier_wait(&p->step);
        if (w->index == 0)
            barrier_destroy(p->b);
    }
}

static int phases(void) {
    phases_t p;
    memset(&p, 0, sizeof p);
    /* These phases count on malloc() handing the destroyed barrier's block
     * back to the next barrier_create(): the grader's quarantine of freed
     * blocks (lab.h) would keep it, so it is off here. */
    int kept = lab_quarantine;
    lab_quarantine = 0;
    LAB_PTHREAD(pthread_barrier_init(&p.step, NULL, PHASE_PARTIES));
    LAB_PTHREAD(pthread_barrier_init(&p.later, NULL, PHASE_PARTIES - 1));
    lab_stall_t *s =
        lab_stall_watch(&p.progress, STALL_S, STALL_REASON " (at a barrier made after another was destroyed)");
    lab_threads_run(PHASE_PARTIES, phase_party, &p);
    lab_stall_stop(s);
    LAB_PTHREAD(pthread_barrier_destroy(&p.step));
    LAB_PTHREAD(pthread_barrier_destroy(&p.later));
    lab_quarantine = kept;
    return atomic_load(&p.reused);
}

/* Newcomers: two guides stay at one barrier for the whole phase, and groups
 * of NEW_PER_GROUP threads, each group new, join them there for
 * NEW_ROUNDS rounds and end, NEW_GROUPS times: NEW_GROUPS x NEW_PER_GROUP
 * threads over the phase, as a pool that replaces its threads, or a
 * program that starts a thread per task, has over its life. Every thread
 * must be a party of its own, however many came before it: state a barrier
 * keeps per thread in slots numbered by a counter of threads (a table of
 * 64, or of 128) gives a newcomer a slot a guide still holds, and the
 * two flip one sense: one of them walks through, or the round never ends.
 * Which round that is depends on the numbering; each group's first round
 * is made to show it every time. Guide 0 arrives last: only once every
 * other party has ticked off its arrival and is seen asleep in the barrier,
 * or has run NEW_SPIN_S of CPU time since (a barrier that spins). A party
 * that walked through has seen its round incomplete by then, itself; a
 * round that guide 0 cannot open (its sense is the newcomer's) stops with
 * everybody asleep, which the stall watchdog reports. The second round runs
 * free. */
enum { NEW_GROUPS = 10, NEW_PER_GROUP = 16, NEW_PARTIES = NEW_PER_GROUP + 2, NEW_ROUNDS = 2 };
#define NEW_SPIN_S 0.002

typedef struct {
    barrier_t *b;
    pthread_barrier_t gate; /* the driver's: a group starts once all its threads are made */
    atomic_int arrived[NEW_GROUPS][NEW_ROUNDS];
    pthread_t who[NEW_PARTIES]; /* the current group's parties, for guide 0 to watch */
    double cpu[NEW_PARTIES];    /* each one's CPU time as it arrived */
    atomic_int early;
    _Atomic long progress;
} newcomers_t;

typedef struct {
    newcomers_t *n;
    int party, group; /* party 0 and 1 are the guides */
} newcomer_arg_t;

/* Every party but guide 0 asleep, or NEW_SPIN_S of CPU time into its wait. */
static void newcomers_settled(newcomers_t *n) {
    for (;;) {
        if (lab_others_asleep(0.01))
            return;
        int spun = 1;
        for (int i = 1; i < NEW_PARTIES && spun; i++) {
            clockid_t cid;
            struct timespec ts;
            spun = pthread_getcpuclockid(n->who[i], &cid) == 0 && clock_gettime(cid, &ts) == 0 &&
                   (double)ts.tv_sec + ts.tv_nsec / 1e9 - n->cpu[i] >= NEW_SPIN_S;
        }
        if (spun)
            return;
        atomic_fetch_add_explicit(&n->progress, 1, memory_order_relaxed); /* looking is not a stall */
    }
}

static void newcomer_rounds(newcomers_t *n, int party, int g) {
    pthread_barrier_wait(&n->gate); /* not while the group's threads are being made: a spinner slows that */
    for (int k = 0; k < NEW_ROUNDS; k++) {
        if (k == 0) {
            n->who[party] = pthread_self();
            n->cpu[party] = lab_thread_cpu();
            if (party == 0) {
                while (atomic_load(&n->arrived[g][0]) < NEW_PARTIES - 1) {
                    sched_yield();
                    atomic_fetch_add_explicit(&n->progress, 1, memory_order_relaxed); /* waiting is not a stall */
                }
                newcomers_settled(n);
            }
        }
        atomic_fetch_add(&n->arrived[g][k], 1);
        barrier_wait(n->b);
        if (atomic_load(&n->arrived[g][k]) != NEW_PARTIES) {
            if (atomic_fetch_add(&n->early, 1) != 0) /* one FAIL line: the first to leave early reports */
                for (;;)
                    pause();
            lab_fail("nobody leaves a round before all %d have arrived, also when new threads keep joining two that "
                     "stay / %s left round %d of group %d of %d early (%d threads had joined the guides so far): "
                     "is state kept per thread in slots that a new thread can share with one still at the "
                     "barrier?",
                     NEW_PARTIES, party < 2 ? "a guide" : "a newcomer", k + 1, g + 1, NEW_GROUPS,
                     (g + 1) * NEW_PER_GROUP);
        }
        atomic_fetch_add_explicit(&n->progress, 1, memory_order_relaxed);
    }
}

static void *newcomer_guide(void *arg) {
    newcomer_arg_t *a = arg;
    for (int g = 0; g < NEW_GROUPS; g++)
        newcomer_rounds(a->n, a->party, g);
    return NULL;
}

static void *newcomer(void *arg) {
    newcomer_arg_t *a = arg;
    newcomer_rounds(a->n, a->party, a->group);
    return NULL;
}

static void newcomers(void) {
    newcomers_t *n = lab_calloc(1, sizeof *n);
    n->b = barrier_create(NEW_PARTIES);
    LAB_PTHREAD(pthread_barrier_init(&n->gate, NULL, NEW_PARTIES));
    lab_stall_t *s = lab_stall_watch(&n->progress, STALL_S,
                                     STALL_REASON " (with new threads joining two long-lived ones at one barrier)");
    newcomer_arg_t guide_arg[2] = {{n, 0, 0}, {n, 1, 0}}, arg[NEW_PER_GROUP];
    pthread_t guide[2], t[NEW_PER_GROUP];
    for (int i = 0; i < 2; i++)
        lab_thread_create(&guide[i], NULL, newcomer_guide, &guide_arg[i]);
    /* Making and ending threads is progress too: on a loaded machine a
     * group's start (or end) may take longer than the stall watchdog's
     * window while the parties sleep at the gate, and main, in the kernel
     * making a stack, looks asleep too. */
    for (int g = 0; g < NEW_GROUPS; g++) {
        for (int i = 0; i < NEW_PER_GROUP; i++) {
            arg[i] = (newcomer_arg_t){n, 2 + i, g};
            lab_thread_create(&t[i], NULL, newcomer, &arg[i]);
            atomic_fetch_add_explicit(&n->progress, 1, memory_order_relaxed);
        }
        for (int i = 0; i < NEW_PER_GROUP; i++) {
            lab_thread_join(t[i], NULL);
            atomic_fetch_add_explicit(&n->progress, 1, memory_order_relaxed);
        }
    }
    for (int i = 0; i < 2; i++)
        lab_thread_join(guide[i], NULL);
    lab_stall_stop(s);
    LAB_PTHREAD(pthread_barrier_destroy(&n->gate));
    barrier_destroy(n->b);
    free(n);
}

/* barrier_create() takes any int: a barrier for more parties than a byte
 * or a 16-bit field holds must still wait for all of them. BIG_CALLERS
 * threads wait at a barrier for 257, then at one for 65537 parties (kept in
 * an unsigned char or short, 1 each: it opens at every call); none may
 * return. The driver judges once every caller is seen asleep, or has run
 * BIG_SPIN_S of CPU time in its wait (a design that spins, which barrier.h
 * allows): a wait that returns at once needs microseconds of it, so a
 * caller that has not returned by then never will. They can never be let
 * go (the sandbox allows 256 threads), so they wait on until the check
 * ends; one that returned sleeps on, so that its CPU clock stays readable.
 * Perturbation and pauses are off meanwhile. */
static const int big_sizes[] = {257, 65537};
enum { BIG_CALLERS = 3 };
#define BIG_SPIN_S 0.02

typedef struct {
    barrier_t *b;
    atomic_int entered, returned;
} big_t;

static void *big_caller(void *arg) {
    big_t *g = arg;
    atomic_fetch_add(&g->entered, 1);
    barrier_wait(g->b);
    atomic_fetch_add(&g->returned, 1);
    for (;;) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Each caller has run BIG_SPIN_S of CPU time (its thread's clock starts
 * at 0, and it does next to nothing before its wait). */
static int big_all_spun(const pthread_t *t) {
    for (int i = 0; i < BIG_CALLERS; i++) {
        clockid_t cid;
        struct timespec ts;
        if (pthread_getcpuclockid(t[i], &cid) != 0 || clock_gettime(cid, &ts) != 0)
            return 0;
        if ((double)ts.tv_sec + ts.tv_nsec / 1e9 < BIG_SPIN_S)
            return 0;
    }
    return 1;
}

static void big_barriers(void) {
    lab_pause_mode_t mode = lab_pause_mode;
    int perturb = lab_perturb_on;
    lab_pause_mode = LAB_PAUSE_OFF;
    lab_perturb_on = 0;
    for (size_t k = 0; k < sizeof big_sizes / sizeof big_sizes[0]; k++) {
        big_t *g = lab_calloc(1, sizeof *g); /* never freed: its callers wait on */
        g->b = barrier_create(big_sizes[k]);
        atomic_init(&g->entered, 0);
        atomic_init(&g->returned, 0);
        pthread_t t[BIG_CALLERS];
        for (int i = 0; i < BIG_CALLERS; i++) {
            lab_thread_create(&t[i], NULL, big_caller, g);
            LAB_PTHREAD(pthread_detach(t[i]));
        }
        while (atomic_load(&g->returned) == 0 &&
               (atomic_load(&g->entered) < BIG_CALLERS || !(lab_others_asleep(0.05) || big_all_spun(t))))
            ;
        if (atomic_load(&g->returned) != 0)
            lab_fail("a barrier for %d parties lets nobody through before %d have arrived / %d of %d callers "
                     "returned (is the party count kept in a type narrower than int?)",
                     big_sizes[k], big_sizes[k], atomic_load(&g->returned), BIG_CALLERS);
    }
    lab_pause_mode = mode;
    lab_perturb_on = perturb;
}

static void check_rounds(const lab_opts_t *o) {
    int parties = lab_opt_threads(o, 5);
    tours_t all;
    tour(&all, parties, lab_opt_iters(o, 2000));
    for (int i = 0; i < TOURS; i++) {
        tour_t *t = &all.t[i];
        if (atomic_load(&t->early))
            lab_fail("nobody leaves a round's barrier before all %d have arrived / %d left early, first in round "
                     "%ld of the tour of %d",
                     t->parties, atomic_load(&t->early), (long)atomic_load(&t->early_round) + 1, t->parties);
    }
    long rounds = all.t[0].rounds;
    tour_end(&all);
    int reused = phases();
    newcomers();
    late_round();
    big_barriers();
    lab_pass("3 tours of 3, %d and 2 threads x %ld rounds, each at 2 barriers: nobody left a round before all "
             "had arrived, no hang; %d barriers made in turn by the same %d threads (%d at the address of the "
             "one before), %d rounds each, none left early; %d new threads, %d at a time, met 2 that stayed, "
             "none left early; nobody left a round whose last party came %.1f s late, signals and all; barriers "
             "for 257 and 65537 held %d callers each",
             parties, rounds, PHASES, PHASE_PARTIES, reused, PHASE_ROUNDS, NEW_GROUPS * NEW_PER_GROUP,
             NEW_PER_GROUP, LATE_S, BIG_CALLERS);
}

static void check_serial(const lab_opts_t *o) {
    int parties = lab_opt_threads(o, 5);
    tours_t all;
    tour(&all, parties, lab_opt_iters(o, 2000));
    for (int i = 0; i < TOURS; i++)
        if (atomic_load(&all.t[i].odd))
            lab_fail("barrier_wait() returns 1 in the serial thread and 0 in the others, nothing else / it "
                     "returned %d in round %ld of the tour of %d (%d such returns)",
                     atomic_load(&all.t[i].odd_value), (long)atomic_load(&all.t[i].odd_round) + 1,
                     all.t[i].parties, atomic_load(&all.t[i].odd));
    for (int i = 0; i < TOURS; i++)
        for (long k = 0; k < all.t[i].rounds; k++)
            if (atomic_load(&all.t[i].serials[k]) != 1)
                lab_fail("exactly one serial thread per round / round %ld of the tour of %d had %d", k + 1,
                         all.t[i].parties, atomic_load(&all.t[i].serials[k]));
    long rounds = all.t[0].rounds;
    tour_end(&all);
    lab_pass("3 tours of 3, %d and 2 threads x %ld rounds, each at 2 barriers: exactly one serial thread every "
             "round",
             parties, rounds);
}

typedef struct {
    barrier_t *b;
    int parties;
    long rounds;
    long slot[64]; /* plain: only the barrier orders writes and reads */
    atomic_int wrong;
    _Atomic long passed;
} share_t;

static void sharer(const lab_worker_t *w) {
    share_t *s = w->arg;
    for (long k = 0; k < s->rounds; k++) {
        s->slot[w->index] = k; /* my part of round k */
        barrier_wait(s->b);
        for (int i = 0; i < s->parties; i++) /* everyone's part, after the barrier */
            if (s->slot[i] != k)
                atomic_fetch_add(&s->wrong, 1);
        barrier_wait(s->b); /* nobody writes round k+1 before all have read round k */
        atomic_fetch_add_explicit(&s->passed, 1, memory_order_relaxed);
    }
}

/* Barriers made, used and destroyed by several threads at once, each its
 * own, as thread pools that make a barrier per phase do: they share
 * nothing, so nothing a barrier_create() or barrier_destroy() touches may
 * be touched by another thread's without a lock. A spare barrier kept by
 * destroy in a plain static for the next create to take ("b = spare;
 * spare = NULL", two steps) is handed to two creators at once sooner or
 * later; here ThreadSanitizer sees the unordered accesses every time. The
 * threads take turns (lab_turns_t: handed over through relaxed atomics,
 * which order nothing for ThreadSanitizer), so that each one's create
 * follows another's destroy whatever the scheduler does, and each holds its
 * barrier across the next thread's turn. */
enum { MAKERS = 4, MAKES = 60 };

static void maker(const lab_worker_t *w) {
    lab_turns_t *turns = w->arg;
    barrier_t *held = NULL;
    for (int i = 0; i < MAKES && lab_turn_take(turns, w->index); i++) {
        if (held != NULL) {
            LAB_EXPECT_EQ(1, barrier_wait(held), "barrier_wait() with one party");
            barrier_destroy(held);
        }
        held = barrier_create(1);
        LAB_EXPECT_EQ(1, barrier_wait(held), "barrier_wait() with one party, on a new barrier");
        lab_turn_give(turns, w->index);
    }
    lab_turn_leave(turns, w->index);
    if (held != NULL)
        barrier_destroy(held);
}

/* For the ThreadSanitizer build: data written before the barrier and read
 * after it by other threads; the barrier alone must order them. Then
 * barriers made and destroyed by several threads at once (maker). */
static void check_race_free(const lab_opts_t *o) {
    int parties = lab_opt_threads(o, 4);
    if (parties > 64)
        parties = 64;
    share_t s = {.b = barrier_create(parties), .parties = parties, .rounds = lab_opt_iters(o, 300)};
    atomic_init(&s.wrong, 0);
    atomic_init(&s.passed, 0);
    lab_stall_t *st = lab_stall_watch(&s.passed, STALL_S, STALL_REASON);
    lab_threads_run(parties, sharer, &s);
    lab_stall_stop(st);
    LAB_EXPECT_EQ(0, atomic_load(&s.wrong), "reads after the barrier that missed a write before it");
    barrier_destroy(s.b);
    lab_turns_t *turns = lab_turns_new(MAKERS, 0.25);
    lab_threads_run(MAKERS, maker, turns);
    long made = lab_turns_taken(turns);
    lab_turns_free(turns);
    lab_pass("%d threads x %ld rounds of write, barrier, read, barrier; %d threads made, used and destroyed %ld "
             "barriers at once%s",
             parties, s.rounds, MAKERS, made, lab_cut_note(made, (long)MAKERS * MAKES));
}

static const lab_check_t checks[] = {
    {"single", "a barrier for one thread never blocks; 1100 barriers made and destroyed in turn", check_single,
     LAB_PAUSE_OFF},
    {"rounds", "3 tours (3, 5, 2 threads) at 2 barriers each x 2000 rounds, then 12 barriers made and destroyed "
     "in turn by the same threads, then 160 new threads, 16 at a time, meeting 2 that stay, then a party 1.6 s late "
     "while the others get signals, then barriers for 257 and 65537: nobody leaves a round before all arrived",
     check_rounds, LAB_PAUSE_RANDOM},
    {"serial", "3 tours (3, 5, 2 threads) at 2 barriers each x 2000 rounds: exactly one serial thread per round (1), "
     "0 in the others",
     check_serial, LAB_PAUSE_RANDOM},
    {"race-free", "write, barrier, read; then 4 threads making and destroying barriers in turns; for the "
     "ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
