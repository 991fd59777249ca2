/* Wrong: the transfer is right (ordered locks, self-transfer handled) but
 * account_balance() reads without the lock: while another thread transfers,
 * the read and the write of the same balance are a data race (undefined
 * behaviour in C11, and what a reader sees has no order with the transfer). */
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
    if (from == to)
        return;
    account_t *first = from->id < to->id ? from : to;
    account_t *second = first == from ? to : from;
    lab_mutex_lock(&first->lock);
    lab_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&second->lock);
    lab_mutex_unlock(&first->lock);
}

long account_balance(account_t *a) {
    return a->balance;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
