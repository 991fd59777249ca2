/* Wrong submission for lab 07 (examiner H): close() broadcasts not_empty
 * only when the queue is empty and not_full only when it is full ("only
 * then can anyone be asleep"). Wrong: a put() signals one consumer and
 * makes the queue non-empty before that consumer runs, while others still
 * sleep; a close() then (count 1) broadcasts nothing: the signalled
 * consumer takes the item and the others sleep for ever on a closed, empty
 * queue (the same with producers, a get() and close()). queue.h: close():
 * "every waiting producer and consumer wakes up; consumers drain what is
 * left, then get 0".
 * How the grader shows it: close-wakes-all holds 3 consumers asleep on an
 * empty queue of capacity 4 still (lab_hold_thread) while it puts one item
 * and closes the queue, so close() finds one item every run; once let go,
 * one consumer takes the item and two sleep on: no progress for 1 s fails
 * ("one put() then close() (the queue neither empty nor full): a consumer
 * never woke"). */
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
    if (q->count == 0) /* only then can consumers be asleep (wrong) */
        lab_cond_broadcast(&q->not_empty);
    if (q->count == q->cap) /* only then can producers be asleep */
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
