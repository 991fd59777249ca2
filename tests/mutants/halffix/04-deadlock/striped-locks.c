/* Wrong: lock striping keyed on the id, a static table of 16 mutexes with
 * account `id` guarded by stripe id % 16, taken in table order. That order
 * rules out cycles, and from == to is handled, but two different accounts
 * on one stripe (ids 0 and 16) make a transfer lock the same mutex twice:
 * one thread waits for itself for ever. The single check moves money
 * between every two of 22 accounts with ids from 0 to INT_MAX (many alike
 * modulo 16), each transfer under a 1 s watchdog, and random's five
 * accounts (ids 0, 64, 4096, 2^20, 2^30) all share stripe 0: both hang and
 * fail every run. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

#define STRIPES 16

static pthread_mutex_t stripe[STRIPES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};

struct account {
    int id;
    long balance;
};

static pthread_mutex_t *lock_of(account_t *a) { return &stripe[a->id % STRIPES]; }

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    pthread_mutex_t *first = lock_of(from), *second = lock_of(to);
    if (second < first) { /* one global order: the stripe table's */
        pthread_mutex_t *t = first;
        first = second;
        second = t;
    }
    lab_mutex_lock(first);
    lab_pause();
    lab_mutex_lock(second);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(second);
    lab_mutex_unlock(first);
}

long account_balance(account_t *a) {
    lab_mutex_lock(lock_of(a));
    long b = a->balance;
    lab_mutex_unlock(lock_of(a));
    return b;
}

void account_destroy(account_t *a) { free(a); }
