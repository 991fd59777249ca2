/* Wrong submission for lab 07 (examiner E): "only signal when it matters":
 * put() signals not_empty only when the queue goes from empty to not empty,
 * get() signals not_full only when it goes from full to not full. The waits
 * are in while loops and close() broadcasts. Wrong: with two consumers
 * asleep on an empty queue, two puts in a row wake one of them (the second
 * put finds one item there and stays quiet), and the other sleeps on beside
 * an item; likewise two producers on a full queue and two gets (README: "a
 * put wakes a consumer, a get wakes a producer"; queue.h: get waits only
 * "while the queue is empty and open").
 * How the grader shows it: exactly-once ends with two consumers seen asleep
 * on an empty queue of capacity 4, both held still (a signal whose handler
 * waits for the driver) while the driver puts two items in a row, so
 * neither takes the first before the second put: one consumer wakes, the
 * other sleeps beside the second item and no progress for 1 s fails, every
 * run; capacity does the same with two producers asleep on a full queue and
 * two gets in a row. */
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
    if (q->count++ == 0) /* empty -> non-empty: someone may sleep */
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
    if (q->count-- == q->cap) /* full -> not full */
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
