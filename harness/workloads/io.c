/* Workload `io`: a real blocking wait per operation. Each worker waits on
 * its own pipe, which nobody writes, with a 1 ms timeout: a stand-in for a
 * network request. Under the GIL the lock is released around the wait, as
 * CPython releases it around blocking system calls, so waits overlap. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "workload.h"

typedef struct {
    long long done;
} io_state_t;

typedef struct {
    int fds[2];
    long done;
} io_local_t;

static void *io_setup(const wl_params_t *p) {
    (void)p;
    return calloc(1, sizeof(io_state_t));
}
static void io_teardown(void *s) { free(s); }

static void *io_worker_init(void *s, int i, const wl_params_t *p) {
    (void)s, (void)i, (void)p;
    io_local_t *l = calloc(1, sizeof *l);
    if (l != NULL && pipe(l->fds) != 0) {
        perror("io: pipe");
        exit(1);
    }
    return l;
}
static void io_worker_fini(void *p) {
    io_local_t *l = p;
    close(l->fds[0]);
    close(l->fds[1]);
    free(l);
}

static long io_run(wl_worker_t *w, long first, long n) {
    io_local_t *l = w->local;
    (void)first;
    for (long i = 0; i < n; i++) {
        struct pollfd pfd = {.fd = l->fds[0], .events = POLLIN};
        w->block_begin(w);
        int rc = poll(&pfd, 1, 1);
        w->block_end(w);
        if (rc == 0)
            l->done++; /* the wait ran its full course, as a request would */
    }
    return n;
}

static void io_result(wl_worker_t *w, void *out) { *(long *)out = ((io_local_t *)w->local)->done; }
static void io_merge(void *s, int i, const void *res, const wl_params_t *p) {
    (void)i, (void)p;
    ((io_state_t *)s)->done += *(const long *)res;
}

static long io_verify(void *s, const wl_params_t *p, char *why, size_t len) {
    long long want = (long long)p->workers * p->ops, got = ((io_state_t *)s)->done;
    if (got == want)
        return 0;
    snprintf(why, len, "%lld waits timed out as they should, expected %lld", got, want);
    return -1;
}

static const workload_t io = {
    .name = "io",
    .about = "a 1 ms blocking poll() per operation: I/O-bound",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .blocking = 1,
    .slice = 1,
    .default_ops = 20,
    .result_size = sizeof(long),
    .setup = io_setup,
    .teardown = io_teardown,
    .worker_init = io_worker_init,
    .worker_fini = io_worker_fini,
    .run = io_run,
    .result = io_result,
    .merge = io_merge,
    .verify = io_verify,
};
WORKLOAD_REGISTER(io)
