/* fixed.c's lock, but the locks come from a static pool of 32 ("no malloc
 * per lock; a program has a handful of locks"), handed out round-robin by
 * an atomic index that wraps around; destroy gives nothing back. The 33rd
 * rwlock_create() returns the first lock again and re-initialises it under
 * whoever holds it: its state is wiped (a writer inside is forgotten) and
 * the two callers share one lock. rwlock.h: rwlock_create() returns "a
 * lock nobody holds"; README: "each lock is a lock of its own".
 * Demonstration: the overlap check holds lock A for writing, creates 256
 * more locks (keeping them all), then starts a writer on A: it walks into
 * the re-initialised lock while the driver still holds it ("each lock is a
 * lock of its own, a new one a lock nobody holds / a writer got lock A
 * while the driver held it for writing"). */
#include "rwlock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

struct rwlock {
    pthread_mutex_t m;
    pthread_cond_t readers_ok; /* a reader may go in: no writer inside or waiting */
    pthread_cond_t writer_ok;  /* a writer may go in: nobody inside */
    int readers;               /* readers inside */
    int writer;                /* 1 while a writer is inside */
    int writers_waiting;       /* writers in rwlock_wrlock() not yet inside */
};

#define RWLOCK_POOL 32
static rwlock_t pool[RWLOCK_POOL]; /* no allocation per lock */
static atomic_uint next_free;

rwlock_t *rwlock_create(void) {
    rwlock_t *l = &pool[atomic_fetch_add(&next_free, 1) % RWLOCK_POOL];
    memset(l, 0, sizeof *l);
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
    lab_mutex_destroy(&l->m); /* the pool slot is static */
}
