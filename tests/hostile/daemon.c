/* A lab 01 submission that leaves a daemon behind: a child in a session of
 * its own, detached from the check, that would live on and keep working.
 * The counter itself is right, so the daemon costs no points; the test
 * checks that it is gone when grading ends.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls _exit()
 * uninspected-score: 20
 */
#include "counter.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct counter {
    atomic_long n;
};

counter_t *counter_create(void) {
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0)
            for (;;)
                sleep(1);
        _exit(0);
    }
    counter_t *c = calloc(1, sizeof(counter_t));
    if (c == NULL)
        abort(); /* counter.h: never NULL */
    return c;
}
void counter_inc(counter_t *c) { atomic_fetch_add(&c->n, 1); }
long counter_get(counter_t *c) { return atomic_load(&c->n); }
void counter_destroy(counter_t *c) { free(c); }
