/* locklab-forkfloor: what starting a process costs on this machine before
 * the harness adds anything. harness/suite runs it in every `make bench`
 * and keeps its lines in the run folder (spawn-floor.txt); harness/claims
 * sets the `spawn` rows' per-worker cost beside them.
 *
 * usage: locklab-forkfloor [N [WAY]]   (N starts per way, default 200; WAY
 *        fork, vfork or spawn for that one alone, e.g. under `perf stat`)
 *
 * Three ways of starting a child that does nothing, each timed from the call
 * to the parent's waitpid() returning, N times, in turn (fork, vfork, spawn,
 * fork, ...) so that drift hits all three alike:
 *   fork   fork(); the child writes one byte into a pipe and _exit()s; the
 *          parent reads the byte and waits: the process regime's shape with
 *          no work, no pinning and no result
 *   vfork  vfork() and _exit(): no page tables copied (the child may only
 *          exec or exit)
 *   spawn  posix_spawn() of /bin/true: a new program, exec included
 * Prints `starts: N`, then one line per way: its name, then p10, p50 and p90
 * in microseconds.
 * Exit 2 with one line on bad input, 1 if a start fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { WAYS = 3 };
static const char *const way_name[WAYS] = {"fork", "vfork", "spawn"};

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what) {
    fprintf(stderr, "locklab-forkfloor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void reap(pid_t pid) {
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            fail("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = ECHILD;
        fail("a child did not exit 0");
    }
}

/* One start of the given way, in microseconds. */
static double start_once(int way) {
    int fds[2] = {-1, -1};
    if (way == 0 && pipe(fds) != 0)
        fail("pipe");
    double t0 = now_us();
    pid_t pid;
    if (way == 0) {
        pid = fork();
        if (pid == 0) {
            char c = 1;
            _exit(write(fds[1], &c, 1) == 1 ? 0 : 1);
        }
        if (pid < 0)
            fail("fork");
        close(fds[1]);
        char c;
        if (read(fds[0], &c, 1) != 1)
            fail("read from the child's pipe");
        close(fds[0]);
    } else if (way == 1) {
        pid = vfork();
        if (pid == 0)
            _exit(0);
        if (pid < 0)
            fail("vfork");
    } else {
        char *argv[] = {"/bin/true", NULL};
        int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
        if (rc != 0) {
            errno = rc;
            fail("posix_spawn /bin/true");
        }
    }
    reap(pid);
    return now_us() - t0;
}

int main(int argc, char **argv) {
    long n = 200;
    char *end = NULL;
    int only = -1;
    if (argc >= 2)
        n = strtol(argv[1], &end, 10);
    if (argc == 3)
        for (int w = 0; w < WAYS; w++)
            if (strcmp(argv[2], way_name[w]) == 0)
                only = w;
    if (argc > 3 || (argc == 3 && only < 0) || (end != NULL && (end == argv[1] || *end != '\0')) || n < 10 ||
        n > 100000) {
        fprintf(stderr, "locklab-forkfloor: usage: locklab-forkfloor [N [fork|vfork|spawn]], N starts per way "
                        "from 10 to 100000\n");
        return 2;
    }
    double *t[WAYS];
    for (int w = 0; w < WAYS; w++)
        if ((t[w] = calloc((size_t)n, sizeof(double))) == NULL)
            fail("calloc");
    for (long i = 0; i < n; i++)
        for (int w = 0; w < WAYS; w++)
            if (only < 0 || w == only)
                t[w][i] = start_once(w);
    printf("starts: %ld\n", n);
    for (int w = 0; w < WAYS; w++) {
        if (only >= 0 && w != only)
            continue;
        qsort(t[w], (size_t)n, sizeof(double), by_value);
        printf("%s %.0f %.0f %.0f\n", way_name[w], t[w][n / 10], t[w][n / 2], t[w][n * 9 / 10]);
    }
    for (int w = 0; w < WAYS; w++)
        free(t[w]);
    return 0;
}
