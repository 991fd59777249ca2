/* Lab 07, condition: the API of a bounded queue of items, for producers and
 * consumers. broken.c, fixed.c, alt-*.c and student.c include it. */
#ifndef LOCKLAB_QUEUE_H
#define LOCKLAB_QUEUE_H

typedef struct queue queue_t;

/* An open, empty queue holding at most `capacity` (>= 1) items. Never
 * returns NULL. */
queue_t *queue_create(int capacity);

/* Append `item`, waiting while the queue is full: 0, or -1 once the queue
 * is closed (the item is then not added). Items come out in the order put. */
int queue_put(queue_t *q, long item);

/* Take the oldest item into *item and return 1, waiting while the queue is
 * empty and open; return 0 once it is closed and empty. */
int queue_get(queue_t *q, long *item);

/* Close the queue: no more puts; every waiting producer and consumer wakes
 * up; consumers drain what is left, then get 0. (The course hands a
 * sentinel from consumer to consumer; close() says the same to all.) */
void queue_close(queue_t *q);

/* Items in the queue now, never more than the capacity. */
int queue_len(queue_t *q);

void queue_destroy(queue_t *q);

#endif
