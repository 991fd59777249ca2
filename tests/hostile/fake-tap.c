/* A lab 01 submission that counts nothing but prints what a passing run
 * looks like: TAP lines, the driver's "ok:" lines, guessed pass tokens and
 * a total, on stdout, stderr and every descriptor up to 20 (Bats reports
 * on descriptor 3).
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls write()
 * uninspected-score: 0
 * uninspected-reason: == [0-9]+ / got 0
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char fake[] = "ok 1 one thread counts exactly; two counters stay independent\n"
                           "ok 2 no increment lost: 4 threads x 1500 with the race window stretched\n"
                           "ok 3 ThreadSanitizer finds no data race in counter_inc or counter_get\n"
                           "ok: single: all good\npass-token: 0\n# reason: none\ntotal 20/20\n";

counter_t *counter_create(void) {
    for (int fd = 1; fd <= 20; fd++)
        if (write(fd, fake, strlen(fake)) < 0)
            continue;
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
