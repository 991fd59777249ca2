/* Lab 11, reader-writer lock: the API. Many threads may hold the read lock
 * at once; the write lock is held by one thread, and only while nobody
 * holds the read lock. broken.c, fixed.c, alt-*.c and student.c all include
 * this header.
 *
 * The lock is created rather than initialised in place because each
 * implementation keeps different state (a mutex and conditions, or a
 * pthread_rwlock_t), so the caller cannot know its size. */
#ifndef LOCKLAB_RWLOCK_H
#define LOCKLAB_RWLOCK_H

typedef struct rwlock rwlock_t;

/* A lock nobody holds. Never returns NULL. */
rwlock_t *rwlock_create(void);

/* Take the lock for reading: returns once no writer holds it. Other readers
 * may hold it at the same time. A thread must not take the read lock again
 * while it holds it: a lock that makes new readers wait for a waiting writer
 * would then wait for itself. */
void rwlock_rdlock(rwlock_t *l);
void rwlock_rdunlock(rwlock_t *l);

/* Take the lock for writing: returns once nobody else holds it, in either
 * mode. A writer that has asked must get in even while readers keep
 * arriving. */
void rwlock_wrlock(rwlock_t *l);
void rwlock_wrunlock(rwlock_t *l);

/* The lock must be free. */
void rwlock_destroy(rwlock_t *l);

#endif
