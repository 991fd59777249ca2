/* Workload `spawn`: operations that do nothing, so a run costs only what the
 * regime itself costs: for processes, forking the workers, their exit and
 * the trip of each result through the pipe; for threads, the hand-over at
 * the gate. The difference is what the course means by processes paying
 * start-up and transfer costs that threads do not. */
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

typedef struct {
    long long done;
} spawn_state_t;

static void *spawn_setup(const wl_params_t *p) {
    (void)p;
    return calloc(1, sizeof(spawn_state_t));
}
static void spawn_teardown(void *s) { free(s); }
static long spawn_run(wl_worker_t *w, long first, long n) {
    (void)w, (void)first;
    return n;
}
static void spawn_result(wl_worker_t *w, void *out) { *(long *)out = w->p->ops; }
static void spawn_merge(void *s, int i, const void *res, const wl_params_t *p) {
    (void)i, (void)p;
    ((spawn_state_t *)s)->done += *(const long *)res;
}
static long spawn_verify(void *s, const wl_params_t *p, char *why, size_t len) {
    long long want = (long long)p->workers * p->ops, got = ((spawn_state_t *)s)->done;
    if (got == want)
        return 0;
    snprintf(why, len, "%lld results folded in, expected %lld", got, want);
    return -1;
}

static const workload_t spawn = {
    .name = "spawn",
    .about = "operations that do nothing: the regime's own start-up and transfer cost",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 1,
    .default_ops = 1,
    .result_size = sizeof(long),
    .setup = spawn_setup,
    .teardown = spawn_teardown,
    .run = spawn_run,
    .result = spawn_result,
    .merge = spawn_merge,
    .verify = spawn_verify,
};
WORKLOAD_REGISTER(spawn)
