/* Wrong submission for lab 06: the busy connections are kept as the bits
 * of one unsigned int (a neat bitmap), which holds 32. pool.h promises a
 * pool of any size >= 1, numbered 0..size-1, each connection handed to one
 * user at a time. In a pool of more than 32, `1u << c` for c >= 32 is
 * undefined (on x86 it wraps to bit c % 32): connection 32 is "free"
 * exactly when connection 0 is, so once 0..31 are taken no free one is
 * found and -1 comes back.
 * How the grader shows it: the check `single` fills pools of 1, 3, 40 and
 * 100; the 33rd acquire on the pool of 40 gives -1. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

struct pool {
    int size;
    sem_t room;
    pthread_mutex_t m;
    unsigned busy; /* bit c set: connection c is taken */
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    lab_mutex_init(&p->m, NULL);
    return p;
}

int pool_acquire(pool_t *p) {
    while (sem_wait(&p->room) != 0)
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    int conn = -1;
    lab_mutex_lock(&p->m);
    for (int c = 0; c < p->size && conn < 0; c++) {
        unsigned bit = 1u << c;
        if (!(p->busy & bit)) {
            lab_pause();
            p->busy |= bit;
            conn = c;
        }
    }
    lab_mutex_unlock(&p->m);
    return conn;
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    p->busy &= ~(1u << conn);
    lab_mutex_unlock(&p->m);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p);
}
