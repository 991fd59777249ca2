/* Wrong: counter_create() uses plain calloc() and returns NULL when it
 * fails ("let the caller decide"), where counter.h promises "Never returns
 * NULL (aborts when out of memory)": callers written to the header never
 * check, and crash on their first counter_inc() far from the cause. The
 * single check forks a copy of the driver that caps its address space at
 * what it uses, takes every block malloc() still has and calls
 * counter_create() until one does not return: the copy must die of SIGABRT;
 * here it gets NULL, every run. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    pthread_mutex_t lock;
    long value;
};

counter_t *counter_create(void) {
    counter_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL; /* out of memory: let the caller handle it */
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
