/* The harness as a lab's bench.c sees it.
 *
 * A lab's bench.c defines lab_bench_register(), which registers its
 * benchmarks with the Google Benchmark shim (gbench.h). The harness supplies
 * main() (harness/labbench_main.c): it parses the harness's own options, pins
 * worker threads, and hands the rest of the command line to Google Benchmark.
 * One bench binary is built per implementation (broken, fixed, alt-*,
 * student), so each can be inlined into its timing loop by link-time
 * optimisation; harness/lab-bench runs them side by side in one run.
 */
#ifndef LOCKLAB_LABBENCH_H
#define LOCKLAB_LABBENCH_H

#include <stdint.h>

#include "gbench.h"

typedef struct {
    const char *impl;   /* broken, fixed, alt-atomic, student, ... */
    int reference;      /* 1 in fixed's binary: register the lab's baselines there */
    int floors;         /* 1 in the binary that leads a run (fixed's, or --floors) */
    const int *threads; /* thread counts to register, from --threads */
    int nthreads;
} labbench_t;

/* Defined by the lab's bench.c: register every benchmark of the lab. */
void lab_bench_register(const labbench_t *lb);

/* Register fn under `name` for every thread count of lb, in real time. */
gb_bench_t *labbench_register(const labbench_t *lb, const char *name, gb_fn_t fn, void *arg);

/* Register fn as a primitive floor: the C library's own primitive for the
 * job an op of the lab does (a recursive mutex for a reentrant lock, sem_t
 * for a pool, ...), timed by the same loop shape as the op. fn ends with
 * labbench_thread_end(st, op, n) naming the lab's op it is the floor of; its
 * rows carry impl=floor and floor=<primitive> (one word, no spaces), and the
 * summary gives every implementation's ratio to it at each thread count
 * ("x floor"). Registered only where lb->floors is set, so a run times each
 * floor once; elsewhere it registers nothing and returns NULL. */
gb_bench_t *labbench_register_floor(const labbench_t *lb, const char *name, const char *primitive, gb_fn_t fn,
                                    void *arg);

/* First call in a benchmark function, before the timing loop: pins the
 * calling Google Benchmark thread as --pin says and records where it runs. */
void labbench_thread_begin(gb_state_t *st);

/* Last call, after the timing loop: records that this thread did `ops`
 * operations of kind `op` (items processed, so Google Benchmark reports the
 * total rate across threads) and labels the row with impl, op and pinning. */
void labbench_thread_end(gb_state_t *st, const char *op, int64_t ops);

#endif
