/* Lab 03, bank account: the torture driver. One check per run.
 *
 *   $ build/labs/03-bank-account/broken/test conserved
 *   FAIL: 8 threads x 400 operations on 4 accounts keep every cent: total 4000 + 9011 deposited - 8432 withdrawn = 4579 / the accounts hold 2113 (check conserved, seed 42)
 *   $ build/labs/03-bank-account/fixed/test no-overdraw
 *   ok: no-overdraw: 200 rounds of 8 threads withdrawing 60 from 100: one payout every round
 */
#include <stdatomic.h>

#include "account.h"
#include "lab.h"

static void check_single(const lab_opts_t *o) {
    (void)o;
    account_t *a = account_create(100), *b = account_create(7);
    account_deposit(a, 50);
    LAB_EXPECT_EQ(150, account_balance(a), "balance after depositing 50 into 100");
    LAB_EXPECT_EQ(1, account_withdraw(a, 120), "withdrawing 120 from 150");
    LAB_EXPECT_EQ(30, account_balance(a), "balance after the withdrawal");
    LAB_EXPECT_EQ(0, account_withdraw(a, 31), "withdrawing 31 from 30 (refused)");
    LAB_EXPECT_EQ(30, account_balance(a), "balance after a refused withdrawal");
    LAB_EXPECT_EQ(1, account_withdraw(a, 30), "withdrawing the whole balance");
    LAB_EXPECT_EQ(0, account_balance(a), "balance after emptying the account");
    for (int i = 0; i < 1000; i++)
        account_deposit(a, 1);
    LAB_EXPECT_EQ(1000, account_balance(a), "balance after 1000 deposits of 1");
    LAB_EXPECT_EQ(7, account_balance(b), "a second account, untouched");
    account_destroy(a);
    account_destroy(b);
    lab_pass("one thread: deposits add, withdrawals subtract, an overdraft is refused, accounts independent");
}

enum { ACCOUNTS = 4, START = 1000 };

typedef struct {
    account_t *acct[ACCOUNTS];
    long ops;
    atomic_long deposited, withdrawn;
    int readers;          /* workers 0 .. readers-1 read balances meanwhile */
    atomic_int tellers_left;
    atomic_long done;     /* teller operations made, all tellers */
    lab_turns_t *turns;   /* the ThreadSanitizer run: one step per turn, round robin */
    long negative_read;   /* a balance below zero seen during the run, or 0 */
} bank_t;

/* Whether worker `who` may take its i-th step: a reader while tellers are
 * left (or, taking turns, as many steps as a teller makes operations: an
 * atomic read of tellers_left would order the tellers' work before its
 * reads for ThreadSanitizer), a teller for its operations. */
static int step(bank_t *b, int who, long i) {
    if (b->turns)
        return i < b->ops && lab_turn_take(b->turns, who);
    return who < b->readers ? atomic_load(&b->tellers_left) > 0 : i < b->ops;
}

static void step_done(bank_t *b, int who) {
    if (b->turns)
        lab_turn_give(b->turns, who);
}

static void steps_over(bank_t *b, int who) {
    if (b->turns)
        lab_turn_leave(b->turns, who);
}

/* Reads every balance while the tellers work: a balance may never be seen
 * below zero, and under ThreadSanitizer an unlocked read shows. */
static void balance_reader(bank_t *b, int who) {
    for (long n = 0; step(b, who, n); n++) {
        for (int i = 0; i < ACCOUNTS; i++) {
            long v = account_balance(b->acct[i]);
            if (v < 0 && b->negative_read == 0)
                b->negative_read = v;
        }
        step_done(b, who);
    }
    steps_over(b, who);
}

static void teller(const lab_worker_t *w) {
    bank_t *b = w->arg;
    if (w->index < b->readers) {
        balance_reader(b, w->index);
        return;
    }
    uint64_t rng = lab_seed_for(w->index);
    long in = 0, out = 0, i = 0;
    for (; step(b, w->index, i); i++) {
        uint64_t r = lab_rand_next(&rng);
        account_t *a = b->acct[r % ACCOUNTS];
        long amount = 1 + (long)((r >> 8) % 10);
        if ((r >> 16) & 1) {
            account_deposit(a, amount);
            in += amount;
        } else if (account_withdraw(a, amount)) {
            out += amount;
        }
        step_done(b, w->index);
    }
    steps_over(b, w->index);
    atomic_fetch_add(&b->done, i);
    atomic_fetch_add(&b->deposited, in);
    atomic_fetch_add(&b->withdrawn, out);
    atomic_fetch_sub(&b->tellers_left, 1);
}

static void check_conserved(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    bank_t b = {.ops = lab_opt_iters(o, 400), .readers = 1};
    for (int i = 0; i < ACCOUNTS; i++)
        b.acct[i] = account_create(START);
    atomic_init(&b.deposited, 0);
    atomic_init(&b.withdrawn, 0);
    atomic_init(&b.tellers_left, threads);
    atomic_init(&b.done, 0);
    lab_threads_run(threads + b.readers, teller, &b);
    if (b.negative_read)
        lab_fail("no balance below 0 while %d threads deposit and withdraw / a reader saw %ld", threads,
                 b.negative_read);
    long held = 0, negative = 0;
    for (int i = 0; i < ACCOUNTS; i++) {
        long v = account_balance(b.acct[i]);
        held += v;
        negative += v < 0;
        account_destroy(b.acct[i]);
    }
    long in = atomic_load(&b.deposited), out = atomic_load(&b.withdrawn);
    long want = (long)ACCOUNTS * START + in - out;
    if (held != want || negative)
        lab_fail("%d threads x %ld operations on %d accounts keep every cent: total %d + %ld deposited - "
                 "%ld withdrawn = %ld / the accounts hold %ld%s",
                 threads, b.ops, ACCOUNTS, ACCOUNTS * START, in, out, want, held,
                 negative ? ", and one is overdrawn" : "");
    lab_pass("%d threads x %ld deposits and withdrawals on %d accounts: every cent accounted for", threads,
             b.ops, ACCOUNTS);
}

typedef struct {
    account_t *a;
    atomic_long paid;
    atomic_int left; /* withdrawers still running */
    long negative_read;
} run_t;

/* Worker 0 watches the balance while the others withdraw: it may never read
 * below zero, not even for a moment (a withdrawal that takes the money
 * first and gives it back when there was not enough breaks that). */
static void withdrawer(const lab_worker_t *w) {
    run_t *r = w->arg;
    if (w->index == 0) {
        while (atomic_load(&r->left) > 0) {
            long v = account_balance(r->a);
            if (v < 0 && r->negative_read == 0)
                r->negative_read = v;
        }
        return;
    }
    if (account_withdraw(r->a, 60))
        atomic_fetch_add(&r->paid, 60);
    atomic_fetch_sub(&r->left, 1);
}

/* The sharpest case: many withdrawals of 60 racing for 100. */
static void check_no_overdraw(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long rounds = lab_opt_iters(o, 200);
    for (long k = 0; k < rounds; k++) {
        run_t r = {.a = account_create(100)};
        atomic_init(&r.paid, 0);
        atomic_init(&r.left, threads);
        lab_threads_run(threads + 1, withdrawer, &r);
        if (r.negative_read)
            lab_fail("the balance never reads below 0 while %d threads withdraw 60 from 100 / round %ld: "
                     "a reader saw %ld",
                     threads, k + 1, r.negative_read);
        long paid = atomic_load(&r.paid), left = account_balance(r.a);
        if (paid != 60 || left != 40)
            lab_fail("one of %d withdrawals of 60 from 100 is paid, leaving 40 / round %ld: %ld paid out, "
                     "balance %ld",
                     threads, k + 1, paid, left);
        account_destroy(r.a);
    }
    lab_pass("%ld rounds of %d threads withdrawing 60 from 100: one payout every round", rounds, threads);
}

/* For the ThreadSanitizer build: tellers and readers take turns, one step
 * each, so their calls interleave even when the machine is too busy to run
 * them side by side. */
static void check_race_free(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    bank_t b = {.ops = lab_opt_iters(o, 200), .readers = 2};
    for (int i = 0; i < ACCOUNTS; i++)
        b.acct[i] = account_create(START);
    atomic_init(&b.deposited, 0);
    atomic_init(&b.withdrawn, 0);
    atomic_init(&b.tellers_left, threads);
    atomic_init(&b.done, 0);
    b.turns = lab_turns_new(threads + b.readers, 0.4);
    lab_threads_run(threads + b.readers, teller, &b);
    lab_turns_free(b.turns);
    long held = 0;
    for (int i = 0; i < ACCOUNTS; i++) {
        held += account_balance(b.acct[i]);
        account_destroy(b.acct[i]);
    }
    LAB_EXPECT_EQ((long)ACCOUNTS * START + atomic_load(&b.deposited) - atomic_load(&b.withdrawn), held,
                  "money in the accounts");
    lab_pass("%d threads at once while 2 read balances: every cent accounted for%s", threads,
             lab_cut_note(atomic_load(&b.done), threads * b.ops));
}

static const lab_check_t checks[] = {
    {"single", "one thread: deposits, withdrawals, a refused overdraft", check_single, LAB_PAUSE_OFF},
    {"conserved", "8 threads x 400 random deposits and withdrawals, one reader: money conserved",
     check_conserved, LAB_PAUSE_RANDOM},
    {"no-overdraw", "200 rounds: 8 threads withdraw 60 from 100 while one reads: one paid, never < 0",
     check_no_overdraw, LAB_PAUSE_YIELD},
    {"race-free", "4 tellers and 2 balance readers at once, for the ThreadSanitizer build",
     check_race_free, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
