/* Lab 03, bank account: the classic mistake.
 *
 * Both operations read the balance, do some work (in the course, a call to
 * the bank's ledger that takes a moment), then write back a balance computed
 * from what they read. Two deposits that overlap both start from the same
 * balance and the second write wipes out the first: money vanishes. Two
 * withdrawals that overlap both see enough money, both pay out, and the
 * account pays more than it held. lab_pause() marks the window. */
#include "account.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    long b = a->balance;     /* read */
    lab_pause();             /* the ledger call */
    a->balance = b + amount; /* write back what may already be stale */
}

int account_withdraw(account_t *a, long amount) {
    long b = a->balance; /* read */
    if (b < amount)      /* check */
        return 0;
    lab_pause();             /* the ledger call */
    a->balance = b - amount; /* act, on a balance that may have changed */
    return 1;
}

long account_balance(account_t *a) { return a->balance; }

void account_destroy(account_t *a) { free(a); }
