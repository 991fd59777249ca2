/* Wrong: a linked-list queue (count bounded by capacity, the same waiting
 * and closing as fixed.c) whose put() allocates its node before taking the
 * mutex, to keep malloc() out of the critical section; but the put() that
 * finds the queue closed returns -1 without freeing that node. Every put()
 * that meets a closed queue - the producers racing close(), or a producer
 * asleep on a full queue when it closes - leaks a node: queue.h's -1 "the
 * item is then not added" holds, but the memory of it is lost for good.
 * The grader: close-wakes-all counts the implementation's blocks (its
 * allocations less its frees, lab_impl_live_allocs) over the whole check,
 * from after a warm-up queue: the 6 + 3 producers woken by close() and the
 * one woken after close() and a get() each leave a node, 10 blocks still
 * live once every queue is destroyed, every run. */
#include "queue.h"

#include <stdlib.h>

#include "lab.h"

struct node {
    long item;
    struct node *next;
};

struct queue {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    struct node *head, *tail; /* oldest first */
    int cap, count, closed;
};

queue_t *queue_create(int capacity) {
    queue_t *q = lab_calloc(1, sizeof *q);
    lab_mutex_init(&q->m, NULL);
    lab_cond_init(&q->not_empty, NULL);
    lab_cond_init(&q->not_full, NULL);
    q->cap = capacity;
    return q;
}

int queue_put(queue_t *q, long item) {
    struct node *n = lab_calloc(1, sizeof *n); /* outside the lock */
    n->item = item;
    lab_pause();
    lab_mutex_lock(&q->m);
    while (q->count == q->cap && !q->closed)
        lab_cond_wait(&q->not_full, &q->m);
    if (q->closed) {
        lab_mutex_unlock(&q->m);
        return -1;
    }
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
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
    if (q->count == 0) {
        lab_mutex_unlock(&q->m);
        return 0;
    }
    struct node *n = q->head;
    q->head = n->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    lab_cond_signal(&q->not_full);
    lab_mutex_unlock(&q->m);
    *item = n->item;
    free(n);
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
    for (struct node *n = q->head, *next; n; n = next) {
        next = n->next;
        free(n);
    }
    lab_cond_destroy(&q->not_full);
    lab_cond_destroy(&q->not_empty);
    lab_mutex_destroy(&q->m);
    free(q);
}
