/* Wrong submission for lab 09 (examiner B): a waiter gives up after 1 s
 * ("so that a lost thread cannot hang the program") and returns 0 before
 * its round is complete. Wrong: barrier_wait() returns only once all
 * parties have called it in this round; a party that is merely slow lets
 * the others through a barrier it has not reached.
 * How the grader shows it: rounds ends with one round of 3 whose last party
 * arrives 1.6 s after the other two were seen asleep (a sleep, which can
 * only last longer): they leave after 1 s, see the round incomplete, and
 * the check fails, every run. */
#include "barrier.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

#define GIVE_UP_S 1

struct barrier {
    pthread_mutex_t m;
    pthread_cond_t all_here; /* on CLOCK_MONOTONIC */
    int parties, count;
    unsigned long gen; /* rounds completed */
};

barrier_t *barrier_create(int parties) {
    barrier_t *b = lab_calloc(1, sizeof *b);
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_mutex_init(&b->m, NULL);
    lab_cond_init(&b->all_here, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
    b->parties = parties;
    return b;
}

int barrier_wait(barrier_t *b) {
    int serial = 0;
    lab_mutex_lock(&b->m);
    unsigned long mine = b->gen;
    if (++b->count == b->parties) {
        b->count = 0;
        b->gen++;
        serial = 1;
        lab_cond_broadcast(&b->all_here);
    } else {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += GIVE_UP_S; /* never hang for ever */
        while (b->gen == mine) {
            int rc = pthread_cond_timedwait(&b->all_here, &b->m, &deadline);
            if (rc == ETIMEDOUT)
                break;
            if (rc != 0)
                lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
        }
    }
    lab_mutex_unlock(&b->m);
    return serial;
}

void barrier_destroy(barrier_t *b) {
    lab_cond_destroy(&b->all_here);
    lab_mutex_destroy(&b->m);
    free(b);
}
