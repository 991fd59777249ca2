/* Lab 03, bank account: the API of one account's balance. broken.c,
 * fixed.c, alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_ACCOUNT_H
#define LOCKLAB_ACCOUNT_H

typedef struct account account_t;

/* An account holding `balance` (>= 0). Never returns NULL. */
account_t *account_create(long balance);

/* Add `amount` (> 0). Any number of threads may deposit and withdraw at
 * once; no deposit is ever lost. */
void account_deposit(account_t *a, long amount);

/* Take `amount` (> 0) out: 1 when the balance covered it and it is gone, 0
 * when the balance was too small (then nothing changes). The balance never
 * goes below zero, however many threads withdraw at once. */
int account_withdraw(account_t *a, long amount);

/* The balance now. Exact once every depositing and withdrawing thread has
 * been joined. */
long account_balance(account_t *a);

/* Close the account: frees it and everything it holds. No thread may be
 * using it. */
void account_destroy(account_t *a);

#endif
