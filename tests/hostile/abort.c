/* A lab 01 submission that gives up with abort() on its first increment.
 * expect-score: 0
 * expect-reason: crashed with SIGABRT
 */
#include "counter.h"

#include <stdlib.h>

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) {
    (void)c;
    abort();
}
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
