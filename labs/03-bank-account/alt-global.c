/* Lab 03, bank account: another correct design, one lock for the whole bank.
 *
 * Every operation on every account takes the same mutex. It is as correct
 * as a lock per account and simpler to reason about when an operation
 * touches several accounts (lab 04), but two tellers serving two different
 * customers now wait for each other: the bench shows what that costs. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t bank_lock = PTHREAD_MUTEX_INITIALIZER;

struct account {
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    lab_pause();
    a->balance = b + amount;
    lab_mutex_unlock(&bank_lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    if (b >= amount) {
        lab_pause();
        a->balance = b - amount;
        done = 1;
    }
    lab_mutex_unlock(&bank_lock);
    return done;
}

long account_balance(account_t *a) {
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    lab_mutex_unlock(&bank_lock);
    return b;
}

void account_destroy(account_t *a) { free(a); }
