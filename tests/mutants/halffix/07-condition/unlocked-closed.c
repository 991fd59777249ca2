/* Wrong submission for lab 07 (examiner B): put() starts with a "fast
 * path" that reads q->closed without the mutex ("once closed, it stays
 * closed"). Wrong: that read races with close()'s write of the flag, a data
 * race (undefined behaviour in C11) that the README's contract forbids.
 * How the grader shows it: race-free (ThreadSanitizer) ends with 10 rounds
 * of close() while producers put into a queue too big to make them wait:
 * each producer goes on putting until a put() returns -1, so its last
 * put() starts after close() with nothing ordering the two, and TSan
 * reports the unlocked read against close()'s write every run. */
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
    if (q->closed) /* fast path: a closed queue stays closed */
        return -1;
    lab_pause();
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
