/* The harness's plug-in interface: a workload says what its state is, what
 * a batch of operations does, and how to check the end result; a regime
 * (regime.h) decides how workers run it: under one global interpreter lock,
 * in parallel with a lock per object, in forked processes, or as a baseline.
 *
 * Workloads register themselves (WORKLOAD_REGISTER) from any file linked
 * into the harness, the harness's own and the labs' alike, so the harness
 * never names a workload, nor a lab.
 *
 * run() does a batch, not one operation, so that the measured operation sits
 * in a loop of its own and is never a function-pointer call per operation;
 * the regime checks the GIL between batches, as CPython checks between
 * bytecodes.
 */
#ifndef LOCKLAB_WORKLOAD_H
#define LOCKLAB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    REGIME_GIL,     /* threads, one global lock with CPython's hand-over */
    REGIME_OBJECT,  /* threads in parallel, a lock per shared object */
    REGIME_PROCESS, /* forked workers, private state, results over a pipe */
    REGIME_UNSAFE,  /* threads, no lock at all: fast and wrong */
    REGIME_ATOMIC,  /* threads, atomic read-modify-write */
    REGIME_SHARDED, /* threads, a private copy per worker summed at the end */
    REGIME_COUNT
} regime_t;
#define REGIME_BIT(r) (1u << (r))

typedef struct {
    regime_t regime;
    int workers;
    long ops;         /* operations per worker */
    double share;     /* `objects`: fraction of updates aimed at the one hot object */
    long interval_us; /* GIL switch interval */
    uint64_t seed;
    int check_gil;    /* count GIL holders at every hand-over (costs two atomics a batch) */
} wl_params_t;

typedef struct wl_worker wl_worker_t;
struct wl_worker {
    int index;
    const wl_params_t *p;
    void *shared; /* the workload's state: shared by threads, a private copy in a process */
    void *local;  /* this worker's own scratch, made by worker_init */
    /* Around a blocking call: under the GIL these release and retake it. */
    void (*block_begin)(wl_worker_t *w);
    void (*block_end)(wl_worker_t *w);
    /* Response latencies this worker measured (seconds), if any. */
    double *lat;
    long nlat, cap_lat;
    void *regime_ctx;
};

/* Record one latency sample (the buffer grows as needed). */
void wl_latency_add(wl_worker_t *w, double seconds);

typedef struct {
    const char *name;
    const char *about;
    const char *lab;    /* the lab folder it comes from ("03-bank-account"), NULL for the harness's own */
    unsigned regimes;   /* REGIME_BIT()s this workload can run under */
    int blocking;       /* its operations block (I/O) */
    long slice;         /* operations per batch: the GIL is checked between batches */
    size_t result_size; /* bytes a worker's result takes (they cross a pipe under process) */
    void *(*setup)(const wl_params_t *p);
    void (*teardown)(void *shared);
    void *(*worker_init)(void *shared, int index, const wl_params_t *p); /* may be NULL */
    void (*worker_fini)(void *local);                                    /* may be NULL */
    long default_ops;   /* operations per worker when the caller does not say */
    /* Operations worker i is given, when not p->ops for all (may be NULL). */
    long (*worker_ops)(const wl_params_t *p, int index);
    /* Operations first .. first+n-1 of worker w. Returns how many it did:
     * fewer than n means this worker is finished. */
    long (*run)(wl_worker_t *w, long first, long n);
    /* After w's last operation: its contribution, result_size bytes. */
    void (*result)(wl_worker_t *w, void *out);
    /* In the parent, once per worker: fold a result into the shared state. */
    void (*merge)(void *shared, int index, const void *res, const wl_params_t *p);
    /* At the end: 0 when the state is exactly right, else the number of
     * updates lost (> 0), or -1 when it is wrong in another way (why says). */
    long (*verify)(void *shared, const wl_params_t *p, char *why, size_t whylen);
} workload_t;

/* Registration, from a constructor, so a linked file is all it takes. */
void workload_register(const workload_t *wl);
const workload_t *workload_find(const char *name);
const workload_t *workload_at(int i); /* NULL past the last, in name order */

#define WORKLOAD_REGISTER(var)                                                 \
    __attribute__((constructor)) static void register_##var(void) { workload_register(&(var)); }

const char *regime_name(regime_t r);
int regime_parse(const char *s, regime_t *out); /* 0, or -1 */

#endif
