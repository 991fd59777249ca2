// The C shim over Google Benchmark (see gbench.h): the only C++ in locklab.
// Each C handle is the C++ object itself behind an opaque pointer; every
// function is a one-line forward, except running, which adds a reporter that
// writes the JSON file and calls a progress callback.
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

benchmark::State &S(gb_state_t *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &S(const gb_state_t *st) {
    return *reinterpret_cast<const benchmark::State *>(st);
}
benchmark::internal::Benchmark *B(gb_bench_t *b) {
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
gb_bench_t *C(benchmark::internal::Benchmark *b) { return reinterpret_cast<gb_bench_t *>(b); }

// Sends everything to a console reporter (unless quiet) and a JSON reporter
// (when a file is wanted), and tells the caller after each finished run.
class TeeReporter : public benchmark::BenchmarkReporter {
  public:
    TeeReporter(benchmark::BenchmarkReporter *console, benchmark::BenchmarkReporter *json,
                gb_progress_fn_t progress, void *arg)
        : console_(console), json_(json), progress_(progress), arg_(arg) {}

    bool ReportContext(const Context &context) override {
        bool ok = true;
        if (console_)
            ok = console_->ReportContext(context) && ok;
        if (json_)
            ok = json_->ReportContext(context) && ok;
        return ok;
    }
    void ReportRuns(const std::vector<Run> &runs) override {
        if (console_)
            console_->ReportRuns(runs);
        if (json_)
            json_->ReportRuns(runs);
        // One call per report Google Benchmark delivers: a benchmark's runs,
        // then, with repetitions, its aggregates (repetition -1).
        if (progress_ && !runs.empty()) {
            const Run &r = runs.front();
            progress_(r.benchmark_name().c_str(),
                      r.run_type == Run::RT_Iteration ? r.repetition_index : -1, arg_);
        }
    }
    void Finalize() override {
        if (console_)
            console_->Finalize();
        if (json_)
            json_->Finalize();
    }

  private:
    benchmark::BenchmarkReporter *console_, *json_;
    gb_progress_fn_t progress_;
    void *arg_;
};

bool initialized = false;

void ensure_initialized() {
    if (initialized)
        return;
    // Initialize() reads flags; with no arguments it only sets defaults. It
    // keeps the argv[0] pointer for the JSON's "executable": static storage.
    static char name[] = "locklab";
    static char *argv[] = {name, nullptr};
    int argc = 1;
    benchmark::Initialize(&argc, argv);
    initialized = true;
}

} // namespace

extern "C" {

gb_bench_t *gb_register(const char *name, gb_fn_t fn, void *arg) {
    return C(benchmark::RegisterBenchmark(
        name, [fn, arg](benchmark::State &st) { fn(reinterpret_cast<gb_state_t *>(&st), arg); }));
}
gb_bench_t *gb_arg(gb_bench_t *b, int64_t x) { return C(B(b)->Arg(x)); }
gb_bench_t *gb_args_list(gb_bench_t *b, const int64_t *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        B(b)->Arg(v[i]);
    return b;
}
gb_bench_t *gb_range(gb_bench_t *b, int64_t lo, int64_t hi) { return C(B(b)->Range(lo, hi)); }
gb_bench_t *gb_range_multiplier(gb_bench_t *b, int m) { return C(B(b)->RangeMultiplier(m)); }
gb_bench_t *gb_dense_range(gb_bench_t *b, int64_t lo, int64_t hi, int step) {
    return C(B(b)->DenseRange(lo, hi, step));
}
gb_bench_t *gb_arg_name(gb_bench_t *b, const char *name) { return C(B(b)->ArgName(name)); }
gb_bench_t *gb_threads(gb_bench_t *b, int n) { return C(B(b)->Threads(n)); }
gb_bench_t *gb_thread_range(gb_bench_t *b, int lo, int hi) { return C(B(b)->ThreadRange(lo, hi)); }
gb_bench_t *gb_use_real_time(gb_bench_t *b) { return C(B(b)->UseRealTime()); }
gb_bench_t *gb_use_manual_time(gb_bench_t *b) { return C(B(b)->UseManualTime()); }
gb_bench_t *gb_repetitions(gb_bench_t *b, int n) { return C(B(b)->Repetitions(n)); }
gb_bench_t *gb_aggregates_only(gb_bench_t *b, bool v) { return C(B(b)->ReportAggregatesOnly(v)); }
gb_bench_t *gb_display_aggregates_only(gb_bench_t *b, bool v) {
    return C(B(b)->DisplayAggregatesOnly(v));
}
gb_bench_t *gb_min_time(gb_bench_t *b, double seconds) { return C(B(b)->MinTime(seconds)); }
gb_bench_t *gb_min_warmup_time(gb_bench_t *b, double seconds) {
    return C(B(b)->MinWarmUpTime(seconds));
}
gb_bench_t *gb_iterations(gb_bench_t *b, int64_t n) { return C(B(b)->Iterations(n)); }
gb_bench_t *gb_unit(gb_bench_t *b, gb_unit_t u) {
    static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                                benchmark::kMillisecond, benchmark::kSecond};
    return C(B(b)->Unit(units[u]));
}

bool gb_keep_running(gb_state_t *st) { return S(st).KeepRunning(); }
bool gb_keep_running_batch(gb_state_t *st, int64_t n) { return S(st).KeepRunningBatch(n); }
int64_t gb_range_arg(const gb_state_t *st, int i) { return S(st).range(static_cast<size_t>(i)); }
int gb_thread_index(const gb_state_t *st) { return S(st).thread_index(); }
int gb_thread_count(const gb_state_t *st) { return S(st).threads(); }
int64_t gb_iterations_done(const gb_state_t *st) { return S(st).iterations(); }
int64_t gb_max_iterations(const gb_state_t *st) { return S(st).max_iterations; }
void gb_set_iteration_time(gb_state_t *st, double seconds) { S(st).SetIterationTime(seconds); }
void gb_set_items_processed(gb_state_t *st, int64_t n) { S(st).SetItemsProcessed(n); }
void gb_set_bytes_processed(gb_state_t *st, int64_t n) { S(st).SetBytesProcessed(n); }
void gb_set_label(gb_state_t *st, const char *label) { S(st).SetLabel(label); }
void gb_skip_with_error(gb_state_t *st, const char *msg) { S(st).SkipWithError(msg); }
bool gb_error_occurred(const gb_state_t *st) { return S(st).error_occurred(); }
void gb_pause_timing(gb_state_t *st) { S(st).PauseTiming(); }
void gb_resume_timing(gb_state_t *st) { S(st).ResumeTiming(); }

void gb_counter_set(gb_state_t *st, const char *name, double value, unsigned flags) {
    unsigned f = benchmark::Counter::kDefaults;
    if (flags & GB_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & GB_COUNTER_AVG_THREADS)
        f |= benchmark::Counter::kAvgThreads;
    if (flags & GB_COUNTER_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & GB_COUNTER_INVERT)
        f |= benchmark::Counter::kInvert;
    S(st).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

int gb_main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    initialized = true;
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

int gb_run(const gb_run_opts_t *opts) {
    ensure_initialized();
    std::ofstream file;
    benchmark::JSONReporter json;
    benchmark::ConsoleReporter console;
    if (opts->json_out) {
        file.open(opts->json_out);
        if (!file) {
            std::fprintf(stderr, "gbench: cannot write '%s': %s\n", opts->json_out,
                         std::strerror(errno));
            return -1;
        }
        json.SetOutputStream(&file);
    }
    TeeReporter tee(opts->quiet ? nullptr : &console, opts->json_out ? &json : nullptr,
                    opts->progress, opts->progress_arg);
    std::string spec = opts->filter ? opts->filter : "";
    size_t n = benchmark::RunSpecifiedBenchmarks(&tee, spec);
    file.close();
    if (opts->json_out && !file) {
        std::fprintf(stderr, "gbench: error writing '%s'\n", opts->json_out);
        return -1;
    }
    return static_cast<int>(n);
}

} // extern "C"
