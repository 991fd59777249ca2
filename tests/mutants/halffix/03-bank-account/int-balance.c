/* Wrong: the balance is kept in an int behind account.h's long API (lab
 * 02's seat counter copied over). Everything works below 2^31; past it the
 * balance is truncated on creation and wraps on deposit, and a withdrawal
 * the real balance covers is refused. The single check creates an account
 * with 3000000000, deposits across 2^31 and 2^32 and withdraws amounts as
 * large, comparing every balance exactly: it reads -1294967296 for
 * 3000000000 every run. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    int balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&a->lock);
    int b = a->balance;
    lab_pause();
    a->balance = b + amount;
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    int b = a->balance;
    if (b >= amount) {
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
