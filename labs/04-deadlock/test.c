/* Lab 04, deadlock: the torture driver. One check per run. A hang is never
 * waited out: a stall watchdog fails the check as soon as no transfer has
 * finished for 1 s (1.5 s in opposite), and names the reason.
 *
 *   $ build/labs/04-deadlock/broken/test opposite
 *   FAIL: deadlock: no transfer finished in 1.5 s (0.5 s of it in lock step) / progress stopped at 0 (check opposite, seed 77)
 *   $ build/labs/04-deadlock/fixed/test random
 *   ok: random: 8 threads x 1000 transfers among 5 accounts (ids 0 to 2^30) in both directions: all finished, every balance exact
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"
#include "lab.h"

#define STALL_S 1.0
#define STALL_REASON "deadlock: no transfer finished in 1 s"

/* Ids the header allows (any unique id >= 0) that a design keyed on the
 * id maps together: equal modulo every power of two up to 2^30 (0, 2^30),
 * modulo every number up to 22 (0, 232792560 = lcm(1..22)), modulo 16, 64
 * or 1024 (0, 16, 32, 64, 1024, 4096, 65536), in one block of 16, 256 or
 * 2^20 (0..3, 15; 16, 17, 31), and INT_MAX beside INT_MAX - 1. 22
 * accounts, so a table of fewer locks than that shares one between two of
 * them, whatever it is keyed on. */
static const int wide_ids[] = {0,       1,         2,       3,           15,      16,       17,     31,
                               32,      64,        100,     1024,        4096,    65536,    720720, 1000000,
                               1 << 20, 232792560, 1 << 30, INT_MAX - 1, INT_MAX, 123456789};
enum { WIDE = sizeof wide_ids / sizeof wide_ids[0] };
#define WIDE_BASE 5000 /* many_accounts()'s ids: WIDE_BASE.. */

/* More accounts open at once than any table of locks a design might keep
 * (up to 1024 entries) has room to keep apart, whatever it is keyed on (the
 * id, the address the allocator chose, a counter): two of them share an
 * entry, every run, and a transfer between those two takes one lock twice.
 * Every two of them exchange money, one thread, lower index to higher (a
 * shared lock deadlocks in either direction); the watchdog is armed once
 * per payer, naming it. Each pair moves its own amount, so every balance
 * is exact too. */
enum { MANY = 1100 };

static void many_accounts(void) {
    static account_t *acct[MANY];
    static long want[MANY];
    for (int i = 0; i < MANY; i++) {
        acct[i] = account_create(WIDE_BASE + i, 0);
        want[i] = 0;
    }
    char why[200];
    for (int i = 0; i < MANY; i++) {
        snprintf(why, sizeof why,
                 "deadlock: a transfer from the account with id %d to one of the %d opened after it never "
                 "returned, one thread alone, %d accounts open: two accounts share a lock, taken twice",
                 WIDE_BASE + i, MANY - 1 - i, MANY);
        lab_watchdog_arm(STALL_S, why);
        for (int j = i + 1; j < MANY; j++) {
            long amount = 1 + (i + j) % 5;
            account_transfer(acct[i], acct[j], amount);
            want[i] -= amount;
            want[j] += amount;
        }
    }
    lab_watchdog_arm(STALL_S, "deadlock: account_balance() never returned after transfers, one thread alone");
    for (int i = 0; i < MANY; i++) {
        long got = account_balance(acct[i]);
        if (got != want[i])
            lab_fail("one thread moving money between every two of %d accounts open at once leaves the account "
                     "with id %d holding %ld / it holds %ld",
                     MANY, WIDE_BASE + i, want[i], got);
        account_destroy(acct[i]);
    }
    lab_watchdog_disarm();
}

static void check_single(const lab_opts_t *o) {
    (void)o;
    account_t *a = account_create(1, 100), *b = account_create(2, 50), *c = account_create(3, 0);
    account_transfer(a, b, 30);
    LAB_EXPECT_EQ(70, account_balance(a), "balance of the payer after 30 moved from 100");
    LAB_EXPECT_EQ(80, account_balance(b), "balance of the payee after 30 moved to 50");
    account_transfer(b, a, 80);
    account_transfer(c, a, 5); /* balances may go negative */
    LAB_EXPECT_EQ(155, account_balance(a), "balance after transfers both ways");
    LAB_EXPECT_EQ(0, account_balance(b), "balance emptied by a transfer");
    LAB_EXPECT_EQ(-5, account_balance(c), "balance gone negative");
    account_destroy(a);
    account_destroy(b);
    account_destroy(c);
    /* Balances and amounts are longs: past 2^31 and 2^32 both ways, where
     * an int (or 32-bit arithmetic) wraps. */
    account_t *p = account_create(7, 3000000000L), *q = account_create(8, 0);
    LAB_EXPECT_EQ(3000000000L, account_balance(p), "balance of an account opened with 3000000000 (past 2^31)");
    account_transfer(p, q, 2500000000L);
    LAB_EXPECT_EQ(500000000L, account_balance(p), "balance after moving 2500000000 out of 3000000000");
    LAB_EXPECT_EQ(2500000000L, account_balance(q), "balance after 2500000000 moved into 0 (past 2^31)");
    account_transfer(q, p, 5000000000L);
    LAB_EXPECT_EQ(-2500000000L, account_balance(q),
                  "balance after moving 5000000000 out of 2500000000 (below -2^31)");
    LAB_EXPECT_EQ(5500000000L, account_balance(p), "balance after 5000000000 moved into 500000000 (past 2^32)");
    account_transfer(p, q, 1L << 32);
    LAB_EXPECT_EQ(5500000000L - (1L << 32), account_balance(p), "balance after moving 2^32 out of 5500000000");
    LAB_EXPECT_EQ(-2500000000L + (1L << 32), account_balance(q), "balance after 2^32 moved into -2500000000");
    account_destroy(p);
    account_destroy(q);
    /* Every ordered pair of accounts with the wide ids above, one transfer
     * at a time, each under a 1 s watchdog that names the two ids (a lock
     * shared by two accounts makes one thread wait for itself); each pair
     * moves its own amount, so every balance is exact too. */
    account_t *acct[WIDE];
    long want[WIDE];
    for (int i = 0; i < WIDE; i++) {
        acct[i] = account_create(wide_ids[i], 1000);
        want[i] = 1000;
    }
    char why[200];
    for (int i = 0; i < WIDE; i++)
        for (int j = 0; j < WIDE; j++) {
            if (i == j)
                continue; /* check self's */
            long amount = 1 + i + 100 * j;
            snprintf(why, sizeof why,
                     "deadlock: transfer(from id %d, to id %d) never returned, one thread alone: it waits "
                     "for a lock it holds",
                     wide_ids[i], wide_ids[j]);
            lab_watchdog_arm(STALL_S, why);
            account_transfer(acct[i], acct[j], amount);
            want[i] -= amount;
            want[j] += amount;
        }
    lab_watchdog_arm(STALL_S, "deadlock: account_balance() never returned after transfers, one thread alone");
    for (int i = 0; i < WIDE; i++) {
        long got = account_balance(acct[i]);
        if (got != want[i])
            lab_fail("one thread moving money both ways between every two of %d accounts with ids 0..INT_MAX "
                     "leaves the account with id %d holding %ld / it holds %ld",
                     WIDE, wide_ids[i], want[i], got);
        account_destroy(acct[i]);
    }
    lab_watchdog_disarm();
    many_accounts();
    lab_pass("one thread: money moves both ways and the total stays 150, balances past 2^32 and below -2^31 "
             "exact; every two of %d accounts with ids "
             "from 0 to INT_MAX exchange money, and every two of %d accounts open at once; every balance exact",
             WIDE, MANY);
}

/* A transfer from an account to itself: a deadlock with one thread. */
static void check_self(const lab_opts_t *o) {
    (void)o;
    account_t *a = account_create(1, 100);
    lab_watchdog_arm(STALL_S, "deadlock: transfer(a, a) never returned: it waits for a lock it holds");
    account_transfer(a, a, 40);
    lab_watchdog_disarm();
    LAB_EXPECT_EQ(100, account_balance(a), "balance after moving 40 from an account to itself");
    account_destroy(a);
    lab_pass("a transfer from an account to itself returns and changes nothing");
}

enum { MAX_ACCOUNTS = 16, MAX_MOVERS = 64 };

/* Every account's final balance is checked against the driver's own count
 * of the transfers that returned, so a transfer that returns without moving
 * its money (a timed lock given up, a trylock that fails for good) shows,
 * and so do several: every transfer moves 1..7 units of 2^20, plus 1 when
 * it goes to a higher id. If lost transfers left every balance right, then
 * modulo 2^20 every account would have lost as many transfers up out of it
 * as into it, which the lowest account one of them touches cannot (fewer
 * than 2^20 of them), so all went down, and the lowest account one of
 * those touches would be short by a nonzero multiple of 2^20. Both
 * directions carry the same amounts on average, so no balance runs away
 * from the others (a lock order chosen by balance keeps flipping, as with
 * small amounts). */
#define UNIT (1L << 20)

typedef struct {
    account_t *acct[MAX_ACCOUNTS];
    int naccts;
    long transfers;
    int opposite; /* even threads a->b, odd threads b->a; else random pairs */
    int movers;   /* workers from this index on open and close accounts instead */
    double share; /* of the check's time, after which movers stop (a busy machine) */
    _Atomic long done;
    _Atomic long net[MAX_ACCOUNTS]; /* what each account gained, by the transfers that returned */
    pthread_t tid[MAX_MOVERS];      /* the movers', for the opener's signals */
    atomic_int live[MAX_MOVERS];
} race_t;

/* Accounts are independent objects: opening and closing others must not
 * disturb transfers in flight (state a design shares between accounts, an
 * arbiter say, set up again by account_create(), would be pulled from
 * under them). The opener waits until every other thread is asleep, so
 * during lock step a transfer is parked holding what it holds and the
 * others wait for it, then opens and closes an account, and again until
 * the lock step is over. Ids from 1000 up, none live twice. */
/* Each time, it also sends every mover a signal whose handler was
 * installed without SA_RESTART (a timer or SIGCHLD handler in the program
 * around the bank does the same): a transfer waiting for a bank-wide
 * arbiter, the others parked behind the one that holds it, must go on
 * waiting. A sem_wait() returns EINTR then, whatever the flags; one whose
 * result is ignored lets a second transfer past the arbiter, which in lock
 * step holds its payer's lock and waits for the other's: the cycle the
 * arbiter was there to prevent, every run. */
static void opener(race_t *r, int movers) {
    int id = 1000, rc;
    do {
        (void)lab_others_asleep(0.2);
        for (int k = 0; k < movers; k++)
            if (atomic_load(&r->live[k]))
                if ((rc = pthread_kill(r->tid[k], SIGUSR2)) != 0 && rc != ESRCH) /* ESRCH: it just ended */
                    lab_pthread_die(rc, "pthread_kill(mover, SIGUSR2)", __FILE__, __LINE__);
        account_t *a = account_create(id++, 5);
        account_destroy(a);
    } while (lab_now() < lab_lockstep_until);
}

static void mover(const lab_worker_t *w) {
    race_t *r = w->arg;
    if (w->index >= r->movers) {
        opener(r, r->movers < MAX_MOVERS ? r->movers : MAX_MOVERS);
        return;
    }
    if (w->index < MAX_MOVERS) {
        r->tid[w->index] = pthread_self();
        atomic_store(&r->live[w->index], 1);
    }
    uint64_t rng = lab_seed_for(w->index);
    long net[MAX_ACCOUNTS] = {0};
    /* On a machine busy with other work contended transfers can take 100
     * times as long as idle: they stop when r->share of the check's time
     * is gone (not while locks run in lock step: each round of opposite gets
     * its phase), and the verdict holds for any number of them. */
    for (long i = 0;
         i < r->transfers && !(i % 16 == 0 && lab_time_spent(r->share) && lab_now() >= lab_lockstep_until); i++) {
        int from, to;
        if (r->opposite) {
            from = w->index & 1;
            to = !from;
        } else {
            uint64_t x = lab_rand_next(&rng);
            from = (int)(x % (uint64_t)r->naccts);
            to = (int)((x >> 16) % (uint64_t)(r->naccts - 1));
            to += to >= from; /* a different account */
        }
        /* accounts are created in order of id */
        long amount = (1 + i % 7) * UNIT + (from < to);
        account_transfer(r->acct[from], r->acct[to], amount);
        net[from] -= amount;
        net[to] += amount;
        atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
    }
    for (int k = 0; k < r->naccts; k++)
        atomic_fetch_add(&r->net[k], net[k]);
    if (w->index < MAX_MOVERS)
        atomic_store(&r->live[w->index], 0);
}

/* Returns the transfers made (threads x transfers unless time ran short).
 * Account k has id ids[k], ids ascending. */
/* A round of opposite runs its locks in lock step for its first
 * LOCKSTEP_S seconds (lab.h), when no transfer of a correct design need
 * finish: its stall watchdog allows that much more. */
#define LOCKSTEP_S 0.5

static long race(int threads, int naccts, const int *ids, long transfers, int opposite, int openers,
                 double share, const char *what) {
    race_t r = {.naccts = naccts, .transfers = transfers, .opposite = opposite, .movers = threads, .share = share};
    atomic_init(&r.done, 0);
    for (int i = 0; i < MAX_MOVERS; i++)
        atomic_init(&r.live[i], 0);
    for (int i = 0; i < naccts; i++) {
        r.acct[i] = account_create(ids[i], 1000);
        atomic_init(&r.net[i], 0);
    }
    lab_stall_t *s = opposite ? lab_stall_watch(&r.done, STALL_S + LOCKSTEP_S,
                                                "deadlock: no transfer finished in 1.5 s (0.5 s of it in lock step)")
                              : lab_stall_watch(&r.done, STALL_S, STALL_REASON);
    lab_threads_run(threads + openers, mover, &r);
    lab_stall_stop(s);
    long total = 0, got[MAX_ACCOUNTS];
    for (int i = 0; i < naccts; i++) {
        got[i] = account_balance(r.acct[i]);
        total += got[i];
        account_destroy(r.acct[i]);
    }
    if (total != 1000L * naccts)
        lab_fail("%s keep the total at %ld / it is %ld", what, 1000L * naccts, total);
    for (int i = 0; i < naccts; i++) {
        long want = 1000 + atomic_load(&r.net[i]);
        if (got[i] != want)
            lab_fail("%s leave the account with id %d holding %ld, by the driver's count of the transfers "
                     "that returned / it holds %ld: a transfer returned without moving its money",
                     what, ids[i], want, got[i]);
    }
    return atomic_load(&r.done);
}

static void check_opposite(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long n = lab_opt_iters(o, 500);
    enum { ROUNDS = 2 };
    const char *what = "transfers between two accounts in opposite directions";
    /* For the first LOCKSTEP_S of each round the implementation's locks run
     * in lock step (lab.h): a thread that holds one account's lock and tries
     * the other's waits until someone holds that one and then fails, so
     * trylock-and-back-off designs fail in step, and a thread that blocks
     * for its second lock waits for another that does the same: one that
     * stops backing off after so many tries and blocks deadlocks. */
    lab_interrupts_install(NULL, NULL); /* no SA_RESTART: a sleeping sem_wait() returns EINTR */
    long done = 0;
    for (int round = 0; round < ROUNDS; round++) {
        lab_lockstep_until = lab_now() + LOCKSTEP_S;
        done += race(threads, 2, (const int[]){0, 1}, n, 1, 1, 0.4, what);
        lab_lockstep_until = 0;
    }
    lab_pass("%d rounds of %d threads x %ld transfers%s, half a->b and half b->a, accounts opened and closed "
             "meanwhile: all finished, every balance exact",
             ROUNDS, threads, n, lab_cut_note(done, ROUNDS * threads * n));
}

/* First ids 0 to 4, which tell apart whatever a design keys on them (each
 * pair its own sum, difference, lo * 31 + hi modulo 8, ...): a design that
 * spreads its arbitration over several locks picked by the pair (an
 * arbiter per pair out of a few) lets a->b, b->c and c->a hold their
 * payers under three different arbiters and wait for their payees, a
 * cycle; with ids all alike (below) every pair would pick the same one, a
 * single arbiter, which is correct. Such a cycle forms within a few hundred
 * transfers, idle or loaded: half the transfers of the second round, and
 * a fifth of the check's time at most, leave the second round its share.
 *
 * Then ids far apart, all equal modulo 64, three of them modulo 2^20: a
 * design that assumes small ids, or shares a lock between accounts whose
 * ids agree in their low bits, shows here under many threads too (check
 * single tries every pair of such accounts, one thread alone). */
static void check_random(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long n = lab_opt_iters(o, 1000);
    long near = race(threads, 5, (const int[]){0, 1, 2, 3, 4}, n / 2, 0, 0, 0.2,
                     "random transfers among 5 accounts with ids 0 to 4");
    long done = race(threads, 5, (const int[]){0, 64, 4096, 1 << 20, 1 << 30}, n, 0, 0, 0.4,
                     "random transfers among 5 accounts");
    char note[200];
    snprintf(note, sizeof note, "%s", lab_cut_note(near, threads * (n / 2)));
    lab_pass("%d threads x %ld transfers%s among 5 accounts with ids 0 to 4, then x %ld%s among 5 with ids 0 "
             "to 2^30, in both directions: all finished, every balance exact",
             threads, n / 2, note, n, lab_cut_note(done, threads * n));
}

/* Transfers must look like one step to a reader, not only keep the final
 * total. Money only ever flows a -> b within a pair, so a reader that takes
 * a's balance and then b's can only see a sum >= the pair's total (b has
 * received at least what a had given when a was read), and one reading b
 * then a a sum <= it. A transfer split in two (the money out of one account
 * before it is in the other, or the other way round) breaks one of the
 * bounds the moment a reader falls into the gap. Pairs alternate which of
 * the two has the lower id, so both lock orders of an ordered design run. */
enum { PAIRS = 2 };

typedef struct {
    account_t *a[PAIRS], *b[PAIRS];
    long transfers, total; /* a pair's money: all in a at the start */
    atomic_int movers_left;
    _Atomic long done;
    long bad_sum[PAIRS], bad_first[PAIRS];
    int bad_kind[PAIRS]; /* 1: a then b read below the total, 2: b then a above it */
} pairs_t;

static void pair_worker(const lab_worker_t *w) {
    pairs_t *p = w->arg;
    int pair = w->index % PAIRS, role = (w->index / PAIRS) % 4;
    account_t *a = p->a[pair], *b = p->b[pair];
    if (role >= 2) {
        for (long i = 0; i < p->transfers; i++) {
            account_transfer(a, b, 1);
            atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
        }
        atomic_fetch_sub(&p->movers_left, 1);
        return;
    }
    while (atomic_load(&p->movers_left) > 0) {
        long x, y, sum;
        if (role == 0) {
            x = account_balance(a);
            y = account_balance(b);
            sum = x + y;
            if (sum < p->total && p->bad_kind[pair] == 0) {
                p->bad_kind[pair] = 1;
                p->bad_sum[pair] = sum;
                p->bad_first[pair] = x;
            }
        } else {
            x = account_balance(b);
            y = account_balance(a);
            sum = x + y;
            if (sum > p->total && p->bad_kind[pair] == 0) {
                p->bad_kind[pair] = 2;
                p->bad_sum[pair] = sum;
                p->bad_first[pair] = x;
            }
        }
    }
}

static void check_in_flight(const lab_opts_t *o) {
    long n = lab_opt_iters(o, 1500);
    /* a keeps more than b to the end (it starts with twice what it pays),
     * so a design that picks its lock order by balance takes one order
     * throughout and cannot deadlock here: deadlocks are opposite's and
     * random's to find, every run, and this check's verdict is about one
     * thing only. */
    pairs_t p = {.transfers = n, .total = 4 * n + 2};
    for (int i = 0; i < PAIRS; i++) {
        /* pair 0: a has the lower id; pair 1: the higher */
        p.a[i] = account_create(i % 2 ? 2 * i + 1 : 2 * i, p.total);
        p.b[i] = account_create(i % 2 ? 2 * i : 2 * i + 1, 0);
    }
    atomic_init(&p.movers_left, 2 * PAIRS);
    atomic_init(&p.done, 0);
    lab_stall_t *s = lab_stall_watch(&p.done, STALL_S, STALL_REASON);
    lab_threads_run(4 * PAIRS, pair_worker, &p);
    lab_stall_stop(s);
    for (int i = 0; i < PAIRS; i++) {
        if (p.bad_kind[i] == 1)
            lab_fail("a reader taking balance(a) then balance(b) while a->b transfers run sees at least "
                     "%ld / it saw a = %ld and then a sum of %ld: money was in neither account",
                     p.total, p.bad_first[i], p.bad_sum[i]);
        if (p.bad_kind[i] == 2)
            lab_fail("a reader taking balance(b) then balance(a) while a->b transfers run sees at most "
                     "%ld / it saw b = %ld and then a sum of %ld: money was in both accounts",
                     p.total, p.bad_first[i], p.bad_sum[i]);
        LAB_EXPECT_EQ(p.total - 2 * n, account_balance(p.a[i]), "the payer after every transfer");
        LAB_EXPECT_EQ(2 * n, account_balance(p.b[i]), "the payee after every transfer");
        account_destroy(p.a[i]);
        account_destroy(p.b[i]);
    }
    lab_pass("%d pairs, 2 threads x %ld transfers a->b each, 4 readers: every transfer one step", PAIRS, n);
}

/* For the ThreadSanitizer build: the accounts really are shared. Movers
 * transfer among 4 accounts, and from an account to itself, while readers
 * take balances, so an access outside the lock that guards it is two
 * threads' unordered accesses, which TSan reports whether or not it cost
 * money this time. Deadlock freedom is not what is judged here: money only
 * moves to a higher id (broken.c hangs only on its transfers from an
 * account to itself, as in check self), and grade.bats turns TSan's
 * lock-order report off (it cannot tell a real cycle from locks taken in
 * both orders under one outer lock, which is correct); opposite and random
 * provoke the deadlock itself. */
/* Meanwhile two more workers open accounts of their own, one pair per
 * turn, move money both ways between the two and close them: accounts are
 * independent objects, opened from several threads at once. Their opening
 * shares nothing with the movers' locks, and nothing the driver does
 * orders the two openers, so state account_create() keeps for all accounts
 * without a lock or an atomic (a plain counter handing out lock ranks in
 * order of creation, which two threads can give the same rank, and whose
 * two accounts then lock in argument order) is a race TSan reports on the
 * second opener's first turn. */
typedef struct {
    account_t *acct[4];
    long transfers;
    int openers;        /* the last workers, opening accounts of their own */
    lab_turns_t *turns; /* one step per turn, round robin: see check_race_free */
    _Atomic long done;
    int opened_wrong;   /* an opener's accounts ended with the wrong balance */
    long opened_got[2];
} shared_t;

static void open_pair(shared_t *r, int who, long i) {
    int id = 100000 * who + 2 * (int)i;
    account_t *x = account_create(id, 50), *y = account_create(id + 1, 7);
    account_transfer(x, y, 20);
    account_transfer(y, x, 5);
    long got[2] = {account_balance(x), account_balance(y)};
    account_destroy(x);
    account_destroy(y);
    if ((got[0] != 35 || got[1] != 22) && !r->opened_wrong) {
        r->opened_wrong = 1;
        r->opened_got[0] = got[0];
        r->opened_got[1] = got[1];
    }
}

static void shared_worker(const lab_worker_t *w) {
    shared_t *r = w->arg;
    int who = w->index;
    uint64_t rng = lab_seed_for(who);
    long i = 0;
    for (; i < r->transfers && lab_turn_take(r->turns, who); i++) {
        if (who >= w->count - r->openers) {
            open_pair(r, who, i);
        } else if (who < 2) {
            for (int k = 0; k < 4; k++)
                (void)account_balance(r->acct[k]);
        } else {
            uint64_t x = lab_rand_next(&rng);
            int from = (int)(x % 4), to = (int)((x >> 8) % 3);
            to += to >= from;
            if (from > to) {
                int t = from;
                from = to;
                to = t;
            }
            account_transfer(r->acct[from], r->acct[to], 1 + (long)(i % 5));
            /* then one from an account to itself, after the locked step
             * on it: a design that skips the locks for it but still does
             * the arithmetic writes a balance the next turns read and
             * write under its lock, with nothing between to order them */
            account_transfer(r->acct[to], r->acct[to], 1 + (long)(i % 3));
            atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
        }
        lab_turn_give(r->turns, who);
    }
    lab_turn_leave(r->turns, who);
}

/* Then transfers that really collide: threads move money between the same
 * two accounts in opposite directions, freely, so a design's path for a
 * busy lock (a try that fails, a back-off, a retry) runs under TSan, in
 * several threads at once. Two threads that each hold one account and find
 * the other's busy both back off with nothing ordering them, and on a
 * single CPU a thread preempted holding its payer makes the other fail and
 * back off over and over before it fails too: state the back-off path
 * keeps for all threads (a shared random seed) is written by both, unordered. */
typedef struct {
    account_t *a, *b;
    long transfers;
    _Atomic long done;
} clash_t;

static void clash_worker(const lab_worker_t *w) {
    clash_t *c = w->arg;
    account_t *from = w->index & 1 ? c->b : c->a, *to = w->index & 1 ? c->a : c->b;
    for (long i = 0; i < c->transfers && !(i % 64 == 0 && lab_time_spent(0.7)); i++) {
        account_transfer(from, to, 1 + i % 3);
        atomic_fetch_add_explicit(&c->done, 1, memory_order_relaxed);
    }
}

static long clash(int threads, long transfers) {
    clash_t c = {.a = account_create(10, 1000), .b = account_create(11, 1000), .transfers = transfers};
    atomic_init(&c.done, 0);
    lab_pause_mode = LAB_PAUSE_YIELD; /* a window between the two locks, where a design marks one */
    lab_stall_t *s = lab_stall_watch(&c.done, STALL_S, STALL_REASON);
    lab_threads_run(threads, clash_worker, &c);
    lab_stall_stop(s);
    lab_pause_mode = LAB_PAUSE_OFF;
    LAB_EXPECT_EQ(2000, account_balance(c.a) + account_balance(c.b),
                  "money in 2 accounts after transfers both ways between them");
    account_destroy(c.a);
    account_destroy(c.b);
    return atomic_load(&c.done);
}

/* The movers and readers take turns, one step each, through a turnstile
 * ThreadSanitizer does not see: on a busy machine threads would otherwise
 * run one after another, and the locks a submission does take would order
 * the accesses it left unlocked. */
static void check_race_free(const lab_opts_t *o) {
    int movers = lab_opt_threads(o, 4);
    shared_t r = {.transfers = lab_opt_iters(o, 200), .openers = 2};
    for (int i = 0; i < 4; i++)
        r.acct[i] = account_create(i, 1000);
    atomic_init(&r.done, 0);
    int all = movers + 2 + r.openers;
    r.turns = lab_turns_new(all, 0.4);
    lab_stall_t *s = lab_stall_watch(&r.done, STALL_S, STALL_REASON);
    lab_threads_run(all, shared_worker, &r);
    lab_stall_stop(s);
    lab_turns_free(r.turns);
    if (r.opened_wrong)
        lab_fail("an account pair opened while others are in use, 20 moved from 50 to 7 and 5 back, holds 35 "
                 "and 22 / it held %ld and %ld", r.opened_got[0], r.opened_got[1]);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        total += account_balance(r.acct[i]);
        account_destroy(r.acct[i]);
    }
    LAB_EXPECT_EQ(4000, total, "money in the 4 accounts after every transfer");
    long clashes = clash(4, 2000);
    lab_pass("%d threads transfer among 4 shared accounts, and from each to itself, while 2 read balances and 2 "
             "open accounts of their own, taking turns: total kept%s; then 4 threads transfer both ways between 2 "
             "accounts: %ld transfers",
             movers, lab_cut_note(atomic_load(&r.done), movers * r.transfers), clashes);
}

static const lab_check_t checks[] = {
    {"single", "one thread: money moves both ways, between every two of 22 accounts with ids 0..INT_MAX, and of 1100 open "
     "at once",
     check_single, LAB_PAUSE_OFF},
    {"self", "a transfer from an account to itself returns", check_self, LAB_PAUSE_OFF},
    {"opposite",
     "2 rounds of 8 threads x 500 transfers, a->b and b->a at once, locks in lock step for 0.5 s while a 9th "
     "opens and closes accounts and signals the movers: no deadlock, every balance exact",
     check_opposite, LAB_PAUSE_YIELD},
    {"random", "8 threads x 500 random transfers among 5 accounts with ids 0..4, then x 1000 among ids 0..2^30: no "
     "deadlock, every balance exact",
     check_random, LAB_PAUSE_RANDOM},
    {"in-flight", "readers see every a->b transfer as one step while 4 threads transfer",
     check_in_flight, LAB_PAUSE_RANDOM},
    {"race-free",
     "4 threads transfer among shared accounts, also to the same account, while 2 read and 2 open accounts of "
     "their own; then 4 both ways between 2 accounts (ThreadSanitizer build)",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
