/* Lab 11, reader-writer lock: the library's own, asked to prefer writers.
 *
 * POSIX has pthread_rwlock_t, but leaves open whom it prefers, and glibc's
 * default prefers readers: the same starvation as broken.c. glibc offers a
 * writer-preferring kind through a non-portable attribute. Only the
 * NONRECURSIVE variant really holds new readers back (the plain
 * PTHREAD_RWLOCK_PREFER_WRITER_NP is accepted and then treated like the
 * reader-preferring default, because it promises that a thread may take the
 * read lock twice). The bench compares the hand-built lock with it. */
#define _GNU_SOURCE
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

struct rwlock {
    pthread_rwlock_t rw;
};

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    pthread_rwlockattr_t a;
    LAB_PTHREAD(pthread_rwlockattr_init(&a));
    LAB_PTHREAD(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
    LAB_PTHREAD(pthread_rwlock_init(&l->rw, &a));
    LAB_PTHREAD(pthread_rwlockattr_destroy(&a));
    return l;
}

void rwlock_rdlock(rwlock_t *l) { LAB_PTHREAD(pthread_rwlock_rdlock(&l->rw)); }
void rwlock_rdunlock(rwlock_t *l) { LAB_PTHREAD(pthread_rwlock_unlock(&l->rw)); }
void rwlock_wrlock(rwlock_t *l) { LAB_PTHREAD(pthread_rwlock_wrlock(&l->rw)); }
void rwlock_wrunlock(rwlock_t *l) { LAB_PTHREAD(pthread_rwlock_unlock(&l->rw)); }

void rwlock_destroy(rwlock_t *l) {
    LAB_PTHREAD(pthread_rwlock_destroy(&l->rw));
    free(l);
}
