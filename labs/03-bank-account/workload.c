/* Lab 03, bank account, as a harness workload: every worker alternates
 * deposits of 2 and withdrawals of 1 on 64 accounts that all workers share,
 * and the regime picks the implementation:
 *   gil      broken.c under the global lock: a batch is never interrupted,
 *            so no read-pause-write overlaps another and nothing is lost
 *   object   fixed.c (a lock per account)
 *   unsafe   broken.c with no lock, and the money that goes missing
 *   process  broken.c, each process owning a private copy of the accounts
 *            (its shard of the bank), the parent summing what each changed
 * The build links each implementation with its functions renamed
 * (lab03_fixed__account_deposit, ...), so all of them live in one binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct account account_t;
#define ACCOUNT_API(impl)                                                      \
    account_t *impl##__account_create(long balance);                           \
    void impl##__account_deposit(account_t *a, long amount);                   \
    int impl##__account_withdraw(account_t *a, long amount);                   \
    long impl##__account_balance(account_t *a);                                \
    void impl##__account_destroy(account_t *a);
ACCOUNT_API(lab03_broken)
ACCOUNT_API(lab03_fixed)

typedef struct {
    account_t *(*create)(long balance);
    void (*deposit)(account_t *a, long amount);
    int (*withdraw)(account_t *a, long amount);
    long (*balance)(account_t *a);
    void (*destroy)(account_t *a);
} impl_t;

#define IMPL(x)                                                                \
    {x##__account_create, x##__account_deposit, x##__account_withdraw, x##__account_balance,     \
     x##__account_destroy}
static const impl_t broken = IMPL(lab03_broken), fixed = IMPL(lab03_fixed);

enum { ACCOUNTS = 64 };
#define START (1L << 40) /* no withdrawal is ever refused */

typedef struct {
    const impl_t *impl;
    account_t *a[ACCOUNTS];
    long long net;   /* what the operations should have added: summed in the parent */
    long long moved; /* process: what the children's private accounts gained */
} state_t;

typedef struct {
    uint64_t x;
    long long net;
} teller_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->impl = p->regime == REGIME_OBJECT ? &fixed : &broken;
    for (int i = 0; i < ACCOUNTS; i++)
        s->a[i] = s->impl->create(START);
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
    teller_t *t = calloc(1, sizeof *t);
    if (t != NULL)
        t->x = (0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1)) ^ p->seed;
    return t;
}

static void worker_fini(void *local) { free(local); }

static long run(wl_worker_t *w, long first, long n) {
    state_t *s = w->shared;
    teller_t *t = w->local;
    uint64_t x = t->x | 1;
    long long net = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        account_t *a = s->a[x % ACCOUNTS];
        if ((first + i) & 1)
            net -= s->impl->withdraw(a, 1);
        else {
            s->impl->deposit(a, 2);
            net += 2;
        }
    }
    t->x = x;
    t->net += net;
    return n;
}

static long long money(state_t *s) {
    long long m = 0;
    for (int i = 0; i < ACCOUNTS; i++)
        m += s->impl->balance(s->a[i]) - START;
    return m;
}

static void result(wl_worker_t *w, void *out) {
    teller_t *t = w->local;
    long long v[2] = {t->net, w->p->regime == REGIME_PROCESS ? money(w->shared) : 0};
    memcpy(out, v, sizeof v);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    long long v[2];
    memcpy(v, res, sizeof v);
    s->net += v[0];
    s->moved += v[1];
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    state_t *s = p;
    long long got = params->regime == REGIME_PROCESS ? s->moved : money(s);
    if (got == s->net)
        return 0;
    long long off = got > s->net ? got - s->net : s->net - got;
    snprintf(why, len, "the accounts gained %lld, the operations added %lld", got, s->net);
    return (long)off;
}

static const workload_t bank = {
    .name = "bank",
    .lab = "03-bank-account",
    .about = "lab 03: deposits and withdrawals on 64 shared accounts (the lab's own implementations)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS) |
               REGIME_BIT(REGIME_UNSAFE),
    .slice = 256,
    .default_ops = 1000000,
    .result_size = 2 * sizeof(long long),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(bank)
