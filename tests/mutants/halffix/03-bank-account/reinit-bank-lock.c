/* Wrong: alt-global.c's one lock for the bank, but declared without an
 * initialiser and set up with lab_mutex_init() in account_create(), as
 * fixed.c does with its own member. Opening an account resets the lock
 * every teller takes, also while a teller holds it: a second withdrawal
 * walks in and both pay out of one balance, a deposit is lost, or a waiter
 * sleeps for ever. That breaks account.h's "no deposit is ever lost" and
 * "The balance never goes below zero", and the README's "accounts are
 * independent", whenever an account is opened while others are in use.
 * The race-free check's ThreadSanitizer run has one more worker open, use
 * and close accounts of its own, one per turn, while 4 tellers and 2
 * readers use theirs: the lock's re-initialisation is a write no
 * synchronisation orders against the tellers' lock calls, reported on that
 * worker's first turn, every run. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t bank_lock; /* set up in account_create(), before any use */

struct account {
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&bank_lock, NULL); /* initialise before use */
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    lab_pause();
    a->balance = b + amount;
    lab_mutex_unlock(&bank_lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    if (b >= amount) {
        lab_pause();
        a->balance = b - amount;
        done = 1;
    }
    lab_mutex_unlock(&bank_lock);
    return done;
}

long account_balance(account_t *a) {
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    lab_mutex_unlock(&bank_lock);
    return b;
}

void account_destroy(account_t *a) { free(a); }
