/* Tests of the Google Benchmark C shim (harness/gbench.h), driven by
 * tests/gbench.bats, which checks the JSON with jq.
 *
 *   test_gbench run JSON_OUT    gb_run(): JSON to a file, quiet, one
 *                               "progress NAME REP" line per finished run
 *   test_gbench main ARGS...    gb_main() with Google Benchmark's own flags
 *
 * Every benchmark below exercises one part of the shim and leaves a value in
 * the JSON that the Bats test knows in advance.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gbench.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void bm_arg(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
    }
    gb_counter_set(st, "arg", (double)gb_range_arg(st, 0), GB_COUNTER_DEFAULT);
}

/* Each thread adds its index and 1, and reports 7 averaged over threads. */
static void bm_threads(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
    }
    gb_counter_set(st, "index_sum", gb_thread_index(st), GB_COUNTER_DEFAULT);
    gb_counter_set(st, "count", gb_thread_count(st), GB_COUNTER_AVG_THREADS);
    gb_counter_set(st, "ones", 1, GB_COUNTER_DEFAULT);
    gb_counter_set(st, "seven", 7, GB_COUNTER_AVG_THREADS);
}

/* Every iteration claims exactly 1 ms, whatever it really took. */
static void bm_manual(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st))
        gb_set_iteration_time(st, 0.001);
}

static void bm_items(gb_state_t *st, void *arg) {
    (void)arg;
    int64_t n = 0;
    while (gb_keep_running(st)) {
        n++;
        GB_DO_NOT_OPTIMIZE(n);
    }
    gb_set_items_processed(st, 3 * gb_iterations_done(st));
    gb_set_bytes_processed(st, 4096 * gb_iterations_done(st));
    gb_counter_set(st, "per_iteration", 2.0 * (double)gb_iterations_done(st),
                   GB_COUNTER_AVG_ITERATIONS);
    gb_counter_set(st, "rate", 1000, GB_COUNTER_RATE);
    gb_counter_set(st, "inverted", 4, GB_COUNTER_INVERT);
    gb_counter_set(st, "max_iterations", (double)gb_max_iterations(st), GB_COUNTER_DEFAULT);
}

static void bm_label(gb_state_t *st, void *arg) {
    while (gb_keep_running(st)) {
    }
    gb_set_label(st, (const char *)arg);
}

static void bm_error(gb_state_t *st, void *arg) {
    (void)arg;
    gb_skip_with_error(st, "deliberate failure");
    while (gb_keep_running(st)) {
    }
    gb_counter_set(st, "flagged", gb_error_occurred(st) ? 1 : 0, GB_COUNTER_DEFAULT);
}

static void bm_reps(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
    }
}

/* Batches of 64: the reported iterations are a whole number of batches. */
static void bm_batch(gb_state_t *st, void *arg) {
    (void)arg;
    long batches = 0;
    while (gb_keep_running_batch(st, 64))
        batches++;
    gb_counter_set(st, "batches", (double)batches, GB_COUNTER_DEFAULT);
}

/* 20 ms per iteration with the clock stopped: reported time stays far below. */
static void bm_paused(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st)) {
        gb_pause_timing(st);
        sleep_ms(20);
        gb_resume_timing(st);
    }
}

static void bm_min_time(gb_state_t *st, void *arg) {
    (void)arg;
    while (gb_keep_running(st))
        sleep_ms(1);
}

static void register_all(void) {
    static const int64_t list[] = {3, 5, 8};
    gb_iterations(gb_args_list(gb_register("args_list", bm_arg, NULL), list, 3), 10);
    gb_iterations(gb_range(gb_range_multiplier(gb_register("range", bm_arg, NULL), 4), 1, 64), 10);
    gb_iterations(gb_arg_name(gb_dense_range(gb_register("dense", bm_arg, NULL), 0, 10, 5), "n"), 10);
    gb_iterations(gb_use_real_time(gb_threads(gb_threads(gb_register("threads", bm_threads, NULL), 1), 2)),
                  100);
    gb_unit(gb_iterations(gb_use_manual_time(gb_register("manual", bm_manual, NULL)), 5), GB_MS);
    gb_iterations(gb_register("items", bm_items, NULL), 1000);
    gb_iterations(gb_register("label", bm_label, "hello world"), 10);
    gb_iterations(gb_register("error", bm_error, NULL), 10);
    gb_iterations(gb_repetitions(gb_register("reps", bm_reps, NULL), 3), 10);
    gb_iterations(gb_aggregates_only(gb_repetitions(gb_register("reps_agg", bm_reps, NULL), 3), true),
                  10);
    gb_iterations(gb_register("batch", bm_batch, NULL), 1000);
    gb_unit(gb_iterations(gb_use_real_time(gb_register("paused", bm_paused, NULL)), 3), GB_MS);
    gb_min_warmup_time(gb_min_time(gb_register("min_time", bm_min_time, NULL), 0.05), 0.01);
}

static void progress(const char *name, int64_t repetition, void *arg) {
    (*(int *)arg)++;
    printf("progress %s %lld\n", name, (long long)repetition);
    fflush(stdout);
}

int main(int argc, char **argv) {
    register_all();
    if (argc == 3 && strcmp(argv[1], "run") == 0) {
        int calls = 0;
        gb_run_opts_t o = {.json_out = argv[2], .quiet = true, .progress = progress, .progress_arg = &calls};
        int n = gb_run(&o);
        if (n < 0)
            return 1;
        printf("ran %d, progress calls %d\n", n, calls);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "main") == 0) {
        argv[1] = argv[0];
        return gb_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "usage: test_gbench run JSON_OUT | main [--benchmark_* ...]\n");
    return 2;
}
