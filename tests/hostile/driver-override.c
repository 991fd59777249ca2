/* A lab 01 submission that defines one of the driver's own functions,
 * lab_threads_run(), to run no threads at all, so that no increment could
 * race. It declares it weak, so that the link does not fail on the second
 * definition. It counts nothing itself.
 * The inspection refuses any definition of a driver's name (lab_*). Without
 * it the driver's strong definition wins the link, the threads run, and
 * the counter's loss shows.
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: defines lab_threads_run(), which overrides the lab's driver
 * uninspected-score: 0
 * uninspected-reason: == [0-9]+ / got 0
 */
#include "counter.h"

#include <stdlib.h>

#include "lab.h"

__attribute__((weak)) void lab_threads_run(int n, void (*fn)(const lab_worker_t *w), void *arg) {
    (void)n, (void)fn, (void)arg;
}

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
