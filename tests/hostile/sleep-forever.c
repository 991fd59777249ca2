/* A lab 01 submission that goes to sleep in its first increment and never
 * wakes: no CPU used, so only a wall-clock watchdog can see it.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls pause()
 * uninspected-score: 0
 * uninspected-reason: timed out: a deadlock, a lost wakeup or an endless loop
 */
#include "counter.h"

#include <stdlib.h>
#include <unistd.h>

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) {
    (void)c;
    for (;;)
        pause();
}
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
