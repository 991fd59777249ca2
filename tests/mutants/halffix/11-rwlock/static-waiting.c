/* fixed.c with the count of waiting writers kept in one file-scope
 * variable for every lock, while the rest of the state is per lock. With
 * two locks in use, a writer waiting for lock A holds back new readers of
 * lock B too: they sleep on B's readers_ok, which only B's own unlocks
 * broadcast, so they sleep on while B is free ("rdlock returns once no
 * writer holds it"); a writer leaving B also signals B's writer_ok rather
 * than waking B's readers, since the shared count says a writer waits.
 * Demonstration: the overlap check reads lock A while a writer waits for
 * A, then starts a reader of the free lock B: it is still out while every
 * other thread of the process sleeps, and the check fails ("a reader of a
 * free lock B gets in at once / 1 of 1 still asleep in the lock"). */
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

struct rwlock {
    pthread_mutex_t m;
    pthread_cond_t readers_ok; /* a reader may go in: no writer inside or waiting */
    pthread_cond_t writer_ok;  /* a writer may go in: nobody inside */
    int readers;               /* readers inside */
    int writer;                /* 1 while a writer is inside */
};

static int writers_waiting; /* writers in rwlock_wrlock() not yet inside */

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->readers_ok, NULL);
    lab_cond_init(&l->writer_ok, NULL);
    return l;
}

void rwlock_rdlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    while (l->writer || writers_waiting > 0) /* a waiting writer goes first */
        lab_cond_wait(&l->readers_ok, &l->m);
    lab_pause();
    l->readers++;
    lab_mutex_unlock(&l->m);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    if (--l->readers == 0 && writers_waiting > 0)
        lab_cond_signal(&l->writer_ok);
    lab_mutex_unlock(&l->m);
}

void rwlock_wrlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    writers_waiting++; /* from now on no new reader goes in */
    while (l->writer || l->readers > 0)
        lab_cond_wait(&l->writer_ok, &l->m);
    writers_waiting--;
    lab_pause();
    l->writer = 1;
    lab_mutex_unlock(&l->m);
}

void rwlock_wrunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writer = 0;
    if (writers_waiting > 0) /* readers would only wait again */
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
