/* Wrong: alt-trylock.c's try-and-back-off with a "patience" limit: after
 * 50 failed tries the thread stops backing off and simply blocks on the
 * payee's lock while holding the payer's. bank.h promises that a transfer
 * always finishes, any number of threads, any direction: two transfers a->b
 * and b->a that run out of patience at once hold one lock each and wait for
 * the other, broken.c's deadlock, only rarer. The opposite check runs the
 * locks in lock step for 0.5 s of each round (lab.h: lab_lockstep_until):
 * every try of the second lock fails, and the first thread to block for it
 * waits for a second to do the same, so the two deadlock every run. */
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
    int tries = 0;
    for (;;) {
        lab_mutex_lock(&from->lock);
        lab_pause();
        if (++tries > 50) { /* enough backing off: just wait for it */
            lab_mutex_lock(&to->lock);
            break;
        }
        int rc = pthread_mutex_trylock(&to->lock);
        if (rc == 0)
            break;
        if (rc != EBUSY)
            lab_pthread_die(rc, "pthread_mutex_trylock(&to->lock)", __FILE__, __LINE__);
        lab_mutex_unlock(&from->lock);
        sched_yield();
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
