/* Lab 04, deadlock: the classic mistake.
 *
 * A transfer locks the account it takes money from, then the account it
 * gives money to. Each lock on its own is right. But a transfer from A to B
 * holds A and waits for B, while a transfer from B to A holds B and waits
 * for A: neither can go on, and neither ever will. lab_pause() marks the
 * moment between the two locks where the other transfer can slip in. A
 * transfer from an account to itself deadlocks even alone: it waits for a
 * lock it already holds. */
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
    lab_mutex_lock(&from->lock); /* the order depends on the direction */
    lab_pause();                 /* another transfer may take `to` here */
    lab_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&to->lock);
    lab_mutex_unlock(&from->lock);
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
