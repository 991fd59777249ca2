/* Lab 04, deadlock: the reference fix.
 *
 * A deadlock needs a cycle of threads, each holding a lock the next one
 * wants. If every thread takes locks in one global order (here: the lower
 * account id first, whatever the direction of the money), no cycle can
 * form: whoever holds the higher lock already holds every lower one it
 * needs. A transfer to the same account takes no lock twice: it changes
 * nothing, so it returns at once. */
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
    account_t *first = from->id < to->id ? from : to; /* one order for everyone */
    account_t *second = first == from ? to : from;
    lab_mutex_lock(&first->lock);
    lab_pause(); /* the same window: now harmless */
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
