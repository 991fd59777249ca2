/* Wrong: values are carved from shared pages and destroyed slots reused, but the free list and the
 * carving position are process-private statics, so after fork() parent and child hand the same
 * shared slot to two different values and each changes the other's, breaking shmvalue.h:
 * create() makes "A value set to `initial`" and "Everything here may be called from any process".
 * The grader: fork has a child make a value (100) after the fork, the parent make one (7), and
 * the child add 1000 to its own: the child must see 1100 and the parent 7; here they share a
 * slot, every run.
 */
#include "shmvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

enum { PAGE = 4096 };

struct shm_value {
    pthread_mutex_t m; /* process-shared and robust */
    long value;
    shm_value_t *next_free; /* on the free list: the next free slot */
};

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER; /* this process's threads */
static shm_value_t *free_slots; /* destroyed values' slots, reused first */
static char *page;              /* the shared page being carved */
static size_t page_used;

static shm_value_t *slot_take(void) {
    lab_mutex_lock(&slots_lock);
    shm_value_t *v = free_slots;
    if (v != NULL) {
        free_slots = v->next_free;
    } else {
        if (page == NULL || page_used + sizeof *v > PAGE) {
            /* MAP_SHARED, so that fork() shares the page instead of copying it */
            void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                perror("shm_value_create: mmap");
                abort();
            }
            page = p;
            page_used = 0;
        }
        v = (shm_value_t *)(page + page_used);
        page_used += sizeof *v;
    }
    lab_mutex_unlock(&slots_lock);
    return v;
}

shm_value_t *shm_value_create(long initial) {
    shm_value_t *v = slot_take();
    pthread_mutexattr_t a;
    LAB_PTHREAD(pthread_mutexattr_init(&a));
    LAB_PTHREAD(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    LAB_PTHREAD(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    lab_mutex_init(&v->m, &a);
    LAB_PTHREAD(pthread_mutexattr_destroy(&a));
    v->value = initial;
    v->next_free = NULL;
    return v;
}

/* Take the lock, also from a holder that died with it. */
static void value_lock(shm_value_t *v) {
    int rc = pthread_mutex_lock(&v->m);
    if (rc == EOWNERDEAD) {
        /* The value is whole: every change is one write of it, the last
         * step under the lock. Only the lock needs marking usable. */
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
    lab_mutex_destroy(&v->m);
    lab_mutex_lock(&slots_lock);
    v->next_free = free_slots; /* the slot is reused by the next create */
    free_slots = v;
    lab_mutex_unlock(&slots_lock);
}
