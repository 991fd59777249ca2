/* Wrong submission for lab 06: the free list is a static array ("there is
 * one database"), sized for the largest pool, while each pool keeps its
 * own semaphore. Wrong: two pools hand out the same connection numbers from
 * one list: a user of pool A is refused a connection that a user of pool B
 * holds (-1), or two pools' users believe they hold different things. */
#include "pool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "lab.h"

static int g_busy[64]; /* one free list for every pool */

struct pool {
    int size;
    sem_t room;        /* connections not taken */
    pthread_mutex_t m; /* guards busy[] */
    int unused;
};

pool_t *pool_create(int size) {
    pool_t *p = lab_calloc(1, sizeof *p);
    p->size = size;
    if (sem_init(&p->room, 0, (unsigned)size) != 0)
        lab_pthread_die(errno, "sem_init(&p->room)", __FILE__, __LINE__);
    lab_mutex_init(&p->m, NULL);
    (void)0;
    return p;
}

int pool_acquire(pool_t *p) {
    while (sem_wait(&p->room) != 0) /* sleeps while none is free */
        if (errno != EINTR)
            lab_pthread_die(errno, "sem_wait(&p->room)", __FILE__, __LINE__);
    int conn = -1;
    lab_mutex_lock(&p->m);
    for (int c = 0; c < p->size && conn < 0; c++)
        if (!g_busy[c]) {
            lab_pause(); /* the same window: others wait at the mutex */
            g_busy[c] = 1;
            conn = c;
        }
    lab_mutex_unlock(&p->m);
    return conn; /* admitted, so one was free */
}

void pool_release(pool_t *p, int conn) {
    lab_mutex_lock(&p->m);
    g_busy[conn] = 0;
    lab_mutex_unlock(&p->m);
    if (sem_post(&p->room) != 0)
        lab_pthread_die(errno, "sem_post(&p->room)", __FILE__, __LINE__);
}

void pool_destroy(pool_t *p) {
    sem_destroy(&p->room);
    lab_mutex_destroy(&p->m);
    free(p);
}
