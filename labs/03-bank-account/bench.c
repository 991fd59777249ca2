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
 * The floor of both ops (impl=floor, floor=pthread_mutex): the same loop on
 * accounts that are a balance beside a bare pthread mutex, each deposit and
 * each checked withdrawal done under it; the library's way to make
 * read-modify-write one step. The table gives each design's ratio to it.
 *
 *   $ build/labs/03-bank-account/fixed/bench --threads 1,2
 */
#include <pthread.h>
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

/* The floor's account: what a lock per account costs, with nothing else. */
typedef struct {
    pthread_mutex_t lock;
    long balance;
} floor_account_t;

static floor_account_t *floor_accounts;

static void bm_floor(gb_state_t *st, int shared, const char *op) {
    labbench_thread_begin(st);
    int t = gb_thread_index(st), n = gb_thread_count(st);
    int naccts = shared ? 1 : PER_TELLER * n;
    if (naccts > MAX_ACCOUNTS) {
        gb_skip_with_error(st, "too many threads for the account table");
        return;
    }
    if (t == 0) {
        floor_accounts = calloc((size_t)naccts, sizeof *floor_accounts);
        if (floor_accounts == NULL)
            abort();
        for (int i = 0; i < naccts; i++) {
            pthread_mutex_init(&floor_accounts[i].lock, NULL);
            floor_accounts[i].balance = START;
        }
    }
    floor_account_t *mine = shared ? floor_accounts : floor_accounts + PER_TELLER * t;
    unsigned k = shared ? 0 : PER_TELLER - 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i += 2) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            floor_account_t *a = &mine[x & k];
            pthread_mutex_lock(&a->lock);
            a->balance += 2;
            pthread_mutex_unlock(&a->lock);
            GB_CLOBBER_MEMORY();
            pthread_mutex_lock(&a->lock);
            if (a->balance >= 1)
                a->balance -= 1;
            pthread_mutex_unlock(&a->lock);
            GB_CLOBBER_MEMORY();
        }
    labbench_thread_end(st, op, gb_iterations_done(st));
    if (t == 0) { /* after the stop barrier: nobody banks any more */
        for (int i = 0; i < naccts; i++)
            pthread_mutex_destroy(&floor_accounts[i].lock);
        free(floor_accounts);
    }
}

static void bm_floor_own(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 0, "own-accounts");
}

static void bm_floor_one(gb_state_t *st, void *arg) {
    (void)arg;
    bm_floor(st, 1, "one-account");
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
    labbench_register_floor(lb, "own-accounts-floor", "pthread_mutex", bm_floor_own, NULL);
    labbench_register_floor(lb, "one-account-floor", "pthread_mutex", bm_floor_one, NULL);
}
