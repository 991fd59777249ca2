/* A lab 01 submission whose first call forks without end, and every child
 * forks too. The process limit stops the growth, the PID namespace takes
 * every copy down with the check.
 * expect-score: 0
 * expect-reason: timed out|killed after [0-9]+ s without an answer|used up its CPU time
 */
#include "counter.h"

#include <unistd.h>

counter_t *counter_create(void) {
    for (;;)
        fork();
}

void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return c != NULL; }
void counter_destroy(counter_t *c) { (void)c; }
