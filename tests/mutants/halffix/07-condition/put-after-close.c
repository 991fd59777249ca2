/* Wrong submission for lab 07 (examiner B): put() tests "closed" on entry
 * and inside its wait loop only while the queue is full:
 *     while (q->count == q->cap) { if (q->closed) return -1; wait; }
 * Wrong: a producer asleep on a full queue, woken after close() AND a
 * get() that made room, leaves the loop without looking at "closed" again,
 * adds its item to the closed queue and returns 0 (queue.h: -1 once the
 * queue is closed, and the item is not added).
 * How the grader shows it: close-wakes-all puts a producer to sleep on a
 * full queue of capacity 1, holds it still (a signal whose handler waits
 * for the driver) while close() and then get() run, and lets it go: its
 * put() returns 0 and the next get() returns its item instead of 0, every
 * run. */
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
    lab_pause();
    lab_mutex_lock(&q->m);
    if (q->closed) {
        lab_mutex_unlock(&q->m);
        return -1;
    }
    while (q->count == q->cap) {
        if (q->closed) { /* woken by close() */
            lab_mutex_unlock(&q->m);
            return -1;
        }
        lab_cond_wait(&q->not_full, &q->m);
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
