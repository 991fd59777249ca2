/* Wrong: the withdrawal's test is `balance > amount` ("there must be money
 * left"), so withdrawing exactly the whole balance is refused although the
 * balance covers it, against account.h's 1 "when the balance covered it"
 * and 0 only "when the balance was too small": an account can never be
 * emptied. The single check withdraws the whole balance (30 from 30): it
 * is refused, every run. */
#include "account.h"

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
    long b = a->balance;
    lab_pause();
    a->balance = b + amount;
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    long b = a->balance;
    if (b > amount) { /* enough money */
        lab_pause();
        a->balance = b - amount;
        done = 1;
    }
    lab_mutex_unlock(&a->lock);
    return done;
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
