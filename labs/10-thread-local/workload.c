/* Lab 10, thread-local, as a harness workload: every worker serves
 * requests; a request sets the worker's user, then looks it up 63 more
 * times (one look-up per operation, 64 operations per request), and every
 * look-up that finds another worker's user is counted. The regime picks
 * where the per-thread user lives:
 *   gil      fixed.c's pthread key, the workers taking turns under the
 *            global lock (Python's threading.local under the GIL)
 *   object   one global table keyed by thread id behind its own lock
 *            (baseline.h): the shared object every look-up must lock
 *   sharded  fixed.c's pthread key, the workers in parallel: each has its
 *            own copy, which is all thread-local storage is
 *   unsafe   broken.c, one "current user" for all threads, no lock: the
 *            wrong answers are counted as lost
 *   process  broken.c again, one process per worker: a global is private
 *            to its process, so nothing is wrong
 * The build links each implementation with its functions renamed
 * (lab10_fixed__session_user, ...), so all of them live in one binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "session.h"
#include "workload.h"

#define SESSION_API(impl)                                                      \
    void impl##__session_set_user(const char *name);                           \
    const char *impl##__session_user(void);
SESSION_API(lab10_broken)
SESSION_API(lab10_fixed)

enum { REQUEST = 64 }; /* operations per request: one set, then look-ups */

typedef struct {
    regime_t regime;
    locked_table_t table; /* object */
    long long wrong;      /* look-ups that found another's user: summed in the parent */
} state_t;

typedef struct {
    _Alignas(64) char name[SESSION_NAME_MAX];
    long long wrong;
} server_t;

static void *setup(const wl_params_t *p) {
    state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->regime = p->regime;
    locked_init(&s->table);
    return s;
}

static void teardown(void *p) {
    state_t *s = p;
    locked_destroy(&s->table);
    free(s);
}

static void *worker_init(void *shared, int index, const wl_params_t *p) {
    (void)shared, (void)p;
    server_t *v = aligned_alloc(64, sizeof *v);
    if (v != NULL) {
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "worker-%d", index);
    }
    return v;
}

static void worker_fini(void *local) { free(local); }

/* One loop per kind of storage, so each look-up is a direct call. */
static long run(wl_worker_t *w, long first, long n) {
    state_t *s = w->shared;
    server_t *v = w->local;
    long long wrong = 0;
    if (s->regime == REGIME_OBJECT) {
        char got[SESSION_NAME_MAX];
        for (long i = first; i < first + n; i++) {
            if (i % REQUEST == 0)
                locked_set_user(&s->table, v->name);
            wrong += !locked_user(&s->table, got) || strcmp(got, v->name) != 0;
        }
    } else if (s->regime == REGIME_GIL || s->regime == REGIME_SHARDED) {
        for (long i = first; i < first + n; i++) {
            if (i % REQUEST == 0)
                lab10_fixed__session_set_user(v->name);
            const char *u = lab10_fixed__session_user();
            wrong += u == NULL || strcmp(u, v->name) != 0;
        }
    } else {
        for (long i = first; i < first + n; i++) {
            if (i % REQUEST == 0)
                lab10_broken__session_set_user(v->name);
            const char *u = lab10_broken__session_user();
            wrong += u == NULL || strcmp(u, v->name) != 0;
        }
    }
    v->wrong += wrong;
    return n;
}

static void result(wl_worker_t *w, void *out) {
    server_t *v = w->local;
    memcpy(out, &v->wrong, sizeof v->wrong);
}

static void merge(void *p, int i, const void *res, const wl_params_t *params) {
    (void)i, (void)params;
    state_t *s = p;
    long long wrong;
    memcpy(&wrong, res, sizeof wrong);
    s->wrong += wrong;
}

static long verify(void *p, const wl_params_t *params, char *why, size_t len) {
    (void)params;
    state_t *s = p;
    if (s->wrong == 0)
        return 0;
    snprintf(why, len, "%lld look-ups found another worker's user", s->wrong);
    return (long)s->wrong;
}

static const workload_t sessions = {
    .name = "sessions",
    .lab = "10-thread-local",
    .about = "lab 10: workers look up their own current user (thread-local vs a locked global table)",
    .regimes = REGIME_BIT(REGIME_GIL) | REGIME_BIT(REGIME_OBJECT) | REGIME_BIT(REGIME_SHARDED) |
               REGIME_BIT(REGIME_UNSAFE) | REGIME_BIT(REGIME_PROCESS),
    .slice = 256,
    .default_ops = 1000000,
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
WORKLOAD_REGISTER(sessions)
