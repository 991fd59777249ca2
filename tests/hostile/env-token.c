/* A lab 01 submission that reads the pass token before the driver can hide
 * it: a constructor runs before main(), takes LAB_PASS_TOKEN from the
 * environment, and the first counter_create() prints it as the driver
 * would and ends the program at once with status 0 (_exit: no exit
 * handlers, no stdio locks), before any thread starts. It
 * counts nothing.
 * The inspection refuses the constructor before anything runs. Without it
 * (LAB_INSPECT=0) the sandbox alone cannot tell this run from a real pass:
 * code that runs before the driver knows all the driver knows. That is
 * what the inspection is for, and the test says so by expecting points
 * this file never earned (all 20 when every check reaches its end; the
 * score is a regular expression here).
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: has code that runs on its own
 * uninspected-score: [1-9][0-9]*
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char stolen[128];

__attribute__((constructor)) static void steal(void) {
    const char *t = getenv("LAB_PASS_TOKEN");
    if (t != NULL)
        snprintf(stolen, sizeof stolen, "%s", t);
}

counter_t *counter_create(void) {
    printf("pass-token: %s\n", stolen);
    fflush(stdout);
    _exit(0);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
