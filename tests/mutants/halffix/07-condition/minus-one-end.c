/* Wrong submission for lab 07 (examiner E): get() is built on a helper
 * take() that returns the item, or -1 for "closed and nothing left" (the
 * usual C "no value"), and queue_get() turns -1 into 0. Wrong: -1 is an item
 * like any other long; a consumer that takes it gets 0 from an open queue
 * (queue.h: get returns 0 only "once it is closed and empty"), stops early,
 * and the item is lost (README: "every item taken exactly once").
 * How the grader shows it: single puts the item -1 into an open queue (and
 * leaves another -1 in a closed one): get() must return 1 with -1, and it
 * returns 0, every run. */
#include "queue.h"

#include <stdlib.h>

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
    lab_cond_init(&q->not_empty, NULL);
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

/* The oldest item, waiting while the queue is empty and open; -1 once it is
 * closed and drained. */
static long take(queue_t *q) {
    lab_pause();
    lab_mutex_lock(&q->m);
    while (q->count == 0 && !q->closed)
        lab_cond_wait(&q->not_empty, &q->m);
    if (q->count == 0 && q->closed) {
        lab_mutex_unlock(&q->m);
        return -1;
    }
    long v = q->buf[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    lab_cond_signal(&q->not_full);
    lab_mutex_unlock(&q->m);
    return v;
}

int queue_get(queue_t *q, long *item) {
    long v = take(q);
    if (v == -1)
        return 0; /* closed and empty */
    *item = v;
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
