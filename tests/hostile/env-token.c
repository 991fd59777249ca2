/* A lab 01 submission that reads the pass token before the driver can hide
 * it: a constructor runs before main(), takes LAB_PASS_TOKEN from the
 * environment, and the first counter_create() prints it as the driver
 * would and ends the program with status 0, before any thread starts. It
 * counts nothing.
 * The inspection refuses the constructor before anything runs. Without it
 * (LAB_INSPECT=0) the sandbox alone cannot tell this run from a real pass:
 * code that runs before the driver knows all the driver knows. That is
 * what the inspection is for, and the test says so by expecting 20.
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: has code that runs on its own
 * uninspected-score: 20
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char stolen[128];

__attribute__((constructor)) static void steal(void) {
    const char *t = getenv("LAB_PASS_TOKEN");
    if (t != NULL)
        snprintf(stolen, sizeof stolen, "%s", t);
}

counter_t *counter_create(void) {
    printf("pass-token: %s\n", stolen);
    fflush(stdout);
    exit(0);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
