/* Half-fix: deposits are locked (broken.c's first mistake fixed), the
 * withdrawal is still read, check, write with nothing held. Two withdrawals
 * of 60 from 100 both see enough, both pay: 120 paid out of 100, and
 * overlapping withdrawals lose each other's writes. */
#include "account.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&a->lock);
    a->balance += amount;
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    long b = a->balance;
    if (b < amount)
        return 0;
    a->balance = b - amount;
    return 1;
}

long account_balance(account_t *a) {
    lab_mutex_lock(&a->lock);
    long b = a->balance;
    lab_mutex_unlock(&a->lock);
    return b;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
