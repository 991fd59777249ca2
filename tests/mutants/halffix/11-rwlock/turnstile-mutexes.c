/* Wrong because: the "writer-priority readers-writers" solution of The
 * Little Book of Semaphores, with its binary semaphores written as
 * pthread mutexes. The first reader in locks no_writers and the last
 * reader out (usually another thread) unlocks it; the first writer locks
 * no_readers and the last writer (maybe another thread) unlocks it. A
 * default pthread mutex unlocked by a thread that does not own it is
 * undefined behaviour (POSIX; glibc happens to let it pass), so the lock
 * breaks the rule the lab builds on (a mutex, owned by the thread that
 * locked it), and it orders nothing for the memory model: ThreadSanitizer
 * reports "unlock of an unlocked mutex (or by a wrong thread)". It is
 * otherwise a correct writer-preferring lock.
 * The grader shows it: the ThreadSanitizer check reports the mutexes
 * handed from thread to thread (a lock-order inversion between them) every
 * run (20/24). */
#include "rwlock.h"

#include <stdlib.h>

#include "lab.h"

struct rwlock {
    pthread_mutex_t read_switch;  /* guards readers */
    pthread_mutex_t write_switch; /* guards writers */
    pthread_mutex_t no_readers;   /* held while a writer waits or writes */
    pthread_mutex_t no_writers;   /* held while readers read or a writer writes */
    int readers, writers;
};

rwlock_t *rwlock_create(void) {
    rwlock_t *l = lab_calloc(1, sizeof *l);
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
#ifdef CHECK_OWNER
    LAB_PTHREAD(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
#endif
    lab_mutex_init(&l->read_switch, &a);
    lab_mutex_init(&l->write_switch, &a);
    lab_mutex_init(&l->no_readers, &a);
    lab_mutex_init(&l->no_writers, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    return l;
}

void rwlock_rdlock(rwlock_t *l) {
    lab_mutex_lock(&l->no_readers); /* the turnstile: shut while a writer waits */
    lab_mutex_lock(&l->read_switch);
    if (++l->readers == 1) /* the first reader in locks writers out */
        lab_mutex_lock(&l->no_writers);
    lab_mutex_unlock(&l->read_switch);
    lab_pause();
    lab_mutex_unlock(&l->no_readers);
}

void rwlock_rdunlock(rwlock_t *l) {
    lab_mutex_lock(&l->read_switch);
    if (--l->readers == 0) /* the last reader out lets writers in */
        lab_mutex_unlock(&l->no_writers);
    lab_mutex_unlock(&l->read_switch);
}

void rwlock_wrlock(rwlock_t *l) {
    lab_mutex_lock(&l->write_switch);
    if (++l->writers == 1) /* the first writer shuts the readers' turnstile */
        lab_mutex_lock(&l->no_readers);
    lab_mutex_unlock(&l->write_switch);
    lab_pause();
    lab_mutex_lock(&l->no_writers);
}

void rwlock_wrunlock(rwlock_t *l) {
    lab_mutex_unlock(&l->no_writers);
    lab_mutex_lock(&l->write_switch);
    if (--l->writers == 0) /* the last writer opens it again */
        lab_mutex_unlock(&l->no_readers);
    lab_mutex_unlock(&l->write_switch);
}

void rwlock_destroy(rwlock_t *l) {
    lab_mutex_destroy(&l->no_writers);
    lab_mutex_destroy(&l->no_readers);
    lab_mutex_destroy(&l->write_switch);
    lab_mutex_destroy(&l->read_switch);
    free(l);
}
