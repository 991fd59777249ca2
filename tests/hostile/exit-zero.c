/* A lab 01 submission that ends the whole program with status 0 inside an
 * API call, hoping an exit status of 0 reads as a pass.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls exit()
 * uninspected-score: 0
 * uninspected-reason: ended \(status 0\) before the check finished
 */
#include "counter.h"

#include <stdlib.h>

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) {
    (void)c;
    exit(0);
}
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
