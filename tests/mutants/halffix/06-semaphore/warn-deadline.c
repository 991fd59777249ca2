/* Wrong: fixed.c's semaphore, but the wait is a sem_timedwait() with a
 * 5 s deadline so that a pool that stays exhausted can be reported once
 * ("waited 5 s for a connection"); on ETIMEDOUT it keeps waiting with the
 * SAME deadline, now in the past, so from then on every sem_timedwait()
 * returns at once and the user spins at full speed until a connection
 * comes back. pool.h: "While all are taken, wait (sleeping, not spinning)
 * until one comes back" - true only for the first 5 s of a wait.
 * The grader: idle-wait ends with a user that starts waiting for a full
 * pool of 1 while the implementation's clocks read an hour behind (so its
 * 5 s deadline passed an hour ago), put right once it has read one and
 * run 2 ms: here the wait spins from its first ETIMEDOUT on, and it is
 * running or runnable all 0.5 s that the driver then measures (20 ms
 * allowed), every run. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

#define WARN_AFTER_S 5

struct pool {
    int size;
    sem_t room;
    pthread_mutex_t m;
    int *busy;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    lab_mutex_init(&p->m, NULL);
    p->busy = lab_calloc((size_t)size, sizeof *p->busy);
    return p;
}

int pool_acquire(pool_t *p) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline); /* sem_timedwait() counts on the wall clock */
    deadline.tv_sec += WARN_AFTER_S;
    int warned = 0;
    while (sem_timedwait(&p->room, &deadline) != 0) {
        if (errno == ETIMEDOUT) {
            if (!warned)
                fprintf(stderr, "pool: no connection free for %d s, still waiting\n", WARN_AFTER_S);
            warned = 1;
            continue; /* keep waiting */
        }
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_timedwait(&p->room)", __FILE__, __LINE__);
    }
    int conn = -1;
    lab_mutex_lock(&p->m);
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!p->busy[c]) {
            lab_pause();
            p->busy[c] = 1;
            conn = c;
        }
    lab_mutex_unlock(&p->m);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    p->busy[conn] = 0;
    lab_mutex_unlock(&p->m);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p->busy);
    free(p);
}
