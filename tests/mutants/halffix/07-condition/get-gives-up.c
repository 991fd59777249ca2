/* Wrong submission for lab 07 (examiner H): get() waits on a timed wait of
 * 3 s (monotonic clock) and returns 0, "as if closed", when no item came
 * ("a consumer must never hang when the producers died"). Wrong: get()
 * returns 0 only "once it is closed and empty" and waits "while the queue
 * is empty and open" (queue.h); a consumer of a slow producer ends early
 * and the items put afterwards are never taken ("every item taken exactly
 * once").
 * How the grader shows it: exactly-once starts a consumer on a queue of its
 * own, sees it asleep, runs the rest of the check, and puts its item only
 * 3.3 s after it fell asleep (a sleep, which can only last longer): this
 * get() has returned 0 on the open queue 3 s in, and the check fails
 * ("get() on an open queue waits until an item is put, however long"). */
#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

struct queue {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    long *buf; /* a ring: head is the oldest item, tail the next free place */
    int cap, head, tail, count;
    int closed;
};

queue_t *queue_create(int capacity) {
    queue_t *q = lab_calloc(1, sizeof *q);
    lab_mutex_init(&q->m, NULL);
    pthread_condattr_t a;
    LAB_PTHREAD(pthread_condattr_init(&a));
    LAB_PTHREAD(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    lab_cond_init(&q->not_empty, &a);
    LAB_PTHREAD(pthread_condattr_destroy(&a));
    lab_cond_init(&q->not_full, NULL);
    q->buf = lab_calloc((size_t)capacity, sizeof *q->buf);
    q->cap = capacity;
    return q;
}

int queue_put(queue_t *q, long item) {
    lab_pause(); /* arrive at any moment, e.g. between a signal and its wake-up */
    lab_mutex_lock(&q->m);
    while (q->count == q->cap && !q->closed)
        lab_cond_wait(&q->not_full, &q->m);
    if (q->closed) {
        lab_mutex_unlock(&q->m);
        return -1;
    }
    q->buf[q->tail] = item;
    q->tail = (q->tail + 1) % q->cap;
    q->count++;
    lab_cond_signal(&q->not_empty);
    lab_mutex_unlock(&q->m);
    return 0;
}

int queue_get(queue_t *q, long *item) {
    lab_pause();
    lab_mutex_lock(&q->m);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 3; /* nobody waits 3 s for an item (wrong) */
    int timed_out = 0;
    while (q->count == 0 && !q->closed && !timed_out) {
        int rc = pthread_cond_timedwait(&q->not_empty, &q->m, &deadline);
        if (rc == ETIMEDOUT)
            timed_out = 1;
        else if (rc != 0)
            lab_pthread_die(rc, "pthread_cond_timedwait", __FILE__, __LINE__);
    }
    if (q->count == 0) { /* closed, or given up: "the stream is over" */
        lab_mutex_unlock(&q->m);
        return 0;
    }
    *item = q->buf[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    lab_cond_signal(&q->not_full);
    lab_mutex_unlock(&q->m);
    return 1;
}

void queue_close(queue_t *q) {
    lab_mutex_lock(&q->m);
    q->closed = 1;
    lab_cond_broadcast(&q->not_empty);
    lab_cond_broadcast(&q->not_full);
    lab_mutex_unlock(&q->m);
}

int queue_len(queue_t *q) {
    lab_mutex_lock(&q->m);
    int n = q->count;
    lab_mutex_unlock(&q->m);
    return n;
}

void queue_destroy(queue_t *q) {
    lab_cond_destroy(&q->not_full);
    lab_cond_destroy(&q->not_empty);
    lab_mutex_destroy(&q->m);
    free(q->buf);
    free(q);
}
