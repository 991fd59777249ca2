/* Wrong: atomic steps, not an atomic operation. The check is an atomic
 * load, the withdrawal an atomic subtraction: two withdrawals of 60 both
 * load 100, both subtract, and the account ends at -20 having paid 120.
 * ThreadSanitizer sees no race (only atomics); the count tells. */
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
    if (atomic_load(&a->balance) < amount)
        return 0;
    atomic_fetch_sub(&a->balance, amount);
    return 1;
}

long account_balance(account_t *a) {
    return atomic_load(&a->balance);
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
