/* Wrong: so that a teller never hangs on a busy account, a withdrawal waits
 * for the account's lock with pthread_mutex_timedlock() and a 100 ms
 * deadline, and refuses when it expires, whatever the balance: account.h
 * says 0 only "when the balance was too small". Any holder slowed down (a
 * page fault, a preempted thread, a signal handler) gets covered
 * withdrawals declined. The conserved check has one thread deposit 1 in a
 * loop into an account of a million and holds it still with a signal
 * (lab_hold_thread), often inside its deposit's critical section, while a
 * second thread withdraws 1; the depositor is released only after the
 * withdrawal has waited 0.3 s or returned: the first time it is held
 * inside, the withdrawal is refused after 100 ms, every run. */
#include "account.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

#define PATIENCE_NS 100000000L /* 100 ms */

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
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += PATIENCE_NS;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(&a->lock, &deadline);
    if (rc == ETIMEDOUT)
        return 0; /* busy account: decline rather than hang the teller */
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_timedlock", __FILE__, __LINE__);
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
