/* Workload `cpu`: the course's CPU-bound task. Each operation sums the
 * squares of 1000 consecutive integers from the worker's own range, so no
 * state is shared while working; a worker's total crosses back at the end.
 * The final total must equal the closed form of the sum of squares, exactly
 * (modulo 2^64, as the workers' unsigned sums are). */
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

enum { SPAN = 1000 };

typedef struct {
    uint64_t total;
} cpu_state_t;

typedef struct {
    _Alignas(64) uint64_t sum; /* a line of its own: no false sharing between workers */
} cpu_local_t;

static void *cpu_setup(const wl_params_t *p) {
    (void)p;
    return calloc(1, sizeof(cpu_state_t));
}
static void cpu_teardown(void *s) { free(s); }
static void *cpu_worker_init(void *s, int i, const wl_params_t *p) {
    (void)s, (void)i, (void)p;
    return aligned_alloc(64, sizeof(cpu_local_t));
}
static void cpu_worker_fini(void *l) { free(l); }

static long cpu_run(wl_worker_t *w, long first, long n) {
    cpu_local_t *l = w->local;
    if (first == 0)
        l->sum = 0;
    uint64_t sum = l->sum;
    for (long op = first; op < first + n; op++) {
        uint64_t base = ((uint64_t)w->index * (uint64_t)w->p->ops + (uint64_t)op) * SPAN;
        for (uint64_t x = base; x < base + SPAN; x++) {
            /* hide x from the optimiser, which would otherwise replace the
             * loop by its closed form and time nothing */
            uint64_t y = x;
            __asm__("" : "+r"(y));
            sum += y * y;
        }
    }
    l->sum = sum;
    return n;
}

static void cpu_result(wl_worker_t *w, void *out) { *(uint64_t *)out = ((cpu_local_t *)w->local)->sum; }
static void cpu_merge(void *s, int i, const void *res, const wl_params_t *p) {
    (void)i, (void)p;
    ((cpu_state_t *)s)->total += *(const uint64_t *)res;
}

static long cpu_verify(void *s, const wl_params_t *p, char *why, size_t len) {
    unsigned __int128 n = (unsigned __int128)p->workers * (unsigned __int128)p->ops * SPAN;
    /* sum of x^2 for x < n is (n-1) n (2n-1) / 6 */
    uint64_t want = n == 0 ? 0 : (uint64_t)((n - 1) * n * (2 * n - 1) / 6);
    uint64_t got = ((cpu_state_t *)s)->total;
    if (got == want)
        return 0;
    snprintf(why, len, "sum of squares %llu, expected %llu", (unsigned long long)got,
             (unsigned long long)want);
    return -1;
}

static const workload_t cpu = {
    .name = "cpu",
    .about = "sum of squares over a private range: CPU-bound, nothing shared",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 1,
    .default_ops = 150000,
    .result_size = sizeof(uint64_t),
    .setup = cpu_setup,
    .teardown = cpu_teardown,
    .worker_init = cpu_worker_init,
    .worker_fini = cpu_worker_fini,
    .run = cpu_run,
    .result = cpu_result,
    .merge = cpu_merge,
    .verify = cpu_verify,
};
WORKLOAD_REGISTER(cpu)
