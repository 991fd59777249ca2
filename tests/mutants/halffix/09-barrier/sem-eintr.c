/* Wrong submission for lab 09 (examiner E): the reusable barrier of The
 * Little Book of Semaphores (two turnstiles) on POSIX semaphores, with the
 * results of sem_wait() not looked at. Wrong: sem_wait() fails with EINTR
 * when a signal handler runs in the waiting thread (one installed without
 * SA_RESTART: a timer, a profiler, a SIGCHLD handler of the application),
 * and the thread walks through the turnstile: it leaves the barrier before
 * the other parties have arrived. barrier.h: "Wait until `parties` threads
 * have called barrier_wait() in this round".
 * How the grader shows it: rounds has one round of 3 whose last party comes
 * 1.6 s late; every 100 ms that the other two are seen asleep in the
 * barrier, it sends each a signal whose handler does nothing, installed
 * without SA_RESTART: both sem_wait()s fail with EINTR, the second of them
 * opens the second turnstile, and they leave while the last party is still
 * on its way, so the check fails, every run. */
#include "barrier.h"

#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    sem_t turnstile1, turnstile2; /* opened by the last in / the last out */
    int parties, count;
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    sem_init(&b->turnstile1, 0, 0);
    sem_init(&b->turnstile2, 0, 0);
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    lab_mutex_lock(&b->m);
    if (++b->count == b->parties) { /* the last one in opens the first turnstile */
        serial = 1;
        for (int i = 0; i < b->parties; i++)
            sem_post(&b->turnstile1);
    }
    lab_mutex_unlock(&b->m);
    sem_wait(&b->turnstile1);

    lab_mutex_lock(&b->m);
    if (--b->count == 0) /* the last one out of phase one opens the second */
        for (int i = 0; i < b->parties; i++)
            sem_post(&b->turnstile2);
    lab_mutex_unlock(&b->m);
    sem_wait(&b->turnstile2);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    sem_destroy(&b->turnstile2);
    sem_destroy(&b->turnstile1);
    lab_mutex_destroy(&b->m);
    free(b);
}
