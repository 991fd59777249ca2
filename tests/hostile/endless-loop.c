/* A lab 01 submission whose increment never returns: a loop with no exit.
 * expect-score: 0
 * expect-reason: timed out: a deadlock, a lost wakeup or an endless loop
 */
#include "counter.h"

#include <stdlib.h>

struct counter {
    volatile long n;
};

counter_t *counter_create(void) { return calloc(1, sizeof(counter_t)); }
void counter_inc(counter_t *c) {
    while (c->n >= 0)
        c->n++;
}
long counter_get(counter_t *c) { return c->n; }
void counter_destroy(counter_t *c) { free(c); }
