/* Lab 04, deadlock: another correct design, one lock for the whole bank.
 *
 * With a single lock there is no order to get wrong, so no deadlock, and a
 * self-transfer is harmless. The price is that two transfers between four
 * different accounts still wait for each other; the bench varies the number
 * of accounts to show when that matters. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t bank_lock = PTHREAD_MUTEX_INITIALIZER;

struct account {
    int id;
    long balance;
};

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    lab_mutex_lock(&bank_lock);
    lab_pause();
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&bank_lock);
}

long account_balance(account_t *a) {
    lab_mutex_lock(&bank_lock);
    long b = a->balance;
    lab_mutex_unlock(&bank_lock);
    return b;
}

void account_destroy(account_t *a) { free(a); }
