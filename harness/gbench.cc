// Implements gbench.h on Google Benchmark 1.7.1 (and 1.6.1, Ubuntu 22.04's): the only C++ in locklab, kept
// to one-line forwards so that every measuring decision stays Google
// Benchmark's. Running is the exception: gb_run drives Google Benchmark's own
// JSON writer through its flags and watches the results for a progress hook.
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

// The C handles are the C++ objects themselves behind opaque pointers, so a
// handle costs nothing to pass and needs no table.
static benchmark::State &st_of(gb_state_t *st) { return *reinterpret_cast<benchmark::State *>(st); }
static const benchmark::State &st_of(const gb_state_t *st) {
    return *reinterpret_cast<const benchmark::State *>(st);
}
static benchmark::internal::Benchmark *bm_of(gb_bench_t *b) {
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
static gb_bench_t *handle_of(benchmark::internal::Benchmark *b) {
    return reinterpret_cast<gb_bench_t *>(b);
}

// MinWarmUpTime came with Google Benchmark 1.7.1; Ubuntu 22.04 ships 1.6.1,
// whose benchmarks start timing at once. The overload that names the member
// exists only where the member does, so one source builds on both.
template <typename B>
static auto warm_up(B *b, double seconds, int) -> decltype(b->MinWarmUpTime(seconds)) {
    return b->MinWarmUpTime(seconds);
}
template <typename B>
static B *warm_up(B *b, double, long) { return b; }

namespace {

// The display reporter sees every result as it is reported, which makes it the
// place for the progress hook; the JSON file has its own reporter.
class progress_reporter final : public benchmark::BenchmarkReporter {
  public:
    progress_reporter(benchmark::BenchmarkReporter *console, gb_progress_fn_t fn, void *arg)
        : console_(console), fn_(fn), arg_(arg) {}

    bool ReportContext(const Context &context) override {
        return console_ ? console_->ReportContext(context) : true;
    }

    void ReportRuns(const std::vector<Run> &runs) override {
        if (console_)
            console_->ReportRuns(runs);
        if (!fn_)
            return;
        for (const Run &r : runs) {
            const std::string name = r.run_name.str();
            if (r.run_type == Run::RT_Iteration) {
                fn_(name.c_str(), r.repetition_index, arg_);
                last_ = name;
            } else if (name != last_) {
                // With aggregates only, the display never sees the runs
                // themselves; they all finished, so they are still announced.
                for (int64_t i = 0; i < r.repetitions; i++)
                    fn_(name.c_str(), i, arg_);
                last_ = name;
            }
        }
    }

    void Finalize() override {
        if (console_)
            console_->Finalize();
    }

  private:
    benchmark::BenchmarkReporter *console_;
    gb_progress_fn_t fn_;
    void *arg_;
    std::string last_;
};

} // namespace

// Google Benchmark rejects a bad filter only after opening (and emptying) the
// JSON file; checking it first with the same engine and syntax avoids that.
static bool filter_error(std::string spec, std::string *why) {
    if (!spec.empty() && spec[0] == '-')
        spec.erase(0, 1);
    try {
        std::regex re(spec, std::regex_constants::extended);
    } catch (const std::regex_error &e) {
        *why = e.what();
        return true;
    }
    return false;
}

// Google Benchmark exits the process when it cannot open its output file:
// find out first, so the caller gets -1 and a reason instead.
static bool can_write(const char *path, int *err) {
    FILE *f = std::fopen(path, "a");
    if (!f) {
        *err = errno;
        return false;
    }
    std::fclose(f);
    return true;
}

// In 1.7.1 the JSON file can only be named through --benchmark_out (a file
// reporter given without it ends the process), so gb_run sets the flags as a
// command line would. Initialize re-adds every --benchmark_context pair and
// warns about each one already there, hence only when a setting changes.
static void set_run_flags(const char *json_out, int repetitions) {
    static bool set;
    static std::string last_out;
    static int last_repetitions;
    const std::string out = json_out ? json_out : "";
    if (set && out == last_out && repetitions == last_repetitions)
        return;
    std::vector<std::string> flags = {"--benchmark_out=" + out, "--benchmark_out_format=json",
                                      "--benchmark_list_tests=false"};
    // A flag stays set: 0 after an earlier default puts back the usual 1.
    if (repetitions > 0 || last_repetitions > 0)
        flags.push_back("--benchmark_repetitions=" + std::to_string(repetitions > 0 ? repetitions : 1));
    // argv[0] is kept for the JSON's "executable": it must outlive the call.
    std::vector<char *> argv = {program_invocation_name};
    for (std::string &f : flags)
        argv.push_back(&f[0]);
    argv.push_back(nullptr);
    int argc = static_cast<int>(argv.size()) - 1;
    benchmark::Initialize(&argc, argv.data());
    set = true;
    last_out = out;
    last_repetitions = repetitions;
}

extern "C" {

gb_bench_t *gb_register(const char *name, gb_fn_t fn, void *arg) {
    return handle_of(benchmark::RegisterBenchmark(
        name, [fn, arg](benchmark::State &st) { fn(reinterpret_cast<gb_state_t *>(&st), arg); }));
}
gb_bench_t *gb_arg(gb_bench_t *b, int64_t x) { return handle_of(bm_of(b)->Arg(x)); }
gb_bench_t *gb_args_list(gb_bench_t *b, const int64_t *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        bm_of(b)->Arg(v[i]);
    return b;
}
gb_bench_t *gb_range_multiplier(gb_bench_t *b, int m) {
    return handle_of(bm_of(b)->RangeMultiplier(m));
}
gb_bench_t *gb_range(gb_bench_t *b, int64_t lo, int64_t hi) {
    return handle_of(bm_of(b)->Range(lo, hi));
}
gb_bench_t *gb_dense_range(gb_bench_t *b, int64_t lo, int64_t hi, int step) {
    return handle_of(bm_of(b)->DenseRange(lo, hi, step));
}
gb_bench_t *gb_arg_name(gb_bench_t *b, const char *name) {
    return handle_of(bm_of(b)->ArgName(name));
}
gb_bench_t *gb_threads(gb_bench_t *b, int n) { return handle_of(bm_of(b)->Threads(n)); }
gb_bench_t *gb_thread_range(gb_bench_t *b, int lo, int hi) {
    return handle_of(bm_of(b)->ThreadRange(lo, hi));
}
gb_bench_t *gb_use_real_time(gb_bench_t *b) { return handle_of(bm_of(b)->UseRealTime()); }
gb_bench_t *gb_use_manual_time(gb_bench_t *b) { return handle_of(bm_of(b)->UseManualTime()); }
gb_bench_t *gb_repetitions(gb_bench_t *b, int n) { return handle_of(bm_of(b)->Repetitions(n)); }
gb_bench_t *gb_aggregates_only(gb_bench_t *b, bool v) {
    return handle_of(bm_of(b)->ReportAggregatesOnly(v));
}
gb_bench_t *gb_display_aggregates_only(gb_bench_t *b, bool v) {
    return handle_of(bm_of(b)->DisplayAggregatesOnly(v));
}
gb_bench_t *gb_min_time(gb_bench_t *b, double seconds) {
    return handle_of(bm_of(b)->MinTime(seconds));
}
gb_bench_t *gb_min_warmup_time(gb_bench_t *b, double seconds) {
    return handle_of(warm_up(bm_of(b), seconds, 0));
}
gb_bench_t *gb_iterations(gb_bench_t *b, int64_t n) { return handle_of(bm_of(b)->Iterations(n)); }
gb_bench_t *gb_unit(gb_bench_t *b, gb_unit_t u) {
    benchmark::TimeUnit unit = benchmark::kNanosecond;
    switch (u) {
    case GB_NS: unit = benchmark::kNanosecond; break;
    case GB_US: unit = benchmark::kMicrosecond; break;
    case GB_MS: unit = benchmark::kMillisecond; break;
    case GB_S: unit = benchmark::kSecond; break;
    }
    return handle_of(bm_of(b)->Unit(unit));
}

bool gb_keep_running(gb_state_t *st) { return st_of(st).KeepRunning(); }
bool gb_keep_running_batch(gb_state_t *st, int64_t n) { return st_of(st).KeepRunningBatch(n); }
int64_t gb_range_arg(const gb_state_t *st, int i) { return st_of(st).range(static_cast<size_t>(i)); }
int gb_thread_index(const gb_state_t *st) { return st_of(st).thread_index(); }
int gb_thread_count(const gb_state_t *st) { return st_of(st).threads(); }
int64_t gb_iterations_done(const gb_state_t *st) { return st_of(st).iterations(); }
int64_t gb_max_iterations(const gb_state_t *st) { return st_of(st).max_iterations; }
void gb_set_iteration_time(gb_state_t *st, double seconds) { st_of(st).SetIterationTime(seconds); }
void gb_set_items_processed(gb_state_t *st, int64_t n) { st_of(st).SetItemsProcessed(n); }
void gb_set_bytes_processed(gb_state_t *st, int64_t n) { st_of(st).SetBytesProcessed(n); }
void gb_set_label(gb_state_t *st, const char *label) { st_of(st).SetLabel(label); }
void gb_skip_with_error(gb_state_t *st, const char *msg) { st_of(st).SkipWithError(msg); }
bool gb_error_occurred(const gb_state_t *st) { return st_of(st).error_occurred(); }
void gb_pause_timing(gb_state_t *st) { st_of(st).PauseTiming(); }
void gb_resume_timing(gb_state_t *st) { st_of(st).ResumeTiming(); }

void gb_counter_set(gb_state_t *st, const char *name, double value, unsigned flags) {
    // The C values are the header's own, so a change in Google Benchmark's
    // numbering cannot silently change a counter's meaning.
    static const struct {
        unsigned c;
        benchmark::Counter::Flags cxx;
    } map[] = {
        {GB_COUNTER_RATE, benchmark::Counter::kIsRate},
        {GB_COUNTER_AVG_THREADS, benchmark::Counter::kAvgThreads},
        {GB_COUNTER_ITERATION_INVARIANT, benchmark::Counter::kIsIterationInvariant},
        {GB_COUNTER_AVG_ITERATIONS, benchmark::Counter::kAvgIterations},
        {GB_COUNTER_INVERT, benchmark::Counter::kInvert},
    };
    unsigned f = benchmark::Counter::kDefaults;
    for (const auto &m : map)
        if (flags & m.c)
            f |= m.cxx;
    st_of(st).counters[name] =
        benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

int gb_main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

int gb_run(const gb_run_opts_t *opts) {
    static const gb_run_opts_t defaults = {};
    if (!opts)
        opts = &defaults;
    const std::string filter = opts->filter ? opts->filter : "";
    std::string why;
    if (filter_error(filter, &why)) {
        std::fprintf(stderr, "gbench: bad filter '%s': %s\n", filter.c_str(), why.c_str());
        return -1;
    }
    if (opts->repetitions_default < 0) {
        std::fprintf(stderr, "gbench: repetitions_default is %d, not 0 or more\n",
                     opts->repetitions_default);
        return -1;
    }
    int err = 0;
    if (opts->json_out && !can_write(opts->json_out, &err)) {
        std::fprintf(stderr, "gbench: cannot write the JSON file '%s': %s\n", opts->json_out,
                     std::strerror(err));
        return -1;
    }
    set_run_flags(opts->json_out, opts->repetitions_default);

    // Colour only for a terminal, as Google Benchmark's default of "auto" does.
    benchmark::ConsoleReporter console(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                                                              : benchmark::ConsoleReporter::OO_None);
    progress_reporter display(opts->quiet ? nullptr : &console, opts->progress, opts->progress_arg);
    size_t n = benchmark::RunSpecifiedBenchmarks(&display, nullptr, filter);
    return static_cast<int>(n);
}

} // extern "C"
