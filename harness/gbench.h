/* Google Benchmark for C: the part of its C++ API that locklab's labs and
 * harness need, as plain C functions, so that bench drivers stay C and the
 * operation they measure can be inlined into the timing loop. gbench.cc, the
 * project's only C++ file, implements it with Google Benchmark 1.7.1.
 *
 * For operations of a few nanoseconds, time them in batches: the loop body is
 * then only the operation, with no call into C++ per iteration.
 *
 *     static void bm_inc(gb_state_t *st, void *arg) {
 *         while (gb_keep_running_batch(st, 1000))
 *             for (int i = 0; i < 1000; i++)
 *                 counter_inc(arg);
 *     }
 *     gb_threads(gb_threads(gb_use_real_time(gb_register("inc", bm_inc, c)), 1), 2);
 *
 * Registration calls return their benchmark so that they can be chained.
 */
#ifndef LOCKLAB_GBENCH_H
#define LOCKLAB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state_t; /* a running benchmark (benchmark::State) */
typedef struct gb_bench gb_bench_t; /* a registered benchmark */
typedef void (*gb_fn_t)(gb_state_t *st, void *arg);

typedef enum { GB_NS, GB_US, GB_MS, GB_S } gb_unit_t;

/* Counter flags, those of benchmark::Counter; OR them together. The value
 * each thread sets is summed over the threads before the flags apply. */
enum {
    GB_COUNTER_DEFAULT = 0,
    GB_COUNTER_RATE = 1u << 0,                /* divided by the run's seconds */
    GB_COUNTER_AVG_THREADS = 1u << 1,         /* divided by the thread count */
    GB_COUNTER_ITERATION_INVARIANT = 1u << 2, /* multiplied by the iterations */
    GB_COUNTER_AVG_ITERATIONS = 1u << 3,      /* divided by the iterations */
    GB_COUNTER_INVERT = 1u << 4,              /* reported as 1/value, after the rest */
};

/* ---- registration: each returns b ---- */
gb_bench_t *gb_register(const char *name, gb_fn_t fn, void *arg);    /* add benchmark fn(st, arg) */
gb_bench_t *gb_arg(gb_bench_t *b, int64_t x);                        /* add a run with argument x */
gb_bench_t *gb_args_list(gb_bench_t *b, const int64_t *v, size_t n); /* add a run per v[0..n-1] */
gb_bench_t *gb_range_multiplier(gb_bench_t *b, int m);               /* gb_range's step (8) */
gb_bench_t *gb_range(gb_bench_t *b, int64_t lo, int64_t hi);         /* runs lo, powers of m, hi */
gb_bench_t *gb_dense_range(gb_bench_t *b, int64_t lo, int64_t hi, int step); /* lo..hi by step */
gb_bench_t *gb_arg_name(gb_bench_t *b, const char *name);    /* name runs NAME/name:x */
gb_bench_t *gb_threads(gb_bench_t *b, int n);                /* add runs with n threads */
gb_bench_t *gb_thread_range(gb_bench_t *b, int lo, int hi);  /* threads lo, 2lo, 4lo, ..., hi */
gb_bench_t *gb_use_real_time(gb_bench_t *b);                 /* time by wall clock, not CPU */
gb_bench_t *gb_use_manual_time(gb_bench_t *b);               /* time is gb_set_iteration_time's */
gb_bench_t *gb_repetitions(gb_bench_t *b, int n);            /* n runs, + mean/median/stddev/cv */
gb_bench_t *gb_aggregates_only(gb_bench_t *b, bool v);       /* report the aggregates alone */
gb_bench_t *gb_display_aggregates_only(gb_bench_t *b, bool v); /* the same, on the console only */
gb_bench_t *gb_min_time(gb_bench_t *b, double seconds);      /* grow iterations to last this long */
gb_bench_t *gb_min_warmup_time(gb_bench_t *b, double seconds); /* run untimed this long first */
gb_bench_t *gb_iterations(gb_bench_t *b, int64_t n);         /* exactly n iterations per thread */
gb_bench_t *gb_unit(gb_bench_t *b, gb_unit_t u);             /* unit of the reported times */

/* With T threads, Google Benchmark 1.7.1 reports `iterations` summed over the
 * threads, `real_time` as the threads' mean timed wall time divided by that
 * sum, and rates (items_per_second, GB_COUNTER_RATE) as the threads' summed
 * values over the same mean wall time (CPU time, summed over threads, unless
 * gb_use_real_time). For threads that finish together, real_time x T is one
 * thread's time per iteration and 1/real_time the threads' combined rate. */

/* ---- inside a benchmark function ---- */
bool gb_keep_running(gb_state_t *st);                  /* true while one more iteration is due */
bool gb_keep_running_batch(gb_state_t *st, int64_t n); /* true while n more are due (may overshoot) */
int64_t gb_range_arg(const gb_state_t *st, int i);     /* the run's i-th argument */
int gb_thread_index(const gb_state_t *st);             /* this thread, 0 .. gb_thread_count()-1 */
int gb_thread_count(const gb_state_t *st);             /* threads in this run */
int64_t gb_iterations_done(const gb_state_t *st);      /* this thread's iterations so far */
int64_t gb_max_iterations(const gb_state_t *st);       /* iterations this thread is asked for */
void gb_set_iteration_time(gb_state_t *st, double seconds); /* manual time of one iteration */
void gb_set_items_processed(gb_state_t *st, int64_t n); /* this thread's items: items_per_second */
void gb_set_bytes_processed(gb_state_t *st, int64_t n); /* this thread's bytes: bytes_per_second */
void gb_set_label(gb_state_t *st, const char *label);   /* free text reported with the run */
void gb_skip_with_error(gb_state_t *st, const char *msg); /* fail the run; the loop then ends */
bool gb_error_occurred(const gb_state_t *st);            /* gb_skip_with_error was called */
void gb_pause_timing(gb_state_t *st);                    /* stop the clock inside the loop */
void gb_resume_timing(gb_state_t *st);                   /* start it again */
/* set this thread's user counter `name` (flags: GB_COUNTER_*) */
void gb_counter_set(gb_state_t *st, const char *name, double value, unsigned flags);

/* Make the compiler keep a value (or all memory writes) it would otherwise
 * drop; plain asm with no instruction, so they cost nothing in the loop. */
#define GB_DO_NOT_OPTIMIZE(x) __asm__ volatile("" : : "r,m"(x) : "memory")
#define GB_CLOBBER_MEMORY() __asm__ volatile("" : : : "memory")

/* ---- running ---- */
/* Google Benchmark's own main: takes every --benchmark_* flag; returns 2
 * after an error line per unrecognised argument, else 0 once all have run. */
int gb_main(int argc, char **argv);

/* Called once per finished run with its name and repetition (0, 1, ...).
 * Google Benchmark 1.7.1 reports all of a benchmark's repetitions together,
 * after the last one, so its calls come in a burst. */
typedef void (*gb_progress_fn_t)(const char *name, int64_t repetition, void *arg);

typedef struct {
    const char *json_out;       /* write Google Benchmark's JSON here (NULL: no file) */
    const char *filter;         /* extended regex over run names, '-' first negates (NULL: all) */
    bool quiet;                 /* no console table */
    int repetitions_default;    /* if no gb_repetitions (0: --benchmark_repetitions, 1) */
    gb_progress_fn_t progress;  /* NULL: none */
    void *progress_arg;
} gb_run_opts_t;

/* Run the registered benchmarks that match; returns how many ran (0 if none
 * matched, JSON file then empty), or -1 after one line on stderr. */
int gb_run(const gb_run_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif
