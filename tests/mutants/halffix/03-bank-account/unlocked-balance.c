/* Half-fix: deposit and withdraw are right, account_balance() reads
 * without the lock. A read racing with a locked write is a data race
 * (undefined behaviour in C11): a thread checking a balance while others
 * bank shows it to ThreadSanitizer every time. */
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
    return a->balance;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
