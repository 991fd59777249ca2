/* Wrong submission for lab 07 (examiner H): "closed" is an atomic_int, and
 * close() stores 1 and broadcasts both conditions without taking the
 * queue's mutex ("atomic, so no data race; broadcast may be called without
 * the mutex"). Wrong: a consumer that has tested "count == 0 && !closed"
 * under the mutex and not yet slept in pthread_cond_wait() misses both the
 * store and the broadcast, and sleeps for ever on a closed queue (the
 * mutex is what makes look-then-sleep one step for close()). queue.h:
 * close(): "every waiting producer and consumer wakes up; consumers drain
 * what is left, then get 0". No data race, so ThreadSanitizer is content.
 * How the grader shows it: close-wakes-all ends with 200 rounds of a fresh
 * queue, 4 consumers released together into get() and a closer that calls
 * close() as soon as they are under way, after a delay that sweeps from
 * round to round, with pauses and perturbation on (which also holds a
 * consumer up between its look and its sleep): within the first few rounds
 * a consumer sleeps on after close(), and no progress for 1 s fails. */
#include "queue.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct queue {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    long *buf; /* a ring: head is the oldest item, tail the next free place */
    int cap, head, tail, count;
    atomic_int closed;
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
    atomic_store(&q->closed, 1); /* atomic: no lock needed (wrong) */
    lab_cond_broadcast(&q->not_empty);
    lab_cond_broadcast(&q->not_full);
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
