/* Wrong: locks taken in one global order, but the order is a rank handed out
 * by account_create() from a plain static counter (`next_rank++`), not the
 * id. Two threads opening accounts at once race on the counter (a data race)
 * and can give two accounts the same rank; transfers between those two then
 * lock in argument order, a->b against b->a, and deadlock. That breaks
 * bank.h's "a transfer always finishes" and the README's "accounts are
 * independent objects" / "no data race" once accounts are opened from more
 * than one thread. The grader catches it in race-free (ThreadSanitizer): two
 * threads open accounts of their own on their turns, ordered by nothing the
 * driver does, and the unlocked next_rank++ is reported as a data race in
 * account_create(), every run. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    int id;
    long rank; /* order of creation: older accounts are locked first */
    long balance;
};

static long next_rank;

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->id = id;
    a->rank = next_rank++;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    account_t *first = from->rank < to->rank ? from : to;
    account_t *second = first == from ? to : from;
    lab_mutex_lock(&first->lock);
    lab_pause();
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
