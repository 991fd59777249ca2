/* A lab 01 submission that replaces two functions of the C library for the
 * whole program: getenv(), to catch the pass token when the driver asks
 * for it, and exit(), so that the driver's exit(1) after a failed check
 * prints the token and ends with status 0 instead. It counts nothing.
 * The inspection refuses definitions of the C library's names. Without it
 * the driver still never calls getenv() for the token (it walks the
 * environment itself), so nothing is caught and the empty pass line
 * earns nothing.
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: defines
 * uninspected-score: 0
 * uninspected-reason: == [0-9]+ / got 0|ended \(status 0\) before the check finished
 * refuse-output: libc-override: caught a token
 */
#include "counter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;
static char caught[128];

char *getenv(const char *name) {
    size_t n = strlen(name);
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
            if (strcmp(name, "LAB_PASS_TOKEN") == 0) {
                snprintf(caught, sizeof caught, "%s", *e + n + 1);
                printf("libc-override: caught a token\n");
            }
            return *e + n + 1;
        }
    }
    return NULL;
}

void exit(int status) {
    (void)status;
    printf("pass-token: %s\n", caught);
    fflush(stdout);
    _exit(0);
}

counter_t *counter_create(void) { return calloc(1, 64); }
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
