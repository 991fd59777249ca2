/* fixed.c whose leaving writer wakes the next writer but never the
 * readers; instead a reader's wait is a 100 ms pthread_cond_timedwait() in
 * a loop ("a reader must never hang for ever"), so a reader blocked behind
 * a writer goes in only when its own timer runs out: a lost wake-up hidden
 * by polling, readers asleep tens of ms on a free lock. Demonstration: in
 * the overlap check's hand-overs, 4 readers fall asleep behind the
 * driver's write lock and the driver lets go; the readers are still out
 * while every other thread sleeps ("readers asleep behind a writer all get
 * in when it leaves / 4 of 4 still asleep in the lock"). Their timer is on
 * CLOCK_REALTIME, and the driver runs the implementation's wall clock an
 * hour ahead meanwhile, so it never runs out and every grade catches it. */
#include "rwlock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

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
    while (l->writer || l->writers_waiting > 0) { /* a waiting writer goes first */
        /* look again every 100 ms: a reader must never hang for ever */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&l->readers_ok, &l->m, &t);
        if (rc != 0 && rc != ETIMEDOUT)
            lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
    }
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
    /* the readers look again by themselves */
    lab_mutex_unlock(&l->m);
}

void rwlock_destroy(rwlock_t *l) {
    lab_cond_destroy(&l->writer_ok);
    lab_cond_destroy(&l->readers_ok);
    lab_mutex_destroy(&l->m);
    free(l);
}
