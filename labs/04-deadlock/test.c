/* Lab 04, deadlock: the torture driver. One check per run. A hang is never
 * waited out: a stall watchdog fails the check as soon as no transfer has
 * finished for 1 s, and names the reason.
 *
 *   $ build/labs/04-deadlock/broken/test opposite
 *   FAIL: deadlock: no transfer finished in 1 s / progress stopped at 3 (check opposite, seed 77)
 *   $ build/labs/04-deadlock/fixed/test random
 *   ok: random: 8 threads x 1000 transfers among 5 accounts in both directions: all finished, total kept
 */
#include <stdatomic.h>

#include "bank.h"
#include "lab.h"

#define STALL_S 1.0
#define STALL_REASON "deadlock: no transfer finished in 1 s"

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
    lab_pass("one thread: money moves both ways and the total stays 150");
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

enum { MAX_ACCOUNTS = 16 };

typedef struct {
    account_t *acct[MAX_ACCOUNTS];
    int naccts;
    long transfers;
    int opposite; /* even threads a->b, odd threads b->a; else random pairs */
    _Atomic long done;
} race_t;

static void mover(const lab_worker_t *w) {
    race_t *r = w->arg;
    uint64_t rng = lab_seed_for(w->index);
    for (long i = 0; i < r->transfers; i++) {
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
        account_transfer(r->acct[from], r->acct[to], 1 + (long)(i % 7));
        atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
    }
}

static void race(int threads, int naccts, long transfers, int opposite, const char *what) {
    race_t r = {.naccts = naccts, .transfers = transfers, .opposite = opposite};
    atomic_init(&r.done, 0);
    for (int i = 0; i < naccts; i++)
        r.acct[i] = account_create(i, 1000);
    lab_stall_t *s = lab_stall_watch(&r.done, STALL_S, STALL_REASON);
    lab_threads_run(threads, mover, &r);
    lab_stall_stop(s);
    long total = 0;
    for (int i = 0; i < naccts; i++) {
        total += account_balance(r.acct[i]);
        account_destroy(r.acct[i]);
    }
    if (total != 1000L * naccts)
        lab_fail("%s keep the total at %ld / it is %ld", what, 1000L * naccts, total);
}

static void check_opposite(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 4);
    long n = lab_opt_iters(o, 2000);
    race(threads, 2, n, 1, "transfers between two accounts in opposite directions");
    lab_pass("%d threads x %ld transfers, half a->b and half b->a: all finished, total kept", threads, n);
}

static void check_random(const lab_opts_t *o) {
    int threads = lab_opt_threads(o, 8);
    long n = lab_opt_iters(o, 1000);
    race(threads, 5, n, 0, "random transfers among 5 accounts");
    lab_pass("%d threads x %ld transfers among 5 accounts in both directions: all finished, total kept",
             threads, n);
}

/* For the ThreadSanitizer build: one thread, so nothing can hang, moves
 * money a->b and then b->a. Locks taken in both orders are a deadlock
 * waiting for the right timing, and TSan's lock-order check says so. */
static void check_lock_order(const lab_opts_t *o) {
    (void)o;
    account_t *a = account_create(1, 100), *b = account_create(2, 100);
    account_transfer(a, b, 10);
    account_transfer(b, a, 20);
    LAB_EXPECT_EQ(110, account_balance(a), "balance after a->b 10, b->a 20");
    LAB_EXPECT_EQ(90, account_balance(b), "balance after a->b 10, b->a 20");
    account_destroy(a);
    account_destroy(b);
    lab_pass("transfers both ways on one thread: balances right");
}

static const lab_check_t checks[] = {
    {"single", "one thread: money moves both ways, total kept", check_single, LAB_PAUSE_OFF},
    {"self", "a transfer from an account to itself returns", check_self, LAB_PAUSE_OFF},
    {"opposite", "4 threads x 2000 transfers, a->b and b->a at once: no deadlock", check_opposite,
     LAB_PAUSE_YIELD},
    {"random", "8 threads x 1000 random transfers among 5 accounts: no deadlock, total kept",
     check_random, LAB_PAUSE_RANDOM},
    {"lock-order", "a->b then b->a on one thread (for ThreadSanitizer's lock-order check)",
     check_lock_order, LAB_PAUSE_OFF},
};

int main(int argc, char **argv) { return lab_main(argc, argv, checks, LAB_NCHECKS(checks)); }
