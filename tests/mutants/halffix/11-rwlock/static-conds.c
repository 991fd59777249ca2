/* Wrong submission for lab 11 (examiner H): fixed.c with the counts and the
 * mutex per lock, but the two condition variables are file-scope statics
 * shared by every lock ("a woken thread re-checks its own lock's counts
 * anyway"). Re-checking makes broadcasts safe, but a signal wakes one
 * waiter of any lock: when the last reader leaves lock B it signals the
 * shared writer condition, the oldest sleeper there is a writer of lock A
 * (still held), which looks, sleeps again, and B's writer sleeps on beside
 * a free lock. Wrong: rwlock.h: wrlock "returns once nobody else holds
 * it"; README: "each lock is a lock of its own: a writer waiting for one
 * lock holds back nobody on another", "a waiter is woken when it may go
 * in".
 * How the grader shows it: overlap's two-lock part holds A for reading
 * with A's writer asleep, then puts a writer of B to sleep behind a reader
 * of B and lets that reader go: B's writer is never woken, and the driver
 * sees every other thread asleep with it still out, every run. */
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

/* Wake-up channels, one pair for every lock: a woken thread looks at its
 * own lock's counts again under its own lock's mutex anyway. */
static pthread_cond_t readers_ok_all = PTHREAD_COND_INITIALIZER;
static pthread_cond_t writer_ok_all = PTHREAD_COND_INITIALIZER;

struct rwlock {
    pthread_mutex_t m;
    int readers;               /* readers inside */
    int writer;                /* 1 while a writer is inside */
    int writers_waiting;       /* writers in rwlock_wrlock() not yet inside */
};

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    return l;
}

void rwlock_rdlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    while (l->writer || l->writers_waiting > 0) /* a waiting writer goes first */
        lab_cond_wait(&readers_ok_all, &l->m);
    lab_pause();
    l->readers++;
    lab_mutex_unlock(&l->m);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    if (--l->readers == 0 && l->writers_waiting > 0)
        lab_cond_signal(&writer_ok_all);
    lab_mutex_unlock(&l->m);
}

void rwlock_wrlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writers_waiting++; /* from now on no new reader goes in */
    while (l->writer || l->readers > 0)
        lab_cond_wait(&writer_ok_all, &l->m);
    l->writers_waiting--;
    lab_pause();
    l->writer = 1;
    lab_mutex_unlock(&l->m);
}

void rwlock_wrunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writer = 0;
    if (l->writers_waiting > 0) /* readers would only wait again */
        lab_cond_signal(&writer_ok_all);
    else
        lab_cond_broadcast(&readers_ok_all);
    lab_mutex_unlock(&l->m);
}

void rwlock_destroy(rwlock_t *l) {
    lab_mutex_destroy(&l->m);
    free(l);
}
