/* Half-fix: the withdrawal is locked (broken.c's second mistake fixed),
 * the deposit still reads, adds and writes back with nothing held: two
 * overlapping deposits (or a deposit and a withdrawal) start from the same
 * balance and one of them vanishes; the total no longer adds up. */
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
    long b = a->balance;
    a->balance = b + amount;
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    if (a->balance >= amount) {
        a->balance -= amount;
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
