/* A lab 01 submission that asks for 30 GB and writes to all of it, without
 * looking at what malloc returned. The address-space limit (and under
 * ThreadSanitizer its allocation limit) makes malloc return NULL, so it
 * crashes instead of taking the machine's memory.
 * expect-score: 0
 * expect-reason: crashed with SIGSEGV
 */
#include "counter.h"

#include <stdlib.h>
#include <string.h>

counter_t *counter_create(void) {
    size_t n = (size_t)30 << 30;
    char *p = malloc(n);
    memset(p, 1, n);
    return (counter_t *)p;
}
void counter_inc(counter_t *c) { ++*(long *)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
