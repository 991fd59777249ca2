/* Lab 11, reader-writer lock, as a harness workload: read-mostly lookups.
 * Every worker reads one shared table of 4096 numbers (a read sums it all:
 * a 16 KiB scan, the size of the bench's reads) and, once in a hundred
 * operations, moves one unit from one entry to another (a write). The sum
 * never changes, so a read that meets a write half done sees it. The
 * regime picks the implementation:
 *   gil      broken.c under the global lock. The GIL changes hands only
 *            between batches, never inside a read, so no two readers are
 *            ever inside together: the reader preference that starves
 *            writers cannot bite, and N workers do no more lookups a
 *            second than one
 *   object   fixed.c, threads in parallel: reads may overlap on every CPU,
 *            and each write sends the readers that arrive meanwhile to sleep
 *   process  broken.c, each process with its own private copy of the
 *            table: reads run in parallel and nobody waits, but every
 *            write stays in the process that made it
 * The build links each implementation with its functions renamed
 * (lab11_fixed__rwlock_rdlock, ...), so all of them live in one binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

typedef struct rwlock rwlock_t;
#define RWLOCK_API(impl)                                                       \
    rwlock_t *impl##__rwlock_create(void);                                     \
    void impl##__rwlock_rdlock(rwlock_t *l);                                   \
    void impl##__rwlock_rdunlock(rwlock_t *l);                                 \
    void impl##__rwlock_wrlock(rwlock_t *l);                                   \
    void impl##__rwlock_wrunlock(rwlock_t *l);                                 \
    void impl##__rwlock_destroy(rwlock_t *l);
RWLOCK_API(lab11_broken)
RWLOCK_API(lab11_fixed)

typedef struct {
    rwlock_t *(*create)(void);
    void (*rdlock)(rwlock_t *l);
    void (*rdunlock)(rwlock_t *l);
    void (*wrlock)(rwlock_t *l);
    void (*wrunlock)(rwlock_t *l);
    void (*destroy)(rwlock_t *l);
} impl_t;

#define IMPL(x)                                                                \
    {x##__rwlock_create, x##__rwlock_rdlock, x##__rwlock_rdunlock, x##__rwlock_wrlock,           \
     x##__rwlock_wrunlock, x##__rwlock_destroy}
static const impl_t broken = IMPL(lab11_broken), fixed = IMPL(lab11_fixed);

enum { TABLE = 4096, PER_ENTRY = 100, WRITE_EVERY = 100 };
#define TOTAL ((long long)TABLE * PER_ENTRY)

typedef struct {
    const impl_t *impl;
    rwlock_t *l;
    int table[TABLE];
    long long writes; /* moves made, counted under the write lock */
    long long sum_writes, sum_torn; /* what the workers said: summed in the parent */
} state_t;

typedef struct {
    uint64_t x;
    long long writes, torn;
} reader_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->impl = p->regime == REGIME_OBJECT ? &fixed : &broken;
    s->l = s->impl->create();
    for (int i = 0; i < TABLE; i++)
        s->table[i] = PER_ENTRY;
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    s->impl->destroy(s->l);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared;
    reader_t *r = calloc(1, sizeof *r);
    if (r != NULL)
        r->x = (0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1)) ^ p->seed;
    return r;
}

static void worker_fini(void *local) { free(local); }

static long run(wl_worker_t *w, long first, long n) {
    (void)first;
    state_t *s = w->shared;
    reader_t *r = w->local;
    const impl_t *im = s->impl;
    uint64_t x = r->x | 1;
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % WRITE_EVERY == 0) {
            int from = (int)((x >> 8) % TABLE), to = (int)((x >> 24) % TABLE);
            im->wrlock(s->l);
            s->table[from]--;
            s->table[to]++;
            s->writes++;
            im->wrunlock(s->l);
            r->writes++;
        } else {
            long long sum = 0;
            im->rdlock(s->l);
            for (int k = 0; k < TABLE; k++)
                sum += s->table[k];
            im->rdunlock(s->l);
            r->torn += sum != TOTAL;
        }
    }
    r->x = x;
    return n;
}

/* A worker's writes and torn reads; in a process, also the moves its
 * private table counted (which must be its own writes, nobody else's). */
static void result(wl_worker_t *w, void *out) {
    reader_t *r = w->local;
    state_t *s = w->shared;
    long long v[3] = {r->writes, r->torn, w->p->regime == REGIME_PROCESS ? s->writes : 0};
    memcpy(out, v, sizeof v);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i;
    state_t *s = p;
    long long v[3];
    memcpy(v, res, sizeof v);
    s->sum_writes += v[0];
    s->sum_torn += v[1];
    if (params->regime == REGIME_PROCESS)
        s->writes += v[2]; /* the parent's copy saw none of them */
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    (void)params;
    state_t *s = p;
    if (s->sum_torn != 0) {
        snprintf(why, len, "%lld reads saw a write half done", s->sum_torn);
        return -1;
    }
    if (s->writes != s->sum_writes) {
        snprintf(why, len, "%lld writes made, the table counted %lld", s->sum_writes, s->writes);
        return s->writes < s->sum_writes ? (long)(s->sum_writes - s->writes) : -1;
    }
    return 0;
}

static const workload_t lookups = {
    .name = "lookups",
    .lab = "11-rwlock",
    .about = "lab 11: read-mostly lookups in one shared table, 1 write in 100 (the lab's own locks)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_PROCESS),
    .slice = 64,
    .default_ops = 100000,
    .result_size = 3 * sizeof(long long),
    .setup = setup,
    .teardown = teardown,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .run = run,
    .result = result,
    .merge = merge,
    .verify = verify,
};
WORKLOAD_REGISTER(lookups)
