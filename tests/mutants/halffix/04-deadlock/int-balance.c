/* Wrong: fixed.c's ordered locks, but the account keeps its balance in an int
 * beside the int id ("a compact account"), while bank.h hands balances and
 * amounts around as long. An account opened with, or brought to, more than
 * INT_MAX (or less than INT_MIN) holds a wrapped number: the money of a
 * transfer that crosses 2^31 is not what account_balance() reports, and the
 * "balance exact once threads are joined" promise fails for any balance
 * outside +-2.1e9. The grader catches it in single: an account opened with
 * 3000000000 reads -1294967296, every run. */
#include "bank.h"

#include <stdlib.h>

#include "lab.h"

struct account {
    pthread_mutex_t lock;
    int id;
    int balance;
};

account_t *account_create(int id, long balance) {
    account_t *a = lab_calloc(1, sizeof *a);
    lab_mutex_init(&a->lock, NULL);
    a->id = id;
    a->balance = (int)balance;
    return a;
}

void account_transfer(account_t *from, account_t *to, long amount) {
    if (from == to)
        return;
    account_t *first = from->id < to->id ? from : to;
    account_t *second = first == from ? to : from;
    lab_mutex_lock(&first->lock);
    lab_pause();
    lab_mutex_lock(&second->lock);
    from->balance = (int)(from->balance - amount);
    to->balance = (int)(to->balance + amount);
    lab_mutex_unlock(&second->lock);
    lab_mutex_unlock(&first->lock);
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
