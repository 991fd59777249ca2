/* Lab 03, bank account: the reference fix.
 *
 * The read, the check and the write of one operation must happen as one
 * step as far as other threads can tell, so each account carries a mutex
 * held from the read to the write. The lock is per account: operations on
 * different accounts never wait for each other. */
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
    long b = a->balance;     /* read */
    lab_pause();             /* the ledger call: others wait at the lock */
    a->balance = b + amount; /* write back: nobody changed it meanwhile */
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    long b = a->balance; /* read */
    if (b >= amount) {   /* check */
        lab_pause();     /* the ledger call */
        a->balance = b - amount; /* act, while the check still holds */
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
