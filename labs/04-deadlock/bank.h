/* Lab 04, deadlock: accounts and transfers between them. broken.c, fixed.c,
 * alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_BANK_H
#define LOCKLAB_BANK_H

typedef struct account account_t;

/* An account with a unique `id` (>= 0) and a starting balance. Never
 * returns NULL. Balances may go negative: this lab is about the locks. */
account_t *account_create(int id, long balance);

/* Move `amount` from `from` to `to`, as one step: no other transfer sees
 * the money in neither account or in both. Any number of threads may
 * transfer at once, in any direction; a transfer always finishes. from and
 * to may be the same account (then nothing changes). */
void account_transfer(account_t *from, account_t *to, long amount);

/* The balance now. Exact once every transferring thread has been joined. */
long account_balance(account_t *a);

void account_destroy(account_t *a);

#endif
