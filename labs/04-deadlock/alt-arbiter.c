/* Lab 04, deadlock: another correct design, an arbiter around the locks.
 *
 * A transfer takes both account locks in whatever order its arguments give,
 * but only while holding one bank-wide arbiter lock, and lets the arbiter go
 * as soon as it holds both. A thread can then wait for an account lock only
 * while it holds the arbiter, so at most one thread waits at a time and the
 * accounts' holders it waits for wait for nothing: no cycle. Transfers on
 * disjoint accounts still overlap once past the arbiter. ThreadSanitizer's
 * lock-order check cannot see the arbiter and reports a->b against b->a,
 * which is why the grade proves deadlock freedom by running, not by that
 * report. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t arbiter = PTHREAD_MUTEX_INITIALIZER;

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
