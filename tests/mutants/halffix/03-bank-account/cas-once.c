/* Wrong: a lock-free withdrawal that tries its compare-and-swap once and
 * refuses when it fails, taking a failed swap to mean the money is gone.
 * But a deposit (or another withdrawal) that lands between the load and the
 * swap fails it too, while the balance still covers the amount: account.h
 * allows a refusal only "when the balance was too small". Money is still
 * conserved, so totals never show it. The conserved check has every thread
 * deposit into or withdraw 1..10 from a reserve that never holds less than
 * 1000, with random pauses and perturbation, and fails on any refusal
 * there: hundreds of them every run. */
#include "account.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct account {
    atomic_long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    atomic_init(&a->balance, balance);
    return a;
}

void account_deposit(account_t *a, long amount) { atomic_fetch_add(&a->balance, amount); }

int account_withdraw(account_t *a, long amount) {
    long b = atomic_load(&a->balance);
    if (b < amount)
        return 0;
    lab_pause();
    /* if it changed, another withdrawal won the race: refuse */
    return atomic_compare_exchange_strong(&a->balance, &b, b - amount);
}

long account_balance(account_t *a) { return atomic_load(&a->balance); }

void account_destroy(account_t *a) { free(a); }
