/* Lab 06, semaphore: the API of a pool of database connections. broken.c,
 * fixed.c, alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_POOL_H
#define LOCKLAB_POOL_H

typedef struct pool pool_t;

/* A pool of `size` (>= 1) connections, numbered 0 .. size-1. Never returns
 * NULL. */
pool_t *pool_create(int size);

/* Take a connection: its number, never one that another user holds. While
 * all are taken, wait (sleeping, not spinning) until one comes back. Any
 * number of threads may call it at once. */
int pool_acquire(pool_t *p);

/* Give back connection `conn`, taken by this user with pool_acquire(). */
void pool_release(pool_t *p, int conn);

void pool_destroy(pool_t *p);

#endif
