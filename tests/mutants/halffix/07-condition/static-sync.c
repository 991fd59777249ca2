/* Wrong submission for lab 07 (examiner B): the mutex and both conditions
 * are file-scope statics shared by every queue; only the ring, the count
 * and the closed flag are per queue. Wrong: queue.h hands out separate
 * queues, and a put() wakes a consumer of that queue. With two queues in
 * use, put() into A signals the one shared not_empty condition, which may
 * wake a consumer waiting on B: it finds B empty and sleeps again, while
 * A's consumer sleeps on next to its item (a lost wake-up).
 * How the grader shows it: exactly-once ends with consumers asleep on two
 * empty queues (3 on B, then 1 on A, and the other order) and one put into
 * A: glibc's condition wakes its oldest sleeper, one of B's, and A's
 * consumer never returns (no progress for 1 s); capacity does the same
 * with producers on full queues, and both checks' flows already run two
 * queues at once, where the shared conditions lose wake-ups. */
#include "queue.h"

#include <stdlib.h>

#include "lab.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;

struct queue {
    long *buf; /* a ring: head is the oldest item, tail the next free place */
    int cap, head, tail, count;
    int closed;
};

queue_t *queue_create(int capacity) {
    queue_t *q = lab_calloc(1, sizeof *q);
    q->buf = lab_calloc((size_t)capacity, sizeof *q->buf);
    q->cap = capacity;
    return q;
}

int queue_put(queue_t *q, long item) {
    lab_pause();
    lab_mutex_lock(&m);
    while (q->count == q->cap && !q->closed)
        lab_cond_wait(&not_full, &m);
    if (q->closed) {
        lab_mutex_unlock(&m);
        return -1;
    }
    q->buf[q->tail] = item;
    q->tail = (q->tail + 1) % q->cap;
    q->count++;
    lab_cond_signal(&not_empty);
    lab_mutex_unlock(&m);
    return 0;
}

int queue_get(queue_t *q, long *item) {
    lab_pause();
    lab_mutex_lock(&m);
    while (q->count == 0 && !q->closed)
        lab_cond_wait(&not_empty, &m);
    if (q->count == 0 && q->closed) {
        lab_mutex_unlock(&m);
        return 0;
    }
    *item = q->buf[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    lab_cond_signal(&not_full);
    lab_mutex_unlock(&m);
    return 1;
}

void queue_close(queue_t *q) {
    lab_mutex_lock(&m);
    q->closed = 1;
    lab_cond_broadcast(&not_empty);
    lab_cond_broadcast(&not_full);
    lab_mutex_unlock(&m);
}

int queue_len(queue_t *q) {
    lab_mutex_lock(&m);
    int n = q->count;
    lab_mutex_unlock(&m);
    return n;
}

void queue_destroy(queue_t *q) {
    free(q->buf);
    free(q);
}
