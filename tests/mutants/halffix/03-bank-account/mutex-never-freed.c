/* Wrong: each account's mutex lives in a block of its own ("a pthread_mutex_t
 * must never be moved or copied, so keep it off the account"), and
 * account_destroy() destroys it and frees the account but never frees that
 * block. Every account opened and closed leaks it: a bank process that opens
 * and closes accounts for years grows without bound, though account_destroy()
 * is the end of the account and all it holds. The grader catches it in
 * single: its build counts the implementation's allocations and frees, and
 * after the check's 7 accounts are destroyed 7 blocks are still live
 * (lab_expect_freed), every run. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t *lock; /* out of line: never moved with the account */
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->lock = lab_calloc(1, sizeof *a->lock);
    lab_mutex_init(a->lock, NULL);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(a->lock);
    long b = a->balance;     /* read */
    lab_pause();             /* the ledger call: others wait at the lock */
    a->balance = b + amount; /* write back: nobody changed it meanwhile */
    lab_mutex_unlock(a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(a->lock);
    long b = a->balance; /* read */
    if (b >= amount) {   /* check */
        lab_pause();     /* the ledger call */
        a->balance = b - amount; /* act, while the check still holds */
        done = 1;
    }
    lab_mutex_unlock(a->lock);
    return done;
}

long account_balance(account_t *a) {
    lab_mutex_lock(a->lock);
    long b = a->balance;
    lab_mutex_unlock(a->lock);
    return b;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(a->lock);
    free(a);
}
