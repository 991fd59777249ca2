/* Wrong: a balance enquiry must never keep a customer waiting, so
 * account_balance() tries the lock and, when a teller holds it, returns
 * the balance read without the lock. Under contention that plain read runs
 * beside a locked write of the same balance: a data race, against the
 * README's "any number of threads at once: no data race (balance reads
 * included)". The race-free check's turns never meet a held lock, so it
 * first holds a looping depositor still with a signal (lab_hold_thread;
 * under TSan it lands as a lock call returns, often inside the critical
 * section) while a reader asks for the balance, 200 rounds, told and
 * answered through relaxed atomics: the read that gave up on the lock
 * races with the held deposit's write, and ThreadSanitizer reports it,
 * every run. */
#include "account.h"

#include <errno.h>
#include <stdlib.h>

#include "lab.h"

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
    long b = a->balance;     /* read */
    lab_pause();             /* the ledger call: others wait at the lock */
    a->balance = b + amount; /* write back: nobody changed it meanwhile */
    lab_mutex_unlock(&a->lock);
}

int account_withdraw(account_t *a, long amount) {
    int done = 0;
    lab_mutex_lock(&a->lock);
    long b = a->balance; /* read */
    if (b >= amount) {   /* check */
        lab_pause();     /* the ledger call */
        a->balance = b - amount; /* act, while the check still holds */
        done = 1;
    }
    lab_mutex_unlock(&a->lock);
    return done;
}

long account_balance(account_t *a) {
    int rc = pthread_mutex_trylock(&a->lock);
    if (rc == EBUSY)
        return a->balance; /* a teller is busy: show the last balance, don't wait */
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_trylock", __FILE__, __LINE__);
    long b = a->balance;
    lab_mutex_unlock(&a->lock);
    return b;
}

void account_destroy(account_t *a) {
    lab_mutex_destroy(&a->lock);
    free(a);
}
