/* Wrong: never hold two locks, so no cycle can form. Each account is
 * locked on its own: the money leaves the payer, the lock is let go, then it
 * arrives at the payee. In between it is in neither account: a reader that
 * takes the payer's balance and then the payee's sees less than the pair
 * ever held, though the final total is right. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    int id;
    long balance;
};

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    lab_mutex_lock(&from->lock);
    from->balance -= amount;
    lab_mutex_unlock(&from->lock);
    lab_mutex_lock(&to->lock);
    to->balance += amount;
    lab_mutex_unlock(&to->lock);
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
