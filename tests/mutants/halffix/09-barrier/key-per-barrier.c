/* Wrong submission for lab 09 (examiner H): a sense-reversing barrier
 * whose local sense is kept per thread and barrier under a pthread key that
 * each barrier_create() makes, and barrier_destroy() never deletes. Wrong:
 * a process has PTHREAD_KEYS_MAX keys (1024 on glibc) for good, so after
 * about a thousand barriers made, however many were destroyed,
 * pthread_key_create() fails with EAGAIN and barrier_create() aborts.
 * barrier.h: "A barrier for `parties` (>= 1) threads. Never returns NULL."
 * How the grader shows it: single makes, uses and destroys 1100 barriers
 * one after another (as a program that makes one per phase does): the
 * 1000-odd-th barrier_create() dies with "pthread_key_create(...) failed:
 * Resource temporarily unavailable". */
#include "barrier.h"

#include <stdint.h>
#include <stdlib.h>

#include "lab.h"

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here;
    int parties, count;
    int sense;         /* flips when a round completes */
    pthread_key_t key; /* each thread's sense at this barrier */
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, NULL);
    LAB_PTHREAD(pthread_key_create(&b->key, NULL));
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    /* the slot holds sense + 1 once set (NULL: never waited here, sense 0) */
    uintptr_t v = (uintptr_t)pthread_getspecific(b->key);
    int local = v == 0 ? 1 : !(int)(v - 1);
    LAB_PTHREAD(pthread_setspecific(b->key, (void *)(uintptr_t)(local + 1)));
    int serial = 0;
    lab_mutex_lock(&b->m);
    if (++b->count == b->parties) {
        b->count = 0;
        b->sense = local;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        while (b->sense != local)
            lab_cond_wait(&b->all_here, &b->m);
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b); /* the key is forgotten, not deleted */
}
