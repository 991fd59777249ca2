/* Wrong submission for lab 11 (examiner H): fixed.c's writer-preferring
 * lock, built the way the "N permits" reader-writer lock is (a counting
 * semaphore: a reader takes one permit, a writer needs them all): at most
 * MAX_READERS = 8 readers inside at once, a ninth waits for a permit.
 * Wrong: README: "any number of readers may hold it together"; rwlock.h:
 * rdlock "returns once no writer holds it. Other readers may hold it at
 * the same time". A ninth reader waits while no writer holds or wants the
 * lock, and nine readers that each wait inside for the others never all
 * get in.
 * How the grader shows it: overlap starts 32 readers of a free lock, each
 * staying inside until the driver lets it go, and counts them in: 8 get
 * in, 24 sleep in rdlock while the 8 sleep too, and the driver sees every
 * other thread asleep with readers still out, every run. */
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

/* Readers take one of MAX_READERS permits, as with a counting semaphore;
 * a writer needs them all (nobody inside). */
enum { MAX_READERS = 8 };

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    lab_mutex_init(&l->m, NULL);
    lab_cond_init(&l->readers_ok, NULL);
    lab_cond_init(&l->writer_ok, NULL);
    return l;
}

void rwlock_rdlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    while (l->writer || l->writers_waiting > 0 || l->readers == MAX_READERS) /* no permit left */
        lab_cond_wait(&l->readers_ok, &l->m);
    lab_pause();
    l->readers++;
    lab_mutex_unlock(&l->m);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->m);
    if (--l->readers == 0 && l->writers_waiting > 0)
        lab_cond_signal(&l->writer_ok);
    else if (l->writers_waiting == 0)
        lab_cond_signal(&l->readers_ok); /* a permit is free again */
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
