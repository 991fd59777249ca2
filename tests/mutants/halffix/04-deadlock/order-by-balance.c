/* Wrong: a lock order, but not a global one. The account with the larger
 * balance is locked first; balances change with every transfer, so two
 * transfers over the same pair can read them at different moments and
 * take the locks in opposite orders: a cycle, as in broken.c, only rarer.
 * Reading the balances to choose the order is itself unlocked. */
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
    account_t *first = from->balance >= to->balance ? from : to;
    account_t *second = first == from ? to : from;
    lab_mutex_lock(&first->lock);
    lab_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&second->lock);
    lab_mutex_unlock(&first->lock);
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
