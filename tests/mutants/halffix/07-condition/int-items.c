/* Wrong submission for lab 07 (examiner E): the ring is an array of int,
 * copied from a textbook int queue: put() stores the long item into an int
 * slot and get() hands back what is left of it. Wrong: an item is any long
 * (queue.h: "Take the oldest item into *item", "Items come out in the order
 * put"): put(1L << 40) comes out as 0, put(-5000000000) as another number.
 * Waiting, closing and locking are right.
 * How the grader shows it: single puts -1, 2^40, LONG_MIN, LONG_MAX and
 * -5,000,000,000 through an open queue and compares each item taken with
 * the one put: 2^40 comes out as 0, every run. */
#include "queue.h"

#include <stdlib.h>

#include "lab.h"

struct queue {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    int *buf; /* a ring: head is the oldest item, tail the next free place */
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
    q->buf[q->tail] = (int)item;
    q->tail = (q->tail + 1) % q->cap;
    q->count++;
    lab_cond_signal(&q->not_empty);
    lab_mutex_unlock(&q->m);
    return 0;
}

int queue_get(queue_t *q, long *item) {
    lab_pause();
    lab_mutex_lock(&q->m);
    while (q->count == 0 && !q->closed)
        lab_cond_wait(&q->not_empty, &q->m);
    if (q->count == 0 && q->closed) {
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
