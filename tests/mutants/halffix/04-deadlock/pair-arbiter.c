/* Wrong: alt-arbiter.c made "scalable": instead of one bank-wide arbiter,
 * each pair of accounts has its arbiter, one of 8 picked by a hash of the two
 * ids (the same whatever the direction), so transfers on unrelated pairs do
 * not queue behind one mutex. Two transfers over the same pair still cannot
 * deadlock, but the arbiter argument needs ONE arbiter: a->b, b->c and c->a
 * under three different arbiters each hold their payer and wait for their
 * payee, a cycle. bank.h: "Any number of threads may transfer at once, in any
 * direction; a transfer always finishes". The grader catches it in random:
 * its first round moves money at random among 5 accounts with ids 0 to 4,
 * whose pairs pick different arbiters, and a three-account cycle deadlocks
 * within a few hundred transfers (the stall watchdog fails it after 1 s),
 * every run. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

#define ARBITERS 8

static pthread_mutex_t arbiter[ARBITERS] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};

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

/* The pair's arbiter: symmetric in the two ids. */
static pthread_mutex_t *arbiter_of(const account_t *x, const account_t *y) {
    unsigned lo = (unsigned)(x->id < y->id ? x->id : y->id);
    unsigned hi = (unsigned)(x->id < y->id ? y->id : x->id);
    return &arbiter[(lo * 31u + hi) % ARBITERS];
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    pthread_mutex_t *arb = arbiter_of(from, to);
    lab_mutex_lock(arb);
    lab_mutex_lock(&from->lock);
    lab_pause();
    lab_mutex_lock(&to->lock);
    lab_mutex_unlock(arb);
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
