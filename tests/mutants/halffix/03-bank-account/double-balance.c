/* Wrong: the balance is kept in a double ("money has decimals"), converted
 * at account.h's long API. A double holds every integer only up to 2^53:
 * past it a deposit of 1 is rounded away and a balance reads back rounded,
 * against the README's "balances and amounts are `long`: any balance, any
 * amount" and account.h's "no deposit is ever lost" and exact balance. The
 * single check deposits 1 twice into an account of 2^53 and compares the
 * balance exactly: it reads 2^53, not 2^53 + 2, every run. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    double balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->balance = (double)balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&a->lock);
    double b = a->balance;
    lab_pause();
    a->balance = b + (double)amount;
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    double b = a->balance;
    if (b >= (double)amount) {
        lab_pause();
        a->balance = b - (double)amount;
        done = 1;
    }
    lab_mutex_unlock(&a->lock);
    return done;
}

long account_balance(account_t *a) {
    lab_mutex_lock(&a->lock);
    long b = (long)a->balance;
    lab_mutex_unlock(&a->lock);
    return b;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
