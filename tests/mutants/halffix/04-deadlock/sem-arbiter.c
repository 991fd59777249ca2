/* Wrong submission for lab 04: alt-arbiter.c's design with a binary
 * semaphore as the arbiter: sem_wait() before taking the two account locks
 * in argument order, sem_post() once both are held, the result of
 * sem_wait() not looked at. A signal whose handler was installed without
 * SA_RESTART (sigaction's default; sem_wait() returns EINTR whatever the
 * flags) that lands while a transfer waits for the arbiter sends it on
 * without it: it takes its payer's lock while the arbiter's holder waits
 * for that one, and a->b and b->a hold one lock each and wait for the
 * other for ever (its sem_post() then also lets two in from then on). That
 * breaks bank.h's "Any number of threads may transfer at once, in any
 * direction; a transfer always finishes".
 * How the grader shows it: the check `opposite` runs its locks in lock
 * step for 0.5 s of each round (the arbiter's holder parks holding the
 * payer's lock, the others asleep in sem_wait()), and its ninth thread,
 * each time every other thread sleeps, sends every mover SIGUSR2 (a no-op
 * handler, no SA_RESTART): the woken transfers skip the arbiter, two hold
 * and wait in lock step, and the stall watchdog fails the check after
 * 1.5 s, every run. */
#include "bank.h"

#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

static sem_t arbiter;
static pthread_once_t arbiter_once = PTHREAD_ONCE_INIT;
static void arbiter_init(void) { sem_init(&arbiter, 0, 1); }

struct account {
    pthread_mutex_t lock;
    int id;
    long balance;
};

account_t *account_create(int id, long balance) {
    pthread_once(&arbiter_once, arbiter_init);
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->id = id;
    a->balance = balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    sem_wait(&arbiter); /* one thread at a time may be waiting for accounts */
    lab_mutex_lock(&from->lock);
    lab_pause();
    lab_mutex_lock(&to->lock);
    sem_post(&arbiter);
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
