/* A lab 01 submission that tries to leave marks outside its sandbox: it
 * writes a full-marks report wherever one might be read, and changes the
 * lab's files. Its counter is right, so it earns full marks, and the test
 * checks that nothing outside the sandbox changed.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: calls fopen()
 * uninspected-score: 20
 */
#include "counter.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const targets[] = {
    "report.txt", "../report.txt", "../../report.txt", "../results.tsv", "/sandbox/x",
    "/work/main/labs/01-race-counter/fixed.c", "/work/main/labs/01-race-counter/grade.bats",
    "/tmp/ci/labs/01-race-counter/grade.bats", "/proc/1/cwd/report.txt", "/usr/hostile",
    "/etc/hostile", "/root/hostile",
};

struct counter {
    atomic_long n;
};

counter_t *counter_create(void) {
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        FILE *f = fopen(targets[i], "w");
        if (f != NULL) {
            fputs("total 20/20\n", f);
            fclose(f);
        }
    }
    counter_t *c = calloc(1, sizeof(counter_t));
    if (c == NULL)
        abort(); /* counter.h: never NULL */
    return c;
}
void counter_inc(counter_t *c) { atomic_fetch_add(&c->n, 1); }
long counter_get(counter_t *c) { return atomic_load(&c->n); }
void counter_destroy(counter_t *c) { free(c); }
