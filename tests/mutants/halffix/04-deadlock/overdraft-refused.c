/* Wrong submission for lab 04: lab 03's rule carried over: under both
 * locks the money moves only when the payer's balance covers it, and the
 * transfer returns quietly otherwise. bank.h promises account_transfer()
 * moves `amount` and "Balances may go negative: this lab is about the
 * locks". Locks, order and self-transfer are all right.
 * How the grader shows it: the check `single` moves 5 out of an empty
 * account and expects -5 (the balances come out 150 instead of 155); the
 * checks `opposite` and `random` count every transfer that returned and
 * find balances that never went below 0. */
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
    lab_pause();
    lab_mutex_lock(&second->lock);
    if (from->balance >= amount) { /* no overdraft */
        from->balance -= amount;
        to->balance += amount;
    }
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
