/* Wrong: a withdrawal spins on pthread_mutex_trylock() and refuses once it
 * has tried for 2 s by lab_now() (lab.h's steady clock), whatever the
 * balance: account.h says 0 only "when the balance was too small". The
 * driver holds a depositor for less than 2 s; the conserved check's busy
 * account catches it anyway: lab_now(), as the implementation sees it in the
 * grader's build, is a steady clock like CLOCK_MONOTONIC, and in a round
 * where the withdrawal waits it jumps two days ahead before the holder is
 * let go (lab_clocks_ahead_while), every run. */
#include "account.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "lab.h"

#define PATIENCE_S 2 /* a teller waits 2 s at most */

struct account {
    pthread_mutex_t lock;
    long balance;
};

account_t *account_create(long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    lab_mutex_lock(&a->lock);
    long b = a->balance;
    lab_pause();
    a->balance = b + amount;
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    double start = lab_now();
    for (;;) {
        int rc = pthread_mutex_trylock(&a->lock);
        if (rc == 0)
            break;
        if (rc != EBUSY)
            lab_pthread_die(rc, "pthread_mutex_trylock", __FILE__, __LINE__);
        if (lab_now() - start >= PATIENCE_S)
            return 0; /* busy account: decline rather than hang the teller */
        sched_yield();
    }
    int done = 0;
    long b = a->balance;
    if (b >= amount) {
        lab_pause();
        a->balance = b - amount;
        done = 1;
    }
    lab_mutex_unlock(&a->lock);
    return done;
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
