/* A lab 01 submission that hunts for the pass token in its own memory with
 * nothing but pointer arithmetic, which no inspection of calls can see: it
 * walks up the main thread's stack from a local variable to the
 * environment strings at its top, and prints the LAB_PASS_TOKEN entry it
 * finds there. The driver overwrote that entry with x's before any
 * submitted code ran, and keeps its copy in a page no one may read while
 * a check runs; the submission also has no way to end with status 0
 * before the driver's verdict (exit() is not on the list). It counts
 * nothing.
 * expect-score: 0
 * expect-reason: == [0-9]+ / got 0|crashed with SIGSEGV
 * expect-output: stack-scan: found LAB_PASS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx (overwritten)
 * refuse-output: stack-scan: a real token
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>

static int looked;

static void scan(void) {
    static const char key[] = "LAB_PASS_TOKEN=";
    volatile char here = 0;
    const char *p = (const char *)&here;
    for (long i = 0; i < (8L << 20); i++, p++) {
        int k = 0;
        while (key[k] != '\0' && p[k] == key[k])
            k++;
        if (key[k] == '\0') {
            const char *v = p + k;
            int real = 0;
            for (int j = 0; v[j] != '\0'; j++)
                real |= v[j] != 'x';
            printf("stack-scan: found %s (%s)\n", p, real ? "a real token" : "overwritten");
            fflush(stdout);
            return;
        }
    }
}

counter_t *counter_create(void) {
    if (!looked) {
        looked = 1;
        scan();
    }
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
