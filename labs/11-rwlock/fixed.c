/* Lab 11, reader-writer lock: the reference fix, a lock that prefers
 * writers.
 *
 * The lock also counts the writers that are waiting, and a new reader waits
 * while any writer waits or writes. The readers already inside finish,
 * nobody new joins them, the count of readers falls to zero, and the
 * writer goes in: its wait is bounded by the longest read section, not by
 * how many readers keep coming. When a writer leaves, it hands the lock to
 * the next waiting writer if there is one, and otherwise wakes every
 * waiting reader at once, since they can all go in together.
 *
 * The price is the other way round: a steady stream of writers could keep
 * readers out, which is why this design suits read-mostly data. And a
 * thread must not take the read lock twice: with a writer waiting between
 * its two rdlock() calls, it would wait for itself. */
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

struct rwlock {
    pthread_mutex_t m;
    pthread_cond_t readers_ok; /* a reader may go in: no writer inside or waiting */
    pthread_cond_t writer_ok;  /* a writer may go in: nobody inside */
    int readers;               /* readers inside */
    int writer;                /* 1 while a writer is inside */
    int writers_waiting;       /* writers in rwlock_wrlock() not yet inside */
};

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->readers_ok, NULL);
    lab_cond_init(&l->writer_ok, NULL);
    return l;
}

void rwlock_rdlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    while (l->writer || l->writers_waiting > 0) /* a waiting writer goes first */
        lab_cond_wait(&l->readers_ok, &l->m);
    lab_pause();
    l->readers++;
    lab_mutex_unlock(&l->m);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    if (--l->readers == 0 && l->writers_waiting > 0)
        lab_cond_signal(&l->writer_ok);
    lab_mutex_unlock(&l->m);
}

void rwlock_wrlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writers_waiting++; /* from now on no new reader goes in */
    while (l->writer || l->readers > 0)
        lab_cond_wait(&l->writer_ok, &l->m);
    l->writers_waiting--;
    lab_pause();
    l->writer = 1;
    lab_mutex_unlock(&l->m);
}

void rwlock_wrunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writer = 0;
    if (l->writers_waiting > 0) /* readers would only wait again */
        lab_cond_signal(&l->writer_ok);
    else
        lab_cond_broadcast(&l->readers_ok);
    lab_mutex_unlock(&l->m);
}

void rwlock_destroy(rwlock_t *l) {
    lab_cond_destroy(&l->writer_ok);
    lab_cond_destroy(&l->readers_ok);
    lab_mutex_destroy(&l->m);
    free(l);
}
