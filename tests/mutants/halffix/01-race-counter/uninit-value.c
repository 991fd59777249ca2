/* Wrong because counter.h promises "A new counter at zero", but
 * counter_create() takes its memory from malloc() and only initialises the
 * mutex: the value is whatever the allocator left there. A fresh heap is
 * zeroed by the kernel, so a new process's first counters happen to start
 * at 0; a counter made where a destroyed one lived starts at the old
 * count.
 * Create a counter, add 5, destroy it, create another: the new one reads
 * 5. The grader shows it: its builds run with glibc's M_PERTURB (lab_main),
 * so fresh memory is never zero, and single reads a new counter's value
 * first, every run. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    pthread_mutex_t lock;
    long value;
};

counter_t *counter_create(void) {
    counter_t *c = malloc(sizeof *c);
    if (c == NULL)
        abort();
    lab_mutex_init(&c->lock, NULL);
    return c;
}

void counter_inc(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_pause();
    c->value = v + 1;
    lab_mutex_unlock(&c->lock);
}

long counter_get(counter_t *c) {
    lab_mutex_lock(&c->lock);
    long v = c->value;
    lab_mutex_unlock(&c->lock);
    return v;
}

void counter_destroy(counter_t *c) {
    lab_mutex_destroy(&c->lock);
    free(c);
}
