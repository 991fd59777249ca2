/* Lab 04, deadlock: another correct design, try and back off.
 *
 * Take the first lock, then only try the second. If it is busy, let go of
 * the first, wait a moment and start again. A thread never waits while
 * holding a lock, so no cycle of waiting threads can form. The cost: under
 * contention threads can keep colliding and retrying (a livelock in the
 * worst case), which the random back-off makes unlikely but not impossible;
 * a global order (fixed.c) never retries. */
#include "bank.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

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
    unsigned backoff = 1;
    for (;;) {
        lab_mutex_lock(&from->lock);
        lab_pause();
        int rc = pthread_mutex_trylock(&to->lock);
        if (rc == 0)
            break;
        if (rc != EBUSY)
            lab_pthread_die(rc, "pthread_mutex_trylock(&to->lock)", __FILE__, __LINE__);
        lab_mutex_unlock(&from->lock); /* give way, then try again */
        for (unsigned i = 0; i < backoff; i++)
            sched_yield();
        if (backoff < 64)
            backoff *= 2;
    }
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
