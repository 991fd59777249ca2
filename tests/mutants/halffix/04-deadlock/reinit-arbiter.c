/* Wrong submission for lab 04: alt-arbiter.c's design, but the arbiter is
 * declared `static pthread_mutex_t arbiter;` without an initialiser and
 * initialised in account_create() ("before the first transfer can use
 * it"). bank.h promises "Any number of threads may transfer at once, in
 * any direction; a transfer always finishes", and the README "accounts are
 * independent objects": opening an account re-initialises the arbiter
 * every transfer is using, under a transfer that holds it and the ones
 * asleep waiting for it. The lock looks free: the sleepers are never woken
 * (their unlock finds nothing to wake), or a second transfer walks in and
 * takes the account locks in the other order, and they deadlock.
 * How the grader shows it: the check `opposite` runs one more thread
 * beside its 8 movers that, during each round's lock step, waits until
 * every other thread sleeps (a transfer parked holding the arbiter, the
 * others waiting for it), then opens and closes an account, again and
 * again: the transfers stop for good and the stall watchdog fails the
 * check ("deadlock: no transfer finished in 1.5 s"), every run. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t arbiter;

struct account {
    pthread_mutex_t lock;
    int id;
    long balance;
};

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&arbiter, NULL); /* ready before the first transfer */
    lab_mutex_init(&a->lock, NULL);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    lab_mutex_lock(&arbiter);
    lab_mutex_lock(&from->lock);
    lab_pause();
    lab_mutex_lock(&to->lock);
    lab_mutex_unlock(&arbiter);
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
