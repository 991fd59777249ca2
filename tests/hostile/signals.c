/* A lab 01 submission that signals everything it can reach on its first
 * call: its parent, its process group and every process (-1), with
 * SIGKILL, hoping to take the grader down with it or to end the check in
 * a way the grader mistakes for a pass. It counts nothing.
 * The inspection refuses kill() in lab 01. Without it the sandbox keeps
 * the signals inside: a PID namespace (bubblewrap) or a uid of its own
 * (the seccomp level), so only the check's own processes die, and the
 * grader goes on to the next check and the next student.
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: calls kill()
 * uninspected-score: 0
 * uninspected-reason: crashed with SIG|killed after [0-9]+ s|exited with status|== [0-9]+ / got 0
 */
#include "counter.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

counter_t *counter_create(void) {
    kill(getppid(), SIGKILL);
    kill(0, SIGKILL);
    kill(-1, SIGKILL);
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
