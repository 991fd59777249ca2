/* Wrong: a writer waits at most 5 s (CLOCK_REALTIME deadline) for the readers inside, then assumes
 * they are stuck and goes in anyway, so a reader that legitimately holds the read lock longer (or a
 * wall-clock step) meets a writer, breaking rwlock.h: the write lock "returns once nobody else holds
 * it, in either mode".
 * The overlap check asks for the write lock with 256 readers inside while
 * the implementation's clocks read a day behind (and jump two days ahead
 * while the writer waits): the 5 s deadline has passed before the wait
 * begins and the writer walks in among the readers, every run. */
#include "rwlock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

enum { WRITER_PATIENCE_S = 5 }; /* the bound on a writer's wait */

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
    /* A writer that has asked must get in: the readers inside get
     * WRITER_PATIENCE_S to finish; after that they must be stuck (a reader
     * thread that died, or forgot to unlock), and the writer goes in. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WRITER_PATIENCE_S;
    while (l->writer || l->readers > 0) {
        int rc = pthread_cond_timedwait(&l->writer_ok, &l->m, &deadline);
        if (rc == ETIMEDOUT && !l->writer)
            break; /* starved long enough: readers that are still "inside" are stuck */
        if (rc != 0 && rc != ETIMEDOUT)
            lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
    }
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
