/* Lab 14, shared memory: the classic mistake, a counter in shared memory
 * with no lock.
 *
 * The memory is shared, which is half of multiprocessing.Value: every
 * process forked after create sees the same number. The other half is
 * missing. An add is a read, an addition and a write; two processes that
 * read the same old value both write old + 1, and one of the adds is lost.
 * lab_pause() marks the window between the read and the write. Threads on
 * the same value lose adds in the same way, and ThreadSanitizer says so. */
#include "shmvalue.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lab.h"

struct shm_value {
    long value;
};

shm_value_t *shm_value_create(long initial) {
    /* MAP_SHARED, so that fork() shares the page instead of copying it */
    shm_value_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) {
        perror("shm_value_create: mmap");
        abort();
    }
    v->value = initial;
    return v;
}

void shm_value_add(shm_value_t *v, long delta) {
    long old = v->value;
    lab_pause(); /* another process may read the same `old` right now */
    v->value = old + delta;
}

long shm_value_update(shm_value_t *v, shm_value_fn_t *fn, void *arg) {
    long old = v->value;
    lab_pause();
    long now = fn(old, arg);
    v->value = now;
    return now;
}

long shm_value_get(shm_value_t *v) { return v->value; }

void shm_value_destroy(shm_value_t *v) {
    if (munmap(v, sizeof *v) != 0) {
        perror("shm_value_destroy: munmap");
        abort();
    }
}
