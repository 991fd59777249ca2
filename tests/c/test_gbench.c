/* The Google Benchmark C shim (harness/gbench.h) under test: every benchmark
 * here exercises one feature and leaves values in Google Benchmark's JSON
 * that tests/gbench.bats knows in advance and checks with jq.
 *
 *   test_gbench [--loud] JSON_OUT [FILTER [REPETITIONS]]
 *       gb_run(): JSON to JSON_OUT ("-": none), console table only with
 *       --loud, a "progress NAME REP" line per finished run, then
 *       "ran N, progress calls M"; exit 1 if gb_run fails
 *   test_gbench --benchmark_... ...
 *       gb_main() with Google Benchmark's own flags
 *
 * Fixed iteration counts keep the whole run well under a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gbench.h"

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The argument comes back as a counter: the run's name alone would not show
 * that gb_range_arg() hands the function the right value. */
static void bm_arg(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
    }
    gb_counter_set(st, "arg", (double)gb_range_arg(st, 0), GB_COUNTER_DEFAULT);
}

/* Per-thread values whose sums and averages over 2 threads are known. */
static void bm_threads(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
    }
    gb_counter_set(st, "index_sum", gb_thread_index(st), GB_COUNTER_DEFAULT);
    gb_counter_set(st, "count", gb_thread_count(st), GB_COUNTER_AVG_THREADS);
    gb_counter_set(st, "seven", 7, GB_COUNTER_AVG_THREADS);
    gb_counter_set(st, "ones", 1, GB_COUNTER_DEFAULT);
}

/* Each thread sleeps arg[index] microseconds per item and reports its own
 * items: shows how Google Benchmark combines threads' times and items. */
static void bm_thread_items(gb_state_t *st, void *arg) {
    const long *us = arg;
    long mine = us[gb_thread_index(st)];
    while (gb_keep_running(st))
        sleep_us(mine);
    gb_set_items_processed(st, gb_iterations_done(st));
}

/* Every iteration claims exactly 1 ms, whatever it really took. */
static void bm_manual(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st))
        gb_set_iteration_time(st, 0.001);
}

static void bm_items(gb_state_t *st, void *arg) {
    (void)arg;
    double x = 1.0;
    while (gb_keep_running(st)) {
        x *= 1.0000001;
        GB_DO_NOT_OPTIMIZE(x);
    }
    int64_t n = gb_iterations_done(st);
    gb_set_items_processed(st, 3 * n);
    gb_set_bytes_processed(st, 4096 * n);
    gb_counter_set(st, "rate", 1000, GB_COUNTER_RATE);
    gb_counter_set(st, "per_iteration", 2.0 * (double)n, GB_COUNTER_AVG_ITERATIONS);
    gb_counter_set(st, "invariant", 0.5, GB_COUNTER_ITERATION_INVARIANT);
    gb_counter_set(st, "inverted", 4, GB_COUNTER_INVERT);
    gb_counter_set(st, "inverted_per_iteration", (double)n / 8,
                   GB_COUNTER_AVG_ITERATIONS | GB_COUNTER_INVERT);
    gb_counter_set(st, "max_iterations", (double)gb_max_iterations(st), GB_COUNTER_DEFAULT);
}

static void bm_label(gb_state_t *st, void *arg) {
    int buf[4] = {0};
    while (gb_keep_running(st)) {
        buf[0]++;
        GB_CLOBBER_MEMORY();
    }
    GB_DO_NOT_OPTIMIZE(buf);
    gb_set_label(st, (const char *)arg);
}

/* Failed before the loop: the loop must not run, and the label (reported
 * even for failed runs) says whether the shim saw the failure. */
static void bm_error(gb_state_t *st, void *arg) {
    (void)arg;
    gb_skip_with_error(st, "deliberate failure");
    long ran = 0;
    while (gb_keep_running(st))
        ran++;
    gb_set_label(st, gb_error_occurred(st) && ran == 0 ? "flagged, loop skipped" : "missed");
}

static void bm_empty(gb_state_t *st, void *arg) {
    const char *p = arg;
    while (gb_keep_running(st))
        GB_DO_NOT_OPTIMIZE(p);
}

/* Batches of 64 over 1000 asked-for iterations: Google Benchmark counts the
 * whole last batch, so 16 batches and 1024 iterations. */
static void bm_batch(gb_state_t *st, void *arg) {
    (void)arg;
    long batches = 0;
    while (gb_keep_running_batch(st, 64)) {
        for (int i = 0; i < 64; i++)
            GB_DO_NOT_OPTIMIZE(i);
        batches++;
    }
    gb_counter_set(st, "batches", (double)batches, GB_COUNTER_DEFAULT);
}

/* 2 ms timed, then 20 ms with the clock stopped: the report must show the 2
 * but not the 20 (a resume alone restarts the clock, dropping both). */
static void bm_paused(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
        sleep_us(2000);
        gb_pause_timing(st);
        sleep_us(20000);
        gb_resume_timing(st);
    }
}

static void bm_sleep_1ms(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st))
        sleep_us(1000);
}

static void register_all(void) {
    static const int64_t list[] = {3, 5, 8};
    static const long even_us[] = {1000, 1000}, uneven_us[] = {1000, 3000};
    gb_bench_t *b;

    gb_iterations(gb_arg(gb_register("single", bm_arg, NULL), 42), 10);
    gb_iterations(gb_args_list(gb_register("args_list", bm_arg, NULL), list, 3), 10);
    gb_iterations(gb_range(gb_range_multiplier(gb_register("range", bm_arg, NULL), 4), 1, 64), 10);
    gb_iterations(gb_arg_name(gb_dense_range(gb_register("dense", bm_arg, NULL), 0, 10, 5), "n"), 10);

    b = gb_threads(gb_threads(gb_register("threads", bm_threads, NULL), 1), 2);
    gb_iterations(gb_use_real_time(b), 100);
    gb_iterations(gb_thread_range(gb_register("thread_range", bm_threads, NULL), 1, 4), 10);
    b = gb_register("thread_items", bm_thread_items, (void *)even_us);
    gb_iterations(gb_unit(gb_use_real_time(gb_threads(b, 2)), GB_MS), 20);
    b = gb_register("thread_uneven", bm_thread_items, (void *)uneven_us);
    gb_iterations(gb_unit(gb_use_real_time(gb_threads(b, 2)), GB_MS), 10);

    gb_unit(gb_iterations(gb_use_manual_time(gb_register("manual", bm_manual, NULL)), 5), GB_MS);
    gb_iterations(gb_register("items", bm_items, NULL), 1000);
    gb_unit(gb_iterations(gb_register("label", bm_label, "hello world"), 10), GB_S);
    gb_iterations(gb_register("error", bm_error, NULL), 10);

    gb_iterations(gb_repetitions(gb_register("reps", bm_empty, NULL), 3), 10);
    b = gb_repetitions(gb_register("reps_agg", bm_empty, NULL), 3);
    gb_iterations(gb_aggregates_only(b, true), 10);
    b = gb_repetitions(gb_register("reps_display", bm_empty, NULL), 3);
    gb_iterations(gb_display_aggregates_only(b, true), 10);

    gb_iterations(gb_register("batch", bm_batch, NULL), 1000);
    gb_unit(gb_iterations(gb_use_real_time(gb_register("paused", bm_paused, NULL)), 3), GB_MS);
    /* Real time, or the CPU-idle sleeps would take ~100 times longer to add up. */
    b = gb_use_real_time(gb_register("min_time", bm_sleep_1ms, NULL));
    gb_unit(gb_min_warmup_time(gb_min_time(b, 0.05), 0.01), GB_US);
}

static void progress(const char *name, int64_t repetition, void *arg) {
    (*(int *)arg)++;
    printf("progress %s %lld\n", name, (long long)repetition);
}

int main(int argc, char **argv) {
    register_all();
    if (argc >= 2 && strncmp(argv[1], "--benchmark_", 12) == 0)
        return gb_main(argc, argv);
    bool loud = argc >= 2 && strcmp(argv[1], "--loud") == 0;
    char **rest = argv + 1 + loud;
    int nrest = argc - 1 - loud;
    if (nrest < 1 || nrest > 3) {
        fprintf(stderr, "usage: test_gbench [--loud] JSON_OUT [FILTER [REPETITIONS]]\n"
                        "       test_gbench --benchmark_... ...\n");
        return 2;
    }
    int calls = 0;
    gb_run_opts_t o = {
        .json_out = strcmp(rest[0], "-") == 0 ? NULL : rest[0],
        .filter = nrest > 1 ? rest[1] : NULL,
        .quiet = !loud,
        .repetitions_default = nrest > 2 ? atoi(rest[2]) : 0,
        .progress = progress,
        .progress_arg = &calls,
    };
    int n = gb_run(&o);
    if (n < 0)
        return 1;
    printf("ran %d, progress calls %d\n", n, calls);
    return 0;
}
