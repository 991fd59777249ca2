/* Wrong: deposits made cheap by batching ("a deposit can never overdraw,
 * so nobody needs it at once"): each thread adds its deposits into a
 * _Thread_local pending sum for the account it used last and takes the
 * account's lock only every 8 deposits, when it moves to another account,
 * when it withdraws from or reads that account itself, and at thread exit;
 * so balances are exact "once every thread has been joined". But a deposit
 * that has returned is not in the balance: account.h promises that
 * account_deposit() adds `amount` and that a withdrawal returns 0 only
 * "when the balance was too small". The conserved check has two threads,
 * never joined in between, take turns on an account holding 0: one
 * deposits 11 and says so through an atomic of the driver's, the other
 * withdraws 11 and is refused, in round 1, every run. */
#include "account.h"

#include <pthread.h>
#include <stdlib.h>

#include "lab.h"

#define BATCH 8

struct account {
    pthread_mutex_t lock;
    long balance;
};

static _Thread_local account_t *pend_a;
static _Thread_local long pend_sum;
static _Thread_local int pend_n;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void flush(void) {
    if (pend_a && pend_n) {
        lab_mutex_lock(&pend_a->lock);
        pend_a->balance += pend_sum;
        lab_mutex_unlock(&pend_a->lock);
    }
    pend_sum = 0;
    pend_n = 0;
}

static void at_exit_flush(void *unused) {
    (void)unused;
    flush();
}

static void make_key(void) { LAB_PTHREAD(pthread_key_create(&exit_key, at_exit_flush)); }

account_t *account_create(long balance) {
    pthread_once(&key_once, make_key);
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->balance = balance;
    return a;
}

void account_deposit(account_t *a, long amount) {
    if (pend_a != a) {
        flush();
        pend_a = a;
        pthread_setspecific(exit_key, (void *)1);
    }
    pend_sum += amount;
    if (++pend_n >= BATCH)
        flush();
}

int account_withdraw(account_t *a, long amount) {
    if (pend_a == a)
        flush(); /* my own deposits count */
    int done = 0;
    lab_mutex_lock(&a->lock);
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
    if (pend_a == a)
        flush();
    lab_mutex_lock(&a->lock);
    long b = a->balance;
    lab_mutex_unlock(&a->lock);
    return b;
}

void account_destroy(account_t *a) {
    if (pend_a == a) {
        pend_a = NULL;
        pend_sum = 0;
        pend_n = 0;
    }
    lab_mutex_destroy(&a->lock);
    free(a);
}
