/* Lab 01, race counter: the classic mistake.
 *
 * counter_inc() is Python's `counter += 1` written out: read the value, add
 * one, write it back. Run by one thread it is perfect. Run by several, two
 * threads can read the same value, both add one, and both write the same
 * result: one increment is lost. lab_pause() marks the window between read
 * and write; the tests stretch it so the loss shows on every run. */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

struct counter {
    long value;
};

counter_t *counter_create(void) { return lab_calloc(1, sizeof(counter_t)); }

void counter_inc(counter_t *c) {
    long v = c->value; /* read */
    lab_pause();       /* simulated work: another thread may run here */
    c->value = v + 1;  /* write back what may already be stale */
}

long counter_get(counter_t *c) { return c->value; }

void counter_destroy(counter_t *c) { free(c); }
