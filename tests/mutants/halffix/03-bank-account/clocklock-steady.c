/* Wrong: so that a teller never hangs on a busy account, a withdrawal waits
 * for the account's lock with pthread_mutex_clocklock() on the steady clock
 * (CLOCK_MONOTONIC, immune to a wall clock that is set) and a 2 s deadline,
 * and refuses when it expires, whatever the balance: account.h says 0 only
 * "when the balance was too small". The driver holds a depositor for less
 * than 2 s; the conserved check's busy account catches it anyway: the
 * implementation's steady clock reads a day behind while it runs
 * (lab_clocks_shift), so the deadline has passed before the call begins and
 * the first withdrawal that meets the held lock is refused, every run. */
#include "account.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

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
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += PATIENCE_S;
    int rc = pthread_mutex_clocklock(&a->lock, CLOCK_MONOTONIC, &deadline);
    if (rc == ETIMEDOUT)
        return 0; /* busy account: decline rather than hang the teller */
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_clocklock", __FILE__, __LINE__);
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
