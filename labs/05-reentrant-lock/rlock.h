/* Lab 05, reentrant lock: the API of a lock its owner may take again.
 * broken.c, fixed.c, alt-*.c and student.c all include this header. */
#ifndef LOCKLAB_RLOCK_H
#define LOCKLAB_RLOCK_H

typedef struct rlock rlock_t;

/* An unlocked lock. Never returns NULL. */
rlock_t *rlock_create(void);

/* Take the lock, waiting while another thread holds it. The thread that
 * holds it may take it again: each acquire needs its own release. */
void rlock_acquire(rlock_t *l);

/* Give back one acquire: 0, or EPERM when the calling thread does not hold
 * the lock (then nothing changes). The lock is free for others once its
 * owner has released it as many times as it acquired it. */
int rlock_release(rlock_t *l);

void rlock_destroy(rlock_t *l);

#endif
