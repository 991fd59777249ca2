/* Lab 04, deadlock, as a harness workload: every worker moves money between
 * random pairs of 64 shared accounts, in both directions, and the regime
 * picks the implementation:
 *   gil      broken.c under the global lock. It cannot deadlock there: the
 *            GIL changes hands only between batches, when a worker holds
 *            none of the accounts' locks, so no transfer ever waits while
 *            holding one. (CPython's GIL does not save Python code this way:
 *            a thread can be switched out between its two acquire() calls.)
 *   object   fixed.c (locks taken in account order)
 *   process  broken.c, each process with a private copy of the bank
 * The build links each implementation with its functions renamed
 * (lab04_fixed__account_transfer, ...), so all of them live in one binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct account account_t;
#define BANK_API(impl)                                                         \
    account_t *impl##__account_create(int id, long balance);                   \
    void impl##__account_transfer(account_t *from, account_t *to, long amount); \
    long impl##__account_balance(account_t *a);                                \
    void impl##__account_destroy(account_t *a);
BANK_API(lab04_broken)
BANK_API(lab04_fixed)

typedef struct {
    account_t *(*create)(int id, long balance);
    void (*transfer)(account_t *from, account_t *to, long amount);
    long (*balance)(account_t *a);
    void (*destroy)(account_t *a);
} impl_t;

#define IMPL(x) {x##__account_create, x##__account_transfer, x##__account_balance, x##__account_destroy}
static const impl_t broken = IMPL(lab04_broken), fixed = IMPL(lab04_fixed);

enum { ACCOUNTS = 64 };
#define START 1000000L

typedef struct {
    const impl_t *impl;
    account_t *a[ACCOUNTS];
    long long total; /* process: the children's banks' totals, summed */
    int children;
} state_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->impl = p->regime == REGIME_OBJECT ? &fixed : &broken;
    for (int i = 0; i < ACCOUNTS; i++)
        s->a[i] = s->impl->create(i, START);
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    for (int i = 0; i < ACCOUNTS; i++)
        s->impl->destroy(s->a[i]);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared;
    uint64_t *x = malloc(sizeof *x);
    if (x != NULL)
        *x = ((0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1)) ^ p->seed) | 1;
    return x;
}

static void worker_fini(void *local) { free(local); }

static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    uint64_t x = *(uint64_t *)w->local;
    void (*transfer)(account_t *, account_t *, long) = s->impl->transfer;
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int from = (int)(x % ACCOUNTS), to = (int)((x >> 20) % (ACCOUNTS - 1));
        to += to >= from;
        transfer(s->a[from], s->a[to], 1);
    }
    *(uint64_t *)w->local = x;
    return n;
}

static long long bank_total(state_t *s) {
    long long t = 0;
    for (int i = 0; i < ACCOUNTS; i++)
        t += s->impl->balance(s->a[i]);
    return t;
}

static void result(wl_worker_t *w, void *out) {
    long long t = w->p->regime == REGIME_PROCESS ? bank_total(w->shared) : 0;
    memcpy(out, &t, sizeof t);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    long long t;
    memcpy(&t, res, sizeof t);
    s->total += t;
    s->children++;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    int banks = params->regime == REGIME_PROCESS ? s->children : 1;
    long long got = params->regime == REGIME_PROCESS ? s->total : bank_total(s);
    long long want = (long long)banks * ACCOUNTS * START;
    if (got == want)
        return 0;
    snprintf(why, len, "the bank holds %lld, it started with %lld", got, want);
    return -1;
}

static const workload_t transfer = {
    .name = "transfer",
    .lab = "04-deadlock",
    .about = "lab 04: transfers between random pairs of 64 shared accounts (the lab's own implementations)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 256,
    .default_ops = 500000,
    .result_size = sizeof(long long),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(transfer)
