/* Lab 04, deadlock: the benchmarks. Every thread moves 1 between two
 * random accounts of a shared bank, in both directions, as fast as it can;
 * the bank has 2, 16 or 1024 accounts (the benchmark's argument), from
 * every transfer colliding to almost none. Ordered locking (fixed.c) lets
 * transfers between disjoint pairs run in parallel; one global lock
 * (alt-global.c) never does; try-and-back-off (alt-trylock.c) pays retries
 * when transfers collide. broken.c deadlocks here as in the tests, and the
 * harness reports it as a run that did not finish. After the loop thread 0
 * checks the bank's total: every unit off would be money lost.
 *
 *   $ build/labs/04-deadlock/fixed/bench --threads 1,2
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bank.h"
#include "labbench.h"

enum { BATCH = 256, MAX_ACCOUNTS = 1024 };
#define START 1000000L

static account_t *accounts[MAX_ACCOUNTS];
static const int64_t sizes[] = {2, 16, 1024};
static char ops[3][32];

static void bm_transfer(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st);
    int n = (int)gb_range_arg(st, 0);
    const char *op = "transfer";
    for (int k = 0; k < 3; k++)
        if (sizes[k] == n)
            op = ops[k];
    if (t == 0)
        for (int i = 0; i < n; i++)
            accounts[i] = account_create(i, START);
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: which pair */
            int from = (int)(x % (uint64_t)n), to = (int)((x >> 20) % (uint64_t)(n - 1));
            to += to >= from;
            account_transfer(accounts[from], accounts[to], 1);
            GB_CLOBBER_MEMORY();
        }
    int64_t done = gb_iterations_done(st);
    if (t == 0) {
        long long total = 0;
        for (int i = 0; i < n; i++) {
            total += account_balance(accounts[i]);
            account_destroy(accounts[i]);
        }
        gb_counter_set(st, "lost_updates", (double)llabs(total - (long long)n * START), GB_COUNTER_DEFAULT);
    }
    labbench_thread_end(st, op, done);
}

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < 3; k++)
        snprintf(ops[k], sizeof ops[k], "%d-accounts", (int)sizes[k]);
    gb_args_list(labbench_register(lb, "transfer", bm_transfer, NULL), sizes, 3);
}
