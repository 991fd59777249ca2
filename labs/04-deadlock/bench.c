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
 * The floor of each size (impl=floor, floor=pthread_mutex_pair_ordered):
 * pthreads has no call that locks two mutexes at once, so the nearest honest
 * floor is the same loop on bare pthread mutexes, the pair taken in one
 * global order (by index): the fewest lock calls any deadlock-free
 * two-account transfer can make. The table gives each design's ratio to it.
 *
 *   $ build/labs/04-deadlock/fixed/bench --threads 1,2
 */
#include <pthread.h>
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

typedef struct {
    pthread_mutex_t lock;
    long balance;
} floor_account_t;

static floor_account_t *floor_accounts;

static void bm_floor(gb_state_t *st, void *arg) {
    (void)arg;
    labbench_thread_begin(st);
    int t = gb_thread_index(st);
    int n = (int)gb_range_arg(st, 0);
    const char *op = "transfer";
    for (int k = 0; k < 3; k++)
        if (sizes[k] == n)
            op = ops[k];
    if (t == 0) {
        floor_accounts = calloc((size_t)n, sizeof *floor_accounts);
        if (floor_accounts == NULL)
            abort();
        for (int i = 0; i < n; i++) {
            pthread_mutex_init(&floor_accounts[i].lock, NULL);
            floor_accounts[i].balance = START;
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
    while (gb_keep_running_batch(st, BATCH))
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int from = (int)(x % (uint64_t)n), to = (int)((x >> 20) % (uint64_t)(n - 1));
            to += to >= from;
            floor_account_t *first = &floor_accounts[from < to ? from : to];
            floor_account_t *second = &floor_accounts[from < to ? to : from];
            pthread_mutex_lock(&first->lock);
            pthread_mutex_lock(&second->lock);
            floor_accounts[from].balance -= 1;
            floor_accounts[to].balance += 1;
            pthread_mutex_unlock(&second->lock);
            pthread_mutex_unlock(&first->lock);
            GB_CLOBBER_MEMORY();
        }
    labbench_thread_end(st, op, gb_iterations_done(st));
    if (t == 0) { /* after the stop barrier */
        for (int i = 0; i < n; i++)
            pthread_mutex_destroy(&floor_accounts[i].lock);
        free(floor_accounts);
    }
}

void lab_bench_register(const labbench_t *lb) {
    for (int k = 0; k < 3; k++)
        snprintf(ops[k], sizeof ops[k], "%d-accounts", (int)sizes[k]);
    gb_args_list(labbench_register(lb, "transfer", bm_transfer, NULL), sizes, 3);
    gb_bench_t *f = labbench_register_floor(lb, "transfer-floor", "pthread_mutex_pair_ordered", bm_floor, NULL);
    if (f)
        gb_args_list(f, sizes, 3);
}
