/* Wrong because account.h promises "no deposit is ever lost": deposits
 * were made lock-free with atomic_fetch_add ("a deposit can never overdraw,
 * so it needs no lock"), while a withdrawal still reads the balance, checks
 * it and stores the difference under the mutex. The mutex only keeps
 * withdrawals apart: a deposit that lands between a withdrawal's load and
 * its store is overwritten by that store and vanishes.
 * The grader shows it: conserved compares every account with the driver's
 * own sums of what was deposited and paid, with random pauses in every
 * window: deposits go missing every run (10/20). */
#include "account.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock; /* keeps withdrawals from overdrawing */
    atomic_long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    atomic_init(&a->balance, balance);
    return a;
}

void account_deposit(account_t *a, long amount) { atomic_fetch_add(&a->balance, amount); }

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    long b = atomic_load(&a->balance);
    if (b >= amount) {
        lab_pause();
        atomic_store(&a->balance, b - amount);
        done = 1;
    }
    lab_mutex_unlock(&a->lock);
    return done;
}

long account_balance(account_t *a) { return atomic_load(&a->balance); }

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
