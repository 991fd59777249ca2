/* Lab 11, reader-writer lock: the classic mistake, a lock that prefers
 * readers.
 *
 * A reader goes in whenever no writer is inside; a writer goes in once
 * nobody is. Both rules are right, and the lock never lets a reader meet a
 * writer. But a writer that is waiting holds back nobody: while readers
 * keep arriving and their read sections overlap, the number of readers
 * inside never falls to zero, and the writer waits for ever. On a busy
 * read-mostly table (a cache, a routing table, a configuration) that means
 * an update that never happens. lab_pause() marks the step between "I may
 * go in" and "I am counted", which must stay under the mutex. */
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

struct rwlock {
    pthread_mutex_t m;
    pthread_cond_t readers_ok; /* a reader may go in: no writer inside */
    pthread_cond_t writer_ok;  /* a writer may go in: nobody inside */
    int readers;               /* readers inside */
    int writer;                /* 1 while a writer is inside */
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
    while (l->writer) /* a writer that only waits stops nobody */
        lab_cond_wait(&l->readers_ok, &l->m);
    lab_pause();
    l->readers++;
    lab_mutex_unlock(&l->m);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    if (--l->readers == 0)
        lab_cond_signal(&l->writer_ok);
    lab_mutex_unlock(&l->m);
}

void rwlock_wrlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    while (l->writer || l->readers > 0) /* readers that overlap keep this true */
        lab_cond_wait(&l->writer_ok, &l->m);
    lab_pause();
    l->writer = 1;
    lab_mutex_unlock(&l->m);
}

void rwlock_wrunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    l->writer = 0;
    lab_cond_broadcast(&l->readers_ok);
    lab_cond_signal(&l->writer_ok);
    lab_mutex_unlock(&l->m);
}

void rwlock_destroy(rwlock_t *l) {
    lab_cond_destroy(&l->writer_ok);
    lab_cond_destroy(&l->readers_ok);
    lab_mutex_destroy(&l->m);
    free(l);
}
