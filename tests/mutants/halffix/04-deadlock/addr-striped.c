/* Wrong submission for lab 04: lock striping keyed on the account's
 * address instead of its id (the id's low bits are what the grader's ids
 * share, and the allocator spreads pointers): a static table of 64
 * mutexes, account `a` guarded by stripe ((uintptr_t)a >> 4) % 64, the two
 * stripes taken in table order, from == to handled. Two accounts whose
 * addresses are 1024 bytes apart share a stripe, and a transfer between
 * them locks one mutex twice: the thread waits for itself for ever. That
 * breaks bank.h's "a transfer always finishes" and the README's "any
 * unique id >= 0 will do: a transfer between any two accounts finishes (a
 * lock two accounts share is not taken twice)".
 * How the grader shows it: the check `single` also opens 1100 accounts at
 * once (more than any table of up to 1024 locks keeps apart, whatever it
 * is keyed on) and moves money between every two of them, one thread, the
 * watchdog armed per payer: the first payer's transfers hang within 1 s. */
#include "bank.h"

#include <stdint.h>
#include <stdlib.h>

#include "lab.h"

#define STRIPES 64

static pthread_mutex_t stripe[STRIPES] = {[0 ... STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER};

struct account {
    int id;
    long balance;
};

static unsigned stripe_of(account_t *a) { return (unsigned)(((uintptr_t)a >> 4) % STRIPES); }

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    unsigned sf = stripe_of(from), st = stripe_of(to);
    unsigned first = sf < st ? sf : st, second = sf < st ? st : sf; /* table order */
    lab_mutex_lock(&stripe[first]);
    lab_pause();
    lab_mutex_lock(&stripe[second]);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&stripe[second]);
    lab_mutex_unlock(&stripe[first]);
}

long account_balance(account_t *a) {
    unsigned s = stripe_of(a);
    lab_mutex_lock(&stripe[s]);
    long b = a->balance;
    lab_mutex_unlock(&stripe[s]);
    return b;
}

void account_destroy(account_t *a) { free(a); }
