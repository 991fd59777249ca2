/* Wrong: take the money first, give it back if there was not enough. Each
 * withdrawal is one atomic subtraction, and one that took the balance below
 * zero adds the amount back, so the totals after the join are right and
 * only one of the racing withdrawals is paid. But for that moment the
 * account is overdrawn: a reader sees 100 - 60 - 60 = -20, which the header
 * promises never happens. */
#include "account.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    atomic_long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    atomic_init(&a->balance, balance);
    return a;
}

void account_deposit(account_t *a, long amount) {
    atomic_fetch_add(&a->balance, amount);
}

int account_withdraw(account_t *a, long amount) {
    if (atomic_fetch_sub(&a->balance, amount) >= amount)
        return 1;
    atomic_fetch_add(&a->balance, amount);
    return 0;
}

long account_balance(account_t *a) {
    return atomic_load(&a->balance);
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
