/* A lab 01 submission whose first call forks without end, and every child
 * forks too. The process limit stops the growth, the PID namespace takes
 * every copy down with the check.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls fork()
 * uninspected-score: 0
 * uninspected-reason: timed out|killed after [0-9]+ s without an answer|used up its CPU time
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
