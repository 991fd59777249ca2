/* Wrong submission for lab 04: fixed.c's ordered locks, but a transfer
 * from an account to itself skips the locks instead of returning, and
 * still does the arithmetic, `from->balance -= amount; to->balance +=
 * amount;`, unlocked. bank.h promises "Any number of threads may transfer
 * at once" and "from and to may be the same account (then nothing
 * changes)", the README "no data race": alone it changes nothing, but
 * beside another thread's locked transfer on that account each unlocked
 * read-modify-write can overwrite the other's update, and the accesses are
 * a data race.
 * How the grader shows it: the check `race-free` (ThreadSanitizer build)
 * has 4 movers transfer among 4 shared accounts, each step followed by a
 * transfer from the payee to itself, while 2 readers take every balance
 * under turns TSan does not see: the unlocked write is unordered with the
 * next turns' locked reads and writes of that balance, and TSan reports
 * the race every run. */
#include "bank.h"

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
    int self = from == to; /* one account: no second lock to deadlock on */
    account_t *first = from->id < to->id ? from : to;
    account_t *second = first == from ? to : from;
    if (!self) {
        lab_mutex_lock(&first->lock);
        lab_pause();
        lab_mutex_lock(&second->lock);
    }
    from->balance -= amount;
    to->balance += amount; /* a self-transfer gives it straight back */
    if (!self) {
        lab_mutex_unlock(&second->lock);
        lab_mutex_unlock(&first->lock);
    }
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
