/* Wrong submission for lab 04: alt-trylock.c's try-and-back-off, with the
 * back-off randomised by a hand-rolled linear congruential generator on ONE
 * static seed shared by every thread ("rand() takes a lock"): two
 * transfers that back off at once read and write the seed with nothing
 * ordering them, a data race (undefined behaviour in C11), against the
 * README's "any number of threads at once: no data race". The racy code
 * runs only when a try of the second lock fails, i.e. when transfers
 * really collide.
 * How the grader shows it: the check `race-free` (ThreadSanitizer build)
 * ends with 4 threads transferring freely between the same two accounts,
 * two in each direction: two that each hold one account and find the
 * other's busy back off with nothing ordering them (on one CPU too: a
 * thread preempted holding its payer makes the other back off until it
 * fails too), and TSan reports the race on the seed in next_random(). */
#include "bank.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>


#include "lab.h"

/* Random back-off, so that two colliding transfers do not retry in step.
 * rand() takes a lock inside the C library, so roll our own: a classic
 * linear congruential generator. */
static unsigned backoff_seed = 12345;
static unsigned next_random(void) {
    backoff_seed = backoff_seed * 1103515245u + 12345u;
    return backoff_seed >> 16;
}

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
        unsigned wait = next_random() % backoff + 1;
        for (unsigned i = 0; i < wait; i++)
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
