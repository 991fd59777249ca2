/* Wrong: fixed.c's queue, counting with two atomic counters (items put,
 * items taken) so that queue_len() needs no lock: it reads `put`, then
 * `taken`, two atomic loads, and returns the difference. Between the two
 * loads other threads put and take: `taken` can have moved past the `put`
 * already read, and queue_len() returns a negative length (-1, -2, ...) of
 * a queue that never held fewer than 0 items. queue.h: "Items in the
 * queue now" - no moment ever had that many.
 * The grader: capacity runs an observer thread beside the producers and
 * the consumer, reading queue_len() of both queues of capacity 1 over and
 * over (some 200 000 readings, perturbed like everything else): hundreds
 * of them are -1 every run, and the check fails with the first. */
#include "queue.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "lab.h"

struct queue {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    long *buf;
    int cap;
    atomic_long put, taken; /* written under m; read by queue_len() without it */
    int closed;
};

queue_t *queue_create(int capacity) {
    queue_t *q = lab_calloc(1, sizeof *q);
    lab_mutex_init(&q->m, NULL);
    lab_cond_init(&q->not_empty, NULL);
    lab_cond_init(&q->not_full, NULL);
    q->buf = lab_calloc((size_t)capacity, sizeof *q->buf);
    q->cap = capacity;
    atomic_init(&q->put, 0);
    atomic_init(&q->taken, 0);
    return q;
}

static long count(queue_t *q) { return atomic_load(&q->put) - atomic_load(&q->taken); }

int queue_put(queue_t *q, long item) {
    lab_pause();
    lab_mutex_lock(&q->m);
    while (count(q) == q->cap && !q->closed)
        lab_cond_wait(&q->not_full, &q->m);
    if (q->closed) {
        lab_mutex_unlock(&q->m);
        return -1;
    }
    q->buf[atomic_load(&q->put) % q->cap] = item;
    atomic_fetch_add(&q->put, 1);
    lab_cond_signal(&q->not_empty);
    lab_mutex_unlock(&q->m);
    return 0;
}

int queue_get(queue_t *q, long *item) {
    lab_pause();
    lab_mutex_lock(&q->m);
    while (count(q) == 0 && !q->closed)
        lab_cond_wait(&q->not_empty, &q->m);
    if (count(q) == 0) {
        lab_mutex_unlock(&q->m);
        return 0;
    }
    *item = q->buf[atomic_load(&q->taken) % q->cap];
    atomic_fetch_add(&q->taken, 1);
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

int queue_len(queue_t *q) { return (int)count(q); /* no lock: two atomic loads */ }

void queue_destroy(queue_t *q) {
    lab_cond_destroy(&q->not_full);
    lab_cond_destroy(&q->not_empty);
    lab_mutex_destroy(&q->m);
    free(q->buf);
    free(q);
}
