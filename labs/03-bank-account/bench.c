/* Lab 03, bank account: the benchmarks. Every thread alternates deposits
 * of 2 and withdrawals of 1 as fast as it can, either on 16 accounts of its
 * own (`own-accounts`: one teller per customer group, no account shared) or
 * all on one account (`one-account`); balances start so high that no
 * withdrawal is refused. With accounts of its own, a lock per account lets
 * tellers work in parallel, while one lock for the whole bank (alt-global.c)
 * makes them take turns. After the loop thread 0 compares the money in the
 * accounts with what the operations should have left there: every unit off
 * is an update some overlap wiped out, the price of the unsafe version.
 *
 *   $ build/labs/03-bank-account/fixed/bench --threads 1,2
 */
#include <stdint.h>
#include <stdlib.h>

#include "account.h"
#include "labbench.h"

enum { BATCH = 256, PER_TELLER = 16, MAX_ACCOUNTS = 1024 };
#define START (1L << 40)

static account_t *accounts[MAX_ACCOUNTS];

static void bm_bank(gb_state_t *st, int shared, const char *op) {
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    int naccts = shared ? 1 : PER_TELLER * n;
    if (naccts > MAX_ACCOUNTS) {
        gb_skip_with_error(st, "too many threads for the account table");
        return;
    }
    if (t == 0)
        for (int i = 0; i < naccts; i++)
            accounts[i] = account_create(START);
    account_t **mine = shared ? accounts : accounts + PER_TELLER * t;
    unsigned k = shared ? 0 : PER_TELLER - 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i += 2) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: which of my accounts */
            account_t *a = mine[x & k];
            account_deposit(a, 2);
            GB_CLOBBER_MEMORY();
            account_withdraw(a, 1);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    if (t == 0) {
        /* every thread ran `done` operations, half deposits of 2, half withdrawals of 1 */
        long long want = (long long)naccts * START + (long long)(done / 2) * n, held = 0;
        for (int i = 0; i < naccts; i++) {
            held += account_balance(accounts[i]);
            account_destroy(accounts[i]);
        }
        gb_counter_set(st, "lost_updates", (double)llabs(want - held), GB_COUNTER_DEFAULT);
    }
    labbench_thread_end(st, op, done);
}

static void bm_own(gb_state_t *st, void *arg) {
    (void)arg;
    bm_bank(st, 0, "own-accounts");
}

static void bm_one(gb_state_t *st, void *arg) {
    (void)arg;
    bm_bank(st, 1, "one-account");
}

void lab_bench_register(const labbench_t *lb) {
    labbench_register(lb, "own-accounts", bm_own, NULL);
    labbench_register(lb, "one-account", bm_one, NULL);
}
