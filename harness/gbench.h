/* Google Benchmark for C: the part of its C++ API that locklab's labs and
 * harness use, as plain C functions (implemented in gbench.cc, the project's
 * only C++ file).
 *
 * A benchmark is a C function `void fn(gb_state_t *st, void *arg)` with a
 * timing loop. For operations of a few nanoseconds, time them in batches so
 * the loop body is only the operation, with no call into C++ per iteration:
 *
 *     while (gb_keep_running_batch(st, 1000))
 *         for (int i = 0; i < 1000; i++)
 *             counter_inc(c);
 *
 * Registration calls return the benchmark so they can be chained:
 *     gb_threads(gb_use_real_time(gb_register("counter", fn, NULL)), 2);
 */
#ifndef LOCKLAB_GBENCH_H
#define LOCKLAB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state_t; /* a benchmark::State */
typedef struct gb_bench gb_bench_t; /* a registered benchmark::internal::Benchmark */
typedef void (*gb_fn_t)(gb_state_t *st, void *arg);

typedef enum { GB_NS, GB_US, GB_MS, GB_S } gb_unit_t;

/* Counter flags, as benchmark::Counter's; OR them together. */
enum {
    GB_COUNTER_DEFAULT = 0,
    GB_COUNTER_RATE = 1u << 0,           /* divided by the run's time */
    GB_COUNTER_AVG_THREADS = 1u << 1,    /* divided by the thread count */
    GB_COUNTER_AVG_ITERATIONS = 1u << 2, /* divided by the iterations */
    GB_COUNTER_INVERT = 1u << 3,         /* reported as 1/value */
};

/* ---- registration (each returns b) ---- */
gb_bench_t *gb_register(const char *name, gb_fn_t fn, void *arg); /* add a benchmark */
gb_bench_t *gb_arg(gb_bench_t *b, int64_t x);                     /* one run with argument x */
gb_bench_t *gb_args_list(gb_bench_t *b, const int64_t *v, size_t n); /* one run per value */
gb_bench_t *gb_range(gb_bench_t *b, int64_t lo, int64_t hi);         /* lo..hi by the multiplier */
gb_bench_t *gb_range_multiplier(gb_bench_t *b, int m);               /* set before gb_range */
gb_bench_t *gb_dense_range(gb_bench_t *b, int64_t lo, int64_t hi, int step); /* lo..hi by step */
gb_bench_t *gb_arg_name(gb_bench_t *b, const char *name);            /* name shown for the argument */
gb_bench_t *gb_threads(gb_bench_t *b, int n);           /* add a run with n threads (repeatable) */
gb_bench_t *gb_thread_range(gb_bench_t *b, int lo, int hi); /* lo..hi threads, doubling */
gb_bench_t *gb_use_real_time(gb_bench_t *b);   /* time by the wall clock, not CPU time */
gb_bench_t *gb_use_manual_time(gb_bench_t *b); /* time is what gb_set_iteration_time says */
gb_bench_t *gb_repetitions(gb_bench_t *b, int n); /* n repetitions, with mean/median/stddev/cv */
gb_bench_t *gb_aggregates_only(gb_bench_t *b, bool v);         /* report only the aggregates */
gb_bench_t *gb_display_aggregates_only(gb_bench_t *b, bool v); /* the same, on the console only */
gb_bench_t *gb_min_time(gb_bench_t *b, double seconds);        /* run at least this long */
gb_bench_t *gb_min_warmup_time(gb_bench_t *b, double seconds); /* run untimed this long first */
gb_bench_t *gb_iterations(gb_bench_t *b, int64_t n);           /* exactly n iterations */
gb_bench_t *gb_unit(gb_bench_t *b, gb_unit_t u);               /* unit of reported times */

/* ---- inside a benchmark function ---- */
bool gb_keep_running(gb_state_t *st);                  /* one more iteration? */
bool gb_keep_running_batch(gb_state_t *st, int64_t n); /* n more iterations? (may overshoot by n) */
int64_t gb_range_arg(const gb_state_t *st, int i);     /* the run's i-th argument */
int gb_thread_index(const gb_state_t *st);             /* 0 .. gb_thread_count()-1 */
int gb_thread_count(const gb_state_t *st);             /* threads in this run */
int64_t gb_iterations_done(const gb_state_t *st);      /* this thread's iterations so far */
int64_t gb_max_iterations(const gb_state_t *st);       /* iterations this thread will run */
void gb_set_iteration_time(gb_state_t *st, double seconds); /* manual time of this iteration */
void gb_set_items_processed(gb_state_t *st, int64_t n);     /* gives items_per_second */
void gb_set_bytes_processed(gb_state_t *st, int64_t n);     /* gives bytes_per_second */
void gb_set_label(gb_state_t *st, const char *label);       /* free text shown with the run */
void gb_skip_with_error(gb_state_t *st, const char *msg);   /* mark the run failed (stop looping) */
bool gb_error_occurred(const gb_state_t *st);               /* gb_skip_with_error was called */
void gb_pause_timing(gb_state_t *st);                       /* stop the clock inside the loop */
void gb_resume_timing(gb_state_t *st);                      /* and start it again */
void gb_counter_set(gb_state_t *st, const char *name, double value, unsigned flags); /* user counter */

/* Keep the compiler from optimising a value or memory writes away. No call. */
#define GB_DO_NOT_OPTIMIZE(x) __asm__ volatile("" : : "r,m"(x) : "memory")
#define GB_CLOBBER_MEMORY() __asm__ volatile("" : : : "memory")

/* ---- running ---- */
/* Google Benchmark's main: every --benchmark_* flag works; an unknown
 * argument is reported and returns 2. Returns 0 after running. */
int gb_main(int argc, char **argv);

typedef void (*gb_progress_fn_t)(const char *name, int64_t repetition, void *arg);
typedef struct {
    const char *json_out; /* write Google Benchmark's JSON here (NULL: none) */
    const char *filter;   /* regular expression over names (NULL: all) */
    bool quiet;           /* no console table */
    gb_progress_fn_t progress; /* called as each benchmark's results come in: once for its
                                  runs (repetition 0 first), once more for its aggregates
                                  (repetition -1) when it has repetitions (NULL: none) */
    void *progress_arg;
} gb_run_opts_t;
/* Run the registered benchmarks. Returns how many matched, or -1 after one
 * line on stderr (e.g. json_out cannot be written). */
int gb_run(const gb_run_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif
