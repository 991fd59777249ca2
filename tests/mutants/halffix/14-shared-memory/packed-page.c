/* Values packed into shared pages, 85 to a page; destroy() cannot unmap
 * a page other values may still use, so it only destroys the mutex, and
 * the page is never reused either.
 * Wrong because shmvalue.h says destroy "Unmap(s) the value": a program
 * that makes and destroys values as it goes grows by a page per 85 values,
 * without bound. Demonstration: the single check makes and destroys 100
 * values together, then 4000 one after the other, and counts the bytes
 * mapped shared in /proc/self/maps: 48 pages more, over the 16 allowed
 * (200 values stayed under it: 3 pages). */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust */
    long value;
};

/* Values are packed into shared pages, 85 to a page, instead of a 4 KiB
 * mapping for every 48-byte value. */
enum { PAGE = 4096, PER_PAGE = PAGE / sizeof(shm_value_t) };
static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;
static shm_value_t *slab; /* the page being filled */
static size_t slab_used;

shm_value_t *shm_value_create(long initial) {
    lab_mutex_lock(&slab_lock);
    if (slab == NULL || slab_used == PER_PAGE) {
        /* MAP_SHARED, so that fork() shares the page instead of copying it */
        shm_value_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("shm_value_create: mmap");
            abort();
        }
        slab = p;
        slab_used = 0;
    }
    shm_value_t *v = &slab[slab_used++];
    lab_mutex_unlock(&slab_lock);
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
    LAB_PTHREAD(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    LAB_PTHREAD(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    lab_mutex_init(&v->m, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    v->value = initial;
    return v;
}

/* Take the lock, also from a holder that died with it. */
static void value_lock(shm_value_t *v) {
    int rc = pthread_mutex_lock(&v->m);
    if (rc == EOWNERDEAD) {
        /* The value is whole (see the top of the file): nothing to repair,
         * only the lock to mark usable again. Without this, the unlock
         * below would leave it unusable for good (ENOTRECOVERABLE). */
        LAB_PTHREAD(pthread_mutex_consistent(&v->m));
    } else if (rc != 0) {
        lab_pthread_die(rc, "pthread_mutex_lock(&v->m)", __FILE__, __LINE__);
    }
}

void shm_value_add(shm_value_t *v, long delta) {
    value_lock(v);
    long old = v->value;
    lab_pause(); /* the same window: the others wait for the lock */
    v->value = old + delta;
    lab_mutex_unlock(&v->m);
}

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    value_lock(v);
    long old = v->value;
    lab_pause();
    long now = fn(old, arg);
    v->value = now; /* the one write: a death before it changes nothing */
    lab_mutex_unlock(&v->m);
    return now;
}

long shm_value_get(shm_value_t *v) {
    value_lock(v);
    long now = v->value;
    lab_mutex_unlock(&v->m);
    return now;
}

void shm_value_destroy(shm_value_t *v) {
    /* The page may still hold other values: it stays mapped. */
    lab_mutex_destroy(&v->m);
}
