/* A lab 01 submission that looks for the pass token where the kernel keeps
 * the program's first environment, /proc/self/environ (unsetenv() does not
 * change it), prints what it finds, and ends with status 0 after printing
 * it as the driver would. The driver overwrites the token there before any
 * submitted code runs: without the inspection it finds only x's; with it,
 * it never runs (open and read are not on lab 01's list).
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: refused: calls
 * uninspected-score: 0
 * uninspected-reason: ended \(status 0\) before the check finished
 * uninspected-output: proc-environ: LAB_PASS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx
 */
#include "counter.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

counter_t *counter_create(void) {
    static char env[65536];
    int fd = open("/proc/self/environ", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, env, sizeof env - 1) : -1;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1) {
        if (strncmp(env + i, "LAB_PASS_TOKEN=", 15) == 0) {
            printf("proc-environ: %s\n", env + i);
            printf("pass-token: %s\n", env + i + 15);
            fflush(stdout);
            exit(0);
        }
    }
    printf("proc-environ: no token there\n");
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
