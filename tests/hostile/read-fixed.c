/* A lab 01 submission that hunts for the reference solution and prints it:
 * relative paths, the usual checkouts, the sandbox's own folders. It counts
 * nothing, so every check fails and shows what it printed: proof that it
 * found nothing.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls fclose()
 * uninspected-score: 0
 * uninspected-reason: == [0-9]+ / got 0
 * uninspected-output: read-fixed: tried 
 * refuse-output: read-fixed: found
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const guesses[] = {
    "fixed.c", "../fixed.c", "../../fixed.c", "labs/01-race-counter/fixed.c",
    "../labs/01-race-counter/fixed.c", "../../labs/01-race-counter/fixed.c",
    "/work/main/labs/01-race-counter/fixed.c", "/tmp/ci/labs/01-race-counter/fixed.c",
    "/root/locklab/labs/01-race-counter/fixed.c", "/sandbox/fixed.c", "/sandbox/../fixed.c",
    "/proc/1/cwd/labs/01-race-counter/fixed.c", "/proc/self/cwd/../fixed.c",
};

counter_t *counter_create(void) {
    int n = (int)(sizeof guesses / sizeof guesses[0]);
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(guesses[i], "r");
        if (f == NULL)
            continue;
        char line[200];
        printf("read-fixed: found %s\n", guesses[i]);
        while (fgets(line, sizeof line, f) != NULL)
            fputs(line, stdout);
        fclose(f);
    }
    printf("read-fixed: tried %d paths\n", n);
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
