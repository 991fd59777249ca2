/* Wrong submission for lab 04: the dining philosophers' "footman" fix
 * applied to accounts: a counter under a mutex and condition admits at
 * most (accounts - 1) transfers at once, each then locking payer and payee
 * in argument order. bank.h promises "a transfer always finishes", any
 * number of threads, any direction: the footman argument holds for a ring
 * where each philosopher needs its two neighbours, but here any two
 * admitted transfers can form a cycle (a->b against b->a), which with 3 or
 * more accounts they can (with 2, one runs at a time).
 * How the grader shows it: the check `random` has 8 threads transfer
 * between random pairs of 5 accounts, perturbed: two admitted transfers in
 * opposite directions deadlock and the stall watchdog fails the check. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t footman_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t seat_free = PTHREAD_COND_INITIALIZER;
static int accounts; /* accounts alive */
static int seated;   /* transfers admitted */

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
    lab_mutex_lock(&footman_lock);
    accounts++;
    lab_mutex_unlock(&footman_lock);
    return a;
}

static void sit_down(void) {
    lab_mutex_lock(&footman_lock);
    while (seated >= (accounts > 1 ? accounts - 1 : 1)) /* at most N - 1 at the table */
        lab_cond_wait(&seat_free, &footman_lock);
    seated++;
    lab_mutex_unlock(&footman_lock);
}

static void stand_up(void) {
    lab_mutex_lock(&footman_lock);
    seated--;
    lab_cond_signal(&seat_free);
    lab_mutex_unlock(&footman_lock);
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    sit_down();
    lab_mutex_lock(&from->lock);
    lab_pause();
    lab_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    lab_mutex_unlock(&to->lock);
    lab_mutex_unlock(&from->lock);
    stand_up();
}

long account_balance(account_t *a) {
    lab_mutex_lock(&a->lock);
    long b = a->balance;
    lab_mutex_unlock(&a->lock);
    return b;
}

void account_destroy(account_t *a) {
    lab_mutex_lock(&footman_lock);
    accounts--;
    lab_mutex_unlock(&footman_lock);
    lab_mutex_destroy(&a->lock);
    free(a);
}
