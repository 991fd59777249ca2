/* Lab 09, barrier: the torture driver. One check per run: 4 travellers and
 * a guide (5 threads) meet at the barrier round after round. A barrier that
 * never opens again is reported after 1 s with that reason.
 *
 *   $ build/labs/09-barrier/broken/test rounds
 *   FAIL: barrier never opened: no thread passed it in 1 s / progress stopped at 7 (check rounds, seed 3)
 *   $ build/labs/09-barrier/fixed/test serial
 *   ok: serial: 2 barriers x 5 threads x 2000 rounds: exactly one serial thread every round
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "barrier.h"
#include "lab.h"

#define STALL_S 1.0
#define STALL_REASON "barrier never opened: no thread passed it in 1 s"

static void check_single(const lab_opts_t *o) {
    (void)o;
    barrier_t *b = barrier_create(1);
    for (int i = 0; i < 1000; i++)
        LAB_EXPECT_EQ(1, barrier_wait(b), "barrier_wait() with one party (it is always the serial thread)");
    barrier_destroy(b);
    lab_pass("a barrier for one: 1000 waits, none blocked, each serial");
}

typedef struct {
    barrier_t *b;
    int parties;
    long rounds;
    atomic_int *arrived; /* arrived[k]: threads that reached round k's barrier */
    atomic_int *serials; /* serials[k]: waits of round k that returned 1 */
    atomic_int early; /* leaves before the whole round had arrived */
    atomic_long early_round;
} tour_t;

/* Two tours meet at two barriers at once, each with its own threads: a
 * barrier that keeps its count or generation in a static variable mixes
 * them up. Progress is shared, so a stall of either is seen. */
enum { TOURS = 2 };

typedef struct {
    tour_t t[TOURS];
    _Atomic long passed;
} tours_t;

static void traveller(const lab_worker_t *w) {
    tours_t *all = w->arg;
    tour_t *t = &all->t[w->index % TOURS];
    for (long k = 0; k < t->rounds; k++) {
        atomic_fetch_add(&t->arrived[k], 1);
        lab_pause(); /* some take longer to walk to the meeting point */
        if (barrier_wait(t->b))
            atomic_fetch_add(&t->serials[k], 1);
        if (atomic_load(&t->arrived[k]) != t->parties && atomic_fetch_add(&t->early, 1) == 0)
            atomic_store(&t->early_round, k);
        atomic_fetch_add_explicit(&all->passed, 1, memory_order_relaxed);
    }
}

static void tour(tours_t *all, int parties, long rounds) {
    for (int i = 0; i < TOURS; i++) {
        tour_t *t = &all->t[i];
        *t = (tour_t){.b = barrier_create(parties), .parties = parties, .rounds = rounds};
        t->arrived = lab_calloc((size_t)rounds, sizeof *t->arrived);
        t->serials = lab_calloc((size_t)rounds, sizeof *t->serials);
        atomic_init(&t->early, 0);
        atomic_init(&t->early_round, 0);
    }
    atomic_init(&all->passed, 0);
    lab_stall_t *s = lab_stall_watch(&all->passed, STALL_S, STALL_REASON);
    lab_threads_run(TOURS * parties, traveller, all);
    lab_stall_stop(s);
}

static void tour_end(tours_t *all) {
    for (int i = 0; i < TOURS; i++) {
        free(all->t[i].arrived);
        free(all->t[i].serials);
        barrier_destroy(all->t[i].b);
    }
}

static void check_rounds(const lab_opts_t *o) {
    int parties = lab_opt_threads(o, 5);
    tours_t all;
    tour(&all, parties, lab_opt_iters(o, 2000));
    for (int i = 0; i < TOURS; i++) {
        tour_t *t = &all.t[i];
        if (atomic_load(&t->early))
            lab_fail("nobody leaves a round's barrier before all %d have arrived / %d left early, first in round "
                     "%ld of barrier %d",
                     parties, atomic_load(&t->early), (long)atomic_load(&t->early_round) + 1, i + 1);
    }
    long rounds = all.t[0].rounds;
    tour_end(&all);
    lab_pass("2 barriers x %d threads x %ld rounds: nobody left a round before all had arrived, no hang",
             parties, rounds);
}

static void check_serial(const lab_opts_t *o) {
    int parties = lab_opt_threads(o, 5);
    tours_t all;
    tour(&all, parties, lab_opt_iters(o, 2000));
    for (int i = 0; i < TOURS; i++)
        for (long k = 0; k < all.t[i].rounds; k++)
            if (atomic_load(&all.t[i].serials[k]) != 1)
                lab_fail("exactly one serial thread per round / round %ld of barrier %d had %d", k + 1, i + 1,
                         atomic_load(&all.t[i].serials[k]));
    long rounds = all.t[0].rounds;
    tour_end(&all);
    lab_pass("2 barriers x %d threads x %ld rounds: exactly one serial thread every round", parties, rounds);
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

/* For the ThreadSanitizer build: data written before the barrier and read
 * after it by other threads; the barrier alone must order them. */
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
    lab_pass("%d threads x %ld rounds of write, barrier, read, barrier", parties, s.rounds);
}

static const lab_check_t checks[] = {
    {"single", "a barrier for one thread never blocks", check_single, LAB_PAUSE_OFF},
    {"rounds", "2 barriers x 5 threads x 2000 rounds: nobody leaves a round before all arrived", check_rounds,
     LAB_PAUSE_RANDOM},
    {"serial", "2 barriers x 5 threads x 2000 rounds: exactly one serial thread per round", check_serial,
     LAB_PAUSE_RANDOM},
    {"race-free", "write, barrier, read, for the ThreadSanitizer build", check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
