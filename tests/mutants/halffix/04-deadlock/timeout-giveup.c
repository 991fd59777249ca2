/* Wrong: deadlocks broken by a timeout that gives up. The payer is locked,
 * then the payee with a 20 ms pthread_mutex_timedlock(); when that expires
 * the transfer unlocks and returns having moved nothing. Nothing hangs and
 * the total is kept, but bank.h's transfer moves `amount` and always
 * finishes. The opposite and random checks count what each account must
 * hold from the transfers that returned (each moves 1..7 units of 2^20,
 * plus 1 when it goes to a higher id, so lost transfers cannot cancel out)
 * and compare every balance: the cycles they provoke time out and drop
 * transfers every run. */
#include "bank.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

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
    lab_mutex_lock(&from->lock);
    lab_pause();
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(&to->lock, &deadline);
    if (rc == ETIMEDOUT) { /* probably a deadlock: back out */
        lab_mutex_unlock(&from->lock);
        return;
    }
    if (rc != 0)
        lab_pthread_die(rc, "pthread_mutex_timedlock(&to->lock)", __FILE__, __LINE__);
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
